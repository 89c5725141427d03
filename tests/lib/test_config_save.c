/* Tests for lib/config_save.c: changing keys in place, comments kept, atomic 0600 writes. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_ini.h"
#include "config_save.h"
#include "util.h"

static const char base[] = "; kassa config, written by hand\n"
			   "[kassa]\n"
			   "default_profile = shop   ; the one at the till\n"
			   "\n"
			   "[profile.shop]\n"
			   "# LifePay account of the shop\n"
			   "provider = lifepay\n"
			   "login = 79991234567\n"
			   "apikey = sup3r-secret-key   ; from the cabinet\n"
			   "target_serial = 00000000381001234\n"
			   "theme = dark\n"
			   "some_future_key = kept as is\n"
			   "\n"
			   "; the second till\n"
			   "[profile.kiosk]\n"
			   "provider = lifepay\n"
			   "login = 79990000000\n"
			   "apikey = other-key\n"
			   "test = 1\n";

static char *apply(const char *text, const char *section, const struct config_change *c, size_t n)
{
	struct kerr err;
	kerr_clear(&err);
	char *out = config_save_apply(text, strlen(text), section, c, n, &err);
	if (!out)
		fail_msg("apply refused: %s: %s", err.field, err.text);
	return out;
}

/* The text between "[name]" and the next section header (or the end). */
static char *section_text(const char *text, const char *name)
{
	char head[64];
	snprintf(head, sizeof head, "[%s]", name);
	const char *s = strstr(text, head);
	if (!s)
		return NULL;
	const char *e = strstr(s + 1, "\n[");
	return xstrndup(s, e ? (size_t)(e - s) + 1 : strlen(s));
}

static void config_save_apply__changes_only_given_keys__comments_kept(void **state)
{
	struct config_change c[] = {{"target_serial", "SANDBOX-0002"}, {"theme", "mono"}};
	char *out = apply(base, "profile.shop", c, 2);
	assert_non_null(strstr(out, "target_serial = SANDBOX-0002\n"));
	assert_non_null(strstr(out, "theme = mono\n"));
	assert_null(strstr(out, "00000000381001234"));
	/* Everything else, byte for byte. */
	char *expect = xstrdup(base);
	char *p = strstr(expect, "00000000381001234");
	assert_non_null(p);
	char rebuilt[2048];
	snprintf(rebuilt, sizeof rebuilt, "%.*sSANDBOX-0002%s", (int)(p - expect), expect,
		 p + strlen("00000000381001234"));
	p = strstr(rebuilt, "theme = dark");
	memcpy(p, "theme = mono", 12);
	assert_string_equal(out, rebuilt);
	free(expect);
	free(out);
}

static void config_save_apply__keeps_inline_comment__of_changed_value(void **state)
{
	struct config_change c = {"default_profile", "kiosk"};
	char *out = apply(base, "kassa", &c, 1);
	assert_non_null(strstr(out, "default_profile = kiosk   ; the one at the till\n"));
	free(out);
	struct config_change k = {"apikey", "new-key"};
	out = apply(base, "profile.shop", &k, 1);
	assert_non_null(strstr(out, "apikey = new-key   ; from the cabinet\n"));
	assert_non_null(strstr(out, "apikey = other-key\n")); /* the kiosk's */
	free(out);
}

static void config_save_apply__leaves_second_section__untouched(void **state)
{
	struct config_change c[] = {{"test", "1"}, {"paper_width", "42"}, {"theme", NULL}};
	char *out = apply(base, "profile.shop", c, 3);
	char *before = section_text(base, "profile.kiosk");
	char *after = section_text(out, "profile.kiosk");
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* New keys go after the section's last key, before the next section's comment. */
	char *shop = section_text(out, "profile.shop");
	assert_non_null(strstr(shop,
			       "some_future_key = kept as is\ntest = 1\npaper_width = 42\n\n; "
			       "the second till\n"));
	assert_null(strstr(shop, "theme"));
	free(shop);
	free(out);
}

