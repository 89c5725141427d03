/*
 * PayKeeper wire format: registry replies (counts, receipt lists) and query
 * strings.
 */
#include "wire/paykeeper.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "payment.h"
#include "util.h"
#include "wire/paykeeper_int.h"

/* ---- registries ---- */

static void counts_init(struct pk_counts *c)
{
	for (size_t i = 0; i < PK_STATUS_COUNT; i++)
		c->by_status[i] = -1;
	for (size_t i = 0; i < PK_TYPE_COUNT; i++)
		c->by_type[i] = -1;
	for (size_t i = 0; i < PK_SUM_COUNT; i++)
		c->by_sum_type[i] = -1;
	c->page_size = -1;
	c->total = -1;
}

static kstatus count_value(const json_t *v, int64_t *out, const char *field, struct kerr *err)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return K_OK;
	}
	if (json_is_string(v) && !pkw_json_is_marked_number(v))
		return pkw_parse_int64(json_string_value(v), out, field, err);
	return kerr_set(err, K_INVALID, field, "%s", _("must be a count (a whole number)"));
}

/* One "group.name" count; unknown groups and names are skipped. */
static kstatus count_set(struct pk_counts *c, const char *group, const char *name, const json_t *v,
			 struct kerr *err)
{
	char field[64];
	snprintf(field, sizeof field, "counts.%s.%s", group, name);
	int64_t *slot = NULL;
	if (strcmp(group, "status") == 0) {
		enum pk_status s;
		if (paykeeper_status_parse(name, &s))
			slot = &c->by_status[s];
	} else if (strcmp(group, "receipt_type") == 0) {
		for (size_t i = 0; i < PK_TYPE_COUNT; i++)
			if (strcmp(name, pkw_filter_type_wires[i]) == 0)
				slot = &c->by_type[i];
	} else if (strcmp(group, "sum_type") == 0) {
		for (size_t i = 0; i < PK_SUM_COUNT; i++)
			if (strcmp(name, pkw_sum_type_wires[i]) == 0)
				slot = &c->by_sum_type[i];
	}
	return slot ? count_value(v, slot, field, err) : K_OK;
}

static kstatus counts_from_object(const json_t *o, struct pk_counts *c, struct kerr *err)
{
	const char *key;
	json_t *val;
	kstatus st = K_OK;
	json_object_foreach((json_t *)o, key, val)
	{
		const char *dot = strchr(key, '.');
		if (json_is_object(val) && strcmp(key, "totals") != 0) {
			const char *name;
			json_t *cv;
			json_object_foreach(val, name, cv)
			{
				st = count_set(c, key, name, cv, err);
				if (st != K_OK)
					return st;
			}
		} else if (dot && dot != key) {
			char group[32];
			size_t glen = (size_t)(dot - key);
			if (glen >= sizeof group)
				continue;
			memcpy(group, key, glen);
			group[glen] = '\0';
			if (strcmp(group, "totals") == 0) {
				if (strcmp(dot + 1, "total") == 0)
					st =
					    count_value(val, &c->total, "counts.totals.total", err);
				continue;
			}
			st = count_set(c, group, dot + 1, val, err);
		} else if (strcmp(key, "total") == 0) {
			st = count_value(val, &c->total, "counts.total", err);
		} else if (strcmp(key, "page_size") == 0) {
			st = count_value(val, &c->page_size, "counts.page_size", err);
		}
		if (st != K_OK)
			return st;
	}
	/* Totals of the whole query win over the page's counts. */
	const json_t *totals = json_object_get(o, "totals");
	if (json_is_object(totals))
		st = counts_from_object(totals, c, err);
	return st;
}

kstatus paykeeper_parse_counts(const char *body, size_t len, struct pk_counts *c, struct kerr *err)
{
	counts_init(c);
	bool empty;
	json_t *root = pkw_load_reply(body, len, &empty, err);
	if (empty)
		return K_OK;
	if (!root)
		return K_INVALID;
	kstatus st = pkw_check_fail(root, err);
	if (st == K_OK && !json_is_object(root))
		st = kerr_set(err, K_INVALID, "counts", "%s", _("must be a JSON object"));
	if (st == K_OK)
		st = counts_from_object(root, c, err);
	json_decref(root);
	return st;
}

