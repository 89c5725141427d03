/*
 * The refund screen (F4). First the original: typed (uuid, ext_id or the
 * local number, Tab completes) or picked from the journal's sales, the list
 * narrowing as the cashier types an amount, a date or the start of an
 * ext_id. Then its lines with what was sold; the cashier refunds all, some
 * lines or some quantities; what is left to refund on that receipt is shown
 * and enforced (journal_refund_left). F5 asks, then sends type=refund with
 * ref_uuid; with the profile's pos_terminal the card refund may go through
 * the terminal (pos.perform).
 *
 * A uuid this journal does not hold (a receipt made on another till) can be
 * refunded with the lines of the sale screen's basket: the provider checks
 * it against the original.
 *
 * How the money goes back follows how the original was paid (lib/guard.h):
 * by default in proportion to what is left on the card and in cash, and a
 * card refund is never more than the card paid minus earlier card refunds.
 * F6 on the pick list refunds the sale screen's basket with no original at
 * all (lawful, but never by accident): it asks y/д (Enter is no) and shows
 * the money to hand back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "guard.h"
#include "i18n.h"
#include "money.h"
#include "refund_calc.h"
#include "util.h"
#include "views/status.h"
#include "views/refund_state.h"
#include "views/views.h"

struct refund_state *refund_of(const struct app *app)
{
	return app_view_state(app, &view_refund);
}

static const enum action refund_footer[] = {ACT_PAY,  ACT_NO_ORIGINAL, ACT_HELP,
					    ACT_BACK, ACT_QUIT,	       ACT_NONE};

static bool pos_offered(struct app *app)
{
	struct engine *e = engine_of(app);
	return e && e->profile.pos_terminal;
}

/* Only these confirm a refund: Enter (and anything else) is no. */
static bool is_yes(int key)
{
	return key == 'y' || key == 'Y' || key == 0x0434 /* д */ || key == 0x0414 /* Д */;
}

/* The card part of the refund now (the rest is cash). */
static int64_t card_part(const struct refund_state *rs)
{
	int64_t card, cash;
	switch (rs->method) {
	case PM_SPLIT:
		refund_default_split(&rs->paid, rs->out.total, &card, &cash);
		return card;
	case PM_CASH:
		return 0;
	default:
		return rs->out.total;
	}
}

const char *refund_method_text(struct app *app, enum refund_method m)
{
	struct refund_state *rs = refund_of(app);
	switch (m) {
	case PM_SPLIT: {
		char c[48], h[48];
		int64_t card = card_part(rs);
		app_money(app, card, c, sizeof c);
		app_money(app, rs->out.total - card, h, sizeof h);
		snprintf(rs->method_buf, sizeof rs->method_buf, _("card %s + cash %s"), c, h);
		return rs->method_buf;
	}
	case PM_CARD:
		return _("to the card");
	case PM_CASH:
		return _("in cash");
	default:
		return _("to the card on the POS terminal");
	}
}

/* ---- picking the original ---- */

struct collect {
	struct engine *e;
	struct refund_state *rs;
};

static bool on_doc(const struct journal_doc *d, void *ctx)
{
	struct collect *c = ctx;
	struct refund_state *rs = c->rs;
	if (rs->nrows >= PICK_MAX)
		return false;
	enum receipt_type t, rt;
	if (!d->uuid[0] || d->test || !receipt_type_parse(d->type, &t) || !refund_type_for(t, &rt))
		return true;
	if (d->state == JS_REJECTED || d->state == JS_FAILED)
		return true;
	struct pick_row *r = &rs->rows[rs->nrows++];
	memset(r, 0, sizeof *r);
	r->id = d->id;
	r->created_at = d->created_at;
	r->total = d->total;
	str_copy(r->ext_id, d->ext_id, sizeof r->ext_id);
	str_copy(r->uuid, d->uuid, sizeof r->uuid);
	r->left_known = journal_refund_left(c->e->journal, d->uuid, &r->left, NULL) == K_OK;
	return true;
}

static void pick_filter(struct refund_state *rs, const char *text)
{
	rs->nshown = 0;
	for (size_t i = 0; i < rs->nrows; i++) {
		const struct pick_row *r = &rs->rows[i];
		if (refund_matches(text, r->id, r->ext_id, r->uuid, r->total, r->created_at))
			rs->shown[rs->nshown++] = i;
	}
	rs->sel = 0;
	rs->top = 0;
}

