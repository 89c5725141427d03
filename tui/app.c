#define _XOPEN_SOURCE_EXTENDED 1
#include "app.h"
#include "app_bars.h"

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "demo_catalog.h"
#include "i18n.h"
#include "input.h"
#include "loop.h"
#include "money.h"
#include "util.h"

const struct view_ops *app_find_view(const struct app *app, const char *name)
{
	for (size_t i = 0; app->hooks.views && app->hooks.views[i]; i++)
		if (strcmp(app->hooks.views[i]->name, name) == 0)
			return app->hooks.views[i];
	return NULL;
}

const struct view_ops *app_home_view(const struct app *app)
{
	return app->hooks.views ? app->hooks.views[0] : NULL;
}

/* Crash safety: the terminal is restored whatever happens. */
static volatile sig_atomic_t curses_active;

static void on_crash_signal(int signo)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
	signal(signo, SIG_DFL);
	raise(signo);
}

static void on_exit_restore(void)
{
	if (curses_active) {
		curses_active = 0;
		endwin();
	}
}

static void install_crash_handlers(void)
{
	static const int sigs[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_crash_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	static bool registered;
	if (!registered) {
		registered = true;
		atexit(on_exit_restore);
	}
}

/* Locale and translations. */
void app_exe_dir(char *buf, size_t n)
{
	if (n == 0)
		return;
	buf[0] = '\0';
	char path[1024];
	ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
	if (len <= 0)
		return;
	path[len] = '\0';
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = '\0';
	str_copy(buf, path, n);
}

void app_i18n_init(void)
{
	setlocale(LC_ALL, "");
	const char *dir = getenv("KASSA_LOCALEDIR");
	char buf[1100];
	if (!dir || !*dir) {
		char exe[1024], probe[1100];
		app_exe_dir(exe, sizeof exe);
		/* Running from a meson build tree: its po/ holds the fresh catalogs. */
		snprintf(probe, sizeof probe, "%s/../build.ninja", exe);
		if (exe[0] && access(probe, R_OK) == 0) {
			snprintf(buf, sizeof buf, "%s/../po", exe);
			dir = buf;
		} else {
			dir = LOCALEDIR;
		}
	}
	bindtextdomain(GETTEXT_PACKAGE, dir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}

/* Until the delivery engine plugs in, documents are only counted. */
static kstatus submit_unplugged(struct app *app, const struct document *doc, struct kerr *err)
{
	(void)err;
	app->submitted++;
	app_note_sent(app, doc, 0);
	return K_OK;
}

/* Tab completion: recent items first, then the catalog. */
static const char *on_complete(void *cls, const char *text, size_t index)
{
	struct app *app = cls;
	static const char *cands[64];
	static size_t n;
	const struct view_ops *top = app_top(app);
	if (top && top->complete)
		return top->complete(app, text, index);
	if (index == 0) {
		n = 0;
		for (size_t i = app->recent_n; i-- > 0 && n < 16;)
			if (text_contains(app->recent[i], text))
				cands[n++] = app->recent[i];
		const struct catalog_item *found[48];
		size_t k = entry_search(app->catalog, app->catalog_n, text, found, 48);
		for (size_t i = 0; i < k && n < 64; i++) {
			bool dup = false;
			for (size_t j = 0; j < n && !dup; j++)
				dup = strcmp(cands[j], found[i]->name) == 0;
			if (!dup && text_contains(found[i]->name, text))
				cands[n++] = found[i]->name;
		}
	}
	return index < n ? cands[index] : NULL;
}

static void on_matches(void *cls, const char *const *matches, size_t n)
{
	struct app *app = cls;
	char buf[APP_MESSAGE_MAX] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && len + 8 < sizeof buf; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " · " : "",
					matches[i]);
	app_message(app, UI_MESSAGE_INFO, _("Matches (%zu): %s"), n, buf);
	app->dirty = true;
}

static void on_line(void *cls, const char *line)
{
	struct app *app = cls;
	const struct view_ops *top = app_top(app);
	int r = top && top->line ? top->line(app, line) : 0;
	if (r & APP_QUIT)
		app->quit = true;
	app->dirty = true;
}

static void on_change(void *cls, const char *text)
{
	struct app *app = cls;
	const struct view_ops *top = app_top(app);
	/* Information is stale once the line changes; refusals stay until Enter. */
	if (app->msg_role == UI_MESSAGE_INFO)
		app->msg[0] = '\0';
	if (top && top->changed)
		top->changed(app, text);
	/* The first key of the next sale ends the last one's TOTAL / CHANGE. */
	if (top && top == app_home_view(app) && text[0] && !app->keyview)
		app->last.shown = false;
	app->dirty = true;
}

static kstatus load_keys_file(struct keymap *km, const char *path, struct kerr *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return kerr_set(err, K_IO, "keys", _("%s: cannot open: %s"), path, strerror(errno));
	char line[512];
	int no = 0;
	kstatus st = K_OK;
	while (st == K_OK && fgets(line, sizeof line, f)) {
		no++;
		struct kerr e = {0};
		st = keymap_bind_line(km, line, &e);
		if (st != K_OK)
			kerr_set(err, st, "keys", "%s:%d: %s: %s", path, no, e.field, e.text);
	}
	fclose(f);
	return st;
}

struct app *app_new(struct loop *loop, const struct app_options *opt, struct kerr *err)
{
	struct app *app = xcalloc(1, sizeof *app);
	app->loop = loop;
	app->submit = submit_unplugged;
	app->status.mode = APP_MODE_TRAINING;
	app->status.outbox_depth = -1;
	app->sel = -1;
	if (opt && opt->hooks)
		app->hooks = *opt->hooks;
	basket_init(&app->basket);
	app->catalog = demo_catalog(&app->catalog_n);
	app->money = money_style_for(setlocale(LC_MESSAGES, NULL));
	app_exe_dir(app->exe_dir, sizeof app->exe_dir);
	keymap_defaults(&app->keys);
	theme_defaults(&app->theme);

	const char *theme = opt && opt->theme ? opt->theme : "default";
	char path[1200];
	struct kerr e = {0};
	kstatus st = theme_find(theme, app->exe_dir, path, sizeof path, &e);
	if (st == K_OK)
		st = theme_load_file(&app->theme, path, &e);
	/* "default" is built in: its file (themes/default.ini) only restates it, so
	 * a build or an install without the theme files still starts. */
	if (st == K_NOTFOUND && strcmp(theme, "default") == 0)
		st = K_OK;
	if (st != K_OK && (opt && opt->theme)) {
		kerr_set(err, st, "theme", "%s", e.text);
		app_free(app);
		return NULL;
	}
	if (st != K_OK && st != K_NOTFOUND)
		app_message(app, UI_MESSAGE_ERROR, _("Built-in colours used: %s"), e.text);
	if (opt && opt->keys && load_keys_file(&app->keys, opt->keys, err) != K_OK) {
		app_free(app);
		return NULL;
	}
	return app;
}

void app_free(struct app *app)
{
	free(app);
}

/* Layout: status bar, body, message line, input line, footer. */
static void free_windows(struct app *app)
{
	WINDOW **ws[] = {&app->w_status, &app->w_body, &app->w_msg, &app->w_input, &app->w_footer};
	for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
		if (*ws[i]) {
			delwin(*ws[i]);
			*ws[i] = NULL;
		}
}

void app_layout(struct app *app)
{
	free_windows(app);
	getmaxyx(stdscr, app->rows, app->cols);
	int body = app->rows - 4;
	if (body < 1 || app->cols < 20) {
		/* Too small for the layout: one window says so; the state is kept. */
		app->w_body =
		    newwin(app->rows > 0 ? app->rows : 1, app->cols > 0 ? app->cols : 1, 0, 0);
		input_set_window(NULL);
		return;
	}
	app->w_status = newwin(1, app->cols, 0, 0);
	app->w_body = newwin(body, app->cols, 1, 0);
	app->w_msg = newwin(1, app->cols, app->rows - 3, 0);
	app->w_input = newwin(1, app->cols, app->rows - 2, 0);
	app->w_footer = newwin(1, app->cols, app->rows - 1, 0);
	WINDOW *quiet[] = {app->w_status, app->w_body, app->w_msg, app->w_footer};
	for (size_t i = 0; i < 4; i++)
		leaveok(quiet[i], TRUE);
	input_set_window(app->w_input);
}

void app_draw(struct app *app)
{
	const struct view_ops *top = app_top(app);
	if (!app->w_status) {
		/* Too small: say so, keep everything else as it is. */
		WINDOW *w = app->w_body;
		werase(w);
		app_put(w, 0, 0, app->cols, TEXT_LEFT, _("Terminal too small: need 20x6"),
			UI_MESSAGE_ERROR);
		wnoutrefresh(w);
		return;
	}
	app_draw_status(app);
	werase(app->w_body);
	wbkgdset(app->w_body, ' ' | (chtype)theme_attr(UI_TEXT));
	/*
	 * A message wider than the screen takes up to two more lines above the
	 * message line (the screen gets that many fewer), so what to do is never
	 * cut off at 80 columns.
	 */
	int body = app->rows - 4;
	int extra = app->msg[0] ? app_wrapped_lines(app->msg, app->cols, 3) - 1 : 0;
	if (extra > body - 8)
		extra = body > 8 ? body - 8 : 0;
	body -= extra;
	/* Wide terminals: the live status pane beside the screen (tui/views/status.c). */
	int pane = app->hooks.pane_width ? app->hooks.pane_width(app, app->cols) : 0;
	if (top && top->draw)
		top->draw(app, app->w_body, body, app->cols - pane);
	if (pane > 0)
		app->hooks.pane_draw(app, app->w_body, app->cols - pane, body, pane);
	werase(app->w_msg);
	if (extra > 0) {
		for (int y = body; y < body + extra; y++) {
			wmove(app->w_body, y, 0);
			wclrtoeol(app->w_body);
		}
		size_t at = app_put_wrapped_at(app->w_body, body, app->cols, extra, app->msg,
					       app->msg_role);
		app_put(app->w_msg, 0, 0, app->cols, TEXT_LEFT, app->msg + at, app->msg_role);
	} else if (app->msg[0]) {
		app_put(app->w_msg, 0, 0, app->cols, TEXT_LEFT, app->msg, app->msg_role);
	}
	app_draw_footer(app);
	input_draw();
	curs_set(input_enabled() ? 1 : 0);
	wnoutrefresh(app->w_status);
	wnoutrefresh(app->w_body);
	wnoutrefresh(app->w_msg);
	wnoutrefresh(app->w_footer);
	wnoutrefresh(app->w_input); /* last: the cursor stays in the input line */
}

/* The only place that updates the terminal: before each poll. */
static void on_prepare(struct loop *l, void *cls)
{
	struct app *app = cls;
	if (app->quit) {
		loop_quit(l);
		return;
	}
	if (!app->dirty)
		return;
	app->dirty = false;
	app_draw(app);
	doupdate();
	if (app->hooks.drawn)
		app->hooks.drawn(app); /* after drawing: the key is on screen first */
}

static void resize(struct app *app)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	app_layout(app);
	clearok(curscr, TRUE);
	app->dirty = true;
}

