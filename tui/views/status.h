/*
 * The live status pane (tui/views/status.c) and the document detail
 * (tui/views/detail.c): the documents sent, their state in colour and in a
 * word, updating as replies and callbacks arrive. On 120 columns and more the
 * pane stands beside the current screen; F9 opens it as a screen of its own.
 */
#ifndef KASSA_VIEWS_STATUS_H
#define KASSA_VIEWS_STATUS_H

#include <stdint.h>

#include "app.h"
#include "journal.h"

/* Terminals this wide get the pane beside the screen. */
#define STATUS_PANE_MIN_COLS 120

extern const struct view_ops view_status;
extern const struct view_ops view_detail;

/* Columns the side pane takes at this width (0: none: too narrow, no engine, or F9 open). */
int status_pane_width(const struct app *app, int cols);
/* Draws the side pane into w at column x (rows x cols). */
void status_pane_draw(struct app *app, WINDOW *w, int x, int rows, int cols);

/* The colour role of a state (the word always goes with it). */
enum ui_role status_state_role(enum journal_state s);
/* The translated word for a state ("processed", "provider retry"). */
const char *status_state_word(enum journal_state s);
/* "receipt · sale", "Z-report" (translated) for a kind word and a type word. */
void status_kind_text(const char *kind, const char *type, char *buf, size_t n);
/* "12:03:04" for today, "23.11" (the date) otherwise, in local time. */
void status_time_text(int64_t ms, char *buf, size_t n);
/* Who made the last change: "callback", "reply", "kassa" ... (translated). */
const char *status_source_word(enum journal_source s);
/* The OFFLINE lines (y and y+1): since when, why, and the key that sends now. */
void status_offline_draw(struct app *app, WINDOW *w, int y, int cols);
/* Opens the detail screen of document id. */
void status_open_detail(struct app *app, int64_t id);

#endif
