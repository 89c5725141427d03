/*
 * The pay dialog (F5, or F6 for a non-fiscal receipt): cash and card, either
 * may be "#" (the rest); the resolved amounts and the change follow every
 * key and kassa's tender rules (payment_check()); Enter builds the document
 * and hands it to app->submit. Enter on an empty amount field means # there;
 * F2 (exact cash) and F3 (card for the rest) fill # and send at once;
 * F7, F8, F11 and F12 add a 500, 1,000, 2,000 or 5,000 banknote to the cash
 * (cash 500 and card for the rest is F7 F3). An
 * amount above the profile's max_receipt asks first (y/д; Enter is no).
 * Refunds are not made here: F4 (with or without an original).
 * Settlement (Left/Right/Space on it): full payment, or seed 002's first
 * receipt: full prepayment (the lines, method 1), partial prepayment or
 * advance (one line of the part "Taken now", method 2 or 3; the goods are
 * journaled as the order the journal's F8 settles later).
 */
#include <stdlib.h>
#include <string.h>

#include "basket_store.h"
#include "engine.h"
#include "guard.h"
#include "i18n.h"
#include "scanner.h"
#include "settle.h"
#include "util.h"
#include "views/views.h"

/* Settlement last, so Tab keeps its old path; Shift-Tab from the cash reaches it at once. */
enum { F_CASH, F_CARD, F_TYPE, F_TAX, F_CONTACT, F_SETTLE, F_NOW, F_COUNT };

static const char *const field_labels[F_COUNT] = {
    N_("Cash"),	      N_("Card"),     N_("Receipt type"), N_("Tax system"), N_("E-mail or phone"),
    N_("Settlement"), N_("Taken now")};

