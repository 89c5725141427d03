/* The help screen, drawn from the key table and the entry grammar. */
#include <string.h>

#include "i18n.h"
#include "views/views.h"

#define HELP_MAX 64

struct help_state {
	struct keys_help_line lines[HELP_MAX];
	size_t n;
	int top;
	int tw;			      /* columns of the help texts when last drawn; 0 = not yet */
	int cols;		      /* the screen's width when last drawn */
	const struct view_ops *under; /* the screen the keys are for */
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct help_state *help_of(const struct app *app)
{
	return app_view_state(app, &view_help);
}

static const char *const grammar[] = {
    N_("1001 or молоко    add an item by code or name (Tab completes names)"),
    N_("3*1001            three of item 1001"),
    N_("0.455*1003        weighed goods: 0.455 kg of item 1003"),
    N_("0.455  or  3*     a quantity for the next item"),
    N_("*2                the selected line's quantity becomes 2"),
    N_("+  -              the selected line's quantity plus or minus one"),
    /* xgettext:no-c-format */
    N_("10%  or  150      in the F3 prompt: a percentage or an amount"),
    N_("#                 in the pay dialog: pays the rest of the total"),
    N_("name, then price  no catalog in a live profile: free entry (demo: training)"),
    N_("after a crash     the open basket and the amounts typed come back"),
    /* xgettext:no-c-format */
    N_("10 then F3        10% off the selected line at once"),
    N_("Enter (pay)       on an empty cash or card field: # there"),
    N_("F2 / F3 (pay)     cash pays the rest / the card pays the rest, and sends"),
    N_("F7 F8 F11 F12     in the pay dialog: a 500, 1000, 2000, 5000 banknote"),
    N_("F4 then F6        refund the basket without an original receipt (asks)"),
    N_("1 000,50 1000.50  amounts: thousands by a space, kopecks after , or ."),
    N_("535 refund cash   in F11: an amount as shown, or refund, cash, card"),
    N_("Settlement (pay)  Left/Right: full payment, full or partial prepayment, advance"),
    N_("buyer@… then F8   in F11: a prepaid order by its buyer; F8 settles it"),
    N_("Right (settle)    with pos_terminal: the card part goes through the card terminal"),
    /* issue 14 */
    N_("M-b, then phone   pay by link: a LIFE PAY bill (QR for SBP); F7 there cancels it"),
    N_("F4 (bill dialog)  refund a paid bill: all that is left, or the amount typed"),
    N_("Up/Down (bill)    the other bills, listed with their states beside the bill"),
    N_("C-r (sale)        after F7 cancelled a bill: its basket back on the sale screen"),
};

/* What the screen shows about where things stand (issue 10). */
static const char *const notes[] = {
    N_("Esc on a screen an F-key opened goes back to the sale (first it clears the line)"),
    N_("Quit, Z-report, delete a line: only y (д) says yes; Enter and other keys say no"),
    N_("TOTAL and CHANGE (PAY BACK) of the last sale stay until the next one starts"),
    N_("Last: #N ... the newest document and its state: queued, accepted, processed..."),
    N_("OFFLINE: the provider cannot be reached; F9 says why, C-s sends at once"),
    N_("shift opening…: the shift is sent but the provider has not accepted it yet"),
    N_("F8 shows the shift's totals and the cash that should be in the drawer"),
    /* issue 11 */
    N_("listener degraded: too many or slow connections are shed; callbacks still get in"),
    /* issue 13 */
    N_("relay connected / reconnecting since: statuses come through kassa-relay (relay_url)"),
    N_("F12 warns when listen_cert does not fit public_url or is out of date: no callbacks"),
    /* issue 14 */
    N_("Payments (LIFE PAY notifications): \"confirmed\" once LIFE PAY's bill status agrees"),
    N_("A paid bill sends its basket's receipt by itself (unless bill_receipt = provider)"),
};

/* Marked goods, corrections and the command line (issue 15). */
static const char *const more[] = {
    N_("ffd = 1.2 (profile): LifePay's FFD 1.2 receipt; marked goods go with codes"),
    N_("Scan a pack's DataMatrix: the item joins with its marking code (GS kept)"),
    N_("A marked item without its code is refused: scan the code on the pack"),
    N_("F11 preview and the detail show each marked line's item type and code"),
    N_("kassa receipt --kind correction FILE: a correction (PayKeeper: self/by_order)"),
    N_("kassa receipt --kind non-fiscal FILE; kassa help receipt shows the file"),
    N_("kassa status 3f2a9c: a document by the first 6+ characters of uuid or ext_id"),
    N_("customer_name, customer_inn in a file: the buyer (receipt_properties)"),
    N_("KASSA_TRAINING_FAULTS=retry=1 kassa: rehearse a provider outcome (training)"),
    N_("kassa bill refund BILL [--amount A]: refund a paid bill; its receipt goes once"),
    N_("kassa settle ORDER --card #: settle a prepaid order (#id, ext_id or contact)"),
};

static const enum action help_footer[] = {ACT_BACK, ACT_NONE};

static void help_open(struct app *app, int arg)
{
	struct help_state *h = help_of(app);
	if (arg >= 0) {
		/* The keys of the screen below, which is where the cashier was. */
		h->under = app_under_top(app) ? app_under_top(app) : &view_sale;
		h->n = keymap_help(&app->keys, h->under->name, h->lines, HELP_MAX);
		h->top = 0;
	}
	app_input(app, _("Help: Up/Down, PgUp/PgDn scroll · Esc: back"), "");
	app_input_enable(app, false);
}

/*
 * One pass over everything the screen shows, each text wrapped to the width
 * (its continuation lines indented): counts the rows, and draws those in
 * view when w is not NULL. So no line is cut at 80 columns, in any language.
 */
struct help_pass {
	WINDOW *w;
	int rows, top, g; /* g: display row counted from the top of the list */
};

static void help_row(struct help_pass *p, int x, int width, int indent, const char *s,
		     enum ui_role role)
{
	bool first = true;
	do {
		int wd = first ? width : width - indent;
		if (wd < 8) { /* too narrow to indent: cut instead */
			wd = width;
			indent = 0;
		}
		size_t next;
		size_t len = text_wrap(s, wd, &next);
		int y = p->g - p->top + 1;
		if (p->w && y >= 1 && y < p->rows) {
			char piece[512];
			snprintf(piece, sizeof piece, "%.*s", (int)len, s);
			app_put(p->w, y, first ? x : x + indent, wd, TEXT_LEFT, piece, role);
		}
		p->g++;
		if (next == 0)
			break;
		s += next;
		first = false;
	} while (*s);
}

static void help_pass_run(struct help_state *h, struct help_pass *p, int cols)
{
	int kw = cols >= 70 ? 24 : 16;
	h->tw = cols - kw - 3;
	/* The key lines, their texts wrapped under themselves. */
	for (size_t i = 0; i < h->n; i++) {
		int y = p->g - p->top + 1;
		if (p->w && y >= 1 && y < p->rows)
			app_put(p->w, y, 1, kw, TEXT_LEFT, h->lines[i].keys, UI_HELP_KEY);
		help_row(p, kw + 2, h->tw, 0, h->lines[i].help, UI_HELP_TEXT);
	}
	const struct {
		const char *title;
		const char *const *texts;
		size_t n;
		int indent; /* the grammar's two columns: its texts continue under the second */
	} parts[] = {
	    {N_("Typing in the input line:"), grammar, sizeof grammar / sizeof grammar[0], 18},
	    {N_("On the screen:"), notes, sizeof notes / sizeof notes[0], 2},
	    {N_("Marked goods, corrections, the command line:"), more, sizeof more / sizeof more[0],
	     2},
	};
	for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++) {
		p->g++; /* a blank row before each part */
		help_row(p, 1, cols - 2, 0, _(parts[k].title), UI_TABLE_HEADER);
		for (size_t i = 0; i < parts[k].n; i++)
			help_row(p, 1, cols - 2, parts[k].indent, _(parts[k].texts[i]),
				 UI_HELP_TEXT);
	}
}

