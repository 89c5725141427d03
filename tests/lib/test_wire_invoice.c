/* Tests for lib/wire/invoice.c: LifePay acquiring invoice_data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "basket.h"
#include "money.h"
#include "wire/invoice.h"
#include "wire/paykeeper.h"

#define ITEM_OK                                                                                    \
	"\"name\":\"Кокос\",\"unit\":\"piece\",\"price\":85.00,\"quantity\":1,\"sum\":85.00," \
	"\"vat_mode\":\"none\""

static void invoice_vat_amount__table(void **state)
{
	(void)state;
	static const struct {
		enum invoice_vat v;
		int64_t sum, want;
	} cases[] = {
	    /* edge cases first */
	    {INVOICE_VAT_VAT20, 0, 0},
	    {INVOICE_VAT_VAT20, 1, 0},	/* 0.1667 kop */
	    {INVOICE_VAT_VAT20, 3, 1},	/* 0.5 kop: half-up */
	    {INVOICE_VAT_VAT10, 5, 0},	/* 0.4545 kop */
	    {INVOICE_VAT_VAT10, 6, 1},	/* 0.5454 kop */
	    {INVOICE_VAT_VAT110, 6, 1}, /* 10/110: 0.5454 kop */
	    {INVOICE_VAT_VAT120, 2, 0}, /* 20/120: 0.333 kop */
	    {INVOICE_VAT_NONE, 34000, 0},
	    {INVOICE_VAT_VAT0, 34000, 0},
	    /* the seed's example: 340.00 vat18 -> 51.86, 85.00 vat10 -> 7.73 */
	    {INVOICE_VAT_VAT18, 34000, 5186},
	    {INVOICE_VAT_VAT10, 8500, 773},
	    /* included: sum x N / (100 + N) */
	    {INVOICE_VAT_VAT20, 12000, 2000},
	    {INVOICE_VAT_VAT20, 10000, 1667},
	    {INVOICE_VAT_VAT10, 11000, 1000},
	    /* calculated rates ("поверх"): inside the sum too, sum x N / (100 + N) */
	    {INVOICE_VAT_VAT120, 12000, 2000},
	    {INVOICE_VAT_VAT110, 11000, 1000},
	    {INVOICE_VAT_VAT110, 8500, 773},
	    {INVOICE_VAT_VAT118, 34000, 5186},
	    {INVOICE_VAT_VAT120, 12345, 2058}, /* 2057.5: half-up */
	    /* the largest amount does not overflow */
	    {INVOICE_VAT_VAT20, MONEY_MAX, 16666666666667},
	    {INVOICE_VAT_VAT120, MONEY_MAX, 16666666666667},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t got = invoice_vat_amount(cases[i].v, cases[i].sum);
		if (got != cases[i].want)
			fail_msg("case %zu: %s of %lld = %lld, want %lld", i,
				 invoice_vat_wire(cases[i].v), (long long)cases[i].sum,
				 (long long)got, (long long)cases[i].want);
	}
}

