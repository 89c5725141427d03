/*
 * LIFE PAY bills and transaction notifications on the wire. Every parser
 * takes text from outside: sizes are checked, amounts go through the strict
 * money parser, unknown fields are ignored (the provider adds fields).
 */
#include "wire/bill.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "document.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"
#include "wire/form.h"

#define M_WIRE(name, wire, label) wire,
#define M_LABEL(name, wire, label) label,
static const char *const method_wire[] = {BILL_METHOD_INFO(M_WIRE)};
static const char *const method_label[] = {BILL_METHOD_INFO(M_LABEL)};
#define S_WORD(name, word, code, label) word,
#define S_CODE(name, word, code, label) code,
#define S_LABEL(name, word, code, label) label,
static const char *const state_word[] = {BILL_STATE_INFO(S_WORD)};
static const int state_code[] = {BILL_STATE_INFO(S_CODE)};
static const char *const state_label[] = {BILL_STATE_INFO(S_LABEL)};

const char *bill_method_wire(enum bill_method m)
{
	return (unsigned)m < BILL_METHOD_COUNT ? method_wire[m] : "";
}

const char *bill_method_label(enum bill_method m)
{
	return (unsigned)m < BILL_METHOD_COUNT ? _(method_label[m]) : "";
}

bool bill_method_parse(const char *s, enum bill_method *m)
{
	if (!s)
		return false;
	for (int i = 0; i < BILL_METHOD_COUNT; i++)
		if (strcmp(s, method_wire[i]) == 0) {
			*m = (enum bill_method)i;
			return true;
		}
	if (strcmp(s, "card") == 0 || strcmp(s, "internet") == 0) {
		*m = BILL_METHOD_INTERNET;
		return true;
	}
	if (strcmp(s, "mobile") == 0) {
		*m = BILL_METHOD_MOBILE;
		return true;
	}
	return false;
}

const char *bill_state_word(enum bill_state s)
{
	return (unsigned)s < BILL_STATE_COUNT ? state_word[s] : "?";
}

const char *bill_state_label(enum bill_state s)
{
	return (unsigned)s < BILL_STATE_COUNT ? _(state_label[s]) : "?";
}

bool bill_state_parse(const char *word, enum bill_state *s)
{
	for (int i = 0; word && i < BILL_STATE_COUNT; i++)
		if (strcmp(word, state_word[i]) == 0) {
			*s = (enum bill_state)i;
			return true;
		}
	return false;
}

bool bill_state_from_code(int code, enum bill_state *s)
{
	for (int i = 0; i < BILL_STATE_COUNT; i++)
		if (state_code[i] >= 0 && state_code[i] == code) {
			*s = (enum bill_state)i;
			return true;
		}
	return false;
}

bool bill_state_final(enum bill_state s)
{
	return s == BILL_SUCCESS || s == BILL_FAILED || s == BILL_CANCELLED || s == BILL_REFUSED;
}

static bool email_ok(const char *e)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') || !at[1])
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= ' ')
			return false;
	return e[strlen(e) - 1] != '.';
}

kstatus wire_bill_check(struct bill_request *rq, struct kerr *err)
{
	if (rq->amount <= 0)
		return kerr_set(err, K_INVALID, "amount", "%s",
				_("must be above 0: a bill is for the basket's total"));
	if (rq->amount > INT64_C(99999999999))
		return kerr_set(err, K_INVALID, "amount", "%s",
				_("is too large for a bill (at most 999,999,999.99)"));
	if ((unsigned)rq->method >= BILL_METHOD_COUNT)
		return kerr_set(err, K_INVALID, "method", "%s",
				_("must be sbp, internetAcquiring or mobileCommerce"));
	if (rq->phone[0]) {
		char norm[16];
		kstatus st = document_normalize_phone(rq->phone, norm, sizeof norm, err);
		if (st != K_OK)
			return st;
		str_copy(rq->phone, norm, sizeof rq->phone);
	}
	if (rq->email[0] && !email_ok(rq->email))
		return kerr_set(err, K_INVALID, "customer_email", "%s",
				_("is not an e-mail address: write it as name@example.ru"));
	if (!rq->phone[0] && !rq->email[0])
		return kerr_set(err, K_INVALID, "customer_phone", "%s",
				_("a bill goes to the buyer: enter a phone (7 and 10 digits) or an "
				  "e-mail"));
	if (rq->method == BILL_METHOD_MOBILE && !rq->phone[0])
		return kerr_set(err, K_INVALID, "customer_phone", "%s",
				_("mobile commerce charges a phone: enter the buyer's phone"));
	if (!utf8_valid(rq->description, strlen(rq->description)))
		return kerr_set(err, K_INVALID, "description", "%s", _("is not valid UTF-8"));
	return K_OK;
}

