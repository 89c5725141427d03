/*
 * Settling a prepaid order (journal F8 on a prepayment receipt): seed
 * 002's second receipt. The final receipt is built from the order the
 * prepayment receipt journaled: the same goods with method 4 and
 * prepayment_amount = what was prepaid. What is left is paid now by cash
 * or card ("#" the rest; F2 exact cash, F3 card for the rest; Enter on an
 * empty field means # there). Both receipts show as they print, side by
 * side when the terminal is wide enough. Enter sends; the journal links
 * the two in the same transaction and refuses a second settlement. With
 * the profile's pos_terminal, Left/Right (or Space) sends the card part
 * through the card terminal (pos.perform), as the refund screen does.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "errors.h"
#include "i18n.h"
#include "preview.h"
#include "provider.h"
#include "refund_calc.h"
#include "settle.h"
#include "settle_journal.h"
#include "util.h"
#include "views/views.h"

enum { S_CASH, S_CARD, S_COUNT };

static const char *const s_labels[S_COUNT] = {N_("Cash"), N_("Card")};

struct settle_state {
	int64_t prepaid_id;
	int prepaid_method;   /* the prepayment receipt's lines' method (1-3), 0 = not read */
	struct document *fin; /* NULL when it could not be built */
	int focus;
	char text[S_COUNT][64];
	bool ok;
	bool pos; /* the card part goes through the POS terminal */
	struct payment_result res;
	struct kerr err;
	struct preview_lines pre, post;
};

static struct settle_state *settle_of(const struct app *app)
{
	return app_view_state(app, &view_settle);
}

static const enum action settle_footer[] = {ACT_SEND, ACT_CASH_REST, ACT_CARD_REST, ACT_NEXT_FIELD,
					    ACT_BACK, ACT_HELP,	     ACT_NONE};

/* The method (1-3) of the lines of prepayment receipt id, 0 when it cannot be read. */
static int prepaid_method(struct engine *e, int64_t id)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct refund_original *o = xcalloc(1, sizeof *o);
	int m = 0;
	if (e && e->journal && journal_get(e->journal, id, &d, NULL) == K_OK &&
	    refund_parse_original(d.provider, d.body, o, NULL) == K_OK && o->basket.n > 0 &&
	    settle_method_is_prepay(o->basket.lines[0].method))
		m = o->basket.lines[0].method;
	journal_doc_free(&d);
	free(o);
	return m;
}

static bool pos_offered(struct app *app)
{
	struct engine *e = engine_of(app);
	return e && e->profile.pos_terminal;
}

static void settle_recalc(struct app *app)
{
	struct settle_state *ss = settle_of(app);
	kerr_clear(&ss->err);
	ss->ok = false;
	if (!ss->fin)
		return;
	struct payment *p = &ss->fin->pay;
	if (pay_amount_parse(ss->text[S_CASH], &p->cash, _(s_labels[S_CASH]), &ss->err) != K_OK ||
	    pay_amount_parse(ss->text[S_CARD], &p->card, _(s_labels[S_CARD]), &ss->err) != K_OK)
		return;
	int64_t due = document_due(ss->fin);
	if (due == 0) {
		memset(&ss->res, 0, sizeof ss->res);
		ss->ok = (p->cash.kind != PAY_AMOUNT || p->cash.kop == 0) &&
			 (p->card.kind != PAY_AMOUNT || p->card.kop == 0);
		if (!ss->ok)
			kerr_set(&ss->err, K_INVALID, _("Cash"), "%s",
				 _("nothing is left to pay: the prepayment covers the order; clear "
				   "the amounts"));
		return;
	}
	ss->ok = payment_check(due, p, &ss->res, &ss->err) == K_OK;
	bool rest = p->cash.kind == PAY_REMAINDER || p->card.kind == PAY_REMAINDER;
	int64_t given = (p->cash.kind == PAY_AMOUNT ? p->cash.kop : 0) +
			(p->card.kind == PAY_AMOUNT ? p->card.kop : 0);
	if (!ss->ok && !rest && given >= 0 && given < due) {
		char m[48], field[sizeof ss->err.field];
		str_copy(field, ss->err.field, sizeof field);
		kerr_set(&ss->err, K_INVALID, field,
			 _("%s is still to pay: card and cash must cover the total"),
			 app_money(app, due - given, m, sizeof m));
	}
	/* The cashier reads the screen's labels, not the wire's field names. */
	if (!ss->ok && strcmp(ss->err.field, "cash_amount") == 0)
		str_copy(ss->err.field, _(s_labels[S_CASH]), sizeof ss->err.field);
	else if (!ss->ok && strcmp(ss->err.field, "card_amount") == 0)
		str_copy(ss->err.field, _(s_labels[S_CARD]), sizeof ss->err.field);
}