static int total_rows(struct help_state *h)
{
	if (h->tw <= 0)
		return 0;
	struct help_pass p = {0};
	help_pass_run(h, &p, h->cols);
	return p.g;
}

static int help_handle(struct app *app, enum action a, int key)
{
	struct help_state *h = help_of(app);
	(void)key;
	int page = getmaxy(app->w_body) - 2;
	switch (a) {
	case ACT_UP:
		h->top--;
		break;
	case ACT_DOWN:
		h->top++;
		break;
	case ACT_PAGE_UP:
		h->top -= page;
		break;
	case ACT_PAGE_DOWN:
		h->top += page;
		break;
	case ACT_HELP:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
	if (h->top > total_rows(h) - page)
		h->top = total_rows(h) - page;
	if (h->top < 0)
		h->top = 0;
	return APP_HANDLED | APP_REDRAW;
}

static void help_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct help_state *h = help_of(app);
	char title[128];
	snprintf(title, sizeof title, _("Keys: %s"), _(h->under->title));
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, title, UI_TITLE);
	h->cols = cols;
	struct help_pass p = {.w = w, .rows = rows, .top = h->top};
	help_pass_run(h, &p, cols);
}

const struct view_ops view_help = {
    .state_size = sizeof(struct help_state),
    .name = "help",
    .title = N_("Help"),
    .footer = help_footer,
    .open = help_open,
    .draw = help_draw,
    .handle = help_handle,
};
