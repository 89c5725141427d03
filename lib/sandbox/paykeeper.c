/*
 * PayKeeper receipts (JSON API section 8) as the sandbox emulates them:
 * Basic auth on every request, a 24-hour token for POSTs, the print
 * request's uniqueness rule, the registries, status progression and a
 * callback signed with the seed's HMAC rule, sent once on the final status.
 * Request and reply shapes come from lib/wire/paykeeper.c, the client's own
 * code. Called with sb->lock held.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonx.h"
#include "money.h"
#include "sandbox/pk_int.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

#define TOKEN_VALID_MS (24LL * 3600 * 1000)
#define MSK_OFFSET_S (3 * 3600)

/*
 * {"result":"fail","msg":...} with the Russian escaped as \uXXXX, as PHP's
 * json_encode writes it: clients match the escaped text in the raw body (the
 * JustCommunication SDK looks for the escaped token-error text).
 */
void pk_reply_fail(struct sandbox_reply *rp, const char *msg)
{
	json_t *j = json_object();
	json_object_set_new(j, "result", json_string("fail"));
	json_object_set_new(j, "msg", json_string(msg));
	free(rp->body);
	rp->http_status = 200;
	rp->body = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!rp->body)
		rp->body = xstrdup("{}");
	/* PHP writes the hex digits of its escapes in lowercase, jansson in uppercase. */
	for (char *p = rp->body; *p; p++) {
		if (*p != '\\' || !p[1])
			continue;
		if (p[1] == 'u')
			for (int k = 2; k < 6 && p[k]; k++)
				if (p[k] >= 'A' && p[k] <= 'F')
					p[k] = (char)(p[k] - 'A' + 'a');
		p++;
	}
	rp->body_len = strlen(rp->body);
	str_copy(rp->content_type, "application/json; charset=utf-8", sizeof rp->content_type);
	json_decref(j);
}

/* ---- Basic auth ---- */

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes standard base64 into out (n bytes, NUL-terminated); false if malformed. */
static bool b64_decode(const char *in, char *out, size_t n)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	bool pad = false;
	for (const char *p = in; *p; p++) {
		if (*p == '=') {
			pad = true;
			continue;
		}
		int v = b64_value((unsigned char)*p);
		if (v < 0 || pad)
			return false;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o + 1 >= n)
				return false;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return memchr(out, '\0', o) == NULL;
}

static struct sb_paykeeper_acc *basic_auth(struct sandbox *sb, const char *header)
{
	if (!header || strncasecmp(header, "Basic ", 6) != 0)
		return NULL;
	const char *p = header + 6;
	while (*p == ' ')
		p++;
	char creds[512];
	if (strlen(p) > 600 || !b64_decode(p, creds, sizeof creds))
		return NULL;
	char *colon = strchr(creds, ':');
	if (!colon)
		return NULL;
	*colon = '\0';
	struct sb_paykeeper_acc *acc = sandbox_accounts_paykeeper(&sb->accounts, creds);
	const char *pw = colon + 1;
	bool ok = acc && strlen(pw) == strlen(acc->password) &&
		  mem_equal_ct(pw, acc->password, strlen(pw));
	explicit_bzero(creds, sizeof creds);
	return ok ? acc : NULL;
}

/* ---- receipts as the wire code sees them ---- */

static void format_msk(long long ms, char *out, size_t n, bool compact)
{
	time_t t = (time_t)(ms / 1000) + MSK_OFFSET_S;
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[96];
	if (compact)
		snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min);
	else
		snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	str_copy(out, buf, n);
}

