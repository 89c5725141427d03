/* Tests for tui/theme.c: styles, theme files and their error messages. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "theme.h"

struct style_case {
	const char *text;
	kstatus st;
	short fg, bg;
	unsigned attrs;
	const char *field;
};

static void theme_parse_style__forms__table(void **state)
{
	(void)state;
	static const struct style_case cases[] = {
	    {"", K_INVALID, 0, 0, 0, "style"},
	    {"red", K_INVALID, 0, 0, 0, "style"},
	    {"red,", K_INVALID, 0, 0, 0, "style"},
	    {"purple,black", K_INVALID, 0, 0, 0, "colour"},
	    {"red,256", K_INVALID, 0, 0, 0, "colour"},
	    {"red,-2", K_INVALID, 0, 0, 0, "colour"},
	    {"red,black,blink", K_INVALID, 0, 0, 0, "attribute"},
	    {"default,default", K_OK, -1, -1, 0, NULL},
	    {"black,yellow,reverse", K_OK, 0, 3, THEME_REVERSE, NULL},
	    {" White , Blue , Bold ", K_OK, 7, 4, THEME_BOLD, NULL},
	    {"bright-red,brightgreen", K_OK, 9, 10, 0, NULL},
	    {"bright_white,grey,underline,dim", K_OK, 15, 8, THEME_UNDERLINE | THEME_DIM, NULL},
	    {"208,17,italic,standout", K_OK, 208, 17, THEME_ITALIC | THEME_STANDOUT, NULL},
	    {"cyan,default,none", K_OK, 6, -1, 0, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct style_case *c = &cases[i];
		struct theme_style s = {99, 99, 99};
		struct kerr err = {0};
		kstatus st = theme_parse_style(c->text, &s, &err);
		if (st != c->st)
			fail_msg("'%s': status %d, want %d (%s)", c->text, st, c->st, err.text);
		if (st != K_OK) {
			assert_string_equal(err.field, c->field);
			assert_int_equal(s.fg, 99); /* untouched on refusal */
			continue;
		}
		if (s.fg != c->fg || s.bg != c->bg || s.attrs != c->attrs)
			fail_msg("'%s': %d,%d,%u", c->text, s.fg, s.bg, s.attrs);
	}
}

static void theme_defaults__every_role__has_a_parsed_style(void **state)
{
	(void)state;
	struct theme t;
	theme_defaults(&t);
	assert_string_equal(t.name, "default");
	/* The training mark is reverse video, so it shows on a monochrome screen too. */
	assert_true(t.styles[UI_STATUS_TRAINING].attrs & THEME_REVERSE);
	for (int r = 0; r < UI_ROLE_COUNT; r++)
		assert_true(strchr(theme_role_key((enum ui_role)r), '.') != NULL);
}

static char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/kassa-theme-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

struct file_case {
	const char *text;
	kstatus st;
	const char *want; /* part of the error text, after the path */
};

