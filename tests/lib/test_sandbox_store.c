/* Tests for lib/sandbox/store.c: documents, shifts, callbacks, tokens, persistence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sandbox/internal.h"
#include "util.h"

static struct sb_doc doc(const char *uuid, const char *ext, const char *type, int64_t total,
			 const char *ref)
{
	struct sb_doc d;
	memset(&d, 0, sizeof d);
	str_copy(d.uuid, uuid, sizeof d.uuid);
	str_copy(d.login, "70000000000", sizeof d.login);
	str_copy(d.ext_id, ext, sizeof d.ext_id);
	str_copy(d.kind, "receipt", sizeof d.kind);
	str_copy(d.type, type, sizeof d.type);
	str_copy(d.printer, "P-1", sizeof d.printer);
	str_copy(d.tax_system, "osn", sizeof d.tax_system);
	str_copy(d.status, "pending", sizeof d.status);
	str_copy(d.outcome, "processed", sizeof d.outcome);
	str_copy(d.ref_uuid, ref, sizeof d.ref_uuid);
	d.total = total;
	d.card = total;
	d.due_ms = 100;
	return d;
}

static void store_doc__ext_id_unique_per_login__refunds_summed(void **state)
{
	(void)state;
	struct sb_store *st;
	assert_int_equal(sandbox_store_open(NULL, &st, NULL), K_OK);
	struct sb_doc a = doc("u-1", "e-1", "payment", 10000, "");
	assert_int_equal(sandbox_store_doc_insert(st, &a, NULL), K_OK);
	struct sb_doc dup = doc("u-2", "e-1", "payment", 5, "");
	assert_int_equal(sandbox_store_doc_insert(st, &dup, NULL), K_EXISTS);
	struct sb_doc noext1 = doc("u-3", "", "refund", 4000, "u-1");
	struct sb_doc noext2 = doc("u-4", "", "refund", 2500, "u-1");
	assert_int_equal(sandbox_store_doc_insert(st, &noext1, NULL), K_OK);
	assert_int_equal(sandbox_store_doc_insert(st, &noext2, NULL), K_OK);
	struct sb_doc got;
	assert_int_equal(sandbox_store_doc_by_ext(st, "70000000000", "e-1", &got, NULL), K_OK);
	assert_string_equal(got.uuid, "u-1");
	assert_int_equal(got.total, 10000);
	sandbox_doc_free(&got);
	assert_int_equal(sandbox_store_doc_by_ext(st, "70000000002", "e-1", &got, NULL),
			 K_NOTFOUND);
	int64_t sum = 0;
	assert_int_equal(sandbox_store_refunded(st, "u-1", &sum, NULL), K_OK);
	assert_int_equal(sum, 6500);
	/* A refund that ended in error does not count. */
	assert_int_equal(sandbox_store_doc_get(st, "u-4", &got, NULL), K_OK);
	str_copy(got.status, "error", sizeof got.status);
	assert_int_equal(sandbox_store_doc_finish(st, &got, NULL), K_OK);
	sandbox_doc_free(&got);
	assert_int_equal(sandbox_store_refunded(st, "u-1", &sum, NULL), K_OK);
	assert_int_equal(sum, 4000);
	/* Due documents come oldest first; next_due sees them. */
	assert_int_equal(sandbox_store_next_due(st), 100);
	assert_int_equal(sandbox_store_doc_due(st, 99, &got, NULL), K_NOTFOUND);
	assert_int_equal(sandbox_store_doc_due(st, 100, &got, NULL), K_OK);
	sandbox_doc_free(&got);
	json_t *ledger = sandbox_store_ledger(st, NULL);
	assert_int_equal(json_array_size(ledger), 3);
	json_t *first = json_array_get(ledger, 0);
	assert_string_equal(json_string_value(json_object_get(first, "total")), "100.00");
	assert_string_equal(json_string_value(json_object_get(first, "refunded")), "40.00");
	assert_int_equal(json_array_size(json_object_get(first, "refunds")), 2);
	json_decref(ledger);
	sandbox_store_close(st);
}

