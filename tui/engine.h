/*
 * The cashier's screen wired to the delivery engine: `kassa` without a
 * subcommand runs engine_main(). Start-up is lib/startup.c's, shared with
 * the commands and profile switching (engine_switch.c):
 *
 *   config_load (a refusal is printed before the screen starts: exit 3)
 *   -> the profile: --profile NAME, --training, or training when none is
 *      configured (the sandbox starts in-process, with the training journal)
 *   -> the journal (exit 4 when it cannot be opened)
 *   -> the outbox on the app's loop: app->submit hands documents to
 *      outbox_submit(); every change the outbox reports marks the document's
 *      row in engine->recent and redraws at once
 *   -> the status bar (mode, profile, printer, shift, outbox, listener) is
 *      filled here and refreshed every second.
 *
 * Other screens (refund, shift, journal, settings) reach the engine through
 * engine_of(app): the journal, the outbox, the profile and the config, plus
 * the recent documents the status pane shows. They must not free or close
 * anything here; the engine is torn down after the screen ends.
 *
 * Environment (tests, demonstrations): KASSA_TRAINING_CALLBACK_DELAY_MS sets
 * how long the in-process training sandbox waits before a document is final
 * (default 1000).
 */
#ifndef KASSA_ENGINE_H
#define KASSA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "config.h"
#include "journal.h"
#include "outbox.h"
#include "startup.h"

/* How many of the newest documents the status pane keeps. */
#define ENGINE_RECENT_MAX 48
/* A row changed within this many milliseconds is marked on screen. */
#define ENGINE_CHANGED_MS 3000

/* One document as the status pane shows it. */
struct engine_row {
	int64_t id;
	int64_t created_at;	     /* ms since the epoch */
	char kind[JOURNAL_WORD_MAX]; /* doc_kind_wire() word */
	char type[JOURNAL_WORD_MAX]; /* receipt type word or "" */
	int64_t total;
	enum journal_state state;
	bool flagged;
	bool test;
	int last_error_code;
	char last_error_text[JOURNAL_TEXT_MAX];
	/* The newest history row: when, who and what ("callback", "processed"). */
	int64_t event_at;
	enum journal_source event_source;
	char event_detail[JOURNAL_TEXT_MAX];
	long long changed_mono; /* mono_ms() of its last change seen here; 0 = none */
};

struct bills;

struct engine {
	struct app *app;
	/* What start-up opened (lib/startup.h): the outbox, the relay client, the sandbox. */
	struct startup run;
	struct startup_options so;
	struct bills *bills; /* pay-by-link bills (engine_bill.h), NULL when none */
	/*
	 * Copies of run's config, profile and journal for the screens, refreshed
	 * by every start and switch (engine_adopt). Screens read them and may
	 * change the profile's theme; they free nothing.
	 */
	struct config *config;
	struct config_profile profile; /* the profile in use (training: the sandbox's) */
	bool training;
	char journal_path[CONFIG_PATH_MAX];
	struct journal *journal;

	/* The newest documents, newest first; generation grows on every change. */
	struct engine_row recent[ENGINE_RECENT_MAX];
	size_t nrecent;
	unsigned generation;
	char problem[256]; /* the last journal read problem, shown in the pane; "" = none */

	/* Private to engine.c. */
	uint64_t timer;
	bool shift_dirty;
	long long shift_checked_mono;
	int exit_code;
	const char *opt_profile;
	bool opt_training;
};

/*
 * kassa [--profile NAME] [--training] [--theme NAME] [--no-color]
 * [--keys FILE]: the cashier's screen. Returns the exit status (0; 1 the
 * screen or the sandbox failed; 2 usage; 3 configuration; 4 journal).
 */
int engine_main(int argc, char **argv);
/* The engine behind the screen, or NULL when none is attached. */
struct engine *engine_of(const struct app *app);
/* Re-reads the newest documents from the journal (after a bulk change). */
void engine_reload(struct engine *e);
/* Re-reads one document's row (a reply, a callback, a replay); adds it when new. */
void engine_reload_doc(struct engine *e, int64_t id);
/* The row of document id in engine->recent, or NULL. */
const struct engine_row *engine_row(const struct engine *e, int64_t id);
/* Refreshes app->status from the outbox and the journal and redraws the bar. */
void engine_update_status(struct engine *e);
/*
 * After e->run started its outbox (start-up or a switch): refreshes the screens'
 * copies, hooks the outbox's changes to the rows, shows a relay problem and
 * redraws. Private to engine*.c.
 */
void engine_started(struct engine *e);
/* Refreshes the screens' copies (config, profile, journal) from e->run. */
void engine_adopt(struct engine *e);
/* Replays a flagged document (outbox_replay) and refreshes its row. */
kstatus engine_replay(struct engine *e, int64_t id, struct kerr *err);

#endif
