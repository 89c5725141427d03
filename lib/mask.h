/*
 * Secrets out of what the cashier's screen shows. The journal stores request
 * bodies without credentials, but a body, a callback or an old journal may
 * still hold something secret-looking (an apikey, a password, a PayKeeper
 * signature, the callback token in callback_url): these functions replace
 * such values with MASK_TEXT before anything is drawn.
 */
#ifndef KASSA_MASK_H
#define KASSA_MASK_H

#include <stdbool.h>
#include <stddef.h>

#define MASK_TEXT "********"

/*
 * True when a JSON key or form field names a secret: apikey, api_key,
 * password, secret, token, key, sign, signature, authorization (any case,
 * also as the end of a longer name such as "secret_word" or "x-api-key").
 */
bool mask_key_is_secret(const char *key);
/*
 * The body as it may be shown, owned by the caller: JSON is re-indented
 * (two spaces, exact decimals kept) with secret values masked; a
 * form-urlencoded body becomes one "name = value" line per field, decoded,
 * secrets masked; anything else is kept as text with secret-looking
 * "name=value" / "name": "value" pairs masked. In every case the callback
 * token after "/cb/" is masked.
 */
char *mask_body(const char *body, size_t len);
/* Masks the callback token after "/cb/" in s (in place; the length may shrink). */
void mask_callback_token(char *s);

#endif
