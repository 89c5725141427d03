/* The refund screen drawn: the pick list, the lines, the no-original question. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "money.h"
#include "util.h"
#include "views/refund_state.h"

static void title(WINDOW *w, int cols, const char *text)
{
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, text, UI_TITLE);
}

static void draw_pick(struct app *app, WINDOW *w, int rows, int cols)
{
	struct refund_state *rs = refund_of(app);
	char buf[256], m[48];
	title(w, cols, _("Refund: choose the original receipt"));
	if (rows > 3)
		app_put(w, rows - 1, 1, cols - 2, TEXT_LEFT,
			_("F6: refund the basket without an original receipt (asks first)"),
			UI_HELP_TEXT);
	if (rs->nrows == 0) {
		app_put(w, 2, 1, cols - 2, TEXT_LEFT,
			_("No sale with a provider uuid in this journal yet."), UI_HELP_TEXT);
		app_put(w, 3, 1, cols - 2, TEXT_LEFT,
			_("A receipt from another till: put its items in the basket, then F4 and "
			  "its uuid."),
			UI_HELP_TEXT);
		return;
	}
	int x_t = 1, x_id = 13, x_amt = 20, x_left = 33, x_ref = 47;
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 1, 0, ' ', cols);
	app_put(w, 1, x_t, 11, TEXT_LEFT, _("Date"), UI_TABLE_HEADER);
	app_put(w, 1, x_id, 6, TEXT_RIGHT, "#", UI_TABLE_HEADER);
	app_put(w, 1, x_amt, 12, TEXT_RIGHT, _("Amount"), UI_TABLE_HEADER);
	app_put(w, 1, x_left, 13, TEXT_RIGHT, _("Left"), UI_TABLE_HEADER);
	app_put(w, 1, x_ref, cols - x_ref, TEXT_LEFT, _("uuid"), UI_TABLE_HEADER);
	int vis = rows - 3; /* the last row says what F6 does */
	if (rs->sel < rs->top)
		rs->top = rs->sel;
	if (rs->sel >= rs->top + vis)
		rs->top = rs->sel - vis + 1;
	for (int i = 0; i < vis && rs->top + i < (int)rs->nshown; i++) {
		const struct pick_row *r = &rs->rows[rs->shown[rs->top + i]];
		int y = i + 2;
		enum ui_role role = rs->top + i == rs->sel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, y, 0, ' ', cols);
		time_t t = (time_t)(r->created_at / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%d.%m %H:%M", &tm);
		app_put(w, y, x_t, 11, TEXT_LEFT, buf, role);
		snprintf(buf, sizeof buf, "%lld", (long long)r->id);
		app_put(w, y, x_id, 6, TEXT_RIGHT, buf, role);
		app_put(w, y, x_amt, 12, TEXT_RIGHT, app_money(app, r->total, m, sizeof m), role);
		app_put(w, y, x_left, 13, TEXT_RIGHT,
			r->left_known ? app_money(app, r->left, m, sizeof m) : "?", role);
		app_put(w, y, x_ref, cols - x_ref, TEXT_LEFT, r->uuid, role);
	}
	if (rs->nshown == 0)
		app_put(w, 3, 1, cols - 2, TEXT_LEFT, _("Nothing matches what is typed."),
			UI_HELP_TEXT);
}