/* Borrows r's strings into w: never pass w to paykeeper_receipt_free. */
static void to_wire(const struct sb_pk_receipt *r, struct pk_receipt *w)
{
	memset(w, 0, sizeof *w);
	w->id = r->id;
	str_copy(w->payment_id, r->payment_id, sizeof w->payment_id);
	str_copy(w->type, r->type, sizeof w->type);
	w->is_post_sale = r->is_post_sale[0] == '1';
	w->is_correction = r->is_correction[0] == '1';
	str_copy(w->refund_id, r->refund_id, sizeof w->refund_id);
	paykeeper_status_parse(r->status, &w->status);
	str_copy(w->status_text, r->status, sizeof w->status_text);
	str_copy(w->contact, r->contact, sizeof w->contact);
	w->sum_cashless = r->sum_cashless;
	w->sum_cash = r->sum_cash;
	w->sum_advance = r->sum_advance;
	w->sum_credit = r->sum_credit;
	w->sum_counter_payment = r->sum_counter_payment;
	w->cart = r->cart;
	w->receipt_properties = r->receipt_properties;
	w->custom_params = r->custom_params;
	str_copy(w->fpd, r->fpd, sizeof w->fpd);
	str_copy(w->fnd, r->fnd, sizeof w->fnd);
	str_copy(w->fn, r->fn, sizeof w->fn);
	str_copy(w->ts, r->ts, sizeof w->ts);
	str_copy(w->rnkkt, r->rnkkt, sizeof w->rnkkt);
	str_copy(w->shift_number, r->shift_number, sizeof w->shift_number);
	str_copy(w->receipt_number, r->receipt_number, sizeof w->receipt_number);
	str_copy(w->obtain_datetime, r->obtain_datetime, sizeof w->obtain_datetime);
	str_copy(w->request_datetime, r->request_datetime, sizeof w->request_datetime);
	str_copy(w->fop_receipt_key, r->fop_receipt_key, sizeof w->fop_receipt_key);
	str_copy(w->fop_uuid, r->fop_uuid, sizeof w->fop_uuid);
	str_copy(w->fop_url, r->fop_url, sizeof w->fop_url);
	if (r->error) {
		json_t *e = jsonx_loads(r->error, strlen(r->error), NULL);
		if (json_is_object(e)) {
			w->has_error = true;
			const char *t = json_string_value(json_object_get(e, "type"));
			const char *m = json_string_value(json_object_get(e, "message"));
			const char *i = json_string_value(json_object_get(e, "error_id"));
			str_copy(w->error_type, t ? t : "", sizeof w->error_type);
			str_copy(w->error_message, m ? m : "", sizeof w->error_message);
			str_copy(w->error_id, i ? i : "", sizeof w->error_id);
		}
		json_decref(e);
	}
}

json_t *sandbox_paykeeper_receipt_json(const struct sb_pk_receipt *r)
{
	struct pk_receipt w;
	to_wire(r, &w);
	char *text = paykeeper_receipt_json(&w);
	json_t *j = text ? jsonx_loads(text, strlen(text), NULL) : NULL;
	free(text);
	return j ? j : json_object();
}

void pk_reply_receipt_array(struct sandbox_reply *rp, struct sb_pk_receipt **list, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, sandbox_paykeeper_receipt_json(list[i]));
	sandbox_reply_json(rp, 200, arr);
}

/* ---- token and print ---- */

static void handle_token(struct sandbox *sb, const struct sb_paykeeper_acc *acc,
			 struct sandbox_reply *rp)
{
	char token[80];
	long long now = sandbox_now(sb);
	if (sandbox_store_token_get(sb->store, acc->user, now, TOKEN_VALID_MS, token, sizeof token,
				    NULL) != K_OK) {
		char a[40], b[40];
		sandbox_uuid(a);
		sandbox_uuid(b);
		size_t o = 0;
		for (const char *p = a; *p; p++)
			if (*p != '-')
				token[o++] = *p;
		for (const char *p = b; *p; p++)
			if (*p != '-')
				token[o++] = *p;
		token[o] = '\0';
		if (sandbox_store_token_add(sb->store, acc->user, token, now, NULL) != K_OK) {
			pk_reply_fail(rp, "Не удалось выдать токен.");
			return;
		}
	}
	json_t *j = json_object();
	json_object_set_new(j, "token", json_string(token));
	sandbox_reply_json(rp, 200, j);
}

static char *form_text(const struct sandbox_request *rq, const char *name)
{
	return form_get(rq->body, rq->body_len, name);
}

