/*
 * The cashier's screen put together: which views exist (one table, the
 * home screen first), and how the scanner, the saved basket and the status
 * pane plug into the app. app.c knows none of them; this file is the only
 * one that includes the app, the views, the scanner and the basket store
 * together.
 */
#include <stdio.h>
#include <string.h>

#include "screen.h"

#include "app.h"
#include "basket_store.h"
#include "i18n.h"
#include "loop.h"
#include "scanner.h"
#include "views/shift.h"
#include "views/status.h"
#include "views/views.h"

/* Every screen, the home screen first (F-keys and app_find_view() look here). */
static const struct view_ops *const screen_views[] = {
    &view_sale,	  &view_pay,   &view_help,    &view_find,     &view_status,
    &view_refund, &view_shift, &view_journal, &view_settings, &view_detail,
    &view_settle, &view_bill,  NULL,
};

static void on_screen_start(struct app *app, app_dispatch_fn dispatch)
{
	scanner_start(app, dispatch); /* also loads the profile's catalog file */
}

static void on_screen_resume(struct app *app)
{
	basket_store_start(app); /* a basket saved before a crash comes back */
}

static void on_screen_stop(struct app *app)
{
	basket_store_stop(app);
	scanner_stop(app);
}

static void usage(FILE *f)
{
	fprintf(f, "%s",
		_("usage: kassa [--theme NAME|FILE] [--no-color] [--keys FILE]\n"
		  "  --theme NAME   colour theme: default, dark, high-contrast, mono or a file\n"
		  "  --no-color     monochrome (also when NO_COLOR is set)\n"
		  "  --keys FILE    key bindings, one `bind <screen> <key> <action>` a line\n"));
}

const struct app_hooks screen_hooks = {
    .views = screen_views,
    .start = on_screen_start,
    .resume = on_screen_resume,
    .stop = on_screen_stop,
    .key = scanner_feed,
    .drawn = basket_store_sync,
    .recall = basket_store_recall,
    .pane_width = status_pane_width,
    .pane_draw = status_pane_draw,
};

int app_main_with(int argc, char **argv, app_setup_fn setup, void *cls)
{
	app_i18n_init();
	struct app_options opt = {.hooks = &screen_hooks};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--theme") == 0 && i + 1 < argc) {
			opt.theme = argv[++i];
		} else if (strncmp(a, "--theme=", 8) == 0) {
			opt.theme = a + 8;
		} else if (strcmp(a, "--keys") == 0 && i + 1 < argc) {
			opt.keys = argv[++i];
		} else if (strncmp(a, "--keys=", 7) == 0) {
			opt.keys = a + 7;
		} else if (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0) {
			opt.no_color = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, _("kassa: unknown option '%s'\n"), a);
			usage(stderr);
			return 2;
		}
	}
	struct loop *loop = loop_new();
	struct kerr err = {0};
	struct app *app = app_new(loop, &opt, &err);
	if (!app) {
		fprintf(stderr, "kassa: %s\n", err.text);
		loop_free(loop);
		return 1;
	}
	app->theme_no_color = opt.no_color;
	if (setup && setup(app, cls, &err) != K_OK) {
		char buf[400];
		fprintf(stderr, "kassa: %s\n", kerr_str(&err, buf, sizeof buf));
		app_free(app);
		loop_free(loop);
		return 1;
	}
	int rc = app_run(app);
	if (app->teardown)
		app->teardown(app);
	app_free(app);
	loop_free(loop);
	return rc;
}
