/* Tests for lib/startup.c: config -> profile -> journal -> outbox -> relay, and each refusal. */
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
#include <sqlite3.h>

#include "startup.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[192];	   /* config.ini */
	char journal[192]; /* the till's journal */
	struct loop *loop;
	struct startup s;
	struct startup_options o;
};

static void rm_rf(const char *path)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
	if (strncmp(path, "/tmp/kassa-test-startup-", 24) == 0)
		assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-startup-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	char buf[160];
	snprintf(buf, sizeof buf, "%s/config", fx->dir);
	setenv("XDG_CONFIG_HOME", buf, 1);
	mkdir(buf, 0700);
	snprintf(buf, sizeof buf, "%s/config/kassa", fx->dir);
	mkdir(buf, 0700);
	snprintf(buf, sizeof buf, "%s/data", fx->dir);
	setenv("XDG_DATA_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/home", fx->dir);
	setenv("HOME", buf, 1);
	snprintf(fx->path, sizeof fx->path, "%s/config/kassa/config.ini", fx->dir);
	snprintf(fx->journal, sizeof fx->journal, "%s/data/kassa/journal.db", fx->dir);
	fx->loop = loop_new();
	startup_init(&fx->s);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	startup_close(&fx->s, &fx->o);
	loop_free(fx->loop);
	rm_rf(fx->dir);
	free(fx);
	return 0;
}

static void write_config(struct fixture *fx, const char *text)
{
	FILE *f = fopen(fx->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(fx->path, 0600), 0);
}

/* A LifePay profile whose provider is never reached: nothing here sends. */
#define SHOP                                                                                       \
	"[profile.shop]\nlogin = 79991234567\napikey = SUPERSECRET-1\n"                            \
	"base_url = http://127.0.0.1:9\nlisten = 127.0.0.1:0\n"
#define TWO_PROFILES                                                                               \
	SHOP "[profile.cafe]\nlogin = 79990000000\napikey = CAFESECRET-2\n"                        \
	     "[kassa]\ndefault_profile = shop\n"

/* --- the config step ------------------------------------------------------------------------ */

static void startup_config__no_config_file__trains_on_the_screen(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_OK);
	assert_true(fx->s.profile.training);
	assert_false(fx->s.config->exists);
}

static void startup_config__no_config_file__refused_for_a_command_naming_it(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	fx->o.config_required = true;
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_CONFIG);
	assert_non_null(strstr(err.text, fx->path));
	assert_non_null(strstr(err.text, "--training"));
	/* --training trains without one */
	fx->o.training = true;
	startup_close(&fx->s, &fx->o);
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_OK);
	assert_true(fx->s.profile.training);
}

static void startup_config__no_config_but_a_live_journal__refused(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	struct journal *j = NULL;
	char dir[192];
	assert_int_equal(config_data_dir(dir, sizeof dir, true, &err), K_OK);
	assert_int_equal(journal_open(fx->journal, &j, &err), K_OK);
	journal_close(j);
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_CONFIG);
	assert_string_equal(err.field, "config");
	assert_non_null(strstr(err.text, fx->journal));
}

static void startup_config__bad_value__refused_naming_file_line_and_key(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP "paper_width = 7\n");
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_CONFIG);
	assert_string_equal(err.field, "profile.shop.paper_width");
	assert_non_null(strstr(err.text, "config.ini:6:"));
	assert_non_null(strstr(err.text, "paper_width = 7"));
	assert_null(strstr(err.text, "SUPERSECRET"));
}

static void startup_config__missing_profile__refused_naming_the_known_ones(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, TWO_PROFILES "[profile.cafe]\nthme = dark\n");
	fx->o.profile = "nope";
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_CONFIG);
	assert_string_equal(err.field, "profile");
	assert_non_null(strstr(err.text, "\"nope\""));
	assert_non_null(strstr(err.text, "shop, cafe"));
	/* the config stays for its warnings (the unknown key) until startup_close */
	assert_non_null(fx->s.config);
	assert_int_equal(fx->s.config->nwarnings, 1);
	assert_non_null(strstr(fx->s.config->warnings[0], "thme"));
}

