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

/* ---- statuses ---- */

#define PK_STATUS_WIRE(name, wire, final) wire,
#define PK_STATUS_FINAL(name, wire, final) final,
static const char *const status_wires[] = {PK_STATUS_INFO(PK_STATUS_WIRE)};
static const bool status_finals[] = {PK_STATUS_INFO(PK_STATUS_FINAL)};
#undef PK_STATUS_WIRE
#undef PK_STATUS_FINAL

#define PK_FILTER_TYPE_WIRE(name, wire) wire,
static const char *const filter_type_wires[] = {PK_FILTER_TYPE_INFO(PK_FILTER_TYPE_WIRE)};
#undef PK_FILTER_TYPE_WIRE
#define PK_SUM_TYPE_WIRE(name, wire) wire,
static const char *const sum_type_wires[] = {PK_SUM_TYPE_INFO(PK_SUM_TYPE_WIRE)};
#undef PK_SUM_TYPE_WIRE

const char *paykeeper_status_wire(enum pk_status s)
{
	return (unsigned)s < PK_STATUS_UNKNOWN ? status_wires[s] : "unknown";
}

bool paykeeper_status_parse(const char *wire, enum pk_status *s)
{
	for (int i = 0; i < PK_STATUS_UNKNOWN; i++)
		if (strcmp(wire, status_wires[i]) == 0) {
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
static bool json_is_marked_number(const json_t *v)
{
	return jsonx_number_text(v) != NULL;
}

/* Text of a JSON value as PayKeeper means it; malloc'd. Objects and arrays are
 * serialised (fields such as cart may arrive as JSON instead of JSON text). */
static char *json_text(const json_t *v)
{
	char tmp[32];
	if (!v || json_is_null(v))
		return xstrdup("");
	if (json_is_marked_number(v))
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

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* Copies provider text for an error message: bounded, control characters blanked. */
static void clean_copy(char *dst, size_t n, const char *src)
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
static kstatus check_fail(const json_t *root, struct kerr *err)
{
	if (!json_is_object(root))
		return K_OK;
	const json_t *res = json_object_get(root, "result");
	if (!json_is_string(res) || strcmp(json_string_value(res), "fail") != 0)
		return K_OK;
	const json_t *msg = json_object_get(root, "msg");
	char text[256] = "";
	if (json_is_string(msg))
		clean_copy(text, sizeof text, json_string_value(msg));
	if (err)
		err->code = 0;
	return kerr_set(err, K_PROVIDER, "", _("PayKeeper refused the request: %s"),
			text[0] ? text : _("no reason given"));
}

static kstatus parse_int64(const char *s, int64_t *out, const char *field, struct kerr *err)
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

static bool valid_receipt_key(const char *k)
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
	return strlen(s) <= max && !has_control(s);
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
	if (!o->token || !*o->token)
		return kerr_set(
		    err, K_INVALID, "token", "%s",
		    _("no PayKeeper token yet: fetch it from /info/settings/token/ first"));
	if (has_control(o->token))
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
	if (!valid_receipt_key(key))
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
	if (due > 0 && (st = payment_resolve(due, &d->pay, &res, err)) != K_OK)
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
	form_add(&f, "token", o->token);
	free(cart);
	*out = f;
	return K_OK;
}

/* ---- cart and print request parsing (the sandbox's side) ---- */

static bool paykeeper_tax_known(const char *t)
{
	static const char *const taxes[] = {"none",   "vat0",	"vat5",	  "vat7",
					    "vat10",  "vat20",	"vat22",  "vat105",
					    "vat107", "vat110", "vat120", "vat122"};
	for (size_t i = 0; i < sizeof taxes / sizeof *taxes; i++)
		if (strcmp(t, taxes[i]) == 0)
			return true;
	return false;
}

static kstatus cart_item_string(const json_t *o, const char *key, bool required, char *dst,
				size_t n, const char *field, struct kerr *err)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		if (required)
			return kerr_set(err, K_INVALID, field, "%s", _("is missing"));
		dst[0] = '\0';
		return K_OK;
	}
	if (!json_is_string(v) || json_is_marked_number(v))
		return kerr_set(err, K_INVALID, field, "%s", _("must be text"));
	if (!str_copy(dst, json_string_value(v), n))
		return kerr_set(err, K_INVALID, field, "%s", _("is too long"));
	return K_OK;
}

