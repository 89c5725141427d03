/*
 * `kassa outbox --flush` beside a running kassa (cli/cli_flush.c): asks the
 * process that holds the journal's sender lock to send now, then reports
 * from the journal what became of each waiting document.
 */
#ifndef KASSA_CLI_FLUSH_H
#define KASSA_CLI_FLUSH_H

#include <stdbool.h>

#include "journal.h"

/* The waiting documents of one profile (all when NULL), with their attempts. */
struct cli_waiting {
	const char *profile;
	int64_t *ids;
	int *attempts;
	size_t n;
};

/* A journal_list() callback filling a struct cli_waiting (cls). */
bool cli_waiting_collect(const struct journal_doc *d, void *cls);

/*
 * When another process holds journal_path's sender lock: asks it to flush
 * (SIGUSR1, only if it catches that signal), waits up to timeout_s for an
 * answer to every queued document of profile, prints each with
 * print_outcome, sets *rc (enum cli_exit) and returns 1; or says exactly why
 * it cannot ask (exit 4) and returns 1. Returns 0 when nobody holds the lock:
 * the caller flushes by itself.
 */
int cli_flush_remote(struct journal *j, const char *journal_path, const char *profile,
		     long timeout_s, void (*print_outcome)(const struct journal_doc *d), int *rc);

#endif
