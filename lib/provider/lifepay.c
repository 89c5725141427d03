/*
 * LifePay's provider ops (see provider.h): JSON bodies with login and apikey
 * inside, our callback_url on every document, envelope codes in replies,
 * callbacks with the document's uuid. No token, no polls.
 */
#include "provider.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "errors.h"
#include "i18n.h"
#include "jsonx.h"
#include "net.h"
#include "util.h"
#include "wire/lifepay.h"

static kstatus lp_prepare(const struct provider_ctx *c, struct document *d, struct kerr *err)
{
	(void)err;
	if (c->callback_url[0])
		str_copy(d->callback_url, c->callback_url, sizeof d->callback_url);
	if (d->kind == DOC_RECEIPT)
		d->ffd12 = c->p->ffd12;
	return K_OK;
}

static kstatus lp_check(const struct document *d, struct kerr *err)
{
	kstatus st = document_check_lifepay(d, err);
	return st == K_OK ? wire_lifepay_check_ffd12(d, err) : st;
}

static kstatus lp_stored_body(const struct provider_ctx *c, struct document *d, char **out,
			      struct kerr *err)
{
	/* Journaled without our callback_url (it holds the token); the sender adds it. */
	char cb[CALLBACK_URL_MAX + 1];
	str_copy(cb, d->callback_url, sizeof cb);
	if (c->callback_url[0])
		d->callback_url[0] = '\0';
	*out = wire_lifepay_request_text(d, NULL);
	str_copy(d->callback_url, cb, sizeof d->callback_url);
	explicit_bzero(cb, sizeof cb);
	if (!*out)
		return kerr_set(err, K_INVALID, "", "%s", _("the request could not be built"));
	return K_OK;
}

/* "key":"value", as JSON text (value escaped); malloc'd. */
static char *json_pair(const char *key, const char *value)
{
	json_t *v = json_string(value);
	char *enc = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
	json_decref(v);
	if (!enc)
		return NULL;
	size_t n = strlen(key) + strlen(enc) + 4;
	char *out = xmalloc(n);
	snprintf(out, n, "\"%s\":%s", key, enc);
	explicit_bzero(enc, strlen(enc));
	free(enc);
	return out;
}

/*
 * The stored body with the credentials (and our callback_url) put in front
 * of its members: text spliced, never parsed and rebuilt, so the stored
 * amounts go out byte for byte. A body that already names a callback_url
 * (a document's own, journaled without a listener) keeps it.
 */
static char *lp_with_credentials(const struct provider_ctx *c, const char *stored, struct kerr *err)
{
	const char *s = stored;
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	if (*s != '{') {
		kerr_set(err, K_INVALID, "body", "the stored request is not a JSON object");
		return NULL;
	}
	s++;
	const char *rest = s;
	while (*rest == ' ' || *rest == '\n' || *rest == '\t' || *rest == '\r')
		rest++;
	bool empty = *rest == '}';
	bool own_cb = strstr(stored, "\"callback_url\":") != NULL;
	char *pairs[3] = {json_pair("apikey", c->p->apikey), json_pair("login", c->p->login),
			  c->callback_url[0] && !own_cb ? json_pair("callback_url", c->callback_url)
							: NULL};
	size_t n = strlen(s) + 4;
	for (size_t i = 0; i < 3; i++)
		n += pairs[i] ? strlen(pairs[i]) + 1 : 0;
	char *body = xmalloc(n);
	size_t used = 0;
	body[used++] = '{';
	for (size_t i = 0; i < 3; i++) {
		if (!pairs[i])
			continue;
		if (used > 1)
			body[used++] = ',';
		size_t l = strlen(pairs[i]);
		memcpy(body + used, pairs[i], l);
		used += l;
		explicit_bzero(pairs[i], l);
		free(pairs[i]);
	}
	if (!empty)
		body[used++] = ',';
	memcpy(body + used, empty ? rest : s, strlen(empty ? rest : s) + 1);
	return body;
}

static kstatus lp_send_request(const struct provider_ctx *c, const char *kind, const char *stored,
			       struct provider_request *rq, struct kerr *err)
{
	enum doc_kind k;
	if (!doc_kind_parse(kind, &k))
		return kerr_set(err, K_INVALID, "kind", "unknown document kind \"%s\"", kind);
	rq->method = "POST";
	provider_request_url(
	    rq, c->p->base_url,
	    k == DOC_RECEIPT && c->p->ffd12 ? LIFEPAY_PATH_FFD12 : doc_kind_path(k), NULL);
	rq->body = lp_with_credentials(c, stored, err);
	return rq->body ? K_OK : K_INVALID;
}

