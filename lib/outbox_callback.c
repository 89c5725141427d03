/*
 * Callbacks and their listener (see outbox.h): the provider named by the path's suffix parses
 * and verifies one into a status outcome; it is committed here (with the
 * group commit when the provider's callbacks may wait for it) before the
 * answer goes out.
 */
#include "outbox_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bill.h"
#include "i18n.h"
#include "util.h"

static int reply_text(char *reply, size_t n, int status, const char *text)
{
	str_copy(reply, text, n);
	return status;
}

/* A provider's status verdict as the journal's state; false for PV_PENDING and sends. */
static bool verdict_state(enum provider_verdict v, enum journal_state *to)
{
	switch (v) {
	case PV_PROCESSED:
		*to = JS_PROCESSED;
		return true;
	case PV_PROVIDER_RETRY:
		*to = JS_PROVIDER_RETRY;
		return true;
	case PV_FAILED:
		*to = JS_FAILED;
		return true;
	default:
		return false;
	}
}

/* The journal's callback for a status outcome (pointers into pc). */
static void status_callback(const struct provider_outcome *pc, enum journal_state to,
			    enum journal_source source, const char *body, size_t len,
			    const char *content_type, struct journal_callback *jc)
{
	*jc = (struct journal_callback){.uuid = pc->uuid,
					.state = to,
					.source = source,
					.error_code = pc->provider_code,
					.detail = pc->text,
					.body = body,
					.body_len = len,
					.content_type = content_type,
					.ext_id = pc->ext_id[0] ? pc->ext_id : NULL};
}

kstatus ob_apply_status(struct outbox *ob, const struct provider_outcome *pc,
			enum journal_source source, const char *body, size_t len,
			const char *content_type, struct journal_callback_result *res,
			struct kerr *err)
{
	memset(res, 0, sizeof *res);
	enum journal_state to;
	if (!verdict_state(pc->verdict, &to))
		return K_NOTFOUND; /* still on its way: nothing to apply */
	struct journal_callback jc;
	status_callback(pc, to, source, body, len, content_type, &jc);
	kstatus st = journal_apply_callback(ob->j, &jc, res, err);
	if (res->applied || res->flagged)
		ob_notify(ob, res->doc_id);
	return st;
}

/* The answer to a callback once the journal has had its say. */
int ob_callback_answer(struct outbox *ob, const struct journal_callback *jc, kstatus st,
		       const struct journal_callback_result *res, const struct kerr *e, char *reply,
		       size_t reply_n)
{
	int status = 200;
	enum journal_state to = jc->state;
	switch (st) {
	case K_OK:
		ob_log(ob, "callback for %s: %s%s", jc->uuid, journal_state_word(to),
		       res->applied ? "" : " (no change)");
		reply_text(reply, reply_n, 200, "OK");
		break;
	case K_NOTFOUND:
		ob_log(ob, "callback for unknown uuid %s kept, not applied", jc->uuid);
		reply_text(reply, reply_n, 200, "OK (unknown uuid, not applied)");
		break;
	case K_REFUSED:
		ob_log(ob, "callback for %s not applied: %s", jc->uuid, e->text);
		reply_text(reply, reply_n, 200, "OK (not applied)");
		break;
	case K_INVALID:
		status = reply_text(reply, reply_n, 400, e->text);
		break;
	default:
		/* Not committed: let the provider try again. */
		ob_log(ob, "callback for %s could not be stored: %s", jc->uuid, e->text);
		status = reply_text(reply, reply_n, 500, "journal unavailable, try again");
	}
	if (status == 200)
		ob->callbacks++;
	return status;
}

/* Keeps a parsed callback (copied) for the group commit; its connection waits. */
static int defer_callback(struct outbox *ob, const struct listener_request *req,
			  const struct journal_callback *jc)
{
	if (ob->ncbs == ob->cbs_cap) {
		ob->cbs_cap = ob->cbs_cap ? ob->cbs_cap * 2 : 16;
		ob->cbs = xrealloc(ob->cbs, ob->cbs_cap * sizeof *ob->cbs);
	}
	struct cb_pending *p = &ob->cbs[ob->ncbs++];
	memset(p, 0, sizeof *p);
	p->reply = req->deferred;
	p->it.cb = *jc;
	str_copy(p->uuid, jc->uuid, sizeof p->uuid);
	str_copy(p->ext_id, jc->ext_id ? jc->ext_id : "", sizeof p->ext_id);
	str_copy(p->detail, jc->detail ? jc->detail : "", sizeof p->detail);
	str_copy(p->content_type, jc->content_type ? jc->content_type : "", sizeof p->content_type);
	p->body = xmalloc(req->len + 1);
	memcpy(p->body, req->body, req->len);
	p->body[req->len] = '\0';
	return LISTENER_DEFERRED;
}

