#include "engine.h"
#include "shift_rule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basket_store.h"
#include "cli.h"
#include "engine_bill.h"
#include "engine_relay.h"
#include "training_relay.h"
#include "i18n.h"
#include "keys.h"
#include "loop.h"
#include "prefs.h"
#include "util.h"

#define STATUS_TICK_MS 1000
/* The shift is looked up again after a change, or at least this often. */
#define SHIFT_RECHECK_MS 30000

struct engine *engine_of(const struct app *app)
{
	return app ? (struct engine *)app->engine : NULL;
}

/* ---- the recent documents ---- */

static bool on_history_row(const struct journal_history_row *h, void *ctx)
{
	struct engine_row *r = ctx;
	r->event_at = h->at;
	r->event_source = h->source;
	str_copy(r->event_detail, h->detail, sizeof r->event_detail);
	return true;
}

static void row_fill(struct engine *e, struct engine_row *r, const struct journal_doc *d)
{
	long long changed = r->id == d->id ? r->changed_mono : 0;
	memset(r, 0, sizeof *r);
	r->id = d->id;
	r->created_at = d->created_at;
	str_copy(r->kind, d->kind, sizeof r->kind);
	str_copy(r->type, d->type, sizeof r->type);
	r->total = d->total;
	r->state = d->state;
	r->flagged = d->flagged;
	r->test = d->test;
	r->last_error_code = d->last_error_code;
	str_copy(r->last_error_text, d->last_error_text, sizeof r->last_error_text);
	r->event_at = d->updated_at;
	r->event_source = JSRC_LOCAL;
	r->changed_mono = changed;
	/* The newest history row says what happened last. */
	journal_history(e->journal, d->id, on_history_row, r, NULL);
}

struct reload_ctx {
	struct engine *e;
	struct engine_row *rows;
	size_t n;
};

static bool on_list_doc(const struct journal_doc *d, void *ctx)
{
	struct reload_ctx *c = ctx;
	if (c->n >= ENGINE_RECENT_MAX)
		return false;
	struct engine_row *r = &c->rows[c->n++];
	/* Keep the change marks of rows we already had. */
	const struct engine_row *old = engine_row(c->e, d->id);
	memset(r, 0, sizeof *r);
	if (old)
		*r = *old;
	row_fill(c->e, r, d);
	/* A bulk change (the stale check, a restart) marks the rows it touched. */
	if (old &&
	    (old->state != r->state || old->flagged != r->flagged || old->event_at != r->event_at))
		r->changed_mono = mono_ms();
	return true;
}

void engine_reload(struct engine *e)
{
	if (!e->journal)
		return;
	struct engine_row *rows = xcalloc(ENGINE_RECENT_MAX, sizeof *rows);
	struct reload_ctx c = {.e = e, .rows = rows};
	struct kerr err = {0};
	if (journal_list(e->journal, NULL, ENGINE_RECENT_MAX, 0, on_list_doc, &c, &err) != K_OK) {
		snprintf(e->problem, sizeof e->problem, _("The journal cannot be read: %s"),
			 err.text);
	} else {
		e->problem[0] = '\0';
		memcpy(e->recent, rows, c.n * sizeof *rows);
		e->nrecent = c.n;
	}
	free(rows);
	e->generation++;
	e->shift_dirty = true;
	if (e->app)
		app_redraw(e->app);
}

const struct engine_row *engine_row(const struct engine *e, int64_t id)
{
	for (size_t i = 0; i < e->nrecent; i++)
		if (e->recent[i].id == id)
			return &e->recent[i];
	return NULL;
}

