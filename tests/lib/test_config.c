/* Tests for lib/config.c: XDG paths, permissions, values, defaults, training, masking. */
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
#include "util.h"

struct fixture {
	char dir[64];
	char cfg_dir[128];
	char path[192];
};

static void rm_rf(const char *path)
{
	/* Only ever our own mkdtemp folder; a small recursive remove without nftw. */
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (strncmp(path, "/tmp/kassa-test-config-", 23) == 0)
		assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-config-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	char buf[160];
	snprintf(buf, sizeof buf, "%s/config", fx->dir);
	setenv("XDG_CONFIG_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/data", fx->dir);
	setenv("XDG_DATA_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/home", fx->dir);
	setenv("HOME", buf, 1);
	snprintf(fx->cfg_dir, sizeof fx->cfg_dir, "%s/config/kassa", fx->dir);
	snprintf(fx->path, sizeof fx->path, "%s/config.ini", fx->cfg_dir);
	char cfg[128];
	snprintf(cfg, sizeof cfg, "%s/config", fx->dir);
	mkdir(cfg, 0700);
	mkdir(fx->cfg_dir, 0700);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	rm_rf(fx->dir);
	free(fx);
	return 0;
}

static void write_config(struct fixture *fx, const char *text, mode_t mode)
{
	unlink(fx->path);
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(fx->path, mode), 0);
}

/* Loads text as the config; returns the status, fills err and (on success) cfg. */
static kstatus load(struct fixture *fx, const char *text, struct config **cfg, struct kerr *err)
{
	write_config(fx, text, 0600);
	kerr_clear(err);
	return config_load(NULL, cfg, err);
}

#define LIFEPAY_OK "[profile.shop]\nlogin = 79991234567\napikey = SUPERSECRET-1\n"

/* --- paths ---------------------------------------------------------------------------------- */

static void config_path__follows_xdg__else_home(void **state)
{
	struct fixture *fx = *state;
	char buf[256];
	assert_int_equal(config_path(buf, sizeof buf, NULL), K_OK);
	assert_string_equal(buf, fx->path);
	/* a relative XDG_CONFIG_HOME is ignored, as the XDG rules say */
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	char want[256];
	snprintf(want, sizeof want, "%s/home/.config/kassa/config.ini", fx->dir);
	assert_int_equal(config_path(buf, sizeof buf, NULL), K_OK);
	assert_string_equal(buf, want);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(config_path(buf, sizeof buf, NULL), K_OK);
	assert_string_equal(buf, want);
	char tiny[8];
	struct kerr err = {0};
	assert_int_equal(config_path(tiny, sizeof tiny, &err), K_INVALID);
}

