/*
 * The fault soak (docs/PERFORMANCE.md, "Soak").
 *
 *   soak --sandbox PATH/kassa-sandbox [--receipts 10000] [--clients 4] [--kills 40]
 *        [--faults SPEC] [--time-scale 0.001] [--seed S] [--timeout 900]
 *
 * One kassa-sandbox with faults (default: 20% HTTP 500, 10% dropped replies,
 * 5% stalls of 2 s x time scale, 30% failing callbacks) and several client
 * processes, each a kassa engine (journal + outbox + callback listener on
 * its own fixed port) with its own journal, together sending `--receipts`
 * sales. The clients are killed with SIGKILL at random moments (while
 * starting, enqueueing, sending, applying replies or callbacks) and
 * restarted at once; a client counts its sales from its journal, so a
 * restart carries on where the journal says. Once the kills are done the
 * faults are switched off (POST /sandbox/faults none: the drain phase) and
 * every client runs until each of its documents is final.
 *
 * Checks: each journal holds its share of sales; every journaled document
 * is final (processed); the sandbox's ledger holds exactly one document per
 * journaled sale, under its ext_id with the journal's uuid, and nothing
 * else. Prints one summary line; exit 0 when every check passed.
 *
 * Through the relay (issue 13): --relay PATH/kassa-relay sends every callback
 * via kassa-relay instead: each till is added to a tills file, has no
 * listener and pulls over a long-poll (lib/relay_client.c); the relay, on
 * SQLite (--relay-db sqlite) or PostgreSQL with two relay processes on one
 * database (--relay-db pg, needs KASSA_TEST_PG, else exit 77), is SIGKILLed
 * --relay-kills times at random moments and restarted on its port. Then also:
 * every document's history has a status applied from the relay (LifePay
 * statuses arrive only by callback, so none was lost).
 *
 *   soak client DIR SANDBOX_PORT LISTEN_PORT N [RELAY_URL]   one client (used by the
 *   above; the relay token comes in SOAK_RELAY_TOKEN)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "config.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "relay_client.h"
#include "util.h"

extern char **environ;

#define TOKEN "50a450a450a450a450a450a450a450a4"
#define CLIENT_TIMEOUT_MS (10 * 60 * 1000)
#define MAX_CLIENTS 16

/* ---- the client: a kassa engine that sells until its journal holds N sales, all final ---- */

static int64_t count_all(struct journal *j)
{
	int64_t n = 0;
	journal_count(j, NULL, &n, NULL);
	return n;
}

static int64_t count_final(struct journal *j)
{
	static const enum journal_state finals[] = {JS_PROCESSED, JS_FAILED, JS_REJECTED,
						    JS_VALIDATED};
	int64_t sum = 0;
	for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++) {
		struct journal_filter f = {.by_state = true, .state = finals[i]};
		int64_t n = 0;
		journal_count(j, &f, &n, NULL);
		sum += n;
	}
	return sum;
}

static int run_client(const char *dir, int sandbox_port, unsigned listen_port, long count,
		      const char *relay_url)
{
	char path[512];
	snprintf(path, sizeof path, "%s/journal.db", dir);
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("client journal", e.text);
	struct loop *l = loop_new();
	struct config_profile p;
	/* retries after 1, 3, 3, ... schedule seconds of 10 ms each */
	bench_profile(&p, sandbox_port, listen_port);
	if (relay_url) {
		const char *tok = getenv("SOAK_RELAY_TOKEN");
		if (!tok)
			bench_die("client", "SOAK_RELAY_TOKEN is not set");
		str_copy(p.relay_url, relay_url, sizeof p.relay_url);
		str_copy(p.relay_token, tok, sizeof p.relay_token);
	}
	struct outbox_options oo = {.time_unit_ms = 10, .request_timeout_ms = 3000, .token = TOKEN};
	struct outbox *ob = outbox_new(l, j, &p, &oo, &e);
	if (!ob)
		bench_die("client outbox", e.text);
	struct relay_client *rc = NULL;
	if (relay_url) {
		/* back off 20 ms per "second": a killed relay is pulled from again at once */
		struct relay_client_options ro = {
		    .poll_s = 5, .backoff_unit_ms = 20, .connect_timeout_ms = 2000};
		rc = relay_client_new(l, j, ob, &p, &ro, &e);
		if (!rc)
			bench_die("client relay", e.text);
	}
	long long end = mono_ms() + CLIENT_TIMEOUT_MS;
	for (;;) {
		int64_t made = count_all(j), depth = 0;
		journal_outbox_depth(j, &depth, NULL);
		/* a till sells one receipt after another while the outbox works */
		while (made < count && depth < 16) {
			struct document d;
			bench_sale(&d, 100 + made % 50000, 1000 + (made % 3) * 500);
			int64_t id;
			if (outbox_submit(ob, &d, &id, &e) != K_OK)
				bench_die("client submit", e.text);
			document_free(&d);
			made++;
			depth++;
		}
		if (made >= count && depth == 0 && count_final(j) == made)
			break;
		if (mono_ms() > end)
			bench_die("client", "not done within its time");
		loop_run_once(l, 20);
	}
	relay_client_free(rc);
	outbox_free(ob);
	journal_close(j);
	loop_free(l);
	return 0;
}