/* A rejection text with the per-field errors, so the cashier sees what to fix. */
static void reject_text(const struct lifepay_reply *r, char *buf, size_t n)
{
	size_t used = (size_t)snprintf(buf, n, "%s", r->message);
	for (size_t i = 0; i < r->n_field_errors && used < n; i++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? "; " : "",
					 r->field_errors[i]);
	if (!buf[0]) {
		char d[256];
		errors_describe(r->code, NULL, false, d, sizeof d);
		str_copy(buf, d, n);
	}
}

/*
 * A code that says nothing about the document's data: the table's
 * retry_later codes (429: not taken, try later) and 500 (an internal error:
 * the document may well exist; the same ext_id finds it without a double).
 */
static bool code_retryable(int code)
{
	const struct provider_error *pe = errors_lookup(code);
	return (pe && pe->retry_later) || code == 500;
}

static void lp_send_reply(struct provider_ctx *c, const struct net_result *res, int attempt,
			  unsigned token_gen, struct provider_outcome *out)
{
	(void)c;
	(void)attempt;
	(void)token_gen;
	struct lifepay_reply r;
	struct kerr e = {0};
	kstatus st = wire_lifepay_parse_reply(res->body, res->body_len, &r, &e);
	out->http_status = (int)res->http_status;
	if (res->http_status != 200) {
		out->verdict = PV_RETRY;
		out->provider_code = st == K_OK ? r.code : 0;
		snprintf(out->text, sizeof out->text, "HTTP %ld%s%.200s", res->http_status,
			 st == K_OK && r.message[0] ? ": " : "", st == K_OK ? r.message : "");
	} else if (st != K_OK) {
		out->verdict = PV_RETRY;
		snprintf(out->text, sizeof out->text, "unreadable reply: %s", e.text);
	} else if (r.code == 0) {
		out->verdict = PV_ACCEPTED;
		str_copy(out->uuid, r.uuid, sizeof out->uuid);
	} else if (code_retryable(r.code)) {
		/* Not an answer about the data: ask again later, same ext_id. */
		out->verdict = PV_RETRY;
		out->provider_code = r.code;
		snprintf(out->text, sizeof out->text, "code %d: %.300s", r.code,
			 r.message[0] ? r.message : "provider busy or failing");
	} else {
		out->verdict = PV_REJECTED;
		out->provider_code = r.code;
		out->flag_if_unanswered = true;
		reject_text(&r, out->text, sizeof out->text);
	}
}

static bool lp_attempt_answered(int http_status, int provider_code, const char *error)
{
	(void)error;
	/* Only "too many requests" says for sure that nothing was taken. */
	return http_status == 200 && (provider_code == 0 || provider_code == 429);
}

/* The history's words for a callback that is not a success. */
static void failure_detail(const struct lifepay_callback *cb, char *out, size_t n)
{
	if (cb->has_pos && strcmp(cb->pos_result, "declined") == 0)
		snprintf(out, n, "%s: %.280s",
			 _("POS terminal declined the card; nothing was charged"),
			 cb->error_message);
	else if (cb->has_pos && strcmp(cb->pos_result, "timeout") == 0)
		snprintf(out, n,
			 _("POS terminal timeout, %d slip(s) asked for: the "
			   "card may have been charged; check the terminal "
			   "before charging again: %.200s"),
			 cb->pos_slip_count, cb->error_message);
	else
		snprintf(out, n, "code %d: %.280s", cb->error_code, cb->error_message);
}

static int lp_callback(const struct provider_ctx *c, const char *content_type, const char *body,
		       size_t len, struct provider_outcome *out, char *msg, size_t msg_n)
{
	(void)c;
	struct lifepay_callback cb;
	memset(&cb, 0, sizeof cb);
	struct kerr e = {0};
	int refuse = 0;
	if (wire_lifepay_parse_callback(content_type, body, len, &cb, &e) != K_OK) {
		char what[360];
		/* "uuid: is missing from the callback": the field is named. */
		snprintf(msg, msg_n, "malformed callback: %s", kerr_str(&e, what, sizeof what));
		refuse = 400;
	} else if (cb.status == LP_CB_PROCESSED) {
		out->verdict = PV_PROCESSED;
	} else if (cb.status == LP_CB_RETRY) {
		out->verdict = PV_PROVIDER_RETRY;
	} else if (cb.status == LP_CB_ERROR || cb.has_error_code) {
		out->verdict = PV_FAILED;
	} else {
		snprintf(msg, msg_n, "unknown status \"%.60s\"", cb.status_text);
		refuse = 400;
	}
	if (!refuse) {
		char detail[JOURNAL_TEXT_MAX];
		if (out->verdict == PV_PROCESSED)
			str_copy(detail, cb.ofd_url[0] ? cb.ofd_url : "processed", sizeof detail);
		else if (out->verdict ==
			 PV_PROVIDER_RETRY) /* "ожидает повтора": a later one is final */
			str_copy(detail, "awaiting retry: the provider tries again", sizeof detail);
		else
			failure_detail(&cb, detail, sizeof detail);
		str_copy(out->text, detail, sizeof out->text);
		str_copy(out->uuid, cb.uuid, sizeof out->uuid);
		str_copy(out->ext_id, cb.ext_id, sizeof out->ext_id);
		out->provider_code = cb.error_code;
	}
	wire_lifepay_callback_free(&cb);
	return refuse;
}

