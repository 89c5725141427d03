#include "basket_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basket_json.h"
#include "engine.h"
#include "i18n.h"
#include "journal_bill.h"
#include "loop.h"
#include "money.h"
#include "refund_calc.h"
#include "util.h"

static struct {
	char *saved;	    /* the text last saved; NULL = unknown, save anew */
	struct basket last; /* the basket as last saved (pay-only changes wait) */
	char last_pay[3 * BASKET_PAY_TEXT_MAX + 24]; /* the pay part as last dumped */
	long long last_write_mono;		     /* when it was written */
	uint64_t timer;				     /* a pay-only change waiting */
	bool failed;				     /* the last save failed (said once) */

	int pay_kind; /* the pay dialog's document kind and fields */
	char cash[BASKET_PAY_TEXT_MAX], card[BASKET_PAY_TEXT_MAX];
	int settle; /* its settlement and the part taken now (seed 002) */
	char now[BASKET_PAY_TEXT_MAX];

	bool restore_pay; /* the pay dialog's next open gets these */
	char r_cash[BASKET_PAY_TEXT_MAX], r_card[BASKET_PAY_TEXT_MAX];
	int r_settle;
	char r_now[BASKET_PAY_TEXT_MAX];

	int64_t refused_id; /* the recall key brings this document's basket back */
	int64_t bill_id;    /* or this bill's, once cancelled (failed, refused) */
} B;

static struct journal *journal_of(const struct app *app)
{
	struct engine *e = engine_of(app);
	return e ? e->journal : NULL;
}

static bool pay_on_stack(const struct app *app)
{
	const struct view_ops *pay = app_find_view(app, "pay");
	return pay && app_on_stack(app, pay);
}

static void forget(void)
{
	free(B.saved);
	B.saved = NULL;
}

static void on_pay_timer(struct loop *l, void *cls)
{
	(void)l;
	B.timer = 0;
	basket_store_sync(cls);
}

static bool basket_same(const struct basket *a, const struct basket *b)
{
	return a->n == b->n && a->total == b->total &&
	       memcmp(&a->receipt_discount, &b->receipt_discount, sizeof a->receipt_discount) ==
		   0 &&
	       memcmp(a->lines, b->lines, a->n * sizeof a->lines[0]) == 0;
}

void basket_store_sync(struct app *app)
{
	struct journal *j = journal_of(app);
	if (!j)
		return;
	bool pay_open = app->basket.n > 0 && pay_on_stack(app);
	if (!pay_open) {
		B.cash[0] = B.card[0] = B.now[0] = '\0';
		B.settle = 0;
	}
	/* Most redraws change nothing here: compared first, dumped only on a change. */
	char pay[sizeof B.last_pay];
	snprintf(pay, sizeof pay, "%d %d %s\x1f%s\x1f%d %s", pay_open, B.pay_kind, B.cash, B.card,
		 B.settle, B.now);
	if (B.saved && strcmp(pay, B.last_pay) == 0 && basket_same(&app->basket, &B.last))
		return;
	struct basket_snapshot *s = xcalloc(1, sizeof *s);
	s->basket = app->basket;
	s->pay_open = pay_open;
	if (s->pay_open) {
		s->pay_kind = (enum doc_kind)B.pay_kind;
		str_copy(s->cash, B.cash, sizeof s->cash);
		str_copy(s->card, B.card, sizeof s->card);
		s->settle = B.settle;
		str_copy(s->now, B.now, sizeof s->now);
	}
	char *text = basket_snapshot_dump(s);
	free(s);
	if (B.saved && strcmp(text, B.saved) == 0) {
		B.last = app->basket;
		str_copy(B.last_pay, pay, sizeof B.last_pay);
		free(text);
		return;
	}
	/* A keystroke in a pay field: at most one write per BASKET_STORE_PAY_MS, the last one
	 * always. */
	long long since = mono_ms() - B.last_write_mono;
	if (B.saved && basket_same(&app->basket, &B.last) && since < BASKET_STORE_PAY_MS) {
		if (!B.timer)
			B.timer = loop_add_timer(app->loop, BASKET_STORE_PAY_MS - since,
						 on_pay_timer, app);
		free(text);
		return;
	}
	struct engine *e = engine_of(app);
	struct kerr err = {0};
	if (journal_basket_save(j, e->profile.name, (int)app->basket.n, app->basket.n ? text : "",
				&err) != K_OK) {
		if (!B.failed)
			app_message(
			    app, UI_MESSAGE_ERROR,
			    _("The basket could not be saved in the journal (%s); it stays on "
			      "screen, pay it or keep it until the journal works again"),
			    err.text);
		B.failed = true;
		free(text);
		forget();
		return;
	}
	B.failed = false;
	free(B.saved);
	B.saved = text;
	B.last = app->basket;
	str_copy(B.last_pay, pay, sizeof B.last_pay);
	B.last_write_mono = mono_ms();
}

