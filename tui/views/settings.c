/*
 * The settings screen (F12): the profile in use and the others, test mode,
 * the printer, the theme, the account check and the catalog file. Changes
 * to a configured profile are written back to config.ini (comments kept,
 * lib/config_save.h) and the engine restarts with them at once
 * (tui/engine_switch.h); the training profile changes for this run only.
 * Secrets are shown masked, never in full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_save.h"
#include "engine.h"
#include "engine_switch.h"
#include "i18n.h"
#include "listener_cert.h"
#include "net.h"
#include "prefs.h"
#include "provider.h"
#include "scanner.h"
#include "util.h"
#include "views/views.h"

enum item { IT_PROFILE, IT_TEST, IT_PRINTER, IT_THEME, IT_CHECK, IT_CATALOG, IT_COUNT };
enum settings_mode { SM_LIST, SM_PRINTER, SM_CONFIRM };

static const char *const themes[] = {"default", "dark", "high-contrast", "mono"};
#define NTHEMES (sizeof themes / sizeof themes[0])

struct settings_state {
	enum settings_mode mode;
	int sel;
	int choice; /* profile: 0 = training, 1.. = config profiles */
	int theme;
	bool problems; /* the catalog's problems are listed */
	/* The account check. */
	struct net *net;
	bool checking;
	char check[1400];
	enum ui_role check_role;
	char check_profile[CONFIG_NAME_MAX];
};

/* This screen's instance on the stack (app_push() allocates it). */
static struct settings_state *settings_of(const struct app *app)
{
	return app_view_state(app, &view_settings);
}

static const enum action settings_footer[] = {ACT_HELP, ACT_SETTINGS, ACT_BACK, ACT_QUIT, ACT_NONE};

static int nchoices(const struct engine *e)
{
	return 1 + (e && e->config ? (int)e->config->nprofiles : 0);
}

static const char *choice_name(const struct engine *e, int i)
{
	return i == 0 ? _("training") : e->config->profiles[i - 1].name;
}

static int current_choice(const struct engine *e)
{
	if (!e || e->training)
		return 0;
	for (int i = 1; i < nchoices(e); i++)
		if (strcmp(e->config->profiles[i - 1].name, e->profile.name) == 0)
			return i;
	return 0;
}

static void settings_prompt(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	char p[300];
	app->keyview = NULL;
	switch (sg->mode) {
	case SM_LIST:
		app_input(app, _("Up/Down choose · Left/Right change · Enter applies · Esc: back"),
			  "");
		app_input_enable(app, false);
		return;
	case SM_PRINTER:
		app_input(app, _("Printer (target_serial; Tab completes):"),
			  e ? e->profile.target_serial : "");
		return;
	case SM_CONFIRM:
		if (app->status.outbox_depth > 0)
			snprintf(
			    p, sizeof p,
			    _("%d documents wait in the outbox; they are sent when %s runs again. "
			      "Switch to %s? (y/n)"),
			    app->status.outbox_depth, e->profile.name, choice_name(e, sg->choice));
		else
			snprintf(p, sizeof p, _("Switch to profile %s? The basket stays. (y/n)"),
				 choice_name(e, sg->choice));
		app_input(app, p, "");
		app->keyview = "confirm";
		app_input_enable(app, false);
		return;
	}
}

static void set_mode(struct app *app, enum settings_mode m)
{
	struct settings_state *sg = settings_of(app);
	sg->mode = m;
	settings_prompt(app);
}

static void settings_open(struct app *app, int arg)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	if (arg >= 0) {
		sg->mode = SM_LIST;
		sg->sel = 0;
		sg->problems = false;
		sg->choice = current_choice(e);
		sg->theme = 0;
		for (size_t i = 0; i < NTHEMES; i++)
			if (strcmp(app->theme.name, themes[i]) == 0)
				sg->theme = (int)i;
	}
	settings_prompt(app);
}

static void settings_close(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	net_free(sg->net);
	sg->net = NULL;
	sg->checking = false;
}

/* ---- applying ---- */

