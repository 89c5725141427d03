/*
 * The live status pane: the newest documents of the journal with their state
 * (a colour and a word), kind, amount, time and last event. The rows come
 * from the engine (tui/engine.c), which re-reads a document the moment the
 * outbox reports a reply or a callback for it; a row that just changed is
 * marked for a few seconds.
 */
#include "views/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "engine.h"
#include "engine_bill.h"
#include "i18n.h"
#include "mask.h"
#include "util.h"
#include "views/views.h"

#define MARK_CHANGED "●"

struct status_state {
	int64_t sel_id; /* the selected document; 0 = the newest */
	int top;
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct status_state *status_of(const struct app *app)
{
	return app_view_state(app, &view_status);
}

static const enum action status_footer[] = {ACT_HELP, ACT_STATUS, ACT_SEND_NOW,
					    ACT_BACK, ACT_QUIT,	  ACT_NONE};

/* ---- shared words ---- */

enum ui_role status_state_role(enum journal_state s)
{
	static const enum ui_role roles[] = {
	    [JS_QUEUED] = UI_STATE_QUEUED,	  [JS_SENDING] = UI_STATE_SENDING,
	    [JS_ACCEPTED] = UI_STATE_ACCEPTED,	  [JS_PROCESSED] = UI_STATE_PROCESSED,
	    [JS_PROVIDER_RETRY] = UI_STATE_RETRY, [JS_FAILED] = UI_STATE_FAILED,
	    [JS_REJECTED] = UI_STATE_REJECTED,	  [JS_VALIDATED] = UI_STATE_VALIDATED,
	};
	return (unsigned)s < JS_COUNT ? roles[s] : UI_TEXT;
}

const char *status_state_word(enum journal_state s)
{
	return _(journal_state_label(s));
}

const char *status_source_word(enum journal_source s)
{
	static const char *const words[] = {
	    [JSRC_CALLBACK] = N_("callback"), [JSRC_REPLY] = N_("reply"),
	    [JSRC_POLL] = N_("poll"),	      [JSRC_OPERATOR] = N_("operator"),
	    [JSRC_RESTART] = N_("restart"),   [JSRC_LOCAL] = N_("kassa"),
	    [JSRC_RELAY] = N_("relay"),
	};
	return (unsigned)s < JSRC_COUNT ? _(words[s]) : "?";
}

void status_kind_text(const char *kind, const char *type, char *buf, size_t n)
{
	enum doc_kind k;
	enum receipt_type t;
	if (!doc_kind_parse(kind, &k)) {
		str_copy(buf, kind, n);
		return;
	}
	if (doc_kind_has_basket(k) && type && *type && receipt_type_parse(type, &t))
		snprintf(buf, n, "%s · %s", doc_kind_label(k), receipt_type_label(t));
	else
		str_copy(buf, doc_kind_label(k), n);
}

void status_time_text(int64_t ms, char *buf, size_t n)
{
	if (ms <= 0) {
		str_copy(buf, "—", n);
		return;
	}
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, today;
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, n, "%H:%M:%S", &tm);
	else
		strftime(buf, n, "%d.%m", &tm);
}

/* What the row's last event says: a provider error first, else who did what. */
static void event_text(const struct engine_row *r, char *buf, size_t n)
{
	if ((r->state == JS_REJECTED || r->state == JS_FAILED) &&
	    (r->last_error_code || r->last_error_text[0])) {
		/* The state word says it is an error; the code and the words say which. */
		if (r->last_error_code)
			snprintf(buf, n, "%d: %s", r->last_error_code, r->last_error_text);
		else
			snprintf(buf, n, "%s", r->last_error_text);
		return;
	}
	char t[32];
	status_time_text(r->event_at, t, sizeof t);
	if (r->flagged)
		snprintf(buf, n, "%s", _("no final status for too long: open it to act"));
	else if (r->state == JS_QUEUED && r->last_error_text[0])
		/* Waiting for another try: why the last one failed. */
		snprintf(buf, n, "%s %s: %s", status_source_word(r->event_source), t,
			 r->last_error_text);
	else
		/* Who moved it last and when; the detail (Enter) has the rest. */
		snprintf(buf, n, "%s %s", status_source_word(r->event_source), t);
	mask_callback_token(buf);
}

static bool changed_recently(const struct engine_row *r)
{
	return r->changed_mono && mono_ms() - r->changed_mono < ENGINE_CHANGED_MS;
}

