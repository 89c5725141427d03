/*
 * PayKeeper receipts (JSON API section 8) as the sandbox emulates them:
 * Basic auth on every request, a 24-hour token for POSTs, the print
 * request's uniqueness rule, the registries, status progression and a
 * callback signed with the seed's HMAC rule, sent once on the final status.
 * Request and reply shapes come from lib/wire/paykeeper.c, the client's own
 * code. Called with sb->lock held.
 */
#include "sandbox/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jsonx.h"
#include "money.h"
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
static void reply_fail(struct sandbox_reply *rp, const char *msg)
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

static void reply_raw(struct sandbox_reply *rp, char *text)
{
	free(rp->body);
	rp->http_status = 200;
	rp->body = text ? text : xstrdup("{}");
	rp->body_len = strlen(rp->body);
	str_copy(rp->content_type, "application/json; charset=utf-8", sizeof rp->content_type);
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

static void reply_receipt_array(struct sandbox_reply *rp, struct sb_pk_receipt **list, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, sandbox_paykeeper_receipt_json(list[i]));
	sandbox_reply_json(rp, 200, arr);
}

/* ---- query strings ---- */

struct query {
	struct form_pair *p;
	size_t n;
};

static const char *q_get(const struct query *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->p[i].key, name) == 0)
			return q->p[i].value;
	return NULL;
}

/* True if `name`, `name[]` or `name[N]` has the value v. */
static bool q_array_has(const struct query *q, const char *name, const char *v)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < q->n; i++) {
		const char *k = q->p[i].key;
		if (strncmp(k, name, len) != 0 || (k[len] != '\0' && k[len] != '['))
			continue;
		if (strcmp(q->p[i].value, v) == 0)
			return true;
	}
	return false;
}

static bool q_array_given(const struct query *q, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < q->n; i++) {
		const char *k = q->p[i].key;
		if (strncmp(k, name, len) == 0 && (k[len] == '\0' || k[len] == '[') &&
		    q->p[i].value[0])
			return true;
	}
	return false;
}

static bool date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* start/end filter on the request date; false (and a fail reply) on a malformed date. */
static bool q_dates(const struct query *q, struct sandbox_reply *rp, bool required,
		    const char **start, const char **end)
{
	*start = q_get(q, "start");
	*end = q_get(q, "end");
	if (*start && !(*start)[0])
		*start = NULL;
	if (*end && !(*end)[0])
		*end = NULL;
	if (required && (!*start || !*end)) {
		reply_fail(rp, "Параметры start и end (YYYY-MM-DD) обязательны.");
		return false;
	}
	if ((*start && !date_ok(*start)) || (*end && !date_ok(*end))) {
		reply_fail(rp, "Даты start и end задаются в формате YYYY-MM-DD.");
		return false;
	}
	return true;
}

static bool in_dates(const struct sb_pk_receipt *r, const char *start, const char *end)
{
	return (!start || strncmp(r->request_datetime, start, 10) >= 0) &&
	       (!end || strncmp(r->request_datetime, end, 10) <= 0);
}

static const char *const sum_types[] = {"sum_cashless", "sum_cash", "sum_advance", "sum_credit"};
static const char *const statuses[] = {"created",  "sending", "request_sent", "success",
				       "rejected", "timeout", "failed"};
static const char *const filter_types[] = {"sale", "refund", "expense", "expense-refund",
					   "correction"};

static int64_t sum_of(const struct sb_pk_receipt *r, size_t i)
{
	const int64_t v[] = {r->sum_cashless, r->sum_cash, r->sum_advance, r->sum_credit};
	return v[i];
}

static const char *filter_type_of(const struct sb_pk_receipt *r)
{
	return r->is_correction[0] == '1' ? "correction" : r->type;
}

/* Counts by status, receipt type and payment form, as nested objects. */
static json_t *counts_json(struct sb_pk_receipt **list, size_t n)
{
	json_t *o = json_object(), *st = json_object(), *ty = json_object(), *su = json_object();
	for (size_t s = 0; s < sizeof statuses / sizeof statuses[0]; s++) {
		json_int_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += strcmp(list[i]->status, statuses[s]) == 0;
		json_object_set_new(st, statuses[s], json_integer(c));
	}
	for (size_t t = 0; t < sizeof filter_types / sizeof filter_types[0]; t++) {
		json_int_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += strcmp(filter_type_of(list[i]), filter_types[t]) == 0;
		json_object_set_new(ty, filter_types[t], json_integer(c));
	}
	for (size_t k = 0; k < 4; k++) {
		json_int_t c = 0;
		for (size_t i = 0; i < n; i++)
			c += sum_of(list[i], k) != 0;
		json_object_set_new(su, sum_types[k], json_integer(c));
	}
	json_object_set_new(o, "status", st);
	json_object_set_new(o, "receipt_type", ty);
	json_object_set_new(o, "sum_type", su);
	return o;
}