static void apply_theme(struct app *app, const char *name, bool quiet)
{
	char path[1200];
	struct kerr err = {0};
	struct theme t;
	theme_defaults(&t);
	if (theme_find(name, app->exe_dir, path, sizeof path, &err) != K_OK ||
	    theme_load_file(&t, path, &err) != K_OK) {
		if (!quiet)
			app_refuse(app, &err);
		return;
	}
	app->theme = t;
	theme_apply(&app->theme, app->theme_no_color);
	clearok(curscr, TRUE);
	app_redraw(app);
}

/* After the engine restarted: what comes with a profile. */
static void after_switch(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	if (e->training)
		prefs_training_theme_load(e->profile.theme, sizeof e->profile.theme);
	if (e->profile.theme[0])
		apply_theme(app, e->profile.theme, true);
	scanner_catalog_reload(app);
	sg->choice = current_choice(e);
	sg->check[0] = '\0';
}

/* Writes key = value into the running profile's section, then restarts with it. */
static void change_profile(struct app *app, const char *key, const char *value)
{
	struct engine *e = engine_of(app);
	struct kerr err = {0};
	kstatus st;
	if (e->training) {
		struct config_profile *p = xcalloc(1, sizeof *p);
		*p = e->profile;
		if (strcmp(key, "test") == 0)
			p->test = strcmp(value, "1") == 0;
		else
			str_copy(p->target_serial, value, sizeof p->target_serial);
		st = engine_switch_apply(e, p, &err);
		explicit_bzero(p, sizeof *p);
		free(p);
	} else {
		struct config_change ch = {key, value};
		char name[CONFIG_NAME_MAX];
		str_copy(name, e->profile.name, sizeof name);
		st = config_save_profile(NULL, name, &ch, 1, &err);
		if (st == K_OK)
			st = engine_switch_profile(e, name, false, &err);
	}
	if (st != K_OK) {
		app_refuse(app, &err);
		return;
	}
	after_switch(app);
	if (strcmp(key, "test") == 0)
		app_message(app, UI_MESSAGE_INFO, "%s",
			    e->profile.test ? _("Test mode on: documents are checked, nothing is "
						"fiscalized (TEST)")
					    : _("Test mode off"));
	else
		app_message(app, UI_MESSAGE_INFO, _("Printer %s"), e->profile.target_serial);
}

static void switch_profile(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	struct kerr err = {0};
	bool training = sg->choice == 0;
	char name[CONFIG_NAME_MAX] = "";
	if (!training)
		str_copy(name, e->config->profiles[sg->choice - 1].name, sizeof name);
	if (engine_switch_profile(e, training ? NULL : name, training, &err) != K_OK) {
		char t[400];
		app_message(app, UI_MESSAGE_ERROR, _("Not switched: %s"),
			    kerr_str(&err, t, sizeof t));
		sg->choice = current_choice(e);
		return;
	}
	after_switch(app);
	app_message(app, UI_MESSAGE_INFO, _("Profile %s is in use now"),
		    training ? _("training") : e->profile.name);
}

/* ---- the account check ---- */

static void on_check(void *cls, const struct net_result *res)
{
	struct app *app = cls;
	struct settings_state *sg = settings_of(app);
	if (!sg)
		return; /* the screen closed: its check was cancelled with it */
	struct engine *e = engine_of(app);
	sg->checking = false;
	bool ok = e && provider_check_verdict(&e->profile, res, sg->check, sizeof sg->check);
	sg->check_role = ok ? UI_MESSAGE_INFO : UI_MESSAGE_ERROR;
	app_redraw(app);
}

static void run_check(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	if (!e) {
		app_message(app, UI_MESSAGE_ERROR, "%s", _("No delivery engine: nothing is sent."));
		return;
	}
	if (sg->checking)
		return;
	net_free(sg->net);
	sg->net = net_new(app->loop, NULL);
	const struct config_profile *p = &e->profile;
	struct net_job *job = provider_check_account(sg->net, p, on_check, app, NULL, 0, NULL);
	if (!job) {
		snprintf(sg->check, sizeof sg->check, "%s", _("The request could not be made"));
		sg->check_role = UI_MESSAGE_ERROR;
		return;
	}
	sg->checking = true;
	str_copy(sg->check_profile, p->name, sizeof sg->check_profile);
	snprintf(sg->check, sizeof sg->check, "%s",
		 _("Asking the provider (a test request: nothing is fiscalized)…"));
	sg->check_role = UI_HELP_TEXT;
}