char *wire_bill_create_body(const struct bill_request *rq, const char *login, const char *apikey)
{
	json_t *o = json_object();
	char amount[32];
	money_format_wire(rq->amount, amount, sizeof amount);
	json_object_set_new(o, "apikey", json_string(apikey ? apikey : ""));
	json_object_set_new(o, "login", json_string(login ? login : ""));
	json_object_set_new(o, "amount", json_string(amount));
	json_object_set_new(o, "description", json_string(rq->description));
	if (rq->phone[0])
		json_object_set_new(o, "customer_phone", json_string(rq->phone));
	if (rq->email[0])
		json_object_set_new(o, "customer_email", json_string(rq->email));
	json_object_set_new(o, "method", json_string(bill_method_wire(rq->method)));
	if (rq->callback_url[0])
		json_object_set_new(o, "callback_url", json_string(rq->callback_url));
	if (rq->invoice_data) {
		json_t *inv = jsonx_loads(rq->invoice_data, strlen(rq->invoice_data), NULL);
		if (inv)
			json_object_set_new(o, "invoice_data", inv);
	}
	char *text = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

char *wire_bill_cancel_body(const char *number, const char *login, const char *apikey)
{
	json_t *o = json_object();
	json_object_set_new(o, "apikey", json_string(apikey ? apikey : ""));
	json_object_set_new(o, "login", json_string(login ? login : ""));
	json_object_set_new(o, "number", json_string(number ? number : ""));
	char *text = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

char *wire_bill_refund_body(const char *number, const char *uuid, int64_t amount, const char *login,
			    const char *apikey)
{
	json_t *o = json_object();
	json_object_set_new(o, "apikey", json_string(apikey ? apikey : ""));
	json_object_set_new(o, "login", json_string(login ? login : ""));
	json_object_set_new(o, "number", json_string(number ? number : ""));
	json_object_set_new(o, "uuid", json_string(uuid ? uuid : ""));
	if (amount > 0) {
		char a[32];
		money_format_wire(amount, a, sizeof a);
		json_object_set_new(o, "amount", json_string(a));
	}
	char *text = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

char *wire_bill_status_query(const char *number, const char *login, const char *apikey)
{
	char *q = NULL;
	form_add(&q, "apikey", apikey ? apikey : "");
	form_add(&q, "login", login ? login : "");
	form_add(&q, "number", number ? number : "");
	return q;
}

/* Text cut to fit, never inside a UTF-8 sequence (jansson's strings are valid UTF-8). */
static void copy_text(const char *s, char *out, size_t n)
{
	size_t len = strlen(s);
	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(out, s, len);
	out[len] = '\0';
}

/* The {code, message, data} envelope; *data borrowed from *root. */
static kstatus envelope(const char *body, size_t len, json_t **root, int *code, char *msg,
			size_t msg_n, struct kerr *err)
{
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "reply", "%s", _("the reply is empty"));
	json_t *j = jsonx_loads(body, len, err);
	if (!j)
		return K_INVALID;
	json_t *c = json_object_get(j, "code");
	if (!json_is_object(j) || !json_is_integer(c)) {
		json_decref(j);
		return kerr_set(err, K_INVALID, "code", "%s",
				_("the reply is not a LIFE PAY answer (no integer code)"));
	}
	*code = (int)json_integer_value(c);
	const char *m = json_string_value(json_object_get(j, "message"));
	copy_text(m ? m : "", msg, msg_n);
	*root = j;
	return K_OK;
}

/* An identifier-like field: copied only when it fits whole (a cut one could mislead). */
static void copy_str(json_t *o, const char *key, char *out, size_t n)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (v && strlen(v) < n)
		str_copy(out, v, n);
}

/* A number written as a string or an integer ("12345" or 12345). */
static bool number_text(json_t *v, char *out, size_t n)
{
	if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < n &&
	    !strpbrk(json_string_value(v), ",\r\n\t ")) {
		str_copy(out, json_string_value(v), n);
		return true;
	}
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
		return true;
	}
	return false;
}