/* The screens an F-key opens from anywhere, each on top of the sale screen alone. */
static const struct {
	enum action a;
	const char *view;
} fkey_screens[] = {
    {ACT_STATUS, "status"},   {ACT_REFUND, "refund"},	  {ACT_SHIFT, "shift"},
    {ACT_JOURNAL, "journal"}, {ACT_SETTINGS, "settings"},
};

static bool is_fkey_screen(const struct view_ops *v)
{
	for (size_t i = 0; v && i < sizeof fkey_screens / sizeof fkey_screens[0]; i++)
		if (strcmp(v->name, fkey_screens[i].view) == 0)
			return true;
	return false;
}

/* Actions no view took. */
static int default_action(struct app *app, enum action a)
{
	switch (a) {
	case ACT_HELP: {
		/* Help is read over the screen it explains; Esc returns there. */
		const struct view_ops *help = app_find_view(app, "help");
		if (help && app_top(app) != help)
			app_push(app, help, 0);
		return APP_HANDLED;
	}
	case ACT_BACK:
		if (app->depth > 1)
			app_pop(app);
		else
			app_input(app, NULL, "");
		return APP_HANDLED;
	case ACT_QUIT:
		if (app->depth > 1) {
			app_home(app);
			const struct view_ops *base = app_top(app);
			int r = base->handle ? base->handle(app, ACT_QUIT, 0) : 0;
			return (r & APP_HANDLED) ? r : APP_QUIT;
		}
		return APP_QUIT;
	case ACT_SEND_NOW:
		app_send_now(app, false);
		return APP_HANDLED;
	case ACT_STATUS:
	case ACT_REFUND:
	case ACT_SHIFT:
	case ACT_JOURNAL:
	case ACT_SETTINGS:
		for (size_t i = 0; i < sizeof fkey_screens / sizeof fkey_screens[0]; i++) {
			if (fkey_screens[i].a != a)
				continue;
			const struct view_ops *v = app_find_view(app, fkey_screens[i].view);
			if (!v) {
				app_message(app, UI_MESSAGE_ERROR,
					    _("%s: not available in this version yet"),
					    action_label(a));
				return APP_HANDLED;
			}
			/*
			 * Nothing half-finished stays underneath: the screen opens over the
			 * sale screen alone, so Esc from it lands in the sale.
			 */
			app_home(app);
			app_push(app, v, 0);
		}
		return APP_HANDLED;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		return APP_HANDLED | APP_REDRAW;
	case ACT_RECALL:
		return app->hooks.recall ? app->hooks.recall(app) : APP_UNHANDLED;
	default:
		return APP_UNHANDLED;
	}
}