struct newest_sale {
	int64_t id;
	enum journal_state state;
};

static bool on_newest_sale(const struct journal_doc *d, void *ctx)
{
	struct newest_sale *n = ctx;
	if (strcmp(d->kind, doc_kind_wire(DOC_RECEIPT)) != 0 &&
	    strcmp(d->kind, doc_kind_wire(DOC_NONFISCAL)) != 0)
		return true; /* shift documents, cash: look further */
	n->id = d->id;
	n->state = d->state;
	return false;
}

/*
 * A refusal that came just before kassa stopped: when the newest sale of
 * the journal was refused (nothing sold after it), C-r still brings it back.
 */
static void recall_after_restart(struct app *app, struct journal *j, bool quiet)
{
	struct newest_sale n = {0};
	if (journal_list(j, NULL, 50, 0, on_newest_sale, &n, NULL) != K_OK || !n.id ||
	    (n.state != JS_REJECTED && n.state != JS_FAILED))
		return;
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	char hint[96];
	if (journal_get(j, n.id, &d, NULL) == K_OK &&
	    basket_store_refused(app, &d, hint, sizeof hint) && !quiet)
		app_message(app, UI_MESSAGE_ERROR,
			    _("The last receipt, #%" PRId64 ", was refused: %s"), n.id, hint);
	journal_doc_free(&d);
}

void basket_store_start(struct app *app)
{
	struct journal *j = journal_of(app);
	forget();
	if (!j)
		return;
	recall_after_restart(app, j, false);
	struct journal_basket row;
	struct kerr err = {0};
	kstatus st = journal_basket_load(j, &row, &err);
	if (st == K_NOTFOUND)
		return;
	if (st != K_OK) {
		app_message(app, UI_MESSAGE_ERROR, _("The saved basket cannot be read: %s"),
			    err.text);
		return;
	}
	struct basket_snapshot *s = xcalloc(1, sizeof *s);
	st = basket_snapshot_load(row.body, s, &err);
	journal_basket_free(&row);
	if (st != K_OK || s->basket.n == 0) {
		if (st != K_OK)
			app_message(app, UI_MESSAGE_ERROR,
				    _("The saved basket cannot be read (%s: %s); start the sale "
				      "again"),
				    err.field, err.text);
		free(s);
		return;
	}
	app->basket = s->basket;
	app_home_reset(app);
	app->sel = (int)app->basket.n - 1;
	char total[48];
	app_money(app, app->basket.total, total, sizeof total);
	const struct view_ops *pay = app_find_view(app, "pay");
	if (s->pay_open && pay) {
		B.restore_pay = true;
		str_copy(B.r_cash, s->cash, sizeof B.r_cash);
		str_copy(B.r_card, s->card, sizeof B.r_card);
		B.r_settle = s->settle;
		str_copy(B.r_now, s->now, sizeof B.r_now);
		basket_store_pay_opened((int)s->pay_kind);
		app_push(app, pay, (int)s->pay_kind);
	}
	app_message(
	    app, UI_MESSAGE_INFO,
	    dngettext(GETTEXT_PACKAGE,
		      "Basket restored: %zu line, total %s%s (kassa stopped before it was paid)",
		      "Basket restored: %zu lines, total %s%s (kassa stopped before it was paid)",
		      app->basket.n),
	    app->basket.n, total, s->pay_open ? _(", payment as typed") : "");
	free(s);
}

