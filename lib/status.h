/* Status codes and the error record every lib/ function fills in. */
#ifndef KASSA_STATUS_H
#define KASSA_STATUS_H

#include <stdarg.h>
#include <stddef.h>

/* One list gives the enum and its messages. */
#define KSTATUS_INFO(_)                                                                            \
	_(OK, "ok")                                                                                \
	_(INVALID, "invalid input")                                                                \
	_(OVERFLOW, "number too large")                                                            \
	_(NOMEM, "out of memory")                                                                  \
	_(IO, "input/output error")                                                                \
	_(NOTFOUND, "not found")                                                                   \
	_(REFUSED, "refused")                                                                      \
	_(PROVIDER, "provider error")                                                              \
	_(NETWORK, "network error")                                                                \
	_(DB, "journal error")                                                                     \
	_(EXISTS, "already exists")                                                                \
	_(BUSY, "busy")

#define KSTATUS_ENUM(name, text) K_##name,
typedef enum { KSTATUS_INFO(KSTATUS_ENUM) K_STATUS_COUNT } kstatus;
#undef KSTATUS_ENUM

/* The English text of a status code. */
const char *kstatus_str(kstatus st);

/*
 * An error record: which field was wrong (may be empty), what is wrong and,
 * for provider errors, the provider's code. Callers pass NULL when they do
 * not care.
 */
struct kerr {
	char field[64];
	char text[320];
	int code;
};

/* Fill err (if not NULL) with field and a printf-style message; returns st. */
kstatus kerr_set(struct kerr *err, kstatus st, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Clear err. */
void kerr_clear(struct kerr *err);
/* "field: text" or just "text", into buf. */
const char *kerr_str(const struct kerr *err, char *buf, size_t n);
/* Prefix err->field with "prefix." (e.g. "purchase.products[2]"). */
void kerr_prefix(struct kerr *err, const char *prefix);

#endif
