/* The bill engine on the screen's loop: see engine_bill.h. */
#include "engine_bill.h"

#include <stdio.h>
#include <string.h>

#include "app.h"
#include "i18n.h"
#include "journal_bill.h"
#include "provider.h"
#include "util.h"

/*
 * A bill moved: once paid, its receipt is the sale screen's last document
 * (the "Last:" line), unless one sent later is already there.
 */
static void on_bill_change(void *cls, int64_t id)
{
	struct engine *e = cls;
	if (!e->app)
		return;
	struct journal_bill b;
	if (e->journal && journal_bill_get(e->journal, id, &b, NULL) == K_OK) {
		if (b.state == BILL_SUCCESS && b.receipt_doc_id > e->app->last.doc_id)
			e->app->last.doc_id = b.receipt_doc_id;
		journal_bill_free(&b);
	}
	app_redraw(e->app);
}

void engine_bills_start(struct engine *e)
{
	engine_bills_stop(e);
	if (!e->journal || !e->run.outbox || !provider_can(e->profile.provider, PROVIDER_CAP_BILLS))
		return;
	struct bills_options o = {.on_change = on_bill_change, .change_cls = e};
	e->bills = bills_new(e->app->loop, e->journal, e->run.outbox, &e->profile, &o, NULL);
}

void engine_bills_stop(struct engine *e)
{
	bills_free(e->bills);
	e->bills = NULL;
}

struct bills *engine_bills(struct engine *e)
{
	return e ? e->bills : NULL;
}

struct tx_collect {
	struct journal_tx *out;
	size_t n, max;
};

static bool on_tx(const struct journal_tx *t, void *ctx)
{
	struct tx_collect *c = ctx;
	c->out[c->n++] = *t;
	return c->n < c->max;
}

size_t engine_bill_tx(struct engine *e, struct journal_tx *out, size_t max)
{
	if (!e || !e->journal || max == 0)
		return 0;
	struct tx_collect c = {.out = out, .max = max};
	journal_tx_list(e->journal, (int64_t)max, on_tx, &c, NULL);
	return c.n;
}

static const char *method_word(const char *m)
{
	if (strcmp(m, "card") == 0)
		return _("card");
	if (strcmp(m, "cash") == 0)
		return _("cash");
	if (strcmp(m, "sbp") == 0)
		return _("SBP");
	if (strstr(m, "nternetAcquiring"))
		return _("internet acquiring");
	return m[0] ? m : _("card");
}

void engine_bill_tx_text(struct app *app, const struct journal_tx *t, char *buf, size_t n)
{
	char amount[48];
	app_money(app, t->amount, amount, sizeof amount);
	bool refund = strcmp(t->type, "refund") == 0;
	bool ok = strcmp(t->status, "success") == 0;
	const char *what = refund ? _("refund") : _("payment");
	const char *how = ok ? _("success") : _("fail");
	/* unsigned: one about no bill here cannot be checked, so it never looks confirmed */
	const char *trust = !t->bill_id	   ? _(", unconfirmed (no bill here)")
			    : t->confirmed ? _(", confirmed")
					   : _(", NOT confirmed");
	char bill[32] = "";
	if (t->bill_id)
		snprintf(bill, sizeof bill, _(" bill #%lld"), (long long)t->bill_id);
	snprintf(buf, n, "%s %s %s %s%s%s", method_word(t->method), what, amount, how, bill, trust);
}

int engine_bill_tx_rows(struct engine *e, int max_rows)
{
	if (max_rows < 2)
		return 0;
	struct journal_tx t[ENGINE_TX_MAX];
	size_t n = engine_bill_tx(
	    e, t, (size_t)(max_rows - 1) < ENGINE_TX_MAX ? (size_t)(max_rows - 1) : ENGINE_TX_MAX);
	return n ? (int)n + 1 : 0;
}

int engine_bill_tx_draw(struct app *app, WINDOW *w, int y, int x, int cols, int max_rows)
{
	int want = engine_bill_tx_rows(engine_of(app), max_rows);
	if (!want)
		return 0;
	struct journal_tx t[ENGINE_TX_MAX];
	size_t n = engine_bill_tx(engine_of(app), t, (size_t)want - 1);
	app_put(w, y, x, cols, TEXT_LEFT, _("Payments (LIFE PAY notifications)"), UI_TABLE_HEADER);
	char buf[256];
	for (size_t i = 0; i < n; i++) {
		engine_bill_tx_text(app, &t[i], buf, sizeof buf);
		enum ui_role role = strcmp(t[i].status, "success") != 0 ? UI_STATE_FAILED
				    : !t[i].bill_id || !t[i].confirmed	? UI_STATE_RETRY
									: UI_STATE_PROCESSED;
		wattrset(w, (int)theme_attr(UI_TEXT));
		mvwhline(w, y + 1 + (int)i, x, ' ', cols);
		app_put(w, y + 1 + (int)i, x, cols, TEXT_LEFT, buf, role);
	}
	return (int)n + 1;
}