static void config_save_apply__adds_missing_section__at_the_end(void **state)
{
	static const char *const texts[] = {
	    "[profile.a]\nprovider = lifepay\n",
	    "[profile.a]\nprovider = lifepay", /* no final newline */
	    "",
	};
	static const char *const want[] = {
	    "[profile.a]\nprovider = lifepay\n\n[kassa]\ndefault_profile = a\n",
	    "[profile.a]\nprovider = lifepay\n\n[kassa]\ndefault_profile = a\n",
	    "[kassa]\ndefault_profile = a\n",
	};
	struct config_change c = {"default_profile", "a"};
	for (size_t i = 0; i < 3; i++) {
		char *out = apply(texts[i], "kassa", &c, 1);
		assert_string_equal(out, want[i]);
		free(out);
	}
	/* Only removals for a missing section: nothing to add. */
	struct config_change rm = {"theme", NULL};
	char *out = apply("[profile.a]\n", "profile.b", &rm, 1);
	assert_string_equal(out, "[profile.a]\n");
	free(out);
}

static void config_save_apply__keeps_crlf_and_bom(void **state)
{
	const char *text = "\xef\xbb\xbf[profile.a]\r\nprovider = lifepay\r\ntheme = dark\r\n"
			   "\r\n[profile.b]\r\ntheme = dark\r\n";
	struct config_change c[] = {{"theme", "mono"}, {"test", "1"}};
	char *out = apply(text, "profile.a", c, 2);
	assert_string_equal(out, "\xef\xbb\xbf[profile.a]\r\nprovider = lifepay\r\ntheme = mono\r\n"
				 "test = 1\r\n\r\n[profile.b]\r\ntheme = dark\r\n");
	free(out);
}

static void config_save_apply__replaces_continued_value__and_repeats(void **state)
{
	/* libinih reads indented lines after a key as more of its value. */
	const char *text = "[p]\nretry_schedule = 60,\n  180,\n  300\ntheme = a\ntheme = b\n";
	struct config_change c[] = {{"retry_schedule", "30"}, {"theme", "c"}};
	char *out = apply(text, "p", c, 2);
	assert_string_equal(out, "[p]\nretry_schedule = 30\ntheme = c\ntheme = c\n");
	free(out);
	/* A key with no space around '=' and an empty value. */
	struct config_change e = {"x", "1"};
	out = apply("[p]\nx=\ny:2\n", "p", &e, 1);
	assert_string_equal(out, "[p]\nx= 1\ny:2\n");
	free(out);
}

