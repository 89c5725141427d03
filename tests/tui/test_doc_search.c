/* Tests for tui/doc_search.c: amounts as written or shown, and words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "doc_search.h"

static void doc_search_matches__amounts_and_words__table(void **state)
{
	(void)state;
	static const struct doc_search_row sale = {"receipt", "payment", 53580, 0, 53580};
	static const struct doc_search_row big = {"receipt", "payment", 200000, 200000, 0};
	static const struct doc_search_row refund = {"receipt", "refund", 5490, 0, 5490};
	static const struct doc_search_row cash_in = {"cash-in", "", 150050, 0, 0};
	static const struct {
		const char *text;
		const struct doc_search_row *row;
		bool want;
	} cases[] = {
	    {"535", &sale, true},	  {"535.8", &sale, true},    {"535,80", &sale, true},
	    {"535.81", &sale, false},	  {"53", &sale, false},	     {"5358", &sale, false},
	    {"2,000.00", &big, true},	  {"2 000,00", &big, true},  {"2\u00a0000,00", &big, true},
	    {"2000", &big, true},	  {"2 000", &big, true},     {"20", &big, false},
	    {"1,500.50", &cash_in, true}, {"refund", &refund, true}, {"ВОЗВРАТ", &refund, true},
	    {"refund", &sale, false},	  {"cash", &sale, true},     {"наличные", &refund, true},
	    {"cash", &big, false},	  {"card", &big, true},	     {"карта", &big, true},
	    {"card", &sale, false},	  {"cash", &cash_in, true},  {"cash in", &cash_in, true},
	    {"sale", &sale, true},	  {"re", &refund, false},    {"", &sale, true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (doc_search_matches(cases[i].text, cases[i].row) != cases[i].want)
			fail_msg("case %zu '%s': want %d", i, cases[i].text, cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(doc_search_matches__amounts_and_words__table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
