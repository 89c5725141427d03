/* Moves by hand and at start-up: transitions, replays, flushes, staleness. */
#include "journal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "i18n.h"
#include "journal_int.h"
#include "util.h"

kstatus journal_transition(struct journal *j, int64_t id, enum journal_state to,
			   enum journal_source source, const char *detail, struct kerr *err)
{
	if (!journal_outcome_state_ok(to))
		return kerr_set(err, K_INVALID, "state",
				_("a poll or the operator can only set accepted, processed, "
				  "provider retry or failed"));
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	struct head h;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return journal_tx_abort(j, st);
	bool applied;
	st = journal_outcome_apply(j, &h, to, source, 0, detail, journal_now(j), &applied, err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

kstatus journal_replay(struct journal *j, int64_t id, struct kerr *err)
{
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	struct head h;
	if ((st = journal_head_by_id(j, id, &h, err)) != K_OK)
		return journal_tx_abort(j, st);
	if (h.state != JS_ACCEPTED && h.state != JS_PROVIDER_RETRY) {
		kerr_set(err, K_REFUSED, "state",
			 _("document #%" PRId64 " is %s; only a document whose fate is unknown "
			   "(accepted or provider retry) can be replayed"),
			 id, _(journal_state_label(h.state)));
		return journal_tx_abort(j, K_REFUSED);
	}
	int64_t now = journal_now(j);
	sqlite3_stmt *s = journal_st_get(j, ST_SET_REPLAY, err);
	if (!s)
		return journal_tx_abort(j, K_DB);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	if ((st = journal_st_done(j, s, err)) != K_OK)
		return journal_tx_abort(j, st);
	st = journal_history_add(j, id, now, (int)h.state, JS_QUEUED, JSRC_OPERATOR,
				 "replayed with the same ext_id", err);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	return journal_tx_commit(j, err);
}

kstatus journal_set_next_attempt(struct journal *j, int64_t id, int64_t at, struct kerr *err)
{
	sqlite3_stmt *s = journal_st_get(j, ST_SET_NEXT, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, at);
	kstatus st = journal_st_done(j, s, err);
	if (st == K_OK && sqlite3_changes(j->db) == 0)
		return kerr_set(err, K_NOTFOUND, "id", _("no document #%" PRId64 " in the journal"),
				id);
	return st;
}

kstatus journal_flush(struct journal *j, int64_t *count, struct kerr *err)
{
	if (count)
		*count = 0;
	sqlite3_stmt *s = journal_st_get(j, ST_FLUSH, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, journal_now(j));
	kstatus st = journal_st_done(j, s, err);
	if (st == K_OK && count)
		*count = sqlite3_changes(j->db);
	return st;
}

kstatus journal_flush_profile(struct journal *j, const char *profile, int64_t *count,
			      struct kerr *err)
{
	if (count)
		*count = 0;
	sqlite3_stmt *s = journal_st_get(j, ST_FLUSH_PROFILE, err);
	if (!s)
		return K_DB;
	sqlite3_bind_int64(s, 1, journal_now(j));
	journal_bind_text(s, 2, profile ? profile : "");
	kstatus st = journal_st_done(j, s, err);
	if (st == K_OK && count)
		*count = sqlite3_changes(j->db);
	return st;
}

/* Collects the ids a statement yields (bound with ?1 = arg when has_arg). */
static kstatus collect_ids(struct journal *j, enum stmt_id sid, bool has_arg, int64_t arg,
			   int64_t **ids, size_t *n, struct kerr *err)
{
	*ids = NULL;
	*n = 0;
	sqlite3_stmt *s = journal_st_get(j, sid, err);
	if (!s)
		return K_DB;
	if (has_arg)
		sqlite3_bind_int64(s, 1, arg);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		*ids = xrealloc(*ids, (*n + 1) * sizeof **ids);
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return journal_db_error(j, rc, err);
	}
	return K_OK;
}

kstatus journal_resume_on_start(struct journal *j, int64_t *count, struct kerr *err)
{
	if (count)
		*count = 0;
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t *ids;
	size_t n;
	if ((st = collect_ids(j, ST_SENDING_IDS, false, 0, &ids, &n, err)) != K_OK)
		return journal_tx_abort(j, st);
	int64_t now = journal_now(j);
	for (size_t i = 0; i < n && st == K_OK; i++) {
		sqlite3_stmt *s = journal_st_get(j, ST_SET_REPLAY, err);
		if (!s) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, ids[i]);
		sqlite3_bind_int64(s, 2, now);
		if ((st = journal_st_done(j, s, err)) == K_OK)
			st = journal_history_add(
			    j, ids[i], now, JS_SENDING, JS_QUEUED, JSRC_RESTART,
			    "kassa stopped while sending; resent with the same ext_id", err);
	}
	free(ids);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	if ((st = journal_tx_commit(j, err)) != K_OK)
		return st;
	if (count)
		*count = (int64_t)n;
	return K_OK;
}

kstatus journal_flag_stale(struct journal *j, int64_t older_than_ms, int64_t *count,
			   struct kerr *err)
{
	if (count)
		*count = 0;
	kstatus st = journal_tx_begin(j, err);
	if (st != K_OK)
		return st;
	int64_t now = journal_now(j);
	sqlite3_stmt *s = journal_st_get(j, j->version >= 3 ? ST_STALE_IDS : ST_STALE_IDS_V2, err);
	if (!s)
		return journal_tx_abort(j, K_DB);
	sqlite3_bind_int64(s, 1, now - older_than_ms);
	struct {
		int64_t id;
		enum journal_state state;
	} *list = NULL;
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		list = xrealloc(list, (n + 1) * sizeof *list);
		list[n].id = sqlite3_column_int64(s, 0);
		list[n].state = journal_col_state(s, 1);
		n++;
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		free(list);
		journal_db_error(j, rc, err);
		return journal_tx_abort(j, K_DB);
	}
	char detail[JOURNAL_TEXT_MAX];
	snprintf(detail, sizeof detail,
		 "no final status after %" PRId64 " s; flagged: replay it or check the cabinet",
		 older_than_ms / 1000);
	for (size_t i = 0; i < n && st == K_OK; i++) {
		if (!(s = journal_st_get(j, ST_SET_FLAGGED, err))) {
			st = K_DB;
			break;
		}
		sqlite3_bind_int64(s, 1, list[i].id);
		if ((st = journal_st_done(j, s, err)) == K_OK)
			st = journal_history_add(j, list[i].id, now, (int)list[i].state,
						 list[i].state, JSRC_LOCAL, detail, err);
	}
	free(list);
	if (st != K_OK)
		return journal_tx_abort(j, st);
	if ((st = journal_tx_commit(j, err)) != K_OK)
		return st;
	if (count)
		*count = (int64_t)n;
	return K_OK;
}