static kstatus parse_cart_item(const json_t *o, size_t i, struct pk_cart_item *it, struct kerr *err)
{
	char field[48];
	kstatus st;
#define FIELD(name) (snprintf(field, sizeof field, "cart[%zu].%s", i, name), field)
	if (!json_is_object(o))
		return kerr_set(err, K_INVALID, FIELD("name"), "%s",
				_("a cart item must be an object"));
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)o, key, val)
	{
		static const char *const known[] = {"name", "price",	 "quantity",	"sum",
						    "tax",  "item_type", "payment_type"};
		bool ok = false;
		for (size_t k = 0; k < sizeof known / sizeof *known; k++)
			ok = ok || strcmp(key, known[k]) == 0;
		(void)val;
		if (!ok)
			return kerr_set(err, K_INVALID, FIELD(key), "%s",
					_("is not a cart field PayKeeper knows"));
	}
	st = cart_item_string(o, "name", true, it->name, sizeof it->name, FIELD("name"), err);
	if (st != K_OK)
		return st;
	st = basket_check_name(it->name, FIELD("name"), err);
	if (st != K_OK)
		return st;
	st = jsonx_money(json_object_get(o, "price"), &it->price, FIELD("price"), err);
	if (st != K_OK)
		return st;
	st = jsonx_qty(json_object_get(o, "quantity"), &it->qty, FIELD("quantity"), err);
	if (st != K_OK)
		return st;
	if (it->qty == 0)
		return kerr_set(err, K_INVALID, FIELD("quantity"), "%s",
				_("must be more than zero"));
	st = jsonx_money(json_object_get(o, "sum"), &it->sum, FIELD("sum"), err);
	if (st != K_OK)
		return st;
	int64_t expect;
	if (money_mul_qty(it->price, it->qty, &expect) != K_OK)
		return kerr_set(err, K_OVERFLOW, FIELD("sum"), "%s",
				_("price x quantity is too large"));
	if (expect - it->sum > 1 || it->sum - expect > 1)
		return kerr_set(err, K_INVALID, FIELD("sum"), "%s",
				_("differs from price x quantity by more than 1 kopeck"));
	st = cart_item_string(o, "tax", true, it->tax, sizeof it->tax, FIELD("tax"), err);
	if (st != K_OK)
		return st;
	if (!paykeeper_tax_known(it->tax))
		return kerr_set(err, K_INVALID, FIELD("tax"), "%s",
				_("must be one of none, vat0, vat5, vat7, vat10, vat20, vat22, "
				  "vat105, vat107, vat110, vat120, vat122"));
	st = cart_item_string(o, "item_type", false, it->item_type, sizeof it->item_type,
			      FIELD("item_type"), err);
	if (st != K_OK)
		return st;
	st = cart_item_string(o, "payment_type", false, it->payment_type, sizeof it->payment_type,
			      FIELD("payment_type"), err);
#undef FIELD
	return st;
}

kstatus paykeeper_parse_cart(const char *json, size_t len, struct pk_cart_item **items, size_t *n,
			     struct kerr *err)
{
	*items = NULL;
	*n = 0;
	json_t *root = jsonx_loads(json, len, err);
	if (!root) {
		if (err)
			str_copy(err->field, "cart", sizeof err->field);
		return K_INVALID;
	}
	if (!json_is_array(root) || json_array_size(root) == 0) {
		json_decref(root);
		return kerr_set(err, K_INVALID, "cart", "%s",
				_("must be a JSON array with at least one item"));
	}
	size_t count = json_array_size(root);
	struct pk_cart_item *arr = xcalloc(count, sizeof *arr);
	for (size_t i = 0; i < count; i++) {
		kstatus st = parse_cart_item(json_array_get(root, i), i, &arr[i], err);
		if (st != K_OK) {
			free(arr);
			json_decref(root);
			return st;
		}
	}
	json_decref(root);
	*items = arr;
	*n = count;
	return K_OK;
}

static kstatus parse_bool_word(const char *v, bool *out, const char *field, struct kerr *err)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || !*v)
		*out = false;
	else
		return kerr_set(err, K_INVALID, field, "%s", _("must be true or false"));
	return K_OK;
}

static kstatus parse_amount_text(const char *v, int64_t *out, const char *field, struct kerr *err)
{
	if (!*v) {
		*out = 0;
		return K_OK;
	}
	return money_parse(v, out, field, err);
}

void paykeeper_print_request_free(struct pk_print_request *r)
{
	free(r->items);
	memset(r, 0, sizeof *r);
}

