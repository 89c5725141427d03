/*
 * What an X- or Z-report holds, counted from the local journal: the shift's
 * sales and refunds (count and sum), by card and cash, cash put in and taken
 * out, the drawer's balance and how many documents are in each state. The
 * provider prints its own report; this is what the cashier sees before and
 * after sending it, exact to the kopeck (int64, no floating point).
 *
 * The shift starts at the newest open-shift of the profile newer than its
 * newest Z-report, else just after that Z-report (the provider opens a shift
 * on the first receipt after it), else at the journal's first document.
 * Money counts every document not refused (rejected, failed): one still on
 * its way is in the drawer already. Test documents (validated) count only
 * in a test report; non-fiscal and correction receipts count only by state.
 */
#ifndef KASSA_SHIFT_REPORT_H
#define KASSA_SHIFT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "money.h"

struct shift_money {
	int64_t count; /* documents */
	int64_t sum;   /* their totals */
	int64_t card;  /* paid (or paid back) by card */
	int64_t cash;  /* in cash, net of change */
};

struct shift_totals {
	int64_t since; /* created_at of the shift's first moment (ms), 0 = the journal's start */
	bool opened;   /* an open-shift document starts it */
	/*
	 * Receipts of type payment. A final receipt settling a prepaid order
	 * adds only what is paid now (sum = card + cash): its prepayment was
	 * counted by the prepayment receipt that took it.
	 */
	struct shift_money sales;
	int64_t prepaid_settled_count, prepaid_settled; /* those final receipts, their offsets */
	struct shift_money refunds;			/* receipts of type refund */
	struct shift_money purchases;			/* type buy: money out */
	struct shift_money purchase_refunds;		/* type buy_refund: money in */
	int64_t cash_in_count, cash_in;
	int64_t cash_out_count, cash_out;
	/* Cash sales - cash refunds + cash in - cash out (+ purchase refunds - purchases in cash).
	 */
	int64_t drawer;
	int64_t by_state[JS_COUNT]; /* every document of the shift, of any kind */
	int64_t documents;	    /* their number */
	int64_t not_counted;	    /* refused (rejected, failed) or test: left out of the money */
};

/*
 * Counts the shift of profile (NULL = every profile) that is open at
 * `until` (ms; 0 = now): documents created before it only, so the Z-report
 * being sent is not part of its own shift. test: count test documents
 * (a test profile) instead of real ones.
 */
kstatus shift_report_totals(struct journal *j, const char *profile, bool test, int64_t until,
			    struct shift_totals *out, struct kerr *err);

/* Pending documents: queued, sending, accepted or provider retry. */
int64_t shift_report_pending(const struct shift_totals *t);

#define SHIFT_REPORT_LINES 8
#define SHIFT_REPORT_LINE_MAX 200

/*
 * The totals as lines for people, translated, amounts in style (NULL =
 * the wire's "1234.50"): sales, refunds, purchases (when any), cash in and
 * out, the drawer, documents by state, and after sales the prepaid orders
 * settled (when any) (the drawer is always the line before
 * the last). Returns how many lines were written.
 */
size_t shift_report_format(const struct shift_totals *t, const struct money_style *style,
			   char lines[][SHIFT_REPORT_LINE_MAX], size_t max);

#endif
