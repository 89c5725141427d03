/*
 * bench_relay: kassa-relay under a shop chain's load. N simulated tills each
 * keep one long-poll open (GET /pull, keep-alive, re-pulled at once with the
 * next offset); P provider connections POST callbacks as fast as the relay
 * answers them (each waits for its 200 before the next), spread over the
 * tills. Reports committed callbacks/s (first POST to last 200), delivery
 * latency from the POST being written to the till reading it in a pull reply
 * (p50/p99), and the relay's peak RSS. One process, one epoll loop, raw
 * HTTP/1.1; the tills parse replies with lib/relay_proto, as kassa will.
 *
 * With --relays R (PostgreSQL only: one SQLite file serves one relay) R
 * kassa-relay processes share the database, as a chain runs them behind a
 * load balancer: provider connection p posts to relay p % R and till t keeps
 * its long-poll on relay t % R, so a callback is usually committed by one
 * process and delivered by another (LISTEN/NOTIFY); RSS and CPU are
 * reported per relay and in total.
 *
 *   bench_relay --relay PATH [--db sqlite|pg] [--relays R] [--tills N]
 *               [--callbacks M] [--providers P]
 * pg needs KASSA_TEST_PG=postgresql://... (a database the relay may use).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "relay_proto.h"
#include "util.h"

struct conn {
	int fd;
	bool provider;
	long index; /* till number, or provider number */
	char *out;
	size_t out_n, out_off;
	char *in;
	size_t in_n, in_cap;
	int relay;	/* which relay process it talks to */
	int64_t offset; /* till: next offset wanted */
	bool busy;	/* a request is out */
};

#define MAX_RELAYS 16

static struct {
	int nrelays;
	int ports[MAX_RELAYS];
	pid_t pids[MAX_RELAYS];
	long tills, callbacks, providers;
	char **tokens;
	char (*keys)[RELAY_KEY_LEN + 1];
	int ep;
	long posted, committed, failed, delivered;
	long committed_by[MAX_RELAYS]; /* 200s per relay process */
	double *lat_ms;
	int64_t first_post_us, last_commit_us;
	struct conn *conns;
	long waiting_pulls;
} B;

