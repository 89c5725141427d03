/*
 * Refunds of paid bills in the journal (schema 9): what is left to refund
 * is checked inside the transaction that writes the refund, so two
 * cashiers (or a screen and the CLI) can never refund more than was paid.
 */
#include "journal_refund.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "i18n.h"
#include "journal_sql.h"
#include "money.h"
#include "util.h"

static const char *const words[] = {"new", "sending", "done", "refused"};
static const char *const labels[] = {N_("to be sent"), N_("sending"), N_("refunded"),
				     N_("refused by the provider")};

const char *refund_state_word(enum refund_state s)
{
	return (unsigned)s < 4 ? words[s] : "new";
}

const char *refund_state_label(enum refund_state s)
{
	return (unsigned)s < 4 ? labels[s] : labels[0];
}

static enum refund_state state_parse(const char *w)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(w, words[i]) == 0)
			return (enum refund_state)i;
	return REFUND_NEW;
}

static kstatus history(struct journal *j, int64_t bill_id, const char *detail, struct kerr *err)
{
	sqlite3_stmt *s = journal_sql_prepare(
	    j,
	    "INSERT INTO bill_history(bill_id, at, from_state, to_state, source,"
	    " detail) VALUES (?1, ?2, 'success', 'success', 'refund', ?3)",
	    err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, bill_id);
	sqlite3_bind_int64(s, 2, journal_clock_now(j));
	sqlite3_bind_text(s, 3, detail, -1, SQLITE_TRANSIENT);
	return journal_sql_step(j, s, err);
}

/* A random (version 4) uuid: LIFE PAY's idempotency key for the refund. */
static void uuid4(char out[40])
{
	unsigned char r[16];
	size_t got = 0;
	while (got < sizeof r) {
		ssize_t n = getrandom(r + got, sizeof r - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof r) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r)
			abort(); /* no randomness: never reuse an idempotency key */
		close(fd);
	}
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
		 r[13], r[14], r[15]);
}

kstatus journal_bill_refund_left(struct journal *j, const struct journal_bill *b, int64_t *left,
				 int64_t *refunded, struct kerr *err)
{
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT COALESCE(SUM(amount_kop), 0) FROM bill_refunds WHERE"
				" bill_id = ?1 AND state != 'refused'",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, b->id);
	int64_t done = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (refunded)
		*refunded = done;
	*left = b->amount > done ? b->amount - done : 0;
	return K_OK;
}

static void kop(int64_t v, char *out, size_t n)
{
	money_format_wire(v, out, n);
}

kstatus journal_bill_refund_insert(struct journal *j, int64_t bill_id, int64_t amount, int64_t *id,
				   struct kerr *err)
{
	kstatus st = journal_sql_begin(j, err);
	if (st != K_OK)
		return st;
	struct journal_bill b;
	if ((st = journal_bill_get(j, bill_id, &b, err)) != K_OK)
		return journal_sql_finish(j, st, err);
	int64_t left = 0, done = 0;
	char a[32], p[32], d[32];
	if (b.state != BILL_SUCCESS)
		st = kerr_set(err, K_REFUSED, "bill",
			      _("bill #%lld is %s: only a paid bill can be refunded"),
			      (long long)bill_id, bill_state_label(b.state));
	if (st == K_OK)
		st = journal_bill_refund_left(j, &b, &left, &done, err);
	kop(amount, a, sizeof a);
	kop(b.amount, p, sizeof p);
	kop(done, d, sizeof d);
	if (st == K_OK && left == 0)
		st = kerr_set(err, K_REFUSED, "amount",
			      _("nothing is left to refund: bill #%lld (%s) is refunded in full"),
			      (long long)bill_id, p);
	else if (st == K_OK && (amount < 0 || amount > left)) {
		char l[32];
		kop(left, l, sizeof l);
		st = kerr_set(err, K_REFUSED, "amount",
			      _("is %s, but at most %s can be refunded (paid %s, refunded %s)"), a,
			      l, p, d);
	}
	journal_bill_free(&b);
	if (st != K_OK)
		return journal_sql_finish(j, st, err);
	if (amount == 0)
		amount = left;
	char uuid[40];
	uuid4(uuid);
	int64_t now = journal_clock_now(j);
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"INSERT INTO bill_refunds(bill_id, uuid, amount_kop, state,"
				" created_at, updated_at) VALUES (?1, ?2, ?3, 'new', ?4, ?4)",
				err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_int64(s, 1, bill_id);
	sqlite3_bind_text(s, 2, uuid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 3, amount);
	sqlite3_bind_int64(s, 4, now);
	st = journal_sql_step(j, s, err);
	int64_t rid = sqlite3_last_insert_rowid(journal_db(j));
	char detail[128];
	kop(amount, a, sizeof a);
	snprintf(detail, sizeof detail, "refund #%lld of %s asked", (long long)rid, a);
	if (st == K_OK)
		st = history(j, bill_id, detail, err);
	st = journal_sql_finish(j, st, err);
	if (st == K_OK && id)
		*id = rid;
	return st;
}

#define REFUND_COLS                                                                                \
	"id, bill_id, uuid, amount_kop, state, number, COALESCE(receipt_doc_id, 0), next_at,"      \
	" last_error, created_at"

