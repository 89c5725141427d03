#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "text.h"
#include "util.h"

#define ACTION_NAME(name, bind, label, help) bind,
#define ACTION_LABEL(name, bind, label, help) label,
#define ACTION_HELP(name, bind, label, help) help,
static const char *const action_names[] = {ACTION_INFO(ACTION_NAME)};
static const char *const action_labels[] = {ACTION_INFO(ACTION_LABEL)};
static const char *const action_helps[] = {ACTION_INFO(ACTION_HELP)};

/*
 * The default key map, as the lines a user would write. Every F-key action
 * also has an Alt-letter, an Alt-digit (Esc 1 = F1, as in mc) and for the
 * most used ones a Ctrl-letter alias, for terminals that take F-keys for
 * themselves. Ctrl letters readline uses for editing (A, B, E, F, K, U, W,
 * Y, P, N, H, D) are left alone.
 */
static const char *const default_binds[] = {
    "bind generic F1 help",
    "bind generic M-h help",
    "bind generic M-1 help",
    "bind generic F2 find",
    "bind generic M-f find",
    "bind generic M-2 find",
    "bind generic F3 discount",
    "bind generic M-d discount",
    "bind generic M-3 discount",
    "bind generic F4 refund",
    "bind generic M-r refund",
    "bind generic M-4 refund",
    "bind generic F5 pay",
    "bind generic M-p pay",
    "bind generic M-5 pay",
    "bind generic C-o pay",
    "bind generic F6 nonfiscal",
    "bind generic M-n nonfiscal",
    "bind generic M-6 nonfiscal",
    "bind generic F7 delete-line",
    "bind generic M-x delete-line",
    "bind generic M-7 delete-line",
    "bind generic C-x delete-line",
    "bind generic F8 shift",
    "bind generic M-s shift",
    "bind generic M-8 shift",
    "bind generic F9 status",
    "bind generic M-j status",
    "bind generic M-9 status",
    "bind generic C-t status",
    "bind generic F11 journal",
    "bind generic M-l journal",
    "bind generic F12 settings",
    "bind generic M-o settings",
    "bind generic F10 quit",
    "bind generic M-q quit",
    "bind generic M-0 quit",
    "bind generic C-q quit",
    "bind generic C-c quit",
    "bind generic C-s send-now",
    "bind generic M-u send-now",
    "bind generic Esc back",
    "bind generic C-l redraw",
    "bind generic C-r recall",
    "bind generic Up up",
    "bind generic Down down",
    "bind generic PgUp page-up",
    "bind generic PgDn page-down",
    "bind sale + qty-inc",
    "bind sale - qty-dec",
    "bind sale Del delete-line",
    "bind sale M-b bill",
    "bind bill Tab option-next",
    "bind bill BackTab option-prev",
    "bind bill F7 bill-cancel",
    "bind pay Enter send",
    "bind pay Tab next-field",
    "bind pay BackTab prev-field",
    "bind pay Down next-field",
    "bind pay Up prev-field",
    "bind pay Right option-next",
    "bind pay Left option-prev",
    "bind pay Space option-next",
    "bind pay F2 cash-rest",
    "bind pay M-2 cash-rest",
    "bind pay F3 card-rest",
    "bind pay M-3 card-rest",
    /* Banknotes: what the buyer hands over, one key each, added up in the cash field. */
    "bind pay F7 cash-500",
    "bind pay F8 cash-1000",
    "bind pay F11 cash-2000",
    "bind pay F12 cash-5000",
    "bind find Enter send",
    "bind journal F3 preview",
    "bind journal M-3 preview",
    "bind journal F5 reprint",
    "bind journal M-5 reprint",
    "bind journal F6 replay",
    "bind journal M-6 replay",
    "bind journal F7 registry",
    "bind journal M-7 registry",
    "bind journal F8 settle",
    "bind journal M-8 settle",
    "bind settle Enter send",
    "bind settle Tab next-field",
    "bind settle BackTab prev-field",
    "bind settle Down next-field",
    "bind settle Up prev-field",
    "bind settle F2 cash-rest",
    "bind settle M-2 cash-rest",
    "bind settle F3 card-rest",
    "bind settle M-3 card-rest",
    "bind settle Left option-prev",
    "bind settle Right option-next",
    "bind refund Left option-prev",
    "bind refund Right option-next",
    "bind refund F6 no-original",
    "bind refund M-6 no-original",
    "bind settings Left option-prev",
    "bind settings Right option-next",
    "bind settings Enter send",
    "bind help q back",
    "bind help Enter back",
    "bind help F1 back",
    "bind confirm Enter confirm",
    "bind confirm Esc refuse",
    "bind confirm y confirm",
    "bind confirm Y confirm",
    "bind confirm д confirm",
    "bind confirm Д confirm",
    "bind confirm n refuse",
    "bind confirm N refuse",
    "bind confirm н refuse",
    "bind confirm Н refuse",
    /* A question that cannot be undone: only these confirm; every other key refuses. */
    "bind danger y confirm",
    "bind danger Y confirm",
    "bind danger д confirm",
    "bind danger Д confirm",
    "bind danger n refuse",
    "bind danger Enter refuse",
    "bind danger Esc refuse",
};

