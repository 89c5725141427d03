/* Tests for lib/basket_json.c: the open basket as text and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "basket_json.h"
#include "util.h"

static void add(struct basket *b, const char *name, int64_t price, int64_t qty, enum unit u)
{
	struct basket_line l;
	basket_line_init(&l);
	str_copy(l.name, name, sizeof l.name);
	l.price = price;
	l.qty = qty;
	l.unit = u;
	assert_int_equal(basket_add(b, &l, NULL), K_OK);
}

static void basket_snapshot__round_trip__keeps_lines_discounts_and_pay(void **state)
{
	(void)state;
	struct basket_snapshot *s = xcalloc(1, sizeof *s);
	basket_init(&s->basket);
	add(&s->basket, "Хлеб «Бородинский» 400 г", 5490, 1000, UNIT_PIECE);
	add(&s->basket, "Яблоки Гала", 14900, 455, UNIT_KG);
	add(&s->basket, "Кофе", 45900, 1000, UNIT_PIECE);
	add(&s->basket, "Монитор", 9999999999LL, 1000, UNIT_PIECE);
	struct basket_line *l = &s->basket.lines[2];
	l->vat = VAT_VAT20;
	l->vat_set = true;
	l->object = 1;
	str_copy(l->code, "1006", sizeof l->code);
	str_copy(l->marking,
		 "0104601234567890215abc\x1d"
		 "93dGVz",
		 sizeof l->marking);
	assert_int_equal(
	    basket_set_discount(&s->basket, 2, (struct discount){DISCOUNT_PERCENT, 1000}, NULL),
	    K_OK);
	assert_int_equal(
	    basket_set_receipt_discount(&s->basket, (struct discount){DISCOUNT_AMOUNT, 100}, NULL),
	    K_OK);
	s->pay_open = true;
	s->pay_kind = DOC_NONFISCAL;
	str_copy(s->cash, "500", sizeof s->cash);
	str_copy(s->card, "#", sizeof s->card);
	char *text = basket_snapshot_dump(s);
	assert_null(strstr(text, "e+")); /* no floating point anywhere */
	struct basket_snapshot *back = xcalloc(1, sizeof *back);
	struct kerr err = {0};
	assert_int_equal(basket_snapshot_load(text, back, &err), K_OK);
	assert_int_equal(back->basket.n, 4);
	assert_int_equal(back->basket.total, s->basket.total);
	assert_int_equal(back->basket.discount, s->basket.discount);
	assert_string_equal(back->basket.lines[0].name, "Хлеб «Бородинский» 400 г");
	assert_int_equal(back->basket.lines[1].qty, 455);
	assert_int_equal(back->basket.lines[1].unit, UNIT_KG);
	assert_int_equal(back->basket.lines[3].price, 9999999999LL);
	assert_true(back->basket.lines[2].vat_set);
	assert_int_equal(back->basket.lines[2].vat, VAT_VAT20);
	assert_false(back->basket.lines[0].vat_set);
	assert_string_equal(back->basket.lines[2].code, "1006");
	assert_string_equal(back->basket.lines[2].marking, s->basket.lines[2].marking);
	assert_int_equal(back->basket.lines[2].discount.type, DISCOUNT_PERCENT);
	assert_int_equal(back->basket.receipt_discount.value, 100);
	assert_true(back->pay_open);
	assert_int_equal(back->pay_kind, DOC_NONFISCAL);
	assert_string_equal(back->cash, "500");
	assert_string_equal(back->card, "#");
	free(text);
	free(back);
	free(s);
}

