/*
 * The command line of the delivery engine (issue 4): sending documents,
 * shift commands and looking into the journal and the outbox, for support
 * staff and scripts. Each handler takes argv[0] = its subcommand's name and
 * returns an enum cli_exit (cli/cli.h): 0 ok, 1 provider or delivery
 * failure, 2 bad input or usage, 3 configuration error, 4 journal error.
 *
 * Every command takes --profile NAME and --training; without a configuration
 * file a command exits 3 naming the path it looked for: only --training
 * trains (against the built-in sandbox, started in-process).
 */
#ifndef KASSA_CLI_ENGINE_H
#define KASSA_CLI_ENGINE_H

#include "i18n.h"

/* kassa receipt FILE [--non-fiscal] [--wait] [--timeout S]: sends a receipt (no --dry-run). */
int cli_engine_receipt(int argc, char **argv);
/* kassa open-shift [--wait]: opens the shift (LifePay create-session). */
int cli_engine_open_shift(int argc, char **argv);
/* kassa x-report [--wait]: an X-report of the open shift. */
int cli_engine_x_report(int argc, char **argv);
/* kassa z-report [--wait]: closes the shift. */
int cli_engine_z_report(int argc, char **argv);
/* kassa cash-in AMOUNT [--wait]: cash put into the drawer. */
int cli_engine_cash_in(int argc, char **argv);
/* kassa cash-out AMOUNT [--wait]: cash taken out of the drawer. */
int cli_engine_cash_out(int argc, char **argv);
/* kassa status ID: one document with its status history and delivery attempts. */
int cli_engine_status(int argc, char **argv);
/* kassa journal [--json] [--limit N]: the documents, newest first; `check`, `backup PATH`. */
int cli_engine_journal(int argc, char **argv);
/*
 * kassa journal check | backup PATH on the journal at path (cli/cli_journal.c):
 * a full integrity check (exit 4 when damaged) or an online backup.
 */
int cli_journal_tool(const char *cmd, const char *path, int npos, const char *const *pos);
/* kassa outbox [--flush]: what waits to be delivered and why; --flush sends it now. */
int cli_engine_outbox(int argc, char **argv);
/* kassa check-account: a test-mode request checking login, apikey and cloud fiscalization. */
int cli_engine_check_account(int argc, char **argv);

/* The rows of cli/cli.c's table for these commands (receipt is cli_receipt's). */
// clang-format off
#define CLI_ENGINE_COMMANDS \
	{"open-shift", cli_engine_open_shift, N_("[--wait] [--timeout S]"),\
	 N_("open the shift")}, \
	{"x-report", cli_engine_x_report, N_("[--wait] [--timeout S]"),\
	 N_("print an X-report of the open shift")}, \
	{"z-report", cli_engine_z_report, N_("[--wait] [--timeout S]"),\
	 N_("close the shift (Z-report)")}, \
	{"cash-in", cli_engine_cash_in, N_("AMOUNT [--wait] [--timeout S]"),\
	 N_("put cash into the drawer")}, \
	{"cash-out", cli_engine_cash_out, N_("AMOUNT [--wait] [--timeout S]"),\
	 N_("take cash out of the drawer")}, \
	{"status", cli_engine_status, N_("ID"),\
	 N_("one document (local id, ext_id or uuid) with its history")}, \
	{"journal", cli_engine_journal, N_("[--json] | check | backup PATH"),\
	 N_("list the documents; check the journal; back it up")}, \
	{"outbox", cli_engine_outbox, N_("[--flush] [--timeout S]"),\
	 N_("what waits to be delivered and why; --flush sends it now")}, \
	{"check-account", cli_engine_check_account, N_("[--timeout S]"),\
	 N_("check login, apikey and cloud fiscalization with a test request")}
// clang-format on

#endif
