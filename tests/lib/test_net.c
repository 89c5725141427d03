/*
 * Tests for lib/net.c against a small libmicrohttpd server started here on
 * 127.0.0.1 (its own threads: the server side is not under test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "net.h"
#include "util.h"

/* ---- the test server ---- */

static struct MHD_Daemon *srv;
static unsigned short srv_port;
static atomic_int srv_concurrent, srv_max_concurrent, srv_connections, srv_stop;
/* /hold: answered only once released (or after 10 s); how many it answered. */
static atomic_int srv_hold_release, srv_hold_answered;

struct upload {
	char *data;
	size_t len;
};

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *ctype,
			     const char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static ssize_t on_chunks(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= 64 * 1024)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = max < 1000 ? max : 1000;
	memset(buf, 'c', n);
	return (ssize_t)n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	if (!up) {
		up = calloc(1, sizeof *up);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size) {
		up->data = realloc(up->data, up->len + *data_size + 1);
		memcpy(up->data + up->len, data, *data_size);
		up->len += *data_size;
		up->data[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/echo") == 0) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		const char *x = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Kassa-Test");
		char buf[2048];
		snprintf(buf, sizeof buf, "%s|ct=%s|auth=%s|x=%s|body=%s", method, ct ? ct : "-",
			 auth ? auth : "-", x ? x : "-", up->data ? up->data : "");
		return reply(c, 200, "application/json", buf, strlen(buf));
	}
	if (strcmp(url, "/hold") == 0) {
		for (int i = 0;
		     i < 1000 && !atomic_load(&srv_hold_release) && !atomic_load(&srv_stop); i++)
			sleep_ms(10);
		atomic_fetch_add(&srv_hold_answered, 1);
		return reply(c, 200, "text/plain", "late", 4);
	}
	if (strcmp(url, "/500") == 0)
		return reply(c, 500, "text/plain", "oops", 4);
	if (strcmp(url, "/stall") == 0) {
		for (int i = 0; i < 200 && !atomic_load(&srv_stop); i++)
			sleep_ms(10);
		return reply(c, 200, "text/plain", "late", 4);
	}
	if (strcmp(url, "/slow") == 0) {
		int now = atomic_fetch_add(&srv_concurrent, 1) + 1;
		int prev = atomic_load(&srv_max_concurrent);
		while (now > prev && !atomic_compare_exchange_weak(&srv_max_concurrent, &prev, now))
			;
		sleep_ms(30);
		atomic_fetch_sub(&srv_concurrent, 1);
		return reply(c, 200, "text/plain", up->data ? up->data : "", up->len);
	}
	if (strcmp(url, "/big") == 0) {
		static char big[8192];
		memset(big, 'b', sizeof big);
		return reply(c, 200, "text/plain", big, sizeof big);
	}
	if (strcmp(url, "/chunked") == 0) {
		struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1000,
									   on_chunks, NULL, NULL);
		enum MHD_Result ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	return reply(c, 404, "text/plain", "no", 2);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;
	if (up) {
		free(up->data);
		free(up);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&srv_connections, 1);
}

static int server_up(void **state)
{
	(void)state;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	atomic_store(&srv_stop, 0);
	srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
			       NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			       MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			       MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	if (!srv)
		return -1;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT);
	srv_port = info ? info->port : 0;
	return srv_port ? 0 : -1;
}

static int server_down(void **state)
{
	(void)state;
	atomic_store(&srv_stop, 1);
	MHD_stop_daemon(srv);
	srv = NULL;
	return 0;
}

static const char *url_for(const char *path)
{
	static char buf[128];
	snprintf(buf, sizeof buf, "http://127.0.0.1:%u%s", srv_port, path);
	return buf;
}

/* ---- client side ---- */

struct got {
	int calls;
	enum net_outcome outcome;
	long status;
	char body[2048];
	size_t body_len;
	char ctype[128];
	char error[256];
};

static void on_done(void *cls, const struct net_result *res)
{
	struct got *g = cls;
	g->calls++;
	g->outcome = res->outcome;
	g->status = res->http_status;
	g->body_len = res->body_len;
	str_copy(g->body, res->body, sizeof g->body);
	str_copy(g->ctype, res->content_type, sizeof g->ctype);
	str_copy(g->error, res->error, sizeof g->error);
}

/* Runs the loop until net is idle or the deadline passes. */
static void run_until_idle(struct loop *l, struct net *n, long long ms)
{
	long long end = mono_ms() + ms;
	while (net_in_flight(n) > 0 && mono_ms() < end)
		loop_run_once(l, 50);
}

