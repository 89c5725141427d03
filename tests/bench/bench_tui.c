/*
 * Benchmarks 3 and 4: the real cashier's screen (`kassa` without a
 * subcommand) in a pseudo-terminal (forkpty, 100x30, TERM=xterm-256color),
 * with its own config and data directories (XDG_CONFIG_HOME/XDG_DATA_HOME
 * in a temporary directory) and a profile "bench" pointing at kassa-sandbox.
 *
 *   bench_tui keys --kassa PATH/kassa --sandbox PATH/kassa-sandbox
 *                  [--keys 600] [--rate 200] [--docs 20000]
 *     Responsiveness (3): kassa-sandbox runs with --faults stall=1:60, so
 *     every provider request hangs for 60 s. The journal holds `--docs`
 *     accepted documents with known uuids plus 8 queued receipts, which the
 *     screen sends at once: 8 requests hang (checked: 8 documents in state
 *     sending). A side process posts valid LifePay callbacks for the accepted
 *     documents to the screen's listener at `--rate` per second (each one
 *     committed, reported to the screen, the status pane re-read, the screen
 *     redrawn). Meanwhile we type on the sale screen's Item line: time from
 *     write() of a character to that character appearing in the terminal
 *     output (escape sequences stripped). Target p99 <= 16 ms.
 *
 *   bench_tui startup --kassa PATH/kassa --sandbox PATH/kassa-sandbox
 *                     [--docs 100000] [--runs 10]
 *     Start-up and memory (4): a journal of `--docs` documents; time from
 *     fork+exec to the first usable frame (the status bar, the Item line and
 *     the key bar all drawn), then 1 s of normal running, then SIGTERM and
 *     the child's peak RSS (wait4 ru_maxrss). Also with an empty journal for
 *     comparison. Targets <= 100 ms and <= 32 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "net.h"
#include "outbox.h"
#include "util.h"

#define TOKEN "7e577e577e577e577e577e577e577e57"
#define ROWS 30
#define COLS 100
#define TYPED "QZJVW" /* never in the status bar words nor in escape sequences once stripped */
#define CLEAR_EVERY 24

struct opts {
	const char *mode;
	const char *kassa;
	const char *sandbox;
	long keys, rate, docs, runs;
	const char *env[4]; /* extra NAME=VALUE for kassa (--env) */
	int nenv;
};

/* ---- the environment: config, data dir, token ---- */

struct env {
	char dir[256];
	char cfg[320], data[320], journal[400];
	unsigned lport;
	int sandbox_port;
};

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		bench_die(path, strerror(errno));
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n)
		bench_die(path, strerror(errno));
	close(fd);
	chmod(path, mode);
}

static void env_setup(struct env *e, const char *tag, int sandbox_port)
{
	memset(e, 0, sizeof *e);
	bench_tmpdir(tag, e->dir, sizeof e->dir);
	e->sandbox_port = sandbox_port;
	e->lport = bench_free_port();
	char p[600];
	snprintf(e->cfg, sizeof e->cfg, "%s/config", e->dir);
	snprintf(e->data, sizeof e->data, "%s/data", e->dir);
	mkdir(e->cfg, 0700);
	mkdir(e->data, 0700);
	snprintf(p, sizeof p, "%s/kassa", e->cfg);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/kassa", e->data);
	mkdir(p, 0700);
	snprintf(e->journal, sizeof e->journal, "%s/kassa/journal.db", e->data);
	char ini[1024];
	snprintf(ini, sizeof ini,
		 "[kassa]\ndefault_profile = bench\n\n[profile.bench]\nprovider = lifepay\n"
		 "base_url = http://127.0.0.1:%d\nlogin = 70000000000\napikey = sandbox-apikey\n"
		 "target_serial = SANDBOX-0001\nlisten = 127.0.0.1:%u\nretry_schedule = 1\n"
		 "max_in_flight = 8\n",
		 sandbox_port, e->lport);
	snprintf(p, sizeof p, "%s/kassa/config.ini", e->cfg);
	write_file(p, ini, 0600);
	snprintf(p, sizeof p, "%s/kassa/callback-token", e->data);
	write_file(p, TOKEN "\n", 0600);
}