static const char *sort_key;
static int sort_dir;

static const char *sort_value(const struct sb_pk_receipt *r)
{
	if (strcmp(sort_key, "payment_id") == 0)
		return r->payment_id;
	if (strcmp(sort_key, "refund_id") == 0)
		return r->refund_id;
	if (strcmp(sort_key, "obtain_datetime") == 0)
		return r->obtain_datetime;
	if (strcmp(sort_key, "status") == 0)
		return r->status;
	return r->request_datetime;
}

static int on_sort(const void *a, const void *b)
{
	const struct sb_pk_receipt *x = *(struct sb_pk_receipt *const *)a;
	const struct sb_pk_receipt *y = *(struct sb_pk_receipt *const *)b;
	int c = strcmp(sort_value(x), sort_value(y));
	if (c == 0)
		c = x->id < y->id ? -1 : x->id > y->id;
	return c * sort_dir;
}

static bool q_int(const struct query *q, const char *name, long long def, long long max,
		  long long *out)
{
	const char *v = q_get(q, name);
	*out = def;
	if (!v || !v[0])
		return true;
	char *end = NULL;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || !end || *end || x < 0 || x > max)
		return false;
	*out = x;
	return true;
}

static void handle_bydate(struct sb_pk_receipt *all, size_t n, const struct query *q,
			  struct sandbox_reply *rp, bool count_only)
{
	const char *start, *end;
	if (!q_dates(q, rp, count_only, &start, &end))
		return;
	if (!count_only && (!q_array_given(q, "receipt_type") || !q_array_given(q, "sum_type"))) {
		reply_fail(rp, "Параметры receipt_type[] и sum_type[] обязательны.");
		return;
	}
	const char *sort = q_get(q, "sort"), *dir = q_get(q, "direction");
	static const char *const sorts[] = {"payment_id", "refund_id", "request_datetime",
					    "obtain_datetime", "status"};
	bool sort_ok = !sort || !sort[0];
	for (size_t i = 0; i < 5 && !sort_ok; i++)
		sort_ok = strcmp(sort, sorts[i]) == 0;
	if (!sort_ok ||
	    (dir && dir[0] && strcasecmp(dir, "ASC") != 0 && strcasecmp(dir, "DESC") != 0)) {
		reply_fail(rp, "sort: payment_id, refund_id, request_datetime, obtain_datetime или "
			       "status; direction: ASC или DESC.");
		return;
	}
	long long from, limit;
	if (!q_int(q, "from", 0, 1000000000LL, &from) || !q_int(q, "limit", 10, 1000, &limit)) {
		reply_fail(rp, "from и limit: целые числа (limit не больше 1000).");
		return;
	}
	struct sb_pk_receipt **sel = xcalloc(n ? n : 1, sizeof *sel);
	size_t m = 0;
	bool by_status = q_array_given(q, "status");
	for (size_t i = 0; i < n; i++) {
		struct sb_pk_receipt *r = &all[i];
		if (!in_dates(r, start, end))
			continue;
		if (!count_only) {
			if (by_status && !q_array_has(q, "status", r->status))
				continue;
			if (!q_array_has(q, "receipt_type", filter_type_of(r)))
				continue;
			bool any = false;
			for (size_t k = 0; k < 4 && !any; k++)
				any = sum_of(r, k) != 0 && q_array_has(q, "sum_type", sum_types[k]);
			if (!any)
				continue;
		}
		sel[m++] = r;
	}
	json_t *counts = counts_json(sel, m);
	if (count_only) {
		json_object_set_new(counts, "total", json_integer((json_int_t)m));
		sandbox_reply_json(rp, 200, counts);
		free(sel);
		return;
	}
	sort_key = sort && sort[0] ? sort : "request_datetime";
	sort_dir = dir && strcasecmp(dir, "ASC") == 0 ? 1 : -1;
	qsort(sel, m, sizeof *sel, on_sort);
	size_t first = (size_t)from < m ? (size_t)from : m;
	size_t count = m - first < (size_t)limit ? m - first : (size_t)limit;
	json_t *arr = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(arr, sandbox_paykeeper_receipt_json(sel[first + i]));
	json_t *totals = counts_json(sel, m);
	json_object_set_new(totals, "total", json_integer((json_int_t)m));
	json_object_set_new(counts, "page_size", json_integer((json_int_t)count));
	json_object_set_new(counts, "totals", totals);
	json_t *o = json_object();
	json_object_set_new(o, "receipts", arr);
	json_object_set_new(o, "counts", counts);
	sandbox_reply_json(rp, 200, o);
	free(sel);
}

