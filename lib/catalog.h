/*
 * The local catalog: a CSV file (path from the profile's `catalog = PATH`)
 * with one item per row:
 *
 *   code,name,price,unit,vat,object
 *   4601234567890,"Йогурт клубничный 2,5%",64.90,piece,vat10,1
 *
 * RFC 4180 style: quoted fields may hold separators and doubled quotes; CRLF,
 * LF or CR line ends; a UTF-8 byte order mark is skipped. The first row is a
 * header when it names columns (code, name, price, unit, vat, object, or the
 * Russian words); a header may order the columns as it likes. ';' is the
 * separator when the first row uses it more than ',' (spreadsheets in Russian
 * locales write "64,90;..."). unit defaults to piece; object may be empty
 * (not sent) or 1..33; code and name and price and vat are required.
 *
 * Every row is checked with the core's rules; bad rows are reported (line
 * number and reason, "line 7: price: has more than 2 decimal places") while
 * the good ones load. A quoted field never spans lines: no valid field can
 * hold a line break, and refusing it keeps one broken quote from eating the
 * rest of the file.
 */
#ifndef KASSA_CATALOG_H
#define KASSA_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basket.h"
#include "status.h"

/* Largest catalog file we read. */
#define CATALOG_FILE_MAX (64u * 1024u * 1024u)
/* Longest code: basket_line.code holds 63 bytes. */
#define CATALOG_CODE_MAX 63
/* At most this many problems are kept in a report; the rest are counted. */
#define CATALOG_PROBLEMS_MAX 200

/* One item. Strings belong to the catalog and live as long as it does. */
struct catalog_item {
	const char *code;
	const char *name;
	int64_t price; /* kopecks per unit */
	enum unit unit;
	enum vat vat;
	int object; /* tag 1212, 1..33; 0 = not given */
};

/* One refused row (or a problem with the file's header). */
struct catalog_problem {
	int line;	/* 1-based line where the row starts */
	char field[16]; /* "price", "code" ... or "" for the row as a whole */
	char text[400]; /* "line 7: price: has more than 2 decimal places" */
};

struct catalog_report {
	size_t rows_ok;			  /* items loaded */
	size_t rows_bad;		  /* rows refused */
	bool header;			  /* the first row was taken as a header */
	char separator;			  /* ',' or ';' */
	struct catalog_problem *problems; /* the first CATALOG_PROBLEMS_MAX */
	size_t nproblems;
	size_t problems_omitted; /* problems not kept */
};

struct catalog; /* opaque */

/* Called for each match; return false to stop. */
typedef bool (*catalog_cb)(const struct catalog_item *item, void *cls);

/*
 * Reads and parses the file at path into *cat (always set on K_OK, maybe
 * empty) and *report (the caller frees both). K_IO when the file cannot be
 * read, K_INVALID when it is too large or its header lacks a required
 * column; bad rows are not an error (see report).
 */
kstatus catalog_load_file(const char *path, struct catalog **cat, struct catalog_report *report,
			  struct kerr *err);
/* The same from memory (len bytes, need not be terminated); `name` is used in messages. */
kstatus catalog_load_buffer(const char *buf, size_t len, const char *name, struct catalog **cat,
			    struct catalog_report *report, struct kerr *err);
/* Frees a catalog (NULL is fine). */
void catalog_free(struct catalog *cat);
/* Frees what a report holds; the struct is zeroed. */
void catalog_report_free(struct catalog_report *report);

/* The items in file order, and their number. */
const struct catalog_item *catalog_items(const struct catalog *cat, size_t *n);
/* Number of items. */
size_t catalog_count(const struct catalog *cat);
/* The source line of item i (0 if out of range). */
int catalog_item_line(const struct catalog *cat, size_t i);
/* The item with exactly this code, or NULL. */
const struct catalog_item *catalog_find_code(const struct catalog *cat, const char *code);
/*
 * Calls cb for each item whose name starts with prefix, ignoring case (ASCII
 * and Cyrillic always; other scripts when the locale is UTF-8) and treating
 * ё as е; in file order. Returns the number of calls made.
 */
size_t catalog_complete(const struct catalog *cat, const char *prefix, catalog_cb cb, void *cls);
/* As catalog_complete, for items whose name or code contains text. */
size_t catalog_search(const struct catalog *cat, const char *text, catalog_cb cb, void *cls);

/*
 * Case folding used for matching, exposed for the screens: lower-cases ASCII
 * and Cyrillic without the locale (ё -> е), towlower() for the rest; invalid
 * bytes are copied. Writes at most n bytes, always terminated.
 */
void catalog_fold(const char *s, char *out, size_t n);

#endif
