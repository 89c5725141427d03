/* PayKeeper's receipt registries (by id, payment id, date, search) as the sandbox emulates them. */
#include "sandbox/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonx.h"
#include "sandbox/pk_int.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

struct query {
	struct form_pair *p;
	size_t n;
};

static void reply_raw(struct sandbox_reply *rp, char *text)
{
	free(rp->body);
	rp->http_status = 200;
	rp->body = text ? text : xstrdup("{}");
	rp->body_len = strlen(rp->body);
	str_copy(rp->content_type, "application/json; charset=utf-8", sizeof rp->content_type);
}

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
		pk_reply_fail(rp, "Параметры start и end (YYYY-MM-DD) обязательны.");
		return false;
	}
	if ((*start && !date_ok(*start)) || (*end && !date_ok(*end))) {
		pk_reply_fail(rp, "Даты start и end задаются в формате YYYY-MM-DD.");
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
		pk_reply_fail(rp, "Параметры receipt_type[] и sum_type[] обязательны.");
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
		pk_reply_fail(rp,
			      "sort: payment_id, refund_id, request_datetime, obtain_datetime или "
			      "status; direction: ASC или DESC.");
		return;
	}
	long long from, limit;
	if (!q_int(q, "from", 0, 1000000000LL, &from) || !q_int(q, "limit", 10, 1000, &limit)) {
		pk_reply_fail(rp, "from и limit: целые числа (limit не больше 1000).");
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
		pk_reply_fail(rp, "Параметр query обязателен: часть id, payment_id или contact.");
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
	pk_reply_receipt_array(rp, sel, m);
	free(sel);
}

static void handle_bypaymentid(struct sb_pk_receipt *all, size_t n, const struct query *q,
			       struct sandbox_reply *rp)
{
	const char *pid = q_get(q, "payment_id");
	if (!pid || !pid[0]) {
		pk_reply_fail(rp, "Параметр payment_id обязателен.");
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
	pk_reply_receipt_array(rp, sel, m);
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

void sandbox_pk_registry(struct sandbox *sb, const struct sb_paykeeper_acc *acc,
			 const struct sandbox_request *rq, struct sandbox_reply *rp)
{
	struct query q = {0};
	q.p = form_parse(rq->query ? rq->query : "", rq->query ? strlen(rq->query) : 0, &q.n);
	if (strcmp(rq->path, PAYKEEPER_PATH_BYID) == 0) {
		handle_byid(sb, acc, &q, rp);
		form_pairs_free(q.p, q.n);
		return;
	}
	struct sb_pk_receipt *all = NULL;
	size_t n = 0;
	if (sandbox_store_pk_all(sb->store, acc->user, &all, &n, NULL) != K_OK) {
		pk_reply_fail(rp, "Внутренняя ошибка хранилища.");
	} else if (strcmp(rq->path, PAYKEEPER_PATH_BYPAYMENTID) == 0) {
		handle_bypaymentid(all, n, &q, rp);
	} else if (strcmp(rq->path, PAYKEEPER_PATH_BYDATE) == 0) {
		handle_bydate(all, n, &q, rp, false);
	} else if (strcmp(rq->path, PAYKEEPER_PATH_BYDATECOUNT) == 0) {
		handle_bydate(all, n, &q, rp, true);
	} else {
		handle_search(all, n, &q, rp);
	}
	for (size_t i = 0; i < n; i++)
		sandbox_pk_free(&all[i]);
	free(all);
	form_pairs_free(q.p, q.n);
}
