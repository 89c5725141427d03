/* The outbox side: due documents, sending, replies, retries, batches. */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_int.h"

static kstatus ids_query(struct journal *j, enum stmt_id sid, int64_t now, int64_t *ids, size_t max,
			 size_t *n, struct kerr *err)
{
	*n = 0;
	if (max == 0)
		return K_OK;
	sqlite3_stmt *s = journal_st_get(j, sid, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return journal_db_error(j, rc, err);
	return K_OK;
}

kstatus journal_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
		    struct kerr *err)
{
	return ids_query(j, ST_DUE, now, ids, max, n, err);
}

kstatus journal_poll_due(struct journal *j, int64_t now, int64_t *ids, size_t max, size_t *n,
			 struct kerr *err)
{
	return ids_query(j, ST_POLL_DUE, now, ids, max, n, err);
}

static kstatus one_int64(struct journal *j, enum stmt_id sid, int64_t *out, bool *null,
			 struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, sid, err);
	if (!s)
		return K_DB;
	int rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return journal_db_error(j, rc, err);
	}
	if (null)
		*null = sqlite3_column_type(s, 0) == SQLITE_NULL;
	*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return K_OK;
}

kstatus journal_next_due(struct journal *j, int64_t *when, struct kerr *err)
{
	bool null = true;
	kstatus st = one_int64(j, ST_NEXT_DUE, when, &null, err);
	if (st != K_OK)
		return st;
	if (null)
		return kerr_set(err, K_NOTFOUND, "outbox", _("the outbox is empty"));
	return K_OK;
}

kstatus journal_outbox_depth(struct journal *j, int64_t *n, struct kerr *err)
{
	return one_int64(j, ST_DEPTH, n, NULL, err);
}

static kstatus mark_sending_locked(struct journal *j, int64_t id, int64_t now, struct kerr *err)
{
	struct head h;
	kstatus st;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state != JS_QUEUED)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s, not queued; it is not sent again"),
				id, _(journal_state_label(h.state)));
	sqlite3_stmt *s = journal_st_get(j, ST_SET_SENDING, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	if (j->version >= 3) {
		if (!(s = journal_st_get(j, ST_SET_SENT_AT, err)))
			return K_DB;
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, now);
		if ((st = journal_st_done(j, s, err)) != K_OK)
			return st;
	}
	char detail[64];
	snprintf(detail, sizeof detail, "attempt %d", h.attempts + 1);
	return journal_history_add(j, id, now, JS_QUEUED, JS_SENDING, JSRC_LOCAL, detail, err);
}

kstatus journal_mark_sending(struct journal *j, int64_t id, struct kerr *err)
{
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = mark_sending_locked(j, id, journal_now(j), err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

kstatus journal_mark_sending_many(struct journal *j, const int64_t *ids, size_t n, bool *marked,
				  struct kerr *err)
{
	for (size_t i = 0; i < n; i++)
		marked[i] = false;
	if (n == 0)
		return K_OK;
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t now = journal_now(j);
	for (size_t i = 0; i < n; i++) {
		struct kerr one;
		kerr_clear(&one);
		st = mark_sending_locked(j, ids[i], now, &one);
		if (journal_fatal(st)) {
			if (err)
				*err = one;
			return journal_tx_abort(j, st);
		}
		marked[i] = st == K_OK;
	}
	st = journal_tx_commit(j, err);
	if (st != K_OK)
		for (size_t i = 0; i < n; i++)
			marked[i] = false;
	return st;
}

kstatus journal_record_attempt(struct journal *j, int64_t id, int http_status, int provider_code,
			       const char *error_text, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_INSERT_ATTEMPT, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, journal_now(j));
	sqlite3_bind_int(s, 3, http_status);
	sqlite3_bind_int(s, 4, provider_code);
	journal_bind_text(s, 5, error_text ? error_text : "");
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"),
				id);
	if (rc != SQLITE_DONE)
		return journal_db_error(j, rc, err);
	return K_OK;
}

