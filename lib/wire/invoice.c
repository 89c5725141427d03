#include "wire/invoice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "document.h"
#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"

#define UNIT_WIRE(name, wire) wire,
static const char *const unit_wires[] = {INVOICE_UNIT_INFO(UNIT_WIRE)};
#undef UNIT_WIRE
#define VAT_WIRE(name, wire, rate, calculated) wire,
#define VAT_RATE(name, wire, rate, calculated) rate,
static const char *const vat_wires[] = {INVOICE_VAT_INFO(VAT_WIRE)};
static const int vat_rates[] = {INVOICE_VAT_INFO(VAT_RATE)};
#undef VAT_WIRE
#undef VAT_RATE
#define NAME_WIRE(name, wire) wire,
static const char *const method_wires[] = {INVOICE_METHOD_INFO(NAME_WIRE)};
static const char *const object_wires[] = {INVOICE_OBJECT_INFO(NAME_WIRE)};
#undef NAME_WIRE

_Static_assert(sizeof method_wires / sizeof *method_wires == INVOICE_METHOD_COUNT, "methods");
_Static_assert(sizeof object_wires / sizeof *object_wires == INVOICE_OBJECT_COUNT, "objects");

static const char UNIT_LIST[] = "piece, service, package, g, kg, t, ml, l, m3, hr, m, km";
static const char VAT_LIST[] = "none, vat0, vat10, vat110, vat18, vat118, vat20, vat120";
static const char METHOD_LIST[] = "full_prepayment, prepayment, advance, full_payment, "
				  "partial_payment, credit, credit_payment";
static const char OBJECT_LIST[] = "commodity, excise, job, service, gambling_bet, "
				  "gambling_prize, lottery, lottery_prize, "
				  "intellectual_activity, payment, agent_commission, composite, "
				  "another";

static bool lookup(const char *s, const char *const *list, size_t n, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0) {
			*idx = i;
			return true;
		}
	return false;
}

const char *invoice_unit_wire(enum invoice_unit u)
{
	return (unsigned)u < INVOICE_UNIT_COUNT ? unit_wires[u] : "piece";
}

bool invoice_unit_parse(const char *s, enum invoice_unit *u)
{
	size_t i;
	if (!lookup(s, unit_wires, INVOICE_UNIT_COUNT, &i))
		return false;
	*u = (enum invoice_unit)i;
	return true;
}

const char *invoice_vat_wire(enum invoice_vat v)
{
	return (unsigned)v < INVOICE_VAT_COUNT ? vat_wires[v] : "none";
}

bool invoice_vat_parse(const char *s, enum invoice_vat *v)
{
	size_t i;
	if (!lookup(s, vat_wires, INVOICE_VAT_COUNT, &i))
		return false;
	*v = (enum invoice_vat)i;
	return true;
}

const char *invoice_method_wire(int tag1214)
{
	return tag1214 >= 1 && tag1214 <= INVOICE_METHOD_COUNT ? method_wires[tag1214 - 1] : NULL;
}

const char *invoice_object_wire(int tag1212)
{
	return tag1212 >= 1 && tag1212 <= INVOICE_OBJECT_COUNT ? object_wires[tag1212 - 1] : NULL;
}

int64_t invoice_vat_amount(enum invoice_vat v, int64_t sum)
{
	if ((unsigned)v >= INVOICE_VAT_COUNT || vat_rates[v] == 0 || sum <= 0)
		return 0;
	int64_t rate = vat_rates[v];
	/* Inside the sum for every code (invoice.h); sum <= MONEY_MAX (1e14), so
	 * sum x 20 cannot overflow. */
	return div_round_half_up(sum * rate, 100 + rate);
}

void invoice_free(struct invoice *inv)
{
	free(inv->items);
	memset(inv, 0, sizeof *inv);
}

/* ---- checks shared by the builder and the parser ---- */

#define PATH(buf, i, name) (snprintf(buf, sizeof buf, "items[%zu].%s", (size_t)(i), name), buf)

