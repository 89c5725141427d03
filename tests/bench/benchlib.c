#include "benchlib.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <sqlite3.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "basket.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "net.h"
#include "status.h"
#include "util.h"

extern char **environ;

static const char *prog = "bench";

void bench_set_name(const char *name)
{
	prog = name;
}

void bench_die(const char *what, const char *text)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, text);
	exit(2);
}

static int failures;

void bench_check(bool ok, const char *fmt, ...)
{
	if (ok)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: FAILED: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	failures++;
}

int bench_failures(void)
{
	return failures;
}

void bench_sandbox_start(struct bench_sandbox *sb, const struct bench_sandbox_opts *o)
{
	memset(sb, 0, sizeof *sb);
	if (!o->exe || access(o->exe, X_OK) != 0)
		bench_die("kassa-sandbox", "not built (give its path with --sandbox)");
	char listen[32], seed[32], delay[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", o->port);
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)o->exe;
	argv[n++] = (char *)"--listen";
	argv[n++] = listen;
	argv[n++] = (char *)"--quiet";
	argv[n++] = (char *)"--strict";
	if (o->faults && *o->faults) {
		argv[n++] = (char *)"--faults";
		argv[n++] = (char *)o->faults;
	}
	if (o->seed_set) {
		snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
		argv[n++] = (char *)"--seed";
		argv[n++] = seed;
	}
	if (o->time_scale) {
		argv[n++] = (char *)"--time-scale";
		argv[n++] = (char *)o->time_scale;
	}
	if (o->callback_delay_ms > 0) {
		snprintf(delay, sizeof delay, "%ld", o->callback_delay_ms);
		argv[n++] = (char *)"--callback-delay";
		argv[n++] = delay;
	}
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds) != 0)
		bench_die("pipe", strerror(errno));
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	int rc = posix_spawn(&sb->pid, o->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (rc != 0)
		bench_die(o->exe, strerror(rc));
	FILE *in = fdopen(fds[0], "r");
	char line[256];
	if (!in || !fgets(line, sizeof line, in))
		bench_die(o->exe, "no \"listening on\" line (is the port free?)");
	fclose(in);
	const char *colon = strrchr(line, ':');
	char *end = NULL;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (port <= 0 || port > 65535)
		bench_die(o->exe, line);
	sb->port = (int)port;
}

void bench_sandbox_stop(struct bench_sandbox *sb)
{
	if (sb->pid <= 0)
		return;
	kill(sb->pid, SIGTERM);
	waitpid(sb->pid, NULL, 0);
	sb->pid = 0;
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
	f->status = res->outcome == NET_OK ? res->http_status : 0;
	f->body = xstrndup(res->body, res->body_len);
}

char *bench_http(int port, const char *method, const char *path, const char *content_type,
		 const char *body, long *status)
{
	struct loop *l = loop_new();
	struct net_options no = {.total_timeout_ms = 60000, .max_body = 256u << 20};
	struct net *n = net_new(l, &no);
	char url[512];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	struct fetch f = {0};
	struct net_request rq = {.method = method,
				 .url = url,
				 .body = body,
				 .body_len = body ? strlen(body) : 0,
				 .content_type = content_type ? content_type : "text/plain"};
	if (!net_submit(n, &rq, on_fetch, &f, NULL))
		bench_die("http", url);
	long long end = mono_ms() + 65000;
	while (!f.done && mono_ms() < end)
		loop_run_once(l, 50);
	net_free(n);
	loop_free(l);
	*status = f.done ? f.status : 0;
	return f.body ? f.body : xstrdup("");
}

json_t *bench_http_json(int port, const char *method, const char *path, const char *body)
{
	long status = 0;
	char *text = bench_http(port, method, path, NULL, body, &status);
	if (status != 200)
		bench_die(path, "no HTTP 200 from the sandbox");
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	if (!j)
		bench_die(path, "the reply is not JSON");
	return j;
}

void bench_tmpdir(const char *tag, char *buf, size_t n)
{
	const char *base = getenv("KASSA_BENCH_TMP");
	snprintf(buf, n, "%s/kassa-%s-XXXXXX", base && *base ? base : "/tmp", tag);
	if (!mkdtemp(buf))
		bench_die("mkdtemp", strerror(errno));
}

void bench_rmtree(const char *dir)
{
	if (!strstr(dir, "/kassa-") || strchr(dir, '\''))
		return;
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: could not remove %s\n", prog, dir);
}

unsigned bench_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t n = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &n) != 0)
		bench_die("free port", strerror(errno));
	close(fd);
	return ntohs(a.sin_port);
}

void bench_sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int64_t bench_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_percentile(double *v, size_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	/* nearest rank */
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

void bench_sale(struct document *d, int64_t price, int64_t qty)
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
		bench_die("basket", e.text);
	d->pay.card.kind = PAY_REMAINDER;
}

