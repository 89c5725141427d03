/* The journal tests' fixture: see journal_fixture.h. */
#include "journal_fixture.h"
#include "tmpdir.h"

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

#include "util.h"

int64_t on_clock(void *ctx)
{
	return ((struct fixture *)ctx)->now;
}

void fx_open(struct fixture *fx)
{
	struct kerr err = {0};
	assert_int_equal(journal_open(fx->path, &fx->j, &err), K_OK);
	journal_set_clock(fx->j, on_clock, fx);
}

void fx_reopen(struct fixture *fx)
{
	journal_close(fx->j);
	fx->j = NULL;
	fx_open(fx);
}

int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("journal", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	fx->now = T0;
	fx_open(fx);
	*state = fx;
	return 0;
}

/* Closes and removes the journal files. */
void fx_wipe(struct fixture *fx)
{
	journal_close(fx->j);
	fx->j = NULL;
	/* The marker too: a wipe here means "begin an empty journal" on purpose. */
	tmpdir_empty(fx->dir);
}

int teardown(void **state)
{
	struct fixture *fx = *state;
	fx_wipe(fx);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

struct journal_new_doc sale(const char *ext_id, int64_t total)
{
	struct journal_new_doc d = {
	    .profile = "shop",
	    .provider = KPROVIDER_LIFEPAY,
	    .kind = "receipt",
	    .type = "payment",
	    .ext_id = ext_id,
	    .body = "{\"login\":\"\",\"apikey\":\"\",\"type\":\"payment\"}",
	    .total = total,
	    .card = total,
	};
	return d;
}

int64_t enqueue(struct fixture *fx, const struct journal_new_doc *d)
{
	int64_t id = 0;
	struct kerr err = {0};
	assert_int_equal(journal_enqueue(fx->j, d, &id, &err), K_OK);
	assert_true(id > 0);
	return id;
}

/* Enqueue, send and get accepted with uuid. */
int64_t accepted(struct fixture *fx, const char *ext_id, int64_t total, const char *uuid)
{
	struct journal_new_doc d = sale(ext_id, total);
	int64_t id = enqueue(fx, &d);
	assert_int_equal(journal_mark_sending(fx->j, id, NULL), K_OK);
	assert_int_equal(journal_apply_reply_ok(fx->j, id, uuid, NULL, NULL), K_OK);
	return id;
}

enum journal_state state_of(struct fixture *fx, int64_t id)
{
	struct journal_doc d;
	assert_int_equal(journal_get(fx->j, id, &d, NULL), K_OK);
	journal_doc_free(&d);
	return d.state;
}

static bool on_history(const struct journal_history_row *r, void *ctx)
{
	struct hist *h = ctx;
	if (h->n < 32)
		h->rows[h->n++] = *r;
	return true;
}

struct hist history(struct fixture *fx, int64_t id)
{
	struct hist h;
	memset(&h, 0, sizeof h);
	assert_int_equal(journal_history(fx->j, id, on_history, &h, NULL), K_OK);
	return h;
}

/* A direct look at the file, as support staff would with sqlite3. */
int64_t sql_int(struct fixture *fx, const char *sql)
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
