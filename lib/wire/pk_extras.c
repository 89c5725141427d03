/*
 * The PayKeeper print-form fields past money now. Decided from seed 004
 * (8.11: sum_advance, sum_credit, sum_counter_payment and receipt_properties
 * are request parameters; table 12.5 is not in the seeds) and what published
 * integrations send (docs/SANDBOX.md). The check is shared with the sandbox.
 */
#include "wire/pk_extras.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"
#include "wire/form.h"

#define PK_IDENTITY_MAX_CHARS 256

char *paykeeper_receipt_properties(const struct document *d)
{
	if (!d->customer_name[0] && !d->customer_inn[0])
		return NULL;
	json_t *client = json_object();
	if (d->customer_name[0])
		json_object_set_new(client, "identity", json_string(d->customer_name));
	if (d->customer_inn[0])
		json_object_set_new(client, "inn", json_string(d->customer_inn));
	json_t *o = json_object();
	json_object_set_new(o, "client", client);
	char *text = jsonx_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

kstatus paykeeper_form_extras(char **form, const struct document *d, int64_t advance,
			      int64_t credit, struct kerr *err)
{
	char *props = paykeeper_receipt_properties(d);
	if (props && paykeeper_properties_check(props, true) != PK_PROPS_OK) {
		free(props);
		return kerr_set(err, K_INVALID,
				d->customer_inn[0] ? "customer_inn" : "customer_name", "%s",
				_("the buyer's name must be text and the INN 10 or 12 digits with "
				  "their check digits"));
	}
	char text[32];
	money_format_wire(advance, text, sizeof text);
	form_add(form, "sum_advance", text);
	money_format_wire(credit, text, sizeof text);
	form_add(form, "sum_credit", text);
	/* No payment in kind at a till: stated as zero, as the integrations do. */
	form_add(form, "sum_counter_payment", "0.00");
	if (props)
		form_add(form, "receipt_properties", props);
	free(props);
	return K_OK;
}

static bool inn_text_ok(const json_t *v)
{
	if (!json_is_string(v) || jsonx_is_number(v))
		return false;
	const char *s = json_string_value(v);
	size_t n = strlen(s);
	if (n != 10 && n != 12)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return document_inn_valid(s);
}

static enum pk_props_bad check_client(const json_t *c, bool strict)
{
	if (!json_is_object(c))
		return PK_PROPS_CLIENT;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)c, k, v)
	{
		if (strcmp(k, "identity") == 0) {
			if (!json_is_string(v) || jsonx_is_number(v))
				return PK_PROPS_IDENTITY;
			const char *s = json_string_value(v);
			if (!s[0] || document_check_text(s, PK_IDENTITY_MAX_CHARS, k, NULL) != K_OK)
				return PK_PROPS_IDENTITY;
		} else if (strcmp(k, "inn") == 0) {
			if (!inn_text_ok(v))
				return PK_PROPS_INN;
		} else if (strict) {
			return PK_PROPS_UNKNOWN;
		}
	}
	return PK_PROPS_OK;
}

enum pk_props_bad paykeeper_properties_check(const char *text, bool strict)
{
	if (!text || !text[0])
		return PK_PROPS_OK;
	json_t *o = jsonx_loads(text, strlen(text), NULL);
	enum pk_props_bad b = PK_PROPS_OK;
	if (!json_is_object(o)) {
		b = PK_PROPS_NOT_OBJECT;
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v)
		{
			if (strcmp(k, "client") == 0)
				b = check_client(v, strict);
			else if (strict)
				b = PK_PROPS_UNKNOWN;
			if (b != PK_PROPS_OK)
				break;
		}
	}
	json_decref(o);
	return b;
}