/* ---- the orchestrator ---- */

struct client {
	char dir[300];
	char relay_url[64]; /* "" = direct callbacks to its listener */
	char relay_token[300];
	unsigned lport;
	long count;
	pid_t pid; /* 0 = finished */
	int runs;
};

static pid_t spawn_client(const char *self, struct client *c, int sandbox_port)
{
	char p1[16], p2[16], n[32];
	snprintf(p1, sizeof p1, "%d", sandbox_port);
	snprintf(p2, sizeof p2, "%u", c->lport);
	snprintf(n, sizeof n, "%ld", c->count);
	char *argv[] = {(char *)self,
			(char *)"client",
			c->dir,
			p1,
			p2,
			n,
			c->relay_url[0] ? c->relay_url : NULL,
			NULL};
	pid_t pid;
	if (c->relay_url[0])
		setenv("SOAK_RELAY_TOKEN", c->relay_token, 1);
	int rc = posix_spawn(&pid, self, NULL, NULL, argv, environ);
	unsetenv("SOAK_RELAY_TOKEN");
	if (rc != 0)
		bench_die("spawn client", strerror(rc));
	c->runs++;
	return pid;
}

/* Reaps clients that ended by themselves; returns how many still run. */
static int reap(struct client *cs, int n)
{
	int running = 0;
	for (int i = 0; i < n; i++) {
		if (cs[i].pid <= 0)
			continue;
		int st = 0;
		if (waitpid(cs[i].pid, &st, WNOHANG) == cs[i].pid) {
			bench_check(WIFEXITED(st) && WEXITSTATUS(st) == 0,
				    "client %d ended with status %d without being killed", i, st);
			cs[i].pid = 0;
		} else {
			running++;
		}
	}
	return running;
}

/* Sales in a till's journal, read without disturbing the running client. */
static int64_t journaled(const char *dir)
{
	char path[512];
	if (snprintf(path, sizeof path, "%s/journal.db", dir) >= (int)sizeof path)
		return 0;
	sqlite3 *db = NULL;
	int64_t n = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM documents", -1, &s, NULL) ==
			SQLITE_OK &&
		    sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	return n;
}

/* ---- the relay: one process on SQLite, two on one PostgreSQL database ---- */

struct relay_proc {
	pid_t pid;
	unsigned port;
	char out[400];
};

struct relays {
	const char *exe;
	char db[700]; /* the --db value */
	char tills[400];
	char pgdb[64]; /* the throw-away PostgreSQL database, "" for SQLite */
	int n;
	int kills;
	struct relay_proc r[2];
};

static bool file_has(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return found;
}

