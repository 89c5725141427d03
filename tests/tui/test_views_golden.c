/*
 * Golden-text tests for the screens: each view is drawn headless at 80x24
 * in English (tui/app_dump.h) and compared, cell for cell, with a file
 * under tests/tui/golden/. A layout change fails here and shows the first
 * line that differs; after a wanted change, KASSA_GOLDEN_UPDATE=1 rewrites
 * the files (review the diff before committing them).
 */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app.h"
#include "app_dump.h"
#include "engine.h"
#include "entry.h"
#include "journal.h"
#include "loop.h"
#include "money.h"
#include "preview.h"
#include "scanner.h"
#include "screen.h"
#include "util.h"
#include "views/shift.h"
#include "views/status.h"
#include "views/views.h"
#include "wire/lifepay.h"

#define DUMP_MAX 32768

struct fixture {
	struct loop *loop;
	struct app *app;
	struct app_dump *dump;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	struct kerr err = {0};
	f->loop = loop_new();
	struct app_options opt = {.hooks = &screen_hooks, .no_color = true};
	f->app = app_new(f->loop, &opt, &err);
	if (!f->app)
		return -1;
	f->dump = app_dump_open(f->app, 24, 80, &err);
	if (!f->dump) {
		fprintf(stderr, "%s\n", err.text);
		return -1;
	}
	app_push(f->app, app_home_view(f->app), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	while (f->app->depth > 0)
		app_pop(f->app);
	app_dump_close(f->dump);
	app_free(f->app);
	loop_free(f->loop);
	free(f);
	return 0;
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = calloc(1, DUMP_MAX + 1);
	size_t n = fread(buf, 1, DUMP_MAX, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Text against golden/<name>.txt; got is freed. */
static void assert_golden_text(char *got, const char *name)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s.txt", GOLDEN_DIR, name);
	const char *update = getenv("KASSA_GOLDEN_UPDATE");
	if (update && strcmp(update, "1") == 0) {
		FILE *fp = fopen(path, "wb");
		assert_non_null(fp);
		fputs(got, fp);
		fclose(fp);
	}
	char *want = read_all(path);
	if (!want)
		fail_msg("%s: missing; run with KASSA_GOLDEN_UPDATE=1 to write it", path);
	if (strcmp(got, want) != 0) {
		/* The first line that differs, both ways, then the whole screen. */
		const char *g = got, *w = want;
		int line = 1;
		while (*g && *w) {
			size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
			if (gl != wl || memcmp(g, w, gl) != 0)
				break;
			g += gl + (g[gl] != '\0');
			w += wl + (w[wl] != '\0');
			line++;
		}
		print_error("%s: line %d differs\n  want: %.*s\n  got:  %.*s\n--- screen ---\n%s",
			    path, line, (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g, got);
		free(want);
		free(got);
		fail();
	}
	free(want);
	free(got);
}

/* The dump of the screen now against golden/<name>.txt. */
static void assert_golden(struct fixture *f, const char *name)
{
	char *got = malloc(DUMP_MAX);
	app_dump_text(f->dump, got, DUMP_MAX);
	assert_golden_text(got, name);
}

static const struct catalog_item *item(const struct app *app, const char *code)
{
	size_t count = 0;
	const struct catalog_item *it = entry_lookup(app->catalog, app->catalog_n, code, &count);
	assert_non_null(it);
	return it;
}

/* Two lines in the basket, as the cashier would have them before paying. */
static void fill_basket(struct app *app)
{
	sale_add_item(app, item(app, "1001"), 0);
	sale_add_item(app, item(app, "1002"), 2 * QTY_ONE);
}

static void view_sale__empty__matches_golden(void **state)
{
	struct fixture *f = *state;
	assert_golden(f, "sale_empty");
}

static void view_sale__two_lines__matches_golden(void **state)
{
	struct fixture *f = *state;
	fill_basket(f->app);
	assert_golden(f, "sale_basket");
}

static void view_pay__receipt__matches_golden(void **state)
{
	struct fixture *f = *state;
	fill_basket(f->app);
	app_push(f->app, &view_pay, DOC_RECEIPT);
	assert_golden(f, "pay");
}

static void view_help__over_sale__matches_golden(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_help, 0);
	assert_golden(f, "help");
}

/* The end of the help: marked goods, corrections and the command line (issue 15). */
static void view_help__scrolled_to_the_end__matches_golden(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_help, 0);
	char *scratch = malloc(DUMP_MAX);
	for (int i = 0; i < 10; i++) {
		app_dump_text(f->dump, scratch,
			      DUMP_MAX); /* drawn between keys, as on a terminal */
		app_dispatch_key(f->app, KEYS_SPECIAL + KEY_NPAGE);
	}
	free(scratch);
	assert_golden(f, "help_end");
}

static void view_shift__no_engine__matches_golden(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_shift, 0);
	assert_golden(f, "shift");
}

