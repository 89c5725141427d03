/*
 * The curses application: a stack of screens (views), key dispatch through
 * the key map, the status bar, the footer, the message line and the input
 * line. One loop (lib/loop.h) drives keys, timers, signals and the engine;
 * views draw into windows and return flags; only the loop's prepare hook
 * calls doupdate().
 *
 * The delivery engine plugs in through struct app: it sets app->submit
 * (and app->engine for its own data), fills app->status and calls
 * app_status_changed() when anything there changes.
 */
#ifndef KASSA_APP_H
#define KASSA_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "basket.h"
#include "document.h"
#include "entry.h"
#include "keys.h"
#include "status.h"
#include "text.h"
#include "theme.h"

struct app;
struct loop;

/* What a handler did (htop's HandlerResult): 0 = not handled. */
enum app_result {
	APP_UNHANDLED = 0,
	APP_HANDLED = 1 << 0,
	APP_REDRAW = 1 << 1,
	APP_QUIT = 1 << 2,
};

/* One screen. Each tui/views/<name>.c exports one of these. */
struct view_ops {
	const char *name;	   /* also its section in the key map ("sale") */
	const char *title;	   /* untranslated, marked N_(): "Sale" */
	const enum action *footer; /* actions the footer shows, ending with ACT_NONE */
	/*
	 * Called when pushed, arg being the view's own (pay: the document kind);
	 * called again with arg -1 when the screen above it closes, to take the
	 * input line back.
	 */
	void (*open)(struct app *app, int arg);
	/* Draws into win (rows x cols); never refreshes. */
	void (*draw)(struct app *app, WINDOW *win, int rows, int cols);
	/* An action from the key map; key is the key pressed. Returns app_result flags. */
	int (*handle)(struct app *app, enum action a, int key);
	void (*close)(struct app *app);
	/* Optional: Enter in the input line (text is the line); returns flags. */
	int (*line)(struct app *app, const char *text);
	/* Optional: the input line's text changed as the cashier typed. */
	void (*changed)(struct app *app, const char *text);
	/* Optional: Tab completion of the input line (index-th candidate, NULL: no more). */
	const char *(*complete)(struct app *app, const char *text, size_t index);
	/* Optional: back to plain entry, nothing pending (the home screen after a basket went out).
	 */
	void (*reset)(struct app *app);
	/*
	 * Optional: a barcode scanner read the catalog item it on this screen
	 * (marking: the marking code it carried, or NULL). Returns true when the
	 * screen dealt with it (added, or said why not); false: "back to the sale".
	 */
	bool (*scan)(struct app *app, const struct catalog_item *it, const char *marking);
	/*
	 * Bytes of the screen's own state: app_push() gives each instance a
	 * zeroed block of this size before open() and frees it after close();
	 * the view reaches it with app_view_state(). 0 = none.
	 */
	size_t state_size;
};

/* One screen on the stack: its ops and its instance's state. */
struct app_screen {
	const struct view_ops *ops;
	void *state;
};

/* How a key that no filter took reaches the screen (the app's dispatch). */
typedef void (*app_dispatch_fn)(struct app *app, int key);

/*
 * What plugs into the app from outside it (tui/screen.c wires the real
 * ones), so that app.c needs no view, scanner or engine header. Every
 * member may be NULL.
 */
struct app_hooks {
	/* The screens F-keys and app_find_view() reach; the first is the home screen; NULL ends. */
	const struct view_ops *const *views;
	/* After curses starts, before the home screen opens (the scanner, the catalog). */
	void (*start)(struct app *app, app_dispatch_fn dispatch);
	/* Once the home screen is open (a basket saved before a crash comes back). */
	void (*resume)(struct app *app);
	/* Before curses ends, after every screen closed. */
	void (*stop)(struct app *app);
	/* Sees every key first; true = taken (a scanner's burst), false = dispatch it. */
	bool (*key)(struct app *app, int key);
	/* After each update of the terminal (the basket is saved then). */
	void (*drawn)(struct app *app);
	/* ACT_RECALL when no screen took it; returns app_result flags. */
	int (*recall)(struct app *app);
	/* The pane beside the screen on wide terminals: its width (0: none) and drawing. */
	int (*pane_width)(const struct app *app, int cols);
	void (*pane_draw)(struct app *app, WINDOW *w, int x, int rows, int cols);
};

enum app_mode { APP_MODE_TRAINING, APP_MODE_TEST, APP_MODE_LIVE };

/*
 * What the status bar shows. The engine fills it; until it does, the
 * placeholders say so ("outbox —", "listener —").
 */
