/*
 * kassa-sandbox against bad HTTP: malformed bodies, bodies over the limit,
 * wrong methods, unknown paths, slow and broken clients, concurrency. The
 * server must answer clearly (or close) and keep serving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""
#define GOOD                                                                                       \
	"{" AUTH                                                                                   \
	",\"purchase\":{\"products\":[{\"name\":\"Хлеб\",\"price\":45.50,\"quantity\":1}]},"   \
	"\"card_amount\":\"#\"}"
#define RECEIPT "/cloud-print/create-receipt"

static int setup(void **state)
{
	*state = sbt_start(1000, NULL);
	return 0;
}

static int teardown(void **state)
{
	sandbox_stop(*state);
	return 0;
}

/* The server still creates receipts. */
static void still_alive(struct sandbox *sb)
{
	json_t *r = lp_call(sb, RECEIPT, GOOD);
	assert_int_equal(lp_code(r), 0);
	json_decref(r);
}

static void bodies__malformed__answered_6000(void **state)
{
	struct sandbox *sb = *state;
	static const char nul_body[] = "{\"login\":\"70000000000\",\0\"apikey\":\"x\"}";
	const struct {
		const char *body;
		size_t len;
	} cases[] = {
	    {"", 0},
	    {"{", 1},
	    {"null", 4},
	    {"\"text\"", 6},
	    {"{\"a\":1,\"a\":2}", 13},
	    {"{\"login\":\"\xff\xfe\"}", 14},
	    {nul_body, sizeof nul_body - 1},
	    {"{\"price\":1e400}", 15},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hres h = http_do("POST", sbt_url(sb, RECEIPT), "application/json",
					cases[i].body, cases[i].len, NULL, 5000);
		assert_int_equal(h.status, 200);
		json_t *j = hres_json(&h);
		assert_non_null(j);
		int code = lp_code(j);
		if (code != 6000 && code != 6009)
			fail_msg("case %zu: code %d", i, code);
		json_decref(j);
		hres_free(&h);
	}
	still_alive(sb);
}

static void bodies__over_one_mib__413(void **state)
{
	struct sandbox *sb = *state;
	size_t n = SANDBOX_MAX_BODY + 1;
	char *big = xmalloc(n);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	struct hres h =
	    http_do("POST", sbt_url(sb, RECEIPT), "application/json", big, n, NULL, 10000);
	assert_int_equal(h.status, 413);
	assert_non_null(strstr(h.body, "larger than"));
	hres_free(&h);
	/* Exactly at the limit is read (and then judged as JSON). */
	h = http_do("POST", sbt_url(sb, RECEIPT), "application/json", big, n - 1, NULL, 10000);
	assert_int_equal(h.status, 200);
	hres_free(&h);
	free(big);
	still_alive(sb);
}

/* Sends raw bytes on a fresh connection; returns the socket. */
static int raw_connect(struct sandbox *sb)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)sandbox_port(sb));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Reads until the peer closes or timeout_ms passes; returns bytes read, -1 on timeout. */
static long read_until_close(int fd, char *buf, size_t cap, long timeout_ms)
{
	size_t got = 0;
	long long end = test_ms() + timeout_ms;
	for (;;) {
		long left = (long)(end - test_ms());
		if (left <= 0)
			return -1;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		char tmp[4096];
		ssize_t r = recv(fd, tmp, sizeof tmp, 0);
		if (r <= 0)
			break;
		size_t take = (size_t)r < cap - got - 1 ? (size_t)r : cap - got - 1;
		memcpy(buf + got, tmp, take);
		got += take;
	}
	buf[got] = '\0';
	return (long)got;
}