static void invoice_parse__accepts_seed_examples(void **state)
{
	(void)state;
	const char *with_vat =
	    "{\n  \"items\": [\n"
	    "  {\"code\": \"21321312122\", \"name\": \"Маракуя\", \"unit\": \"kg\", \"price\": "
	    "340.00, \"quantity\": 1, \"sum\": 340.00, \"vat_mode\": \"vat18\", \"vat_amount\": "
	    "51.86},\n"
	    "  {\"code\": \"21321312123\", \"name\": \"Кокос\", \"unit\": \"piece\", \"price\": "
	    "85.00, \"quantity\": 1, \"sum\": 85.00, \"vat_mode\": \"vat10\", \"vat_amount\": "
	    "7.73}\n  ],\n  \"vat_total\": 59.59\n}";
	struct invoice inv;
	struct kerr err = {0};
	assert_int_equal(invoice_parse(with_vat, strlen(with_vat), &inv, &err), K_OK);
	assert_int_equal(inv.n, 2);
	assert_string_equal(inv.items[0].code, "21321312122");
	assert_string_equal(inv.items[0].name, "Маракуя");
	assert_int_equal(inv.items[0].unit, INVOICE_UNIT_KG);
	assert_int_equal(inv.items[0].price, 34000);
	assert_int_equal(inv.items[0].qty, 1000);
	assert_int_equal(inv.items[0].vat, INVOICE_VAT_VAT18);
	assert_int_equal(inv.items[0].vat_amount, 5186);
	assert_int_equal(inv.items[1].vat_amount, 773);
	assert_int_equal(inv.vat_total, 5959);
	/* The seed's amounts agree with our VAT arithmetic. */
	for (size_t i = 0; i < inv.n; i++)
		assert_int_equal(inv.items[i].vat_amount,
				 invoice_vat_amount(inv.items[i].vat, inv.items[i].sum));
	invoice_free(&inv);

	const char *button = "{ \"items\": [ { \"code\": \"054000001R\", \"name\": \"Клипса "
			     "пистон распорный решетки воздухозаборника Лада Ларгус, Рено Логан "
			     "054000001R\", \"unit\": \"piece\", \"price\": 40.5, \"quantity\": "
			     "1, \"sum\": 40.5, \"vat_mode\": \"none\"} ] }";
	assert_int_equal(invoice_parse(button, strlen(button), &inv, &err), K_OK);
	assert_int_equal(inv.items[0].price, 4050);
	invoice_free(&inv);

	const char *full = "{\"items\":[{\"name\":\"Стрижка\",\"unit\":\"service\",\"price\":1500,"
			   "\"quantity\":3.5,\"sum\":5250,\"vat_mode\":\"vat120\",\"vat_amount\":"
			   "1050,\"discount_rate\":5.5,\"discount_amount\":0.01,\"payment_method\":"
			   "\"full_prepayment\",\"payment_object\":\"service\",\"supplier_inn\":"
			   "\"500100732259\",\"supplier_name\":\"ИП Иванов\",\"supplier_phone\":"
			   "\"+79001234567,89007654321\",\"lifepay.agent_item_type\":\"agent\"}]}";
	assert_int_equal(invoice_parse(full, strlen(full), &inv, &err), K_OK);
	assert_int_equal(inv.items[0].qty, 3500);
	assert_int_equal(inv.items[0].discount_rate, 550);
	assert_int_equal(inv.items[0].method, 1);
	assert_int_equal(inv.items[0].object, 4);
	assert_string_equal(inv.items[0].supplier_inn, "500100732259");
	invoice_free(&inv);
}

static char *items_json(size_t n)
{
	size_t cap = 64 + n * (sizeof ITEM_OK + 4);
	char *s = malloc(cap);
	assert_non_null(s);
	size_t o = (size_t)snprintf(s, cap, "{\"items\":[");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s{" ITEM_OK "}", i ? "," : "");
	snprintf(s + o, cap - o, "]}");
	return s;
}

static void invoice_parse__item_count_bounds(void **state)
{
	(void)state;
	static const struct {
		size_t n;
		kstatus st;
	} cases[] = {{0, K_INVALID}, {1, K_OK}, {100, K_OK}, {101, K_INVALID}};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		char *s = items_json(cases[c].n);
		struct invoice inv;
		struct kerr err = {0};
		kstatus st = invoice_parse(s, strlen(s), &inv, &err);
		if (st != cases[c].st)
			fail_msg("%zu items: %d (%s)", cases[c].n, st, err.text);
		if (st == K_OK)
			assert_int_equal(inv.n, cases[c].n);
		else
			assert_string_equal(err.field, "items");
		invoice_free(&inv);
		free(s);
	}
}

