/*
 * PayKeeper's provider ops (see provider.h): form bodies with Basic auth on
 * every request and the 24-hour token (cached in the context, renewed when
 * a POST fails for it); receipts are polled until final, because the
 * callback is sent only once, and callbacks count only with a valid
 * signature. A refusal after an unanswered attempt may be a repeat of a
 * receipt_key PayKeeper already holds: the outbox searches for it first.
 */
#include "provider.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "i18n.h"
#include "money.h"
#include "net.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

/* The token lives 24 hours; renew it a little earlier. */
#define TOKEN_LIFE_MS (23LL * 3600 * 1000)

static kstatus pk_prepare(const struct provider_ctx *c, struct document *d, struct kerr *err)
{
	(void)c;
	if (d->kind != DOC_RECEIPT && d->kind != DOC_CORRECTION)
		return kerr_set(
		    err, K_INVALID, "kind",
		    _("PayKeeper prints receipts and corrections only; a %s is not sent "
		      "to PayKeeper"),
		    _(doc_kind_label(d->kind)));
	/* PayKeeper's correction rules (the sandbox's too), named by its fields */
	kstatus st;
	if (d->kind == DOC_CORRECTION && (st = paykeeper_correction_validate(d, err)) != K_OK)
		return st;
	if (d->test)
		return kerr_set(err, K_INVALID, "test", "%s",
				_("PayKeeper has no test mode; use the training mode instead"));
	return K_OK;
}

/* The form without its token (the journal holds no secret), from the payment resolved once. */
static kstatus pk_stored_body(const struct provider_ctx *c, struct document *d, char **out,
			      struct kerr *err)
{
	(void)c;
	struct pk_print_opts o = {.without_token = true, .resolved = &d->resolved};
	return paykeeper_print_form(d, &o, out, err);
}

static void basic_auth(const struct provider_ctx *c, struct provider_request *rq)
{
	rq->user = c->p->user;
	rq->password = c->p->password;
}

/* The stored form and the token: the one place the token goes in. */
static kstatus pk_send_request(const struct provider_ctx *c, const char *kind, const char *stored,
			       struct provider_request *rq, struct kerr *err)
{
	(void)kind;
	(void)err;
	rq->method = "POST";
	provider_request_url(rq, c->p->base_url, PAYKEEPER_PATH_PRINT, NULL);
	char *tok = form_encode(c->token.value);
	size_t ls = strlen(stored), lt = strlen(tok);
	rq->body = xmalloc(ls + lt + 8);
	char *w = rq->body;
	memcpy(w, stored, ls);
	w += ls;
	if (ls)
		*w++ = '&';
	memcpy(w, "token=", 6);
	memcpy(w + 6, tok, lt + 1);
	explicit_bzero(tok, lt);
	free(tok);
	rq->content_type = "application/x-www-form-urlencoded";
	basic_auth(c, rq);
	return K_OK;
}

static bool looks_like_token_problem(const char *msg)
{
	char low[512];
	size_t i = 0;
	for (; msg[i] && i + 1 < sizeof low; i++)
		low[i] = (msg[i] >= 'A' && msg[i] <= 'Z') ? (char)(msg[i] - 'A' + 'a') : msg[i];
	low[i] = '\0';
	return strstr(low, "token") || strstr(low, "токен") || strstr(low, "Токен");
}

static void accepted_as(int64_t id, struct provider_outcome *out)
{
	out->verdict = PV_ACCEPTED;
	snprintf(out->uuid, sizeof out->uuid, "%" PRId64, id);
	str_copy(out->receipt_id, out->uuid, sizeof out->receipt_id);
}

