/* cli/cli_exit.c: one exit status per cause (issue 11, finding 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cli.h"

static void cli_exit_for__every_journal_failure__is_4(void **state)
{
	(void)state;
	static const struct {
		kstatus st;
		const char *field;
		int fallback, want;
	} cases[] = {
	    /* db_error(): SQLITE_FULL is K_IO with field "journal" (a full disk gave 2) */
	    {K_IO, "journal", CLI_USAGE, CLI_JOURNAL},
	    /* outbox_new() failing on the journal (a read-only -shm gave 3) */
	    {K_IO, "journal", CLI_CONFIG, CLI_JOURNAL},
	    {K_BUSY, "journal", CLI_USAGE, CLI_JOURNAL},
	    {K_DB, "", CLI_USAGE, CLI_JOURNAL},
	    {K_BUSY, "", CLI_CONFIG, CLI_JOURNAL},
	    /* not the journal's: the caller's status stands */
	    {K_INVALID, "purchase.products[0].price", CLI_USAGE, CLI_USAGE},
	    {K_IO, "listen", CLI_CONFIG, CLI_CONFIG},
	    {K_REFUSED, "ref_uuid", CLI_USAGE, CLI_USAGE},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kerr e = {0};
		kerr_set(&e, cases[i].st, cases[i].field, "x");
		assert_int_equal(cli_exit_for(cases[i].st, &e, cases[i].fallback), cases[i].want);
	}
	assert_int_equal(cli_exit_for(K_INVALID, NULL, CLI_USAGE), CLI_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(cli_exit_for__every_journal_failure__is_4),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
