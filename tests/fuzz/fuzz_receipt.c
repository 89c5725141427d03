/*
 * libFuzzer target for receipt files: the `kassa receipt --dry-run` path.
 * The first byte picks the document kind ('0' receipt, '1' non-fiscal ...
 * '7' cash-out, in DOC_KIND_INFO order); the rest is the LifePay request.
 * wire_lifepay_parse_request, the credential check, document_validate, then
 * wire_lifepay_request_text. Properties: what we emit is JSON (jsonx_loads
 * takes it), an object, and our own parser reads it back into a document
 * that validates and is emitted as exactly the same text (what kassa sends,
 * the sandbox and kassa itself read the same way).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "document.h"
#include "jsonx.h"
#include "kfuzz.h"
#include "util.h"
#include "wire/lifepay.h"

/* Documents are large (100 lines): keep them off the stack, allocated once. */
static struct document *doc, *again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!doc) {
		doc = xcalloc(1, sizeof *doc);
		again = xcalloc(1, sizeof *again);
	}
	enum doc_kind kind = (enum doc_kind)kfz_select(data, size, DOC_KIND_COUNT);
	if (size)
		data++, size--;
	char *text = kfz_bytes(data, size);
	struct lifepay_auth auth;
	struct kerr err = {0};
	kstatus st = wire_lifepay_parse_request(text, size, kind, doc, &auth, &err);
	free(text);
	if (st != K_OK) {
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message (field '%s')", err.field);
		return 0;
	}
	KFZ_CHECK(doc->kind == kind, "kind %d became %d", (int)kind, (int)doc->kind);
	if (auth.login[0] || auth.apikey[0])
		st = wire_lifepay_check_auth(&auth, &err);
	if (st == K_OK)
		st = document_validate(doc, &err);
	if (st != K_OK) {
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message (field '%s')", err.field);
		document_free(doc);
		return 0;
	}

	char *out = wire_lifepay_request_text(doc, &auth);
	KFZ_CHECK(out != NULL, "no request text for a valid document");
	size_t out_len = strlen(out);
	KFZ_CHECK(utf8_valid(out, out_len), "request text is not UTF-8: %s", out);
	json_t *root = jsonx_loads(out, out_len, &err);
	KFZ_CHECK(root != NULL, "we emit invalid JSON (%s): %s", err.text, out);
	KFZ_CHECK(json_is_object(root), "we emit JSON that is not an object: %s", out);
	json_decref(root);

	/* Read back: the same document, the same text. */
	struct lifepay_auth auth2;
	memset(&err, 0, sizeof err);
	st = wire_lifepay_parse_request(out, out_len, kind, again, &auth2, &err);
	KFZ_CHECK(st == K_OK, "our request does not parse back (%s: %s): %s", err.field, err.text,
		  out);
	st = document_validate(again, &err);
	KFZ_CHECK(st == K_OK, "our request read back does not validate (%s: %s): %s", err.field,
		  err.text, out);
	char *out2 = wire_lifepay_request_text(again, &auth2);
	KFZ_CHECK(out2 && strcmp(out, out2) == 0, "request changes when read back:\n%s\n%s", out,
		  out2 ? out2 : "(null)");
	free(out2);
	free(out);
	document_free(again);
	document_free(doc);
	explicit_bzero(&auth, sizeof auth);
	explicit_bzero(&auth2, sizeof auth2);
	return 0;
}