static void handle_print(struct sandbox *sb, const struct sb_paykeeper_acc *acc,
			 const struct sandbox_request *rq, struct sandbox_reply *rp)
{
	if (rq->body_len && memchr(rq->body, '\0', rq->body_len)) {
		pk_reply_fail(rp, "Тело запроса содержит нулевой байт.");
		return;
	}
	char *token = form_text(rq, "token");
	long long now = sandbox_now(sb);
	bool token_ok = token && token[0] &&
			sandbox_store_token_check(sb->store, acc->user, token, now, TOKEN_VALID_MS,
						  NULL) == K_OK;
	free(token);
	if (!token_ok) {
		/* The real service's text, which clients wait for before renewing the token. */
		pk_reply_fail(rp, "Токен безопасности не верен.");
		return;
	}
	struct pk_print_request pr;
	struct kerr e = {0};
	if (paykeeper_parse_print_request(rq->body, rq->body_len, &pr, &e) != K_OK) {
		char msg[448];
		sandbox_message_ru(e.field[0] ? e.field : "request", e.text, msg, sizeof msg);
		pk_reply_fail(rp, msg);
		return;
	}
	char why[256];
	if (!sandbox_pk_check_contact(pr.contact, sb->opt.strict, why, sizeof why) ||
	    !sandbox_pk_check_properties(rq->body, rq->body_len, sb->opt.strict, why, sizeof why)) {
		paykeeper_print_request_free(&pr);
		pk_reply_fail(rp, why);
		return;
	}
	struct sb_pk_receipt r;
	memset(&r, 0, sizeof r);
	char *is_correction = form_text(rq, "is_correction");
	bool correction = is_correction && strcmp(is_correction, "true") == 0;
	bool bad_flag = is_correction && !correction && strcmp(is_correction, "false") != 0;
	free(is_correction);
	if (bad_flag) {
		paykeeper_print_request_free(&pr);
		pk_reply_fail(rp, "is_correction: должно быть true или false.");
		return;
	}
	if (correction && !sandbox_pk_check_correction(rq->body, rq->body_len, why, sizeof why)) {
		paykeeper_print_request_free(&pr);
		pk_reply_fail(rp, why);
		return;
	}
	if (!pr.payment_id[0] && !pr.receipt_key[0]) {
		paykeeper_print_request_free(&pr);
		pk_reply_fail(rp,
			      "receipt_key: обязателен для чека без платежа (payment_id пуст).");
		return;
	}
	str_copy(r.user, acc->user, sizeof r.user);
	str_copy(r.payment_id, pr.payment_id, sizeof r.payment_id);
	str_copy(r.type, pr.type, sizeof r.type);
	str_copy(r.is_post_sale, pr.is_post_sale ? "1" : "0", sizeof r.is_post_sale);
	str_copy(r.is_correction, correction ? "1" : "0", sizeof r.is_correction);
	str_copy(r.refund_id, pr.refund_id, sizeof r.refund_id);
	str_copy(r.receipt_key, pr.receipt_key, sizeof r.receipt_key);
	str_copy(r.contact, pr.contact, sizeof r.contact);
	r.sum_cashless = pr.sum_cashless;
	r.sum_cash = pr.sum_cash;
	r.sum_advance = pr.sum_advance;
	r.sum_credit = pr.sum_credit;
	r.sum_counter_payment = pr.sum_counter_payment;
	paykeeper_print_request_free(&pr);

	long long dup = 0;
	if (sandbox_store_pk_find_dup(sb->store, &r, &dup, NULL) == K_OK) {
		char msg[256];
		snprintf(msg, sizeof msg,
			 "Чек с такими payment_id, refund_id, is_post_sale, type и receipt_key уже "
			 "сформирован или формируется (id %lld); для нового чека задайте новый "
			 "receipt_key.",
			 dup);
		pk_reply_fail(rp, msg);
		return;
	}
	r.cart = form_text(rq, "cart");
	r.receipt_properties = form_text(rq, "receipt_properties");
	if (correction) {
		json_t *cp = json_object();
		static const char *const keys[] = {"correction_type", "correction_operation_date",
						   "correction_document_number"};
		for (size_t i = 0; i < 3; i++) {
			char *v = form_text(rq, keys[i]);
			if (v)
				json_object_set_new(cp, keys[i], json_string(v));
			free(v);
		}
		r.custom_params = jsonx_dumps(cp, JSON_COMPACT);
		json_decref(cp);
	}
	str_copy(r.status, "created", sizeof r.status);
	const char *outcome = "success";
	if (sandbox_prng_chance(&sb->prng, sb->faults.error)) {
		static const char *const bad[] = {"failed", "rejected", "timeout"};
		outcome = bad[sandbox_prng_next(&sb->prng) % 3];
	}
	str_copy(r.outcome, outcome, sizeof r.outcome);
	format_msk(now, r.request_datetime, sizeof r.request_datetime, false);
	str_copy(r.obtain_datetime, r.request_datetime, sizeof r.obtain_datetime);
	str_copy(r.fop_receipt_key, r.receipt_key[0] ? r.receipt_key : r.payment_id,
		 sizeof r.fop_receipt_key);
	r.created_ms = now;
	r.next_ms = now + sandbox_scaled(sb, sb->opt.paykeeper_step_ms);
	kstatus ks = sandbox_store_pk_insert(sb->store, &r, NULL);
	if (ks != K_OK) {
		sandbox_pk_free(&r);
		pk_reply_fail(rp, "Не удалось сохранить чек.");
		return;
	}
	sandbox_log(sb, "paykeeper receipt %lld created (%s)", r.id, r.type);
	json_t *j = json_object();
	json_object_set_new(j, "receipt_id", json_integer(r.id));
	sandbox_reply_json(rp, 200, j);
	sandbox_wake(sb);
	sandbox_pk_free(&r);
}

