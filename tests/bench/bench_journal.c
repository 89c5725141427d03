/*
 * Benchmark 5: the journal at scale (and the journal builder of benchmark 4).
 *
 *   bench_journal [--docs 1000000] [--rounds 200] [--lookups 1000] [--keep]
 *   bench_journal --build PATH --docs N      only build a journal at PATH
 *
 * Builds a journal of N documents through the real schema (journal_open
 * creates and migrates it; the rows are then written in one transaction
 * with synchronous=OFF, which is what makes a million rows take seconds).
 * Every document is realistic: a LifePay body of ~450 bytes, four history
 * rows (queued, sending, accepted, processed), one attempt and one raw
 * callback; every 400th document is a Z-report followed by an open-shift;
 * the newest few are still queued or accepted. ext_ids and uuids are
 * random-looking, so their indexes are as scattered as real ones.
 *
 * Then, through the journal API only, as the screen does:
 *   status pane refresh: journal_list(newest 48) + the newest history row of each
 *                         (tui/engine.c engine_reload), target <= 5 ms
 *   status bar: journal_outbox_depth and the shift probes (engine.c update_shift)
 *   lookup: journal_find by uuid and by ext_id, journal_get by id, target <= 1 ms
 *   find by prefix: journal_list with an 8-character uuid prefix, 48 rows
 * Each is timed over many rounds (p50, p99, max) after one cold first call.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "benchlib.h"
#include "journal.h"
#include "util.h"

#define PANE_ROWS 48
#define SHIFT_EVERY 400

struct opts {
	long docs, rounds, lookups;
	bool keep;
	const char *build;
};

/* ---- timing ---- */

struct timing {
	const char *name;
	double *v;
	size_t n;
	double cold;
};

static void report(struct timing *t, double target_ms)
{
	double p50 = bench_percentile(t->v, t->n, 50), p99 = bench_percentile(t->v, t->n, 99),
	       max = t->n ? t->v[t->n - 1] : 0;
	printf("  %-44s cold %8.3f ms | p50 %7.3f  p99 %7.3f  max %7.3f ms (%zu rounds)%s\n",
	       t->name, t->cold, p50, p99, max, t->n,
	       target_ms <= 0	  ? ""
	       : p99 <= target_ms ? "  target met"
				  : "  TARGET MISSED");
	free(t->v);
}

struct pane {
	struct journal *j;
	int64_t ids[PANE_ROWS];
	size_t n;
	int64_t last_at;
};

static bool on_hist(const struct journal_history_row *r, void *ctx)
{
	((struct pane *)ctx)->last_at = r->at;
	return true;
}

static bool on_pane_doc(const struct journal_doc *d, void *ctx)
{
	struct pane *p = ctx;
	if (p->n >= PANE_ROWS)
		return false;
	p->ids[p->n++] = d->id;
	/* engine.c row_fill(): the newest history row says what happened last */
	journal_history(p->j, d->id, on_hist, p, NULL);
	return true;
}

static void pane_refresh(struct journal *j)
{
	struct pane p = {.j = j};
	struct kerr e = {0};
	if (journal_list(j, NULL, PANE_ROWS, 0, on_pane_doc, &p, &e) != K_OK || p.n != PANE_ROWS)
		bench_die("journal_list", e.text);
}

struct probe {
	int64_t at;
	bool found;
};

static bool on_shift(const struct journal_doc *d, void *ctx)
{
	struct probe *p = ctx;
	if (d->state == JS_REJECTED || d->state == JS_FAILED || d->test)
		return true;
	p->at = d->created_at;
	p->found = true;
	return false;
}

static bool on_first(const struct journal_doc *d, void *ctx)
{
	struct probe *p = ctx;
	if (d->state == JS_REJECTED || d->state == JS_FAILED || d->test)
		return true;
	p->at = d->created_at;
	p->found = true;
	return true;
}

/* engine.c update_shift() plus the outbox depth of the status bar. */
static void status_bar(struct journal *j)
{
	struct probe open = {0}, z = {0}, first = {0};
	struct journal_filter fo = {.kind = "open-shift"}, fz = {.kind = "z-report"};
	journal_list(j, &fo, -1, 0, on_shift, &open, NULL);
	journal_list(j, &fz, -1, 0, on_shift, &z, NULL);
	struct journal_filter fr = {.kind = "receipt", .since = z.found ? z.at + 1 : 0};
	journal_list(j, &fr, 500, 0, on_first, &first, NULL);
	int64_t depth = 0;
	journal_outbox_depth(j, &depth, NULL);
	if (!open.found || !z.found || depth == 0)
		bench_die("status bar", "the shift probes found nothing");
}

static bool on_prefix(const struct journal_doc *d, void *ctx)
{
	(*(int *)ctx)++;
	return true;
}

