#include "journal_link.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "journal_sql.h"
#include "util.h"

#define ORDER_COLS                                                                                 \
	"p.doc_id, p.order_body, p.order_total_kop, p.prepaid_kop, p.contact,"                     \
	" COALESCE(p.settled_by, 0), COALESCE(f.state, ''), d.state, p.created_at, " REFUND_OF_D
/* The newest refund citing the prepayment receipt d that stands (0 = none). */
#define REFUND_OF_D                                                                                \
	"(SELECT COALESCE(MAX(r.id), 0) FROM documents r WHERE d.uuid IS NOT NULL"                 \
	" AND r.ref_uuid = d.uuid AND r.type = 'refund' AND r.state NOT IN ('rejected', "          \
	"'failed'))"
#define ORDER_FROM                                                                                 \
	" FROM prepaid_orders p JOIN documents d ON d.id = p.doc_id"                               \
	" LEFT JOIN documents f ON f.id = p.settled_by"
/* A settlement that never became fiscal leaves the order open. */
#define ORDER_OPEN                                                                                 \
	" (p.settled_by IS NULL OR f.state IN ('rejected', 'failed')) AND " REFUND_OF_D " = 0"

static kstatus db_fail(sqlite3 *db, struct kerr *err)
{
	return kerr_set(err, K_DB, "", _("journal error: %s"), sqlite3_errmsg(db));
}

static void money_text(int64_t kop, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRId64 ".%02" PRId64, kop / 100, kop % 100);
}

static void order_from_row(sqlite3_stmt *s, struct journal_prepaid *o)
{
	memset(o, 0, sizeof *o);
	o->doc_id = sqlite3_column_int64(s, 0);
	const unsigned char *body = sqlite3_column_text(s, 1);
	o->order_body = xstrdup(body ? (const char *)body : "");
	o->order_total = sqlite3_column_int64(s, 2);
	o->prepaid = sqlite3_column_int64(s, 3);
	const unsigned char *c = sqlite3_column_text(s, 4);
	str_copy(o->contact, c ? (const char *)c : "", sizeof o->contact);
	o->settled_by = sqlite3_column_int64(s, 5);
	const unsigned char *fs = sqlite3_column_text(s, 6), *ds = sqlite3_column_text(s, 7);
	if (!fs || !journal_state_parse((const char *)fs, &o->settled_state))
		o->settled_state = JS_QUEUED;
	if (!ds || !journal_state_parse((const char *)ds, &o->state))
		o->state = JS_QUEUED;
	o->created_at = sqlite3_column_int64(s, 8);
	o->refunded_by = sqlite3_column_int64(s, 9);
}

static bool settlement_stands(const struct journal_prepaid *o)
{
	return o->settled_by && o->settled_state != JS_REJECTED && o->settled_state != JS_FAILED;
}

kstatus journal_link_open_check(const struct journal_prepaid *o, struct kerr *err)
{
	if (o->state == JS_REJECTED || o->state == JS_FAILED || o->state == JS_VALIDATED)
		return kerr_set(err, K_REFUSED, "prepayment_amount",
				_("the prepayment receipt #%" PRId64 " is %s: nothing was prepaid, "
				  "so there is nothing to settle"),
				o->doc_id, _(journal_state_label(o->state)));
	if (o->refunded_by)
		return kerr_set(err, K_REFUSED, "prepayment_amount",
				_("the prepayment receipt #%" PRId64 " was refunded by #%" PRId64
				  ": nothing prepaid is left to settle"),
				o->doc_id, o->refunded_by);
	if (settlement_stands(o))
		return kerr_set(err, K_EXISTS, "prepayment_amount",
				_("order #%" PRId64 " is settled already by receipt #%" PRId64
				  "; an order settles once"),
				o->doc_id, o->settled_by);
	return K_OK;
}

static kstatus get_order(sqlite3 *db, int64_t doc_id, struct journal_prepaid *out, struct kerr *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, "SELECT " ORDER_COLS ORDER_FROM " WHERE p.doc_id = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_fail(db, err);
	sqlite3_bind_int64(s, 1, doc_id);
	int rc = sqlite3_step(s);
	kstatus st = K_OK;
	if (rc == SQLITE_ROW)
		order_from_row(s, out);
	else if (rc == SQLITE_DONE)
		st = kerr_set(err, K_NOTFOUND, "prepayment_amount",
			      _("document #%" PRId64 " took no prepayment: nothing to settle"),
			      doc_id);
	else
		st = db_fail(db, err);
	sqlite3_finalize(s);
	return st;
}

