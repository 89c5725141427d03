/*
 * Provider error codes (LifePay cloud-print and catalog import) turned into
 * words a cashier understands and the next step for the cashier or support.
 * Each entry keeps its Russian text in the table itself, so Russian works
 * without an installed translation; the English text is marked for gettext.
 */
#ifndef KASSA_ERRORS_H
#define KASSA_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

/* Who has to act on an error. */
enum error_actor {
	ERR_ACTOR_CASHIER, /* the cashier can fix it at the till */
	ERR_ACTOR_SUPPORT, /* the merchant's administrator or support must act */
	ERR_ACTOR_WAIT,	   /* nobody: wait and send again later */
};

struct provider_error {
	int code;
	enum error_actor actor;
	bool retry_later;    /* the same request may succeed later unchanged */
	const char *en;	     /* English meaning, marked with N_() */
	const char *ru;	     /* Russian meaning */
	const char *next_en; /* what to do next, English, N_() */
	const char *next_ru; /* what to do next, Russian */
};

/* The table entry for a provider code, or NULL if the code is unknown. */
const struct provider_error *errors_lookup(int code);
/* The number of entries in the table and entry i (for listings and tests). */
size_t errors_count(void);
const struct provider_error *errors_at(size_t i);
/*
 * "6010: the login or API key is wrong" in Russian or English (English goes
 * through gettext). Unknown codes show their number and the provider's own
 * message (provider_message may be NULL or empty).
 */
void errors_describe(int code, const char *provider_message, bool russian, char *buf, size_t n);
/* What the cashier or support should do next about code, in one sentence. */
void errors_next_step(int code, bool russian, char *buf, size_t n);
/* True when the current LC_MESSAGES locale is Russian ("ru", "ru_RU.UTF-8"). */
bool errors_locale_is_russian(void);

#endif