static void net_post__json_default__round_trip(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	const char *body = "{\"ext_id\":\"Ж-1\"}";
	static const struct net_header hdr[] = {{"X-Kassa-Test", "yes"}, {NULL, NULL}};
	assert_non_null(net_post(n, url_for("/echo"), NULL, body, strlen(body), hdr, on_done, &g));
	assert_int_equal(net_in_flight(n), 1);
	/* Nothing happens until the loop runs. */
	assert_int_equal(g.calls, 0);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.outcome, NET_OK);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body, "POST|ct=application/json; charset=utf-8|auth=-|x=yes|"
				    "body={\"ext_id\":\"Ж-1\"}");
	assert_int_equal(g.body_len, strlen(g.body));
	assert_string_equal(g.ctype, "application/json");
	assert_string_equal(g.error, "");
	net_free(n);
	loop_free(l);
}

static void net_post__form_content_type__sent_as_given(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	const char *body = "a=1&b=2";
	net_post(n, url_for("/echo"), "application/x-www-form-urlencoded", body, strlen(body), NULL,
		 on_done, &g);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.status, 200);
	assert_string_equal(g.body,
			    "POST|ct=application/x-www-form-urlencoded|auth=-|x=-|body=a=1&b=2");
	net_free(n);
	loop_free(l);
}

static void net_get__basic_auth__header_sent(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	net_get(n, url_for("/echo"), "user", "s3cret", NULL, on_done, &g);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.status, 200);
	/* base64("user:s3cret") */
	assert_string_equal(g.body, "GET|ct=-|auth=Basic dXNlcjpzM2NyZXQ=|x=-|body=");
	net_free(n);
	loop_free(l);
}

static void net_post__server_500__status_and_body_surfaced(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	net_post(n, url_for("/500"), NULL, "{}", 2, NULL, on_done, &g);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.outcome, NET_OK);
	assert_int_equal(g.status, 500);
	assert_string_equal(g.body, "oops");
	net_free(n);
	loop_free(l);
}

static unsigned short free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&sa, sizeof sa);
	socklen_t len = sizeof sa;
	getsockname(s, (struct sockaddr *)&sa, &len);
	close(s);
	return ntohs(sa.sin_port);
}

static void net_post__connection_refused__connect_error(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/x", free_port());
	net_post(n, url, NULL, "{}", 2, NULL, on_done, &g);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.outcome, NET_ERR_CONNECT);
	assert_int_equal(g.status, 0);
	assert_true(strlen(g.error) > 0);
	net_free(n);
	loop_free(l);
}

/*
 * The server holds the request until released, so only our total timeout can
 * end it: the order of events (timeout reported, then the server answers)
 * shows that, with no bound on how long anything took.
 */
static void net_post__server_stalls__times_out_without_blocking(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, &(struct net_options){.total_timeout_ms = 300});
	struct got g = {0};
	atomic_store(&srv_hold_release, 0);
	atomic_store(&srv_hold_answered, 0);
	net_post(n, url_for("/hold"), NULL, "{}", 2, NULL, on_done, &g);
	assert_int_equal(g.calls, 0); /* never called back from inside net_post */
	/* The loop keeps turning while the request waits. */
	int turns = 0;
	long long end = mono_ms() + 5000; /* a safety net against a hang, not a measurement */
	while (net_in_flight(n) > 0 && mono_ms() < end) {
		loop_run_once(l, 20);
		turns++;
	}
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.outcome, NET_ERR_TIMEOUT);
	assert_int_equal(atomic_load(&srv_hold_answered), 0); /* the server still held it */
	assert_true(turns > 1);
	atomic_store(&srv_hold_release, 1);
	net_free(n);
	loop_free(l);
}

static void net_post__ten_jobs_two_slots__all_done_never_more_than_two(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, &(struct net_options){.max_in_flight = 2});
	struct got g[10];
	char bodies[10][8];
	memset(g, 0, sizeof g);
	atomic_store(&srv_max_concurrent, 0);
	int conns_before = atomic_load(&srv_connections);
	for (int i = 0; i < 10; i++) {
		snprintf(bodies[i], sizeof bodies[i], "job%d", i);
		assert_non_null(net_post(n, url_for("/slow"), "text/plain", bodies[i],
					 strlen(bodies[i]), NULL, on_done, &g[i]));
	}
	assert_int_equal(net_in_flight(n), 10);
	run_until_idle(l, n, 8000);
	for (int i = 0; i < 10; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, 200);
		assert_string_equal(g[i].body, bodies[i]);
	}
	assert_true(atomic_load(&srv_max_concurrent) <= 2);
	assert_true(atomic_load(&srv_max_concurrent) >= 1);
	/* Kept-alive connections are reused. */
	assert_true(atomic_load(&srv_connections) - conns_before <= 4);
	net_free(n);
	loop_free(l);
}

static void net_cancel__active_and_queued__never_called_back(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, &(struct net_options){.max_in_flight = 1});
	struct got a = {0}, b = {0}, c = {0};
	struct net_job *ja = net_post(n, url_for("/stall"), NULL, "{}", 2, NULL, on_done, &a);
	struct net_job *jb = net_post(n, url_for("/echo"), NULL, "{}", 2, NULL, on_done, &b);
	net_post(n, url_for("/echo"), NULL, "{}", 2, NULL, on_done, &c);
	assert_int_equal(net_in_flight(n), 3);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 10);
	net_cancel(jb); /* queued */
	net_cancel(ja); /* on the wire */
	assert_int_equal(net_in_flight(n), 1);
	run_until_idle(l, n, 5000);
	assert_int_equal(a.calls, 0);
	assert_int_equal(b.calls, 0);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.status, 200);
	net_free(n);
	loop_free(l);
}

