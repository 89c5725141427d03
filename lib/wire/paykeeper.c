#include "wire/paykeeper.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "payment.h"
#include "util.h"
#include "wire/pk_extras.h"
#include "wire/paykeeper_int.h"

/* ---- statuses ---- */

#define PK_STATUS_WIRE(name, wire, final) wire,
#define PK_STATUS_FINAL(name, wire, final) final,
const char *const pkw_status_wires[] = {PK_STATUS_INFO(PK_STATUS_WIRE)};
static const bool status_finals[] = {PK_STATUS_INFO(PK_STATUS_FINAL)};
#undef PK_STATUS_WIRE
#undef PK_STATUS_FINAL

#define PK_FILTER_TYPE_WIRE(name, wire) wire,
const char *const pkw_filter_type_wires[] = {PK_FILTER_TYPE_INFO(PK_FILTER_TYPE_WIRE)};
#undef PK_FILTER_TYPE_WIRE
#define PK_SUM_TYPE_WIRE(name, wire) wire,
const char *const pkw_sum_type_wires[] = {PK_SUM_TYPE_INFO(PK_SUM_TYPE_WIRE)};
#undef PK_SUM_TYPE_WIRE

const char *paykeeper_status_wire(enum pk_status s)
{
	return (unsigned)s < PK_STATUS_UNKNOWN ? pkw_status_wires[s] : "unknown";
}

bool paykeeper_status_parse(const char *wire, enum pk_status *s)
{
	for (int i = 0; i < PK_STATUS_UNKNOWN; i++)
		if (strcmp(wire, pkw_status_wires[i]) == 0) {
			*s = (enum pk_status)i;
			return true;
		}
	*s = PK_STATUS_UNKNOWN;
	return false;
}

bool paykeeper_status_final(enum pk_status s)
{
	return (unsigned)s < PK_STATUS_UNKNOWN && status_finals[s];
}

/* ---- small helpers ---- */

/* Numbers read by jsonx_loads() must be told from real strings. */
bool pkw_json_is_marked_number(const json_t *v)
{
	return jsonx_number_text(v) != NULL;
}

/* Text of a JSON value as PayKeeper means it; malloc'd. Objects and arrays are
 * serialised (fields such as cart may arrive as JSON instead of JSON text). */
char *pkw_json_text(const json_t *v)
{
	char tmp[32];
	if (!v || json_is_null(v))
		return xstrdup("");
	if (pkw_json_is_marked_number(v))
		return xstrdup(jsonx_number_text(v));
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return xstrdup(tmp);
	}
	if (json_is_true(v))
		return xstrdup("1");
	if (json_is_false(v))
		return xstrdup("0");
	char *s = jsonx_dumps(v, JSON_COMPACT);
	return s ? s : xstrdup("");
}

bool pkw_has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Copies provider text for an error message: bounded, control characters blanked. */
void pkw_clean_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = ((unsigned char)src[i] < 0x20 || src[i] == 0x7f) ? ' ' : src[i];
	/* A cut text must not end inside a UTF-8 character: it is shown,
	 * journaled and encoded as JSON again. */
	if (src[i])
		while (i > 0 && ((unsigned char)src[i] & 0xC0) == 0x80)
			i--;
	dst[i] = '\0';
}

/* {"result":"fail","msg":"..."} -> K_PROVIDER with the provider's words. */
kstatus pkw_check_fail(const json_t *root, struct kerr *err)
{
	if (!json_is_object(root))
		return K_OK;
	const json_t *res = json_object_get(root, "result");
	if (!json_is_string(res) || strcmp(json_string_value(res), "fail") != 0)
		return K_OK;
	const json_t *msg = json_object_get(root, "msg");
	char text[256] = "";
	if (json_is_string(msg))
		pkw_clean_copy(text, sizeof text, json_string_value(msg));
	if (err)
		err->code = 0;
	return kerr_set(err, K_PROVIDER, "", _("PayKeeper refused the request: %s"),
			text[0] ? text : _("no reason given"));
}

kstatus pkw_parse_int64(const char *s, int64_t *out, const char *field, struct kerr *err)
{
	if (!*s || !isdigit((unsigned char)*s))
		return kerr_set(err, K_INVALID, field, "%s", _("must be a whole number"));
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end)
		return kerr_set(err, K_INVALID, field, "%s", _("must be a whole number"));
	if (errno == ERANGE)
		return kerr_set(err, K_OVERFLOW, field, "%s", _("is too large"));
	*out = v;
	return K_OK;
}

