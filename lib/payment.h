/*
 * Card and cash: either may be "#" (the remainder), not both. Non-cash above
 * the total is refused (LifePay code 3896), cash above it gives change, and
 * card + cash below the total is refused.
 */
#ifndef KASSA_PAYMENT_H
#define KASSA_PAYMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "status.h"

enum pay_kind {
	PAY_NONE,      /* not given: 0 */
	PAY_AMOUNT,    /* an exact amount */
	PAY_REMAINDER, /* "#" */
};

struct pay_amount {
	enum pay_kind kind;
	int64_t kop;
};

struct payment {
	struct pay_amount card, cash;
};

struct payment_result {
	int64_t card, cash, change;
};

/* The provider code for a non-cash amount above the receipt total. */
#define PAYMENT_CODE_NONCASH_OVER 3896
/* The provider code for data errors. */
#define PAYMENT_CODE_DATA 400

/*
 * Parses one amount field as a cashier or a file writes it: "", "#" or a
 * money amount. Empty text gives PAY_NONE.
 */
kstatus pay_amount_parse(const char *text, struct pay_amount *out, const char *field,
			 struct kerr *err);

/*
 * Resolves "#" against the total and checks the rules. On refusal err->code
 * carries the provider's meaning (3896 or 400) and err->field the field.
 */
kstatus payment_resolve(int64_t total, const struct payment *p, struct payment_result *r,
			struct kerr *err);

/*
 * kassa's own tender rules on top of payment_resolve(), for what a cashier
 * or a file sends (the provider accepts more): cash only when non-cash
 * leaves something to pay, so the change never exceeds the cash given and
 * never comes out of a card payment. On refusal err->field is the wire
 * field ("cash_amount") and err->code 0: no provider would refuse it.
 */
kstatus payment_check(int64_t total, const struct payment *p, struct payment_result *r,
		      struct kerr *err);
/* The rules of payment_check() on a payment already resolved (d->resolved). */
kstatus payment_rules(int64_t total, const struct payment_result *res, struct kerr *err);

#endif
