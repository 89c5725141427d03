/*
 * Start-up (see startup.h): config -> profile -> journal -> token -> outbox
 * -> relay, once for the screen, the commands and profile switching.
 */
#include "startup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "relay_proto.h"
#include "util.h"

void startup_init(struct startup *s)
{
	memset(s, 0, sizeof *s);
	s->tr.lock_fd = -1;
}

enum startup_step startup_config(struct startup *s, const struct startup_options *o,
				 struct kerr *err)
{
	startup_init(s);
	if (config_load(NULL, &s->config, err) != K_OK)
		return STARTUP_CONFIG;
	kstatus st = K_OK;
	if (!o->training && !s->config->exists && o->config_required)
		/*
		 * A command never falls back to training by itself: an unmounted
		 * config or a cron job with another HOME must not turn a till into a
		 * trainer.
		 */
		st = kerr_set(err, K_NOTFOUND, "config",
			      _("no configuration at %s: write it (see kassa(1), FILES) or pass "
				"--training to use the training sandbox"),
			      s->config->path);
	else if (!o->training)
		st = config_check_training_fallback(s->config, err);
	if (st == K_OK)
		st = config_select(s->config, o->profile, o->training, &s->profile, err);
	if (st != K_OK)
		return STARTUP_CONFIG; /* the config stays for its warnings: startup_close */
	/* Only the profile in use keeps its secrets in memory. */
	config_keep_secrets_of(s->config, s->profile.training ? NULL : s->profile.name);
	return STARTUP_OK;
}

static void stop_training(struct startup *s, const struct startup_options *o)
{
	if (s->tr_started)
		(o && o->training_stop ? o->training_stop : training_stop)(&s->tr);
	s->tr_started = false;
	long long delay = s->tr.callback_delay_ms;
	memset(&s->tr, 0, sizeof s->tr);
	s->tr.lock_fd = -1;
	s->tr.callback_delay_ms = delay;
}

void startup_stop_outbox(struct startup *s)
{
	relay_client_free(s->relay);
	s->relay = NULL;
	s->relay_problem[0] = '\0';
	if (s->outbox)
		outbox_set_listener(s->outbox, NULL, NULL);
	outbox_free(s->outbox);
	s->outbox = NULL;
}

void startup_stop_journal(struct startup *s, const struct startup_options *o)
{
	startup_stop_outbox(s);
	journal_close(s->journal);
	s->journal = NULL;
	stop_training(s, o);
}

enum startup_step startup_journal(struct startup *s, struct loop *l, const struct config_profile *p,
				  bool open, const struct startup_options *o, struct kerr *err)
{
	/* p may be s->profile itself, or hold secrets: copied before anything is reset. */
	struct config_profile *np = xmalloc(sizeof *np);
	*np = *p;
	startup_stop_journal(s, o);
	struct kerr ke = {0};
	enum startup_step step = STARTUP_OK;
	if (np->training && l) {
		if (o->callback_delay_ms)
			s->tr.callback_delay_ms = o->callback_delay_ms;
		if ((o->training_start ? o->training_start : training_start)(l, &s->tr, &ke) !=
		    K_OK) {
			kerr_set(err, K_IO, "training", _("the training sandbox did not start: %s"),
				 ke.text);
			step = STARTUP_TRAINING;
			goto out;
		}
		s->tr_started = true;
		bool test = np->test;
		*np = s->tr.profile;
		np->test = test;
		str_copy(s->journal_path, s->tr.journal_path, sizeof s->journal_path);
	} else if (config_journal_path(np->training, s->journal_path, sizeof s->journal_path,
				       &ke) != K_OK) {
		kerr_set(err, K_IO, "journal", "%s", ke.text);
		step = STARTUP_JOURNAL;
		goto out;
	}
	if (open) {
		kstatus st = journal_open(s->journal_path, &s->journal, &ke);
		if (st != K_OK) {
			/* Most refusals name the file already (a newer schema, a lock). */
			if (st == K_DB || strncmp(ke.text, "journal ", 8) == 0 ||
			    strstr(ke.text, s->journal_path))
				kerr_set(err, st, "journal", "%s", ke.text);
			else
				kerr_set(err, st, "journal",
					 _("the journal %s cannot be opened: %s"), s->journal_path,
					 ke.text);
			stop_training(s, o);
			step = STARTUP_JOURNAL;
			goto out;
		}
	}
out:
	if (np != &s->profile && step == STARTUP_OK) {
		explicit_bzero(&s->profile, sizeof s->profile);
		s->profile = *np;
	}
	explicit_bzero(np, sizeof *np);
	free(np);
	return step;
}