bool pkw_valid_receipt_key(const char *k)
{
	size_t len = strlen(k);
	if (len < PAYKEEPER_RECEIPT_KEY_MIN || len > PAYKEEPER_RECEIPT_KEY_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* ---- contact ---- */

static bool email_shape(const char *e)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || strchr(at + 1, '@'))
		return false;
	const char *dot = strrchr(at + 1, '.');
	if (!dot || dot == at + 1 || !dot[1])
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

kstatus paykeeper_contact(const char *email, const char *phone, char *out, size_t n,
			  struct kerr *err)
{
	if (email && *email) {
		if (!email_shape(email))
			return kerr_set(err, K_INVALID, "contact", "%s",
					_("the e-mail address does not look like name@example.ru; "
					  "correct it"));
		if (!str_copy(out, email, n))
			return kerr_set(err, K_INVALID, "contact", "%s",
					_("the e-mail address is too long"));
		return K_OK;
	}
	if (phone && *phone) {
		char digits[16];
		size_t nd = 0;
		for (const char *p = phone; *p; p++) {
			if (isdigit((unsigned char)*p)) {
				if (nd + 1 >= sizeof digits)
					goto bad_phone;
				digits[nd++] = *p;
			} else if (!strchr(" +-()", *p)) {
				goto bad_phone;
			}
		}
		digits[nd] = '\0';
		/* 8XXXXXXXXXX is how Russians often write +7XXXXXXXXXX. */
		if (nd != 11 || (digits[0] != '7' && digits[0] != '8'))
			goto bad_phone;
		if (n < 13)
			return kerr_set(err, K_INVALID, "contact", "%s",
					_("no room for the phone"));
		snprintf(out, n, "+7%s", digits + 1);
		return K_OK;
	bad_phone:
		return kerr_set(err, K_INVALID, "contact", "%s",
				_("the phone must be a Russian number such as +7 910 123-45-67"));
	}
	return kerr_set(err, K_INVALID, "contact", "%s",
			_("PayKeeper sends the receipt to the buyer: enter an e-mail or a phone"));
}

/* ---- cart ---- */

/*
 * Tag 1212 (payment object) -> PayKeeper item_type. The strings come from a
 * public integration (pretix-paykeeper), not from PayKeeper's own table 12.1,
 * which we could not read: goods..other follow FFD 1.05 codes 1-4, 9-11, 13
 * and FFD 1.2 codes 14, 15, 17, 18 by meaning. Codes without a known string
 * (gambling, lottery, 12, 16, 19-27, marked goods 30-33) are refused rather
 * than guessed.
 */
static const char *const item_types[34] = {
    [1] = "goods",	    [2] = "excise",	[3] = "work",
    [4] = "service",	    [9] = "ip",		[10] = "payment",
    [11] = "agent",	    [13] = "other",	[14] = "property_right",
    [15] = "non_operating", [17] = "sales_tax", [18] = "resort_fee",
};

/*
 * Tag 1214 (payment method) -> PayKeeper payment_type. Only "prepay" (1, full
 * prepayment) and "full" (4) were seen in public integrations; the others are
 * our unverified guesses by analogy and PayKeeper may reject them (the
 * receipt then ends "rejected" with a syntax_error, nothing is printed).
 */
static const char *const payment_types[8] = {
    [1] = "prepay",	    /* seen [O] */
    [2] = "part_prepay",    /* unverified */
    [3] = "advance",	    /* unverified */
    [4] = "full",	    /* seen [O] */
    [5] = "part_credit",    /* unverified */
    [6] = "credit",	    /* unverified */
    [7] = "credit_payment", /* unverified */
};

static void cart_push(json_t *arr, const struct basket_line *l, int64_t price, int64_t qty,
		      int64_t sum, const char *tax, const char *item_type, const char *pay_type)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(l->name));
	json_object_set_new(o, "price", jsonx_money_number(price));
	json_object_set_new(o, "quantity", jsonx_qty_number(qty));
	json_object_set_new(o, "sum", jsonx_money_number(sum));
	json_object_set_new(o, "tax", json_string(tax));
	if (item_type)
		json_object_set_new(o, "item_type", json_string(item_type));
	if (pay_type)
		json_object_set_new(o, "payment_type", json_string(pay_type));
	json_array_append_new(arr, o);
}

