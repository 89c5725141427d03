/*
 * The requests a provider asks for beside the sends (see outbox_int.h): its
 * login token, polls of accepted documents until they are final, and the
 * search for a document a lost reply created. The provider builds each
 * request and reads each reply; the jobs and the journal stay here.
 */
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- the token ---- */

/*
 * The token step failed: every due document of this profile gets an attempt
 * with the reason (issue 11: a TLS error or a 401 left no trace without -v)
 * and its next try by the retry schedule, as a failed send would.
 */
static void token_failed(struct outbox *ob, int http_status, const char *msg)
{
	int64_t ids[DUE_WINDOW];
	size_t n = 0;
	struct kerr e = {0};
	if (journal_due(ob->j, now_ms(), ids, DUE_WINDOW, &n, &e) != K_OK) {
		ob_set_last_error(ob, e.text);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (ob_is_foreign(ob, ids[i]) || ob_job_exists(ob, JOB_SEND, ids[i]))
			continue;
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(ob->j, ids[i], &d, &e) != K_OK)
			continue;
		bool ours = strcmp(d.profile, ob->p.name) == 0 && d.provider == ob->p.provider;
		journal_doc_free(&d);
		if (!ours || journal_mark_sending(ob->j, ids[i], &e) != K_OK)
			continue;
		int64_t delay =
		    retry_delay_ms(ob->p.retry_schedule, ob->p.retry_count, d.attempts + 1) *
		    ob->unit / 1000;
		if (journal_record_attempt(ob->j, ids[i], http_status, 0, msg, &e) != K_OK ||
		    journal_schedule_retry(ob->j, ids[i], now_ms() + delay, JSRC_LOCAL, msg, &e) !=
			K_OK)
			ob_set_last_error(ob, e.text);
		ob_notify(ob, ids[i]);
	}
}

static void on_token_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	ob_note_reach(ob, res);
	ob_job_unlink(ob, jb);
	free(jb);
	char msg[320];
	if (ob->prov.ops->follow.token_reply(&ob->prov, res, msg, sizeof msg)) {
		ob->last_error[0] = '\0';
		ob_log(ob, "%s token renewed", ob->prov.ops->name);
		ob_kick(ob);
		return;
	}
	ob_set_last_error(ob, msg);
	ob->prov.token.retry_at = mono_ms() + ob_scaled_s(ob, 10);
	token_failed(ob, res->outcome == NET_OK ? (int)res->http_status : 0, msg);
}

static void fetch_token(struct outbox *ob)
{
	if (ob_job_exists(ob, JOB_TOKEN, 0) || mono_ms() < ob->prov.token.retry_at)
		return;
	struct job *jb = ob_job_new(ob, JOB_TOKEN, 0);
	struct provider_request rq = {0};
	struct kerr e = {0};
	if (ob->prov.ops->follow.token_request(&ob->prov, &rq, &e) != K_OK) {
		provider_request_free(&rq);
		ob_job_unlink(ob, jb);
	} else if (ob_job_send(ob, jb, &rq, on_token_done, &e)) {
		return;
	}
	free(jb);
	ob_set_last_error(ob, e.text);
}

bool ob_need_token(struct outbox *ob)
{
	if (!ob->prov.ops->follow.token_request || provider_token_valid(&ob->prov))
		return false;
	fetch_token(ob);
	return true;
}

/* ---- finding a document that a lost reply created ---- */

static size_t search_page(const struct outbox *ob)
{
	return ob->opt.recover_page ? ob->opt.recover_page : 1000;
}

static bool search_request(struct outbox *ob, struct job *jb);

static void on_search_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	ob_note_reach(ob, res);
	ob_job_unlink(ob, jb);
	struct provider_outcome pc;
	memset(&pc, 0, sizeof pc);
	size_t page = search_page(ob);
	enum provider_search s =
	    ob->prov.ops->follow.search_reply(&ob->prov, res, jb->ext_id, page, &pc);
	/* At most a hundred pages: past them, never call it a rejection. */
	if (s == PS_MORE && jb->from >= (int64_t)page * 100)
		s = PS_UNKNOWN;
	switch (s) {
	case PS_FOUND:
		ob_log(ob, "document #%" PRId64 ": %s already holds it as receipt %s", jb->doc_id,
		       ob->prov.ops->name, pc.uuid);
		ob_accepted(ob, jb, pc.uuid, pc.receipt_id);
		break;
	case PS_MORE: {
		/* A full page: the receipt may be on the next one. */
		struct job *next = ob_job_new(ob, JOB_RECOVER, jb->doc_id);
		next->attempt = jb->attempt;
		str_copy(next->ext_id, jb->ext_id, sizeof next->ext_id);
		str_copy(next->refusal, jb->refusal, sizeof next->refusal);
		next->created_at = jb->created_at;
		next->from = jb->from + (int64_t)page;
		if (!search_request(ob, next)) {
			ob_retry_later(ob, jb, 0, 0, false, jb->refusal);
			free(next);
		}
		break;
	}
	case PS_NONE:
		ob_rejected(ob, jb, 0, jb->refusal, false);
		break;
	case PS_UNKNOWN:
		/* Could not look, or could not tell: again later, same receipt_key. */
		ob_retry_later(ob, jb, (int)res->http_status, 0, false, jb->refusal);
		break;
	}
	ob_notify(ob, jb->doc_id);
	free(jb);
	ob_kick(ob);
}

