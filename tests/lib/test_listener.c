/*
 * Tests for lib/listener.c. The listener runs on the test's loop in the main
 * thread; clients (libcurl easy, or a raw socket for the slow client) run in
 * a second thread so they may block.
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
#include "loop.h"
#include "util.h"

/* ---- the handler under test ---- */

struct handler {
	int calls;
	int answer;
	struct listener_reply *deferred; /* answer == LISTENER_DEFERRED: the request kept */
	char suffix[40];
	char ctype[80];
	char body[4096];
	size_t len;
	char header[80];
};

static int on_callback(void *cls, const struct listener_request *req, char *reply,
		       size_t reply_n)
{
	struct handler *h = cls;
	h->calls++;
	str_copy(h->suffix, req->suffix, sizeof h->suffix);
	str_copy(h->ctype, req->content_type, sizeof h->ctype);
	h->len = req->len;
	memcpy(h->body, req->body, req->len < sizeof h->body ? req->len : sizeof h->body - 1);
	const char *x = listener_request_header(req, "x-signature");
	str_copy(h->header, x ? x : "", sizeof h->header);
	if (h->answer == 200)
		snprintf(reply, reply_n, "OK %zu", req->len);
	if (h->answer == LISTENER_DEFERRED)
		h->deferred = req->deferred;
	return h->answer;
}

/* ---- a client in a thread ---- */

struct client {
	const char *method;
	char url[1200];
	const char *body;
	size_t len;
	bool chunked;
	size_t sent; /* for chunked uploads */
	long status;
	int curl_code;
	char reply[256];
	size_t reply_len;
	atomic_int done;
};

static size_t on_client_write(char *p, size_t s, size_t n, void *cls)
{
	struct client *c = cls;
	size_t len = s * n;
	size_t room = sizeof c->reply - 1 - c->reply_len;
	size_t take = len < room ? len : room;
	memcpy(c->reply + c->reply_len, p, take);
	c->reply_len += take;
	c->reply[c->reply_len] = '\0';
	return len;
}

static size_t on_client_read(char *buf, size_t s, size_t n, void *cls)
{
	struct client *c = cls;
	size_t left = c->len - c->sent;
	size_t take = s * n < left ? s * n : left;
	memcpy(buf, c->body + c->sent, take);
	c->sent += take;
	return take;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 8000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_client_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "X-Signature: abc123");
	if (c->chunked) {
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_client_read);
		curl_easy_setopt(e, CURLOPT_READDATA, c);
	} else if (strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)c->len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	c->curl_code = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Serves the listener on the loop until the client finishes. */
static void serve_until(struct loop *l, atomic_int *flag, long long ms)
{
	long long end = mono_ms() + ms;
	while (!atomic_load(flag) && mono_ms() < end)
		loop_run_once(l, 10);
}

static void request(struct loop *l, struct client *c)
{
	pthread_t t;
	atomic_store(&c->done, 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
	serve_until(l, &c->done, 10000);
	pthread_join(t, NULL);
}

/* ---- fixture ---- */

struct fx {
	struct loop *loop;
	struct listener *ls;
	struct handler h;
	char token[LISTENER_TOKEN_LEN + 1];
	char base[64];
};

static struct fx *fx_new(size_t body_limit, unsigned timeout_s)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {
		.listen = "127.0.0.1:0",
		.token = f->token,
		.body_limit = body_limit,
		.timeout_s = timeout_s,
		.on_callback = on_callback,
		.cls = &f->h,
	};
	struct kerr err;
	f->ls = listener_start(f->loop, &opt, &err);
	assert_non_null(f->ls);
	assert_true(listener_port(f->ls) > 0);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", listener_port(f->ls));
	return f;
}

static void fx_free(struct fx *f)
{
	listener_stop(f->ls);
	loop_free(f->loop);
	free(f);
}

static void fx_client(struct fx *f, struct client *c, const char *method, const char *path,
		      const char *body)
{
	memset(c, 0, sizeof *c);
	c->method = method;
	snprintf(c->url, sizeof c->url, "%s%s", f->base, path);
	c->body = body;
	c->len = body ? strlen(body) : 0;
}

/* A good callback, used after every bad request to show the listener still
 * serves. */
static void assert_good_request_served(struct fx *f)
{
	struct client c;
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);
	int before = f->h.calls;
	fx_client(f, &c, "POST", path, "{\"uuid\":\"u-1\"}");
	request(f->loop, &c);
	assert_int_equal(c.status, 200);
	assert_int_equal(f->h.calls, before + 1);
}

/* ---- tests ---- */

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

struct slow {
	unsigned port;
	char token[LISTENER_TOKEN_LEN + 1];
	atomic_int connected;
	atomic_int done;
	long long closed_after_ms;
};