/* Comma-separated phones, each 1..19 characters of digits with an optional leading '+'. */
static bool phones_valid(const char *s)
{
	const char *p = s;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		while (len && *p == ' ') {
			p++;
			len--;
		}
		if (len == 0 || len > INVOICE_SUPPLIER_PHONE_MAX)
			return false;
		for (size_t i = 0; i < len; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || (i == 0 && p[i] == '+')))
				return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

static kstatus check_text(const char *s, size_t max_chars, bool required, const char *field,
			  struct kerr *err)
{
	size_t len = strlen(s);
	if (!len) {
		if (required)
			return kerr_set(err, K_INVALID, field, "%s", _("must not be empty"));
		return K_OK;
	}
	if (!utf8_valid(s, len))
		return kerr_set(err, K_INVALID, field, "%s", _("is not valid UTF-8 text"));
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return kerr_set(err, K_INVALID, field, "%s",
					_("holds control characters; remove them"));
	if (max_chars && utf8_chars(s) > max_chars)
		return kerr_set(err, K_INVALID, field, _("must be at most %zu characters"),
				max_chars);
	return K_OK;
}

static kstatus check_item(const struct invoice_item *it, size_t i, struct kerr *err)
{
	char f[64];
	kstatus st = check_text(it->name, INVOICE_NAME_MAX_CHARS, true, PATH(f, i, "name"), err);
	if (st != K_OK)
		return st;
	if (!utf8_valid(it->code, strlen(it->code)))
		return kerr_set(err, K_INVALID, PATH(f, i, "code"), "%s",
				_("is not valid UTF-8 text"));
	if (it->price < 0)
		return kerr_set(err, K_INVALID, PATH(f, i, "price"), "%s",
				_("must not be negative"));
	if (it->price > MONEY_MAX)
		return kerr_set(err, K_OVERFLOW, PATH(f, i, "price"), "%s", _("is too large"));
	if (it->qty <= 0)
		return kerr_set(err, K_INVALID, PATH(f, i, "quantity"), "%s",
				_("must be more than 0"));
	if (it->qty > QTY_MAX)
		return kerr_set(err, K_OVERFLOW, PATH(f, i, "quantity"), "%s", _("is too large"));
	if (it->sum < 0)
		return kerr_set(err, K_INVALID, PATH(f, i, "sum"), "%s", _("must not be negative"));
	if (it->sum > MONEY_MAX)
		return kerr_set(err, K_OVERFLOW, PATH(f, i, "sum"), "%s", _("is too large"));
	if ((unsigned)it->unit >= INVOICE_UNIT_COUNT)
		return kerr_set(err, K_INVALID, PATH(f, i, "unit"), _("must be one of: %s"),
				UNIT_LIST);
	if ((unsigned)it->vat >= INVOICE_VAT_COUNT)
		return kerr_set(err, K_INVALID, PATH(f, i, "vat_mode"), _("must be one of: %s"),
				VAT_LIST);
	if (it->vat_amount < 0 || it->vat_amount > MONEY_MAX)
		return kerr_set(err, K_INVALID, PATH(f, i, "vat_amount"), "%s",
				_("must be more than 0"));
	if (it->discount_rate < 0 || it->discount_rate > PERCENT_100)
		return kerr_set(err, K_INVALID, PATH(f, i, "discount_rate"), "%s",
				_("must be more than 0 and at most 100"));
	if (it->discount_amount < 0 || it->discount_amount > MONEY_MAX)
		return kerr_set(err, K_INVALID, PATH(f, i, "discount_amount"), "%s",
				_("must be more than 0"));
	if (it->method < 0 || it->method > INVOICE_METHOD_COUNT)
		return kerr_set(err, K_INVALID, PATH(f, i, "payment_method"),
				_("must be one of: %s"), METHOD_LIST);
	if (it->object < 0 || it->object > INVOICE_OBJECT_COUNT)
		return kerr_set(err, K_INVALID, PATH(f, i, "payment_object"),
				_("must be one of: %s"), OBJECT_LIST);
	/* The seed: unit=service must come with payment_object=service, or LifePay
	 * fiscalises the line as a commodity. */
	if (it->unit == INVOICE_UNIT_SERVICE && it->object != 4)
		return kerr_set(err, K_INVALID, PATH(f, i, "payment_object"), "%s",
				_("must be service when unit is service (otherwise LifePay prints "
				  "the line as a commodity)"));
	if (it->supplier_inn[0] && !document_inn_valid(it->supplier_inn))
		return kerr_set(err, K_INVALID, PATH(f, i, "supplier_inn"), "%s",
				_("is not a valid INN: 10 or 12 digits with correct check digits"));
	st = check_text(it->supplier_name, INVOICE_SUPPLIER_NAME_MAX_CHARS, false,
			PATH(f, i, "supplier_name"), err);
	if (st != K_OK)
		return st;
	if (it->supplier_phone[0] && !phones_valid(it->supplier_phone))
		return kerr_set(err, K_INVALID, PATH(f, i, "supplier_phone"),
				_("must be phones separated by commas, each at most %d digits "
				  "with an optional leading +"),
				INVOICE_SUPPLIER_PHONE_MAX);
	return check_text(it->agent_item_type, 0, false, PATH(f, i, "lifepay.agent_item_type"),
			  err);
}

