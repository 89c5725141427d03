/*
 * The bars around the screen's body (tui/app_bars.c, beside app.c): the
 * status bar at the top and the footer of keys at the bottom.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "app_bars.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

/* The status bar. */
struct seg {
	char text[96];
	enum ui_role role;
	int drop; /* 0: always shown; else the higher, the sooner it gives way */
};

static void shift_segment(const struct app_status *s, struct seg *g)
{
	g->role = UI_STATUS_BAR;
	if (!s->engine) {
		snprintf(g->text, sizeof g->text, "%s", _("shift —"));
	} else if (s->shift_opening) {
		/* Not open until the provider says so. */
		snprintf(g->text, sizeof g->text, "%s", _("shift opening…"));
		g->role = UI_STATUS_WARN;
	} else if (s->shift_unknown) {
		snprintf(g->text, sizeof g->text, "%s", _("shift unknown"));
	} else if (!s->shift_open) {
		snprintf(g->text, sizeof g->text, "%s", _("shift closed"));
	} else {
		long long age = (now_ms() - s->shift_opened_ms) / 60000;
		if (age < 0)
			age = 0;
		if (age >= 23 * 60) {
			g->role = UI_STATUS_WARN;
			snprintf(g->text, sizeof g->text, _("shift %lldh%02lldm: close it!"),
				 age / 60, age % 60);
		} else {
			snprintf(g->text, sizeof g->text, _("shift %lldh%02lldm"), age / 60,
				 age % 60);
		}
	}
}

void app_draw_status(struct app *app)
{
	WINDOW *w = app->w_status;
	const struct app_status *s = &app->status;
	struct seg segs[8];
	int n = 0;
	memset(segs, 0, sizeof segs);
	static const char *const modes[] = {N_("TRAINING"), N_("TEST"), N_("LIVE")};
	static const enum ui_role mode_roles[] = {UI_STATUS_TRAINING, UI_STATUS_TEST,
						  UI_STATUS_LIVE};
	if (s->mode == APP_MODE_TRAINING && s->test)
		snprintf(segs[n].text, sizeof segs[n].text, " %s · %s ", _(modes[s->mode]),
			 _(modes[APP_MODE_TEST]));
	else
		snprintf(segs[n].text, sizeof segs[n].text, " %s ", _(modes[s->mode]));
	segs[n++].role = mode_roles[s->mode];
	if (s->engine && s->offline) {
		/* The provider cannot be reached: said at once, F9 tells why. */
		snprintf(segs[n].text, sizeof segs[n].text, " %s ", _("OFFLINE"));
		segs[n++].role = UI_MESSAGE_ERROR;
	}
	snprintf(segs[n].text, sizeof segs[n].text, "%s",
		 s->profile[0]			? s->profile
		 : s->mode == APP_MODE_TRAINING ? _("demo")
						: _("no profile"));
	segs[n].drop = 2;
	segs[n++].role = UI_STATUS_BAR;
	snprintf(segs[n].text, sizeof segs[n].text, _("printer %s"),
		 s->printer[0] ? s->printer : "—");
	segs[n].drop = 3;
	segs[n++].role = UI_STATUS_BAR;
	shift_segment(s, &segs[n++]);
	if (s->outbox_depth < 0)
		snprintf(segs[n].text, sizeof segs[n].text, "%s", _("outbox —"));
	else if (s->in_flight > 0)
		snprintf(segs[n].text, sizeof segs[n].text, _("outbox %d (%d sending)"),
			 s->outbox_depth, s->in_flight);
	else
		snprintf(segs[n].text, sizeof segs[n].text, _("outbox %d"), s->outbox_depth);
	segs[n].drop = 1;
	segs[n++].role = UI_STATUS_BAR;
	if (s->via_relay) /* "relay connected", "relay reconnecting since ..." */
		snprintf(segs[n].text, sizeof segs[n].text, "%s", s->listener);
	else
		snprintf(segs[n].text, sizeof segs[n].text, _("listener %s"),
			 s->listener[0] ? s->listener : "—");
	segs[n].drop = 4;
	segs[n++].role = s->listener[0] && !s->listener_ok ? UI_STATUS_WARN : UI_STATUS_BAR;

	werase(w);
	wbkgdset(w, ' ' | (chtype)theme_attr(UI_STATUS_BAR));
	wattrset(w, (int)theme_attr(UI_STATUS_BAR));
	mvwhline(w, 0, 0, ' ', app->cols);
	int clock_w = text_width(app->clock_text) + 2;
	int room = app->cols - clock_w;
	/* Drop the least needed parts first when the bar is too narrow. */
	bool shown[8];
	for (int i = 0; i < n; i++)
		shown[i] = true;
	for (int d = 4;; d--) {
		int total = 0;
		for (int i = 0; i < n; i++)
			if (shown[i])
				total += text_width(segs[i].text) + (i ? 3 : 1);
		if (total <= room || d <= 0)
			break;
		for (int i = 0; i < n; i++)
			if (segs[i].drop == d)
				shown[i] = false;
	}
	int x = 0;
	for (int i = 0; i < n && x < room; i++) {
		if (!shown[i])
			continue;
		if (i > 0) {
			app_put(w, 0, x, 3, TEXT_LEFT, " │ ", UI_STATUS_BAR);
			x += 3;
		}
		int tw = text_width(segs[i].text);
		if (tw > room - x)
			tw = room - x;
		app_put(w, 0, x, tw, TEXT_LEFT, segs[i].text, segs[i].role);
		x += tw;
	}
	app_put(w, 0, app->cols - clock_w, clock_w, TEXT_CENTER, app->clock_text, UI_STATUS_CLOCK);
}

