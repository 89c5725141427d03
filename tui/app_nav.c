/*
 * Navigation and the cashier's view of where things stand, beside app.c:
 * the screen stack reset (Esc and the F-keys always start from the sale
 * screen), the destructive yes/no question, the last document sent and the
 * send-now key.
 */
#include <string.h>

#include "app.h"
#include "i18n.h"
#include "payment.h"
#include "util.h"

void app_home(struct app *app)
{
	while (app->depth > 1)
		app_pop(app);
	app->keyview = NULL;
	app->dirty = true;
}

void app_home_reset(struct app *app)
{
	const struct view_ops *home = app_home_view(app);
	if (home && home->reset)
		home->reset(app);
}

void app_ask_danger(struct app *app, const char *question)
{
	char p[APP_MESSAGE_MAX];
	/* TRANSLATORS: the keys that answer yes and no; only yes is checked (y or д). */
	snprintf(p, sizeof p, "%s %s", question, _("(y/n)"));
	app_input(app, p, "");
	app->keyview = APP_KEYVIEW_DANGER;
	app_input_enable(app, false);
}

void app_note_sent(struct app *app, const struct document *doc, int64_t id)
{
	app->last.doc_id = id;
	/* The panel is for what the cashier hands over: sales and refunds made on the screen. */
	const struct view_ops *top = app_top(app);
	if (!top || (strcmp(top->name, "pay") != 0 && strcmp(top->name, "refund") != 0))
		return;
	if (!doc_kind_has_basket(doc->kind))
		return;
	struct payment_result r = doc->resolved;
	if (r.cash == 0 && r.card == 0 && r.change == 0 &&
	    payment_resolve(doc->basket.total, &doc->pay, &r, NULL) != K_OK)
		memset(&r, 0, sizeof r);
	app->last.shown = true;
	app->last.refund = doc->type == RT_REFUND;
	app->last.kind = (int)doc->kind;
	app->last.total = doc->basket.total;
	app->last.cash = r.cash;
	app->last.card = r.card;
	app->last.change = r.change;
	app->dirty = true;
}

void app_send_now(struct app *app, bool asked_from_outside)
{
	if (!app->send_now) {
		app_message(app, UI_MESSAGE_ERROR, "%s",
			    _("Nothing to send: no delivery engine is running"));
		return;
	}
	int n = app->send_now(app);
	if (n <= 0)
		app_message(
		    app, UI_MESSAGE_INFO, "%s",
		    asked_from_outside
			? _("kassa outbox --flush asked to send now: nothing waits to be sent")
			: _("Nothing waits to be sent: every document has gone out"));
	else if (asked_from_outside)
		app_message(
		    app, UI_MESSAGE_INFO,
		    _("kassa outbox --flush asked to send now: sending %d waiting document(s)"), n);
	else
		app_message(app, UI_MESSAGE_INFO, _("Sending %d waiting document(s) now"), n);
}

int app_sale_action_elsewhere(struct app *app, enum action a, const char *back_key)
{
	switch (a) {
	case ACT_PAY:
	case ACT_NONFISCAL:
	case ACT_DISCOUNT:
	case ACT_DELETE_LINE:
	case ACT_FIND:
		app_message(app, UI_MESSAGE_ERROR,
			    _("Back to the sale first (Esc or %s); the basket is kept"), back_key);
		return APP_HANDLED | APP_REDRAW;
	default:
		return APP_UNHANDLED;
	}
}
