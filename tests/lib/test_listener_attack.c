/*
 * The callback listener under a hostile network (issue 11, findings 1 and 2),
 * end to end on loopback: the delivery engine with its real listener and
 * journal, the in-process sandbox as the provider (its own callbacks held
 * back), an attacker thread on 127.0.0.2 (127.0.0.2-127.0.0.31 for the
 * spread attack) and a victim thread posting one valid callback from
 * 127.0.0.1 during the attack. Each test asserts that the victim's callback
 * is committed to the journal while the attack goes on (the time it took is
 * printed; how fast is a target for tests/bench, not a unit test's assertion).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "sandbox/sandbox.h"
#include "util.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
/* A safety net against a hang, not a measurement. */
#define GIVE_UP_MS 10000

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

struct fx {
	char dir[64];
	char jpath[128];
	struct sandbox *sb;
	struct loop *l;
	struct journal *j;
	struct config_profile p;
	struct outbox *ob;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/kassa-attack-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->jpath, sizeof f->jpath, "%s/journal.db", f->dir);
	/* The sandbox's own callbacks come far too late: the victim sends the one that counts. */
	struct sandbox_options so = {.listen = "127.0.0.1:0", .callback_delay_ms = 600000};
	struct kerr e = {0};
	if (!(f->sb = sandbox_start(&so, &e)) || journal_open(f->jpath, &f->j, &e) != K_OK) {
		fprintf(stderr, "setup: %s\n", e.text);
		return -1;
	}
	f->l = loop_new();
	config_training_profile(&f->p, (unsigned)sandbox_port(f->sb));
	str_copy(f->p.listen_host, "127.0.0.1", sizeof f->p.listen_host);
	f->p.listen_port = 0;
	struct outbox_options o = {.time_unit_ms = 20, .token = TOKEN, .request_timeout_ms = 3000};
	if (!(f->ob = outbox_new(f->l, f->j, &f->p, &o, &e))) {
		fprintf(stderr, "outbox_new: %s: %s\n", e.field, e.text);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	outbox_free(f->ob);
	journal_close(f->j);
	loop_free(f->l);
	sandbox_stop(f->sb);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static void run_for(struct fx *f, long long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end)
		loop_run_once(f->l, 10);
}

static enum journal_state state_of(struct fx *f, int64_t id, char *uuid, size_t n)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	assert_int_equal(journal_get(f->j, id, &d, NULL), K_OK);
	enum journal_state s = d.state;
	if (uuid)
		str_copy(uuid, d.uuid, n);
	journal_doc_free(&d);
	return s;
}

/* A receipt the provider accepted (uuid known) and whose callback is awaited. */
static int64_t accepted_receipt(struct fx *f, char *uuid, size_t n)
{
	struct document d;
	document_init(&d, DOC_RECEIPT);
	struct basket_line bl;
	basket_line_init(&bl);
	str_copy(bl.name, "Хлеб", sizeof bl.name);
	bl.price = 5000;
	bl.qty = 1000;
	struct kerr e = {0};
	assert_int_equal(basket_add(&d.basket, &bl, &e), K_OK);
	d.pay.card.kind = PAY_REMAINDER;
	int64_t id = 0;
	if (outbox_submit(f->ob, &d, &id, &e) != K_OK)
		fail_msg("outbox_submit: %s: %s", e.field, e.text);
	document_free(&d);
	long long end = mono_ms() + 5000;
	while (state_of(f, id, uuid, n) != JS_ACCEPTED && mono_ms() < end)
		loop_run_once(f->l, 10);
	assert_int_equal(state_of(f, id, uuid, n), JS_ACCEPTED);
	return id;
}

/* ---- the victim: one valid callback from 127.0.0.1 ---- */

struct victim {
	char url[160];
	char body[200];
	long status;
	atomic_int done;
};

static size_t on_victim_reply(char *p, size_t s, size_t n, void *cls)
{
	(void)p;
	(void)cls;
	return s * n;
}

static void *victim_main(void *arg)
{
	struct victim *v = arg;
	CURL *e = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(e, CURLOPT_URL, v->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, v->body);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_victim_reply);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 4000L);
	curl_easy_setopt(e, CURLOPT_INTERFACE, "127.0.0.1");
	if (curl_easy_perform(e) == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &v->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	atomic_store(&v->done, 1);
	return NULL;
}

/*
 * Sends a valid "processed" callback for document id from 127.0.0.1 and
 * serves the loop until the journal holds it; returns the milliseconds that
 * took (for the log), or -1 when it was not committed before GIVE_UP_MS.
 */