static enum action lookup(const struct app *app, const struct view_ops *top, int key)
{
	enum action a = ACT_NONE;
	if (app->keyview && strcmp(app->keyview, APP_KEYVIEW_DANGER) == 0) {
		/* A question that cannot be undone: yes only when the cashier says yes. */
		a = keymap_lookup_view(&app->keys, app->keyview, key);
		return a == ACT_CONFIRM ? ACT_CONFIRM : ACT_REFUSE;
	}
	if (app->keyview)
		a = keymap_lookup_view(&app->keys, app->keyview, key);
	if (a == ACT_NONE)
		a = keymap_lookup(&app->keys, top->name, key);
	return a;
}

void app_dispatch_key(struct app *app, int key)
{
	const struct view_ops *top = app_top(app);
	if (!top)
		return;
	enum action a = lookup(app, top, key);
	if (a == ACT_NONE && (key & KEYS_ALT) && key != (KEYS_ALT | 27)) {
		/* Esc typed just before a key (a fast typist, a script): two keys. */
		app_dispatch_key(app, 27);
		app_dispatch_key(app, key & ~KEYS_ALT);
		return;
	}
	int r = APP_UNHANDLED;
	if (a == ACT_BACK && !app->keyview && is_fkey_screen(top) && !app_input_text(app)[0]) {
		/*
		 * Esc on a screen an F-key opened, with nothing typed and nothing
		 * asked, goes straight back to the sale: no step of it stays open
		 * to catch the next sale's keys.
		 */
		app_home(app);
		app->dirty = true;
		return;
	}
	if (a != ACT_NONE) {
		r = top->handle ? top->handle(app, a, key) : 0;
		if (!(r & APP_HANDLED))
			r |= default_action(app, a);
	}
	if (!(r & APP_HANDLED) && !app->keyview) {
		input_feed(key);
		r |= APP_REDRAW; /* the input line's text or cursor may have moved */
	}
	if (r & APP_QUIT)
		app->quit = true;
	/* The handler's flag decides: a key that changed nothing draws nothing. */
	if (r & APP_REDRAW)
		app->dirty = true;
}