/* The profile exactly as kassa will read it. */
static void env_profile(const struct env *e, struct config_profile *out)
{
	char path[600];
	snprintf(path, sizeof path, "%s/kassa/config.ini", e->cfg);
	struct config *cfg = NULL;
	struct kerr err = {0};
	if (config_load(path, &cfg, &err) != K_OK ||
	    config_select(cfg, "bench", false, out, &err) != K_OK)
		bench_die("config", err.text);
	config_free(cfg);
}

/* ---- kassa in a pty ---- */

struct term {
	pid_t pid;
	int fd;
	/* escape-sequence stripper state */
	int esc; /* 0 text, 1 after ESC, 2 in CSI, 3 after ESC ( or ) */
	char text[1 << 16];
	size_t ntext;
	size_t total_bytes;
};

static void term_start(struct term *t, const struct opts *o, const struct env *e)
{
	memset(t, 0, sizeof *t);
	struct winsize ws = {.ws_row = ROWS, .ws_col = COLS};
	char cfgv[400], datav[400];
	snprintf(cfgv, sizeof cfgv, "XDG_CONFIG_HOME=%s", e->cfg);
	snprintf(datav, sizeof datav, "XDG_DATA_HOME=%s", e->data);
	t->pid = forkpty(&t->fd, NULL, NULL, &ws);
	if (t->pid < 0)
		bench_die("forkpty", strerror(errno));
	if (t->pid == 0) {
		char *envp[12] = {(char *)"TERM=xterm-256color",
				  (char *)"LC_ALL=C.UTF-8",
				  (char *)"HOME=/nonexistent",
				  cfgv,
				  datav,
				  (char *)"PATH=/usr/bin:/bin",
				  NULL};
		for (int i = 0; i < o->nenv; i++)
			envp[6 + i] = (char *)o->env[i];
		char *argv[] = {(char *)o->kassa, NULL};
		execve(o->kassa, argv, envp);
		_exit(127);
	}
	fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
}

/* Feeds output through the stripper; keeps the last printable text. */
static void term_feed(struct term *t, const unsigned char *b, size_t n)
{
	t->total_bytes += n;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		switch (t->esc) {
		case 0:
			if (c == 0x1b)
				t->esc = 1;
			else if (c >= 0x20) {
				if (t->ntext + 1 >= sizeof t->text) {
					memmove(t->text, t->text + sizeof t->text / 2,
						sizeof t->text / 2);
					t->ntext -= sizeof t->text / 2;
				}
				t->text[t->ntext++] = (char)c;
				t->text[t->ntext] = '\0';
			}
			break;
		case 1:
			t->esc = c == '[' ? 2 : (c == '(' || c == ')') ? 3 : 0;
			break;
		case 2:
			if (c >= 0x40 && c <= 0x7e)
				t->esc = 0;
			break;
		default:
			t->esc = 0;
		}
	}
}

/* Reads what is there within wait_ms; false at EOF. */
static bool term_read(struct term *t, int wait_ms)
{
	struct pollfd p = {.fd = t->fd, .events = POLLIN};
	if (poll(&p, 1, wait_ms) <= 0)
		return true;
	unsigned char buf[65536];
	ssize_t n = read(t->fd, buf, sizeof buf);
	if (n <= 0)
		return n < 0 && errno == EAGAIN;
	term_feed(t, buf, (size_t)n);
	return true;
}

static void term_drain(struct term *t, long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end && term_read(t, (int)(end - mono_ms())))
		;
}

/* Waits until every string in want appeared since mark; returns false on timeout/EOF. */
static bool term_wait_text(struct term *t, size_t mark, const char *const *want, long ms)
{
	long long end = mono_ms() + ms;
	for (;;) {
		bool all = true;
		const char *since = t->ntext >= mark ? t->text + mark : t->text;
		for (size_t i = 0; want[i]; i++)
			all = all && strstr(since, want[i]);
		if (all)
			return true;
		long long left = end - mono_ms();
		if (left <= 0 || !term_read(t, (int)(left < 50 ? left : 50)))
			return false;
	}
}

