/*
 * What the delivery engine's subcommands share (cli/cli_session.c): their
 * options, the session (config, profile, journal, loop, outbox), the printing
 * of documents and sending one document and waiting for it.
 */
#ifndef KASSA_CLI_SESSION_H
#define KASSA_CLI_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "document.h"
#include "i18n.h"
#include "journal.h"
#include "startup.h"
#include "training.h"

#define RECEIPT_INPUT_MAX (1024 * 1024)
#define SEND_TIMEOUT_S 45
#define WAIT_TIMEOUT_S 120
#define FLUSH_TIMEOUT_S 60

/* Which options a command takes. */
enum {
	O_WAIT = 1 << 0,
	O_TIMEOUT = 1 << 1,
	O_NONFISCAL = 1 << 2,
	O_JSON = 1 << 3,
	O_LIMIT = 1 << 4,
	O_FLUSH = 1 << 5,
	O_KIND = 1 << 6,
	O_ALLOW_LARGE = 1 << 7, /* amounts above the profile's max_receipt */
	O_NO_ORIGINAL = 1 << 8, /* a refund that cites no original sale */
};

struct opts {
	const char *cmd;
	const char *profile;
	bool training;
	bool wait, non_fiscal, json, flush, verbose, help;
	bool allow_large, no_original;
	bool kind_set;
	enum doc_kind kind;
	long timeout_s; /* 0 = the command's default */
	long limit;
	const char *pos[2];
	int npos;
};

struct session {
	const struct opts *o;
	struct startup run; /* config, profile, journal, outbox, relay (lib/startup.h) */
	struct startup_options so;
	struct loop *loop;
	volatile bool interrupted;
};

/* Prints "kassa CMD: TEXT" and a pointer to --help; returns CLI_USAGE. */
int cli_usage_error(const struct opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* True when a is the option name, alone or as "name=VALUE". */
bool cli_opt_is(const char *a, const char *name);
/* Reads argv (argv[0] = the subcommand) with the options allowed (O_*) and up to max_pos words. */
int cli_parse_opts(int argc, char **argv, unsigned allowed, int max_pos, struct opts *o);
/*
 * Opens the session; engine: the command sends (loop, sandbox in training, outbox);
 * need_journal: false only for check-account. Returns CLI_OK or the exit status, printed.
 */
int cli_session_open(struct session *s, const struct opts *o, bool engine, bool need_journal);
void cli_session_close(struct session *s);
/* Runs the loop until done() says so, the time is up or Ctrl-C; true when done. */
bool cli_session_run_until(struct session *s, bool (*done)(struct session *, void *), void *cls,
			   long timeout_s);
/* Local time "YYYY-MM-DD HH:MM:SS" of a millisecond timestamp. */
void cli_fmt_time(int64_t ms, char *buf, size_t n);
/* An amount in kopecks as the locale shows it. */
const char *cli_money(int64_t kop, char *buf, size_t n);
void cli_print_provider_error(int code, const char *text);
void cli_print_col(const char *s, int width, bool right);
/* One line of `kassa journal`. */
void cli_print_doc_line(const struct journal_doc *d);
/* What became of a sent document, in words. */
void cli_print_outcome(const struct journal_doc *d);
/* The exit status for a document's state (want_final: not final yet is a failure). */
int cli_doc_exit(const struct journal_doc *d, bool want_final);
/* Submits d, waits as the options say, prints the outcome; returns the exit status. */
int cli_send_document(struct session *s, struct document *d);
/* Prints a command's usage and help with the options every command takes. */
int cli_help_text(const char *usage, const char *text);

#endif
