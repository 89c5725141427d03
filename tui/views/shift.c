/*
 * The shift screen (F8): the shift's state and age (app->status, kept by
 * the engine), the outbox, the five shift operations and the shift
 * documents sent lately with their state, updating as replies arrive.
 */
#include "views/shift.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "guard.h"
#include "i18n.h"
#include "money.h"
#include "shift_report.h"
#include "util.h"
#include "views/status.h"
#include "views/views.h"

enum shift_op { OP_OPEN, OP_X, OP_Z, OP_CASH_IN, OP_CASH_OUT, OP_COUNT };
enum shift_mode { HM_MENU, HM_AMOUNT, HM_CONFIRM, HM_LARGE };

static const enum doc_kind op_kinds[OP_COUNT] = {DOC_OPEN_SHIFT, DOC_X_REPORT, DOC_Z_REPORT,
						 DOC_CASH_IN, DOC_CASH_OUT};
static const char *const op_labels[OP_COUNT] = {
    N_("Open the shift"), N_("X-report (the shift so far; it stays open)"),
    N_("Z-report (closes the shift)"), N_("Cash in: put cash into the drawer"),
    N_("Cash out: take cash out of the drawer")};

/* The shift's totals, counted again only when the journal changed. */
struct shift_totals_cache {
	bool valid;
	unsigned generation;
	long long at_mono;
	struct shift_totals t;
	char problem[200];
};

struct shift_state {
	int sel;
	enum shift_mode mode;
	int64_t large;	   /* HM_LARGE: the amount above the ceiling being asked about */
	char large_q[400]; /* and the question */
	struct shift_totals_cache cache;
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct shift_state *shift_of(const struct app *app)
{
	return app_view_state(app, &view_shift);
}

static const enum action shift_footer[] = {ACT_HELP, ACT_SHIFT, ACT_BACK, ACT_QUIT, ACT_NONE};

static void shift_prompt(struct app *app)
{
	struct shift_state *sh = shift_of(app);
	char p[400];
	app->keyview = NULL;
	switch (sh->mode) {
	case HM_MENU:
		app_input(app, _("Shift: choose 1-5 and press Enter:"), "");
		break;
	case HM_AMOUNT:
		app_input(app,
			  sh->sel == OP_CASH_IN ? _("Amount to put into the drawer:")
						: _("Amount to take out of the drawer:"),
			  "");
		break;
	case HM_CONFIRM:
		if (app->status.outbox_depth > 0)
			snprintf(
			    p, sizeof p,
			    _("%d documents are still waiting in the outbox and would miss this "
			      "shift. Close the shift anyway?"),
			    app->status.outbox_depth);
		else
			snprintf(p, sizeof p, "%s", _("Close the shift with a Z-report?"));
		app_ask_danger(app, p); /* only y/д closes the shift; Enter is no */
		break;
	case HM_LARGE:
		app_input(app, sh->large_q, "");
		app->keyview = "danger"; /* y/д only: Enter is no */
		app_input_enable(app, false);
		break;
	}
}

static void set_mode(struct app *app, enum shift_mode m)
{
	struct shift_state *sh = shift_of(app);
	sh->mode = m;
	shift_prompt(app);
}

static void shift_open(struct app *app, int arg)
{
	struct shift_state *sh = shift_of(app);
	if (arg >= 0) {
		sh->mode = HM_MENU;
		sh->sel = app->status.shift_open ? OP_X : OP_OPEN;
	}
	shift_prompt(app);
}

static void submit(struct app *app, enum doc_kind kind, int64_t amount, bool large)
{
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, kind);
	d->amount = amount;
	d->allow_large = large; /* the cashier said y to the ceiling's question */
	d->test = app->status.mode == APP_MODE_TEST;
	struct kerr err = {0};
	kstatus st = app->submit(app, d, &err);
	document_free(d);
	free(d);
	if (st != K_OK) {
		app_refuse(app, &err);
		return;
	}
	char m[48];
	app_money(app, amount, m, sizeof m);
	switch (kind) {
	case DOC_OPEN_SHIFT:
		app_message(app, UI_MESSAGE_INFO, "%s", _("Opening the shift: sent"));
		break;
	case DOC_X_REPORT:
		app_message(app, UI_MESSAGE_INFO, "%s", _("X-report: sent"));
		break;
	case DOC_Z_REPORT:
		app_message(app, UI_MESSAGE_INFO, "%s", _("Z-report: sent; the shift closes"));
		break;
	case DOC_CASH_IN:
		app_message(app, UI_MESSAGE_INFO, _("Cash in of %s: sent"), m);
		break;
	default:
		app_message(app, UI_MESSAGE_INFO, _("Cash out of %s: sent"), m);
		break;
	}
}

