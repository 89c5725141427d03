/*
 * The fixture of the journal's tests (test_journal.c, test_journal_callback.c,
 * test_journal_list.c): a journal in a temporary folder on a fake clock, and
 * helpers that queue, send and inspect documents.
 */
#ifndef KASSA_TEST_JOURNAL_FIXTURE_H
#define KASSA_TEST_JOURNAL_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"

#define T0 1700000000000LL /* the fake clock's start */

struct fixture {
	char dir[64];
	char path[128];
	int64_t now;
	struct journal *j;
};

struct hist {
	size_t n;
	struct journal_history_row rows[32];
};

int64_t on_clock(void *ctx);
void fx_open(struct fixture *fx);
void fx_reopen(struct fixture *fx);
int setup(void **state);
/* Closes and removes the journal files. */
void fx_wipe(struct fixture *fx);
int teardown(void **state);
struct journal_new_doc sale(const char *ext_id, int64_t total);
int64_t enqueue(struct fixture *fx, const struct journal_new_doc *d);
/* Enqueue, send and get accepted with uuid. */
int64_t accepted(struct fixture *fx, const char *ext_id, int64_t total, const char *uuid);
enum journal_state state_of(struct fixture *fx, int64_t id);
struct hist history(struct fixture *fx, int64_t id);
/* A direct look at the file, as support staff would with sqlite3. */
int64_t sql_int(struct fixture *fx, const char *sql);

#endif
