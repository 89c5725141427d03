/*
 * Colours by role. Code asks theme_attr(UI_TOTAL), never for a colour.
 * Themes are INI files (themes/NAME.ini) whose [colours] section maps dotted
 * role keys to "fg,bg[,attr...]" (e.g. status.training = black,yellow,bold).
 * A default theme is compiled in. With NO_COLOR set, or on a terminal
 * without colours, only attributes are used (bold, reverse, underline), and
 * each role keeps a monochrome look that tells it apart; colour never
 * carries meaning alone: every state also has a word on screen.
 */
#ifndef KASSA_THEME_H
#define KASSA_THEME_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* Role, INI key, default "fg,bg,attrs", monochrome attributes. */
#define UI_ROLE_INFO(_)                                                                            \
	_(TEXT, "main.text", "default,default", "")                                                \
	_(TITLE, "main.title", "white,blue,bold", "bold,underline")                                \
	_(STATUS_BAR, "status.bar", "black,cyan", "reverse")                                       \
	_(STATUS_TRAINING, "status.training", "yellow,black,bold,reverse", "bold,reverse")         \
	_(STATUS_TEST, "status.test", "white,magenta,bold", "bold,underline")                      \
	_(STATUS_LIVE, "status.live", "white,green,bold", "bold")                                  \
	_(STATUS_WARN, "status.warn", "white,red,bold", "bold,underline")                          \
	_(STATUS_CLOCK, "status.clock", "black,cyan,bold", "reverse,bold")                         \
	_(FOOTER_KEY, "footer.key", "black,cyan", "reverse")                                       \
	_(FOOTER_LABEL, "footer.label", "default,default", "")                                     \
	_(TABLE_HEADER, "table.header", "default,default,bold,underline", "bold,underline")        \
	_(TABLE_ROW, "table.row", "default,default", "")                                           \
	_(TABLE_SELECTED, "table.selected", "black,cyan", "reverse")                               \
	_(TABLE_DISCOUNT, "table.discount", "green,default", "")                                   \
	_(TOTAL_LABEL, "total.label", "default,default,bold", "bold")                              \
	_(TOTAL, "total.amount", "yellow,default,bold", "bold")                                    \
	_(INPUT_PROMPT, "input.prompt", "cyan,default,bold", "bold")                               \
	_(INPUT_TEXT, "input.text", "default,default", "")                                         \
	_(MESSAGE_INFO, "message.info", "green,default", "")                                       \
	_(MESSAGE_ERROR, "message.error", "white,red,bold", "bold,reverse")                        \
	_(DIALOG_LABEL, "dialog.label", "default,default", "")                                     \
	_(DIALOG_VALUE, "dialog.value", "default,default,bold", "bold")                            \
	_(DIALOG_FOCUS, "dialog.focus", "black,cyan", "reverse")                                   \
	_(DIALOG_CHANGE, "dialog.change", "yellow,default,bold", "bold,underline")                 \
	_(HELP_KEY, "help.key", "cyan,default,bold", "bold")                                       \
	_(HELP_TEXT, "help.text", "default,default", "")                                           \
	_(STATE_QUEUED, "state.queued", "yellow,default", "")                                      \
	_(STATE_SENDING, "state.sending", "cyan,default", "")                                      \
	_(STATE_ACCEPTED, "state.accepted", "blue,default,bold", "bold")                           \
	_(STATE_PROCESSED, "state.processed", "green,default,bold", "bold")                        \
	_(STATE_RETRY, "state.retry", "magenta,default", "underline")                              \
	_(STATE_FAILED, "state.failed", "white,red,bold", "bold,reverse")                          \
	_(STATE_REJECTED, "state.rejected", "red,default,bold", "bold,underline")                  \
	_(STATE_VALIDATED, "state.validated", "magenta,default,bold", "bold")

#define UI_ROLE_ENUM(name, key, def, mono) UI_##name,
enum ui_role { UI_ROLE_INFO(UI_ROLE_ENUM) UI_ROLE_COUNT };
#undef UI_ROLE_ENUM

/* Attribute bits, independent of curses so parsing is testable. */
enum theme_attr_bits {
	THEME_BOLD = 1 << 0,
	THEME_REVERSE = 1 << 1,
	THEME_UNDERLINE = 1 << 2,
	THEME_DIM = 1 << 3,
	THEME_STANDOUT = 1 << 4,
	THEME_ITALIC = 1 << 5,
};

/* A colour: -1 = the terminal's default, 0..255 = a colour number. */
struct theme_style {
	short fg, bg;
	unsigned attrs;
};

struct theme {
	char name[64];
	struct theme_style styles[UI_ROLE_COUNT];
};

/* The INI key of a role ("status.training"). */
const char *theme_role_key(enum ui_role r);
/* The compiled-in default theme. */
void theme_defaults(struct theme *t);
/*
 * Parses "fg,bg[,attr...]" (colour names black..white, bright-red etc.,
 * "default" or 0..255; attrs bold, reverse, underline, dim, standout,
 * italic, or "none"). Errors name the word that is wrong.
 */
kstatus theme_parse_style(const char *text, struct theme_style *out, struct kerr *err);
/*
 * Loads an INI theme file over t (roles it does not name keep their value).
 * Errors say "FILE:LINE: key 'K': what is wrong" in err->text.
 */
kstatus theme_load_file(struct theme *t, const char *path, struct kerr *err);
/*
 * Finds a theme by name ("dark") or path ("./my.ini") in the user's
 * ($XDG_CONFIG_HOME/kassa/themes), the installed and the source tree's
 * themes folders; "default" with no file gives the compiled-in theme.
 */
kstatus theme_find(const char *name, const char *exe_dir, char *path, size_t n, struct kerr *err);

/*
 * Curses side: sets up colour pairs for t (call after initscr); uses
 * monochrome when no_color is true, NO_COLOR is set or the terminal has no
 * colours.
 */
void theme_apply(const struct theme *t, bool no_color);
/* The curses attributes (attr_t) for a role. */
unsigned long theme_attr(enum ui_role r);

#endif