static void invoice_parse__schema_violations_name_the_path(void **state)
{
	(void)state;
	static const char *const names[] = {"name", "price", "unit", "quantity", "sum", "vat_mode"};
	static const struct {
		const char *json, *field;
	} cases[] = {
	    {"[]", "invoice_data"},
	    {"{\"items\":[{" ITEM_OK "}],\"items\":[]}", "invoice_data"}, /* duplicate key */
	    {"{}", "items"},
	    {"{\"items\":{}}", "items"},
	    {"{\"items\":[{" ITEM_OK "}],\"colour\":1}", "colour"},
	    {"{\"items\":[{" ITEM_OK "}],\"discount_total\":1.00}", "discount_total"},
	    {"{\"items\":[{" ITEM_OK "}],\"vat_total\":0}", "vat_total"},
	    {"{\"items\":[{" ITEM_OK "}],\"vat_total\":\"1.00\"}", "vat_total"},
	    {"{\"items\":[1]}", "items[0]"},
	    {"{\"items\":[{" ITEM_OK ",\"colour\":\"red\"}]}", "items[0].colour"},
	    {"{\"items\":[{" ITEM_OK "},{" ITEM_OK "},{" ITEM_OK "},{\"name\":\"A\",\"unit\":"
	     "\"m2\",\"price\":1,\"quantity\":1,\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[3].unit"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":5,\"price\":1,\"quantity\":1,\"sum\":1,"
	     "\"vat_mode\":\"none\"}]}",
	     "items[0].unit"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":1,\"quantity\":1,\"sum\":1,"
	     "\"vat_mode\":\"vat5\"}]}",
	     "items[0].vat_mode"},
	    {"{\"items\":[{" ITEM_OK ",\"payment_method\":\"full\"}]}", "items[0].payment_method"},
	    {"{\"items\":[{" ITEM_OK ",\"payment_object\":\"goods\"}]}", "items[0].payment_object"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":-1,\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].price"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":\"1.00\",\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].price"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":1.005,\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].price"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":1,\"quantity\":0,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].quantity"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":1,\"quantity\":0.000,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].quantity"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"piece\",\"price\":1,\"quantity\":1,"
	     "\"sum\":-0.01,\"vat_mode\":\"none\"}]}",
	     "items[0].sum"},
	    {"{\"items\":[{" ITEM_OK ",\"vat_amount\":0}]}", "items[0].vat_amount"},
	    {"{\"items\":[{" ITEM_OK ",\"discount_rate\":0}]}", "items[0].discount_rate"},
	    {"{\"items\":[{" ITEM_OK ",\"discount_rate\":100.01}]}", "items[0].discount_rate"},
	    {"{\"items\":[{" ITEM_OK ",\"discount_amount\":0.00}]}", "items[0].discount_amount"},
	    {"{\"items\":[{" ITEM_OK ",\"code\":12}]}", "items[0].code"},
	    {"{\"items\":[{\"name\":\"\",\"unit\":\"piece\",\"price\":1,\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].name"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"service\",\"price\":1,\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\"}]}",
	     "items[0].payment_object"},
	    {"{\"items\":[{\"name\":\"A\",\"unit\":\"service\",\"price\":1,\"quantity\":1,"
	     "\"sum\":1,\"vat_mode\":\"none\",\"payment_object\":\"job\"}]}",
	     "items[0].payment_object"},
	    {"{\"items\":[{" ITEM_OK ",\"supplier_inn\":\"7707083894\"}]}",
	     "items[0].supplier_inn"},
	    {"{\"items\":[{" ITEM_OK ",\"supplier_inn\":\"500100732258\"}]}",
	     "items[0].supplier_inn"},
	    {"{\"items\":[{" ITEM_OK ",\"supplier_inn\":\"77070838931234\"}]}",
	     "items[0].supplier_inn"},
	    {"{\"items\":[{" ITEM_OK ",\"supplier_phone\":\"+790012345678901234567\"}]}",
	     "items[0].supplier_phone"},
	    {"{\"items\":[{" ITEM_OK ",\"supplier_phone\":\"+79001234567,\"}]}",
	     "items[0].supplier_phone"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct invoice inv;
		struct kerr err = {0};
		kstatus st = invoice_parse(cases[c].json, strlen(cases[c].json), &inv, &err);
		if (st == K_OK)
			fail_msg("case %zu accepted", c);
		if (strcmp(err.field, cases[c].field) != 0)
			fail_msg("case %zu: field %s, want %s (%s)", c, err.field, cases[c].field,
				 err.text);
		assert_null(inv.items);
		assert_int_equal(inv.n, 0);
	}
	/* Every required field, one missing at a time. */
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
		char json[512], body[256] = "";
		static const char *const parts[] = {"\"name\":\"A\"",  "\"price\":1",
						    "\"unit\":\"kg\"", "\"quantity\":1",
						    "\"sum\":1",       "\"vat_mode\":\"none\""};
		for (size_t p = 0; p < 6; p++)
			if (p != k) {
				if (body[0])
					strcat(body, ",");
				strcat(body, parts[p]);
			}
		snprintf(json, sizeof json, "{\"items\":[{%s}]}", body);
		struct invoice inv;
		struct kerr err = {0};
		assert_int_equal(invoice_parse(json, strlen(json), &inv, &err), K_INVALID);
		char want[64];
		snprintf(want, sizeof want, "items[0].%s", names[k]);
		assert_string_equal(err.field, want);
		assert_non_null(strstr(err.text, "missing"));
	}
}

