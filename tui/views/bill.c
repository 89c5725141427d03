/*
 * Pay by link (M-b on the sale screen): a LIFE PAY bill for the basket's
 * total sent to the buyer's phone or e-mail. The cashier types the contact
 * and Enter; the screen then shows the bill as it moves (waiting, awaiting
 * confirmation, paid, failed, cancelled), its link and, for SBP, a QR code
 * drawn from libqrencode's modules with half blocks. The basket leaves the
 * sale with the bill (the journal keeps it in the bill: a bill per basket).
 * F4 on a paid bill refunds it (all that is left, or the amount typed)
 * through LIFE PAY; Up and Down go through the other bills, listed with
 * their states beside the bill when the window is wide enough.
 */
#include <qrencode.h>
#include <stdio.h>
#include <string.h>

#include "basket_store.h"
#include "engine.h"
#include "engine_bill.h"
#include "i18n.h"
#include "journal_bill.h"
#include "journal_refund.h"
#include "money.h"
#include "util.h"
#include "views/views.h"

struct bill_state_view {
	enum bill_method method;
	int64_t id; /* 0 while the contact is being typed */
	int64_t total;
	bool refunding; /* F4: the amount to refund is being typed */
};

static struct bill_state_view *bill_of(const struct app *app)
{
	return app_view_state(app, &view_bill);
}

static const enum action bill_footer[] = {ACT_BILL_CANCEL, ACT_REFUND, ACT_UP,	ACT_DOWN,
					  ACT_BACK,	   ACT_HELP,   ACT_NONE};

static bool on_newest(const struct journal_bill *b, void *ctx)
{
	*(int64_t *)ctx = b->id;
	return false;
}

static void bill_open(struct app *app, int arg)
{
	struct bill_state_view *s = bill_of(app);
	if (arg >= 0) {
		s->method = BILL_METHOD_SBP;
		s->total = app->basket.total;
	}
	if (arg == 1) {
		struct engine *e = engine_of(app);
		if (!e || !e->journal ||
		    journal_bill_list(e->journal, 1, on_newest, &s->id, NULL) != K_OK || !s->id) {
			app_pop(app); /* first: the message belongs to the sale screen */
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("No bill yet: add the items, then M-b makes one"));
			return;
		}
	}
	if (!s->id) {
		app_input(app, _("Buyer's phone or e-mail:"), "");
		return;
	}
	if (s->refunding) {
		app_input(app, _("Refund amount (empty: all that is left), Enter refunds:"), "");
		return;
	}
	/* The bill is made: nothing to type here, only F7, F4, Up, Down and Esc. */
	app_input(app, _("F7: cancel the bill · Esc: back to the sale (kassa keeps following it)"),
		  "");
	app_input_enable(app, false);
}

/* F4's amount, Enter: refunds the bill through LIFE PAY (all that is left when empty). */
static int refund_line(struct app *app, const char *text)
{
	struct bill_state_view *s = bill_of(app);
	struct kerr err = {0};
	int64_t amount = 0;
	char t[64];
	str_copy(t, text, sizeof t);
	if (*str_trim(t) && money_parse(str_trim(t), &amount, _("Refund amount"), &err) != K_OK) {
		app_refuse(app, &err); /* the amount stays to be fixed */
		return APP_HANDLED | APP_REDRAW;
	}
	int64_t rid = 0;
	struct bills *b = engine_bills(engine_of(app));
	if (!b)
		kerr_set(&err, K_REFUSED, "bill", "%s",
			 _("Bills need a LIFE PAY profile with the delivery engine running"));
	if (!b || bills_refund(b, s->id, amount, &rid, &err) != K_OK) {
		app_refuse(app, &err);
		return APP_HANDLED | APP_REDRAW;
	}
	s->refunding = false;
	bill_open(app, -1);
	app_message(app, UI_MESSAGE_INFO,
		    _("Refund #%lld of bill #%lld journaled: sending it to LIFE PAY"),
		    (long long)rid, (long long)s->id);
	return APP_HANDLED | APP_REDRAW;
}