kstatus paykeeper_parse_print_request(const char *body, size_t len, struct pk_print_request *r,
				      struct kerr *err)
{
	memset(r, 0, sizeof *r);
	size_t n;
	struct form_pair *p = form_parse(body, len, &n);
	kstatus st = K_OK;
	bool seen_payment_id = false, seen_type = false, seen_token = false;
	const char *cart = NULL;
	for (size_t i = 0; i < n && st == K_OK; i++) {
		const char *k = p[i].key, *v = p[i].value;
		for (size_t j = 0; j < i; j++)
			if (strcmp(p[j].key, k) == 0) {
				st = kerr_set(err, K_INVALID, k, "%s", _("is given twice"));
				break;
			}
		if (st != K_OK)
			break;
		if (strcmp(k, "payment_id") == 0) {
			seen_payment_id = true;
			if (!str_copy(r->payment_id, v, sizeof r->payment_id))
				st = kerr_set(err, K_INVALID, k, "%s", _("is too long"));
		} else if (strcmp(k, "type") == 0) {
			seen_type = true;
			str_copy(r->type, v, sizeof r->type);
			if (strcmp(v, "sale") && strcmp(v, "refund") && strcmp(v, "expense") &&
			    strcmp(v, "expense-refund"))
				st = kerr_set(err, K_INVALID, k, "%s",
					      _("must be sale, refund, expense or expense-refund"));
		} else if (strcmp(k, "is_post_sale") == 0) {
			r->has_is_post_sale = true;
			if (strcmp(v, "true") == 0)
				r->is_post_sale = true;
			else if (strcmp(v, "false") != 0)
				st = kerr_set(err, K_INVALID, k, "%s", _("must be true or false"));
		} else if (strcmp(k, "refund_id") == 0) {
			if (!str_copy(r->refund_id, v, sizeof r->refund_id))
				st = kerr_set(err, K_INVALID, k, "%s", _("is too long"));
		} else if (strcmp(k, "contact") == 0) {
			if (!str_copy(r->contact, v, sizeof r->contact))
				st = kerr_set(err, K_INVALID, k, "%s", _("is too long"));
		} else if (strcmp(k, "sum_cashless") == 0) {
			st = parse_amount_text(v, &r->sum_cashless, k, err);
		} else if (strcmp(k, "sum_cash") == 0) {
			st = parse_amount_text(v, &r->sum_cash, k, err);
		} else if (strcmp(k, "sum_advance") == 0) {
			st = parse_amount_text(v, &r->sum_advance, k, err);
		} else if (strcmp(k, "sum_credit") == 0) {
			st = parse_amount_text(v, &r->sum_credit, k, err);
		} else if (strcmp(k, "sum_counter_payment") == 0) {
			st = parse_amount_text(v, &r->sum_counter_payment, k, err);
		} else if (strcmp(k, "cart") == 0) {
			cart = v;
		} else if (strcmp(k, "receipt_key") == 0) {
			if (!valid_receipt_key(v))
				st = kerr_set(err, K_INVALID, k,
					      _("must be %d to %d characters of A-Z, a-z, 0-9, _ "
						"and -"),
					      PAYKEEPER_RECEIPT_KEY_MIN, PAYKEEPER_RECEIPT_KEY_MAX);
			else
				str_copy(r->receipt_key, v, sizeof r->receipt_key);
		} else if (strcmp(k, "token") == 0) {
			seen_token = *v != '\0';
			if (!str_copy(r->token, v, sizeof r->token))
				st = kerr_set(err, K_INVALID, k, "%s", _("is too long"));
		}
		/* Other fields (receipt_properties, is_correction ...) are not ours to judge. */
	}
	if (st == K_OK && !seen_payment_id)
		st = kerr_set(err, K_INVALID, "payment_id", "%s",
			      _("must always be sent, empty for a receipt without a payment"));
	if (st == K_OK && !seen_type)
		st = kerr_set(err, K_INVALID, "type", "%s", _("is missing"));
	if (st == K_OK && !seen_token)
		st = kerr_set(err, K_INVALID, "token", "%s", _("is missing"));
	if (st == K_OK && r->has_is_post_sale && strcmp(r->type, "refund") == 0)
		st = kerr_set(err, K_INVALID, "is_post_sale", "%s",
			      _("is not sent with type=refund"));
	if (st == K_OK && !cart)
		st = kerr_set(err, K_INVALID, "cart", "%s", _("is missing"));
	if (st == K_OK)
		st = paykeeper_parse_cart(cart, strlen(cart), &r->items, &r->n_items, err);
	if (st == K_OK) {
		int64_t items_total = 0, paid = 0;
		for (size_t i = 0; i < r->n_items && st == K_OK; i++)
			st = money_add(items_total, r->items[i].sum, &items_total);
		const int64_t sums[] = {r->sum_cashless, r->sum_cash, r->sum_advance, r->sum_credit,
					r->sum_counter_payment};
		for (size_t i = 0; i < 5 && st == K_OK; i++)
			st = money_add(paid, sums[i], &paid);
		if (st != K_OK)
			st = kerr_set(err, K_OVERFLOW, "cart", "%s", _("the total is too large"));
		else if (paid != items_total) {
			char a[32], b[32];
			money_format_wire(items_total, a, sizeof a);
			money_format_wire(paid, b, sizeof b);
			st = kerr_set(err, K_INVALID, "sum_cashless",
				      _("the cart totals %s but the payment fields add up to %s"),
				      a, b);
		}
	}
	form_pairs_free(p, n);
	if (st != K_OK)
		paykeeper_print_request_free(r);
	return st;
}