int outbox_handle_callback(struct outbox *ob, const struct listener_request *req, char *reply,
			   size_t reply_n)
{
	if (strcmp(req->suffix, "lifepay-tx") == 0) { /* LIFE PAY transaction notifications */
		int status =
		    bill_tx_callback(ob->j, req->content_type, req->body, req->len, reply, reply_n);
		if (status == 200)
			ob_notify(
			    ob, 0); /* committed: the screen shows it now, not at its next redraw */
		return status;
	}
	const struct provider_ops *ops = provider_by_suffix(req->suffix);
	if (!ops)
		return reply_text(reply, reply_n, 404, "not found");
	/* The provider of the path, bound to our profile (its secret checks signatures). */
	struct provider_ctx c = {.ops = ops, .p = &ob->p, .callback_url = ob->callback_url};
	struct provider_outcome pc;
	memset(&pc, 0, sizeof pc);
	char msg[400] = "";
	int refuse =
	    ops->status.callback(&c, req->content_type, req->body, req->len, &pc, msg, sizeof msg);
	if (refuse) {
		ob_log(ob, "%s callback from %s refused: %s", ops->name, req->remote_addr, msg);
		return reply_text(reply, reply_n, refuse, msg);
	}
	enum journal_state to;
	if (!verdict_state(pc.verdict, &to)) {
		/* Still on its way: nothing to apply. */
		ob_log(ob, "%s callback for %s not applied (%s)", ops->name, pc.uuid, pc.text);
		ob->callbacks++;
		return reply_text(reply, reply_n, 200, "OK");
	}
	struct journal_callback jc;
	status_callback(&pc, to, ob->cb_source, req->body, req->len, req->content_type, &jc);
	if (req->deferred && (ops->caps & PROVIDER_CAP_DEFER_CALLBACKS))
		/* Group commit: committed with this iteration's others, then answered. */
		return defer_callback(ob, req, &jc);
	struct journal_callback_result res;
	struct kerr e = {0};
	kstatus st = journal_apply_callback(ob->j, &jc, &res, &e);
	int status = ob_callback_answer(ob, &jc, st, &res, &e, reply, reply_n);
	if (res.applied || res.flagged)
		ob_notify(ob, res.doc_id);
	return status;
}

int outbox_apply_relayed(struct outbox *ob, const char *suffix, const char *content_type,
			 const char *body, size_t len, char *reply, size_t reply_n)
{
	struct listener_request req = {.suffix = suffix ? suffix : "",
				       .content_type = content_type ? content_type : "",
				       .body = body,
				       .len = len,
				       .remote_addr = "kassa-relay"};
	ob->cb_source = JSRC_RELAY;
	int status = outbox_handle_callback(ob, &req, reply, reply_n);
	ob->cb_source = JSRC_CALLBACK;
	return status;
}

const char *outbox_callback_url(const struct outbox *ob)
{
	return ob->callback_url;
}

bool outbox_uses_relay(const struct outbox *ob)
{
	return ob->p.relay_url[0] && ob->p.relay_token[0];
}

/* ---- the listener ---- */

static int on_callback(void *cls, const struct listener_request *req, char *reply, size_t reply_n)
{
	return outbox_handle_callback(cls, req, reply, reply_n);
}

/* The base the provider calls back: public_url, else the listen address itself. */
static void callback_base(const struct outbox *ob, char *buf, size_t n)
{
	if (ob->p.public_url[0]) {
		str_copy(buf, ob->p.public_url, n);
		return;
	}
	const char *h = ob->p.listen_host;
	unsigned port = listener_port(ob->ls);
	const char *sch = listener_tls(ob->ls) ? "https" : "http";
	if (strcmp(h, "0.0.0.0") == 0 || !h[0])
		snprintf(buf, n, "%s://127.0.0.1:%u", sch, port);
	else if (strcmp(h, "::") == 0)
		snprintf(buf, n, "%s://[::1]:%u", sch, port);
	else if (strchr(h, ':'))
		snprintf(buf, n, "%s://[%s]:%u", sch, h, port);
	else
		snprintf(buf, n, "%s://%s:%u", sch, h, port);
}

/* The callback listener with its token, and callback_url from it. */
kstatus ob_start_listener(struct outbox *ob, const struct outbox_options *opt, struct kerr *err)
{
	const struct config_profile *p = &ob->p;
	if (opt && opt->token) {
		if (strlen(opt->token) != LISTENER_TOKEN_LEN)
			return kerr_set(err, K_INVALID, "token",
					_("the callback token must be %d hex digits"),
					LISTENER_TOKEN_LEN);
		str_copy(ob->token, opt->token, sizeof ob->token);
	} else {
		kstatus st = listener_new_token(ob->token, err);
		if (st != K_OK)
			return st;
	}
	char listen[CONFIG_NAME_MAX + 16];
	config_listen_str(p, listen, sizeof listen);
	char health[4096];
	outbox_health_path(journal_file(ob->j), health, sizeof health);
	struct listener_options lo = {.listen = listen,
				      .health_path = health,
				      .token = ob->token,
				      .body_limit = ob->opt.listener_body_limit,
				      .timeout_s = ob->opt.listener_timeout_s,
				      .tls_cert = p->listen_cert[0] ? p->listen_cert : NULL,
				      .tls_key = p->listen_key[0] ? p->listen_key : NULL,
				      .on_callback = on_callback,
				      .cls = ob};
	ob->ls = listener_start(ob->loop, &lo, err);
	if (!ob->ls) {
		kerr_prefix(err, "listen");
		return K_INVALID;
	}
	char base[CONFIG_URL_MAX + 64];
	callback_base(ob, base, sizeof base);
	if (!listener_url(ob->ls, base, ob->callback_url, sizeof ob->callback_url))
		return kerr_set(err, K_INVALID, "public_url",
				_("the callback address is longer than %d characters: shorten "
				  "public_url"),
				CALLBACK_URL_MAX);
	return K_OK;
}