static int normalise(int r, wint_t wc)
{
	if (r == KEY_CODE_YES) {
		if (wc == KEY_ENTER)
			return '\n';
		if (wc == KEY_BACKSPACE)
			return KEYS_SPECIAL + KEY_BACKSPACE;
		return KEYS_SPECIAL + (int)wc;
	}
	if (wc == '\r')
		return '\n';
	if (wc == 127 || wc == 8)
		return KEYS_SPECIAL + KEY_BACKSPACE;
	return (int)wc;
}

static void on_stdin(struct loop *l, int fd, short revents, void *cls)
{
	(void)l;
	(void)fd;
	struct app *app = cls;
	if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
		app->quit = true; /* the terminal went away */
		return;
	}
	wint_t wc;
	int r;
	while (!app->quit && (r = wget_wch(app->w_keys, &wc)) != ERR) {
		if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
			/* curses has resized already (resizeterm() queues this key). */
			app_layout(app);
			app->dirty = true;
			continue;
		}
		int key = normalise(r, wc);
		if (key == 27) {
			/* Esc followed at once by a key is Alt+key (the terminal's meta). */
			wint_t wc2;
			int r2 = wget_wch(app->w_keys, &wc2);
			if (r2 != ERR) {
				int k2 = normalise(r2, wc2);
				if (k2 == 27) {
					app_dispatch_key(app, 27);
				} else {
					key = KEYS_ALT | k2;
				}
			}
		}
		/* A barcode scanner's burst is held back and taken as a scan (tui/scanner.c). */
		if (!app->hooks.key || !app->hooks.key(app, key))
			app_dispatch_key(app, key);
	}
}