void engine_reload_doc(struct engine *e, int64_t id)
{
	if (!e->journal)
		return;
	struct engine_row *r = (struct engine_row *)engine_row(e, id);
	if (!r) {
		/* A document we have not listed yet: the list is re-read, newest first. */
		engine_reload(e);
		r = (struct engine_row *)engine_row(e, id);
		if (r)
			r->changed_mono = mono_ms();
		return;
	}
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr err = {0};
	if (journal_get(e->journal, id, &d, &err) != K_OK) {
		snprintf(e->problem, sizeof e->problem,
			 _("Document #%" PRId64 " cannot be read: %s"), id, err.text);
	} else {
		enum journal_state was = r->state;
		row_fill(e, r, &d);
		r->changed_mono = mono_ms();
		/* A refused basket can come back to the sale screen: the message says how. */
		char hint[96] = "";
		bool refused =
		    was != r->state && (r->state == JS_REJECTED || r->state == JS_FAILED);
		if (e->app && refused)
			basket_store_refused(e->app, &d, hint, sizeof hint);
		journal_doc_free(&d);
		/* A refusal must reach the cashier even with no status pane on screen. */
		char why[600];
		if (e->app && refused && r->state == JS_REJECTED &&
		    shift_rule_explain(r->last_error_code, r->last_error_text, why, sizeof why))
			app_message(e->app, UI_MESSAGE_ERROR,
				    _("Document #%" PRId64 " refused. %s%s%s"), id,
				    hint[0] ? hint : "", hint[0] ? ". " : "", why);
		else if (e->app && refused && hint[0])
			app_message(e->app, UI_MESSAGE_ERROR,
				    _("Document #%" PRId64 " %s: %s (%s; F9: details)"), id,
				    _(journal_state_label(r->state)),
				    r->last_error_text[0] ? r->last_error_text
							  : _("no reason given"),
				    hint);
		else if (e->app && refused)
			app_message(e->app, UI_MESSAGE_ERROR,
				    _("Document #%" PRId64 " %s: %s (F9: details and what to do)"),
				    id, _(journal_state_label(r->state)),
				    r->last_error_text[0] ? r->last_error_text
							  : _("no reason given"));
	}
	e->generation++;
	e->shift_dirty = true;
	if (e->app)
		app_redraw(e->app);
}

static void on_outbox_change(void *cls, int64_t doc_id)
{
	struct engine *e = cls;
	if (doc_id == 0)
		engine_reload(e);
	else
		engine_reload_doc(e, doc_id);
	engine_update_status(e);
}

/* ---- the status bar ---- */

struct shift_probe {
	int64_t at;
	bool found;
	bool pending; /* not yet accepted by the provider */
};

static bool on_shift_doc(const struct journal_doc *d, void *ctx)
{
	struct shift_probe *p = ctx;
	/* A refused or failed document did not change the shift. */
	if (d->state == JS_REJECTED || d->state == JS_FAILED || d->test)
		return true;
	p->at = d->created_at;
	p->found = true;
	p->pending = d->state == JS_QUEUED || d->state == JS_SENDING;
	return false;
}

static void latest_of(struct engine *e, const char *kind, int64_t since, struct shift_probe *p)
{
	struct journal_filter f = {.kind = kind, .since = since};
	memset(p, 0, sizeof *p);
	journal_list(e->journal, &f, -1, 0, on_shift_doc, p, NULL);
}

struct first_probe {
	int64_t at;
	bool found;
	bool pending; /* the oldest one is not yet accepted by the provider */
};

static bool on_first_receipt(const struct journal_doc *d, void *ctx)
{
	struct first_probe *p = ctx;
	if (d->state == JS_REJECTED || d->state == JS_FAILED || d->test)
		return true;
	/* Newest first: the last one seen is the oldest. */
	p->at = d->created_at;
	p->found = true;
	p->pending = d->state == JS_QUEUED || d->state == JS_SENDING;
	return true;
}

/*
 * The shift as far as this journal knows: the newest open-shift or Z-report
 * that was not refused decides; a receipt after a Z-report opened a new one
 * (the provider opens a shift on the first receipt). With neither the state
 * is unknown: the shift may have been opened by another till.
 */
