/* Tests for lib/sandbox/accounts.c: the INI format and the built-in defaults. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sandbox/internal.h"

static void accounts_parse__rejects__bad_files(void **state)
{
	(void)state;
	const struct {
		const char *text, *needle;
	} bad[] = {
	    {"", "no accounts"},
	    {"apikey = x\n", "outside any section"},
	    {"[shop 70000000000]\napikey = x\n", "unknown section"},
	    {"[lifepay 123]\napikey = x\n", "7 followed by 10 digits"},
	    {"[lifepay 70000000000]\nprinter = A\n", "has no apikey"},
	    {"[lifepay 70000000000]\napikey = x\ncloud = maybe\n", "yes or no"},
	    {"[lifepay 70000000000]\napikey = x\ntax_system = usn99\n", "tax_system"},
	    {"[lifepay 70000000000]\napikey = x\nprinter = A broken\n", "active or"},
	    {"[lifepay 70000000000]\napikey = x\nprinter = A\nprinter = A\n", "twice"},
	    {"[lifepay 70000000000]\napikey = x\ncolour = red\n", "unknown key"},
	    {"[lifepay 70000000000]\napikey = x\n[lifepay 70000000000]\napikey = y\n", "twice"},
	    {"[paykeeper shop]\npassword = p\n", "password and secret"},
	    {"[paykeeper shop]\npassword = p\nsecret = s\ntoken = t\n", "unknown key"},
	    {"[lifepay 70000000000]\napikey = x\nnot a key value line\n", "line 3"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sb_accounts a;
		struct kerr e = {0};
		if (sandbox_accounts_parse(bad[i].text, &a, &e) != K_INVALID)
			fail_msg("accepted case %zu", i);
		if (!strstr(e.text, bad[i].needle))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.text, bad[i].needle);
		assert_null(a.lp);
		assert_null(a.pk);
	}
}

static void accounts_parse__reads__every_key(void **state)
{
	(void)state;
	const char *text = "# comment\n"
			   "[lifepay 70000000000]\n"
			   "apikey = key-1\n"
			   "cloud = no\n"
			   "tax_system = usn15\n"
			   "printer = P-1\n"
			   "printer = P-2 inactive\n"
			   "printer = P-3 active\n"
			   "[lifepay:79990000000]\n"
			   "apikey = key-2\n"
			   "[paykeeper shop]\n"
			   "password = pw\n"
			   "secret = word\n"
			   "callback_url = http://127.0.0.1:9/pk\n";
	struct sb_accounts a;
	struct kerr e = {0};
	assert_int_equal(sandbox_accounts_parse(text, &a, &e), K_OK);
	assert_int_equal(a.n_lp, 2);
	struct sb_lifepay_acc *lp = sandbox_accounts_lifepay(&a, "70000000000");
	assert_non_null(lp);
	assert_string_equal(lp->apikey, "key-1");
	assert_false(lp->cloud);
	assert_string_equal(lp->tax_system, "usn15");
	assert_int_equal(lp->n_printers, 3);
	assert_true(sandbox_accounts_printer(lp, "P-1")->active);
	assert_false(sandbox_accounts_printer(lp, "P-2")->active);
	assert_true(sandbox_accounts_printer(lp, "P-3")->active);
	assert_null(sandbox_accounts_printer(lp, "P-4"));
	struct sb_lifepay_acc *lp2 = sandbox_accounts_lifepay(&a, "79990000000");
	assert_true(lp2->cloud);
	assert_string_equal(lp2->tax_system, "osn");
	assert_int_equal(lp2->n_printers, 0);
	assert_null(sandbox_accounts_lifepay(&a, "71111111111"));
	struct sb_paykeeper_acc *pk = sandbox_accounts_paykeeper(&a, "shop");
	assert_string_equal(pk->password, "pw");
	assert_string_equal(pk->secret, "word");
	assert_string_equal(pk->callback_url, "http://127.0.0.1:9/pk");
	sandbox_accounts_free(&a);
}

static void accounts_defaults__match_the_docs(void **state)
{
	(void)state;
	struct sb_accounts a;
	sandbox_accounts_defaults(&a);
	struct sb_lifepay_acc *lp = sandbox_accounts_lifepay(&a, "70000000000");
	assert_non_null(lp);
	assert_string_equal(lp->apikey, "sandbox-apikey");
	assert_true(lp->cloud);
	assert_int_equal(lp->n_printers, 2);
	assert_string_equal(lp->printers[0].serial, "SANDBOX-0001");
	assert_string_equal(lp->printers[1].serial, "SANDBOX-0002");
	struct sb_paykeeper_acc *pk = sandbox_accounts_paykeeper(&a, "sandbox");
	assert_string_equal(pk->password, "sandbox");
	assert_string_equal(pk->secret, "sandbox-secret");
	sandbox_accounts_free(&a);
}

static void accounts_load__names_the_file(void **state)
{
	(void)state;
	struct sb_accounts a;
	struct kerr e = {0};
	assert_int_equal(sandbox_accounts_load("/nonexistent/acc.ini", &a, &e), K_IO);
	assert_non_null(strstr(e.text, "/nonexistent/acc.ini"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accounts_parse__rejects__bad_files),
	    cmocka_unit_test(accounts_parse__reads__every_key),
	    cmocka_unit_test(accounts_defaults__match_the_docs),
	    cmocka_unit_test(accounts_load__names_the_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