/* ---- the receipt object ---- */

enum fkind { F_ID, F_TEXT, F_BOOL, F_MONEY, F_JSON, F_STATUS, F_ERROR };

struct fdesc {
	const char *key;
	enum fkind kind;
	size_t off, size;
};

/* clang-format off */
#define FT(name) {#name, F_TEXT, offsetof(struct pk_receipt, name), \
		  sizeof(((struct pk_receipt *)0)->name)}
#define FK(name, kind) {#name, kind, offsetof(struct pk_receipt, name), 0}
/* clang-format on */
/* Table 8.4.2, in the table's order. */
static const struct fdesc receipt_fields[] = {
    FK(id, F_ID),
    FT(payment_id),
    FT(type),
    FK(is_post_sale, F_BOOL),
    FK(is_correction, F_BOOL),
    FT(refund_id),
    FK(status, F_STATUS),
    FT(contact),
    FK(sum_cashless, F_MONEY),
    FK(sum_cash, F_MONEY),
    FK(sum_advance, F_MONEY),
    FK(sum_credit, F_MONEY),
    FK(sum_counter_payment, F_MONEY),
    FK(cart, F_JSON),
    FK(receipt_properties, F_JSON),
    FT(fpd),
    FT(fnd),
    FT(fn),
    FT(ts),
    FT(rnkkt),
    FT(shift_number),
    FT(receipt_number),
    FT(obtain_datetime),
    FT(request_datetime),
    FT(fop_receipt_key),
    FT(fop_uuid),
    FT(fop_url),
    FK(custom_params, F_JSON),
    FK(has_error, F_ERROR),
};
#undef FT
#undef FK
#define N_RECEIPT_FIELDS (sizeof receipt_fields / sizeof *receipt_fields)

void paykeeper_receipt_free(struct pk_receipt *r)
{
	free(r->cart);
	free(r->receipt_properties);
	free(r->custom_params);
	memset(r, 0, sizeof *r);
}

static void receipt_init(struct pk_receipt *r)
{
	memset(r, 0, sizeof *r);
	r->status = PK_STATUS_UNKNOWN;
}

static kstatus receipt_set_error(struct pk_receipt *r, const char *text)
{
	r->has_error = false;
	r->error_type[0] = r->error_message[0] = r->error_id[0] = '\0';
	if (!*text || strcmp(text, "null") == 0)
		return K_OK;
	r->has_error = true;
	json_t *e = jsonx_loads(text, strlen(text), NULL);
	if (!json_is_object(e)) {
		/* Not the documented object: keep the words so someone can read them. */
		clean_copy(r->error_message, sizeof r->error_message, text);
		json_decref(e);
		return K_OK;
	}
	char *t = json_text(json_object_get(e, "type"));
	char *m = json_text(json_object_get(e, "message"));
	char *id = json_text(json_object_get(e, "error_id"));
	clean_copy(r->error_type, sizeof r->error_type, t);
	clean_copy(r->error_message, sizeof r->error_message, m);
	clean_copy(r->error_id, sizeof r->error_id, id);
	free(t);
	free(m);
	free(id);
	json_decref(e);
	return K_OK;
}

