/*
 * LifePay wire format: reading requests (a merchant's payload, the sandbox's
 * input). The decisions are listed at the top of lifepay.c.
 */
#include "wire/lifepay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay_int.h"

/* ---- reading requests ----------------------------------------------------- */

/* A text value into dst (size n); `max_chars` is what the message promises. */
static kstatus get_text(const json_t *v, char *dst, size_t n, size_t max_chars, bool allow_int,
			const char *field, struct kerr *err)
{
	if (json_is_null(v)) {
		dst[0] = '\0';
		return K_OK;
	}
	if (allow_int && json_is_integer(v)) {
		snprintf(dst, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return K_OK;
	}
	if (!json_is_string(v) || lp_is_marked(json_string_value(v)))
		return kerr_set(err, K_INVALID, field, "%s", _("must be text in quotes"));
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (strlen(s) != len)
		return kerr_set(err, K_INVALID, field, "%s",
				_("contains a NUL character; remove it"));
	if (len >= n) {
		size_t chars = utf8_chars(s);
		if (chars > max_chars)
			return kerr_set(err, K_INVALID, field,
					_("is %zu characters long; at most %zu are allowed"), chars,
					max_chars);
		return kerr_set(err, K_INVALID, field,
				_("is too long: %zu bytes, at most %zu fit; use Latin letters"),
				len, n - 1);
	}
	memcpy(dst, s, len + 1);
	return K_OK;
}

#define GET_TEXT(v, dst, max, field, err) get_text(v, dst, sizeof(dst), max, false, field, err)

static kstatus get_int(const json_t *v, int min, int max, int *out, const char *field,
		       struct kerr *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return kerr_set(err, K_INVALID, field, _("must be a whole number from %d to %d"),
				min, max);
	*out = (int)json_integer_value(v);
	return K_OK;
}

static kstatus get_pay(const json_t *v, struct pay_amount *out, const char *field, struct kerr *err)
{
	out->kind = PAY_NONE;
	out->kop = 0;
	if (json_is_null(v))
		return K_OK;
	if (json_is_string(v) && !lp_is_marked(json_string_value(v)))
		return pay_amount_parse(json_string_value(v), out, field, err);
	if (json_is_integer(v) || json_is_string(v)) {
		kstatus st = jsonx_money(v, &out->kop, field, err);
		if (st == K_OK)
			out->kind = PAY_AMOUNT;
		return st;
	}
	return kerr_set(err, K_INVALID, field, "%s",
			_("must be an amount such as 100.50, or \"#\" for the remainder"));
}

/* True if a string inside callback_data would be taken for a jsonx number or is unsafe. */
static bool bad_text(const char *s)
{
	if (lp_is_marked(s)) {
		const char *p = jsonx_marked_text(s);
		if (!*p)
			return true;
		for (; *p; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == '.' ||
			      *p == 'e' || *p == 'E'))
				return true;
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
			return true;
	return false;
}

static bool json_has_bad_text(const json_t *v, int depth)
{
	if (depth > 32)
		return true;
	if (json_is_string(v))
		return strlen(json_string_value(v)) != json_string_length(v) ||
		       bad_text(json_string_value(v));
	if (json_is_array(v)) {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e) if (json_has_bad_text(e, depth + 1)) return true;
	}
	if (json_is_object(v)) {
		const char *key;
		const json_t *e;
		json_object_foreach((json_t *)v, key, e)
		{
			if (bad_text(key) || json_has_bad_text(e, depth + 1))
				return true;
		}
	}
	return false;
}