void bench_profile(struct config_profile *p, int sandbox_port, unsigned listen_port)
{
	config_training_profile(p, (unsigned)sandbox_port);
	p->listen_port = listen_port;
	p->retry_schedule[0] = 1;
	p->retry_schedule[1] = 3;
	p->retry_count = 2;
	p->max_in_flight = 8;
}

static bool on_jdoc(const struct journal_doc *d, void *cls)
{
	struct bench_jdocs *a = cls;
	a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
	struct bench_jdoc *x = &a->v[a->n++];
	memset(x, 0, sizeof *x);
	str_copy(x->ext_id, d->ext_id, sizeof x->ext_id);
	str_copy(x->uuid, d->uuid, sizeof x->uuid);
	x->state = d->state;
	x->test = d->test;
	x->attempts = d->attempts;
	return true;
}

void bench_jdocs_add(struct journal *j, struct bench_jdocs *a)
{
	struct kerr e = {0};
	if (journal_list(j, NULL, -1, 0, on_jdoc, a, &e) != K_OK)
		bench_die("journal_list", e.text);
}

long bench_arg_long(const char *s, const char *what)
{
	char *end = NULL;
	long v = strtol(s ? s : "", &end, 10);
	if (!s || !*s || *end || v < 0)
		bench_die(what, "needs a whole number");
	return v;
}

long bench_maxrss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* ---- a journal of n realistic documents ---- */

#define SHIFT_EVERY 400
#define START_MS 1700000000000LL /* Nov 2023 */
#define STEP_MS 60000LL		 /* one document a minute */

uint64_t bench_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A random-looking but reproducible uuid text for (i, salt). */
static void fake_uuid(long i, uint64_t salt, char *buf, size_t n)
{
	uint64_t a = bench_mix((uint64_t)i * 2 + salt), b = bench_mix(a);
	snprintf(buf, n, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-8%03" PRIx64 "-%012" PRIx64,
		 (uint64_t)(a >> 32), (uint64_t)((a >> 16) & 0xffff), (uint64_t)(a & 0xfff),
		 (uint64_t)((b >> 48) & 0xfff), (uint64_t)(b & 0xffffffffffffULL));
}

void bench_doc_ext(long i, char *buf, size_t n)
{
	fake_uuid(i, 1, buf, n);
}

void bench_doc_uuid(long i, char *buf, size_t n)
{
	fake_uuid(i, 2, buf, n);
}

static const char *kind_of(long i)
{
	if (i % SHIFT_EVERY == 0)
		return "z-report";
	if (i % SHIFT_EVERY == 1)
		return "open-shift";
	return "receipt";
}

static void db_ok(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		bench_die(what, sqlite3_errmsg(db));
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	db_ok(db, sqlite3_prepare_v2(db, sql, -1, &s, NULL), sql);
	return s;
}

static void step(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	db_ok(db, sqlite3_step(s), what);
	sqlite3_reset(s);
}

