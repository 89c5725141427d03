/*
 * Benchmark 1: outbox drain.
 *
 *   bench_drain --sandbox PATH/kassa-sandbox [--count 5000] [--in-flight 4]
 *               [--sync full|normal] [--curl /usr/bin/curl] [--no-baseline]
 *
 * N receipts are submitted through the real outbox while the provider is down
 * (its port is closed: the first sends fail with "connection refused" and are
 * queued for a retry). Then kassa-sandbox starts on that port and
 * `outbox_flush()` releases the queue: we time until every receipt is
 * accepted (delivered) and until every callback has made it processed.
 *
 * Baseline, in the same run and against the same sandbox: the same N request
 * bodies (with credentials added, ext_id prefixed "curl-" so the sandbox
 * creates new documents, no callback_url) posted one by one by the curl
 * command-line tool, a new curl process per request, as the providers' shell
 * and PHP examples do. Both sets must end up in the sandbox's ledger.
 *
 * Prints both rates, the ratio (target: kassa >= 10x curl) and the command.
 * Exit 0 when every check passed (the target is reported, not enforced;
 * --require-ratio R makes missing R an error).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"
#include "journal.h"
#include "jsonx.h"
#include "loop.h"
#include "outbox.h"
#include "util.h"

extern char **environ;

struct opts {
	const char *sandbox;
	const char *curl;
	long count;
	long in_flight;
	bool sync_full;
	bool baseline;
	double require_ratio;
};

static int64_t count_state(struct journal *j, enum journal_state s)
{
	struct journal_filter f = {.by_state = true, .state = s};
	int64_t n = 0;
	journal_count(j, &f, &n, NULL);
	return n;
}

/* The body curl posts: the journal's body plus credentials, ext_id "curl-...". */
static char *curl_body(struct journal *j, int64_t id, const struct config_profile *p)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr e = {0};
	if (journal_get(j, id, &d, &e) != K_OK)
		bench_die("journal_get", e.text);
	json_t *root = jsonx_loads(d.body, strlen(d.body), &e);
	if (!root)
		bench_die("stored body", e.text);
	char ext[EXT_ID_MAX + 8];
	snprintf(ext, sizeof ext, "curl-%.40s", d.ext_id);
	json_object_set_new(root, "ext_id", json_string(ext));
	json_object_set_new(root, "login", json_string(p->login));
	json_object_set_new(root, "apikey", json_string(p->apikey));
	json_object_del(root, "callback_url");
	char *text = jsonx_dumps(root, JSON_COMPACT);
	json_decref(root);
	journal_doc_free(&d);
	return text;
}

/* One curl process: returns the HTTP status it printed (0 on failure). */
static int curl_post(const char *curl, const char *url, const char *file)
{
	char data[1100];
	snprintf(data, sizeof data, "@%s", file);
	char *argv[] = {(char *)curl,
			(char *)"-s",
			(char *)"-o",
			(char *)"/dev/null",
			(char *)"-w",
			(char *)"%{http_code}",
			(char *)"-H",
			(char *)"Content-Type: application/json; charset=utf-8",
			(char *)"--data-binary",
			data,
			(char *)url,
			NULL};
	int fds[2];
	if (pipe(fds) != 0)
		bench_die("pipe", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	pid_t pid;
	int rc = posix_spawn(&pid, curl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0)
		bench_die(curl, strerror(rc));
	char out[16] = "";
	ssize_t got = 0, r;
	while ((r = read(fds[0], out + got, sizeof out - 1 - (size_t)got)) > 0)
		got += r;
	out[got > 0 ? got : 0] = '\0';
	close(fds[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	return (int)strtol(out, NULL, 10);
}

static void usage(void)
{
	bench_die("usage",
		  "bench_drain --sandbox EXE [--count N] [--in-flight M] "
		  "[--sync full|normal] [--curl PATH] [--no-baseline] [--require-ratio R]");
}

static void parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.curl = "/usr/bin/curl",
			   .count = 5000,
			   .in_flight = 4,
			   .sync_full = true,
			   .baseline = true};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--sandbox") == 0 && v)
			o->sandbox = argv[++i];
		else if (strcmp(argv[i], "--curl") == 0 && v)
			o->curl = argv[++i];
		else if (strcmp(argv[i], "--count") == 0 && v)
			o->count = bench_arg_long(argv[++i], "--count");
		else if (strcmp(argv[i], "--in-flight") == 0 && v)
			o->in_flight = bench_arg_long(argv[++i], "--in-flight");
		else if (strcmp(argv[i], "--sync") == 0 && v) {
			o->sync_full = strcmp(argv[++i], "normal") != 0;
		} else if (strcmp(argv[i], "--no-baseline") == 0)
			o->baseline = false;
		else if (strcmp(argv[i], "--require-ratio") == 0 && v)
			o->require_ratio = (double)bench_arg_long(argv[++i], "--require-ratio");
		else
			usage();
	}
	if (!o->sandbox || o->count < 1 || o->in_flight < 1 || o->in_flight > 64)
		usage();
}