static void view_find__whole_catalog__matches_golden(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_find, 0);
	assert_golden(f, "find");
}

/* ---- marked goods (FFD 1.2) in the journal: the detail screen and the preview ---- */

/* A cigarette pack's code as the scanner keeps it: GS between groups, a long crypto tail. */
#define GOLDEN_CODE                                                                                \
	"0104600266011725215Mgc7bQ2xLk9\x1d"                                                       \
	"91EE06\x1d"                                                                               \
	"92Yx3nR6vQ9sLk2Pz8TwHf4JcA7mEoUiBnXgDy5KqVr1Sa0bZc=="

static int64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1705312800000LL; /* 2024-01-15 10:00:00 UTC */
}

struct marked_fx {
	char dir[64];
	struct engine *e;
	int64_t id;
	char *body;
};

/* A training engine with one journal document: a marked pack and a loaf, sent on FFD 1.2. */
static void marked_setup(struct fixture *f, struct marked_fx *m)
{
	str_copy(m->dir, "/tmp/kassa-golden-XXXXXX", sizeof m->dir);
	assert_non_null(mkdtemp(m->dir));
	m->e = calloc(1, sizeof *m->e);
	snprintf(m->e->journal_path, sizeof m->e->journal_path, "%s/journal.db", m->dir);
	struct kerr err = {0};
	assert_int_equal(journal_open(m->e->journal_path, &m->e->journal, &err), K_OK);
	journal_set_clock(m->e->journal, fixed_clock, NULL);
	m->e->training = true;
	m->e->profile.paper_width = 42;
	f->app->engine = m->e;

	struct document d;
	document_init(&d, DOC_RECEIPT);
	d.ffd12 = true;
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, "Сигареты «Пример» синие", sizeof l.name);
	l.price = 21900;
	l.qty = QTY_ONE;
	l.object = 31;
	str_copy(l.marking, GOLDEN_CODE, sizeof l.marking);
	assert_int_equal(basket_add(&d.basket, &l, NULL), K_OK);
	basket_line_init(&l);
	str_copy(l.name, "Хлеб белый", sizeof l.name);
	l.price = 4550;
	l.qty = QTY_ONE;
	assert_int_equal(basket_add(&d.basket, &l, NULL), K_OK);
	d.pay.cash.kind = PAY_REMAINDER;
	str_copy(d.ext_id, "golden-marked-0001", sizeof d.ext_id);
	m->body = wire_lifepay_request_text(&d, NULL);
	struct journal_new_doc nd = {.profile = "training",
				     .provider = KPROVIDER_LIFEPAY,
				     .kind = "receipt",
				     .type = "payment",
				     .ext_id = d.ext_id,
				     .body = m->body,
				     .total = d.basket.total,
				     .cash = d.basket.total};
	assert_int_equal(journal_enqueue(m->e->journal, &nd, &m->id, &err), K_OK);
	document_free(&d);
}

