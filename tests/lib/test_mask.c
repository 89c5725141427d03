/* Tests for lib/mask.c: no secret reaches the screen, whatever the body looks like. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"

static char *mask(const char *s)
{
	return mask_body(s, strlen(s));
}

static void mask_key_is_secret__table(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		bool secret;
	} cases[] = {
	    {"", false},	 {"apikey", true},	  {"APIKEY", true}, {"api_key", true},
	    {"x-api-key", true}, {"password", true},	  {"secret", true}, {"secret_word", true},
	    {"token", true},	 {"access_token", true},  {"key", true},    {"sign", true},
	    {"signature", true}, {"Authorization", true}, {"login", false}, {"ext_id", false},
	    {"monkey", false},	 {"design", false},	  {"uuid", false},  {"callback_url", false},
	    {"name", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (mask_key_is_secret(cases[i].key) != cases[i].secret)
			fail_msg("key '%s': expected %d", cases[i].key, cases[i].secret);
	}
	assert_false(mask_key_is_secret(NULL));
}

static void mask_body__json__masks_secret_values_at_any_depth(void **state)
{
	(void)state;
	char *out = mask("{\"apikey\":\"s3cr3t-AAA\",\"login\":\"79991234567\","
			 "\"purchase\":{\"products\":[{\"name\":\"Хлеб\",\"price\":45.50,"
			 "\"token\":\"TTT\"}]},\"password\":\"\"}");
	assert_null(strstr(out, "s3cr3t-AAA"));
	assert_null(strstr(out, "TTT"));
	assert_non_null(strstr(out, "\"apikey\": \"" MASK_TEXT "\""));
	assert_non_null(strstr(out, "79991234567"));	    /* not a secret */
	assert_non_null(strstr(out, "Хлеб"));		    /* Cyrillic kept readable */
	assert_non_null(strstr(out, "45.50"));		    /* exact decimal kept */
	assert_non_null(strstr(out, "\"password\": \"\"")); /* empty stays empty */
	assert_non_null(strchr(out, '\n'));		    /* indented */
	free(out);
}

static void mask_body__callback_url__masks_the_token(void **state)
{
	(void)state;
	char *out = mask("{\"callback_url\":\"http://127.0.0.1:8081/cb/"
			 "0123456789abcdef0123456789abcdef\"}");
	assert_null(strstr(out, "0123456789abcdef"));
	assert_non_null(strstr(out, "http://127.0.0.1:8081/cb/" MASK_TEXT "\""));
	free(out);
	out = mask("{\"callback_url\":\"https://shop.example/cb/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
		   "paykeeper\"}");
	assert_non_null(strstr(out, "/cb/" MASK_TEXT "/paykeeper"));
	free(out);
}

static void mask_body__form__one_field_a_line_key_masked(void **state)
{
	(void)state;
	char *out = mask("id=42&sum=100.00&orderid=abc&key=d41d8cd98f00b204e9800998ecf8427e&"
			 "clientid=%D0%98%D0%B2%D0%B0%D0%BD");
	assert_null(strstr(out, "d41d8cd98f00b204e9800998ecf8427e"));
	assert_non_null(strstr(out, "key = " MASK_TEXT "\n"));
	assert_non_null(strstr(out, "sum = 100.00\n"));
	assert_non_null(strstr(out, "clientid = Иван\n"));
	free(out);
}

static void mask_body__form_with_json_field__json_indented_and_masked(void **state)
{
	(void)state;
	char *out = mask("data=%7B%22uuid%22%3A%22u-1%22%2C%22apikey%22%3A%22LEAK%22%2C"
			 "%22amount%22%3A12.50%7D");
	assert_null(strstr(out, "LEAK"));
	assert_non_null(strstr(out, "data = {\n"));
	assert_non_null(strstr(out, "\"uuid\": \"u-1\""));
	assert_non_null(strstr(out, "\"amount\": 12.50"));
	free(out);
}

static void mask_body__broken_json__still_masked_as_text(void **state)
{
	(void)state;
	char *out = mask("{\"apikey\": \"LEAKED\", \"login\": \"7999\"");
	assert_null(strstr(out, "LEAKED"));
	assert_non_null(strstr(out, "7999"));
	free(out);
	out = mask("error: password=hunter2 token: abc123 plain text");
	assert_null(strstr(out, "hunter2"));
	assert_null(strstr(out, "abc123"));
	assert_non_null(strstr(out, "plain text"));
	free(out);
}

static void mask_body__empty_and_null__give_empty_text(void **state)
{
	(void)state;
	char *out = mask_body(NULL, 0);
	assert_string_equal(out, "");
	free(out);
	out = mask("");
	assert_string_equal(out, "");
	free(out);
}

static void mask_callback_token__short_and_repeated(void **state)
{
	(void)state;
	char s[128] = "a/cb/xy b/cb/ c/cb/0123456789abcdef0123456789abcdef?x=1";
	mask_callback_token(s);
	assert_string_equal(s, "a/cb/** b/cb/ c/cb/" MASK_TEXT "?x=1");
	/* Idempotent. */
	mask_callback_token(s);
	assert_string_equal(s, "a/cb/** b/cb/ c/cb/" MASK_TEXT "?x=1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(mask_key_is_secret__table),
	    cmocka_unit_test(mask_body__json__masks_secret_values_at_any_depth),
	    cmocka_unit_test(mask_body__callback_url__masks_the_token),
	    cmocka_unit_test(mask_body__form__one_field_a_line_key_masked),
	    cmocka_unit_test(mask_body__form_with_json_field__json_indented_and_masked),
	    cmocka_unit_test(mask_body__broken_json__still_masked_as_text),
	    cmocka_unit_test(mask_body__empty_and_null__give_empty_text),
	    cmocka_unit_test(mask_callback_token__short_and_repeated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