static void config_save_apply__refuses_values_that_would_read_back_wrong(void **state)
{
	static const struct {
		const char *section, *key, *value, *why;
	} cases[] = {
	    {"profile.a", "theme", "a\nb", "line break"},
	    {"profile.a", "theme", "a\x1b", "control"},
	    {"profile.a", "theme", "a ;b", "comment"},
	    {"profile.a", "theme", ";b", "comment"},
	    {"profile.a", "theme", " a", "space"},
	    {"profile.a", "theme", "a ", "space"},
	    {"profile.a", "theme", "a\tb", "control"},
	    {"profile.a", "theme", "\xff", "UTF-8"},
	    {"profile.a", "the me", "a", "key"},
	    {"profile.a", "", "a", "key"},
	    {"profile a", "theme", "a", "section"},
	    {"[x]", "theme", "a", "section"},
	    {"", "theme", "a", "section"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config_change c = {cases[i].key, cases[i].value};
		struct kerr err;
		kerr_clear(&err);
		char *out = config_save_apply(base, strlen(base), cases[i].section, &c, 1, &err);
		if (out || !strstr(err.text, cases[i].why))
			fail_msg("case %zu: %s (%s)", i, out ? "accepted" : "wrong message",
				 err.text);
	}
	/* kassa reads lines of CONFIG_INI_LINE_MAX characters: "catalog = " + the rest fits, one
	 * more does not. */
	char path[CONFIG_INI_LINE_MAX + 8];
	memset(path, 'a', sizeof path);
	path[CONFIG_INI_LINE_MAX - 10] = '\0';
	struct config_change fits = {"catalog", path};
	struct kerr e2;
	char *ok = config_save_apply(base, strlen(base), "profile.a", &fits, 1, &e2);
	assert_non_null(ok);
	free(ok);
	path[CONFIG_INI_LINE_MAX - 10] = 'a';
	path[CONFIG_INI_LINE_MAX - 9] = '\0';
	assert_null(config_save_apply(base, strlen(base), "profile.a", &fits, 1, &e2));
	assert_non_null(strstr(e2.text, "too long"));
	struct config_change twice[] = {{"theme", "a"}, {"theme", "b"}};
	struct kerr err;
	assert_null(config_save_apply(base, strlen(base), "profile.a", twice, 2, &err));
	assert_non_null(strstr(err.text, "twice"));
	/* A refused secret is never repeated back. */
	struct config_change secret = {"apikey", "hunter2-secret ;x"};
	assert_null(config_save_apply(base, strlen(base), "profile.shop", &secret, 1, &err));
	assert_null(strstr(err.text, "hunter2"));
	/* An inline comment that makes the changed line too long. */
	char longc[CONFIG_INI_LINE_MAX + 64];
	snprintf(longc, sizeof longc, "[p]\nx = 1 ; %0*d\n", CONFIG_INI_LINE_MAX - 18, 0);
	struct config_change x = {"x", "12345678901234567890"};
	assert_null(config_save_apply(longc, strlen(longc), "p", &x, 1, &err));
	assert_non_null(strstr(err.text, "comment"));
}

/* ---- files ------------------------------------------------------------------ */

struct fixture {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-cfgsave-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->path, sizeof fx->path, "%s/config.ini", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (strncmp(fx->dir, "/tmp/kassa-test-cfgsave-", 24) == 0)
		assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void config_save_profile__file_stays_0600__and_reads_back(void **state)
{
	struct fixture *fx = *state;
	write_file(fx->path, base, 0600);
	struct config_change c[] = {{"test", "1"}, {"target_serial", "SANDBOX-0002"}};
	struct kerr err;
	kerr_clear(&err);
	if (config_save_profile(fx->path, "shop", c, 2, &err) != K_OK)
		fail_msg("%s", err.text);
	struct stat sb;
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(dir_entries(fx->dir), 1); /* no temporary left behind */
	const char *text = read_file(fx->path);
	assert_non_null(strstr(text, "; kassa config, written by hand\n"));
	assert_non_null(strstr(text, "# LifePay account of the shop\n"));

	struct config *cfg;
	assert_int_equal(config_load(fx->path, &cfg, &err), K_OK);
	const struct config_profile *shop = config_profile_find(cfg, "shop");
	assert_non_null(shop);
	assert_true(shop->test);
	assert_string_equal(shop->target_serial, "SANDBOX-0002");
	assert_string_equal(shop->apikey, "sup3r-secret-key");
	assert_string_equal(shop->theme, "dark");
	const struct config_profile *kiosk = config_profile_find(cfg, "kiosk");
	assert_string_equal(kiosk->apikey, "other-key");
	assert_true(kiosk->test);
	config_free(cfg);

	/* A 255-character apikey (the longest the cabinet gives) is saved and reads back. */
	char key[256];
	memset(key, 'k', 255);
	key[255] = '\0';
	struct config_change longkey = {"apikey", key};
	assert_int_equal(config_save_profile(fx->path, "kiosk", &longkey, 1, &err), K_OK);
	assert_int_equal(config_load(fx->path, &cfg, &err), K_OK);
	assert_string_equal(config_profile_find(cfg, "kiosk")->apikey, key);
	config_free(cfg);

	/* A long catalog path reads back. */
	char path[200];
	memset(path, 'c', sizeof path);
	path[0] = '/';
	path[188] = '\0';
	struct config_change longest = {"catalog", path};
	assert_int_equal(config_save_profile(fx->path, "kiosk", &longest, 1, &err), K_OK);
	assert_int_equal(config_load(fx->path, &cfg, &err), K_OK);
	assert_string_equal(config_profile_find(cfg, "kiosk")->catalog, path);
	config_free(cfg);

	/* Switching the default profile. */
	assert_int_equal(config_save_default_profile(fx->path, "kiosk", &err), K_OK);
	assert_int_equal(config_load(fx->path, &cfg, &err), K_OK);
	assert_string_equal(cfg->default_profile, "kiosk");
	config_free(cfg);
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void config_save_set__tightens_loose_file__to_0600(void **state)
{
	struct fixture *fx = *state;
	write_file(fx->path, base, 0644);
	struct config_change c = {"theme", "mono"};
	assert_int_equal(config_save_profile(fx->path, "shop", &c, 1, NULL), K_OK);
	struct stat sb;
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
}

static void config_save_set__creates_file_and_folder__private(void **state)
{
	struct fixture *fx = *state;
	char path[192];
	snprintf(path, sizeof path, "%s/new/kassa/config.ini", fx->dir);
	struct kerr err;
	assert_int_equal(config_save_default_profile(path, "shop", &err), K_OK);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char dir[192];
	snprintf(dir, sizeof dir, "%s/new/kassa", fx->dir);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_string_equal(read_file(path), "[kassa]\ndefault_profile = shop\n");
}

static void config_save_set__follows_symlink__link_stays(void **state)
{
	struct fixture *fx = *state;
	char target[160];
	snprintf(target, sizeof target, "%s/real.ini", fx->dir);
	write_file(target, "[profile.a]\ntheme = dark\n", 0600);
	assert_int_equal(symlink(target, fx->path), 0);
	struct config_change c = {"theme", "mono"};
	assert_int_equal(config_save_profile(fx->path, "a", &c, 1, NULL), K_OK);
	struct stat sb;
	assert_int_equal(lstat(fx->path, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_string_equal(read_file(target), "[profile.a]\ntheme = mono\n");
}

static void config_save_set__refuses_bad_input__file_unchanged(void **state)
{
	struct fixture *fx = *state;
	write_file(fx->path, base, 0600);
	struct config_change c = {"theme", "a\nb"};
	struct kerr err;
	assert_int_equal(config_save_profile(fx->path, "shop", &c, 1, &err), K_INVALID);
	assert_string_equal(read_file(fx->path), base);
	assert_int_equal(config_save_profile(fx->path, "training", &c, 1, &err), K_INVALID);
	assert_int_equal(config_save_profile(fx->path, "bad name", &c, 1, &err), K_INVALID);
	assert_int_equal(config_save_default_profile(fx->path, "", &err), K_INVALID);
	assert_int_equal(dir_entries(fx->dir), 1);
	/* An unwritable folder: K_IO, the old file kept. */
	if (geteuid() != 0) {
		assert_int_equal(chmod(fx->dir, 0500), 0);
		struct config_change ok = {"theme", "mono"};
		assert_int_equal(config_save_profile(fx->path, "shop", &ok, 1, &err), K_IO);
		assert_int_equal(chmod(fx->dir, 0700), 0);
		assert_string_equal(read_file(fx->path), base);
	}
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(config_save_apply__changes_only_given_keys__comments_kept),
	    cmocka_unit_test(config_save_apply__keeps_inline_comment__of_changed_value),
	    cmocka_unit_test(config_save_apply__leaves_second_section__untouched),
	    cmocka_unit_test(config_save_apply__adds_missing_section__at_the_end),
	    cmocka_unit_test(config_save_apply__keeps_crlf_and_bom),
	    cmocka_unit_test(config_save_apply__replaces_continued_value__and_repeats),
	    cmocka_unit_test(config_save_apply__refuses_values_that_would_read_back_wrong),
	    T(config_save_profile__file_stays_0600__and_reads_back),
	    T(config_save_set__tightens_loose_file__to_0600),
	    T(config_save_set__creates_file_and_folder__private),
	    T(config_save_set__follows_symlink__link_stays),
	    T(config_save_set__refuses_bad_input__file_unchanged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