static void act(struct app *app)
{
	struct shift_state *sh = shift_of(app);
	switch (sh->sel) {
	case OP_Z:
		set_mode(app, HM_CONFIRM);
		return;
	case OP_CASH_IN:
	case OP_CASH_OUT:
		set_mode(app, HM_AMOUNT);
		return;
	default:
		submit(app, op_kinds[sh->sel], 0, false);
		set_mode(app, HM_MENU);
		return;
	}
}

static int shift_line(struct app *app, const char *text)
{
	struct shift_state *sh = shift_of(app);
	char buf[128];
	str_copy(buf, text, sizeof buf);
	char *s = str_trim(buf);
	struct kerr err = {0};
	app_clear_message(app);
	if (sh->mode == HM_AMOUNT) {
		int64_t v;
		const char *field = _("amount");
		kstatus st = money_parse(s, &v, field, &err);
		if (st == K_OK && v <= 0)
			st = kerr_set(&err, K_INVALID, field, "%s", _("must be above zero"));
		if (st != K_OK) {
			app_refuse(app, &err);
			app_input(app, NULL, text);
			return APP_HANDLED | APP_REDRAW;
		}
		/* Above the profile's max_receipt: a slip, or a real amount? Ask (y/д only). */
		struct engine *e = engine_of(app);
		struct document *d = xcalloc(1, sizeof *d);
		document_init(d, op_kinds[sh->sel]);
		d->amount = v;
		bool large = guard_ceiling(d, e ? e->profile.max_receipt : 0, &err) != K_OK;
		free(d);
		if (large) {
			sh->large = v;
			app_refuse(app, &err); /* which ceiling, on the message line */
			snprintf(sh->large_q, sizeof sh->large_q, "%s %s",
				 _("Above the ceiling: send it anyway?"), _("(y/n)"));
			set_mode(app, HM_LARGE);
			return APP_HANDLED | APP_REDRAW;
		}
		submit(app, op_kinds[sh->sel], v, false);
		set_mode(app, HM_MENU);
		return APP_HANDLED | APP_REDRAW;
	}
	if (s[0] >= '1' && s[0] <= '0' + OP_COUNT && s[1] == '\0') {
		sh->sel = s[0] - '1';
	} else if (s[0]) {
		app_message(app, UI_MESSAGE_ERROR, _("«%s»: type a number from 1 to 5"), s);
		shift_prompt(app);
		return APP_HANDLED | APP_REDRAW;
	}
	act(app);
	return APP_HANDLED | APP_REDRAW;
}

