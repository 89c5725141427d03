/* Helpers shared by the LifePay wire files (lifepay*.c); not a public API. */
#ifndef KASSA_WIRE_LIFEPAY_INT_H
#define KASSA_WIRE_LIFEPAY_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Copies src into dst of size n, cutting only between UTF-8 characters. */
void lp_copy_utf8(char *dst, const char *src, size_t n);
/* "a.b" into out; a path longer than out is cut. */
void lp_field_join(char *out, size_t n, const char *a, const char *b);
/* jsonx marks number literals with a fraction as strings with a prefix. */
bool lp_is_marked(const char *s);

#endif
