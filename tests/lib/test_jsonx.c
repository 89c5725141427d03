/* Tests for lib/jsonx.c: JSON numbers from outside never become doubles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonx.h"

static void jsonx_loads__fractions_stay_exact(void **state)
{
	(void)state;
	const char *text = "{\"price\": 20730.10, \"q\": 0.455, \"n\": 3, \"s\": \"1,50\","
			   " \"big\": 0.1000000000000000055511151231257827, \"e\": 1e3,"
			   " \"str\": \"a\\\"b 1.5\"}";
	struct kerr err = {0};
	json_t *root = jsonx_loads(text, strlen(text), &err);
	assert_non_null(root);
	int64_t v;
	assert_int_equal(jsonx_money(json_object_get(root, "price"), &v, "price", &err), K_OK);
	assert_int_equal(v, 2073010);
	assert_int_equal(jsonx_qty(json_object_get(root, "q"), &v, "quantity", &err), K_OK);
	assert_int_equal(v, 455);
	assert_int_equal(jsonx_money(json_object_get(root, "n"), &v, "n", &err), K_OK);
	assert_int_equal(v, 300);
	assert_int_equal(jsonx_money(json_object_get(root, "s"), &v, "s", &err), K_OK);
	assert_int_equal(v, 150);
	assert_int_equal(jsonx_money(json_object_get(root, "big"), &v, "big", &err), K_INVALID);
	assert_int_equal(jsonx_money(json_object_get(root, "e"), &v, "e", &err), K_INVALID);
	assert_non_null(strstr(err.text, "exponent"));
	assert_string_equal(json_string_value(json_object_get(root, "str")), "a\"b 1.5");
	assert_int_equal(jsonx_money(json_object_get(root, "missing"), &v, "missing", &err),
			 K_INVALID);
	assert_int_equal(jsonx_money(json_object_get(root, "str"), &v, "str", &err), K_INVALID);
	json_decref(root);
}

static void jsonx_loads__rejects_duplicates_and_garbage(void **state)
{
	(void)state;
	struct kerr err = {0};
	const char *dup = "{\"a\": 1, \"a\": 2}";
	assert_null(jsonx_loads(dup, strlen(dup), &err));
	assert_non_null(strstr(err.text, "line 1"));
	assert_null(jsonx_loads("{", 1, &err));
	assert_null(jsonx_loads("", 0, &err));
	const char *neg = "[-1.5, -2]";
	json_t *r = jsonx_loads(neg, strlen(neg), &err);
	assert_non_null(r);
	int64_t v;
	assert_int_equal(jsonx_money(json_array_get(r, 0), &v, "x", &err), K_INVALID);
	assert_int_equal(jsonx_money(json_array_get(r, 1), &v, "x", &err), K_INVALID);
	json_decref(r);
}

/* Issue 11: "-0" was taken as 0 while "-0.0" was refused; both keep their sign now. */
static void jsonx_money__refuses__minus_zero_like_minus_zero_point_zero(void **state)
{
	(void)state;
	struct kerr err = {0};
	const char *text = "{\"a\": -0, \"b\": -0.0, \"c\": 0, \"q\": -0}";
	json_t *r = jsonx_loads(text, strlen(text), &err);
	assert_non_null(r);
	int64_t v = 1;
	assert_int_equal(jsonx_money(json_object_get(r, "a"), &v, "price", &err), K_INVALID);
	assert_string_equal(err.field, "price");
	assert_non_null(strstr(err.text, "sign"));
	assert_int_equal(jsonx_money(json_object_get(r, "b"), &v, "price", &err), K_INVALID);
	assert_int_equal(jsonx_qty(json_object_get(r, "q"), &v, "quantity", &err), K_INVALID);
	assert_int_equal(jsonx_money(json_object_get(r, "c"), &v, "price", &err), K_OK);
	assert_int_equal(v, 0);
	json_decref(r);
}

