/* Queuing a document (with the refund rule) and what is left to refund. */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "i18n.h"
#include "journal_check.h"
#include "journal_int.h"
#include "journal_link.h"
#include "money.h"

/* True when the body carries a credential that must not be stored. */
static bool body_has_secret(const char *body)
{
	const char *p = body;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p == '{') {
		json_t *root = json_loads(body, JSON_DECODE_ANY, NULL);
		if (!root)
			return false;
		bool bad = false;
		static const char *const keys[] = {"apikey", "password", "token", "secret"};
		for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
			const char *v = json_string_value(json_object_get(root, keys[i]));
			if (v && *v)
				bad = true;
		}
		json_decref(root);
		return bad;
	}
	/* form-urlencoded: a non-empty token= field */
	for (const char *q = body; (q = strstr(q, "token=")) != NULL; q += 6) {
		if ((q == body || q[-1] == '&') && q[6] && q[6] != '&')
			return true;
	}
	return false;
}

/* Within a transaction: what is left on original_uuid; K_NOTFOUND without err text. */
static kstatus refund_left_locked(struct journal *j, const char *uuid, int64_t *total,
				  int64_t *refunded, enum journal_state *state, char *type,
				  size_t type_n, bool *test, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_ORIGINAL, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, uuid);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s);
		return K_NOTFOUND;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
	}
	*total = sqlite3_column_int64(s, 0);
	*state = journal_col_state(s, 1);
	journal_col_text(s, 2, type, type_n);
	*test = sqlite3_column_int(s, 3) != 0;
	sqlite3_reset(s);
	if (!(s = journal_st_get(j, ST_REFUNDED, err)))
		return K_DB;
	journal_bind_text(s, 1, uuid);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
	}
	*refunded = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return K_OK;
}

/* The refund rule, with its messages; K_NOTFOUND gets a message too. */
static kstatus refund_check_locked(struct journal *j, const char *ref_uuid, int64_t amount,
				   int64_t *left_out, struct kerr *err)
{
	int64_t total = 0, refunded = 0;
	enum journal_state state;
	char type[JOURNAL_WORD_MAX];
	bool test;
	kstatus st = refund_left_locked(j, ref_uuid, &total, &refunded, &state, type, sizeof type,
					&test, err);
	if (st == K_NOTFOUND)
		return kerr_set(err, K_NOTFOUND, "ref_uuid",
				_("no document with uuid %s in this journal; check the uuid (the "
				  "provider checks refunds of sales made elsewhere)"),
				ref_uuid);
	if (st != K_OK)
		return st;
	if (strcmp(type, "refund") == 0 || strcmp(type, "buy_refund") == 0)
		return kerr_set(err, K_REFUSED, "ref_uuid",
				_("%s is itself a refund; cite the original sale's uuid"),
				ref_uuid);
	if (test || state == JS_FAILED || state == JS_REJECTED || state == JS_VALIDATED)
		return kerr_set(err, K_REFUSED, "ref_uuid",
				_("%s was not fiscalized (%s), so there is nothing to refund"),
				ref_uuid, _(journal_state_label(state)));
	int64_t left = total - refunded;
	if (left < 0)
		left = 0;
	if (left_out)
		*left_out = left;
	if (amount <= 0)
		return kerr_set(err, K_INVALID, "amount", _("a refund amount must be above zero"));
	if (amount > left) {
		char a[32], l[32], t[32], r[32];
		money_format_wire(amount, a, sizeof a);
		money_format_wire(left, l, sizeof l);
		money_format_wire(total, t, sizeof t);
		money_format_wire(refunded, r, sizeof r);
		if (left == 0)
			return kerr_set(err, K_REFUSED, "amount",
					_("%s is already refunded in full (%s of %s); nothing is "
					  "left to refund"),
					ref_uuid, r, t);
		return kerr_set(err, K_REFUSED, "amount",
				_("refund of %s is more than is left on %s: %s left of %s (%s "
				  "already refunded); refund at most %s"),
				a, ref_uuid, l, t, r, l);
	}
	return K_OK;
}

/*
 * The rotated backup at each Z-report (the day's end): a failure never fails
 * the Z-report, it is left in journal_warning().
 */
static void auto_backup(struct journal *j)
{
	struct kerr e = {0};
	char made[512];
	if (journal_backup_rotate(j->db, j->path, made, sizeof made, &e) != K_OK)
		snprintf(j->warning, sizeof j->warning,
			 _("the Z-report's journal backup failed: %s"), e.text);
}