static void load_rows(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	rs->nrows = 0;
	struct engine *e = engine_of(app);
	if (!e || !e->journal)
		return;
	struct journal_filter f = {.kind = doc_kind_wire(DOC_RECEIPT)};
	struct collect c = {.e = e, .rs = rs};
	journal_list(e->journal, &f, 2000, 0, on_doc, &c, NULL);
}

static void refund_prompt(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	char p[300];
	app->keyview = NULL;
	switch (rs->mode) {
	case RM_PICK:
		app_input(app, _("Original (uuid, ext_id, #; Tab):"), "");
		break;
	case RM_LINES:
		snprintf(p, sizeof p, _("Line %d: refund qty (Enter: all/none):"), rs->lsel + 1);
		app_input(app, p, "");
		break;
	case RM_CONFIRM: {
		char m[48];
		snprintf(p, sizeof p, _("Refund %s %s?"),
			 app_money(app, rs->out.total, m, sizeof m),
			 refund_method_text(app, rs->method));
		app_ask_danger(app, p); /* y/д only: Enter is no */
		break;
	}
	case RM_NO_ORIGINAL: {
		char m[48];
		snprintf(p, sizeof p, _("Refund %s %s WITHOUT an original receipt?"),
			 app_money(app, app->basket.total, m, sizeof m),
			 rs->method == PM_CARD ? _("to the card") : _("in cash"));
		app_ask_danger(app, p); /* y/д only: Enter is no */
		break;
	}
	}
}

static void set_mode(struct app *app, enum refund_mode m)
{
	struct refund_state *rs = refund_of(app);
	rs->mode = m;
	refund_prompt(app);
}

static void recalc(struct refund_state *rs)
{
	kerr_clear(&rs->out_err);
	rs->out_ok = refund_build(&rs->orig.basket, rs->qty, &rs->out, &rs->out_err) == K_OK;
}

static void open_lines(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	memset(rs->qty, 0, sizeof rs->qty);
	if (!rs->local)
		memset(rs->done, 0, sizeof rs->done);
	rs->lsel = 0;
	rs->ltop = 0;
	if (!refund_type_for(rs->orig.type, &rs->rtype))
		rs->rtype = RT_REFUND;
	if (!rs->paid.known)
		rs->method = rs->orig.card > 0 || rs->orig.cash <= 0 ? PM_CARD : PM_CASH;
	else if (rs->paid.card > 0 && rs->paid.cash > 0)
		rs->method = PM_SPLIT; /* paid both ways: both ways back */
	else
		rs->method = rs->paid.card > 0 ? PM_CARD : PM_CASH;
	recalc(rs);
	app_clear_message(app);
	set_mode(app, RM_LINES);
}

/* The quantity of line i that may still be refunded. */
int64_t refund_line_left(const struct refund_state *rs, size_t i)
{
	int64_t left = rs->orig.basket.lines[i].qty - rs->done[i];
	return left > 0 ? left : 0;
}

struct earlier {
	const char *uuid;
	int64_t ids[256];
	size_t n;
};

static bool on_earlier(const struct journal_doc *d, void *ctx)
{
	struct earlier *c = ctx;
	/* What journal_refund_left() counts: refunds that may still stand. */
	if (strcmp(d->ref_uuid, c->uuid) != 0 || d->test || d->state == JS_REJECTED ||
	    d->state == JS_FAILED || d->state == JS_VALIDATED)
		return true;
	if (c->n < sizeof c->ids / sizeof c->ids[0])
		c->ids[c->n++] = d->id;
	return true;
}

/* Fills rs->done from the refunds of rs->uuid this journal holds. */
static void load_done(struct refund_state *rs, struct engine *e)
{
	memset(rs->done, 0, sizeof rs->done);
	struct earlier *c = xcalloc(1, sizeof *c);
	c->uuid = rs->uuid;
	struct journal_filter f = {.kind = doc_kind_wire(DOC_RECEIPT), .since = rs->created_at};
	journal_list(e->journal, &f, 5000, 0, on_earlier, c, NULL);
	struct refund_original *r = xcalloc(1, sizeof *r);
	for (size_t i = 0; i < c->n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(e->journal, c->ids[i], &d, NULL) == K_OK &&
		    refund_parse_original(d.provider, d.body, r, NULL) == K_OK)
			refund_taken(&rs->orig.basket, &r->basket, rs->done);
		journal_doc_free(&d);
	}
	free(r);
	free(c);
}