static const struct {
	const char *name;
	int key;
} special_keys[] = {
    {"Enter", '\n'},
    {"Esc", 27},
    {"Tab", '\t'},
    {"Space", ' '},
    {"BackTab", KEYS_SPECIAL + KEY_BTAB},
    {"Up", KEYS_SPECIAL + KEY_UP},
    {"Down", KEYS_SPECIAL + KEY_DOWN},
    {"Left", KEYS_SPECIAL + KEY_LEFT},
    {"Right", KEYS_SPECIAL + KEY_RIGHT},
    {"PgUp", KEYS_SPECIAL + KEY_PPAGE},
    {"PgDn", KEYS_SPECIAL + KEY_NPAGE},
    {"Home", KEYS_SPECIAL + KEY_HOME},
    {"End", KEYS_SPECIAL + KEY_END},
    {"Del", KEYS_SPECIAL + KEY_DC},
    {"Ins", KEYS_SPECIAL + KEY_IC},
    {"Backspace", KEYS_SPECIAL + KEY_BACKSPACE},
};

const char *action_name(enum action a)
{
	return (unsigned)a < ACT_COUNT ? action_names[a] : "none";
}

const char *action_label(enum action a)
{
	if ((unsigned)a >= ACT_COUNT || !action_labels[a][0])
		return "";
	return _(action_labels[a]);
}

/*
 * Short footer labels for narrow terminals, with a context of their own so
 * a translation can be shorter than the full label ("footer|Discount").
 */
#define NC_(ctx, s) ctx "\004" s
static const struct {
	enum action action;
	const char *label;
} short_labels[] = {
    {ACT_HELP, NC_("footer", "Help")},	      {ACT_FIND, NC_("footer", "Find")},
    {ACT_DISCOUNT, NC_("footer", "Disc.")},   {ACT_REFUND, NC_("footer", "Refund")},
    {ACT_PAY, NC_("footer", "Pay")},	      {ACT_NONFISCAL, NC_("footer", "Non-fisc.")},
    {ACT_DELETE_LINE, NC_("footer", "Del.")}, {ACT_SHIFT, NC_("footer", "Shift")},
    {ACT_STATUS, NC_("footer", "Status")},    {ACT_JOURNAL, NC_("footer", "Journal")},
    {ACT_SETTINGS, NC_("footer", "Setup")},   {ACT_QUIT, NC_("footer", "Quit")},
    {ACT_SEND_NOW, NC_("footer", "Send")},
};
#undef NC_

const char *action_short_label(enum action a)
{
	for (size_t i = 0; i < sizeof short_labels / sizeof short_labels[0]; i++) {
		if (short_labels[i].action != a)
			continue;
		const char *key = short_labels[i].label;
		const char *t = _(key);
		return t == key ? strchr(key, '\004') + 1 : t;
	}
	return action_label(a);
}

const char *action_help(enum action a)
{
	if ((unsigned)a >= ACT_COUNT || !action_helps[a][0])
		return "";
	return _(action_helps[a]);
}

bool action_parse(const char *name, enum action *a)
{
	for (int i = 0; i < ACT_COUNT; i++)
		if (strcmp(name, action_names[i]) == 0) {
			*a = (enum action)i;
			return true;
		}
	return false;
}

