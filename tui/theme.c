#include "theme.h"

#include <curses.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

#define ROLE_KEY(name, key, def, mono) key,
#define ROLE_DEF(name, key, def, mono) def,
#define ROLE_MONO(name, key, def, mono) mono,
static const char *const role_keys[] = {UI_ROLE_INFO(ROLE_KEY)};
static const char *const role_defaults[] = {UI_ROLE_INFO(ROLE_DEF)};
static const char *const role_mono[] = {UI_ROLE_INFO(ROLE_MONO)};

static const char *const colour_names[] = {"black", "red",     "green", "yellow",
					   "blue",  "magenta", "cyan",	"white"};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
    {"bold", THEME_BOLD}, {"reverse", THEME_REVERSE},	{"underline", THEME_UNDERLINE},
    {"dim", THEME_DIM},	  {"standout", THEME_STANDOUT}, {"italic", THEME_ITALIC},
    {"none", 0},
};

const char *theme_role_key(enum ui_role r)
{
	return (unsigned)r < UI_ROLE_COUNT ? role_keys[r] : "";
}

static kstatus parse_colour(const char *w, short *out, struct kerr *err)
{
	if (strcasecmp(w, "default") == 0) {
		*out = -1;
		return K_OK;
	}
	const char *base = w;
	int bright = 0;
	if (strncasecmp(w, "bright-", 7) == 0 || strncasecmp(w, "bright_", 7) == 0)
		base = w + 7, bright = 8;
	else if (strncasecmp(w, "bright", 6) == 0)
		base = w + 6, bright = 8;
	for (int i = 0; i < 8; i++)
		if (strcasecmp(base, colour_names[i]) == 0) {
			*out = (short)(i + bright);
			return K_OK;
		}
	if (strcasecmp(w, "grey") == 0 || strcasecmp(w, "gray") == 0) {
		*out = 8;
		return K_OK;
	}
	char *end;
	long n = strtol(w, &end, 10);
	if (*w && *end == '\0' && n >= 0 && n <= 255) {
		*out = (short)n;
		return K_OK;
	}
	return kerr_set(err, K_INVALID, "colour",
			_("'%s' is not a colour; use default, black, red, green, yellow, blue, "
			  "magenta, cyan, white, bright-<colour> or a number 0..255"),
			w);
}

kstatus theme_parse_style(const char *text, struct theme_style *out, struct kerr *err)
{
	char buf[256];
	if (!str_copy(buf, text, sizeof buf))
		return kerr_set(err, K_INVALID, "style", "%s", _("value is too long"));
	struct theme_style st = {-1, -1, 0};
	int i = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save), i++) {
		str_trim(w);
		if (i < 2) {
			kstatus s = parse_colour(w, i == 0 ? &st.fg : &st.bg, err);
			if (s != K_OK)
				return s;
			continue;
		}
		size_t k;
		for (k = 0; k < sizeof attr_names / sizeof attr_names[0]; k++)
			if (strcasecmp(w, attr_names[k].name) == 0)
				break;
		if (k == sizeof attr_names / sizeof attr_names[0])
			return kerr_set(err, K_INVALID, "attribute",
					_("'%s' is not an attribute; use bold, reverse, underline, "
					  "dim, standout, italic or none"),
					w);
		st.attrs |= attr_names[k].bit;
	}
	if (i < 2)
		return kerr_set(err, K_INVALID, "style",
				_("'%s': write foreground,background[,attributes], as in "
				  "white,blue,bold"),
				text);
	*out = st;
	return K_OK;
}

void theme_defaults(struct theme *t)
{
	memset(t, 0, sizeof *t);
	str_copy(t->name, "default", sizeof t->name);
	for (int r = 0; r < UI_ROLE_COUNT; r++) {
		struct kerr err;
		if (theme_parse_style(role_defaults[r], &t->styles[r], &err) != K_OK)
			t->styles[r] = (struct theme_style){-1, -1, 0};
	}
}

struct load_ctx {
	struct theme *t;
	char key[96];
	char text[256];
	bool failed;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *c = user;
	struct kerr err = {0};
	kstatus st = K_OK;
	if (strcasecmp(section, "theme") == 0) {
		if (strcmp(name, "name") == 0)
			str_copy(c->t->name, value, sizeof c->t->name);
		else if (strcmp(name, "description") != 0)
			st = kerr_set(&err, K_INVALID, name, "%s",
				      _("unknown key in [theme]; known: name, description"));
	} else if (strcasecmp(section, "colours") == 0 || strcasecmp(section, "colors") == 0) {
		int r;
		for (r = 0; r < UI_ROLE_COUNT; r++)
			if (strcmp(name, role_keys[r]) == 0)
				break;
		if (r == UI_ROLE_COUNT)
			st = kerr_set(&err, K_INVALID, name, "%s",
				      _("unknown role; themes/template.ini lists every role"));
		else
			st = theme_parse_style(value, &c->t->styles[r], &err);
	} else {
		st = kerr_set(&err, K_INVALID, name,
			      _("unknown section [%s]; use [theme] or [colours]"), section);
	}
	if (st == K_OK)
		return 1;
	if (!c->failed) {
		c->failed = true;
		str_copy(c->key, name, sizeof c->key);
		str_copy(c->text, err.text, sizeof c->text);
	}
	return 0;
}

