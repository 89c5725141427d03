/*
 * LifePay acquiring `invoice_data` (seed lifepay-acquiring-invoice-data.txt):
 * the item list sent with a payment so that LifePay prints its receipt.
 * A builder from our basket and a validator of JSON text from outside, both
 * held to the seed's JSON schema (draft-04) and its table 2. Amounts exact.
 */
#ifndef KASSA_WIRE_INVOICE_H
#define KASSA_WIRE_INVOICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "basket.h"
#include "status.h"

#define INVOICE_MAX_ITEMS 100
#define INVOICE_NAME_MAX_CHARS 256
#define INVOICE_SUPPLIER_NAME_MAX_CHARS 256
#define INVOICE_SUPPLIER_PHONE_MAX 19

/* Units of the acquiring seed (wider than cloud-print's; no m2). */
#define INVOICE_UNIT_INFO(_)                                                                       \
	_(PIECE, "piece")                                                                          \
	_(SERVICE, "service")                                                                      \
	_(PACKAGE, "package")                                                                      \
	_(G, "g")                                                                                  \
	_(KG, "kg")                                                                                \
	_(T, "t")                                                                                  \
	_(ML, "ml")                                                                                \
	_(L, "l")                                                                                  \
	_(M3, "m3")                                                                                \
	_(HR, "hr")                                                                                \
	_(M, "m")                                                                                  \
	_(KM, "km")
#define INVOICE_UNIT_ENUM(name, wire) INVOICE_UNIT_##name,
enum invoice_unit { INVOICE_UNIT_INFO(INVOICE_UNIT_ENUM) INVOICE_UNIT_COUNT };
#undef INVOICE_UNIT_ENUM

/*
 * vat_mode: name, rate in percent, calculated rate. One meaning for every
 * wire (basket, LifePay and PayKeeper receipts, invoice_data; docs/ARCHITECTURE.md
 * "VAT codes"): the VAT is inside the sum the buyer pays, so its amount is
 * sum x N / (100 + N) for every rate. vat10/vat18/vat20 are the plain rates
 * ("N%, включая"); vat110/vat118/vat120 are FFD's calculated rates 10/110,
 * 18/118, 20/120 (tag 1199 codes 4, 3), which seed S3 calls "N%, поверх":
 * N% charged over the price without VAT, which the sum already includes.
 * The amount is the same, the code on the receipt differs. vat0 is in the
 * schema's enum but not in the table: 0%.
 */
#define INVOICE_VAT_INFO(_)                                                                        \
	_(NONE, "none", 0, false)                                                                  \
	_(VAT0, "vat0", 0, false)                                                                  \
	_(VAT10, "vat10", 10, false)                                                               \
	_(VAT110, "vat110", 10, true)                                                              \
	_(VAT18, "vat18", 18, false)                                                               \
	_(VAT118, "vat118", 18, true)                                                              \
	_(VAT20, "vat20", 20, false)                                                               \
	_(VAT120, "vat120", 20, true)
#define INVOICE_VAT_ENUM(name, wire, rate, calculated) INVOICE_VAT_##name,
enum invoice_vat { INVOICE_VAT_INFO(INVOICE_VAT_ENUM) INVOICE_VAT_COUNT };
#undef INVOICE_VAT_ENUM

/* payment_method: index + 1 is tag 1214 (1 full_prepayment .. 7 credit_payment). */
#define INVOICE_METHOD_INFO(_)                                                                     \
	_(FULL_PREPAYMENT, "full_prepayment")                                                      \
	_(PREPAYMENT, "prepayment")                                                                \
	_(ADVANCE, "advance")                                                                      \
	_(FULL_PAYMENT, "full_payment")                                                            \
	_(PARTIAL_PAYMENT, "partial_payment")                                                      \
	_(CREDIT, "credit")                                                                        \
	_(CREDIT_PAYMENT, "credit_payment")