static void *slow_main(void *arg)
{
	struct slow *s = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)s->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	long long start = mono_ms();
	s->closed_after_ms = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		char req[256];
		int n = snprintf(req, sizeof req,
				 "POST /cb/%s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
				 "0123456789",
				 s->token);
		if (send(fd, req, (size_t)n, 0) == n) {
			atomic_store(&s->connected, 1);
			char buf[512];
			ssize_t r = recv(fd, buf, sizeof buf, 0);
			/* 0 (closed) or a reset: either way the server gave up. */
			if (r <= 0)
				s->closed_after_ms = mono_ms() - start;
		}
	}
	atomic_store(&s->connected, 1);
	close(fd);
	atomic_store(&s->done, 1);
	return NULL;
}

static void listener__slow_client__timed_out_while_others_served(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 1);
	struct slow s;
	memset(&s, 0, sizeof s);
	s.port = listener_port(f->ls);
	memcpy(s.token, f->token, sizeof s.token);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, slow_main, &s), 0);
	serve_until(f->loop, &s.connected, 3000);
	/* While the slow client hangs, others are served at once. */
	long long start = mono_ms();
	assert_good_request_served(f);
	assert_good_request_served(f);
	assert_true(mono_ms() - start < 900);
	serve_until(f->loop, &s.done, 6000);
	pthread_join(t, NULL);
	assert_true(s.closed_after_ms >= 900);
	assert_true(s.closed_after_ms < 4000);
	assert_int_equal(f->h.calls, 2);
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.timed_out, 1);
	assert_good_request_served(f);
	fx_free(f);
}

/* A client that trickles a request's headers, one byte every 200 ms. */
struct trickle {
	unsigned port;
	char token[LISTENER_TOKEN_LEN + 1];
	atomic_int done;
	long long closed_after_ms;
};

static void *trickle_main(void *arg)
{
	struct trickle *s = arg;
	s->closed_after_ms = -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)s->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	long long start = mono_ms();
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		char req[256];
		int n = snprintf(req, sizeof req, "POST /cb/%s HTTP/1.1\r\nHost: x\r\n", s->token);
		if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
			/* then "X-a: b\r\n" forever, a byte at a time, for at most 6 s */
			static const char more[] = "X-a: b\r\n";
			for (int i = 0; mono_ms() - start < 6000; i++) {
				struct pollfd p = {.fd = fd, .events = POLLIN};
				if (poll(&p, 1, 200) > 0) {
					char buf[256];
					if (recv(fd, buf, sizeof buf, 0) <= 0)
						break;
				}
				if (send(fd, &more[i % 8], 1, MSG_NOSIGNAL) != 1)
					break;
			}
			long long t = mono_ms() - start;
			if (t < 6000)
				s->closed_after_ms = t;
		}
	}
	close(fd);
	atomic_store(&s->done, 1);
	return NULL;
}

/* Finding 2 of issue 11: each byte used to restart MHD's idle timer, so a
 * trickling client held its slot for ever. */
static void listener__trickled_headers__closed_at_the_request_deadline(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 1);
	struct trickle s;
	memset(&s, 0, sizeof s);
	s.port = listener_port(f->ls);
	memcpy(s.token, f->token, sizeof s.token);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, trickle_main, &s), 0);
	serve_until(f->loop, &s.done, 8000);
	pthread_join(t, NULL);
	assert_true(s.closed_after_ms >= 900);
	assert_true(s.closed_after_ms < 2500);
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(f->h.calls, 0);
	assert_good_request_served(f);
	fx_free(f);
}

/* The listening socket of port, found among our descriptors. */
static int find_listen_fd(unsigned port)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int found = -1;
	struct dirent *de;
	while ((de = readdir(d)) && found < 0) {
		int fd = atoi(de->d_name);
		int acc = 0;
		socklen_t len = sizeof acc;
		struct sockaddr_in sa;
		socklen_t slen = sizeof sa;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 && acc &&
		    getsockname(fd, (struct sockaddr *)&sa, &slen) == 0 &&
		    sa.sin_family == AF_INET && ntohs(sa.sin_port) == port)
			found = fd;
	}
	closedir(d);
	return found;
}

static void listener__listen_socket_broken__opened_again_on_the_same_port(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	assert_good_request_served(f);
	unsigned port = listener_port(f->ls);
	int fd = find_listen_fd(port);
	assert_true(fd >= 0);
	/* A listening socket shut down accepts nothing more, for good. */
	assert_int_equal(shutdown(fd, SHUT_RDWR), 0);
	long long end = mono_ms() + 1500;
	while (mono_ms() < end)
		loop_run_once(f->loop, 20);
	assert_int_equal(listener_port(f->ls), port);
	assert_good_request_served(f);
	char text[200];
	assert_int_equal(listener_state(f->ls, text, sizeof text), LISTENER_DEGRADED);
	assert_non_null(strstr(text, "opened again"));
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_true(st.recreated >= 1);
	fx_free(f);
}

static int connect_from(const char *src, unsigned port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, src, &a.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct sockaddr_in b = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	b.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&b, sizeof b), 0);
	return fd;
}