struct step {
	int64_t cur, prev, next; /* prev: the newer bill, next: the older one */
	bool seen;
};

static bool on_step(const struct journal_bill *b, void *ctx)
{
	struct step *st = ctx;
	if (st->seen) {
		st->next = b->id;
		return false;
	}
	if (b->id == st->cur)
		st->seen = true;
	else
		st->prev = b->id;
	return true;
}

static int bill_line(struct app *app, const char *text)
{
	struct bill_state_view *s = bill_of(app);
	if (s->refunding)
		return refund_line(app, text);
	if (s->id)
		return APP_HANDLED;
	struct engine *e = engine_of(app);
	struct bills *b = engine_bills(e);
	if (!b) {
		app_message(app, UI_MESSAGE_ERROR, "%s",
			    _("Bills need a LIFE PAY profile with the delivery engine running"));
		app_input(app, NULL, text); /* the contact stays */
		return APP_HANDLED | APP_REDRAW;
	}
	struct bill_request rq;
	memset(&rq, 0, sizeof rq);
	rq.method = s->method;
	if (strchr(text, '@'))
		str_copy(rq.email, text, sizeof rq.email);
	else
		str_copy(rq.phone, text, sizeof rq.phone);
	struct document d;
	document_init(&d, DOC_RECEIPT);
	d.basket = app->basket;
	d.tax_system = e->profile.tax_system;
	d.test = app->status.mode == APP_MODE_TEST;
	struct kerr err = {0};
	int64_t id = 0;
	kstatus st = bills_create(b, &d, &rq, true, &id, &err);
	/* The basket belongs to the screen: only the copy is freed. */
	memset(&d.basket, 0, sizeof d.basket);
	document_free(&d);
	if (st != K_OK) {
		app_refuse(app, &err); /* the contact and the basket stay */
		app_input(app, NULL, text);
		return APP_HANDLED | APP_REDRAW;
	}
	s->id = id;
	basket_clear(&app->basket);
	sale_reset(app);
	bill_open(app, -1);
	app_message(app, UI_MESSAGE_INFO, _("Bill #%lld journaled: sending it to LIFE PAY"),
		    (long long)id);
	return APP_HANDLED | APP_REDRAW;
}

