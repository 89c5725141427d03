/* Tests for tui/keys.c: key names, `bind` lines, look-up and help. */
#include <curses.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys.h"

struct key_case {
	const char *name;
	kstatus st;
	int key;
	const char *back; /* keys_key_name() of the key; NULL = same as name */
};

static void keys_parse_key__names__round_trip(void **state)
{
	(void)state;
	static const struct key_case cases[] = {
	    {"", K_INVALID, 0, NULL},
	    {"F0", K_INVALID, 0, NULL},
	    {"F25", K_INVALID, 0, NULL},
	    {"C-", K_INVALID, 0, NULL},
	    {"C-1", K_INVALID, 0, NULL},
	    {"C-ab", K_INVALID, 0, NULL},
	    {"Enterr", K_INVALID, 0, NULL},
	    {"ab", K_INVALID, 0, NULL},
	    {"\x01", K_INVALID, 0, NULL},
	    {"F1", K_OK, KEYS_SPECIAL + KEY_F(1), NULL},
	    {"f10", K_OK, KEYS_SPECIAL + KEY_F(10), "F10"},
	    {"F24", K_OK, KEYS_SPECIAL + KEY_F(24), NULL},
	    {"Enter", K_OK, '\n', NULL},
	    {"esc", K_OK, 27, "Esc"},
	    {"Tab", K_OK, '\t', NULL},
	    {"Space", K_OK, ' ', NULL},
	    {"Del", K_OK, KEYS_SPECIAL + KEY_DC, NULL},
	    {"PgDn", K_OK, KEYS_SPECIAL + KEY_NPAGE, NULL},
	    {"C-o", K_OK, 0x0f, NULL},
	    {"C-Q", K_OK, 0x11, "C-q"},
	    {"M-p", K_OK, KEYS_ALT | 'p', NULL},
	    {"M-F5", K_OK, KEYS_ALT | (KEYS_SPECIAL + KEY_F(5)), NULL},
	    {"M-1", K_OK, KEYS_ALT | '1', NULL},
	    {"+", K_OK, '+', NULL},
	    {"д", K_OK, 0x434, NULL},
	    {"Ё", K_OK, 0x401, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct key_case *c = &cases[i];
		int key = -7;
		struct kerr err = {0};
		kstatus st = keys_parse_key(c->name, &key, &err);
		if (st != c->st)
			fail_msg("'%s': status %d, want %d", c->name, st, c->st);
		if (st != K_OK) {
			assert_true(err.text[0] != '\0');
			continue;
		}
		if (key != c->key)
			fail_msg("'%s': key %d, want %d", c->name, key, c->key);
		char buf[32];
		assert_string_equal(keys_key_name(key, buf, sizeof buf),
				    c->back ? c->back : c->name);
	}
}

static void action_parse__every_action__by_its_name(void **state)
{
	(void)state;
	for (int a = 0; a < ACT_COUNT; a++) {
		enum action got;
		assert_true(action_parse(action_name((enum action)a), &got));
		assert_int_equal(got, a);
		if (a != ACT_NONE)
			assert_true(action_help((enum action)a)[0] != '\0');
	}
	enum action got;
	assert_false(action_parse("payy", &got));
	assert_false(action_parse("", &got));
}

static int key(const char *name)
{
	int k;
	assert_int_equal(keys_parse_key(name, &k, NULL), K_OK);
	return k;
}

static void keymap_defaults__function_keys__as_issue_5_says(void **state)
{
	(void)state;
	static struct keymap km;
	keymap_defaults(&km);
	static const struct {
		const char *key;
		enum action a;
	} want[] = {
	    {"F1", ACT_HELP},	{"F2", ACT_FIND},      {"F3", ACT_DISCOUNT},	{"F4", ACT_REFUND},
	    {"F5", ACT_PAY},	{"F6", ACT_NONFISCAL}, {"F7", ACT_DELETE_LINE}, {"F8", ACT_SHIFT},
	    {"F9", ACT_STATUS}, {"F10", ACT_QUIT},     {"Esc", ACT_BACK},	{"M-p", ACT_PAY},
	    {"C-o", ACT_PAY},	{"M-0", ACT_QUIT},     {"C-q", ACT_QUIT},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (keymap_lookup(&km, "sale", key(want[i].key)) != want[i].a)
			fail_msg("%s: %s", want[i].key,
				 action_name(keymap_lookup(&km, "sale", key(want[i].key))));
	/* Every F-key action has an Alt alias for terminals that steal F-keys. */
	for (int f = 1; f <= 10; f++) {
		char name[8];
		snprintf(name, sizeof name, "F%d", f);
		enum action a = keymap_lookup(&km, KEYS_GENERIC, key(name));
		char keys[64];
		keymap_keys_for(&km, KEYS_GENERIC, a, keys, sizeof keys);
		if (!strstr(keys, "M-"))
			fail_msg("%s (%s) has no Alt alias: %s", name, action_name(a), keys);
	}
	/* View sections win over generic, and fall back to it. */
	assert_int_equal(keymap_lookup(&km, "sale", '+'), ACT_QTY_INC);
	assert_int_equal(keymap_lookup(&km, "pay", '+'), ACT_NONE);
	assert_int_equal(keymap_lookup(&km, "pay", '\n'), ACT_SEND);
	assert_int_equal(keymap_lookup(&km, "sale", '\n'), ACT_NONE);
	assert_int_equal(keymap_lookup_view(&km, "confirm", key("д")), ACT_CONFIRM);
	assert_int_equal(keymap_lookup_view(&km, "confirm", key("F1")), ACT_NONE);
	/* Readline's editing keys stay free. */
	static const char *const editing[] = {"C-a", "C-e", "C-b", "C-f", "C-k",
					      "C-u", "C-w", "C-y", "C-p", "C-n"};
	for (size_t i = 0; i < sizeof editing / sizeof editing[0]; i++)
		assert_int_equal(keymap_lookup(&km, "sale", key(editing[i])), ACT_NONE);
}

struct bind_case {
	const char *line;
	kstatus st;
	const char *field; /* for refusals */
};

static void keymap_bind_line__forms__table(void **state)
{
	(void)state;
	static const struct bind_case cases[] = {
	    {"", K_OK, NULL},
	    {"   # a comment", K_OK, NULL},
	    {"bind sale F12 pay", K_OK, NULL},
	    {"bind sale F12 pay # trailing comment", K_OK, NULL},
	    {"  bind\tpay\tC-s\tsend  ", K_OK, NULL},
	    {"bind sale F12", K_INVALID, "bind"},
	    {"bind sale F12 pay extra", K_INVALID, "bind"},
	    {"bnd sale F12 pay", K_INVALID, "bind"},
	    {"bind sale F99 pay", K_INVALID, "key"},
	    {"bind sale F12 payy", K_INVALID, "action"},
	    {"bind averyveryverylongviewname F12 pay", K_INVALID, "view"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		static struct keymap km;
		keymap_defaults(&km);
		struct kerr err = {0};
		kstatus st = keymap_bind_line(&km, cases[i].line, &err);
		if (st != cases[i].st)
			fail_msg("'%s': status %d, want %d (%s)", cases[i].line, st, cases[i].st,
				 err.text);
		if (st != K_OK) {
			assert_string_equal(err.field, cases[i].field);
			assert_true(err.text[0] != '\0');
		}
	}
}

static void keymap_bind_line__rebinding__replaces_and_removes(void **state)
{
	(void)state;
	static struct keymap km;
	keymap_defaults(&km);
	size_t n = km.n;
	assert_int_equal(keymap_bind_line(&km, "bind generic F5 find", NULL), K_OK);
	assert_int_equal(km.n, n); /* replaced, not added */
	assert_int_equal(keymap_lookup(&km, "sale", key("F5")), ACT_FIND);
	char keys[64];
	keymap_keys_for(&km, "sale", ACT_PAY, keys, sizeof keys);
	assert_string_equal(keys, "M-p, M-5, C-o");
	/* "none" in a view hides a generic key there only. */
	assert_int_equal(keymap_bind_line(&km, "bind pay C-o none", NULL), K_OK);
	assert_int_equal(keymap_lookup(&km, "pay", key("C-o")), ACT_NONE);
	assert_int_equal(keymap_lookup(&km, "sale", key("C-o")), ACT_PAY);
	/* "none" in generic removes the binding. */
	assert_int_equal(keymap_bind_line(&km, "bind generic C-o none", NULL), K_OK);
	assert_int_equal(keymap_lookup(&km, "sale", key("C-o")), ACT_NONE);
	/* A full map refuses, naming the limit. */
	keymap_clear(&km);
	kstatus st = K_OK;
	for (int i = 0; st == K_OK && i <= KEYMAP_MAX; i++)
		st = keymap_bind(&km, "sale", 0x1000 + i, ACT_PAY, NULL);
	assert_int_equal(st, K_OVERFLOW);
}

static void keymap_help__lines__follow_the_key_table(void **state)
{
	(void)state;
	static struct keymap km;
	keymap_defaults(&km);
	struct keys_help_line lines[64];
	size_t n = keymap_help(&km, "sale", lines, 64);
	assert_true(n > 10);
	bool pay = false, qty = false, send = false;
	for (size_t i = 0; i < n; i++) {
		assert_true(lines[i].keys[0] != '\0');
		assert_string_equal(lines[i].help, action_help(lines[i].action));
		if (lines[i].action == ACT_PAY) {
			pay = true;
			assert_string_equal(lines[i].keys, "F5, M-p, M-5, C-o");
		}
		qty |= lines[i].action == ACT_QTY_INC;
		send |= lines[i].action == ACT_SEND;
	}
	assert_true(pay);
	assert_true(qty);   /* sale's own key */
	assert_false(send); /* pay's key, not sale's */
	/* Rebinding shows in the help at once. */
	assert_int_equal(keymap_bind_line(&km, "bind generic F12 pay", NULL), K_OK);
	n = keymap_help(&km, "sale", lines, 64);
	for (size_t i = 0; i < n; i++)
		if (lines[i].action == ACT_PAY)
			assert_non_null(strstr(lines[i].keys, "F12"));
	/* The footer prefers a function key even when the view's own key comes first. */
	assert_int_equal(keymap_label_key(&km, "sale", ACT_DELETE_LINE), key("F7"));
	assert_int_equal(keymap_first_key(&km, "sale", ACT_DELETE_LINE), key("Del"));
	assert_int_equal(keymap_first_key(&km, "sale", ACT_SEND), KEYS_NONE);
}

int main(void)
{
	setlocale(LC_ALL, "");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(keys_parse_key__names__round_trip),
	    cmocka_unit_test(action_parse__every_action__by_its_name),
	    cmocka_unit_test(keymap_defaults__function_keys__as_issue_5_says),
	    cmocka_unit_test(keymap_bind_line__forms__table),
	    cmocka_unit_test(keymap_bind_line__rebinding__replaces_and_removes),
	    cmocka_unit_test(keymap_help__lines__follow_the_key_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
