/* The journal screen's drawing: the list, the registry, the preview (journal_state.h). */
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "i18n.h"
#include "text.h"
#include "theme.h"
#include "util.h"
#include "views/journal_state.h"
#include "views/status.h"
#include "views/views.h"

static void title(WINDOW *w, int y, int x, int cols, const char *text)
{
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, y, x, ' ', cols);
	app_put(w, y, x + 1, cols - 2, TEXT_LEFT, text, UI_TITLE);
}

static void draw_local(struct app *app, WINDOW *w, int y0, int x0, int rows, int cols)
{
	struct journal_screen *js = journal_of(app);
	struct engine *e = engine_of(app);
	char buf[300], m[48];
	snprintf(buf, sizeof buf, _("Journal: %zu of %zu documents"), js->nshown, js->nrows);
	if (e && e->training)
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " · %s", _("training"));
	title(w, y0, x0, cols, buf);
	if (rows < 3)
		return;
	int w_t = 11, w_id = 5, w_kind = cols >= 95 ? 26 : cols >= 70 ? 20 : 14, w_amt = 10;
	int x_t = x0 + 1, x_id = x_t + w_t + 1, x_kind = x_id + w_id + 1,
	    x_amt = x_kind + w_kind + 1;
	int x_st = x_amt + w_amt + 2, w_st = 18;
	int x_ext = x_st + w_st + 1, w_ext = x0 + cols - x_ext;
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, y0 + 1, x0, ' ', cols);
	app_put(w, y0 + 1, x_t, w_t, TEXT_LEFT, _("Date"), UI_TABLE_HEADER);
	app_put(w, y0 + 1, x_id, w_id, TEXT_RIGHT, "#", UI_TABLE_HEADER);
	app_put(w, y0 + 1, x_kind, w_kind, TEXT_LEFT, _("Kind"), UI_TABLE_HEADER);
	app_put(w, y0 + 1, x_amt, w_amt, TEXT_RIGHT, _("Amount"), UI_TABLE_HEADER);
	app_put(w, y0 + 1, x_st, w_st, TEXT_LEFT, _("State"), UI_TABLE_HEADER);
	if (w_ext > 4)
		app_put(w, y0 + 1, x_ext, w_ext, TEXT_LEFT, "ext_id", UI_TABLE_HEADER);
	int vis = rows - 2;
	if (js->sel < js->top)
		js->top = js->sel;
	if (js->sel >= js->top + vis)
		js->top = js->sel - vis + 1;
	if (js->top < 0)
		js->top = 0;
	for (int i = 0; i < vis && js->top + i < (int)js->nshown; i++) {
		const struct jrow *r = &js->rows[js->shown[js->top + i]];
		int y = y0 + 2 + i;
		enum ui_role role = js->top + i == js->sel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, y, x0, ' ', cols);
		time_t t = (time_t)(r->created_at / 1000);
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%d.%m %H:%M", &tm);
		app_put(w, y, x_t, w_t, TEXT_LEFT, buf, role);
		snprintf(buf, sizeof buf, "%lld", (long long)r->id);
		app_put(w, y, x_id, w_id, TEXT_RIGHT, buf, role);
		status_kind_text(r->kind, r->type, buf, sizeof buf);
		app_put(w, y, x_kind, w_kind, TEXT_LEFT, buf, role);
		app_put(w, y, x_amt, w_amt, TEXT_RIGHT,
			r->total ? app_money(app, r->total, m, sizeof m) : "", role);
		snprintf(buf, sizeof buf, "%s%s", status_state_word(r->state),
			 r->flagged ? " ⚑" : "");
		app_put(w, y, x_st, w_st, TEXT_LEFT, buf, status_state_role(r->state));
		if (w_ext > 4)
			app_put(w, y, x_ext, w_ext, TEXT_LEFT, r->ext_id, role);
	}
	if (js->nshown == 0)
		app_put(w, y0 + 3, x0 + 1, cols - 2, TEXT_LEFT,
			js->nrows ? _("Nothing matches what is typed.") : _("No documents yet."),
			UI_HELP_TEXT);
}

static bool is_local(const struct journal_screen *js, const char *receipt_id)
{
	for (size_t i = 0; i < js->nrows; i++)
		if (js->rows[i].receipt_id[0] && strcmp(js->rows[i].receipt_id, receipt_id) == 0)
			return true;
	return false;
}

