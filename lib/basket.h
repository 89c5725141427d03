/*
 * The basket: up to BASKET_MAX_LINES lines with exact totals. Line discounts
 * (percent of the line total or an amount for the whole line) and one
 * receipt-level discount spread over the lines by largest remainder.
 */
#ifndef KASSA_BASKET_H
#define KASSA_BASKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define BASKET_MAX_LINES 100
#define LINE_NAME_MAX_CHARS 128
#define LINE_NAME_MAX_BYTES (LINE_NAME_MAX_CHARS * 4 + 1)

/* Units; the first six are cloud-print's, the rest only for invoice_data. */
#define UNIT_INFO(_)                                                                               \
	_(PIECE, "piece", N_("pc"))                                                                \
	_(KG, "kg", N_("kg"))                                                                      \
	_(G, "g", N_("g"))                                                                         \
	_(L, "l", N_("l"))                                                                         \
	_(ML, "ml", N_("ml"))                                                                      \
	_(M2, "m2", N_("m²"))
#define UNIT_ENUM(name, wire, label) UNIT_##name,
enum unit { UNIT_INFO(UNIT_ENUM) UNIT_COUNT };
#undef UNIT_ENUM

/* VAT codes as the providers spell them (vat18/vat118 are legacy input). */
#define VAT_INFO(_)                                                                                \
	_(NONE, "none", N_("no VAT"))                                                              \
	_(VAT0, "vat0", "0%")                                                                      \
	_(VAT5, "vat5", "5%")                                                                      \
	_(VAT7, "vat7", "7%")                                                                      \
	_(VAT10, "vat10", "10%")                                                                   \
	_(VAT20, "vat20", "20%")                                                                   \
	_(VAT22, "vat22", "22%")                                                                   \
	_(VAT105, "vat105", "5/105")                                                               \
	_(VAT107, "vat107", "7/107")                                                               \
	_(VAT110, "vat110", "10/110")                                                              \
	_(VAT120, "vat120", "20/120")                                                              \
	_(VAT122, "vat122", "22/122")                                                              \
	_(VAT18, "vat18", "18%")                                                                   \
	_(VAT118, "vat118", "18/118")
#define VAT_ENUM(name, wire, label) VAT_##name,
enum vat { VAT_INFO(VAT_ENUM) VAT_COUNT };
#undef VAT_ENUM

enum discount_type { DISCOUNT_NONE, DISCOUNT_PERCENT, DISCOUNT_AMOUNT };

struct discount {
	enum discount_type type;
	int64_t value; /* hundredths of a percent, or kopecks for the whole line */
};

struct basket_line {
	char name[LINE_NAME_MAX_BYTES];
	int64_t price; /* kopecks per unit */
	int64_t qty;   /* thousandths */
	enum unit unit;
	struct discount discount;
	enum vat vat;
	bool vat_set;
	int method;	   /* tag 1214, 1..7; 0 = not given */
	int object;	   /* tag 1212, 1..33; 0 = not given */
	char code[64];	   /* catalog code, may be empty */
	char marking[256]; /* marking code as scanned (GS kept), may be empty */

	/* Computed by basket_recalc(). */
	int64_t gross;	       /* price x qty, half-up */
	int64_t line_discount; /* from the line's own discount */
	int64_t receipt_share; /* this line's part of the receipt discount */
	int64_t sum;	       /* gross - line_discount - receipt_share */
};

struct basket {
	struct basket_line lines[BASKET_MAX_LINES];
	size_t n;
	struct discount receipt_discount;
	int64_t gross;	  /* sum of gross */
	int64_t discount; /* all discounts */
	int64_t total;	  /* sum of line sums */
};

/* Wire names and labels. Parsers return false for unknown text. */
const char *unit_wire(enum unit u);
const char *unit_label(enum unit u);
bool unit_parse(const char *s, enum unit *u);
const char *vat_wire(enum vat v);
const char *vat_label(enum vat v);
bool vat_parse(const char *s, enum vat *v);

/* Checks a line name: valid UTF-8, 1..128 characters, no control characters. */
kstatus basket_check_name(const char *name, const char *field, struct kerr *err);

void basket_init(struct basket *b);
/* Adds a validated copy of line; recalculates. On error nothing changes. */
kstatus basket_add(struct basket *b, const struct basket_line *line, struct kerr *err);
kstatus basket_set_qty(struct basket *b, size_t i, int64_t qty, struct kerr *err);
kstatus basket_set_price(struct basket *b, size_t i, int64_t price, struct kerr *err);
kstatus basket_set_discount(struct basket *b, size_t i, struct discount d, struct kerr *err);
kstatus basket_set_receipt_discount(struct basket *b, struct discount d, struct kerr *err);
kstatus basket_remove(struct basket *b, size_t i, struct kerr *err);
void basket_clear(struct basket *b);
/* Recomputes every line and the totals; K_OVERFLOW or K_INVALID with err. */
kstatus basket_recalc(struct basket *b, struct kerr *err);
/* Validates one line on its own (name, price, qty, discount, codes). */
kstatus basket_check_line(const struct basket_line *l, struct kerr *err);
/*
 * Piece goods take whole quantities (1.5 pc is refused, naming field);
 * weighed and measured goods keep 3 decimals. basket_add() and
 * basket_set_qty() check it.
 */
kstatus basket_check_qty(enum unit u, int64_t qty, const char *field, struct kerr *err);
/* A line with defaults: qty 1, piece, no VAT given. */
void basket_line_init(struct basket_line *l);

#endif