static void render(struct app *app)
{
	struct settle_state *ss = settle_of(app);
	struct engine *e = engine_of(app);
	preview_lines_free(&ss->pre);
	preview_lines_free(&ss->post);
	if (!e || !ss->fin)
		return;
	struct preview_meta m = {
	    .mode = e->training ? PREVIEW_TRAINING : PREVIEW_LIVE,
	    .width = 32,
	    .russian = errors_locale_is_russian(),
	};
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	if (journal_get(e->journal, ss->prepaid_id, &jd, NULL) == K_OK && jd.body) {
		m.time_ms = jd.created_at;
		m.ext_id = jd.ext_id;
		m.state = _(journal_state_label(jd.state));
		struct document *pd = xcalloc(1, sizeof *pd);
		document_init(pd, DOC_RECEIPT);
		if (provider_get(jd.provider)
			    ->status.decode_stored(jd.body, DOC_RECEIPT, pd, NULL) != K_OK ||
		    preview_render(pd, &m, &ss->pre, NULL) != K_OK)
			preview_lines_free(&ss->pre);
		document_free(pd);
		free(pd);
	}
	journal_doc_free(&jd);
	struct preview_meta f = {.mode = m.mode, .width = 32, .russian = m.russian, .ext_id = ""};
	if (preview_render(ss->fin, &f, &ss->post, NULL) != K_OK)
		preview_lines_free(&ss->post);
}

static void settle_focus(struct app *app)
{
	struct settle_state *ss = settle_of(app);
	char p[96];
	app->keyview = NULL;
	snprintf(p, sizeof p, "%s:", _(s_labels[ss->focus]));
	app_input(app, p, ss->text[ss->focus]);
}

static void settle_open(struct app *app, int arg)
{
	struct settle_state *ss = settle_of(app);
	struct engine *e = engine_of(app);
	if (arg >= 0) {
		ss->prepaid_id = arg;
		ss->fin = xcalloc(1, sizeof *ss->fin);
		struct kerr err = {0};
		if (!e || !e->journal ||
		    settle_from_journal(e->journal, arg, ss->fin, &err) != K_OK) {
			document_free(ss->fin);
			free(ss->fin);
			ss->fin = NULL;
			ss->err = err;
		}
		ss->prepaid_method = prepaid_method(e, arg);
		/* Nothing is due when the whole order was prepaid. */
		if (ss->fin && document_due(ss->fin) > 0)
			str_copy(ss->text[S_CARD], "", sizeof ss->text[0]);
	}
	settle_recalc(app);
	render(app);
	settle_focus(app);
}

static void settle_close(struct app *app)
{
	struct settle_state *ss = settle_of(app);
	preview_lines_free(&ss->pre);
	preview_lines_free(&ss->post);
	if (ss->fin) {
		document_free(ss->fin);
		free(ss->fin);
		ss->fin = NULL;
	}
}

static void settle_changed(struct app *app, const char *text)
{
	struct settle_state *ss = settle_of(app);
	str_copy(ss->text[ss->focus], text, sizeof ss->text[0]);
	settle_recalc(app);
	render(app);
}