const char *app_key_view(const struct app *app)
{
	const struct view_ops *top = app_top(app);
	return top ? top->name : KEYS_GENERIC;
}

/* Which footer keys give way first when the line is too narrow. */
static const enum action footer_drop_order[] = {
    ACT_SETTINGS,    ACT_JOURNAL,  ACT_NONFISCAL, ACT_SHIFT,  ACT_REFUND,
    ACT_DELETE_LINE, ACT_DISCOUNT, ACT_FIND,	  ACT_STATUS, ACT_QUIT,
    ACT_SEND_NOW,    ACT_PAY,	   ACT_HELP,
};

#define FOOTER_MAX 24

/*
 * The keys a destructive question names, as its "(y/n)" reads in the
 * cashier's language: "д" and "н" in Russian (both y and д answer yes).
 */
static void danger_key_name(enum action a, char *buf, size_t n)
{
	const char *yn = _("(y/n)");
	const char *slash = strchr(yn, '/');
	if (yn[0] != '(' || !slash || slash == yn + 1)
		return;
	const char *from = a == ACT_CONFIRM ? yn + 1 : slash + 1;
	size_t len = a == ACT_CONFIRM ? (size_t)(slash - from) : strcspn(from, ")");
	if (len == 0 || len >= n)
		return;
	memcpy(buf, from, len);
	buf[len] = '\0';
}

/*
 * The keys of the screen in one line: full labels when they fit, else the
 * short ones; if even those are too wide, the least needed keys give way
 * (F1 lists them all).
 */
void app_draw_footer(struct app *app)
{
	WINDOW *w = app->w_footer;
	werase(w);
	wbkgdset(w, ' ' | (chtype)theme_attr(UI_FOOTER_LABEL));
	const struct view_ops *top = app_top(app);
	static const enum action confirm_footer[] = {ACT_CONFIRM, ACT_REFUSE, ACT_HELP, ACT_NONE};
	static const enum action danger_footer[] = {ACT_CONFIRM, ACT_REFUSE, ACT_NONE};
	const enum action *acts = app->keyview ? confirm_footer : top ? top->footer : NULL;
	if (app->keyview && strcmp(app->keyview, APP_KEYVIEW_DANGER) == 0)
		acts = danger_footer; /* F1 would be a "no" too */
	struct {
		enum action a;
		char key[32];
		bool shown;
	} items[FOOTER_MAX];
	size_t n = 0;
	for (size_t i = 0; acts && acts[i] != ACT_NONE && n < FOOTER_MAX; i++) {
		/* "Send now" only when something waits. */
		if (acts[i] == ACT_SEND_NOW && app->status.outbox_depth <= 0)
			continue;
		int key =
		    app->keyview ? keymap_label_key(&app->keys, app->keyview, acts[i]) : KEYS_NONE;
		if (key == KEYS_NONE)
			key = keymap_label_key(&app->keys, app_key_view(app), acts[i]);
		if (key == KEYS_NONE)
			continue;
		items[n].a = acts[i];
		keys_key_name(key, items[n].key, sizeof items[n].key);
		if (acts == danger_footer)
			danger_key_name(acts[i], items[n].key, sizeof items[n].key);
		items[n].shown = true;
		n++;
	}
	/* The label keeps a space on each side so the footer reads without colour. */
	bool brief = false;
	for (size_t d = 0;;) {
		int need = 0;
		for (size_t i = 0; i < n; i++)
			if (items[i].shown)
				need += text_width(items[i].key) + 2 +
					text_width(brief ? action_short_label(items[i].a)
							 : action_label(items[i].a));
		if (need - 1 <= app->cols)
			break;
		if (!brief) {
			brief = true;
			continue;
		}
		if (d >= sizeof footer_drop_order / sizeof footer_drop_order[0])
			break;
		for (size_t i = 0; i < n; i++)
			if (items[i].a == footer_drop_order[d])
				items[i].shown = false;
		d++;
	}
	int x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!items[i].shown)
			continue;
		char label[96];
		snprintf(label, sizeof label, " %s ",
			 brief ? action_short_label(items[i].a) : action_label(items[i].a));
		int kw = text_width(items[i].key), lw = text_width(label);
		if (x + kw > app->cols)
			break;
		if (x + kw + lw == app->cols + 1) {
			label[strlen(label) - 1] =
			    '\0'; /* the last label needs no space after it */
			lw--;
		} else if (x + kw + lw > app->cols)
			lw = app->cols - x - kw;
		app_put(w, 0, x, kw, TEXT_LEFT, items[i].key, UI_FOOTER_KEY);
		x += kw;
		app_put(w, 0, x, lw, TEXT_LEFT, label, UI_FOOTER_LABEL);
		x += lw;
	}
}
