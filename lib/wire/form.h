/* application/x-www-form-urlencoded: decode, look up, build. */
#ifndef KASSA_WIRE_FORM_H
#define KASSA_WIRE_FORM_H

#include <stddef.h>

/* Percent-decodes len bytes ('+' is a space); malloc'd, NUL-terminated.
 * *out_len (if not NULL) gets the decoded length (values may hold NUL). */
char *form_decode(const char *s, size_t len, size_t *out_len);
/* The decoded value of the first field `name` in body, or NULL; malloc'd. */
char *form_get(const char *body, size_t len, const char *name);

struct form_pair {
	char *key;
	char *value;
};
/* Splits body into decoded pairs (malloc'd array, *n entries); free with form_pairs_free. */
struct form_pair *form_parse(const char *body, size_t len, size_t *n);
void form_pairs_free(struct form_pair *pairs, size_t n);

/* Appends "name=value" (percent-encoded, '&' between) to *form, growing it. */
void form_add(char **form, const char *name, const char *value);
/* Percent-encodes s (RFC 3986 unreserved kept); malloc'd. */
char *form_encode(const char *s);

#endif