static int settle_send(struct app *app)
{
	struct settle_state *ss = settle_of(app);
	settle_recalc(app);
	if (!ss->fin) {
		app_refuse(app, &ss->err);
		return APP_HANDLED | APP_REDRAW;
	}
	if (!ss->ok) {
		app_refuse(app, &ss->err);
		return APP_HANDLED | APP_REDRAW;
	}
	struct document *d = xcalloc(1, sizeof *d);
	document_copy(d, ss->fin);
	d->test = app->status.mode == APP_MODE_TEST;
	if (ss->pos && pos_offered(app)) {
		d->pos_set = true;
		d->pos_perform = 1;
	}
	document_assign_ext_id(d);
	struct kerr err = {0};
	kstatus st = document_validate(d, &err);
	if (st == K_OK)
		st = app->submit(app, d, &err);
	int64_t prepaid = d->prepayment, now = document_due(d), change = d->resolved.change;
	int64_t id = ss->prepaid_id;
	document_free(d);
	free(d);
	if (st != K_OK) {
		app_refuse(app, &err); /* the amounts stay as they are */
		return APP_HANDLED | APP_REDRAW;
	}
	app_pop(app);
	char a[48], b[48], c[48];
	app_message(app, UI_MESSAGE_INFO,
		    _("Change %s · order #%lld settled: %s prepaid, %s paid now; the final receipt "
		      "is on its way"),
		    app_money(app, change, c, sizeof c), (long long)id,
		    app_money(app, prepaid, a, sizeof a), app_money(app, now, b, sizeof b));
	return APP_HANDLED | APP_REDRAW;
}

/* Enter on an empty amount field means # there (unless the other one is #). */
static void empty_means_rest(struct settle_state *ss)
{
	char mine[64], theirs[64];
	str_copy(mine, ss->text[ss->focus], sizeof mine);
	str_copy(theirs, ss->text[1 - ss->focus], sizeof theirs);
	if (ss->fin && document_due(ss->fin) > 0 && *str_trim(mine) == '\0' &&
	    strcmp(str_trim(theirs), "#") != 0)
		str_copy(ss->text[ss->focus], "#", sizeof ss->text[0]);
}