void bench_build_journal(const char *path, long n, const char *profile)
{
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK) /* the real schema, migrated */
		bench_die("journal_open", e.text);
	journal_close(j);
	sqlite3 *db = NULL;
	db_ok(db, sqlite3_open(path, &db), path);
	db_ok(db,
	      sqlite3_exec(db,
			   "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
			   " PRAGMA cache_size=-262144; BEGIN",
			   NULL, NULL, NULL),
	      "bulk pragmas");
	sqlite3_stmt *doc = prep(
	    db, "INSERT INTO documents(id, profile, provider, kind, type, ext_id, body, total_kop,"
		" card_kop, cash_kop, change_kop, uuid, state, created_at, updated_at,"
		" next_attempt_at, attempts, provider_receipt_id) VALUES (?1, ?14, 'lifepay',"
		" ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?11, ?12, 0, ?13, NULL)");
	sqlite3_stmt *hist = prep(db, "INSERT INTO status_history(doc_id, at, from_state, to_state,"
				      " source, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
	sqlite3_stmt *att = prep(db, "INSERT INTO attempts(doc_id, at, http_status, provider_code,"
				     " error) VALUES (?1, ?2, 200, 0, '')");
	sqlite3_stmt *raw = prep(db, "INSERT INTO raw_callbacks(at, doc_id, uuid, content_type,"
				     " body, applied, state, source, error_code, detail)"
				     " VALUES (?1, ?2, ?3, 'application/x-www-form-urlencoded',"
				     " ?4, 1, 'processed', 'callback', 0, ?5)");
	char ext[64], uuid[64], body[1024], cb[1024], ofd[256];
	for (long i = 1; i <= n; i++) {
		bench_doc_ext(i, ext, sizeof ext);
		bench_doc_uuid(i, uuid, sizeof uuid);
		const char *kind = kind_of(i);
		bool receipt = strcmp(kind, "receipt") == 0;
		const char *type = receipt ? (i % 20 == 7 ? "refund" : "payment") : "";
		int64_t total = receipt ? 1000 + (int64_t)(bench_mix((uint64_t)i) % 500000) : 0;
		int64_t at = START_MS + i * STEP_MS;
		/* the newest documents are still on their way */
		const char *state = i > n - 3 ? "queued" : i > n - 10 ? "accepted" : "processed";
		snprintf(body, sizeof body,
			 "{\"ext_id\":\"%s\",\"callback_url\":\"http://127.0.0.1:8080/cb/"
			 "0000000000000000000000000000000\",\"purchase\":{\"products\":[{\"name\":"
			 "\"Товар номер %ld\",\"price\":%" PRId64 ".%02" PRId64 ",\"quantity\":1,"
			 "\"unit\":\"piece\",\"tax\":\"vat20\"}]},\"type\":\"%s\",\"mode\":"
			 "\"email\",\"customer_email\":\"\",\"card_amount\":%" PRId64 ".%02" PRId64
			 ",\"cash_amount\":0,\"target_serial\":\"SANDBOX-0001\",\"tax_system\":"
			 "\"osn\",\"cashier_name\":\"Иванова\"}",
			 ext, i, total / 100, total % 100, type, total / 100, total % 100);
		sqlite3_bind_int64(doc, 1, i);
		sqlite3_bind_text(doc, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(doc, 3, type, -1, SQLITE_STATIC);
		sqlite3_bind_text(doc, 4, ext, -1, SQLITE_STATIC);
		sqlite3_bind_text(doc, 5, body, -1, SQLITE_STATIC);
		sqlite3_bind_int64(doc, 6, total);
		sqlite3_bind_int64(doc, 7, total);
		sqlite3_bind_int64(doc, 8, 0);
		if (strcmp(state, "queued") == 0)
			sqlite3_bind_null(doc, 9);
		else
			sqlite3_bind_text(doc, 9, uuid, -1, SQLITE_STATIC);
		sqlite3_bind_text(doc, 10, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(doc, 11, at);
		sqlite3_bind_int64(doc, 12, at + 3000);
		sqlite3_bind_int64(doc, 13, strcmp(state, "queued") == 0 ? 0 : 1);
		sqlite3_bind_text(doc, 14, profile, -1, SQLITE_STATIC);
		step(db, doc, "insert document");
		static const char *const chain[][3] = {{NULL, "queued", "local"},
						       {"queued", "sending", "local"},
						       {"sending", "accepted", "reply"},
						       {"accepted", "processed", "callback"}};
		int rows = strcmp(state, "queued") == 0	    ? 1
			   : strcmp(state, "accepted") == 0 ? 3
							    : 4;
		snprintf(ofd, sizeof ofd,
			 "https://ofd.example/receipt?fn=9999078900012345&i=%ld"
			 "&fp=%010" PRIu64,
			 i, (uint64_t)(bench_mix((uint64_t)i) % 10000000000ULL));
		for (int r = 0; r < rows; r++) {
			sqlite3_bind_int64(hist, 1, i);
			sqlite3_bind_int64(hist, 2, at + r * 1000);
			if (chain[r][0])
				sqlite3_bind_text(hist, 3, chain[r][0], -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(hist, 3);
			sqlite3_bind_text(hist, 4, chain[r][1], -1, SQLITE_STATIC);
			sqlite3_bind_text(hist, 5, chain[r][2], -1, SQLITE_STATIC);
			sqlite3_bind_text(hist, 6, r == 3 ? ofd : "", -1, SQLITE_STATIC);
			step(db, hist, "insert history");
		}
		if (rows >= 3) {
			sqlite3_bind_int64(att, 1, i);
			sqlite3_bind_int64(att, 2, at + 1500);
			step(db, att, "insert attempt");
		}
		if (rows == 4) {
			snprintf(
			    cb, sizeof cb,
			    "data=%%7B%%22uuid%%22%%3A%%22%s%%22%%2C%%22ext_id%%22%%3A%%22%s"
			    "%%22%%2C%%22status%%22%%3A%%22processed%%22%%2C%%22ofd_url%%22%%3A"
			    "%%22https%%3A%%2F%%2Fofd.example%%2Freceipt%%3Ffn%%3D9999078900012345"
			    "%%26i%%3D%ld%%22%%2C%%22fn%%22%%3A%%229999078900012345%%22%%7D",
			    uuid, ext, i);
			sqlite3_bind_int64(raw, 1, at + 3000);
			sqlite3_bind_int64(raw, 2, i);
			sqlite3_bind_text(raw, 3, uuid, -1, SQLITE_STATIC);
			sqlite3_bind_blob(raw, 4, cb, (int)strlen(cb), SQLITE_STATIC);
			sqlite3_bind_text(raw, 5, ofd, -1, SQLITE_STATIC);
			step(db, raw, "insert raw callback");
		}
	}
	sqlite3_finalize(doc);
	sqlite3_finalize(hist);
	sqlite3_finalize(att);
	sqlite3_finalize(raw);
	db_ok(db, sqlite3_exec(db, "COMMIT; PRAGMA journal_mode=WAL", NULL, NULL, NULL), "commit");
	sqlite3_close(db);
}
