/*
 * What the sale screen shows about the sale just made and the document
 * just sent: TOTAL and CHANGE (PAY BACK for a refund: the cash to hand back,
 * the card's part is on the line above it) in large digits,
 * kept until the next sale starts, and one line that follows the last
 * document's state live (queued, accepted, processed, rejected), as the
 * engine reloads its row on every reply and callback.
 */
#include "views/sale_last.h"

#include <string.h>

#include "engine.h"
#include "i18n.h"
#include "util.h"
#include "views/status.h"

#define BIG_ROWS 3

/* Digits three cells wide and three rows high, in half and full blocks. */
static const char *const big_digits[10][BIG_ROWS] = {
    {"█▀█", "█ █", "▀▀▀"}, {" ▀█", "  █", "  ▀"}, {"▀▀█", "█▀▀", "▀▀▀"}, {"▀▀█", " ▀█", "▀▀▀"},
    {"█ █", "▀▀█", "  ▀"}, {"█▀▀", "▀▀█", "▀▀▀"}, {"█▀▀", "█▀█", "▀▀▀"}, {"▀▀█", "  █", "  ▀"},
    {"█▀█", "█▀█", "▀▀▀"}, {"█▀█", "▀▀█", "▀▀▀"},
};

/* Renders text's digits, separators and minus into three rows; false if it does not fit. */
static bool big_render(const char *text, char rows[BIG_ROWS][256], int *width)
{
	for (int r = 0; r < BIG_ROWS; r++)
		rows[r][0] = '\0';
	int w = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		const char *cell[BIG_ROWS];
		int cw;
		if (*p >= '0' && *p <= '9') {
			for (int r = 0; r < BIG_ROWS; r++)
				cell[r] = big_digits[*p - '0'][r];
			cw = 4;
		} else if (*p == '.' || *p == ',') {
			cell[0] = " ", cell[1] = " ", cell[2] = "▀";
			cw = 2;
		} else if (*p == '-') {
			cell[0] = "   ", cell[1] = "▀▀▀", cell[2] = "   ";
			cw = 4;
		} else if ((*p & 0xC0) == 0x80) {
			continue; /* the rest of a multi-byte space */
		} else {
			cell[0] = cell[1] = cell[2] = "";
			cw = 1;
		}
		for (int r = 0; r < BIG_ROWS; r++) {
			size_t len = strlen(rows[r]);
			/* Each cell is followed by one column of space. */
			int k = snprintf(rows[r] + len, 256 - len, "%s ", cell[r]);
			if (k < 0 || (size_t)k >= 256 - len)
				return false;
		}
		w += cw;
	}
	*width = w;
	return true;
}

/* One amount: the label with the exact figure, and beside it the figure in large digits. */
static int draw_amount(struct app *app, WINDOW *w, int y, int cols, const char *label, int64_t kop,
		       int label_w, enum ui_role role)
{
	char m[48], line[96];
	app_money(app, kop, m, sizeof m);
	snprintf(line, sizeof line, "%s %s", label, m);
	char big[BIG_ROWS][256];
	int bw = 0;
	int x_big = 2 + label_w + 3;
	if (big_render(m, big, &bw) && x_big + bw <= cols) {
		app_put(w, y + 1, 2, label_w, TEXT_LEFT, line, role);
		for (int r = 0; r < BIG_ROWS; r++)
			app_put(w, y + r, x_big, bw, TEXT_LEFT, big[r], role);
		return BIG_ROWS;
	}
	app_put(w, y, 2, cols - 4, TEXT_LEFT, line, role);
	return 1;
}

int sale_last_draw_panel(struct app *app, WINDOW *w, int y, int rows, int cols)
{
	const struct app_last *l = &app->last;
	if (!l->shown || rows < 3)
		return 0;
	const char *tl = _("TOTAL");
	const char *cl = l->refund ? _("PAY BACK") : _("CHANGE");
	char m1[48], m2[48], a[96], b[96];
	snprintf(a, sizeof a, "%s %s", tl, app_money(app, l->total, m1, sizeof m1));
	snprintf(b, sizeof b, "%s %s", cl,
		 app_money(app, l->refund ? l->cash : l->change, m2, sizeof m2));
	int label_w = text_width(a) > text_width(b) ? text_width(a) : text_width(b);
	bool big = rows >= 2 * BIG_ROWS + 2;
	int y0 = y;
	if (big) {
		y += draw_amount(app, w, y, cols, tl, l->total, label_w, UI_TOTAL);
	} else {
		app_put(w, y++, 2, cols - 4, TEXT_LEFT, a, UI_TOTAL);
	}
	char paid[160], c[48], d[48];
	if (l->refund)
		snprintf(paid, sizeof paid, _("refund: in cash %s · to the card %s"),
			 app_money(app, l->cash, c, sizeof c),
			 app_money(app, l->card, d, sizeof d));
	else
		snprintf(paid, sizeof paid, _("paid: cash %s · card %s"),
			 app_money(app, l->cash, c, sizeof c),
			 app_money(app, l->card, d, sizeof d));
	app_put(w, y++, 2, cols - 4, TEXT_LEFT, paid, UI_HELP_TEXT);
	if (big)
		y += draw_amount(app, w, y, cols, cl, l->refund ? l->cash : l->change, label_w,
				 UI_TOTAL);
	else
		app_put(w, y++, 2, cols - 4, TEXT_LEFT, b, UI_TOTAL);
	if (y < y0 + rows)
		app_put(w, y++, 2, cols - 4, TEXT_LEFT,
			_("Type the next item to start a new sale."), UI_HELP_TEXT);
	return y - y0;
}

void sale_last_draw_line(struct app *app, WINDOW *w, int y, int cols)
{
	struct engine *e = engine_of(app);
	if (!e || e->nrecent == 0 || cols < 20)
		return;
	const struct engine_row *r = app->last.doc_id ? engine_row(e, app->last.doc_id) : NULL;
	if (!r)
		r = &e->recent[0];
	char kind[96], amount[48], line[JOURNAL_TEXT_MAX + 200];
	status_kind_text(r->kind, r->type, kind, sizeof kind);
	amount[0] = '\0';
	if (r->total)
		app_money(app, r->total, amount, sizeof amount);
	const char *state = status_state_word(r->state);
	if ((r->state == JS_REJECTED || r->state == JS_FAILED) && r->last_error_code)
		snprintf(line, sizeof line, _(" Last: #%lld %s %s · %s %d: %s "), (long long)r->id,
			 kind, amount, state, r->last_error_code, r->last_error_text);
	else if (r->state == JS_QUEUED && r->last_error_text[0])
		snprintf(line, sizeof line, _(" Last: #%lld %s %s · %s (%s) "), (long long)r->id,
			 kind, amount, state, r->last_error_text);
	else
		snprintf(line, sizeof line, _(" Last: #%lld %s %s · %s "), (long long)r->id, kind,
			 amount, state);
	int width = text_width(line);
	if (width > cols - 2)
		width = cols - 2;
	app_put(w, y, 1, width, TEXT_LEFT, line, status_state_role(r->state));
}