/* The callback token kept in the data folder, so callbacks for documents sent
 * before a restart still reach a fixed listen port or public_url; "" = a fresh one. */
static void load_token(bool training, char token[LISTENER_TOKEN_LEN + 1])
{
	char dir[CONFIG_PATH_MAX], tpath[CONFIG_PATH_MAX + 32];
	token[0] = '\0';
	if (config_data_dir(dir, sizeof dir, true, NULL) == K_OK &&
	    snprintf(tpath, sizeof tpath, "%s/%s", dir,
		     training ? "training-callback-token" : "callback-token") < (int)sizeof tpath &&
	    outbox_token_load(tpath, token, NULL) != K_OK)
		token[0] = '\0';
}

enum startup_step startup_outbox(struct startup *s, struct loop *l, const struct startup_options *o,
				 struct kerr *err)
{
	startup_stop_outbox(s);
	struct kerr ke = {0};
	if (o->lock_sender && journal_lock_sender(s->journal, &ke) != K_OK) {
		/* Another kassa sends from this journal: the message names its pid. */
		*err = ke;
		return STARTUP_JOURNAL;
	}
	char token[LISTENER_TOKEN_LEN + 1];
	load_token(s->profile.training, token);
	struct outbox_options oo = {
	    .log = o->log,
	    .log_cls = o->log_cls,
	    .token = token[0] ? token : NULL,
	    .no_listener = o->wants_listener && !o->wants_listener(&s->profile),
	};
	s->outbox = outbox_new(l, s->journal, &s->profile, &oo, &ke);
	explicit_bzero(token, sizeof token);
	if (!s->outbox) {
		char msg[300];
		startup_error_text(&ke, msg, sizeof msg);
		/* The field stays: a journal failure (a lock, a full disk) is still one. */
		if (s->profile.training)
			kerr_set(err, K_INVALID, ke.field, _("training: %s"), msg);
		else
			kerr_set(err, K_INVALID, ke.field, _("profile \"%s\": %s"), s->profile.name,
				 msg);
		return strncmp(ke.field, "journal", 7) == 0 ? STARTUP_JOURNAL : STARTUP_CONFIG;
	}
	if (s->profile.relay_url[0] && s->profile.relay_token[0]) {
		struct relay_client_options ro = {
		    .poll_s = RELAY_POLL_DEFAULT_S, .log = o->log, .log_cls = o->log_cls};
		s->relay = relay_client_new(l, s->journal, s->outbox, &s->profile, &ro, &ke);
		if (!s->relay)
			snprintf(s->relay_problem, sizeof s->relay_problem,
				 _("the relay cannot be pulled: %s"), ke.text);
	}
	return STARTUP_OK;
}

enum startup_step startup_open(struct startup *s, struct loop *l, bool open_journal,
			       bool with_outbox, const struct startup_options *o, struct kerr *err)
{
	enum startup_step step = startup_config(s, o, err);
	if (step == STARTUP_OK)
		step = startup_journal(s, l, &s->profile, open_journal, o, err);
	if (step == STARTUP_OK && with_outbox && open_journal && l)
		step = startup_outbox(s, l, o, err);
	if (step != STARTUP_OK)
		startup_close(s, o);
	return step;
}

void startup_close(struct startup *s, const struct startup_options *o)
{
	startup_stop_journal(s, o);
	config_free(s->config);
	explicit_bzero(&s->profile, sizeof s->profile);
	startup_init(s);
}

const char *startup_error_text(const struct kerr *err, char *buf, size_t n)
{
	const char *dot = strrchr(err->field, '.');
	const char *last = dot ? dot + 1 : err->field;
	if (!err->field[0] || strstr(err->text, err->field) || (*last && strstr(err->text, last)))
		str_copy(buf, err->text, n);
	else
		kerr_str(err, buf, n);
	return buf;
}