struct app_status {
	enum app_mode mode;
	bool test;	  /* documents go with test=1 (also in training: both marks show) */
	bool engine;	  /* false: no engine attached, values are placeholders */
	char profile[64]; /* profile name; "" = none */
	char printer[64]; /* target_serial; "" = not chosen */
	bool shift_open;  /* a shift is open ... */
	long long shift_opened_ms; /* ... since (wall clock, ms) */
	bool shift_unknown;	   /* the journal cannot tell whether a shift is open */
	bool shift_opening;	   /* opened here, not yet accepted by the provider */
	int outbox_depth;	   /* documents not yet final; -1 = unknown */
	int in_flight;		   /* requests on the wire now (shown when > 0) */
	char listener[48];	   /* "on :8081", "off", "error: ..."; "" = unknown */
	bool listener_ok;	   /* false shows the listener as a warning */
	bool via_relay;		   /* listener holds the kassa-relay state instead */
	/* The provider could not be reached at the last try (F9 shows why). */
	bool offline;
	long long offline_since_ms; /* wall clock */
	char offline_reason[160];
};

/*
 * The last sale or refund made on this screen, for the TOTAL / CHANGE (PAY
 * BACK) panel, and the last document sent, for the line that follows its
 * state live.
 */
struct app_last {
	bool shown;  /* the panel stays until the next sale starts */
	bool refund; /* PAY BACK instead of CHANGE */
	int kind;    /* enum doc_kind */
	int64_t total, cash, card, change;
	int64_t doc_id; /* the last document sent, 0 = none yet */
};

/*
 * Sends a document: the engine commits it to the journal and sends it;
 * must not block on the network. doc belongs to the caller (copy what you
 * keep, e.g. with document_copy()). K_OK means the document is safely
 * queued; anything else keeps the basket and shows err to the cashier.
 */
typedef kstatus (*app_submit_fn)(struct app *app, const struct document *doc, struct kerr *err);

/* Called by app_main_with() once the app exists, before the screen starts. */
typedef kstatus (*app_setup_fn)(struct app *app, void *cls, struct kerr *err);

/* The key map section of a destructive question: only yes (y/д) confirms. */
#define APP_KEYVIEW_DANGER "danger"

#define APP_STACK_MAX 8
#define APP_RECENT_MAX 32
#define APP_MESSAGE_MAX 400

struct app_options {
	const char *theme;	       /* name or path; NULL = "default" */
	bool no_color;		       /* --no-color */
	const char *keys;	       /* a file of `bind` lines; NULL = none */
	const struct app_hooks *hooks; /* NULL = none: no screens (tests) */
};

struct app {
	struct loop *loop;
	struct app_status status;
	app_submit_fn submit; /* never NULL: a stub until the engine plugs in */
	void *engine;	      /* the engine's own data */
	/* The engine's clean-up: called after the screen ends, while the loop still exists. */
	void (*teardown)(struct app *app);

	struct basket basket; /* kept across screens, resizes and refusals */
	int sel;	      /* selected basket line; -1 = the whole receipt */
	const struct catalog_item *catalog;
	size_t catalog_n;
	char recent[APP_RECENT_MAX][LINE_NAME_MAX_BYTES];
	size_t recent_n;

	struct keymap keys;
	struct theme theme;
	const struct money_style *money;
	char exe_dir[512];

	struct app_hooks hooks;

	/* Screen. */
	struct app_screen stack[APP_STACK_MAX];
	size_t depth;
	const char *keyview; /* a key map section that wins for now ("confirm"), or NULL */
	WINDOW *w_status, *w_body, *w_msg, *w_input, *w_footer, *w_keys;
	int rows, cols;
	bool dirty, quit, started;
	bool theme_no_color;
	enum ui_role msg_role;
	const struct view_ops *msg_view; /* the screen on top when the message came */
	char msg[APP_MESSAGE_MAX];
	uint64_t clock_timer;
	char clock_text[16];
	unsigned submitted; /* documents given to the stub submit (no engine) */
	struct app_last last;
	/*
	 * The engine's "send now": makes every waiting document due and wakes
	 * the sender; returns how many wait. NULL without an engine.
	 */
	int (*send_now)(struct app *app);
};

/*
 * Runs the cashier's screen: parses --theme NAME, --no-color, --keys FILE,
 * --help; sets up the locale and translations; training mode with the demo
 * catalog; calls setup(app, cls) before the screen starts (engine wiring).
 * Returns the process exit code. tui/main.c calls this when kassa runs
 * without a subcommand.
 */
int app_main_with(int argc, char **argv, app_setup_fn setup, void *cls);

/*
 * setlocale() and the text domain: LOCALEDIR, or the build tree's po/
 * when running uninstalled (found next to /proc/self/exe), or
 * $KASSA_LOCALEDIR. Safe to call more than once.
 */
void app_i18n_init(void);
/* The directory of the running executable, into buf ("" if unknown). */
void app_exe_dir(char *buf, size_t n);

/* Creates the app on loop (not yet drawing); options may be NULL. */
struct app *app_new(struct loop *loop, const struct app_options *opt, struct kerr *err);
/* Starts curses, runs the loop until quit, restores the terminal; returns an exit code. */
int app_run(struct app *app);
void app_free(struct app *app);

