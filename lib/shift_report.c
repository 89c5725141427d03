#include "shift_report.h"

#include <stdio.h>
#include <string.h>

#include "document.h"
#include "i18n.h"
#include "journal_link.h"
#include "money.h"
#include "util.h"

struct probe {
	const char *profile;
	bool test;
	int64_t at;
	bool found;
};

static bool same_profile(const char *want, const char *have)
{
	return !want || !*want || strcmp(want, have) == 0;
}

/* A refused document changed nothing; a test one belongs to test reports only. */
static bool counts(const struct journal_doc *d, bool test)
{
	return d->state != JS_REJECTED && d->state != JS_FAILED && d->test == test;
}

static bool on_newest(const struct journal_doc *d, void *ctx)
{
	struct probe *p = ctx;
	if (!same_profile(p->profile, d->profile) || !counts(d, p->test))
		return true;
	p->at = d->created_at;
	p->found = true;
	return false; /* newest first: the first that counts is the one */
}

static kstatus newest(struct journal *j, enum doc_kind kind, struct probe *p, int64_t until,
		      struct kerr *err)
{
	struct journal_filter f = {.kind = doc_kind_wire(kind), .until = until};
	p->found = false;
	p->at = 0;
	return journal_list(j, &f, -1, 0, on_newest, p, err);
}

struct count_ctx {
	struct journal *j;
	const char *profile;
	bool test;
	struct shift_totals *t;
	kstatus st;
};

static void add(int64_t *acc, int64_t v, kstatus *st)
{
	if (money_add(*acc, v, acc) != K_OK)
		*st = K_OVERFLOW;
}

static void add_money(struct shift_money *m, const struct journal_doc *d, kstatus *st)
{
	m->count++;
	add(&m->sum, d->total, st);
	add(&m->card, d->card, st);
	add(&m->cash, d->cash - d->change, st);
}

/*
 * The prepayment a final receipt (method 4, prepayment_amount) offsets: it
 * was counted in sales by the prepayment receipt that took it, so the final
 * one adds only what is paid now. Counted in t->prepaid_settled; 0 when d
 * settles no order.
 */
static int64_t settled_prepaid(struct count_ctx *c, const struct journal_doc *d)
{
	int64_t paid_now = 0, prepaid_id = 0;
	if (money_add(d->card, d->cash - d->change, &paid_now) != K_OK || d->total <= paid_now)
		return 0;
	struct journal_prepaid o;
	if (journal_link_settles(c->j, d->id, &prepaid_id, NULL) != K_OK ||
	    journal_link_get(c->j, prepaid_id, &o, NULL) != K_OK)
		return 0;
	int64_t prepaid = o.prepaid;
	journal_prepaid_free(&o);
	c->t->prepaid_settled_count++;
	add(&c->t->prepaid_settled, prepaid, &c->st);
	return prepaid;
}

static bool on_count(const struct journal_doc *d, void *ctx)
{
	struct count_ctx *c = ctx;
	struct shift_totals *t = c->t;
	if (!same_profile(c->profile, d->profile))
		return true;
	t->documents++;
	if ((unsigned)d->state < JS_COUNT)
		t->by_state[d->state]++;
	if (!counts(d, c->test)) {
		t->not_counted++;
		return true;
	}
	enum doc_kind kind;
	if (!doc_kind_parse(d->kind, &kind))
		return true;
	if (kind == DOC_CASH_IN) {
		t->cash_in_count++;
		add(&t->cash_in, d->total, &c->st);
		add(&t->drawer, d->total, &c->st);
	} else if (kind == DOC_CASH_OUT) {
		t->cash_out_count++;
		add(&t->cash_out, d->total, &c->st);
		add(&t->drawer, -d->total, &c->st);
	} else if (kind == DOC_RECEIPT) {
		enum receipt_type type;
		if (!receipt_type_parse(d->type, &type))
			return true;
		int64_t cash = d->cash - d->change;
		switch (type) {
		case RT_PAYMENT:
			add_money(&t->sales, d, &c->st);
			add(&t->sales.sum, -settled_prepaid(c, d), &c->st);
			add(&t->drawer, cash, &c->st);
			break;
		case RT_REFUND:
			add_money(&t->refunds, d, &c->st);
			add(&t->drawer, -cash, &c->st);
			break;
		case RT_BUY:
			add_money(&t->purchases, d, &c->st);
			add(&t->drawer, -cash, &c->st);
			break;
		case RT_BUY_REFUND:
			add_money(&t->purchase_refunds, d, &c->st);
			add(&t->drawer, cash, &c->st);
			break;
		default:
			break;
		}
	}
	return c->st == K_OK;
}

