/*
 * What the sandbox forgives a LifePay request when it is not --strict: the
 * shapes published integrations send and the real service evidently accepts
 * (docs/SANDBOX.md, "One rule set"). The request is rewritten in place into
 * the shape the client's own parser reads, and every rewrite is logged, so
 * the same rules judge what remains. Called with sb->lock held.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>

#include "document.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"

/* Text fields where a JSON integer stands for its digits (PHP sends ints for ids). */
static const char *const digit_keys[] = {"ext_id",	  "customer_phone", "login",
					 "target_serial", "cashier_inn",    "doc_number",
					 "customer_inn",  "order_number"};
/* Money fields where "1500.0000" means 1500.00. */
static const char *const money_keys[] = {"card_amount", "cash_amount", "amount",
					 "prepayment_amount"};
/* Product fields the client reads; the rest are ignored (logged). */
static const char *const product_keys[] = {"name",     "price", "quantity", "unit",
					   "discount", "tax",	"type",	    "item_type"};

/* Request text fit for one log line: at most 64 bytes, control characters as '?'. */
static const char *clean(const char *s, char buf[72])
{
	size_t o = 0;
	for (; *s && o < 64; s++)
		buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	buf[o] = '\0';
	return buf;
}

static bool is_product_key(const char *k)
{
	for (size_t i = 0; i < sizeof product_keys / sizeof product_keys[0]; i++)
		if (strcmp(k, product_keys[i]) == 0)
			return true;
	return false;
}

/*
 * A decimal literal with more than `keep` decimals, all extra ones zeros:
 * returns the literal cut to `keep` decimals (or to the integer part when
 * keep would leave only zeros after a point that is not needed). The result
 * goes into out; false when nothing is to change or the extra digits are not
 * all zeros (then the client's parser refuses it with its own message).
 */
static bool trim_zeros(const char *lit, int keep, char *out, size_t n)
{
	const char *dot = strchr(lit, '.');
	if (!dot || strpbrk(lit, "eE"))
		return false;
	size_t decimals = strlen(dot + 1);
	if (decimals <= (size_t)keep)
		return false;
	for (const char *p = dot + 1 + keep; *p; p++)
		if (*p != '0')
			return false;
	size_t len = (size_t)(dot - lit) + (keep ? (size_t)keep + 1 : 0);
	if (len + 1 > n)
		return false;
	memcpy(out, lit, len);
	out[len] = '\0';
	return true;
}

/* Rewrites obj[key] when it is a decimal with extra zero decimals. */
static void fix_decimal(struct sandbox *sb, json_t *obj, const char *key, int keep,
			const char *where)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return;
	const char *num = jsonx_number_text(v);
	const char *lit = num ? num : json_string_value(v);
	char cut[64];
	if (!trim_zeros(lit, keep, cut, sizeof cut))
		return;
	char c1[72], c2[72];
	sandbox_log(sb, "lifepay tolerant: %s%s \"%s\" read as %s", where, key, clean(lit, c1),
		    clean(cut, c2));
	json_object_set_new(obj, key, num ? jsonx_decimal(cut) : json_string(cut));
}

static void fix_digits(struct sandbox *sb, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return;
	char buf[32];
	snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	sandbox_log(sb, "lifepay tolerant: %s given as a number, read as \"%s\"", key, buf);
	json_object_set_new(obj, key, json_string(buf));
}

