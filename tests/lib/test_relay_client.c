/*
 * Tests for lib/relay_client.c (the till's side of kassa-relay) without a
 * network: the relay offset kept in the journal (journal_kv) survives a
 * restart and is forgotten for another relay or token, and the profile keys
 * relay_url and relay_token are validated and never shown.
 * The pull loop itself runs against a real kassa-relay in
 * tests/cli/test_cli_relay.sh.
 */
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

#include "basket.h"
#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "relay_client.h"
#include "relay_proto.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

#define TOKEN "0123456789abcdef0123456789abcdef-till-one"

struct fixture {
	char dir[64];
	char journal[128];
	char ini[128];
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/kassa-test-relayc-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->journal, sizeof fx->journal, "%s/journal.db", fx->dir);
	snprintf(fx->ini, sizeof fx->ini, "%s/config.ini", fx->dir);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
	if (strncmp(fx->dir, "/tmp/kassa-test-relayc-", 23) == 0)
		assert_int_equal(system(cmd), 0);
	free(fx);
	return 0;
}

static void profile(struct config_profile *p, const char *url, const char *token)
{
	memset(p, 0, sizeof *p);
	str_copy(p->name, "shop", sizeof p->name);
	str_copy(p->relay_url, url, sizeof p->relay_url);
	str_copy(p->relay_token, token, sizeof p->relay_token);
}

static void test_kv_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	char buf[64];
	assert_int_equal(journal_kv_get(j, "a", buf, sizeof buf, &e), K_NOTFOUND);
	assert_int_equal(journal_kv_set(j, "a", "1", &e), K_OK);
	assert_int_equal(journal_kv_set(j, "a", "2", &e), K_OK);
	journal_close(j);
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	assert_int_equal(journal_kv_get(j, "a", buf, sizeof buf, &e), K_OK);
	assert_string_equal(buf, "2");
	journal_close(j);
}

static void test_offset_persists(void **state)
{
	struct fixture *fx = *state;
	struct config_profile p;
	profile(&p, "https://relay.example.ru", TOKEN);
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	int64_t next = -1;
	assert_int_equal(relay_client_load_next(j, &p, &next, &e), K_OK);
	assert_int_equal(next, 0); /* nothing stored: the oldest unacknowledged */
	assert_int_equal(relay_client_save_next(j, &p, 42, &e), K_OK);
	journal_close(j);

	/* A restart: the same offset, so nothing is pulled twice or skipped. */
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	assert_int_equal(relay_client_load_next(j, &p, &next, &e), K_OK);
	assert_int_equal(next, 42);

	/* Neither the token nor the URL is stored in clear. */
	char key[96], val[128];
	relay_client_kv_key("shop", key, sizeof key);
	assert_int_equal(journal_kv_get(j, key, val, sizeof val, &e), K_OK);
	assert_null(strstr(val, TOKEN));
	assert_null(strstr(val, "relay.example"));

	/* Another token or another relay: its offsets mean nothing here. */
	struct config_profile q;
	profile(&q, "https://relay.example.ru", TOKEN "-other");
	assert_int_equal(relay_client_load_next(j, &q, &next, &e), K_OK);
	assert_int_equal(next, 0);
	profile(&q, "https://relay2.example.ru", TOKEN);
	assert_int_equal(relay_client_load_next(j, &q, &next, &e), K_OK);
	assert_int_equal(next, 0);
	/* Another profile of the same journal keeps its own. */
	profile(&q, "https://relay.example.ru", TOKEN);
	str_copy(q.name, "other", sizeof q.name);
	assert_int_equal(relay_client_load_next(j, &q, &next, &e), K_OK);
	assert_int_equal(next, 0);
	journal_close(j);
}