/* The engine says app->status changed: the status bar redraws. */
void app_status_changed(struct app *app);
/*
 * Asks a yes/no question whose yes cannot be undone (quit with a basket,
 * Z-report, delete a line): the prompt gets " (y/n)" in the cashier's
 * language, and only y/Y/д/Д confirm (ACT_CONFIRM); Enter, Esc and every
 * other key refuse (ACT_REFUSE). The view's handle() gets the answer.
 */
void app_ask_danger(struct app *app, const char *question);
/* Returns to the sale screen, closing every screen above it. */
void app_home(struct app *app);
/* The home screen back to plain entry (its reset op), wherever the cashier is. */
void app_home_reset(struct app *app);
/* On a screen other than the sale: the sale's own actions (pay, non-fiscal,
 * discount, delete line, find) are refused with a hint naming back_key, the
 * screen's own key back; APP_UNHANDLED for any other action. */
int app_sale_action_elsewhere(struct app *app, enum action a, const char *back_key);
/* Notes a document the engine took (id in the journal, 0 = unknown). */
void app_note_sent(struct app *app, const struct document *doc, int64_t id);
/* Sends the waiting documents now (the send-now key, `kassa outbox --flush`). */
void app_send_now(struct app *app, bool asked_from_outside);

/*
 * One key as the cashier pressed it (after the scanner's filter): the key
 * map's action goes to the top view, then to the app's defaults; a key no
 * one took types into the input line. The screen is redrawn only when the
 * handler returned APP_REDRAW or the input line took the key.
 */
void app_dispatch_key(struct app *app, int key);

/* Marks the screen for redrawing before the next poll. */
void app_redraw(struct app *app);

/* Screens. */
/* Opens a new instance of v on top (false: the stack is full, nothing opened). */
bool app_push(struct app *app, const struct view_ops *v, int arg);
void app_pop(struct app *app);
const struct view_ops *app_top(const struct app *app);
/* The home screen (the first registered view: sale), or NULL. */
const struct view_ops *app_home_view(const struct app *app);
/* A registered view by name ("status"), or NULL. */
const struct view_ops *app_find_view(const struct app *app, const char *name);
/* The state of the topmost instance of v on the stack, or NULL when v is not on it. */
void *app_view_state(const struct app *app, const struct view_ops *v);
/* Whether v is on the stack (anywhere). */
bool app_on_stack(const struct app *app, const struct view_ops *v);
/* The screen under the top one, or NULL. */
const struct view_ops *app_under_top(const struct app *app);

/*
 * Lays the windows out for the terminal's size and draws every part of the
 * screen into them, without updating the terminal (the loop's prepare hook
 * and the headless dump do that).
 */
void app_layout(struct app *app);
void app_draw(struct app *app);

/* The message line: information or a refusal (role UI_MESSAGE_INFO/ERROR). */
void app_message(struct app *app, enum ui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * A field name of the core ("cash_amount", "purchase.products[2].price") in
 * the cashier's words ("cash", "line 3, price"), translated; other names
 * pass as they are.
 */
const char *app_field_label(const char *field, char *buf, size_t n);
/* kerr_str() with the field in the cashier's words. */
const char *app_kerr_text(const struct kerr *err, char *buf, size_t n);
/* Shows a refusal from the core ("field: what is wrong"). */
void app_refuse(struct app *app, const struct kerr *err);
void app_clear_message(struct app *app);

/* The input line: prompt and text (the cursor goes to the end). */
void app_input(struct app *app, const char *prompt, const char *text);
/* Whether typing edits the input line (false for choice fields and questions). */
void app_input_enable(struct app *app, bool on);
const char *app_input_text(const struct app *app);
void app_history_add(struct app *app, const char *line);
/* Remembers an item name for Tab completion. */
void app_recent_add(struct app *app, const char *name);

/* Amount in the locale's style ("1 234,56"), into buf. */
const char *app_money(const struct app *app, int64_t kop, char *buf, size_t n);
/* Quantity with its unit ("0,455 kg"), into buf. */
const char *app_qty(const struct app *app, int64_t qty, enum unit u, char *buf, size_t n);

/* Draws UTF-8 text at y,x in exactly width columns (cut with "…", padded). */
void app_put(WINDOW *w, int y, int x, int width, enum text_align align, const char *s,
	     enum ui_role role);
/*
 * Draws UTF-8 text from y,x wrapped at spaces into at most max_lines lines
 * of width columns (the last one cut with "…"); returns the lines used.
 */
int app_put_wrapped(WINDOW *w, int y, int x, int width, int max_lines, const char *s,
		    enum ui_role role);
/* How many lines of width columns s takes when wrapped at spaces, at most max_lines. */
int app_wrapped_lines(const char *s, int width, int max_lines);
/*
 * Draws the first `lines` wrapped lines of s from y (column 0); returns the
 * offset in s where the rest starts.
 */
size_t app_put_wrapped_at(WINDOW *w, int y, int width, int lines, const char *s, enum ui_role role);

#endif
