/*
 * Start-up, written once for every front end: the screen (tui/engine.c), each
 * command (cli/cli_session.c) and profile switching (tui/engine_switch.c).
 *
 *   startup_config   config.ini -> the profile (--profile, the default, or
 *                    training) -> only its secrets kept in memory
 *   startup_journal  training: the in-process sandbox and the training journal;
 *                    else the till's journal -> opened (a newer schema refused)
 *   startup_outbox   the callback token kept in the data folder -> the outbox
 *                    (listener, sender lock) -> the kassa-relay client
 *
 * Every step runs on the caller's loop and returns at once: nothing waits for
 * the network (the sandbox binds 127.0.0.1:0, the relay client only schedules
 * its first pull). A failure returns the step it belongs to (a front end
 * turns it into its exit status: 3 config, 1 sandbox, 4 journal) and err says
 * what is wrong naming the file, line, field or profile, in the user's
 * language; what the failing step opened is closed again and what earlier
 * steps opened stays, so a caller can restore what ran before.
 */
#ifndef KASSA_STARTUP_H
#define KASSA_STARTUP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "relay_client.h"
#include "status.h"
#include "training.h"

/* Which step failed; a front end maps it to its exit status. */
enum startup_step {
	STARTUP_OK,
	STARTUP_CONFIG,	  /* config.ini, the profile, the outbox's settings (exit 3) */
	STARTUP_TRAINING, /* the training sandbox did not start (exit 1) */
	STARTUP_JOURNAL,  /* the journal: path, open, schema, lock, disk (exit 4) */
};

/* How a front end starts. Zero is the screen's default. */
struct startup_options {
	const char *profile; /* --profile NAME; NULL or "" = the default profile */
	bool training;	     /* --training */
	/*
	 * Commands: no config file is an error unless --training (a cron job
	 * with another HOME must not train). The screen trains without one,
	 * unless this till has a live journal (config_check_training_fallback).
	 */
	bool config_required;
	/* Take the journal's sender lock before the outbox (a command's exit 4). */
	bool lock_sender;
	/* True when the profile runs a callback listener; NULL = always. */
	bool (*wants_listener)(const struct config_profile *p);
	/* Delivery events, one line each, never a secret; NULL = quiet. */
	void (*log)(void *cls, const char *line);
	void *log_cls;
	/* The training sandbox: before a document is final; 0 = its default. */
	long long callback_delay_ms;
	/* Starts and stops training (tui adds the embedded kassa-relay); NULL =
	 * training_start and training_stop. */
	kstatus (*training_start)(struct loop *l, struct training *t, struct kerr *err);
	void (*training_stop)(struct training *t);
};

/* What start-up opened; the caller owns it and closes it with startup_close. */
struct startup {
	struct config *config;	       /* warnings in config->warnings, for the caller to show */
	struct config_profile profile; /* the one in use (training: the sandbox's) */
	struct training tr;
	bool tr_started;
	char journal_path[CONFIG_PATH_MAX];
	struct journal *journal;
	struct outbox *outbox;
	struct relay_client *relay;
	/* Why the relay is not pulled (the rest runs without it), or "". */
	char relay_problem[320];
};

/* Sets s empty (nothing open); startup_close on it is a no-op. */
void startup_init(struct startup *s);

/*
 * Loads the config (o->profile, o->training), picks the profile and wipes the
 * other profiles' secrets. s is reset first. STARTUP_CONFIG on failure; a
 * config that loaded stays in s->config for its warnings (startup_close).
 */
enum startup_step startup_config(struct startup *s, const struct startup_options *o,
				 struct kerr *err);
/*
 * The journal of profile p (copied to s->profile): in training with a loop, the
 * sandbox starts and s->profile becomes its profile (p's test flag kept);
 * without a loop only the training journal's path is set. Opens the journal
 * when open is true. Closes s's running journal and sandbox first.
 */
enum startup_step startup_journal(struct startup *s, struct loop *l, const struct config_profile *p,
				  bool open, const struct startup_options *o, struct kerr *err);
/*
 * The outbox of s->profile on s->journal (the callback token from the data
 * folder), then the relay client when the profile has relay_url (its failure
 * only fills relay_problem). Stops s's running outbox first.
 */
enum startup_step startup_outbox(struct startup *s, struct loop *l, const struct startup_options *o,
				 struct kerr *err);
/* All three steps; on failure everything is closed again. */
enum startup_step startup_open(struct startup *s, struct loop *l, bool open_journal,
			       bool with_outbox, const struct startup_options *o, struct kerr *err);

/* Stops the relay client and the outbox (requests on the wire stay "sending"). */
void startup_stop_outbox(struct startup *s);
/* Stops the outbox, closes the journal and stops the training sandbox. */
void startup_stop_journal(struct startup *s, const struct startup_options *o);
/* Closes everything, frees the config and wipes the profile (s is empty after). */
void startup_close(struct startup *s, const struct startup_options *o);

/*
 * A start-up failure for people: "field: text", or the text alone when it
 * already names the field ("journal: journal ... is in use" says it twice).
 */
const char *startup_error_text(const struct kerr *err, char *buf, size_t n);

#endif
