/*
 * One document in full: its state, a provider error in words with the next
 * step, the whole status history, the delivery attempts, the request as
 * stored and every raw callback, secrets masked. Rebuilt whenever the engine
 * reports a change, so a callback shows up while the cashier looks. A
 * document flagged as without a final status for too long can be sent again
 * from here (outbox_replay, same ext_id) after a question.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "engine.h"
#include "errors.h"
#include "fiscal_attrs.h"
#include "i18n.h"
#include "journal_raw.h"
#include "marking.h"
#include "mask.h"
#include "provider.h"
#include "text.h"
#include "util.h"
#include "views/status.h"
#include "views/views.h"

struct dline {
	char *text;
	enum ui_role role;
};

struct detail_state {
	int64_t id;
	unsigned generation;
	int cols;
	bool built;
	struct dline *lines;
	size_t n, cap;
	int top;
	bool replayable;
	bool asking;
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct detail_state *detail_of(const struct app *app)
{
	return app_view_state(app, &view_detail);
}

static const enum action detail_footer[] = {ACT_BACK, ACT_STATUS, ACT_HELP, ACT_QUIT, ACT_NONE};

static void lines_free(struct detail_state *dt)
{
	for (size_t i = 0; i < dt->n; i++)
		free(dt->lines[i].text);
	free(dt->lines);
	dt->lines = NULL;
	dt->n = dt->cap = 0;
}

static void push_line(struct detail_state *dt, const char *s, size_t len, enum ui_role role)
{
	if (dt->n == dt->cap) {
		dt->cap = dt->cap ? dt->cap * 2 : 64;
		dt->lines = xrealloc(dt->lines, dt->cap * sizeof *dt->lines);
	}
	dt->lines[dt->n].text = xstrndup(s, len);
	dt->lines[dt->n].role = role;
	dt->n++;
}

/*
 * Adds text folded to the screen's width: at newlines, then at the last
 * space that fits, else anywhere (long URLs, ids). Continuations keep the
 * first line's indentation.
 */
static void add(struct detail_state *dt, enum ui_role role, const char *text)
{
	int width = dt->cols - 2 > 20 ? dt->cols - 2 : 20;
	const char *line = text;
	for (;;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		size_t indent = 0;
		while (indent < len && line[indent] == ' ')
			indent++;
		if (indent > (size_t)width / 2)
			indent = 0;
		const char *p = line;
		size_t left = len;
		bool first = true;
		do {
			char buf[1024];
			/* Continuations sit under the text, two columns in. */
			size_t pre = first ? 0 : indent + 2;
			memset(buf, ' ', pre);
			int room = width - (int)pre, wsum = 0;
			size_t i = 0, last_space = 0;
			while (i < left) {
				uint32_t cp;
				size_t k = utf8_decode(p + i, SIZE_MAX, &cp);
				int cw = k ? text_cp_width(cp) : 1;
				if (!k)
					k = 1;
				if (wsum + cw > room)
					break;
				if (p[i] == ' ' && i > 0)
					last_space = i;
				wsum += cw;
				i += k;
			}
			size_t take = i;
			if (i < left && last_space > 0 && last_space > i / 2)
				take = last_space;
			if (take == 0)
				take = left; /* cannot happen with room > 0; never loop forever */
			size_t copy = take < sizeof buf - pre - 1 ? take : sizeof buf - pre - 1;
			memcpy(buf + pre, p, copy);
			push_line(dt, buf, pre + copy, role);
			p += take;
			left -= take;
			while (left > 0 && *p == ' ' && take != i) {
				p++;
				left--;
			}
			first = false;
		} while (left > 0);
		if (!nl)
			break;
		line = nl + 1;
	}
}