static kstatus exec_bound(sqlite3 *db, const char *sql, int64_t a, int64_t b, const char *t1,
			  const char *t2, int64_t c, int64_t d, struct kerr *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err);
	int n = sqlite3_bind_parameter_count(s);
	if (n >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (n >= 2)
		sqlite3_bind_int64(s, 2, b);
	if (n >= 3)
		sqlite3_bind_text(s, 3, t1 ? t1 : "", -1, SQLITE_TRANSIENT);
	if (n >= 4)
		sqlite3_bind_text(s, 4, t2 ? t2 : "", -1, SQLITE_TRANSIENT);
	if (n >= 5)
		sqlite3_bind_int64(s, 5, c);
	if (n >= 6)
		sqlite3_bind_int64(s, 6, d);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? K_OK : db_fail(db, err);
}

static kstatus link_final(sqlite3 *db, int64_t id, const struct journal_new_doc *d,
			  struct kerr *err)
{
	struct journal_prepaid o;
	kstatus st = get_order(db, d->settles, &o, err);
	if (st != K_OK)
		return st;
	char a[32], b[32];
	if ((st = journal_link_open_check(&o, err)) != K_OK) {
		/* named above */
	} else if (d->prepayment != o.prepaid) {
		money_text(o.prepaid, a, sizeof a);
		money_text(d->prepayment, b, sizeof b);
		st = kerr_set(err, K_INVALID, "prepayment_amount",
			      _("is %s, but receipt #%" PRId64 " prepaid %s: the final receipt "
				"offsets exactly what was prepaid"),
			      b, o.doc_id, a);
	} else if (d->total > o.prepaid + d->card + d->cash - d->change) {
		money_text(d->total - o.prepaid - (d->card + d->cash - d->change), a, sizeof a);
		st = kerr_set(err, K_INVALID, "card_amount",
			      _("%s is still to pay: the settlement is at most what was prepaid "
				"plus what is paid now"),
			      a);
	}
	journal_prepaid_free(&o);
	if (st != K_OK)
		return st;
	return exec_bound(db, "UPDATE prepaid_orders SET settled_by = ?1 WHERE doc_id = ?2", id,
			  d->settles, NULL, NULL, 0, 0, err);
}

kstatus journal_link_enqueued(sqlite3 *db, int64_t id, const struct journal_new_doc *d, int64_t now,
			      struct kerr *err)
{
	if (d->settles)
		return link_final(db, id, d, err);
	if (!d->order_body || !*d->order_body || d->test)
		return K_OK;
	return exec_bound(db,
			  "INSERT INTO prepaid_orders(doc_id, order_total_kop, order_body,"
			  " contact, prepaid_kop, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			  id, d->order_total, d->order_body, d->contact, d->total, now, err);
}

kstatus journal_link_get(struct journal *j, int64_t doc_id, struct journal_prepaid *out,
			 struct kerr *err)
{
	memset(out, 0, sizeof *out);
	return get_order(journal_db(j), doc_id, out, err);
}

kstatus journal_link_settles(struct journal *j, int64_t final_id, int64_t *prepaid_id,
			     struct kerr *err)
{
	sqlite3 *db = journal_db(j);
	sqlite3_stmt *s = NULL;
	*prepaid_id = 0;
	if (sqlite3_prepare_v2(db, "SELECT doc_id FROM prepaid_orders WHERE settled_by = ?1", -1,
			       &s, NULL) != SQLITE_OK)
		return db_fail(db, err);
	sqlite3_bind_int64(s, 1, final_id);
	int rc = sqlite3_step(s);
	kstatus st = rc == SQLITE_ROW ? K_OK : rc == SQLITE_DONE ? K_NOTFOUND : db_fail(db, err);
	if (rc == SQLITE_ROW)
		*prepaid_id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return st;
}

kstatus journal_link_list(struct journal *j, const char *contact, bool open_only,
			  bool (*cb)(const struct journal_prepaid *o, void *ctx), void *ctx,
			  struct kerr *err)
{
	sqlite3 *db = journal_db(j);
	sqlite3_stmt *s = NULL;
	const char *sql = open_only ? "SELECT " ORDER_COLS ORDER_FROM
				      " WHERE instr(lower(p.contact), lower(?1)) > 0 AND" ORDER_OPEN
				      " ORDER BY p.doc_id DESC"
				    : "SELECT " ORDER_COLS ORDER_FROM
				      " WHERE instr(lower(p.contact), lower(?1)) > 0"
				      " ORDER BY p.doc_id DESC";
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, err);
	sqlite3_bind_text(s, 1, contact ? contact : "", -1, SQLITE_TRANSIENT);
	int rc;
	bool go = true;
	while (go && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct journal_prepaid o;
		order_from_row(s, &o);
		go = cb(&o, ctx);
		journal_prepaid_free(&o);
	}
	kstatus st = go && rc != SQLITE_DONE ? db_fail(db, err) : K_OK;
	sqlite3_finalize(s);
	return st;
}

void journal_prepaid_free(struct journal_prepaid *o)
{
	free(o->order_body);
	o->order_body = NULL;
}
