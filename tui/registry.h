/*
 * The PayKeeper registry read for the journal screen: bydate (filters and
 * paging), bydatecount (totals) and search, fetched asynchronously with
 * lib/net.h on the app's loop; the screen never waits. No curses.
 */
#ifndef KASSA_REGISTRY_H
#define KASSA_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "loop.h"
#include "wire/paykeeper.h"

#define REGISTRY_PAGE 20

struct registry;

/* Called from the loop when a reply (or a failure) arrived. */
typedef void (*registry_change_cb)(void *cls);

/* A reader for PayKeeper profile p (copied; its password is used for Basic auth only). */
struct registry *registry_new(struct loop *l, const struct config_profile *p,
			      registry_change_cb on_change, void *cls);
/* Cancels what is on the wire (no callback) and frees everything. */
void registry_free(struct registry *r);

/*
 * Asks for dates start..end (YYYY-MM-DD): with query "" the page starting at
 * `from` of bydate (only the statuses given, bits 1u << enum pk_status; 0 =
 * all) plus the bydatecount totals, else search for query. Replaces a
 * request still on the wire. K_INVALID for bad dates.
 */
kstatus registry_fetch(struct registry *r, const char *start, const char *end, const char *query,
		       unsigned statuses, int64_t from, struct kerr *err);

/* True while a request is on the wire. */
bool registry_busy(const struct registry *r);
/* The receipts of the last reply (may be empty). */
const struct pk_receipt_list *registry_list(const struct registry *r);
/* The totals of the last bydatecount reply, or NULL (search, or not arrived). */
const struct pk_counts *registry_counts(const struct registry *r);
/* What went wrong with the last request, or "". */
const char *registry_error(const struct registry *r);

#endif
