/*
 * The profile's catalog file (lib/catalog.h) seen by the screen. lib/ and
 * the sale screen (tui/entry.h) each have their own `struct catalog_item`
 * with the same fields, so this bridge is the one file that includes
 * lib/catalog.h; others read items through catfile_get().
 */
#ifndef KASSA_CATALOG_FILE_H
#define KASSA_CATALOG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct catfile;

/* One item's fields; strings live as long as the catfile. */
struct catfile_fields {
	const char *code;
	const char *name;
	int64_t price;
	int unit; /* enum unit */
	int vat;  /* enum vat */
	int object;
};

/*
 * Loads the CSV catalog at path. NULL with err when the file cannot be read
 * or has no usable header; bad rows are not an error (catfile_problem()).
 */
struct catfile *catfile_load(const char *path, struct kerr *err);
void catfile_free(struct catfile *c);
/* Items loaded. */
size_t catfile_count(const struct catfile *c);
/* Item i (false when out of range). */
bool catfile_get(const struct catfile *c, size_t i, struct catfile_fields *out);
/* Rows refused, and the problems kept ("line 7: price: ..."); omitted ones are counted. */
size_t catfile_bad_rows(const struct catfile *c);
size_t catfile_problems(const struct catfile *c);
const char *catfile_problem(const struct catfile *c, size_t i);

#endif