static kstatus receipt_set_field(struct pk_receipt *r, const struct fdesc *f, const char *v,
				 struct kerr *err)
{
	char *base = (char *)r + f->off;
	/* Text from outside must be UTF-8 without control characters (JSON
	 * fields may hold line breaks); it is shown, journaled and re-encoded. */
	if (f->kind == F_JSON) {
		if (!utf8_valid(v, strlen(v)))
			return kerr_set(err, K_INVALID, f->key, "%s", _("is not valid UTF-8 text"));
	} else {
		kstatus st = document_check_text(v, 0, f->key, err);
		if (st != K_OK)
			return st;
	}
	switch (f->kind) {
	case F_ID:
		if (!*v) {
			r->id = 0;
			return K_OK;
		}
		return parse_int64(v, &r->id, f->key, err);
	case F_TEXT:
		if (!str_copy(base, v, f->size))
			return kerr_set(err, K_INVALID, f->key, _("is longer than %zu bytes"),
					f->size - 1);
		return K_OK;
	case F_BOOL:
		return parse_bool_word(v, (bool *)base, f->key, err);
	case F_MONEY:
		return parse_amount_text(v, (int64_t *)base, f->key, err);
	case F_JSON: {
		char **dst = (char **)base;
		free(*dst);
		*dst = *v ? xstrdup(v) : NULL;
		return K_OK;
	}
	case F_STATUS:
		paykeeper_status_parse(v, &r->status);
		if (!str_copy(r->status_text, v, sizeof r->status_text))
			return kerr_set(err, K_INVALID, "status", "%s", _("is too long"));
		return K_OK;
	case F_ERROR:
		return receipt_set_error(r, v);
	}
	return K_OK;
}

static const struct fdesc *receipt_field(const char *key)
{
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++)
		if (strcmp(receipt_fields[i].key, key) == 0)
			return &receipt_fields[i];
	return NULL;
}

/* "error" maps to has_error in the table; the wire key is "error". */
static const char *fdesc_wire_key(const struct fdesc *f)
{
	return f->kind == F_ERROR ? "error" : f->key;
}

static const struct fdesc *receipt_field_wire(const char *key)
{
	if (strcmp(key, "error") == 0)
		return receipt_field("has_error");
	if (strcmp(key, "has_error") == 0)
		return NULL;
	return receipt_field(key);
}

static kstatus receipt_finish(struct pk_receipt *r, struct kerr *err)
{
	if (r->id <= 0)
		return kerr_set(err, K_INVALID, "id", "%s",
				_("the receipt has no id; the reply is not a PayKeeper receipt"));
	return K_OK;
}

static kstatus receipt_from_json(const json_t *o, struct pk_receipt *r, const char *where,
				 struct kerr *err)
{
	receipt_init(r);
	if (!json_is_object(o))
		return kerr_set(err, K_INVALID, where, "%s", _("a receipt must be a JSON object"));
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)o, key, val)
	{
		const struct fdesc *f = receipt_field_wire(key);
		if (!f)
			continue; /* newer fields are not an error */
		if ((json_is_object(val) || json_is_array(val)) && f->kind != F_JSON &&
		    f->kind != F_ERROR) {
			paykeeper_receipt_free(r);
			return kerr_set(err, K_INVALID, key, "%s", _("must be text or a number"));
		}
		char *text = json_text(val);
		kstatus st = receipt_set_field(r, f, text, err);
		free(text);
		if (st != K_OK) {
			if (where[0])
				kerr_prefix(err, where);
			paykeeper_receipt_free(r);
			return st;
		}
	}
	kstatus st = receipt_finish(r, err);
	if (st != K_OK) {
		if (where[0])
			kerr_prefix(err, where);
		paykeeper_receipt_free(r);
	}
	return st;
}

/* Loads a reply; *empty for a body with nothing in it. */
static json_t *load_reply(const char *body, size_t len, bool *empty, struct kerr *err)
{
	*empty = false;
	if (!body || blank(body, len)) {
		*empty = true;
		return NULL;
	}
	/* jansson takes only arrays and objects at the top; "null" means nothing found. */
	size_t a = 0, b = len;
	while (a < b && isspace((unsigned char)body[a]))
		a++;
	while (b > a && isspace((unsigned char)body[b - 1]))
		b--;
	if (b - a == 4 && memcmp(body + a, "null", 4) == 0) {
		*empty = true;
		return NULL;
	}
	json_t *root = jsonx_loads(body, len, err);
	if (!root && err)
		str_copy(err->field, "reply", sizeof err->field);
	return root;
}

