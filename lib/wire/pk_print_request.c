/*
 * PayKeeper wire format: reading cart and print requests (the sandbox's side).
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
	if (!json_is_string(v) || pkw_json_is_marked_number(v))
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

kstatus pkw_parse_bool_word(const char *v, bool *out, const char *field, struct kerr *err)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || !*v)
		*out = false;
	else
		return kerr_set(err, K_INVALID, field, "%s", _("must be true or false"));
	return K_OK;
}

kstatus pkw_parse_amount_text(const char *v, int64_t *out, const char *field, struct kerr *err)
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
			st = pkw_parse_amount_text(v, &r->sum_cashless, k, err);
		} else if (strcmp(k, "sum_cash") == 0) {
			st = pkw_parse_amount_text(v, &r->sum_cash, k, err);
		} else if (strcmp(k, "sum_advance") == 0) {
			st = pkw_parse_amount_text(v, &r->sum_advance, k, err);
		} else if (strcmp(k, "sum_credit") == 0) {
			st = pkw_parse_amount_text(v, &r->sum_credit, k, err);
		} else if (strcmp(k, "sum_counter_payment") == 0) {
			st = pkw_parse_amount_text(v, &r->sum_counter_payment, k, err);
		} else if (strcmp(k, "cart") == 0) {
			cart = v;
		} else if (strcmp(k, "receipt_key") == 0) {
			if (!pkw_valid_receipt_key(v))
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
