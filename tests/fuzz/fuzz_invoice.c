/*
 * libFuzzer target for LifePay acquiring invoice_data: invoice_parse on JSON
 * text from outside (exact length). Properties: an accepted invoice passes
 * invoice_validate, invoice_build serialises it, and the text we build parses
 * back to an invoice that builds to exactly the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "kfuzz.h"
#include "util.h"
#include "wire/invoice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = kfz_bytes(data, size);
	struct invoice inv;
	struct kerr err = {0};
	kstatus st = invoice_parse(text, size, &inv, &err);
	free(text);
	if (st != K_OK) {
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message (field '%s')", err.field);
		KFZ_CHECK(inv.items == NULL && inv.n == 0, "a refused invoice hands out items");
		invoice_free(&inv);
		return 0;
	}
	KFZ_CHECK(inv.n >= 1 && inv.n <= INVOICE_MAX_ITEMS, "%zu items accepted", inv.n);
	st = invoice_validate(&inv, &err);
	KFZ_CHECK(st == K_OK, "accepted invoice does not validate (%s: %s)", err.field, err.text);
	char *out = NULL;
	st = invoice_build(&inv, &out, &err);
	KFZ_CHECK(st == K_OK && out, "accepted invoice does not build (%s: %s)", err.field,
		  err.text);
	KFZ_CHECK(utf8_valid(out, strlen(out)), "built invoice is not UTF-8");

	struct invoice back;
	st = invoice_parse(out, strlen(out), &back, &err);
	KFZ_CHECK(st == K_OK, "our invoice_data does not parse back (%s: %s): %s", err.field,
		  err.text, out);
	KFZ_CHECK(back.n == inv.n, "%zu items became %zu", inv.n, back.n);
	char *out2 = NULL;
	st = invoice_build(&back, &out2, &err);
	KFZ_CHECK(st == K_OK && out2 && strcmp(out, out2) == 0,
		  "invoice_data changes when read back:\n%s\n%s", out, out2 ? out2 : "(null)");
	free(out2);
	free(out);
	invoice_free(&back);
	invoice_free(&inv);
	return 0;
}