static long long victim_callback(struct fx *f, int64_t id, const char *uuid)
{
	struct victim v;
	memset(&v, 0, sizeof v);
	snprintf(v.url, sizeof v.url, "http://127.0.0.1:%u/cb/" TOKEN, outbox_listener_port(f->ob));
	snprintf(v.body, sizeof v.body, "{\"uuid\":\"%s\",\"status\":\"processed\"}", uuid);
	pthread_t t;
	long long start = mono_ms();
	assert_int_equal(pthread_create(&t, NULL, victim_main, &v), 0);
	long long took = -1;
	while (mono_ms() - start < GIVE_UP_MS) {
		loop_run_once(f->l, 5);
		if (state_of(f, id, NULL, 0) == JS_PROCESSED) {
			took = mono_ms() - start;
			break;
		}
	}
	/* Let the victim finish (it gives up by itself) so the thread can be joined. */
	while (!atomic_load(&v.done))
		loop_run_once(f->l, 5);
	pthread_join(t, NULL);
	fprintf(stderr, "# valid callback: %s in %lld ms (HTTP %ld)\n",
		took >= 0 ? "committed" : "NOT committed", took >= 0 ? took : mono_ms() - start,
		v.status);
	return took;
}

/* ---- the attacker ---- */

enum attack_kind {
	ATTACK_IDLE,	  /* connect and say nothing */
	ATTACK_SLOWLORIS, /* a request line, then one header byte at a time */
	ATTACK_RECONNECT, /* idle, closed and opened again all the time */
};

struct attacker {
	enum attack_kind kind;
	unsigned port;
	int count;	  /* connections kept */
	int addresses;	  /* source addresses 127.0.0.2 ... 127.0.0.(1 + addresses) */
	bool from_victim; /* from 127.0.0.1, the victim's own address */
	atomic_int stop;  /* 1: stop; 2: close everything gracefully and stop */
	atomic_int ready; /* every connection was started once */
	unsigned long opened;
};

struct aconn {
	int fd;
	long long since;
	size_t sent;
};

static int attacker_connect(struct attacker *a, int i)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	struct sockaddr_in src = {.sin_family = AF_INET};
	src.sin_addr.s_addr =
	    htonl(a->from_victim ? 0x7f000001u : 0x7f000002u + (uint32_t)(i % a->addresses));
	if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0) {
		close(fd);
		return -1;
	}
	struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)a->port)};
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	a->opened++;
	return fd;
}

/* Closes with a reset: a reconnecting attacker leaves no TIME_WAIT behind. */
static void attacker_abort(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(fd);
}

static void *attacker_main(void *arg)
{
	struct attacker *a = arg;
	struct aconn *c = calloc((size_t)a->count, sizeof *c);
	struct pollfd *p = calloc((size_t)a->count, sizeof *p);
	static const char lorem[] =
	    "POST /cb/" TOKEN " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Content-Type: application/json\r\n"
	    "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	for (int i = 0; i < a->count; i++) {
		c[i].fd = attacker_connect(a, i);
		c[i].since = mono_ms();
	}
	atomic_store(&a->ready, 1);
	unsigned seed = 7;
	int turn = 0;
	while (!atomic_load(&a->stop)) {
		for (int i = 0; i < a->count; i++) {
			p[i].fd = c[i].fd;
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		poll(p, (nfds_t)a->count, 20);
		long long now = mono_ms();
		turn++;
		for (int i = 0; i < a->count; i++) {
			bool reopen = c[i].fd < 0;
			if (c[i].fd >= 0 && (p[i].revents & (POLLIN | POLLERR | POLLHUP))) {
				char buf[512];
				ssize_t r = recv(c[i].fd, buf, sizeof buf, MSG_DONTWAIT);
				if (r <= 0 || (p[i].revents & (POLLERR | POLLHUP)))
					reopen =
					    a->kind != ATTACK_IDLE; /* idle holders stay closed */
				if (r <= 0 && a->kind == ATTACK_IDLE) {
					close(c[i].fd);
					c[i].fd = -2;
				}
			}
			if (a->kind == ATTACK_RECONNECT && c[i].fd >= 0 &&
			    now - c[i].since > 3000 + (long long)(rand_r(&seed) % 2000))
				reopen = true;
			if (reopen && c[i].fd != -2) {
				if (c[i].fd >= 0)
					attacker_abort(c[i].fd);
				c[i].fd = attacker_connect(a, i);
				c[i].since = now;
				c[i].sent = 0;
			}
			/* slowloris: about 5 bytes a second per connection */
			if (a->kind == ATTACK_SLOWLORIS && c[i].fd >= 0 && turn % 10 == i % 10 &&
			    c[i].sent < sizeof lorem - 1) {
				ssize_t w = send(c[i].fd, lorem + c[i].sent, 1,
						 MSG_DONTWAIT | MSG_NOSIGNAL);
				if (w == 1)
					c[i].sent++;
			}
		}
	}
	for (int i = 0; i < a->count; i++)
		if (c[i].fd >= 0) {
			if (atomic_load(&a->stop) == 2)
				close(c[i].fd);
			else
				attacker_abort(c[i].fd);
		}
	free(c);
	free(p);
	return NULL;
}

