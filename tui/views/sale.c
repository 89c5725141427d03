/* The sale screen: the basket table, the total and item entry. */
#include <string.h>

#include "basket_store.h"
#include "i18n.h"
#include "money.h"
#include "scanner.h"
#include "util.h"
#include "views/sale_last.h"
#include "views/views.h"

enum sale_mode { SM_ENTRY, SM_PRICE, SM_WEIGHT, SM_DISCOUNT, SM_DELETE, SM_QUIT };

struct sale_state {
	enum sale_mode mode;
	int64_t pending_qty; /* from "3*" or "0.455"; 0 = none */
	const struct catalog_item *pending_item;
	char pending_name[LINE_NAME_MAX_BYTES];
	int top; /* first line shown */
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct sale_state *sale_of(const struct app *app)
{
	return app_view_state(app, &view_sale);
}

static const enum action sale_footer[] = {
    ACT_HELP,  ACT_FIND,   ACT_DISCOUNT, ACT_REFUND,   ACT_PAY,	     ACT_NONFISCAL, ACT_DELETE_LINE,
    ACT_SHIFT, ACT_STATUS, ACT_JOURNAL,	 ACT_SETTINGS, ACT_SEND_NOW, ACT_QUIT,	    ACT_NONE};

/* The quit question: what is lost (the basket) and what waits (the outbox). */
static void sale_quit_question(struct app *app, char *p, size_t n)
{
	int waiting = app->status.outbox_depth;
	unsigned long w = waiting > 0 ? (unsigned long)waiting : 0;
	if (app->basket.n && waiting > 0)
		snprintf(p, n,
			 dngettext(GETTEXT_PACKAGE,
				   "%zu lines lost; %d document not yet delivered goes at next "
				   "start. Quit?",
				   "%zu lines lost; %d documents not yet delivered go at next "
				   "start. Quit?",
				   w),
			 app->basket.n, waiting);
	else if (app->basket.n)
		snprintf(p, n, _("Lines in the basket: %zu. Quit and lose them?"), app->basket.n);
	else
		snprintf(p, n,
			 dngettext(GETTEXT_PACKAGE,
				   "%d document not yet delivered; it will be sent at next start. "
				   "Quit?",
				   "%d documents not yet delivered; they will be sent at next "
				   "start. Quit?",
				   w),
			 waiting);
}

/* Sets the input line for the current mode (text "" unless given). */
static void sale_prompt(struct app *app, const char *text)
{
	struct sale_state *ss = sale_of(app);
	char p[256], q[32];
	app->keyview = NULL;
	switch (ss->mode) {
	case SM_ENTRY:
		if (ss->pending_qty) {
			qty_format_display(ss->pending_qty, app->money, q, sizeof q);
			snprintf(p, sizeof p, _("%s × item:"), q);
		} else {
			snprintf(p, sizeof p, "%s", _("Item:"));
		}
		break;
	case SM_PRICE:
		snprintf(p, sizeof p, _("Price of «%s»:"), ss->pending_name);
		break;
	case SM_WEIGHT:
		snprintf(p, sizeof p, _("Quantity of «%s», %s:"), ss->pending_item->name,
			 unit_label(ss->pending_item->unit));
		break;
	case SM_DISCOUNT:
		if (app->sel >= 0)
			snprintf(p, sizeof p, _("Discount for line %d (10%% or amount):"),
				 app->sel + 1);
		else
			/* xgettext:no-c-format */
			snprintf(p, sizeof p, "%s",
				 _("Discount for the whole receipt (10% or amount):"));
		break;
	case SM_DELETE:
		snprintf(p, sizeof p, _("Delete line %d «%s»?"), app->sel + 1,
			 app->basket.lines[app->sel].name);
		app_ask_danger(app, p);
		return;
	case SM_QUIT:
		sale_quit_question(app, p, sizeof p);
		app_ask_danger(app, p);
		return;
	}
	app_input(app, p, text ? text : "");
}

static void set_mode(struct app *app, enum sale_mode m)
{
	struct sale_state *ss = sale_of(app);
	ss->mode = m;
	sale_prompt(app, "");
}

void sale_reset(struct app *app)
{
	struct sale_state *ss = sale_of(app);
	if (!ss)
		return; /* no sale screen open (starting or ending): nothing to reset */
	ss->pending_qty = 0;
	ss->top = 0;
	app->sel = -1;
	set_mode(app, SM_ENTRY);
}

static void sale_refuse(struct app *app, const struct kerr *err, const char *typed)
{
	app_refuse(app, err);
	sale_prompt(app, typed); /* the text stays so the cashier can fix it */
}

static bool add_line(struct app *app, const char *name, const struct catalog_item *it,
		     int64_t price, int64_t qty)
{
	struct sale_state *ss = sale_of(app);
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, name, sizeof l.name);
	l.price = price;
	l.qty = qty;
	if (it) {
		l.unit = it->unit;
		l.vat = it->vat;
		l.vat_set = true;
		l.object = it->object;
		str_copy(l.code, it->code, sizeof l.code);
	}
	struct kerr err = {0};
	if (basket_add(&app->basket, &l, &err) != K_OK) {
		app_refuse(app, &err);
		return false;
	}
	app->sel = (int)app->basket.n - 1;
	app_recent_add(app, name);
	ss->pending_qty = 0;
	return true;
}

