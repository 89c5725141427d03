/*
 * Find an item (F2): the catalog filtered as the cashier types. Text with an
 * @ or five digits also finds the prepaid orders not yet settled whose buyer
 * it names (seed 002): listed under the items, Enter settles one.
 */
#include <ctype.h>
#include <string.h>

#include "engine.h"
#include "i18n.h"
#include "journal_link.h"
#include "util.h"
#include "views/views.h"

#define FIND_MAX 200
#define FIND_ORDERS 20

struct find_order {
	int64_t id, prepaid, total;
	char contact[64];
};

struct find_state {
	const struct catalog_item *hits[FIND_MAX];
	size_t n;
	struct find_order orders[FIND_ORDERS];
	size_t norders;
	int sel, top;
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct find_state *find_of(const struct app *app)
{
	return app_view_state(app, &view_find);
}

static const enum action find_footer[] = {ACT_SEND, ACT_BACK, ACT_HELP, ACT_NONE};

static bool on_order(const struct journal_prepaid *o, void *ctx)
{
	struct find_state *f = ctx;
	struct find_order *r = &f->orders[f->norders++];
	r->id = o->doc_id;
	r->prepaid = o->prepaid;
	r->total = o->order_total;
	str_copy(r->contact, o->contact, sizeof r->contact);
	return f->norders < FIND_ORDERS;
}

/* A buyer's contact as the journal keeps it: an e-mail as typed, a phone as 7 and 10 digits. */
static bool contact_key(const char *text, char *key, size_t n)
{
	if (strchr(text, '@'))
		return str_copy(key, text, n);
	size_t k = 0;
	for (const char *p = text; *p && k + 1 < n; p++)
		if (isdigit((unsigned char)*p))
			key[k++] = *p;
	key[k] = '\0';
	if (k >= 11 && (key[0] == '8' || key[0] == '7'))
		memmove(key, key + 1, k--); /* +7 or 8: the journal holds 7 */
	return k >= 5;
}

static void find_filter(struct app *app, const char *text)
{
	struct find_state *f = find_of(app);
	f->n = entry_search(app->catalog, app->catalog_n, text, f->hits, FIND_MAX);
	f->norders = 0;
	char key[128];
	struct engine *e = engine_of(app);
	if (e && e->journal && contact_key(text, key, sizeof key))
		journal_link_list(e->journal, key, true, on_order, f, NULL);
	f->sel = 0;
	f->top = 0;
}

static void find_open(struct app *app, int arg)
{
	if (arg >= 0)
		find_filter(app, "");
	app_input(app, _("Find:"), "");
	if (arg < 0)
		find_filter(app, "");
}

static void find_changed(struct app *app, const char *text)
{
	find_filter(app, text);
}

static int find_handle(struct app *app, enum action a, int key)
{
	struct find_state *f = find_of(app);
	(void)key;
	int page = getmaxy(app->w_body) - 2;
	switch (a) {
	case ACT_UP:
		f->sel--;
		break;
	case ACT_DOWN:
		f->sel++;
		break;
	case ACT_PAGE_UP:
		f->sel -= page;
		break;
	case ACT_PAGE_DOWN:
		f->sel += page;
		break;
	case ACT_SEND:
		if (f->sel >= (int)f->n && f->sel < (int)(f->n + f->norders)) {
			int64_t id = f->orders[f->sel - (int)f->n].id;
			app_pop(app);
			settle_view_open(app, id);
		} else if (f->n == 0) {
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("Nothing matches; change the text or press Esc"));
			return APP_HANDLED | APP_REDRAW;
		} else {
			const struct catalog_item *it = f->hits[f->sel];
			app_pop(app);
			sale_add_item(app, it, 0);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_FIND:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
	if (f->sel >= (int)(f->n + f->norders))
		f->sel = (int)(f->n + f->norders) - 1;
	if (f->sel < 0)
		f->sel = 0;
	return APP_HANDLED | APP_REDRAW;
}

static void find_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct find_state *f = find_of(app);
	char buf[64];
	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 0, 0, ' ', cols);
	int cw = 14, pw = 12, uw = 6;
	int nw = cols - cw - pw - uw - 4;
	app_put(w, 0, 0, cw, TEXT_LEFT, _("Code"), UI_TABLE_HEADER);
	app_put(w, 0, cw + 1, nw, TEXT_LEFT, _("Item"), UI_TABLE_HEADER);
	app_put(w, 0, cw + nw + 2, pw, TEXT_RIGHT, _("Price"), UI_TABLE_HEADER);
	app_put(w, 0, cw + nw + pw + 3, uw, TEXT_LEFT, _("Unit"), UI_TABLE_HEADER);
	int vis = rows - 1;
	if (f->sel < f->top)
		f->top = f->sel;
	if (f->sel >= f->top + vis)
		f->top = f->sel - vis + 1;
	if (f->n == 0 && f->norders == 0)
		app_put(w, 2, 1, cols - 2, TEXT_LEFT, _("Nothing in the catalog matches."),
			UI_HELP_TEXT);
	for (int r = 0; r < vis && f->top + r < (int)(f->n + f->norders); r++) {
		int i = f->top + r;
		if (i >= (int)f->n) {
			const struct find_order *o = &f->orders[i - (int)f->n];
			enum ui_role role = i == f->sel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
			char line[256], a[48];
			snprintf(line, sizeof line,
				 _("Prepaid order #%lld · %s · %s of %s · Enter settles"),
				 (long long)o->id, o->contact,
				 app_money(app, o->prepaid, a, sizeof a),
				 app_money(app, o->total, buf, sizeof buf));
			wattrset(w, (int)theme_attr(role));
			mvwhline(w, r + 1, 0, ' ', cols);
			app_put(w, r + 1, 0, cols, TEXT_LEFT, line, role);
			continue;
		}
		const struct catalog_item *it = f->hits[i];
		enum ui_role role = i == f->sel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, r + 1, 0, ' ', cols);
		app_put(w, r + 1, 0, cw, TEXT_LEFT, it->code, role);
		app_put(w, r + 1, cw + 1, nw, TEXT_LEFT, it->name, role);
		app_put(w, r + 1, cw + nw + 2, pw, TEXT_RIGHT,
			app_money(app, it->price, buf, sizeof buf), role);
		app_put(w, r + 1, cw + nw + pw + 3, uw, TEXT_LEFT, unit_label(it->unit), role);
	}
}

const struct view_ops view_find = {
    .state_size = sizeof(struct find_state),
    .name = "find",
    .title = N_("Find an item"),
    .footer = find_footer,
    .open = find_open,
    .draw = find_draw,
    .handle = find_handle,
    .changed = find_changed,
};
