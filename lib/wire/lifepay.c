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
#include "wire/lifepay_int.h"

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
void lp_copy_utf8(char *dst, const char *src, size_t n)
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
void lp_field_join(char *out, size_t n, const char *a, const char *b)
{
	if (snprintf(out, n, "%s.%s", a, b) < 0)
		out[0] = '\0';
}

/* jsonx marks number literals with a fraction as strings with a prefix. */
bool lp_is_marked(const char *s)
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