/* VmHWM of a running process (peak RSS since its exec), KiB; 0 if unknown. */
static long vm_hwm_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return kib;
}

/*
 * SIGTERM (then SIGKILL); returns the child's peak RSS in KiB: VmHWM read
 * just before the signal (wait4's ru_maxrss would also count the harness's
 * own pages that the child had before its exec).
 */
static long term_stop(struct term *t)
{
	long hwm = vm_hwm_kib(t->pid);
	kill(t->pid, SIGTERM);
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	int st = 0;
	for (int i = 0; i < 100; i++) {
		term_drain(t, 20);
		if (wait4(t->pid, &st, WNOHANG, &ru) == t->pid) {
			close(t->fd);
			return hwm ? hwm : ru.ru_maxrss;
		}
	}
	kill(t->pid, SIGKILL);
	wait4(t->pid, &st, 0, &ru);
	close(t->fd);
	return hwm ? hwm : ru.ru_maxrss;
}

static const char *const first_frame[] = {"outbox", "Item:", "Quit", NULL};

/* ---- benchmark 4: start-up and memory ---- */

static void startup_runs(const struct opts *o, const struct env *e, const char *label, long runs)
{
	double *ms = xcalloc((size_t)runs, sizeof *ms);
	long rss_max = 0;
	for (long r = 0; r < runs; r++) {
		struct term t;
		int64_t t0 = bench_mono_us();
		term_start(&t, o, e);
		if (!term_wait_text(&t, 0, first_frame, 10000)) {
			fprintf(stderr, "bench_tui: last screen text: %.300s\n",
				t.ntext > 300 ? t.text + t.ntext - 300 : t.text);
			bench_die("startup", "no usable frame within 10 s");
		}
		ms[r] = (double)(bench_mono_us() - t0) / 1e3;
		term_drain(&t, 1000); /* a second of normal running: status pane, sends */
		long rss = term_stop(&t);
		if (rss > rss_max)
			rss_max = rss;
	}
	double p50 = bench_percentile(ms, (size_t)runs, 50);
	double max = ms[runs - 1];
	printf("  %-28s first usable frame: median %.1f ms, max %.1f ms (%ld runs); peak RSS "
	       "%.1f MiB%s%s\n",
	       label, p50, max, runs, rss_max / 1024.0, max <= 100 ? "" : "  [frame > 100 ms]",
	       rss_max <= 32 * 1024 ? "" : "  [RSS > 32 MiB]");
	free(ms);
}

static int run_startup(const struct opts *o)
{
	struct bench_sandbox sb;
	struct bench_sandbox_opts so = {.exe = o->sandbox, .time_scale = "0.01"};
	bench_sandbox_start(&sb, &so);
	struct env empty, full;
	env_setup(&empty, "tui-empty", sb.port);
	env_setup(&full, "tui-start", sb.port);
	int64_t b0 = bench_mono_us();
	pid_t builder = fork();
	if (builder == 0) {
		bench_build_journal(full.journal, o->docs, "bench");
		_exit(0);
	}
	int bst = 0;
	if (builder < 0 || waitpid(builder, &bst, 0) != builder || !WIFEXITED(bst) ||
	    WEXITSTATUS(bst) != 0)
		bench_die("journal", "the builder failed");
	double build_s = (double)(bench_mono_us() - b0) / 1e6;
	printf("bench_tui startup: kassa in a %dx%d pty, profile \"bench\" -> kassa-sandbox on "
	       "127.0.0.1:%d; journal of %ld documents built in %.1f s\n",
	       COLS, ROWS, sb.port, o->docs, build_s);
	startup_runs(o, &empty, "empty journal:", o->runs);
	char label[64];
	snprintf(label, sizeof label, "%ld documents:", o->docs);
	startup_runs(o, &full, label, o->runs);
	bench_sandbox_stop(&sb);
	bench_rmtree(empty.dir);
	bench_rmtree(full.dir);
	return 0;
}

