/*
 * The journal screen (F11): every document of this journal, narrowed as the
 * cashier types an ext_id, a uuid, a number, an amount, a date or a state.
 * Enter opens a document's history (the detail screen); F3 previews it as
 * it prints on the profile's paper (32, 42 or 48 columns, marked TRAINING or
 * TEST); F5 prints a copy as a NEW non-fiscal receipt built from its lines;
 * F6 sends a document whose fate is unknown again with its own ext_id. With
 * a PayKeeper profile F7 shows the provider's own registry beside the local
 * documents (bydate with totals and paging; Enter with text searches it),
 * fetched in the background. F8 settles a prepaid order (seed 002: the
 * settle screen); the search also finds a prepaid order by the buyer's
 * e-mail or phone, and the preview says which order a receipt prepaid or
 * settles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doc_search.h"
#include "engine.h"
#include "errors.h"
#include "fiscal_attrs.h"
#include "journal_link.h"
#include "i18n.h"
#include "preview.h"
#include "provider.h"
#include "refund_calc.h"
#include "registry.h"
#include "util.h"
#include "views/journal_state.h"
#include "views/status.h"
#include "views/views.h"

/* This screen's instance on the stack (app_push() allocates it). */
struct journal_screen *journal_of(const struct app *app)
{
	return app_view_state(app, &view_journal);
}

static const enum action journal_screen_footer[] = {
    ACT_PREVIEW, ACT_REPRINT, ACT_REPLAY, ACT_REGISTRY, ACT_SETTLE, ACT_BACK, ACT_HELP, ACT_NONE};

static bool state_matches(const char *text, enum journal_state s)
{
	return text[0] && (text_starts_with(journal_state_word(s), text) ||
			   text_starts_with(status_state_word(s), text));
}

static void refilter(struct journal_screen *js)
{
	int64_t keep =
	    js->nshown && js->sel < (int)js->nshown ? js->rows[js->shown[js->sel]].id : 0;
	js->nshown = 0;
	char t[128];
	str_copy(t, js->text, sizeof t);
	char *s = str_trim(t);
	for (size_t i = 0; i < js->nrows; i++) {
		const struct jrow *r = &js->rows[i];
		struct doc_search_row q = {r->kind, r->type, r->total, r->card, r->cash};
		if (state_matches(s, r->state) ||
		    refund_matches(s, r->id, r->ext_id, r->uuid, r->total, r->created_at) ||
		    doc_search_matches(s, &q) ||
		    (r->receipt_id[0] && text_starts_with(r->receipt_id, s)) ||
		    (r->contact[0] && s[0] && text_contains(r->contact, s)))
			js->shown[js->nshown++] = i;
	}
	js->sel = 0;
	for (size_t i = 0; i < js->nshown; i++)
		if (js->rows[js->shown[i]].id == keep)
			js->sel = (int)i;
}

static bool on_doc(const struct journal_doc *d, void *ctx)
{
	struct journal_screen *js = ctx;
	if (js->nrows >= JROWS_MAX)
		return false;
	struct jrow *r = &js->rows[js->nrows++];
	memset(r, 0, sizeof *r);
	r->id = d->id;
	r->created_at = d->created_at;
	r->total = d->total;
	r->card = d->card;
	r->cash = d->cash;
	str_copy(r->kind, d->kind, sizeof r->kind);
	str_copy(r->type, d->type, sizeof r->type);
	str_copy(r->ext_id, d->ext_id, sizeof r->ext_id);
	str_copy(r->uuid, d->uuid, sizeof r->uuid);
	str_copy(r->receipt_id, d->provider_receipt_id, sizeof r->receipt_id);
	r->state = d->state;
	r->flagged = d->flagged;
	return true;
}

static bool on_prepaid(const struct journal_prepaid *o, void *ctx)
{
	struct journal_screen *js = ctx;
	for (size_t i = 0; i < js->nrows; i++)
		if (js->rows[i].id == o->doc_id) {
			str_copy(js->rows[i].contact, o->contact, sizeof js->rows[i].contact);
			break;
		}
	return true;
}