void basket_store_detach(struct app *app)
{
	struct journal *j = journal_of(app);
	if (j)
		journal_basket_clear(j,
				     NULL); /* the next journal gets the basket at the next sync */
	forget();
}

void basket_store_stop(struct app *app)
{
	if (B.timer && app->loop)
		loop_cancel_timer(app->loop, B.timer);
	B.timer = 0;
	forget();
}

void basket_store_pay_opened(int kind)
{
	B.pay_kind = kind;
	B.cash[0] = B.card[0] = B.now[0] = '\0';
	B.settle = 0;
}

void basket_store_pay_settle(int settle, const char *now)
{
	B.settle = settle;
	str_copy(B.now, now ? now : "", sizeof B.now);
}

bool basket_store_pay_restore_settle(int *settle, char *now, size_t n)
{
	if (!B.restore_pay)
		return false;
	*settle = B.r_settle;
	str_copy(now, B.r_now, n);
	basket_store_pay_settle(B.r_settle, B.r_now);
	return true;
}

void basket_store_pay(const char *cash, const char *card)
{
	str_copy(B.cash, cash ? cash : "", sizeof B.cash);
	str_copy(B.card, card ? card : "", sizeof B.card);
}

bool basket_store_pay_restore(char *cash, char *card, size_t n)
{
	if (!B.restore_pay)
		return false;
	B.restore_pay = false;
	str_copy(cash, B.r_cash, n);
	str_copy(card, B.r_card, n);
	basket_store_pay(B.r_cash, B.r_card);
	return true;
}

bool basket_store_owns(const struct app *app, const struct document *doc)
{
	return doc_kind_has_basket(doc->kind) && pay_on_stack(app);
}

void basket_store_submitted(const struct app *app, const struct document *doc)
{
	if (basket_store_owns(app, doc))
		forget(); /* the journal dropped it with the document: nothing saved now */
}

static bool recallable(const struct journal_doc *d)
{
	return (strcmp(d->kind, doc_kind_wire(DOC_RECEIPT)) == 0 ||
		strcmp(d->kind, doc_kind_wire(DOC_NONFISCAL)) == 0) &&
	       !d->ref_uuid[0] && strcmp(d->type, "refund") != 0 &&
	       strcmp(d->type, "buy_refund") != 0 && d->body && d->body[0];
}

bool basket_store_refused(struct app *app, const struct journal_doc *d, char *hint, size_t n)
{
	hint[0] = '\0';
	if (!recallable(d))
		return false;
	B.refused_id = d->id;
	B.bill_id = 0;
	char key[64];
	if (!keymap_keys_for(&app->keys, "sale", ACT_RECALL, key, sizeof key))
		return false;
	char *comma = strchr(key, ',');
	if (comma)
		*comma = '\0';
	snprintf(hint, n, _("%s brings its basket back"), key);
	return true;
}

int64_t basket_store_recall_pending(void)
{
	return B.refused_id;
}

bool basket_store_bill_cancelling(struct app *app, int64_t bill_id, char *hint, size_t n)
{
	hint[0] = '\0';
	B.bill_id = bill_id;
	B.refused_id = 0;
	char key[64];
	if (!keymap_keys_for(&app->keys, "sale", ACT_RECALL, key, sizeof key))
		return false;
	char *comma = strchr(key, ',');
	if (comma)
		*comma = '\0';
	snprintf(hint, n, _("once it is cancelled, %s on the sale screen brings its basket back"),
		 key);
	return true;
}