kstatus paykeeper_parse_receipt(const char *body, size_t len, struct pk_receipt *r,
				struct kerr *err)
{
	receipt_init(r);
	bool empty;
	json_t *root = load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_NOTFOUND, "id", "%s",
				_("PayKeeper has no receipt with this id"));
	if (!root)
		return K_INVALID;
	kstatus st = check_fail(root, err);
	const json_t *o = root;
	if (st == K_OK && json_is_array(root)) {
		if (json_array_size(root) == 0)
			st = kerr_set(err, K_NOTFOUND, "id", "%s",
				      _("PayKeeper has no receipt with this id"));
		else if (json_array_size(root) > 1)
			st = kerr_set(err, K_INVALID, "reply", "%s",
				      _("expected one receipt, got several"));
		else
			o = json_array_get(root, 0);
	} else if (st == K_OK &&
		   (json_is_null(root) || (json_is_object(root) && json_object_size(root) == 0))) {
		st = kerr_set(err, K_NOTFOUND, "id", "%s",
			      _("PayKeeper has no receipt with this id"));
	}
	if (st == K_OK)
		st = receipt_from_json(o, r, "", err);
	json_decref(root);
	return st;
}

static kstatus parse_token_reply(const json_t *root, char *out, size_t n, struct kerr *err)
{
	const json_t *t = json_is_object(root) ? json_object_get(root, "token") : NULL;
	if (!json_is_string(t) || json_is_marked_number(t) || !json_string_value(t)[0])
		return kerr_set(
		    err, K_INVALID, "token", "%s",
		    _("the reply carries no token; check the PayKeeper user and password"));
	const char *s = json_string_value(t);
	if (has_control(s))
		return kerr_set(err, K_INVALID, "token", "%s",
				_("the token holds control characters"));
	if (!str_copy(out, s, n))
		return kerr_set(err, K_INVALID, "token", "%s", _("the token is too long"));
	return K_OK;
}

kstatus paykeeper_parse_token(const char *body, size_t len, char *out, size_t n, struct kerr *err)
{
	if (n)
		out[0] = '\0';
	bool empty;
	json_t *root = load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_INVALID, "token", "%s", _("the reply is empty"));
	if (!root)
		return K_INVALID;
	kstatus st = check_fail(root, err);
	if (st == K_OK)
		st = parse_token_reply(root, out, n, err);
	if (st != K_OK && n)
		out[0] = '\0';
	json_decref(root);
	return st;
}

kstatus paykeeper_parse_print_reply(const char *body, size_t len, int64_t *receipt_id,
				    struct kerr *err)
{
	*receipt_id = 0;
	bool empty;
	json_t *root = load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_INVALID, "receipt_id", "%s", _("the reply is empty"));
	if (!root)
		return K_INVALID;
	kstatus st = check_fail(root, err);
	if (st == K_OK) {
		const json_t *v = json_is_object(root) ? json_object_get(root, "receipt_id") : NULL;
		if (!v ||
		    !(json_is_integer(v) || (json_is_string(v) && !json_is_marked_number(v)))) {
			st = kerr_set(err, K_INVALID, "receipt_id", "%s",
				      _("the reply carries no receipt_id"));
		} else {
			char *text = json_text(v);
			st = parse_int64(text, receipt_id, "receipt_id", err);
			free(text);
			if (st == K_OK && *receipt_id <= 0)
				st = kerr_set(err, K_INVALID, "receipt_id", "%s",
					      _("must be a positive number"));
		}
	}
	json_decref(root);
	return st;
}

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
	if (json_is_string(v) && !json_is_marked_number(v))
		return parse_int64(json_string_value(v), out, field, err);
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
			if (strcmp(name, filter_type_wires[i]) == 0)
				slot = &c->by_type[i];
	} else if (strcmp(group, "sum_type") == 0) {
		for (size_t i = 0; i < PK_SUM_COUNT; i++)
			if (strcmp(name, sum_type_wires[i]) == 0)
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
	json_t *root = load_reply(body, len, &empty, err);
	if (empty)
		return K_OK;
	if (!root)
		return K_INVALID;
	kstatus st = check_fail(root, err);
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
	json_t *root = load_reply(body, len, &empty, err);
	if (empty)
		return K_OK;
	if (!root)
		return K_INVALID;
	kstatus st = check_fail(root, err);
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
			st = receipt_from_json(json_array_get(arr, i), &l->items[i], where, err);
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
	add_array(&f, "status", q->statuses, status_wires, PK_STATUS_UNKNOWN);
	add_array(&f, "receipt_type", q->types, filter_type_wires, PK_TYPE_COUNT);
	add_array(&f, "sum_type", q->sum_types, sum_type_wires, PK_SUM_COUNT);
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

/* ---- receipt out (sandbox side) ---- */

static char *receipt_field_text(const struct pk_receipt *r, const struct fdesc *f)
{
	const char *base = (const char *)r + f->off;
	char tmp[32];
	switch (f->kind) {
	case F_ID:
		snprintf(tmp, sizeof tmp, "%" PRId64, r->id);
		return xstrdup(tmp);
	case F_TEXT:
		return xstrdup(base);
	case F_BOOL:
		return xstrdup(*(const bool *)base ? "1" : "0");
	case F_MONEY:
		money_format_wire(*(const int64_t *)base, tmp, sizeof tmp);
		return xstrdup(tmp);
	case F_JSON: {
		const char *s = *(char *const *)base;
		return xstrdup(s ? s : "");
	}
	case F_STATUS:
		return xstrdup(r->status_text[0] ? r->status_text
						 : paykeeper_status_wire(r->status));
	case F_ERROR: {
		if (!r->has_error)
			return xstrdup("");
		json_t *e = json_object();
		json_object_set_new(e, "type", json_string(r->error_type));
		json_object_set_new(e, "message", json_string(r->error_message));
		json_object_set_new(e, "error_id", json_string(r->error_id));
		char *s = jsonx_dumps(e, JSON_COMPACT);
		json_decref(e);
		return s ? s : xstrdup("");
	}
	}
	return xstrdup("");
}

struct form_pair *paykeeper_receipt_pairs(const struct pk_receipt *r, size_t *n)
{
	struct form_pair *p = xcalloc(N_RECEIPT_FIELDS, sizeof *p);
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++) {
		p[i].key = xstrdup(fdesc_wire_key(&receipt_fields[i]));
		p[i].value = receipt_field_text(r, &receipt_fields[i]);
	}
	*n = N_RECEIPT_FIELDS;
	return p;
}

