/* Marking codes on screen and paper (lib/marking.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "marking.h"

static void marking_display__table(void **state)
{
	(void)state;
	static const struct {
		const char *code;
		int cols;
		const char *want;
	} cases[] = {
	    {"", 10, ""},
	    {"0104600266011725", 0, "0104600266011725"},
	    {"0104600266011725", 16, "0104600266011725"},
	    /* GS shows as its symbol and counts one column */
	    {"0104\x1d"
	     "91EE",
	     0,
	     "0104\xe2\x90\x9d"
	     "91EE"},
	    /* too wide: two thirds of the room from the start, "…", the rest from the end */
	    {"0123456789ABCDEFGHIJ", 10, "012345\xe2\x80\xa6HIJ"},
	    {"0123456789", 1,
	     "\xe2\x80\xa6"
	     "9"},
	    /* control and non-ASCII bytes never reach the screen */
	    {"01\x1b[2J", 0, "01?[2J"},
	    {"01\xd0\x96", 0, "01??"},
	};
	char out[256];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		marking_display(cases[i].code, cases[i].cols, out, sizeof out);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, cases[i].want);
	}
	/* a tiny buffer is cut, never overrun */
	char small[4];
	marking_display("0123456789", 0, small, sizeof small);
	assert_string_equal(small, "012");
}

static void marking_object_text__names_the_marked_types(void **state)
{
	(void)state;
	char t[128];
	marking_object_text(33, t, sizeof t);
	assert_string_equal(t, "marked goods with a code (33)");
	marking_object_text(31, t, sizeof t);
	assert_string_equal(t, "marked excise goods with a code (31)");
	marking_object_text(7, t, sizeof t);
	assert_string_equal(t, "item type (7)");
	struct basket_line l;
	basket_line_init(&l);
	assert_false(marking_line_is_marked(&l));
	l.object = 32;
	assert_true(marking_line_is_marked(&l));
	l.object = 0;
	l.marking[0] = '0';
	assert_true(marking_line_is_marked(&l));
	assert_int_equal(marking_line_object(&l), 33);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(marking_display__table),
	    cmocka_unit_test(marking_object_text__names_the_marked_types),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
