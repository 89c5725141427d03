/* Helpers shared by the PayKeeper wire files (paykeeper.c, pk_*.c); not a public API. */
#ifndef KASSA_WIRE_PAYKEEPER_INT_H
#define KASSA_WIRE_PAYKEEPER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "status.h"
#include "wire/paykeeper.h"

/* Wire words of enum pk_status, pk_filter_type and pk_sum_type, in order. */
extern const char *const pkw_status_wires[];
extern const char *const pkw_filter_type_wires[];
extern const char *const pkw_sum_type_wires[];

/* Numbers read by jsonx_loads() must be told from real strings. */
bool pkw_json_is_marked_number(const json_t *v);
/* Text of a JSON value as PayKeeper means it; malloc'd. */
char *pkw_json_text(const json_t *v);
/* True when s holds a control character. */
bool pkw_has_control(const char *s);
/* Copies provider text for an error message: bounded, control characters blanked. */
void pkw_clean_copy(char *dst, size_t n, const char *src);
/* {"result":"fail","msg":"..."} -> K_PROVIDER with the provider's words. */
kstatus pkw_check_fail(const json_t *root, struct kerr *err);
/* A whole non-negative number; K_INVALID/K_OVERFLOW naming field. */
kstatus pkw_parse_int64(const char *s, int64_t *out, const char *field, struct kerr *err);
/* A receipt_key PayKeeper accepts: letters, digits, '_' and '-', bounded length. */
bool pkw_valid_receipt_key(const char *k);
/* "true"/"false"/"1"/"0" as PayKeeper's forms spell them. */
kstatus pkw_parse_bool_word(const char *v, bool *out, const char *field, struct kerr *err);
/* An amount in rubles as text into kopecks. */
kstatus pkw_parse_amount_text(const char *v, int64_t *out, const char *field, struct kerr *err);
/* One receipt object (table 8.4.2) into r; where names it in errors. */
kstatus pkw_receipt_from_json(const json_t *o, struct pk_receipt *r, const char *where,
			      struct kerr *err);
/* Loads a reply; *empty for a body with nothing in it. */
json_t *pkw_load_reply(const char *body, size_t len, bool *empty, struct kerr *err);

#endif