struct pay_state {
	enum doc_kind kind;
	int focus;
	char text[F_COUNT][256];
	enum receipt_type type;
	enum tax_system tax;
	enum settle_kind settle; /* seed 002: full payment, or the prepayment receipt */
	int64_t now;		 /* partial prepayment, advance: what the buyer pays now */
	bool ok;
	struct payment pay;
	struct payment_result res;
	struct kerr err;
	bool asking; /* above the ceiling: y/д sends, anything else does not */
	char ask_text[400];
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct pay_state *pay_of(const struct app *app)
{
	return app_view_state(app, &view_pay);
}

static const enum action pay_footer[] = {ACT_SEND, ACT_CASH_REST, ACT_CARD_REST, ACT_NEXT_FIELD,
					 ACT_BACK, ACT_HELP,	  ACT_NONE};

/* Only these confirm a question that changes money: Enter (and anything else) is no. */
static bool is_yes(int key)
{
	return key == 'y' || key == 'Y' || key == 0x0434 /* д */ || key == 0x0414 /* Д */;
}

static bool is_text(int f)
{
	return f == F_CASH || f == F_CARD || f == F_NOW || f == F_CONTACT;
}

/* Partial prepayment and advance take a part now: the field for it shows. */
static bool takes_part(const struct pay_state *ps)
{
	return ps->settle == SETTLE_PREPAY_PARTIAL || ps->settle == SETTLE_ADVANCE;
}

/* What card and cash pay now: the total, or the part a prepayment takes. */
static int64_t pay_due(const struct app *app, const struct pay_state *ps)
{
	return takes_part(ps) ? ps->now : app->basket.total;
}

/*
 * The core's refusals name the wire fields and write amounts as the wire
 * does ("cash_amount: 1520.75 is still to pay"); the cashier reads the
 * dialog's own labels and the screen's money format instead.
 */
static void pay_explain(struct app *app)
{
	struct pay_state *ps = pay_of(app);
	char m[48], t[48];
	const char *label = strcmp(ps->err.field, "card_amount") == 0	? _(field_labels[F_CARD])
			    : strcmp(ps->err.field, "cash_amount") == 0 ? _(field_labels[F_CASH])
									: NULL;
	if (!label)
		return; /* a parse error: it already names the field as the dialog does */
	int64_t total = pay_due(app, ps);
	int64_t card = ps->pay.card.kind == PAY_AMOUNT ? ps->pay.card.kop : 0;
	int64_t cash = ps->pay.cash.kind == PAY_AMOUNT ? ps->pay.cash.kop : 0;
	bool rest = ps->pay.card.kind == PAY_REMAINDER || ps->pay.cash.kind == PAY_REMAINDER;
	char text[sizeof ps->err.text];
	if (ps->err.code == PAYMENT_CODE_NONCASH_OVER)
		snprintf(text, sizeof text,
			 _("%s is more than the total %s: only cash can give change"),
			 app_money(app, card, m, sizeof m), app_money(app, total, t, sizeof t));
	else if (!rest && card >= 0 && cash >= 0 && card <= total && card + cash < total)
		snprintf(text, sizeof text,
			 _("%s is still to pay: card and cash must cover the total"),
			 app_money(app, total - card - cash, m, sizeof m));
	else
		str_copy(text, ps->err.text, sizeof text);
	str_copy(ps->err.field, label, sizeof ps->err.field);
	str_copy(ps->err.text, text, sizeof ps->err.text);
}

/*
 * Whether the basket can be one prepayment line of the part taken now (one
 * VAT rate): lib's own rule, run on a scratch copy so the dialog never says
 * "Ready" for what Enter would refuse.
 */
static bool part_fits(struct app *app, struct pay_state *ps)
{
	struct document *d = xcalloc(1, sizeof *d);
	struct basket *order = xmalloc(sizeof *order);
	document_init(d, DOC_RECEIPT);
	d->type = RT_PAYMENT;
	d->basket = app->basket;
	kstatus st =
	    settle_make_prepayment(d, ps->settle, ps->now, _("Prepayment"), order, &ps->err);
	if (st != K_OK && strcmp(ps->err.field, "vat") == 0)
		str_copy(ps->err.field, _(field_labels[F_SETTLE]), sizeof ps->err.field);
	document_free(d);
	free(d);
	free(order);
	return st == K_OK;
}

static void pay_recalc(struct app *app)
{
	struct pay_state *ps = pay_of(app);
	kerr_clear(&ps->err);
	ps->ok = pay_amount_parse(ps->text[F_CARD], &ps->pay.card, _(field_labels[F_CARD]),
				  &ps->err) == K_OK &&
		 pay_amount_parse(ps->text[F_CASH], &ps->pay.cash, _(field_labels[F_CASH]),
				  &ps->err) == K_OK;
	ps->now = 0;
	if (ps->ok && takes_part(ps)) {
		struct pay_amount now;
		ps->ok = pay_amount_parse(ps->text[F_NOW], &now, _(field_labels[F_NOW]),
					  &ps->err) == K_OK;
		if (ps->ok &&
		    (now.kind != PAY_AMOUNT || now.kop <= 0 || now.kop >= app->basket.total)) {
			char t[48];
			kerr_set(
			    &ps->err, K_INVALID, _(field_labels[F_NOW]),
			    _("enter what the buyer pays now: more than zero, less than the total "
			      "%s (all of it is a full prepayment)"),
			    app_money(app, app->basket.total, t, sizeof t));
			ps->ok = false;
		}
		if (ps->ok)
			ps->now = now.kop;
	}
	if (ps->ok && takes_part(ps) && ps->type == RT_PAYMENT)
		ps->ok = part_fits(app, ps);
	if (ps->ok) {
		ps->ok = payment_check(pay_due(app, ps), &ps->pay, &ps->res, &ps->err) == K_OK;
		if (!ps->ok)
			pay_explain(app);
	}
}

/* The buyer remembered one more item: it joins the basket being paid. */
static bool pay_scan(struct app *app, const struct catalog_item *it, const char *marking)
{
	if (app->keyview)
		return false; /* a question is open: back to the sale */
	char m[48];
	if (it->unit != UNIT_PIECE && !marking) {
		app_message(app, UI_MESSAGE_ERROR,
			    _("Scanned «%s» is sold by weight: back to the sale (Esc) to weigh it"),
			    it->name);
	} else if (scanner_add_piece(app, it, marking)) {
		/* The dialog's amounts follow the basket. */
		pay_recalc(app);
		app_message(app, UI_MESSAGE_INFO,
			    _("Scanned «%s»: added to the basket; total now %s"), it->name,
			    app_money(app, app->basket.total, m, sizeof m));
	}
	app_redraw(app);
	return true;
}

static void pay_focus(struct app *app)
{
	struct pay_state *ps = pay_of(app);
	char p[96];
	if (ps->asking) {
		app_input(app, ps->ask_text, "");
		app->keyview = "danger"; /* y/д only: Enter is no */
		app_input_enable(app, false);
		return;
	}
	app->keyview = NULL;
	snprintf(p, sizeof p, "%s:", _(field_labels[ps->focus]));
	if (is_text(ps->focus)) {
		app_input(app, p, ps->text[ps->focus]);
	} else {
		snprintf(p, sizeof p, _("%s: Left/Right or Space changes it"),
			 _(field_labels[ps->focus]));
		app_input(app, p, "");
		app_input_enable(app, false);
	}
}

/*
 * A banknote key: the note joins what the cash field already holds (an
 * amount; "#" or nothing counts as none), and the cursor goes to the cash.
 */
static void add_banknote(struct app *app, int64_t note)
{
	struct pay_state *ps = pay_of(app);
	struct pay_amount cur;
	int64_t sum = note;
	if (pay_amount_parse(ps->text[F_CASH], &cur, _(field_labels[F_CASH]), NULL) == K_OK &&
	    cur.kind == PAY_AMOUNT)
		sum += cur.kop;
	if (sum % 100 == 0)
		snprintf(ps->text[F_CASH], sizeof ps->text[0], "%lld", (long long)(sum / 100));
	else
		snprintf(ps->text[F_CASH], sizeof ps->text[0], "%lld.%02lld",
			 (long long)(sum / 100), (long long)(sum % 100));
	basket_store_pay(ps->text[F_CASH], ps->text[F_CARD]);
	ps->focus = F_CASH;
	pay_focus(app);
	pay_recalc(app);
}

static void pay_open(struct app *app, int arg)
{
	struct pay_state *ps = pay_of(app);
	if (arg >= 0) {
		memset(ps, 0, sizeof *ps);
		ps->kind = (enum doc_kind)arg;
		ps->type = RT_PAYMENT;
		ps->tax = TAX_DEFAULT;
		int settle = 0;
		if (basket_store_pay_restore_settle(&settle, ps->text[F_NOW], sizeof ps->text[0]) &&
		    settle >= 0 && settle < SETTLE_COUNT)
			ps->settle = (enum settle_kind)settle;
		basket_store_pay_restore(ps->text[F_CASH], ps->text[F_CARD], sizeof ps->text[0]);
	}
	ps->asking = false;
	pay_recalc(app);
	pay_focus(app);
}

static void pay_changed(struct app *app, const char *text)
{
	struct pay_state *ps = pay_of(app);
	if (!is_text(ps->focus))
		return;
	str_copy(ps->text[ps->focus], text, sizeof ps->text[0]);
	basket_store_pay(ps->text[F_CASH], ps->text[F_CARD]); /* kept in the journal */
	basket_store_pay_settle((int)ps->settle, ps->text[F_NOW]);
	pay_recalc(app);
}

static kstatus set_contact(struct document *d, const char *text, struct kerr *err)
{
	char buf[256];
	str_copy(buf, text, sizeof buf);
	char *s = str_trim(buf);
	if (!*s)
		return K_OK;
	if (strchr(s, '@')) {
		if (!str_copy(d->customer_email, s, sizeof d->customer_email))
			return kerr_set(err, K_INVALID, _("e-mail"), "%s", _("is too long"));
		return K_OK;
	}
	return document_normalize_phone(s, d->customer_phone, sizeof d->customer_phone, err);
}

/* Seed 002's receipt 1: the lines take the settlement's method; a part is one line. */
static kstatus make_prepayment(const struct pay_state *ps, struct document *d, struct kerr *err)
{
	if (d->kind != DOC_RECEIPT || d->type != RT_PAYMENT)
		return kerr_set(
		    err, K_INVALID, _(field_labels[F_SETTLE]), "%s",
		    _("a prepayment is taken on a sale's fiscal receipt: make it a sale, "
		      "or choose full payment"));
	struct basket *order = xmalloc(sizeof *order);
	kstatus st = settle_make_prepayment(
	    d, ps->settle, ps->now, ps->settle == SETTLE_ADVANCE ? _("Advance") : _("Prepayment"),
	    order, err);
	if (st == K_OK && takes_part(ps)) {
		d->order = order; /* the goods, settled later at their full price */
		order = NULL;
	}
	free(order);
	if (st != K_OK && strcmp(err->field, "vat") == 0)
		str_copy(err->field, _(field_labels[F_SETTLE]), sizeof err->field);
	return st;
}

/* Enter on an empty amount field means # there (unless the other one is #). */
static void empty_means_rest(struct pay_state *ps)
{
	if (ps->focus != F_CASH && ps->focus != F_CARD)
		return;
	int other = ps->focus == F_CASH ? F_CARD : F_CASH;
	char mine[256], theirs[256];
	str_copy(mine, ps->text[ps->focus], sizeof mine);
	str_copy(theirs, ps->text[other], sizeof theirs);
	if (*str_trim(mine) == '\0' && strcmp(str_trim(theirs), "#") != 0) {
		str_copy(ps->text[ps->focus], "#", sizeof ps->text[0]);
		basket_store_pay(ps->text[F_CASH], ps->text[F_CARD]);
	}
}

static int pay_send(struct app *app, bool confirmed)
{
	struct pay_state *ps = pay_of(app);
	pay_recalc(app); /* the screen's check of what it shows; lib resolves it once more */
	if (!ps->ok) {
		app_refuse(app, &ps->err);
		return APP_HANDLED | APP_REDRAW;
	}
	struct kerr err = {0};
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, ps->kind);
	d->type = ps->type;
	d->tax_system = ps->tax;
	d->basket = app->basket;
	d->pay = ps->pay;
	d->test = app->status.mode == APP_MODE_TEST;
	d->allow_large = confirmed;
	d->resolved = ps->res; /* as shown: the ceiling's cash and the change */
	kstatus st = set_contact(d, ps->text[F_CONTACT], &err);
	if (st == K_OK && ps->settle != SETTLE_FULL)
		st = make_prepayment(ps, d, &err);
	if (st == K_OK)
		document_assign_ext_id(d);
	struct engine *e = engine_of(app);
	if (st == K_OK && !confirmed &&
	    guard_ceiling(d, e ? e->profile.max_receipt : 0, &err) != K_OK) {
		/* Above the ceiling: a slip of the finger, or a real sale? Ask. */
		app_refuse(app, &err); /* what is above which ceiling, on the message line */
		snprintf(ps->ask_text, sizeof ps->ask_text, "%s %s",
			 _("Above the ceiling: send it anyway?"), _("(y/n)"));
		ps->asking = true;
		document_free(d);
		free(d);
		pay_focus(app);
		return APP_HANDLED | APP_REDRAW;
	}
	if (st == K_OK)
		st = app->submit(app, d, &err);
	struct payment_result res = d->resolved;
	int64_t total = pay_due(app, ps);
	enum doc_kind kind = ps->kind;
	enum settle_kind settle = ps->settle;
	document_free(d);
	free(d);
	if (st != K_OK) {
		app_refuse(app, &err); /* the basket and the fields stay as they are */
		return APP_HANDLED | APP_REDRAW;
	}
	basket_clear(&app->basket);
	app_pop(app);
	sale_reset(app);
	char sum[48], change[48];
	app_money(app, total, sum, sizeof sum);
	app_money(app, res.change, change, sizeof change);
	/* The change comes first: it is what the cashier hands over now. */
	if (app->status.engine && settle != SETTLE_FULL)
		app_message(app, UI_MESSAGE_INFO,
			    _("Change %s · %s %s is on its way; settle the order later: journal "
			      "(F11), F8"),
			    change, _(settle_kind_label(settle)), sum);
	else if (app->status.engine)
		app_message(app, UI_MESSAGE_INFO, _("Change %s · %s for %s is on its way"), change,
			    doc_kind_label(kind), sum);
	else
		app_message(app, UI_MESSAGE_INFO,
			    _("Change %s · %s for %s not sent: no delivery engine"), change,
			    doc_kind_label(kind), sum);
	return APP_HANDLED | APP_REDRAW;
}