bool sale_add_item(struct app *app, const struct catalog_item *it, int64_t qty)
{
	struct sale_state *ss = sale_of(app);
	if (!ss)
		return false; /* items go into the basket through the sale screen only */
	if (!qty)
		qty = ss->pending_qty;
	if (!qty && it->unit != UNIT_PIECE) {
		ss->pending_item = it;
		set_mode(app, SM_WEIGHT);
		return true;
	}
	bool added = add_line(app, it->name, it, it->price, qty ? qty : QTY_ONE);
	set_mode(app, SM_ENTRY);
	return added;
}

static void change_qty(struct app *app, int64_t qty, bool relative, const char *typed)
{
	struct kerr err = {0};
	if (app->sel < 0) {
		kerr_set(&err, K_INVALID, "", "%s", _("Select a line first (Up/Down)"));
		sale_refuse(app, &err, typed);
		return;
	}
	int64_t q = relative ? app->basket.lines[app->sel].qty + qty : qty;
	if (relative && q <= 0) {
		kerr_set(&err, K_INVALID, _("quantity"), "%s",
			 _("must stay above zero; to remove the line press F7"));
		sale_refuse(app, &err, typed);
		return;
	}
	if (basket_set_qty(&app->basket, (size_t)app->sel, q, &err) != K_OK) {
		sale_refuse(app, &err, typed);
		return;
	}
	sale_prompt(app, "");
}

static void entry_line(struct app *app, const char *text)
{
	struct sale_state *ss = sale_of(app);
	struct entry e;
	struct kerr err = {0};
	if (entry_parse(text, &e, &err) != K_OK) {
		sale_refuse(app, &err, text);
		return;
	}
	switch (e.kind) {
	case ENTRY_EMPTY:
		return;
	case ENTRY_INC:
	case ENTRY_DEC:
		change_qty(app, e.kind == ENTRY_INC ? QTY_ONE : -QTY_ONE, true, text);
		return;
	case ENTRY_SET_QTY:
		change_qty(app, e.qty, false, text);
		return;
	case ENTRY_PENDING_QTY:
		ss->pending_qty = e.qty;
		sale_prompt(app, "");
		return;
	case ENTRY_ITEM:
		break;
	}
	size_t count;
	const struct catalog_item *it = entry_lookup(app->catalog, app->catalog_n, e.query, &count);
	if (it) {
		app_history_add(app, text);
		/* refused (half a piece, a quantity out of range): the text stays to be fixed */
		if (!sale_add_item(app, it, e.qty_given ? e.qty : 0))
			sale_prompt(app, text);
		return;
	}
	if (count > 1) {
		kerr_set(
		    &err, K_INVALID, "",
		    _("Items matching «%s»: %zu; press Tab to complete the name or F2 to choose"),
		    e.query, count);
		sale_refuse(app, &err, text);
		return;
	}
	if (entry_is_code(e.query) && app->catalog_n == 0) {
		kerr_set(
		    &err, K_NOTFOUND, "",
		    _("No catalog in this profile, so no item has code %s: sell by free entry, "
		      "type the item's name and Enter, then its price (catalog = FILE in the "
		      "profile sells by code)"),
		    e.query);
		sale_refuse(app, &err, text);
		return;
	}
	if (entry_is_code(e.query)) {
		kerr_set(&err, K_NOTFOUND, "",
			 _("No item with code %s in the catalog; type a name to sell an item at a "
			   "price you give"),
			 e.query);
		sale_refuse(app, &err, text);
		return;
	}
	if (e.qty_given)
		ss->pending_qty = e.qty;
	str_copy(ss->pending_name, e.query, sizeof ss->pending_name);
	app_message(app, UI_MESSAGE_INFO, _("«%s» is not in the catalog: enter its price, or Esc"),
		    e.query);
	set_mode(app, SM_PRICE);
}