int main(int argc, char **argv)
{
	bench_set_name("bench_journal");
	signal(SIGPIPE, SIG_IGN);
	struct opts o = {.docs = 1000000, .rounds = 200, .lookups = 1000};
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--keep") == 0)
			o.keep = true;
		else if (!v)
			bench_die("usage", "bench_journal [--docs N] [--rounds R] [--lookups L] "
					   "[--keep] | --build PATH --docs N");
		else if (strcmp(argv[i], "--docs") == 0)
			o.docs = bench_arg_long(argv[++i], "--docs");
		else if (strcmp(argv[i], "--rounds") == 0)
			o.rounds = bench_arg_long(argv[++i], "--rounds");
		else if (strcmp(argv[i], "--lookups") == 0)
			o.lookups = bench_arg_long(argv[++i], "--lookups");
		else if (strcmp(argv[i], "--build") == 0)
			o.build = argv[++i];
		else
			bench_die("unknown argument", argv[i]);
	}
	if (o.docs < SHIFT_EVERY * 2 || o.rounds < 1 || o.lookups < 1)
		bench_die("--docs", "needs at least 800 documents");
	int64_t b0 = bench_mono_us();
	if (o.build) {
		bench_build_journal(o.build, o.docs, "shop");
		printf("bench_journal: built %s with %ld documents in %.1f s\n", o.build, o.docs,
		       (double)(bench_mono_us() - b0) / 1e6);
		return 0;
	}
	char dir[256], path[300];
	bench_tmpdir("journal", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/journal.db", dir);
	bench_build_journal(path, o.docs, "shop");
	double build_s = (double)(bench_mono_us() - b0) / 1e6;
	struct stat sst;
	stat(path, &sst);

	int64_t t0 = bench_mono_us();
	struct journal *j = NULL;
	struct kerr e = {0};
	if (journal_open(path, &j, &e) != K_OK)
		bench_die("journal_open", e.text);
	double open_ms = (double)(bench_mono_us() - t0) / 1e3;

	printf("bench_journal: %ld documents (%.0f MiB, built in %.1f s), journal_open %.2f ms\n",
	       o.docs, (double)sst.st_size / (1 << 20), build_s, open_ms);

	struct timing pane = {.name = "status pane: newest 48 + their history",
			      .v = xcalloc((size_t)o.rounds, sizeof(double))};
	struct timing bar = {.name = "status bar: shift probes + outbox depth",
			     .v = xcalloc((size_t)o.rounds, sizeof(double))};
	for (long r = -1; r < o.rounds; r++) {
		int64_t a = bench_mono_us();
		pane_refresh(j);
		int64_t b = bench_mono_us();
		status_bar(j);
		int64_t c = bench_mono_us();
		if (r < 0) {
			pane.cold = (double)(b - a) / 1e3;
			bar.cold = (double)(c - b) / 1e3;
		} else {
			pane.v[pane.n++] = (double)(b - a) / 1e3;
			bar.v[bar.n++] = (double)(c - b) / 1e3;
		}
	}

	struct timing by_uuid = {.name = "journal_find(uuid)",
				 .v = xcalloc((size_t)o.lookups, sizeof(double))};
	struct timing by_ext = {.name = "journal_find(ext_id)",
				.v = xcalloc((size_t)o.lookups, sizeof(double))};
	struct timing by_id = {.name = "journal_get(id)",
			       .v = xcalloc((size_t)o.lookups, sizeof(double))};
	struct timing prefix = {.name = "find screen: uuid prefix (8 chars), 48 rows",
				.v = xcalloc((size_t)o.lookups, sizeof(double))};
	for (long r = -1; r < o.lookups; r++) {
		/* spread over the whole journal; skip the newest (queued: no uuid) */
		long i = 1 + (long)(bench_mix((uint64_t)r + 77) % (uint64_t)(o.docs - 20));
		char uuid[64], ext[64];
		bench_doc_uuid(i, uuid, sizeof uuid);
		bench_doc_ext(i, ext, sizeof ext);
		struct journal_doc d;
		int64_t a = bench_mono_us();
		if (journal_find(j, uuid, &d, &e) != K_OK || d.id != i)
			bench_die("journal_find(uuid)", e.text);
		journal_doc_free(&d);
		int64_t b = bench_mono_us();
		if (journal_find(j, ext, &d, &e) != K_OK || d.id != i)
			bench_die("journal_find(ext_id)", e.text);
		journal_doc_free(&d);
		int64_t c = bench_mono_us();
		if (journal_get(j, i, &d, &e) != K_OK)
			bench_die("journal_get", e.text);
		journal_doc_free(&d);
		int64_t dd = bench_mono_us();
		char pre[9];
		memcpy(pre, uuid, 8);
		pre[8] = '\0';
		struct journal_filter f = {.text = pre};
		int hits = 0;
		if (journal_list(j, &f, PANE_ROWS, 0, on_prefix, &hits, &e) != K_OK || hits < 1)
			bench_die("journal_list(prefix)", e.text);
		int64_t ee = bench_mono_us();
		double t[4] = {(double)(b - a) / 1e3, (double)(c - b) / 1e3, (double)(dd - c) / 1e3,
			       (double)(ee - dd) / 1e3};
		struct timing *all[4] = {&by_uuid, &by_ext, &by_id, &prefix};
		for (int k = 0; k < 4; k++) {
			if (r < 0)
				all[k]->cold = t[k];
			else
				all[k]->v[all[k]->n++] = t[k];
		}
	}
	int64_t total = 0;
	int64_t c0 = bench_mono_us();
	journal_count(j, NULL, &total, NULL);
	double count_ms = (double)(bench_mono_us() - c0) / 1e3;
	report(&pane, 5);
	report(&bar, 5);
	report(&by_uuid, 1);
	report(&by_ext, 1);
	report(&by_id, 1);
	report(&prefix, 0);
	printf("  journal_count(all) = %" PRId64 ": %.2f ms (the journal screen's total)\n", total,
	       count_ms);
	printf("  peak RSS of this process %ld KiB\n", bench_maxrss_kib());
	printf("  command: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	journal_close(j);
	if (o.keep)
		printf("  journal kept in %s\n", path);
	else
		bench_rmtree(dir);
	return 0;
}