void journal_screen_reload(struct app *app)
{
	struct journal_screen *js = journal_of(app);
	struct engine *e = engine_of(app);
	js->nrows = 0;
	js->loaded = true;
	if (e && e->journal) {
		journal_list(e->journal, NULL, JROWS_MAX, 0, on_doc, js, NULL);
		journal_link_list(e->journal, "", false, on_prepaid, js, NULL);
		js->generation = e->generation;
	}
	refilter(js);
}

static const struct jrow *selected(const struct journal_screen *js)
{
	return js->nshown && js->sel < (int)js->nshown ? &js->rows[js->shown[js->sel]] : NULL;
}

static void journal_screen_prompt(struct app *app)
{
	struct journal_screen *js = journal_of(app);
	char p[200];
	const struct jrow *r = selected(js);
	app->keyview = NULL;
	switch (js->mode) {
	case JM_LIST:
		app_input(app,
			  js->reg_on ? _("Search (Enter asks the provider too):")
				     : _("Search (id, uuid, sum, date, state):"),
			  js->text);
		return;
	case JM_PREVIEW:
		app_input(app, _("Preview: Up/Down scroll · F5 prints a copy · Esc: back"), "");
		app_input_enable(app, false);
		return;
	case JM_ASK_REPRINT:
		snprintf(p, sizeof p, _("Print a copy of #%lld as a new non-fiscal receipt? (y/n)"),
			 r ? (long long)r->id : 0LL);
		break;
	case JM_ASK_REPLAY:
		snprintf(p, sizeof p, _("Send #%lld again with its own ext_id %s? (y/n)"),
			 r ? (long long)r->id : 0LL, r ? r->ext_id : "");
		break;
	}
	app_input(app, p, "");
	app->keyview = "confirm";
	app_input_enable(app, false);
}

static void set_mode(struct app *app, enum journal_mode m)
{
	struct journal_screen *js = journal_of(app);
	js->mode = m;
	journal_screen_prompt(app);
}

/* ---- a stored document as a document again ---- */

static kstatus load_document(struct app *app, int64_t id, struct journal_doc *jd,
			     struct document *d, struct kerr *err)
{
	struct engine *e = engine_of(app);
	if (!e || !e->journal)
		return kerr_set(err, K_REFUSED, "", "%s",
				_("No delivery engine: nothing is sent."));
	memset(jd, 0, sizeof *jd);
	kstatus st = journal_get(e->journal, id, jd, err);
	if (st != K_OK)
		return st;
	enum doc_kind k;
	if (!doc_kind_parse(jd->kind, &k))
		return kerr_set(err, K_INVALID, "kind", _("unknown document kind %s"), jd->kind);
	const char *body = jd->body ? jd->body : "";
	st = provider_get(jd->provider)->status.decode_stored(body[0] ? body : "{}", k, d, err);
	return st;
}

/* Under a preview: which order this receipt prepaid, or which one it settles. */
static void journal_link_lines(struct app *app, int64_t id, struct preview_lines *pv)
{
	struct engine *e = engine_of(app);
	char text[2][200];
	int n = 0;
	struct journal_prepaid o;
	char a[48], b[48];
	int64_t other = 0;
	if (journal_link_get(e->journal, id, &o, NULL) == K_OK) {
		snprintf(text[n++], sizeof text[0], _("Prepaid %s of an order of %s"),
			 app_money(app, o.prepaid, a, sizeof a),
			 app_money(app, o.order_total, b, sizeof b));
		if (o.settled_by)
			snprintf(text[n++], sizeof text[0], _("Settled by receipt #%lld (%s)"),
				 (long long)o.settled_by, _(journal_state_label(o.settled_state)));
		else
			snprintf(text[n++], sizeof text[0], "%s",
				 _("Not settled yet: F8 settles it"));
		journal_prepaid_free(&o);
	} else if (journal_link_settles(e->journal, id, &other, NULL) == K_OK) {
		snprintf(text[n++], sizeof text[0], _("Settles prepaid order #%lld"),
			 (long long)other);
	}
	if (!n)
		return;
	pv->lines = xrealloc(pv->lines, (pv->n + (size_t)n + 1) * sizeof *pv->lines);
	pv->lines[pv->n++] = xstrdup("");
	for (int i = 0; i < n; i++)
		pv->lines[pv->n++] = xstrdup(text[i]);
}