static kstatus cart_add_line(json_t *arr, const struct basket_line *l, size_t i, struct kerr *err)
{
	char field[48];
	if (!l->vat_set) {
		snprintf(field, sizeof field, "cart[%zu].tax", i);
		return kerr_set(err, K_INVALID, field, "%s",
				_("PayKeeper needs a VAT rate on every line; choose one for this "
				  "line"));
	}
	if (l->vat == VAT_VAT18 || l->vat == VAT_VAT118) {
		snprintf(field, sizeof field, "cart[%zu].tax", i);
		return kerr_set(err, K_INVALID, field, "%s",
				_("18% VAT ended in 2019; choose the current rate (20%)"));
	}
	const char *item_type = NULL, *pay_type = NULL;
	if (l->object != 0) {
		if (l->object < 0 || l->object >= (int)(sizeof item_types / sizeof *item_types) ||
		    !item_types[l->object]) {
			snprintf(field, sizeof field, "cart[%zu].item_type", i);
			return kerr_set(
			    err, K_INVALID, field,
			    _("PayKeeper's name for payment object %d (tag 1212) is not "
			      "known; choose another payment object or send this receipt "
			      "through LifePay"),
			    l->object);
		}
		item_type = item_types[l->object];
	}
	if (l->method != 0) {
		if (l->method < 1 || l->method > 7) {
			snprintf(field, sizeof field, "cart[%zu].payment_type", i);
			return kerr_set(
			    err, K_INVALID, field,
			    _("payment method %d (tag 1214) does not exist; use 1 to 7"),
			    l->method);
		}
		pay_type = payment_types[l->method];
	}
	if (l->qty <= 0) {
		snprintf(field, sizeof field, "cart[%zu].quantity", i);
		return kerr_set(err, K_INVALID, field, "%s", _("must be more than zero"));
	}
	const char *tax = vat_wire(l->vat);
	int64_t s = l->sum, q = l->qty;
	if (s == l->gross) {
		cart_push(arr, l, l->price, q, s, tax, item_type, pay_type);
		return K_OK;
	}
	/*
	 * A discounted line: PayKeeper has no discount field, so the price we
	 * send is the discounted unit price and the ККТ checks price x quantity
	 * against sum. When no price reproduces the sum exactly, split off the
	 * last unit to carry the remainder (as PayKeeper's own modules do).
	 */
	int64_t p = div_round_half_up(s * QTY_ONE, q), chk;
	if (money_mul_qty(p, q, &chk) != K_OK)
		return kerr_set(err, K_OVERFLOW, "cart", "%s", _("the line total is too large"));
	if (chk == s || q <= QTY_ONE) {
		/* q <= 1 unit: any rounding error is at most 1 kopeck, which a ККТ accepts. */
		cart_push(arr, l, p, q, s, tax, item_type, pay_type);
		return K_OK;
	}
	int64_t p1 = s * QTY_ONE / q, s1;
	if (money_mul_qty(p1, q - QTY_ONE, &s1) != K_OK)
		return kerr_set(err, K_OVERFLOW, "cart", "%s", _("the line total is too large"));
	cart_push(arr, l, p1, q - QTY_ONE, s1, tax, item_type, pay_type);
	cart_push(arr, l, s - s1, QTY_ONE, s - s1, tax, item_type, pay_type);
	return K_OK;
}

kstatus paykeeper_cart_json(const struct basket *b, char **out, struct kerr *err)
{
	*out = NULL;
	if (b->n == 0)
		return kerr_set(err, K_INVALID, "cart", "%s", _("add at least one line"));
	json_t *arr = json_array();
	for (size_t i = 0; i < b->n; i++) {
		kstatus st = cart_add_line(arr, &b->lines[i], i, err);
		if (st != K_OK) {
			json_decref(arr);
			return st;
		}
	}
	*out = jsonx_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return K_OK;
}

/* ---- print form ---- */

static bool printable_id(const char *s, size_t max)
{
	return strlen(s) <= max && !pkw_has_control(s);
}

