/*
 * The refund screen's state, shared by tui/views/refund.c (keys, lines,
 * sending) and tui/views/refund_draw.c (drawing). Private to the two.
 */
#ifndef KASSA_VIEWS_REFUND_STATE_H
#define KASSA_VIEWS_REFUND_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "app.h"
#include "guard.h"
#include "refund_calc.h"

#define PICK_MAX 300

enum refund_mode { RM_PICK, RM_LINES, RM_CONFIRM, RM_NO_ORIGINAL };
enum refund_method { PM_SPLIT, PM_CARD, PM_CASH, PM_POS, PM_COUNT };

struct pick_row {
	int64_t id, created_at, total, left;
	bool left_known;
	char ext_id[EXT_ID_MAX + 1];
	char uuid[UUID_TEXT_MAX + 1];
};

struct refund_state {
	enum refund_mode mode;
	/* Picking. */
	struct pick_row *rows;
	size_t nrows;
	size_t *shown; /* indexes of rows matching the text */
	size_t nshown;
	int sel, top;
	/* The original. */
	int64_t id, created_at, total;
	char uuid[UUID_TEXT_MAX + 1];
	bool local; /* in this journal (else: the basket's lines) */
	bool from_basket;
	bool left_known;
	int64_t left;
	struct refund_original orig;
	enum receipt_type rtype;
	int64_t qty[BASKET_MAX_LINES];
	int64_t done[BASKET_MAX_LINES]; /* refunded by earlier refunds, per line */
	int lsel, ltop;
	enum refund_method method;
	struct refund_left paid; /* the original's card and cash, less earlier refunds */
	char method_buf[160];
	/* The refund as chosen now. */
	struct basket out;
	bool out_ok;
	struct kerr out_err;
};

/* This screen's instance on the stack (app_push() allocates it). */

/* This screen's instance on the stack (app_push() allocates it); NULL when not open. */
struct refund_state *refund_of(const struct app *app);
/* How the money goes back, in words ("card 3.67 + cash 51.23"). */
const char *refund_method_text(struct app *app, enum refund_method m);
/* What is left to refund of the original's line i (its quantity less earlier refunds). */
int64_t refund_line_left(const struct refund_state *rs, size_t i);
/* Draws the screen in its current step (tui/views/refund_draw.c). */
void refund_draw(struct app *app, WINDOW *w, int rows, int cols);

#endif
