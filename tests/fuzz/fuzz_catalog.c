/*
 * libFuzzer target for the catalog CSV: catalog_load_buffer on the file's
 * bytes (exact length), then the look-ups the sale screen makes. Properties:
 * every loaded item has a code, a name, a price in range, a known unit and
 * VAT rate and valid UTF-8 text; rows_ok counts the items; catalog_find_code
 * finds every item's code (the first item with that code), catalog_complete
 * finds every item by its own name and catalog_search by its code; problems
 * are capped and terminated. catalog_fold always terminates its output.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "kfuzz.h"
#include "money.h"
#include "util.h"

struct seen {
	const struct catalog_item *want;
	bool found;
	size_t calls;
};

static bool on_match(const struct catalog_item *item, void *cls)
{
	struct seen *s = cls;
	s->calls++;
	if (item == s->want)
		s->found = true;
	return !s->found && s->calls < 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = kfz_bytes(data, size);
	struct catalog *cat = NULL;
	struct catalog_report rep;
	struct kerr err = {0};
	kstatus st = catalog_load_buffer(buf, size, "fuzz.csv", &cat, &rep, &err);
	if (st != K_OK) {
		KFZ_CHECK(cat == NULL, "a refused catalog is handed out");
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
		catalog_report_free(&rep);
		free(buf);
		return 0;
	}
	KFZ_CHECK(cat != NULL, "K_OK without a catalog");
	KFZ_CHECK(rep.separator == ',' || rep.separator == ';', "separator %d", rep.separator);
	KFZ_CHECK(rep.nproblems <= CATALOG_PROBLEMS_MAX, "%zu problems kept", rep.nproblems);
	for (size_t i = 0; i < rep.nproblems; i++) {
		const struct catalog_problem *p = &rep.problems[i];
		KFZ_CHECK(strnlen(p->text, sizeof p->text) < sizeof p->text &&
			      strnlen(p->field, sizeof p->field) < sizeof p->field,
			  "problem %zu not terminated", i);
		KFZ_CHECK(p->text[0] != '\0', "problem %zu without a message", i);
	}
	size_t n = 0;
	const struct catalog_item *items = catalog_items(cat, &n);
	KFZ_CHECK(n == catalog_count(cat) && n == rep.rows_ok, "%zu items, count %zu, rows_ok %zu",
		  n, catalog_count(cat), rep.rows_ok);
	for (size_t i = 0; i < n; i++) {
		const struct catalog_item *it = &items[i];
		KFZ_CHECK(it->code && it->code[0] && strlen(it->code) <= CATALOG_CODE_MAX,
			  "item %zu code", i);
		KFZ_CHECK(it->name && it->name[0], "item %zu without a name", i);
		KFZ_CHECK(utf8_valid(it->code, strlen(it->code)) &&
			      utf8_valid(it->name, strlen(it->name)),
			  "item %zu text is not UTF-8", i);
		KFZ_CHECK(it->price >= 0 && it->price <= MONEY_MAX, "item %zu price %lld", i,
			  (long long)it->price);
		KFZ_CHECK((unsigned)it->unit < UNIT_COUNT && (unsigned)it->vat < VAT_COUNT,
			  "item %zu unit %d vat %d", i, (int)it->unit, (int)it->vat);
		KFZ_CHECK(it->object >= 0 && it->object <= 33, "item %zu object %d", i, it->object);
		KFZ_CHECK(catalog_item_line(cat, i) >= 1, "item %zu has no line", i);

		/* Look-ups: the first 16 items, to keep each run fast. */
		if (i >= 16)
			continue;
		const struct catalog_item *f = catalog_find_code(cat, it->code);
		KFZ_CHECK(f && strcmp(f->code, it->code) == 0, "code '%s' not found", it->code);
		KFZ_CHECK(f <= it, "code '%s' finds a later item", it->code);
		struct seen s = {.want = it};
		catalog_complete(cat, it->name, on_match, &s);
		KFZ_CHECK(s.found || s.calls >= 1000,
			  "item %zu not completed from its own name '%s'", i, it->name);
		s = (struct seen){.want = it};
		catalog_search(cat, it->code, on_match, &s);
		KFZ_CHECK(s.found || s.calls >= 1000, "item %zu not found by its code '%s'", i,
			  it->code);
	}
	KFZ_CHECK(catalog_item_line(cat, n) == 0, "a line for an item past the end");

	/* Folding the raw input: always terminated, never past n. */
	char *text = kfz_str(data, size < 256 ? size : 256);
	char folded[64];
	memset(folded, 'x', sizeof folded);
	catalog_fold(text, folded, sizeof folded);
	KFZ_CHECK(strnlen(folded, sizeof folded) < sizeof folded, "catalog_fold not terminated");
	free(text);

	catalog_free(cat);
	catalog_report_free(&rep);
	free(buf);
	return 0;
}