static void attack_start(struct fx *f, struct attacker *a, pthread_t *t)
{
	a->port = outbox_listener_port(f->ob);
	if (!a->addresses)
		a->addresses = 1;
	assert_int_equal(pthread_create(t, NULL, attacker_main, a), 0);
	while (!atomic_load(&a->ready))
		loop_run_once(f->l, 5);
	run_for(f, 400); /* the attack takes hold */
}

static void attack_stop(struct fx *f, struct attacker *a, pthread_t t, int how)
{
	atomic_store(&a->stop, how);
	pthread_join(t, NULL);
	run_for(f, 50);
}

static void print_health(struct fx *f)
{
	struct outbox_stats st;
	memset(&st, 0, sizeof st);
	outbox_stats(f->ob, &st);
	fprintf(stderr, "# listener: %s\n", st.listener_text);
}

/* ---- the tests ---- */

static void listener__commits_callback__while_70_idle_connections_are_held_and_after(void **state)
{
	struct fx *f = *state;
	char uuid1[64], uuid2[64];
	int64_t id1 = accepted_receipt(f, uuid1, sizeof uuid1);
	int64_t id2 = accepted_receipt(f, uuid2, sizeof uuid2);
	struct attacker a = {.kind = ATTACK_IDLE, .count = 70};
	pthread_t t;
	attack_start(f, &a, &t);
	long long held = victim_callback(f, id1, uuid1);
	print_health(f);
	/* The 70 connections close (FIN, as a scanner would) and a second callback comes. */
	attack_stop(f, &a, t, 2);
	run_for(f, 300);
	long long after = victim_callback(f, id2, uuid2);
	print_health(f);
	assert_true(held >= 0);
	assert_true(after >= 0);
}

static void listener__commits_callback__during_200_slowloris_connections(void **state)
{
	struct fx *f = *state;
	char uuid[64];
	int64_t id = accepted_receipt(f, uuid, sizeof uuid);
	struct attacker a = {.kind = ATTACK_SLOWLORIS, .count = 200};
	pthread_t t;
	attack_start(f, &a, &t);
	run_for(f, 600);
	long long took = victim_callback(f, id, uuid);
	print_health(f);
	attack_stop(f, &a, t, 1);
	assert_true(took >= 0);
}

static void listener__commits_callback__during_1000_reconnecting_idle_connections(void **state)
{
	struct fx *f = *state;
	char uuid[64];
	int64_t id = accepted_receipt(f, uuid, sizeof uuid);
	struct attacker a = {.kind = ATTACK_RECONNECT, .count = 1000};
	pthread_t t;
	attack_start(f, &a, &t);
	long long took = victim_callback(f, id, uuid);
	print_health(f);
	attack_stop(f, &a, t, 1);
	fprintf(stderr, "# attacker opened %lu connections\n", a.opened);
	assert_true(took >= 0);
}

/* 150 idle connections from 30 addresses, 5 each: under any per-address cap, over the total. */
static void
listener__commits_callback__when_full_of_idle_connections_from_many_addresses(void **state)
{
	struct fx *f = *state;
	char uuid[64];
	int64_t id = accepted_receipt(f, uuid, sizeof uuid);
	struct attacker a = {.kind = ATTACK_IDLE, .count = 150, .addresses = 30};
	pthread_t t;
	attack_start(f, &a, &t);
	long long took = victim_callback(f, id, uuid);
	print_health(f);
	attack_stop(f, &a, t, 1);
	assert_true(took >= 0);
}

/* A NAT or a scanner on the provider's own address: idle ones give way to the newcomer. */
static void
listener__commits_callback__during_70_idle_connections_from_its_own_address(void **state)
{
	struct fx *f = *state;
	char uuid[64];
	int64_t id = accepted_receipt(f, uuid, sizeof uuid);
	struct attacker a = {.kind = ATTACK_IDLE, .count = 70, .from_victim = true};
	pthread_t t;
	attack_start(f, &a, &t);
	long long took = victim_callback(f, id, uuid);
	print_health(f);
	attack_stop(f, &a, t, 1);
	assert_true(took >= 0);
}

int main(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096) {
		rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		listener__commits_callback__while_70_idle_connections_are_held_and_after, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		listener__commits_callback__during_200_slowloris_connections, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		listener__commits_callback__during_1000_reconnecting_idle_connections, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		listener__commits_callback__when_full_of_idle_connections_from_many_addresses,
		setup, teardown),
	    cmocka_unit_test_setup_teardown(
		listener__commits_callback__during_70_idle_connections_from_its_own_address, setup,
		teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