static void pk_send_reply(struct provider_ctx *c, const struct net_result *res, int attempt,
			  unsigned token_gen, struct provider_outcome *out)
{
	out->http_status = (int)res->http_status;
	if (res->http_status == 401 || res->http_status == 403)
		c->token.until = 0;
	if (res->http_status != 200) {
		out->verdict = PV_RETRY;
		snprintf(out->text, sizeof out->text, "HTTP %ld", res->http_status);
		return;
	}
	int64_t rid = 0;
	struct kerr e = {0};
	kstatus st = paykeeper_parse_print_reply(res->body, res->body_len, &rid, &e);
	if (st == K_OK) {
		accepted_as(rid, out);
	} else if (st == K_PROVIDER && looks_like_token_problem(e.text) &&
		   token_gen == c->token.gen) {
		/* The cached token expired early: fetch a new one and send again now. */
		c->token.until = 0;
		out->verdict = PV_RETRY_NOW;
		snprintf(out->text, sizeof out->text, "token refused, renewing it: %s", e.text);
	} else if (st == K_PROVIDER && attempt > 1) {
		/*
		 * An earlier attempt got no answer, so PayKeeper may hold the
		 * receipt already and refuse this one as a repeat of its
		 * receipt_key: look for it before calling this a rejection.
		 */
		out->verdict = PV_SEARCH;
		str_copy(out->text, e.text, sizeof out->text);
	} else if (st == K_PROVIDER) {
		out->verdict = PV_REJECTED;
		str_copy(out->text, e.text, sizeof out->text);
	} else {
		out->verdict = PV_RETRY;
		snprintf(out->text, sizeof out->text, "unreadable reply: %s", e.text);
	}
}

/* A receipt's status as an outcome: PV_PENDING while it is still on its way. */
static void receipt_outcome(const struct pk_receipt *r, struct provider_outcome *out)
{
	snprintf(out->uuid, sizeof out->uuid, "%" PRId64, r->id);
	switch (r->status) {
	case PK_STATUS_SUCCESS:
		out->verdict = PV_PROCESSED;
		str_copy(out->text, r->fop_url[0] ? r->fop_url : "success", JOURNAL_TEXT_MAX);
		break;
	case PK_STATUS_REJECTED:
	case PK_STATUS_FAILED:
		out->verdict = PV_FAILED;
		snprintf(out->text, JOURNAL_TEXT_MAX, "%.31s%s%.31s%s%.240s", r->status_text,
			 r->error_type[0] ? ": " : "", r->error_type,
			 r->error_message[0] ? ": " : "", r->error_message);
		break;
	case PK_STATUS_TIMEOUT:
		/* Final (seed 8, table 8.4.3): dropped from the queue unprinted. */
		out->verdict = PV_FAILED;
		snprintf(out->text, JOURNAL_TEXT_MAX, "%s",
			 _("timeout: the register did not answer and PayKeeper dropped the "
			   "receipt from its queue; a late success is possible, so check the "
			   "receipt in PayKeeper's cabinet before selling it again"));
		break;
	default:
		out->verdict = PV_PENDING;
		snprintf(out->text, sizeof out->text, "%s", r->status_text);
	}
}

static int pk_callback(const struct provider_ctx *c, const char *content_type, const char *body,
		       size_t len, struct provider_outcome *out, char *msg, size_t msg_n)
{
	(void)content_type;
	if (c->p->provider != KPROVIDER_PAYKEEPER || !c->p->secret[0]) {
		str_copy(msg, "PayKeeper callbacks are not accepted here", msg_n);
		return 403;
	}
	struct pk_receipt r;
	memset(&r, 0, sizeof r);
	struct kerr e = {0};
	kstatus st = paykeeper_verify_callback(body, len, c->p->secret, &r, &e);
	int refuse = 0;
	if (st == K_REFUSED) {
		str_copy(msg, "bad signature", msg_n);
		refuse = 403;
	} else if (st != K_OK) {
		char what[360];
		snprintf(msg, msg_n, "malformed callback: %s", kerr_str(&e, what, sizeof what));
		refuse = 400;
	} else {
		receipt_outcome(&r, out);
	}
	paykeeper_receipt_free(&r);
	return refuse;
}