static void net_get__reply_over_cap__too_big(void **state)
{
	(void)state;
	static const char *paths[] = {"/big", "/chunked"};
	for (size_t i = 0; i < 2; i++) {
		struct loop *l = loop_new();
		struct net *n = net_new(l, &(struct net_options){.max_body = 1024});
		struct got g = {0};
		net_get(n, url_for(paths[i]), NULL, NULL, NULL, on_done, &g);
		run_until_idle(l, n, 5000);
		assert_int_equal(g.calls, 1);
		assert_int_equal(g.outcome, NET_ERR_TOO_BIG);
		assert_int_equal(g.body_len, 0);
		assert_non_null(strstr(g.error, "1024"));
		net_free(n);
		loop_free(l);
	}
}

static void net_get__reply_under_cap__whole_body(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, &(struct net_options){.max_body = 8192});
	struct got g = {0};
	net_get(n, url_for("/big"), NULL, NULL, NULL, on_done, &g);
	run_until_idle(l, n, 5000);
	assert_int_equal(g.outcome, NET_OK);
	assert_int_equal(g.body_len, 8192);
	net_free(n);
	loop_free(l);
}

static void on_done_chain(void *cls, const struct net_result *res);

struct chain {
	struct net *n;
	int done;
};

static void on_done_chain(void *cls, const struct net_result *res)
{
	struct chain *c = cls;
	c->done++;
	if (c->done < 3)
		net_post(c->n, url_for("/echo"), NULL, "{}", 2, NULL, on_done_chain, c);
}

static void net_post__submit_from_on_done__runs(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct chain c = {n, 0};
	net_post(n, url_for("/echo"), NULL, "{}", 2, NULL, on_done_chain, &c);
	run_until_idle(l, n, 5000);
	assert_int_equal(c.done, 3);
	net_free(n);
	loop_free(l);
}

static void net_submit__bad_requests__refused_with_field(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	struct got g = {0};
	struct kerr err;
	static const struct {
		const char *method, *url, *field;
	} cases[] = {
	    {"POST", NULL, "url"},
	    {"POST", "", "url"},
	    {"PUT", "http://127.0.0.1:1/", "method"},
	    {"GET", "http://user:pw@127.0.0.1:1/", "url"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct net_request req = {.method = cases[i].method, .url = cases[i].url};
		assert_null(net_submit(n, &req, on_done, &g, &err));
		assert_string_equal(err.field, cases[i].field);
		assert_null(strstr(err.text, "pw"));
	}
	static const struct net_header bad[] = {{"X-A", "x\r\nInjected: 1"}, {NULL, NULL}};
	struct net_request req = {.method = "GET", .url = url_for("/echo"), .headers = bad};
	assert_null(net_submit(n, &req, on_done, &g, &err));
	assert_string_equal(err.field, "headers");
	assert_int_equal(net_in_flight(n), 0);
	net_free(n);
	loop_free(l);
}

static void net_free__with_requests_pending__no_callbacks(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct net *n = net_new(l, &(struct net_options){.max_in_flight = 1});
	struct got a = {0}, b = {0};
	net_post(n, url_for("/stall"), NULL, "{}", 2, NULL, on_done, &a);
	net_post(n, url_for("/echo"), NULL, "{}", 2, NULL, on_done, &b);
	loop_run_once(l, 20);
	net_free(n);
	for (int i = 0; i < 3; i++)
		loop_run_once(l, 10);
	assert_int_equal(a.calls + b.calls, 0);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(net_submit__bad_requests__refused_with_field),
	    cmocka_unit_test(net_post__json_default__round_trip),
	    cmocka_unit_test(net_post__form_content_type__sent_as_given),
	    cmocka_unit_test(net_get__basic_auth__header_sent),
	    cmocka_unit_test(net_post__server_500__status_and_body_surfaced),
	    cmocka_unit_test(net_post__connection_refused__connect_error),
	    cmocka_unit_test(net_post__server_stalls__times_out_without_blocking),
	    cmocka_unit_test(net_post__ten_jobs_two_slots__all_done_never_more_than_two),
	    cmocka_unit_test(net_cancel__active_and_queued__never_called_back),
	    cmocka_unit_test(net_get__reply_over_cap__too_big),
	    cmocka_unit_test(net_get__reply_under_cap__whole_body),
	    cmocka_unit_test(net_post__submit_from_on_done__runs),
	    cmocka_unit_test(net_free__with_requests_pending__no_callbacks),
	};
	return cmocka_run_group_tests(tests, server_up, server_down);
}