/* ---- keys ---- */

static const char *settings_complete(struct app *app, const char *text, size_t index)
{
	struct settings_state *sg = settings_of(app);
	static const char *cands[40];
	static size_t n;
	struct engine *e = engine_of(app);
	if (sg->mode != SM_PRINTER || !e)
		return NULL;
	if (index == 0) {
		n = 0;
		static const char *const sandbox[] = {CONFIG_TRAINING_PRINTER, "SANDBOX-0002"};
		for (size_t i = 0; i < 2 && e->training; i++)
			if (text_starts_with(sandbox[i], text))
				cands[n++] = sandbox[i];
		for (size_t i = 0; e->config && i < e->config->nprofiles && n < 40; i++) {
			const char *s = e->config->profiles[i].target_serial;
			bool dup = !s[0] || !text_starts_with(s, text);
			for (size_t j = 0; j < n && !dup; j++)
				dup = strcmp(cands[j], s) == 0;
			if (!dup)
				cands[n++] = s;
		}
	}
	return index < n ? cands[index] : NULL;
}

static int settings_line(struct app *app, const char *text)
{
	struct settings_state *sg = settings_of(app);
	if (sg->mode != SM_PRINTER)
		return APP_HANDLED | APP_REDRAW;
	char buf[256];
	str_copy(buf, text, sizeof buf);
	char *s = str_trim(buf);
	struct kerr err = {0};
	if (prefs_serial_check(s, _("printer"), &err) != K_OK) {
		/* What was typed stays on the line to be fixed. */
		app_refuse(app, &err);
		app_input(app, NULL, text);
		return APP_HANDLED | APP_REDRAW;
	}
	set_mode(app, SM_LIST);
	change_profile(app, "target_serial", s);
	return APP_HANDLED | APP_REDRAW;
}

static void enter(struct app *app)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	if (!e) {
		app_message(app, UI_MESSAGE_ERROR, "%s", _("No delivery engine: nothing is sent."));
		return;
	}
	switch (sg->sel) {
	case IT_PROFILE:
		if (sg->choice == current_choice(e))
			app_message(app, UI_MESSAGE_INFO, "%s",
				    _("That profile is in use; Left/Right chooses another"));
		else
			set_mode(app, SM_CONFIRM);
		return;
	case IT_TEST:
		if (!provider_can(e->profile.provider, PROVIDER_CAP_TEST_MODE)) {
			app_message(app, UI_MESSAGE_ERROR,
				    _("%s has no test mode; use the training profile"),
				    provider_get(e->profile.provider)->name);
			return;
		}
		change_profile(app, "test", e->profile.test ? "0" : "1");
		return;
	case IT_PRINTER:
		set_mode(app, SM_PRINTER);
		return;
	case IT_THEME:
		apply_theme(app, themes[sg->theme], false);
		if (e->training) {
			/* No config section to write to: kept in the data directory. */
			struct kerr err = {0};
			if (prefs_training_theme_save(themes[sg->theme], &err) != K_OK) {
				char why[400];
				app_message(app, UI_MESSAGE_ERROR,
					    _("Theme %s for this run only: %s"), themes[sg->theme],
					    kerr_str(&err, why, sizeof why));
				return;
			}
			str_copy(e->profile.theme, themes[sg->theme], sizeof e->profile.theme);
			app_message(app, UI_MESSAGE_INFO,
				    _("Theme %s, kept for training (also after a restart)"),
				    themes[sg->theme]);
			return;
		} else {
			struct config_change ch = {"theme", themes[sg->theme]};
			struct kerr err = {0};
			if (config_save_profile(NULL, e->profile.name, &ch, 1, &err) != K_OK) {
				app_refuse(app, &err);
				return;
			}
			str_copy(e->profile.theme, themes[sg->theme], sizeof e->profile.theme);
		}
		app_message(app, UI_MESSAGE_INFO, _("Theme %s"), themes[sg->theme]);
		return;
	case IT_CHECK:
		run_check(app);
		return;
	case IT_CATALOG:
		sg->problems = !sg->problems;
		return;
	}
}

