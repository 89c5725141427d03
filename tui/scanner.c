#include "scanner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_file.h"
#include "demo_catalog.h"
#include "engine.h"
#include "i18n.h"
#include "input.h"
#include "loop.h"
#include "scan.h"
#include "text.h"
#include "util.h"

/* Catalogs replaced by a reload stay until the end: a screen may still point into one. */
#define SCANNER_OLD_MAX 16

static struct {
	struct app *app;
	scanner_dispatch_fn dispatch;
	bool on;
	struct scan sc;
	struct scan_result r; /* large: kept out of the stack */
	uint64_t timer;

	/*
	 * Keys are shown at once and taken back if their burst is a scan: the
	 * line as it was before the burst's first key, and how many of the held
	 * keys (a prefix) went to the line already.
	 */
	size_t echoed;
	bool echo_stopped; /* a held key was not plain typing: the rest waits */
	char saved[1024];
	size_t saved_point;
	const struct view_ops *saved_top;
	char after_echo[1024]; /* the line after the last key shown: nobody else changed it */

	struct catfile *cf;
	struct catalog_item *items;
	struct catfile *old_cf[SCANNER_OLD_MAX];
	struct catalog_item *old_items[SCANNER_OLD_MAX];
	size_t nold;
	char path[CONFIG_PATH_MAX];
	char error[400];
} SC;

static void retire_catalog(void)
{
	if (!SC.cf && !SC.items)
		return;
	if (SC.nold == SCANNER_OLD_MAX) {
		/* Many reloads in one run: the oldest one is surely no longer shown. */
		catfile_free(SC.old_cf[0]);
		free(SC.old_items[0]);
		memmove(SC.old_cf, SC.old_cf + 1, (SCANNER_OLD_MAX - 1) * sizeof SC.old_cf[0]);
		memmove(SC.old_items, SC.old_items + 1,
			(SCANNER_OLD_MAX - 1) * sizeof SC.old_items[0]);
		SC.nold--;
	}
	SC.old_cf[SC.nold] = SC.cf;
	SC.old_items[SC.nold++] = SC.items;
	SC.cf = NULL;
	SC.items = NULL;
}

/*
 * With no catalog file: the demo catalog in training only. A LIVE or TEST
 * profile sells by free entry (name, then price), so a demo code typed out
 * of habit never becomes a real fiscal document.
 */
static void scanner_catalog_default(struct app *app)
{
	struct engine *e = engine_of(app);
	if (!e || e->training) {
		app->catalog = demo_catalog(&app->catalog_n);
	} else {
		app->catalog = NULL;
		app->catalog_n = 0;
	}
}

void scanner_catalog_reload(struct app *app)
{
	struct engine *e = engine_of(app);
	const char *path = e ? e->profile.catalog : "";
	SC.error[0] = '\0';
	if (!path[0]) {
		SC.path[0] = '\0';
		retire_catalog();
		scanner_catalog_default(app);
		return;
	}
	str_copy(SC.path, path, sizeof SC.path);
	struct kerr err = {0};
	struct catfile *cf = catfile_load(path, &err);
	if (!cf) {
		char msg[300];
		kerr_str(&err, msg, sizeof msg);
		snprintf(SC.error, sizeof SC.error, "%s", msg);
		app_message(app, UI_MESSAGE_ERROR, _("Catalog %s not loaded: %s"), path, msg);
		if (!SC.items) /* nothing loaded before: never the demo items outside training */
			scanner_catalog_default(app);
		return;
	}
	size_t n = catfile_count(cf);
	struct catalog_item *items = xcalloc(n ? n : 1, sizeof *items);
	for (size_t i = 0; i < n; i++) {
		struct catfile_fields f;
		catfile_get(cf, i, &f);
		items[i] = (struct catalog_item){
		    f.code, f.name, f.price, (enum unit)f.unit, (enum vat)f.vat, f.object};
	}
	retire_catalog();
	SC.cf = cf;
	SC.items = items;
	app->catalog = items;
	app->catalog_n = n;
	size_t bad = catfile_bad_rows(cf);
	if (bad)
		app_message(
		    app, UI_MESSAGE_ERROR,
		    _("Catalog: %zu items loaded, %zu rows refused (%s); F12 lists them all"), n,
		    bad, catfile_problem(cf, 0));
	else
		app_message(app, UI_MESSAGE_INFO, _("Catalog: %zu items loaded from %s"), n, path);
}

void scanner_catalog_summary(char *buf, size_t n)
{
	if (SC.error[0])
		snprintf(buf, n, _("%s: not loaded: %s"), SC.path, SC.error);
	else if (!SC.cf && SC.app && engine_of(SC.app) && !engine_of(SC.app)->training)
		snprintf(buf, n, "%s",
			 _("none: free entry (type the name, then the price); set catalog = "
			   "FILE in the profile to sell by code"));
	else if (!SC.cf)
		snprintf(buf, n, "%s", _("the demo catalog (no catalog file in the profile)"));
	else if (catfile_bad_rows(SC.cf))
		snprintf(buf, n, _("%s: %zu items, %zu rows refused"), SC.path,
			 catfile_count(SC.cf), catfile_bad_rows(SC.cf));
	else
		snprintf(buf, n, _("%s: %zu items"), SC.path, catfile_count(SC.cf));
}