kstatus keys_parse_key(const char *name, int *key, struct kerr *err)
{
	if (!name || !*name)
		return kerr_set(err, K_INVALID, "key", "%s", _("is empty; write a key such as F5"));
	if ((name[0] == 'M' || name[0] == 'C') && name[1] == '-' && name[2]) {
		if (name[0] == 'M') {
			int inner;
			kstatus st = keys_parse_key(name + 2, &inner, err);
			if (st != K_OK)
				return st;
			*key = inner | KEYS_ALT;
			return K_OK;
		}
		char c = name[2];
		if (name[3] == '\0' && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			*key = c & 0x1f;
			return K_OK;
		}
		return kerr_set(err, K_INVALID, "key",
				_("'%s': Ctrl works with one Latin letter, as in C-o"), name);
	}
	if ((name[0] == 'F' || name[0] == 'f') && name[1] >= '1' && name[1] <= '9') {
		char *end;
		long n = strtol(name + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 24) {
			*key = KEYS_SPECIAL + KEY_F((int)n);
			return K_OK;
		}
	}
	for (size_t i = 0; i < sizeof special_keys / sizeof special_keys[0]; i++)
		if (strcasecmp(name, special_keys[i].name) == 0) {
			*key = special_keys[i].key;
			return K_OK;
		}
	uint32_t cp;
	size_t len = utf8_decode(name, strlen(name), &cp);
	if (len > 0 && name[len] == '\0' && cp >= 0x20 && cp != 0x7f) {
		*key = (int)cp;
		return K_OK;
	}
	return kerr_set(err, K_INVALID, "key",
			_("'%s' is not a key name; use F1..F24, Enter, Esc, Tab, Up, Down, "
			  "Left, Right, PgUp, PgDn, Home, End, Del, Ins, Backspace, Space, "
			  "C-letter, M-key or one character"),
			name);
}

const char *keys_key_name(int key, char *buf, size_t n)
{
	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (key == KEYS_NONE)
		return buf;
	if (key & KEYS_ALT) {
		char inner[32];
		keys_key_name(key & ~KEYS_ALT, inner, sizeof inner);
		snprintf(buf, n, "M-%s", inner);
		return buf;
	}
	for (size_t i = 0; i < sizeof special_keys / sizeof special_keys[0]; i++)
		if (special_keys[i].key == key) {
			str_copy(buf, special_keys[i].name, n);
			return buf;
		}
	if (key >= KEYS_SPECIAL + KEY_F(1) && key <= KEYS_SPECIAL + KEY_F(24)) {
		snprintf(buf, n, "F%d", key - KEYS_SPECIAL - KEY_F(0));
		return buf;
	}
	if (key > 0 && key < 0x20) {
		snprintf(buf, n, "C-%c", (char)(key + 'a' - 1));
		return buf;
	}
	if (key >= 0x20 && key < KEYS_SPECIAL) {
		char u[8] = {0};
		utf8_encode((uint32_t)key, u);
		str_copy(buf, u, n);
		return buf;
	}
	snprintf(buf, n, "key%d", key);
	return buf;
}

void keymap_clear(struct keymap *km)
{
	km->n = 0;
}

void keymap_defaults(struct keymap *km)
{
	keymap_clear(km);
	for (size_t i = 0; i < sizeof default_binds / sizeof default_binds[0]; i++) {
		struct kerr err;
		if (keymap_bind_line(km, default_binds[i], &err) != K_OK)
			fprintf(stderr, "kassa: built-in key map: %s: %s\n", default_binds[i],
				err.text);
	}
}

kstatus keymap_bind(struct keymap *km, const char *view, int key, enum action a, struct kerr *err)
{
	if (strlen(view) >= KEYS_VIEW_MAX || !*view)
		return kerr_set(err, K_INVALID, "view", _("'%s' is not a screen name"), view);
	for (size_t i = 0; i < km->n; i++) {
		struct keybind *b = &km->binds[i];
		if (b->key == key && strcmp(b->view, view) == 0) {
			if (a == ACT_NONE) {
				memmove(b, b + 1, (km->n - i - 1) * sizeof *b);
				km->n--;
			} else {
				b->action = a;
			}
			return K_OK;
		}
	}
	if (a == ACT_NONE) {
		if (strcmp(view, KEYS_GENERIC) == 0)
			return K_OK;
		/* "none" in a view hides a generic binding there. */
	}
	if (km->n >= KEYMAP_MAX)
		return kerr_set(err, K_OVERFLOW, "bind", _("more than %d key bindings"),
				KEYMAP_MAX);
	struct keybind *b = &km->binds[km->n++];
	str_copy(b->view, view, sizeof b->view);
	b->key = key;
	b->action = a;
	return K_OK;
}

