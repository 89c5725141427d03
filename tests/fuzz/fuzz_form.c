/*
 * libFuzzer target for application/x-www-form-urlencoded bodies: form_parse,
 * form_get and form_decode on the body as received (exact length).
 * Properties: form_get finds the first pair of every key form_parse lists,
 * with its value; decoding never grows; pairs rebuilt with form_add parse
 * back to the same pairs; form_decode undoes form_encode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "util.h"
#include "wire/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = kfz_bytes(data, size);

	size_t dlen = (size_t)-1;
	char *dec = form_decode(body, size, &dlen);
	KFZ_CHECK(dlen <= size && dec[dlen] == '\0', "decoded %zu bytes from %zu", dlen, size);
	/* As a C string (cut at a decoded NUL), encoding and decoding give it back. */
	char *enc = form_encode(dec);
	size_t blen;
	char *back = form_decode(enc, strlen(enc), &blen);
	KFZ_CHECK(strcmp(back, dec) == 0, "form_decode(form_encode(s)) != s");
	free(back);
	free(enc);
	free(dec);

	size_t n;
	struct form_pair *pairs = form_parse(body, size, &n);
	char *rebuilt = NULL;
	for (size_t i = 0; i < n; i++) {
		KFZ_CHECK(pairs[i].key && pairs[i].value, "pair %zu incomplete", i);
		const char *want = NULL;
		for (size_t j = 0; j <= i && !want && i < 32; j++)
			if (strcmp(pairs[j].key, pairs[i].key) == 0)
				want = pairs[j].value;
		/* form_get parses the whole body: check the first pairs only, to stay fast */
		if (i < 32) {
			char *got = form_get(body, size, pairs[i].key);
			KFZ_CHECK(got && strcmp(got, want) == 0,
				  "form_get('%s') disagrees with form_parse", pairs[i].key);
			free(got);
		}
		form_add(&rebuilt, pairs[i].key, pairs[i].value);
	}
	if (rebuilt) {
		size_t m;
		struct form_pair *again = form_parse(rebuilt, strlen(rebuilt), &m);
		KFZ_CHECK(m == n, "%zu pairs rebuilt as %zu: %s", n, m, rebuilt);
		for (size_t i = 0; i < n; i++)
			KFZ_CHECK(strcmp(again[i].key, pairs[i].key) == 0 &&
				      strcmp(again[i].value, pairs[i].value) == 0,
				  "pair %zu changes when rebuilt", i);
		form_pairs_free(again, m);
		free(rebuilt);
	}
	form_pairs_free(pairs, n);
	/* A name that is not there. */
	char *none = form_get(body, size, "\x7f-not-a-key");
	free(none);
	free(body);
	return 0;
}