static int sale_line(struct app *app, const char *text)
{
	struct sale_state *ss = sale_of(app);
	struct kerr err = {0};
	int64_t v;
	struct discount d;
	app_clear_message(app);
	switch (ss->mode) {
	case SM_ENTRY:
		entry_line(app, text);
		break;
	case SM_PRICE:
	case SM_WEIGHT: {
		bool price = ss->mode == SM_PRICE;
		const char *field = price ? _("price") : _("quantity");
		kstatus st =
		    price ? money_parse(text, &v, field, &err) : qty_parse(text, &v, field, &err);
		if (st == K_OK && v <= 0)
			st = kerr_set(&err, K_INVALID, field, "%s", _("must be above zero"));
		if (st != K_OK)
			sale_refuse(app, &err, text);
		else if (price && add_line(app, ss->pending_name, NULL, v,
					   ss->pending_qty ? ss->pending_qty : QTY_ONE))
			set_mode(app, SM_ENTRY);
		else if (!price && add_line(app, ss->pending_item->name, ss->pending_item,
					    ss->pending_item->price, v))
			set_mode(app, SM_ENTRY);
		else
			sale_prompt(app, text);
		break;
	}
	case SM_DISCOUNT:
		if (entry_parse_discount(text, &d, &err) != K_OK)
			sale_refuse(app, &err, text);
		else if ((app->sel >= 0
			      ? basket_set_discount(&app->basket, (size_t)app->sel, d, &err)
			      : basket_set_receipt_discount(&app->basket, d, &err)) != K_OK)
			sale_refuse(app, &err, text);
		else
			set_mode(app, SM_ENTRY);
		break;
	default:
		break;
	}
	return APP_HANDLED | APP_REDRAW;
}

/*
 * The discount key with a number on the input line: that percent off the
 * selected line (or the whole receipt when none is), without a question.
 */
static void discount_typed(struct app *app, const char *typed)
{
	char text[80];
	str_copy(text, typed, sizeof text);
	char *s = str_trim(text);
	size_t len = strlen(s);
	if (len && s[len - 1] != '%' && (size_t)(s - text) + len + 2 <= sizeof text) {
		s[len] = '%';
		s[len + 1] = '\0';
	}
	struct discount d;
	struct kerr err = {0};
	char typed_copy[80];
	str_copy(typed_copy, typed, sizeof typed_copy);
	if (entry_parse_discount(s, &d, &err) != K_OK ||
	    (app->sel >= 0 ? basket_set_discount(&app->basket, (size_t)app->sel, d, &err)
			   : basket_set_receipt_discount(&app->basket, d, &err)) != K_OK) {
		sale_refuse(app, &err, typed_copy);
		return;
	}
	set_mode(app, SM_ENTRY);
	if (app->sel >= 0)
		app_message(app, UI_MESSAGE_INFO, _("Discount %s on line %d"), s, app->sel + 1);
	else
		app_message(app, UI_MESSAGE_INFO, _("Discount %s on the whole receipt"), s);
}

static void sale_open(struct app *app, int arg)
{
	if (arg >= 0) {
		memset(sale_of(app), 0, sizeof(struct sale_state));
		app->sel = app->basket.n ? (int)app->basket.n - 1 : -1;
	}
	sale_prompt(app, "");
}