/* ---- benchmark 3: keystroke latency under load ---- */

static void populate(const struct env *e, long n)
{
	struct journal *j = NULL;
	struct kerr err = {0};
	if (journal_open(e->journal, &j, &err) != K_OK)
		bench_die("journal", err.text);
	journal_set_sync(j, false, NULL);
	for (long i = 0; i < n; i++) {
		char ext[64], uuid[64];
		snprintf(ext, sizeof ext, "tui-%ld", i);
		snprintf(uuid, sizeof uuid, "7e570000-0000-4000-8000-%012ld", i);
		struct journal_new_doc d = {.profile = "bench",
					    .provider = KPROVIDER_LIFEPAY,
					    .kind = "receipt",
					    .type = "payment",
					    .ext_id = ext,
					    .body = "{\"purchase\":{\"products\":[]}}",
					    .total = 10000 + i,
					    .card = 10000 + i};
		int64_t id;
		if (journal_enqueue(j, &d, &id, &err) != K_OK ||
		    journal_mark_sending(j, id, &err) != K_OK ||
		    journal_apply_reply_ok(j, id, uuid, NULL, &err) != K_OK)
			bench_die("populate", err.text);
	}
	/* 8 receipts through the real outbox (body, callback_url), queued and due now */
	struct config_profile p;
	env_profile(e, &p);
	struct loop *l = loop_new();
	struct outbox_options oo = {.token = TOKEN};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &err);
	if (!ob)
		bench_die("outbox_new", err.text);
	for (int i = 0; i < 8; i++) {
		struct document d;
		bench_sale(&d, 50000 + i, 1000);
		int64_t id;
		if (outbox_submit(ob, &d, &id, &err) != K_OK)
			bench_die("outbox_submit", err.text);
		document_free(&d);
	}
	outbox_free(ob); /* the loop never ran: nothing was sent */
	loop_free(l);
	journal_close(j);
}

static int64_t count_state(const char *path, const char *state)
{
	sqlite3 *db = NULL;
	int64_t n = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 1000);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM documents WHERE state = ?1", -1,
				       &s, NULL) == SQLITE_OK) {
			sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				n = sqlite3_column_int64(s, 0);
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

/* The side process: LifePay callbacks at `rate` per second for the accepted documents. */
struct poster {
	struct net *net;
	struct loop *loop;
	char url[128];
	long next, sent, ok, other, docs, rate;
	long long start;
};

static volatile sig_atomic_t poster_stop;

static void on_poster_term(int sig)
{
	(void)sig;
	poster_stop = 1;
}

static void on_posted(void *cls, const struct net_result *res)
{
	struct poster *p = cls;
	if (res->outcome == NET_OK && res->http_status == 200)
		p->ok++;
	else
		p->other++;
}

static void on_poster_tick(struct loop *l, void *cls)
{
	struct poster *p = cls;
	long due = (long)((mono_ms() - p->start) * p->rate / 1000);
	while (p->sent < due && p->next < p->docs && net_in_flight(p->net) < 64) {
		char json[512], body[1024];
		long i = p->next++;
		snprintf(json, sizeof json,
			 "{\"uuid\":\"7e570000-0000-4000-8000-%012ld\",\"ext_id\":\"tui-%ld\","
			 "\"status\":\"processed\",\"ofd_url\":\"https://ofd.example/r?i=%ld\"}",
			 i, i, i);
		/* form-encode the few characters that need it */
		size_t w = (size_t)snprintf(body, sizeof body, "data=");
		for (const char *c = json; *c && w + 4 < sizeof body; c++) {
			if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == '_')
				body[w++] = *c;
			else
				w += (size_t)snprintf(body + w, sizeof body - w, "%%%02X",
						      (unsigned char)*c);
		}
		body[w] = '\0';
		net_post(p->net, p->url, "application/x-www-form-urlencoded", body, w, NULL,
			 on_posted, p);
		p->sent++;
	}
	loop_add_timer(l, 2, on_poster_tick, p);
}