kstatus theme_load_file(struct theme *t, const char *path, struct kerr *err)
{
	struct theme work = *t;
	struct load_ctx c = {.t = &work};
	int line = ini_parse(path, on_ini_entry, &c);
	if (line == -1)
		return kerr_set(err, K_IO, "theme", _("%s: cannot open the theme file"), path);
	if (line == -2)
		return kerr_set(err, K_NOMEM, "theme", _("%s: out of memory"), path);
	if (line > 0) {
		if (c.failed)
			return kerr_set(err, K_INVALID, "theme", _("%s:%d: key '%s': %s"), path,
					line, c.key, c.text);
		return kerr_set(err, K_INVALID, "theme",
				_("%s:%d: not an INI line; write key = value or [section]"), path,
				line);
	}
	*t = work;
	return K_OK;
}

static bool name_is_plain(const char *name)
{
	if (!*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return true;
}

kstatus theme_find(const char *name, const char *exe_dir, char *path, size_t n, struct kerr *err)
{
	size_t len = strlen(name);
	if (strchr(name, '/') || (len > 4 && strcmp(name + len - 4, ".ini") == 0)) {
		if (access(name, R_OK) != 0)
			return kerr_set(err, K_NOTFOUND, "theme", _("%s: no such theme file"),
					name);
		str_copy(path, name, n);
		return K_OK;
	}
	if (!name_is_plain(name))
		return kerr_set(err, K_INVALID, "theme",
				_("'%s': a theme name has only letters, digits, '-' and '_'"),
				name);
	char dirs[7][1024];
	int nd = 0;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		snprintf(dirs[nd++], sizeof dirs[0], "%s/kassa/themes", xdg);
	else if (home && *home)
		snprintf(dirs[nd++], sizeof dirs[0], "%s/.config/kassa/themes", home);
	const char *env = getenv("KASSA_THEMEDIR");
	if (env && *env)
		snprintf(dirs[nd++], sizeof dirs[0], "%s", env);
	if (exe_dir && *exe_dir) {
		/* Uninstalled: <build>/tui/kassa with the themes copied to <build>/themes
		 * (themes/meson.build) or <source>/<build>/tui/kassa; installed: <prefix>/bin. */
		snprintf(dirs[nd++], sizeof dirs[0], "%s/../themes", exe_dir);
		snprintf(dirs[nd++], sizeof dirs[0], "%s/../../themes", exe_dir);
		snprintf(dirs[nd++], sizeof dirs[0], "%s/../share/kassa/themes", exe_dir);
	}
#ifdef LOCALEDIR
	{
		/* LOCALEDIR is <datadir>/locale; themes go to <datadir>/kassa/themes. */
		char d[900];
		str_copy(d, LOCALEDIR, sizeof d);
		char *slash = strrchr(d, '/');
		if (slash) {
			*slash = '\0';
			snprintf(dirs[nd++], sizeof dirs[0], "%s/kassa/themes", d);
		}
	}
#endif
	for (int i = 0; i < nd; i++) {
		char p[1200];
		if (snprintf(p, sizeof p, "%s/%.100s.ini", dirs[i], name) >= (int)sizeof p)
			continue;
		if (access(p, R_OK) == 0) {
			str_copy(path, p, n);
			return K_OK;
		}
	}
	return kerr_set(err, K_NOTFOUND, "theme",
			_("no theme '%s': looked for %s.ini in %s and the installed themes"), name,
			name, nd ? dirs[0] : "~/.config/kassa/themes");
}

/* Curses side. */
static bool mono_mode;
static unsigned long role_attrs[UI_ROLE_COUNT];

static unsigned long to_curses(unsigned bits)
{
	unsigned long a = A_NORMAL;
	if (bits & THEME_BOLD)
		a |= A_BOLD;
	if (bits & THEME_REVERSE)
		a |= A_REVERSE;
	if (bits & THEME_UNDERLINE)
		a |= A_UNDERLINE;
	if (bits & THEME_DIM)
		a |= A_DIM;
	if (bits & THEME_STANDOUT)
		a |= A_STANDOUT;
#ifdef A_ITALIC
	if (bits & THEME_ITALIC)
		a |= A_ITALIC;
#endif
	return a;
}

void theme_apply(const struct theme *t, bool no_color)
{
	const char *nc = getenv("NO_COLOR");
	mono_mode = no_color || (nc && *nc) || !has_colors();
	if (!mono_mode && start_color() == ERR)
		mono_mode = true;
	bool defaults = !mono_mode && use_default_colors() == OK;
	for (int r = 0; r < UI_ROLE_COUNT; r++) {
		const struct theme_style *s = &t->styles[r];
		/* The monochrome look holds only attributes. */
		struct theme_style mono = {-1, -1, 0};
		struct kerr err;
		char buf[128];
		snprintf(buf, sizeof buf, "default,default%s%s", role_mono[r][0] ? "," : "",
			 role_mono[r]);
		theme_parse_style(buf, &mono, &err);
		if (mono_mode) {
			role_attrs[r] = to_curses(s->attrs | mono.attrs);
			continue;
		}
		short fg = s->fg, bg = s->bg;
		if (fg >= COLORS)
			fg = (short)(fg % 8);
		if (bg >= COLORS)
			bg = (short)(bg % 8);
		if (!defaults) {
			if (fg < 0)
				fg = COLOR_WHITE;
			if (bg < 0)
				bg = COLOR_BLACK;
		}
		short pair = (short)(r + 1);
		if (pair < COLOR_PAIRS && init_pair(pair, fg, bg) == OK)
			role_attrs[r] = to_curses(s->attrs) | COLOR_PAIR(pair);
		else
			role_attrs[r] = to_curses(s->attrs | mono.attrs);
	}
}

unsigned long theme_attr(enum ui_role r)
{
	return (unsigned)r < UI_ROLE_COUNT ? role_attrs[r] : A_NORMAL;
}
