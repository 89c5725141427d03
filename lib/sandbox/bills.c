/*
 * LIFE PAY pay-by-link bills in the sandbox: /v1/bill, /v1/bill/status,
 * /v1/bill/cancellation, /v1/transactions/refund, a payment page at each
 * bill's link (Pay / Fail buttons, for a trainee with a browser) and admin
 * endpoints under /sandbox/bills. Bills live in memory (a restarted sandbox
 * forgets them); transaction notifications go through the callback queue
 * (store.c) with the seed's retry schedule. Shapes: docs/SANDBOX.md "Bills".
 * Called with sb->lock held.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jsonx.h"
#include "money.h"
#include "util.h"
#include "wire/form.h"
#include "wire/invoice.h"

#define SB_BILL_REFUNDS 16 /* partial refunds of one bill */

struct sb_bill {
	struct sb_bill *next;
	char number[24];
	char login[32];
	int64_t amount;
	char description[512];
	char phone[16];
	char email[256];
	char method[32];
	char callback_url[1024];
	int status;	  /* 0, 15, 10, 20, 30 */
	long long due_ms; /* 15 -> 10 at this time */
	long long created_ms;
	int invoice_items;	/* invoice_data's items when one came (checked), else 0 */
	char refund_number[24]; /* the last refund's number */
	int64_t refunded;	/* kopecks refunded so far */
	int64_t refund_amount;	/* the last refund's amount (its notification) */
	int refunds;
	struct {
		char uuid[40]; /* idempotency key */
		char number[24];
	} refund[SB_BILL_REFUNDS];
};

struct sb_bills {
	struct sb_bill *head, *tail;
	long long next_number;
	char notify_url[1024]; /* cabinet's notification URL; "" = none */
	bool notify_json;      /* send JSON instead of a form with `data` */
};

static struct sb_bills *bills_of(struct sandbox *sb)
{
	if (!sb->bills) {
		sb->bills = xcalloc(1, sizeof *sb->bills);
		sb->bills->next_number = 1000001;
	}
	return sb->bills;
}

void sandbox_bills_free(struct sandbox *sb)
{
	if (!sb->bills)
		return;
	for (struct sb_bill *b = sb->bills->head, *n; b; b = n) {
		n = b->next;
		free(b);
	}
	free(sb->bills);
	sb->bills = NULL;
}

void sandbox_bills_reset(struct sandbox *sb)
{
	char url[1024] = "";
	bool json = false;
	if (sb->bills) {
		str_copy(url, sb->bills->notify_url, sizeof url);
		json = sb->bills->notify_json;
	}
	sandbox_bills_free(sb);
	struct sb_bills *bs = bills_of(sb);
	str_copy(bs->notify_url, url, sizeof bs->notify_url);
	bs->notify_json = json;
}

static struct sb_bill *bill_find(struct sandbox *sb, const char *number)
{
	for (struct sb_bill *b = bills_of(sb)->head; b; b = b->next)
		if (strcmp(b->number, number) == 0)
			return b;
	return NULL;
}

static void envelope(struct sandbox_reply *rp, int code, const char *message, json_t *data)
{
	json_t *j = json_object();
	json_object_set_new(j, "code", json_integer(code));
	json_object_set_new(j, "message", json_string(message));
	json_object_set_new(j, "data", data ? data : json_object());
	sandbox_reply_json(rp, 200, j);
}

static void field_error(struct sandbox_reply *rp, const char *field, const char *text)
{
	json_t *data = json_object();
	json_t *arr = json_array();
	json_array_append_new(arr, json_string(text));
	json_object_set_new(data, field, arr);
	envelope(rp, 400, "Ошибка данных.", data);
}

static const char *status_msg(int s)
{
	switch (s) {
	case 0:
		return "Счёт выставлен";
	case 15:
		return "Ожидает подтверждения";
	case 10:
		return "Оплачен";
	case 20:
		return "Ошибка оплаты";
	case 30:
		return "Отменён";
	default:
		return "";
	}
}