kstatus paykeeper_print_form(const struct document *d, const struct pk_print_opts *o, char **out,
			     struct kerr *err)
{
	*out = NULL;
	if (d->kind != DOC_RECEIPT && d->kind != DOC_CORRECTION)
		return kerr_set(
		    err, K_INVALID, "type", "%s",
		    _("PayKeeper prints only sale, refund and expense receipts and their "
		      "corrections; send this document through LifePay"));
	bool corr = d->kind == DOC_CORRECTION;
	kstatus st;
	if (corr && (st = paykeeper_correction_validate(d, err)) != K_OK)
		return st;
	if ((unsigned)d->type >= RT_COUNT)
		return kerr_set(err, K_INVALID, "type", "%s", _("unknown receipt type"));
	if (!o->without_token && (!o->token || !*o->token))
		return kerr_set(
		    err, K_INVALID, "token", "%s",
		    _("no PayKeeper token yet: fetch it from /info/settings/token/ first"));
	if (!o->without_token && pkw_has_control(o->token))
		return kerr_set(err, K_INVALID, "token", "%s",
				_("the token holds control characters; fetch a new one"));
	const char *payment_id = o->payment_id ? o->payment_id : d->payment_id;
	const char *refund_id = o->refund_id ? o->refund_id : "";
	if (!printable_id(payment_id, 63))
		return kerr_set(err, K_INVALID, "payment_id", "%s",
				_("must be at most 63 characters without control characters"));
	if (!printable_id(refund_id, 31))
		return kerr_set(err, K_INVALID, "refund_id", "%s",
				_("must be at most 31 characters without control characters"));
	const char *key = o->receipt_key ? o->receipt_key : d->ext_id;
	if (!pkw_valid_receipt_key(key))
		return kerr_set(err, K_INVALID, "receipt_key",
				_("must be %d to %d characters of A-Z, a-z, 0-9, _ and -"),
				PAYKEEPER_RECEIPT_KEY_MIN, PAYKEEPER_RECEIPT_KEY_MAX);
	char contact[256];
	st = paykeeper_contact(d->customer_email, d->customer_phone, contact, sizeof contact, err);
	if (st != K_OK)
		return st;
	/* "partial settlement and credit" leaves the credit part unknown */
	for (size_t i = 0; i < d->basket.n; i++)
		if (d->basket.lines[i].method == 5) {
			char field[48];
			snprintf(field, sizeof field, "cart[%zu].payment_type", i);
			return kerr_set(
			    err, K_INVALID, field, "%s",
			    _("PayKeeper needs the credit part of a 'partial settlement "
			      "and credit' line (payment method 5) in sum_credit, which the "
			      "line does not tell; split it into a paid line (method 4) and a "
			      "line on credit (method 6)"));
		}
	int64_t advance = d->prepayment, credit = document_credit(d);
	int64_t due = d->basket.total - advance - credit;
	if (advance < 0 || due < 0)
		return kerr_set(err, K_INVALID, "sum_advance", "%s",
				_("the advance and the credit are more than the receipt total"));
	struct payment_result res = {0};
	if (o->resolved)
		res = *o->resolved;
	else if (due > 0 && (st = payment_resolve(due, &d->pay, &res, err)) != K_OK)
		return st;
	/* Change stays in the drawer: the receipt records the cash kept. */
	int64_t cash = res.cash - res.change;
	char *cart;
	st = paykeeper_cart_json(&d->basket, &cart, err);
	if (st != K_OK)
		return st;
	if (res.card + cash + advance + credit != d->basket.total) {
		free(cart);
		return kerr_set(err, K_INVALID, "sum_cash", "%s",
				_("card and cash do not add up to the receipt total"));
	}
	char card_text[32], cash_text[32];
	money_format_wire(res.card, card_text, sizeof card_text);
	money_format_wire(cash, cash_text, sizeof cash_text);
	/* A receipt that offsets an advance is the final settlement (reference,
	 * "Advance, then final settlement"; seed 8.11 item 3). */
	bool post_sale = o->is_post_sale || advance > 0;

	char *f = NULL;
	form_add(&f, "payment_id", payment_id);
	form_add(&f, "type", receipt_type_paykeeper(d->type));
	if (d->type != RT_REFUND)
		form_add(&f, "is_post_sale", post_sale ? "true" : "false");
	if (corr) {
		form_add(&f, "is_correction", "true");
		form_add(&f, "correction_type", paykeeper_correction_type(d->correction_initiator));
		form_add(&f, "correction_operation_date", d->correction_doc_date);
		if (d->correction_doc_number[0])
			form_add(&f, "correction_document_number", d->correction_doc_number);
	}
	form_add(&f, "refund_id", refund_id);
	form_add(&f, "contact", contact);
	form_add(&f, "sum_cashless", card_text);
	form_add(&f, "sum_cash", cash_text);
	if ((st = paykeeper_form_extras(&f, d, advance, credit, err)) != K_OK) { /* pk_extras.c */
		free(f);
		free(cart);
		return st;
	}
	form_add(&f, "cart", cart);
	form_add(&f, "receipt_key", key);
	if (!o->without_token)
		form_add(&f, "token", o->token);
	free(cart);
	*out = f;
	return K_OK;
}