static void config_journal_path__separate_files_in_private_data_dir(void **state)
{
	struct fixture *fx = *state;
	char real[256], training[256], dir[256];
	assert_int_equal(config_journal_path(false, real, sizeof real, NULL), K_OK);
	assert_int_equal(config_journal_path(true, training, sizeof training, NULL), K_OK);
	char want[256];
	snprintf(want, sizeof want, "%s/data/kassa/journal.db", fx->dir);
	assert_string_equal(real, want);
	snprintf(want, sizeof want, "%s/data/kassa/training-journal.db", fx->dir);
	assert_string_equal(training, want);
	assert_int_equal(config_data_dir(dir, sizeof dir, false, NULL), K_OK);
	struct stat sb;
	assert_int_equal(stat(dir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* fallback under HOME, created with its parents */
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(config_journal_path(false, real, sizeof real, NULL), K_OK);
	snprintf(want, sizeof want, "%s/home/.local/share/kassa/journal.db", fx->dir);
	assert_string_equal(real, want);
	snprintf(want, sizeof want, "%s/home/.local/share/kassa", fx->dir);
	assert_int_equal(stat(want, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
}

/* --- loading -------------------------------------------------------------------------------- */

static void config_load__no_file__no_profiles__training(void **state)
{
	(void)state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(config_load(NULL, &cfg, &err), K_OK);
	assert_false(cfg->exists);
	assert_int_equal(cfg->nprofiles, 0);
	struct config_profile p;
	assert_int_equal(config_select(cfg, NULL, false, &p, &err), K_OK);
	assert_true(p.training);
	assert_int_equal(p.provider, KPROVIDER_LIFEPAY);
	assert_string_equal(p.login, "70000000000");
	assert_string_equal(p.apikey, "sandbox-apikey");
	assert_string_equal(p.target_serial, "SANDBOX-0001");
	assert_string_equal(p.base_url, "");
	config_training_profile(&p, 18080);
	assert_string_equal(p.base_url, "http://127.0.0.1:18080");
	assert_string_equal(p.listen_host, "127.0.0.1");
	assert_int_equal(p.listen_port, 0);
	/* a named profile that does not exist is an error, not training */
	assert_int_equal(config_select(cfg, "shop", false, &p, &err), K_NOTFOUND);
	config_free(cfg);
}

static void config_load__readable_by_others__refused_with_chmod(void **state)
{
	struct fixture *fx = *state;
	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_config(fx, LIFEPAY_OK, modes[i]);
		struct config *cfg = NULL;
		struct kerr err = {0};
		assert_int_equal(config_load(NULL, &cfg, &err), K_REFUSED);
		assert_null(cfg);
		char want[256];
		snprintf(want, sizeof want, "chmod 600 %s", fx->path);
		assert_non_null(strstr(err.text, want));
		assert_null(strstr(err.text, "SUPERSECRET"));
	}
	write_config(fx, LIFEPAY_OK, 0600);
	struct config *cfg = NULL;
	assert_int_equal(config_load(NULL, &cfg, NULL), K_OK);
	assert_true(cfg->exists);
	config_free(cfg);
	write_config(fx, LIFEPAY_OK, 0400);
	assert_int_equal(config_load(fx->path, &cfg, NULL), K_OK);
	config_free(cfg);
}

static void config_load__minimal_lifepay__gets_defaults(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(load(fx, LIFEPAY_OK, &cfg, &err), K_OK);
	assert_int_equal(cfg->nprofiles, 1);
	assert_int_equal(cfg->nwarnings, 0);
	const struct config_profile *p = config_profile_find(cfg, "shop");
	assert_non_null(p);
	assert_int_equal(p->provider, KPROVIDER_LIFEPAY);
	assert_string_equal(p->base_url, "https://sapi.life-pay.ru");
	assert_string_equal(p->login, "79991234567");
	assert_string_equal(p->apikey, "SUPERSECRET-1");
	assert_false(p->test);
	assert_false(p->training);
	assert_int_equal(p->tax_system, TAX_DEFAULT);
	assert_string_equal(p->listen_host, "127.0.0.1");
	assert_int_equal(p->listen_port, 0);
	assert_int_equal(p->retry_count, 4);
	assert_int_equal(p->retry_schedule[0], 60);
	assert_int_equal(p->retry_schedule[3], 600);
	assert_int_equal(p->paper_width, 42);
	assert_int_equal(p->stale_after_s, 900);
	assert_int_equal(p->max_in_flight, 4);
	assert_int_equal(p->max_receipt, 100000000); /* 1,000,000.00 */
	assert_string_equal(p->theme, "default");
	assert_false(p->pos_terminal);
	assert_int_equal(p->line, 1);
	struct config_profile sel;
	assert_int_equal(config_select(cfg, NULL, false, &sel, &err), K_OK); /* the only one */
	assert_string_equal(sel.name, "shop");
	assert_int_equal(config_select(cfg, NULL, true, &sel, &err), K_OK); /* --training */
	assert_true(sel.training);
	config_free(cfg);
}

static void config_load__every_key__parsed(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	const char *text = "; kassa settings\n"
			   "[kassa]\n"
			   "default_profile = pk\n"
			   "\n"
			   "[profile.shop]\n"
			   "provider = lifepay\n"
			   "base_url = https://sapi.example.ru/\n"
			   "login = 79991234567\n"
			   "apikey = SUPERSECRET-1\n"
			   "target_serial = 00106709065498\n"
			   "cashier_name = Иванова Мария\n"
			   "cashier_inn = 500123456750\n"
			   "tax_system = usn6\n"
			   "test = true\n"
			   "listen = [::1]:8088\n"
			   "public_url = https://relay.example.ru/kassa/\n"
			   "retry_schedule = 1, 2,3\n"
			   "theme = high-contrast\n"
			   "paper_width = 32\n"
			   "catalog = ~/catalog.csv\n"
			   "pos_terminal = on\n"
			   "stale_after = 60\n"
			   "max_in_flight = 8\n"
			   "\n"
			   "[profile.pk]\n"
			   "provider = paykeeper\n"
			   "server = demo.server.paykeeper.ru\n"
			   "user = admin\n"
			   "password = PK-PASSWORD\n"
			   "secret = PK-SECRET\n"
			   "\n"
			   "[keys]\n"
			   "F5 = pay\n"
			   "C-x = void-line\n";
	assert_int_equal(load(fx, text, &cfg, &err), K_OK);
	assert_int_equal(cfg->nwarnings, 0);
	assert_string_equal(cfg->default_profile, "pk");
	const struct config_profile *p = config_profile_find(cfg, "shop");
	assert_non_null(p);
	assert_string_equal(p->base_url, "https://sapi.example.ru");
	assert_string_equal(p->target_serial, "00106709065498");
	assert_string_equal(p->cashier_name, "Иванова Мария");
	assert_string_equal(p->cashier_inn, "500123456750");
	assert_int_equal(p->tax_system, TAX_USN6);
	assert_true(p->test);
	assert_string_equal(p->listen_host, "::1");
	assert_int_equal(p->listen_port, 8088);
	char lbuf[64];
	assert_string_equal(config_listen_str(p, lbuf, sizeof lbuf), "[::1]:8088");
	assert_string_equal(p->public_url, "https://relay.example.ru/kassa");
	assert_int_equal(p->retry_count, 3);
	assert_int_equal(p->retry_schedule[0], 1);
	assert_int_equal(p->retry_schedule[2], 3);
	assert_string_equal(p->theme, "high-contrast");
	assert_int_equal(p->paper_width, 32);
	char want[256];
	snprintf(want, sizeof want, "%s/home/catalog.csv", fx->dir);
	assert_string_equal(p->catalog, want);
	assert_true(p->pos_terminal);
	assert_int_equal(p->stale_after_s, 60);
	assert_int_equal(p->max_in_flight, 8);
	assert_int_equal(p->line, 5);
	const struct config_profile *pk = config_profile_find(cfg, "pk");
	assert_non_null(pk);
	assert_int_equal(pk->provider, KPROVIDER_PAYKEEPER);
	assert_string_equal(pk->base_url, "https://demo.server.paykeeper.ru");
	assert_string_equal(pk->user, "admin");
	assert_string_equal(pk->password, "PK-PASSWORD");
	assert_string_equal(pk->secret, "PK-SECRET");
	assert_int_equal(cfg->nkeys, 2);
	assert_string_equal(cfg->keys[0].key, "F5");
	assert_string_equal(cfg->keys[0].action, "pay");
	assert_int_equal(cfg->keys[1].line, 34);
	struct config_profile sel;
	assert_int_equal(config_select(cfg, NULL, false, &sel, &err), K_OK); /* the default */
	assert_string_equal(sel.name, "pk");
	assert_int_equal(config_select(cfg, "shop", false, &sel, &err), K_OK);
	assert_string_equal(sel.name, "shop");
	assert_int_equal(config_select(cfg, "nope", false, &sel, &err), K_NOTFOUND);
	assert_non_null(strstr(err.text, "shop, pk"));
	config_free(cfg);
}

static void config_load__bad_value__names_file_line_section_key_and_allowed(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *line;
		const char *key;
		const char *allowed;
	} cases[] = {
	    {"provider = atol", "provider", "lifepay or paykeeper"},
	    {"base_url = http://sapi.life-pay.ru", "base_url", "https://"},
	    {"base_url = ftp://x", "base_url", "https://"},
	    {"login = 89991234567", "login", "7 followed by 10 digits"},
	    {"login = 7999123456", "login", "7 followed by 10 digits"},
	    {"cashier_inn = 12345", "cashier_inn", "12 digits"},
	    {"cashier_inn = 123456789012", "cashier_inn", "check digits"},
	    {"cashier_inn = 7707083893", "cashier_inn", "a person"},
	    {"tax_system = usn", "tax_system", "osn, usn6, usn15"},
	    {"test = maybe", "test", "0, 1, true or false"},
	    {"pos_terminal = 2", "pos_terminal", "0, 1, true or false"},
	    {"max_receipt = 0", "max_receipt", "above zero"},
	    {"max_receipt = lots", "max_receipt", "above zero"},
	    {"listen = 127.0.0.1", "listen", "HOST:PORT"},
	    {"listen = 127.0.0.1:70000", "listen", "0-65535"},
	    {"listen = ::1:80", "listen", "[::1]"},
	    {"public_url = relay.example.ru", "public_url", "http(s)://"},
	    {"retry_schedule = 60,,180", "retry_schedule", "comma-separated"},
	    {"retry_schedule = 0", "retry_schedule", "1-86400"},
	    {"retry_schedule = 60,", "retry_schedule", "the last repeating"},
	    {"retry_schedule = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "retry_schedule",
	     "1 to 16"},
	    {"retry_schedule = soon", "retry_schedule", "seconds"},
	    {"theme = ../../etc/passwd", "theme", "letters, digits"},
	    {"paper_width = 40", "paper_width", "32, 42 or 48"},
	    {"paper_width = -32", "paper_width", "32, 42 or 48"},
	    {"stale_after = 0", "stale_after", "1 to 604800"},
	    {"stale_after = 15m", "stale_after", "1 to 604800"},
	    {"max_in_flight = 0", "max_in_flight", "1 to 64"},
	    {"max_in_flight = 65", "max_in_flight", "1 to 64"},
	    {"server = ftp://pk.example", "server", "PayKeeper server"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "%s%s\n", LIFEPAY_OK, cases[i].line);
		struct config *cfg = NULL;
		struct kerr err = {0};
		assert_int_equal(load(fx, text, &cfg, &err), K_INVALID);
		assert_null(cfg);
		char want[256];
		snprintf(want, sizeof want, "%s:4: [profile.shop] %s", fx->path, cases[i].key);
		if (!strstr(err.text, want) || !strstr(err.text, cases[i].allowed))
			fail_msg("case %zu (%s): got \"%s\"", i, cases[i].line, err.text);
		snprintf(want, sizeof want, "profile.shop.%s", cases[i].key);
		assert_string_equal(err.field, want);
		assert_null(strstr(err.text, "SUPERSECRET"));
	}
}

static void config_load__secrets__never_in_errors_or_warnings(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	/* a bad secret value is described, not repeated */
	assert_int_equal(
	    load(fx, "[profile.shop]\nlogin = 79991234567\napikey = MY SECRET KEY\n", &cfg, &err),
	    K_INVALID);
	assert_non_null(strstr(err.text, ":3: [profile.shop] apikey"));
	assert_null(strstr(err.text, "MY SECRET"));
	/* a misspelt secret key is a warning naming the key, never its value */
	assert_int_equal(
	    load(fx, LIFEPAY_OK "apikye = LEAKED-VALUE\npasword = LEAKED-2\n", &cfg, &err), K_OK);
	assert_int_equal(cfg->nwarnings, 2);
	assert_non_null(strstr(cfg->warnings[0], ":4: [profile.shop] unknown key \"apikye\""));
	assert_non_null(strstr(cfg->warnings[0], "did you mean \"apikey\""));
	for (size_t i = 0; i < cfg->nwarnings; i++) {
		assert_null(strstr(cfg->warnings[i], "LEAKED"));
		assert_null(strstr(cfg->warnings[i], "SUPERSECRET"));
	}
	config_free(cfg);
	/* several problems: the first is told, the others counted */
	assert_int_equal(load(fx, LIFEPAY_OK "paper_width = 1\ntest = x\n", &cfg, &err), K_INVALID);
	assert_non_null(strstr(err.text, "paper_width"));
	assert_non_null(strstr(err.text, "and 1 more"));
	assert_null(strstr(err.text, "SUPERSECRET"));
}

static void config_load__missing_credentials__named(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
	    {"[profile.shop]\nlogin = 79991234567\n", ":1: [profile.shop] apikey"},
	    {"[profile.shop]\napikey = k\n", ":1: [profile.shop] login"},
	    {"[profile.pk]\nprovider = paykeeper\nuser = u\npassword = p\n",
	     ":1: [profile.pk] server"},
	    {"[profile.pk]\nprovider = paykeeper\nserver = a.b\npassword = p\n",
	     ":1: [profile.pk] user"},
	    {"[profile.pk]\nprovider = paykeeper\nserver = a.b\nuser = u\n",
	     ":1: [profile.pk] password"},
	    {"[profile.empty]\n", ":1: [profile.empty] login"},
	    {"[kassa]\ndefault_profile = ghost\n" LIFEPAY_OK, ":2: [kassa] default_profile"},
	    {"[profile.training]\nlogin = 79991234567\napikey = k\n", "reserved"},
	    {"[profile.a b]\nlogin = 79991234567\napikey = k\n", "profile name"},
	    {"[profile.shop]\nthis line has no equals sign\n", ":2:"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config *cfg = NULL;
		struct kerr err = {0};
		assert_int_equal(load(fx, cases[i].text, &cfg, &err), K_INVALID);
		if (!strstr(err.text, cases[i].want) || !strstr(err.text, fx->path))
			fail_msg("case %zu: got \"%s\"", i, err.text);
	}
}

static void config_load__warnings_for_unknowns_and_repeats(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	const char *text = "orphan = 1\n"
			   "[printer]\n"
			   "a = 1\n"
			   "b = 2\n"
			   "[kassa]\n"
			   "defualt_profile = shop\n" LIFEPAY_OK "paper_width = 32\n"
			   "paper_width = 48\n"
			   "[keys]\nF5 = pay\nF5 = cancel\n";
	assert_int_equal(load(fx, text, &cfg, &err), K_OK);
	assert_int_equal(cfg->nwarnings, 5);
	assert_non_null(strstr(cfg->warnings[0], ":1: \"orphan\" is outside any section"));
	assert_non_null(strstr(cfg->warnings[1], ":3: unknown section [printer]"));
	assert_non_null(strstr(cfg->warnings[2], "did you mean \"default_profile\""));
	assert_non_null(strstr(cfg->warnings[3], ":11: [profile.shop] paper_width is set twice"));
	assert_non_null(strstr(cfg->warnings[4], "F5 is bound twice (also line 13)"));
	assert_int_equal(config_profile_find(cfg, "shop")->paper_width, 48);
	config_free(cfg);
	/* PayKeeper without a secret word: warned, polled only */
	assert_int_equal(load(fx,
			      "[profile.pk]\nprovider = paykeeper\nserver = https://x.example/\n"
			      "user = u\npassword = p\npublic_url = http://cb.example\n",
			      &cfg, &err),
			 K_OK);
	assert_int_equal(cfg->nwarnings, 2);
	assert_non_null(strstr(cfg->warnings[0], "no secret"));
	assert_non_null(strstr(cfg->warnings[1], "plain http"));
	assert_string_equal(cfg->profiles[0].base_url, "https://x.example");
	config_free(cfg);
}

static void config_load__listen_tls__pairs_and_https_warning(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	/* https on a public listener without a certificate: warned */
	assert_int_equal(load(fx,
			      LIFEPAY_OK "listen = 0.0.0.0:8088\n"
					 "public_url = https://shop.example:8088\n",
			      &cfg, &err),
			 K_OK);
	assert_int_equal(cfg->nwarnings, 1);
	assert_non_null(strstr(cfg->warnings[0], "listen_cert"));
	assert_non_null(strstr(cfg->warnings[0], "plain HTTP"));
	config_free(cfg);
	/* with both files: no warning, both kept */
	assert_int_equal(load(fx,
			      LIFEPAY_OK "listen = 0.0.0.0:8088\n"
					 "public_url = https://shop.example:8088\n"
					 "listen_cert = /etc/kassa/cert.pem\n"
					 "listen_key = /etc/kassa/key.pem\n",
			      &cfg, &err),
			 K_OK);
	assert_int_equal(cfg->nwarnings, 0);
	assert_string_equal(cfg->profiles[0].listen_cert, "/etc/kassa/cert.pem");
	assert_string_equal(cfg->profiles[0].listen_key, "/etc/kassa/key.pem");
	config_free(cfg);
	/* a certificate without its key: refused, naming the missing key */
	assert_int_equal(load(fx, LIFEPAY_OK "listen_cert = /etc/kassa/cert.pem\n", &cfg, &err),
			 K_INVALID);
	assert_non_null(strstr(err.text, "listen_key"));
}

static void config_load__overlong_line__refused(void **state)
{
	struct fixture *fx = *state;
	char text[2048];
	int n = snprintf(text, sizeof text, "%scashier_name = ", LIFEPAY_OK);
	for (int i = 0; i < 1300; i++) /* lines hold up to CONFIG_INI_LINE_MAX (1200) bytes */
		text[n++] = 'x';
	text[n++] = '\n';
	text[n] = '\0';
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(load(fx, text, &cfg, &err), K_INVALID);
	assert_non_null(strstr(err.text, ":4:"));
	assert_non_null(strstr(err.text, "longer than"));
}

static void config_select__several_without_default__asks(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(
	    load(fx, LIFEPAY_OK "[profile.second]\nlogin = 79990000000\napikey = z\n", &cfg, &err),
	    K_OK);
	struct config_profile p;
	assert_int_equal(config_select(cfg, NULL, false, &p, &err), K_INVALID);
	assert_non_null(strstr(err.text, "shop, second"));
	assert_non_null(strstr(err.text, "--profile"));
	assert_int_equal(config_select(cfg, "second", false, &p, &err), K_OK);
	assert_string_equal(p.login, "79990000000");
	config_free(cfg);
}

/* --- masking -------------------------------------------------------------------------------- */

static void config_load__max_receipt__in_roubles(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(load(fx, LIFEPAY_OK "max_receipt = 5000,50\n", &cfg, &err), K_OK);
	const struct config_profile *p = config_profile_find(cfg, "shop");
	assert_non_null(p);
	assert_int_equal(p->max_receipt, 500050);
	config_free(cfg);
}

static void config_dump__masks_secrets_unless_asked(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr err = {0};
	assert_int_equal(load(fx,
			      LIFEPAY_OK "[profile.pk]\nprovider = paykeeper\nserver = a.example\n"
					 "user = u\npassword = PK-PASSWORD\nsecret = PK-SECRET\n",
			      &cfg, &err),
			 K_OK);
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		char *d = config_dump(&cfg->profiles[i], true);
		assert_null(strstr(d, "SUPERSECRET"));
		assert_null(strstr(d, "PK-PASSWORD"));
		assert_null(strstr(d, "PK-SECRET"));
		assert_non_null(strstr(d, "********"));
		free(d);
	}
	char *d = config_dump(config_profile_find(cfg, "shop"), true);
	assert_non_null(strstr(d, "[profile.shop]\n"));
	assert_non_null(strstr(d, "apikey = ********\n"));
	assert_non_null(strstr(d, "login = 79991234567\n"));
	assert_non_null(strstr(d, "retry_schedule = 60,180,300,600\n"));
	assert_non_null(strstr(d, "listen = 127.0.0.1:0\n"));
	free(d);
	d = config_dump(config_profile_find(cfg, "pk"), false);
	assert_non_null(strstr(d, "password = PK-PASSWORD\n"));
	free(d);
	/* the dump reads back as the same profile */
	d = config_dump(config_profile_find(cfg, "shop"), false);
	config_free(cfg);
	assert_int_equal(load(fx, d, &cfg, &err), K_OK);
	free(d);
	assert_int_equal(cfg->nwarnings, 0);
	assert_string_equal(cfg->profiles[0].apikey, "SUPERSECRET-1");
	config_free(cfg);

	assert_string_equal(config_mask(""), "");
	assert_string_equal(config_mask(NULL), "");
	assert_string_equal(config_mask("a"), "********");
	assert_string_equal(config_mask("a-very-long-key-0123456789"), "********");
	assert_true(config_key_is_secret("apikey"));
	assert_true(config_key_is_secret("password"));
	assert_true(config_key_is_secret("secret"));
	assert_false(config_key_is_secret("login"));
	struct config_profile t;
	config_training_profile(&t, 0);
	d = config_dump(&t, true);
	assert_null(strstr(d, "sandbox-apikey"));
	assert_non_null(strstr(d, "training"));
	free(d);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(config_path__follows_xdg__else_home),
	    T(config_journal_path__separate_files_in_private_data_dir),
	    T(config_load__no_file__no_profiles__training),
	    T(config_load__readable_by_others__refused_with_chmod),
	    T(config_load__minimal_lifepay__gets_defaults),
	    T(config_load__every_key__parsed),
	    T(config_load__bad_value__names_file_line_section_key_and_allowed),
	    T(config_load__secrets__never_in_errors_or_warnings),
	    T(config_load__missing_credentials__named),
	    T(config_load__warnings_for_unknowns_and_repeats),
	    T(config_load__listen_tls__pairs_and_https_warning),
	    T(config_load__overlong_line__refused),
	    T(config_select__several_without_default__asks),
	    T(config_dump__masks_secrets_unless_asked),
	    T(config_load__max_receipt__in_roubles),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