static int pay_handle(struct app *app, enum action a, int key)
{
	struct pay_state *ps = pay_of(app);
	int step = 1;
	if (ps->asking && a != ACT_CONFIRM && a != ACT_REFUSE && a != ACT_HELP) {
		/* Any other key is a no: the question goes, the amounts stay. */
		ps->asking = false;
		pay_focus(app);
		app_message(app, UI_MESSAGE_INFO, "%s",
			    _("Not sent; the amounts are kept: correct them, or Esc"));
		return APP_HANDLED | APP_REDRAW;
	}
	switch (a) {
	case ACT_PREV_FIELD:
	case ACT_UP:
		step = F_COUNT - 1;
		/* fall through */
	case ACT_NEXT_FIELD:
	case ACT_DOWN:
		ps->focus = (ps->focus + step) % F_COUNT;
		if (ps->focus == F_NOW && !takes_part(ps))
			ps->focus = (ps->focus + step) % F_COUNT;
		pay_focus(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_OPTION_PREV:
		step = -1;
		/* fall through */
	case ACT_OPTION_NEXT:
		if (ps->focus == F_TYPE) {
			/* Refunds are made with F4, against their original (or explicitly without).
			 */
			ps->type = ps->type == RT_PAYMENT ? RT_BUY : RT_PAYMENT;
			app_message(
			    app, UI_MESSAGE_INFO, "%s",
			    _("A refund is made with F4: against the original receipt, or F4 "
			      "then F6 without one"));
		} else if (ps->focus == F_TAX)
			ps->tax = (enum tax_system)((ps->tax + TAX_COUNT + step) % TAX_COUNT);
		else if (ps->focus == F_SETTLE) {
			ps->settle =
			    (enum settle_kind)((ps->settle + SETTLE_COUNT + step) % SETTLE_COUNT);
			basket_store_pay_settle((int)ps->settle, ps->text[F_NOW]);
			pay_recalc(app);
		} else
			return APP_UNHANDLED; /* Left/Right/Space edit the text */
		return APP_HANDLED | APP_REDRAW;
	case ACT_CONFIRM:
	case ACT_REFUSE:
		if (!ps->asking)
			return APP_HANDLED; /* nothing asked: nothing changes */
		ps->asking = false;
		pay_focus(app);
		if (a == ACT_CONFIRM && is_yes(key))
			return pay_send(app, true);
		app_message(app, UI_MESSAGE_INFO, "%s",
			    _("Not sent; the amounts are kept: correct them, or Esc"));
		return APP_HANDLED | APP_REDRAW;
	case ACT_SEND:
	case ACT_PAY:
		if (a == ACT_SEND) {
			empty_means_rest(ps);
			pay_focus(app);
		}
		return pay_send(app, false);
	case ACT_CASH_REST:
	case ACT_CARD_REST: {
		int mine = a == ACT_CASH_REST ? F_CASH : F_CARD;
		int other = mine == F_CASH ? F_CARD : F_CASH;
		char t[256];
		str_copy(t, ps->text[other], sizeof t);
		if (strcmp(str_trim(t), "#") == 0)
			ps->text[other][0] = '\0';
		str_copy(ps->text[mine], "#", sizeof ps->text[0]);
		basket_store_pay(ps->text[F_CASH], ps->text[F_CARD]);
		pay_focus(app);
		return pay_send(app, false);
	}
	case ACT_NOTE_500:
	case ACT_NOTE_1000:
	case ACT_NOTE_2000:
	case ACT_NOTE_5000:
		add_banknote(app, a == ACT_NOTE_500    ? 50000
				  : a == ACT_NOTE_1000 ? 100000
				  : a == ACT_NOTE_2000 ? 200000
						       : 500000);
		return APP_HANDLED | APP_REDRAW;
	case ACT_NONFISCAL:
		ps->kind = ps->kind == DOC_NONFISCAL ? DOC_RECEIPT : DOC_NONFISCAL;
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		app_pop(app);
		app_message(app, UI_MESSAGE_INFO, "%s", _("Payment cancelled; the basket is kept"));
		return APP_HANDLED | APP_REDRAW;
	case ACT_FIND:
	case ACT_DISCOUNT:
	case ACT_DELETE_LINE:
	case ACT_REFUND:
		app_message(app, UI_MESSAGE_ERROR, "%s",
			    _("Close the payment first (Esc); the basket is kept"));
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
}

static void pay_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct pay_state *ps = pay_of(app);
	char buf[256], m[48];
	snprintf(buf, sizeof buf, _("Payment: %s"), doc_kind_label(ps->kind));
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, buf, UI_TITLE);
	int lw = cols >= 60 ? 20 : 14, vx = lw + 4, vw = cols - vx - 16;
	if (vw > 24)
		vw = 24;
	int rx = vx + vw + 2;
	app_put(w, 2, 2, lw, TEXT_LEFT, _("Total to pay"), UI_TOTAL_LABEL);
	app_put(w, 2, rx, cols - rx - 1, TEXT_RIGHT, app_money(app, app->basket.total, m, sizeof m),
		UI_TOTAL);
	if (takes_part(ps) && ps->now > 0) {
		/* What stays for the settlement (F11, F8 later). */
		app_put(w, 3, 2, lw + 10, TEXT_LEFT, _("Left to pay at settlement"),
			UI_TOTAL_LABEL);
		app_put(w, 3, rx, cols - rx - 1, TEXT_RIGHT,
			app_money(app, app->basket.total - ps->now, m, sizeof m), UI_DIALOG_VALUE);
	}
	int shown = 0; /* "Taken now" shows for a partial prepayment or an advance only */
	for (int f = 0; f < F_COUNT && 4 + shown < rows; f++) {
		if (f == F_NOW && !takes_part(ps))
			continue;
		int y = 4 + shown++;
		bool on = f == ps->focus;
		enum ui_role role = on ? UI_DIALOG_FOCUS : UI_DIALOG_LABEL;
		app_put(w, y, 0, 2, TEXT_LEFT, on ? "▸" : " ", role);
		app_put(w, y, 2, lw + 2, TEXT_LEFT, _(field_labels[f]), role);
		const char *v = ps->text[f];
		if (f == F_SETTLE) {
			snprintf(buf, sizeof buf, "◂ %s ▸", _(settle_kind_label(ps->settle)));
			v = buf;
		} else if (f == F_TYPE) {
			snprintf(buf, sizeof buf, "◂ %s ▸", receipt_type_label(ps->type));
			v = buf;
		} else if (f == F_TAX) {
			snprintf(buf, sizeof buf, "◂ %s ▸", tax_system_label(ps->tax));
			v = buf;
		}
		app_put(w, y, vx, f == F_TYPE || f == F_TAX || f == F_SETTLE ? cols - vx - 1 : vw,
			TEXT_LEFT, is_text(f) && !*v ? "·" : v,
			on ? UI_DIALOG_FOCUS : UI_DIALOG_VALUE);
		if (ps->ok && (f == F_CASH || f == F_CARD)) {
			int64_t amount = f == F_CASH ? ps->res.cash : ps->res.card;
			snprintf(buf, sizeof buf, "= %s", app_money(app, amount, m, sizeof m));
			app_put(w, y, rx, cols - rx - 1, TEXT_RIGHT, buf, UI_DIALOG_VALUE);
		}
	}
	int y = 4 + shown + 1;
	if (y >= rows)
		return;
	if (ps->ok) {
		app_put(w, y, 2, lw, TEXT_LEFT, _("Change"), UI_TOTAL_LABEL);
		app_put(w, y, rx, cols - rx - 1, TEXT_RIGHT,
			app_money(app, ps->res.change, m, sizeof m), UI_DIALOG_CHANGE);
		if (y + 2 < rows)
			app_put(w, y + 2, 2, cols - 4, TEXT_LEFT, _("Ready: Enter sends"),
				UI_MESSAGE_INFO);
	} else if (y + 2 < rows) {
		kerr_str(&ps->err, buf, sizeof buf);
		app_put(w, y, 2, cols - 4, TEXT_LEFT, _("Not yet:"), UI_TOTAL_LABEL);
		app_put_wrapped(w, y + 1, 2, cols - 4, rows - y - 4 >= 2 ? 2 : 1, buf,
				UI_MESSAGE_ERROR);
	}
	if (y + 4 < rows)
		app_put_wrapped(
		    w, y + 4, 2, cols - 4, rows - y - 4,
		    _("# pays the rest (Enter on an empty field too); F2 exact cash, F3 "
		      "card for the rest; F7 F8 F11 F12 add a 500, 1000, 2000, 5000 note to "
		      "the cash; Tab moves; Esc goes back, the basket is kept."),
		    UI_HELP_TEXT);
}

const struct view_ops view_pay = {
    .state_size = sizeof(struct pay_state),
    .scan = pay_scan,
    .name = "pay",
    .title = N_("Payment"),
    .footer = pay_footer,
    .open = pay_open,
    .draw = pay_draw,
    .handle = pay_handle,
    .changed = pay_changed,
};
