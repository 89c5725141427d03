/*
 * kassa's command line: a table of subcommands (name, handler, one-line help)
 * dispatched from main(). Adding a subcommand is one line in cli.c's table
 * plus its handler, declared here.
 */
#ifndef KASSA_CLI_H
#define KASSA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "status.h"

/* Exit statuses, documented in `kassa --help`. */
enum cli_exit {
	CLI_OK = 0,	 /* done */
	CLI_FAILED = 1,	 /* the provider refused or delivery failed */
	CLI_USAGE = 2,	 /* bad input or usage */
	CLI_CONFIG = 3,	 /* configuration error */
	CLI_JOURNAL = 4, /* journal error */
};

/* A subcommand's handler: argv[0] is the subcommand's name; returns an enum cli_exit. */
typedef int (*cli_handler)(int argc, char **argv);

struct cli_command {
	const char *name;
	cli_handler run;
	const char *args; /* usage after the name, e.g. "[--dry-run] FILE" */
	const char *help; /* one line, marked with N_() */
};

/* The table, ending with a NULL name. */
extern const struct cli_command cli_commands[];

/* True when name is one of the subcommands in the table. */
bool cli_is_command(const char *name);
/*
 * Options that kassa takes before or after a subcommand (--profile NAME,
 * --training, -v): `kassa --profile shop receipt F` is rewritten in place as
 * `kassa receipt --profile shop F`. Does nothing when no subcommand follows
 * the leading options (the cashier's screen keeps them).
 */
void cli_hoist_command(int argc, char **argv);
/* Dispatches argv[1] (a subcommand, --help, --version); returns the exit status. */
int cli_main(int argc, char **argv);
/* Prints the general usage (subcommands and exit statuses) to out. */
void cli_usage(FILE *out);
/* Prints one subcommand's usage line and help to out. */
void cli_command_usage(const struct cli_command *c, FILE *out);
/* Prints "kassa NAME: message" to stderr; returns status. */
int cli_error(const char *name, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Reads a whole file (or stdin for "-") into a NUL-terminated buffer, at most
 * max bytes; on failure prints the reason and returns NULL. Free the result.
 */
char *cli_read_input(const char *cmd, const char *path, size_t max, size_t *len);

/*
 * The exit status for a failure from lib/: CLI_JOURNAL for every journal
 * failure (K_DB, K_BUSY, or any error whose field is "journal": a full disk,
 * a read-only folder or -shm file, a lock), else fallback.
 */
int cli_exit_for(kstatus st, const struct kerr *e, int fallback);

/* Subcommands. */
int cli_receipt(int argc, char **argv);

#endif
