/* Tests for lib/wire/form.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/form.h"

static void form_decode__percent_plus_and_broken_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"a+b", "a b"},  {"%7B%22uuid%22%3A1%7D", "{\"uuid\":1}"},
	    {"%D0%96", "Ж"}, {"100%", "100%"},
	    {"%4", "%4"},    {"%zz", "%zz"},
	    {"", ""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = form_decode(cases[i].in, strlen(cases[i].in), NULL);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void form_get__finds_field__or_null(void **state)
{
	(void)state;
	const char *body = "a=1&data=%7B%22x%22%3A%22y%20z%22%7D&empty=&flag";
	char *v = form_get(body, strlen(body), "data");
	assert_string_equal(v, "{\"x\":\"y z\"}");
	free(v);
	v = form_get(body, strlen(body), "empty");
	assert_string_equal(v, "");
	free(v);
	v = form_get(body, strlen(body), "flag");
	assert_string_equal(v, "");
	free(v);
	assert_null(form_get(body, strlen(body), "missing"));
	assert_null(form_get("", 0, "a"));
}

static void form_add__round_trips_through_parse(void **state)
{
	(void)state;
	char *f = NULL;
	form_add(&f, "cart", "[{\"name\":\"Хлеб & соль\",\"price\":45.50}]");
	form_add(&f, "token", "a+b=c");
	size_t n;
	struct form_pair *p = form_parse(f, strlen(f), &n);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].key, "cart");
	assert_string_equal(p[0].value, "[{\"name\":\"Хлеб & соль\",\"price\":45.50}]");
	assert_string_equal(p[1].value, "a+b=c");
	form_pairs_free(p, n);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(form_decode__percent_plus_and_broken_escapes),
	    cmocka_unit_test(form_get__finds_field__or_null),
	    cmocka_unit_test(form_add__round_trips_through_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
