/* Tests for the one UTF-8 decoder and its neighbours in lib/util.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

/* Sequences the decoder refuses: length 0, *cp untouched. */
static void utf8_decode__invalid_overlong_truncated__refused(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n;
		const char *why;
	} cases[] = {
	    {"", 0, "nothing to read"},
	    {"\x80", 1, "a continuation byte as lead"},
	    {"\xbf", 1, "a continuation byte as lead"},
	    {"\xf8\x88\x80\x80\x80", 5, "a five-byte lead"},
	    {"\xfe", 1, "never in UTF-8"},
	    {"\xff", 1, "never in UTF-8"},
	    {"\xc0\xaf", 2, "overlong '/'"},
	    {"\xc1\xbf", 2, "overlong U+007F"},
	    {"\xe0\x80\xaf", 3, "overlong '/' in three bytes"},
	    {"\xe0\x9f\xbf", 3, "overlong U+07FF"},
	    {"\xf0\x80\x80\xaf", 4, "overlong '/' in four bytes"},
	    {"\xf0\x8f\xbf\xbf", 4, "overlong U+FFFF"},
	    {"\xed\xa0\x80", 3, "surrogate U+D800"},
	    {"\xed\xbf\xbf", 3, "surrogate U+DFFF"},
	    {"\xf4\x90\x80\x80", 4, "above U+10FFFF"},
	    {"\xf5\x80\x80\x80", 4, "above U+10FFFF"},
	    {"\xd0", 1, "truncated: two-byte lead alone"},
	    {"\xd0\x96", 1, "truncated by n"},
	    {"\xe2\x82", 2, "truncated three-byte"},
	    {"\xe2\x82\xac", 2, "truncated by n"},
	    {"\xf0\x9f\x98", 3, "truncated four-byte"},
	    {"\xd0\x41", 2, "continuation byte missing"},
	    {"\xe2\x41\xac", 3, "continuation byte missing"},
	    {"\xd0", SIZE_MAX, "cut by the NUL terminator"},
	    {"\xe2\x82", SIZE_MAX, "cut by the NUL terminator"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t cp = 0x12345;
		size_t len = utf8_decode(cases[i].bytes, cases[i].n, &cp);
		if (len != 0)
			print_message("case %zu (%s): got length %zu\n", i, cases[i].why, len);
		assert_int_equal(len, 0);
		assert_int_equal(cp, 0x12345);
	}
}

static void utf8_decode__valid__length_and_code_point(void **state)
{
	(void)state;
	static const struct {
		const char *bytes;
		size_t n;
		size_t len;
		uint32_t cp;
	} cases[] = {
	    {"A", 1, 1, 'A'},
	    {"", SIZE_MAX, 1, 0}, /* the terminator itself */
	    {"\x7f", 1, 1, 0x7f},
	    {"\xc2\x80", 2, 2, 0x80}, /* smallest two-byte */
	    {"Ж", 2, 2, 0x416},
	    {"Жx", SIZE_MAX, 2, 0x416},	   /* reads only its own bytes */
	    {"\xdf\xbf", 2, 2, 0x7ff},	   /* largest two-byte */
	    {"\xe0\xa0\x80", 3, 3, 0x800}, /* smallest three-byte */
	    {"€", 3, 3, 0x20ac},
	    {"\xed\x9f\xbf", 3, 3, 0xd7ff}, /* just below the surrogates */
	    {"\xee\x80\x80", 3, 3, 0xe000}, /* just above */
	    {"\xef\xbb\xbf", 3, 3, 0xfeff}, /* BOM */
	    {"\xef\xbf\xbf", 3, 3, 0xffff},
	    {"\xf0\x90\x80\x80", 4, 4, 0x10000},
	    {"😀", 4, 4, 0x1f600},
	    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint32_t cp = 0;
		assert_int_equal(utf8_decode(cases[i].bytes, cases[i].n, &cp), cases[i].len);
		assert_int_equal(cp, cases[i].cp);
	}
}

/* Every code point encodes and decodes back; surrogates are refused after encoding. */
static void utf8_encode__every_code_point__decodes_back(void **state)
{
	(void)state;
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		char buf[4];
		size_t n = utf8_encode(cp, buf);
		size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		assert_int_equal(n, want);
		uint32_t back = 0xffffffff;
		size_t len = utf8_decode(buf, n, &back);
		if (cp >= 0xd800 && cp <= 0xdfff) {
			assert_int_equal(len, 0);
			continue;
		}
		assert_int_equal(len, n);
		assert_int_equal(back, cp);
		assert_true(utf8_valid(buf, n));
	}
}

static void utf8_valid__whole_text__same_rules_as_the_decoder(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 0));
	assert_true(utf8_valid("Молоко 3,2% — 1 л €", strlen("Молоко 3,2% — 1 л €")));
	assert_true(utf8_valid("a\0b", 3));			      /* NUL is a character */
	assert_false(utf8_valid("Молоко\xd0", strlen("Молоко") + 1)); /* truncated at the end */
	assert_false(utf8_valid("ab\xc0\xaf", 4));		      /* overlong */
	assert_false(utf8_valid("\xed\xa0\x80", 3));		      /* surrogate */
	assert_false(utf8_valid("Жx", 1));			      /* cut inside Ж */
	assert_true(utf8_valid("Жx", 2));
	assert_int_equal(utf8_chars("Ёжик €"), 6);
}

static void utf8_find_control__invisible_and_invalid__first_control(void **state)
{
	(void)state;
	assert_int_equal(utf8_find_control("Молоко"), 0);
	assert_int_equal(utf8_find_control("a\tb"), '\t');
	assert_int_equal(utf8_find_control("price\xe2\x80\xae"
					   "01"),
			 0x202e);			       /* RLO */
	assert_int_equal(utf8_find_control("\xc2\xad"), 0xad); /* soft hyphen */
	/* invalid bytes are skipped, not read as a control */
	assert_int_equal(utf8_find_control("\xc0\x80x"), 0);
	assert_int_equal(utf8_find_control("\xd0"), 0);
	assert_int_equal(utf8_find_control("\xff\x1b"), 0x1b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(utf8_decode__invalid_overlong_truncated__refused),
	    cmocka_unit_test(utf8_decode__valid__length_and_code_point),
	    cmocka_unit_test(utf8_encode__every_code_point__decodes_back),
	    cmocka_unit_test(utf8_valid__whole_text__same_rules_as_the_decoder),
	    cmocka_unit_test(utf8_find_control__invisible_and_invalid__first_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
