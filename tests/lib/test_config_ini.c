/*
 * lib/config_ini.c and the config_load() paths it serves (issue 11,
 * finding 10): NUL bytes, 255-character secrets, a FIFO as the config,
 * '@' in addresses, and only the selected profile's secrets kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "config_ini.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[192];
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-ini-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	char buf[160];
	snprintf(buf, sizeof buf, "%s/config", fx->dir);
	setenv("XDG_CONFIG_HOME", buf, 1);
	mkdir(buf, 0700);
	snprintf(buf, sizeof buf, "%s/data", fx->dir);
	setenv("XDG_DATA_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/config/kassa", fx->dir);
	mkdir(buf, 0700);
	snprintf(fx->path, sizeof fx->path, "%s/config.ini", buf);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (strncmp(fx->dir, "/tmp/kassa-test-ini-", 20) == 0 && system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static kstatus load_bytes(struct fixture *fx, const char *text, size_t len, struct config **cfg,
			  struct kerr *err)
{
	unlink(fx->path);
	int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	kerr_clear(err);
	*cfg = NULL;
	return config_load(NULL, cfg, err);
}

static kstatus load(struct fixture *fx, const char *text, struct config **cfg, struct kerr *err)
{
	return load_bytes(fx, text, strlen(text), cfg, err);
}

static void config_load__nul_byte__named_with_its_line(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[profile.shop]\nlogin = 79991234567\napi\0key = x\n";
	struct config *cfg;
	struct kerr err = {0};
	assert_int_equal(load_bytes(fx, text, sizeof text - 1, &cfg, &err), K_INVALID);
	assert_null(cfg);
	assert_non_null(strstr(err.text, ":3:"));
	assert_non_null(strstr(err.text, "NUL byte"));
	assert_null(strstr(err.text, "longer than")); /* what it used to say */
}

static void config_load__secret_of_255_characters__kept_whole(void **state)
{
	struct fixture *fx = *state;
	char key[256];
	for (int i = 0; i < 255; i++)
		key[i] = (char)('a' + i % 26);
	key[255] = '\0';
	char text[600];
	snprintf(text, sizeof text, "[profile.shop]\nlogin = 79991234567\napikey = %s\n", key);
	struct config *cfg;
	struct kerr err = {0};
	assert_int_equal(load(fx, text, &cfg, &err), K_OK);
	assert_string_equal(cfg->profiles[0].apikey, key);
	config_free(cfg);
	/* 256 is one too many: refused, the value not shown */
	snprintf(text, sizeof text, "[profile.shop]\nlogin = 79991234567\napikey = %sz\n", key);
	assert_int_equal(load(fx, text, &cfg, &err), K_INVALID);
	assert_non_null(strstr(err.text, "apikey"));
	assert_null(strstr(err.text, "abcdefghij"));
}