static int sale_handle(struct app *app, enum action a, int key)
{
	struct sale_state *ss = sale_of(app);
	bool typing = app_input_text(app)[0] != '\0';
	int n = (int)app->basket.n;
	int page = getmaxy(app->w_body) - 4;
	switch (a) {
	case ACT_UP:
	case ACT_PAGE_UP:
		if (ss->mode == SM_ENTRY && n > 0) {
			app->sel -= a == ACT_UP ? 1 : (page > 1 ? page : 1);
			if (app->sel < -1)
				app->sel = -1;
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_DOWN:
	case ACT_PAGE_DOWN:
		if (ss->mode == SM_ENTRY && n > 0) {
			app->sel += a == ACT_DOWN ? 1 : (page > 1 ? page : 1);
			if (app->sel > n - 1)
				app->sel = n - 1;
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_QTY_INC:
	case ACT_QTY_DEC:
		if (typing || ss->mode != SM_ENTRY || app->sel < 0)
			return APP_UNHANDLED; /* the key is typed into the line */
		app_clear_message(app);
		change_qty(app, a == ACT_QTY_INC ? QTY_ONE : -QTY_ONE, true, "");
		return APP_HANDLED | APP_REDRAW;
	case ACT_DELETE_LINE:
		if (key == KEYS_SPECIAL + KEY_DC && (typing || ss->mode != SM_ENTRY))
			return APP_UNHANDLED;
		if (app->sel < 0)
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("Select a line to delete first (Up/Down)"));
		else
			set_mode(app, SM_DELETE);
		return APP_HANDLED | APP_REDRAW;
	case ACT_DISCOUNT:
		if (n == 0)
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("The basket is empty: add an item first"));
		else if (typing && ss->mode == SM_ENTRY)
			discount_typed(app, app_input_text(app)); /* "10" F3: 10% off at once */
		else
			set_mode(app, SM_DISCOUNT);
		return APP_HANDLED | APP_REDRAW;
	case ACT_PAY:
	case ACT_NONFISCAL:
		if (n == 0) {
			app_message(app, UI_MESSAGE_ERROR, "%s",
				    _("The basket is empty: add an item first"));
		} else if (typing && ss->mode == SM_ENTRY) {
			app_message(app, UI_MESSAGE_ERROR,
				    _("Press Enter to add «%s» first, or Esc to clear it"),
				    app_input_text(app));
		} else {
			app_clear_message(app);
			ss->mode = SM_ENTRY;
			basket_store_pay_opened(a == ACT_PAY ? DOC_RECEIPT : DOC_NONFISCAL);
			app_push(app, &view_pay, a == ACT_PAY ? DOC_RECEIPT : DOC_NONFISCAL);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BILL:
		/* An empty basket: the newest bill, to follow or cancel it. */
		app_clear_message(app);
		set_mode(app, SM_ENTRY);
		app_push(app, &view_bill, n == 0 ? 1 : 0);
		return APP_HANDLED | APP_REDRAW;
	case ACT_FIND:
		if (ss->mode != SM_ENTRY)
			set_mode(app, SM_ENTRY);
		app_push(app, &view_find, 0);
		return APP_HANDLED | APP_REDRAW;
	case ACT_CONFIRM:
		if (ss->mode == SM_QUIT) {
			/* The cashier chose to lose the lines: the journal's copy goes too. */
			basket_clear(&app->basket);
			basket_store_sync(app);
			return APP_HANDLED | APP_QUIT;
		}
		if (ss->mode == SM_DELETE) {
			struct kerr err = {0};
			if (basket_remove(&app->basket, (size_t)app->sel, &err) != K_OK)
				app_refuse(app, &err);
			if (app->sel >= (int)app->basket.n)
				app->sel = (int)app->basket.n - 1;
			app_message(app, UI_MESSAGE_INFO, "%s", _("Line deleted"));
		}
		set_mode(app, SM_ENTRY);
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
	case ACT_BACK:
		if (ss->mode != SM_ENTRY)
			app_message(app, UI_MESSAGE_INFO, "%s",
				    _("Cancelled; the basket is as it was"));
		else if (!typing)
			ss->pending_qty = 0;
		set_mode(app, SM_ENTRY);
		return APP_HANDLED | APP_REDRAW;
	case ACT_QUIT:
		/* Nothing lost and nothing left behind: quit at once; else ask. */
		if (n == 0 && app->status.outbox_depth <= 0)
			return APP_HANDLED | APP_QUIT;
		set_mode(app, SM_QUIT);
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
}

static void put_money(struct app *app, WINDOW *w, int y, int x, int width, int64_t v,
		      enum ui_role role)
{
	char buf[48];
	app_put(w, y, x, width, TEXT_RIGHT, app_money(app, v, buf, sizeof buf), role);
}

static void sale_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct sale_state *ss = sale_of(app);
	const struct basket *b = &app->basket;
	/* Narrow terminals give up the number, the discount and the price before the name. */
	int w_idx = cols >= 60 ? 3 : 0, w_disc = cols >= 70 ? 10 : 0;
	int w_qty = cols >= 60 ? 11 : 9, w_price = cols >= 60 ? 11 : cols >= 50 ? 9 : 0;
	int w_sum = cols >= 60 ? 12 : 10;
	int x_name = w_idx ? w_idx + 1 : 0;
	int w_name = cols - x_name - w_qty - 1 - (w_price ? w_price + 1 : 0) -
		     (w_disc ? w_disc + 1 : 0) - w_sum - 1;
	int x_qty = x_name + w_name + 1;
	int x_price = x_qty + w_qty + 1, x_disc = x_price + w_price + (w_price ? 1 : 0);
	int x_sum = x_disc + w_disc + (w_disc ? 1 : 0);
	char buf[128];

	wattrset(w, (int)theme_attr(UI_TABLE_HEADER));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 0, w_idx, TEXT_RIGHT, "#", UI_TABLE_HEADER);
	app_put(w, 0, x_name, w_name, TEXT_LEFT, _("Item"), UI_TABLE_HEADER);
	app_put(w, 0, x_qty, w_qty, TEXT_RIGHT, _("Qty"), UI_TABLE_HEADER);
	app_put(w, 0, x_price, w_price, TEXT_RIGHT, _("Price"), UI_TABLE_HEADER);
	app_put(w, 0, x_disc, w_disc, TEXT_RIGHT, _("Discount"), UI_TABLE_HEADER);
	app_put(w, 0, x_sum, cols - x_sum, TEXT_RIGHT, _("Sum"), UI_TABLE_HEADER);

	int vis = rows - 3;
	if (app->sel >= 0 && app->sel < ss->top)
		ss->top = app->sel;
	if (app->sel >= ss->top + vis)
		ss->top = app->sel - vis + 1;
	if (ss->top > (int)b->n - vis)
		ss->top = (int)b->n - vis > 0 ? (int)b->n - vis : 0;
	if (b->n > 0)
		app->last.shown = false; /* the next sale has started */
	if (b->n == 0 && sale_last_draw_panel(app, w, 2, vis - 1, cols) > 0) {
		/* TOTAL and CHANGE of the sale just made stay until the next one starts. */
	} else if (b->n == 0) {
		app_put(w, 2, 1, cols - 2, TEXT_LEFT,
			_("Type an item's name or code and press Enter; 3*CODE sells three."),
			UI_HELP_TEXT);
		app_put(w, 3, 1, cols - 2, TEXT_LEFT,
			_("Tab completes names, F2 finds, F1 shows every key."), UI_HELP_TEXT);
		if (app->status.mode == APP_MODE_TRAINING)
			app_put(w, 5, 1, cols - 2, TEXT_LEFT,
				_("Training: try 1001, 1003 (sold by weight), 1006, or a name such "
				  "as молоко."),
				UI_HELP_TEXT);
		else if (app->catalog_n == 0)
			app_put(w, 5, 1, cols - 2, TEXT_LEFT,
				_("No catalog in this profile: free entry, type the name, then the "
				  "price."),
				UI_HELP_TEXT);
		int64_t refused = basket_store_recall_pending();
		char key[64];
		if (refused && keymap_keys_for(&app->keys, "sale", ACT_RECALL, key, sizeof key)) {
			snprintf(buf, sizeof buf,
				 _("Document #%lld was refused: %s brings its basket back."),
				 (long long)refused, key);
			app_put(w, 7, 1, cols - 2, TEXT_LEFT, buf, UI_MESSAGE_ERROR);
		}
	}
	for (int r = 0; r < vis && ss->top + r < (int)b->n; r++) {
		int i = ss->top + r, y = r + 1;
		const struct basket_line *l = &b->lines[i];
		enum ui_role role = i == app->sel ? UI_TABLE_SELECTED : UI_TABLE_ROW;
		wattrset(w, (int)theme_attr(role));
		mvwhline(w, y, 0, ' ', cols);
		snprintf(buf, sizeof buf, "%d", i + 1);
		app_put(w, y, 0, w_idx, TEXT_RIGHT, buf, role);
		app_put(w, y, x_name, w_name, TEXT_LEFT, l->name, role);
		app_put(w, y, x_qty, w_qty, TEXT_RIGHT,
			app_qty(app, l->qty, l->unit, buf, sizeof buf), role);
		put_money(app, w, y, x_price, w_price, l->price, role);
		int64_t disc = l->line_discount + l->receipt_share;
		if (disc && w_disc)
			put_money(app, w, y, x_disc, w_disc, -disc,
				  role == UI_TABLE_ROW ? UI_TABLE_DISCOUNT : role);
		put_money(app, w, y, x_sum, cols - x_sum, l->sum, role);
	}
	wattrset(w, (int)theme_attr(UI_TEXT));
	mvwhline(w, rows - 2, 0, ACS_HLINE, cols);
	sale_last_draw_line(app, w, rows - 2, cols);
	bool whole = app->sel < 0 && b->n > 0;
	enum ui_role lr = whole ? UI_TABLE_SELECTED : UI_TOTAL_LABEL;
	if (whole)
		snprintf(buf, sizeof buf, "%s",
			 _("▸ Whole receipt selected (F3: receipt discount)"));
	else if (b->discount)
		snprintf(buf, sizeof buf, _("Lines: %zu   discount %s"), b->n,
			 app_money(app, b->discount, (char[48]){0}, 48));
	else
		snprintf(buf, sizeof buf, _("Lines: %zu"), b->n);
	char total[64], m[48];
	snprintf(total, sizeof total, " %s %s", _("TOTAL"), app_money(app, b->total, m, sizeof m));
	int tw = text_width(total);
	app_put(w, rows - 1, 0, cols - tw, TEXT_LEFT, buf, lr);
	app_put(w, rows - 1, cols - tw, tw, TEXT_RIGHT, total, UI_TOTAL);
}