static kstatus lp_decode_stored(const char *body, enum doc_kind kind, struct document *d,
				struct kerr *err)
{
	kstatus st = wire_lifepay_parse_request(body, strlen(body), kind, d, NULL, err);
	if (st == K_OK && doc_kind_has_basket(kind))
		st = basket_recalc(&d->basket, err);
	if (st == K_OK && doc_kind_has_basket(kind) &&
	    payment_resolve(d->basket.total, &d->pay, &d->resolved, NULL) != K_OK)
		memset(&d->resolved, 0, sizeof d->resolved);
	return st;
}

/* A test X-report: the provider checks everything and fiscalizes nothing. */
static kstatus lp_check_request(const struct config_profile *p, struct provider_request *rq,
				char *what, size_t what_n, struct kerr *err)
{
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, DOC_X_REPORT);
	d->test = true;
	str_copy(d->target_serial, p->target_serial, sizeof d->target_serial);
	document_assign_ext_id(d);
	struct lifepay_auth auth;
	memset(&auth, 0, sizeof auth);
	str_copy(auth.login, p->login, sizeof auth.login);
	str_copy(auth.apikey, p->apikey, sizeof auth.apikey);
	rq->body = wire_lifepay_request_text(d, &auth);
	explicit_bzero(&auth, sizeof auth);
	document_free(d);
	free(d);
	if (!rq->body)
		return kerr_set(err, K_INVALID, "", "%s", _("the request could not be made"));
	rq->method = "POST";
	provider_request_url(rq, p->base_url, doc_kind_path(DOC_X_REPORT), NULL);
	snprintf(what, what_n, _("a test X-report (test=1, nothing fiscalized) to %s"), rq->url);
	return K_OK;
}

static bool lp_check_verdict(const struct config_profile *p, const struct net_result *res,
			     char *text, size_t n)
{
	(void)p;
	struct lifepay_reply r;
	struct kerr err = {0};
	if (res->outcome != NET_OK) {
		snprintf(text, n, _("The provider could not be reached: %s"),
			 net_outcome_str(res->outcome));
	} else if (wire_lifepay_parse_reply(res->body, res->body_len, &r, &err) != K_OK) {
		snprintf(text, n, _("HTTP %ld with an unreadable reply: %s"), res->http_status,
			 err.text);
	} else if (res->http_status != 200) {
		snprintf(text, n, _("The provider answered HTTP %ld: try again later"),
			 res->http_status);
	} else if (r.code == 0) {
		snprintf(text, n, "%s",
			 _("OK: login and API key are right and cloud fiscalization is on"));
		return true;
	} else if (r.code == 400) {
		snprintf(text, n,
			 _("Login and API key are right, but the test document was refused: "
			   "%s%s%s (check the printer)"),
			 r.message, r.n_field_errors ? "; " : "",
			 r.n_field_errors ? r.field_errors[0] : "");
	} else {
		bool ru = errors_locale_is_russian();
		char meaning[400], next[300];
		errors_describe(r.code, r.message, ru, meaning, sizeof meaning);
		errors_next_step(r.code, ru, next, sizeof next);
		snprintf(text, n, "%s%s%s", meaning, next[0] ? " — " : "", next);
	}
	return false;
}

const struct provider_ops provider_lifepay = {
    .id = KPROVIDER_LIFEPAY,
    .name = "LifePay",
    .callback_suffix = "lifepay",
    .caps = PROVIDER_CAP_TEST_MODE | PROVIDER_CAP_DEFER_CALLBACKS | PROVIDER_CAP_KEY_IN_BODY |
	    PROVIDER_CAP_BILLS,
    .cred = {"login", "apikey", N_("login"), N_("API key"), offsetof(struct config_profile, login),
	     offsetof(struct config_profile, apikey)},
    .send = {lp_prepare, lp_check, lp_stored_body, lp_send_request, lp_send_reply,
	     lp_attempt_answered},
    .status = {lp_callback, lp_decode_stored, NULL, NULL},
    .account = {lp_check_request, lp_check_verdict},
};