/* The original is document id of this journal. */
static bool choose_local(struct app *app, int64_t id)
{
	struct refund_state *rs = refund_of(app);
	struct engine *e = engine_of(app);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr err = {0};
	if (journal_get(e->journal, id, &d, &err) != K_OK) {
		app_refuse(app, &err);
		return false;
	}
	enum receipt_type t, rt;
	bool ok = false;
	if (!receipt_type_parse(d.type, &t) || !refund_type_for(t, &rt) ||
	    strcmp(d.kind, doc_kind_wire(DOC_RECEIPT)) != 0) {
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("Document #%lld is not a sale: only a sale (or a purchase) is refunded"),
		    (long long)id);
	} else if (!d.uuid[0]) {
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("Document #%lld has no uuid from the provider yet (%s): a refund must "
		      "cite it; wait until it is accepted"),
		    (long long)id, status_state_word(d.state));
	} else if (refund_parse_original(d.provider, d.body, &rs->orig, &err) != K_OK) {
		char m[400];
		app_message(app, UI_MESSAGE_ERROR,
			    _("The lines of document #%lld cannot be read: %s"), (long long)id,
			    kerr_str(&err, m, sizeof m));
	} else {
		rs->id = d.id;
		rs->created_at = d.created_at;
		rs->total = d.total;
		str_copy(rs->uuid, d.uuid, sizeof rs->uuid);
		rs->local = true;
		rs->from_basket = false;
		rs->left_known = journal_refund_left(e->journal, d.uuid, &rs->left, NULL) == K_OK;
		if (guard_refund_left(e->journal, d.uuid, &rs->paid, NULL) != K_OK)
			memset(&rs->paid, 0, sizeof rs->paid);
		load_done(rs, e);
		ok = true;
	}
	journal_doc_free(&d);
	if (ok)
		open_lines(app);
	return ok;
}

/* A uuid from another till: the basket holds the lines to refund. */
static void choose_foreign(struct app *app, const char *uuid)
{
	struct refund_state *rs = refund_of(app);
	if (app->basket.n == 0) {
		app_message(app, UI_MESSAGE_ERROR,
			    _("%s is not in this journal: put the items to refund in the basket on "
			      "the sale screen first, then F4 and this uuid again"),
			    uuid);
		return;
	}
	memset(&rs->orig, 0, sizeof rs->orig);
	rs->orig.basket = app->basket;
	rs->orig.type = RT_PAYMENT;
	rs->orig.card = app->basket.total;
	rs->id = 0;
	rs->created_at = 0;
	rs->total = app->basket.total;
	str_copy(rs->uuid, uuid, sizeof rs->uuid);
	rs->local = false;
	rs->from_basket = true;
	rs->left_known = false;
	memset(&rs->paid, 0, sizeof rs->paid);
	open_lines(app);
	for (size_t i = 0; i < rs->orig.basket.n; i++)
		rs->qty[i] = rs->orig.basket.lines[i].qty;
	recalc(rs);
}

static void pick_line(struct app *app, const char *text)
{
	struct refund_state *rs = refund_of(app);
	struct engine *e = engine_of(app);
	char key[128];
	str_copy(key, text, sizeof key);
	str_trim(key);
	if (!e || !e->journal) {
		app_message(app, UI_MESSAGE_ERROR, "%s", _("No delivery engine: nothing is sent."));
		return;
	}
	if (key[0]) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		const char *k = key[0] == '#' ? key + 1 : key;
		if (journal_find(e->journal, k, &d, NULL) == K_OK) {
			int64_t id = d.id;
			journal_doc_free(&d);
			app_history_add(app, key);
			choose_local(app, id);
			return;
		}
		if (document_uuid_valid(key)) {
			choose_foreign(app, key);
			return;
		}
	}
	if (rs->nshown == 0) {
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("No sale matches «%s»: type a uuid, an ext_id, a number, an amount or a "
		      "date"),
		    key);
		app_input(app, NULL, text);
		return;
	}
	choose_local(app, rs->rows[rs->shown[rs->sel]].id);
}

