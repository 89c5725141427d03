/*
 * Prepayment and settlement (seed 002, "Как бить чеки аванса и предоплаты"):
 * receipt 1 is taken when the money arrives, its lines with payment method
 * (tag 1214, product `type`) 1 full prepayment, 2 partial prepayment or 3
 * advance; receipt 2 when the goods are handed over, the same goods with
 * method 4 (full settlement) and `prepayment_amount` = what receipt 1 took,
 * plus whatever is still due paid now by card or cash. The journal links
 * the two (lib/journal_link.h). Pure functions: no journal, no network.
 */
#ifndef KASSA_SETTLE_H
#define KASSA_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "status.h"

/* How a receipt settles: enum name, line method (tag 1214), label. */
#define SETTLE_KIND_INFO(_)                                                                        \
	_(FULL, 4, N_("full payment"))                                                             \
	_(PREPAY_FULL, 1, N_("full prepayment"))                                                   \
	_(PREPAY_PARTIAL, 2, N_("partial prepayment"))                                             \
	_(ADVANCE, 3, N_("advance"))
#define SETTLE_KIND_ENUM(name, method, label) SETTLE_##name,
enum settle_kind { SETTLE_KIND_INFO(SETTLE_KIND_ENUM) SETTLE_COUNT };
#undef SETTLE_KIND_ENUM

/* The payment method (tag 1214) every line of such a receipt carries. */
int settle_kind_method(enum settle_kind k);
/* The untranslated label (pass through _() to show it). */
const char *settle_kind_label(enum settle_kind k);
/* The untranslated label of a line's method 1-4 ("full prepayment" ... "full payment"). */
const char *settle_method_label(int method);
/* True for the methods of a receipt that takes money before hand-over (1, 2, 3). */
bool settle_method_is_prepay(int method);
/* True when some line of the document is a prepayment (method 1, 2 or 3). */
bool settle_is_prepayment(const struct document *d);

/*
 * Seed 002's rules for a receipt with prepayment_amount, as LifePay takes it:
 * a sale (type payment) whose every line has method 4 (field
 * purchase.products[i].type); a prepayment receipt (methods 1-3) offsets no
 * advance; when the advance covers the total no card or cash amount is
 * given; the advance never exceeds the total (document_validate()). Call
 * after document_validate().
 */
kstatus settle_check(const struct document *d, struct kerr *err);

/*
 * Sets every line of d to the settlement kind's method. For partial
 * prepayment and advance the receipt taken now is one line of `now` kopecks
 * (named by `name`, the basket's VAT as the calculated rate 20/120 ...);
 * lines with different VAT rates are refused (field "vat"): take a full
 * prepayment or split the order. order (may be NULL) receives the order as
 * it will be settled: the basket's lines with method 4.
 */
kstatus settle_make_prepayment(struct document *d, enum settle_kind k, int64_t now,
			       const char *name, struct basket *order, struct kerr *err);

/*
 * Builds the final receipt: the order's lines with method 4, type payment,
 * prepayment_amount = prepaid (what receipt 1 took), the buyer's contact
 * copied from the prepayment receipt; the payment (card/cash, "#") is the
 * caller's. Refuses (field prepayment_amount) a prepaid amount above the
 * order's total.
 */
kstatus settle_make_final(const struct basket *order, int64_t prepaid,
			  const struct document *prepayment, struct document *out,
			  struct kerr *err);

#endif
