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
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "sandbox/sandbox.h"
#include "util.h"

extern char **environ;

#define TOKEN "c0ffee00c0ffee00c0ffee00c0ffee00"
/* kassa-sandbox runs 1000 times faster: callback retries in ms, stalls of 600 "s" in 0.6 s. */
#define SANDBOX_SCALE "0.001"

/* ---- the sandbox: a kassa-sandbox process or the engine in-process ---- */

struct host {
	struct sandbox *sb;
	struct bench_sandbox child;
	int port;
};

static void host_start(struct host *h, const char *exe, const char *faults, uint64_t seed)
{
	memset(h, 0, sizeof *h);
	if (!exe) {
		struct sandbox_options so = {.listen = "127.0.0.1:0",
					     .faults = faults,
					     .seed = seed,
					     .seed_set = true,
					     .callback_delay_ms = 20,
					     .strict = true};
		struct kerr e = {0};
		if (sandbox_time_scale_parse(SANDBOX_SCALE, &so.time_scale, &e) != K_OK)
			bench_die("time scale", e.text);
		h->sb = sandbox_start(&so, &e);
		if (!h->sb)
			bench_die("sandbox_start", e.text);
		h->port = sandbox_port(h->sb);
		return;
	}
	struct bench_sandbox_opts o = {.exe = exe,
				       .faults = faults,
				       .time_scale = SANDBOX_SCALE,
				       .callback_delay_ms = 20,
				       .seed = seed,
				       .seed_set = true};
	bench_sandbox_start(&h->child, &o);
	h->port = h->child.port;
}

static void host_stop(struct host *h)
{
	if (h->sb)
		sandbox_stop(h->sb);
	bench_sandbox_stop(&h->child);
}

/* ---- journal against ledger ---- */

/*
 * Every journaled document (not rejected, not test) is in the ledger exactly
 * once under its ext_id with the journal's uuid, and the ledger holds nothing
 * else. Returns how many documents were compared.
 */
static size_t compare_ledger(struct host *h, struct journal *j, bool want_final, int *retried)
{
	struct bench_jdocs a = {0};
	bench_jdocs_add(j, &a);
	json_t *led = bench_http_json(h->port, "GET", "/sandbox/ledger", NULL);
	json_t *docs = json_object_get(led, "documents");
	size_t expect = 0;
	for (size_t i = 0; i < a.n; i++) {
		struct bench_jdoc *x = &a.v[i];
		if (x->test || x->state == JS_REJECTED)
			continue;
		expect++;
		if (retried && x->attempts > 1)
			(*retried)++;
		bench_check(!want_final || journal_state_final(x->state), "%s is still %s",
			    x->ext_id, journal_state_word(x->state));
		bench_check(x->state != JS_QUEUED && x->state != JS_SENDING,
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
			bench_check(u && strcmp(u, x->uuid) == 0,
				    "%s: journal uuid %s, ledger uuid %s", x->ext_id, x->uuid,
				    u ? u : "(none)");
		}
		bench_check(seen == 1, "ext_id %s is in the ledger %d times", x->ext_id, seen);
	}
	bench_check(json_array_size(docs) == expect,
		    "the ledger holds %zu documents, the journal %zu", json_array_size(docs),
		    expect);
	json_decref(led);
	free(a.v);
	return expect;
}