static void on_signal(struct loop *l, int signo, void *cls)
{
	struct app *app = cls;
	if (signo == SIGWINCH) {
		resize(app);
	} else if (signo == SIGUSR1) {
		/* `kassa outbox --flush` run beside the screen asks it to send now. */
		app_send_now(app, true);
		app->dirty = true;
	} else if (signo == SIGINT) {
		int key = keymap_first_key(&app->keys, app_key_view(app), ACT_QUIT);
		app_dispatch_key(app, key != KEYS_NONE ? key : KEYS_SPECIAL + KEY_F(10));
	} else {
		app->quit = true;
		loop_quit(l);
	}
}

static void on_clock(struct loop *l, void *cls)
{
	struct app *app = cls;
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	char text[16];
	strftime(text, sizeof text, "%H:%M", &tm);
	if (strcmp(text, app->clock_text) != 0 || app->status.shift_open) {
		str_copy(app->clock_text, text, sizeof app->clock_text);
		app->dirty = true;
	}
	long long ms = now_ms();
	app->clock_timer = loop_add_timer(l, 1000 - ms % 1000 + 5, on_clock, app);
}

int app_run(struct app *app)
{
	install_crash_handlers();
	/* Ours before initscr(), so curses leaves SIGWINCH to the loop. */
	loop_watch_signal(app->loop, SIGWINCH, on_signal, app);
	loop_watch_signal(app->loop, SIGINT, on_signal, app);
	loop_watch_signal(app->loop, SIGTERM, on_signal, app);
	loop_watch_signal(app->loop, SIGHUP, on_signal, app);
	if (app->send_now)
		loop_watch_signal(app->loop, SIGUSR1, on_signal, app);
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "%s\n", _("kassa: the cashier's screen needs a terminal"));
		return 1;
	}
	if (!initscr()) {
		fprintf(stderr, "%s\n", _("kassa: cannot start the terminal (check TERM)"));
		return 1;
	}
	curses_active = 1;
	app->started = true;
	raw();
	noecho();
	nonl();
	set_escdelay(25);
	theme_apply(&app->theme, app->theme_no_color);
	app->w_keys = newpad(1, 1);
	keypad(app->w_keys, TRUE);
	nodelay(app->w_keys, TRUE);
	app_layout(app);
	struct input_hooks hooks = {
	    .cls = app,
	    .on_line = on_line,
	    .on_change = on_change,
	    .on_matches = on_matches,
	    .complete = on_complete,
	};
	input_init(&hooks);
	if (app->hooks.start)
		app->hooks.start(app, app_dispatch_key);
	if (app_home_view(app))
		app_push(app, app_home_view(app), 0);
	if (app->hooks.resume)
		app->hooks.resume(app);
	loop_watch_fd(app->loop, STDIN_FILENO, POLLIN, on_stdin, app);
	/* Keys first, and on screen before network or journal work of the same turn. */
	loop_set_urgent(app->loop, STDIN_FILENO, on_prepare, app);
	loop_add_prepare(app->loop, on_prepare, app);
	on_clock(app->loop, app);
	app->dirty = true;
	loop_run(app->loop);

	loop_unwatch_fd(app->loop, STDIN_FILENO);
	loop_remove_prepare(app->loop, on_prepare, app);
	if (app->clock_timer)
		loop_cancel_timer(app->loop, app->clock_timer);
	while (app->depth > 0)
		app_pop(app);
	if (app->hooks.stop)
		app->hooks.stop(app);
	input_free();
	free_windows(app);
	delwin(app->w_keys);
	app->w_keys = NULL;
	endwin();
	curses_active = 0;
	app->started = false;
	return 0;
}