static void listener__per_address_cap__sheds_its_idle_longest_and_says_so(void **state)
{
	(void)state;
	struct fx *f = fx_new(0, 0);
	char text[200];
	assert_int_equal(listener_state(f->ls, text, sizeof text), LISTENER_LISTENING);
	int fds[10];
	for (int i = 0; i < 10; i++)
		fds[i] = connect_from("127.0.0.2", listener_port(f->ls));
	long long end = mono_ms() + 300;
	while (mono_ms() < end)
		loop_run_once(f->loop, 10);
	struct listener_health h;
	listener_health(f->ls, &h);
	assert_int_equal(h.status, LISTENER_DEGRADED);
	assert_int_equal(h.connections, 8); /* the default cap */
	assert_non_null(strstr(h.reason, "127.0.0.2"));
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.shed, 2);
	/* the first two (idle longest) were closed to admit the last two */
	char buf[16];
	for (int i = 0; i < 2; i++) {
		struct timeval tv = {1, 0};
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		assert_true(recv(fds[i], buf, sizeof buf, 0) <= 0);
	}
	assert_good_request_served(f); /* from 127.0.0.1 */
	for (int i = 0; i < 10; i++)
		close(fds[i]);
	fx_free(f);
}

/* Full of idle connections from many addresses: the idle longest makes room. */
static void listener__full__sheds_the_connection_idle_longest(void **state)
{
	(void)state;
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {.listen = "127.0.0.1:0", .token = f->token,
				       .max_connections = 4, .on_callback = on_callback,
				       .cls = &f->h};
	f->ls = listener_start(f->loop, &opt, NULL);
	assert_non_null(f->ls);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", listener_port(f->ls));
	int fds[4];
	char src[20];
	for (int i = 0; i < 4; i++) {
		snprintf(src, sizeof src, "127.0.0.%d", 2 + i);
		fds[i] = connect_from(src, listener_port(f->ls));
		long long end = mono_ms() + 50;
		while (mono_ms() < end)
			loop_run_once(f->loop, 10);
	}
	assert_good_request_served(f);
	/* The first (oldest) attacker connection was closed to make room. */
	char buf[16];
	struct timeval tv = {1, 0};
	setsockopt(fds[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_true(recv(fds[0], buf, sizeof buf, 0) <= 0);
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.shed, 1);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	fx_free(f);
}

static void listener__health_file__kept_current_and_removed_at_stop(void **state)
{
	(void)state;
	char path[64];
	snprintf(path, sizeof path, "/tmp/kassa-health-%ld", (long)getpid());
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {.listen = "127.0.0.1:0", .token = f->token,
				       .per_ip_limit = 1, .health_path = path,
				       .on_callback = on_callback, .cls = &f->h};
	f->ls = listener_start(f->loop, &opt, NULL);
	assert_non_null(f->ls);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", listener_port(f->ls));
	struct listener_health h;
	long long age = -1;
	long pid = 0;
	assert_int_equal(listener_health_load(path, &h, &age, &pid, NULL), K_OK);
	assert_int_equal(h.status, LISTENER_LISTENING);
	assert_int_equal(h.port, listener_port(f->ls));
	assert_int_equal(pid, (long)getpid());
	assert_true(age >= 0 && age < 1000);
	int a = connect_from("127.0.0.2", listener_port(f->ls));
	int b = connect_from("127.0.0.2", listener_port(f->ls));
	long long end = mono_ms() + 1300;
	while (mono_ms() < end)
		loop_run_once(f->loop, 10);
	assert_int_equal(listener_health_load(path, &h, NULL, NULL, NULL), K_OK);
	assert_int_equal(h.status, LISTENER_DEGRADED);
	assert_non_null(strstr(h.reason, "127.0.0.2"));
	close(a);
	close(b);
	fx_free(f);
	assert_int_equal(listener_health_load(path, &h, NULL, NULL, NULL), K_NOTFOUND);
}

/* The listen socket is ours on IPv6 too (MHD gets accepted sockets only). */
static void listener__ipv6_loopback__served(void **state)
{
	(void)state;
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {.listen = "[::1]:0", .token = f->token,
				       .on_callback = on_callback, .cls = &f->h};
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

static int setup_curl(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown_curl(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
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
		cmocka_unit_test(listener__slow_client__timed_out_while_others_served),
		cmocka_unit_test(listener__trickled_headers__closed_at_the_request_deadline),
		cmocka_unit_test(listener__listen_socket_broken__opened_again_on_the_same_port),
		cmocka_unit_test(listener__per_address_cap__sheds_its_idle_longest_and_says_so),
		cmocka_unit_test(listener__full__sheds_the_connection_idle_longest),
		cmocka_unit_test(listener__health_file__kept_current_and_removed_at_stop),
		cmocka_unit_test(listener__ipv6_loopback__served),
	};
	return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}