static void iso_time(long long ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Queues a transaction notification about b (type payment or refund). */
static void notify(struct sandbox *sb, const struct sb_bill *b, const char *type, bool ok)
{
	const char *url = b->callback_url[0] ? b->callback_url : bills_of(sb)->notify_url;
	if (!url[0])
		return;
	json_t *j = json_object();
	char amount[32], created[32];
	bool refund = strcmp(type, "refund") == 0;
	money_format_wire(refund ? b->refund_amount : b->amount, amount, sizeof amount);
	iso_time(sandbox_now(sb), created, sizeof created);
	json_object_set_new(j, "number", json_string(refund ? b->refund_number : b->number));
	if (refund)
		json_object_set_new(j, "original_number", json_string(b->number));
	json_object_set_new(j, "type", json_string(type));
	json_object_set_new(j, "status", json_string(ok ? "success" : "fail"));
	json_object_set_new(
	    j, "method", json_string(strcmp(b->method, "sbp") == 0 ? "sbp" : "internetAcquiring"));
	json_object_set_new(j, "amount", json_string(amount));
	json_object_set_new(j, "tip_amount", json_string("0.00"));
	json_object_set_new(j, "discount_amount", json_string("0.00"));
	json_object_set_new(j, "description", json_string(b->description));
	json_object_set_new(j, "phone", json_string(b->phone));
	json_object_set_new(j, "email", json_string(b->email));
	json_object_set_new(j, "pan",
			    json_string(strcmp(b->method, "sbp") == 0 ? "" : "220000******0004"));
	json_object_set_new(j, "created", json_string(created));
	char *text = jsonx_dumps(j, JSON_COMPACT);
	json_decref(j);
	char *body = NULL;
	struct sb_callback cb = {0};
	if (bills_of(sb)->notify_json) {
		body = text;
		text = NULL;
		cb.content_type = (char *)"application/json";
	} else {
		form_add(&body, "data", text ? text : "{}");
		cb.content_type = (char *)"application/x-www-form-urlencoded";
	}
	free(text);
	str_copy(cb.provider, "lifepay-tx", sizeof cb.provider);
	str_copy(cb.ref, refund ? b->refund_number : b->number, sizeof cb.ref);
	cb.url = (char *)url;
	cb.body = body;
	cb.max_attempts = SANDBOX_CALLBACK_ATTEMPTS;
	cb.next_ms = sandbox_now(sb);
	sandbox_store_cb_add(sb->store, &cb, NULL);
	free(body);
	sandbox_log(sb, "bill %s: %s %s notification queued", b->number, type,
		    ok ? "success" : "fail");
	sandbox_wake(sb);
}

void sandbox_bills_advance(struct sandbox *sb)
{
	if (!sb->bills)
		return;
	long long now = sandbox_now(sb);
	for (struct sb_bill *b = sb->bills->head; b; b = b->next)
		if (b->status == 15 && b->due_ms <= now) {
			b->status = 10;
			sandbox_log(sb, "bill %s paid", b->number);
			notify(sb, b, "payment", true);
		}
}

/* Pays (ok) or fails a bill waiting for the buyer; false with why when it is not. */
static bool bill_settle(struct sandbox *sb, struct sb_bill *b, bool ok, const char **why)
{
	if (b->status != 0) {
		*why = "the bill is not waiting for payment";
		return false;
	}
	if (ok) {
		b->status = 15;
		long long delay = sb->opt.callback_delay_ms > 0 ? sb->opt.callback_delay_ms : 1000;
		b->due_ms = sandbox_now(sb) + sandbox_scaled(sb, delay);
		sandbox_wake(sb);
	} else {
		b->status = 20;
		notify(sb, b, "payment", false);
	}
	return true;
}

/* The account of a request's login and apikey, or NULL after answering 6009/6010. */
static struct sb_lifepay_acc *auth(struct sandbox *sb, const char *login, const char *key,
				   struct sandbox_reply *rp)
{
	struct sb_lifepay_acc *acc = login ? sandbox_accounts_lifepay(&sb->accounts, login) : NULL;
	if (!acc) {
		envelope(rp, 6009, "Не удалось найти пользователя по login.", NULL);
		return NULL;
	}
	key = key ? key : "";
	if (strlen(key) != strlen(acc->apikey) || !mem_equal_ct(key, acc->apikey, strlen(key))) {
		envelope(rp, 6010, "Не удалось найти пользователя по login и apikey.", NULL);
		return NULL;
	}
	return acc;
}

static json_t *body_object(const struct sandbox_request *rq, struct sandbox_reply *rp)
{
	json_t *j = rq->body_len ? jsonx_loads(rq->body, rq->body_len, NULL) : NULL;
	if (!json_is_object(j)) {
		json_decref(j);
		field_error(rp, "request", "тело запроса должно быть одним JSON-объектом");
		return NULL;
	}
	return j;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool phone_ok(const char *p)
{
	if (strlen(p) != 11 || p[0] != '7')
		return false;
	for (const char *q = p; *q; q++)
		if (*q < '0' || *q > '9')
			return false;
	return true;
}

static void bill_create(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	json_t *j = body_object(rq, rp);
	if (!j)
		return;
	if (!auth(sb, jstr(j, "login"), jstr(j, "apikey"), rp)) {
		json_decref(j);
		return;
	}
	struct sb_bill b = {0};
	json_t *amount = json_object_get(j, "amount");
	const char *method = jstr(j, "method") ? jstr(j, "method") : "sbp";
	const char *phone = jstr(j, "customer_phone") ? jstr(j, "customer_phone") : "";
	const char *email = jstr(j, "customer_email") ? jstr(j, "customer_email") : "";
	const char *desc = jstr(j, "description") ? jstr(j, "description") : "";
	const char *cb = jstr(j, "callback_url") ? jstr(j, "callback_url") : "";
	const char *problem = NULL, *field = NULL;
	if (!json_is_string(amount) ||
	    decimal_parse(json_string_value(amount), 2, INT64_C(99999999999), 0, &b.amount,
			  "amount", NULL) != K_OK ||
	    b.amount <= 0)
		field = "amount",
		problem = "сумма - строка с точкой и не более чем 2 знаками, больше 0";
	else if (strcmp(method, "sbp") && strcmp(method, "internetAcquiring") &&
		 strcmp(method, "mobileCommerce"))
		field = "method", problem = "допустимо: sbp, internetAcquiring, mobileCommerce";
	else if (phone[0] && !phone_ok(phone))
		field = "customer_phone", problem = "телефон: 7 и 10 цифр";
	else if (email[0] && !strchr(email, '@'))
		field = "customer_email", problem = "неверный адрес электронной почты";
	else if (!phone[0] && !email[0])
		field = "customer_phone", problem = "укажите телефон или адрес электронной почты";
	else if (strcmp(method, "mobileCommerce") == 0 && !phone[0])
		field = "customer_phone", problem = "для mobileCommerce нужен телефон";
	else if (strlen(desc) >= sizeof b.description || strlen(cb) >= sizeof b.callback_url ||
		 strlen(email) >= sizeof b.email)
		field = "description", problem = "слишком длинное значение";
	if (problem) {
		json_decref(j);
		field_error(rp, field, problem);
		return;
	}
	/* invoice_data (seed 003): optional here, held to the seed's schema when it comes. */
	json_t *inv = json_object_get(j, "invoice_data");
	if (inv) {
		char *text = jsonx_dumps(inv, JSON_COMPACT);
		struct invoice parsed;
		memset(&parsed, 0, sizeof parsed);
		struct kerr e = {0};
		kstatus ist = text ? invoice_parse(text, strlen(text), &parsed, &e) : K_INVALID;
		b.invoice_items = (int)parsed.n;
		invoice_free(&parsed);
		free(text);
		if (ist != K_OK) {
			char path[96];
			snprintf(path, sizeof path, "invoice_data%s%s", e.field[0] ? "." : "",
				 e.field);
			json_decref(j);
			field_error(rp, path, e.text[0] ? e.text : "invoice_data не по схеме");
			return;
		}
	}
	struct sb_bills *bs = bills_of(sb);
	snprintf(b.number, sizeof b.number, "%lld", bs->next_number++);
	str_copy(b.login, jstr(j, "login"), sizeof b.login);
	str_copy(b.description, desc, sizeof b.description);
	str_copy(b.phone, phone, sizeof b.phone);
	str_copy(b.email, email, sizeof b.email);
	str_copy(b.method, method, sizeof b.method);
	str_copy(b.callback_url, cb, sizeof b.callback_url);
	b.created_ms = sandbox_now(sb);
	json_decref(j);
	struct sb_bill *nb = xmalloc(sizeof *nb);
	*nb = b;
	if (bs->tail)
		bs->tail->next = nb;
	else
		bs->head = nb;
	bs->tail = nb;
	char url[128], created[32];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/pay/%s", sandbox_http_port(sb), b.number);
	iso_time(b.created_ms, created, sizeof created);
	json_t *d = json_object();
	json_object_set_new(d, "status", json_integer(0));
	json_object_set_new(d, "number", json_string(b.number));
	json_object_set_new(d, "created", json_string(created));
	json_object_set_new(
	    d, "interval",
	    json_integer(sandbox_scaled(sb, 5000) >= 1000 ? sandbox_scaled(sb, 5000) / 1000 : 1));
	json_object_set_new(d, "paymentUrl", json_string(url));
	if (strcmp(b.method, "sbp") == 0) {
		char web[160];
		snprintf(web, sizeof web, "%s?web=1", url);
		json_object_set_new(d, "paymentUrlWeb", json_string(web));
	}
	sandbox_log(sb, "bill %s created (%s)", b.number, b.method);
	envelope(rp, 0, "Счёт выставлен", d);
}

static void bill_status(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	const char *q = rq->query ? rq->query : "";
	char *login = form_get(q, strlen(q), "login");
	char *key = form_get(q, strlen(q), "apikey");
	char *numbers = form_get(q, strlen(q), "number");
	if (auth(sb, login, key, rp)) {
		if (!numbers || !numbers[0]) {
			field_error(rp, "number", "укажите номер счёта");
		} else {
			sandbox_bills_advance(sb);
			json_t *d = json_object();
			char *save = NULL;
			for (char *n = strtok_r(numbers, ",", &save); n;
			     n = strtok_r(NULL, ",", &save)) {
				struct sb_bill *b = bill_find(sb, n);
				if (!b || strcmp(b->login, login) != 0)
					continue;
				json_t *o = json_object();
				json_object_set_new(o, "status", json_integer(b->status));
				json_object_set_new(o, "msg", json_string(status_msg(b->status)));
				json_object_set_new(d, b->number, o);
			}
			envelope(rp, 0, "OK", d);
		}
	}
	free(login);
	free(key);
	free(numbers);
}

/* cancellation and refund: the bill of the body's number, or NULL after answering. */
static struct sb_bill *bill_of_body(struct sandbox *sb, const struct sandbox_request *rq,
				    struct sandbox_reply *rp, json_t **out)
{
	json_t *j = body_object(rq, rp);
	if (!j)
		return NULL;
	if (!auth(sb, jstr(j, "login"), jstr(j, "apikey"), rp)) {
		json_decref(j);
		return NULL;
	}
	const char *n = jstr(j, "number");
	struct sb_bill *b = n ? bill_find(sb, n) : NULL;
	if (!b || strcmp(b->login, jstr(j, "login")) != 0) {
		json_decref(j);
		field_error(rp, "number", "счёт не найден");
		return NULL;
	}
	*out = j;
	return b;
}

static void bill_cancel(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	json_t *j = NULL;
	struct sb_bill *b = bill_of_body(sb, rq, rp, &j);
	if (!b)
		return;
	json_decref(j);
	if (b->status == 30) {
		envelope(rp, 0, "Счёт уже отменён", NULL);
		return;
	}
	if (b->status != 0) {
		char msg[128];
		snprintf(msg, sizeof msg, "счёт в статусе %d нельзя отменить", b->status);
		field_error(rp, "number", msg);
		return;
	}
	b->status = 30;
	sandbox_log(sb, "bill %s cancelled", b->number);
	envelope(rp, 0, "Счёт отменён", NULL);
}

static void bill_refund(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	json_t *j = NULL;
	struct sb_bill *b = bill_of_body(sb, rq, rp, &j);
	if (!b)
		return;
	const char *u = jstr(j, "uuid");
	char uuid[sizeof b->refund[0].uuid];
	if (!u || !u[0] || !str_copy(uuid, u, sizeof uuid)) {
		json_decref(j);
		field_error(rp, "uuid", "укажите uuid (ключ идемпотентности)");
		return;
	}
	for (int i = 0; i < b->refunds; i++)
		if (strcmp(b->refund[i].uuid, uuid) == 0) {
			json_decref(j);
			json_t *d = json_object();
			json_object_set_new(d, "number", json_string(b->refund[i].number));
			envelope(rp, 0, "Возврат уже выполнен", d);
			return;
		}
	/* amount (kassa's reading for a partial refund): at most what is left. */
	int64_t amount = b->amount - b->refunded;
	const char *a = jstr(j, "amount");
	if (a && a[0] && (money_parse(a, &amount, "amount", NULL) != K_OK || amount <= 0)) {
		json_decref(j);
		field_error(rp, "amount", "сумма возврата: число больше нуля, например 100.00");
		return;
	}
	json_decref(j);
	if (b->status != 10) {
		field_error(rp, "number", "вернуть можно только оплаченный счёт");
		return;
	}
	if (b->refunded >= b->amount || amount > b->amount - b->refunded ||
	    b->refunds >= SB_BILL_REFUNDS) {
		field_error(rp, b->refunded >= b->amount ? "number" : "amount",
			    b->refunded >= b->amount ? "возврат уже выполнен"
						     : "сумма возврата больше оплаченного остатка");
		return;
	}
	int i = b->refunds++;
	str_copy(b->refund[i].uuid, uuid, sizeof b->refund[i].uuid);
	snprintf(b->refund_number, sizeof b->refund_number, "%lld", bills_of(sb)->next_number++);
	str_copy(b->refund[i].number, b->refund_number, sizeof b->refund[i].number);
	b->refunded += amount;
	b->refund_amount = amount;
	notify(sb, b, "refund", true);
	json_t *d = json_object();
	json_object_set_new(d, "number", json_string(b->refund_number));
	envelope(rp, 0, "Возврат выполнен", d);
}

/* ---- the payment page ---- */

static void html_reply(struct sandbox_reply *rp, int status, const char *html)
{
	free(rp->body);
	rp->http_status = status;
	rp->body = xstrdup(html);
	rp->body_len = strlen(html);
	str_copy(rp->content_type, "text/html; charset=utf-8", sizeof rp->content_type);
}

/* Escapes <, >, &, " for HTML text into out. */
static void html_esc(const char *s, char *out, size_t n)
{
	size_t k = 0;
	for (; *s && k + 7 < n; s++) {
		const char *r = *s == '<'   ? "&lt;"
				: *s == '>' ? "&gt;"
				: *s == '&' ? "&amp;"
				: *s == '"' ? "&quot;"
					    : NULL;
		if (r) {
			memcpy(out + k, r, strlen(r));
			k += strlen(r);
		} else {
			out[k++] = *s;
		}
	}
	out[k] = '\0';
}

static void pay_page(struct sandbox *sb, const struct sb_bill *b, const char *note,
		     struct sandbox_reply *rp)
{
	char amount[32], desc[1100], html[4096];
	money_format_wire(b->amount, amount, sizeof amount);
	html_esc(b->description, desc, sizeof desc);
	bool open = b->status == 0;
	snprintf(html, sizeof html,
		 "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">"
		 "<title>kassa-sandbox: счёт %s</title></head><body>"
		 "<h1>Счёт %s (kassa-sandbox, training)</h1>"
		 "<p>Сумма / amount: <b>%s</b> ₽</p><p>%s</p>"
		 "<p id=\"status\">Статус / status: %d %s</p><p>%s</p>%s%s%s%s%s"
		 "</body></html>",
		 b->number, b->number, amount, desc, b->status, status_msg(b->status), note,
		 open ? "<form method=\"post\" action=\"/pay/" : "", open ? b->number : "",
		 open ? "/pay\"><button id=\"pay\">Оплатить / Pay</button></form>"
			"<form method=\"post\" action=\"/pay/"
		      : "",
		 open ? b->number : "",
		 open ? "/fail\"><button id=\"fail\">Отказ / Fail</button></form>" : "");
	(void)sb;
	html_reply(rp, 200, html);
}

static void pay_route(struct sandbox *sb, const struct sandbox_request *rq,
		      struct sandbox_reply *rp)
{
	char number[32];
	const char *p = rq->path + 5;
	size_t n = strcspn(p, "/");
	if (n == 0 || n >= sizeof number) {
		html_reply(rp, 404, "<p>no such bill</p>");
		return;
	}
	memcpy(number, p, n);
	number[n] = '\0';
	const char *action = p[n] == '/' ? p + n + 1 : "";
	sandbox_bills_advance(sb);
	struct sb_bill *b = bill_find(sb, number);
	if (!b) {
		html_reply(rp, 404, "<p>Счёт не найден / no such bill</p>");
		return;
	}
	if (!action[0] && strcmp(rq->method, "GET") == 0) {
		pay_page(sb, b, "", rp);
		return;
	}
	bool ok = strcmp(action, "pay") == 0;
	if (strcmp(rq->method, "POST") != 0 || (!ok && strcmp(action, "fail") != 0)) {
		html_reply(rp, 405, "<p>use the buttons of GET /pay/NUMBER</p>");
		return;
	}
	const char *why = "";
	bool done = bill_settle(sb, b, ok, &why);
	pay_page(sb, b, done ? (ok ? "Оплата принята / payment accepted" : "Отказ / failed") : why,
		 rp);
	if (!done)
		rp->http_status = 409;
}

/* ---- admin ---- */

static json_t *bill_json(const struct sb_bill *b)
{
	json_t *o = json_object();
	char amount[32];
	money_format_wire(b->amount, amount, sizeof amount);
	json_object_set_new(o, "number", json_string(b->number));
	json_object_set_new(o, "status", json_integer(b->status));
	json_object_set_new(o, "amount", json_string(amount));
	json_object_set_new(o, "method", json_string(b->method));
	json_object_set_new(o, "description", json_string(b->description));
	json_object_set_new(o, "customer_phone", json_string(b->phone));
	json_object_set_new(o, "customer_email", json_string(b->email));
	json_object_set_new(o, "refund_number", json_string(b->refund_number));
	char refunded[32];
	money_format_wire(b->refunded, refunded, sizeof refunded);
	json_object_set_new(o, "refunded", json_string(refunded));
	json_object_set_new(o, "refunds", json_integer(b->refunds));
	json_object_set_new(o, "invoice_items", json_integer(b->invoice_items));
	return o;
}

static void admin_error(struct sandbox_reply *rp, int status, const char *msg)
{
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(msg));
	json_object_set_new(j, "status", json_integer(status));
	sandbox_reply_json(rp, status, j);
}

bool sandbox_bills_admin(struct sandbox *sb, const struct sandbox_request *rq,
			 struct sandbox_reply *rp)
{
	const char *p = rq->path;
	if (strncmp(p, "/sandbox/bills", 14) != 0)
		return false;
	p += 14;
	sandbox_bills_advance(sb);
	if (p[0] == '\0' || strcmp(p, "/") == 0) {
		json_t *arr = json_array();
		for (struct sb_bill *b = bills_of(sb)->head; b; b = b->next)
			json_array_append_new(arr, bill_json(b));
		json_t *j = json_object();
		json_object_set_new(j, "bills", arr);
		json_object_set_new(j, "notify_url", json_string(bills_of(sb)->notify_url));
		sandbox_reply_json(rp, 200, j);
		return true;
	}
	if (strcmp(rq->method, "POST") != 0) {
		admin_error(rp, 405, "use POST");
		return true;
	}
	json_t *j = rq->body_len ? jsonx_loads(rq->body, rq->body_len, NULL) : NULL;
	if (strcmp(p, "/notify-url") == 0) {
		const char *url = jstr(j, "url");
		const char *fmt = jstr(j, "format");
		if (!url || strlen(url) >= sizeof bills_of(sb)->notify_url ||
		    (fmt && strcmp(fmt, "form") && strcmp(fmt, "json"))) {
			admin_error(
			    rp, 400,
			    "send {\"url\": \"http://...\", \"format\": \"form\"|\"json\"}");
		} else {
			str_copy(bills_of(sb)->notify_url, url, sizeof bills_of(sb)->notify_url);
			bills_of(sb)->notify_json = fmt && strcmp(fmt, "json") == 0;
			json_t *o = json_object();
			json_object_set_new(o, "notify_url", json_string(url));
			json_object_set_new(
			    o, "format", json_string(bills_of(sb)->notify_json ? "json" : "form"));
			sandbox_reply_json(rp, 200, o);
		}
		json_decref(j);
		return true;
	}
	bool pay = strcmp(p, "/pay") == 0;
	if (!pay && strcmp(p, "/fail") != 0) {
		json_decref(j);
		admin_error(rp, 404,
			    "bills: GET /sandbox/bills, POST /sandbox/bills/pay|fail|notify-url");
		return true;
	}
	const char *n = jstr(j, "number");
	struct sb_bill *b = n ? bill_find(sb, n) : NULL;
	const char *why = "no such bill; send {\"number\": \"...\"}";
	if (b && bill_settle(sb, b, pay, &why))
		sandbox_reply_json(rp, 200, bill_json(b));
	else
		admin_error(rp, b ? 409 : 404, why);
	json_decref(j);
	return true;
}

bool sandbox_bills_handle(struct sandbox *sb, const struct sandbox_request *rq,
			  struct sandbox_reply *rp)
{
	const char *p = rq->path;
	if (strncmp(p, "/pay/", 5) == 0) {
		pay_route(sb, rq, rp);
		return true;
	}
	bool get = strcmp(p, "/v1/bill/status") == 0;
	bool post = strcmp(p, "/v1/bill") == 0 || strcmp(p, "/v1/bill/cancellation") == 0 ||
		    strcmp(p, "/v1/transactions/refund") == 0;
	if (!get && !post)
		return false;
	if (strcmp(rq->method, get ? "GET" : "POST") != 0) {
		admin_error(rp, 405, get ? "use GET" : "use POST");
		str_copy(rp->extra_header[0], get ? "Allow: GET" : "Allow: POST",
			 sizeof rp->extra_header[0]);
		return true;
	}
	if (get)
		bill_status(sb, rq, rp);
	else if (strcmp(p, "/v1/bill") == 0)
		bill_create(sb, rq, rp);
	else if (strcmp(p, "/v1/bill/cancellation") == 0)
		bill_cancel(sb, rq, rp);
	else
		bill_refund(sb, rq, rp);
	return true;
}