static void update_shift(struct engine *e)
{
	struct app_status *s = &e->app->status;
	struct shift_probe open, z;
	latest_of(e, doc_kind_wire(DOC_OPEN_SHIFT), 0, &open);
	latest_of(e, doc_kind_wire(DOC_Z_REPORT), 0, &z);
	s->shift_unknown = false;
	s->shift_opening = false;
	if (open.found && (!z.found || open.at > z.at)) {
		/* Sent but not yet accepted: "opening…", not an open shift of 0h00m. */
		s->shift_opening = open.pending;
		s->shift_open = true;
		s->shift_opened_ms = open.at;
		return;
	}
	struct first_probe first = {0};
	struct journal_filter f = {.kind = doc_kind_wire(DOC_RECEIPT),
				   .since = z.found ? z.at + 1 : 0};
	journal_list(e->journal, &f, 500, 0, on_first_receipt, &first, NULL);
	if (first.found) {
		/* The provider opens the shift with that receipt: not before it takes it. */
		s->shift_opening = first.pending;
		s->shift_open = true;
		s->shift_opened_ms = first.at;
	} else if (z.found) {
		s->shift_open = false;
	} else {
		s->shift_open = false;
		s->shift_unknown = true;
	}
}

void engine_update_status(struct engine *e)
{
	if (!e->app)
		return;
	struct app_status *s = &e->app->status;
	struct app_status before = *s;
	s->engine = true;
	s->mode = e->training ? APP_MODE_TRAINING : e->profile.test ? APP_MODE_TEST : APP_MODE_LIVE;
	s->test = e->profile.test;
	/* Training shows "demo" (translated) rather than the built-in profile's name. */
	str_copy(s->profile, e->training ? "" : e->profile.name, sizeof s->profile);
	str_copy(s->printer, e->profile.target_serial, sizeof s->printer);
	if (e->run.outbox) {
		struct outbox_stats st;
		memset(&st, 0, sizeof st);
		outbox_stats(e->run.outbox, &st);
		s->outbox_depth = st.depth > 9999 ? 9999 : (int)st.depth;
		s->in_flight = (int)st.in_flight;
		s->offline = st.offline;
		s->offline_since_ms = st.offline_since;
		str_copy(s->offline_reason, st.offline_reason, sizeof s->offline_reason);
		switch (st.listener) {
		case LISTENER_LISTENING:
			snprintf(s->listener, sizeof s->listener, _("on :%u"),
				 outbox_listener_port(e->run.outbox));
			s->listener_ok = true;
			break;
		case LISTENER_DEGRADED:
			/* issue 11 (listener health): serving, but refusing or shedding
			 * connections; the reason is in `kassa outbox` and outbox_stats. */
			snprintf(s->listener, sizeof s->listener, _("degraded :%u"),
				 outbox_listener_port(e->run.outbox));
			s->listener_ok = false;
			break;
		case LISTENER_OFF:
			snprintf(s->listener, sizeof s->listener, "%s", _("off"));
			s->listener_ok = false;
			break;
		default:
			snprintf(s->listener, sizeof s->listener, "%s", _("failed"));
			s->listener_ok = false;
			break;
		}
		s->via_relay = false;
		engine_relay_status(e, s); /* a relay replaces the listener */
	}
	long long now = mono_ms();
	if (e->journal && (e->shift_dirty || now - e->shift_checked_mono >= SHIFT_RECHECK_MS)) {
		e->shift_dirty = false;
		e->shift_checked_mono = now;
		update_shift(e);
	}
	if (memcmp(&before, s, sizeof before) != 0)
		app_status_changed(e->app);
}

static void on_status_tick(struct loop *l, void *cls)
{
	struct engine *e = cls;
	engine_update_status(e);
	/* Change marks fade: redraw while any row still carries one. */
	long long now = mono_ms();
	for (size_t i = 0; i < e->nrecent; i++)
		if (e->recent[i].changed_mono &&
		    now - e->recent[i].changed_mono < ENGINE_CHANGED_MS + STATUS_TICK_MS) {
			app_redraw(e->app);
			break;
		}
	e->timer = loop_add_timer(l, STATUS_TICK_MS, on_status_tick, e);
}

/* ---- sending ---- */

static kstatus engine_submit(struct app *app, const struct document *doc, struct kerr *err)
{
	struct engine *e = engine_of(app);
	if (!e || !e->run.outbox)
		return kerr_set(err, K_REFUSED, "", "%s",
				_("no delivery engine: nothing was sent"));
	/* The outbox fills in what the profile provides: it works on its own copy. */
	struct document d;
	document_copy(&d, doc);
	/* The basket being paid leaves the journal in the transaction that queues it. */
	d.clear_open_basket = basket_store_owns(app, doc);
	int64_t id = 0;
	kstatus st = outbox_submit(e->run.outbox, &d, &id, err);
	document_free(&d);
	if (st == K_OK) {
		basket_store_submitted(app, doc);
		engine_reload_doc(e, id);
		e->shift_dirty = true;
		engine_update_status(e);
		app_note_sent(app, doc, id);
	}
	return st;
}

