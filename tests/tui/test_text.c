/* Tests for tui/text.c: widths, fitting Cyrillic into columns, folding. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "text.h"

static void text_width__cyrillic_and_wide__by_columns(void **state)
{
	(void)state;
	assert_int_equal(text_width(""), 0);
	assert_int_equal(text_width("abc"), 3);
	assert_int_equal(text_width("Молоко"), 6);
	assert_int_equal(text_width("«Ёж»…"), 5);
	assert_int_equal(text_width("日本"), 4);
	assert_int_equal(text_width("e\xcc\x81"), 1); /* combining accent */
	assert_int_equal(text_width_n("Молоко", 4), 2);
}

struct fit_case {
	const char *in;
	int width;
	enum text_align align;
	const char *out;
};

static void text_fit__pads_and_cuts__to_exact_columns(void **state)
{
	(void)state;
	static const struct fit_case cases[] = {
	    {"", 0, TEXT_LEFT, ""},
	    {"abc", 0, TEXT_LEFT, ""},
	    {"", 3, TEXT_LEFT, "   "},
	    {"Хлеб", 6, TEXT_LEFT, "Хлеб  "},
	    {"Хлеб", 6, TEXT_RIGHT, "  Хлеб"},
	    {"Хлеб", 7, TEXT_CENTER, " Хлеб  "},
	    {"Хлеб", 4, TEXT_LEFT, "Хлеб"},
	    {"Хлеб белый", 6, TEXT_LEFT, "Хлеб …"},
	    {"Хлеб белый", 1, TEXT_LEFT, "…"},
	    {"日本語", 4, TEXT_LEFT, "日… "}, /* a wide char never straddles the edge */
	    {"1 234,56", 10, TEXT_RIGHT, "  1 234,56"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct fit_case *c = &cases[i];
		char buf[128];
		text_fit(c->in, c->width, c->align, buf, sizeof buf);
		if (strcmp(buf, c->out) != 0)
			fail_msg("'%s' in %d: '%s', want '%s'", c->in, c->width, buf, c->out);
		if (c->width > 0)
			assert_int_equal(text_width(buf), c->width);
	}
}

struct wrap_case {
	const char *in;
	int width;
	const char *line; /* the first line */
	const char *rest; /* where the next starts */
};

static void text_wrap__breaks_at_spaces__within_width(void **state)
{
	(void)state;
	static const struct wrap_case cases[] = {
	    {"", 5, "", ""},
	    {"abc", 5, "abc", ""},
	    {"abc def", 3, "abc", "def"},
	    {"abc def", 4, "abc", "def"},
	    {"abc def", 7, "abc def", ""},
	    {"abc  def ghi", 9, "abc  def", "ghi"},
	    {"abcdefgh ij", 4, "abcd", "efgh ij"}, /* a long word is cut */
	    {"Осталось оплатить 1 520,75", 20, "Осталось оплатить 1", "520,75"},
	    {"abc", 0, "a", "bc"}, /* never stuck: at least one character */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct wrap_case *c = &cases[i];
		size_t next = 99;
		size_t len = text_wrap(c->in, c->width, &next);
		if (len != strlen(c->line) || strncmp(c->in, c->line, len) != 0 ||
		    strcmp(c->in + next, c->rest) != 0)
			fail_msg("'%s' in %d: '%.*s' then '%s', want '%s' then '%s'", c->in,
				 c->width, (int)len, c->in, c->in + next, c->line, c->rest);
	}
}

static void text_fold__case_and_yo__match(void **state)
{
	(void)state;
	char buf[64];
	text_fold("ЁЖИК Ёж ABC", buf, sizeof buf);
	assert_string_equal(buf, "ежик еж abc");
	assert_true(text_contains("Молоко 3,2%", "ЛОКО"));
	assert_false(text_contains("Молоко", "кефир"));
	assert_true(text_starts_with("Мёд", "мед"));
	assert_false(text_starts_with("Мёд", "ед"));
	assert_true(text_equal("Ёжик", "ежик"));
	assert_false(text_equal("Ёжик", "ежики"));
}

int main(void)
{
	setlocale(LC_ALL, "");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(text_width__cyrillic_and_wide__by_columns),
	    cmocka_unit_test(text_fit__pads_and_cuts__to_exact_columns),
	    cmocka_unit_test(text_wrap__breaks_at_spaces__within_width),
	    cmocka_unit_test(text_fold__case_and_yo__match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
