/*
 * Integration and crash tests of the delivery engine against kassa-sandbox.
 *
 *   engine_driver faults [--sandbox EXE] [--count N]
 *     Sales and refunds through the outbox while the sandbox drops replies,
 *     answers 500, stalls past our timeout and fails callbacks. Ends when
 *     every document is final; then the sandbox's ledger must hold exactly
 *     one document per journaled document, with the journal's uuid.
 *
 *   engine_driver crash [--sandbox EXE] [--count N] [--kills K] [--seed S]
 *     A client process sending N receipts is killed with SIGKILL at random
 *     moments K times and restarted each time; a last run finishes the job.
 *     Then: one ledger document per journaled sale, none missing, none
 *     doubled, same uuids.
 *
 *   engine_driver client DIR SANDBOX_PORT LISTEN_PORT N
 *     The killable client (used by crash).
 *
 * With --sandbox the kassa-sandbox executable runs as a separate process;
 * without it the same engine runs in this process (on its own threads).
 * Prints one summary line; exit 0 on success, 1 on a failed check.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "net.h"
#include "outbox.h"
#include "sandbox/sandbox.h"
#include "util.h"

extern char **environ;

#define TOKEN "c0ffee00c0ffee00c0ffee00c0ffee00"
/* kassa-sandbox runs 1000 times faster: callback retries in ms, stalls of 600 "s" in 0.6 s. */
#define SANDBOX_SCALE "0.001"

static int failures;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("engine_driver: FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

static void die(const char *what, const char *text)
{
	fprintf(stderr, "engine_driver: %s: %s\n", what, text);
	exit(2);
}

/* ---- the sandbox: a kassa-sandbox process or the engine in-process ---- */

struct host {
	struct sandbox *sb;
	pid_t pid;
	int port;
};

static void host_start(struct host *h, const char *exe, const char *faults, uint64_t seed)
{
	memset(h, 0, sizeof *h);
	char seedtext[32];
	snprintf(seedtext, sizeof seedtext, "%" PRIu64, seed);
	if (!exe) {
		struct sandbox_options so = {.listen = "127.0.0.1:0",
					     .faults = faults,
					     .seed = seed,
					     .seed_set = true,
					     .callback_delay_ms = 20,
					     .strict = true};
		struct kerr e = {0};
		if (sandbox_time_scale_parse(SANDBOX_SCALE, &so.time_scale, &e) != K_OK)
			die("time scale", e.text);
		h->sb = sandbox_start(&so, &e);
		if (!h->sb)
			die("sandbox_start", e.text);
		h->port = sandbox_port(h->sb);
		return;
	}
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	char *argv[] = {(char *)exe,
			(char *)"--listen",
			(char *)"127.0.0.1:0",
			(char *)"--quiet",
			(char *)"--strict",
			(char *)"--faults",
			(char *)faults,
			(char *)"--seed",
			seedtext,
			(char *)"--time-scale",
			(char *)SANDBOX_SCALE,
			(char *)"--callback-delay",
			(char *)"20",
			NULL};
	int rc = posix_spawn(&h->pid, exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0)
		die(exe, strerror(rc));
	FILE *in = fdopen(fds[0], "r");
	char line[256];
	if (!in || !fgets(line, sizeof line, in))
		die(exe, "no \"listening on\" line");
	const char *colon = strrchr(line, ':');
	h->port = colon ? atoi(colon + 1) : 0;
	fclose(in);
	if (h->port <= 0)
		die(exe, line);
}

static void host_stop(struct host *h)
{
	if (h->sb)
		sandbox_stop(h->sb);
	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, NULL, 0);
	}
}

struct fetch {
	bool done;
	long status;
	char *body;
};

static void on_fetch(void *cls, const struct net_result *res)
{
	struct fetch *f = cls;
	f->done = true;
	f->status = res->http_status;
	f->body = xstrndup(res->body, res->body_len);
}

static json_t *http_json(struct host *h, const char *method, const char *path, const char *body)
{
	struct loop *l = loop_new();
	struct net *n = net_new(l, NULL);
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", h->port, path);
	struct fetch f = {0};
	struct net_request rq = {.method = method,
				 .url = url,
				 .body = body,
				 .body_len = body ? strlen(body) : 0,
				 .content_type = "text/plain"};
	if (!net_submit(n, &rq, on_fetch, &f, NULL))
		die("http", url);
	long long end = mono_ms() + 20000;
	while (!f.done && mono_ms() < end)
		loop_run_once(l, 50);
	net_free(n);
	loop_free(l);
	if (!f.done || f.status != 200)
		die("http", path);
	json_t *j = json_loads(f.body, 0, NULL);
	free(f.body);
	if (!j)
		die("http", "the reply is not JSON");
	return j;
}