static kstatus reply_ok_locked(struct journal *j, int64_t id, const char *uuid,
			       const char *provider_receipt_id, int64_t now, struct kerr *err)
{
	uuid = uuid ? uuid : "";
	provider_receipt_id = provider_receipt_id ? provider_receipt_id : "";
	if (strlen(uuid) > UUID_TEXT_MAX || strlen(provider_receipt_id) >= JOURNAL_RECEIPT_ID_MAX)
		return kerr_set(err, K_INVALID, "uuid",
				_("the provider's document id is too long"));
	struct head h;
	kstatus st;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return st;
	enum journal_state to = h.test ? JS_VALIDATED : JS_ACCEPTED;
	if (!h.test && !*uuid && !*provider_receipt_id)
		return kerr_set(err, K_PROVIDER, "uuid",
				_("the provider accepted document #%" PRId64 " but sent no uuid"),
				id);
	if (h.state != JS_QUEUED && h.state != JS_SENDING) {
		/* A repeated reply (replay of a known document) changes nothing. */
		bool same = h.test ? h.state == JS_VALIDATED
				   : (strcmp(h.uuid, uuid) == 0 &&
				      strcmp(h.receipt_id, provider_receipt_id) == 0);
		if (same && h.state != JS_REJECTED)
			return K_OK;
		return kerr_set(err, K_REFUSED, "uuid",
				_("document #%" PRId64 " is %s with uuid \"%s\"; the reply naming "
				  "\"%s\" is not applied"),
				id, _(journal_state_label(h.state)), h.uuid, uuid);
	}
	int64_t next = provider_can(h.provider, PROVIDER_CAP_POLLS) && !h.test
			   ? now + JOURNAL_FIRST_POLL_MS
			   : 0;
	sqlite3_stmt *s = journal_st_get(j, ST_SET_ACCEPTED, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	journal_bind_text(s, 2, journal_state_word(to));
	journal_bind_text(s, 3, h.test ? "" : uuid);
	journal_bind_text(s, 4, h.test ? "" : provider_receipt_id);
	sqlite3_bind_int64(s, 5, next);
	sqlite3_bind_int64(s, 6, now);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	if (h.test)
		snprintf(detail, sizeof detail, "test mode: checked, nothing fiscalized");
	else if (*uuid)
		snprintf(detail, sizeof detail, "uuid %s", uuid);
	else
		snprintf(detail, sizeof detail, "receipt id %s", provider_receipt_id);
	if ((st = journal_history_add(j, id, now, (int)h.state, to, JSRC_REPLY, detail, err)) !=
	    K_OK)
		return st;
	if (!h.test) {
		h.state = to;
		if ((st = journal_adopt_early(j, &h, uuid, now, err)) != K_OK)
			return st;
		if (strcmp(provider_receipt_id, uuid) != 0 &&
		    (st = journal_adopt_early(j, &h, provider_receipt_id, now, err)) != K_OK)
			return st;
	}
	return K_OK;
}

kstatus journal_apply_reply_ok(struct journal *j, int64_t id, const char *uuid,
			       const char *provider_receipt_id, struct kerr *err)
{
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = reply_ok_locked(j, id, uuid, provider_receipt_id, journal_now(j), err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

static kstatus reply_rejected_locked(struct journal *j, int64_t id, int code, const char *text,
				     const char *flag_detail, int64_t now, struct kerr *err)
{
	text = text ? text : "";
	struct head h;
	kstatus st;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state == JS_REJECTED)
		return K_OK;
	if (h.state != JS_QUEUED && h.state != JS_SENDING)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s; a rejection now is not applied"),
				id, _(journal_state_label(h.state)));
	sqlite3_stmt *s = journal_st_get(j, ST_SET_ERROR, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	journal_bind_text(s, 2, journal_state_word(JS_REJECTED));
	sqlite3_bind_int(s, 3, code);
	journal_bind_text(s, 4, text);
	sqlite3_bind_int64(s, 5, now);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail, "%d: %s", code, text);
	st = journal_history_add(j, id, now, (int)h.state, JS_REJECTED, JSRC_REPLY, detail, err);
	if (st != K_OK || !flag_detail || !*flag_detail)
		return st;
	/* The rejection may not be the whole truth: the operator must look. */
	if (!(s = journal_st_get(j, ST_SET_FLAGGED, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	return journal_history_add(j, id, now, JS_REJECTED, JS_REJECTED, JSRC_LOCAL, flag_detail,
				   err);
}

kstatus journal_apply_reply_rejected(struct journal *j, int64_t id, int code, const char *text,
				     struct kerr *err)
{
	return journal_apply_reply_rejected_flagged(j, id, code, text, NULL, err);
}

kstatus journal_apply_reply_rejected_flagged(struct journal *j, int64_t id, int code,
					     const char *text, const char *flag_detail,
					     struct kerr *err)
{
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = reply_rejected_locked(j, id, code, text, flag_detail, journal_now(j), err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

static kstatus retry_locked(struct journal *j, int64_t id, int64_t next_attempt_at,
			    enum journal_source source, const char *reason, int64_t now,
			    struct kerr *err)
{
	reason = reason ? reason : "";
	struct head h;
	kstatus st;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return st;
	if (h.state != JS_QUEUED && h.state != JS_SENDING)
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is %s; it is not queued again"), id,
				_(journal_state_label(h.state)));
	sqlite3_stmt *s = journal_st_get(j, ST_SET_RETRY, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt_at);
	journal_bind_text(s, 3, reason);
	sqlite3_bind_int64(s, 4, now);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	if (h.state == JS_SENDING)
		return journal_history_add(j, id, now, JS_SENDING, JS_QUEUED, source, reason, err);
	return K_OK;
}

kstatus journal_schedule_retry(struct journal *j, int64_t id, int64_t next_attempt_at,
			       enum journal_source source, const char *reason, struct kerr *err)
{
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = retry_locked(j, id, next_attempt_at, source, reason, journal_now(j), err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

/* One outcome inside the caller's transaction; o->st gets its own result. */
static kstatus outcome_one(struct journal *j, struct journal_outcome *o, int64_t now)
{
	kerr_clear(&o->err);
	o->st = K_OK;
	if (o->record_attempt) {
		o->st = journal_record_attempt(j, o->id, o->http_status, o->provider_code,
					       o->attempt_error, &o->err);
		if (o->st != K_OK)
			return o->st;
	}
	switch (o->kind) {
	case JO_ACCEPTED:
		o->st = reply_ok_locked(j, o->id, o->uuid, o->receipt_id, now, &o->err);
		if (o->st == K_OK && o->poll_at) {
			sqlite3_stmt *s = journal_st_get(j, ST_SET_NEXT, &o->err);
			if (!s)
				return o->st = K_DB;
			sqlite3_bind_int64(s, 1, o->id);
			sqlite3_bind_int64(s, 2, o->poll_at);
			o->st = journal_st_done(j, s, &o->err);
		}
		if (o->st == K_PROVIDER) {
			/* Accepted without an id: ask again with the same ext_id, which names it.
			 */
			struct kerr why = o->err;
			kstatus r = retry_locked(j, o->id, o->next_attempt_at, JSRC_REPLY, why.text,
						 now, &o->err);
			if (r != K_OK)
				return o->st = r;
			o->err = why;
		}
		break;
	case JO_REJECTED:
		o->st =
		    reply_rejected_locked(j, o->id, o->code, o->text, o->flag_detail, now, &o->err);
		break;
	case JO_RETRY:
		o->st =
		    retry_locked(j, o->id, o->next_attempt_at, o->source, o->reason, now, &o->err);
		break;
	}
	return o->st;
}

kstatus journal_apply_outcomes(struct journal *j, struct journal_outcome *o, size_t n,
			       struct kerr *err)
{
	struct journal_batch b = {.outcomes = o, .noutcomes = n};
	return journal_apply_batch(j, &b, err);
}

kstatus journal_apply_batch(struct journal *j, struct journal_batch *b, struct kerr *err)
{
	for (size_t i = 0; i < b->nmark; i++)
		b->marked[i] = false;
	if (b->ncallbacks + b->noutcomes + b->nmark == 0)
		return K_OK;
	kstatus st = journal_tx_begin(j, err);
	int64_t now = journal_now(j);
	for (size_t i = 0; st == K_OK && i < b->ncallbacks; i++) {
		struct journal_callback_item *it = &b->callbacks[i];
		kerr_clear(&it->err);
		it->st = journal_callback_locked(j, &it->cb, &it->res, now, &it->err);
		if (journal_fatal(it->st)) {
			st = it->st;
			if (err)
				*err = it->err;
		}
	}
	for (size_t i = 0; st == K_OK && i < b->noutcomes; i++) {
		if (journal_fatal(outcome_one(j, &b->outcomes[i], now))) {
			st = b->outcomes[i].st;
			if (err)
				*err = b->outcomes[i].err;
		}
	}
	for (size_t i = 0; st == K_OK && i < b->nmark; i++) {
		struct kerr one;
		kerr_clear(&one);
		kstatus m = mark_sending_locked(j, b->mark[i], now, &one);
		if (journal_fatal(m)) {
			st = m;
			if (err)
				*err = one;
		}
		b->marked[i] = m == K_OK;
	}
	if (st == K_OK)
		st = journal_tx_commit(j, err);
	else
		journal_tx_abort(j, st);
	if (st != K_OK) {
		for (size_t i = 0; i < b->ncallbacks; i++) {
			b->callbacks[i].st = st;
			if (err)
				b->callbacks[i].err = *err;
			memset(&b->callbacks[i].res, 0, sizeof b->callbacks[i].res);
			b->callbacks[i].res.from = b->callbacks[i].res.to = JS_NONE;
		}
		for (size_t i = 0; i < b->noutcomes; i++) {
			b->outcomes[i].st = st;
			if (err)
				b->outcomes[i].err = *err;
		}
		for (size_t i = 0; i < b->nmark; i++)
			b->marked[i] = false;
	}
	return st;
}
