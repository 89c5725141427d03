/*
 * LifePay cloud-print wire format.
 *
 * Decisions taken here where the provider's documentation is silent (see
 * DESIGN.md "Open API questions"); the sandbox follows the same rules:
 *
 * - Requests we build carry only the fields that are set and that the
 *   document's kind sends (document_field_allowed). Amounts are exact decimal
 *   JSON numbers (jsonx), "#" stays the string "#". A receipt-level discount
 *   already spread over the lines goes out as each line's `discount`
 *   {type: amount} covering the line's own discount plus its share.
 * - Requests we read (a merchant's payload, or the sandbox's input) refuse
 *   fields kassa does not know or the kind does not send, so that what we
 *   would send is exactly what was written; `null` counts as "not given".
 * - Correction receipts (FFD 1.05) spell the type sell_correction,
 *   sell_return_correction, buy_correction, buy_return_correction; the plain
 *   names are accepted on input too.
 * - Replies are the {code, message, data} envelope. code 0 carries data.uuid
 *   (absent in test mode); code 400 maps each field to an array of messages,
 *   collected as "field: message". Anything else is K_INVALID.
 * - Callbacks: application/x-www-form-urlencoded with field `data` holding
 *   JSON (as public handlers read them), or a raw JSON body (application/json
 *   or any body starting with '{'). Keys: uuid (required), ext_id, status,
 *   ofd_url, error_code, error_message, callback_data, fn, fd, fpd; others are
 *   ignored. The outcome: a non-empty, non-zero error_code means ERROR; else a
 *   known status text decides (processed/success/done -> PROCESSED,
 *   retry/awaiting retry/pending/wait -> RETRY, error/failed -> ERROR, the
 *   Russian words of the seed as well); else ofd_url means PROCESSED; else
 *   UNKNOWN.
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

static const char *const correction_types[RT_COUNT] = {
    [RT_PAYMENT] = "sell_correction",
    [RT_REFUND] = "sell_return_correction",
    [RT_BUY] = "buy_correction",
    [RT_BUY_REFUND] = "buy_return_correction",
};

const char *wire_lifepay_correction_type(enum receipt_type t)
{
	return (unsigned)t < RT_COUNT ? correction_types[t] : "sell_correction";
}

/* Copies src into dst of size n, cutting only between UTF-8 characters. */
static void copy_utf8(char *dst, const char *src, size_t n)
{
	if (!n)
		return;
	size_t len = strlen(src);
	if (len >= n) {
		len = n - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* "a.b" into out; a path longer than out is cut (kerr keeps 63 bytes anyway). */
static void field_join(char *out, size_t n, const char *a, const char *b)
{
	if (snprintf(out, n, "%s.%s", a, b) < 0)
		out[0] = '\0';
}

/* jsonx marks number literals with a fraction as strings with a prefix. */
static bool is_marked(const char *s)
{
	return jsonx_marked_text(s) != NULL;
}

/* ---- building requests ---------------------------------------------------- */

static void put(json_t *o, const char *key, json_t *v)
{
	if (v)
		json_object_set_new(o, key, v);
}

static void put_text(json_t *o, const char *key, const char *s)
{
	if (s && s[0])
		put(o, key, json_string(s));
}

static json_t *pay_json(const struct pay_amount *a)
{
	switch (a->kind) {
	case PAY_REMAINDER:
		return json_string("#");
	case PAY_AMOUNT:
		return jsonx_money_number(a->kop);
	default:
		return NULL;
	}
}

static json_t *discount_json(const struct basket_line *l)
{
	if (l->receipt_share > 0) {
		json_t *d = json_object();
		put(d, "type", json_string("amount"));
		put(d, "value", jsonx_money_number(l->line_discount + l->receipt_share));
		return d;
	}
	if (l->discount.type == DISCOUNT_NONE)
		return NULL;
	json_t *d = json_object();
	if (l->discount.type == DISCOUNT_PERCENT) {
		char pct[32];
		percent_format(l->discount.value, pct, sizeof pct);
		put(d, "type", json_string("percent"));
		put(d, "value", jsonx_decimal(pct));
	} else {
		put(d, "type", json_string("amount"));
		put(d, "value", jsonx_money_number(l->discount.value));
	}
	return d;
}

static json_t *product_json(const struct basket_line *l, bool ffd12)
{
	json_t *p = json_object();
	put_text(p, "name", l->name);
	put(p, "price", jsonx_money_number(l->price));
	put(p, "quantity", jsonx_qty_number(l->qty));
	put(p, "unit", json_string(unit_wire(l->unit)));
	put(p, "discount", discount_json(l));
	if (l->vat_set)
		put(p, "tax", json_string(vat_wire(l->vat)));
	if (l->method > 0)
		put(p, "type", json_integer(l->method));
	if (l->object > 0)
		put(p, "item_type", json_integer(l->object));
	else if (ffd12 && l->marking[0])
		put(p, "item_type", json_integer(LIFEPAY_OBJECT_MARKED));
	if (ffd12 && l->marking[0])
		put_text(p, "marking_code", l->marking); /* GS (0x1D) kept, JSON-escaped */
	return p;
}

kstatus wire_lifepay_check_ffd12(const struct document *d, struct kerr *err)
{
	if (!d->ffd12 || !doc_kind_has_basket(d->kind))
		return K_OK;
	for (size_t i = 0; i < d->basket.n; i++) {
		const struct basket_line *l = &d->basket.lines[i];
		char field[64];
		if ((l->object == 31 || l->object == 33) && !l->marking[0]) {
			snprintf(field, sizeof field, "purchase.products[%zu].marking_code", i);
			return kerr_set(err, K_INVALID, field,
					_("%s is a marked good (payment object %d) without its "
					  "marking code: scan the code on the pack"),
					l->name, l->object);
		}
		if (l->marking[0] && l->qty != QTY_ONE) {
			snprintf(field, sizeof field, "purchase.products[%zu].quantity", i);
			return kerr_set(err, K_INVALID, field,
					_("a marked pack is sold one per line (one marking code "
					  "each): set quantity 1 and scan each pack"));
		}
	}
	return K_OK;
}

/* callback_data is kept as JSON text; any JSON value, numbers exact. */
static json_t *load_any(const char *text)
{
	size_t len = strlen(text);
	char *wrapped = xmalloc(len + 3);
	wrapped[0] = '[';
	memcpy(wrapped + 1, text, len);
	wrapped[len + 1] = ']';
	wrapped[len + 2] = '\0';
	json_t *arr = jsonx_loads(wrapped, len + 2, NULL);
	free(wrapped);
	json_t *v = NULL;
	if (arr && json_array_size(arr) == 1)
		v = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return v;
}

json_t *wire_lifepay_request(const struct document *d, const struct lifepay_auth *auth)
{
	enum doc_kind k = d->kind;
	json_t *o = json_object();
#define ALLOWED(name) document_field_allowed(k, name)
	if (auth) {
		put_text(o, "apikey", auth->apikey);
		put_text(o, "login", auth->login);
	}
	if (d->test)
		put(o, "test", json_integer(1));
	if (doc_kind_has_basket(k)) {
		put(o, "type",
		    json_string(k == DOC_CORRECTION ? wire_lifepay_correction_type(d->type)
						    : receipt_type_lifepay(d->type)));
		json_t *products = json_array();
		for (size_t i = 0; i < d->basket.n; i++)
			json_array_append_new(products,
					      product_json(&d->basket.lines[i], d->ffd12));
		json_t *purchase = json_object();
		put(purchase, "products", products);
		put(o, "purchase", purchase);
		put(o, "card_amount", pay_json(&d->pay.card));
		put(o, "cash_amount", pay_json(&d->pay.cash));
		put_text(o, "tax_system", tax_system_wire(d->tax_system));
	}
	if (ALLOWED("payment_place"))
		put_text(o, "payment_place", d->payment_place);
	if (ALLOWED("cashier_name"))
		put_text(o, "cashier_name", d->cashier_name);
	if (ALLOWED("cashier_inn"))
		put_text(o, "cashier_inn", d->cashier_inn);
	put_text(o, "target_serial", d->target_serial);
	if (ALLOWED("customer_email") && k != DOC_CORRECTION) {
		put_text(o, "customer_email", d->customer_email);
		put_text(o, "customer_phone", d->customer_phone);
		put_text(o, "mode", receipt_mode_wire(d->mode));
	}
	put_text(o, "customer_name", d->customer_name); /* FFD 1.2 buyer (tags 1227, 1228) */
	put_text(o, "customer_inn", d->customer_inn);
	if (ALLOWED("pos") && d->pos_set) {
		json_t *pos = json_object();
		put(pos, "perform", json_integer(d->pos_perform));
		put(pos, "slip_count", json_integer(d->pos_slip_count));
		put(o, "pos", pos);
	}
	if (ALLOWED("ref_uuid"))
		put_text(o, "ref_uuid", d->ref_uuid);
	if (k == DOC_CORRECTION) {
		put_text(o, "initiator", d->correction_initiator);
		put_text(o, "description", d->correction_description);
		put_text(o, "doc_date", d->correction_doc_date);
		put_text(o, "doc_number", d->correction_doc_number);
	}
	if (ALLOWED("amount"))
		put(o, "amount", jsonx_money_number(d->amount));
	if (ALLOWED("prepayment_amount") && d->prepayment)
		put(o, "prepayment_amount", jsonx_money_number(d->prepayment));
	put_text(o, "ext_id", d->ext_id);
	put_text(o, "callback_url", d->callback_url);
	if (d->callback_data_json)
		put(o, "callback_data", load_any(d->callback_data_json));
#undef ALLOWED
	return o;
}

char *wire_lifepay_request_text(const struct document *d, const struct lifepay_auth *auth)
{
	json_t *o = wire_lifepay_request(d, auth);
	char *text = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

void wire_mask_secret(const char *secret, char *out, size_t n)
{
	if (!n)
		return;
	size_t len = secret ? strlen(secret) : 0;
	char tmp[16];
	if (len == 0) {
		tmp[0] = '\0';
	} else if (len <= 8) {
		memcpy(tmp, "********", 9);
	} else {
		/* only plain ASCII is shown, so the mask never splits a character */
		const char show[4] = {secret[0], secret[1], secret[len - 2], secret[len - 1]};
		char c[4];
		for (int i = 0; i < 4; i++)
			c[i] = (show[i] > 0x20 && show[i] < 0x7f) ? show[i] : '*';
		snprintf(tmp, sizeof tmp, "%c%c****%c%c", c[0], c[1], c[2], c[3]);
	}
	snprintf(out, n, "%s", tmp);
}

kstatus wire_lifepay_check_auth(const struct lifepay_auth *auth, struct kerr *err)
{
	const char *l = auth->login;
	bool ok = strlen(l) == 11 && l[0] == '7';
	for (size_t i = 0; ok && i < 11; i++)
		ok = l[i] >= '0' && l[i] <= '9';
	if (!ok)
		return kerr_set(err, K_INVALID, "login", "%s",
				_("must be the LifePay account's phone number: 7 and 10 digits"));
	size_t len = strlen(auth->apikey);
	if (len == 0)
		return kerr_set(err, K_INVALID, "apikey", "%s",
				_("is missing; copy it from the LifePay account (Settings - "
				  "Developers)"));
	if (len > 255)
		return kerr_set(err, K_INVALID, "apikey", "%s",
				_("is longer than 255 characters; copy it again"));
	for (const unsigned char *p = (const unsigned char *)auth->apikey; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return kerr_set(
			    err, K_INVALID, "apikey", "%s",
			    _("holds a space, a control or a non-Latin character; copy it "
			      "again"));
	return K_OK;
}

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
	if (!json_is_string(v) || is_marked(json_string_value(v)))
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
	if (json_is_string(v) && !is_marked(json_string_value(v)))
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
	if (is_marked(s)) {
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
			field_join(sub, sizeof sub, field, key);
			return kerr_set(err, K_INVALID, sub, "%s",
					_("is not a discount field; use type and value"));
		}
	}
	const json_t *type = json_object_get(v, "type"), *value = json_object_get(v, "value");
	field_join(sub, sizeof sub, field, "type");
	if (!json_is_string(type))
		return kerr_set(err, K_INVALID, sub, "%s", _("must be percent or amount"));
	if (strcmp(json_string_value(type), "percent") == 0)
		d->type = DISCOUNT_PERCENT;
	else if (strcmp(json_string_value(type), "amount") == 0)
		d->type = DISCOUNT_AMOUNT;
	else
		return kerr_set(err, K_INVALID, sub, "%s", _("must be percent or amount"));
	field_join(sub, sizeof sub, field, "value");
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
		field_join(field, sizeof field, prefix, key);
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
			field_join(field, sizeof field, prefix, required[r]);
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
			if (strcmp(s, correction_types[t]) == 0) {
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

/* ---- replies -------------------------------------------------------------- */

/* A short, printable excerpt of a body that is not what we expected. */
static void excerpt(const char *body, size_t len, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 4 < n && o < 60; i++) {
		unsigned char c = (unsigned char)body[i];
		out[o++] = (c < 0x20 || c >= 0x7f) ? '.' : (char)c;
	}
	if (len > o && o + 4 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static void add_field_error(struct lifepay_reply *r, const char *field, const json_t *msg)
{
	if (r->n_field_errors >= LIFEPAY_FIELD_ERRORS_MAX)
		return;
	/* Format into room for everything, then cut between UTF-8 characters. */
	char text[sizeof r->field_errors[0] * 3];
	const char *m = json_is_string(msg) ? json_string_value(msg) : "";
	if (json_is_string(msg) && is_marked(m))
		m = jsonx_marked_text(m);
	if (json_is_integer(msg)) {
		char num[32];
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(msg));
		snprintf(text, sizeof text, "%s: %s", field, num);
	} else {
		snprintf(text, sizeof text, "%s: %s", field, m);
	}
	copy_utf8(r->field_errors[r->n_field_errors++], text, sizeof r->field_errors[0]);
}

static void collect_errors(struct lifepay_reply *r, const char *prefix, const json_t *data,
			   int depth)
{
	const char *key;
	json_t *v;
	if (depth > 4)
		return;
	json_object_foreach((json_t *)data, key, v)
	{
		char full[576], field[192];
		if (prefix[0])
			field_join(full, sizeof full, prefix, key);
		else
			snprintf(full, sizeof full, "%s", key);
		copy_utf8(field, full, sizeof field);
		if (json_is_array(v)) {
			size_t i;
			json_t *m;
			json_array_foreach(v, i, m)
			{
				if (json_is_object(m))
					collect_errors(r, field, m, depth + 1);
				else
					add_field_error(r, field, m);
			}
		} else if (json_is_object(v)) {
			collect_errors(r, field, v, depth + 1);
		} else {
			add_field_error(r, field, v);
		}
	}
}

kstatus wire_lifepay_parse_reply(const char *body, size_t len, struct lifepay_reply *r,
				 struct kerr *err)
{
	memset(r, 0, sizeof *r);
	char ex[80];
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "", "%s", _("the reply is empty"));
	json_t *root = jsonx_loads(body, len, NULL);
	if (!root) {
		excerpt(body, len, ex, sizeof ex);
		return kerr_set(err, K_INVALID, "", _("the reply is not JSON: %s"), ex);
	}
	kstatus st = K_OK;
	const json_t *code = json_is_object(root) ? json_object_get(root, "code") : NULL;
	if (!code) {
		excerpt(body, len, ex, sizeof ex);
		st = kerr_set(err, K_INVALID, "code", _("the reply is not a LifePay envelope: %s"),
			      ex);
		goto out;
	}
	if (json_is_integer(code) && json_integer_value(code) >= -1000000 &&
	    json_integer_value(code) <= 1000000) {
		r->code = (int)json_integer_value(code);
	} else if (json_is_string(code) && !is_marked(json_string_value(code))) {
		char *end;
		long c = strtol(json_string_value(code), &end, 10);
		if (end == json_string_value(code) || *end || c < -1000000 || c > 1000000) {
			st = kerr_set(err, K_INVALID, "code", "%s",
				      _("the reply's code is not a whole number"));
			goto out;
		}
		r->code = (int)c;
	} else {
		st = kerr_set(err, K_INVALID, "code", "%s",
			      _("the reply's code is not a whole number"));
		goto out;
	}
	const json_t *message = json_object_get(root, "message");
	if (json_is_string(message))
		copy_utf8(r->message, json_string_value(message), sizeof r->message);
	const json_t *data = json_object_get(root, "data");
	if (r->code == 0) {
		const json_t *uuid = json_is_object(data) ? json_object_get(data, "uuid") : NULL;
		if (uuid && !json_is_null(uuid)) {
			if (!json_is_string(uuid) || json_string_length(uuid) > UUID_TEXT_MAX ||
			    !printable_ascii(json_string_value(uuid))) {
				st = kerr_set(err, K_INVALID, "data.uuid", "%s",
					      _("the reply's document uuid is not valid"));
				goto out;
			}
			str_copy(r->uuid, json_string_value(uuid), sizeof r->uuid);
		}
	} else if (json_is_object(data)) {
		collect_errors(r, "", data, 0);
	}
out:
	json_decref(root);
	return st;
}

/* ---- callbacks ------------------------------------------------------------ */

static bool ct_is(const char *ct, const char *want)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strlen(want);
	if (strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool text_is(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

enum lifepay_cb_status wire_lifepay_cb_status_parse(const char *text)
{
	static const char *const processed[] = {"processed", "success",	  "done", "ok",
						"обработан", "Обработан", NULL};
	static const char *const retry[] = {"retry",   "awaiting retry",  "pending",	     "wait",
					    "waiting", "ожидает повтора", "Ожидает повтора", NULL};
	static const char *const error[] = {"error", "failed", "fail", "ошибка", "Ошибка", NULL};
	char norm[64];
	size_t o = 0;
	if (!text)
		return LP_CB_UNKNOWN;
	while (*text == ' ')
		text++;
	for (; *text && o + 1 < sizeof norm; text++) {
		char c = *text;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '_' || c == '-')
			c = ' ';
		norm[o++] = c;
	}
	while (o > 0 && norm[o - 1] == ' ')
		o--;
	norm[o] = '\0';
	if (text_is(norm, processed))
		return LP_CB_PROCESSED;
	if (text_is(norm, retry))
		return LP_CB_RETRY;
	if (text_is(norm, error))
		return LP_CB_ERROR;
	return LP_CB_UNKNOWN;
}

const char *wire_lifepay_cb_status_name(enum lifepay_cb_status s)
{
	switch (s) {
	case LP_CB_PROCESSED:
		return "processed";
	case LP_CB_RETRY:
		return "retry";
	case LP_CB_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

/* A callback value as text: strings as they are, integers in decimal. */
static kstatus cb_text(const json_t *v, char *dst, size_t n, const char *field, bool token,
		       struct kerr *err)
{
	dst[0] = '\0';
	if (!v || json_is_null(v))
		return K_OK;
	if (json_is_integer(v)) {
		snprintf(dst, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return K_OK;
	}
	if (!json_is_string(v))
		return kerr_set(err, K_INVALID, field, "%s", _("must be text"));
	const char *s = json_string_value(v);
	if (is_marked(s))
		s = jsonx_marked_text(s);
	if (strlen(s) >= n)
		return kerr_set(err, K_INVALID, field, _("is longer than %zu characters"), n - 1);
	if (token && !printable_ascii(s))
		return kerr_set(err, K_INVALID, field, "%s",
				_("may hold only Latin letters, digits and punctuation"));
	copy_utf8(dst, s, n);
	return K_OK;
}

static kstatus cb_error_code(const json_t *v, struct lifepay_callback *cb, struct kerr *err)
{
	if (!v || json_is_null(v))
		return K_OK;
	if (json_is_integer(v)) {
		json_int_t c = json_integer_value(v);
		if (c != 0) {
			cb->has_error_code = true;
			cb->error_code = (c > 1000000000 || c < -1000000000) ? -1 : (int)c;
		}
		return K_OK;
	}
	if (!json_is_string(v))
		return kerr_set(err, K_INVALID, "error_code", "%s", _("must be a number or text"));
	const char *s = json_string_value(v);
	if (is_marked(s))
		s = jsonx_marked_text(s);
	if (!s[0] || strcmp(s, "0") == 0)
		return K_OK;
	char *end;
	long c = strtol(s, &end, 10);
	cb->has_error_code = true;
	if (end != s && !*end && c > -1000000000 && c < 1000000000) {
		cb->error_code = (int)c;
	} else {
		/* a code that is not a number: keep its text where people will see it */
		cb->error_code = -1;
		if (!cb->error_message[0])
			copy_utf8(cb->error_message, s, sizeof cb->error_message);
	}
	return K_OK;
}

static kstatus parse_callback_json(const char *text, size_t len, struct lifepay_callback *cb,
				   struct kerr *err)
{
	json_t *root = jsonx_loads(text, len, NULL);
	if (!root || !json_is_object(root)) {
		char ex[80];
		excerpt(text, len, ex, sizeof ex);
		json_decref(root);
		return kerr_set(err, K_INVALID, "data", _("the callback is not a JSON object: %s"),
				ex);
	}
	kstatus st;
	const json_t *uuid = json_object_get(root, "uuid");
	if (!uuid || json_is_null(uuid) || (json_is_string(uuid) && !json_string_length(uuid))) {
		st = kerr_set(err, K_INVALID, "uuid", "%s", _("is missing from the callback"));
		goto out;
	}
	if ((st = cb_text(uuid, cb->uuid, sizeof cb->uuid, "uuid", true, err)) != K_OK)
		goto out;
	/* checked after cb_text: a jsonx-marked empty number must not pass */
	if (!cb->uuid[0]) {
		st = kerr_set(err, K_INVALID, "uuid", "%s", _("is missing from the callback"));
		goto out;
	}
	if ((st = cb_text(json_object_get(root, "ext_id"), cb->ext_id, sizeof cb->ext_id, "ext_id",
			  true, err)) != K_OK ||
	    (st = cb_text(json_object_get(root, "ofd_url"), cb->ofd_url, sizeof cb->ofd_url,
			  "ofd_url", true, err)) != K_OK ||
	    (st = cb_text(json_object_get(root, "fn"), cb->fn, sizeof cb->fn, "fn", true, err)) !=
		K_OK ||
	    (st = cb_text(json_object_get(root, "fd"), cb->fd, sizeof cb->fd, "fd", true, err)) !=
		K_OK ||
	    (st = cb_text(json_object_get(root, "fpd"), cb->fpd, sizeof cb->fpd, "fpd", true,
			  err)) != K_OK)
		goto out;
	/* free text from the provider: kept (cut at a character) rather than refused */
	const json_t *status = json_object_get(root, "status");
	if (json_is_string(status))
		copy_utf8(cb->status_text, json_string_value(status), sizeof cb->status_text);
	else if (json_is_integer(status))
		snprintf(cb->status_text, sizeof cb->status_text, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(status));
	const json_t *msg = json_object_get(root, "error_message");
	if (json_is_string(msg))
		copy_utf8(cb->error_message, json_string_value(msg), sizeof cb->error_message);
	if ((st = cb_error_code(json_object_get(root, "error_code"), cb, err)) != K_OK)
		goto out;
	const json_t *data = json_object_get(root, "callback_data");
	if (data && !json_is_null(data))
		cb->callback_data_json = jsonx_dumps(data, JSON_COMPACT);
	/* The terminal's part (docs/SANDBOX.md "Faults": the shape is the sandbox's
	 * decision, no seed gives one): kept when readable, never refused. */
	const json_t *pos = json_object_get(root, "pos");
	const json_t *pres = json_is_object(pos) ? json_object_get(pos, "result") : NULL;
	if (json_is_string(pres)) {
		cb->has_pos = true;
		copy_utf8(cb->pos_result, json_string_value(pres), sizeof cb->pos_result);
		const json_t *slips = json_object_get(pos, "slip_count");
		if (json_is_integer(slips) && json_integer_value(slips) >= 0 &&
		    json_integer_value(slips) <= 2)
			cb->pos_slip_count = (int)json_integer_value(slips);
	}

	enum lifepay_cb_status by_text = wire_lifepay_cb_status_parse(cb->status_text);
	if (cb->has_error_code)
		cb->status = LP_CB_ERROR;
	else if (by_text != LP_CB_UNKNOWN)
		cb->status = by_text;
	else if (cb->ofd_url[0])
		cb->status = LP_CB_PROCESSED;
	else
		cb->status = LP_CB_UNKNOWN;
out:
	json_decref(root);
	return st;
}

/* True if a body without a content type looks like a form with a data field. */
static bool has_data_field(const char *body, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++)
		if ((i == 0 || body[i - 1] == '&') && memcmp(body + i, "data=", 5) == 0)
			return true;
	return false;
}

kstatus wire_lifepay_parse_callback(const char *content_type, const char *body, size_t len,
				    struct lifepay_callback *cb, struct kerr *err)
{
	memset(cb, 0, sizeof *cb);
	cb->status = LP_CB_UNKNOWN;
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "", "%s", _("the callback body is empty"));
	size_t skip = 0;
	while (skip < len && (body[skip] == ' ' || body[skip] == '\t' || body[skip] == '\r' ||
			      body[skip] == '\n'))
		skip++;
	bool form;
	if (ct_is(content_type, "application/x-www-form-urlencoded"))
		form = true;
	else if (ct_is(content_type, "application/json") || ct_is(content_type, "text/json") ||
		 (skip < len && body[skip] == '{'))
		form = false;
	else if (has_data_field(body, len))
		form = true;
	else
		return kerr_set(
		    err, K_INVALID, "", "%s",
		    _("the callback body is neither a form with a data field nor JSON"));
	kstatus st;
	if (form) {
		char *json = form_get(body, len, "data");
		if (!json)
			return kerr_set(err, K_INVALID, "data", "%s",
					_("the callback form has no data field"));
		st = parse_callback_json(json, strlen(json), cb, err);
		free(json);
	} else {
		st = parse_callback_json(body, len, cb, err);
	}
	if (st != K_OK)
		wire_lifepay_callback_free(cb);
	return st;
}

void wire_lifepay_callback_free(struct lifepay_callback *cb)
{
	free(cb->callback_data_json);
	cb->callback_data_json = NULL;
}