static const char *const pk_paths[] = {
    PAYKEEPER_PATH_TOKEN,	PAYKEEPER_PATH_PRINT,  PAYKEEPER_PATH_BYID,
    PAYKEEPER_PATH_BYPAYMENTID, PAYKEEPER_PATH_BYDATE, PAYKEEPER_PATH_BYDATECOUNT,
    PAYKEEPER_PATH_SEARCH,
};

bool sandbox_paykeeper_handle(struct sandbox *sb, const struct sandbox_request *rq,
			      struct sandbox_reply *rp)
{
	int which = -1;
	for (size_t i = 0; i < sizeof pk_paths / sizeof pk_paths[0]; i++)
		if (strcmp(rq->path, pk_paths[i]) == 0)
			which = (int)i;
	/* A Bitrix handler asks for the token without the trailing slash; the service answers. */
	if (which < 0 && strcmp(rq->path, "/info/settings/token") == 0)
		which = 0;
	if (which < 0)
		return false;
	struct sb_paykeeper_acc *acc = basic_auth(sb, rq->authorization);
	if (!acc) {
		json_t *j = json_object();
		json_object_set_new(j, "result", json_string("fail"));
		json_object_set_new(j, "msg",
				    json_string("Требуется авторизация: заголовок Authorization: "
						"Basic с логином и паролем личного кабинета."));
		sandbox_reply_json(rp, 401, j);
		str_copy(rp->extra_header[0], "WWW-Authenticate: Basic realm=\"PayKeeper sandbox\"",
			 sizeof rp->extra_header[0]);
		return true;
	}
	bool post = which == 1;
	if (strcmp(rq->method, post ? "POST" : "GET") != 0) {
		json_t *j = json_object();
		json_object_set_new(j, "result", json_string("fail"));
		json_object_set_new(j, "msg", json_string(post ? "use POST" : "use GET"));
		sandbox_reply_json(rp, 405, j);
		str_copy(rp->extra_header[0], post ? "Allow: POST" : "Allow: GET",
			 sizeof rp->extra_header[0]);
		return true;
	}
	if (which == 0) {
		handle_token(sb, acc, rp);
		return true;
	}
	if (which == 1) {
		handle_print(sb, acc, rq, rp);
		return true;
	}
	sandbox_pk_registry(sb, acc, rq, rp);
	return true;
}

/* ---- status progression (worker thread, lock held) ---- */