static void theme_load_file__errors__name_line_and_key(void **state)
{
	(void)state;
	static const struct file_case cases[] = {
	    {"[colours]\nstatus.training = red,black\n", K_OK, NULL},
	    {"# comment\n[theme]\nname = x\n\n[colours]\nmain.text = white,bogus\n", K_INVALID,
	     ":6: key 'main.text': 'bogus' is not a colour"},
	    {"[colours]\nmain.text = white,black\nstatus.trainig = red,black\n", K_INVALID,
	     ":3: key 'status.trainig': unknown role"},
	    {"[colors]\ntotal.amount = red,black,flash\n", K_INVALID,
	     ":2: key 'total.amount': 'flash' is not an attribute"},
	    {"[palette]\nmain.text = red,black\n", K_INVALID,
	     ":2: key 'main.text': unknown section"},
	    {"[theme]\nauthor = me\n", K_INVALID, ":2: key 'author': unknown key in [theme]"},
	    {"[colours]\nthis line has no equals sign\n", K_INVALID, ":2: not an INI line"},
	    /* The first error is the one reported. */
	    {"[colours]\na.b = red,black\nc.d = red,black\n", K_INVALID, ":2: key 'a.b'"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct file_case *c = &cases[i];
		char *path = write_tmp(c->text);
		struct theme t;
		theme_defaults(&t);
		struct theme before = t;
		struct kerr err = {0};
		kstatus st = theme_load_file(&t, path, &err);
		if (st != c->st)
			fail_msg("case %zu: status %d, want %d (%s)", i, st, c->st, err.text);
		if (st == K_OK) {
			assert_int_equal(t.styles[UI_STATUS_TRAINING].fg, 1);
			assert_int_equal(t.styles[UI_TEXT].fg, before.styles[UI_TEXT].fg);
		} else {
			if (strncmp(err.text, path, strlen(path)) != 0 ||
			    !strstr(err.text, c->want))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.text, c->want);
			/* A broken file changes nothing. */
			assert_memory_equal(&t, &before, sizeof t);
		}
		unlink(path);
	}
	struct theme t;
	theme_defaults(&t);
	struct kerr err = {0};
	assert_int_equal(theme_load_file(&t, "/nonexistent/x.ini", &err), K_IO);
	assert_non_null(strstr(err.text, "/nonexistent/x.ini"));
}

static void theme_files__shipped__load_and_list_every_role(void **state)
{
	(void)state;
	static const char *const names[] = {"default", "dark", "high-contrast", "mono", "template"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s/%s.ini", THEMES_DIR, names[i]);
		struct theme t;
		theme_defaults(&t);
		struct kerr err = {0};
		if (theme_load_file(&t, path, &err) != K_OK)
			fail_msg("%s", err.text);
		FILE *f = fopen(path, "r");
		assert_non_null(f);
		char text[16384];
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
		for (int r = 0; r < UI_ROLE_COUNT; r++) {
			char key[80];
			snprintf(key, sizeof key, "\n%s = ", theme_role_key((enum ui_role)r));
			if (!strstr(text, key))
				fail_msg("%s lacks %s", names[i], theme_role_key((enum ui_role)r));
		}
		/* Monochrome never relies on colour. */
		if (strcmp(names[i], "mono") == 0)
			for (int r = 0; r < UI_ROLE_COUNT; r++)
				assert_true(t.styles[r].fg == -1 && t.styles[r].bg == -1);
		assert_true(t.styles[UI_STATUS_TRAINING].attrs & THEME_REVERSE);
	}
}

static void theme_find__names_and_paths(void **state)
{
	(void)state;
	char path[1200];
	struct kerr err = {0};
	setenv("KASSA_THEMEDIR", THEMES_DIR, 1);
	assert_int_equal(theme_find("dark", NULL, path, sizeof path, &err), K_OK);
	assert_non_null(strstr(path, "/dark.ini"));
	assert_int_equal(theme_find("nosuch", NULL, path, sizeof path, &err), K_NOTFOUND);
	assert_non_null(strstr(err.text, "nosuch"));
	assert_int_equal(theme_find("../etc/passwd", NULL, path, sizeof path, &err), K_NOTFOUND);
	assert_int_equal(theme_find("a b", NULL, path, sizeof path, &err), K_INVALID);
	snprintf(path, sizeof path, "%s/mono.ini", THEMES_DIR);
	char got[1200];
	assert_int_equal(theme_find(path, NULL, got, sizeof got, &err), K_OK);
	assert_string_equal(got, path);
	unsetenv("KASSA_THEMEDIR");
}

int main(void)
{
	setlocale(LC_ALL, "");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(theme_parse_style__forms__table),
	    cmocka_unit_test(theme_defaults__every_role__has_a_parsed_style),
	    cmocka_unit_test(theme_load_file__errors__name_line_and_key),
	    cmocka_unit_test(theme_files__shipped__load_and_list_every_role),
	    cmocka_unit_test(theme_find__names_and_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