static const char *amount_text(struct app *app, const struct engine_row *r, char *buf, size_t n)
{
	enum doc_kind k;
	if (r->total == 0 && doc_kind_parse(r->kind, &k) && !doc_kind_has_basket(k) &&
	    k != DOC_CASH_IN && k != DOC_CASH_OUT) {
		str_copy(buf, "", n);
		return buf;
	}
	return app_money(app, r->total, buf, n);
}

/* The widest state word in this language, so no state is ever cut. */
static int state_width(void)
{
	int w = 0;
	for (int s = 0; s < JS_COUNT; s++) {
		int sw = text_width(status_state_word((enum journal_state)s));
		if (sw > w)
			w = sw;
	}
	return w + 2; /* room for the flag mark */
}

static void draw_state(WINDOW *w, int y, int x, int width, const struct engine_row *r)
{
	char word[96];
	snprintf(word, sizeof word, "%s%s", status_state_word(r->state), r->flagged ? " ⚑" : "");
	app_put(w, y, x, width, TEXT_LEFT, word, status_state_role(r->state));
}

static void draw_empty(struct engine *e, WINDOW *w, int y, int x, int rows, int cols)
{
	if (rows <= 0)
		return;
	if (!e) {
		app_put(w, y, x, cols, TEXT_LEFT, _("No delivery engine: nothing is sent."),
			UI_HELP_TEXT);
		return;
	}
	app_put(w, y, x, cols, TEXT_LEFT, _("No documents yet."), UI_HELP_TEXT);
	if (rows > 1)
		app_put(w, y + 1, x, cols, TEXT_LEFT,
			_("Receipts sent appear here with their state."), UI_HELP_TEXT);
}

/* ---- the side pane ---- */

int status_pane_width(const struct app *app, int cols)
{
	if (cols < STATUS_PANE_MIN_COLS || !engine_of(app))
		return 0;
	/* Beside the working screens; help, find and the status screens keep the width. */
	const struct view_ops *top = app_top(app);
	if (top == &view_status || top == &view_detail || top == &view_help || top == &view_find)
		return 0;
	int w = cols * 2 / 5;
	return w < 44 ? 44 : w > 64 ? 64 : w;
}

void status_pane_draw(struct app *app, WINDOW *w, int x, int rows, int cols)
{
	struct engine *e = engine_of(app);
	/* A blank column, then the rule: the screen on the left never touches it. */
	wattrset(w, (int)theme_attr(UI_TEXT));
	mvwvline(w, 0, x, ' ', rows);
	mvwvline(w, 0, x + 1, ACS_VLINE, rows);
	x++;
	cols--;
	int px = x + 2, pw = cols - 2;
	char title[128];
	snprintf(title, sizeof title, "%s", _("Documents sent (F9: all, with details)"));
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 0, x + 1, ' ', cols - 1);
	app_put(w, 0, px, pw, TEXT_LEFT, title, UI_TABLE_HEADER);
	int y = 1 + engine_bill_tx_draw(app, w, 1, px, pw, rows / 3); /* payments by link */
	if (!e || e->nrecent == 0) {
		draw_empty(e, w, y + 1, px, rows - 2, pw);
		return;
	}
	if (e->problem[0] && y < rows) {
		app_put(w, rows - 1, px, pw, TEXT_LEFT, e->problem, UI_MESSAGE_ERROR);
		rows--;
	}
	char when[32], kind[96], amount[48], head[160], ev[JOURNAL_TEXT_MAX + 160];
	for (size_t i = 0; i < e->nrecent && y + 1 < rows; i++) {
		const struct engine_row *r = &e->recent[i];
		status_time_text(r->created_at, when, sizeof when);
		status_kind_text(r->kind, r->type, kind, sizeof kind);
		amount_text(app, r, amount, sizeof amount);
		bool fresh = changed_recently(r);
		int aw = text_width(amount) + 1;
		snprintf(head, sizeof head, "%s %s #%" PRId64 " %s", fresh ? MARK_CHANGED : " ",
			 when, r->id, kind);
		app_put(w, y, px, pw - aw, TEXT_LEFT, head, UI_TABLE_ROW);
		app_put(w, y, px + pw - aw, aw, TEXT_RIGHT, amount, UI_TABLE_ROW);
		y++;
		int sw = state_width();
		if (sw > pw / 2)
			sw = pw / 2;
		app_put(w, y, px, 2, TEXT_LEFT, "", UI_TABLE_ROW);
		draw_state(w, y, px + 2, sw, r);
		event_text(r, ev, sizeof ev);
		app_put(w, y, px + 2 + sw, pw - 2 - sw, TEXT_LEFT, ev, UI_HELP_TEXT);
		y++;
	}
}