static void row(sqlite3_stmt *s, struct journal_refund *r)
{
	memset(r, 0, sizeof *r);
	char w[16];
	r->id = sqlite3_column_int64(s, 0);
	r->bill_id = sqlite3_column_int64(s, 1);
	str_copy(r->uuid, (const char *)sqlite3_column_text(s, 2), sizeof r->uuid);
	r->amount = sqlite3_column_int64(s, 3);
	str_copy(w, (const char *)sqlite3_column_text(s, 4), sizeof w);
	r->state = state_parse(w);
	str_copy(r->number, (const char *)sqlite3_column_text(s, 5), sizeof r->number);
	r->receipt_doc_id = sqlite3_column_int64(s, 6);
	r->next_at = sqlite3_column_int64(s, 7);
	str_copy(r->last_error, (const char *)sqlite3_column_text(s, 8), sizeof r->last_error);
	r->created_at = sqlite3_column_int64(s, 9);
}

kstatus journal_bill_refund_get(struct journal *j, int64_t id, struct journal_refund *out,
				struct kerr *err)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s =
	    journal_sql_prepare(j, "SELECT " REFUND_COLS " FROM bill_refunds WHERE id = ?1", err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	kstatus st = K_OK;
	if (sqlite3_step(s) == SQLITE_ROW)
		row(s, out);
	else
		st = kerr_set(err, K_NOTFOUND, "refund", _("there is no refund #%lld"),
			      (long long)id);
	sqlite3_finalize(s);
	return st;
}

kstatus journal_bill_refund_set(struct journal *j, int64_t id, enum refund_state to,
				const char *number, int64_t next_at, const char *detail,
				struct kerr *err)
{
	struct journal_refund r;
	kstatus st = journal_bill_refund_get(j, id, &r, err);
	if (st != K_OK)
		return st;
	if ((st = journal_sql_begin(j, err)) != K_OK)
		return st;
	sqlite3_stmt *s = journal_sql_prepare(
	    j,
	    "UPDATE bill_refunds SET state = ?2, number = CASE WHEN ?3 = '' THEN"
	    " number ELSE ?3 END, next_at = ?4, last_error = ?5, updated_at = ?6"
	    " WHERE id = ?1",
	    err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, refund_state_word(to), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, number ? number : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, next_at);
	sqlite3_bind_text(s, 5, detail ? detail : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 6, journal_clock_now(j));
	st = journal_sql_step(j, s, err);
	if (st == K_OK && r.state != to) {
		char h[JOURNAL_BILL_TEXT_MAX];
		snprintf(h, sizeof h, "refund #%lld %s%s%s%s", (long long)id, refund_state_word(to),
			 number && number[0] ? " number " : "", number ? number : "",
			 detail && detail[0] ? ": " : "");
		size_t hl = strlen(h);
		if (detail && detail[0] && hl < sizeof h)
			str_copy(h + hl, detail, sizeof h - hl);
		st = history(j, r.bill_id, h, err);
	}
	return journal_sql_finish(j, st, err);
}

kstatus journal_bill_refund_set_receipt(struct journal *j, int64_t id, int64_t doc_id,
					struct kerr *err)
{
	struct journal_refund r;
	kstatus st = journal_bill_refund_get(j, id, &r, err);
	if (st != K_OK)
		return st;
	if ((st = journal_sql_begin(j, err)) != K_OK)
		return st;
	sqlite3_stmt *s = journal_sql_prepare(
	    j, "UPDATE bill_refunds SET receipt_doc_id = ?2 WHERE id = ?1", err);
	if (!s)
		return journal_sql_finish(j, K_DB, err);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, doc_id);
	st = journal_sql_step(j, s, err);
	char h[96];
	snprintf(h, sizeof h, "refund #%lld receipt #%lld", (long long)id, (long long)doc_id);
	if (st == K_OK)
		st = history(j, r.bill_id, h, err);
	return journal_sql_finish(j, st, err);
}

kstatus journal_bill_refund_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
				struct kerr *err)
{
	*n = 0;
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT r.id FROM bill_refunds r JOIN bills b ON b.id = r.bill_id"
				" WHERE r.next_at <= ?1 AND (r.state = 'new' OR (r.state = 'done'"
				" AND r.receipt_doc_id IS NULL AND b.provider_prints = 0))"
				" ORDER BY r.id",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	while (*n < max && sqlite3_step(s) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_refund_reset_sending(struct journal *j, struct kerr *err)
{
	return journal_sql_exec(
	    j, "UPDATE bill_refunds SET state = 'new', next_at = 0 WHERE state = 'sending'", err);
}

kstatus journal_bill_refund_list(struct journal *j, int64_t bill_id,
				 bool (*cb)(const struct journal_refund *r, void *ctx), void *ctx,
				 struct kerr *err)
{
	sqlite3_stmt *s =
	    journal_sql_prepare(j,
				"SELECT " REFUND_COLS " FROM bill_refunds WHERE ?1 = 0 OR bill_id ="
				" ?1 ORDER BY id DESC",
				err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, bill_id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct journal_refund r;
		row(s, &r);
		if (!cb(&r, ctx))
			break;
	}
	sqlite3_finalize(s);
	return K_OK;
}

kstatus journal_bill_refund_confirm_tx(struct journal *j, struct kerr *err)
{
	return journal_sql_exec(
	    j,
	    "UPDATE tx_notifications SET confirmed = 1 WHERE type = 'refund' AND status ="
	    " 'success' AND confirmed = 0 AND number IN (SELECT number FROM bill_refunds"
	    " WHERE state = 'done' AND number != '')",
	    err);
}