kstatus shift_report_totals(struct journal *j, const char *profile, bool test, int64_t until,
			    struct shift_totals *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	if (!until)
		until = now_ms() + 1;
	struct probe open = {.profile = profile, .test = test};
	struct probe z = {.profile = profile, .test = test};
	kstatus st = newest(j, DOC_OPEN_SHIFT, &open, until, err);
	if (st == K_OK)
		st = newest(j, DOC_Z_REPORT, &z, until, err);
	if (st != K_OK)
		return st;
	if (open.found && (!z.found || open.at > z.at)) {
		out->since = open.at;
		out->opened = true;
	} else if (z.found) {
		out->since = z.at + 1;
	}
	struct journal_filter f = {.since = out->since, .until = until};
	struct count_ctx c = {.j = j, .profile = profile, .test = test, .t = out, .st = K_OK};
	if ((st = journal_list(j, &f, -1, 0, on_count, &c, err)) != K_OK)
		return st;
	if (c.st != K_OK)
		return kerr_set(err, c.st, "shift", "%s", _("the totals are too large to add up"));
	return K_OK;
}

int64_t shift_report_pending(const struct shift_totals *t)
{
	return t->by_state[JS_QUEUED] + t->by_state[JS_SENDING] + t->by_state[JS_ACCEPTED] +
	       t->by_state[JS_PROVIDER_RETRY];
}

static const char *amount(int64_t kop, const struct money_style *style, char *buf, size_t n)
{
	if (style)
		money_format_display(kop, style, buf, n);
	else
		money_format_wire(kop, buf, n);
	return buf;
}

static void money_line(char *line, const char *label, const struct shift_money *m,
		       const struct money_style *style)
{
	char s[48], card[48], cash[48];
	snprintf(line, SHIFT_REPORT_LINE_MAX, _("%s: %lld, %s (card %s, cash %s)"), label,
		 (long long)m->count, amount(m->sum, style, s, sizeof s),
		 amount(m->card, style, card, sizeof card),
		 amount(m->cash, style, cash, sizeof cash));
}

size_t shift_report_format(const struct shift_totals *t, const struct money_style *style,
			   char lines[][SHIFT_REPORT_LINE_MAX], size_t max)
{
	size_t n = 0;
	char a[48], b[48];
	if (n < max)
		money_line(lines[n++], _("Sales"), &t->sales, style);
	if (n < max && t->prepaid_settled_count)
		snprintf(lines[n++], SHIFT_REPORT_LINE_MAX,
			 _("Prepaid orders settled: %lld, prepaid earlier %s (not in sales again)"),
			 (long long)t->prepaid_settled_count,
			 amount(t->prepaid_settled, style, a, sizeof a));
	if (n < max)
		money_line(lines[n++], _("Refunds"), &t->refunds, style);
	if (n < max && (t->purchases.count || t->purchase_refunds.count))
		money_line(lines[n++], _("Purchases"), &t->purchases, style);
	if (n < max && t->purchase_refunds.count)
		money_line(lines[n++], _("Purchase refunds"), &t->purchase_refunds, style);
	if (n < max)
		snprintf(lines[n++], SHIFT_REPORT_LINE_MAX,
			 _("Cash in: %lld, %s · cash out: %lld, %s"), (long long)t->cash_in_count,
			 amount(t->cash_in, style, a, sizeof a), (long long)t->cash_out_count,
			 amount(t->cash_out, style, b, sizeof b));
	if (n < max)
		snprintf(lines[n++], SHIFT_REPORT_LINE_MAX, _("Cash in the drawer: %s"),
			 amount(t->drawer, style, a, sizeof a));
	if (n < max) {
		int len = snprintf(lines[n], SHIFT_REPORT_LINE_MAX, _("Documents: %lld"),
				   (long long)t->documents);
		int first_len = len;
		static const enum journal_state order[] = {JS_PROCESSED, JS_VALIDATED,
							   JS_ACCEPTED,	 JS_PROVIDER_RETRY,
							   JS_REJECTED,	 JS_FAILED};
		int64_t waiting = t->by_state[JS_QUEUED] + t->by_state[JS_SENDING];
		for (size_t i = 0; i <= sizeof order / sizeof order[0]; i++) {
			int64_t c = i == 0 ? waiting : t->by_state[order[i - 1]];
			const char *word =
			    i == 0 ? _("not sent yet") : _(journal_state_label(order[i - 1]));
			if (!c || len < 0 || len >= SHIFT_REPORT_LINE_MAX)
				continue;
			len += snprintf(lines[n] + len, (size_t)(SHIFT_REPORT_LINE_MAX - len),
					"%s%s %lld", len == first_len ? ": " : ", ", word,
					(long long)c);
		}
		n++;
	}
	return n;
}