kstatus invoice_validate(const struct invoice *inv, struct kerr *err)
{
	if (inv->n == 0)
		return kerr_set(err, K_INVALID, "items", "%s", _("must hold at least 1 item"));
	if (inv->n > INVOICE_MAX_ITEMS)
		return kerr_set(err, K_INVALID, "items", _("must hold at most %d items, not %zu"),
				INVOICE_MAX_ITEMS, inv->n);
	for (size_t i = 0; i < inv->n; i++) {
		kstatus st = check_item(&inv->items[i], i, err);
		if (st != K_OK)
			return st;
	}
	if (inv->vat_total < 0 || inv->vat_total > MONEY_MAX)
		return kerr_set(err, K_INVALID, "vat_total", "%s", _("must be more than 0"));
	return K_OK;
}

/* ---- builder ---- */

kstatus invoice_item_from_line(const struct basket_line *l, size_t i, struct invoice_item *it,
			       struct kerr *err)
{
	char f[64];
	memset(it, 0, sizeof *it);
	if (!str_copy(it->name, l->name, sizeof it->name))
		return kerr_set(err, K_INVALID, PATH(f, i, "name"), "%s", _("is too long"));
	if (!str_copy(it->code, l->code, sizeof it->code))
		return kerr_set(err, K_INVALID, PATH(f, i, "code"), "%s", _("is too long"));
	if (!invoice_unit_parse(unit_wire(l->unit), &it->unit))
		return kerr_set(err, K_INVALID, PATH(f, i, "unit"),
				_("LifePay acquiring has no unit %s; use one of: %s"),
				unit_wire(l->unit), UNIT_LIST);
	if (!l->vat_set)
		return kerr_set(err, K_INVALID, PATH(f, i, "vat_mode"), "%s",
				_("invoice_data needs a VAT rate on every line; choose one"));
	if (!invoice_vat_parse(vat_wire(l->vat), &it->vat))
		return kerr_set(err, K_INVALID, PATH(f, i, "vat_mode"),
				_("LifePay acquiring does not take VAT rate %s; it takes: %s"),
				vat_wire(l->vat), VAT_LIST);
	if (l->method != 0 && !invoice_method_wire(l->method))
		return kerr_set(err, K_INVALID, PATH(f, i, "payment_method"),
				_("payment method %d (tag 1214) does not exist; use 1 to 7"),
				l->method);
	if (l->object != 0 && !invoice_object_wire(l->object))
		return kerr_set(err, K_INVALID, PATH(f, i, "payment_object"),
				_("LifePay acquiring has no payment object %d (tag 1212); it takes "
				  "1 to 13"),
				l->object);
	it->method = l->method;
	it->object = l->object;
	it->price = l->price;
	it->qty = l->qty;
	it->sum = l->sum;
	/* "Скидка в рублях (вкл. в стоимость)": sum already has it taken off. */
	if (l->gross > l->sum)
		it->discount_amount = l->gross - l->sum;
	it->vat_amount = invoice_vat_amount(it->vat, it->sum);
	return check_item(it, i, err);
}