int main(int argc, char **argv)
{
	bench_set_name("bench_drain");
	signal(SIGPIPE, SIG_IGN);
	struct opts o;
	parse(argc, argv, &o);
	int failures = 0;

	char dir[256], path[300];
	bench_tmpdir("drain", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal", e.text);
	if (!o.sync_full && journal_set_sync(j, false, &e) != K_OK)
		bench_die("journal_set_sync", e.text);

	/* The provider is down: nothing listens on its port yet. */
	unsigned port = bench_free_port();
	struct config_profile p;
	config_training_profile(&p, port);
	p.max_in_flight = (int)o.in_flight;
	struct loop *l = loop_new();
	struct outbox_options oo = {.request_timeout_ms = 30000};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		bench_die("outbox_new", e.text);

	int64_t t0 = bench_mono_us();
	int64_t first = 0, last = 0;
	for (long i = 0; i < o.count; i++) {
		struct document d;
		bench_sale(&d, 10000 + i % 9000, 1000 + (i % 4) * 250);
		int64_t id;
		if (outbox_submit(ob, &d, &id, &e) != K_OK)
			bench_die("outbox_submit", e.text);
		document_free(&d);
		if (i == 0)
			first = id;
		last = id;
	}
	double enqueue_s = (double)(bench_mono_us() - t0) / 1e6;
	/* Let the engine hit the closed port for a while: those sends fail and are re-queued. */
	long long until = mono_ms() + 500;
	while (mono_ms() < until)
		loop_run_once(l, 20);
	int64_t depth = 0;
	journal_outbox_depth(j, &depth, NULL);
	struct journal_filter fq = {.by_state = true, .state = JS_QUEUED};
	int64_t queued = 0;
	journal_count(j, &fq, &queued, NULL);
	/* documents that already had a failed attempt */
	int64_t tried = 0;
	for (int64_t id = first; id <= last; id++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(j, id, &d, NULL) == K_OK && d.attempts > 0)
			tried++;
		journal_doc_free(&d);
	}
	if (depth != o.count) {
		fprintf(stderr,
			"bench_drain: FAILED: outbox depth %" PRId64 " while the provider "
			"is down, expected %ld\n",
			depth, o.count);
		failures++;
	}

	/* The baseline bodies are prepared before anything is timed. */
	char **files = NULL;
	if (o.baseline) {
		files = xcalloc((size_t)o.count, sizeof *files);
		for (long i = 0; i < o.count; i++) {
			char *body = curl_body(j, first + i, &p);
			char f[400];
			snprintf(f, sizeof f, "%s/body-%ld.json", dir, i);
			FILE *out = fopen(f, "w");
			if (!out || fputs(body, out) < 0 || fclose(out) != 0)
				bench_die(f, strerror(errno));
			free(body);
			files[i] = xstrdup(f);
		}
	}

	struct bench_sandbox sb;
	struct bench_sandbox_opts so = {.exe = o.sandbox, .port = (int)port, .time_scale = "0.01"};
	bench_sandbox_start(&sb, &so);

	double curl_s = 0, curl_rate = 0;
	long curl_ok = 0;
	if (o.baseline) {
		char url[128];
		snprintf(url, sizeof url, "http://127.0.0.1:%u/cloud-print/create-receipt", port);
		int64_t c0 = bench_mono_us();
		for (long i = 0; i < o.count; i++)
			curl_ok += curl_post(o.curl, url, files[i]) == 200;
		curl_s = (double)(bench_mono_us() - c0) / 1e6;
		curl_rate = (double)o.count / curl_s;
		if (curl_ok != o.count) {
			fprintf(stderr, "bench_drain: FAILED: curl got HTTP 200 for %ld of %ld\n",
				curl_ok, o.count);
			failures++;
		}
	}

	/* kassa: release the queue and time the drain. */
	int64_t k0 = bench_mono_us();
	outbox_flush(ob);
	long long deadline = mono_ms() + 600000;
	for (;;) {
		journal_outbox_depth(j, &depth, NULL);
		if (depth == 0 || mono_ms() > deadline)
			break;
		loop_run_once(l, 50);
	}
	double drain_s = (double)(bench_mono_us() - k0) / 1e6;
	int64_t accepted = o.count - depth;
	while (count_state(j, JS_PROCESSED) < o.count && mono_ms() < deadline)
		loop_run_once(l, 50);
	double processed_s = (double)(bench_mono_us() - k0) / 1e6;
	int64_t processed = count_state(j, JS_PROCESSED);
	int64_t rejected = count_state(j, JS_REJECTED);
	double kassa_rate = (double)accepted / drain_s;
	struct outbox_stats st;
	outbox_stats(ob, &st);

	/* The sandbox's ledger: one document per ext_id, both sets there. */
	json_t *led = bench_http_json(sb.port, "GET", "/sandbox/ledger", NULL);
	json_t *docs = json_object_get(led, "documents");
	size_t k, nk = 0, nc = 0;
	json_t *d;
	json_array_foreach(docs, k, d)
	{
		const char *ext = json_string_value(json_object_get(d, "ext_id"));
		if (ext && strncmp(ext, "curl-", 5) == 0)
			nc++;
		else if (ext)
			nk++;
	}
	json_decref(led);
	if (depth != 0 || rejected != 0 || nk != (size_t)o.count ||
	    (o.baseline && nc != (size_t)o.count)) {
		fprintf(stderr,
			"bench_drain: FAILED: depth %" PRId64 ", rejected %" PRId64
			", ledger: %zu kassa documents and %zu curl documents for %ld each\n",
			depth, rejected, nk, nc, o.count);
		failures++;
	}
	if (processed != o.count) {
		fprintf(stderr, "bench_drain: FAILED: %" PRId64 " of %ld processed by callback\n",
			processed, o.count);
		failures++;
	}

	printf("bench_drain: %ld receipts, max_in_flight %ld, journal synchronous=%s, "
	       "sandbox --time-scale 0.01\n",
	       o.count, o.in_flight, o.sync_full ? "FULL" : "NORMAL");
	printf("  enqueue while the provider is down: %.2f s (%.0f receipts/s committed); "
	       "%" PRId64 " sends failed against the closed port and were re-queued\n",
	       enqueue_s, (double)o.count / enqueue_s, tried);
	printf("  kassa outbox drain:  %" PRId64 " accepted in %.2f s = %.0f receipts/s; "
	       "all %" PRId64 " processed by callback after %.2f s (%lu callbacks answered 200)\n",
	       accepted, drain_s, kassa_rate, processed, processed_s, st.callbacks);
	if (o.baseline) {
		printf("  curl baseline:       %ld posted in %.2f s = %.0f receipts/s "
		       "(one curl process per request)\n",
		       curl_ok, curl_s, curl_rate);
		double ratio = kassa_rate / curl_rate;
		printf("  ratio kassa / curl:  %.1fx (target >= 10x: %s)\n", ratio,
		       ratio >= 10 ? "met" : "MISSED");
		if (o.require_ratio > 0 && ratio < o.require_ratio) {
			fprintf(stderr, "bench_drain: FAILED: ratio %.1f below %.1f\n", ratio,
				o.require_ratio);
			failures++;
		}
	}
	printf("  ledger: %zu kassa + %zu curl documents; peak RSS of this process %ld KiB\n", nk,
	       nc, bench_maxrss_kib());
	printf("  command: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");

	outbox_free(ob);
	journal_close(j);
	loop_free(l);
	bench_sandbox_stop(&sb);
	if (files)
		for (long i = 0; i < o.count; i++)
			free(files[i]);
	free(files);
	bench_rmtree(dir);
	return failures ? 1 : 0;
}