static void fix_product(struct sandbox *sb, json_t *p, size_t i)
{
	char where[48];
	snprintf(where, sizeof where, "purchase.products[%zu].", i);
	fix_decimal(sb, p, "price", 2, where);
	fix_decimal(sb, p, "quantity", 3, where);
	json_t *d = json_object_get(p, "discount");
	if (json_is_object(d))
		fix_decimal(sb, d, "value", 2, where);
	/* MODX mspLifePay names the VAT code `vat`: the same code as `tax`. */
	json_t *vat = json_object_get(p, "vat");
	enum vat rate;
	if (vat && !json_object_get(p, "tax") && json_is_string(vat) &&
	    vat_parse(json_string_value(vat), &rate)) {
		sandbox_log(sb, "lifepay tolerant: %svat read as tax", where);
		json_object_set(p, "tax", vat);
	}
	const char *key;
	json_t *v;
	void *tmp;
	char name[72];
	json_object_foreach_safe(p, tmp, key, v)
	{
		if (is_product_key(key))
			continue;
		if (strcmp(key, "marking_code") == 0 || strcmp(key, "marking_code_status") == 0 ||
		    strcmp(key, "key") == 0)
			sandbox_log(sb,
				    "lifepay tolerant: %s%s accepted and recorded (not checked)",
				    where, key);
		else
			sandbox_log(sb, "lifepay tolerant: ignored unknown field %s%s", where,
				    clean(key, name));
		json_object_del(p, key);
	}
}

/*
 * prepayment_amount (seed 002: the final receipt, paid by the advance) is
 * read as sent; a product without `type` on such a receipt is read as 4,
 * the seed's full settlement (smartik-api writes it; others leave it out).
 */
static void type_final_lines(struct sandbox *sb, json_t *root)
{
	json_t *pre = json_object_get(root, "prepayment_amount");
	if (!pre || json_is_null(pre))
		return;
	json_t *purchase = json_object_get(root, "purchase");
	json_t *products = json_is_object(purchase) ? json_object_get(purchase, "products") : NULL;
	size_t i;
	json_t *p;
	json_array_foreach(products, i, p)
	{
		if (!json_is_object(p) || json_object_get(p, "type"))
			continue;
		json_object_set_new(p, "type", json_integer(4));
		sandbox_log(sb,
			    "lifepay tolerant: purchase.products[%zu].type missing beside "
			    "prepayment_amount, read as 4 (full settlement)",
			    i);
	}
}

/*
 * An empty value stands for "not given": OpenCart sends customer_phone "" when
 * the phone does not match, Bitrix lifepay.cloudprint customer_phone 0 and an
 * empty target_serial when none is configured (the seeds: no target_serial =
 * any active printer).
 */
static void drop_empty(struct sandbox *sb, json_t *root)
{
	const char *key;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(root, tmp, key, v)
	{
		if (strcmp(key, "login") == 0 || strcmp(key, "apikey") == 0)
			continue;
		bool empty = json_is_string(v) && json_string_length(v) == 0;
		if (strcmp(key, "customer_phone") == 0 && json_is_integer(v) &&
		    json_integer_value(v) == 0)
			empty = true;
		if (!empty)
			continue;
		char name[72];
		sandbox_log(sb, "lifepay tolerant: empty %s read as not given", clean(key, name));
		json_object_del(root, key);
	}
}

void sandbox_lifepay_tolerate(struct sandbox *sb, json_t *root, enum doc_kind kind)
{
	drop_empty(sb, root);
	for (size_t i = 0; i < sizeof digit_keys / sizeof digit_keys[0]; i++)
		fix_digits(sb, root, digit_keys[i]);
	for (size_t i = 0; i < sizeof money_keys / sizeof money_keys[0]; i++)
		fix_decimal(sb, root, money_keys[i], 2, "");
	json_t *purchase = json_object_get(root, "purchase");
	json_t *products = json_is_object(purchase) ? json_object_get(purchase, "products") : NULL;
	if (json_is_array(products)) {
		size_t i;
		json_t *p;
		json_array_foreach(products, i, p) if (json_is_object(p)) fix_product(sb, p, i);
	}
	if (doc_kind_has_basket(kind))
		type_final_lines(sb, root);
	const char *key;
	json_t *v;
	void *tmp;
	char name[72];
	json_object_foreach_safe(root, tmp, key, v)
	{
		if (document_field_allowed(kind, key))
			continue;
		if (strcmp(key, "order_number") == 0)
			sandbox_log(sb, "lifepay tolerant: order_number accepted and recorded");
		else
			sandbox_log(sb, "lifepay tolerant: ignored unknown field %s",
				    clean(key, name));
		json_object_del(root, key);
	}
}