/* (Re)starts relay i on its fixed port and waits for its "listening on" line. */
static void relay_spawn(struct relays *rs, int i)
{
	struct relay_proc *r = &rs->r[i];
	char listen[64], err[420];
	snprintf(listen, sizeof listen, "127.0.0.1:%u", r->port);
	snprintf(err, sizeof err, "%s.err", r->out);
	char *argv[] = {(char *)rs->exe, (char *)"--listen", listen,	(char *)"--db",
			rs->db,		 (char *)"--tills",  rs->tills, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, r->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_APPEND, 0600);
	int rc = posix_spawn(&r->pid, rs->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		bench_die("spawn kassa-relay", strerror(rc));
	long long end = mono_ms() + 15000;
	while (!file_has(r->out, "listening on")) {
		if (mono_ms() > end || waitpid(r->pid, NULL, WNOHANG) == r->pid)
			bench_die("kassa-relay did not start; see", err);
		bench_sleep_ms(5);
	}
}

static void relay_kill(struct relays *rs, int i)
{
	if (rs->r[i].pid <= 0)
		return;
	kill(rs->r[i].pid, SIGKILL);
	waitpid(rs->r[i].pid, NULL, 0);
	rs->r[i].pid = 0;
}

/* Returns 77 (skip) when PostgreSQL is asked for and KASSA_TEST_PG is not set. */
static int relays_start(struct relays *rs, const char *exe, const char *kind, const char *base,
			struct client *cs, int n)
{
	memset(rs, 0, sizeof *rs);
	rs->exe = exe;
	snprintf(rs->tills, sizeof rs->tills, "%s/tills.ini", base);
	if (strcmp(kind, "pg") == 0) {
		const char *pg = getenv("KASSA_TEST_PG");
		if (!pg || !*pg) {
			printf("soak: KASSA_TEST_PG is not set: the PostgreSQL relay soak is "
			       "skipped\n");
			return 77;
		}
		snprintf(rs->pgdb, sizeof rs->pgdb, "kassa_soak_%ld", (long)getpid());
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "psql -q \"$KASSA_TEST_PG\" -c 'CREATE DATABASE %s'",
			 rs->pgdb);
		if (system(cmd) != 0)
			bench_die("psql", "cannot create the soak database");
		/* the same server and options, our database */
		const char *q = strchr(pg, '?');
		size_t blen = q ? (size_t)(q - pg) : strlen(pg);
		const char *slash = pg + blen;
		while (slash > pg && *slash != '/')
			slash--;
		if (slash - pg < 14) /* "postgresql://" has its slashes first */
			slash = pg + blen;
		snprintf(rs->db, sizeof rs->db, "%.*s/%s%s", (int)(slash - pg), pg, rs->pgdb,
			 q ? q : "");
		rs->n = 2;
	} else {
		snprintf(rs->db, sizeof rs->db, "sqlite:%s/relay.db", base);
		rs->n = 1;
	}
	for (int i = 0; i < rs->n; i++) {
		rs->r[i].port = bench_free_port();
		snprintf(rs->r[i].out, sizeof rs->r[i].out, "%s/relay-%d.out", base, i);
	}
	for (int i = 0; i < n; i++) {
		char out[420], cmd[1400];
		snprintf(out, sizeof out, "%s/add-%d.txt", base, i);
		snprintf(cmd, sizeof cmd, "'%s' add-till till-%d --tills '%s' >'%s' 2>&1", exe, i,
			 rs->tills, out);
		if (system(cmd) != 0)
			bench_die("kassa-relay add-till failed; see", out);
		FILE *f = fopen(out, "r");
		char line[512];
		while (f && fgets(line, sizeof line, f))
			if (strncmp(line, "relay_token = ", 14) == 0) {
				line[strcspn(line, "\r\n")] = '\0';
				str_copy(cs[i].relay_token, line + 14, sizeof cs[i].relay_token);
			}
		if (f)
			fclose(f);
		if (!cs[i].relay_token[0])
			bench_die("no relay_token printed by add-till; see", out);
		/* with two relays, the tills are spread over them (one database) */
		snprintf(cs[i].relay_url, sizeof cs[i].relay_url, "http://127.0.0.1:%u",
			 rs->r[i % rs->n].port);
	}
	for (int i = 0; i < rs->n; i++)
		relay_spawn(rs, i);
	return 0;
}

static void relays_stop(struct relays *rs)
{
	for (int i = 0; i < rs->n; i++)
		relay_kill(rs, i);
	if (rs->pgdb[0]) {
		char cmd[300];
		snprintf(
		    cmd, sizeof cmd,
		    "psql -q \"$KASSA_TEST_PG\" -c 'DROP DATABASE IF EXISTS %s' >/dev/null 2>&1",
		    rs->pgdb);
		if (system(cmd) != 0)
			fprintf(stderr, "soak: could not drop the database %s\n", rs->pgdb);
	}
}

