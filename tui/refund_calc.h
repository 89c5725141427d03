/*
 * The arithmetic and look-ups of a refund, without curses so they can be
 * tested alone: the original's lines read back from the body the journal
 * stored (LifePay JSON or the PayKeeper form, both without credentials),
 * the refund basket for chosen quantities (each line's discounts taken
 * in proportion, so a whole line refunds exactly what it cost), and the
 * search of the pick list by amount, date, number, ext_id or uuid.
 */
#ifndef KASSA_REFUND_CALC_H
#define KASSA_REFUND_CALC_H

#include <stdbool.h>
#include <stdint.h>

#include "basket.h"
#include "document.h"
#include "journal.h"
#include "status.h"

/* What a stored receipt body says about the sale. */
struct refund_original {
	struct basket basket; /* recalculated: sums as sold */
	enum receipt_type type;
	enum tax_system tax;
	int64_t card, cash;
};

/*
 * Reads the lines of a stored receipt body (provider says which shape).
 * K_INVALID with err naming what is unreadable.
 */
kstatus refund_parse_original(enum kprovider provider, const char *body,
			      struct refund_original *out, struct kerr *err);

/*
 * Builds the refund basket: qty[i] thousandths of line i (0 = not refunded,
 * at most what was sold). A line's discounts (its own and its share of the
 * receipt's) go with it in proportion, half-up; the whole line refunds
 * exactly its sum. K_INVALID when a quantity is out of range or nothing is
 * chosen.
 */
kstatus refund_build(const struct basket *orig, const int64_t *qty, struct basket *out,
		     struct kerr *err);

/*
 * Adds to done[] (thousandths per line of orig) what an earlier refund of
 * it took: each of its lines counts against the first line of orig with the
 * same name and price that still has room, else against the first with that
 * name and price. Lines that match nothing are ignored.
 */
void refund_taken(const struct basket *orig, const struct basket *earlier, int64_t *done);

/* The refund type for an original's type (payment -> refund, buy -> buy_refund). */
bool refund_type_for(enum receipt_type original, enum receipt_type *refund);

/*
 * Does a journal document match what the cashier typed? Empty text matches
 * all; else an ext_id or uuid prefix (any case), the local number ("12" or
 * "#12"), an exact amount ("535.80", "535,80") or a date prefix in local
 * time ("23.11", "23.11.2024", "2024-11-23").
 */
bool refund_matches(const char *text, int64_t id, const char *ext_id, const char *uuid,
		    int64_t total, int64_t created_at_ms);

#endif