/* ---- journal against ledger ---- */

struct jdoc {
	int attempts;
	char ext_id[EXT_ID_MAX + 1];
	char uuid[UUID_TEXT_MAX + 1];
	enum journal_state state;
	bool test;
};

struct jdocs {
	struct jdoc *v;
	size_t n;
};

static bool on_jdoc(const struct journal_doc *d, void *cls)
{
	struct jdocs *a = cls;
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	struct jdoc *x = &a->v[a->n++];
	str_copy(x->ext_id, d->ext_id, sizeof x->ext_id);
	str_copy(x->uuid, d->uuid, sizeof x->uuid);
	x->state = d->state;
	x->test = d->test;
	x->attempts = d->attempts;
	return true;
}

/*
 * Every journaled document (not rejected, not test) is in the ledger exactly
 * once under its ext_id with the journal's uuid, and the ledger holds nothing
 * else. Returns how many documents were compared.
 */
static size_t compare_ledger(struct host *h, struct journal *j, bool want_final, int *retried)
{
	struct jdocs a = {0};
	if (journal_list(j, NULL, -1, 0, on_jdoc, &a, NULL) != K_OK)
		die("journal", "list");
	json_t *led = http_json(h, "GET", "/sandbox/ledger", NULL);
	json_t *docs = json_object_get(led, "documents");
	size_t expect = 0;
	for (size_t i = 0; i < a.n; i++) {
		struct jdoc *x = &a.v[i];
		if (x->test || x->state == JS_REJECTED)
			continue;
		expect++;
		if (retried && x->attempts > 1)
			(*retried)++;
		check(!want_final || journal_state_final(x->state), "%s is still %s", x->ext_id,
		      journal_state_word(x->state));
		check(x->state != JS_QUEUED && x->state != JS_SENDING,
		      "%s was never delivered (%s)", x->ext_id, journal_state_word(x->state));
		int seen = 0;
		size_t k;
		json_t *d;
		json_array_foreach(docs, k, d)
		{
			const char *e = json_string_value(json_object_get(d, "ext_id"));
			if (!e || strcmp(e, x->ext_id) != 0)
				continue;
			seen++;
			const char *u = json_string_value(json_object_get(d, "uuid"));
			check(u && strcmp(u, x->uuid) == 0, "%s: journal uuid %s, ledger uuid %s",
			      x->ext_id, x->uuid, u ? u : "(none)");
		}
		check(seen == 1, "ext_id %s is in the ledger %d times", x->ext_id, seen);
	}
	check(json_array_size(docs) == expect, "the ledger holds %zu documents, the journal %zu",
	      json_array_size(docs), expect);
	json_decref(led);
	free(a.v);
	return expect;
}

/* ---- documents ---- */

static void sale(struct document *d, int64_t price, int64_t qty)
{
	document_init(d, DOC_RECEIPT);
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "Товар %" PRId64, price);
	l.price = price;
	l.qty = qty;
	l.unit = qty % 1000 ? UNIT_KG : UNIT_PIECE; /* pieces are whole */
	struct kerr e = {0};
	if (basket_add(&d->basket, &l, &e) != K_OK)
		die("basket", e.text);
	d->pay.card.kind = PAY_REMAINDER;
}

static void profile_for(struct config_profile *p, int sandbox_port, unsigned listen_port)
{
	config_training_profile(p, (unsigned)sandbox_port);
	p->listen_port = listen_port;
	p->retry_schedule[0] = 1;
	p->retry_schedule[1] = 3;
	p->retry_count = 2;
	p->max_in_flight = 8;
}

static int64_t count_where(struct journal *j, bool by_state, enum journal_state s)
{
	struct journal_filter f = {.by_state = by_state, .state = s};
	int64_t n = 0;
	journal_count(j, by_state ? &f : NULL, &n, NULL);
	return n;
}

/* ---- faults ---- */

