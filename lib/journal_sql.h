/*
 * For the journal's companion files (journal_bill.c, journal_refund.c,
 * journal_link.c) that keep tables of their own: the connection, the
 * journal's clock, and one set of helpers for a statement run once and for
 * a transaction around several.
 */
#ifndef KASSA_JOURNAL_SQL_H
#define KASSA_JOURNAL_SQL_H

#include <sqlite3.h>
#include <stdint.h>

#include "journal.h"
#include "status.h"

/* The journal's connection and its clock (lib/journal.c). */
struct sqlite3 *journal_db(struct journal *j);
int64_t journal_clock_now(struct journal *j);

/* K_DB with "journal error (WHAT): SQLite's message" in err. */
kstatus journal_sql_error(struct journal *j, struct kerr *err, const char *what);
/* A prepared statement, or NULL with err set. */
sqlite3_stmt *journal_sql_prepare(struct journal *j, const char *sql, struct kerr *err);
/* Steps s once and finalizes it: K_OK (done or a row), K_EXISTS on a constraint, else K_DB. */
kstatus journal_sql_step(struct journal *j, sqlite3_stmt *s, struct kerr *err);
/* Runs sql (no rows); K_DB with SQLite's message in err when it fails. */
kstatus journal_sql_exec(struct journal *j, const char *sql, struct kerr *err);
/* BEGIN IMMEDIATE. */
kstatus journal_sql_begin(struct journal *j, struct kerr *err);
/* Ends the transaction begun: COMMIT when st is K_OK, else ROLLBACK; returns the outcome. */
kstatus journal_sql_finish(struct journal *j, kstatus st, struct kerr *err);

#endif
