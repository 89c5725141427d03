/*
 * Benchmark 2: callback ingest.
 *
 *   bench_ingest [--docs 20000] [--duration 10] [--connections 8] [--threads 1]
 *                [--wrk /usr/bin/wrk] [--sync full|normal]
 *
 * A journal is filled with N accepted LifePay documents with known uuids.
 * The real outbox then listens for callbacks (lib/listener.c through
 * outbox_handle_callback(), committing each to the journal before its 200),
 * driven by this process's loop, while wrk (Debian package `wrk`) posts
 * valid LifePay callbacks (form field data=JSON, status processed) for those
 * uuids on 127.0.0.1: callbacks per second and latency percentiles.
 *
 * Afterwards the journal is read: every 200 wrk counted must have its raw
 * callback stored (rows >= 200s; a request in flight when wrk stopped may be
 * committed without its answer being counted), and the applied ones must
 * each have moved a document to processed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "util.h"

extern char **environ;

#define TOKEN "5eed5eed5eed5eed5eed5eed5eed5eed"

struct opts {
	long docs, duration, connections, threads;
	const char *wrk;
	bool sync_full;
	long require_rate, require_p99_us;
};

static void usage(void)
{
	bench_die("usage", "bench_ingest [--docs N] [--duration S] [--connections C] "
			   "[--threads T] [--wrk PATH] [--sync full|normal] "
			   "[--require-rate R] [--require-p99-us U]");
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.docs = 20000,
			   .duration = 10,
			   .connections = 8,
			   .threads = 1,
			   .wrk = "/usr/bin/wrk",
			   .sync_full = true};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(argv[i], "--docs") == 0)
			o->docs = bench_arg_long(argv[++i], "--docs");
		else if (strcmp(argv[i], "--duration") == 0)
			o->duration = bench_arg_long(argv[++i], "--duration");
		else if (strcmp(argv[i], "--connections") == 0)
			o->connections = bench_arg_long(argv[++i], "--connections");
		else if (strcmp(argv[i], "--threads") == 0)
			o->threads = bench_arg_long(argv[++i], "--threads");
		else if (strcmp(argv[i], "--wrk") == 0)
			o->wrk = argv[++i];
		else if (strcmp(argv[i], "--sync") == 0)
			o->sync_full = strcmp(argv[++i], "normal") != 0;
		else if (strcmp(argv[i], "--require-rate") == 0)
			o->require_rate = bench_arg_long(argv[++i], "--require-rate");
		else if (strcmp(argv[i], "--require-p99-us") == 0)
			o->require_p99_us = bench_arg_long(argv[++i], "--require-p99-us");
		else
			usage();
	}
	if (o->docs < 1 || o->duration < 1 || o->connections < 1 || o->threads < 1 ||
	    o->threads > o->connections)
		usage();
}

/* The uuid of document i, the same formula as in the Lua script. */
static void uuid_of(long i, char *buf, size_t n)
{
	snprintf(buf, n, "0b5e0000-0000-4000-8000-%012ld", i);
}

static void populate(struct journal *j, long n)
{
	struct kerr e = {0};
	if (journal_set_sync(j, false, &e) != K_OK)
		bench_die("journal_set_sync", e.text);
	for (long i = 0; i < n; i++) {
		char ext[64], uuid[64];
		snprintf(ext, sizeof ext, "ingest-%ld", i);
		uuid_of(i, uuid, sizeof uuid);
		struct journal_new_doc d = {.profile = "training",
					    .provider = KPROVIDER_LIFEPAY,
					    .kind = "receipt",
					    .type = "payment",
					    .ext_id = ext,
					    .body = "{\"purchase\":{\"products\":[]}}",
					    .total = 10000,
					    .card = 10000};
		int64_t id;
		if (journal_enqueue(j, &d, &id, &e) != K_OK ||
		    journal_mark_sending(j, id, &e) != K_OK ||
		    journal_apply_reply_ok(j, id, uuid, NULL, &e) != K_OK)
			bench_die("populate", e.text);
	}
}