static void jsonx_dumps__prints_exact_decimals(void **state)
{
	(void)state;
	json_t *o = json_object();
	json_object_set_new(o, "price", jsonx_money_number(2073000));
	json_object_set_new(o, "quantity", jsonx_qty_number(455));
	json_object_set_new(o, "name", json_string("Монитор"));
	char *s = jsonx_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	assert_string_equal(s, "{\"name\":\"\\u041C\\u043E\\u043D\\u0438\\u0442\\u043E\\u0440\","
			       "\"price\":20730.00,\"quantity\":0.455}");
	free(s);
	s = jsonx_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"name\":\"Монитор\",\"price\":20730.00,\"quantity\":0.455}");
	/* what we print we read back exactly */
	json_t *back = jsonx_loads(s, strlen(s), NULL);
	int64_t v;
	assert_int_equal(jsonx_money(json_object_get(back, "price"), &v, "price", NULL), K_OK);
	assert_int_equal(v, 2073000);
	free(s);
	json_decref(back);
	json_decref(o);
}

/* Every dump must read back as JSON with the same strings. */
static void assert_round_trip(json_t *o, const char *key, const char *want)
{
	char *s = jsonx_dumps(o, JSON_COMPACT);
	assert_non_null(s);
	json_error_t je;
	json_t *back = json_loads(s, 0, &je);
	if (!back)
		fail_msg("not JSON: %s (%s)", s, je.text);
	if (key)
		assert_string_equal(json_string_value(json_object_get(back, key)), want);
	json_decref(back);
	free(s);
}

/* jsonx's private marker, as a hostile or careless text might carry it */
#define MARK "\001\002\003"

static void jsonx_dumps__marker_inside_text__stays_a_string(void **state)
{
	(void)state;
	/* an escaped quote right before the marker, the string ending after the digits */
	const char *tricky = "x\"" MARK "1.5";
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(tricky));
	assert_round_trip(o, "name", tricky);
	json_decref(o);
	/* marked text that is not a number is not unwrapped into bare words */
	static const char *const not_numbers[] = {MARK "-",	MARK "e",  MARK "1.",
						  MARK "1.2.3", MARK "+1", MARK ".5"};
	for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++) {
		o = json_object();
		json_object_set_new(o, "v", json_string(not_numbers[i]));
		assert_round_trip(o, "v", not_numbers[i]);
		json_decref(o);
	}
	/* a key that looks marked stays a key */
	o = json_object();
	json_object_set_new(o, MARK "12", json_string("k"));
	assert_round_trip(o, MARK "12", "k");
	char *s = jsonx_dumps(o, JSON_INDENT(2));
	json_t *back = json_loads(s, 0, NULL);
	assert_non_null(back);
	json_decref(back);
	free(s);
	json_decref(o);
	/* the real thing is still unwrapped, next to such strings */
	o = json_object();
	json_object_set_new(o, "a", json_string(tricky));
	json_object_set_new(o, "price", jsonx_money_number(150));
	s = jsonx_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"a\":\"x\\\"\\u0001\\u0002\\u00031.5\",\"price\":1.50}");
	free(s);
	json_decref(o);
}

static void jsonx_loads__malformed_number__refused(void **state)
{
	(void)state;
	static const char *const bad[] = {"[1.2.3]", "[1.]",   "[1e]",		"[1e+]",
					  "[-.5]",   "[01.5]", "{\"a\": 1..2}", "[1.5e5.5]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct kerr err = {0};
		json_t *r = jsonx_loads(bad[i], strlen(bad[i]), &err);
		if (r)
			fail_msg("accepted %s", bad[i]);
		assert_true(err.text[0] != '\0');
	}
	const char *good = "[1.5, -0.25, 2e3, 1E-2, 0.0]";
	json_t *r = jsonx_loads(good, strlen(good), NULL);
	assert_non_null(r);
	assert_string_equal(jsonx_number_text(json_array_get(r, 3)), "1E-2");
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(jsonx_loads__fractions_stay_exact),
	    cmocka_unit_test(jsonx_loads__rejects_duplicates_and_garbage),
	    cmocka_unit_test(jsonx_money__refuses__minus_zero_like_minus_zero_point_zero),
	    cmocka_unit_test(jsonx_dumps__prints_exact_decimals),
	    cmocka_unit_test(jsonx_dumps__marker_inside_text__stays_a_string),
	    cmocka_unit_test(jsonx_loads__malformed_number__refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