kstatus keymap_bind_line(struct keymap *km, const char *line, struct kerr *err)
{
	char buf[256];
	if (!str_copy(buf, line, sizeof buf))
		return kerr_set(err, K_INVALID, "bind", "%s", _("line is too long"));
	char *words[5];
	int nw = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (w[0] == '#')
			break;
		if (nw == 5)
			break;
		words[nw++] = w;
	}
	if (nw == 0)
		return K_OK;
	if (strcmp(words[0], "bind") != 0)
		return kerr_set(err, K_INVALID, "bind",
				_("'%s': a key line starts with 'bind', as in: bind sale F5 pay"),
				words[0]);
	if (nw != 4)
		return kerr_set(err, K_INVALID, "bind", "%s",
				_("write: bind <screen> <key> <action>, as in: bind sale F5 pay"));
	int key;
	kstatus st = keys_parse_key(words[2], &key, err);
	if (st != K_OK)
		return st;
	enum action a;
	if (!action_parse(words[3], &a)) {
		char names[600] = "";
		for (int i = 1; i < ACT_COUNT; i++) {
			if (i > 1)
				strncat(names, ", ", sizeof names - strlen(names) - 1);
			strncat(names, action_names[i], sizeof names - strlen(names) - 1);
		}
		return kerr_set(err, K_INVALID, "action", _("'%s' is not an action; known: %s"),
				words[3], names);
	}
	return keymap_bind(km, words[1], key, a, err);
}

static const struct keybind *find_bind(const struct keymap *km, const char *view, int key)
{
	for (size_t i = 0; i < km->n; i++)
		if (km->binds[i].key == key && strcmp(km->binds[i].view, view) == 0)
			return &km->binds[i];
	return NULL;
}

enum action keymap_lookup(const struct keymap *km, const char *view, int key)
{
	const struct keybind *b = view ? find_bind(km, view, key) : NULL;
	if (!b)
		b = find_bind(km, KEYS_GENERIC, key);
	return b ? b->action : ACT_NONE;
}

enum action keymap_lookup_view(const struct keymap *km, const char *view, int key)
{
	const struct keybind *b = find_bind(km, view, key);
	return b ? b->action : ACT_NONE;
}

/* The keys that give action a in view, the view's own bindings first. */
static size_t keys_walk(const struct keymap *km, const char *view, enum action a, int *keys,
			size_t max)
{
	size_t n = 0;
	for (int pass = 0; pass < 2; pass++) {
		const char *v = pass == 0 ? view : KEYS_GENERIC;
		if (!v || (pass == 0 && strcmp(v, KEYS_GENERIC) == 0))
			continue;
		for (size_t i = 0; i < km->n && n < max; i++) {
			const struct keybind *b = &km->binds[i];
			if (b->action != a || strcmp(b->view, v) != 0)
				continue;
			if (keymap_lookup(km, view, b->key) != a)
				continue; /* overridden in view */
			keys[n++] = b->key;
		}
	}
	return n;
}

size_t keymap_keys_for(const struct keymap *km, const char *view, enum action a, char *buf,
		       size_t n)
{
	int keys[16];
	size_t k = keys_walk(km, view, a, keys, 16);
	if (n)
		buf[0] = '\0';
	for (size_t i = 0; i < k; i++) {
		char name[32];
		keys_key_name(keys[i], name, sizeof name);
		if (i > 0)
			strncat(buf, ", ", n - strlen(buf) - 1);
		strncat(buf, name, n - strlen(buf) - 1);
	}
	return k;
}

int keymap_first_key(const struct keymap *km, const char *view, enum action a)
{
	int key;
	return keys_walk(km, view, a, &key, 1) ? key : KEYS_NONE;
}

int keymap_label_key(const struct keymap *km, const char *view, enum action a)
{
	int keys[16];
	size_t k = keys_walk(km, view, a, keys, 16);
	for (size_t i = 0; i < k; i++)
		if (keys[i] >= KEYS_SPECIAL + KEY_F(1) && keys[i] <= KEYS_SPECIAL + KEY_F(24))
			return keys[i];
	return k ? keys[0] : KEYS_NONE;
}

size_t keymap_help(const struct keymap *km, const char *view, struct keys_help_line *out,
		   size_t max)
{
	size_t n = 0;
	for (int a = 1; a < ACT_COUNT && n < max; a++) {
		char keys[64];
		if (keymap_keys_for(km, view, (enum action)a, keys, sizeof keys) == 0)
			continue;
		str_copy(out[n].keys, keys, sizeof out[n].keys);
		out[n].help = action_help((enum action)a);
		out[n].action = (enum action)a;
		n++;
	}
	return n;
}