static int run_faults(const char *exe, int count)
{
	struct host h;
	host_start(&h, exe, "http500=0.15,drop=0.15,stall=0.1:600,callback_fail=0.3", 7);
	char dir[] = "/tmp/kassa-engine-XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	char path[128];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		die("journal", e.text);
	struct loop *l = loop_new();
	struct config_profile p;
	profile_for(&p, h.port, 0);
	struct outbox_options oo = {.time_unit_ms = 5, .request_timeout_ms = 300};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		die("outbox", e.text);
	int64_t *ids = xcalloc((size_t)count, sizeof *ids);
	for (int i = 0; i < count; i++) {
		struct document d;
		sale(&d, 1000 + i, 1000 + (i % 3) * 500);
		if (outbox_submit(ob, &d, &ids[i], &e) != K_OK)
			die("submit", e.text);
		document_free(&d);
	}
	long long start = mono_ms(), end = start + 90000;
	while (count_where(j, false, 0) != count_where(j, true, JS_PROCESSED) && mono_ms() < end)
		loop_run_once(l, 50);
	/* Refunds citing the first sales, checked by the journal and by the sandbox. */
	int refunds = 0, refused = 0;
	for (int i = 0; i < 3 && i < count; i++) {
		struct journal_doc jd;
		memset(&jd, 0, sizeof jd);
		journal_get(j, ids[i], &jd, NULL);
		for (int k = 0; k < 3; k++) {
			struct document r;
			/* half, half, then one kopeck too many */
			int64_t amount = k < 2 ? jd.total / 2 : 1;
			if (k == 1)
				amount = jd.total - jd.total / 2;
			sale(&r, amount, 1000);
			r.type = RT_REFUND;
			str_copy(r.ref_uuid, jd.uuid, sizeof r.ref_uuid);
			int64_t rid;
			kstatus st = outbox_submit(ob, &r, &rid, &e);
			if (k < 2) {
				check(st == K_OK, "refund %d of sale %d refused: %s", k, i, e.text);
				refunds += st == K_OK;
			} else {
				check(st == K_REFUSED, "an over-refund was not refused locally");
				refused += st == K_REFUSED;
			}
			document_free(&r);
		}
		journal_doc_free(&jd);
	}
	int64_t total = count_where(j, false, 0);
	while (total != count_where(j, true, JS_PROCESSED) && mono_ms() < end)
		loop_run_once(l, 50);
	int64_t processed = count_where(j, true, JS_PROCESSED);
	check(processed == total, "%" PRId64 " of %" PRId64 " documents processed", processed,
	      total);
	json_t *cbs = http_json(&h, "GET", "/sandbox/callbacks", NULL);
	size_t ncb = json_array_size(json_object_get(cbs, "callbacks"));
	json_decref(cbs);
	outbox_free(ob);
	int retried = 0;
	size_t compared = compare_ledger(&h, j, true, &retried);
	check(retried > 0, "no document needed a retry: the faults did not happen");
	printf("faults: %d sales + %d refunds (%d over-refunds refused locally) in %lld ms, "
	       "%d needed more than one attempt, %zu compared with the ledger, %zu callbacks, "
	       "%d failed checks\n",
	       count, refunds, refused, mono_ms() - start, retried, compared, ncb, failures);
	journal_close(j);
	loop_free(l);
	host_stop(&h);
	free(ids);
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "engine_driver: could not remove %s\n", dir);
	return failures ? 1 : 0;
}

/* ---- crash: the client ---- */

static int run_client(const char *dir, int sandbox_port, unsigned listen_port, int count)
{
	char path[256];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		die("client journal", e.text);
	struct loop *l = loop_new();
	struct config_profile p;
	profile_for(&p, sandbox_port, listen_port);
	struct outbox_options oo = {.time_unit_ms = 10, .request_timeout_ms = 2000, .token = TOKEN};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		die("client outbox", e.text);
	long long end = mono_ms() + 120000;
	for (;;) {
		int64_t made = count_where(j, false, 0), depth = 0;
		journal_outbox_depth(j, &depth, NULL);
		while (made < count && depth < 16) {
			struct document d;
			/* the sale counter is the journal itself */
			sale(&d, 100 + made, 1000);
			int64_t id;
			if (outbox_submit(ob, &d, &id, &e) != K_OK)
				die("client submit", e.text);
			document_free(&d);
			made++;
			depth++;
		}
		if (made >= count && depth == 0)
			break;
		if (mono_ms() > end)
			die("client", "not done within 120 s");
		loop_run_once(l, 20);
	}
	outbox_free(ob);
	journal_close(j);
	loop_free(l);
	return 0;
}

/* ---- crash: the orchestrator ---- */

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &n) != 0)
		die("free port", strerror(errno));
	close(fd);
	return ntohs(a.sin_port);
}