size_t scanner_catalog_problems(void)
{
	return catfile_problems(SC.cf);
}

const char *scanner_catalog_problem(size_t i)
{
	return catfile_problem(SC.cf, i);
}

/* ---- scans ---- */

static const struct catalog_item *find_code(const struct app *app, const char *code)
{
	for (size_t i = 0; i < app->catalog_n; i++)
		if (strcmp(app->catalog[i].code, code) == 0)
			return &app->catalog[i];
	return NULL;
}

/*
 * A marking code (DataMatrix: "01" + GTIN-14 + "21" + serial, GS between
 * the groups) names its goods by the GTIN; catalogs list the EAN-13, which
 * is the GTIN-14 without its leading zero.
 */
static const struct catalog_item *find_marked(const struct app *app, const char *code)
{
	if (strncmp(code, "01", 2) != 0 || strlen(code) < 18)
		return NULL;
	char gtin[15];
	for (int i = 0; i < 14; i++) {
		if (code[2 + i] < '0' || code[2 + i] > '9')
			return NULL;
		gtin[i] = code[2 + i];
	}
	gtin[14] = '\0';
	const struct catalog_item *it = find_code(app, gtin);
	if (!it && gtin[0] == '0')
		it = find_code(app, gtin + 1);
	return it;
}

bool scanner_add_piece(struct app *app, const struct catalog_item *it, const char *code)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, it->name, sizeof l.name);
	l.price = it->price;
	l.unit = it->unit;
	l.vat = it->vat;
	l.vat_set = true;
	l.object = it->object;
	str_copy(l.code, it->code, sizeof l.code);
	if (code && !str_copy(l.marking, code, sizeof l.marking)) {
		app_message(app, UI_MESSAGE_ERROR, "%s",
			    _("The marking code is too long (over 255 bytes); it was not added"));
		return false;
	}
	struct kerr err = {0};
	if (basket_add(&app->basket, &l, &err) != K_OK) {
		app_refuse(app, &err);
		return false;
	}
	app->sel = (int)app->basket.n - 1;
	app_recent_add(app, it->name);
	return true;
}

/* Delivers the keys of text (UTF-8) after the first skip ones. */
static void deliver_text(struct app *app, const char *text, size_t skip)
{
	for (const char *p = text; *p;) {
		uint32_t cp;
		size_t len = utf8_decode(p, SIZE_MAX, &cp);
		if (len == 0) {
			p++;
			continue;
		}
		if (skip)
			skip--;
		else
			SC.dispatch(app, (int)cp);
		p += len;
	}
}

bool scanner_take_code(struct app *app, const char *code)
{
	const struct catalog_item *it = find_code(app, code);
	bool marked = false;
	char mapped[SCAN_CODE_MAX];
	if (!it && scan_layout_map(code, mapped, sizeof mapped))
		it = find_code(app, mapped);
	if (!it) {
		it = find_marked(app, code);
		marked = it != NULL;
	}
	if (!it)
		return false;
	/* The screen on top decides what a scan means there (sale: a line; pay: one more item). */
	const struct view_ops *top = app_top(app);
	if (top && top->scan && top->scan(app, it, marked ? code : NULL))
		return true;
	app_message(app, UI_MESSAGE_ERROR, _("Scanned «%s»: back to the sale (Esc) to add it"),
		    it->name);
	return true;
}

/*
 * Whether key, dispatched now, would only be typed into the input line
 * (tui/app.c's dispatch(): no action bound to it here, no question asked,
 * the line editable), so that putting the line back undoes it. Readline
 * inserts printable characters in one step; control keys such as GS
 * (Ctrl-], readline's character search) are held instead.
 */
static bool plain_typing(struct app *app, int key)
{
	const struct view_ops *top = app_top(app);
	if (!top || app->keyview || !input_enabled())
		return false;
	if (key < 0x20 || key == 0x7f || (key >= 0x80 && key < 0xa0) || key > 0x10ffff)
		return false;
	if (keymap_lookup(&app->keys, top->name, key) != ACT_NONE)
		return false;
	/* Lines longer than what we can save are not taken back: hold their keys. */
	return strlen(input_text()) < sizeof SC.saved - 8;
}

/* The first key of a possible burst is held: remember the line as it is. */
static void burst_begins(struct app *app)
{
	SC.echoed = 0;
	SC.echo_stopped = false;
	str_copy(SC.saved, input_text(), sizeof SC.saved);
	SC.saved_point = input_point();
	SC.saved_top = app_top(app);
}

/* A key was held: shown at once when that can be taken back, else it waits. */
static void key_held(struct app *app, int key)
{
	if (SC.sc.nheld == 1)
		burst_begins(app);
	if (SC.echo_stopped || SC.echoed + 1 != SC.sc.nheld || !plain_typing(app, key)) {
		SC.echo_stopped = true;
		return;
	}
	SC.dispatch(app, key);
	SC.echoed++;
	str_copy(SC.after_echo, input_text(), sizeof SC.after_echo);
}