static kstatus get_discount(const json_t *v, struct discount *d, const char *field,
			    struct kerr *err)
{
	char sub[96];
	d->type = DISCOUNT_NONE;
	d->value = 0;
	if (json_is_null(v))
		return K_OK;
	if (!json_is_object(v))
		return kerr_set(
		    err, K_INVALID, field, "%s",
		    _("must be an object such as {\"type\": \"percent\", \"value\": 10}"));
	const char *key;
	json_t *e;
	json_object_foreach((json_t *)v, key, e)
	{
		if (strcmp(key, "type") != 0 && strcmp(key, "value") != 0) {
			lp_field_join(sub, sizeof sub, field, key);
			return kerr_set(err, K_INVALID, sub, "%s",
					_("is not a discount field; use type and value"));
		}
	}
	const json_t *type = json_object_get(v, "type"), *value = json_object_get(v, "value");
	lp_field_join(sub, sizeof sub, field, "type");
	if (!json_is_string(type))
		return kerr_set(err, K_INVALID, sub, "%s", _("must be percent or amount"));
	if (strcmp(json_string_value(type), "percent") == 0)
		d->type = DISCOUNT_PERCENT;
	else if (strcmp(json_string_value(type), "amount") == 0)
		d->type = DISCOUNT_AMOUNT;
	else
		return kerr_set(err, K_INVALID, sub, "%s", _("must be percent or amount"));
	lp_field_join(sub, sizeof sub, field, "value");
	if (!value || json_is_null(value))
		return kerr_set(err, K_INVALID, sub, "%s", _("is missing"));
	return d->type == DISCOUNT_PERCENT ? jsonx_percent(value, &d->value, sub, err)
					   : jsonx_money(value, &d->value, sub, err);
}

static kstatus parse_product(const json_t *v, size_t i, struct basket_line *l, struct kerr *err)
{
	char prefix[48], field[96];
	snprintf(prefix, sizeof prefix, "purchase.products[%zu]", i);
	basket_line_init(l);
	if (!json_is_object(v))
		return kerr_set(err, K_INVALID, prefix, "%s",
				_("must be an object with name, price and quantity"));
	const char *key;
	json_t *e;
	kstatus st = K_OK;
	json_object_foreach((json_t *)v, key, e)
	{
		lp_field_join(field, sizeof field, prefix, key);
		if (strcmp(key, "name") == 0) {
			st = get_text(e, l->name, sizeof l->name, LINE_NAME_MAX_CHARS, false, field,
				      err);
		} else if (strcmp(key, "price") == 0) {
			st = jsonx_money(e, &l->price, field, err);
		} else if (strcmp(key, "quantity") == 0) {
			st = jsonx_qty(e, &l->qty, field, err);
		} else if (strcmp(key, "unit") == 0) {
			if (!json_is_string(e) || !unit_parse(json_string_value(e), &l->unit))
				st = kerr_set(err, K_INVALID, field, "%s",
					      _("must be one of piece, kg, g, l, ml, m2"));
		} else if (strcmp(key, "discount") == 0) {
			st = get_discount(e, &l->discount, field, err);
		} else if (strcmp(key, "tax") == 0) {
			if (json_is_null(e))
				continue;
			if (!json_is_string(e) || !vat_parse(json_string_value(e), &l->vat))
				st =
				    kerr_set(err, K_INVALID, field, "%s",
					     _("must be a VAT code: none, vat0, vat5, vat7, vat10, "
					       "vat20, vat22, vat105, vat107, vat110, vat120, "
					       "vat122"));
			l->vat_set = st == K_OK;
		} else if (strcmp(key, "type") == 0) {
			if (!json_is_null(e))
				st = get_int(e, 1, 7, &l->method, field, err);
		} else if (strcmp(key, "item_type") == 0) {
			if (!json_is_null(e))
				st = get_int(e, 1, 33, &l->object, field, err);
		} else if (strcmp(key, "marking_code") ==
			   0) { /* FFD 1.2 path, as kassa stores it */
			st = get_text(e, l->marking, sizeof l->marking, sizeof l->marking - 1,
				      false, field, err);
		} else {
			st = kerr_set(err, K_INVALID, field, "%s",
				      _("is not a product field kassa knows; check the spelling or "
					"remove it"));
		}
		if (st != K_OK)
			return st;
	}
	static const char *const required[] = {"name", "price", "quantity"};
	for (size_t r = 0; r < 3; r++) {
		const json_t *e2 = json_object_get(v, required[r]);
		if (!e2 || json_is_null(e2)) {
			lp_field_join(field, sizeof field, prefix, required[r]);
			return kerr_set(err, K_INVALID, field, "%s", _("is missing"));
		}
	}
	return K_OK;
}

