/*
 * Tests for lib/listener_guard.c: slow and trickling clients, the listen socket
 * re-opened, per-address and total caps, the health file.
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

struct slow {
	unsigned port;
	char token[LISTENER_TOKEN_LEN + 1];
	atomic_int connected;
	atomic_int done;
	bool closed; /* by the server: it gave up on us */
};

static void *slow_main(void *arg)
{
	struct slow *s = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)s->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {5, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	s->closed = false;
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
			/* 0 (closed) or a reset: either way the server gave up; not our
			 * own receive timeout. */
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
				s->closed = true;
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
	/* While the slow client hangs, others are served: in that order. */
	assert_good_request_served(f);
	assert_good_request_served(f);
	assert_int_equal(atomic_load(&s.done), 0);
	serve_until(f->loop, &s.done, 6000);
	pthread_join(t, NULL);
	assert_true(s.closed);
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
	bool closed; /* by the server, before the client gave up */
};

static void *trickle_main(void *arg)
{
	struct trickle *s = arg;
	s->closed = false;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)s->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		char req[256];
		int n = snprintf(req, sizeof req, "POST /cb/%s HTTP/1.1\r\nHost: x\r\n", s->token);
		if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
			/*
			 * then "X-a: b\r\n" forever, a byte every 200 ms: each byte
			 * would restart an idle timer, so only the request deadline
			 * closes it. The client gives up after 30 bytes (6 s).
			 */
			static const char more[] = "X-a: b\r\n";
			for (int i = 0; i < 30; i++) {
				struct pollfd p = {.fd = fd, .events = POLLIN};
				if (poll(&p, 1, 200) > 0) {
					char buf[256];
					if (recv(fd, buf, sizeof buf, 0) <= 0) {
						s->closed = true;
						break;
					}
				}
				if (send(fd, &more[i % 8], 1, MSG_NOSIGNAL) != 1) {
					s->closed = true;
					break;
				}
			}
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
	assert_true(s.closed);
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
	struct listener_options opt = {.listen = "127.0.0.1:0",
				       .token = f->token,
				       .max_connections = 4,
				       .on_callback = on_callback,
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
	struct listener_options opt = {.listen = "127.0.0.1:0",
				       .token = f->token,
				       .per_ip_limit = 1,
				       .health_path = path,
				       .on_callback = on_callback,
				       .cls = &f->h};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(listener__slow_client__timed_out_while_others_served),
	    cmocka_unit_test(listener__trickled_headers__closed_at_the_request_deadline),
	    cmocka_unit_test(listener__listen_socket_broken__opened_again_on_the_same_port),
	    cmocka_unit_test(listener__per_address_cap__sheds_its_idle_longest_and_says_so),
	    cmocka_unit_test(listener__full__sheds_the_connection_idle_longest),
	    cmocka_unit_test(listener__health_file__kept_current_and_removed_at_stop),
	};
	return cmocka_run_group_tests(tests, setup_curl, teardown_curl);
}
