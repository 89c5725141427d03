/* A document's links for `kassa journal --json` and `kassa status` (cli/cli_links.h). */
#include "cli_links.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli_session.h"
#include "i18n.h"
#include "journal_bill.h"
#include "journal_link.h"
#include "journal_refund.h"
#include "util.h"

struct links {
	bool prepaid, bill, refund;
	struct journal_prepaid order;
	int64_t settles; /* the prepaid order this final receipt settles, 0 = none */
	struct journal_bill b;
	struct journal_refund r;
};

struct by_uuid {
	const char *uuid;
	struct journal_refund *out;
	bool found;
};

static bool on_refund(const struct journal_refund *r, void *ctx)
{
	struct by_uuid *u = ctx;
	if (strcmp(r->uuid, u->uuid) != 0)
		return true;
	*u->out = *r;
	u->found = true;
	return false;
}

static void links_get(struct journal *j, const struct journal_doc *d, struct links *l)
{
	memset(l, 0, sizeof *l);
	l->prepaid = journal_link_get(j, d->id, &l->order, NULL) == K_OK;
	if (journal_link_settles(j, d->id, &l->settles, NULL) != K_OK)
		l->settles = 0;
	/* A paid bill's receipt carries the bill's ext_id. */
	if (journal_bill_find(j, d->ext_id, &l->b, NULL) == K_OK) {
		l->bill = strcmp(l->b.ext_id, d->ext_id) == 0;
		journal_bill_free(&l->b);
	}
	/* A bill refund's receipt: ext_id rf-UUID. */
	if (strncmp(d->ext_id, "rf-", 3) == 0) {
		struct by_uuid u = {d->ext_id + 3, &l->r, false};
		journal_bill_refund_list(j, 0, on_refund, &u, NULL);
		l->refund = u.found;
	}
}

static void links_free(struct links *l)
{
	if (l->prepaid)
		journal_prepaid_free(&l->order);
}

void cli_links_json(struct journal *j, const struct journal_doc *d, json_t *o)
{
	struct links l;
	links_get(j, d, &l);
	char m[32];
	json_t *v = json_null();
	if (l.prepaid) {
		v = json_object();
		json_object_set_new(v, "order_total",
				    json_string(cli_money(l.order.order_total, m, sizeof m)));
		json_object_set_new(v, "prepaid",
				    json_string(cli_money(l.order.prepaid, m, sizeof m)));
		json_object_set_new(v, "contact", json_string(l.order.contact));
		json_object_set_new(v, "settled_by",
				    l.order.settled_by ? json_integer(l.order.settled_by)
						       : json_null());
	}
	json_object_set_new(o, "prepaid_order", v);
	json_object_set_new(o, "settles", l.settles ? json_integer(l.settles) : json_null());
	v = json_null();
	if (l.bill) {
		v = json_object();
		json_object_set_new(v, "id", json_integer(l.b.id));
		json_object_set_new(v, "number", json_string(l.b.number));
		json_object_set_new(v, "state", json_string(bill_state_word(l.b.state)));
		json_object_set_new(v, "amount", json_string(cli_money(l.b.amount, m, sizeof m)));
	}
	json_object_set_new(o, "bill", v);
	v = json_null();
	if (l.refund) {
		v = json_object();
		json_object_set_new(v, "bill_id", json_integer(l.r.bill_id));
		json_object_set_new(v, "refund_id", json_integer(l.r.id));
		json_object_set_new(v, "number", json_string(l.r.number));
		json_object_set_new(v, "amount", json_string(cli_money(l.r.amount, m, sizeof m)));
	}
	json_object_set_new(o, "bill_refund", v);
	links_free(&l);
}

void cli_links_print(struct journal *j, const struct journal_doc *d)
{
	struct links l;
	links_get(j, d, &l);
	char a[32], b[32];
	if (l.prepaid) {
		printf(_("  prepaid     order of %s, %s prepaid (buyer %s)"),
		       cli_money(l.order.order_total, a, sizeof a),
		       cli_money(l.order.prepaid, b, sizeof b),
		       l.order.contact[0] ? l.order.contact : "-");
		if (l.order.settled_by)
			printf(_(", settled by #%" PRId64 "\n"), l.order.settled_by);
		else
			printf("%s\n", _(", not settled yet (kassa settle)"));
	}
	if (l.settles)
		printf(_("  settles     prepaid order #%" PRId64 "\n"), l.settles);
	if (l.bill)
		printf(_("  bill        #%" PRId64 " (LIFE PAY %s, %s)\n"), l.b.id,
		       l.b.number[0] ? l.b.number : "-", _(bill_state_label(l.b.state)));
	if (l.refund)
		printf(_("  refund of   bill #%" PRId64 " (refund #%" PRId64 ", %s)\n"),
		       l.r.bill_id, l.r.id, cli_money(l.r.amount, a, sizeof a));
	links_free(&l);
}