char *paykeeper_receipt_json(const struct pk_receipt *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++) {
		const struct fdesc *f = &receipt_fields[i];
		if (f->kind == F_ID) {
			json_object_set_new(o, f->key, json_integer(r->id));
		} else if (f->kind == F_MONEY) {
			json_object_set_new(
			    o, f->key,
			    jsonx_money_number(*(const int64_t *)((const char *)r + f->off)));
		} else {
			char *t = receipt_field_text(r, f);
			json_object_set_new(o, fdesc_wire_key(f), json_string(t));
			free(t);
		}
	}
	char *s = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- signature ---- */

static int on_compare_keys(const void *a, const void *b)
{
	const struct form_pair *x = *(const struct form_pair *const *)a;
	const struct form_pair *y = *(const struct form_pair *const *)b;
	return strcmp(x->key, y->key);
}

kstatus paykeeper_sign(const struct form_pair *pairs, size_t n, const char *secret,
		       char out_hex[PAYKEEPER_SIGN_HEX_LEN + 1], struct kerr *err)
{
	out_hex[0] = '\0';
	if (!secret || !*secret)
		return kerr_set(
		    err, K_INVALID, "secret", "%s",
		    _("the PayKeeper secret word for notifications is not set; enter it "
		      "in the profile"));
	size_t strl = strlen(secret);
	if (strl > 4096)
		return kerr_set(err, K_INVALID, "secret", "%s", _("the secret word is too long"));
	const struct form_pair **sorted = xcalloc(n ? n : 1, sizeof *sorted);
	size_t m = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pairs[i].key, "sign") == 0)
			continue;
		sorted[m++] = &pairs[i];
		total += strlen(pairs[i].value) + 1;
	}
	/* Byte order, as strcmp; equal keys would make the order (and the sign) ambiguous. */
	qsort(sorted, m, sizeof *sorted, on_compare_keys);
	for (size_t i = 1; i < m; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
			kstatus st = kerr_set(err, K_INVALID, sorted[i]->key, "%s",
					      _("is given twice; the notification is malformed"));
			free(sorted);
			return st;
		}
	char *msg = xmalloc(total + 1);
	size_t o = 0;
	for (size_t i = 0; i < m; i++) {
		if (i)
			msg[o++] = ';';
		size_t vl = strlen(sorted[i]->value);
		memcpy(msg + o, sorted[i]->value, vl);
		o += vl;
	}
	msg[o] = '\0';
	free(sorted);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	unsigned char *ok =
	    HMAC(EVP_sha256(), secret, (int)strl, (const unsigned char *)msg, o, mac, &mac_len);
	free(msg);
	if (!ok || mac_len != PAYKEEPER_SIGN_HEX_LEN / 2)
		return kerr_set(err, K_INVALID, "sign", "%s", _("HMAC-SHA256 failed in libcrypto"));
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < mac_len; i++) {
		out_hex[2 * i] = hex[mac[i] >> 4];
		out_hex[2 * i + 1] = hex[mac[i] & 15];
	}
	out_hex[2 * mac_len] = '\0';
	return K_OK;
}