static int bill_handle(struct app *app, enum action a, int key)
{
	(void)key;
	struct bill_state_view *s = bill_of(app);
	switch (a) {
	case ACT_OPTION_NEXT:
	case ACT_OPTION_PREV:
		if (s->id)
			return APP_UNHANDLED;
		s->method = (enum bill_method)(
		    (s->method + (a == ACT_OPTION_NEXT ? 1 : BILL_METHOD_COUNT - 1)) %
		    BILL_METHOD_COUNT);
		return APP_HANDLED | APP_REDRAW;
	case ACT_BILL_CANCEL: {
		if (!s->id)
			return APP_UNHANDLED;
		struct kerr err = {0};
		if (bills_cancel(engine_bills(engine_of(app)), s->id, &err) != K_OK)
			app_refuse(app, &err);
		else {
			char hint[160];
			basket_store_bill_cancelling(app, s->id, hint, sizeof hint);
			app_message(app, UI_MESSAGE_INFO,
				    hint[0] ? _("Cancelling bill #%lld: %s")
					    : _("Cancelling bill #%lld"),
				    (long long)s->id, hint);
		}
		return APP_HANDLED | APP_REDRAW;
	}
	case ACT_REFUND: {
		if (!s->id || s->refunding)
			return s->refunding ? APP_HANDLED : APP_UNHANDLED;
		struct engine *e = engine_of(app);
		struct journal_bill b;
		struct kerr err = {0};
		if (!e || !e->journal || journal_bill_get(e->journal, s->id, &b, &err) != K_OK) {
			app_refuse(app, &err);
			return APP_HANDLED | APP_REDRAW;
		}
		bool paid = b.state == BILL_SUCCESS;
		if (!paid)
			kerr_set(&err, K_REFUSED, "bill",
				 _("bill #%lld is %s: only a paid bill can be refunded"),
				 (long long)b.id, _(bill_state_label(b.state)));
		journal_bill_free(&b);
		if (!paid) {
			app_refuse(app, &err);
			return APP_HANDLED | APP_REDRAW;
		}
		s->refunding = true;
		app_input_enable(app, true);
		bill_open(app, -1);
		return APP_HANDLED | APP_REDRAW;
	}
	case ACT_BACK:
		if (!s->refunding)
			return APP_UNHANDLED;
		s->refunding = false;
		bill_open(app, -1);
		app_message(app, UI_MESSAGE_INFO, "%s", _("Not refunded; nothing was sent"));
		return APP_HANDLED | APP_REDRAW;
	case ACT_UP:
	case ACT_DOWN: {
		struct engine *e = engine_of(app);
		if (!s->id || s->refunding || !e || !e->journal)
			return s->id ? APP_HANDLED : APP_UNHANDLED;
		struct step st = {.cur = s->id};
		journal_bill_list(e->journal, 0, on_step, &st, NULL);
		int64_t to = a == ACT_UP ? st.prev : st.next;
		if (to)
			s->id = to;
		return APP_HANDLED | APP_REDRAW;
	}
	case ACT_BILL:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
}

/* The width of text's QR code with its quiet zone (its lines are half that, rounded up). */
static int qr_size(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return 0;
	int n = q->width + 4;
	QRcode_free(q);
	return n;
}

/* The QR code of text: libqrencode's modules, two rows per line, light as ink. */
static int draw_qr(WINDOW *w, int y, int x, int rows, int cols, const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return 0;
	int qz = 2, n = q->width + 2 * qz, lines = (n + 1) / 2;
	if (n > cols || lines > rows) {
		QRcode_free(q);
		return -1;
	}
	char buf[4 * 200];
	for (int r = 0; r < lines; r++) {
		size_t k = 0;
		for (int c = 0; c < n && k + 4 < sizeof buf; c++) {
			bool up = true, down = true; /* light (the quiet zone) */
			int my = 2 * r - qz, mx = c - qz;
			if (my >= 0 && my < q->width && mx >= 0 && mx < q->width)
				up = !(q->data[my * q->width + mx] & 1);
			if (my + 1 >= 0 && my + 1 < q->width && mx >= 0 && mx < q->width)
				down = !(q->data[(my + 1) * q->width + mx] & 1);
			else if (my + 1 >= q->width + qz)
				down = false;
			const char *g = up && down ? "\u2588"
					: up	   ? "\u2580"
					: down	   ? "\u2584"
						   : " ";
			memcpy(buf + k, g, strlen(g));
			k += strlen(g);
		}
		buf[k] = '\0';
		mvwaddstr(w, y + r, x, buf);
	}
	QRcode_free(q);
	return lines;
}

struct refunds_ctx {
	struct app *app;
	WINDOW *w;
	int *y, cols;
};

static bool draw_refund(const struct journal_refund *r, void *ctx)
{
	struct refunds_ctx *c = ctx;
	char buf[400], amount[48];
	app_money(c->app, r->amount, amount, sizeof amount);
	int n = snprintf(buf, sizeof buf, _("Refund #%lld: %s, %s"), (long long)r->id, amount,
			 _(refund_state_label(r->state)));
	if (r->receipt_doc_id && n > 0 && (size_t)n < sizeof buf)
		n += snprintf(buf + n, sizeof buf - (size_t)n, _(", refund receipt #%lld"),
			      (long long)r->receipt_doc_id);
	if (r->last_error[0] && n > 0 && (size_t)n < sizeof buf)
		snprintf(buf + n, sizeof buf - (size_t)n, " (%s)", r->last_error);
	app_put(c->w, (*c->y)++, 1, c->cols, TEXT_LEFT, buf,
		r->state == REFUND_DONE	     ? UI_STATE_PROCESSED
		: r->state == REFUND_REFUSED ? UI_STATE_FAILED
					     : UI_STATE_ACCEPTED);
	return true;
}

struct list_ctx {
	struct app *app;
	WINDOW *w;
	int y, x, w_, rows;
	int64_t cur;
};

static bool draw_list_row(const struct journal_bill *b, void *ctx)
{
	struct list_ctx *c = ctx;
	if (c->y > c->rows)
		return false;
	char buf[160], amount[48];
	app_money(c->app, b->amount, amount, sizeof amount);
	snprintf(buf, sizeof buf, "%s#%-3lld %10s %s", b->id == c->cur ? "▸" : " ",
		 (long long)b->id, amount, bill_state_label(b->state));
	app_put(c->w, c->y++, c->x, c->w_, TEXT_LEFT, buf,
		b->id == c->cur ? UI_DIALOG_FOCUS : UI_DIALOG_VALUE);
	return true;
}

static void bill_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct bill_state_view *s = bill_of(app);
	char buf[1200], amount[48];
	int y = 1;
	if (!s->id) {
		app_put(w, y++, 1, cols - 2, TEXT_LEFT,
			_("Pay by link: LIFE PAY sends the buyer a bill"), UI_TITLE);
		app_money(app, s->total, amount, sizeof amount);
		snprintf(buf, sizeof buf, _("Total: %s"), amount);
		app_put(w, ++y, 1, cols - 2, TEXT_LEFT, buf, UI_TOTAL);
		y += 2;
		app_put(w, y, 1, 10, TEXT_LEFT, _("Method:"), UI_DIALOG_LABEL);
		int x = 12;
		for (int m = 0; m < BILL_METHOD_COUNT; m++) {
			const char *l = bill_method_label((enum bill_method)m);
			int len = (int)utf8_chars(l) + 2;
			if (x > 12 &&
			    x + len > cols - 1) { /* a label never breaks: the next line */
				y++;
				x = 12;
			}
			app_put(w, y, x, len < cols - 1 - x ? len : cols - 1 - x, TEXT_LEFT, l,
				m == (int)s->method ? UI_DIALOG_FOCUS : UI_DIALOG_VALUE);
			x += len + 1;
		}
		y += 2;
		app_put(w, y++, 1, cols - 2, TEXT_LEFT,
			_("Type the buyer's phone (+7 ...) or e-mail below and press Enter; Tab "
			  "changes the method."),
			UI_HELP_TEXT);
		app_put(
		    w, y++, 1, cols - 2, TEXT_LEFT,
		    _("Mobile commerce needs a phone. Esc: back to the sale, the basket is kept."),
		    UI_HELP_TEXT);
		return;
	}
	struct engine *e = engine_of(app);
	struct journal_bill b;
	if (!e || !e->journal || journal_bill_get(e->journal, s->id, &b, NULL) != K_OK) {
		app_put(w, y, 1, cols - 2, TEXT_LEFT, _("The bill cannot be read from the journal"),
			UI_MESSAGE_ERROR);
		return;
	}
	int list_w = cols >= 84 ? 42 : 0; /* the bills beside this one */
	/*
	 * paymentUrl is the buyer's link (paymentUrlWeb only picks a bank in a
	 * browser). Its QR code goes below the text when it fits there, else
	 * beside it on the right (an SBP code is 33x17 at 80x24).
	 */
	const char *qr = b.payment_url;
	int qr_n =
	    b.method == BILL_METHOD_SBP && qr[0] && !bill_state_final(b.state) ? qr_size(qr) : 0;
	bool beside = qr_n > 0 && 8 + (qr_n + 1) / 2 > rows - 1 && (qr_n + 1) / 2 <= rows - 2 &&
		      cols - 2 - list_w - qr_n - 1 >= 30;
	int tw = cols - 2 - list_w - (beside ? qr_n + 1 : 0); /* the text's width */
	app_money(app, b.amount, amount, sizeof amount);
	snprintf(buf, sizeof buf, _("Bill #%lld · %s · %s"), (long long)b.id, amount,
		 bill_method_label(b.method));
	app_put(w, y++, 1, tw, TEXT_LEFT, buf, UI_TITLE);
	enum ui_role role = b.state == BILL_SUCCESS				? UI_STATE_PROCESSED
			    : b.state == BILL_FAILED || b.state == BILL_REFUSED ? UI_STATE_FAILED
			    : b.state == BILL_CANCELLED				? UI_STATE_REJECTED
										: UI_STATE_ACCEPTED;
	snprintf(buf, sizeof buf, _("State: %s"), bill_state_label(b.state));
	app_put(w, y++, 1, tw, TEXT_LEFT, buf, role);
	if (b.number[0]) {
		snprintf(buf, sizeof buf, _("LIFE PAY number: %s"), b.number);
		app_put(w, y++, 1, tw, TEXT_LEFT, buf, UI_DIALOG_VALUE);
	}
	if (b.payment_url[0]) { /* the whole link, over as many lines as it takes */
		snprintf(buf, sizeof buf, _("Link: %s"), b.payment_url);
		for (const char *p = buf; *p && tw > 0 && y < rows - 1;) {
			char part[sizeof buf];
			size_t k = 0;
			for (int c = 0; p[k] && (c < tw || (p[k] & 0xC0) == 0x80); k++)
				c += (p[k] & 0xC0) != 0x80;
			memcpy(part, p, k);
			part[k] = '\0';
			app_put(w, y++, 1, tw, TEXT_LEFT, part, UI_DIALOG_VALUE);
			p += k;
		}
	}
	if (b.state == BILL_SUCCESS) {
		if (b.receipt_doc_id)
			snprintf(buf, sizeof buf, _("Paid: receipt #%lld is on its way"),
				 (long long)b.receipt_doc_id);
		else
			snprintf(buf, sizeof buf, "%s",
				 b.provider_prints ? _("Paid: LIFE PAY prints the receipt")
						   : _("Paid: the receipt is being queued"));
		app_put(w, y++, 1, tw, TEXT_LEFT, buf, UI_STATE_PROCESSED);
	}
	if (b.last_error[0]) {
		snprintf(buf, sizeof buf, _("Last problem: %s"), b.last_error);
		app_put(w, y++, 1, tw, TEXT_LEFT, buf, UI_STATE_RETRY);
	}
	struct refunds_ctx rc = {app, w, &y, tw};
	journal_bill_refund_list(e->journal, b.id, draw_refund, &rc, NULL);
	if (list_w) {
		struct list_ctx lc = {app, w, 1, cols - list_w, list_w - 1, rows - 2, s->id};
		app_put(w, 0, lc.x, lc.w_, TEXT_LEFT, _("Bills (Up/Down)"), UI_TOTAL_LABEL);
		journal_bill_list(e->journal, rows - 3, draw_list_row, &lc, NULL);
	}
	const char *hint =
	    b.state == BILL_INITIATED
		? _("F7: cancel the bill · Esc: back to the sale (kassa keeps following it)")
	    : b.state == BILL_SUCCESS ? _("F4: refund the bill · Up/Down: other bills · Esc: back")
				      : _("Up/Down: other bills · Esc: back to the sale");
	app_put(w, rows - 1, 1, cols - 2, TEXT_LEFT, hint, UI_HELP_TEXT);
	if (qr_n > 0) {
		wattrset(w, (int)theme_attr(UI_TEXT));
		if (beside ? draw_qr(w, 1, cols - list_w - qr_n - 1, rows - 2, qr_n, qr) < 0
			   : draw_qr(w, y + 1, 2, rows - y - 2, cols - 4 - list_w, qr) < 0)
			app_put(w, y + 1, 1, cols - 2, TEXT_LEFT,
				_("(the window is too small for the QR code: enlarge it)"),
				UI_HELP_TEXT);
	}
	journal_bill_free(&b);
}

const struct view_ops view_bill = {
    .state_size = sizeof(struct bill_state_view),
    .name = "bill",
    .title = N_("Pay by link"),
    .footer = bill_footer,
    .open = bill_open,
    .draw = bill_draw,
    .handle = bill_handle,
    .line = bill_line,
};