static int settle_handle(struct app *app, enum action a, int key)
{
	(void)key;
	struct settle_state *ss = settle_of(app);
	switch (a) {
	case ACT_NEXT_FIELD:
	case ACT_PREV_FIELD:
	case ACT_UP:
	case ACT_DOWN:
		ss->focus = 1 - ss->focus;
		settle_focus(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_SEND:
		empty_means_rest(ss);
		settle_focus(app);
		return settle_send(app);
	case ACT_CASH_REST:
	case ACT_CARD_REST: {
		int mine = a == ACT_CASH_REST ? S_CASH : S_CARD;
		str_copy(ss->text[1 - mine], "", sizeof ss->text[0]);
		str_copy(ss->text[mine], "#", sizeof ss->text[0]);
		ss->focus = mine;
		settle_focus(app);
		return settle_send(app);
	}
	case ACT_OPTION_NEXT:
	case ACT_OPTION_PREV:
		if (!pos_offered(app))
			return APP_UNHANDLED;
		ss->pos = !ss->pos;
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		app_pop(app);
		app_message(app, UI_MESSAGE_INFO, "%s", _("Not settled; nothing was sent"));
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
}

static void column(struct app *app, WINDOW *w, int y, int x, int rows, int width, const char *title,
		   const struct preview_lines *pv)
{
	app_put(w, y, x, width, TEXT_LEFT, title, UI_TOTAL_LABEL);
	for (size_t i = 0; i < pv->n && y + 1 + (int)i < rows; i++)
		app_put(w, y + 1 + (int)i, x, width, TEXT_LEFT, pv->lines[i], UI_DIALOG_VALUE);
	(void)app;
}

static void settle_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct settle_state *ss = settle_of(app);
	char buf[256], m[48];
	snprintf(buf, sizeof buf, _("Settle order #%lld"), (long long)ss->prepaid_id);
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, buf, UI_TITLE);
	if (!ss->fin) {
		kerr_str(&ss->err, buf, sizeof buf);
		app_put_wrapped(w, 2, 2, cols - 4, 3, buf, UI_MESSAGE_ERROR);
		return;
	}
	int lw = 26, rx = cols > 60 ? 40 : cols - 18;
	char prepaid[96]; /* by the kind the prepayment receipt took */
	if (ss->prepaid_method)
		snprintf(prepaid, sizeof prepaid, _("Prepaid (%s)"),
			 _(settle_method_label(ss->prepaid_method)));
	else
		snprintf(prepaid, sizeof prepaid, "%s", _("Prepaid earlier"));
	const struct {
		const char *label;
		int64_t v;
	} sums[] = {{_("Order total"), ss->fin->basket.total},
		    {prepaid, ss->fin->prepayment},
		    {_("Left to pay now"), document_due(ss->fin)}};
	for (int i = 0; i < 3; i++) {
		app_put(w, 2 + i, 2, rx - 3 > lw ? rx - 3 : lw, TEXT_LEFT, sums[i].label,
			UI_TOTAL_LABEL);
		app_put(w, 2 + i, rx, 16, TEXT_RIGHT, app_money(app, sums[i].v, m, sizeof m),
			i == 2 ? UI_TOTAL : UI_DIALOG_VALUE);
	}
	for (int f = 0; f < S_COUNT; f++) {
		bool on = f == ss->focus;
		enum ui_role role = on ? UI_DIALOG_FOCUS : UI_DIALOG_LABEL;
		app_put(w, 6 + f, 0, 2, TEXT_LEFT, on ? "▸" : " ", role);
		app_put(w, 6 + f, 2, lw, TEXT_LEFT, _(s_labels[f]), role);
		app_put(w, 6 + f, lw + 2, 12, TEXT_LEFT, ss->text[f][0] ? ss->text[f] : "·",
			on ? UI_DIALOG_FOCUS : UI_DIALOG_VALUE);
		if (ss->ok) {
			snprintf(
			    buf, sizeof buf, "= %s",
			    app_money(app, f == S_CASH ? ss->res.cash : ss->res.card, m, sizeof m));
			app_put(w, 6 + f, rx, 16, TEXT_RIGHT, buf, UI_DIALOG_VALUE);
		}
	}
	if (ss->ok) {
		app_put(w, 8, 2, lw, TEXT_LEFT, _("Change"), UI_TOTAL_LABEL);
		app_put(w, 8, rx, 16, TEXT_RIGHT, app_money(app, ss->res.change, m, sizeof m),
			UI_DIALOG_CHANGE);
		app_put(w, 9, 2, cols - 4, TEXT_LEFT, _("Ready: Enter sends the final receipt"),
			UI_MESSAGE_INFO);
	} else {
		kerr_str(&ss->err, buf, sizeof buf);
		app_put(w, 8, 2, lw, TEXT_LEFT, _("Not yet:"), UI_TOTAL_LABEL);
		app_put_wrapped(w, 9, 2, cols - 4, 1, buf, UI_MESSAGE_ERROR);
	}
	int y = 11;
	if (pos_offered(app)) {
		app_put(w, 10, 2, lw, TEXT_LEFT, _("Card terminal"), UI_DIALOG_LABEL);
		app_put(w, 10, lw + 2, cols - lw - 4, TEXT_LEFT,
			ss->pos ? _("yes: the card part is charged on the terminal (Left/Right)")
				: _("no (Left/Right: charge the card part on the terminal)"),
			ss->pos ? UI_DIALOG_FOCUS : UI_DIALOG_VALUE);
		y = 12;
	}
	/* Both receipts as they print: side by side, or the final one alone when narrow. */
	if (cols >= 70) {
		column(app, w, y, 2, rows, 32, _("Prepayment receipt"), &ss->pre);
		column(app, w, y, 36, rows, 32, _("Final receipt"), &ss->post);
	} else {
		column(app, w, y, 2, rows, cols - 4, _("Final receipt"), &ss->post);
	}
}

void settle_view_open(struct app *app, int64_t id)
{
	struct engine *e = engine_of(app);
	struct kerr err = {0};
	struct document *d = xcalloc(1, sizeof *d);
	kstatus st = K_REFUSED;
	if (!e || !e->journal)
		kerr_set(&err, K_REFUSED, "", "%s", _("No delivery engine: nothing is sent."));
	else if (id > INT32_MAX)
		kerr_set(&err, K_REFUSED, "prepayment_amount", "%s",
			 _("the journal is too large to settle from"));
	else
		st = settle_from_journal(e->journal, id, d, &err);
	document_free(d);
	free(d);
	if (st != K_OK)
		app_refuse(app, &err);
	else
		app_push(app, &view_settle, (int)id);
}

const struct view_ops view_settle = {
    .state_size = sizeof(struct settle_state),
    .name = "settle",
    .title = N_("Settle"),
    .footer = settle_footer,
    .open = settle_open,
    .draw = settle_draw,
    .handle = settle_handle,
    .close = settle_close,
    .changed = settle_changed,
};