static int settings_handle(struct app *app, enum action a, int key)
{
	struct settings_state *sg = settings_of(app);
	(void)key;
	struct engine *e = engine_of(app);
	switch (a) {
	case ACT_UP:
	case ACT_DOWN:
		if (sg->mode == SM_LIST)
			sg->sel = (sg->sel + (a == ACT_UP ? IT_COUNT - 1 : 1)) % IT_COUNT;
		return APP_HANDLED | APP_REDRAW;
	case ACT_OPTION_NEXT:
	case ACT_OPTION_PREV: {
		if (sg->mode != SM_LIST)
			return APP_UNHANDLED;
		int step = a == ACT_OPTION_NEXT ? 1 : -1;
		if (sg->sel == IT_PROFILE && e)
			sg->choice = (sg->choice + nchoices(e) + step) % nchoices(e);
		else if (sg->sel == IT_THEME)
			sg->theme = (sg->theme + (int)NTHEMES + step) % (int)NTHEMES;
		return APP_HANDLED | APP_REDRAW;
	}
	case ACT_CONFIRM:
		if (sg->mode == SM_CONFIRM) {
			set_mode(app, SM_LIST);
			switch_profile(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_REFUSE:
		if (sg->mode == SM_CONFIRM) {
			sg->choice = current_choice(e);
			app_message(app, UI_MESSAGE_INFO, "%s", _("The profile stays as it was"));
			set_mode(app, SM_LIST);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_BACK:
		if (sg->mode != SM_LIST) {
			sg->choice = current_choice(e);
			set_mode(app, SM_LIST);
		} else {
			app_pop(app);
		}
		return APP_HANDLED | APP_REDRAW;
	case ACT_SETTINGS:
		app_pop(app);
		return APP_HANDLED | APP_REDRAW;
	case ACT_SEND:
		/* Enter on the list (the input line is off there); else readline takes it. */
		if (sg->mode != SM_LIST)
			return APP_UNHANDLED;
		enter(app);
		return APP_HANDLED | APP_REDRAW;
	default:
		return app_sale_action_elsewhere(app, a, "F12");
	}
}

/* ---- drawing ---- */

static void row(WINDOW *w, int y, int cols, bool on, const char *label, const char *value,
		enum ui_role vrole)
{
	enum ui_role role = on ? UI_DIALOG_FOCUS : UI_DIALOG_LABEL;
	app_put(w, y, 0, 2, TEXT_LEFT, on ? "▸" : " ", role);
	app_put(w, y, 2, 18, TEXT_LEFT, label, role);
	app_put(w, y, 21, cols - 22, TEXT_LEFT, value, on ? UI_DIALOG_FOCUS : vrole);
}

static void settings_draw(struct app *app, WINDOW *w, int rows, int cols)
{
	struct settings_state *sg = settings_of(app);
	struct engine *e = engine_of(app);
	char buf[700];
	wattrset(w, (int)theme_attr(UI_TITLE));
	mvwhline(w, 0, 0, ' ', cols);
	app_put(w, 0, 1, cols - 2, TEXT_LEFT, _("Settings"), UI_TITLE);
	if (!e) {
		app_put(w, 2, 1, cols - 2, TEXT_LEFT, _("No delivery engine: nothing is sent."),
			UI_HELP_TEXT);
		return;
	}
	const struct config_profile *p = &e->profile;
	int y = 2;
	snprintf(buf, sizeof buf, "◂ %s ▸%s", choice_name(e, sg->choice),
		 sg->choice == current_choice(e) ? _("  (in use)") : _("  Enter switches"));
	row(w, y++, cols, sg->sel == IT_PROFILE, _("Profile"), buf, UI_DIALOG_VALUE);
	snprintf(buf, sizeof buf, "%s",
		 p->test ? _("TEST: the provider checks documents, nothing is fiscalized")
			 : _("off (Enter turns it on)"));
	row(w, y++, cols, sg->sel == IT_TEST, _("Test mode"), buf,
	    p->test ? UI_STATUS_TEST : UI_DIALOG_VALUE);
	row(w, y++, cols, sg->sel == IT_PRINTER, _("Printer"),
	    p->target_serial[0] ? p->target_serial : "—", UI_DIALOG_VALUE);
	snprintf(buf, sizeof buf, "◂ %s ▸", themes[sg->theme]);
	row(w, y++, cols, sg->sel == IT_THEME, _("Theme"), buf, UI_DIALOG_VALUE);
	row(w, y++, cols, sg->sel == IT_CHECK, _("Account check"),
	    sg->check[0] ? sg->check : _("Enter sends a test request"),
	    sg->check[0] ? sg->check_role : UI_HELP_TEXT);
	scanner_catalog_summary(buf, sizeof buf);
	row(w, y++, cols, sg->sel == IT_CATALOG, _("Catalog"), buf,
	    scanner_catalog_problems() ? UI_STATUS_WARN : UI_DIALOG_VALUE);
	y++;
	/* The account check's answer is what support needs word for word: all of it. */
	if (sg->check[0] && text_width(sg->check) > cols - 22)
		y += app_put_wrapped(w, y, 2, cols - 4, 4, sg->check, sg->check_role) + 1;
	if (sg->problems && sg->sel == IT_CATALOG) {
		size_t n = scanner_catalog_problems();
		if (n == 0)
			app_put(w, y++, 2, cols - 4, TEXT_LEFT, _("No refused rows."),
				UI_HELP_TEXT);
		for (size_t i = 0; i < n && y < rows; i++)
			app_put(w, y++, 2, cols - 4, TEXT_LEFT, scanner_catalog_problem(i),
				UI_TEXT);
		return;
	}
	/* The profile as it runs; secrets masked. */
	app_put(w, y++, 2, cols - 4, TEXT_LEFT, _("The profile in use"), UI_TABLE_HEADER);
	const struct provider_ops *ops = provider_get(p->provider);
	const char *prov = provider_word(p->provider);
	char listen[CONFIG_URL_MAX + 64];
	if (p->relay_url[0]) {
		/* The address only: the relay token is a secret. */
		snprintf(listen, sizeof listen, _("through kassa-relay %s"), p->relay_url);
	} else {
		char where[128];
		config_listen_str(p, where, sizeof where);
		snprintf(listen, sizeof listen,
			 p->listen_cert[0] ? _("listener %s (HTTPS)") : _("listener %s"), where);
	}
	struct {
		const char *k;
		const char *v;
	} lines[] = {
	    {_("provider"), prov},
	    {_("address"), p->base_url},
	    {_(ops->cred.user_label), provider_user(p)},
	    {_(ops->cred.secret_label), config_mask(provider_secret(p))},
	    {_("callbacks"), listen},
	    {_("card terminal"), p->pos_terminal ? _("yes (refunds may go through it)") : _("no")},
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0] && y < rows; i++) {
		app_put(w, y, 4, 16, TEXT_LEFT, lines[i].k, UI_DIALOG_LABEL);
		app_put(w, y++, 21, cols - 22, TEXT_LEFT, lines[i].v[0] ? lines[i].v : "—",
			UI_TEXT);
	}
	/* The listener's certificate as the provider will judge it. */
	struct listener_cert_report cr;
	if (!p->relay_url[0] &&
	    listener_cert_check(p->listen_cert, p->public_url, time(NULL), &cr)) {
		const char *why[] = {cr.host, cr.validity};
		for (size_t i = 0; i < 2 && y < rows; i++)
			if (why[i][0])
				y += app_put_wrapped(w, y, 4, cols - 6, 3, why[i], UI_STATUS_WARN);
	}
	if (y < rows) {
		snprintf(buf, sizeof buf,
			 dngettext(GETTEXT_PACKAGE, "%d column", "%d columns",
				   (unsigned long)p->paper_width),
			 p->paper_width);
		app_put(w, y, 4, 16, TEXT_LEFT, _("paper"), UI_DIALOG_LABEL);
		app_put(w, y++, 21, cols - 22, TEXT_LEFT, buf, UI_TEXT);
	}
}

const struct view_ops view_settings = {
    .state_size = sizeof(struct settings_state),
    .name = "settings",
    .title = N_("Settings"),
    .footer = settings_footer,
    .open = settings_open,
    .draw = settings_draw,
    .handle = settings_handle,
    .close = settings_close,
    .line = settings_line,
    .complete = settings_complete,
};