static void chunked__over_limit__413(void **state)
{
	struct sandbox *sb = *state;
	int fd = raw_connect(sb);
	const char *head = "POST " RECEIPT " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
			   "Connection: close\r\n\r\n";
	send_all(fd, head, strlen(head));
	char *chunk = xmalloc(65536 + 16);
	int hl = snprintf(chunk, 16, "10000\r\n");
	memset(chunk + hl, 'a', 65536);
	memcpy(chunk + hl + 65536, "\r\n", 2);
	for (int i = 0; i < 17; i++) /* 17 x 64 KiB > 1 MiB */
		send_all(fd, chunk, (size_t)hl + 65536 + 2);
	send_all(fd, "0\r\n\r\n", 5);
	free(chunk);
	char buf[2048];
	assert_true(read_until_close(fd, buf, sizeof buf, 5000) > 0);
	assert_non_null(strstr(buf, " 413 "));
	close(fd);
	still_alive(sb);
}

static void methods_and_paths__405_and_404(void **state)
{
	struct sandbox *sb = *state;
	const struct {
		const char *method, *path;
		long status;
		const char *allow;
	} cases[] = {
	    {"GET", RECEIPT, 405, "POST"},
	    {"PUT", "/cloud-print/create-z-report", 405, "POST"},
	    {"DELETE", "/cloud-print/cash-in", 405, "POST"},
	    {"GET", "/cloud-print/create-everything", 404, NULL},
	    {"POST", "/", 404, NULL},
	    {"GET", "/../../etc/passwd", 404, NULL},
	    {"GET", "/info/receipts/unknown/", 404, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hres h = http_do(cases[i].method, sbt_url(sb, cases[i].path),
					"application/json", "{}", 2, NULL, 5000);
		if (h.status != cases[i].status)
			fail_msg("%s %s: HTTP %ld", cases[i].method, cases[i].path, h.status);
		if (cases[i].allow)
			assert_string_equal(h.allow, cases[i].allow);
		json_t *j = hres_json(&h);
		assert_non_null(j); /* a JSON error body, never empty */
		json_decref(j);
		hres_free(&h);
	}
	still_alive(sb);
}

static void slow_client__timed_out__others_served(void **state)
{
	struct sandbox *sb = *state; /* connection timeout 2 s */
	int fd = raw_connect(sb);
	const char *part =
	    "POST " RECEIPT " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"lo";
	send_all(fd, part, strlen(part));
	long long t0 = test_ms();
	still_alive(sb); /* not blocked by the slow one */
	assert_true(test_ms() - t0 < 1000);
	char buf[1024];
	long got = read_until_close(fd, buf, sizeof buf, 6000);
	long long waited = test_ms() - t0;
	assert_true(got >= 0); /* closed by the server, not by our timeout */
	assert_true(waited >= 1500);
	close(fd);
	/* Half a request line, then silence. */
	fd = raw_connect(sb);
	send_all(fd, "GET /sandbox/le", 15);
	assert_true(read_until_close(fd, buf, sizeof buf, 6000) >= 0);
	close(fd);
	still_alive(sb);
}

static void garbage__answered_or_closed(void **state)
{
	struct sandbox *sb = *state;
	static const char *const junk[] = {
	    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage\r\n\r\n",
	    "HELLO\r\n\r\n",
	    "POST /cloud-print/create-receipt HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
	    "GET / HTTP/9.9\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		int fd = raw_connect(sb);
		send_all(fd, junk[i], strlen(junk[i]));
		shutdown(fd, SHUT_WR);
		char buf[2048];
		assert_true(read_until_close(fd, buf, sizeof buf, 5000) >= 0);
		close(fd);
	}
	/* A header block above the limit. */
	int fd = raw_connect(sb);
	send_all(fd, "GET /sandbox/ HTTP/1.1\r\nHost: x\r\nX-Big: ", 40);
	char *big = xmalloc(100000);
	memset(big, 'b', 100000);
	send_all(fd, big, 100000);
	send_all(fd, "\r\n\r\n", 4);
	free(big);
	char buf[2048];
	assert_true(read_until_close(fd, buf, sizeof buf, 5000) >= 0);
	close(fd);
	still_alive(sb);
}

struct worker {
	struct sandbox *sb;
	int id;
	int ok;
};

static void *on_worker(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 10; i++) {
		char body[512];
		snprintf(body, sizeof body,
			 "{" AUTH ",\"purchase\":{\"products\":[{\"name\":\"X\",\"price\":1,"
			 "\"quantity\":1}]},\"cash_amount\":\"#\",\"ext_id\":\"w%d-%d\"}",
			 w->id, i);
		struct hres h = http_do("POST", sbt_url(w->sb, RECEIPT), "application/json", body,
					strlen(body), NULL, 10000);
		if (h.status == 200 && strstr(h.body, "\"code\":0"))
			w->ok++;
		hres_free(&h);
	}
	return NULL;
}