static void startup_config__default_profile__only_its_secrets_kept(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, TWO_PROFILES);
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_OK);
	assert_string_equal(fx->s.profile.name, "shop");
	assert_string_equal(fx->s.profile.apikey, "SUPERSECRET-1");
	const struct config_profile *cafe = config_profile_find(fx->s.config, "cafe");
	assert_non_null(cafe);
	assert_string_equal(cafe->apikey, "");
	assert_string_equal(config_profile_find(fx->s.config, "shop")->apikey, "SUPERSECRET-1");
}

/* --- the journal step ----------------------------------------------------------------------- */

static void startup_journal__newer_schema__refused_naming_the_file(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP);
	assert_int_equal(startup_open(&fx->s, fx->loop, true, false, &fx->o, &err), STARTUP_OK);
	startup_close(&fx->s, &fx->o);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->journal, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(db, "INSERT INTO schema_version VALUES (999, 0)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err), STARTUP_JOURNAL);
	assert_string_equal(err.field, "journal");
	assert_non_null(strstr(err.text, fx->journal));
	assert_non_null(strstr(err.text, "newer kassa"));
	assert_null(fx->s.journal);
	assert_null(fx->s.outbox);
	assert_null(fx->s.config);
}

static void startup_journal__not_a_journal__refused_naming_the_file(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP);
	char dir[192];
	assert_int_equal(config_data_dir(dir, sizeof dir, true, &err), K_OK);
	FILE *f = fopen(fx->journal, "w");
	assert_non_null(f);
	fputs("this is not an SQLite database, it is a shopping list\n", f);
	fclose(f);
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err), STARTUP_JOURNAL);
	assert_string_equal(err.field, "journal");
	assert_non_null(strstr(err.text, fx->journal));
}

static void startup_journal__training_without_loop__the_training_journal_only(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	fx->o.training = true;
	assert_int_equal(startup_open(&fx->s, NULL, true, true, &fx->o, &err), STARTUP_OK);
	assert_false(fx->s.tr_started);
	assert_non_null(fx->s.journal);
	assert_null(fx->s.outbox);
	assert_non_null(strstr(fx->s.journal_path, "/training-journal.db"));
}

static kstatus on_training_start_fails(struct loop *l, struct training *t, struct kerr *err)
{
	(void)l;
	(void)t;
	return kerr_set(err, K_IO, "sandbox", "cannot bind 127.0.0.1:0: no ports left");
}

static void startup_journal__sandbox_fails__training_step_naming_the_sandbox(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	fx->o.training = true;
	fx->o.training_start = on_training_start_fails;
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err),
			 STARTUP_TRAINING);
	assert_non_null(strstr(err.text, "the training sandbox did not start"));
	assert_non_null(strstr(err.text, "no ports left"));
	assert_false(fx->s.tr_started);
	assert_null(fx->s.journal);
}

static void startup_journal__training_with_loop__the_sandbox_serves_the_profile(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	fx->o.training = true;
	assert_int_equal(startup_config(&fx->s, &fx->o, &err), STARTUP_OK);
	struct config_profile p = fx->s.profile;
	p.test = true;
	assert_int_equal(startup_journal(&fx->s, fx->loop, &p, true, &fx->o, &err), STARTUP_OK);
	assert_true(fx->s.tr_started);
	assert_non_null(fx->s.journal);
	assert_int_equal(strncmp(fx->s.profile.base_url, "http://127.0.0.1:", 17), 0);
	assert_true(fx->s.profile.test); /* the asked test mode is kept */
	assert_int_equal(startup_outbox(&fx->s, fx->loop, &fx->o, &err), STARTUP_OK);
	assert_non_null(fx->s.outbox);
}

/* --- the outbox step ------------------------------------------------------------------------ */

static void startup_open__live_profile__journal_outbox_and_relay(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP "relay_url = http://127.0.0.1:9\n"
			      "relay_token = 0123456789abcdef0123456789abcdef\n");
	fx->o.lock_sender = true;
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err), STARTUP_OK);
	assert_string_equal(fx->s.journal_path, fx->journal);
	assert_non_null(fx->s.journal);
	assert_non_null(fx->s.outbox);
	/* the relay client only schedules its first pull: nothing waited for the network */
	assert_non_null(fx->s.relay);
	assert_string_equal(fx->s.relay_problem, "");
	startup_close(&fx->s, &fx->o);
	assert_null(fx->s.journal);
	assert_null(fx->s.outbox);
	assert_null(fx->s.relay);
	assert_null(fx->s.config);
	assert_string_equal(fx->s.profile.apikey, "");
}