static void draw_registry(struct app *app, WINDOW *w, int y0, int x0, int rows, int cols)
{
	struct journal_screen *js = journal_of(app);
	char buf[400], m[48];
	if (js->query[0])
		snprintf(buf, sizeof buf, _("Provider: search «%s», %s…%s"), js->query, js->start,
			 js->end);
	else
		snprintf(buf, sizeof buf, _("Provider: %s…%s, from row %lld"), js->start, js->end,
			 (long long)js->from + 1);
	for (int st = 0; st < PK_STATUS_UNKNOWN && !js->query[0]; st++)
		if (js->statuses & (1u << st))
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " · %s",
				 paykeeper_status_wire((enum pk_status)st));
	if (js->reg && registry_busy(js->reg))
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " · %s", _("asking…"));
	title(w, y0, x0, cols, buf);
	if (!js->reg || rows < 3)
		return;
	int y = y0 + 1;
	const struct pk_counts *c = registry_counts(js->reg);
	if (c && c->total >= 0) {
		int len = snprintf(buf, sizeof buf, _("%lld receipts"), (long long)c->total);
		for (int s = 0; s < PK_STATUS_UNKNOWN && len < (int)sizeof buf - 40; s++)
			if (c->by_status[s] > 0)
				len += snprintf(buf + len, sizeof buf - (size_t)len, " · %s %lld",
						paykeeper_status_wire((enum pk_status)s),
						(long long)c->by_status[s]);
		app_put(w, y++, x0 + 1, cols - 2, TEXT_LEFT, buf, UI_TOTAL_LABEL);
	}
	if (registry_error(js->reg)[0])
		app_put(w, y++, x0 + 1, cols - 2, TEXT_LEFT, registry_error(js->reg),
			UI_MESSAGE_ERROR);
	const struct pk_receipt_list *l = registry_list(js->reg);
	int x_id = x0 + 1, w_id = 8, x_t = x_id + w_id + 1, w_t = 19, x_ty = x_t + w_t + 1,
	    w_ty = 8;
	int x_s = x_ty + w_ty + 1, w_s = 10, x_st = x_s + w_s + 2;
	int w_st = x0 + cols - x_st;
	for (size_t i = 0; i < l->n && y < y0 + rows; i++, y++) {
		const struct pk_receipt *r = &l->items[i];
		snprintf(buf, sizeof buf, "%lld", (long long)r->id);
		bool local = is_local(js, buf);
		app_put(w, y, x_id, w_id, TEXT_RIGHT, buf, UI_TABLE_ROW);
		const char *dt = r->request_datetime[0] ? r->request_datetime : r->obtain_datetime;
		app_put(w, y, x_t, w_t, TEXT_LEFT, dt, UI_TABLE_ROW);
		app_put(w, y, x_ty, w_ty, TEXT_LEFT, r->type, UI_TABLE_ROW);
		app_put(w, y, x_s, w_s, TEXT_RIGHT,
			app_money(app, r->sum_cashless + r->sum_cash, m, sizeof m), UI_TABLE_ROW);
		if (w_st > 2) {
			snprintf(buf, sizeof buf, "%s%s",
				 r->status_text[0] ? r->status_text
						   : paykeeper_status_wire(r->status),
				 local ? _(" · here") : _(" · elsewhere"));
			app_put(w, y, x_st, w_st, TEXT_LEFT, buf,
				r->status == PK_STATUS_SUCCESS	    ? UI_STATE_PROCESSED
				: paykeeper_status_final(r->status) ? UI_STATE_REJECTED
								    : UI_STATE_ACCEPTED);
		}
	}
	if (l->n == 0 && !registry_busy(js->reg) && y < y0 + rows)
		app_put(w, y, x0 + 1, cols - 2, TEXT_LEFT,
			_("The provider lists no receipts here."), UI_HELP_TEXT);
}

static void draw_preview(struct app *app, WINDOW *w, int rows, int cols)
{
	struct journal_screen *js = journal_of(app);
	char buf[100];
	snprintf(buf, sizeof buf, _("Preview of #%lld as it prints"), (long long)js->pv_id);
	title(w, 0, 0, cols, buf);
	int width = 0;
	for (size_t i = 0; i < js->pv.n; i++) {
		int tw = preview_text_width(js->pv.lines[i]);
		if (tw > width)
			width = tw;
	}
	int x = (cols - width - 2) / 2;
	if (x < 0)
		x = 0;
	int vis = rows - 1;
	if (js->pv_top > (int)js->pv.n - vis)
		js->pv_top = (int)js->pv.n - vis;
	if (js->pv_top < 0)
		js->pv_top = 0;
	for (int i = 0; i < vis && js->pv_top + i < (int)js->pv.n; i++)
		app_put(w, 1 + i, x, width + 2, TEXT_LEFT, js->pv.lines[js->pv_top + i],
			UI_DIALOG_VALUE);
}

void journal_screen_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct journal_screen *js = journal_of(app);
	struct engine *e = engine_of(app);
	if (!js->loaded || (e && e->generation != js->generation))
		journal_screen_reload(app);
	if (js->mode == JM_PREVIEW) {
		draw_preview(app, w, rows, cols);
		return;
	}
	if (!js->reg_on) {
		draw_local(app, w, 0, 0, rows, cols);
	} else if (cols >= 110) {
		int lw = cols * 55 / 100;
		draw_local(app, w, 0, 0, rows, lw);
		draw_registry(app, w, 0, lw + 1, rows, cols - lw - 1);
	} else {
		int top = rows / 2;
		draw_local(app, w, 0, 0, top, cols);
		draw_registry(app, w, top, 0, rows - top, cols);
	}
}
