/* Tests for lib/journal_read.c: lists, filters and lookups on a large journal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "journal.h"
#include "journal_fixture.h"
#include "journal_int.h"
#include "util.h"

struct collected {
	size_t n;
	int64_t ids[64];
};

static bool on_doc(const struct journal_doc *d, void *ctx)
{
	struct collected *c = ctx;
	assert_null(d->body);
	if (c->n < 64)
		c->ids[c->n++] = d->id;
	return true;
}

static struct collected list(struct fixture *fx, const struct journal_filter *f, int64_t limit,
			     int64_t offset)
{
	struct collected c;
	memset(&c, 0, sizeof c);
	struct kerr err = {0};
	assert_int_equal(journal_list(fx->j, f, limit, offset, on_doc, &c, &err), K_OK);
	int64_t n;
	assert_int_equal(journal_count(fx->j, f, &n, &err), K_OK);
	if (limit < 0 && offset == 0)
		assert_int_equal(n, (int64_t)c.n);
	return c;
}

static void journal_list__filters_and_newest_first(void **state)
{
	struct fixture *fx = *state;
	int64_t a = accepted(fx, "shop-0001", 10000, "aaaa-1111");
	fx->now += 1000;
	int64_t b = accepted(fx, "shop-0002", 25000, "bbbb-2222");
	fx->now += 1000;
	struct journal_new_doc cd = sale("other-0003", 10000);
	int64_t c = enqueue(fx, &cd);
	fx->now += 1000;
	struct journal_new_doc zd = sale("z-0004", 0);
	zd.kind = "z-report";
	int64_t z = enqueue(fx, &zd);

	struct collected all = list(fx, NULL, -1, 0);
	assert_int_equal(all.n, 4);
	assert_int_equal(all.ids[0], z);
	assert_int_equal(all.ids[3], a);
	struct collected page = list(fx, NULL, 2, 1);
	assert_int_equal(page.n, 2);
	assert_int_equal(page.ids[0], c);
	assert_int_equal(page.ids[1], b);

	struct journal_filter f = {.by_state = true, .state = JS_ACCEPTED};
	struct collected r = list(fx, &f, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], b);

	struct journal_filter t = {.text = "shop-"};
	r = list(fx, &t, -1, 0);
	assert_int_equal(r.n, 2);
	t.text = "bbbb";
	r = list(fx, &t, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], b);
	t.text = "shop-0002x";
	assert_int_equal(list(fx, &t, -1, 0).n, 0);

	struct journal_filter m = {.by_amount = true, .amount = 10000};
	r = list(fx, &m, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], c);
	assert_int_equal(r.ids[1], a);
	m.by_state = true;
	m.state = JS_QUEUED;
	r = list(fx, &m, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], c);

	struct journal_filter dr = {.since = T0 + 1000, .until = T0 + 3000};
	r = list(fx, &dr, -1, 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], c);
	assert_int_equal(r.ids[1], b);

	struct journal_filter k = {.kind = "z-report"};
	r = list(fx, &k, -1, 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.ids[0], z);

	/* a callback that stops early */
	struct journal_doc d;
	assert_int_equal(journal_find(fx->j, "#2", &d, NULL), K_OK);
	assert_int_equal(d.id, b);
	journal_doc_free(&d);
	assert_int_equal(journal_find(fx->j, " aaaa-1111 ", &d, NULL), K_OK);
	assert_int_equal(d.id, a);
	journal_doc_free(&d);
	assert_int_equal(journal_find(fx->j, "shop-0002", &d, NULL), K_OK);
	assert_int_equal(d.id, b);
	journal_doc_free(&d);
	struct kerr err = {0};
	assert_int_equal(journal_find(fx->j, "nothing", &d, &err), K_NOTFOUND);
	assert_non_null(strstr(err.text, "nothing"));
	assert_int_equal(journal_find(fx->j, "", &d, &err), K_INVALID);
	assert_int_equal(journal_get(fx->j, 999, &d, &err), K_NOTFOUND);
}

/*
 * The work SQLite did for the journal since the last call, from its own
 * counters on every statement of the journal's connection: virtual-machine
 * steps, and steps of full table scans. A count, not a time: the same on a
 * loaded machine, and far apart for an index lookup and a scan of 100k rows.
 */
static void sqlite_work(struct journal *j, int64_t *vm, int64_t *scan)
{
	*vm = *scan = 0;
	for (sqlite3_stmt *s = sqlite3_next_stmt(j->db, NULL); s; s = sqlite3_next_stmt(j->db, s)) {
		*vm += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_VM_STEP, 1);
		*scan += sqlite3_stmt_status(s, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	}
}