static void marked_teardown(struct fixture *f, struct marked_fx *m)
{
	while (f->app->depth > 1)
		app_pop(f->app);
	f->app->engine = NULL;
	journal_close(m->e->journal);
	free(m->e);
	free(m->body);
	char path[128];
	snprintf(path, sizeof path, "%s/journal.db", m->dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/journal.db.lock", m->dir);
	unlink(path);
	rmdir(m->dir);
}

static void view_detail__marked_receipt__code_shortened_at_80_full_when_wide(void **state)
{
	struct fixture *f = *state;
	struct marked_fx m;
	marked_setup(f, &m);
	status_open_detail(f->app, m.id);
	assert_golden(f, "detail_marked");
	/* A wide screen shows the whole code. */
	app_dump_close(f->dump);
	struct kerr err = {0};
	f->dump = app_dump_open(f->app, 24, 132, &err);
	assert_non_null(f->dump);
	assert_golden(f, "detail_marked_wide");
	marked_teardown(f, &m);
}

static void preview_render__marked_receipt__matches_golden(void **state)
{
	struct fixture *f = *state;
	struct marked_fx m;
	marked_setup(f, &m);
	struct preview_lines pv;
	struct preview_meta meta = {.mode = PREVIEW_TRAINING, .width = 42, .state = "queued"};
	struct kerr err = {0};
	struct document d;
	document_init(&d, DOC_RECEIPT);
	if (wire_lifepay_parse_request(m.body, strlen(m.body), DOC_RECEIPT, &d, NULL, &err) !=
		K_OK ||
	    preview_render(&d, &meta, &pv, &err) != K_OK)
		fail_msg("preview: %s: %s", err.field, err.text);
	document_free(&d);
	char *got = calloc(1, DUMP_MAX);
	size_t o = 0;
	for (size_t i = 0; i < pv.n; i++)
		o += (size_t)snprintf(got + o, DUMP_MAX - o, "%s\n", pv.lines[i]);
	preview_lines_free(&pv);
	assert_golden_text(got, "preview_marked");
	marked_teardown(f, &m);
}

/* Screens are instances: help over pay over help keeps each one's own state. */
static void app_push__same_view_twice__own_state_each(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_help, 0);
	void *first = app_view_state(f->app, &view_help);
	assert_non_null(first);
	fill_basket(f->app);
	app_push(f->app, &view_find, 0);
	app_push(f->app, &view_help, 0);
	void *second = app_view_state(f->app, &view_help);
	assert_non_null(second);
	assert_ptr_not_equal(first, second);
	app_pop(f->app);
	assert_ptr_equal(app_view_state(f->app, &view_help), first);
	app_pop(f->app);
	app_pop(f->app);
	assert_null(app_view_state(f->app, &view_help));
}

/* A scan goes to the screen on top: the pay dialog takes one more item, help sends back. */
static void scanner_take_code__pay_on_top__joins_the_basket_being_paid(void **state)
{
	struct fixture *f = *state;
	fill_basket(f->app);
	app_push(f->app, &view_pay, DOC_RECEIPT);
	assert_true(scanner_take_code(f->app, "1006"));
	assert_int_equal(f->app->basket.n, 3);
	assert_non_null(strstr(f->app->msg, "added to the basket; total now 693.70"));
	assert_golden(f, "pay_scanned");
}

static void scanner_take_code__help_on_top__says_back_to_the_sale(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_help, 0);
	assert_true(scanner_take_code(f->app, "1006"));
	assert_int_equal(f->app->basket.n, 0);
	assert_non_null(strstr(f->app->msg, "back to the sale (Esc) to add it"));
}

/* A screen whose Up changes nothing and whose Down moves something. */
static int probe_handle(struct app *app, enum action a, int key)
{
	(void)app;
	(void)key;
	if (a == ACT_UP)
		return APP_HANDLED;
	if (a == ACT_DOWN)
		return APP_HANDLED | APP_REDRAW;
	return APP_UNHANDLED;
}

static const enum action probe_footer[] = {ACT_NONE};

static const struct view_ops view_probe = {
    .name = "probe",
    .title = "Probe",
    .footer = probe_footer,
    .handle = probe_handle,
};

static void app_dispatch_key__handled_without_redraw__leaves_screen_clean(void **state)
{
	struct fixture *f = *state;
	app_push(f->app, &view_probe, 0);
	f->app->dirty = false;
	app_dispatch_key(f->app, KEYS_SPECIAL + KEY_UP);
	assert_false(f->app->dirty);
	app_dispatch_key(f->app, KEYS_SPECIAL + KEY_DOWN);
	assert_true(f->app->dirty);
	/* A key no one took types into the input line: that is drawn. */
	f->app->dirty = false;
	app_dispatch_key(f->app, 'x');
	assert_true(f->app->dirty);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	setlocale(LC_ALL, "C.UTF-8");
	unsetenv("LANGUAGE");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(view_sale__empty__matches_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_sale__two_lines__matches_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_pay__receipt__matches_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_help__over_sale__matches_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_help__scrolled_to_the_end__matches_golden, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(view_shift__no_engine__matches_golden, setup, teardown),
	    cmocka_unit_test_setup_teardown(view_find__whole_catalog__matches_golden, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		view_detail__marked_receipt__code_shortened_at_80_full_when_wide, setup, teardown),
	    cmocka_unit_test_setup_teardown(preview_render__marked_receipt__matches_golden, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		scanner_take_code__pay_on_top__joins_the_basket_being_paid, setup, teardown),
	    cmocka_unit_test_setup_teardown(scanner_take_code__help_on_top__says_back_to_the_sale,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(app_push__same_view_twice__own_state_each, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		app_dispatch_key__handled_without_redraw__leaves_screen_clean, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
