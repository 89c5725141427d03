/*
 * The always-focused input line: GNU readline in callback mode, drawing into
 * a curses window (profanity's inputwin.c approach). Keys come from the
 * app's key reader (curses) and are fed to readline as bytes; readline's
 * own terminal handling, signals and output are switched off.
 */
#ifndef KASSA_INPUT_H
#define KASSA_INPUT_H

/* The prompt's bytes: a Russian one of a long line (two bytes a letter) fits whole. */
#define INPUT_PROMPT_MAX 512

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

struct input_hooks {
	void *cls;
	/* Enter: the line as typed. */
	void (*on_line)(void *cls, const char *line);
	/* The text changed (typing, deleting, completion, history). */
	void (*on_change)(void *cls, const char *text);
	/* Tab found several candidates: matches[0..n-1]. */
	void (*on_matches)(void *cls, const char *const *matches, size_t n);
	/* The index-th completion candidate for text, or NULL when no more. */
	const char *(*complete)(void *cls, const char *text, size_t index);
};

/* Sets readline up (once); hooks are copied. */
void input_init(const struct input_hooks *hooks);
/* Removes the handler and frees readline's state. */
void input_free(void);
/* The window the line is drawn into (after every resize). */
void input_set_window(WINDOW *w);
/* Sets the prompt and replaces the text (cursor at the end). */
void input_set(const char *prompt, const char *text);
/* Whether keys edit the line; a disabled line shows the prompt only. */
void input_enable(bool on);
bool input_enabled(void);
/* The current text (valid until the next input call). */
const char *input_text(void);
/* The cursor's place in the text, in bytes from its start. */
size_t input_point(void);
/*
 * Puts back a text and cursor saved earlier (the prompt stays), e.g. when
 * keys shown at once turn out to be a barcode scan; on_change hears of it
 * when the text changes. Not for use from inside a hook.
 */
void input_restore(const char *text, size_t point);
/* Feeds one key (as keys.h encodes them); returns false if it means nothing here. */
bool input_feed(int key);
/* Draws prompt and text into the window and places the cursor (no refresh). */
void input_draw(void);
/* Adds a line to the history (Ctrl-P / Ctrl-N). */
void input_history_add(const char *line);

#endif