kstatus journal_enqueue(struct journal *j, const struct journal_new_doc *d, int64_t *id,
			struct kerr *err)
{
	if (id)
		*id = 0;
	if (!d->ext_id || !*d->ext_id)
		return kerr_set(err, K_INVALID, "ext_id", _("a document needs an ext_id"));
	if (strlen(d->ext_id) > EXT_ID_MAX)
		return kerr_set(err, K_INVALID, "ext_id", _("ext_id is longer than %d characters"),
				EXT_ID_MAX);
	if (!d->kind || !*d->kind)
		return kerr_set(err, K_INVALID, "kind", _("a document needs its kind"));
	if ((unsigned)d->provider >= KPROVIDER_COUNT)
		return kerr_set(err, K_INVALID, "provider", _("unknown provider"));
	if (!d->body || !*d->body)
		return kerr_set(err, K_INVALID, "body", _("a document needs its request body"));
	if (body_has_secret(d->body))
		return kerr_set(err, K_INVALID, "body",
				_("the request body holds a credential; journal it without apikey "
				  "or token, the sender adds them"));
	if (d->total < 0 || d->card < 0 || d->cash < 0 || d->change < 0)
		return kerr_set(err, K_INVALID, "total", _("amounts cannot be negative"));
	if (d->ref_uuid && strlen(d->ref_uuid) > UUID_TEXT_MAX)
		return kerr_set(err, K_INVALID, "ref_uuid", _("ref_uuid is too long"));

	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	if (d->ref_uuid && *d->ref_uuid && !d->test) {
		st = refund_check_locked(j, d->ref_uuid, d->total, NULL, err);
		if (st == K_NOTFOUND)
			kerr_clear(err); /* a sale made elsewhere: the provider checks it */
		else if (st != K_OK)
			return journal_tx_abort(j, st);
	}
	int64_t now = journal_now(j);
	sqlite3_stmt *s = journal_st_get(j, ST_INSERT_DOC, err);
	if (!s)
		return journal_tx_abort(j, K_DB);
	journal_bind_text(s, 1, d->profile ? d->profile : "");
	journal_bind_text(s, 2, provider_word(d->provider));
	journal_bind_text(s, 3, d->kind);
	journal_bind_text(s, 4, d->type ? d->type : "");
	journal_bind_text(s, 5, d->ext_id);
	journal_bind_text(s, 6, d->body);
	sqlite3_bind_int64(s, 7, d->total);
	sqlite3_bind_int64(s, 8, d->card);
	sqlite3_bind_int64(s, 9, d->cash);
	sqlite3_bind_int64(s, 10, d->change);
	sqlite3_bind_int64(s, 11, now);
	if (d->ref_uuid && *d->ref_uuid)
		journal_bind_text(s, 12, d->ref_uuid);
	else
		sqlite3_bind_null(s, 12);
	sqlite3_bind_int(s, 13, d->test ? 1 : 0);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		int64_t owner = 0;
		sqlite3_stmt *o = journal_st_get(j, ST_EXT_ID_OWNER, NULL);
		if (o) {
			journal_bind_text(o, 1, d->ext_id);
			if (sqlite3_step(o) == SQLITE_ROW)
				owner = sqlite3_column_int64(o, 0);
			sqlite3_reset(o);
		}
		kerr_set(err, K_EXISTS, "ext_id",
			 _("ext_id %s is already in the journal (document #%" PRId64
			   "); a resend reuses that document, a new sale needs a new ext_id"),
			 d->ext_id, owner);
		return journal_tx_abort(j, K_EXISTS);
	}
	if (rc != SQLITE_DONE) {
		journal_db_error(j, rc, err);
		return journal_tx_abort(j, K_DB);
	}
	int64_t new_id = sqlite3_last_insert_rowid(j->db);
	st = journal_history_add(j, new_id, now, JS_NONE, JS_QUEUED, JSRC_LOCAL, "created", err);
	if (st == K_OK)
		st = journal_link_enqueued(j->db, new_id, d, now, err);
	if (st == K_OK && d->clear_open_basket)
		st = journal_st_simple(j, ST_BASKET_CLEAR, err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	if ((st = journal_tx_commit(j, err)) != K_OK)
		return st;
	if (id)
		*id = new_id;
	if (strcmp(d->kind, "z-report") == 0 && !d->test)
		auto_backup(j);
	return K_OK;
}

kstatus journal_refund_left(struct journal *j, const char *original_uuid, int64_t *left,
			    struct kerr *err)
{
	*left = 0;
	if (!original_uuid || !*original_uuid)
		return kerr_set(err, K_INVALID, "ref_uuid", _("give the original sale's uuid"));
	int64_t total, refunded;
	enum journal_state state;
	char type[JOURNAL_WORD_MAX];
	bool test;
	kstatus st = refund_left_locked(j, original_uuid, &total, &refunded, &state, type,
					sizeof type, &test, err);
	if (st == K_NOTFOUND)
		return kerr_set(err, K_NOTFOUND, "ref_uuid",
				_("no document with uuid %s in this journal"), original_uuid);
	if (st != K_OK)
		return st;
	if (test || state == JS_FAILED || state == JS_REJECTED || state == JS_VALIDATED)
		return K_OK; /* nothing was fiscalized */
	*left = total > refunded ? total - refunded : 0;
	return K_OK;
}

kstatus journal_check_refund(struct journal *j, const char *ref_uuid, int64_t amount,
			     struct kerr *err)
{
	if (!ref_uuid || !*ref_uuid)
		return kerr_set(err, K_INVALID, "ref_uuid",
				_("a refund needs the original's uuid"));
	return refund_check_locked(j, ref_uuid, amount, NULL, err);
}
