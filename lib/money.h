/*
 * Exact money and quantities. Amounts are int64_t kopecks, quantities int64_t
 * thousandths, percentages int64_t hundredths of a percent. No floating point.
 */
#ifndef KASSA_MONEY_H
#define KASSA_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

/* Largest amount we accept anywhere: 999 999 999 999.99 roubles. */
#define MONEY_MAX INT64_C(99999999999999)
/* Largest quantity: 99 999 999.999 units. */
#define QTY_MAX INT64_C(99999999999)
/* One whole unit in thousandths. */
#define QTY_ONE 1000
/* 100% in hundredths of a percent. */
#define PERCENT_100 10000

enum money_flags {
	MONEY_SIGNED = 1 << 0, /* a leading '-' is allowed */
	MONEY_GROUPS = 1 << 1, /* thousands grouped by spaces ("1 000,50") or commas ("1,000.50") */
};

/*
 * Strict decimal parser: digits, at most one '.' or ',' with at most
 * `decimals` digits after it, optional surrounding spaces. Rejects empty text,
 * signs (unless MONEY_SIGNED), exponents, thousands separators (unless
 * MONEY_GROUPS, then only between groups of three digits), nan/inf and
 * values above `max`. The scaled integer goes to *out. `field` names the
 * input in the error.
 */
kstatus decimal_parse(const char *text, int decimals, int64_t max, unsigned flags, int64_t *out,
		      const char *field, struct kerr *err);

/* What people type: decimal_parse with MONEY_GROUPS ("1 000", "2,000.00", "0,455"). */
/* decimal_parse for money (2 decimals, up to MONEY_MAX). */
kstatus money_parse(const char *text, int64_t *kop, const char *field, struct kerr *err);
/* decimal_parse for quantities (3 decimals, up to QTY_MAX). */
kstatus qty_parse(const char *text, int64_t *milli, const char *field, struct kerr *err);
/* decimal_parse for percentages (2 decimals, 0..100). */
kstatus percent_parse(const char *text, int64_t *hundredths, const char *field, struct kerr *err);

/* Wire format: "20730.00", "-5.10". Returns the length written. */
int money_format_wire(int64_t kop, char *buf, size_t n);
/* Quantity with up to 3 decimals and no trailing zeros: "1", "0.455", "2.5". */
int qty_format(int64_t milli, char *buf, size_t n);
/* Percentage with up to 2 decimals and no trailing zeros: "10", "12.5". */
int percent_format(int64_t hundredths, char *buf, size_t n);

/* How amounts are shown to people. */
struct money_style {
	const char *decimal; /* "," in Russian */
	const char *group;   /* thousands separator, " " in Russian */
};
/* qty_format with the style's decimal mark: "0,455" in Russian. */
int qty_format_display(int64_t milli, const struct money_style *st, char *buf, size_t n);
/* percent_format with the style's decimal mark: "12,5". */
int percent_format_display(int64_t hundredths, const struct money_style *st, char *buf, size_t n);
extern const struct money_style MONEY_STYLE_RU;
extern const struct money_style MONEY_STYLE_EN;
/* The style for a locale name such as "ru_RU.UTF-8" (English otherwise). */
const struct money_style *money_style_for(const char *locale_name);
/* Display format: "20 730,00" (Russian style). */
int money_format_display(int64_t kop, const struct money_style *st, char *buf, size_t n);

/* a + b into *out; K_OVERFLOW if the result leaves +-MONEY_MAX. */
kstatus money_add(int64_t a, int64_t b, int64_t *out);
/* price x quantity rounded half-up to the kopeck; K_OVERFLOW past MONEY_MAX. */
kstatus money_mul_qty(int64_t price_kop, int64_t qty_milli, int64_t *out);
/* The given percentage of amount, rounded half-up to the kopeck. */
kstatus money_percent_of(int64_t amount, int64_t hundredths, int64_t *out);
/* Rounds num/den half away from zero (den > 0). */
int64_t div_round_half_up(int64_t num, int64_t den);

/*
 * Spreads `amount` kopecks over n weights in proportion, by largest remainder:
 * parts add up to exactly `amount`, each part is at most its weight when
 * amount <= sum of weights. Ties go to the earlier index. K_INVALID if the
 * weights are negative or sum to zero while amount is not zero.
 */
kstatus money_spread(int64_t amount, const int64_t *weights, size_t n, int64_t *parts);

#endif