static void conn_send(struct conn *c, const char *text, size_t n)
{
	free(c->out);
	c->out = xmalloc(n);
	memcpy(c->out, text, n);
	c->out_n = n;
	c->out_off = 0;
	c->busy = true;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	epoll_ctl(B.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void till_pull(struct conn *c)
{
	char req[512];
	int n = snprintf(req, sizeof req,
			 "GET /pull?offset=%lld&timeout=50&limit=1000 HTTP/1.1\r\nHost: relay\r\n"
			 "Authorization: Bearer %s\r\n\r\n",
			 (long long)c->offset, B.tokens[c->index]);
	conn_send(c, req, (size_t)n);
}

static void provider_post(struct conn *c)
{
	if (B.posted >= B.callbacks) {
		c->busy = false;
		return;
	}
	long i = B.posted++;
	long till = i % B.tills;
	int64_t now = bench_mono_us();
	if (!B.first_post_us)
		B.first_post_us = now;
	/* About the size of a LifePay callback in its form field. */
	char body[600];
	int bn = snprintf(body, sizeof body,
			  "data=%%7B%%22uuid%%22%%3A%%22bench-%ld%%22%%2C%%22ts%%22%%3A%lld%%2C"
			  "%%22status%%22%%3A%%22success%%22%%2C%%22ofd_url%%22%%3A%%22https%%3A"
			  "%%2F%%2Fofd.example%%2Frec%%3Ffn%%3D9999078900000001%%26fd%%3D%ld%%26fp"
			  "%%3D1234567890%%22%%2C%%22fn%%22%%3A%%229999078900000001%%22%%2C%%22fd"
			  "%%22%%3A%ld%%2C%%22fpd%%22%%3A%%221234567890%%22%%7D",
			  i, (long long)now, i, i);
	char req[1024];
	int n = snprintf(req, sizeof req,
			 "POST /cb/%s HTTP/1.1\r\nHost: relay\r\nContent-Type: "
			 "application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
			 B.keys[till], bn, body);
	conn_send(c, req, (size_t)n);
}

/* A whole HTTP response in c->in: its status and body, or false. */
static bool http_complete(struct conn *c, int *status, const char **body, size_t *blen,
			  size_t *total)
{
	char *end = memmem(c->in, c->in_n, "\r\n\r\n", 4);
	if (!end)
		return false;
	size_t head = (size_t)(end - c->in) + 4;
	*status = atoi(c->in + 9);
	size_t len = 0;
	for (char *p = c->in; p < end; p++)
		if (strncasecmp(p, "\r\nContent-Length:", 17) == 0) {
			len = strtoul(p + 17, NULL, 10);
			break;
		}
	if (c->in_n < head + len)
		return false;
	*body = c->in + head;
	*blen = len;
	*total = head + len;
	return true;
}

static void on_till_reply(struct conn *c, int status, const char *body, size_t len)
{
	if (status != 200) {
		fprintf(stderr, "bench_relay: till %ld: pull answered %d\n", c->index, status);
		exit(2);
	}
	struct relay_pull_reply r;
	struct kerr e = {0};
	if (relay_proto_pull_parse(body, len, &r, &e) != K_OK)
		bench_die("pull reply", e.text);
	int64_t now = bench_mono_us();
	for (size_t i = 0; i < r.n; i++) {
		const char *ts = strstr(r.updates[i].body, "%22ts%22%3A");
		long long sent = ts ? atoll(ts + 11) : 0;
		if (B.delivered < B.callbacks)
			B.lat_ms[B.delivered] = (double)(now - sent) / 1000.0;
		B.delivered++;
		c->offset = r.updates[i].offset + 1;
	}
	relay_proto_pull_free(&r);
	till_pull(c);
}

static void on_readable(struct conn *c)
{
	for (;;) {
		if (c->in_cap - c->in_n < 4096) {
			c->in_cap = c->in_cap ? 2 * c->in_cap : 8192;
			c->in = xrealloc(c->in, c->in_cap);
		}
		ssize_t r = read(c->fd, c->in + c->in_n, c->in_cap - c->in_n - 1);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			fprintf(stderr, "bench_relay: the relay closed a %s connection\n",
				c->provider ? "provider" : "till");
			exit(2);
		}
		c->in_n += (size_t)r;
	}
	int status;
	const char *body;
	size_t blen, total;
	while (http_complete(c, &status, &body, &blen, &total)) {
		c->busy = false;
		if (c->provider) {
			if (status == 200) {
				B.committed++;
				B.committed_by[c->relay]++;
			} else
				B.failed++;
			B.last_commit_us = bench_mono_us();
			memmove(c->in, c->in + total, c->in_n - total);
			c->in_n -= total;
			provider_post(c);
		} else {
			char *copy = xstrndup(body, blen);
			memmove(c->in, c->in + total, c->in_n - total);
			c->in_n -= total;
			on_till_reply(c, status, copy, blen);
			free(copy);
		}
	}
}

static void on_writable(struct conn *c)
{
	while (c->out_off < c->out_n) {
		ssize_t w = write(c->fd, c->out + c->out_off, c->out_n - c->out_off);
		if (w < 0 && errno == EAGAIN)
			return;
		if (w <= 0) {
			perror("bench_relay: write");
			exit(2);
		}
		c->out_off += (size_t)w;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(B.ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void conn_open(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		bench_die("socket", strerror(errno));
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)B.ports[c->relay])};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS)
		bench_die("connect", strerror(errno));
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	epoll_ctl(B.ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void run_loop(int timeout_ms)
{
	struct epoll_event evs[512];
	int n = epoll_wait(B.ep, evs, 512, timeout_ms);
	for (int i = 0; i < n; i++) {
		struct conn *c = evs[i].data.ptr;
		if (evs[i].events & EPOLLOUT)
			on_writable(c);
		if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			on_readable(c);
	}
}

static pid_t start_relay(const char *exe, const char *db, const char *tills_path, int *port)
{
	int pfd[2];
	if (pipe(pfd) != 0)
		bench_die("pipe", strerror(errno));
	char maxc[32];
	snprintf(maxc, sizeof maxc, "%ld", B.tills + B.providers + 100);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl(exe, exe, "--listen", "127.0.0.1:0", "--db", db, "--tills", tills_path,
		      "--per-ip-limit", "off", "--max-connections", maxc, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char line[200];
	FILE *f = fdopen(pfd[0], "r");
	if (!f || !fgets(line, sizeof line, f) ||
	    sscanf(line, "listening on http://127.0.0.1:%d", port) != 1)
		bench_die("kassa-relay", "did not print its listening line");
	fclose(f);
	return pid;
}

static long rss_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = atol(line + strlen(field) + 1);
	if (f)
		fclose(f);
	return v;
}

/* CPU seconds (user + system) a process has used so far. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	unsigned long ut = 0, st = 0;
	if (p)
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Kills the relays still running (also when the benchmark dies midway). */
static void stop_relays(void)
{
	for (int r = 0; r < B.nrelays; r++)
		if (B.pids[r] > 0) {
			kill(B.pids[r], SIGTERM);
			int st;
			waitpid(B.pids[r], &st, 0);
			B.pids[r] = 0;
		}
}

static long rss_sum(long *per, const char *field)
{
	long sum = 0;
	for (int r = 0; r < B.nrelays; r++) {
		per[r] = rss_kib(B.pids[r], field);
		sum += per[r];
	}
	return sum;
}

/* "a + b + c" of per-relay figures (each divided by scale, with prec
 * decimals), for the report with several relays. */
static const char *per_relay(char *buf, size_t n, const double *v, double scale, int prec)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int r = 0; r < B.nrelays; r++) {
		int w = snprintf(buf + off, n - off, "%s", r ? " + " : "");
		off += w > 0 && (size_t)w < n - off ? (size_t)w : 0;
		w = snprintf(buf + off, n - off, "%.*f", prec, v[r] / scale);
		off += w > 0 && (size_t)w < n - off ? (size_t)w : 0;
	}
	return buf;
}

