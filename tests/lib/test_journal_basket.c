/* Tests for the open basket in lib/journal.c: schema 4, save, load, clear with the enqueue. */
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
#include "tmpdir.h"
#include "util.h"

struct fixture {
	char dir[64];
	char path[128];
	struct journal *j;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("jbasket", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

static void fx_open(struct fixture *fx, int version)
{
	struct kerr err = {0};
	journal_close(fx->j);
	fx->j = NULL;
	assert_int_equal(journal_open_version(fx->path, version, &fx->j, &err), K_OK);
}

static struct journal_new_doc sale(const char *ext_id, bool clear)
{
	struct journal_new_doc d = {
	    .profile = "shop",
	    .provider = KPROVIDER_LIFEPAY,
	    .kind = "receipt",
	    .type = "payment",
	    .ext_id = ext_id,
	    .body = "{\"type\":\"payment\"}",
	    .total = 5490,
	    .cash = 5490,
	    .clear_open_basket = clear,
	};
	return d;
}

/* What the file holds, read by a second connection as another process would. */
static int64_t sql_int(struct fixture *fx, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static void journal_open__schema_3_with_documents__migrates_to_4_with_open_basket(void **state)
{
	struct fixture *fx = *state;
	fx_open(fx, 3);
	assert_int_equal(journal_schema_version(fx->j), 3);
	assert_int_equal(
	    sql_int(fx, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'open_basket'"), 0);
	struct journal_new_doc d = sale("old-1", false);
	assert_int_equal(journal_enqueue(fx->j, &d, NULL, NULL), K_OK);
	fx_open(fx, 0);
	assert_true(journal_schema_latest() >= 4);
	assert_int_equal(journal_schema_version(fx->j), journal_schema_latest());
	assert_int_equal(sql_int(fx, "SELECT MAX(version) FROM schema_version"),
			 journal_schema_latest());
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM documents WHERE ext_id = 'old-1'"), 1);
	struct journal_basket b;
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_NOTFOUND);
	assert_int_equal(journal_basket_save(fx->j, "shop", 2, "{\"v\":1}", NULL), K_OK);
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_OK);
	assert_int_equal(b.lines, 2);
	journal_basket_free(&b);
}

static void journal_basket_save__replaces_and_survives_reopen(void **state)
{
	struct fixture *fx = *state;
	fx_open(fx, 0);
	struct kerr err = {0};
	assert_int_equal(journal_basket_save(fx->j, "shop", 1, "one", &err), K_OK);
	assert_int_equal(journal_basket_save(fx->j, "shop", 4, "four", &err), K_OK);
	/* committed at once: another connection sees it without a close */
	assert_int_equal(sql_int(fx, "SELECT lines FROM open_basket"), 4);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM open_basket"), 1);
	fx_open(fx, 0);
	struct journal_basket b;
	assert_int_equal(journal_basket_load(fx->j, &b, &err), K_OK);
	assert_string_equal(b.profile, "shop");
	assert_int_equal(b.lines, 4);
	assert_string_equal(b.body, "four");
	assert_true(b.updated_at > 0);
	journal_basket_free(&b);
}

static void journal_basket_save__no_lines__clears(void **state)
{
	struct fixture *fx = *state;
	fx_open(fx, 0);
	assert_int_equal(journal_basket_save(fx->j, "shop", 2, "two", NULL), K_OK);
	assert_int_equal(journal_basket_save(fx->j, "shop", 0, "", NULL), K_OK);
	struct journal_basket b;
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_NOTFOUND);
	assert_int_equal(journal_basket_save(fx->j, "shop", 2, "two", NULL), K_OK);
	assert_int_equal(journal_basket_clear(fx->j, NULL), K_OK);
	assert_int_equal(journal_basket_clear(fx->j, NULL), K_OK);
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_NOTFOUND);
}

static void journal_enqueue__clear_open_basket__document_and_basket_swap_in_one_go(void **state)
{
	struct fixture *fx = *state;
	fx_open(fx, 0);
	struct kerr err = {0};
	struct journal_basket b;
	/* a document not from the basket (a refund, a cash-in) leaves it alone */
	assert_int_equal(journal_basket_save(fx->j, "shop", 3, "three", &err), K_OK);
	struct journal_new_doc other = sale("other-1", false);
	assert_int_equal(journal_enqueue(fx->j, &other, NULL, &err), K_OK);
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_OK);
	journal_basket_free(&b);
	/* a refused enqueue (same ext_id) keeps the basket: nothing was queued */
	struct journal_new_doc dup = sale("other-1", true);
	assert_int_equal(journal_enqueue(fx->j, &dup, NULL, &err), K_EXISTS);
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_OK);
	journal_basket_free(&b);
	/* the basket's own document: queued and the basket gone, together */
	struct journal_new_doc mine = sale("mine-1", true);
	assert_int_equal(journal_enqueue(fx->j, &mine, NULL, &err), K_OK);
	assert_int_equal(journal_basket_load(fx->j, &b, NULL), K_NOTFOUND);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM documents"), 2);
	assert_int_equal(sql_int(fx, "SELECT COUNT(*) FROM open_basket"), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(journal_open__schema_3_with_documents__migrates_to_4_with_open_basket),
	    T(journal_basket_save__replaces_and_survives_reopen),
	    T(journal_basket_save__no_lines__clears),
	    T(journal_enqueue__clear_open_basket__document_and_basket_swap_in_one_go),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