static void queue_pk_callback(struct sandbox *sb, const struct sb_pk_receipt *r)
{
	struct sb_paykeeper_acc *acc = sandbox_accounts_paykeeper(&sb->accounts, r->user);
	if (!acc || !acc->callback_url[0])
		return;
	struct pk_receipt w;
	to_wire(r, &w);
	size_t n;
	struct form_pair *pairs = paykeeper_receipt_pairs(&w, &n);
	char *body = NULL;
	if (paykeeper_callback_body(pairs, n, acc->secret, &body, NULL) == K_OK) {
		struct sb_callback cb = {0};
		str_copy(cb.provider, "paykeeper", sizeof cb.provider);
		snprintf(cb.ref, sizeof cb.ref, "%lld", r->id);
		cb.url = acc->callback_url;
		cb.content_type = (char *)"application/x-www-form-urlencoded";
		cb.body = body;
		cb.max_attempts = 1; /* the seed: sent once, without retries */
		cb.next_ms = sandbox_now(sb);
		sandbox_store_cb_add(sb->store, &cb, NULL);
	}
	free(body);
	form_pairs_free(pairs, n);
}

static void finish_receipt(struct sandbox *sb, struct sb_pk_receipt *r, long long now)
{
	str_copy(r->status, r->outcome, sizeof r->status);
	r->next_ms = 0;
	if (strcmp(r->status, "success") == 0) {
		uint64_t h = (uint64_t)r->id * UINT64_C(2654435761);
		snprintf(r->fn, sizeof r->fn, "9999078900%06llu",
			 (unsigned long long)(h % 1000000));
		snprintf(r->fnd, sizeof r->fnd, "%lld", r->id);
		snprintf(r->fpd, sizeof r->fpd, "%010llu",
			 (unsigned long long)((h * 40503u) % UINT64_C(10000000000)));
		format_msk(now, r->ts, sizeof r->ts, true);
		str_copy(r->rnkkt, "0000000001000001", sizeof r->rnkkt);
		str_copy(r->shift_number, "1", sizeof r->shift_number);
		snprintf(r->receipt_number, sizeof r->receipt_number, "%lld", r->id % 1000);
		sandbox_uuid(r->fop_uuid);
		snprintf(r->fop_url, sizeof r->fop_url, "t=%s&s=%lld.%02lld&fn=%s&i=%s&fp=%s&n=1",
			 r->ts, (long long)((r->sum_cashless + r->sum_cash) / 100),
			 (long long)((r->sum_cashless + r->sum_cash) % 100), r->fn, r->fnd, r->fpd);
	} else if (strcmp(r->status, "timeout") != 0) {
		json_t *e = json_object();
		bool rejected = strcmp(r->status, "rejected") == 0;
		json_object_set_new(e, "type",
				    json_string(rejected ? "queue_error" : "print_error"));
		json_object_set_new(e, "message",
				    json_string(rejected ? "Балансировщик отказал в приёме чека "
							   "(смоделировано: --faults error)"
							 : "ККТ отказала в печати чека "
							   "(смоделировано: --faults error)"));
		char id[40];
		sandbox_uuid(id);
		json_object_set_new(e, "error_id", json_string(id));
		free(r->error);
		r->error = jsonx_dumps(e, JSON_COMPACT);
		json_decref(e);
	}
}

void sandbox_paykeeper_advance(struct sandbox *sb)
{
	struct sb_pk_receipt r;
	for (int guard = 0; guard < 1000; guard++) {
		long long now = sandbox_now(sb);
		if (sandbox_store_pk_due(sb->store, now, &r, NULL) != K_OK)
			return;
		if (strcmp(r.status, "created") == 0) {
			str_copy(r.status, "sending", sizeof r.status);
			r.next_ms = now + sandbox_scaled(sb, sb->opt.paykeeper_step_ms);
		} else if (strcmp(r.status, "sending") == 0) {
			str_copy(r.status, "request_sent", sizeof r.status);
			r.next_ms = now + sandbox_scaled(sb, sb->opt.paykeeper_step_ms);
		} else {
			finish_receipt(sb, &r, now);
		}
		sandbox_store_pk_save(sb->store, &r, NULL);
		sandbox_log(sb, "paykeeper receipt %lld %s", r.id, r.status);
		if (r.next_ms == 0)
			queue_pk_callback(sb, &r);
		sandbox_pk_free(&r);
	}
}