kstatus invoice_from_basket(const struct basket *b, struct invoice *inv, struct kerr *err)
{
	memset(inv, 0, sizeof *inv);
	if (b->n == 0)
		return kerr_set(err, K_INVALID, "items", "%s", _("must hold at least 1 item"));
	if (b->n > INVOICE_MAX_ITEMS)
		return kerr_set(err, K_INVALID, "items", _("must hold at most %d items, not %zu"),
				INVOICE_MAX_ITEMS, b->n);
	inv->items = xcalloc(b->n, sizeof *inv->items);
	for (size_t i = 0; i < b->n; i++) {
		kstatus st = invoice_item_from_line(&b->lines[i], i, &inv->items[i], err);
		if (st != K_OK) {
			invoice_free(inv);
			return st;
		}
		inv->n++;
		inv->vat_total += inv->items[i].vat_amount;
	}
	return K_OK;
}

static json_t *item_json(const struct invoice_item *it)
{
	json_t *o = json_object();
	if (it->code[0])
		json_object_set_new(o, "code", json_string(it->code));
	json_object_set_new(o, "name", json_string(it->name));
	json_object_set_new(o, "unit", json_string(invoice_unit_wire(it->unit)));
	json_object_set_new(o, "price", jsonx_money_number(it->price));
	json_object_set_new(o, "quantity", jsonx_qty_number(it->qty));
	json_object_set_new(o, "sum", jsonx_money_number(it->sum));
	json_object_set_new(o, "vat_mode", json_string(invoice_vat_wire(it->vat)));
	if (it->vat_amount > 0)
		json_object_set_new(o, "vat_amount", jsonx_money_number(it->vat_amount));
	if (it->discount_rate > 0) {
		char tmp[16];
		percent_format(it->discount_rate, tmp, sizeof tmp);
		json_object_set_new(o, "discount_rate", jsonx_decimal(tmp));
	}
	if (it->discount_amount > 0)
		json_object_set_new(o, "discount_amount", jsonx_money_number(it->discount_amount));
	if (it->method)
		json_object_set_new(o, "payment_method",
				    json_string(invoice_method_wire(it->method)));
	if (it->object)
		json_object_set_new(o, "payment_object",
				    json_string(invoice_object_wire(it->object)));
	if (it->supplier_inn[0])
		json_object_set_new(o, "supplier_inn", json_string(it->supplier_inn));
	if (it->supplier_name[0])
		json_object_set_new(o, "supplier_name", json_string(it->supplier_name));
	if (it->supplier_phone[0])
		json_object_set_new(o, "supplier_phone", json_string(it->supplier_phone));
	if (it->agent_item_type[0])
		json_object_set_new(o, "lifepay.agent_item_type", json_string(it->agent_item_type));
	return o;
}

kstatus invoice_build(const struct invoice *inv, char **out, struct kerr *err)
{
	*out = NULL;
	kstatus st = invoice_validate(inv, err);
	if (st != K_OK)
		return st;
	json_t *root = json_object();
	json_t *items = json_array();
	for (size_t i = 0; i < inv->n; i++)
		json_array_append_new(items, item_json(&inv->items[i]));
	json_object_set_new(root, "items", items);
	if (inv->vat_total > 0)
		json_object_set_new(root, "vat_total", jsonx_money_number(inv->vat_total));
	*out = jsonx_dumps(root, JSON_COMPACT);
	json_decref(root);
	return *out ? K_OK : kerr_set(err, K_NOMEM, "", "%s", _("could not serialise JSON"));
}

/* ---- parser ---- */

/* "type": "number" must tell numbers read by jsonx_loads() from real strings. */
static bool is_number(const json_t *v)
{
	return jsonx_is_number(v);
}

static bool is_negative(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) < 0;
	return jsonx_number_text(v)[0] == '-';
}

enum bound { MIN_ZERO, ABOVE_ZERO };