static void concurrent__clients__every_document_once(void **state)
{
	struct sandbox *sb = *state;
	struct worker w[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){.sb = sb, .id = i};
		pthread_create(&t[i], NULL, on_worker, &w[i]);
	}
	int ok = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
	}
	assert_int_equal(ok, 80);
	assert_int_equal(ledger_count(sb), 80);
}

static void handle__pure_entry_point__no_network(void **state)
{
	(void)state;
	struct sandbox_options o = {.no_worker = true};
	struct kerr e = {0};
	struct sandbox *sb = sandbox_new(&o, &e);
	assert_non_null(sb);
	struct sandbox_request rq = {
	    .method = "POST", .path = RECEIPT, .body = GOOD, .body_len = strlen(GOOD)};
	struct sandbox_reply rp;
	sandbox_handle(sb, &rq, &rp);
	assert_int_equal(rp.http_status, 200);
	assert_non_null(strstr(rp.body, "\"uuid\""));
	sandbox_reply_free(&rp);
	struct sandbox_request bad = {.method = NULL, .path = NULL, .body = NULL, .body_len = 99};
	sandbox_handle(sb, &bad, &rp);
	assert_int_equal(rp.http_status, 404);
	sandbox_reply_free(&rp);
	sandbox_free(sb);
}

static void listen__bad_addresses__refused_with_a_message(void **state)
{
	(void)state;
	static const char *const bad[] = {"localhost",	 "127.0.0.1", "127.0.0.1:99999",
					  "300.1.1.1:0", "[::1:0",    "127.0.0.1:x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sandbox_options o = {.listen = bad[i]};
		struct kerr e = {0};
		struct sandbox *sb = sandbox_start(&o, &e);
		assert_null(sb);
		assert_string_equal(e.field, "listen");
	}
	/* The port is only on the address given. */
	struct sandbox *sb = sbt_start(1000, NULL);
	assert_true(sandbox_port(sb) > 0);
	struct sandbox_options o2 = {.listen = NULL};
	char addr[64];
	snprintf(addr, sizeof addr, "127.0.0.1:%d", sandbox_port(sb));
	o2.listen = addr;
	struct kerr e = {0};
	assert_null(sandbox_start(&o2, &e)); /* in use */
	sandbox_stop(sb);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(bodies__malformed__answered_6000, setup, teardown),
	    cmocka_unit_test_setup_teardown(bodies__over_one_mib__413, setup, teardown),
	    cmocka_unit_test_setup_teardown(chunked__over_limit__413, setup, teardown),
	    cmocka_unit_test_setup_teardown(methods_and_paths__405_and_404, setup, teardown),
	    cmocka_unit_test_setup_teardown(slow_client__timed_out__others_served, setup, teardown),
	    cmocka_unit_test_setup_teardown(garbage__answered_or_closed, setup, teardown),
	    cmocka_unit_test_setup_teardown(concurrent__clients__every_document_once, setup,
					    teardown),
	    cmocka_unit_test(handle__pure_entry_point__no_network),
	    cmocka_unit_test(listen__bad_addresses__refused_with_a_message),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