void paykeeper_receipt_list_free(struct pk_receipt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		paykeeper_receipt_free(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

kstatus paykeeper_parse_receipt_list(const char *body, size_t len, struct pk_receipt_list *l,
				     struct kerr *err)
{
	memset(l, 0, sizeof *l);
	counts_init(&l->counts);
	bool empty;
	json_t *root = pkw_load_reply(body, len, &empty, err);
	if (empty)
		return K_OK;
	if (!root)
		return K_INVALID;
	kstatus st = pkw_check_fail(root, err);
	const json_t *arr = NULL;
	if (st == K_OK) {
		if (json_is_array(root)) {
			arr = root;
		} else if (json_is_object(root)) {
			arr = json_object_get(root, "receipts");
			const json_t *counts = json_object_get(root, "counts");
			if (arr && !json_is_array(arr))
				st = kerr_set(err, K_INVALID, "receipts", "%s",
					      _("must be a JSON array"));
			if (st == K_OK && json_is_object(counts)) {
				l->has_counts = true;
				st = counts_from_object(counts, &l->counts, err);
			}
		} else if (!json_is_null(root)) {
			st = kerr_set(err, K_INVALID, "reply", "%s",
				      _("expected a list of receipts"));
		}
	}
	if (st == K_OK && arr && json_array_size(arr)) {
		size_t count = json_array_size(arr);
		l->items = xcalloc(count, sizeof *l->items);
		for (size_t i = 0; i < count && st == K_OK; i++) {
			char where[32];
			snprintf(where, sizeof where, "receipts[%zu]", i);
			st =
			    pkw_receipt_from_json(json_array_get(arr, i), &l->items[i], where, err);
			if (st == K_OK)
				l->n++;
		}
	}
	json_decref(root);
	if (st != K_OK)
		paykeeper_receipt_list_free(l);
	return st;
}

/* ---- query strings ---- */

static kstatus check_date(const char *d, const char *field, bool required, struct kerr *err)
{
	if (!d || !*d) {
		if (required)
			return kerr_set(err, K_INVALID, field, "%s",
					_("enter a date as YYYY-MM-DD"));
		return K_OK;
	}
	if (!document_date_valid(d))
		return kerr_set(err, K_INVALID, field, "%s", _("must be a date as YYYY-MM-DD"));
	return K_OK;
}

static void add_array(char **f, const char *name, unsigned mask, const char *const *wires,
		      size_t count)
{
	char key[48];
	int idx = 0;
	for (size_t i = 0; i < count; i++)
		if (mask & (1u << i)) {
			snprintf(key, sizeof key, "%s[%d]", name, idx++);
			form_add(f, key, wires[i]);
		}
}

kstatus paykeeper_query_bydate(const struct pk_bydate_query *q, char **out, struct kerr *err)
{
	static const char *const sorts[] = {
	    "", "payment_id", "refund_id", "request_datetime", "obtain_datetime", "status"};
	*out = NULL;
	kstatus st = check_date(q->start, "start", false, err);
	if (st == K_OK)
		st = check_date(q->end, "end", false, err);
	if (st != K_OK)
		return st;
	if (q->start[0] && q->end[0] && strcmp(q->start, q->end) > 0)
		return kerr_set(err, K_INVALID, "end", "%s", _("must not be before start"));
	if ((q->types & ((1u << PK_TYPE_COUNT) - 1)) == 0)
		return kerr_set(err, K_INVALID, "receipt_type", "%s",
				_("choose at least one receipt type"));
	if ((q->sum_types & ((1u << PK_SUM_COUNT) - 1)) == 0)
		return kerr_set(err, K_INVALID, "sum_type", "%s",
				_("choose at least one payment form"));
	if ((unsigned)q->sort >= sizeof sorts / sizeof *sorts)
		return kerr_set(err, K_INVALID, "sort", "%s", _("unknown sort field"));
	if (q->from < 0)
		return kerr_set(err, K_INVALID, "from", "%s", _("cannot be negative"));
	if (q->limit < 0)
		return kerr_set(err, K_INVALID, "limit", "%s", _("cannot be negative"));
	char *f = NULL;
	if (q->start[0])
		form_add(&f, "start", q->start);
	if (q->end[0])
		form_add(&f, "end", q->end);
	add_array(&f, "status", q->statuses, pkw_status_wires, PK_STATUS_UNKNOWN);
	add_array(&f, "receipt_type", q->types, pkw_filter_type_wires, PK_TYPE_COUNT);
	add_array(&f, "sum_type", q->sum_types, pkw_sum_type_wires, PK_SUM_COUNT);
	if (q->sort != PK_SORT_DEFAULT)
		form_add(&f, "sort", sorts[q->sort]);
	if (q->direction != PK_DIR_DEFAULT)
		form_add(&f, "direction", q->direction == PK_DIR_ASC ? "ASC" : "DESC");
	char num[32];
	if (q->from > 0) {
		snprintf(num, sizeof num, "%" PRId64, q->from);
		form_add(&f, "from", num);
	}
	if (q->limit > 0) {
		snprintf(num, sizeof num, "%" PRId64, q->limit);
		form_add(&f, "limit", num);
	}
	*out = f;
	return K_OK;
}

kstatus paykeeper_query_bydatecount(const char *start, const char *end, char **out,
				    struct kerr *err)
{
	*out = NULL;
	kstatus st = check_date(start, "start", true, err);
	if (st == K_OK)
		st = check_date(end, "end", true, err);
	if (st != K_OK)
		return st;
	char *f = NULL;
	form_add(&f, "start", start);
	form_add(&f, "end", end);
	*out = f;
	return K_OK;
}

kstatus paykeeper_query_search(const char *start, const char *end, const char *query, char **out,
			       struct kerr *err)
{
	*out = NULL;
	kstatus st = check_date(start, "start", true, err);
	if (st == K_OK)
		st = check_date(end, "end", true, err);
	if (st != K_OK)
		return st;
	if (!query || !*query)
		return kerr_set(err, K_INVALID, "query", "%s",
				_("enter part of a receipt id, payment id, e-mail or phone"));
	char *f = NULL;
	form_add(&f, "start", start);
	form_add(&f, "end", end);
	form_add(&f, "query", query);
	*out = f;
	return K_OK;
}

char *paykeeper_query_byid(int64_t id)
{
	char num[32];
	snprintf(num, sizeof num, "%" PRId64, id);
	char *f = NULL;
	form_add(&f, "id", num);
	return f;
}

char *paykeeper_query_bypaymentid(const char *payment_id)
{
	char *f = NULL;
	form_add(&f, "payment_id", payment_id);
	return f;
}
