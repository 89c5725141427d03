#include "engine_switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basket_store.h"
#include "engine_bill.h"
#include "i18n.h"
#include "util.h"

/*
 * Brings the engine up with p through lib/startup.c. keep_base: the journal
 * (and in training the sandbox) of the running profile stay. On failure
 * everything started here is stopped again and err says why.
 */
static kstatus start(struct engine *e, const struct config_profile *p, bool keep_base,
		     struct kerr *err)
{
	struct app *app = e->app;
	struct kerr ke = {0};
	enum startup_step step;
	if (!keep_base || !e->run.journal) {
		/* The open basket stays on screen; the next journal keeps it from now on. */
		if (e->run.journal)
			basket_store_detach(app);
		step = startup_journal(&e->run, app->loop, p, true, &e->so, &ke);
		if (step != STARTUP_OK) {
			engine_adopt(e);
			return kerr_set(err, K_IO, step == STARTUP_JOURNAL ? "journal" : "", "%s",
					ke.text);
		}
	} else if (p != &e->run.profile) {
		explicit_bzero(&e->run.profile, sizeof e->run.profile);
		e->run.profile = *p;
	}
	step = startup_outbox(&e->run, app->loop, &e->so, &ke);
	if (step != STARTUP_OK) {
		engine_adopt(e);
		/* The text names the profile: "profile: profile "x": ..." said it twice. */
		return kerr_set(err, K_INVALID, "", "%s", ke.text);
	}
	engine_started(e);
	return K_OK;
}

/* Runs p; when it fails, old runs again (its base restarted if p's was not kept). */
static kstatus run_or_restore(struct engine *e, const struct config_profile *p, bool keep_base,
			      struct kerr *err)
{
	struct config_profile *old = xcalloc(1, sizeof *old);
	*old = e->profile; /* the screens' copy: it holds a theme changed in settings */
	bool old_training = e->training;
	/* Requests on the wire stay "sending" and are resumed by the next outbox. */
	engine_bills_stop(e);
	startup_stop_outbox(&e->run);
	kstatus st = start(e, p, keep_base, err);
	if (st != K_OK) {
		struct kerr e2 = {0};
		engine_bills_stop(e);
		startup_stop_outbox(&e->run);
		old->training = old_training;
		if (start(e, old, keep_base && e->run.journal, &e2) != K_OK) {
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
	/* The config is read again; the profile is chosen as at start-up. */
	struct startup *next = xmalloc(sizeof *next);
	struct startup_options so = {.profile = name, .training = training};
	kstatus st = startup_config(next, &so, err) == STARTUP_OK ? K_OK : K_INVALID;
	if (st == K_OK) {
		st = run_or_restore(e, &next->profile, false, err);
		if (st == K_OK) {
			config_free(e->run.config);
			e->run.config = next->config;
			next->config = NULL;
			engine_adopt(e);
		}
	}
	startup_close(next, &so);
	free(next);
	return st;
}