static kstatus load_ini(struct fixture *fx, const char *text, struct config **cfg, struct kerr *e)
{
	FILE *f = fopen(fx->ini, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(fx->ini, 0600);
	return config_load(fx->ini, cfg, e);
}

#define BASE "[profile.shop]\nlogin = 70000000000\napikey = k\n"

static void test_config_keys(void **state)
{
	struct fixture *fx = *state;
	struct config *cfg = NULL;
	struct kerr e = {0};
	assert_int_equal(load_ini(fx,
				  BASE "relay_url = https://relay.example.ru/\n"
				       "relay_token = " TOKEN "\n",
				  &cfg, &e),
			 K_OK);
	const struct config_profile *p = config_profile_find(cfg, "shop");
	assert_non_null(p);
	assert_string_equal(p->relay_url, "https://relay.example.ru");
	assert_string_equal(p->relay_token, TOKEN);
	assert_true(config_key_is_secret("relay_token"));
	char *dump = config_dump(p, true);
	assert_non_null(strstr(dump, "relay_url = https://relay.example.ru\n"));
	assert_non_null(strstr(dump, "relay_token = ********\n"));
	assert_null(strstr(dump, TOKEN));
	free(dump);
	config_free(cfg);

	/* http only on loopback. */
	assert_int_equal(load_ini(fx,
				  BASE "relay_url = http://relay.example.ru\n"
				       "relay_token = " TOKEN "\n",
				  &cfg, &e),
			 K_INVALID);
	assert_non_null(strstr(e.text, "relay_url"));
	assert_int_equal(load_ini(fx,
				  BASE "relay_url = http://127.0.0.1:9000\n"
				       "relay_token = " TOKEN "\n",
				  &cfg, &e),
			 K_OK);
	config_free(cfg);

	/* A short token is refused without being shown. */
	assert_int_equal(load_ini(fx,
				  BASE "relay_url = https://r.example.ru\n"
				       "relay_token = short-secret-token\n",
				  &cfg, &e),
			 K_INVALID);
	assert_non_null(strstr(e.text, "relay_token"));
	assert_null(strstr(e.text, "short-secret-token"));

	/* One without the other. */
	assert_int_equal(load_ini(fx, BASE "relay_url = https://r.example.ru\n", &cfg, &e),
			 K_INVALID);
	assert_non_null(strstr(e.text, "relay_token"));
	assert_int_equal(load_ini(fx, BASE "relay_token = " TOKEN "\n", &cfg, &e), K_INVALID);
	assert_non_null(strstr(e.text, "relay_url"));
	assert_null(strstr(e.text, TOKEN));
}

/* A PayKeeper callback pulled from the relay is verified on the till exactly
 * as a direct one: a wrong signature is refused (403) and changes nothing. */
static void test_relayed_paykeeper_signature(void **state)
{
	struct fixture *fx = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	struct loop *l = loop_new();
	struct config_profile p;
	config_profile_defaults(&p, "pk");
	p.provider = KPROVIDER_PAYKEEPER;
	str_copy(p.base_url, "http://127.0.0.1:9", sizeof p.base_url);
	str_copy(p.user, "u", sizeof p.user);
	str_copy(p.password, "p", sizeof p.password);
	str_copy(p.secret, "right-secret", sizeof p.secret);
	str_copy(p.relay_url, "http://127.0.0.1:9", sizeof p.relay_url);
	str_copy(p.relay_token, TOKEN, sizeof p.relay_token);
	struct outbox_options oo = {.receive_only = true};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	assert_non_null(ob);
	assert_int_equal(outbox_listener_port(ob), 0);
	struct form_pair pairs[] = {
	    {(char *)"id", (char *)"1001"},
	    {(char *)"status", (char *)"success"},
	    {(char *)"fop_url", (char *)""},
	};
	char *bad = NULL, *good = NULL;
	assert_int_equal(paykeeper_callback_body(pairs, 3, "wrong-secret", &bad, NULL), K_OK);
	assert_int_equal(paykeeper_callback_body(pairs, 3, "right-secret", &good, NULL), K_OK);
	char reply[400];
	assert_int_equal(outbox_apply_relayed(ob, "paykeeper", "application/x-www-form-urlencoded",
					      bad, strlen(bad), reply, sizeof reply),
			 403);
	assert_int_equal(outbox_apply_relayed(ob, "paykeeper", "application/x-www-form-urlencoded",
					      good, strlen(good), reply, sizeof reply),
			 200);
	/* A suffix the listener does not know: 404 there, 404 here. */
	assert_int_equal(
	    outbox_apply_relayed(ob, "nope", "", good, strlen(good), reply, sizeof reply), 404);
	int64_t n = 0;
	journal_count(j, NULL, &n, NULL);
	assert_int_equal(n, 0);
	free(bad);
	free(good);
	outbox_free(ob);
	loop_free(l);
	journal_close(j);
}

/* With a relay a LifePay document's callback_url is the till's URL on the
 * relay, and no listener is opened. */
static void test_callback_url_on_relay(void **state)
{
	struct fixture *fx = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(fx->journal, &j, &e), K_OK);
	struct loop *l = loop_new();
	struct config_profile p;
	config_profile_defaults(&p, "lp");
	p.provider = KPROVIDER_LIFEPAY;
	str_copy(p.base_url, "http://127.0.0.1:9", sizeof p.base_url);
	str_copy(p.login, "70000000000", sizeof p.login);
	str_copy(p.apikey, "k", sizeof p.apikey);
	str_copy(p.relay_url, "https://relay.example.ru", sizeof p.relay_url);
	str_copy(p.relay_token, TOKEN, sizeof p.relay_token);
	struct outbox *ob = outbox_new(l, j, &p, NULL, &e);
	assert_non_null(ob);
	assert_true(outbox_uses_relay(ob));
	assert_int_equal(outbox_listener_port(ob), 0);
	struct document d;
	document_init(&d, DOC_RECEIPT);
	struct basket_line bl;
	basket_line_init(&bl);
	str_copy(bl.name, "Bread", sizeof bl.name);
	bl.price = 5490;
	bl.qty = 1000;
	assert_int_equal(basket_add(&d.basket, &bl, &e), K_OK);
	d.pay.card.kind = PAY_REMAINDER;
	int64_t id = 0;
	assert_int_equal(outbox_submit(ob, &d, &id, &e), K_OK);
	char want[400];
	assert_true(relay_proto_callback_url(p.relay_url, TOKEN, want, sizeof want));
	assert_string_equal(d.callback_url, want);
	assert_non_null(strstr(d.callback_url, "https://relay.example.ru/cb/"));
	assert_null(strstr(d.callback_url, TOKEN));
	/* The journal never holds it (the sender adds it). */
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	assert_int_equal(journal_get(j, id, &jd, &e), K_OK);
	assert_null(strstr(jd.body, "/cb/"));
	journal_doc_free(&jd);
	document_free(&d);
	outbox_free(ob);
	loop_free(l);
	journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kv_survives_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_offset_persists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relayed_paykeeper_signature, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_callback_url_on_relay, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