/* The send-now key and `kassa outbox --flush` beside the screen. */
static int engine_send_now(struct app *app)
{
	struct engine *e = engine_of(app);
	if (!e || !e->run.outbox)
		return 0;
	outbox_flush(e->run.outbox);
	engine_reload(e);
	engine_update_status(e);
	return app->status.outbox_depth;
}

kstatus engine_replay(struct engine *e, int64_t id, struct kerr *err)
{
	if (!e->run.outbox)
		return kerr_set(err, K_REFUSED, "", "%s",
				_("no delivery engine: nothing was sent"));
	kstatus st = outbox_replay(e->run.outbox, id, err);
	engine_reload_doc(e, id);
	engine_update_status(e);
	return st;
}

/* ---- start and stop ---- */

void engine_adopt(struct engine *e)
{
	e->config = e->run.config;
	e->journal = e->run.journal;
	str_copy(e->journal_path, e->run.journal_path, sizeof e->journal_path);
	explicit_bzero(&e->profile, sizeof e->profile);
	e->profile = e->run.profile;
	e->training = e->run.profile.training;
}

void engine_started(struct engine *e)
{
	engine_adopt(e);
	outbox_set_listener(e->run.outbox, on_outbox_change, e);
	engine_bills_start(e);
	if (e->run.relay_problem[0])
		str_copy(e->problem, e->run.relay_problem, sizeof e->problem);
	e->shift_dirty = true;
	engine_reload(e);
	engine_update_status(e);
}

static void engine_close(struct engine *e)
{
	if (e->timer && e->app && e->app->loop)
		loop_cancel_timer(e->app->loop, e->timer);
	e->timer = 0;
	engine_bills_stop(e);
	startup_close(&e->run, &e->so);
	engine_adopt(e);
}

static void on_teardown(struct app *app)
{
	struct engine *e = engine_of(app);
	if (!e)
		return;
	engine_close(e);
	app->engine = NULL;
	e->app = NULL;
}

/* Config [keys]: "F5 = pay" binds on every screen, "sale.F5 = pay" on one. */
static kstatus apply_config_keys(struct engine *e, struct keymap *km, struct kerr *err)
{
	for (size_t i = 0; i < e->config->nkeys; i++) {
		const struct config_binding *b = &e->config->keys[i];
		char view[KEYS_VIEW_MAX] = KEYS_GENERIC, line[256];
		const char *key = b->key;
		const char *dot = strchr(key, '.');
		if (dot && dot != key && dot[1] && (size_t)(dot - key) < sizeof view) {
			memcpy(view, key, (size_t)(dot - key));
			view[dot - key] = '\0';
			key = dot + 1;
		}
		snprintf(line, sizeof line, "bind %s %s %s", view, key, b->action);
		struct kerr ke = {0};
		if (keymap_bind_line(km, line, &ke) != K_OK)
			return kerr_set(err, K_INVALID, "keys", _("%s:%d: [keys] %s = %s: %s"),
					e->config->path, b->line, b->key, b->action, ke.text);
	}
	return K_OK;
}

static long env_delay_ms(void)
{
	const char *v = getenv("KASSA_TRAINING_CALLBACK_DELAY_MS");
	if (!v || !*v)
		return 0;
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || !end || *end || n < 1 || n > 86400000)
		return 0;
	return n;
}