/* ---- the status screen (F9) ---- */

static int sel_index(const struct status_state *st, const struct engine *e)
{
	if (!e || e->nrecent == 0)
		return -1;
	for (size_t i = 0; i < e->nrecent; i++)
		if (e->recent[i].id == st->sel_id)
			return (int)i;
	return 0;
}

static void status_prompt(struct app *app)
{
	app_input(app, _("Find (number, ext_id, uuid):"), "");
}

static void status_open(struct app *app, int arg)
{
	struct status_state *st = status_of(app);
	struct engine *e = engine_of(app);
	if (arg >= 0) {
		st->sel_id = e && e->nrecent ? e->recent[0].id : 0;
		st->top = 0;
	}
	status_prompt(app);
}

static int status_line(struct app *app, const char *text)
{
	struct status_state *st = status_of(app);
	struct engine *e = engine_of(app);
	char key[128];
	str_copy(key, text, sizeof key);
	str_trim(key);
	if (!e) {
		app_message(app, UI_MESSAGE_ERROR, "%s", _("No delivery engine: nothing is sent."));
		return APP_HANDLED | APP_REDRAW;
	}
	if (!key[0]) {
		int i = sel_index(st, e);
		if (i < 0) {
			app_message(app, UI_MESSAGE_ERROR, "%s", _("No documents yet."));
			return APP_HANDLED | APP_REDRAW;
		}
		app_clear_message(app);
		status_open_detail(app, e->recent[i].id);
		return APP_HANDLED | APP_REDRAW;
	}
	const char *k = key[0] == '#' ? key + 1 : key;
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr err = {0};
	if (journal_find(e->journal, k, &d, &err) != K_OK) {
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("No document \"%s\" in this journal: type its number, ext_id or uuid"), k);
		app_input(app, NULL, text);
		return APP_HANDLED | APP_REDRAW;
	}
	int64_t id = d.id;
	journal_doc_free(&d);
	app_history_add(app, key);
	app_clear_message(app);
	status_open_detail(app, id);
	return APP_HANDLED | APP_REDRAW;
}

static int status_handle(struct app *app, enum action a, int key)
{
	struct status_state *st = status_of(app);
	(void)key;
	struct engine *e = engine_of(app);
	int n = e ? (int)e->nrecent : 0;
	int i = sel_index(st, e);
	int page = getmaxy(app->w_body) - 3;
	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		if (n == 0)
			return APP_HANDLED | APP_REDRAW;
		i += a == ACT_UP ? -1 : a == ACT_DOWN ? 1 : a == ACT_PAGE_UP ? -page : page;
		i = i < 0 ? 0 : i >= n ? n - 1 : i;
		st->sel_id = e->recent[i].id;
		return APP_HANDLED | APP_REDRAW;
	case ACT_STATUS:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (app_input_text(app)[0]) {
			status_prompt(app);
			return APP_HANDLED | APP_REDRAW;
		}
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F9");
	}
}

