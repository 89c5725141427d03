/*
 * The sale screen's entry grammar and catalog look-up, as pure functions
 * (no curses) so they can be tested alone:
 *   CODE or name      add the item (quantity 1, or the pending quantity)
 *   3*CODE            add with quantity 3 (0.455*CODE for weighed goods)
 *   3*  or  0.455     a quantity for the next item
 *   *3                set the selected line's quantity
 *   +  -              selected line's quantity plus or minus one
 */
#ifndef KASSA_ENTRY_H
#define KASSA_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basket.h"
#include "status.h"

enum entry_kind {
	ENTRY_EMPTY,
	ENTRY_ITEM,	   /* [qty*]query */
	ENTRY_SET_QTY,	   /* *qty */
	ENTRY_PENDING_QTY, /* "3*" or "0.455": quantity for the next item */
	ENTRY_INC,	   /* "+" */
	ENTRY_DEC,	   /* "-" */
};

struct entry {
	enum entry_kind kind;
	int64_t qty; /* thousandths, when qty_given */
	bool qty_given;
	char query[LINE_NAME_MAX_BYTES];
};

/* One catalog item (the demo catalog now, the CSV catalog later). */
struct catalog_item {
	const char *code;
	const char *name;
	int64_t price; /* kopecks per unit */
	enum unit unit;
	enum vat vat;
	int object; /* tag 1212; 0 = not given */
};

/* Parses one line the cashier typed; refusals carry the core's messages. */
kstatus entry_parse(const char *text, struct entry *e, struct kerr *err);

/*
 * Parses a discount: "10%" (percent of the line or receipt), "150" or
 * "150,50" (an amount in roubles), "0" or "0%" removes it.
 */
kstatus entry_parse_discount(const char *text, struct discount *d, struct kerr *err);

/*
 * Finds the item a query means: an exact code, an exact name, then a unique
 * name prefix, then a unique part of a name (case and ё insensitive).
 * Returns the item when exactly one matches at the first level that
 * matches anything; *count says how many matched there (0 = none).
 */
const struct catalog_item *entry_lookup(const struct catalog_item *items, size_t n,
					const char *query, size_t *count);

/*
 * Lists up to max items whose code starts with, or whose name contains,
 * query (all items for an empty query), name prefixes first. Returns the
 * number written.
 */
size_t entry_search(const struct catalog_item *items, size_t n, const char *query,
		    const struct catalog_item **out, size_t max);

/* True if the text looks like a code (digits only, 1..64 of them). */
bool entry_is_code(const char *text);

#endif
