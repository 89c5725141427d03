/*
 * LIFE PAY transaction notifications (version 2.0) as the listener or the
 * relay hands them over: parsed, committed, then answered. They carry no
 * signature, so one about a bill only makes the bill engine ask
 * /v1/bill/status at once; the row is marked confirmed when that agrees.
 */
#include <stdio.h>
#include <string.h>

#include "bill.h"
#include "i18n.h"
#include "journal_bill.h"
#include "journal_refund.h"
#include "util.h"

int bill_tx_callback(struct journal *j, const char *content_type, const char *body, size_t len,
		     char *reply, size_t reply_n)
{
	struct bill_tx tx;
	struct kerr e = {0};
	if (wire_bill_parse_tx(content_type, body, len, &tx, &e) != K_OK) {
		char what[360];
		snprintf(reply, reply_n, "malformed notification: %s",
			 kerr_str(&e, what, sizeof what));
		return 400;
	}
	int64_t bill_id = 0;
	bool dup = false;
	if (journal_tx_add(j, &tx, content_type, body, len, &bill_id, &dup, &e) != K_OK) {
		/* Not committed: LIFE PAY tries again (1, 3, 5, 10 minutes, then hourly). */
		str_copy(reply, "journal unavailable, try again", reply_n);
		return 500;
	}
	/* A refund kassa asked for and LIFE PAY answered: its notification is confirmed. */
	if (!dup && strcmp(tx.type, "refund") == 0)
		journal_bill_refund_confirm_tx(j, NULL);
	str_copy(reply, "OK", reply_n);
	return 200;
}
