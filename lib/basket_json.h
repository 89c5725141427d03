/*
 * The open basket as text, so the journal can keep it while the cashier
 * works (journal_basket_save) and a restart after a crash, kill -9 or power
 * loss gets it back. Everything the cashier typed is in it: the lines with
 * their codes, discounts and markings, the receipt discount, and the pay
 * dialog's fields as typed ("500", "#") when it was open.
 *
 * The text is compact JSON of our own shape: amounts are JSON integers
 * (kopecks, thousandths, hundredths of a percent), never floating point.
 * Loading checks every line with the basket's own rules.
 */
#ifndef KASSA_BASKET_JSON_H
#define KASSA_BASKET_JSON_H

#include <stdbool.h>

#include "basket.h"
#include "document.h"
#include "status.h"

/* Longest pay field kept (the pay dialog's own limit is larger; amounts are short). */
#define BASKET_PAY_TEXT_MAX 64

struct basket_snapshot {
	struct basket basket;
	bool pay_open;			/* the pay dialog was open ... */
	enum doc_kind pay_kind;		/* ... for this kind (receipt or non-fiscal) */
	char cash[BASKET_PAY_TEXT_MAX]; /* its fields as typed, "" when empty */
	char card[BASKET_PAY_TEXT_MAX];
	int settle;		       /* its settlement (enum settle_kind, 0 = full payment) */
	char now[BASKET_PAY_TEXT_MAX]; /* and the part taken now as typed */
};

/* The snapshot as compact JSON; free() it. Never NULL. */
char *basket_snapshot_dump(const struct basket_snapshot *s);
/*
 * Reads a dumped snapshot into out (recalculated). K_INVALID with err naming
 * the field when the text is not one (a line the basket refuses included).
 */
kstatus basket_snapshot_load(const char *text, struct basket_snapshot *out, struct kerr *err);

#endif
