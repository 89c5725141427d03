/* Callbacks and polls: raw rows kept, early callbacks adopted, outcomes applied. */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_int.h"
#include "util.h"

/*
 * A callback already stored byte for byte (same uuid, document, content type
 * and body, and so the same parsed outcome): its row counts one more replay. *done tells whether it
 * was one. Bodiless rows (polls) are not compared.
 */
static kstatus raw_replay(struct journal *j, int64_t now, int64_t doc_id,
			  const struct journal_callback *cb, bool *done, struct kerr *err)
{
	*done = false;
	if (j->version < 5 || !cb->body)
		return K_OK;
	sqlite3_stmt *s = journal_st_get(j, ST_RAW_SAME, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, cb->uuid);
	if (doc_id)
		sqlite3_bind_int64(s, 2, doc_id);
	else
		sqlite3_bind_null(s, 2);
	journal_bind_text(s, 3, cb->content_type ? cb->content_type : "");
	size_t len = cb->body_len;
	if (!doc_id && len > JOURNAL_RAW_UNKNOWN_BODY_MAX)
		len = JOURNAL_RAW_UNKNOWN_BODY_MAX; /* as it was stored */
	sqlite3_bind_blob64(s, 4, cb->body, len, SQLITE_STATIC);
	journal_bind_text(s, 5, journal_state_word(cb->state));
	journal_bind_text(s, 6, journal_source_word(cb->source));
	sqlite3_bind_int(s, 7, cb->error_code);
	journal_bind_text(s, 8, cb->detail ? cb->detail : "");
	int rc = sqlite3_step(s);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return journal_db_error(j, rc, err);
	if (!id)
		return K_OK;
	if (!(s = journal_st_get(j, ST_RAW_REPLAY, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	*done = true;
	return journal_st_done(j, s, err);
}

/* Unknown-uuid rows: older than the retention go, then all but the newest cap. */
static kstatus raw_unknown_trim(struct journal *j, int64_t now, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_RAW_EXPIRE, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now - JOURNAL_RAW_UNKNOWN_KEEP_MS);
	kstatus st = journal_st_done(j, s, err);
	if (st != K_OK)
		return st;
	if (!(s = journal_st_get(j, ST_RAW_TRIM, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, JOURNAL_RAW_UNKNOWN_MAX);
	return journal_st_done(j, s, err);
}

static kstatus raw_insert(struct journal *j, int64_t now, int64_t doc_id, bool applied,
			  const struct journal_callback *cb, struct kerr *err)
{
	bool replay = false;
	kstatus rst = raw_replay(j, now, doc_id, cb, &replay, err);
	if (rst != K_OK || replay)
		return rst;
	sqlite3_stmt *s = journal_st_get(j, ST_INSERT_RAW, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, now);
	if (doc_id)
		sqlite3_bind_int64(s, 2, doc_id);
	else
		sqlite3_bind_null(s, 2);
	journal_bind_text(s, 3, cb->uuid);
	journal_bind_text(s, 4, cb->content_type ? cb->content_type : "");
	/* A body for no document of ours is kept only in part (the parsed
	 * outcome is in its own columns). */
	size_t len = cb->body_len;
	if (!doc_id && j->version >= 5 && len > JOURNAL_RAW_UNKNOWN_BODY_MAX)
		len = JOURNAL_RAW_UNKNOWN_BODY_MAX;
	if (cb->body)
		sqlite3_bind_blob64(s, 5, cb->body, len, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	sqlite3_bind_int(s, 6, applied ? 1 : 0);
	journal_bind_text(s, 7, journal_state_word(cb->state));
	journal_bind_text(s, 8, journal_source_word(cb->source));
	sqlite3_bind_int(s, 9, cb->error_code);
	journal_bind_text(s, 10, cb->detail ? cb->detail : "");
	kstatus st = journal_st_done(j, s, err);
	if (st == K_OK && !doc_id && j->version >= 5)
		st = raw_unknown_trim(j, now, err);
	return st;
}

/*
 * The outcome of a callback or poll for a known document (in a
 * transaction): decides whether it is a change, a repeat or a conflict.
 */
kstatus journal_outcome_apply(struct journal *j, struct head *h, enum journal_state to,
			      enum journal_source src, int code, const char *detail, int64_t now,
			      bool *applied, struct kerr *err)
{
	*applied = false;
	if (h->state == to)
		return K_OK;
	if (h->test)
		return kerr_set(err, K_REFUSED, "uuid",
				_("document #%" PRId64 " is a test document; the provider sends "
				  "it no status"),
				h->id);
	if (journal_state_final(h->state))
		return kerr_set(err, K_REFUSED, "state",
				_("document #%" PRId64 " is already %s; a later \"%s\" is kept "
				  "but not applied"),
				h->id, _(journal_state_label(h->state)),
				_(journal_state_label(to)));
	sqlite3_stmt *s = journal_st_get(j, ST_SET_FINAL_CB, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, h->id);
	journal_bind_text(s, 2, journal_state_word(to));
	sqlite3_bind_int(s, 3, to == JS_PROCESSED ? 0 : code);
	journal_bind_text(s, 4, to == JS_PROCESSED ? "" : (detail ? detail : ""));
	sqlite3_bind_int64(s, 5, now);
	kstatus st = journal_st_done(j, s, err);
	if (st != K_OK)
		return st;
	char text[JOURNAL_TEXT_MAX];
	if (code)
		snprintf(text, sizeof text, "%d: %s", code, detail ? detail : "");
	else
		snprintf(text, sizeof text, "%s", detail ? detail : "");
	if ((st = journal_history_add(j, h->id, now, (int)h->state, to, src, text, err)) != K_OK)
		return st;
	h->state = to;
	*applied = true;
	return K_OK;
}

/* Callbacks that reached us before the reply told us their uuid. */
kstatus journal_adopt_early(struct journal *j, struct head *h, const char *key, int64_t now,
			    struct kerr *err)
{
	if (!key || !*key || j->version < 2) /* raw_callbacks came with version 2 */
		return K_OK;
	struct early {
		int64_t id;
		enum journal_state state;
		enum journal_source src;
		int code;
		char detail[JOURNAL_TEXT_MAX];
	} *list = NULL;
	size_t n = 0;
	sqlite3_stmt *s = journal_st_get(j, ST_EARLY_RAW, err);
	if (!s)
		return K_DB;
	journal_bind_text(s, 1, key);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		list = xrealloc(list, (n + 1) * sizeof *list);
		struct early *e = &list[n++];
		e->id = sqlite3_column_int64(s, 0);
		e->state = journal_col_state(s, 1);
		e->src = JSRC_CALLBACK;
		journal_source_parse((const char *)sqlite3_column_text(s, 2), &e->src);
		e->code = sqlite3_column_int(s, 3);
		journal_col_text(s, 4, e->detail, sizeof e->detail);
	}
	sqlite3_reset(s);
	kstatus st = K_OK;
	if (rc != SQLITE_DONE)
		st = journal_db_error(j, rc, err);
	for (size_t i = 0; st == K_OK && i < n; i++) {
		bool applied = false;
		struct kerr ignore;
		kstatus a = journal_outcome_apply(j, h, list[i].state, list[i].src, list[i].code,
						  list[i].detail, now, &applied, &ignore);
		if (a == K_DB || a == K_BUSY || a == K_IO) {
			st = a;
			if (err)
				*err = ignore;
			break;
		}
		if (!(s = journal_st_get(j, ST_ADOPT_RAW, err))) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, list[i].id);
		sqlite3_bind_int64(s, 2, h->id);
		sqlite3_bind_int(s, 3, applied ? 1 : 0);
		st = journal_st_done(j, s, err);
	}
	free(list);
	return st;
}

bool journal_outcome_state_ok(enum journal_state s)
{
	return s == JS_PROCESSED || s == JS_PROVIDER_RETRY || s == JS_FAILED || s == JS_ACCEPTED;
}

/*
 * A callback whose uuid we do not know but whose ext_id is ours: the reply
 * that would have told us the uuid was lost. A document without a uuid takes
 * the callback's; one with another uuid keeps its own and is flagged, since
 * two uuids for one ext_id is something a person must look at.
 */
static kstatus adopt_by_ext_id(struct journal *j, struct head *h, const struct journal_callback *cb,
			       int64_t now, bool *conflict, struct kerr *err)
{
	*conflict = false;
	sqlite3_stmt *s;
	kstatus st;
	if (!h->uuid[0] && !h->receipt_id[0]) {
		if (strlen(cb->uuid) > UUID_TEXT_MAX)
			return kerr_set(err, K_INVALID, "uuid",
					_("the callback's uuid is too long"));
		if (!(s = journal_st_get(j, ST_SET_UUID, err)))
			return K_DB;
		sqlite3_bind_int64(s, 1, h->id);
		journal_bind_text(s, 2, cb->uuid);
		sqlite3_bind_int64(s, 3, now);
		if ((st = journal_st_done(j, s, err)) != K_OK)
			return st;
		str_copy(h->uuid, cb->uuid, sizeof h->uuid);
		char detail[JOURNAL_TEXT_MAX];
		snprintf(
		    detail, sizeof detail,
		    "uuid %.64s learnt from a callback naming ext_id %.64s (the reply was lost)",
		    cb->uuid, cb->ext_id);
		return journal_history_add(j, h->id, now, (int)h->state, h->state, JSRC_CALLBACK,
					   detail, err);
	}
	*conflict = true;
	if (!(s = journal_st_get(j, ST_SET_FLAGGED, err)))
		return K_DB;
	sqlite3_bind_int64(s, 1, h->id);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return st;
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail,
		 "a callback for ext_id %.64s names uuid %.64s but the journal holds %.64s; "
		 "kept the stored one, callback not applied: check the cabinet",
		 cb->ext_id, cb->uuid, h->uuid[0] ? h->uuid : h->receipt_id);
	return journal_history_add(j, h->id, now, (int)h->state, h->state, JSRC_CALLBACK, detail,
				   err);
}

kstatus journal_callback_locked(struct journal *j, const struct journal_callback *cb,
				struct journal_callback_result *res, int64_t now, struct kerr *err)
{
	memset(res, 0, sizeof *res);
	res->from = res->to = JS_NONE;
	if (!cb->uuid || !*cb->uuid)
		return kerr_set(err, K_INVALID, "uuid", _("the callback carries no uuid"));
	if (!journal_outcome_state_ok(cb->state) || cb->state == JS_ACCEPTED)
		return kerr_set(err, K_INVALID, "status",
				_("a callback can only make a document processed, provider "
				  "retry or failed"));
	if (cb->source != JSRC_CALLBACK && cb->source != JSRC_POLL && cb->source != JSRC_RELAY)
		return kerr_set(err, K_INVALID, "source",
				_("a callback's source is callback, relay or poll"));
	struct head h;
	kstatus st = journal_head_load(j, ST_HEAD_BY_UUID, 0, cb->uuid, &h, err);
	if (st == K_NOTFOUND)
		st = journal_head_load(j, ST_HEAD_BY_RECEIPT, 0, cb->uuid, &h, err);
	bool by_ext = false;
	if (st == K_NOTFOUND && cb->ext_id && *cb->ext_id) {
		st = journal_head_load(j, ST_HEAD_BY_EXT, 0, cb->ext_id, &h, err);
		by_ext = st == K_OK;
	}
	if (st == K_NOTFOUND) {
		if ((st = raw_insert(j, now, 0, false, cb, err)) != K_OK)
			return st;
		return kerr_set(err, K_NOTFOUND, "uuid",
				_("no document with uuid %s in this journal; the callback is kept "
				  "but not applied"),
				cb->uuid);
	}
	if (st != K_OK)
		return st;
	res->doc_id = h.id;
	res->from = (int)h.state;
	if (by_ext) {
		bool conflict = false;
		if ((st = adopt_by_ext_id(j, &h, cb, now, &conflict, err)) != K_OK)
			return st;
		if (conflict) {
			if ((st = raw_insert(j, now, h.id, false, cb, err)) != K_OK)
				return st;
			res->to = (int)h.state;
			res->flagged = true;
			return kerr_set(err, K_REFUSED, "uuid",
					_("document #%" PRId64 " has uuid %s, the callback for its "
					  "ext_id names %s; flagged, not applied"),
					h.id, h.uuid[0] ? h.uuid : h.receipt_id, cb->uuid);
		}
	}
	bool applied = false;
	struct kerr why;
	kerr_clear(&why);
	kstatus outcome = journal_outcome_apply(j, &h, cb->state, cb->source, cb->error_code,
						cb->detail, now, &applied, &why);
	if (outcome != K_OK && outcome != K_REFUSED) {
		if (err)
			*err = why;
		return outcome;
	}
	if ((st = raw_insert(j, now, h.id, applied, cb, err)) != K_OK)
		return st;
	res->applied = applied || by_ext;
	res->to = (int)h.state;
	if (outcome == K_REFUSED && err)
		*err = why;
	return outcome;
}

kstatus journal_apply_callback(struct journal *j, const struct journal_callback *cb,
			       struct journal_callback_result *res, struct kerr *err)
{
	struct journal_callback_result dummy;
	if (!res)
		res = &dummy;
	memset(res, 0, sizeof *res);
	res->from = res->to = JS_NONE;
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	st = journal_callback_locked(j, cb, res, journal_now(j), err);
	if (st == K_INVALID)
		return journal_tx_abort(j, st);
	kstatus end = journal_tx_end(j, st, err);
	if (end != st || journal_fatal(st))
		memset(res, 0, sizeof *res), res->from = res->to = JS_NONE;
	return end;
}

kstatus journal_apply_callbacks(struct journal *j, struct journal_callback_item *items, size_t n,
				struct kerr *err)
{
	struct journal_batch b = {.callbacks = items, .ncallbacks = n};
	return journal_apply_batch(j, &b, err);
}