static const char *refund_complete(struct app *app, const char *text, size_t index)
{
	struct refund_state *rs = refund_of(app);
	static const char *cands[64];
	static size_t n;
	if (rs->mode != RM_PICK)
		return NULL;
	if (index == 0) {
		n = 0;
		for (size_t i = 0; i < rs->nrows && n < 64; i++) {
			if (text_starts_with(rs->rows[i].uuid, text))
				cands[n++] = rs->rows[i].uuid;
			else if (text_starts_with(rs->rows[i].ext_id, text) && n < 64)
				cands[n++] = rs->rows[i].ext_id;
		}
	}
	return index < n ? cands[index] : NULL;
}

/* ---- choosing lines ---- */

static bool is_all(const char *s)
{
	return strcmp(s, "*") == 0 || text_equal(s, "all") || text_equal(s, "все") ||
	       text_equal(s, "всё") || text_equal(s, _("all"));
}

static void lines_line(struct app *app, const char *text)
{
	struct refund_state *rs = refund_of(app);
	char buf[64];
	str_copy(buf, text, sizeof buf);
	char *s = str_trim(buf);
	int n = (int)rs->orig.basket.n;
	app_clear_message(app);
	if (is_all(s)) {
		for (int i = 0; i < n; i++)
			rs->qty[i] = refund_line_left(rs, (size_t)i);
	} else if (!*s) {
		int64_t left = refund_line_left(rs, (size_t)rs->lsel);
		if (left == 0 && rs->qty[rs->lsel] == 0) {
			app_message(app, UI_MESSAGE_ERROR,
				    _("Line %d was refunded in full already"), rs->lsel + 1);
			return;
		}
		rs->qty[rs->lsel] = rs->qty[rs->lsel] ? 0 : left;
		if (rs->lsel < n - 1)
			rs->lsel++;
	} else {
		int64_t q;
		struct kerr err = {0};
		const struct basket_line *l = &rs->orig.basket.lines[rs->lsel];
		int64_t left = refund_line_left(rs, (size_t)rs->lsel);
		kstatus st = qty_parse(s, &q, _("quantity"), &err);
		if (st == K_OK && q > 0) /* piece goods in whole pieces, as F5 would refuse */
			st = basket_check_qty(l->unit, q, _("quantity"), &err);
		if (st == K_OK && q > l->qty) {
			char sold[32];
			qty_format_display(l->qty, app->money, sold, sizeof sold);
			st = kerr_set(&err, K_INVALID, _("quantity"),
				      _("at most %s: that is what was sold on this line"), sold);
		} else if (st == K_OK && q > 0 && left == 0) {
			st = kerr_set(&err, K_INVALID, "",
				      _("Line %d was refunded in full already"), rs->lsel + 1);
		} else if (st == K_OK && q > left) {
			char rest[32];
			qty_format_display(left, app->money, rest, sizeof rest);
			st = kerr_set(&err, K_INVALID, _("quantity"),
				      _("at most %s: the rest of this line was refunded already"),
				      rest);
		}
		if (st != K_OK) {
			app_refuse(app, &err);
			app_input(app, NULL, text);
			return;
		}
		rs->qty[rs->lsel] = q;
		if (rs->lsel < n - 1)
			rs->lsel++;
	}
	recalc(rs);
	refund_prompt(app);
}

/* Refuses a refund above what is left, with the journal's own words. */
static bool check_left(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	struct engine *e = engine_of(app);
	if (!rs->out_ok) {
		app_refuse(app, &rs->out_err);
		return false;
	}
	for (size_t i = 0; i < rs->orig.basket.n; i++)
		if (rs->qty[i] > refund_line_left(rs, i)) {
			app_message(app, UI_MESSAGE_ERROR,
				    _("Line %zu: more than is left of it to refund"), i + 1);
			return false;
		}
	struct kerr err = {0};
	if (guard_refund_card(&rs->paid, card_part(rs), &err) != K_OK) {
		/* The cashier's words: no wire field name, and the key that fixes it. */
		app_message(app, UI_MESSAGE_ERROR, _("Refused: %s (Left/Right: how)"), err.text);
		return false;
	}
	if (!e || !rs->local || !e->journal)
		return true;
	kstatus st = journal_check_refund(e->journal, rs->uuid, rs->out.total, &err);
	if (st == K_OK || st == K_NOTFOUND)
		return true;
	char t[400];
	journal_refund_left(e->journal, rs->uuid, &rs->left, NULL);
	app_message(app, UI_MESSAGE_ERROR, _("Refused: %s"), kerr_str(&err, t, sizeof t));
	return false;
}

