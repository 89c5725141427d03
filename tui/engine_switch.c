#include "engine_switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basket_store.h"
#include "engine_bill.h"
#include "engine_relay.h"
#include "training_relay.h"
#include "i18n.h"
#include "loop.h"
#include "util.h"

/* The same as engine.c's hook: every change the outbox reports redraws its row. */
static void on_outbox_change(void *cls, int64_t doc_id)
{
	struct engine *e = cls;
	if (doc_id == 0)
		engine_reload(e);
	else
		engine_reload_doc(e, doc_id);
	engine_update_status(e);
}

static void stop_outbox(struct engine *e)
{
	if (!e->outbox)
		return;
	/* Requests on the wire stay "sending" and are resumed by the next outbox_new(). */
	engine_relay_stop(e);
	engine_bills_stop(e);
	outbox_set_listener(e->outbox, NULL, NULL);
	outbox_free(e->outbox);
	e->outbox = NULL;
}

static void stop_base(struct engine *e)
{
	/* The open basket stays on screen; the next journal keeps it from now on. */
	if (e->app && e->journal)
		basket_store_detach(e->app);
	journal_close(e->journal);
	e->journal = NULL;
	if (e->tr_started)
		training_relay_stop(&e->tr);
	e->tr_started = false;
}

/*
 * Brings the engine up with p. keep_base: the journal (and in training the
 * sandbox) of the running profile stay. On failure everything started here
 * is stopped again and err says why.
 */
static kstatus start(struct engine *e, const struct config_profile *p, bool keep_base,
		     struct kerr *err)
{
	struct app *app = e->app;
	struct kerr ke = {0};
	char msg[400];
	struct config_profile np = *p;
	if (!keep_base || !e->journal) {
		stop_base(e);
		if (p->training) {
			long long delay = e->tr.callback_delay_ms;
			memset(&e->tr, 0, sizeof e->tr);
			e->tr.lock_fd = -1;
			e->tr.callback_delay_ms = delay;
			if (training_relay_start(app->loop, &e->tr, &ke) != K_OK)
				return kerr_set(err, K_IO, "",
						_("the training sandbox did not start: %s"),
						ke.text);
			e->tr_started = true;
			np = e->tr.profile;
			np.test = p->test;
			str_copy(e->journal_path, e->tr.journal_path, sizeof e->journal_path);
		} else if (config_journal_path(false, e->journal_path, sizeof e->journal_path,
					       &ke) != K_OK) {
			return kerr_set(err, K_IO, "journal", "%s", ke.text);
		}
		if (journal_open(e->journal_path, &e->journal, &ke) != K_OK) {
			kerr_str(&ke, msg, sizeof msg);
			stop_base(e);
			if (strncmp(ke.text, "journal ", 8) == 0) /* it names the file */
				return kerr_set(err, K_IO, "journal", "%s", ke.text);
			return kerr_set(err, K_IO, "journal",
					_("the journal %s cannot be opened: %s"), e->journal_path,
					msg);
		}
	}
	char dir[CONFIG_PATH_MAX], tpath[CONFIG_PATH_MAX + 32];
	char token[LISTENER_TOKEN_LEN + 1] = "";
	if (config_data_dir(dir, sizeof dir, true, NULL) == K_OK &&
	    snprintf(tpath, sizeof tpath, "%s/%s", dir,
		     np.training ? "training-callback-token" : "callback-token") <
		(int)sizeof tpath &&
	    outbox_token_load(tpath, token, NULL) != K_OK)
		token[0] = '\0';
	struct outbox_options oo = {.token = token[0] ? token : NULL};
	explicit_bzero(&e->profile, sizeof e->profile);
	e->profile = np;
	explicit_bzero(&np, sizeof np);
	e->training = e->profile.training;
	e->outbox = outbox_new(app->loop, e->journal, &e->profile, &oo, &ke);
	explicit_bzero(token, sizeof token);
	if (!e->outbox) {
		kerr_str(&ke, msg, sizeof msg);
		return kerr_set(err, K_INVALID, "profile", _("profile \"%s\": %s"), e->profile.name,
				msg);
	}
	outbox_set_listener(e->outbox, on_outbox_change, e);
	engine_relay_start(e);
	engine_bills_start(e);
	e->shift_dirty = true;
	engine_reload(e);
	engine_update_status(e);
	return K_OK;
}

/* Runs p; when it fails, old runs again (its base restarted if p's was not kept). */
static kstatus run_or_restore(struct engine *e, const struct config_profile *p, bool keep_base,
			      struct kerr *err)
{
	struct config_profile *old = xcalloc(1, sizeof *old);
	*old = e->profile;
	bool old_training = e->training;
	stop_outbox(e);
	kstatus st = start(e, p, keep_base, err);
	if (st != K_OK) {
		struct kerr e2 = {0};
		stop_outbox(e);
		old->training = old_training;
		if (start(e, old, keep_base && e->journal, &e2) != K_OK) {
			char m[300];
			kerr_str(&e2, m, sizeof m);
			snprintf(e->problem, sizeof e->problem,
				 _("Nothing is sent: the previous profile did not start again "
				   "either: %s"),
				 m);
			engine_update_status(e);
		}
	}
	explicit_bzero(old, sizeof *old);
	free(old);
	return st;
}

kstatus engine_switch_apply(struct engine *e, const struct config_profile *p, struct kerr *err)
{
	if (!e || !e->app)
		return kerr_set(err, K_REFUSED, "", "%s", _("no delivery engine to restart"));
	bool keep =
	    p->training == e->training && (p->training || strcmp(p->name, e->profile.name) == 0);
	return run_or_restore(e, p, keep, err);
}

kstatus engine_switch_profile(struct engine *e, const char *name, bool training, struct kerr *err)
{
	if (!e || !e->app)
		return kerr_set(err, K_REFUSED, "", "%s", _("no delivery engine to switch"));
	struct config *cfg = NULL;
	kstatus st = config_load(NULL, &cfg, err);
	if (st != K_OK)
		return st;
	struct config_profile *p = xcalloc(1, sizeof *p);
	st = config_select(cfg, name, training, p, err);
	if (st == K_OK) {
		st = run_or_restore(e, p, false, err);
		if (st == K_OK) {
			config_free(e->config);
			config_keep_secrets_of(cfg, p->training ? NULL : p->name);
			e->config = cfg;
			cfg = NULL;
		}
	}
	config_free(cfg);
	explicit_bzero(p, sizeof *p);
	free(p);
	return st;
}