static pid_t poster_start(const struct env *e, long rate, long docs, int result_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		bench_die("fork", strerror(errno));
	if (pid > 0)
		return pid;
	signal(SIGTERM, on_poster_term);
	struct poster p = {.rate = rate, .docs = docs};
	p.loop = loop_new();
	struct net_options no = {.max_in_flight = 8};
	p.net = net_new(p.loop, &no);
	snprintf(p.url, sizeof p.url, "http://127.0.0.1:%u/cb/%s", e->lport, TOKEN);
	p.start = mono_ms();
	loop_add_timer(p.loop, 0, on_poster_tick, &p);
	while (!poster_stop)
		loop_run_once(p.loop, 20);
	long long took = mono_ms() - p.start;
	char line[160];
	int n = snprintf(line, sizeof line, "%ld %ld %ld %lld\n", p.sent, p.ok, p.other, took);
	if (write(result_fd, line, (size_t)n) != n)
		_exit(3);
	_exit(0);
}

static int run_keys(const struct opts *o)
{
	struct bench_sandbox sb;
	struct bench_sandbox_opts so = {
	    .exe = o->sandbox, .faults = "stall=1:60", .time_scale = "1"};
	bench_sandbox_start(&sb, &so);
	struct env e;
	env_setup(&e, "tui-keys", sb.port);
	populate(&e, o->docs);

	struct term t;
	int64_t t0 = bench_mono_us();
	term_start(&t, o, &e);
	if (!term_wait_text(&t, 0, first_frame, 10000))
		bench_die("keys", "no usable frame within 10 s");
	double frame_ms = (double)(bench_mono_us() - t0) / 1e3;
	/* the 8 receipts go out at once and hang on the stalled provider */
	long long until = mono_ms() + 10000;
	while (count_state(e.journal, "sending") < 8 && mono_ms() < until)
		term_drain(&t, 50);
	int64_t hanging = count_state(e.journal, "sending");
	int fds[2];
	if (pipe(fds) != 0)
		bench_die("pipe", strerror(errno));
	pid_t poster = poster_start(&e, o->rate, o->docs, fds[1]);
	close(fds[1]);
	term_drain(&t, 1000); /* callbacks flowing, the screen busy */

	double *lat = xcalloc((size_t)o->keys, sizeof *lat);
	size_t timeouts = 0, typed = 0;
	int64_t k0 = bench_mono_us();
	for (long k = 0; k < o->keys; k++) {
		char c = TYPED[k % (sizeof TYPED - 1)];
		size_t mark = t.ntext;
		int64_t a = bench_mono_us();
		if (write(t.fd, &c, 1) != 1)
			bench_die("write", strerror(errno));
		char want[2] = {c, '\0'};
		const char *const w[] = {want, NULL};
		bool seen = term_wait_text(&t, mark, w, 1000);
		lat[k] = (double)(bench_mono_us() - a) / 1e3;
		timeouts += !seen;
		typed++;
		/* a fast typist: 30-70 ms between keys, output keeps being read */
		term_drain(&t, 30 + (long)(bench_mix((uint64_t)k) % 40));
		if (typed % CLEAR_EVERY == 0) {
			char del[CLEAR_EVERY];
			memset(del, 0x7f, sizeof del);
			if (write(t.fd, del, sizeof del) != (ssize_t)sizeof del)
				bench_die("write", strerror(errno));
			term_drain(&t, 150);
		}
	}
	double typing_s = (double)(bench_mono_us() - k0) / 1e6;
	kill(poster, SIGTERM);
	char line[160] = "";
	ssize_t got = read(fds[0], line, sizeof line - 1);
	line[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	waitpid(poster, NULL, 0);
	long sent = 0, ok = 0, other = 0;
	long long took = 1;
	sscanf(line, "%ld %ld %ld %lld", &sent, &ok, &other, &took);
	int64_t still = count_state(e.journal, "sending");
	int64_t processed = count_state(e.journal, "processed");
	long rss = term_stop(&t);

	double p50 = bench_percentile(lat, typed, 50), p90 = bench_percentile(lat, typed, 90),
	       p99 = bench_percentile(lat, typed, 99), max = lat[typed - 1];
	printf("bench_tui keys: kassa in a %dx%d pty; kassa-sandbox --faults stall=1:60; "
	       "journal of %ld accepted documents + 8 receipts; first frame %.1f ms%s",
	       COLS, ROWS, o->docs, frame_ms, o->nenv ? "; kassa environment:" : "");
	for (int i = 0; i < o->nenv; i++)
		printf(" %s", o->env[i]);
	printf("\n");
	printf("  requests hanging on the stalled provider: %" PRId64 " at the start, %" PRId64
	       " at the end\n",
	       hanging, still);
	printf("  callbacks: %ld posted in %.1f s = %.0f/s, %ld answered 200, %ld not; %" PRId64
	       " documents processed\n",
	       sent, took / 1000.0, sent * 1000.0 / (double)took, ok, other, processed);
	printf("  keystroke to screen: %zu keys in %.1f s: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms, %zu not echoed within 1 s (target p99 <= 16 ms: %s)\n",
	       typed, typing_s, p50, p90, p99, max, timeouts, p99 <= 16 ? "met" : "MISSED");
	printf("  kassa peak RSS %.1f MiB\n", rss / 1024.0);
	int failures = 0;
	if (hanging != 8 || timeouts || ok < sent * 9 / 10) {
		fprintf(stderr,
			"bench_tui: FAILED: %" PRId64 " hanging requests, %zu lost keys, "
			"%ld of %ld callbacks answered 200\n",
			hanging, timeouts, ok, sent);
		failures++;
	}
	free(lat);
	bench_sandbox_stop(&sb);
	bench_rmtree(e.dir);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_set_name("bench_tui");
	signal(SIGPIPE, SIG_IGN);
	struct opts o = {.keys = 600, .rate = 200, .docs = 0, .runs = 10};
	if (argc < 2)
		bench_die("usage", "bench_tui keys|startup --kassa EXE --sandbox EXE [...]");
	o.mode = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			bench_die("missing value", argv[i]);
		if (strcmp(argv[i], "--kassa") == 0)
			o.kassa = argv[++i];
		else if (strcmp(argv[i], "--sandbox") == 0)
			o.sandbox = argv[++i];
		else if (strcmp(argv[i], "--keys") == 0)
			o.keys = bench_arg_long(argv[++i], "--keys");
		else if (strcmp(argv[i], "--rate") == 0)
			o.rate = bench_arg_long(argv[++i], "--rate");
		else if (strcmp(argv[i], "--docs") == 0)
			o.docs = bench_arg_long(argv[++i], "--docs");
		else if (strcmp(argv[i], "--runs") == 0)
			o.runs = bench_arg_long(argv[++i], "--runs");
		else if (strcmp(argv[i], "--env") == 0 && o.nenv < 4 && strchr(v, '='))
			o.env[o.nenv++] = argv[++i];
		else
			bench_die("unknown argument", argv[i]);
	}
	if (!o.kassa || access(o.kassa, X_OK) != 0)
		bench_die("--kassa", "give the kassa executable");
	if (o.keys < 1 || o.runs < 1 || o.rate < 1)
		bench_die("usage", "--keys, --runs and --rate must be positive");
	int rc;
	if (strcmp(o.mode, "keys") == 0) {
		if (!o.docs)
			o.docs = 20000;
		rc = run_keys(&o);
	} else if (strcmp(o.mode, "startup") == 0) {
		if (!o.docs)
			o.docs = 100000;
		rc = run_startup(&o);
	} else {
		bench_die("usage", "bench_tui keys|startup ...");
	}
	printf("  command: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return rc;
}