/* A scan adds its item wherever the cursor is; what was being typed stays. */
static bool sale_scan(struct app *app, const struct catalog_item *it, const char *marking)
{
	if (app->keyview) {
		app_message(app, UI_MESSAGE_ERROR,
			    _("Scanned «%s»: answer the question first (y/n), then scan again"),
			    it->name);
		return true;
	}
	char typed[512];
	str_copy(typed, app_input_text(app), sizeof typed);
	if (marking) {
		if (scanner_add_piece(app, it, marking))
			app_message(app, UI_MESSAGE_INFO, _("Scanned «%s» with its marking code"),
				    it->name);
	} else {
		sale_add_item(app, it, 0);
		app_message(app, UI_MESSAGE_INFO, _("Scanned «%s»"), it->name);
	}
	/* What the cashier was typing stays (sale_add_item() starts a fresh line). */
	if (typed[0] && it->unit == UNIT_PIECE && !app_input_text(app)[0] && !app->keyview)
		app_input(app, NULL, typed);
	app_redraw(app);
	return true;
}

const struct view_ops view_sale = {
    .state_size = sizeof(struct sale_state),
    .name = "sale",
    .title = N_("Sale"),
    .footer = sale_footer,
    .open = sale_open,
    .draw = sale_draw,
    .handle = sale_handle,
    .line = sale_line,
    .reset = sale_reset,
    .scan = sale_scan,
};