static void draw_lines(struct app *app, WINDOW *w, int rows, int cols)
{
	struct refund_state *rs = refund_of(app);
	char buf[400], m[48], m2[48];
	if (rs->local)
		snprintf(buf, sizeof buf, _("Refund of receipt #%lld · %s"), (long long)rs->id,
			 app_money(app, rs->total, m, sizeof m));
	else
		snprintf(buf, sizeof buf, _("Refund of a receipt from another till · %s"),
			 rs->uuid);
	title(w, cols, buf);
	if (rs->local)
		snprintf(buf, sizeof buf, _("uuid %s · paid: card %s, cash %s"), rs->uuid,
			 app_money(app, rs->orig.card, m, sizeof m),
			 app_money(app, rs->orig.cash, m2, sizeof m2));
	else
		snprintf(buf, sizeof buf, "%s",
			 _("The lines come from the basket; the provider checks them against the "
			   "original."));
	app_put(w, 1, 1, cols - 2, TEXT_LEFT, buf, UI_TEXT);
	if (rs->left_known)
		snprintf(buf, sizeof buf, _("Left to refund: %s"),
			 app_money(app, rs->left, m, sizeof m));
	else
		snprintf(buf, sizeof buf, "%s", _("Left to refund: not known here"));
	app_put(w, 2, 1, cols - 2, TEXT_LEFT, buf, UI_TOTAL_LABEL);
	int w_q = 10, w_s = 11, w_rq = 10, w_rs = 11;
	int w_name = cols - 4 - w_q - w_s - w_rq - w_rs - 5;
	int x_name = 4, x_q = x_name + w_name + 1, x_s = x_q + w_q + 1, x_rq = x_s + w_s + 1,
	    x_rs = x_rq + w_rq + 1;
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 3, 0, ' ', cols);
	app_put(w, 3, 0, 3, TEXT_RIGHT, "#", UI_TABLE_HEADER);
	app_put(w, 3, x_name, w_name, TEXT_LEFT, _("Item"), UI_TABLE_HEADER);
	app_put(w, 3, x_q, w_q, TEXT_RIGHT, _("Sold"), UI_TABLE_HEADER);
	app_put(w, 3, x_s, w_s, TEXT_RIGHT, _("Sum"), UI_TABLE_HEADER);
	app_put(w, 3, x_rq, w_rq, TEXT_RIGHT, _("Refund"), UI_TABLE_HEADER);
	app_put(w, 3, x_rs, w_rs, TEXT_RIGHT, _("To pay back"), UI_TABLE_HEADER);
	int vis = rows - 6;
	if (rs->lsel < rs->ltop)
		rs->ltop = rs->lsel;
	if (rs->lsel >= rs->ltop + vis)
		rs->ltop = rs->lsel - vis + 1;
	size_t k = 0; /* index into rs->out of the lines before ltop */
	for (int i = 0; i < rs->ltop; i++)
		k += rs->qty[i] ? 1 : 0;
	for (int i = 0; i < vis && rs->ltop + i < (int)rs->orig.basket.n; i++) {
		int li = rs->ltop + i, y = 4 + i;
		const struct basket_line *l = &rs->orig.basket.lines[li];
		enum ui_role role = li == rs->lsel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, y, 0, ' ', cols);
		snprintf(buf, sizeof buf, "%d", li + 1);
		app_put(w, y, 0, 3, TEXT_RIGHT, buf, role);
		app_put(w, y, x_name, w_name, TEXT_LEFT, l->name, role);
		app_put(w, y, x_q, w_q, TEXT_RIGHT, app_qty(app, l->qty, l->unit, buf, sizeof buf),
			role);
		app_put(w, y, x_s, w_s, TEXT_RIGHT, app_money(app, l->sum, m, sizeof m), role);
		if (rs->qty[li]) {
			app_put(w, y, x_rq, w_rq, TEXT_RIGHT,
				app_qty(app, rs->qty[li], l->unit, buf, sizeof buf), role);
			if (rs->out_ok && k < rs->out.n)
				app_put(w, y, x_rs, cols - x_rs, TEXT_RIGHT,
					app_money(app, rs->out.lines[k].sum, m, sizeof m), role);
			k++;
		} else if (rs->done[li] >= l->qty) {
			app_put(w, y, x_rq, w_rq, TEXT_RIGHT, _("refunded"), role);
		} else if (rs->done[li] > 0) {
			char q[32];
			qty_format(refund_line_left(rs, (size_t)li), q, sizeof q);
			char *dot = strchr(q, '.');
			if (dot && app->money->decimal[0] && !app->money->decimal[1])
				*dot = app->money->decimal[0];
			/* TRANSLATORS: the quantity of a line that may still be refunded; 10
			 * columns */
			snprintf(buf, sizeof buf, _("left %s"), q);
			app_put(w, y, x_rq, w_rq, TEXT_RIGHT, buf, role);
		} else {
			app_put(w, y, x_rq, w_rq, TEXT_RIGHT, "·", role);
		}
	}
	wattrset(w, (int)theme_attr(UI_TEXT));
	mvwhline(w, rows - 2, 0, ACS_HLINE, cols);
	bool over = rs->out_ok && rs->left_known && rs->out.total > rs->left;
	if (rs->out_ok)
		snprintf(buf, sizeof buf, _("REFUND %s %s · Left/Right: how · F5 sends"),
			 app_money(app, rs->out.total, m, sizeof m),
			 refund_method_text(app, rs->method));
	else
		snprintf(buf, sizeof buf, "%s",
			 _("Enter takes or drops a line · a number sets its quantity · all = every "
			   "line"));
	app_put(w, rows - 1, 0, cols, TEXT_LEFT, buf, rs->out_ok ? UI_TOTAL : UI_HELP_TEXT);
	if (over)
		app_put(w, rows - 3, 1, cols - 2, TEXT_LEFT,
			_("More than is left to refund: F5 will refuse it"), UI_MESSAGE_ERROR);
}

static void draw_no_original(struct app *app, WINDOW *w, int rows, int cols)
{
	struct refund_state *rs = refund_of(app);
	char buf[300], m[48];
	title(w, cols, _("Refund WITHOUT an original receipt"));
	snprintf(buf, sizeof buf, _("The sale screen's basket: %zu lines, %s, no ref_uuid."),
		 app->basket.n, app_money(app, app->basket.total, m, sizeof m));
	app_put(w, 2, 1, cols - 2, TEXT_LEFT, buf, UI_TEXT);
	app_put_wrapped(w, 3, 1, cols - 2, 2,
			_("Lawful when the buyer has no receipt, but checked by no one: the "
			  "provider cannot compare it with the sale."),
			UI_HELP_TEXT);
	if (rs->method == PM_CARD)
		snprintf(buf, sizeof buf, _("TO THE CARD %s"), m);
	else
		snprintf(buf, sizeof buf, _("HAND BACK %s IN CASH"), m);
	if (rows > 7)
		app_put(w, 6, 1, cols - 2, TEXT_LEFT, buf, UI_TOTAL);
	if (rows > 9)
		app_put(w, 8, 1, cols - 2, TEXT_LEFT,
			_("Left/Right: cash or card · y/д sends · Enter or Esc: not sent"),
			UI_HELP_TEXT);
}

void refund_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct refund_state *rs = refund_of(app);
	if (rs->mode == RM_NO_ORIGINAL)
		draw_no_original(app, w, rows, cols);
	else if (rs->mode == RM_PICK)
		draw_pick(app, w, rows, cols);
	else
		draw_lines(app, w, rows, cols);
}