kstatus wire_bill_parse_create(const char *body, size_t len, struct bill_reply *r, struct kerr *err)
{
	memset(r, 0, sizeof *r);
	json_t *j = NULL;
	kstatus st = envelope(body, len, &j, &r->code, r->message, sizeof r->message, err);
	if (st != K_OK)
		return st;
	if (r->code != 0) {
		json_decref(j);
		return kerr_set(err, K_PROVIDER, "code", "%d: %s", r->code, r->message);
	}
	json_t *d = json_object_get(j, "data");
	json_t *s = json_object_get(d, "status");
	if (!json_is_object(d) ||
	    !number_text(json_object_get(d, "number"), r->number, sizeof r->number)) {
		json_decref(j);
		return kerr_set(err, K_INVALID, "data.number", "%s",
				_("the bill reply names no bill number"));
	}
	r->state = BILL_INITIATED;
	if (s &&
	    (!json_is_integer(s) || !bill_state_from_code((int)json_integer_value(s), &r->state))) {
		json_decref(j);
		return kerr_set(err, K_INVALID, "data.status", "%s",
				_("the bill reply has an unknown status"));
	}
	json_t *iv = json_object_get(d, "interval");
	if (json_is_integer(iv) && json_integer_value(iv) > 0 && json_integer_value(iv) <= 3600)
		r->interval_s = (int)json_integer_value(iv);
	copy_str(d, "created", r->created, sizeof r->created);
	copy_str(d, "paymentUrl", r->payment_url, sizeof r->payment_url);
	copy_str(d, "paymentUrlWeb", r->payment_url_web, sizeof r->payment_url_web);
	json_decref(j);
	if (!r->payment_url[0])
		return kerr_set(err, K_INVALID, "data.paymentUrl", "%s",
				_("the bill reply has no payment link"));
	return K_OK;
}

kstatus wire_bill_parse_status(const char *body, size_t len, const char *number,
			       enum bill_state *state, char *msg, size_t msg_n, struct kerr *err)
{
	json_t *j = NULL;
	int code = 0;
	char m[256];
	kstatus st = envelope(body, len, &j, &code, m, sizeof m, err);
	if (st != K_OK)
		return st;
	if (code != 0) {
		json_decref(j);
		copy_text(m, msg, msg_n);
		return kerr_set(err, K_PROVIDER, "code", "%d: %s", code, m);
	}
	json_t *one = json_object_get(json_object_get(j, "data"), number ? number : "");
	if (!json_is_object(one)) {
		json_decref(j);
		return kerr_set(err, K_NOTFOUND, "data", "%s",
				_("the status reply does not name this bill"));
	}
	json_t *s = json_object_get(one, "status");
	if (!json_is_integer(s) || !bill_state_from_code((int)json_integer_value(s), state)) {
		json_decref(j);
		return kerr_set(err, K_INVALID, "status", "%s",
				_("the status reply has an unknown bill status"));
	}
	const char *t = json_string_value(json_object_get(one, "msg"));
	copy_text(t ? t : "", msg, msg_n);
	json_decref(j);
	return K_OK;
}