static void open_preview(struct app *app)
{
	struct journal_screen *js = journal_of(app);
	const struct jrow *r = selected(js);
	struct engine *e = engine_of(app);
	if (!r || !e)
		return;
	struct journal_doc jd;
	struct document *d = xcalloc(1, sizeof *d);
	struct kerr err = {0};
	kstatus st = load_document(app, r->id, &jd, d, &err);
	if (st == K_OK) {
		/* ФН, ФД, ФП and the OFD link, when the callback carried them. */
		struct fiscal_attrs fa;
		memset(&fa, 0, sizeof fa);
		fiscal_attrs_of_doc(e->journal_path, jd.id, jd.uuid, &fa, NULL);
		struct preview_meta m = {
		    .fn = fa.fn,
		    .fd = fa.fd,
		    .fp = fa.fp,
		    .ofd_url = fa.ofd_url,
		    .time_ms = jd.created_at,
		    .uuid = jd.uuid,
		    .ext_id = jd.ext_id,
		    .state = status_state_word(jd.state),
		    .mode = e->training ? PREVIEW_TRAINING
			    : jd.test	? PREVIEW_TEST
					: PREVIEW_LIVE,
		    .width = e->profile.paper_width ? e->profile.paper_width : 42,
		    .russian = errors_locale_is_russian(),
		};
		preview_lines_free(&js->pv);
		st = preview_render(d, &m, &js->pv, &err);
		if (st == K_OK)
			journal_link_lines(app, jd.id, &js->pv);
	}
	if (st == K_OK) {
		js->pv_id = r->id;
		js->pv_top = 0;
		set_mode(app, JM_PREVIEW);
	} else {
		char t[400];
		app_message(app, UI_MESSAGE_ERROR, _("#%lld cannot be previewed: %s"),
			    (long long)r->id, kerr_str(&err, t, sizeof t));
	}
	document_free(d);
	free(d);
	journal_doc_free(&jd);
}

static void reprint(struct app *app, int64_t id)
{
	struct journal_doc jd;
	struct document *d = xcalloc(1, sizeof *d);
	struct document *nd = xcalloc(1, sizeof *nd);
	struct kerr err = {0};
	kstatus st = load_document(app, id, &jd, d, &err);
	if (st == K_OK && !doc_kind_has_basket(d->kind))
		st = kerr_set(&err, K_INVALID, "", "%s",
			      _("only receipts have lines to print a copy of"));
	if (st == K_OK) {
		/* A new document: its own ext_id, nothing fiscal, the same lines and payment. */
		document_init(nd, DOC_NONFISCAL);
		nd->basket = d->basket;
		nd->pay = d->pay;
		nd->test = app->status.mode == APP_MODE_TEST;
		st = app->submit(app, nd, &err);
	}
	if (st == K_OK) {
		app_message(app, UI_MESSAGE_INFO,
			    _("A copy of #%lld is on its way as a non-fiscal receipt"),
			    (long long)id);
	} else {
		char t[400];
		app_message(app, UI_MESSAGE_ERROR, _("No copy of #%lld: %s"), (long long)id,
			    kerr_str(&err, t, sizeof t));
	}
	document_free(d);
	document_free(nd);
	free(d);
	free(nd);
	journal_doc_free(&jd);
}

static void ask_replay(struct app *app)
{
	const struct jrow *r = selected(journal_of(app));
	if (!r)
		return;
	if (r->state != JS_ACCEPTED && r->state != JS_PROVIDER_RETRY && r->state != JS_FAILED) {
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("#%lld is %s: only a document whose fate is unknown (accepted, provider "
		      "retry, failed) is sent again"),
		    (long long)r->id, status_state_word(r->state));
		return;
	}
	set_mode(app, JM_ASK_REPLAY);
}

/* ---- the provider's registry ---- */

static void on_registry(void *cls)
{
	struct app *app = cls;
	app_redraw(app);
}

/*
 * A day as PayKeeper's registry counts it: its dates are Moscow time (UTC+3,
 * no daylight saving since 2014), whatever the till's own time zone is; a
 * till on UTC asking at 21:30 for "today" would otherwise miss what the
 * provider already files under tomorrow.
 */
