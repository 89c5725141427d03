/*
 * Helpers shared by the benchmarks and the soak (tests/bench, tests/soak):
 * a kassa-sandbox child process on 127.0.0.1, plain HTTP requests to it
 * through lib/net, temporary directories, free ports, timing and
 * percentiles. Everything dies loudly (exit 2) on a setup problem: a
 * benchmark that cannot set itself up has nothing to report.
 */
#ifndef KASSA_BENCHLIB_H
#define KASSA_BENCHLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "document.h"
#include "journal.h"

/* A kassa-sandbox process. */
struct bench_sandbox {
	pid_t pid;
	int port;
};

/* What to start it with; NULL/0 = the sandbox's default. */
struct bench_sandbox_opts {
	const char *exe;
	int port;		/* 0 = any free port */
	const char *faults;	/* "" or NULL = none */
	const char *time_scale; /* e.g. "0.001" */
	long callback_delay_ms; /* 0 = the default */
	uint64_t seed;
	bool seed_set;
};

/* Prints "<prog>: what: text" and exits 2. */
void bench_die(const char *what, const char *text) __attribute__((noreturn));
/* The program name used in messages (default "bench"). */
void bench_set_name(const char *name);

/* Counts a failed check and prints "<prog>: FAILED: ..." when ok is false. */
void bench_check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* How many checks failed so far. */
int bench_failures(void);

/* Starts kassa-sandbox and waits for its "listening on" line. */
void bench_sandbox_start(struct bench_sandbox *sb, const struct bench_sandbox_opts *o);
/* SIGTERM and wait (nothing when it is not running). */
void bench_sandbox_stop(struct bench_sandbox *sb);

/*
 * One HTTP request to 127.0.0.1:port (body may be NULL); returns the reply
 * body (owned, NUL-terminated) and sets *status (0 = no answer).
 */
char *bench_http(int port, const char *method, const char *path, const char *content_type,
		 const char *body, long *status);
/* GET/POST expecting 200 and JSON; dies otherwise. Free with json_decref. */
struct json_t *bench_http_json(int port, const char *method, const char *path, const char *body);

/* A fresh directory /tmp/kassa-<tag>-XXXXXX into buf. */
void bench_tmpdir(const char *tag, char *buf, size_t n);
/* rm -rf dir (only paths under /tmp/kassa-). */
void bench_rmtree(const char *dir);
/* A loopback TCP port that was free a moment ago. */
unsigned bench_free_port(void);
/* Sleeps ms milliseconds (restarts after signals). */
void bench_sleep_ms(long ms);
/* Monotonic time in microseconds. */
int64_t bench_mono_us(void);
/* The p-th percentile (0..100) of v[0..n) in place (sorts v); 0 when n == 0. */
double bench_percentile(double *v, size_t n, double p);

/* A one-line card sale of price x qty (thousandths) for outbox_submit. */
void bench_sale(struct document *d, int64_t price, int64_t qty);
/* What the soak and the engine driver compare with the sandbox's ledger. */
struct bench_jdoc {
	char ext_id[EXT_ID_MAX + 1];
	char uuid[UUID_TEXT_MAX + 1];
	enum journal_state state;
	int attempts;
	bool test;
	bool matched; /* the caller's mark */
};
struct bench_jdocs {
	struct bench_jdoc *v;
	size_t n;
};
struct journal;
/* Appends every document of j to a (dies when the journal cannot be read). */
void bench_jdocs_add(struct journal *j, struct bench_jdocs *a);

struct config_profile;
/* The training profile against the sandbox on sandbox_port, with the
 * callback listener on listen_port and fast retries (1, 3 schedule units). */
void bench_profile(struct config_profile *p, int sandbox_port, unsigned listen_port);
/* A whole number argument or exit 2 naming the option. */
long bench_arg_long(const char *s, const char *what);
/* Peak resident set size of this process, KiB. */
long bench_maxrss_kib(void);

/* splitmix64: reproducible pseudo-random numbers. */
uint64_t bench_mix(uint64_t x);
/* The ext_id and uuid bench_build_journal gives document i (random-looking). */
void bench_doc_ext(long i, char *buf, size_t n);
void bench_doc_uuid(long i, char *buf, size_t n);
/*
 * Creates a journal at path (journal_open: the real schema) holding n
 * realistic LifePay documents of profile `profile` with ids 1..n, written in
 * one transaction: bodies of ~450 bytes, four history rows, an attempt and a
 * raw callback each, a Z-report and an open-shift every 400 documents; the
 * newest 3 are queued and the 7 before them accepted, the rest processed.
 */
void bench_build_journal(const char *path, long n, const char *profile);

#endif