static void basket_snapshot_load__bad_text__refused_naming_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *text, *field;
	} cases[] = {
	    {"", ""},
	    {"[]", "basket"},
	    {"{\"v\":1}", "basket"},
	    {"{\"v\":2,\"lines\":[]}", "v"},
	    {"{\"v\":1,\"lines\":[{\"name\":\"x\"}]}", "lines[0]"},
	    {"{\"v\":1,\"lines\":[{\"name\":\"x\",\"price\":-5,\"qty\":1000,\"unit\":\"piece\","
	     "\"method\":0,\"object\":0,\"code\":\"\",\"marking\":\"\"}]}",
	     "price"},
	    {"{\"v\":1,\"lines\":[{\"name\":\"x\",\"price\":5,\"qty\":1000,\"unit\":\"bag\","
	     "\"method\":0,\"object\":0,\"code\":\"\",\"marking\":\"\"}]}",
	     "lines[0]"},
	    {"{\"v\":1,\"lines\":[],\"pay\":{\"kind\":\"z-report\",\"cash\":\"\",\"card\":\"\"}}",
	     "pay"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct basket_snapshot *s = xcalloc(1, sizeof *s);
		struct kerr err = {0};
		assert_int_not_equal(basket_snapshot_load(cases[i].text, s, &err), K_OK);
		assert_int_equal(s->basket.n, 0);
		assert_false(s->pay_open);
		if (cases[i].field[0] && !strstr(err.field, cases[i].field))
			fail_msg("case %zu: field \"%s\", want \"%s\" (%s)", i, err.field,
				 cases[i].field, err.text);
		free(s);
	}
}

static void basket_snapshot__empty_basket__round_trips_without_pay(void **state)
{
	(void)state;
	struct basket_snapshot *s = xcalloc(1, sizeof *s);
	basket_init(&s->basket);
	char *text = basket_snapshot_dump(s);
	struct basket_snapshot *back = xcalloc(1, sizeof *back);
	assert_int_equal(basket_snapshot_load(text, back, NULL), K_OK);
	assert_int_equal(back->basket.n, 0);
	assert_false(back->pay_open);
	free(text);
	free(back);
	free(s);
}

/* Seed 002: the pay dialog's settlement and the part taken now come back too; old text still loads.
 */
static void basket_snapshot__settlement__round_trips_and_old_text_loads(void **state)
{
	(void)state;
	struct basket_snapshot *s = xcalloc(1, sizeof *s);
	basket_init(&s->basket);
	add(&s->basket, "Чайник", 60000, 1000, UNIT_PIECE);
	s->pay_open = true;
	s->pay_kind = DOC_RECEIPT;
	str_copy(s->cash, "#", sizeof s->cash);
	s->settle = 2;
	str_copy(s->now, "300", sizeof s->now);
	char *text = basket_snapshot_dump(s);
	struct basket_snapshot *back = xcalloc(1, sizeof *back);
	assert_int_equal(basket_snapshot_load(text, back, NULL), K_OK);
	assert_int_equal(back->settle, 2);
	assert_string_equal(back->now, "300");
	assert_string_equal(back->cash, "#");
	free(text);
	struct kerr err = {0};
	assert_int_equal(basket_snapshot_load("{\"v\":1,\"lines\":[],\"pay\":{\"kind\":"
					      "\"receipt\",\"cash\":\"5\",\"card\":\"\"}}",
					      back, &err),
			 K_OK);
	assert_int_equal(back->settle, 0);
	assert_string_equal(back->now, "");
	assert_int_not_equal(
	    basket_snapshot_load("{\"v\":1,\"lines\":[],\"pay\":{\"kind\":\"receipt\",\"cash\":"
				 "\"\",\"card\":\"\",\"settle\":9,\"now\":\"\"}}",
				 back, &err),
	    K_OK);
	assert_string_equal(err.field, "pay.settle");
	free(back);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(basket_snapshot__round_trip__keeps_lines_discounts_and_pay),
	    cmocka_unit_test(basket_snapshot_load__bad_text__refused_naming_the_field),
	    cmocka_unit_test(basket_snapshot__empty_basket__round_trips_without_pay),
	    cmocka_unit_test(basket_snapshot__settlement__round_trips_and_old_text_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