static const char lua_script[] =
    "-- wrk script written by bench_ingest: valid LifePay callbacks, one uuid each\n"
    "local threads = {}\n"
    "local counter = 1\n"
    "function setup(thread)\n"
    "  thread:set('tid', counter)\n"
    "  counter = counter + 1\n"
    "  table.insert(threads, thread)\n"
    "end\n"
    "local function urlencode(s)\n"
    "  return (s:gsub('[^%w%-%._~]', function(c) return string.format('%%%02X', "
    "string.byte(c)) end))\n"
    "end\n"
    "function init(args)\n"
    "  ndocs = tonumber(args[1])\n"
    "  nthreads = tonumber(args[2])\n"
    "  i = tid - 1\n"
    "  ok = 0\n"
    "  bad = 0\n"
    "  wrk.method = 'POST'\n"
    "  wrk.headers['Content-Type'] = 'application/x-www-form-urlencoded'\n"
    "end\n"
    "function request()\n"
    "  local n = i % ndocs\n"
    "  i = i + nthreads\n"
    "  local json = string.format('{\"uuid\":\"0b5e0000-0000-4000-8000-%012d\","
    "\"ext_id\":\"ingest-%d\",\"status\":\"processed\",\"callback_data\":null,"
    "\"ofd_url\":\"https://ofd.sandbox.invalid/receipt?fn=9999&i=%d&fp=1234567890\","
    "\"fn\":\"9999078900012345\",\"fd\":\"%d\",\"fpd\":\"1234567890\"}', n, n, n + 1, n + 1)\n"
    "  return wrk.format(nil, nil, nil, 'data=' .. urlencode(json))\n"
    "end\n"
    "function response(status, headers, body)\n"
    "  if status == 200 then ok = ok + 1 else bad = bad + 1 end\n"
    "end\n"
    "function done(summary, latency, requests)\n"
    "  local ok_all, bad_all = 0, 0\n"
    "  for _, t in ipairs(threads) do\n"
    "    ok_all = ok_all + t:get('ok')\n"
    "    bad_all = bad_all + t:get('bad')\n"
    "  end\n"
    "  io.write(string.format('RESULT requests=%d ok=%d bad=%d errors=%d duration_us=%d "
    "p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\\n', summary.requests, ok_all, "
    "bad_all, summary.errors.connect + summary.errors.read + summary.errors.write + "
    "summary.errors.status + summary.errors.timeout, summary.duration, "
    "latency:percentile(50), latency:percentile(90), latency:percentile(99), "
    "latency:percentile(99.9), latency.max))\n"
    "end\n";

struct result {
	long requests, ok, bad, errors, duration_us, p50, p90, p99, p999, max;
};

static bool parse_result(const char *file, struct result *r)
{
	FILE *in = fopen(file, "r");
	if (!in)
		return false;
	char line[1024];
	bool found = false;
	while (fgets(line, sizeof line, in)) {
		fputs(line, stdout);
		if (strncmp(line, "RESULT ", 7) == 0 &&
		    sscanf(line,
			   "RESULT requests=%ld ok=%ld bad=%ld errors=%ld duration_us=%ld "
			   "p50_us=%ld p90_us=%ld p99_us=%ld p999_us=%ld max_us=%ld",
			   &r->requests, &r->ok, &r->bad, &r->errors, &r->duration_us, &r->p50,
			   &r->p90, &r->p99, &r->p999, &r->max) == 10)
			found = true;
	}
	fclose(in);
	return found;
}

static int64_t sql_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