static kstatus parse_purchase(const json_t *v, struct document *d, struct kerr *err)
{
	if (!json_is_object(v))
		return kerr_set(err, K_INVALID, "purchase", "%s",
				_("must be an object {\"products\": [...]}"));
	const char *key;
	json_t *e;
	json_object_foreach((json_t *)v, key, e)
	{
		if (strcmp(key, "products") != 0) {
			char field[96];
			snprintf(field, sizeof field, "purchase.%s", key);
			return kerr_set(err, K_INVALID, field, "%s",
					_("is not a purchase field; purchase holds only products"));
		}
	}
	const json_t *products = json_object_get(v, "products");
	if (!json_is_array(products))
		return kerr_set(err, K_INVALID, "purchase.products", "%s",
				_("must be an array of products"));
	size_t n = json_array_size(products);
	if (n > BASKET_MAX_LINES)
		return kerr_set(err, K_INVALID, "purchase.products",
				_("holds %zu products; a receipt holds at most %d"), n,
				BASKET_MAX_LINES);
	for (size_t i = 0; i < n; i++) {
		kstatus st =
		    parse_product(json_array_get(products, i), i, &d->basket.lines[i], err);
		if (st != K_OK)
			return st;
		d->basket.n = i + 1;
	}
	return K_OK;
}

static kstatus parse_type(const json_t *v, struct document *d, struct kerr *err)
{
	if (json_is_null(v))
		return K_OK;
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	if (receipt_type_parse(s, &d->type))
		return K_OK;
	if (d->kind == DOC_CORRECTION) {
		for (int t = 0; t < RT_COUNT; t++)
			if (strcmp(s, wire_lifepay_correction_type((enum receipt_type)t)) == 0) {
				d->type = (enum receipt_type)t;
				return K_OK;
			}
		return kerr_set(err, K_INVALID, "type", "%s",
				_("must be sell_correction, sell_return_correction, buy_correction "
				  "or buy_return_correction"));
	}
	return kerr_set(err, K_INVALID, "type", "%s",
			_("must be payment, refund, buy or buy_refund"));
}

static kstatus parse_test(const json_t *v, bool *test, struct kerr *err)
{
	if (json_is_null(v) || json_is_false(v) ||
	    (json_is_integer(v) && json_integer_value(v) == 0) ||
	    (json_is_string(v) && strcmp(json_string_value(v), "0") == 0)) {
		*test = false;
		return K_OK;
	}
	if (json_is_true(v) || (json_is_integer(v) && json_integer_value(v) == 1) ||
	    (json_is_string(v) && strcmp(json_string_value(v), "1") == 0)) {
		*test = true;
		return K_OK;
	}
	return kerr_set(err, K_INVALID, "test", "%s", _("must be 0 or 1"));
}

static kstatus parse_pos(const json_t *v, struct document *d, struct kerr *err)
{
	if (json_is_null(v))
		return K_OK;
	if (!json_is_object(v))
		return kerr_set(err, K_INVALID, "pos", "%s",
				_("must be an object such as {\"perform\": 1, \"slip_count\": 1}"));
	const char *key;
	json_t *e;
	json_object_foreach((json_t *)v, key, e)
	{
		kstatus st;
		if (strcmp(key, "perform") == 0) {
			st = get_int(e, 0, 1, &d->pos_perform, "pos.perform", err);
		} else if (strcmp(key, "slip_count") == 0) {
			st = get_int(e, 0, 2, &d->pos_slip_count, "pos.slip_count", err);
		} else {
			char field[96];
			snprintf(field, sizeof field, "pos.%s", key);
			st = kerr_set(err, K_INVALID, field, "%s",
				      _("is not a pos field; use perform and slip_count"));
		}
		if (st != K_OK)
			return st;
	}
	d->pos_set = true;
	return K_OK;
}