static void invoice_parse__name_length_in_characters(void **state)
{
	(void)state;
	char name[257 * 2 + 1];
	char json[1024];
	for (size_t len = 255; len <= 257; len++) {
		name[0] = '\0';
		for (size_t i = 0; i < len; i++)
			strcat(name, "Ж"); /* two bytes each: 256 characters = 512 bytes */
		snprintf(
		    json, sizeof json,
		    "{\"items\":[{\"name\":\"%s\",\"unit\":\"piece\",\"price\":1,\"quantity\":1,"
		    "\"sum\":1,\"vat_mode\":\"none\"}]}",
		    name);
		struct invoice inv;
		struct kerr err = {0};
		kstatus st = invoice_parse(json, strlen(json), &inv, &err);
		if (len <= INVOICE_NAME_MAX_CHARS) {
			assert_int_equal(st, K_OK);
			assert_int_equal(strlen(inv.items[0].name), len * 2);
		} else {
			assert_int_equal(st, K_INVALID);
			assert_string_equal(err.field, "items[0].name");
			assert_non_null(strstr(err.text, "256"));
		}
		invoice_free(&inv);
	}
}

static struct basket_line line(const char *name, int64_t price, int64_t qty, enum vat v)
{
	struct basket_line l;
	basket_line_init(&l);
	snprintf(l.name, sizeof l.name, "%s", name);
	l.price = price;
	l.qty = qty;
	l.vat = v;
	l.vat_set = true;
	return l;
}

static void invoice_from_basket__builds_exact_json(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l1 = line("Маракуя", 34000, 1000, VAT_VAT18);
	snprintf(l1.code, sizeof l1.code, "21321312122");
	l1.unit = UNIT_KG;
	struct basket_line l2 = line("Кокос", 8500, 1000, VAT_VAT10);
	snprintf(l2.code, sizeof l2.code, "21321312123");
	struct basket_line l3 = line("Сыр", 89900, 455, VAT_VAT20);
	l3.unit = UNIT_KG;
	l3.discount = (struct discount){DISCOUNT_PERCENT, 1000}; /* 10% of 409.05 = 40.91 */
	l3.method = 4;
	l3.object = 1;
	struct basket_line l4 = line("Доставка", 30000, 1000, VAT_NONE);
	l4.object = 4;
	assert_int_equal(basket_add(&b, &l1, NULL), K_OK);
	assert_int_equal(basket_add(&b, &l2, NULL), K_OK);
	assert_int_equal(basket_add(&b, &l3, NULL), K_OK);
	assert_int_equal(basket_add(&b, &l4, NULL), K_OK);

	struct invoice inv;
	struct kerr err = {0};
	assert_int_equal(invoice_from_basket(&b, &inv, &err), K_OK);
	/* 368.14 x 20/120 = 61.3567 -> 61.36; total 51.86 + 7.73 + 61.36 */
	assert_int_equal(inv.items[2].sum, 36814);
	assert_int_equal(inv.items[2].discount_amount, 4091);
	assert_int_equal(inv.items[2].vat_amount, 6136);
	assert_int_equal(inv.vat_total, 5186 + 773 + 6136);
	char *text;
	assert_int_equal(invoice_build(&inv, &text, &err), K_OK);
	assert_string_equal(
	    text, "{\"items\":["
		  "{\"code\":\"21321312122\",\"name\":\"Маракуя\",\"unit\":\"kg\",\"price\":340.00,"
		  "\"quantity\":1,\"sum\":340.00,\"vat_mode\":\"vat18\",\"vat_amount\":51.86},"
		  "{\"code\":\"21321312123\",\"name\":\"Кокос\",\"unit\":\"piece\",\"price\":85.00,"
		  "\"quantity\":1,\"sum\":85.00,\"vat_mode\":\"vat10\",\"vat_amount\":7.73},"
		  "{\"name\":\"Сыр\",\"unit\":\"kg\",\"price\":899.00,\"quantity\":0.455,"
		  "\"sum\":368.14,\"vat_mode\":\"vat20\",\"vat_amount\":61.36,"
		  "\"discount_amount\":40.91,\"payment_method\":\"full_payment\","
		  "\"payment_object\":\"commodity\"},"
		  "{\"name\":\"Доставка\",\"unit\":\"piece\",\"price\":300.00,\"quantity\":1,"
		  "\"sum\":300.00,\"vat_mode\":\"none\",\"payment_object\":\"service\"}"
		  "],\"vat_total\":120.95}");
	/* What we build, our validator accepts, and it reads back the same. */
	struct invoice back;
	assert_int_equal(invoice_parse(text, strlen(text), &back, &err), K_OK);
	assert_int_equal(back.n, 4);
	assert_int_equal(back.items[2].sum, 36814);
	assert_int_equal(back.items[2].qty, 455);
	assert_int_equal(back.vat_total, inv.vat_total);
	invoice_free(&back);
	free(text);
	invoice_free(&inv);

	/* No VAT anywhere: no vat_amount, no vat_total. */
	basket_init(&b);
	struct basket_line free_line = line("Бесплатно", 0, 1000, VAT_NONE);
	assert_int_equal(basket_add(&b, &free_line, NULL), K_OK);
	assert_int_equal(invoice_from_basket(&b, &inv, &err), K_OK);
	assert_int_equal(invoice_build(&inv, &text, &err), K_OK);
	assert_string_equal(text,
			    "{\"items\":[{\"name\":\"Бесплатно\",\"unit\":\"piece\","
			    "\"price\":0.00,\"quantity\":1,\"sum\":0.00,\"vat_mode\":\"none\"}]}");
	free(text);
	invoice_free(&inv);
}