static void store_shift__open_close_totals(void **state)
{
	(void)state;
	struct sb_store *st;
	assert_int_equal(sandbox_store_open(":memory:", &st, NULL), K_OK);
	struct sb_shift s;
	assert_int_equal(sandbox_store_shift_open_get(st, "P-1", &s, NULL), K_NOTFOUND);
	assert_int_equal(sandbox_store_shift_open(st, "P-1", 1, 5000, &s, NULL), K_OK);
	struct sb_doc a = doc("u-1", "", "payment", 10000, "");
	a.shift_id = s.id;
	a.cash = 10000;
	a.card = 0;
	a.change = 500;
	struct sb_doc b = doc("u-2", "", "refund", 3000, "");
	b.shift_id = s.id;
	assert_int_equal(sandbox_store_doc_insert(st, &a, NULL), K_OK);
	assert_int_equal(sandbox_store_doc_insert(st, &b, NULL), K_OK);
	struct sb_totals t;
	assert_int_equal(sandbox_store_shift_totals(st, s.id, &t, NULL), K_OK);
	assert_int_equal(t.count[0], 1);
	assert_int_equal(t.sum[0], 10000);
	assert_int_equal(t.cash[0], 9500);
	assert_int_equal(t.count[1], 1);
	assert_int_equal(t.card[1], 3000);
	struct sb_shift open;
	assert_int_equal(sandbox_store_shift_open_get(st, "P-1", &open, NULL), K_OK);
	assert_int_equal(open.opened_ms, 5000);
	assert_int_equal(sandbox_store_shift_close(st, s.id, 9000, NULL), K_OK);
	assert_int_equal(sandbox_store_shift_open_get(st, "P-1", &open, NULL), K_NOTFOUND);
	struct sb_printer_state p, q;
	assert_int_equal(sandbox_store_printer(st, "P-1", &p, NULL), K_OK);
	assert_int_equal(strlen(p.fn), 16);
	assert_int_equal(p.next_fd, 1);
	p.drawer = 12345;
	p.next_fd = 7;
	assert_int_equal(sandbox_store_printer_save(st, &p, NULL), K_OK);
	assert_int_equal(sandbox_store_printer(st, "P-1", &q, NULL), K_OK);
	assert_string_equal(p.fn, q.fn);
	assert_int_equal(q.drawer, 12345);
	assert_int_equal(q.next_fd, 7);
	sandbox_store_close(st);
}

static void store_tokens_and_callbacks(void **state)
{
	(void)state;
	struct sb_store *st;
	assert_int_equal(sandbox_store_open(NULL, &st, NULL), K_OK);
	char tok[64];
	assert_int_equal(sandbox_store_token_get(st, "u", 1000, 500, tok, sizeof tok, NULL),
			 K_NOTFOUND);
	assert_int_equal(sandbox_store_token_add(st, "u", "T1", 1000, NULL), K_OK);
	assert_int_equal(sandbox_store_token_get(st, "u", 1400, 500, tok, sizeof tok, NULL), K_OK);
	assert_string_equal(tok, "T1");
	assert_int_equal(sandbox_store_token_check(st, "u", "T1", 1499, 500, NULL), K_OK);
	assert_int_equal(sandbox_store_token_check(st, "u", "T1", 1500, 500, NULL), K_NOTFOUND);
	assert_int_equal(sandbox_store_token_check(st, "v", "T1", 1100, 500, NULL), K_NOTFOUND);
	struct sb_callback c = {0};
	str_copy(c.provider, "lifepay", sizeof c.provider);
	str_copy(c.ref, "u-1", sizeof c.ref);
	c.url = (char *)"http://127.0.0.1:1/";
	c.content_type = (char *)"application/x-www-form-urlencoded";
	c.body = (char *)"data=%7B%7D";
	c.max_attempts = 10;
	c.next_ms = 50;
	assert_int_equal(sandbox_store_cb_add(st, &c, NULL), K_OK);
	struct sb_callback got;
	assert_int_equal(sandbox_store_cb_due(st, 49, &got, NULL), K_NOTFOUND);
	assert_int_equal(sandbox_store_cb_due(st, 50, &got, NULL), K_OK);
	assert_string_equal(got.body, "data=%7B%7D");
	got.attempts = 1;
	got.next_ms = 200;
	str_copy(got.last_result, "HTTP 500", sizeof got.last_result);
	assert_int_equal(sandbox_store_cb_save(st, &got, NULL), K_OK);
	sandbox_callback_free(&got);
	assert_int_equal(sandbox_store_next_due(st), 200);
	assert_int_equal(sandbox_store_reset(st, NULL), K_OK);
	assert_int_equal(sandbox_store_next_due(st), -1);
	sandbox_store_close(st);
}

static void store_file__survives_reopen(void **state)
{
	(void)state;
	char path[] = "/tmp/kassa-store-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct sb_store *st;
	assert_int_equal(sandbox_store_open(path, &st, NULL), K_OK);
	struct sb_doc a = doc("u-1", "e-1", "payment", 100, "");
	assert_int_equal(sandbox_store_doc_insert(st, &a, NULL), K_OK);
	struct sb_shift s;
	assert_int_equal(sandbox_store_shift_open(st, "P-1", 1, 5, &s, NULL), K_OK);
	sandbox_store_close(st);
	assert_int_equal(sandbox_store_open(path, &st, NULL), K_OK);
	struct sb_doc got;
	assert_int_equal(sandbox_store_doc_by_ext(st, "70000000000", "e-1", &got, NULL), K_OK);
	sandbox_doc_free(&got);
	assert_int_equal(sandbox_store_shift_open_get(st, "P-1", &s, NULL), K_OK);
	sandbox_store_close(st);
	/* Not a database: a clear error naming the file. */
	FILE *f = fopen(path, "w");
	fputs("this is not sqlite, just text long enough to look like a header......", f);
	fclose(f);
	struct kerr e = {0};
	assert_int_equal(sandbox_store_open(path, &st, &e), K_DB);
	assert_non_null(strstr(e.text, path));
	unlink(path);
	char side[64];
	snprintf(side, sizeof side, "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", path);
	unlink(side);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(store_doc__ext_id_unique_per_login__refunds_summed),
	    cmocka_unit_test(store_shift__open_close_totals),
	    cmocka_unit_test(store_tokens_and_callbacks),
	    cmocka_unit_test(store_file__survives_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
