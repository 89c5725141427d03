/* Tests for lib/errors.c: every provider code of the seeds has words and a next step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "errors.h"
#include "util.h"

/* Every code the seeds name: cloud-print pages, API overview, catalog import. */
static const int seed_codes[] = {400, 500,  6000, 6009, 6010, 6080, 6095, 3896, 3975,
				 429, 6050, 6051, 6052, 6053, 6054, 6055, 6056};
#define N_SEED (sizeof seed_codes / sizeof seed_codes[0])

static bool has_cyrillic(const char *s)
{
	/* Cyrillic letters are U+0400..U+04FF: lead bytes 0xD0..0xD3 */
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xD0 && *p <= 0xD3)
			return true;
	return false;
}

static void errors_lookup__knows_every_seed_code(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SEED; i++) {
		const struct provider_error *e = errors_lookup(seed_codes[i]);
		if (!e)
			fail_msg("code %d is missing from the table", seed_codes[i]);
		assert_int_equal(e->code, seed_codes[i]);
		assert_true(strlen(e->en) > 5);
		assert_true(strlen(e->next_en) > 10);
		assert_true(has_cyrillic(e->ru));
		assert_true(has_cyrillic(e->next_ru));
		assert_true(utf8_valid(e->ru, strlen(e->ru)));
		assert_true(utf8_valid(e->next_ru, strlen(e->next_ru)));
		assert_false(has_cyrillic(e->en));
		assert_false(has_cyrillic(e->next_en));
	}
	assert_int_equal(errors_count(), N_SEED);
}

static void errors_table__codes_are_unique(void **state)
{
	(void)state;
	for (size_t i = 0; i < errors_count(); i++)
		for (size_t j = i + 1; j < errors_count(); j++)
			assert_int_not_equal(errors_at(i)->code, errors_at(j)->code);
	assert_null(errors_at(errors_count()));
}

static void errors_lookup__unknown_and_ok_codes__null(void **state)
{
	(void)state;
	static const int unknown[] = {0, -1, 1, 401, 6001, 6057, 99999};
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
		assert_null(errors_lookup(unknown[i]));
}

static void errors_lookup__actors_and_retry(void **state)
{
	(void)state;
	assert_int_equal(errors_lookup(3896)->actor, ERR_ACTOR_CASHIER);
	assert_int_equal(errors_lookup(400)->actor, ERR_ACTOR_CASHIER);
	assert_int_equal(errors_lookup(6010)->actor, ERR_ACTOR_SUPPORT);
	assert_int_equal(errors_lookup(429)->actor, ERR_ACTOR_WAIT);
	assert_true(errors_lookup(429)->retry_later);
	assert_true(errors_lookup(500)->retry_later);
	assert_false(errors_lookup(400)->retry_later);
	assert_false(errors_lookup(3896)->retry_later);
}

struct describe_case {
	int code;
	const char *provider;
	bool russian;
	const char *want;
};

static void errors_describe__known_and_unknown__table(void **state)
{
	(void)state;
	static const struct describe_case cases[] = {
	    {6010, NULL, false, "6010: the login and the API key do not match"},
	    {6010, "", true, "6010: не удалось найти пользователя по логину и API-ключу"},
	    {3896, NULL, true, "3896: сумма безналичных оплат превышает сумму чека"},
	    {6056, "Error on save product with id = '2'", false,
	     "6056: catalog import: a product could not be saved (LifePay: Error on save product "
	     "with id = '2')"},
	    {400, "Ошибка данных.", true,
	     "400: ошибка данных: провайдер отклонил одно или несколько полей (LifePay: Ошибка "
	     "данных.)"},
	    {7777, "Something odd", false, "code 7777: Something odd"},
	    {7777, "Что-то странное", true, "код 7777: Что-то странное"},
	    {7777, NULL, false, "code 7777: unknown provider error"},
	    {7777, "   ", true, "код 7777: неизвестная ошибка провайдера"},
	    /* control characters from the provider never reach the screen */
	    {7777, "bad\n\x1b[2Jtext", false, "code 7777: bad  [2Jtext"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[512];
		errors_describe(cases[i].code, cases[i].provider, cases[i].russian, buf,
				sizeof buf);
		assert_string_equal(buf, cases[i].want);
	}
}

static void errors_describe__small_buffer__cut_between_characters(void **state)
{
	(void)state;
	char buf[12];
	errors_describe(6010, NULL, true, buf, sizeof buf);
	assert_true(strlen(buf) < sizeof buf);
	/* snprintf may cut a Russian letter; the text stays a prefix of the full one */
	char full[256];
	errors_describe(6010, NULL, true, full, sizeof full);
	assert_memory_equal(buf, full, strlen(buf));

	/* a very long provider message is cut at a character, never mid-letter */
	char longmsg[1200];
	size_t o = 0;
	while (o + 2 < sizeof longmsg) {
		memcpy(longmsg + o, "Ж", 2);
		o += 2;
	}
	longmsg[o] = '\0';
	char out[1024];
	errors_describe(9999, longmsg, false, out, sizeof out);
	assert_true(utf8_valid(out, strlen(out)));
}

static void errors_next_step__every_code_and_unknown(void **state)
{
	(void)state;
	char buf[512];
	errors_next_step(6010, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "API key"));
	errors_next_step(6010, true, buf, sizeof buf);
	assert_non_null(strstr(buf, "API-ключ"));
	errors_next_step(3896, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "#"));
	errors_next_step(429, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "3 requests a minute"));
	errors_next_step(31337, false, buf, sizeof buf);
	assert_non_null(strstr(buf, "LifePay support"));
	errors_next_step(31337, true, buf, sizeof buf);
	assert_non_null(strstr(buf, "поддержку LifePay"));
	for (size_t i = 0; i < N_SEED; i++) {
		errors_next_step(seed_codes[i], true, buf, sizeof buf);
		assert_string_equal(buf, errors_lookup(seed_codes[i])->next_ru);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(errors_lookup__unknown_and_ok_codes__null),
	    cmocka_unit_test(errors_lookup__knows_every_seed_code),
	    cmocka_unit_test(errors_table__codes_are_unique),
	    cmocka_unit_test(errors_lookup__actors_and_retry),
	    cmocka_unit_test(errors_describe__known_and_unknown__table),
	    cmocka_unit_test(errors_describe__small_buffer__cut_between_characters),
	    cmocka_unit_test(errors_next_step__every_code_and_unknown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
