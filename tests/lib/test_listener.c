/*
 * Tests for lib/listener.c: options, routing, answers, bodies, deferred answers.
 * The fixture (listener_fixture.c) runs clients in a second thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <poll.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "listener.h"
#include "listener_fixture.h"
#include "loop.h"
#include "util.h"

static void listener_new_token__hex_and_fresh(void **state)
{
	(void)state;
	char a[LISTENER_TOKEN_LEN + 1], b[LISTENER_TOKEN_LEN + 1];
	assert_int_equal(listener_new_token(a, NULL), K_OK);
	assert_int_equal(listener_new_token(b, NULL), K_OK);
	assert_int_equal(strlen(a), LISTENER_TOKEN_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), LISTENER_TOKEN_LEN);
	assert_string_not_equal(a, b);
}

static void listener_start__bad_options__refused_with_field(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	char tok[LISTENER_TOKEN_LEN + 1];
	listener_new_token(tok, NULL);
	static const struct {
		const char *listen;
		const char *token; /* NULL: a good one */
		const char *field;
	} cases[] = {
	    {"", NULL, "listen"},
	    {"127.0.0.1", NULL, "listen"},
	    {"127.0.0.1:99999", NULL, "listen"},
	    {"127.0.0.1:abc", NULL, "listen"},
	    {"example.com:80", NULL, "listen"},
	    {"[::1:80", NULL, "listen"},
	    {"127.0.0.1:0", "short", "token"},
	    {"127.0.0.1:0", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz", "token"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct listener_options opt = {
		    .listen = cases[i].listen,
		    .token = cases[i].token ? cases[i].token : tok,
		    .on_callback = on_callback,
		};
		struct kerr err;
		kerr_clear(&err);
		assert_null(listener_start(l, &opt, &err));
		assert_string_equal(err.field, cases[i].field);
		assert_true(strlen(err.text) > 0);
		assert_null(strstr(err.text, tok));
	}
	loop_free(l);
}

static void listener_start__port_in_use__says_so(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	char addr[32];
	snprintf(addr, sizeof addr, "127.0.0.1:%u", listener_port(f->ls));
	struct listener_options opt = {
	    .listen = addr, .token = f->token, .on_callback = on_callback};
	struct kerr err;
	assert_null(listener_start(f->loop, &opt, &err));
	assert_string_equal(err.field, "listen");
	assert_non_null(strstr(err.text, "another program"));
	fx_free(f);
}

static void listener_url_and_state__report_base_and_port(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	char url[128], want[128];
	assert_true(listener_url(f->ls, "https://relay.example/", url, sizeof url));
	snprintf(want, sizeof want, "https://relay.example/cb/%s", f->token);
	assert_string_equal(url, want);
	char tiny[16];
	assert_false(listener_url(f->ls, "https://relay.example", tiny, sizeof tiny));
	assert_string_equal(tiny, "");
	char st[64], wantst[64];
	assert_int_equal(listener_state(f->ls, st, sizeof st), LISTENER_LISTENING);
	snprintf(wantst, sizeof wantst, "listening on port %u", listener_port(f->ls));
	assert_string_equal(st, wantst);
	assert_int_equal(listener_state(NULL, st, sizeof st), LISTENER_OFF);
	fx_free(f);
}

static void listener__valid_post__handler_called_and_status_returned(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	static const struct {
		const char *suffix_path;
		const char *suffix;
		int answer;
		const char *reply;
	} cases[] = {
	    {"", "", 200, "OK 14"},
	    {"/paykeeper", "paykeeper", 200, "OK 14"},
	    {"/lifepay", "lifepay", 400, "bad request"},
	    {"/paykeeper", "paykeeper", 403, "forbidden"},
	    {"", "", 500, "error"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[96];
		snprintf(path, sizeof path, "/cb/%s%s", f->token, cases[i].suffix_path);
		f->h.answer = cases[i].answer;
		int before = f->h.calls;
		struct client c;
		fx_client(f, &c, "POST", path, "{\"uuid\":\"u-1\"}");
		request(f->loop, &c);
		assert_int_equal(c.curl_code, CURLE_OK);
		assert_int_equal(c.status, cases[i].answer);
		assert_string_equal(c.reply, cases[i].reply);
		assert_int_equal(f->h.calls, before + 1);
		assert_string_equal(f->h.suffix, cases[i].suffix);
		assert_string_equal(f->h.ctype, "application/json");
		assert_string_equal(f->h.header, "abc123");
		assert_int_equal(f->h.len, 14);
		assert_memory_equal(f->h.body, "{\"uuid\":\"u-1\"}", 14);
	}
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.handled, 5);
	fx_free(f);
}

static void listener__wrong_path_or_token__404_handler_untouched(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	char wrong[LISTENER_TOKEN_LEN + 1];
	memcpy(wrong, f->token, sizeof wrong);
	wrong[LISTENER_TOKEN_LEN - 1] = wrong[LISTENER_TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	char short_tok[LISTENER_TOKEN_LEN];
	memcpy(short_tok, f->token, LISTENER_TOKEN_LEN - 1);
	short_tok[LISTENER_TOKEN_LEN - 1] = '\0';
	char paths[8][128];
	snprintf(paths[0], sizeof paths[0], "/cb/%s", wrong);
	snprintf(paths[1], sizeof paths[1], "/cb/%s", short_tok);
	snprintf(paths[2], sizeof paths[2], "/cb/%sa", f->token);
	snprintf(paths[3], sizeof paths[3], "/cb/%s/Bad!", f->token);
	snprintf(paths[4], sizeof paths[4], "/cb/%s/a/b", f->token);
	snprintf(paths[5], sizeof paths[5], "/");
	snprintf(paths[6], sizeof paths[6], "/cb/");
	snprintf(paths[7], sizeof paths[7], "/%s", f->token);
	for (size_t i = 0; i < 8; i++) {
		struct client c;
		fx_client(f, &c, "POST", paths[i], "{\"uuid\":\"u-1\"}");
		request(f->loop, &c);
		assert_int_equal(c.status, 404);
		assert_int_equal(f->h.calls, 0);
	}
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.not_found, 8);
	assert_good_request_served(f);
	fx_free(f);
}

