/*
 * The raw callbacks the journal keeps (table raw_callbacks), read back for
 * the cashier's detail view and for support: exactly what the provider sent,
 * when, and whether it changed the document. Read-only: it opens its own
 * read-only connection to the journal file, so it never disturbs the
 * engine's connection (WAL lets both read at once).
 */
#ifndef KASSA_JOURNAL_RAW_H
#define KASSA_JOURNAL_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "status.h"

/* One stored callback (or poll answer). body is NUL-terminated, valid during the call. */
struct journal_raw_callback {
	int64_t id;
	int64_t at;	/* ms since the epoch */
	int64_t doc_id; /* 0 when it named an unknown uuid */
	char uuid[UUID_TEXT_MAX + 1];
	char content_type[128];
	const char *body;
	size_t body_len;
	bool applied; /* it changed the document's state */
	enum journal_state state;
	enum journal_source source;
	int error_code;
	char detail[JOURNAL_TEXT_MAX];
	int64_t replays; /* times it came again byte for byte (not stored again) */
	int64_t last_at; /* ms since the epoch of the last of them (= at without replays) */
};

/*
 * Calls cb, oldest first, for every callback stored for document doc_id or
 * for its uuid (callbacks that arrived before the reply named it); uuid may
 * be NULL or "". cb returns false to stop. K_IO when the file cannot be
 * opened, K_DB on a query error; a journal older than the table gives none.
 */
kstatus journal_raw_callbacks(const char *journal_path, int64_t doc_id, const char *uuid,
			      bool (*cb)(const struct journal_raw_callback *c, void *ctx),
			      void *ctx, struct kerr *err);

#endif