static void handle_search(struct sb_pk_receipt *all, size_t n, const struct query *q,
			  struct sandbox_reply *rp)
{
	const char *start, *end;
	if (!q_dates(q, rp, false, &start, &end))
		return;
	const char *text = q_get(q, "query");
	if (!text || !text[0]) {
		reply_fail(rp, "Параметр query обязателен: часть id, payment_id или contact.");
		return;
	}
	struct sb_pk_receipt **sel = xcalloc(n ? n : 1, sizeof *sel);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		char id[24];
		snprintf(id, sizeof id, "%lld", all[i].id);
		if (in_dates(&all[i], start, end) &&
		    (strstr(id, text) || strstr(all[i].payment_id, text) ||
		     strstr(all[i].contact, text)))
			sel[m++] = &all[i];
	}
	reply_receipt_array(rp, sel, m);
	free(sel);
}

static void handle_bypaymentid(struct sb_pk_receipt *all, size_t n, const struct query *q,
			       struct sandbox_reply *rp)
{
	const char *pid = q_get(q, "payment_id");
	if (!pid || !pid[0]) {
		reply_fail(rp, "Параметр payment_id обязателен.");
		return;
	}
	struct sb_pk_receipt **sel = xcalloc(n ? n : 1, sizeof *sel);
	size_t m = 0;
	bool skipped_first = false;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(all[i].payment_id, pid) != 0)
			continue;
		/* The seed: the payment's very first sale receipt is not listed. */
		if (!skipped_first && strcmp(all[i].type, "sale") == 0 &&
		    all[i].is_post_sale[0] != '1') {
			skipped_first = true;
			continue;
		}
		sel[m++] = &all[i];
	}
	reply_receipt_array(rp, sel, m);
	free(sel);
}

static void handle_byid(struct sandbox *sb, const struct sb_paykeeper_acc *acc,
			const struct query *q, struct sandbox_reply *rp)
{
	const char *v = q_get(q, "id");
	char *end = NULL;
	errno = 0;
	long long id = v ? strtoll(v, &end, 10) : 0;
	struct sb_pk_receipt r;
	if (!v || errno || !end || *end || id <= 0 ||
	    sandbox_store_pk_get(sb->store, id, &r, NULL) != K_OK) {
		reply_raw(rp, xstrdup("[]"));
		return;
	}
	if (strcmp(r.user, acc->user) != 0) {
		reply_raw(rp, xstrdup("[]"));
	} else {
		sandbox_reply_json(rp, 200, sandbox_paykeeper_receipt_json(&r));
	}
	sandbox_pk_free(&r);
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
			reply_fail(rp, "Не удалось выдать токен.");
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
		reply_fail(rp, "Тело запроса содержит нулевой байт.");
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
		reply_fail(rp, "Токен безопасности не верен.");
		return;
	}
	struct pk_print_request pr;
	struct kerr e = {0};
	if (paykeeper_parse_print_request(rq->body, rq->body_len, &pr, &e) != K_OK) {
		char msg[448];
		sandbox_message_ru(e.field[0] ? e.field : "request", e.text, msg, sizeof msg);
		reply_fail(rp, msg);
		return;
	}
	char why[256];
	if (!sandbox_pk_check_contact(pr.contact, sb->opt.strict, why, sizeof why) ||
	    !sandbox_pk_check_properties(rq->body, rq->body_len, sb->opt.strict, why, sizeof why)) {
		paykeeper_print_request_free(&pr);
		reply_fail(rp, why);
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
		reply_fail(rp, "is_correction: должно быть true или false.");
		return;
	}
	if (correction && !sandbox_pk_check_correction(rq->body, rq->body_len, why, sizeof why)) {
		paykeeper_print_request_free(&pr);
		reply_fail(rp, why);
		return;
	}
	if (!pr.payment_id[0] && !pr.receipt_key[0]) {
		paykeeper_print_request_free(&pr);
		reply_fail(rp, "receipt_key: обязателен для чека без платежа (payment_id пуст).");
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
		reply_fail(rp, msg);
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
		reply_fail(rp, "Не удалось сохранить чек.");
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
	struct query q = {0};
	q.p = form_parse(rq->query ? rq->query : "", rq->query ? strlen(rq->query) : 0, &q.n);
	if (which == 2) {
		handle_byid(sb, acc, &q, rp);
		form_pairs_free(q.p, q.n);
		return true;
	}
	struct sb_pk_receipt *all = NULL;
	size_t n = 0;
	if (sandbox_store_pk_all(sb->store, acc->user, &all, &n, NULL) != K_OK) {
		reply_fail(rp, "Внутренняя ошибка хранилища.");
	} else if (which == 3) {
		handle_bypaymentid(all, n, &q, rp);
	} else if (which == 4) {
		handle_bydate(all, n, &q, rp, false);
	} else if (which == 5) {
		handle_bydate(all, n, &q, rp, true);
	} else {
		handle_search(all, n, &q, rp);
	}
	for (size_t i = 0; i < n; i++)
		sandbox_pk_free(&all[i]);
	free(all);
	form_pairs_free(q.p, q.n);
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