/*
 * journal_list alone (no count), checking the work it took: at most max_vm
 * steps, and a table walked only as far as the rows it returns (newest first
 * walks the rowids backwards).
 */
static size_t list_within(struct fixture *fx, const struct journal_filter *f, int64_t limit,
			  int64_t max_vm)
{
	struct collected c;
	memset(&c, 0, sizeof c);
	int64_t vm, scan;
	sqlite_work(fx->j, &vm, &scan);
	assert_int_equal(journal_list(fx->j, f, limit, 0, on_doc, &c, NULL), K_OK);
	sqlite_work(fx->j, &vm, &scan);
	assert_true(scan <= limit);
	assert_true(vm <= max_vm);
	return c.n;
}

static void journal_lookups__index_backed__on_100k_docs(void **state)
{
	struct fixture *fx = *state;
	/* Fill through a side connection in one transaction: quick, and the same file. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(fx->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(
	    sqlite3_prepare_v2(db,
			       "INSERT INTO documents(profile, provider, kind, type, ext_id, "
			       "body, total_kop, uuid, state, created_at, updated_at) VALUES "
			       "('shop', 'lifepay', 'receipt', 'payment', ?1, '{}', ?2, ?3, "
			       "'processed', ?4, ?4)",
			       -1, &s, NULL),
	    SQLITE_OK);
	enum { N = 100000 };
	for (int i = 0; i < N; i++) {
		char ext[32], uuid[48];
		snprintf(ext, sizeof ext, "ext-%08d", i);
		snprintf(uuid, sizeof uuid, "uuid-%08x-%04d", (unsigned)(i * 2654435761u),
			 i % 10000);
		sqlite3_bind_text(s, 1, ext, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, 100 + i % 5000);
		sqlite3_bind_text(s, 3, uuid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 4, T0 + i);
		assert_int_equal(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/*
	 * Work counted, not timed (speed is tests/bench/bench_journal.c's): a
	 * lookup through an index costs tens of steps, a scan of 100k rows
	 * hundreds of thousands.
	 */
	int64_t vm, scan;
	sqlite_work(fx->j, &vm, &scan);
	enum { LOOKUPS = 200 };
	for (int k = 0; k < LOOKUPS; k++) {
		int i = (k * 7919) % N;
		char key[48];
		if (k % 2)
			snprintf(key, sizeof key, "ext-%08d", i);
		else
			snprintf(key, sizeof key, "uuid-%08x-%04d", (unsigned)(i * 2654435761u),
				 i % 10000);
		struct journal_doc d;
		assert_int_equal(journal_find(fx->j, key, &d, NULL), K_OK);
		assert_int_equal(d.total, 100 + i % 5000);
		journal_doc_free(&d);
	}
	sqlite_work(fx->j, &vm, &scan);
	assert_int_equal(scan, 0);
	assert_true(vm / LOOKUPS < 500);

	/* Lists read only the rows they return, through an index. */
	for (int k = 0; k < 20; k++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "ext-000%02d", k);
		struct journal_filter f = {.text = prefix};
		assert_int_equal(list_within(fx, &f, 20, 20000), 20);
		assert_int_equal(list(fx, &f, 20, 0).n, 20);
	}
	assert_int_equal(list_within(fx, NULL, 50, 20000), 50);
	/* rare and common states, a short recent date range, an amount */
	struct journal_filter rare = {.by_state = true, .state = JS_FAILED};
	assert_int_equal(list_within(fx, &rare, 50, 20000), 0);
	struct journal_filter common = {.by_state = true, .state = JS_PROCESSED};
	assert_int_equal(list_within(fx, &common, 50, 20000), 50);
	struct journal_filter since = {.since = T0 + N - 5};
	assert_int_equal(list_within(fx, &since, 50, 20000), 5);
	struct collected last = list(fx, &since, 50, 0);
	assert_int_equal(last.n, 5);
	assert_true(last.ids[0] > last.ids[4]);
	struct journal_filter amount = {
	    .by_amount = true, .amount = 4242, .by_state = true, .state = JS_PROCESSED};
	assert_int_equal(list_within(fx, &amount, 50, 20000), N / 5000);
	int64_t depth;
	sqlite_work(fx->j, &vm, &scan);
	assert_int_equal(journal_outbox_depth(fx->j, &depth, NULL), K_OK);
	assert_int_equal(depth, 0);
	sqlite_work(fx->j, &vm, &scan);
	assert_int_equal(scan, 0);
	assert_true(vm < 5000);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(journal_list__filters_and_newest_first),
	    T(journal_lookups__index_backed__on_100k_docs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