static int cmp_jdoc(const void *a, const void *b)
{
	return strcmp(((const struct bench_jdoc *)a)->ext_id,
		      ((const struct bench_jdoc *)b)->ext_id);
}

static bool on_restart_row(const struct journal_history_row *r, void *cls)
{
	if (r->source == JSRC_RESTART)
		(*(int *)cls)++;
	return true;
}

static bool on_relay_row(const struct journal_history_row *r, void *cls)
{
	if (r->source == JSRC_RELAY)
		*(bool *)cls = true;
	return true;
}

struct opts {
	const char *sandbox;
	const char *relay;    /* kassa-relay, or NULL: direct callbacks */
	const char *relay_db; /* "sqlite" or "pg" */
	long relay_kills;
	long receipts, clients, kills, timeout_s;
	const char *faults;
	const char *time_scale;
	uint64_t seed;
};

static int run_soak(const char *self, const struct opts *o)
{
	struct bench_sandbox sb;
	struct bench_sandbox_opts so = {.exe = o->sandbox,
					.faults = o->faults,
					.time_scale = o->time_scale,
					.callback_delay_ms = 20,
					.seed = o->seed,
					.seed_set = true};
	bench_sandbox_start(&sb, &so);
	char base[256];
	bench_tmpdir("soak", base, sizeof base);
	srand((unsigned)o->seed);
	struct client cs[MAX_CLIENTS];
	memset(cs, 0, sizeof cs);
	int n = (int)o->clients;
	struct relays rs = {0};
	if (o->relay) {
		int rc = relays_start(&rs, o->relay, o->relay_db, base, cs, n);
		if (rc) {
			bench_sandbox_stop(&sb);
			bench_rmtree(base);
			return rc;
		}
	}
	long long start = mono_ms();
	for (int i = 0; i < n; i++) {
		snprintf(cs[i].dir, sizeof cs[i].dir, "%s/till-%d", base, i);
		if (mkdir(cs[i].dir, 0700) != 0)
			bench_die(cs[i].dir, strerror(errno));
		cs[i].lport = bench_free_port();
		cs[i].count = o->receipts / n + (i < o->receipts % n ? 1 : 0);
		cs[i].pid = spawn_client(self, &cs[i], sb.port);
	}
	/*
	 * Kill phase (faults on): a random running client is killed after a
	 * random pause and restarted at once. The pause scales with the run so
	 * kills are spread over it.
	 */
	/* about 3.5 ms of run time per receipt on 2 cores: spread the kills over it */
	long all_kills = o->kills + (o->relay ? o->relay_kills : 0);
	long pause_max = 2 * (o->receipts * 35 / 10) / (all_kills ? all_kills : 1);
	if (pause_max < 20)
		pause_max = 20;
	if (pause_max > 5000)
		pause_max = 5000;
	int killed = 0;
	long long deadline = start + o->timeout_s * 1000;
	while ((killed < o->kills || (o->relay && rs.kills < o->relay_kills)) && reap(cs, n) > 0 &&
	       mono_ms() < deadline) {
		bench_sleep_ms(10 + rand() % pause_max);
		if (o->relay && rs.kills < o->relay_kills && (killed >= o->kills || rand() % 2)) {
			/* the relay dies mid-delivery and is back after up to 300 ms: the
			 * provider's callbacks meanwhile fail and are retried */
			int r = rand() % rs.n;
			relay_kill(&rs, r);
			rs.kills++;
			bench_sleep_ms(rand() % 300);
			relay_spawn(&rs, r);
			continue;
		}
		if (killed >= o->kills)
			continue;
		int i = rand() % n;
		if (cs[i].pid <= 0 || reap(cs, n) == 0)
			continue;
		if (cs[i].pid <= 0)
			continue;
		kill(cs[i].pid, SIGKILL);
		int st = 0;
		waitpid(cs[i].pid, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
			killed++;
			cs[i].pid = spawn_client(self, &cs[i], sb.port);
		} else {
			bench_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client %d failed (%d)",
				    i, st);
			cs[i].pid = 0;
		}
	}
	long long kill_phase = mono_ms() - start;
	int64_t during_kills = 0;
	for (int i = 0; i < n; i++)
		during_kills += journaled(cs[i].dir);
	/* Drain phase: no more faults, no more kills; every client finishes by itself. */
	json_t *r = bench_http_json(sb.port, "POST", "/sandbox/faults", "none");
	json_decref(r);
	while (reap(cs, n) > 0) {
		if (mono_ms() > deadline) {
			for (int i = 0; i < n; i++)
				if (cs[i].pid > 0) {
					kill(cs[i].pid, SIGKILL);
					waitpid(cs[i].pid, NULL, 0);
					cs[i].pid = 0;
				}
			bench_check(false, "clients not finished within %ld s", o->timeout_s);
			break;
		}
		bench_sleep_ms(50);
	}
	long long total_ms = mono_ms() - start;

	/* Every journal against the ledger. */
	struct bench_jdocs all = {0};
	int restarts = 0, retried = 0, runs = 0;
	size_t no_relay = 0;
	for (int i = 0; i < n; i++) {
		char path[512];
		if (snprintf(path, sizeof path, "%s/journal.db", cs[i].dir) >= (int)sizeof path)
			bench_die(cs[i].dir, "path too long");
		struct journal *j = NULL;
		struct kerr e = {0};
		if (journal_open(path, &j, &e) != K_OK)
			bench_die("journal", e.text);
		size_t before = all.n;
		bench_jdocs_add(j, &all);
		bench_check((long)(all.n - before) == cs[i].count,
			    "till %d journaled %zu sales, not %ld", i, all.n - before, cs[i].count);
		int64_t max_id = 0;
		journal_count(j, NULL, &max_id, NULL);
		for (int64_t id = 1; id <= max_id; id++) {
			journal_history(j, id, on_restart_row, &restarts, NULL);
			bool relayed = false;
			if (o->relay)
				journal_history(j, id, on_relay_row, &relayed, NULL);
			if (o->relay && !relayed && no_relay++ < 5)
				bench_check(false,
					    "till %d document #%" PRId64
					    " has no status from the relay",
					    i, id);
		}
		journal_close(j);
		runs += cs[i].runs;
	}
	qsort(all.v, all.n, sizeof *all.v, cmp_jdoc);
	size_t not_final = 0;
	for (size_t i = 0; i < all.n; i++) {
		if (all.v[i].state != JS_PROCESSED) {
			if (not_final++ < 5)
				bench_check(false, "%s is %s, not processed", all.v[i].ext_id,
					    journal_state_word(all.v[i].state));
		}
		if (all.v[i].attempts > 1)
			retried++;
	}
	bench_check(not_final == 0, "%zu documents not processed", not_final);
	if (o->relay)
		bench_check(no_relay == 0, "%zu documents got no callback through the relay: lost",
			    no_relay);
	json_t *led = bench_http_json(sb.port, "GET", "/sandbox/ledger", NULL);
	json_t *docs = json_object_get(led, "documents");
	size_t k, dup = 0, unknown = 0, wrong_uuid = 0;
	json_t *d;
	json_array_foreach(docs, k, d)
	{
		const char *ext = json_string_value(json_object_get(d, "ext_id"));
		const char *uuid = json_string_value(json_object_get(d, "uuid"));
		struct bench_jdoc key;
		str_copy(key.ext_id, ext ? ext : "", sizeof key.ext_id);
		struct bench_jdoc *x = bsearch(&key, all.v, all.n, sizeof *all.v, cmp_jdoc);
		if (!x) {
			unknown++;
			continue;
		}
		if (x->matched)
			dup++;
		x->matched = true;
		if (!uuid || strcmp(uuid, x->uuid) != 0)
			wrong_uuid++;
	}
	size_t missing = 0;
	for (size_t i = 0; i < all.n; i++)
		missing += !all.v[i].matched;
	size_t ledger_n = json_array_size(docs);
	bench_check(ledger_n == all.n, "the ledger holds %zu documents, the journals %zu", ledger_n,
		    all.n);
	bench_check(
	    dup == 0 && unknown == 0 && missing == 0 && wrong_uuid == 0,
	    "ledger vs journals: %zu doubled, %zu unknown, %zu missing, %zu with another uuid", dup,
	    unknown, missing, wrong_uuid);
	json_decref(led);
	json_t *cbs = bench_http_json(sb.port, "GET", "/sandbox/callbacks", NULL);
	size_t ncb = json_array_size(json_object_get(cbs, "callbacks"));
	json_decref(cbs);

	printf("soak: %zu receipts from %d tills (%d runs, %d SIGKILLs), faults %s, time scale "
	       "%s, seed %" PRIu64 ": kill phase %.1f s (%" PRId64 " sales journaled by then), "
	       "done after %.1f s; %d needed more than "
	       "one attempt, %d resent after a restart, %zu callbacks; ledger %zu documents "
	       "= journals %zu, %zu doubled, %zu missing; %d failed checks\n",
	       all.n, n, runs, killed, o->faults, o->time_scale, o->seed, kill_phase / 1000.0,
	       during_kills, total_ms / 1000.0, retried, restarts, ncb, ledger_n, all.n, dup,
	       missing, bench_failures());
	if (o->relay)
		printf("soak: through kassa-relay (%s, %d process%s): %d relay SIGKILLs, %zu "
		       "documents "
		       "without a relayed status (callbacks lost)\n",
		       o->relay_db, rs.n, rs.n == 1 ? "" : "es", rs.kills, no_relay);
	free(all.v);
	if (o->relay)
		relays_stop(&rs);
	bench_sandbox_stop(&sb);
	if (bench_failures())
		fprintf(stderr, "soak: the journals are kept in %s\n", base);
	else
		bench_rmtree(base);
	return bench_failures() ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_set_name("soak");
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "client") == 0) {
		if (argc != 6 && argc != 7)
			bench_die("usage",
				  "soak client DIR SANDBOX_PORT LISTEN_PORT N [RELAY_URL]");
		return run_client(argv[2], (int)bench_arg_long(argv[3], "port"),
				  (unsigned)bench_arg_long(argv[4], "port"),
				  bench_arg_long(argv[5], "N"), argc == 7 ? argv[6] : NULL);
	}
	struct opts o = {.receipts = 10000,
			 .clients = 4,
			 .kills = 40,
			 .timeout_s = 900,
			 .faults = "http500=0.2,drop=0.1,stall=0.05:2,callback_fail=0.3",
			 .time_scale = "0.001",
			 .relay_db = "sqlite",
			 .relay_kills = 20,
			 .seed = (uint64_t)time(NULL)};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			bench_die("usage",
				  "soak --sandbox EXE [--receipts N] [--clients C] "
				  "[--kills K] [--faults SPEC] [--time-scale F] [--seed S] "
				  "[--timeout S] [--relay EXE [--relay-db sqlite|pg] "
				  "[--relay-kills K]]");
		if (strcmp(argv[i], "--sandbox") == 0)
			o.sandbox = argv[++i];
		else if (strcmp(argv[i], "--relay") == 0)
			o.relay = argv[++i];
		else if (strcmp(argv[i], "--relay-db") == 0)
			o.relay_db = argv[++i];
		else if (strcmp(argv[i], "--relay-kills") == 0)
			o.relay_kills = bench_arg_long(argv[++i], "--relay-kills");
		else if (strcmp(argv[i], "--receipts") == 0)
			o.receipts = bench_arg_long(argv[++i], "--receipts");
		else if (strcmp(argv[i], "--clients") == 0)
			o.clients = bench_arg_long(argv[++i], "--clients");
		else if (strcmp(argv[i], "--kills") == 0)
			o.kills = bench_arg_long(argv[++i], "--kills");
		else if (strcmp(argv[i], "--faults") == 0)
			o.faults = argv[++i];
		else if (strcmp(argv[i], "--time-scale") == 0)
			o.time_scale = argv[++i];
		else if (strcmp(argv[i], "--seed") == 0)
			o.seed = (uint64_t)bench_arg_long(argv[++i], "--seed");
		else if (strcmp(argv[i], "--timeout") == 0)
			o.timeout_s = bench_arg_long(argv[++i], "--timeout");
		else
			bench_die("unknown argument", argv[i]);
	}
	if (o.relay && strcmp(o.relay_db, "sqlite") != 0 && strcmp(o.relay_db, "pg") != 0)
		bench_die("--relay-db", "allowed: sqlite or pg");
	if (!o.sandbox || o.clients < 1 || o.clients > MAX_CLIENTS || o.receipts < o.clients)
		bench_die("usage", "--sandbox EXE is required; 1..16 clients, at least one receipt "
				   "each");
	char self[1024];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		bench_die("readlink", strerror(errno));
	self[len] = '\0';
	return run_soak(self, &o);
}
