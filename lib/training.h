/*
 * Training mode: the sandbox engine (lib/sandbox) started in-process on
 * 127.0.0.1 with a free port, a training profile pointing at it and the
 * training journal, so a trainee exercises the real delivery path (real HTTP,
 * real callbacks) without real credentials or the real journal.
 *
 * The sandbox keeps its state in $XDG_DATA_HOME/kassa/training-sandbox.db, so
 * a trainee's shifts, sales and refunds persist between runs just as the
 * training journal does (a refund can cite yesterday's training sale). When
 * another kassa process already holds that file (a TUI and a CLI command at
 * once), the second one runs its sandbox in memory and says so in `note`.
 */
#ifndef KASSA_TRAINING_H
#define KASSA_TRAINING_H

#include <stdbool.h>

#include "config.h"
#include "loop.h"
#include "status.h"

struct sandbox;

struct training {
	/* Set before training_start (zero = defaults). */
	bool memory;		     /* sandbox state in memory only (tests) */
	const char *data_dir;	     /* instead of config_data_dir() (tests) */
	long long callback_delay_ms; /* sandbox: before a document is final; 0 = 1000 */

	/* Filled by training_start. */
	struct sandbox *sb;
	struct config_profile profile; /* the training profile, base_url = the sandbox */
	char journal_path[CONFIG_PATH_MAX];
	char sandbox_db[CONFIG_PATH_MAX]; /* "" when in memory */
	char note[256];			  /* why the sandbox runs in memory, or "" */
	int lock_fd;			  /* holds training-sandbox.db, -1 when none */
	/* The embedded kassa-relay (KASSA_TRAINING_RELAY=1), owned by
	 * cli/training_relay.c; NULL when callbacks come to the listener. */
	void *relay;
};

/*
 * Starts the in-process sandbox on 127.0.0.1:0, fills t->profile
 * (config_training_profile with the sandbox's port) and t->journal_path.
 * The loop is the one kassa runs (the sandbox itself has its own threads).
 */
kstatus training_start(struct loop *l, struct training *t, struct kerr *err);
/* Stops the sandbox and releases its files (safe on a stopped or failed start). */
void training_stop(struct training *t);

#endif