/* A "type": "number" field with "minimum": 0 (and "exclusiveMinimum" for ABOVE_ZERO). */
static kstatus get_number(const json_t *v, int decimals, enum bound b, int64_t *out,
			  const char *field, struct kerr *err)
{
	if (!is_number(v))
		return kerr_set(err, K_INVALID, field, "%s",
				json_is_string(v) ? _("must be a number, not text in quotes")
						  : _("must be a number"));
	if (is_negative(v))
		return kerr_set(err, K_INVALID, field, "%s",
				b == ABOVE_ZERO ? _("must be more than 0")
						: _("must not be negative"));
	kstatus st;
	if (decimals == 3)
		st = jsonx_qty(v, out, field, err);
	else if (decimals == -2)
		st = jsonx_percent(v, out, field, err);
	else
		st = jsonx_money(v, out, field, err);
	if (st != K_OK)
		return st;
	if (b == ABOVE_ZERO && *out == 0)
		return kerr_set(err, K_INVALID, field, "%s", _("must be more than 0"));
	return K_OK;
}

static kstatus get_string(const json_t *v, char *dst, size_t n, const char *field, struct kerr *err)
{
	if (!json_is_string(v) || is_number(v))
		return kerr_set(err, K_INVALID, field, "%s", _("must be text in quotes"));
	if (!str_copy(dst, json_string_value(v), n))
		return kerr_set(err, K_INVALID, field, "%s", _("is too long"));
	return K_OK;
}

static kstatus get_enum(const json_t *v, const char *const *list, size_t count, size_t *idx,
			const char *names, const char *field, struct kerr *err)
{
	if (!json_is_string(v) || is_number(v) || !lookup(json_string_value(v), list, count, idx))
		return kerr_set(err, K_INVALID, field, _("must be one of: %s"), names);
	return K_OK;
}

static const char *const item_keys[] = {
    "code",	      "name",
    "price",	      "unit",
    "quantity",	      "sum",
    "vat_mode",	      "vat_amount",
    "discount_rate",  "discount_amount",
    "payment_method", "payment_object",
    "supplier_inn",   "supplier_name",
    "supplier_phone", "lifepay.agent_item_type",
};
static const char *const required_keys[] = {"name", "price", "unit", "quantity", "sum", "vat_mode"};

static kstatus parse_item(const json_t *o, size_t i, struct invoice_item *it, struct kerr *err)
{
	char f[64];
	size_t idx;
	kstatus st = K_OK;
	memset(it, 0, sizeof *it);
	if (!json_is_object(o)) {
		snprintf(f, sizeof f, "items[%zu]", i);
		return kerr_set(err, K_INVALID, f, "%s", _("must be an object"));
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		if (!lookup(key, item_keys, sizeof item_keys / sizeof *item_keys, &idx))
			return kerr_set(err, K_INVALID, PATH(f, i, key), "%s",
					_("is not an invoice_data item field; remove it"));
	}
	for (size_t k = 0; k < sizeof required_keys / sizeof *required_keys; k++)
		if (!json_object_get(o, required_keys[k]))
			return kerr_set(err, K_INVALID, PATH(f, i, required_keys[k]), "%s",
					_("is missing"));
	json_object_foreach((json_t *)o, key, v)
	{
		snprintf(f, sizeof f, "items[%zu].%s", i, key);
		if (strcmp(key, "code") == 0) {
			st = get_string(v, it->code, sizeof it->code, f, err);
		} else if (strcmp(key, "name") == 0) {
			st = get_string(v, it->name, sizeof it->name, f, err);
		} else if (strcmp(key, "price") == 0) {
			st = get_number(v, 2, MIN_ZERO, &it->price, f, err);
		} else if (strcmp(key, "unit") == 0) {
			st = get_enum(v, unit_wires, INVOICE_UNIT_COUNT, &idx, UNIT_LIST, f, err);
			it->unit = (enum invoice_unit)idx;
		} else if (strcmp(key, "quantity") == 0) {
			st = get_number(v, 3, ABOVE_ZERO, &it->qty, f, err);
		} else if (strcmp(key, "sum") == 0) {
			st = get_number(v, 2, MIN_ZERO, &it->sum, f, err);
		} else if (strcmp(key, "vat_mode") == 0) {
			st = get_enum(v, vat_wires, INVOICE_VAT_COUNT, &idx, VAT_LIST, f, err);
			it->vat = (enum invoice_vat)idx;
		} else if (strcmp(key, "vat_amount") == 0) {
			st = get_number(v, 2, ABOVE_ZERO, &it->vat_amount, f, err);
		} else if (strcmp(key, "discount_rate") == 0) {
			st = get_number(v, -2, ABOVE_ZERO, &it->discount_rate, f, err);
		} else if (strcmp(key, "discount_amount") == 0) {
			st = get_number(v, 2, ABOVE_ZERO, &it->discount_amount, f, err);
		} else if (strcmp(key, "payment_method") == 0) {
			st = get_enum(v, method_wires, INVOICE_METHOD_COUNT, &idx, METHOD_LIST, f,
				      err);
			it->method = (int)idx + 1;
		} else if (strcmp(key, "payment_object") == 0) {
			st = get_enum(v, object_wires, INVOICE_OBJECT_COUNT, &idx, OBJECT_LIST, f,
				      err);
			it->object = (int)idx + 1;
		} else if (strcmp(key, "supplier_inn") == 0) {
			st = get_string(v, it->supplier_inn, sizeof it->supplier_inn, f, err);
			if (st == K_INVALID && json_is_string(v))
				st = kerr_set(err, K_INVALID, f, "%s",
					      _("is not a valid INN: 10 or 12 digits with correct "
						"check digits"));
		} else if (strcmp(key, "supplier_name") == 0) {
			st = get_string(v, it->supplier_name, sizeof it->supplier_name, f, err);
		} else if (strcmp(key, "supplier_phone") == 0) {
			st = get_string(v, it->supplier_phone, sizeof it->supplier_phone, f, err);
		} else if (strcmp(key, "lifepay.agent_item_type") == 0) {
			st = get_string(v, it->agent_item_type, sizeof it->agent_item_type, f, err);
		}
		if (st != K_OK)
			return st;
	}
	return check_item(it, i, err);
}

