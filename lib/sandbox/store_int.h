/*
 * Inside the sandbox store: shared by store.c (open, schema, statement cache,
 * printers and shifts), store_docs.c (LifePay documents, callbacks) and
 * store_pk.c (PayKeeper receipts and tokens). Not for use outside these files.
 */
#ifndef KASSA_SANDBOX_STORE_INT_H
#define KASSA_SANDBOX_STORE_INT_H

#include <stdarg.h>
#include <stddef.h>

#include <sqlite3.h>

#include "sandbox/internal.h"

#define STMT_CACHE 96

struct sb_store {
	sqlite3 *db;
	struct {
		const char *sql;
		sqlite3_stmt *stmt;
	} cache[STMT_CACHE];
	size_t n;
};

/* store.c */
/* K_DB with SQLite's message after what ("prepare", "write", ...). */
kstatus store_db_error(struct sb_store *st, struct kerr *err, const char *what);
/* Releases a statement that did not fit into the cache. */
void store_done(struct sb_store *st, sqlite3_stmt *s);
/* Runs a statement that returns no rows; fmt binds the arguments: 's' text (NULL as
 * NULL), 'e' text with "" as NULL, 'i' long long. */
kstatus store_exec(struct sb_store *st, struct kerr *err, const char *sql, const char *fmt, ...);
/* Starts a query; the caller steps it and calls store_done(). NULL on error. */
sqlite3_stmt *store_query(struct sb_store *st, const char *sql, const char *fmt, ...);
/* The rows of a query without parameters as a JSON array of objects keyed by
 * column name (integers, texts; NULL columns left out); on_row (may be NULL)
 * adjusts each object. NULL on error. */
json_t *store_rows_json(struct sb_store *st, struct kerr *err, const char *sql,
			void (*on_row)(json_t *o));
/* Column i copied into dst ("" for NULL), or duplicated (NULL for NULL). */
void store_col_copy(sqlite3_stmt *s, int i, char *dst, size_t n);
char *store_col_dup(sqlite3_stmt *s, int i);

#endif