static void startup_outbox__journal_held_by_another_sender__journal_step(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP);
	fx->o.lock_sender = true;
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err), STARTUP_OK);
	struct startup *other = xmalloc(sizeof *other);
	startup_init(other);
	assert_int_equal(startup_open(other, fx->loop, true, true, &fx->o, &err), STARTUP_JOURNAL);
	assert_string_equal(err.field, "journal");
	assert_non_null(strstr(err.text, "in use"));
	assert_null(other->journal);
	/* without lock_sender (the screen) the outbox refuses: the profile is named */
	fx->o.lock_sender = false;
	assert_int_equal(startup_open(other, fx->loop, true, true, &fx->o, &err), STARTUP_JOURNAL);
	assert_string_equal(err.field, "journal");
	assert_non_null(strstr(err.text, "profile \"shop\": "));
	assert_non_null(strstr(err.text, "in use"));
	free(other);
	/* the first one still runs */
	assert_non_null(fx->s.outbox);
}

static void startup_outbox__refused__the_journal_stays_for_a_restore(void **state)
{
	struct fixture *fx = *state;
	struct kerr err = {0};
	write_config(fx, SHOP);
	assert_int_equal(startup_open(&fx->s, fx->loop, true, true, &fx->o, &err), STARTUP_OK);
	/* a changed copy without its apikey, as a broken switch would bring */
	struct config_profile p = fx->s.profile;
	p.apikey[0] = '\0';
	fx->s.profile = p;
	assert_int_equal(startup_outbox(&fx->s, fx->loop, &fx->o, &err), STARTUP_CONFIG);
	assert_non_null(strstr(err.text, "profile \"shop\": "));
	assert_non_null(strstr(err.text, "apikey"));
	assert_null(fx->s.outbox);
	assert_non_null(fx->s.journal);
	/* the previous profile starts again on the same journal */
	str_copy(fx->s.profile.apikey, "SUPERSECRET-1", sizeof fx->s.profile.apikey);
	assert_int_equal(startup_outbox(&fx->s, fx->loop, &fx->o, &err), STARTUP_OK);
	assert_non_null(fx->s.outbox);
}

static void startup_error_text__says_the_field_once(void **state)
{
	(void)state;
	struct kerr a = {.field = "journal", .text = "journal /x is in use by another kassa"};
	struct kerr b = {.field = "profile.shop.paper_width", .text = "config.ini:3: paper_width"};
	struct kerr c = {.field = "listen", .text = "cannot bind"};
	char buf[400];
	assert_string_equal(startup_error_text(&a, buf, sizeof buf), a.text);
	assert_string_equal(startup_error_text(&b, buf, sizeof buf), b.text);
	assert_string_equal(startup_error_text(&c, buf, sizeof buf), "listen: cannot bind");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(startup_config__no_config_file__trains_on_the_screen),
	    T(startup_config__no_config_file__refused_for_a_command_naming_it),
	    T(startup_config__no_config_but_a_live_journal__refused),
	    T(startup_config__bad_value__refused_naming_file_line_and_key),
	    T(startup_config__missing_profile__refused_naming_the_known_ones),
	    T(startup_config__default_profile__only_its_secrets_kept),
	    T(startup_journal__newer_schema__refused_naming_the_file),
	    T(startup_journal__not_a_journal__refused_naming_the_file),
	    T(startup_journal__training_without_loop__the_training_journal_only),
	    T(startup_journal__sandbox_fails__training_step_naming_the_sandbox),
	    T(startup_journal__training_with_loop__the_sandbox_serves_the_profile),
	    T(startup_open__live_profile__journal_outbox_and_relay),
	    T(startup_outbox__journal_held_by_another_sender__journal_step),
	    T(startup_outbox__refused__the_journal_stays_for_a_restore),
	    T(startup_error_text__says_the_field_once),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