/* Asks for one page of documents since this one was created; false (unlinked) if it cannot. */
static bool search_request(struct outbox *ob, struct job *jb)
{
	struct provider_request rq = {0};
	if (!ob->prov.ops->follow.search_request(&ob->prov, jb->created_at, jb->from,
						 search_page(ob), &rq)) {
		provider_request_free(&rq);
		ob_job_unlink(ob, jb);
		return false;
	}
	return ob_job_send(ob, jb, &rq, on_search_done, NULL);
}

void ob_start_search(struct outbox *ob, struct job *sent, const char *refusal)
{
	if (!ob->prov.ops->follow.search_request) {
		ob_rejected(ob, sent, 0, refusal, false);
		return;
	}
	struct job *jb = ob_job_new(ob, JOB_RECOVER, sent->doc_id);
	jb->attempt = sent->attempt;
	str_copy(jb->ext_id, sent->ext_id, sizeof jb->ext_id);
	str_copy(jb->refusal, refusal, sizeof jb->refusal);
	/*
	 * The first attempt may lie days back (a kassa switched off over the
	 * weekend right after a lost reply): search from the document's day.
	 */
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, sent->doc_id, &d, NULL) == K_OK)
		jb->created_at = d.created_at;
	journal_doc_free(&d);
	if (!search_request(ob, jb)) {
		ob_retry_later(ob, jb, 0, 0, false, refusal);
		free(jb);
	}
}

/* ---- polls ---- */

static long long poll_delay(const struct outbox *ob, int64_t created_at)
{
	long long age = now_ms() - created_at;
	long long lo = ob_scaled_s(ob, POLL_MIN_S), hi = ob_scaled_s(ob, POLL_MAX_S);
	long long d = age / 2;
	return d < lo ? lo : d > hi ? hi : d;
}

static void on_poll_done(void *cls, const struct net_result *res)
{
	struct job *jb = cls;
	struct outbox *ob = jb->ob;
	ob_note_reach(ob, res);
	ob_job_unlink(ob, jb);
	int64_t id = jb->doc_id;
	free(jb);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, id, &d, NULL) != K_OK)
		return;
	bool still = !journal_state_final(d.state);
	if (res->outcome == NET_OK && res->http_status == 200) {
		struct provider_outcome pc;
		memset(&pc, 0, sizeof pc);
		ob->prov.ops->status.poll_reply(&ob->prov, res, &pc);
		struct journal_callback_result r;
		struct kerr e = {0};
		if (pc.verdict != PV_PENDING &&
		    ob_apply_status(ob, &pc, JSRC_POLL, res->body, res->body_len, res->content_type,
				    &r, &e) == K_OK)
			still = false;
	} else {
		ob_log(ob, "document #%" PRId64 ": poll failed: %s (HTTP %ld)", id,
		       net_outcome_str(res->outcome), res->http_status);
	}
	if (still)
		journal_set_next_attempt(ob->j, id, now_ms() + poll_delay(ob, d.created_at), NULL);
	journal_doc_free(&d);
	ob_kick(ob);
}

static void start_poll(struct outbox *ob, int64_t id)
{
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(ob->j, id, &d, NULL) != K_OK)
		return;
	if (strcmp(d.profile, ob->p.name) != 0 || d.provider != ob->p.provider) {
		ob_add_foreign(ob, id);
		journal_doc_free(&d);
		return;
	}
	struct provider_request rq = {0};
	bool ok = ob->prov.ops->status.poll_request(&ob->prov, d.uuid, d.provider_receipt_id, &rq);
	journal_doc_free(&d);
	if (!ok) {
		/* Nothing to ask about: look again much later rather than every tick. */
		provider_request_free(&rq);
		journal_set_next_attempt(ob->j, id, now_ms() + ob_scaled_s(ob, POLL_MAX_S), NULL);
		return;
	}
	struct job *jb = ob_job_new(ob, JOB_POLL, id);
	if (!ob_job_send(ob, jb, &rq, on_poll_done, NULL))
		free(jb);
}

/* Receipts whose next poll is due, while there are free slots. */
void ob_start_polls(struct outbox *ob)
{
	size_t cap = ob_capacity(ob);
	if (!(ob->prov.ops->caps & PROVIDER_CAP_POLLS) || ob->njobs >= cap)
		return;
	int64_t ids[DUE_WINDOW];
	size_t n = 0;
	if (journal_poll_due(ob->j, now_ms(), ids, DUE_WINDOW, &n, NULL) != K_OK)
		return;
	for (size_t i = 0; i < n && ob->njobs < cap; i++)
		if (!ob_is_foreign(ob, ids[i]) && !ob_job_exists(ob, JOB_POLL, ids[i]))
			start_poll(ob, ids[i]);
}