static pid_t spawn_client(const char *self, const char *dir, int port, unsigned lport, int count)
{
	char p1[16], p2[16], c[16];
	snprintf(p1, sizeof p1, "%d", port);
	snprintf(p2, sizeof p2, "%u", lport);
	snprintf(c, sizeof c, "%d", count);
	char *argv[] = {(char *)self, (char *)"client", (char *)dir, p1, p2, c, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, self, NULL, NULL, argv, environ);
	if (rc != 0)
		die("spawn client", strerror(rc));
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static bool on_restart_row(const struct journal_history_row *r, void *cls)
{
	if (r->source == JSRC_RESTART)
		(*(int *)cls)++;
	return true;
}

static int run_crash(const char *self, const char *exe, int count, int kills, uint64_t seed)
{
	struct host h;
	host_start(&h, exe, "drop=0.05,http500=0.05", seed);
	char dir[] = "/tmp/kassa-crash-XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	unsigned lport = free_port();
	srand((unsigned)seed);
	long long start = mono_ms();
	int killed = 0, finished_early = 0;
	/*
	 * Kill at random moments (during start-up, enqueueing, sending, applying
	 * replies) until `kills` runs were killed, or a run finished by itself.
	 */
	for (int runs = 0; killed < kills && runs < kills * 3; runs++) {
		pid_t pid = spawn_client(self, dir, h.port, lport, count);
		sleep_ms(5 + rand() % 60);
		int st = 0;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			finished_early++;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				break; /* every sale is delivered: nothing left to kill */
			continue;
		}
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
	}
	pid_t pid = spawn_client(self, dir, h.port, lport, count);
	int st = 0;
	waitpid(pid, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the last client run did not finish (%d)", st);
	check(killed >= kills, "only %d of %d kills hit a running client", killed, kills);

	char path[256];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		die("journal", e.text);
	int64_t n = count_where(j, false, 0);
	check(n == count, "the journal holds %" PRId64 " sales, not %d", n, count);
	/* how many documents a restart had to resend (ids of a fresh journal run 1..n) */
	int restarts = 0;
	for (int64_t id = 1; id <= n; id++)
		journal_history(j, id, on_restart_row, &restarts, NULL);
	size_t compared = compare_ledger(&h, j, false, NULL);
	printf("crash: %d sales, %d SIGKILLs (%d runs finished before their kill), %d documents "
	       "resent after a restart, %zu compared with the ledger in %lld ms, seed %" PRIu64
	       ", %d failed checks\n",
	       count, killed, finished_early, restarts, compared, mono_ms() - start, seed,
	       failures);
	journal_close(j);
	host_stop(&h);
	if (!failures) {
		char cmd[160];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "engine_driver: could not remove %s\n", dir);
	} else {
		fprintf(stderr, "engine_driver: the journal is kept in %s\n", dir);
	}
	return failures ? 1 : 0;
}

static long arg_long(const char *s, const char *what)
{
	char *end = NULL;
	long v = strtol(s ? s : "", &end, 10);
	if (!s || !*s || *end || v < 0)
		die(what, "needs a whole number");
	return v;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		die("usage", "engine_driver faults|crash|client ...");
	if (strcmp(argv[1], "client") == 0) {
		if (argc != 6)
			die("usage", "engine_driver client DIR SANDBOX_PORT LISTEN_PORT N");
		return run_client(argv[2], (int)arg_long(argv[3], "port"),
				  (unsigned)arg_long(argv[4], "port"), (int)arg_long(argv[5], "N"));
	}
	const char *exe = NULL;
	long count = strcmp(argv[1], "crash") == 0 ? 1000 : 60, kills = 12;
	uint64_t seed = (uint64_t)time(NULL);
	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--sandbox") == 0 && v)
			exe = argv[++i];
		else if (strcmp(argv[i], "--count") == 0)
			count = arg_long(argv[++i], "--count");
		else if (strcmp(argv[i], "--kills") == 0)
			kills = arg_long(argv[++i], "--kills");
		else if (strcmp(argv[i], "--seed") == 0)
			seed = (uint64_t)arg_long(argv[++i], "--seed");
		else
			die("unknown argument", argv[i]);
	}
	if (exe && access(exe, X_OK) != 0)
		exe = NULL; /* not built: the same engine in-process */
	if (strcmp(argv[1], "faults") == 0)
		return run_faults(exe, (int)count);
	if (strcmp(argv[1], "crash") == 0) {
		char self[1024];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n <= 0)
			die("readlink", strerror(errno));
		self[n] = '\0';
		return run_crash(self, exe, (int)count, (int)kills, seed);
	}
	die("usage", "engine_driver faults|crash|client ...");
	return 2;
}