int main(int argc, char **argv)
{
	bench_set_name("bench_relay");
	const char *exe = NULL, *dbkind = "sqlite";
	B.tills = 10000;
	B.callbacks = 50000;
	B.providers = 64;
	long nrelays = 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--relay") == 0)
			exe = argv[i + 1];
		else if (strcmp(argv[i], "--db") == 0)
			dbkind = argv[i + 1];
		else if (strcmp(argv[i], "--relays") == 0)
			nrelays = bench_arg_long(argv[i + 1], "--relays");
		else if (strcmp(argv[i], "--tills") == 0)
			B.tills = bench_arg_long(argv[i + 1], "--tills");
		else if (strcmp(argv[i], "--callbacks") == 0)
			B.callbacks = bench_arg_long(argv[i + 1], "--callbacks");
		else if (strcmp(argv[i], "--providers") == 0)
			B.providers = bench_arg_long(argv[i + 1], "--providers");
		else
			bench_die("usage", "bench_relay --relay PATH [--db sqlite|pg] [--relays R] "
					   "[--tills N] [--callbacks M] [--providers P]");
	}
	if (!exe || B.tills < 1 || B.callbacks < 1 || B.providers < 1)
		bench_die("usage", "--relay PATH is required; counts must be positive");
	if (strcmp(dbkind, "sqlite") != 0 && strcmp(dbkind, "pg") != 0)
		bench_die("--db", "use sqlite or pg");
	if (nrelays < 1 || nrelays > MAX_RELAYS)
		bench_die("--relays", "give 1 to 16 relay processes");
	if (nrelays > 1 && strcmp(dbkind, "sqlite") == 0)
		bench_die("--relays",
			  "one SQLite file serves one relay process; several relays "
			  "share a PostgreSQL database: add --db pg (and KASSA_TEST_PG)");
	if (nrelays > B.tills || nrelays > B.providers)
		bench_die("--relays", "give each relay at least one till and one provider");
	const char *pg = getenv("KASSA_TEST_PG");
	if (strcmp(dbkind, "pg") == 0 && (!pg || !*pg)) {
		printf("bench_relay: KASSA_TEST_PG is not set; PostgreSQL skipped\n");
		return 77;
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);

	char dir[256];
	bench_tmpdir("relay", dir, sizeof dir);
	char tills_path[300], db[1024];
	snprintf(tills_path, sizeof tills_path, "%s/tills.ini", dir);
	if (strcmp(dbkind, "pg") == 0)
		snprintf(db, sizeof db, "%s", pg);
	else
		snprintf(db, sizeof db, "sqlite:%s/relay.db", dir);
	/* Fresh tokens per run, so a PostgreSQL database reused between runs
	 * starts each till from its own new rows. */
	long long run = bench_mono_us();
	FILE *f = fopen(tills_path, "w");
	B.tokens = xcalloc((size_t)B.tills, sizeof *B.tokens);
	B.keys = xcalloc((size_t)B.tills, sizeof *B.keys);
	for (long i = 0; i < B.tills; i++) {
		char tok[80];
		snprintf(tok, sizeof tok, "bench-%lld-%ld-0123456789abcdef0123456789", run, i);
		B.tokens[i] = xstrdup(tok);
		relay_proto_callback_key(tok, B.keys[i]);
		fprintf(f, "[till.b%lld-%ld]\ntoken = %s\n", run % 100000, i, tok);
	}
	fclose(f);
	chmod(tills_path, 0600);

	/* One after the other: the first migrates a fresh database. */
	atexit(stop_relays);
	for (int r = 0; r < (int)nrelays; r++) {
		B.pids[r] = start_relay(exe, db, tills_path, &B.ports[r]);
		B.nrelays = r + 1;
	}
	B.ep = epoll_create1(EPOLL_CLOEXEC);
	B.conns = xcalloc((size_t)(B.tills + B.providers), sizeof *B.conns);
	B.lat_ms = xcalloc((size_t)B.callbacks, sizeof *B.lat_ms);

	/* The tills connect and pull, a few hundred at a time. */
	int64_t t0 = bench_mono_us();
	long opened = 0;
	while (opened < B.tills) {
		long upto = opened + 200 < B.tills ? opened + 200 : B.tills;
		for (; opened < upto; opened++) {
			struct conn *c = &B.conns[opened];
			c->index = opened;
			c->relay = (int)(opened % B.nrelays);
			c->offset = 0;
			conn_open(c);
			till_pull(c);
		}
		run_loop(1);
	}
	for (int i = 0; i < 200; i++)
		run_loop(5);
	long idle[MAX_RELAYS], peak[MAX_RELAYS];
	long rss_idle = rss_sum(idle, "VmRSS:");
	printf(
	    "bench_relay: %s, %ld tills connected to %d relay%s and waiting in %.1f s, relay RSS "
	    "%ld KiB\n",
	    dbkind, B.tills, B.nrelays, B.nrelays > 1 ? "s" : "",
	    (double)(bench_mono_us() - t0) / 1e6, rss_idle);

	double cpu0[MAX_RELAYS], cpu[MAX_RELAYS], relay_cpu = 0;
	for (int r = 0; r < B.nrelays; r++)
		cpu0[r] = cpu_s(B.pids[r]);
	double self_cpu0 = cpu_s(getpid());
	for (long i = 0; i < B.providers; i++) {
		struct conn *c = &B.conns[B.tills + i];
		c->provider = true;
		c->index = i;
		c->relay = (int)(i % B.nrelays);
		conn_open(c);
		provider_post(c);
	}
	int64_t deadline = bench_mono_us() + 600 * 1000000LL;
	while ((B.committed + B.failed < B.callbacks || B.delivered < B.committed) &&
	       bench_mono_us() < deadline)
		run_loop(100);
	long rss_peak = rss_sum(peak, "VmHWM:");
	for (int r = 0; r < B.nrelays; r++) {
		cpu[r] = cpu_s(B.pids[r]) - cpu0[r];
		relay_cpu += cpu[r];
	}
	double self_cpu = cpu_s(getpid()) - self_cpu0;
	double secs = (double)(B.last_commit_us - B.first_post_us) / 1e6;
	size_t nl = (size_t)(B.delivered < B.callbacks ? B.delivered : B.callbacks);
	double p50 = bench_percentile(B.lat_ms, nl, 50);
	double p99 = bench_percentile(B.lat_ms, nl, 99);
	char what[64];
	if (B.nrelays > 1)
		snprintf(what, sizeof what, "%s, %d relays", dbkind, B.nrelays);
	else
		snprintf(what, sizeof what, "%s", dbkind);
	printf("bench_relay: %s: %ld callbacks committed (%ld failed) in %.2f s = %.0f/s with "
	       "%ld provider connections\n",
	       what, B.committed, B.failed, secs, secs > 0 ? (double)B.committed / secs : 0.0,
	       B.providers);
	printf(
	    "bench_relay: %s: delivered %ld to %ld long-polling tills; POST-to-till p50 %.1f ms, "
	    "p99 %.1f ms\n",
	    what, B.delivered, B.tills, p50, p99);
	printf("bench_relay: %s: relay RSS %ld KiB idle with all tills, peak %ld KiB (%.1f MiB)\n",
	       what, rss_idle, rss_peak, (double)rss_peak / 1024.0);
	printf(
	    "bench_relay: %s: CPU during the run: relay %.2f s, this client %.2f s, on %ld cores "
	    "(%.2f s of wall time)\n",
	    what, relay_cpu, self_cpu, sysconf(_SC_NPROCESSORS_ONLN), secs);
	if (B.nrelays > 1) {
		double vi[MAX_RELAYS], vp[MAX_RELAYS], vc[MAX_RELAYS];
		for (int r = 0; r < B.nrelays; r++) {
			vi[r] = (double)idle[r];
			vp[r] = (double)peak[r];
			vc[r] = (double)B.committed_by[r];
		}
		char a[256], b[256], c[256], d[256];
		printf(
		    "bench_relay: %s: per relay: committed %s; RSS idle %s, peak %s MiB; CPU %s s "
		    "(the totals above are sums)\n",
		    what, per_relay(a, sizeof a, vc, 1, 0), per_relay(b, sizeof b, vi, 1024, 1),
		    per_relay(c, sizeof c, vp, 1024, 1), per_relay(d, sizeof d, cpu, 1, 2));
	}
	stop_relays();
	bench_rmtree(dir);
	bool ok = B.failed == 0 && B.delivered == B.committed && B.committed == B.callbacks;
	if (!ok)
		printf("bench_relay: FAILED: not every callback was committed and delivered\n");
	return ok ? 0 : 1;
}