static kstatus engine_setup(struct app *app, void *cls, struct kerr *err)
{
	struct engine *e = cls;
	e->app = app;
	kstatus st = apply_config_keys(e, &app->keys, err);
	if (st != K_OK) {
		e->exit_code = CLI_CONFIG;
		return st;
	}
	struct kerr ke = {0};
	e->so.callback_delay_ms = env_delay_ms();
	enum startup_step step =
	    startup_journal(&e->run, app->loop, &e->run.profile, true, &e->so, &ke);
	if (step == STARTUP_OK) {
		if (e->run.tr.note[0])
			app_message(app, UI_MESSAGE_INFO, "%s", e->run.tr.note);
		if (journal_warning(e->run.journal))
			app_message(app, UI_MESSAGE_ERROR,
				    _("The journal's files were open to other users or read-only; "
				      "fixed: %s"),
				    journal_warning(e->run.journal));
		step = startup_outbox(&e->run, app->loop, &e->so, &ke);
	}
	if (step != STARTUP_OK) {
		e->exit_code = step == STARTUP_TRAINING	 ? CLI_FAILED
			       : step == STARTUP_JOURNAL ? CLI_JOURNAL
							 : CLI_CONFIG;
		engine_close(e);
		return kerr_set(err, K_IO, "", "%s", ke.text);
	}
	engine_started(e);
	app->engine = e;
	app->submit = engine_submit;
	app->send_now = engine_send_now;
	app->teardown = on_teardown;
	e->timer = loop_add_timer(app->loop, STATUS_TICK_MS, on_status_tick, e);
	return K_OK;
}

static void engine_usage(FILE *f)
{
	fprintf(f, "%s",
		_("  --profile NAME the profile of config.ini to work with\n"
		  "  --training     training: the built-in sandbox and the training journal\n"
		  "                 (also the default while no profile is configured)\n"
		  "Exit status: 0 done, 1 the screen or the sandbox failed, 2 usage,\n"
		  "3 configuration error, 4 journal error.\n"));
}

int engine_main(int argc, char **argv)
{
	struct engine *e = xcalloc(1, sizeof *e);
	startup_init(&e->run);
	/* Our options out; the screen's own (--theme, --no-color, --keys) go on. */
	char **rest = xcalloc((size_t)argc + 3, sizeof *rest);
	int nrest = 0;
	rest[nrest++] = argv[0];
	bool help = false, theme_given = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--profile") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s\n", _("kassa: --profile needs a profile name"));
				free(rest);
				free(e);
				return CLI_USAGE;
			}
			e->opt_profile = argv[++i];
		} else if (strncmp(a, "--profile=", 10) == 0) {
			e->opt_profile = a + 10;
		} else if (strcmp(a, "--training") == 0) {
			e->opt_training = true;
		} else {
			if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
				help = true;
			if (strcmp(a, "--theme") == 0 || strncmp(a, "--theme=", 8) == 0)
				theme_given = true;
			rest[nrest++] = argv[i];
		}
	}
	if (help) {
		app_i18n_init();
		int rc = app_main_with(nrest, rest, NULL, NULL);
		engine_usage(stdout);
		free(rest);
		free(e);
		return rc;
	}
	app_i18n_init();
	struct kerr err = {0};
	e->so.profile = e->opt_profile;
	e->so.training = e->opt_training;
	e->so.training_start = training_relay_start;
	e->so.training_stop = training_relay_stop;
	enum startup_step step = startup_config(&e->run, &e->so, &err);
	for (size_t i = 0; e->run.config && i < e->run.config->nwarnings; i++)
		fprintf(stderr, "kassa: %s\n", e->run.config->warnings[i]);
	if (step != STARTUP_OK) {
		char msg[600];
		fprintf(stderr, "kassa: %s\n", startup_error_text(&err, msg, sizeof msg));
		startup_close(&e->run, &e->so);
		free(rest);
		free(e);
		return CLI_CONFIG;
	}
	/* Training has no config section: its theme is kept in the data directory. */
	if (e->run.profile.training)
		prefs_training_theme_load(e->run.profile.theme, sizeof e->run.profile.theme);
	engine_adopt(e);
	/* The profile's theme, unless --theme says otherwise. */
	if (!theme_given && e->profile.theme[0]) {
		rest[nrest++] = (char *)"--theme";
		rest[nrest++] = e->profile.theme;
	}
	rest[nrest] = NULL;
	int rc = app_main_with(nrest, rest, engine_setup, e);
	if (rc != 0 && e->exit_code)
		rc = e->exit_code;
	/* app_main_with tore the engine down (on_teardown) unless setup failed. */
	engine_close(e);
	free(rest);
	free(e);
	return rc;
}