kstatus invoice_parse(const char *text, size_t len, struct invoice *inv, struct kerr *err)
{
	memset(inv, 0, sizeof *inv);
	json_t *root = jsonx_loads(text, len, err);
	if (!root) {
		if (err)
			str_copy(err->field, "invoice_data", sizeof err->field);
		return K_INVALID;
	}
	kstatus st = K_OK;
	const char *key;
	json_t *v;
	if (!json_is_object(root)) {
		st = kerr_set(err, K_INVALID, "invoice_data", "%s",
			      _("must be a JSON object with an items array"));
		goto out;
	}
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "discount_total") == 0) {
			st = kerr_set(err, K_INVALID, key, "%s",
				      _("LifePay does not accept discount_total; give "
					"discount_amount or discount_rate on each item"));
			goto out;
		}
		if (strcmp(key, "items") != 0 && strcmp(key, "vat_total") != 0) {
			st = kerr_set(err, K_INVALID, key, "%s",
				      _("is not an invoice_data field; remove it"));
			goto out;
		}
	}
	const json_t *items = json_object_get(root, "items");
	if (!items) {
		st = kerr_set(err, K_INVALID, "items", "%s", _("is missing"));
		goto out;
	}
	if (!json_is_array(items)) {
		st = kerr_set(err, K_INVALID, "items", "%s", _("must be an array of items"));
		goto out;
	}
	size_t n = json_array_size(items);
	if (n == 0 || n > INVOICE_MAX_ITEMS) {
		inv->n = n; /* for the message only */
		st = invoice_validate(inv, err);
		inv->n = 0;
		goto out;
	}
	const json_t *vt = json_object_get(root, "vat_total");
	if (vt) {
		st = get_number(vt, 2, ABOVE_ZERO, &inv->vat_total, "vat_total", err);
		if (st != K_OK)
			goto out;
	}
	inv->items = xcalloc(n, sizeof *inv->items);
	for (size_t i = 0; i < n; i++) {
		st = parse_item(json_array_get(items, i), i, &inv->items[i], err);
		if (st != K_OK)
			goto out;
		inv->n++;
	}
	st = invoice_validate(inv, err);
out:
	json_decref(root);
	if (st != K_OK)
		invoice_free(inv);
	return st;
}