/* ---- documents ---- */

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
	char dir[200];
	bench_tmpdir("engine", dir, sizeof dir);
	char path[256];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal", e.text);
	struct loop *l = loop_new();
	struct config_profile p;
	bench_profile(&p, h.port, 0);
	struct outbox_options oo = {.time_unit_ms = 5, .request_timeout_ms = 300};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		bench_die("outbox", e.text);
	int64_t *ids = xcalloc((size_t)count, sizeof *ids);
	for (int i = 0; i < count; i++) {
		struct document d;
		bench_sale(&d, 1000 + i, 1000 + (i % 3) * 500);
		if (outbox_submit(ob, &d, &ids[i], &e) != K_OK)
			bench_die("submit", e.text);
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
			bench_sale(&r, amount, 1000);
			r.type = RT_REFUND;
			str_copy(r.ref_uuid, jd.uuid, sizeof r.ref_uuid);
			int64_t rid;
			kstatus st = outbox_submit(ob, &r, &rid, &e);
			if (k < 2) {
				bench_check(st == K_OK, "refund %d of sale %d refused: %s", k, i,
					    e.text);
				refunds += st == K_OK;
			} else {
				bench_check(st == K_REFUSED,
					    "an over-refund was not refused locally");
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
	bench_check(processed == total, "%" PRId64 " of %" PRId64 " documents processed", processed,
		    total);
	json_t *cbs = bench_http_json(h.port, "GET", "/sandbox/callbacks", NULL);
	size_t ncb = json_array_size(json_object_get(cbs, "callbacks"));
	json_decref(cbs);
	outbox_free(ob);
	int retried = 0;
	size_t compared = compare_ledger(&h, j, true, &retried);
	bench_check(retried > 0, "no document needed a retry: the faults did not happen");
	printf("faults: %d sales + %d refunds (%d over-refunds refused locally) in %lld ms, "
	       "%d needed more than one attempt, %zu compared with the ledger, %zu callbacks, "
	       "%d failed checks\n",
	       count, refunds, refused, mono_ms() - start, retried, compared, ncb,
	       bench_failures());
	journal_close(j);
	loop_free(l);
	host_stop(&h);
	free(ids);
	bench_rmtree(dir);
	return bench_failures() ? 1 : 0;
}

/* ---- crash: the client ---- */

static int run_client(const char *dir, int sandbox_port, unsigned listen_port, int count)
{
	char path[256];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("client journal", e.text);
	struct loop *l = loop_new();
	struct config_profile p;
	bench_profile(&p, sandbox_port, listen_port);
	struct outbox_options oo = {.time_unit_ms = 10, .request_timeout_ms = 2000, .token = TOKEN};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		bench_die("client outbox", e.text);
	long long end = mono_ms() + 120000;
	for (;;) {
		int64_t made = count_where(j, false, 0), depth = 0;
		journal_outbox_depth(j, &depth, NULL);
		while (made < count && depth < 16) {
			struct document d;
			/* the sale counter is the journal itself */
			bench_sale(&d, 100 + made, 1000);
			int64_t id;
			if (outbox_submit(ob, &d, &id, &e) != K_OK)
				bench_die("client submit", e.text);
			document_free(&d);
			made++;
			depth++;
		}
		if (made >= count && depth == 0)
			break;
		if (mono_ms() > end)
			bench_die("client", "not done within 120 s");
		loop_run_once(l, 20);
	}
	outbox_free(ob);
	journal_close(j);
	loop_free(l);
	return 0;
}

/* ---- crash: the orchestrator ---- */

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
		bench_die("spawn client", strerror(rc));
	return pid;
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
	char dir[200];
	bench_tmpdir("crash", dir, sizeof dir);
	unsigned lport = bench_free_port();
	srand((unsigned)seed);
	long long start = mono_ms();
	int killed = 0, finished_early = 0;
	/*
	 * Kill at random moments (during start-up, enqueueing, sending, applying
	 * replies) until `kills` runs were killed, or a run finished by itself.
	 */
	for (int runs = 0; killed < kills && runs < kills * 3; runs++) {
		pid_t pid = spawn_client(self, dir, h.port, lport, count);
		bench_sleep_ms(5 + rand() % 60);
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
	bench_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "the last client run did not finish (%d)", st);
	bench_check(killed >= kills, "only %d of %d kills hit a running client", killed, kills);

	char path[256];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal", e.text);
	int64_t n = count_where(j, false, 0);
	bench_check(n == count, "the journal holds %" PRId64 " sales, not %d", n, count);
	/* how many documents a restart had to resend (ids of a fresh journal run 1..n) */
	int restarts = 0;
	for (int64_t id = 1; id <= n; id++)
		journal_history(j, id, on_restart_row, &restarts, NULL);
	size_t compared = compare_ledger(&h, j, false, NULL);
	printf("crash: %d sales, %d SIGKILLs (%d runs finished before their kill), %d documents "
	       "resent after a restart, %zu compared with the ledger in %lld ms, seed %" PRIu64
	       ", %d failed checks\n",
	       count, killed, finished_early, restarts, compared, mono_ms() - start, seed,
	       bench_failures());
	journal_close(j);
	host_stop(&h);
	if (!bench_failures()) {
		bench_rmtree(dir);
	} else {
		fprintf(stderr, "engine_driver: the journal is kept in %s\n", dir);
	}
	return bench_failures() ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	bench_set_name("engine_driver");
	if (argc < 2)
		bench_die("usage", "engine_driver faults|crash|client ...");
	if (strcmp(argv[1], "client") == 0) {
		if (argc != 6)
			bench_die("usage", "engine_driver client DIR SANDBOX_PORT LISTEN_PORT N");
		return run_client(argv[2], (int)bench_arg_long(argv[3], "port"),
				  (unsigned)bench_arg_long(argv[4], "port"),
				  (int)bench_arg_long(argv[5], "N"));
	}
	const char *exe = NULL;
	long count = strcmp(argv[1], "crash") == 0 ? 1000 : 60, kills = 12;
	uint64_t seed = (uint64_t)time(NULL);
	for (int i = 2; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--sandbox") == 0 && v)
			exe = argv[++i];
		else if (strcmp(argv[i], "--count") == 0)
			count = bench_arg_long(argv[++i], "--count");
		else if (strcmp(argv[i], "--kills") == 0)
			kills = bench_arg_long(argv[++i], "--kills");
		else if (strcmp(argv[i], "--seed") == 0)
			seed = (uint64_t)bench_arg_long(argv[++i], "--seed");
		else
			bench_die("unknown argument", argv[i]);
	}
	if (exe && access(exe, X_OK) != 0)
		exe = NULL; /* not built: the same engine in-process */
	if (strcmp(argv[1], "faults") == 0)
		return run_faults(exe, (int)count);
	if (strcmp(argv[1], "crash") == 0) {
		char self[1024];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		if (n <= 0)
			bench_die("readlink", strerror(errno));
		self[n] = '\0';
		return run_crash(self, exe, (int)count, (int)kills, seed);
	}
	bench_die("usage", "engine_driver faults|crash|client ...");
	return 2;
}
