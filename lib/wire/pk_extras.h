/*
 * PayKeeper print-form fields beyond money now (seed 004, 8.11 items 10-12
 * and 14): the three other sums and receipt_properties (table 12.5), when
 * kassa sends them and the one check both sides apply (docs/SANDBOX.md,
 * "PayKeeper: the other sums and receipt_properties").
 */
#ifndef KASSA_WIRE_PK_EXTRAS_H
#define KASSA_WIRE_PK_EXTRAS_H

#include <stdbool.h>
#include <stdint.h>

#include "document.h"
#include "status.h"

/*
 * Adds sum_advance, sum_credit and sum_counter_payment to the form (all three
 * on every receipt, zeros as "0.00", as the seed lists them and published
 * integrations send them; kassa takes no payment in kind, so the counter sum
 * is always 0), then receipt_properties when the document names its buyer
 * (customer_name, customer_inn): {"client":{"identity":..,"inn":..}}.
 */
kstatus paykeeper_form_extras(char **form, const struct document *d, int64_t advance,
			      int64_t credit, struct kerr *err);

/* The receipt_properties JSON for a document, or NULL when it names no buyer. */
char *paykeeper_receipt_properties(const struct document *d);

/* What is wrong with a receipt_properties value; the same rule on both sides. */
enum pk_props_bad {
	PK_PROPS_OK,
	PK_PROPS_NOT_OBJECT, /* not a JSON object written as text */
	PK_PROPS_CLIENT,     /* client is not an object */
	PK_PROPS_IDENTITY,   /* client.identity not text, empty, or over 256 characters */
	PK_PROPS_INN,	     /* client.inn not a 10- or 12-digit INN with its check digits */
	PK_PROPS_UNKNOWN,    /* (strict) a key kassa's evidence does not show */
};

/* Checks receipt_properties text (NULL or "" = not sent: OK). Strict also
 * refuses keys other than client.identity and client.inn. */
enum pk_props_bad paykeeper_properties_check(const char *json, bool strict);

#endif