/* The stored form back into a document: type, cart, the amounts as sent. */
static kstatus pk_decode_stored(const char *body, enum doc_kind kind, struct document *d,
				struct kerr *err)
{
	document_init(d, kind);
	size_t np = 0;
	struct form_pair *pairs = form_parse(body, strlen(body), &np);
	const char *cart = NULL, *type = "sale";
	int64_t card = 0, cash = 0;
	for (size_t i = 0; i < np; i++) {
		if (strcmp(pairs[i].key, "cart") == 0)
			cart = pairs[i].value;
		else if (strcmp(pairs[i].key, "type") == 0)
			type = pairs[i].value;
		else if (strcmp(pairs[i].key, "sum_cashless") == 0)
			money_parse(pairs[i].value, &card, "sum_cashless", NULL);
		else if (strcmp(pairs[i].key, "sum_cash") == 0)
			money_parse(pairs[i].value, &cash, "sum_cash", NULL);
	}
	d->type = strcmp(type, "expense") == 0		? RT_BUY
		  : strcmp(type, "refund") == 0		? RT_REFUND
		  : strcmp(type, "expense-refund") == 0 ? RT_BUY_REFUND
							: RT_PAYMENT;
	/* The cash kept (change stays in the drawer), as the receipt records it. */
	d->resolved = (struct payment_result){.card = card, .cash = cash};
	d->pay.card = (struct pay_amount){card ? PAY_AMOUNT : PAY_NONE, card};
	d->pay.cash = (struct pay_amount){cash ? PAY_AMOUNT : PAY_NONE, cash};
	kstatus st = K_OK;
	struct pk_cart_item *items = NULL;
	size_t n = 0;
	if (!cart)
		st = kerr_set(err, K_INVALID, "cart", "%s", _("the stored request has no cart"));
	else
		st = paykeeper_parse_cart(cart, strlen(cart), &items, &n, err);
	for (size_t i = 0; st == K_OK && i < n; i++) {
		struct basket_line l;
		basket_line_init(&l);
		str_copy(l.name, items[i].name, sizeof l.name);
		l.price = items[i].price;
		l.qty = items[i].qty;
		/* The cart carries no unit: a part of a unit was weighed or measured. */
		if (l.qty % QTY_ONE)
			l.unit = UNIT_KG;
		l.vat_set = vat_parse(items[i].tax, &l.vat);
		int64_t gross = 0;
		if (money_mul_qty(l.price, l.qty, &gross) == K_OK && gross > items[i].sum)
			l.discount = (struct discount){DISCOUNT_AMOUNT, gross - items[i].sum};
		st = basket_add(&d->basket, &l, err);
	}
	free(items);
	form_pairs_free(pairs, np);
	return st;
}

static kstatus pk_token_request(const struct provider_ctx *c, struct provider_request *rq,
				struct kerr *err)
{
	(void)err;
	rq->method = "GET";
	provider_request_url(rq, c->p->base_url, PAYKEEPER_PATH_TOKEN, NULL);
	basic_auth(c, rq);
	return K_OK;
}

static bool pk_token_reply(struct provider_ctx *c, const struct net_result *res, char *msg,
			   size_t n)
{
	if (res->outcome != NET_OK) {
		/* The reason (a certificate problem, a refused connection) goes with it. */
		snprintf(msg, n, "PayKeeper token: %s%s%.200s", net_outcome_str(res->outcome),
			 res->error[0] ? ": " : "", res->error);
		return false;
	}
	if (res->http_status != 200) {
		snprintf(msg, n, "PayKeeper token: HTTP %ld%s", res->http_status,
			 res->http_status == 401 ? " (check user and password of the profile)"
						 : "");
		return false;
	}
	struct kerr e = {0};
	char tok[sizeof c->token.value];
	bool ok =
	    paykeeper_parse_token(res->body, res->body_len, tok, sizeof tok, &e) == K_OK && tok[0];
	if (ok) {
		str_copy(c->token.value, tok, sizeof c->token.value);
		c->token.until = mono_ms() + TOKEN_LIFE_MS;
		c->token.gen++;
	} else {
		snprintf(msg, n, "PayKeeper token: %.280s", e.text[0] ? e.text : "empty");
	}
	explicit_bzero(tok, sizeof tok);
	return ok;
}

static bool pk_poll_request(const struct provider_ctx *c, const char *uuid, const char *receipt_id,
			    struct provider_request *rq)
{
	const char *rid = receipt_id[0] ? receipt_id : uuid;
	char *end = NULL;
	long long n = strtoll(rid, &end, 10);
	if (!rid[0] || *end || n <= 0)
		return false; /* nothing to ask about */
	char *q = paykeeper_query_byid(n);
	rq->method = "GET";
	provider_request_url(rq, c->p->base_url, PAYKEEPER_PATH_BYID, q);
	free(q);
	basic_auth(c, rq);
	return true;
}

static void pk_poll_reply(const struct provider_ctx *c, const struct net_result *res,
			  struct provider_outcome *out)
{
	(void)c;
	out->verdict = PV_PENDING;
	out->http_status = (int)res->http_status;
	if (res->outcome != NET_OK || res->http_status != 200)
		return;
	struct pk_receipt r;
	memset(&r, 0, sizeof r);
	if (paykeeper_parse_receipt(res->body, res->body_len, &r, NULL) == K_OK)
		receipt_outcome(&r, out);
	paykeeper_receipt_free(&r);
}