int main(int argc, char **argv)
{
	bench_set_name("bench_ingest");
	signal(SIGPIPE, SIG_IGN);
	struct opts o;
	parse(argc, argv, &o);
	if (access(o.wrk, X_OK) != 0)
		bench_die(o.wrk, "wrk is not installed: apt-get install -y wrk");

	char dir[256], path[300], script[300], out[300];
	bench_tmpdir("ingest", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/journal.db", dir);
	snprintf(script, sizeof script, "%s/callbacks.lua", dir);
	snprintf(out, sizeof out, "%s/wrk.out", dir);
	FILE *sf = fopen(script, "w");
	if (!sf || fputs(lua_script, sf) < 0 || fclose(sf) != 0)
		bench_die(script, strerror(errno));

	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal", e.text);
	int64_t p0 = bench_mono_us();
	populate(j, o.docs);
	double populate_s = (double)(bench_mono_us() - p0) / 1e6;
	if (journal_set_sync(j, o.sync_full, &e) != K_OK)
		bench_die("journal_set_sync", e.text);

	struct config_profile p;
	config_training_profile(&p, bench_free_port()); /* nothing is sent */
	struct loop *l = loop_new();
	struct outbox_options oo = {.token = TOKEN};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		bench_die("outbox_new", e.text);
	unsigned port = outbox_listener_port(ob);

	char url[128], threads[32], conns[32], dur[32], ndocs[32], nthreads[32];
	snprintf(url, sizeof url, "http://127.0.0.1:%u/cb/%s", port, TOKEN);
	snprintf(threads, sizeof threads, "-t%ld", o.threads);
	snprintf(conns, sizeof conns, "-c%ld", o.connections);
	snprintf(dur, sizeof dur, "-d%lds", o.duration);
	snprintf(ndocs, sizeof ndocs, "%ld", o.docs);
	snprintf(nthreads, sizeof nthreads, "%ld", o.threads);
	char *wargv[] = {(char *)o.wrk,	      threads,	    conns,    dur,
			 (char *)"--latency", (char *)"-s", script,   url,
			 (char *)"--",	      ndocs,	    nthreads, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	int rc = posix_spawn(&pid, o.wrk, &fa, NULL, wargv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		bench_die(o.wrk, strerror(rc));
	int st = 0;
	long long deadline = mono_ms() + (o.duration + 60) * 1000;
	for (;;) {
		loop_run_once(l, 20);
		if (waitpid(pid, &st, WNOHANG) == pid)
			break;
		if (mono_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			bench_die("wrk", "did not finish");
		}
	}
	/* Let connections that were cut finish their handlers. */
	for (int i = 0; i < 10; i++)
		loop_run_once(l, 10);
	struct outbox_stats ost;
	outbox_stats(ob, &ost);
	outbox_free(ob);
	journal_close(j);
	loop_free(l);

	struct result r = {0};
	int failures = 0;
	printf("--- wrk output (%s) ---\n", out);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !parse_result(out, &r))
		bench_die("wrk", "failed or printed no RESULT line");
	printf("--- end of wrk output ---\n");

	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		bench_die(path, "cannot be read back");
	/* A callback sent again byte for byte is counted on its row (schema 5), not stored again.
	 */
	int64_t raw =
	    sql_count(db, "SELECT COUNT(*) + COALESCE(SUM(replays), 0) FROM raw_callbacks");
	int64_t applied = sql_count(db, "SELECT COUNT(*) FROM raw_callbacks WHERE applied = 1");
	int64_t processed = sql_count(db, "SELECT COUNT(*) FROM documents WHERE state = "
					  "'processed'");
	sqlite3_close(db);

	double rate = (double)r.ok / ((double)r.duration_us / 1e6);
	printf("bench_ingest: %ld accepted documents (journal filled in %.1f s), wrk %s %s %s, "
	       "journal synchronous=%s\n",
	       o.docs, populate_s, threads, conns, dur, o.sync_full ? "FULL" : "NORMAL");
	printf("  callbacks answered 200: %ld in %.2f s = %.0f/s (non-200: %ld, socket errors: "
	       "%ld)\n",
	       r.ok, (double)r.duration_us / 1e6, rate, r.bad, r.errors);
	printf("  latency: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
	       r.p50 / 1e3, r.p90 / 1e3, r.p99 / 1e3, r.p999 / 1e3, r.max / 1e3);
	printf("  journal: %" PRId64 " raw callbacks stored or counted as replays (%" PRId64
	       " applied, %" PRId64 " documents processed); the outbox counted %lu answered 200\n",
	       raw, applied, processed, ost.callbacks);
	printf("  target >= 2000/s: %s; p99 <= 10 ms: %s\n", rate >= 2000 ? "met" : "MISSED",
	       r.p99 <= 10000 ? "met" : "MISSED");
	/* Committed before 200: no 200 without its stored row; extra rows are answers wrk cut. */
	if (raw < r.ok || (unsigned long)raw < ost.callbacks || raw - r.ok > o.connections) {
		fprintf(stderr,
			"bench_ingest: FAILED: %" PRId64 " stored callbacks for %ld answers 200\n",
			raw, r.ok);
		failures++;
	}
	if (r.bad != 0 || applied != processed) {
		fprintf(stderr,
			"bench_ingest: FAILED: %ld non-200 answers, %" PRId64 " applied vs %" PRId64
			" processed\n",
			r.bad, applied, processed);
		failures++;
	}
	if (o.require_rate && rate < (double)o.require_rate) {
		fprintf(stderr, "bench_ingest: FAILED: below %ld/s\n", o.require_rate);
		failures++;
	}
	if (o.require_p99_us && r.p99 > o.require_p99_us) {
		fprintf(stderr, "bench_ingest: FAILED: p99 above %ld us\n", o.require_p99_us);
		failures++;
	}
	printf("  command: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	bench_rmtree(dir);
	return failures ? 1 : 0;
}
