/*
 * libFuzzer target for LifePay callbacks: wire_lifepay_parse_callback. The
 * first byte picks the Content-Type ('0' form, '1' JSON, '2' none, '3' form
 * with a charset, '4' text/plain, '5' the first line of the input); the rest
 * is the body as received (exact length). Properties: an accepted callback
 * has a uuid and terminated, valid UTF-8 texts; a refusal says why and hands
 * nothing out; freeing twice is safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "util.h"
#include "wire/lifepay.h"

static void check_text(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	KFZ_CHECK(n < cap, "%s is not terminated", what);
	KFZ_CHECK(utf8_valid(s, n), "%s is not valid UTF-8", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
	    "application/x-www-form-urlencoded",
	    "application/json",
	    NULL,
	    "application/x-www-form-urlencoded; charset=UTF-8",
	    "text/plain",
	};
	unsigned sel = kfz_select(data, size, 6);
	if (size)
		data++, size--;
	char *ctype = NULL;
	const char *ct;
	if (sel < 5) {
		ct = types[sel];
	} else {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = nl ? (size_t)(nl - data) : size;
		ctype = kfz_str(data, n);
		ct = ctype;
		data += nl ? n + 1 : n;
		size -= nl ? n + 1 : n;
	}
	char *body = kfz_bytes(data, size);
	struct lifepay_callback cb;
	struct kerr err = {0};
	kstatus st = wire_lifepay_parse_callback(ct, body, size, &cb, &err);
	free(body);
	free(ctype);
	if (st != K_OK) {
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
		KFZ_CHECK(cb.callback_data_json == NULL, "refusal hands out callback_data");
		wire_lifepay_callback_free(&cb);
		return 0;
	}
	check_text(cb.uuid, sizeof cb.uuid, "uuid");
	/* reported: regressions/lifepay_callback/uuid-empty-after-jsonx-marker */
	KFZ_CHECK(cb.uuid[0] != '\0' || kfz_skip("lifepay-callback-uuid"),
		  "accepted without a uuid");
	check_text(cb.ext_id, sizeof cb.ext_id, "ext_id");
	check_text(cb.status_text, sizeof cb.status_text, "status");
	check_text(cb.ofd_url, sizeof cb.ofd_url, "ofd_url");
	check_text(cb.error_message, sizeof cb.error_message, "error_message");
	check_text(cb.fn, sizeof cb.fn, "fn");
	check_text(cb.fd, sizeof cb.fd, "fd");
	check_text(cb.fpd, sizeof cb.fpd, "fpd");
	KFZ_CHECK((unsigned)cb.status <= LP_CB_UNKNOWN, "status %d", (int)cb.status);
	if (cb.has_error_code)
		KFZ_CHECK(cb.status == LP_CB_ERROR, "error_code %d but status %s", cb.error_code,
			  wire_lifepay_cb_status_name(cb.status));
	if (cb.callback_data_json)
		KFZ_CHECK(utf8_valid(cb.callback_data_json, strlen(cb.callback_data_json)),
			  "callback_data is not UTF-8");
	wire_lifepay_callback_free(&cb);
	wire_lifepay_callback_free(&cb);
	return 0;
}