static void config_load__fifo__refused_without_hanging(void **state)
{
	struct fixture *fx = *state;
	unlink(fx->path);
	assert_int_equal(mkfifo(fx->path, 0600), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(3); /* a hang ends here with SIGALRM */
		struct config *cfg;
		struct kerr err = {0};
		kstatus st = config_load(NULL, &cfg, &err);
		_exit(st != K_OK && strstr(err.text, "not a regular file") ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void config_load__userinfo_in_address__refused(void **state)
{
	struct fixture *fx = *state;
	static const char *const bad[] = {
	    "base_url = http://127.0.0.1:80@evil.example/",
	    "base_url = https://sapi.life-pay.ru@evil.example",
	    "base_url = https://user:pw@sapi.life-pay.ru",
	    "public_url = https://kassa.example.ru@evil.example/cb",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[300];
		snprintf(text, sizeof text, "[profile.shop]\nlogin = 79991234567\napikey = k\n%s\n",
			 bad[i]);
		struct config *cfg;
		struct kerr err = {0};
		assert_int_equal(load(fx, text, &cfg, &err), K_INVALID);
		assert_non_null(strstr(err.text, ":4:"));
		assert_non_null(strstr(err.text, "'@'"));
	}
	static const char pk[] = "[profile.pk]\nprovider = paykeeper\nuser = u\npassword = p\n"
				 "server = shop.server.paykeeper.ru@evil.example\n";
	struct config *cfg;
	struct kerr err = {0};
	assert_int_equal(load(fx, pk, &cfg, &err), K_INVALID);
	assert_non_null(strstr(err.text, "server"));
	/* '@' after the host (a path) is no trick */
	assert_int_equal(load(fx,
			      "[profile.shop]\nlogin = 79991234567\napikey = k\n"
			      "base_url = https://sapi.example.ru/a@b\n",
			      &cfg, &err),
			 K_OK);
	config_free(cfg);
}

static void config_keep_secrets_of__wipes_the_other_profiles(void **state)
{
	struct fixture *fx = *state;
	static const char text[] = "[profile.shop]\nlogin = 79991234567\napikey = SHOP-KEY\n"
				   "[profile.pk]\nprovider = paykeeper\nserver = a.example\n"
				   "user = u\npassword = PK-PASSWORD\nsecret = PK-SECRET\n"
				   "[kassa]\ndefault_profile = shop\n";
	struct config *cfg;
	struct kerr err = {0};
	assert_int_equal(load(fx, text, &cfg, &err), K_OK);
	config_keep_secrets_of(cfg, "shop");
	assert_string_equal(config_profile_find(cfg, "shop")->apikey, "SHOP-KEY");
	const struct config_profile *pk = config_profile_find(cfg, "pk");
	static const char zero[CONFIG_SECRET_MAX];
	assert_memory_equal(pk->password, zero, sizeof zero);
	assert_memory_equal(pk->secret, zero, sizeof zero);
	assert_string_equal(pk->user, "u"); /* not a secret: kept */
	config_keep_secrets_of(cfg, NULL);
	assert_memory_equal(config_profile_find(cfg, "shop")->apikey, zero, sizeof zero);
	config_free(cfg);
}

static void config_check_training_fallback__refused_when_a_live_journal_exists(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg;
	struct kerr err = {0};
	unlink(fx->path);
	assert_int_equal(config_load(NULL, &cfg, &err), K_OK);
	assert_false(cfg->exists);
	assert_int_equal(config_check_training_fallback(cfg, &err), K_OK); /* first run */
	char dir[256], j[300];
	assert_int_equal(config_data_dir(dir, sizeof dir, true, &err), K_OK);
	snprintf(j, sizeof j, "%s/journal.db", dir);
	int fd = open(j, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(config_check_training_fallback(cfg, &err), K_NOTFOUND);
	assert_non_null(strstr(err.text, fx->path));
	assert_non_null(strstr(err.text, "--training"));
	config_free(cfg);
}

static int on_entry(void *user, int line, const char *section, const char *name, const char *value)
{
	char *out = user;
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%d[%s]%s=%s|", line, section, name ? name : "-",
		 value ? value : "-");
	return 1;
}

/* libinih's rules, kept: comments, inline comments, ':' separator, continuation, BOM. */
static void config_ini_parse__follows_libinih_rules(void **state)
{
	(void)state;
	char text[] = "\xef\xbb\xbf; comment\n# also\n[a]\nk = v ; note\nx: y\n  more\n"
		      "s=semi;colon\n\n[b]\nempty =\n";
	char out[1024] = "";
	struct kerr err = {0};
	assert_int_equal(config_ini_parse(text, sizeof text - 1, "t", on_entry, out, &err), 0);
	assert_string_equal(out, "3[a]-=-|4[a]k=v|5[a]x=y|6[a]x=more|7[a]s=semi;colon|"
				 "9[b]-=-|10[b]empty=|");
	char bad[] = "[a]\nno separator here\n[broken\n";
	out[0] = '\0';
	assert_int_equal(config_ini_parse(bad, sizeof bad - 1, "t", on_entry, out, &err), 2);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(config_load__nul_byte__named_with_its_line),
	    T(config_load__secret_of_255_characters__kept_whole),
	    T(config_load__fifo__refused_without_hanging),
	    T(config_load__userinfo_in_address__refused),
	    T(config_keep_secrets_of__wipes_the_other_profiles),
	    T(config_check_training_fallback__refused_when_a_live_journal_exists),
	    cmocka_unit_test(config_ini_parse__follows_libinih_rules),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
