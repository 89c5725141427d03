/* Tests for tui/entry.c: the sale screen's entry grammar and catalog look-up. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "demo_catalog.h"
#include "entry.h"

struct entry_case {
	const char *text;
	kstatus st;
	enum entry_kind kind;
	int64_t qty;
	bool qty_given;
	const char *query;
};

static void entry_parse__grammar__table(void **state)
{
	(void)state;
	static const struct entry_case cases[] = {
	    /* Edge cases first. */
	    {"", K_OK, ENTRY_EMPTY, 0, false, ""},
	    {"   ", K_OK, ENTRY_EMPTY, 0, false, ""},
	    {"+", K_OK, ENTRY_INC, 0, false, ""},
	    {" - ", K_OK, ENTRY_DEC, 0, false, ""},
	    {"*", K_INVALID, 0, 0, false, NULL},
	    {"*0", K_INVALID, 0, 0, false, NULL},
	    {"*-1", K_INVALID, 0, 0, false, NULL},
	    {"*1.2345", K_INVALID, 0, 0, false, NULL},
	    {"*abc", K_INVALID, 0, 0, false, NULL},
	    {"0*1001", K_INVALID, 0, 0, false, NULL},
	    {"x*1001", K_INVALID, 0, 0, false, NULL},
	    {"3*1001*2", K_INVALID, 0, 0, false, NULL},
	    /* Set the selected line's quantity. */
	    {"*3", K_OK, ENTRY_SET_QTY, 3000, true, ""},
	    {"* 2,5", K_OK, ENTRY_SET_QTY, 2500, true, ""},
	    {"*0.455", K_OK, ENTRY_SET_QTY, 455, true, ""},
	    /* Quantity and item. */
	    {"3*1001", K_OK, ENTRY_ITEM, 3000, true, "1001"},
	    {"0.455*1003", K_OK, ENTRY_ITEM, 455, true, "1003"},
	    {"0,455 * Яблоки", K_OK, ENTRY_ITEM, 455, true, "Яблоки"},
	    {"2*Молоко 3,2% 1 л", K_OK, ENTRY_ITEM, 2000, true, "Молоко 3,2% 1 л"},
	    /* A quantity for the next item. */
	    {"3*", K_OK, ENTRY_PENDING_QTY, 3000, true, ""},
	    {"0.455", K_OK, ENTRY_PENDING_QTY, 455, true, ""},
	    {"1,5", K_OK, ENTRY_PENDING_QTY, 1500, true, ""},
	    /* A bare integer is a code, not a quantity. */
	    {"1001", K_OK, ENTRY_ITEM, 0, false, "1001"},
	    {"4601234567890", K_OK, ENTRY_ITEM, 0, false, "4601234567890"},
	    {"  молоко  ", K_OK, ENTRY_ITEM, 0, false, "молоко"},
	    {"Кока-кола", K_OK, ENTRY_ITEM, 0, false, "Кока-кола"},
	    {"bad\x01name", K_INVALID, 0, 0, false, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct entry_case *c = &cases[i];
		struct entry e;
		struct kerr err = {0};
		kstatus st = entry_parse(c->text, &e, &err);
		if (st != c->st)
			fail_msg("'%s': status %d, want %d (%s)", c->text, st, c->st, err.text);
		if (st != K_OK) {
			if (!err.text[0])
				fail_msg("'%s': refused without a message", c->text);
			continue;
		}
		if (e.kind != c->kind)
			fail_msg("'%s': kind %d, want %d", c->text, e.kind, c->kind);
		assert_int_equal(e.qty_given, c->qty_given);
		if (c->qty_given)
			assert_int_equal(e.qty, c->qty);
		assert_string_equal(e.query, c->query);
	}
}

static void entry_parse__refusal__names_quantity(void **state)
{
	(void)state;
	struct entry e;
	struct kerr err = {0};
	assert_int_equal(entry_parse("*0", &e, &err), K_INVALID);
	assert_string_equal(err.field, "quantity");
	assert_non_null(strstr(err.text, "F7"));
}

struct disc_case {
	const char *text;
	kstatus st;
	enum discount_type type;
	int64_t value;
};

static void entry_parse_discount__forms__table(void **state)
{
	(void)state;
	static const struct disc_case cases[] = {
	    {"", K_INVALID, 0, 0},
	    {"%", K_INVALID, 0, 0},
	    {"101%", K_INVALID, 0, 0},
	    {"-5", K_INVALID, 0, 0},
	    {"10.555", K_INVALID, 0, 0},
	    {"0", K_OK, DISCOUNT_NONE, 0},
	    {"0%", K_OK, DISCOUNT_NONE, 0},
	    {"10%", K_OK, DISCOUNT_PERCENT, 1000},
	    {" 12,5 % ", K_OK, DISCOUNT_PERCENT, 1250},
	    {"100%", K_OK, DISCOUNT_PERCENT, 10000},
	    {"150", K_OK, DISCOUNT_AMOUNT, 15000},
	    {"150,50", K_OK, DISCOUNT_AMOUNT, 15050},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct disc_case *c = &cases[i];
		struct discount d = {DISCOUNT_NONE, -1};
		struct kerr err = {0};
		kstatus st = entry_parse_discount(c->text, &d, &err);
		if (st != c->st)
			fail_msg("'%s': status %d, want %d (%s)", c->text, st, c->st, err.text);
		if (st != K_OK)
			continue;
		if (d.type != c->type || d.value != c->value)
			fail_msg("'%s': %d/%lld, want %d/%lld", c->text, d.type, (long long)d.value,
				 c->type, (long long)c->value);
	}
}