static int shift_handle(struct app *app, enum action a, int key)
{
	struct shift_state *sh = shift_of(app);
	switch (a) {
	case ACT_UP:
	case ACT_DOWN:
		if (sh->mode == HM_MENU)
			sh->sel = (sh->sel + (a == ACT_UP ? OP_COUNT - 1 : 1)) % OP_COUNT;
		return APP_HANDLED | APP_REDRAW;
	case ACT_CONFIRM:
		if (sh->mode == HM_LARGE) {
			bool yes = key == 'y' || key == 'Y' || key == 0x0434 || key == 0x0414;
			if (yes)
				submit(app, op_kinds[sh->sel], sh->large, true);
			else
				app_message(app, UI_MESSAGE_INFO, "%s",
					    _("Cancelled; nothing was sent"));
			set_mode(app, HM_MENU);
			return APP_HANDLED | APP_REDRAW;
		}
		if (sh->mode == HM_CONFIRM) {
			submit(app, DOC_Z_REPORT, 0, false);
			sh->sel = OP_OPEN;
			set_mode(app, HM_MENU);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
		if (sh->mode == HM_LARGE) {
			app_message(app, UI_MESSAGE_INFO, "%s", _("Cancelled; nothing was sent"));
			set_mode(app, HM_MENU);
			return APP_HANDLED | APP_REDRAW;
		}
		if (sh->mode == HM_CONFIRM) {
			app_message(app, UI_MESSAGE_INFO, "%s", _("The shift stays open"));
			set_mode(app, HM_MENU);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (sh->mode != HM_MENU) {
			app_message(app, UI_MESSAGE_INFO, "%s", _("Cancelled; nothing was sent"));
			set_mode(app, HM_MENU);
			return APP_HANDLED | APP_REDRAW;
		}
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_SHIFT:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F8");
	}
}

/* "5h12m" of a shift opened at ms. */
static void age_text(long long opened_ms, char *buf, size_t n)
{
	long long min = (now_ms() - opened_ms) / 60000;
	if (min < 0)
		min = 0;
	snprintf(buf, n, _("%lldh%02lldm"), min / 60, min % 60);
}

static int draw_state_line(struct app *app, WINDOW *w, int y, int cols)
{
	const struct app_status *s = &app->status;
	char buf[400], age[32], since[32];
	enum ui_role role = UI_DIALOG_VALUE;
	if (!s->engine) {
		snprintf(buf, sizeof buf, "%s", _("Shift: unknown (no delivery engine)"));
	} else if (s->shift_opening) {
		snprintf(buf, sizeof buf, "%s",
			 _("Shift: opening… (sent; the provider has not accepted it yet)"));
		role = UI_STATUS_WARN;
	} else if (s->shift_unknown) {
		snprintf(buf, sizeof buf, "%s",
			 _("Shift: unknown: this journal has no shift yet (another till may have "
			   "opened one)"));
	} else if (!s->shift_open) {
		snprintf(buf, sizeof buf, "%s", _("Shift: closed"));
	} else {
		age_text(s->shift_opened_ms, age, sizeof age);
		status_time_text(s->shift_opened_ms, since, sizeof since);
		snprintf(buf, sizeof buf, _("Shift: open for %s (since %s)"), age, since);
	}
	app_put(w, y, 2, cols - 4, TEXT_LEFT, buf, role);
	y++;
	if (s->engine && s->shift_open && now_ms() - s->shift_opened_ms >= SHIFT_WARN_MS) {
		app_put(w, y++, 2, cols - 4, TEXT_LEFT,
			_("Close it now with a Z-report: after 24 hours the provider refuses "
			  "receipts."),
			UI_STATUS_WARN);
	}
	if (s->outbox_depth > 0)
		snprintf(buf, sizeof buf, _("Outbox: %d documents waiting to be delivered"),
			 s->outbox_depth);
	else if (s->outbox_depth == 0)
		snprintf(buf, sizeof buf, "%s", _("Outbox: empty"));
	else
		snprintf(buf, sizeof buf, "%s", _("Outbox: unknown"));
	app_put(w, y++, 2, cols - 4, TEXT_LEFT, buf,
		s->outbox_depth > 0 ? UI_STATUS_WARN : UI_TEXT);
	return y;
}

static const struct shift_totals *totals(struct shift_state *sh, struct engine *e)
{
	if (!e || !e->journal)
		return NULL;
	long long now = mono_ms();
	if (!sh->cache.valid || sh->cache.generation != e->generation ||
	    now - sh->cache.at_mono > 5000) {
		struct kerr err = {0};
		sh->cache.problem[0] = '\0';
		if (shift_report_totals(e->journal, e->profile.name, e->profile.test, 0,
					&sh->cache.t, &err) != K_OK)
			snprintf(sh->cache.problem, sizeof sh->cache.problem,
				 _("The shift's totals cannot be counted: %s"), err.text);
		sh->cache.valid = true;
		sh->cache.generation = e->generation;
		sh->cache.at_mono = now;
	}
	return sh->cache.problem[0] ? NULL : &sh->cache.t;
}

/* The drawer and the totals; before a Z-report they say what it closes. */
static int draw_totals(struct app *app, WINDOW *w, int y, int rows, int cols)
{
	struct shift_state *sh = shift_of(app);
	const struct shift_totals *t = totals(sh, engine_of(app));
	if (!t) {
		if (sh->cache.problem[0] && y < rows)
			app_put(w, y++, 2, cols - 4, TEXT_LEFT, sh->cache.problem, UI_STATUS_WARN);
		return y;
	}
	char head[200], since[32];
	if (sh->mode == HM_CONFIRM) {
		snprintf(head, sizeof head, "%s",
			 _("The Z-report closes the shift with these totals (this journal):"));
	} else if (t->since) {
		status_time_text(t->since, since, sizeof since);
		snprintf(head, sizeof head,
			 app->status.shift_open ? _("This shift so far (since %s, this journal):")
						: _("Since the last Z-report (%s, this journal):"),
			 since);
	} else {
		snprintf(head, sizeof head, "%s", _("This shift so far (this journal):"));
	}
	if (y < rows)
		app_put(w, y++, 2, cols - 4, TEXT_LEFT, head,
			sh->mode == HM_CONFIRM ? UI_STATUS_WARN : UI_TABLE_HEADER);
	char lines[SHIFT_REPORT_LINES][SHIFT_REPORT_LINE_MAX];
	size_t n = shift_report_format(t, app->money, lines, SHIFT_REPORT_LINES);
	/* The drawer is the line before the documents by state (shift_report_format's order). */
	for (size_t i = 0; i < n && y < rows; i++)
		app_put(w, y++, 4, cols - 6, TEXT_LEFT, lines[i], i + 2 == n ? UI_TOTAL : UI_TEXT);
	return y;
}

static bool is_shift_kind(const char *kind)
{
	enum doc_kind k;
	return doc_kind_parse(kind, &k) && !doc_kind_has_basket(k);
}

static void shift_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct shift_state *sh = shift_of(app);
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, _("Shift and cash"), UI_TITLE);
	int y = draw_state_line(app, w, 2, cols);
	y = draw_totals(app, w, y, rows, cols);
	y++;
	for (int i = 0; i < OP_COUNT && y < rows; i++, y++) {
		bool on = i == sh->sel;
		enum ui_role role = on ? UI_DIALOG_FOCUS : UI_DIALOG_LABEL;
		char buf[200];
		snprintf(buf, sizeof buf, "%d  %s", i + 1, _(op_labels[i]));
		app_put(w, y, 0, 2, TEXT_LEFT, on ? "▸" : " ", role);
		app_put(w, y, 2, cols - 4, TEXT_LEFT, buf, role);
	}
	struct engine *e = engine_of(app);
	if (!e || y + 2 >= rows)
		return;
	y++;
	/* The newest refusal for the 24-hour rule is explained in words. */
	char why[600];
	for (size_t i = 0; i < e->nrecent && i < 10; i++) {
		const struct engine_row *r = &e->recent[i];
		/* A refusal from before the shift now open is history, not news. */
		if (app->status.shift_open && r->created_at < app->status.shift_opened_ms)
			continue;
		if (r->state == JS_REJECTED &&
		    shift_rule_explain(r->last_error_code, r->last_error_text, why, sizeof why)) {
			char head[160];
			snprintf(head, sizeof head, _("Document #%lld was refused:"),
				 (long long)r->id);
			app_put(w, y++, 2, cols - 4, TEXT_LEFT, head, UI_STATE_REJECTED);
			/* Wrapped by words over the lines left. */
			const char *p = why;
			while (*p && y < rows - 1) {
				char part[600];
				int width = cols - 6;
				size_t cut = 0, last_space = 0;
				while (p[cut] && text_width_n(p, cut + 1) <= width) {
					if (p[cut] == ' ')
						last_space = cut;
					cut++;
					while ((p[cut] & 0xc0) == 0x80)
						cut++;
				}
				if (p[cut] && last_space)
					cut = last_space;
				memcpy(part, p, cut);
				part[cut] = '\0';
				app_put(w, y++, 4, cols - 6, TEXT_LEFT, part, UI_TEXT);
				p += cut;
				while (*p == ' ')
					p++;
			}
			y++;
			break;
		}
	}
	if (y >= rows)
		return;
	app_put(w, y++, 2, cols - 4, TEXT_LEFT, _("Shift documents sent lately"), UI_TABLE_HEADER);
	for (size_t i = 0; i < e->nrecent && y < rows; i++) {
		const struct engine_row *r = &e->recent[i];
		if (!is_shift_kind(r->kind))
			continue;
		char t[32], kind[96], m[48] = "";
		status_time_text(r->created_at, t, sizeof t);
		status_kind_text(r->kind, r->type, kind, sizeof kind);
		if (r->total)
			app_money(app, r->total, m, sizeof m);
		int x = 2;
		app_put(w, y, x, 9, TEXT_LEFT, t, UI_TABLE_ROW);
		x += 10;
		app_put(w, y, x, 22, TEXT_LEFT, kind, UI_TABLE_ROW);
		x += 23;
		app_put(w, y, x, 12, TEXT_RIGHT, m, UI_TABLE_ROW);
		x += 14;
		if (x < cols - 2) {
			char st[JOURNAL_TEXT_MAX + 64];
			if (r->state == JS_REJECTED && r->last_error_text[0])
				snprintf(st, sizeof st, "%s: %s", status_state_word(r->state),
					 r->last_error_text);
			else
				snprintf(st, sizeof st, "%s", status_state_word(r->state));
			app_put(w, y, x, cols - x - 1, TEXT_LEFT, st, status_state_role(r->state));
		}
		y++;
	}
}

const struct view_ops view_shift = {
    .state_size = sizeof(struct shift_state),
    .name = "shift",
    .title = N_("Shift"),
    .footer = shift_footer,
    .open = shift_open,
    .draw = shift_draw,
    .handle = shift_handle,
    .line = shift_line,
};