/*
 * Takes the keys shown of a burst back off the line, cursor included.
 * Returns how many of them stay on it: 0, or all when the line changed under
 * the burst (another screen, a question, the line replaced) and putting it
 * back would lose more than the keys.
 */
static size_t take_back(struct app *app)
{
	size_t n = SC.echoed;
	SC.echoed = 0;
	SC.echo_stopped = false;
	if (n == 0)
		return 0;
	if (app_top(app) != SC.saved_top || app->keyview ||
	    strcmp(input_text(), SC.after_echo) != 0)
		return n;
	input_restore(SC.saved, SC.saved_point);
	app_redraw(app);
	return 0;
}

static void on_done(struct app *app, const struct scan_result *r)
{
	size_t left = take_back(app);
	bool typed_before = SC.saved[0] != '\0';
	if (scanner_take_code(app, r->code)) {
		/* scanner_take_code() put the text back with the cursor at its end. */
		if (!left && strcmp(input_text(), SC.saved) == 0)
			input_restore(SC.saved, SC.saved_point);
		return;
	}
	if (!typed_before) {
		/* Typing after all (a script, a paste, an unknown code): as typed. */
		deliver_text(app, r->raw, left);
		SC.dispatch(app, '\n');
		return;
	}
	char shown[80];
	text_fit(r->code, 40, TEXT_LEFT, shown, sizeof shown);
	for (char *p = shown; *p; p++)
		if (*p == SCAN_GS)
			*p = ' ';
	str_trim(shown);
	app_message(app, UI_MESSAGE_ERROR,
		    _("Scanned code %s is not in the catalog; what you typed is kept"), shown);
	app_redraw(app);
}

/*
 * Acts on r. nold: how many keys were held before this call; when keys are
 * handed back they come first in r->keys, and those shown already are not
 * delivered again.
 */
static void handle(struct app *app, const struct scan_result *r, size_t nold)
{
	if (r->event == SCAN_PASS) {
		size_t skip = SC.echoed < nold ? SC.echoed : nold;
		if (nold) {
			SC.echoed = 0;
			SC.echo_stopped = false;
		}
		for (size_t i = skip; i < r->nkeys; i++)
			SC.dispatch(app, (int)r->keys[i]);
	} else if (r->event == SCAN_DONE) {
		on_done(app, r);
	}
}

static void arm(struct app *app);

static void on_timer(struct loop *l, void *cls)
{
	(void)l;
	struct app *app = cls;
	SC.timer = 0;
	size_t nold = SC.sc.nheld;
	scan_timeout(&SC.sc, mono_ms(), &SC.r);
	handle(app, &SC.r, nold);
	arm(app);
}

static void arm(struct app *app)
{
	long long when = scan_deadline(&SC.sc);
	if (SC.timer) {
		loop_cancel_timer(app->loop, SC.timer);
		SC.timer = 0;
	}
	if (when >= 0) {
		long long wait = when - mono_ms();
		SC.timer = loop_add_timer(app->loop, wait > 0 ? wait : 0, on_timer, app);
	}
}

bool scanner_feed(struct app *app, int key)
{
	if (!SC.on || SC.app != app)
		return false;
	size_t nold = SC.sc.nheld;
	scan_feed(&SC.sc, (int32_t)key, mono_ms(), &SC.r);
	handle(app, &SC.r, nold);
	/* The key itself is held when the held count grew (after any hand-back). */
	if (SC.sc.nheld == (SC.r.event == SCAN_PASS ? 0 : nold) + 1)
		key_held(app, key);
	arm(app);
	return true;
}

static long env_long(const char *name, long def, long lo, long hi)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	return errno || *end || n < lo || n > hi ? def : n;
}

void scanner_start(struct app *app, scanner_dispatch_fn dispatch)
{
	memset(&SC, 0, sizeof SC);
	SC.app = app;
	SC.dispatch = dispatch;
	const char *off = getenv("KASSA_SCANNER");
	SC.on = !(off && (strcmp(off, "off") == 0 || strcmp(off, "0") == 0));
	struct scan_config cfg;
	scan_config_default(&cfg);
	cfg.max_gap_ms = (int)env_long("KASSA_SCANNER_GAP_MS", cfg.max_gap_ms, 1, 1000);
	cfg.gs_subst = scan_gs_common;
	scan_init(&SC.sc, &cfg);
	scanner_catalog_reload(app);
}

void scanner_stop(struct app *app)
{
	if (SC.timer)
		loop_cancel_timer(app->loop, SC.timer);
	SC.timer = 0;
	scan_reset(&SC.sc);
	SC.on = false;
	if (SC.items && app->catalog == SC.items)
		app->catalog = demo_catalog(&app->catalog_n);
	for (size_t i = 0; i < SC.nold; i++) {
		if (app->catalog == SC.old_items[i])
			app->catalog = demo_catalog(&app->catalog_n);
		catfile_free(SC.old_cf[i]);
		free(SC.old_items[i]);
	}
	catfile_free(SC.cf);
	free(SC.items);
	memset(&SC, 0, sizeof SC);
}
