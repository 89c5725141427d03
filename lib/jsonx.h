/*
 * JSON from outside, without floating point. jsonx_loads() turns every number
 * literal with a fraction or exponent into a string before jansson sees it,
 * so amounts arrive as exact decimal text (or as json_integer) and are
 * converted once by the strict money parser.
 */
#ifndef KASSA_JSONX_H
#define KASSA_JSONX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "status.h"

/* Parse text (len bytes) with duplicate keys rejected; NULL and err on failure. */
json_t *jsonx_loads(const char *text, size_t len, struct kerr *err);

/* A money value given as a JSON integer or decimal string. */
kstatus jsonx_money(const json_t *v, int64_t *kop, const char *field, struct kerr *err);
/* A quantity (3 decimals) given as a JSON integer or decimal string. */
kstatus jsonx_qty(const json_t *v, int64_t *milli, const char *field, struct kerr *err);
/* A percentage (2 decimals) given as a JSON integer or decimal string. */
kstatus jsonx_percent(const json_t *v, int64_t *hundredths, const char *field, struct kerr *err);
/* The literal of a fractional JSON number read by jsonx_loads ("20730.10"), else NULL. */
const char *jsonx_number_text(const json_t *v);
/* The same for a raw string value: the literal after the marker, or NULL. */
const char *jsonx_marked_text(const char *s);
/* True for a JSON number as read by jsonx_loads: an integer or a fractional literal. */
bool jsonx_is_number(const json_t *v);
/* An exact decimal for output: a JSON number literal that jansson prints as is. */
json_t *jsonx_decimal(const char *text);
/* Money as a JSON number literal "20730.00" (never a double). */
json_t *jsonx_money_number(int64_t kop);
/* Quantity as a JSON number literal "0.455". */
json_t *jsonx_qty_number(int64_t milli);
/* Serialise with exact decimals kept: use instead of json_dumps. Free the result. */
char *jsonx_dumps(const json_t *v, size_t flags);

#endif