static void day_text(time_t t, char *buf, size_t n)
{
	struct tm tm;
	t += 3 * 3600;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
}

/* "23.11.2024" or "2024-11-23" as YYYY-MM-DD; false for anything else. */
static bool parse_day(const char *s, char out[11])
{
	int d, m, y;
	char tail;
	if (sscanf(s, "%2d.%2d.%4d%c", &d, &m, &y, &tail) == 3 ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3) {
		snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
		return document_date_valid(out);
	}
	return false;
}

static void registry_ask(struct app *app, const char *text)
{
	struct journal_screen *js = journal_of(app);
	char t[128];
	str_copy(t, text ? text : "", sizeof t);
	char *s = str_trim(t);
	time_t now = time(NULL);
	js->query[0] = '\0';
	js->statuses = 0;
	enum pk_status ps;
	if (parse_day(s, js->start)) {
		str_copy(js->end, js->start, sizeof js->end);
	} else if (s[0] && paykeeper_status_parse(s, &ps)) {
		js->statuses = 1u << ps;
		day_text(now - 6 * 86400, js->start, sizeof js->start);
		day_text(now, js->end, sizeof js->end);
	} else {
		day_text(now - 6 * 86400, js->start, sizeof js->start);
		day_text(now, js->end, sizeof js->end);
		str_copy(js->query, s, sizeof js->query);
	}
	struct kerr err = {0};
	if (registry_fetch(js->reg, js->start, js->end, js->query, js->statuses, js->from, &err) !=
	    K_OK)
		app_refuse(app, &err);
}

static void toggle_registry(struct app *app)
{
	struct journal_screen *js = journal_of(app);
	struct engine *e = engine_of(app);
	if (!e || !provider_can(e->profile.provider, PROVIDER_CAP_REGISTRY)) {
		app_message(app, UI_MESSAGE_ERROR, "%s",
			    _("The provider's registry is read for PayKeeper profiles; LifePay has "
			      "no registry to read (its cabinet shows the receipts)"));
		return;
	}
	js->reg_on = !js->reg_on;
	if (js->reg_on && !js->reg) {
		js->reg = registry_new(app->loop, &e->profile, on_registry, app);
		js->from = 0;
		registry_ask(app, "");
	}
	journal_screen_prompt(app);
}

/* ---- the view ---- */

static void journal_screen_open(struct app *app, int arg)
{
	struct journal_screen *js = journal_of(app);
	if (arg >= 0) {
		registry_free(js->reg);
		preview_lines_free(&js->pv);
		free(js->rows);
		free(js->shown);
		memset(js, 0, sizeof *js);
		js->rows = xcalloc(JROWS_MAX, sizeof *js->rows);
		js->shown = xcalloc(JROWS_MAX, sizeof *js->shown);
		js->app = app;
		journal_screen_reload(app);
	}
	journal_screen_prompt(app);
}

static void journal_screen_close(struct app *app)
{
	struct journal_screen *js = journal_of(app);
	registry_free(js->reg);
	js->reg = NULL;
	preview_lines_free(&js->pv);
	free(js->rows);
	free(js->shown);
	js->rows = NULL;
	js->shown = NULL;
	js->nrows = js->nshown = 0;
}

static void journal_screen_changed(struct app *app, const char *text)
{
	struct journal_screen *js = journal_of(app);
	if (js->mode != JM_LIST)
		return;
	str_copy(js->text, text, sizeof js->text);
	refilter(js);
}

static int journal_screen_line(struct app *app, const char *text)
{
	struct journal_screen *js = journal_of(app);
	if (js->mode != JM_LIST)
		return APP_HANDLED | APP_REDRAW;
	char t[128];
	str_copy(t, text, sizeof t);
	str_trim(t);
	if (js->reg_on && t[0]) {
		js->from = 0;
		registry_ask(app, t);
		app_history_add(app, t);
		journal_screen_prompt(app);
		return APP_HANDLED | APP_REDRAW;
	}
	const struct jrow *r = selected(js);
	if (!r) {
		app_message(app, UI_MESSAGE_ERROR, _("No document matches «%s»"), t);
		journal_screen_prompt(app);
		return APP_HANDLED | APP_REDRAW;
	}
	if (t[0])
		app_history_add(app, t);
	status_open_detail(app, r->id);
	return APP_HANDLED | APP_REDRAW;
}