kstatus paykeeper_callback_body(const struct form_pair *pairs, size_t n, const char *secret,
				char **out, struct kerr *err)
{
	*out = NULL;
	char sign[PAYKEEPER_SIGN_HEX_LEN + 1];
	kstatus st = paykeeper_sign(pairs, n, secret, sign, err);
	if (st != K_OK)
		return st;
	char *f = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i].key, "sign") != 0)
			form_add(&f, pairs[i].key, pairs[i].value);
	form_add(&f, "sign", sign);
	*out = f;
	return K_OK;
}

/* True if the raw body hides a NUL byte in a value (%00), which C strings would cut. */
static bool body_has_nul(const char *body, size_t len)
{
	if (memchr(body, '\0', len))
		return true;
	for (size_t i = 0; i + 2 < len; i++)
		if (body[i] == '%' && body[i + 1] == '0' && body[i + 2] == '0')
			return true;
	return false;
}

kstatus paykeeper_verify_callback(const char *body, size_t len, const char *secret,
				  struct pk_receipt *out, struct kerr *err)
{
	receipt_init(out);
	if (!secret || !*secret)
		return kerr_set(
		    err, K_INVALID, "secret", "%s",
		    _("the PayKeeper secret word for notifications is not set; enter it "
		      "in the profile"));
	if (body_has_nul(body, len))
		return kerr_set(err, K_INVALID, "", "%s",
				_("the notification holds a NUL byte; ignored"));
	size_t n;
	struct form_pair *p = form_parse(body, len, &n);
	const char *got = NULL;
	size_t signs = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, "sign") == 0) {
			got = p[i].value;
			signs++;
		}
	kstatus st = K_OK;
	char want[PAYKEEPER_SIGN_HEX_LEN + 1], have[PAYKEEPER_SIGN_HEX_LEN + 1];
	if (signs == 0) {
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("the notification is not signed; ignored"));
	} else if (signs > 1) {
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("the notification carries two signatures; ignored"));
	} else if (strlen(got) != PAYKEEPER_SIGN_HEX_LEN) {
		st = kerr_set(err, K_REFUSED, "sign", _("must be %d hex digits; ignored"),
			      PAYKEEPER_SIGN_HEX_LEN);
	} else {
		for (size_t i = 0; i < PAYKEEPER_SIGN_HEX_LEN && st == K_OK; i++) {
			if (!isxdigit((unsigned char)got[i]))
				st = kerr_set(err, K_REFUSED, "sign",
					      _("must be %d hex digits; "
						"ignored"),
					      PAYKEEPER_SIGN_HEX_LEN);
			have[i] = (char)tolower((unsigned char)got[i]);
		}
		have[PAYKEEPER_SIGN_HEX_LEN] = '\0';
	}
	if (st == K_OK)
		st = paykeeper_sign(p, n, secret, want, err);
	if (st == K_OK && !mem_equal_ct(want, have, PAYKEEPER_SIGN_HEX_LEN))
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("does not match: the notification was not signed with our secret "
				"word or was changed on the way; ignored"));
	/*
	 * The sign covers the values only, not the keys: a renamed key keeps a
	 * valid sign. So every key must be one of the receipt's (table 8.4.2),
	 * and id and status must be there.
	 */
	bool has_id = false, has_status = false;
	for (size_t i = 0; i < n && st == K_OK; i++) {
		if (strcmp(p[i].key, "sign") == 0)
			continue;
		if (!receipt_field_wire(p[i].key))
			st = kerr_set(err, K_INVALID, p[i].key, "%s",
				      _("is not a PayKeeper receipt field; the sign covers values "
					"only, so unknown keys are refused"));
		has_id |= strcmp(p[i].key, "id") == 0;
		has_status |= strcmp(p[i].key, "status") == 0;
	}
	if (st == K_OK && (!has_id || !has_status))
		st = kerr_set(err, K_INVALID, has_id ? "status" : "id", "%s",
			      _("is missing from the notification; ignored"));
	for (size_t i = 0; i < n && st == K_OK; i++) {
		const struct fdesc *f = receipt_field_wire(p[i].key);
		if (f)
			st = receipt_set_field(out, f, p[i].value, err);
	}
	if (st == K_OK)
		st = receipt_finish(out, err);
	explicit_bzero(want, sizeof want);
	form_pairs_free(p, n);
	if (st != K_OK)
		paykeeper_receipt_free(out);
	return st;
}