static void send_refund(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, DOC_RECEIPT);
	d->type = rs->rtype;
	d->basket = rs->out;
	d->tax_system = rs->orig.tax;
	str_copy(d->ref_uuid, rs->uuid, sizeof d->ref_uuid);
	int64_t card = card_part(rs);
	if (rs->method == PM_CASH || (rs->method == PM_SPLIT && card == 0)) {
		d->pay.cash.kind = PAY_REMAINDER;
	} else if (rs->method == PM_SPLIT) {
		d->pay.card = (struct pay_amount){PAY_AMOUNT, card};
		d->pay.cash.kind = PAY_REMAINDER;
	} else {
		d->pay.card.kind = PAY_REMAINDER;
		if (rs->method == PM_POS) {
			d->pos_set = true;
			d->pos_perform = 1;
		}
	}
	d->test = app->status.mode == APP_MODE_TEST;
	struct kerr err = {0};
	kstatus st = app->submit(app, d, &err);
	int64_t total = rs->out.total;
	document_free(d);
	free(d);
	if (st != K_OK) {
		char t[400];
		app_message(app, UI_MESSAGE_ERROR, _("Refused: %s"), kerr_str(&err, t, sizeof t));
		set_mode(app, RM_LINES);
		return;
	}
	bool basket = rs->from_basket;
	/* Said after app_pop(), which frees the screen's state: worded now. */
	char how[sizeof rs->method_buf];
	str_copy(how, refund_method_text(app, rs->method), sizeof how);
	app_pop(app);
	if (basket) {
		basket_clear(&app->basket);
		sale_reset(app);
	}
	char m[48], h[48];
	app_money(app, total, m, sizeof m);
	if (total - card > 0)
		app_message(app, UI_MESSAGE_INFO, _("Refund of %s %s: sent · hand back %s in cash"),
			    m, how, app_money(app, total - card, h, sizeof h));
	else
		app_message(app, UI_MESSAGE_INFO, _("Refund of %s %s: sent"), m, how);
}

/* The explicit refund without an original: the sale screen's basket, no ref_uuid. */
static void send_no_original(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, DOC_RECEIPT);
	d->type = RT_REFUND;
	d->basket = app->basket;
	d->no_original = true;
	if (rs->method == PM_CARD)
		d->pay.card.kind = PAY_REMAINDER;
	else
		d->pay.cash.kind = PAY_REMAINDER;
	d->test = app->status.mode == APP_MODE_TEST;
	struct kerr err = {0};
	kstatus st = app->submit(app, d, &err);
	int64_t total = app->basket.total;
	bool cash = rs->method != PM_CARD;
	document_free(d);
	free(d);
	if (st != K_OK) {
		char t[400];
		app_message(app, UI_MESSAGE_ERROR, _("Refused: %s"), kerr_str(&err, t, sizeof t));
		set_mode(app, RM_PICK);
		return;
	}
	app_pop(app);
	basket_clear(&app->basket);
	sale_reset(app);
	char m[48];
	app_money(app, total, m, sizeof m);
	if (cash)
		app_message(app, UI_MESSAGE_INFO,
			    _("Refund without an original: hand back %s in cash · on its way"), m);
	else
		app_message(app, UI_MESSAGE_INFO,
			    _("Refund without an original: %s back to the card · on its way"), m);
}

/* ---- the view ---- */

static void refund_open(struct app *app, int arg)
{
	struct refund_state *rs = refund_of(app);
	if (arg >= 0) {
		free(rs->rows);
		free(rs->shown);
		memset(rs, 0, sizeof *rs);
		rs->rows = xcalloc(PICK_MAX, sizeof *rs->rows);
		rs->shown = xcalloc(PICK_MAX, sizeof *rs->shown);
		load_rows(app);
		pick_filter(rs, "");
		rs->mode = RM_PICK;
	}
	refund_prompt(app);
}

static void refund_close(struct app *app)
{
	struct refund_state *rs = refund_of(app);
	free(rs->rows);
	free(rs->shown);
	rs->rows = NULL;
	rs->shown = NULL;
	rs->nrows = rs->nshown = 0;
}

