/* The screen rendered into text without a terminal (tui/app_dump.h). */
#define _XOPEN_SOURCE_EXTENDED 1
#include "app_dump.h"

#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "i18n.h"
#include "input.h"
#include "util.h"

struct app_dump {
	struct app *app;
	SCREEN *screen;
	FILE *out, *in;
	bool input_started;
};

struct app_dump *app_dump_open(struct app *app, int rows, int cols, struct kerr *err)
{
	struct app_dump *d = xcalloc(1, sizeof *d);
	d->app = app;
	d->out = fopen("/dev/null", "w");
	d->in = fopen("/dev/null", "r");
	if (d->out && d->in) {
		/* A terminal type every ncurses install has; only the cells are read. */
		d->screen = newterm("xterm", d->out, d->in);
	}
	if (!d->screen) {
		kerr_set(err, K_IO, "terminal", "%s", _("cannot start a headless curses screen"));
		app_dump_close(d);
		return NULL;
	}
	set_term(d->screen);
	resizeterm(rows, cols);
	/* The input line draws through readline, as on the real screen. */
	struct input_hooks hooks = {.cls = app};
	input_init(&hooks);
	d->input_started = true;
	app_layout(app);
	return d;
}

void app_dump_close(struct app_dump *d)
{
	if (!d)
		return;
	if (d->screen) {
		if (d->input_started)
			input_free();
		/* The app's windows belong to this screen: they go with it. */
		struct app *app = d->app;
		WINDOW **ws[] = {&app->w_status, &app->w_body, &app->w_msg, &app->w_input,
				 &app->w_footer};
		for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++)
			if (*ws[i]) {
				delwin(*ws[i]);
				*ws[i] = NULL;
			}
		input_set_window(NULL);
		endwin();
		delscreen(d->screen);
	}
	if (d->out)
		fclose(d->out);
	if (d->in)
		fclose(d->in);
	free(d);
}

/* Line-drawing cells (A_ALTCHARSET) as the characters a terminal shows for them. */
static wchar_t acs_char(wchar_t c)
{
	static const struct {
		char acs;
		wchar_t wc;
	} map[] = {
	    {'q', L'─'}, {'x', L'│'}, {'l', L'┌'}, {'k', L'┐'}, {'m', L'└'},
	    {'j', L'┘'}, {'t', L'├'}, {'u', L'┤'}, {'w', L'┬'}, {'v', L'┴'},
	    {'n', L'┼'}, {'a', L'▒'}, {'`', L'◆'}, {'~', L'·'}, {'0', L'█'},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if ((wchar_t)map[i].acs == c)
			return map[i].wc;
	return c;
}

/* Row y of the composed screen as UTF-8, into row (spaces at the end cut). */
static size_t dump_row(int y, int cols, char *row, size_t n)
{
	size_t rl = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	for (int x = 0; x < cols && rl + MB_LEN_MAX * (CCHARW_MAX + 1) < n; x++) {
		cchar_t cell;
		wchar_t wch[CCHARW_MAX + 1] = {0};
		attr_t attrs = 0;
		short pair = 0;
		/* newscr holds what the next update would show: every window composed. */
		if (mvwin_wch(newscr, y, x, &cell) == ERR ||
		    getcchar(&cell, wch, &attrs, &pair, NULL) == ERR || !wch[0])
			wch[0] = L' ';
		if (attrs & A_ALTCHARSET)
			wch[0] = acs_char(wch[0]);
		for (size_t i = 0; i < CCHARW_MAX && wch[i]; i++) {
			size_t k = wcrtomb(row + rl, wch[i], &st);
			if (k == (size_t)-1)
				row[rl++] = '?';
			else
				rl += k;
		}
		/* A double-width character fills the next cell too. */
		if (wcwidth(wch[0]) == 2)
			x++;
	}
	while (rl > 0 && row[rl - 1] == ' ')
		rl--;
	return rl;
}

size_t app_dump_text(struct app_dump *d, char *buf, size_t n)
{
	if (n == 0)
		return 0;
	buf[0] = '\0';
	app_draw(d->app);
	size_t len = 0;
	int rows, cols;
	getmaxyx(newscr, rows, cols);
	for (int y = 0; y < rows; y++) {
		char row[8192];
		size_t rl = dump_row(y, cols, row, sizeof row - 1);
		row[rl++] = '\n';
		if (len + rl >= n)
			break;
		memcpy(buf + len, row, rl);
		len += rl;
	}
	buf[len] = '\0';
	return len;
}