static int journal_screen_handle(struct app *app, enum action a, int key)
{
	struct journal_screen *js = journal_of(app);
	(void)key;
	const struct jrow *r = selected(js);
	int page = getmaxy(app->w_body) - 3;
	if (page < 1)
		page = 1;
	switch (a) {
	case ACT_UP:
	case ACT_DOWN:
	case ACT_PAGE_UP:
	case ACT_PAGE_DOWN:
		if (js->mode == JM_PREVIEW) {
			js->pv_top += a == ACT_UP	 ? -1
				      : a == ACT_DOWN	 ? 1
				      : a == ACT_PAGE_UP ? -page
							 : page;
			if (js->pv_top < 0)
				js->pv_top = 0;
		} else if (js->reg_on && (a == ACT_PAGE_UP || a == ACT_PAGE_DOWN)) {
			int64_t from =
			    js->from + (a == ACT_PAGE_DOWN ? REGISTRY_PAGE : -REGISTRY_PAGE);
			struct kerr err = {0};
			if (from >= 0 && !js->query[0]) {
				js->from = from;
				if (registry_fetch(js->reg, js->start, js->end, "", js->statuses,
						   js->from, &err) != K_OK)
					app_refuse(app, &err);
			}
		} else if (js->mode == JM_LIST && js->nshown) {
			js->sel += a == ACT_UP	      ? -1
				   : a == ACT_DOWN    ? 1
				   : a == ACT_PAGE_UP ? -page
						      : page;
			js->sel = js->sel < 0		       ? 0
				  : js->sel >= (int)js->nshown ? (int)js->nshown - 1
							       : js->sel;
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_PREVIEW:
		if (js->mode == JM_LIST && r)
			open_preview(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_REPRINT:
		if ((js->mode == JM_LIST || js->mode == JM_PREVIEW) && r)
			set_mode(app, JM_ASK_REPRINT);
		return APP_HANDLED | APP_REDRAW;
	case ACT_REPLAY:
		if (js->mode == JM_LIST)
			ask_replay(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_REGISTRY:
		if (js->mode == JM_LIST)
			toggle_registry(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_SETTLE:
		if ((js->mode == JM_LIST || js->mode == JM_PREVIEW) && r)
			settle_view_open(app, js->mode == JM_PREVIEW ? js->pv_id : r->id);
		return APP_HANDLED | APP_REDRAW;
	case ACT_CONFIRM:
		if (js->mode == JM_ASK_REPRINT && r) {
			reprint(app, r->id);
			set_mode(app, JM_LIST);
		} else if (js->mode == JM_ASK_REPLAY && r) {
			struct engine *e = engine_of(app);
			struct kerr err = {0};
			if (!e || engine_replay(e, r->id, &err) != K_OK)
				app_refuse(app, &err);
			else
				app_message(app, UI_MESSAGE_INFO,
					    _("#%lld is queued again with its own ext_id"),
					    (long long)r->id);
			set_mode(app, JM_LIST);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
		if (js->mode == JM_ASK_REPRINT || js->mode == JM_ASK_REPLAY) {
			app_message(app, UI_MESSAGE_INFO, "%s", _("Nothing was sent"));
			set_mode(app, JM_LIST);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (js->mode != JM_LIST) {
			set_mode(app, JM_LIST);
		} else if (js->text[0]) {
			js->text[0] = '\0';
			refilter(js);
			journal_screen_prompt(app);
		} else {
			app_pop(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_JOURNAL:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F11");
	}
}

const struct view_ops view_journal = {
    .state_size = sizeof(struct journal_screen),
    .name = "journal",
    .title = N_("Journal"),
    .footer = journal_screen_footer,
    .open = journal_screen_open,
    .draw = journal_screen_draw,
    .handle = journal_screen_handle,
    .close = journal_screen_close,
    .line = journal_screen_line,
    .changed = journal_screen_changed,
};