kstatus wire_bill_parse_ack(const char *body, size_t len, int *code, char *msg, size_t msg_n,
			    struct kerr *err)
{
	json_t *j = NULL;
	kstatus st = envelope(body, len, &j, code, msg, msg_n, err);
	if (st != K_OK)
		return st;
	json_decref(j);
	if (*code != 0)
		return kerr_set(err, K_PROVIDER, "code", "%d: %s", *code, msg);
	return K_OK;
}

void wire_bill_parse_number(const char *body, size_t len, char *number, size_t n)
{
	number[0] = '\0';
	json_t *j = body && len ? jsonx_loads(body, len, NULL) : NULL;
	json_t *d = json_object_get(j, "data");
	if (json_is_object(d))
		number_text(json_object_get(d, "number"), number, n);
	json_decref(j);
}

kstatus wire_bill_parse_tx(const char *content_type, const char *body, size_t len,
			   struct bill_tx *tx, struct kerr *err)
{
	memset(tx, 0, sizeof *tx);
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "body", "%s", _("the notification is empty"));
	char *owned = NULL;
	const char *text = body;
	size_t tlen = len;
	bool form =
	    content_type && strncmp(content_type, "application/x-www-form-urlencoded", 33) == 0;
	if (form || (body[0] != '{' && memchr(body, '=', len))) {
		owned = form_get(body, len, "data");
		if (!owned)
			return kerr_set(err, K_INVALID, "data", "%s",
					_("the notification form has no data field"));
		text = owned;
		tlen = strlen(owned);
	}
	json_t *j = jsonx_loads(text, tlen, err);
	free(owned);
	if (!j)
		return K_INVALID;
	kstatus st = K_OK;
	if (!json_is_object(j)) {
		st = kerr_set(err, K_INVALID, "data", "%s", _("the notification is not an object"));
		goto out;
	}
	if (!number_text(json_object_get(j, "number"), tx->number, sizeof tx->number)) {
		st = kerr_set(err, K_INVALID, "number", "%s",
			      _("the notification names no transaction number"));
		goto out;
	}
	number_text(json_object_get(j, "original_number"), tx->original_number,
		    sizeof tx->original_number);
	copy_str(j, "type", tx->type, sizeof tx->type);
	copy_str(j, "status", tx->status, sizeof tx->status);
	if (strcmp(tx->type, "payment") != 0 && strcmp(tx->type, "refund") != 0) {
		st = kerr_set(err, K_INVALID, "type", "%s", _("must be payment or refund"));
		goto out;
	}
	if (strcmp(tx->status, "success") != 0 && strcmp(tx->status, "fail") != 0) {
		st = kerr_set(err, K_INVALID, "status", "%s", _("must be success or fail"));
		goto out;
	}
	if ((st = jsonx_money(json_object_get(j, "amount"), &tx->amount, "amount", err)) != K_OK)
		goto out;
	copy_str(j, "method", tx->method, sizeof tx->method);
	if (tx->amount < 0) {
		st = kerr_set(err, K_INVALID, "amount", "%s", _("must not be negative"));
		goto out;
	}
	const char *desc = json_string_value(json_object_get(j, "description"));
	copy_text(desc ? desc : "", tx->description, sizeof tx->description);
	copy_str(j, "pan", tx->pan, sizeof tx->pan);
	copy_str(j, "created", tx->created, sizeof tx->created);
	for (char *p = tx->method; *p; p++)
		if ((unsigned char)*p < ' ')
			*p = ' ';
out:
	json_decref(j);
	return st;
}

bool wire_bill_description_ext(const char *description, char *ext, size_t n)
{
	const char *p = description ? strstr(description, "[kassa:") : NULL;
	if (!p)
		return false;
	p += 7;
	const char *e = strchr(p, ']');
	if (!e || e == p || (size_t)(e - p) >= n)
		return false;
	for (const char *q = p; q < e; q++)
		if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
		      (*q >= 'A' && *q <= 'Z') || *q == '-' || *q == '_'))
			return false;
	memcpy(ext, p, (size_t)(e - p));
	ext[e - p] = '\0';
	return true;
}