static kstatus parse_enum_text(const json_t *v, bool (*parse)(const char *, int *), int *out,
			       const char *field, const char *what, struct kerr *err)
{
	if (json_is_null(v))
		return K_OK;
	if (!json_is_string(v) || !parse(json_string_value(v), out))
		return kerr_set(err, K_INVALID, field, "%s", what);
	return K_OK;
}

static bool tax_parse_int(const char *s, int *out)
{
	enum tax_system t;
	if (!tax_system_parse(s, &t))
		return false;
	*out = (int)t;
	return true;
}

static bool mode_parse_int(const char *s, int *out)
{
	enum receipt_mode m;
	if (!receipt_mode_parse(s, &m))
		return false;
	*out = (int)m;
	return true;
}

static bool field_known(const char *key)
{
	for (int k = 0; k < DOC_KIND_COUNT; k++)
		if (document_field_allowed((enum doc_kind)k, key))
			return true;
	return false;
}

static kstatus parse_field(const char *key, const json_t *v, struct document *d,
			   struct lifepay_auth *auth, struct kerr *err)
{
	if (!document_field_allowed(d->kind, key)) {
		if (field_known(key))
			return kerr_set(err, K_INVALID, key, _("is not sent with a %s; remove it"),
					doc_kind_label(d->kind));
		return kerr_set(err, K_INVALID, key, "%s",
				_("is not a field kassa knows; check the spelling or remove it"));
	}
	int tmp;
	kstatus st;
	if (strcmp(key, "apikey") == 0) {
		char apikey[sizeof auth->apikey];
		st = get_text(v, apikey, sizeof apikey, 255, false, key, err);
		if (st == K_OK && auth)
			str_copy(auth->apikey, apikey, sizeof auth->apikey);
		explicit_bzero(apikey, sizeof apikey);
		return st;
	}
	if (strcmp(key, "login") == 0) {
		char login[sizeof auth->login];
		st = get_text(v, login, sizeof login, sizeof login - 1, true, key, err);
		if (st == K_OK && auth)
			str_copy(auth->login, login, sizeof auth->login);
		return st;
	}
	if (strcmp(key, "test") == 0)
		return parse_test(v, &d->test, err);
	if (strcmp(key, "type") == 0)
		return parse_type(v, d, err);
	if (strcmp(key, "purchase") == 0)
		return json_is_null(v) ? K_OK : parse_purchase(v, d, err);
	if (strcmp(key, "card_amount") == 0)
		return get_pay(v, &d->pay.card, key, err);
	if (strcmp(key, "cash_amount") == 0)
		return get_pay(v, &d->pay.cash, key, err);
	if (strcmp(key, "tax_system") == 0) {
		tmp = (int)d->tax_system;
		st = parse_enum_text(v, tax_parse_int, &tmp, key,
				     _("must be osn, usn6, usn15, eshn or patent"), err);
		d->tax_system = (enum tax_system)tmp;
		return st;
	}
	if (strcmp(key, "mode") == 0) {
		tmp = (int)d->mode;
		st = parse_enum_text(v, mode_parse_int, &tmp, key,
				     _("must be email, print or print_email"), err);
		d->mode = (enum receipt_mode)tmp;
		return st;
	}
	if (strcmp(key, "payment_place") == 0)
		return GET_TEXT(v, d->payment_place, sizeof d->payment_place - 1, key, err);
	if (strcmp(key, "cashier_name") == 0)
		return GET_TEXT(v, d->cashier_name, CASHIER_NAME_MAX_CHARS, key, err);
	if (strcmp(key, "cashier_inn") == 0)
		return GET_TEXT(v, d->cashier_inn, 12, key, err);
	if (strcmp(key, "target_serial") == 0)
		return GET_TEXT(v, d->target_serial, sizeof d->target_serial - 1, key, err);
	if (strcmp(key, "customer_email") == 0)
		return GET_TEXT(v, d->customer_email, 254, key, err);
	if (strcmp(key, "customer_phone") == 0)
		return get_text(v, d->customer_phone, sizeof d->customer_phone, 16, true, key, err);
	if (strcmp(key, "pos") == 0)
		return parse_pos(v, d, err);
	if (strcmp(key, "ref_uuid") == 0)
		return GET_TEXT(v, d->ref_uuid, 36, key, err);
	if (strcmp(key, "ext_id") == 0)
		return get_text(v, d->ext_id, sizeof d->ext_id, EXT_ID_MAX, true, key, err);
	if (strcmp(key, "callback_url") == 0)
		return GET_TEXT(v, d->callback_url, CALLBACK_URL_MAX, key, err);
	if (strcmp(key, "callback_data") == 0) {
		if (json_is_null(v))
			return K_OK;
		if (json_has_bad_text(v, 0))
			return kerr_set(err, K_INVALID, key, "%s",
					_("contains a control character or is nested too deeply"));
		free(d->callback_data_json);
		d->callback_data_json = jsonx_dumps(v, JSON_COMPACT);
		if (!d->callback_data_json)
			return kerr_set(err, K_NOMEM, key, "%s", _("could not be stored"));
		return K_OK;
	}
	if (strcmp(key, "initiator") == 0)
		return GET_TEXT(v, d->correction_initiator, sizeof d->correction_initiator - 1, key,
				err);
	if (strcmp(key, "description") == 0)
		return GET_TEXT(v, d->correction_description, sizeof d->correction_description - 1,
				key, err);
	if (strcmp(key, "doc_date") == 0)
		return GET_TEXT(v, d->correction_doc_date, 10, key, err);
	if (strcmp(key, "doc_number") == 0)
		return GET_TEXT(v, d->correction_doc_number, 32, key, err);
	if (strcmp(key, "amount") == 0)
		return json_is_null(v) ? K_OK : jsonx_money(v, &d->amount, key, err);
	if (strcmp(key, "prepayment_amount") == 0)
		return json_is_null(v) ? K_OK : jsonx_money(v, &d->prepayment, key, err);
	if (strcmp(key, "payment_id") == 0)
		return GET_TEXT(v, d->payment_id, 63, key, err);
	if (strcmp(key, "customer_name") == 0)
		return GET_TEXT(v, d->customer_name, 256, key, err);
	if (strcmp(key, "customer_inn") == 0)
		return get_text(v, d->customer_inn, sizeof d->customer_inn, 12, true, key, err);
	return kerr_set(err, K_INVALID, key, "%s", _("is not supported yet"));
}

kstatus wire_lifepay_parse_request(const char *text, size_t len, enum doc_kind kind,
				   struct document *d, struct lifepay_auth *auth, struct kerr *err)
{
	document_init(d, kind);
	if (auth)
		memset(auth, 0, sizeof *auth);
	if ((unsigned)kind >= DOC_KIND_COUNT)
		return kerr_set(err, K_INVALID, "", "%s", _("unknown document kind"));
	json_t *root = jsonx_loads(text, len, err);
	if (!root)
		return K_INVALID;
	kstatus st = K_OK;
	if (!json_is_object(root)) {
		st = kerr_set(err, K_INVALID, "", "%s",
			      _("the request must be one JSON object {...}"));
	} else {
		const char *key;
		json_t *v;
		json_object_foreach(root, key, v)
		{
			st = parse_field(key, v, d, auth, err);
			if (st != K_OK)
				break;
		}
	}
	json_decref(root);
	if (st != K_OK) {
		document_free(d);
		if (auth)
			explicit_bzero(auth->apikey, sizeof auth->apikey);
	}
	return st;
}