static void listener__wrong_method__405(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	static const char *methods[] = {"GET", "PUT", "DELETE"};
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);
	for (size_t i = 0; i < 3; i++) {
		struct client c;
		fx_client(f, &c, methods[i], path, NULL);
		request(f->loop, &c);
		assert_int_equal(c.status, 405);
		assert_int_equal(f->h.calls, 0);
		assert_good_request_served(f);
		f->h.calls = 0;
	}
	fx_free(f);
}

static void listener__oversized_body__413_handler_untouched(void **state)
{
	(void)state;
	struct fx *f = fx_new(1024, 0);
	char *big = xmalloc(4001);
	memset(big, 'x', 4000);
	big[4000] = '\0';
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);

	/* With Content-Length: refused before the body is read. */
	struct client c;
	fx_client(f, &c, "POST", path, big);
	request(f->loop, &c);
	assert_int_equal(c.status, 413);
	assert_int_equal(f->h.calls, 0);
	assert_good_request_served(f);

	/* Chunked: cut off once it passes the limit (MHD cannot answer in the
	 * middle of a body). */
	fx_client(f, &c, "POST", path, big);
	c.chunked = true;
	int before = f->h.calls;
	request(f->loop, &c);
	/* No final answer: the connection was dropped. */
	assert_true(c.status < 200);
	assert_int_not_equal(c.curl_code, CURLE_OK);
	assert_int_equal(f->h.calls, before);
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.too_large, 2);
	assert_good_request_served(f);

	/* Exactly at the limit is fine. */
	big[1024] = '\0';
	fx_client(f, &c, "POST", path, big);
	request(f->loop, &c);
	assert_int_equal(c.status, 200);
	assert_int_equal(f->h.len, 1024);
	free(big);
	fx_free(f);
}

/* The listen socket is ours on IPv6 too (MHD gets accepted sockets only). */
static void listener__ipv6_loopback__served(void **state)
{
	(void)state;
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {
	    .listen = "[::1]:0", .token = f->token, .on_callback = on_callback, .cls = &f->h};
	struct kerr err = {0};
	f->ls = listener_start(f->loop, &opt, &err);
	if (!f->ls) {
		loop_free(f->loop);
		free(f);
		skip(); /* no IPv6 here */
		return;
	}
	snprintf(f->base, sizeof f->base, "http://[::1]:%u", listener_port(f->ls));
	assert_good_request_served(f);
	fx_free(f);
}

/* The answer comes from a later loop iteration (as after a group commit). */
static void on_answer_later(struct loop *l, void *cls)
{
	struct handler *h = cls;
	assert_non_null(h->deferred);
	listener_answer(h->deferred, 202, "committed later");
	h->deferred = NULL;
}

static void listener__deferred_answer__sent_after_listener_answer(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	f->h.answer = LISTENER_DEFERRED;
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);
	for (int round = 0; round < 3; round++) {
		struct client c;
		fx_client(f, &c, "POST", path, "{\"uuid\":\"later\"}");
		pthread_t t;
		atomic_store(&c.done, 0);
		assert_int_equal(pthread_create(&t, NULL, client_main, &c), 0);
		/* served until the handler ran; the client still waits */
		long long end = mono_ms() + 5000;
		while (!f->h.deferred && mono_ms() < end)
			loop_run_once(f->loop, 10);
		assert_non_null(f->h.deferred);
		for (int i = 0; i < 5; i++)
			loop_run_once(f->loop, 10);
		assert_int_equal(atomic_load(&c.done), 0);
		loop_add_timer(f->loop, 0, on_answer_later, &f->h);
		serve_until(f->loop, &c.done, 5000);
		pthread_join(t, NULL);
		assert_int_equal(c.curl_code, 0);
		assert_int_equal(c.status, 202);
		assert_string_equal(c.reply, "committed later");
	}
	assert_int_equal(f->h.calls, 3);
	/* the synchronous path still works on the same listener */
	f->h.answer = 200;
	assert_good_request_served(f);
	fx_free(f);
}

static void listener__empty_body__reaches_handler(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);
	f->h.answer = 400;
	struct client c;
	fx_client(f, &c, "POST", path, "");
	request(f->loop, &c);
	assert_int_equal(c.status, 400);
	assert_int_equal(f->h.calls, 1);
	assert_int_equal(f->h.len, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(listener_new_token__hex_and_fresh),
	    cmocka_unit_test(listener_start__bad_options__refused_with_field),
	    cmocka_unit_test(listener_start__port_in_use__says_so),
	    cmocka_unit_test(listener_url_and_state__report_base_and_port),
	    cmocka_unit_test(listener__valid_post__handler_called_and_status_returned),
	    cmocka_unit_test(listener__wrong_path_or_token__404_handler_untouched),
	    cmocka_unit_test(listener__wrong_method__405),
	    cmocka_unit_test(listener__oversized_body__413_handler_untouched),
	    cmocka_unit_test(listener__empty_body__reaches_handler),
	    cmocka_unit_test(listener__deferred_answer__sent_after_listener_answer),
	    cmocka_unit_test(listener__ipv6_loopback__served),
	};
	return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}