static const struct catalog_item items[] = {
    {"1001", "Хлеб белый", 5000, UNIT_PIECE, VAT_VAT10, 1},
    {"1002", "Молоко 3,2%", 9000, UNIT_PIECE, VAT_VAT10, 1},
    {"1003", "Молоко 1,5%", 8500, UNIT_PIECE, VAT_VAT10, 1},
    {"1004", "Ёжики в тумане", 100, UNIT_PIECE, VAT_VAT20, 1},
    {"10041", "Мёд", 50000, UNIT_KG, VAT_VAT10, 1},
    {"2001", "Шоколадное молоко", 7000, UNIT_PIECE, VAT_VAT20, 1},
};
#define N_ITEMS (sizeof items / sizeof items[0])

struct lookup_case {
	const char *query;
	const char *want_code; /* NULL: no single match */
	size_t count;
};

static void entry_lookup__levels__table(void **state)
{
	(void)state;
	static const struct lookup_case cases[] = {
	    {"", NULL, 0},	     {"9999", NULL, 0}, /* unknown code: not searched in names */
	    {"1004", "1004", 1}, /* exact code wins over the code prefix of 10041 */
	    {"10041", "10041", 1},   {"хлеб белый", "1001", 1}, /* exact name, any case */
	    {"ХЛЕБ", "1001", 1},				/* unique prefix */
	    {"молоко", NULL, 2},				/* two names start with it */
	    {"молоко 3", "1002", 1}, {"ежики", "1004", 1},	/* ё and е are the same */
	    {"мед", "10041", 1},     {"шоколадное", "2001", 1},
	    {"туман", "1004", 1}, /* unique part of a name */
	    {"ко", NULL, 3},	  /* part of three names */
	    {"нет такого", NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct lookup_case *c = &cases[i];
		size_t count = 99;
		const struct catalog_item *it = entry_lookup(items, N_ITEMS, c->query, &count);
		if (c->want_code) {
			if (!it)
				fail_msg("'%s': no match (count %zu), want %s", c->query, count,
					 c->want_code);
			assert_string_equal(it->code, c->want_code);
		} else if (it) {
			fail_msg("'%s': matched %s, want none", c->query, it->code);
		}
		if (count != c->count)
			fail_msg("'%s': count %zu, want %zu", c->query, count, c->count);
	}
}

static void entry_search__prefix_first__then_parts(void **state)
{
	(void)state;
	const struct catalog_item *out[8];
	size_t n = entry_search(items, N_ITEMS, "молоко", out, 8);
	assert_int_equal(n, 3);
	assert_string_equal(out[0]->code, "1002");
	assert_string_equal(out[1]->code, "1003");
	assert_string_equal(out[2]->code, "2001"); /* contains, so after the prefixes */
	assert_int_equal(entry_search(items, N_ITEMS, "", out, 8), N_ITEMS);
	assert_int_equal(entry_search(items, N_ITEMS, "", out, 2), 2);
	n = entry_search(items, N_ITEMS, "100", out, 8);
	assert_int_equal(n, 5); /* code prefixes */
}

static void demo_catalog__items__are_valid_lines(void **state)
{
	(void)state;
	size_t n;
	const struct catalog_item *it = demo_catalog(&n);
	assert_true(n >= 10);
	bool kg = false;
	for (size_t i = 0; i < n; i++) {
		struct basket_line l;
		basket_line_init(&l);
		strncpy(l.name, it[i].name, sizeof l.name - 1);
		l.price = it[i].price;
		l.unit = it[i].unit;
		l.vat = it[i].vat;
		l.vat_set = true;
		struct kerr err = {0};
		if (basket_check_line(&l, &err) != K_OK)
			fail_msg("%s: %s", it[i].code, err.text);
		assert_true(entry_is_code(it[i].code));
		kg |= it[i].unit == UNIT_KG;
		size_t count;
		assert_ptr_equal(entry_lookup(it, n, it[i].code, &count), &it[i]);
	}
	assert_true(kg);
}

int main(void)
{
	setlocale(LC_ALL, "");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(entry_parse__grammar__table),
	    cmocka_unit_test(entry_parse__refusal__names_quantity),
	    cmocka_unit_test(entry_parse_discount__forms__table),
	    cmocka_unit_test(entry_lookup__levels__table),
	    cmocka_unit_test(entry_search__prefix_first__then_parts),
	    cmocka_unit_test(demo_catalog__items__are_valid_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