static void status_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct status_state *st = status_of(app);
	struct engine *e = engine_of(app);
	char title[256];
	if (e && e->training)
		snprintf(title, sizeof title, "%s",
			 _("Training journal, newest first · Enter opens the selected one"));
	else if (e)
		snprintf(title, sizeof title,
			 _("Journal of %s, newest first · Enter opens the selected one"),
			 e->profile.name);
	else
		snprintf(title, sizeof title, "%s", _("Documents"));
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, title, UI_TITLE);
	if (!e || e->nrecent == 0) {
		draw_empty(e, w, 2, 1, rows - 2, cols - 2);
		if (app->status.offline)
			status_offline_draw(app, w, rows - 2, cols);
		return;
	}
	/* Narrow terminals give the last event the room: minutes are enough there. */
	bool narrow = cols < 100;
	int w_mark = 1, w_time = narrow ? 5 : 8, w_id = 5, w_amt = 10, w_state = state_width();
	int w_kind = cols >= 100 ? 22 : 14;
	int x_time = w_mark, x_id = x_time + w_time + 1, x_kind = x_id + w_id + 1;
	int x_amt = x_kind + w_kind + 1, x_state = x_amt + w_amt + (narrow ? 1 : 2);
	int x_ev = x_state + w_state + 1, w_ev = cols - x_ev;
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 1, 0, ' ', cols);
	app_put(w, 1, x_time, w_time, TEXT_LEFT, _("Time"), UI_TABLE_HEADER);
	app_put(w, 1, x_id, w_id, TEXT_RIGHT, "#", UI_TABLE_HEADER);
	app_put(w, 1, x_kind, w_kind, TEXT_LEFT, _("Kind"), UI_TABLE_HEADER);
	app_put(w, 1, x_amt, w_amt, TEXT_RIGHT, _("Amount"), UI_TABLE_HEADER);
	app_put(w, 1, x_state, w_state, TEXT_LEFT, _("State"), UI_TABLE_HEADER);
	if (w_ev > 0)
		app_put(w, 1, x_ev, w_ev, TEXT_LEFT, _("Last event"), UI_TABLE_HEADER);
	int vis = rows - 2 - (e->problem[0] ? 1 : 0) - (app->status.offline ? 2 : 0);
	int txr = engine_bill_tx_rows(e, vis / 3); /* payments by link, below the documents */
	vis -= txr;
	int sel = sel_index(st, e);
	if (sel < st->top)
		st->top = sel;
	if (sel >= st->top + vis)
		st->top = sel - vis + 1;
	if (st->top < 0)
		st->top = 0;
	char buf[JOURNAL_TEXT_MAX + 160];
	for (int r = 0; r < vis && st->top + r < (int)e->nrecent; r++) {
		int i = st->top + r, y = r + 2;
		const struct engine_row *row = &e->recent[i];
		bool on = i == sel;
		enum ui_role role = on ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, y, 0, ' ', cols);
		app_put(w, y, 0, w_mark, TEXT_LEFT, changed_recently(row) ? MARK_CHANGED : " ",
			role);
		status_time_text(row->created_at, buf, sizeof buf);
		if (narrow && strlen(buf) == 8)
			buf[5] = '\0'; /* "12:03:04" -> "12:03" */
		app_put(w, y, x_time, w_time, TEXT_LEFT, buf, role);
		snprintf(buf, sizeof buf, "%" PRId64, row->id);
		app_put(w, y, x_id, w_id, TEXT_RIGHT, buf, role);
		status_kind_text(row->kind, row->type, buf, sizeof buf);
		app_put(w, y, x_kind, w_kind, TEXT_LEFT, buf, role);
		amount_text(app, row, buf, sizeof buf);
		app_put(w, y, x_amt, w_amt, TEXT_RIGHT, buf, role);
		/* The state keeps its colour on the selected row too: the word says it anyway. */
		draw_state(w, y, x_state, w_state, row);
		if (w_ev > 0) {
			event_text(row, buf, sizeof buf);
			app_put(w, y, x_ev, w_ev, TEXT_LEFT, buf, role);
		}
	}
	engine_bill_tx_draw(app, w, 2 + vis, 1, cols - 2, txr);
	if (e->problem[0])
		app_put(w, rows - 1, 0, cols, TEXT_LEFT, e->problem, UI_MESSAGE_ERROR);
	if (app->status.offline)
		status_offline_draw(app, w, rows - 2 - (e->problem[0] ? 1 : 0), cols);
}

void status_offline_draw(struct app *app, WINDOW *w, int y, int cols)
{
	char since[32], line[400], key[32] = "";
	status_time_text(app->status.offline_since_ms, since, sizeof since);
	snprintf(line, sizeof line, _("OFFLINE since %s: %s"), since, app->status.offline_reason);
	mask_callback_token(line);
	app_put(w, y, 0, cols, TEXT_LEFT, line, UI_MESSAGE_ERROR);
	int k = keymap_first_key(&app->keys, "status", ACT_SEND_NOW);
	if (k != KEYS_NONE)
		keys_key_name(k, key, sizeof key);
	snprintf(line, sizeof line,
		 _("%s sends now; until then documents wait in the outbox and go out when the "
		   "provider answers."),
		 key[0] ? key : "C-s");
	app_put(w, y + 1, 0, cols, TEXT_LEFT, line, UI_MESSAGE_ERROR);
}

const struct view_ops view_status = {
    .state_size = sizeof(struct status_state),
    .name = "status",
    .title = N_("Status"),
    .footer = status_footer,
    .open = status_open,
    .draw = status_draw,
    .handle = status_handle,
    .line = status_line,
};