/* The cancelled bill's receipt request (owned) into *body; false, with a message, if not yet. */
static bool bill_body(struct app *app, struct journal *j, char **body)
{
	struct journal_bill b;
	struct kerr err = {0};
	if (journal_bill_get(j, B.bill_id, &b, &err) != K_OK) {
		app_refuse(app, &err);
		return false;
	}
	bool back = b.state == BILL_CANCELLED || b.state == BILL_FAILED || b.state == BILL_REFUSED;
	if (!back)
		app_message(app, UI_MESSAGE_ERROR,
			    _("Bill #%lld is %s: its basket comes back only once it is cancelled "
			      "(M-b shows it)"),
			    (long long)b.id, _(bill_state_label(b.state)));
	*body = back && b.receipt_body ? xstrdup(b.receipt_body) : NULL;
	journal_bill_free(&b);
	return back;
}

int basket_store_recall(struct app *app)
{
	struct engine *e = engine_of(app);
	int64_t id = B.refused_id ? B.refused_id : B.bill_id;
	if (!id || !e || !e->journal) {
		app_message(app, UI_MESSAGE_INFO, "%s",
			    _("No refused receipt whose basket could come back"));
		return APP_HANDLED | APP_REDRAW;
	}
	if (app->basket.n) {
		app_message(app, UI_MESSAGE_ERROR,
			    _("The basket holds %zu lines: pay or delete them first; the refused "
			      "document #%" PRId64 " waits for this key"),
			    app->basket.n, id);
		return APP_HANDLED | APP_REDRAW;
	}
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr err = {0};
	char *body = NULL;
	if (!B.refused_id && !bill_body(app, e->journal, &body))
		return APP_HANDLED | APP_REDRAW;
	struct refund_original *o = xcalloc(1, sizeof *o);
	kstatus st = body ? K_OK : journal_get(e->journal, id, &d, &err);
	if (st == K_OK)
		st = refund_parse_original(body ? KPROVIDER_LIFEPAY : d.provider,
					   body ? body : d.body, o, &err);
	journal_doc_free(&d);
	free(body);
	if (st != K_OK || o->basket.n == 0) {
		app_message(app, UI_MESSAGE_ERROR,
			    _("The lines of document #%" PRId64 " cannot be read back (%s); F11 "
			      "shows it in the journal"),
			    id, err.text);
		free(o);
		return APP_HANDLED | APP_REDRAW;
	}
	while (app->depth > 1)
		app_pop(app);
	app->basket = o->basket;
	app_home_reset(app);
	app->sel = (int)app->basket.n - 1;
	/* The payment as it was, ready for F5 (the amounts show and can be changed). */
	B.restore_pay = B.refused_id != 0; /* a bill's receipt was paid by link: not here */
	B.r_cash[0] = B.r_card[0] = '\0';
	if (o->cash > 0)
		money_format_wire(o->cash, B.r_cash, sizeof B.r_cash);
	if (o->card > 0)
		money_format_wire(o->card, B.r_card, sizeof B.r_card);
	bool bill = !B.refused_id;
	B.refused_id = B.bill_id = 0;
	char total[48];
	app_money(app, app->basket.total, total, sizeof total);
	if (bill)
		app_message(app, UI_MESSAGE_INFO,
			    _("The basket of bill #%" PRId64 " is back: %zu lines, %s. Pay it "
			      "(or M-b for a new bill)"),
			    id, app->basket.n, total);
	else
		app_message(app, UI_MESSAGE_INFO,
			    _("Document #%" PRId64
			      " is back in the basket: %zu lines, %s. Fix it (or the "
			      "profile, F12) and pay: it goes as a new document"),
			    id, app->basket.n, total);
	free(o);
	return APP_HANDLED | APP_REDRAW;
}
