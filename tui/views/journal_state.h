/*
 * The journal screen's state, shared by tui/views/journal.c (keys, search,
 * preview, registry) and tui/views/journal_draw.c (drawing). Private to the two.
 */
#ifndef KASSA_VIEWS_JOURNAL_STATE_H
#define KASSA_VIEWS_JOURNAL_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "journal.h"
#include "preview.h"
#include "registry.h"

#define JROWS_MAX 1000

enum journal_mode { JM_LIST, JM_PREVIEW, JM_ASK_REPRINT, JM_ASK_REPLAY };

struct jrow {
	int64_t id, created_at, total, card, cash;
	char kind[JOURNAL_WORD_MAX], type[JOURNAL_WORD_MAX];
	char ext_id[EXT_ID_MAX + 1], uuid[UUID_TEXT_MAX + 1];
	char receipt_id[JOURNAL_RECEIPT_ID_MAX];
	enum journal_state state;
	bool flagged;
	char contact[64]; /* a prepaid order's buyer: the search finds it by e-mail or phone */
};

struct journal_screen {
	enum journal_mode mode;
	struct jrow *rows;
	size_t nrows;
	size_t *shown;
	size_t nshown;
	int sel, top;
	char text[128];
	unsigned generation;
	bool loaded;
	/* Preview. */
	struct preview_lines pv;
	int pv_top;
	int64_t pv_id;
	/* The provider's registry. */
	bool reg_on;
	struct registry *reg;
	char start[11], end[11], query[128];
	unsigned statuses; /* bydate's status filter: a PayKeeper status word typed */
	int64_t from;
	struct app *app;
};

/* This screen's instance on the stack (app_push() allocates it). */
struct journal_screen *journal_of(const struct app *app);
/* Reads the journal again (rows, prepaid orders) and filters them by the text typed. */
void journal_screen_reload(struct app *app);
/* Draws the list, the registry beside or under it, or the preview. */
void journal_screen_draw(struct app *app, WINDOW *w, int rows, int cols);

#endif