static void day_text(time_t t, char out[11])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void provider_search_days(int64_t created_at_ms, time_t now, char start[11], char end[11])
{
	/* PayKeeper's dates are Moscow time, ours may not be: a day of margin each side. */
	time_t created = created_at_ms > 0 ? (time_t)(created_at_ms / 1000) : now;
	if (created > now)
		created = now;
	day_text(created - 86400, start);
	day_text(now + 86400, end);
}

/* One page of receipts since the document was created. */
static bool pk_search_request(const struct provider_ctx *c, int64_t created_at, int64_t from,
			      size_t page, struct provider_request *rq)
{
	struct pk_bydate_query q = {.types = (1u << PK_TYPE_COUNT) - 1,
				    .sum_types = (1u << PK_SUM_COUNT) - 1,
				    .from = from,
				    .limit = (int64_t)page};
	provider_search_days(created_at, time(NULL), q.start, q.end);
	char *query = NULL;
	if (paykeeper_query_bydate(&q, &query, NULL) != K_OK) {
		free(query);
		return false;
	}
	rq->method = "GET";
	provider_request_url(rq, c->p->base_url, PAYKEEPER_PATH_BYDATE, query);
	free(query);
	basic_auth(c, rq);
	return true;
}

static enum provider_search pk_search_reply(const struct provider_ctx *c,
					    const struct net_result *res, const char *ext_id,
					    size_t page, struct provider_outcome *out)
{
	(void)c;
	if (res->outcome != NET_OK || res->http_status != 200)
		return PS_UNKNOWN;
	struct pk_receipt_list list;
	memset(&list, 0, sizeof list);
	if (paykeeper_parse_receipt_list(res->body, res->body_len, &list, NULL) != K_OK) {
		paykeeper_receipt_list_free(&list);
		return PS_UNKNOWN;
	}
	enum provider_search found = list.n >= page ? PS_MORE : PS_NONE;
	for (size_t i = 0; i < list.n; i++) {
		if (strcmp(list.items[i].fop_receipt_key, ext_id) == 0) {
			accepted_as(list.items[i].id, out);
			found = PS_FOUND;
			break;
		}
	}
	paykeeper_receipt_list_free(&list);
	return found;
}

static kstatus pk_check_request(const struct config_profile *p, struct provider_request *rq,
				char *what, size_t what_n, struct kerr *err)
{
	struct provider_ctx c = {.p = p};
	pk_token_request(&c, rq, err);
	snprintf(what, what_n, _("fetching a PayKeeper token from %s"), rq->url);
	return K_OK;
}

static bool pk_check_verdict(const struct config_profile *p, const struct net_result *res,
			     char *text, size_t n)
{
	(void)p;
	char tok[256];
	bool ok = false;
	if (res->outcome != NET_OK)
		snprintf(text, n, _("The provider could not be reached: %s"),
			 net_outcome_str(res->outcome));
	else if (res->http_status == 401 || res->http_status == 403)
		snprintf(text, n, _("Refused (HTTP %ld): the user or password is wrong"),
			 res->http_status);
	else if (res->http_status == 200 &&
		 paykeeper_parse_token(res->body, res->body_len, tok, sizeof tok, NULL) == K_OK)
		ok = snprintf(text, n, "%s",
			      _("OK: user and password are right; PayKeeper issued a token")) > 0;
	else
		snprintf(text, n, _("No token (HTTP %ld)"), res->http_status);
	explicit_bzero(tok, sizeof tok);
	return ok;
}

const struct provider_ops provider_paykeeper = {
    .id = KPROVIDER_PAYKEEPER,
    .name = "PayKeeper",
    .callback_suffix = "paykeeper",
    .caps = PROVIDER_CAP_POLLS | PROVIDER_CAP_REGISTRY | PROVIDER_CAP_ACCOUNT_URL,
    .cred = {"user", "password", N_("user"), N_("password"), offsetof(struct config_profile, user),
	     offsetof(struct config_profile, password)},
    .send = {pk_prepare, NULL, pk_stored_body, pk_send_request, pk_send_reply, NULL},
    .status = {pk_callback, pk_decode_stored, pk_poll_request, pk_poll_reply},
    .account = {pk_check_request, pk_check_verdict},
    .follow = {pk_token_request, pk_token_reply, pk_search_request, pk_search_reply},
};