/* payment_object: index + 1 is tag 1212 of FFD 1.05 (1 commodity .. 13 another). */
#define INVOICE_OBJECT_INFO(_)                                                                     \
	_(COMMODITY, "commodity")                                                                  \
	_(EXCISE, "excise")                                                                        \
	_(JOB, "job")                                                                              \
	_(SERVICE, "service")                                                                      \
	_(GAMBLING_BET, "gambling_bet")                                                            \
	_(GAMBLING_PRIZE, "gambling_prize")                                                        \
	_(LOTTERY, "lottery")                                                                      \
	_(LOTTERY_PRIZE, "lottery_prize")                                                          \
	_(INTELLECTUAL_ACTIVITY, "intellectual_activity")                                          \
	_(PAYMENT, "payment")                                                                      \
	_(AGENT_COMMISSION, "agent_commission")                                                    \
	_(COMPOSITE, "composite")                                                                  \
	_(ANOTHER, "another")

#define INVOICE_METHOD_COUNT 7
#define INVOICE_OBJECT_COUNT 13

struct invoice_item {
	char code[128]; /* may be empty (not sent) */
	char name[INVOICE_NAME_MAX_CHARS * 4 + 1];
	int64_t price; /* kopecks, >= 0 */
	int64_t qty;   /* thousandths, > 0 */
	int64_t sum;   /* kopecks, >= 0 */
	enum invoice_unit unit;
	enum invoice_vat vat;
	int64_t vat_amount;	 /* kopecks; 0 = not sent (the schema wants > 0) */
	int64_t discount_rate;	 /* hundredths of a percent; 0 = not sent */
	int64_t discount_amount; /* kopecks; 0 = not sent */
	int method;		 /* tag 1214, 1..7; 0 = not sent */
	int object;		 /* tag 1212, 1..13; 0 = not sent (LifePay: commodity) */
	char supplier_inn[13];
	char supplier_name[INVOICE_SUPPLIER_NAME_MAX_CHARS * 4 + 1];
	char supplier_phone[128]; /* phones separated by commas, each <= 19 characters */
	char agent_item_type[64]; /* "lifepay.agent_item_type"; needs LifePay's activation */
};

struct invoice {
	struct invoice_item *items; /* owned */
	size_t n;
	int64_t vat_total; /* kopecks; 0 = not sent */
};

const char *invoice_unit_wire(enum invoice_unit u);
bool invoice_unit_parse(const char *s, enum invoice_unit *u);
const char *invoice_vat_wire(enum invoice_vat v);
bool invoice_vat_parse(const char *s, enum invoice_vat *v);
/* Wire names for tag 1214 / 1212 values; NULL when out of range. */
const char *invoice_method_wire(int tag1214);
const char *invoice_object_wire(int tag1212);

/*
 * VAT in a sum, exact, half-up to the kopeck: included rates sum x N / (100 + N)
 * (vat20 on 120.00 is 20.00), on-top rates sum x N / 100, none and vat0 zero.
 */
int64_t invoice_vat_amount(enum invoice_vat v, int64_t sum);

/* Frees the items; the struct is zeroed. */
void invoice_free(struct invoice *inv);

/*
 * One basket line as an invoice item: price, quantity, sum after all
 * discounts, discount_amount = gross - sum (when > 0), unit, vat_mode and
 * vat_amount, payment method and object. Refuses what the acquiring schema
 * cannot carry (m2, VAT rates outside its list, no VAT rate, FFD 1.2-only
 * payment objects) with err->field "items[i].<field>".
 */
kstatus invoice_item_from_line(const struct basket_line *l, size_t i, struct invoice_item *it,
			       struct kerr *err);
/* Every line of a recalculated basket, and vat_total when it is above zero. */
kstatus invoice_from_basket(const struct basket *b, struct invoice *inv, struct kerr *err);

/* Checks a struct against the schema and table 2; err->field is the JSON path. */
kstatus invoice_validate(const struct invoice *inv, struct kerr *err);
/* Validates, then serialises (compact, exact decimals); *out is malloc'd. */
kstatus invoice_build(const struct invoice *inv, char **out, struct kerr *err);

/*
 * Parses invoice_data JSON text from outside (numbers exact, duplicate keys
 * refused) and validates it: 1..100 items, required fields, no unknown
 * fields, enums, bounds, lengths, unit=service needing payment_object
 * service. discount_total is in the schema but refused: the seed says
 * LifePay does not take it (use discount_amount or discount_rate per item). err->field is the JSON
 * path ("items[3].unit"). On success inv holds the items (free with invoice_free).
 */
kstatus invoice_parse(const char *text, size_t len, struct invoice *inv, struct kerr *err);

#endif