static void refund_changed(struct app *app, const char *text)
{
	struct refund_state *rs = refund_of(app);
	if (rs->mode == RM_PICK)
		pick_filter(rs, text);
}

static int refund_line(struct app *app, const char *text)
{
	struct refund_state *rs = refund_of(app);
	if (rs->mode == RM_PICK)
		pick_line(app, text);
	else if (rs->mode == RM_LINES)
		lines_line(app, text);
	return APP_HANDLED | APP_REDRAW;
}

static int refund_handle(struct app *app, enum action a, int key)
{
	struct refund_state *rs = refund_of(app);
	bool typing = app_input_text(app)[0] != '\0';
	int step = a == ACT_UP ? -1 : a == ACT_DOWN ? 1 : a == ACT_PAGE_UP ? -10 : 10;
	switch (a) {
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		if (rs->mode == RM_PICK && rs->nshown) {
			rs->sel += step;
			rs->sel = rs->sel < 0		       ? 0
				  : rs->sel >= (int)rs->nshown ? (int)rs->nshown - 1
							       : rs->sel;
		} else if (rs->mode == RM_LINES && rs->orig.basket.n) {
			int n = (int)rs->orig.basket.n;
			rs->lsel += step;
			rs->lsel = rs->lsel < 0 ? 0 : rs->lsel >= n ? n - 1 : rs->lsel;
			refund_prompt(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_OPTION_NEXT:
	case ACT_OPTION_PREV:
		if (rs->mode == RM_NO_ORIGINAL) {
			rs->method = rs->method == PM_CARD ? PM_CASH : PM_CARD;
			refund_prompt(app);
			return APP_HANDLED | APP_REDRAW;
		}
		if (rs->mode != RM_LINES || typing)
			return APP_UNHANDLED; /* the key edits the line */
		do {
			rs->method = (enum refund_method)(
			    (rs->method + (a == ACT_OPTION_NEXT ? 1 : PM_COUNT - 1)) % PM_COUNT);
		} while ((rs->method == PM_POS && !pos_offered(app)) ||
			 (rs->method == PM_SPLIT && !rs->paid.known));
		return APP_HANDLED | APP_REDRAW;
	case ACT_PAY:
	case ACT_SEND:
		if (rs->mode == RM_LINES && check_left(app))
			set_mode(app, RM_CONFIRM);
		else if (rs->mode == RM_PICK)
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("Choose the original receipt first (Enter)"));
		return APP_HANDLED | APP_REDRAW;
	case ACT_NO_ORIGINAL:
		if (rs->mode != RM_PICK) {
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("A refund without an original starts from the list (Esc)"));
		} else if (app->basket.n == 0) {
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("A refund without an original refunds the sale screen's "
				      "basket: put the items in it first (Esc), then F4 F6"));
		} else {
			rs->method = PM_CASH;
			set_mode(app, RM_NO_ORIGINAL);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_CONFIRM:
		if (!is_yes(key)) /* Enter is no */
			return refund_handle(app, ACT_REFUSE, key);
		if (rs->mode == RM_CONFIRM)
			send_refund(app);
		else if (rs->mode == RM_NO_ORIGINAL)
			send_no_original(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
		if (rs->mode == RM_NO_ORIGINAL) {
			app_message(app, UI_MESSAGE_INFO, "%s", _("Not sent; the basket is kept"));
			set_mode(app, RM_PICK);
		} else if (rs->mode == RM_CONFIRM) {
			app_message(app, UI_MESSAGE_INFO, "%s",
				    _("Not sent; change the lines or Esc"));
			set_mode(app, RM_LINES);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (rs->mode == RM_NO_ORIGINAL) {
			set_mode(app, RM_PICK);
		} else if (rs->mode == RM_CONFIRM) {
			set_mode(app, RM_LINES);
		} else if (rs->mode == RM_LINES) {
			pick_filter(rs, "");
			set_mode(app, RM_PICK);
		} else if (typing) {
			pick_filter(rs, "");
			refund_prompt(app);
		} else {
			app_pop(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUND:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F4");
	}
}

const struct view_ops view_refund = {
    .state_size = sizeof(struct refund_state),
    .name = "refund",
    .title = N_("Refund"),
    .footer = refund_footer,
    .open = refund_open,
    .draw = refund_draw,
    .handle = refund_handle,
    .close = refund_close,
    .line = refund_line,
    .changed = refund_changed,
    .complete = refund_complete,
};