static void addf(struct detail_state *dt, enum ui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void addf(struct detail_state *dt, enum ui_role role, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	add(dt, role, buf);
}

static void full_time(int64_t ms, char *buf, size_t n)
{
	if (ms <= 0) {
		str_copy(buf, "—", n);
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static void short_time(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, today;
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	if (tm.tm_year == today.tm_year && tm.tm_yday == today.tm_yday)
		strftime(buf, n, "%H:%M:%S", &tm);
	else
		strftime(buf, n, "%d.%m %H:%M:%S", &tm);
}

/*
 * The journal keeps its own fixed notes in English (they are a record);
 * the screen shows them in the cashier's language. Anything else (a
 * provider's message, a network error) is shown as stored.
 */
static void history_note(const char *stored, char *buf, size_t n)
{
	static const char *const fixed[] = {
	    N_("created"),
	    N_("test mode: checked, nothing fiscalized"),
	    N_("replayed with the same ext_id"),
	    N_("kassa stopped while sending; resent with the same ext_id"),
	    N_("awaiting retry: the provider tries again"),
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (strcmp(stored, fixed[i]) == 0) {
			str_copy(buf, _(fixed[i]), n);
			return;
		}
	char *end;
	long long v;
	if (strncmp(stored, "attempt ", 8) == 0 && (v = strtoll(stored + 8, &end, 10)) > 0 &&
	    !*end) {
		snprintf(buf, n, _("attempt %lld"), v);
		return;
	}
	if (strncmp(stored, "no final status after ", 22) == 0 &&
	    (v = strtoll(stored + 22, &end, 10)) >= 0 &&
	    strcmp(end, " s; flagged: replay it or check the cabinet") == 0) {
		snprintf(buf, n,
			 _("no final status after %lld s; flagged: replay it or check the cabinet"),
			 v);
		return;
	}
	if (strncmp(stored, "receipt id ", 11) == 0) {
		snprintf(buf, n, _("receipt id %s"), stored + 11);
		return;
	}
	str_copy(buf, stored, n);
}

/* What the journal's row callbacks fill: the screen's lines and a count. */
struct detail_fill {
	struct detail_state *dt;
	int n;
};

static bool on_hist(const struct journal_history_row *h, void *ctx)
{
	struct detail_state *dt = ctx;
	char t[32], from[64];
	short_time(h->at, t, sizeof t);
	if (h->from == JS_NONE)
		str_copy(from, "—", sizeof from);
	else
		str_copy(from, status_state_word((enum journal_state)h->from), sizeof from);
	char detail[JOURNAL_TEXT_MAX];
	history_note(h->detail, detail, sizeof detail);
	mask_callback_token(detail);
	addf(dt, status_state_role(h->to), "  %s  %s → %s  (%s)%s%s", t, from,
	     status_state_word(h->to), status_source_word(h->source), detail[0] ? "  " : "",
	     detail);
	return true;
}

static bool on_attempt(const struct journal_attempt_row *a, void *ctx)
{
	struct detail_fill *fill = ctx;
	struct detail_state *dt = fill->dt;
	int *n = &fill->n;
	char t[32], http[32];
	(*n)++;
	short_time(a->at, t, sizeof t);
	if (a->http_status)
		snprintf(http, sizeof http, "HTTP %d", a->http_status);
	else
		str_copy(http, _("no answer"), sizeof http);
	char err[JOURNAL_TEXT_MAX];
	str_copy(err, a->error, sizeof err);
	mask_callback_token(err);
	if (a->provider_code)
		addf(dt, UI_TEXT, _("  %s  %s, code %d  %s"), t, http, a->provider_code, err);
	else
		addf(dt, UI_TEXT, "  %s  %s  %s", t, http, err);
	return true;
}

static bool on_raw(const struct journal_raw_callback *c, void *ctx)
{
	struct detail_fill *fill = ctx;
	struct detail_state *dt = fill->dt;
	int *n = &fill->n;
	char t[32];
	(*n)++;
	short_time(c->at, t, sizeof t);
	addf(dt, status_state_role(c->state), _("  %s  %s: %s, %s%s%s"), t,
	     status_source_word(c->source), status_state_word(c->state),
	     c->applied ? _("applied") : _("not applied (no change)"),
	     c->content_type[0] ? ", " : "", c->content_type);
	char *body = mask_body(c->body, c->body_len);
	char *ind = xmalloc(strlen(body) * 5 + 8);
	/* Indented under its heading. */
	char *w = ind;
	*w++ = ' ';
	*w++ = ' ';
	*w++ = ' ';
	*w++ = ' ';
	for (const char *r = body; *r; r++) {
		*w++ = *r;
		if (*r == '\n' && r[1]) {
			memcpy(w, "    ", 4);
			w += 4;
		}
	}
	*w = '\0';
	add(dt, UI_TEXT, ind);
	free(ind);
	free(body);
	return true;
}

static void add_error(struct detail_state *dt, const struct journal_doc *d)
{
	bool ru = errors_locale_is_russian();
	char meaning[600], next[600];
	add(dt, UI_TABLE_HEADER, _("Provider error"));
	if (d->last_error_code) {
		errors_describe(d->last_error_code, d->last_error_text, ru, meaning,
				sizeof meaning);
		addf(dt, UI_STATE_REJECTED, "  %s", meaning);
		if (d->last_error_text[0] && errors_lookup(d->last_error_code) &&
		    !strstr(meaning, d->last_error_text))
			addf(dt, UI_TEXT, _("  Provider's message: %s"), d->last_error_text);
		errors_next_step(d->last_error_code, ru, next, sizeof next);
		if (next[0])
			addf(dt, UI_TEXT, _("  Next step: %s"), next);
	} else {
		addf(dt, UI_STATE_REJECTED, "  %s", d->last_error_text);
	}
}

/* Screens at least this wide show a marking code in full; narrower ones shorten it. */
#define DETAIL_FULL_CODE_COLS 120

/* Each marked line: its item type and its code (bodies whose provider stores codes). */
static void add_marked(struct detail_state *dt, const struct journal_doc *d)
{
	enum doc_kind k;
	if (!d->body || !doc_kind_parse(d->kind, &k) || !doc_kind_has_basket(k))
		return;
	struct document *doc = xcalloc(1, sizeof *doc);
	if (provider_get(d->provider)->status.decode_stored(d->body, k, doc, NULL) == K_OK) {
		bool any = false;
		for (size_t i = 0; i < doc->basket.n; i++) {
			const struct basket_line *l = &doc->basket.lines[i];
			if (!marking_line_is_marked(l))
				continue;
			if (!any)
				add(dt, UI_TABLE_HEADER, _("Marked goods"));
			any = true;
			char t[160], code[1024];
			marking_object_text(marking_line_object(l), t, sizeof t);
			addf(dt, UI_TEXT, "  %zu. %s: %s", i + 1, l->name, t);
			if (!l->marking[0]) {
				add(dt, UI_STATE_FAILED, _("     no marking code"));
				continue;
			}
			const char *label = _("code");
			int room = dt->cols >= DETAIL_FULL_CODE_COLS
				       ? 0
				       : dt->cols - 2 - 6 - text_width(label);
			marking_display(l->marking, room, code, sizeof code);
			addf(dt, UI_TEXT, "     %s %s", label, code);
		}
		if (any)
			add(dt, UI_TEXT, "");
	}
	document_free(doc);
	free(doc);
}

static void build(struct app *app)
{
	struct detail_state *dt = detail_of(app);
	struct engine *e = engine_of(app);
	lines_free(dt);
	dt->cols = app->cols > 0 ? app->cols : 80;
	dt->replayable = false;
	dt->built = true;
	if (!e) {
		add(dt, UI_MESSAGE_ERROR, _("No delivery engine: nothing is sent."));
		return;
	}
	dt->generation = e->generation;
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr err = {0};
	if (journal_get(e->journal, dt->id, &d, &err) != K_OK) {
		addf(dt, UI_MESSAGE_ERROR, _("Document #%" PRId64 " cannot be read: %s"), dt->id,
		     err.text);
		return;
	}
	char kind[128], amount[48], t1[32], t2[32];
	status_kind_text(d.kind, d.type, kind, sizeof kind);
	addf(dt, status_state_role(d.state), _("State: %s%s"), status_state_word(d.state),
	     d.test ? _(" (the provider's test mode: nothing fiscalized)") : "");
	if (d.total || d.card || d.cash) {
		char card[48], cash[48], change[48];
		app_money(app, d.total, amount, sizeof amount);
		app_money(app, d.card, card, sizeof card);
		app_money(app, d.cash, cash, sizeof cash);
		app_money(app, d.change, change, sizeof change);
		addf(dt, UI_TEXT, _("Total %s: card %s, cash %s, change %s"), amount, card, cash,
		     change);
	}
	addf(dt, UI_TEXT, _("Profile %s (%s)"), d.profile, provider_word(d.provider));
	addf(dt, UI_TEXT, "ext_id %s", d.ext_id);
	if (d.uuid[0])
		addf(dt, UI_TEXT, "uuid   %s", d.uuid);
	if (d.provider_receipt_id[0] && strcmp(d.provider_receipt_id, d.uuid) != 0)
		addf(dt, UI_TEXT, _("PayKeeper receipt %s"), d.provider_receipt_id);
	if (d.ref_uuid[0])
		addf(dt, UI_TEXT, _("Refund of %s"), d.ref_uuid);
	struct fiscal_attrs fa;
	if (fiscal_attrs_of_doc(e->journal_path, dt->id, d.uuid, &fa, NULL) == K_OK &&
	    fiscal_attrs_any(&fa)) {
		addf(dt, UI_STATE_PROCESSED, _("Fiscal: ФН %s · ФД %s · ФП %s"),
		     fa.fn[0] ? fa.fn : "—", fa.fd[0] ? fa.fd : "—", fa.fp[0] ? fa.fp : "—");
		if (fa.ofd_url[0])
			addf(dt, UI_TEXT, _("The receipt at the OFD: %s"), fa.ofd_url);
	}
	full_time(d.created_at, t1, sizeof t1);
	full_time(d.updated_at, t2, sizeof t2);
	addf(dt, UI_TEXT, _("Created %s, updated %s, attempts %d"), t1, t2, d.attempts);
	if (d.state == JS_QUEUED && d.attempts > 0 && d.next_attempt_at > 0) {
		char t3[32];
		short_time(d.next_attempt_at, t3, sizeof t3);
		addf(dt, UI_STATE_QUEUED,
		     _("Not delivered yet (%s); next try at %s with the same ext_id"),
		     d.last_error_text[0] ? d.last_error_text : _("no answer"), t3);
	}
	if (d.flagged) {
		add(dt, UI_STATE_FAILED,
		    _("Flagged: no final status for too long. Look it up in the "
		      "provider's cabinet."));
		dt->replayable =
		    d.state == JS_ACCEPTED || d.state == JS_PROVIDER_RETRY || d.state == JS_FAILED;
		if (dt->replayable)
			add(dt, UI_TEXT,
			    _("Enter sends it again with the same ext_id (it asks first): the "
			      "provider recognises a repeat and does not fiscalize it twice."));
	}
	if (d.state == JS_REJECTED || d.state == JS_FAILED) {
		add(dt, UI_TEXT, "");
		add_error(dt, &d);
	}

	add(dt, UI_TEXT, "");
	add_marked(dt, &d);
	add(dt, UI_TABLE_HEADER, _("Status history"));
	journal_history(e->journal, dt->id, on_hist, dt, NULL);

	add(dt, UI_TEXT, "");
	add(dt, UI_TABLE_HEADER, _("Delivery attempts"));
	struct detail_fill attempts = {.dt = dt};
	journal_attempts(e->journal, dt->id, on_attempt, &attempts, NULL);
	if (attempts.n == 0)
		add(dt, UI_HELP_TEXT, _("  none yet"));

	add(dt, UI_TEXT, "");
	add(dt, UI_TABLE_HEADER, _("Callbacks as received (secrets masked)"));
	struct detail_fill callbacks = {.dt = dt};
	struct kerr re = {0};
	if (journal_raw_callbacks(e->journal_path, dt->id, d.uuid, on_raw, &callbacks, &re) != K_OK)
		addf(dt, UI_MESSAGE_ERROR, "  %s", re.text);
	else if (callbacks.n == 0)
		add(dt, UI_HELP_TEXT, _("  none yet"));

	add(dt, UI_TEXT, "");
	add(dt, UI_TABLE_HEADER, _("Request as stored, without credentials (secrets masked)"));
	char *body = mask_body(d.body, d.body ? strlen(d.body) : 0);
	char *ind = xmalloc(strlen(body) * 3 + 4);
	char *w = ind;
	*w++ = ' ';
	*w++ = ' ';
	for (const char *r = body; *r; r++) {
		*w++ = *r;
		if (*r == '\n' && r[1]) {
			*w++ = ' ';
			*w++ = ' ';
		}
	}
	*w = '\0';
	add(dt, UI_TEXT, ind);
	free(ind);
	free(body);
	journal_doc_free(&d);
}

static void detail_prompt(struct app *app)
{
	struct detail_state *dt = detail_of(app);
	app->keyview = NULL;
	if (dt->asking) {
		char p[160];
		snprintf(p, sizeof p,
			 _("Send document #%" PRId64 " again with the same ext_id? (y/n)"), dt->id);
		app_input(app, p, "");
		app->keyview = "confirm";
		app_input_enable(app, false);
	} else if (dt->replayable) {
		app_input(app, _("Enter: send again · Esc: back"), "");
	} else {
		app_input(app, _("Up/Down, PgUp/PgDn scroll · Esc: back"), "");
		app_input_enable(app, false);
	}
}

static void detail_open(struct app *app, int arg)
{
	struct detail_state *dt = detail_of(app);
	if (arg >= 0) {
		/* status_open_detail() sets the document, builds and asks. */
		dt->top = 0;
		dt->asking = false;
		return;
	}
	detail_prompt(app);
}

void status_open_detail(struct app *app, int64_t id)
{
	if (!app_push(app, &view_detail, 0))
		return;
	struct detail_state *dt = detail_of(app);
	/* The instance exists once pushed: it learns its document, then shows it. */
	dt->id = id;
	build(app);
	detail_prompt(app);
}

static void detail_close(struct app *app)
{
	struct detail_state *dt = detail_of(app);
	lines_free(dt);
	dt->built = false;
	dt->asking = false;
}

static int detail_line(struct app *app, const char *text)
{
	struct detail_state *dt = detail_of(app);
	(void)text;
	if (!dt->replayable)
		return APP_HANDLED; /* not replayable: nothing changes */
	dt->asking = true;
	detail_prompt(app);
	return APP_HANDLED | APP_REDRAW;
}

static int detail_handle(struct app *app, enum action a, int key)
{
	struct detail_state *dt = detail_of(app);
	(void)key;
	int page = getmaxy(app->w_body) - 2;
	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
		dt->top--;
		break;
	case ACT_DOWN:
		dt->top++;
		break;
	case ACT_PAGE_UP:
		dt->top -= page;
		break;
	case ACT_PAGE_DOWN:
		dt->top += page;
		break;
	case ACT_CONFIRM:
		if (dt->asking) {
			struct engine *e = engine_of(app);
			struct kerr err = {0};
			dt->asking = false;
			if (!e || engine_replay(e, dt->id, &err) != K_OK)
				app_refuse(app, &err);
			else
				app_message(
				    app, UI_MESSAGE_INFO,
				    _("Document #%" PRId64 " is queued again with the same ext_id"),
				    dt->id);
			build(app);
			detail_prompt(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
		if (dt->asking) {
			dt->asking = false;
			app_message(app, UI_MESSAGE_INFO, "%s", _("Not sent again"));
			detail_prompt(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (dt->asking) {
			dt->asking = false;
			detail_prompt(app);
			return APP_HANDLED | APP_REDRAW;
		}
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_STATUS:
		app_pop(app);
		if (app_top(app) != &view_status)
			app_push(app, &view_status, 0);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F9");
	}
	return APP_HANDLED | APP_REDRAW;
}

static void detail_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct detail_state *dt = detail_of(app);
	struct engine *e = engine_of(app);
	/* A reply or a callback changed something, or the width changed: build again. */
	if (!dt->built || dt->cols != app->cols || (e && e->generation != dt->generation)) {
		bool was = dt->replayable;
		build(app);
		if (was != dt->replayable && !dt->asking)
			detail_prompt(app);
	}
	char title[256], kind[128] = "", amount[48] = "";
	const struct engine_row *r = e ? engine_row(e, dt->id) : NULL;
	if (r) {
		status_kind_text(r->kind, r->type, kind, sizeof kind);
		if (r->total)
			app_money(app, r->total, amount, sizeof amount);
	}
	snprintf(title, sizeof title, _("Document #%" PRId64 "%s%s%s%s"), dt->id,
		 kind[0] ? " · " : "", kind, amount[0] ? " · " : "", amount);
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, title, UI_TITLE);
	int vis = rows - 1;
	if (dt->top > (int)dt->n - vis)
		dt->top = (int)dt->n - vis;
	if (dt->top < 0)
		dt->top = 0;
	for (int i = 0; i < vis && dt->top + i < (int)dt->n; i++) {
		const struct dline *l = &dt->lines[dt->top + i];
		app_put(w, i + 1, 1, cols - 2, TEXT_LEFT, l->text, l->role);
	}
	if ((int)dt->n > vis) {
		char more[64];
		snprintf(more, sizeof more, " %d/%zu ",
			 dt->top + vis < (int)dt->n ? dt->top + vis : (int)dt->n, dt->n);
		int mw = text_width(more);
		app_put(w, 0, cols - mw - 1, mw, TEXT_RIGHT, more, UI_TITLE);
	}
}

const struct view_ops view_detail = {
    .state_size = sizeof(struct detail_state),
    .name = "detail",
    .title = N_("Document"),
    .footer = detail_footer,
    .open = detail_open,
    .draw = detail_draw,
    .handle = detail_handle,
    .close = detail_close,
    .line = detail_line,
};