void app_status_changed(struct app *app)
{
	app->dirty = true;
}

void app_redraw(struct app *app)
{
	app->dirty = true;
}

bool app_push(struct app *app, const struct view_ops *v, int arg)
{
	if (app->depth >= APP_STACK_MAX)
		return false;
	void *state = v->state_size ? xcalloc(1, v->state_size) : NULL;
	app->stack[app->depth++] = (struct app_screen){.ops = v, .state = state};
	app->keyview = NULL;
	if (v->open)
		v->open(app, arg);
	app->dirty = true;
	return true;
}

void app_pop(struct app *app)
{
	if (app->depth == 0)
		return;
	struct app_screen screen = app->stack[app->depth - 1];
	const struct view_ops *v = screen.ops;
	app->keyview = NULL;
	/* A refusal on the screen that closes does not follow the cashier to the next one. */
	if (app->msg_view == v && app->msg_role == UI_MESSAGE_ERROR)
		app->msg[0] = '\0';
	/* Still on the stack: close() finds its state; the instance goes after it. */
	if (v->close)
		v->close(app);
	app->depth--;
	free(screen.state);
	/* The screen below takes the input line back. */
	const struct view_ops *top = app_top(app);
	if (top && top->open && app->depth > 0)
		top->open(app, -1);
	app->dirty = true;
}

const struct view_ops *app_top(const struct app *app)
{
	return app->depth ? app->stack[app->depth - 1].ops : NULL;
}

const struct view_ops *app_under_top(const struct app *app)
{
	return app->depth >= 2 ? app->stack[app->depth - 2].ops : NULL;
}

void *app_view_state(const struct app *app, const struct view_ops *v)
{
	for (size_t i = app->depth; i-- > 0;)
		if (app->stack[i].ops == v)
			return app->stack[i].state;
	return NULL;
}

bool app_on_stack(const struct app *app, const struct view_ops *v)
{
	for (size_t i = 0; i < app->depth; i++)
		if (app->stack[i].ops == v)
			return true;
	return false;
}

void app_message(struct app *app, enum ui_role role, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(app->msg, sizeof app->msg, fmt, ap);
	va_end(ap);
	app->msg_role = role;
	app->msg_view = app_top(app);
	app->dirty = true;
}

void app_clear_message(struct app *app)
{
	app->msg[0] = '\0';
	app->dirty = true;
}

void app_input(struct app *app, const char *prompt, const char *text)
{
	static char last_prompt[INPUT_PROMPT_MAX];
	if (prompt)
		str_copy(last_prompt, prompt, sizeof last_prompt);
	input_set(last_prompt, text);
	input_enable(true);
	app->dirty = true;
}

void app_input_enable(struct app *app, bool on)
{
	input_enable(on);
	app->dirty = true;
}

const char *app_input_text(const struct app *app)
{
	(void)app;
	return input_text();
}

void app_history_add(struct app *app, const char *line)
{
	(void)app;
	input_history_add(line);
}

void app_recent_add(struct app *app, const char *name)
{
	for (size_t i = 0; i < app->recent_n; i++)
		if (strcmp(app->recent[i], name) == 0) {
			memmove(app->recent[i], app->recent[i + 1],
				(app->recent_n - i - 1) * sizeof app->recent[0]);
			app->recent_n--;
			break;
		}
	if (app->recent_n == APP_RECENT_MAX) {
		memmove(app->recent[0], app->recent[1],
			(APP_RECENT_MAX - 1) * sizeof app->recent[0]);
		app->recent_n--;
	}
	str_copy(app->recent[app->recent_n++], name, sizeof app->recent[0]);
}
