#include "catalog_file.h"

#include <stdlib.h>

#include "catalog.h"
#include "util.h"

struct catfile {
	struct catalog *cat;
	struct catalog_report rep;
};

struct catfile *catfile_load(const char *path, struct kerr *err)
{
	struct catfile *c = xcalloc(1, sizeof *c);
	if (catalog_load_file(path, &c->cat, &c->rep, err) != K_OK) {
		catalog_report_free(&c->rep);
		free(c);
		return NULL;
	}
	return c;
}

void catfile_free(struct catfile *c)
{
	if (!c)
		return;
	catalog_free(c->cat);
	catalog_report_free(&c->rep);
	free(c);
}

size_t catfile_count(const struct catfile *c)
{
	return c ? catalog_count(c->cat) : 0;
}

bool catfile_get(const struct catfile *c, size_t i, struct catfile_fields *out)
{
	size_t n = 0;
	const struct catalog_item *items = c ? catalog_items(c->cat, &n) : NULL;
	if (!items || i >= n)
		return false;
	out->code = items[i].code;
	out->name = items[i].name;
	out->price = items[i].price;
	out->unit = (int)items[i].unit;
	out->vat = (int)items[i].vat;
	out->object = items[i].object;
	return true;
}

size_t catfile_bad_rows(const struct catfile *c)
{
	return c ? c->rep.rows_bad : 0;
}

size_t catfile_problems(const struct catfile *c)
{
	return c ? c->rep.nproblems : 0;
}

const char *catfile_problem(const struct catfile *c, size_t i)
{
	return c && i < c->rep.nproblems ? c->rep.problems[i].text : "";
}
