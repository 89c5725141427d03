/* Tests for lib/sandbox/faults.c: the --faults spec, the time scale and the PRNG. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/internal.h"

static void faults_parse__rejects__bad_specs(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "drop",	      "drop=",	      "drop=1.5",	   "drop=-0.1",
	    "drop=0.1234567", "explode=0.1",  "drop=0.1,drop=0.2", "http500=0.1:3",
	    "stall=0.1:x",    "stall=0.1:-1", "drop=0,1",	   "drop=1e-3",
	    "=0.1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sb_faults f;
		struct kerr e = {0};
		if (sandbox_faults_parse(bad[i], &f, &e) != K_INVALID)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_string_equal(e.field, "faults");
		assert_true(e.text[0] != '\0');
	}
}

static void faults_parse__reads__probabilities_in_millionths(void **state)
{
	(void)state;
	struct sb_faults f;
	assert_int_equal(sandbox_faults_parse("http500=0.2, drop=0.1,stall=0.05:3,"
					      "callback_fail=0.3,error=0.05",
					      &f, NULL),
			 K_OK);
	assert_int_equal(f.http500, 200000);
	assert_int_equal(f.drop, 100000);
	assert_int_equal(f.stall, 50000);
	assert_int_equal(f.stall_ms, 3000);
	assert_int_equal(f.callback_fail, 300000);
	assert_int_equal(f.error, 50000);
	assert_int_equal(sandbox_faults_parse("stall=1:0.25", &f, NULL), K_OK);
	assert_int_equal(f.stall, 1000000);
	assert_int_equal(f.stall_ms, 250);
	assert_int_equal(sandbox_faults_parse("stall=0.5", &f, NULL), K_OK);
	assert_int_equal(f.stall_ms, 3000);
	static const char *const off[] = {"", "none", "  none ", NULL};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sandbox_faults_parse(off[i], &f, NULL), K_OK);
		assert_int_equal(f.http500 + f.drop + f.stall + f.callback_fail + f.error, 0);
	}
}

static void faults_format__round_trips(void **state)
{
	(void)state;
	static const char *const specs[] = {
	    "none",
	    "drop=0.1",
	    "http500=1,error=0.000001",
	    "drop=0.5,stall=0.05:3,callback_fail=0.3",
	    "stall=1:0.25",
	    "retry=0.5,denied=1,fn3975=0.1,pos_decline=0.2,pos_timeout=0.3"};
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct sb_faults f, g;
		char buf[256];
		assert_int_equal(sandbox_faults_parse(specs[i], &f, NULL), K_OK);
		sandbox_faults_format(&f, buf, sizeof buf);
		assert_string_equal(buf, specs[i]);
		assert_int_equal(sandbox_faults_parse(buf, &g, NULL), K_OK);
		assert_memory_equal(&f, &g, sizeof f);
	}
}

static void prng__same_seed__same_decisions(void **state)
{
	(void)state;
	struct sb_prng a, b, c;
	sandbox_prng_seed(&a, 42);
	sandbox_prng_seed(&b, 42);
	sandbox_prng_seed(&c, 43);
	int same = 0, hits = 0;
	for (int i = 0; i < 10000; i++) {
		uint64_t x = sandbox_prng_next(&a), y = sandbox_prng_next(&b);
		assert_true(x == y);
		same += x == sandbox_prng_next(&c);
	}
	assert_int_equal(same, 0);
	for (int i = 0; i < 100000; i++)
		hits += sandbox_prng_chance(&a, 250000);
	assert_in_range(hits, 24000, 26000);
	for (int i = 0; i < 100; i++) {
		assert_false(sandbox_prng_chance(&a, 0));
		assert_true(sandbox_prng_chance(&a, 1000000));
	}
}

static void time_scale_parse__decimal_without_floats(void **state)
{
	(void)state;
	const struct {
		const char *in;
		int64_t out;
	} ok[] = {{"1", 1000000},   {"0.01", 10000}, {"0.001", 1000},
		  {"2.5", 2500000}, {"0.000001", 1}, {"1000", 1000000000}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		int64_t v = 0;
		assert_int_equal(sandbox_time_scale_parse(ok[i].in, &v, NULL), K_OK);
		assert_int_equal(v, ok[i].out);
	}
	static const char *const bad[] = {"0", "", "-1", "1e-3", "0.0000001", "1001", "fast", NULL};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t v = 7;
		struct kerr e = {0};
		assert_int_equal(sandbox_time_scale_parse(bad[i], &v, &e), K_INVALID);
		assert_string_equal(e.field, "time-scale");
		assert_int_equal(v, 7);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(faults_parse__rejects__bad_specs),
	    cmocka_unit_test(faults_parse__reads__probabilities_in_millionths),
	    cmocka_unit_test(faults_format__round_trips),
	    cmocka_unit_test(prng__same_seed__same_decisions),
	    cmocka_unit_test(time_scale_parse__decimal_without_floats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