/*
 * Issue 15: vat110/vat120 meant "included" in receipts (10/110 of the sum)
 * and "on top" in invoice_data (10% of the sum). One meaning now: the VAT is
 * inside the sum on every wire, for the calculated rates as for the plain ones.
 */
static void vat_calculated_rates__one_meaning_across_wires(void **state)
{
	(void)state;
	struct basket b;
	basket_init(&b);
	struct basket_line l1 = line("Аванс 10", 11000, 1000, VAT_VAT110);
	struct basket_line l2 = line("Аванс 20", 12000, 1000, VAT_VAT120);
	struct basket_line l3 = line("Товар 10", 11000, 1000, VAT_VAT10);
	assert_int_equal(basket_add(&b, &l1, NULL), K_OK);
	assert_int_equal(basket_add(&b, &l2, NULL), K_OK);
	assert_int_equal(basket_add(&b, &l3, NULL), K_OK);
	assert_int_equal(basket_recalc(&b, NULL), K_OK);
	/* basket: the receipt's label is the calculated rate */
	assert_string_equal(vat_wire(VAT_VAT110), "vat110");
	assert_string_equal(vat_label(VAT_VAT110), "10/110");
	assert_string_equal(vat_label(VAT_VAT120), "20/120");
	/* invoice_data: the same codes, the VAT inside the sum */
	struct invoice inv;
	struct kerr err = {0};
	assert_int_equal(invoice_from_basket(&b, &inv, &err), K_OK);
	assert_int_equal(inv.items[0].vat, INVOICE_VAT_VAT110);
	assert_int_equal(inv.items[0].vat_amount, 1000); /* 110.00 x 10/110 */
	assert_int_equal(inv.items[1].vat, INVOICE_VAT_VAT120);
	assert_int_equal(inv.items[1].vat_amount, 2000); /* 120.00 x 20/120 */
	assert_int_equal(inv.items[2].vat_amount, inv.items[0].vat_amount);
	assert_int_equal(inv.vat_total, 4000);
	char *json = NULL;
	assert_int_equal(invoice_build(&inv, &json, &err), K_OK);
	assert_non_null(strstr(json, "\"vat_mode\":\"vat110\",\"vat_amount\":10.00"));
	free(json);
	invoice_free(&inv);
	/* PayKeeper's cart carries the same code */
	char *cart = NULL;
	assert_int_equal(paykeeper_cart_json(&b, &cart, &err), K_OK);
	assert_non_null(strstr(cart, "\"tax\":\"vat110\""));
	assert_non_null(strstr(cart, "\"tax\":\"vat120\""));
	free(cart);
}

static void invoice_from_basket__refuses_what_the_schema_cannot_carry(void **state)
{
	(void)state;
	static const struct {
		const char *what, *field;
	} cases[] = {
	    {"m2", "items[1].unit"},
	    {"vat22", "items[1].vat_mode"},
	    {"vat105", "items[1].vat_mode"},
	    {"no vat", "items[1].vat_mode"},
	    {"object 33", "items[1].payment_object"},
	    {"method 8", "items[1].payment_method"},
	    {"empty", "items"},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct basket b;
		basket_init(&b);
		struct basket_line ok = line("A", 100, 1000, VAT_NONE);
		struct basket_line l = line("B", 100, 1000, VAT_VAT20);
		switch (c) {
		case 0:
			l.unit = UNIT_M2;
			break;
		case 1:
			l.vat = VAT_VAT22;
			break;
		case 2:
			l.vat = VAT_VAT105;
			break;
		case 3:
			l.vat_set = false;
			break;
		case 4:
			l.object = 33;
			break;
		case 5:
			l.method = 8;
			break;
		}
		if (c != 6) {
			assert_int_equal(basket_add(&b, &ok, NULL), K_OK);
			/* The basket may refuse some of these itself; then set them after. */
			if (basket_add(&b, &l, NULL) != K_OK) {
				struct basket_line plain = line("B", 100, 1000, VAT_VAT20);
				assert_int_equal(basket_add(&b, &plain, NULL), K_OK);
				b.lines[1] = l;
				b.lines[1].sum = b.lines[1].gross = 100;
			}
		}
		struct invoice inv;
		struct kerr err = {0};
		kstatus st = invoice_from_basket(&b, &inv, &err);
		if (st == K_OK)
			fail_msg("%s: accepted", cases[c].what);
		if (strcmp(err.field, cases[c].field) != 0)
			fail_msg("%s: field %s, want %s", cases[c].what, err.field, cases[c].field);
		assert_null(inv.items);
	}
}

static void invoice_validate__struct_bounds(void **state)
{
	(void)state;
	struct invoice inv = {0};
	struct kerr err = {0};
	assert_int_equal(invoice_validate(&inv, &err), K_INVALID);
	assert_string_equal(err.field, "items");
	inv.items = calloc(INVOICE_MAX_ITEMS + 1, sizeof *inv.items);
	assert_non_null(inv.items);
	for (size_t i = 0; i <= INVOICE_MAX_ITEMS; i++) {
		snprintf(inv.items[i].name, sizeof inv.items[i].name, "Item %zu", i);
		inv.items[i].qty = 1000;
	}
	inv.n = INVOICE_MAX_ITEMS;
	assert_int_equal(invoice_validate(&inv, &err), K_OK);
	inv.n = INVOICE_MAX_ITEMS + 1;
	assert_int_equal(invoice_validate(&inv, &err), K_INVALID);
	assert_string_equal(err.field, "items");
	assert_non_null(strstr(err.text, "100"));
	inv.n = 3;
	inv.items[2].qty = 0;
	assert_int_equal(invoice_validate(&inv, &err), K_INVALID);
	assert_string_equal(err.field, "items[2].quantity");
	inv.items[2].qty = 1000;
	inv.items[1].unit = INVOICE_UNIT_SERVICE;
	assert_int_equal(invoice_validate(&inv, &err), K_INVALID);
	assert_string_equal(err.field, "items[1].payment_object");
	inv.items[1].object = 4;
	assert_int_equal(invoice_validate(&inv, &err), K_OK);
	char *text;
	inv.items[0].price = -1;
	assert_int_equal(invoice_build(&inv, &text, &err), K_INVALID);
	assert_null(text);
	assert_string_equal(err.field, "items[0].price");
	free(inv.items);
}

static void invoice_names__round_trip(void **state)
{
	(void)state;
	for (int u = 0; u < INVOICE_UNIT_COUNT; u++) {
		enum invoice_unit got;
		assert_true(invoice_unit_parse(invoice_unit_wire((enum invoice_unit)u), &got));
		assert_int_equal(got, u);
	}
	for (int v = 0; v < INVOICE_VAT_COUNT; v++) {
		enum invoice_vat got;
		assert_true(invoice_vat_parse(invoice_vat_wire((enum invoice_vat)v), &got));
		assert_int_equal(got, v);
	}
	assert_string_equal(invoice_method_wire(1), "full_prepayment");
	assert_string_equal(invoice_method_wire(7), "credit_payment");
	assert_null(invoice_method_wire(0));
	assert_null(invoice_method_wire(8));
	assert_string_equal(invoice_object_wire(1), "commodity");
	assert_string_equal(invoice_object_wire(13), "another");
	assert_null(invoice_object_wire(14));
	enum invoice_unit u;
	assert_false(invoice_unit_parse("m2", &u));
	assert_false(invoice_unit_parse("", &u));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(invoice_vat_amount__table),
	    cmocka_unit_test(vat_calculated_rates__one_meaning_across_wires),
	    cmocka_unit_test(invoice_parse__accepts_seed_examples),
	    cmocka_unit_test(invoice_parse__item_count_bounds),
	    cmocka_unit_test(invoice_parse__schema_violations_name_the_path),
	    cmocka_unit_test(invoice_parse__name_length_in_characters),
	    cmocka_unit_test(invoice_from_basket__builds_exact_json),
	    cmocka_unit_test(invoice_from_basket__refuses_what_the_schema_cannot_carry),
	    cmocka_unit_test(invoice_validate__struct_bounds),
	    cmocka_unit_test(invoice_names__round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
