/* Tests for lib/document.c: names, helpers and every validation rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "document.h"
#include "util.h"

static void doc_kind__names_round_trip(void **state)
{
	(void)state;
	static const struct {
		enum doc_kind k;
		const char *wire, *path;
		bool basket;
	} cases[] = {
	    {DOC_RECEIPT, "receipt", "/cloud-print/create-receipt", true},
	    {DOC_NONFISCAL, "non-fiscal", "/cloud-print/create-non-fiscal-receipt", true},
	    {DOC_CORRECTION, "correction", "/cloud-print/create-receipt-correction", true},
	    {DOC_OPEN_SHIFT, "open-shift", "/cloud-print/create-session", false},
	    {DOC_X_REPORT, "x-report", "/cloud-print/create-x-report", false},
	    {DOC_Z_REPORT, "z-report", "/cloud-print/create-z-report", false},
	    {DOC_CASH_IN, "cash-in", "/cloud-print/cash-in", false},
	    {DOC_CASH_OUT, "cash-out", "/cloud-print/cash-out", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum doc_kind k;
		assert_string_equal(doc_kind_wire(cases[i].k), cases[i].wire);
		assert_string_equal(doc_kind_path(cases[i].k), cases[i].path);
		assert_true(doc_kind_parse(cases[i].wire, &k));
		assert_int_equal(k, cases[i].k);
		assert_int_equal(doc_kind_has_basket(k), cases[i].basket);
		assert_true(strlen(doc_kind_label(k)) > 0);
	}
	enum doc_kind k = DOC_RECEIPT;
	assert_false(doc_kind_parse("Receipt", &k));
	assert_false(doc_kind_parse("", &k));
	assert_false(doc_kind_parse(NULL, &k));
	assert_string_equal(doc_kind_path((enum doc_kind)99), "");
}

static void receipt_type_tax_mode__names_round_trip(void **state)
{
	(void)state;
	static const struct {
		enum receipt_type t;
		const char *lp, *pk;
	} types[] = {
	    {RT_PAYMENT, "payment", "sale"},
	    {RT_REFUND, "refund", "refund"},
	    {RT_BUY, "buy", "expense"},
	    {RT_BUY_REFUND, "buy_refund", "expense-refund"},
	};
	for (size_t i = 0; i < 4; i++) {
		enum receipt_type t;
		assert_string_equal(receipt_type_lifepay(types[i].t), types[i].lp);
		assert_string_equal(receipt_type_paykeeper(types[i].t), types[i].pk);
		assert_true(receipt_type_parse(types[i].lp, &t));
		assert_int_equal(t, types[i].t);
	}
	enum receipt_type t;
	assert_false(receipt_type_parse("sale", &t));
	assert_false(receipt_type_parse("PAYMENT", &t));

	static const char *const taxes[] = {"osn", "usn6", "usn15", "eshn", "patent"};
	for (size_t i = 0; i < 5; i++) {
		enum tax_system ts;
		assert_true(tax_system_parse(taxes[i], &ts));
		assert_string_equal(tax_system_wire(ts), taxes[i]);
	}
	enum tax_system ts;
	assert_false(tax_system_parse("envd", &ts));
	assert_true(tax_system_parse("", &ts));
	assert_int_equal(ts, TAX_DEFAULT);

	static const char *const modes[] = {"email", "print", "print_email"};
	for (size_t i = 0; i < 3; i++) {
		enum receipt_mode m;
		assert_true(receipt_mode_parse(modes[i], &m));
		assert_string_equal(receipt_mode_wire(m), modes[i]);
	}
	enum receipt_mode m;
	assert_false(receipt_mode_parse("sms", &m));
}

static void document_init__defaults(void **state)
{
	(void)state;
	struct document d;
	memset(&d, 0x5a, sizeof d);
	document_init(&d, DOC_Z_REPORT);
	assert_int_equal(d.kind, DOC_Z_REPORT);
	assert_int_equal(d.type, RT_PAYMENT);
	assert_int_equal(d.basket.n, 0);
	assert_int_equal(d.tax_system, TAX_DEFAULT);
	assert_int_equal(d.mode, MODE_DEFAULT);
	assert_null(d.callback_data_json);
	assert_string_equal(d.ext_id, "");
	assert_false(d.test);
}

static void document_assign_ext_id__fresh_uuid__kept_when_set(void **state)
{
	(void)state;
	struct document a, b;
	document_init(&a, DOC_RECEIPT);
	document_init(&b, DOC_RECEIPT);
	document_assign_ext_id(&a);
	document_assign_ext_id(&b);
	assert_int_equal(strlen(a.ext_id), 36);
	assert_true(document_uuid_valid(a.ext_id));
	assert_string_not_equal(a.ext_id, b.ext_id);
	for (const char *p = a.ext_id; *p; p++)
		assert_false(*p >= 'A' && *p <= 'F'); /* lower case */
	char before[EXT_ID_MAX + 1];
	strcpy(before, a.ext_id);
	document_assign_ext_id(&a);
	assert_string_equal(a.ext_id, before);
	strcpy(b.ext_id, "order-17");
	document_assign_ext_id(&b);
	assert_string_equal(b.ext_id, "order-17");
}

static void document_copy__duplicates_callback_data(void **state)
{
	(void)state;
	struct document a, b;
	document_init(&a, DOC_RECEIPT);
	a.callback_data_json = xstrdup("{\"order\":17}");
	strcpy(a.cashier_name, "Иванова");
	document_copy(&b, &a);
	assert_ptr_not_equal(a.callback_data_json, b.callback_data_json);
	assert_string_equal(b.callback_data_json, "{\"order\":17}");
	assert_string_equal(b.cashier_name, "Иванова");
	document_free(&a);
	assert_null(a.callback_data_json);
	document_free(&a); /* twice is harmless */
	assert_string_equal(b.callback_data_json, "{\"order\":17}");
	document_copy(&b, &b);
	assert_string_equal(b.callback_data_json, "{\"order\":17}");
	document_free(&b);
}

static void document_normalize_phone__table(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"79101234567", "79101234567"},	{"+7 (910) 123-45-67", "79101234567"},
	    {"8 910 123 45 67", "79101234567"}, {"9101234567", "79101234567"},
	    {"  +79101234567", "79101234567"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char out[32];
		struct kerr err = {0};
		if (document_normalize_phone(ok[i].in, out, sizeof out, &err) != K_OK)
			fail_msg("'%s': %s", ok[i].in, err.text);
		assert_string_equal(out, ok[i].out);
	}
	static const char *const bad[] = {
	    "",
	    "+",
	    "7910123456",
	    "791012345678",
	    "+8 910 123 45 67",
	    "+9101234567",
	    "1234567890",
	    "7910123456a",
	    "7910.123.45.67",
	    "+7 910 123 45 67 890 12 34 56",
	    "69101234567",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char out[32] = "unchanged";
		struct kerr err = {0};
		assert_int_not_equal(document_normalize_phone(bad[i], out, sizeof out, &err), K_OK);
		assert_string_equal(err.field, "customer_phone");
		assert_true(strlen(err.text) > 0);
		assert_string_equal(out, "unchanged");
	}
	char tiny[5];
	assert_int_equal(document_normalize_phone("79101234567", tiny, sizeof tiny, NULL),
			 K_OVERFLOW);
}

static void document_uuid_inn_date__table(void **state)
{
	(void)state;
	assert_true(document_uuid_valid("84fefc72-cbc5-5cc1-ba40-d00f035f05cb"));
	assert_true(document_uuid_valid("84FEFC72-CBC5-5CC1-BA40-D00F035F05CB"));
	assert_false(document_uuid_valid(""));
	assert_false(document_uuid_valid("84fefc72cbc55cc1ba40d00f035f05cb"));
	assert_false(document_uuid_valid("84fefc72-cbc5-5cc1-ba40-d00f035f05c"));
	assert_false(document_uuid_valid("84fefc72-cbc5-5cc1-ba40-d00f035f05cbb"));
	assert_false(document_uuid_valid("84fefc72-cbc5-5cc1-ba40-d00f035f05cg"));
	assert_false(document_uuid_valid("84fefc72-cbc5-5cc1_ba40-d00f035f05cb"));

	assert_true(document_inn_valid("500100732259"));
	assert_true(document_inn_valid("7707083893"));
	assert_false(document_inn_valid("500100732258"));
	assert_false(document_inn_valid("7707083894"));
	assert_false(document_inn_valid("123456789012"));
	assert_false(document_inn_valid("50010073225"));
	assert_false(document_inn_valid("50010073225a"));
	assert_false(document_inn_valid(""));

	static const struct {
		const char *s;
		bool ok;
	} dates[] = {
	    {"2024-02-29", true},  {"2023-02-29", false}, {"2000-02-29", true},
	    {"1900-02-29", false}, {"2024-12-31", true},  {"2024-13-01", false},
	    {"2024-00-10", false}, {"2024-04-31", false}, {"2024-4-30", false},
	    {"2024/04/30", false}, {"", false},		  {"2024-04-30 ", false},
	};
	for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
		assert_int_equal(document_date_valid(dates[i].s), dates[i].ok);
}

static void document_check_text__table(void **state)
{
	(void)state;
	struct kerr err = {0};
	assert_int_equal(document_check_text("", 5, "f", &err), K_OK);
	assert_int_equal(document_check_text("Ёжик", 4, "f", &err), K_OK);
	assert_int_equal(document_check_text("Ёжики", 4, "f", &err), K_INVALID);
	assert_string_equal(err.field, "f");
	assert_int_equal(document_check_text("a\tb", 0, "g", &err), K_INVALID);
	assert_string_equal(err.field, "g");
	assert_int_equal(document_check_text("\x01\x02\x03"
					     "12.5",
					     0, "h", &err),
			 K_INVALID);
	assert_int_equal(document_check_text("a\x7f", 0, "h", &err), K_INVALID);
	assert_int_equal(document_check_text("\xd0", 0, "i", &err), K_INVALID);
	assert_string_equal(err.field, "i");
}

static void document_field_allowed__table(void **state)
{
	(void)state;
	static const struct {
		const char *field;
		const char *kinds; /* one letter per kind: R N C O X Z I U */
	} cases[] = {
	    {"apikey", "RNCOXZIU"},
	    {"ext_id", "RNCOXZIU"},
	    {"target_serial", "RNCOXZIU"},
	    {"callback_data", "RNCOXZIU"},
	    {"purchase", "RNC"},
	    {"card_amount", "RNC"},
	    {"payment_place", "RN"},
	    {"pos", "RN"},
	    {"ref_uuid", "RN"},
	    {"customer_email", "RC"}, /* C: PayKeeper corrections only */
	    {"mode", "R"},
	    {"cashier_name", "RNCOZ"},
	    {"cashier_inn", "RCOZ"},
	    {"amount", "IU"},
	    {"initiator", "C"},
	    {"doc_date", "C"},
	    {"nonsense", ""},
	};
	static const char letters[] = "RNCOXZIU";
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (int k = 0; k < DOC_KIND_COUNT; k++) {
			bool want = strchr(cases[i].kinds, letters[k]) != NULL;
			if (document_field_allowed((enum doc_kind)k, cases[i].field) != want)
				fail_msg("%s on %s: want %d", cases[i].field, letters + k, want);
		}
	assert_false(document_field_allowed((enum doc_kind)99, "apikey"));
	assert_false(document_field_allowed(DOC_RECEIPT, NULL));
}

/* The seed's worked example (non-fiscal receipt page) as a document. */
static void seed_document(struct document *d)
{
	document_init(d, DOC_NONFISCAL);
	struct basket_line *l = &d->basket.lines[0];
	basket_line_init(l);
	strcpy(l->name, "Монитор DELL U2412M");
	l->price = 2073000;
	l->discount = (struct discount){DISCOUNT_PERCENT, 1000};
	l = &d->basket.lines[1];
	basket_line_init(l);
	strcpy(l->name, "Сканер Canon CanoScan LiDE 120");
	l->price = 371000;
	l->discount = (struct discount){DISCOUNT_PERCENT, 1000};
	d->basket.n = 2;
	d->pay.cash = (struct pay_amount){PAY_AMOUNT, 1000000};
	d->pay.card = (struct pay_amount){PAY_REMAINDER, 0};
	strcpy(d->payment_place, "м. Автозаводская (центр зала)");
}

static void document_validate__seed_example__card_is_remainder(void **state)
{
	(void)state;
	struct document d;
	struct kerr err;
	seed_document(&d);
	if (document_validate(&d, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	assert_int_equal(d.basket.total, 2199600);
	assert_int_equal(d.basket.lines[0].sum, 1865700);
	assert_int_equal(d.basket.lines[1].sum, 333900);
	assert_int_equal(d.resolved.card, 1199600);
	assert_int_equal(d.resolved.cash, 1000000);
	assert_int_equal(d.resolved.change, 0);
	assert_int_equal(err.code, 0);
	/* "#" is kept as written */
	assert_int_equal(d.pay.card.kind, PAY_REMAINDER);
}

static void valid_receipt(struct document *d)
{
	document_init(d, DOC_RECEIPT);
	struct basket_line *l = &d->basket.lines[0];
	basket_line_init(l);
	strcpy(l->name, "Хлеб");
	l->price = 5000;
	l->qty = 2000;
	l = &d->basket.lines[1];
	basket_line_init(l);
	strcpy(l->name, "Сыр");
	l->price = 70000;
	l->qty = 455;
	l->unit = UNIT_KG;
	d->basket.n = 2;
	d->pay.card = (struct pay_amount){PAY_REMAINDER, 0};
}

/* Each mutation breaks one rule of a valid document. */
typedef void (*mutate_fn)(struct document *d);

#define MUT(name, body)                                                                            \
	static void mut_##name(struct document *d)                                                 \
	{                                                                                          \
		body;                                                                              \
	}

MUT(no_products, d->basket.n = 0)
MUT(qty_zero, d->basket.lines[1].qty = 0)
MUT(empty_name, strcpy(d->basket.lines[0].name, "   "))
MUT(long_name, memset(d->basket.lines[0].name, 'x', 129); d->basket.lines[0].name[129] = 0)
MUT(control_name, strcpy(d->basket.lines[1].name, "Сыр\x01\x02\x03"))
MUT(bad_utf8_name, strcpy(d->basket.lines[0].name, "\xff\xfe"))
MUT(negative_price, d->basket.lines[0].price = -1)
MUT(discount_over_100, d->basket.lines[1].discount = ((struct discount){DISCOUNT_PERCENT, 10001}))
MUT(discount_over_sum, d->basket.lines[0].discount = ((struct discount){DISCOUNT_AMOUNT, 10001}))
MUT(method_8, d->basket.lines[0].method = 8)
MUT(object_34, d->basket.lines[1].object = 34)
MUT(huge_qty, d->basket.lines[0].price = 99999999999999; d->basket.lines[0].qty = 99999999999)
MUT(card_over_total, d->pay.card = ((struct pay_amount){PAY_AMOUNT, 100000}))
MUT(both_remainder, d->pay.cash = ((struct pay_amount){PAY_REMAINDER, 0}))
MUT(short_payment, d->pay.card = ((struct pay_amount){PAY_AMOUNT, 100});
    d->pay.cash = ((struct pay_amount){PAY_AMOUNT, 100}))
MUT(email_no_at, strcpy(d->customer_email, "buyer.example.ru"))
MUT(email_two_at, strcpy(d->customer_email, "a@b@c"))
MUT(email_no_local, strcpy(d->customer_email, "@example.ru"))
MUT(email_no_domain, strcpy(d->customer_email, "buyer@"))
MUT(email_space, strcpy(d->customer_email, "bu yer@example.ru"))
MUT(phone_short, strcpy(d->customer_phone, "12345"))
MUT(mode_email_no_contact, d->mode = MODE_EMAIL)
MUT(cashier_long, memset(d->cashier_name, 'a', 65); d->cashier_name[65] = 0)
MUT(cashier_control, strcpy(d->cashier_name, "Ив\nанова"))
MUT(inn_short, strcpy(d->cashier_inn, "7707083893"))
MUT(inn_checksum, strcpy(d->cashier_inn, "500100732258"))
MUT(place_control, strcpy(d->payment_place, "зал\x1b"))
MUT(serial_space, strcpy(d->target_serial, "0010 6304"))
MUT(ref_uuid_on_sale, strcpy(d->ref_uuid, "84fefc72-cbc5-5cc1-ba40-d00f035f05cb"))
MUT(ref_uuid_bad, d->type = RT_REFUND; strcpy(d->ref_uuid, "not-a-uuid"))
MUT(pos_refund_no_ref, d->type = RT_REFUND; d->pos_set = true; d->pos_perform = 1)
MUT(pos_perform_2, d->pos_set = true; d->pos_perform = 2)
MUT(pos_slips_3, d->pos_set = true; d->pos_slip_count = 3)
MUT(pos_no_card, d->pos_set = true; d->pos_perform = 1; d->pay.card.kind = PAY_NONE;
    d->pay.cash = ((struct pay_amount){PAY_REMAINDER, 0}))
MUT(pos_buy, d->type = RT_BUY; d->pos_set = true; d->pos_perform = 1)
MUT(ext_id_long, memset(d->ext_id, 'e', 50); d->ext_id[50] = 0; d->ext_id[25] = ' ')
MUT(ext_id_cyrillic, strcpy(d->ext_id, "заказ"))
MUT(callback_url_scheme, strcpy(d->callback_url, "ftp://example.ru/cb"))
MUT(callback_url_space, strcpy(d->callback_url, "https://example.ru/c b"))
MUT(callback_data_empty, d->callback_data_json = xstrdup(""))
MUT(bad_type, d->type = (enum receipt_type)9)
MUT(bad_tax, d->tax_system = (enum tax_system)42)
MUT(bad_mode, strcpy(d->customer_email, "a@b.ru"); d->mode = (enum receipt_mode)9)
MUT(amount_on_receipt, d->amount = 100)
MUT(initiator_on_receipt, strcpy(d->correction_initiator, "directive"))
MUT(bad_unit, d->basket.lines[0].unit = (enum unit)77)
MUT(marking_control, strcpy(d->basket.lines[0].marking, "010460\x1d"
							"21abc\x01"))

struct reject_case {
	const char *name;
	mutate_fn mutate;
	kstatus st;
	const char *field;
	int code;
};

#define REJ(name, st, field)                                                                       \
	{                                                                                          \
#name, mut_##name, st, field, 0                                                    \
	}
#define REJC(name, st, field, code)                                                                \
	{                                                                                          \
#name, mut_##name, st, field, code                                                 \
	}

static void document_validate__rejections__name_their_field(void **state)
{
	(void)state;
	static const struct reject_case cases[] = {
	    REJ(no_products, K_INVALID, "purchase.products"),
	    REJ(qty_zero, K_INVALID, "purchase.products[1].quantity"),
	    REJ(empty_name, K_INVALID, "purchase.products[0].name"),
	    REJ(long_name, K_INVALID, "purchase.products[0].name"),
	    REJ(control_name, K_INVALID, "purchase.products[1].name"),
	    REJ(bad_utf8_name, K_INVALID, "purchase.products[0].name"),
	    REJ(negative_price, K_INVALID, "purchase.products[0].price"),
	    REJ(discount_over_100, K_INVALID, "purchase.products[1].discount"),
	    REJ(discount_over_sum, K_INVALID, "purchase.products[0].discount"),
	    REJ(method_8, K_INVALID, "purchase.products[0].type"),
	    REJ(object_34, K_INVALID, "purchase.products[1].item_type"),
	    REJ(huge_qty, K_OVERFLOW, "purchase.products[0].quantity"),
	    REJC(card_over_total, K_REFUSED, "card_amount", 3896),
	    REJC(both_remainder, K_REFUSED, "card_amount", 400),
	    REJC(short_payment, K_REFUSED, "cash_amount", 400),
	    REJ(email_no_at, K_INVALID, "customer_email"),
	    REJ(email_two_at, K_INVALID, "customer_email"),
	    REJ(email_no_local, K_INVALID, "customer_email"),
	    REJ(email_no_domain, K_INVALID, "customer_email"),
	    REJ(email_space, K_INVALID, "customer_email"),
	    REJ(phone_short, K_INVALID, "customer_phone"),
	    REJ(mode_email_no_contact, K_INVALID, "customer_email"),
	    REJ(cashier_long, K_INVALID, "cashier_name"),
	    REJ(cashier_control, K_INVALID, "cashier_name"),
	    REJ(inn_short, K_INVALID, "cashier_inn"),
	    REJ(inn_checksum, K_INVALID, "cashier_inn"),
	    REJ(place_control, K_INVALID, "payment_place"),
	    REJ(serial_space, K_INVALID, "target_serial"),
	    REJ(ref_uuid_on_sale, K_INVALID, "ref_uuid"),
	    REJ(ref_uuid_bad, K_INVALID, "ref_uuid"),
	    REJ(pos_refund_no_ref, K_INVALID, "ref_uuid"),
	    REJ(pos_perform_2, K_INVALID, "pos.perform"),
	    REJ(pos_slips_3, K_INVALID, "pos.slip_count"),
	    REJ(pos_no_card, K_INVALID, "pos.perform"),
	    REJ(pos_buy, K_INVALID, "pos.perform"),
	    REJ(ext_id_long, K_INVALID, "ext_id"),
	    REJ(ext_id_cyrillic, K_INVALID, "ext_id"),
	    REJ(callback_url_scheme, K_INVALID, "callback_url"),
	    REJ(callback_url_space, K_INVALID, "callback_url"),
	    REJ(callback_data_empty, K_INVALID, "callback_data"),
	    REJ(bad_type, K_INVALID, "type"),
	    REJ(bad_tax, K_INVALID, "tax_system"),
	    REJ(bad_mode, K_INVALID, "mode"),
	    REJ(amount_on_receipt, K_INVALID, "amount"),
	    REJ(initiator_on_receipt, K_INVALID, "initiator"),
	    REJ(bad_unit, K_INVALID, "purchase.products[0].unit"),
	    REJ(marking_control, K_INVALID, "purchase.products[0].marking_code"),
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct reject_case *c = &cases[i];
		struct document d;
		struct kerr err = {0};
		valid_receipt(&d);
		struct kerr ok;
		if (document_validate(&d, &ok) != K_OK)
			fail_msg("base receipt invalid: %s: %s", ok.field, ok.text);
		valid_receipt(&d);
		c->mutate(&d);
		kstatus st = document_validate(&d, &err);
		if (st != c->st || strcmp(err.field, c->field) != 0 || err.code != c->code)
			fail_msg("%s: got status %d field '%s' code %d (%s), want %d '%s' %d",
				 c->name, st, err.field, err.code, err.text, c->st, c->field,
				 c->code);
		assert_true(strlen(err.text) > 3);
		document_free(&d);
	}
}

static void document_validate__accepts__edge_cases(void **state)
{
	(void)state;
	struct document d;
	struct kerr err;

	/* 128 Cyrillic characters (256 bytes) is the longest name */
	valid_receipt(&d);
	char *p = d.basket.lines[0].name;
	for (int i = 0; i < 128; i++, p += 2)
		memcpy(p, "Ж", 2);
	*p = '\0';
	/* a refund through the terminal with the sale's uuid */
	d.type = RT_REFUND;
	d.pos_set = true;
	d.pos_perform = 1;
	d.pos_slip_count = 2;
	strcpy(d.ref_uuid, "84fefc72-cbc5-5cc1-ba40-d00f035f05cb");
	strcpy(d.customer_phone, "+7 (910) 123-45-67");
	strcpy(d.customer_email, "buyer@example.ru");
	d.mode = MODE_PRINT_EMAIL;
	strcpy(d.cashier_name, "Иванова И. И.");
	strcpy(d.cashier_inn, "500100732259");
	memset(d.ext_id, 'e', 50);
	d.ext_id[50] = '\0';
	memset(d.callback_url, 'u', 255);
	memcpy(d.callback_url, "https://", 8);
	d.callback_url[255] = '\0';
	strcpy(d.basket.lines[1].marking, "0104601234567890\x1d"
					  "21abcdef");
	d.tax_system = TAX_USN6;
	if (document_validate(&d, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	/* the phone is normalised in place */
	assert_string_equal(d.customer_phone, "79101234567");
	assert_int_equal(d.resolved.card, d.basket.total);

	/* cash gives change */
	valid_receipt(&d);
	d.pay.card.kind = PAY_NONE;
	d.pay.cash = (struct pay_amount){PAY_AMOUNT, 50000};
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(d.basket.total, 10000 + 31850);
	assert_int_equal(d.resolved.change, 50000 - 41850);

	/* a free item and a zero total with no payment */
	valid_receipt(&d);
	d.basket.n = 1;
	d.basket.lines[0].price = 0;
	d.pay.card.kind = PAY_NONE;
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(d.basket.total, 0);
}

static void document_validate__other_kinds(void **state)
{
	(void)state;
	struct document d;
	struct kerr err;

	document_init(&d, DOC_OPEN_SHIFT);
	strcpy(d.cashier_name, "Иванова");
	strcpy(d.cashier_inn, "500100732259");
	assert_int_equal(document_validate(&d, &err), K_OK);
	d.pay.card.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "card_amount");

	document_init(&d, DOC_X_REPORT);
	assert_int_equal(document_validate(&d, &err), K_OK);
	strcpy(d.cashier_name, "Иванова");
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "cashier_name");

	document_init(&d, DOC_Z_REPORT);
	d.type = RT_REFUND;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "type");

	document_init(&d, DOC_CASH_IN);
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "amount");
	d.amount = 150000;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "target_serial");
	strcpy(d.target_serial, "00106304012797");
	assert_int_equal(document_validate(&d, &err), K_OK);
	d.amount = -1;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "amount");

	document_init(&d, DOC_CASH_OUT);
	d.amount = 100;
	strcpy(d.target_serial, "00106304012797");
	d.basket.n = 1;
	basket_line_init(&d.basket.lines[0]);
	strcpy(d.basket.lines[0].name, "x");
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "purchase");

	/* correction receipts */
	document_init(&d, DOC_CORRECTION);
	d.basket.n = 1;
	basket_line_init(&d.basket.lines[0]);
	strcpy(d.basket.lines[0].name, "Коррекция");
	d.basket.lines[0].price = 10000;
	d.pay.cash.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "doc_date");
	strcpy(d.correction_doc_date, "2024-02-30");
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "doc_date");
	strcpy(d.correction_doc_date, "2024-02-29");
	assert_int_equal(document_validate(&d, &err), K_OK);
	strcpy(d.correction_initiator, "directive");
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "doc_number");
	strcpy(d.correction_doc_number, "ЕД-17/2024");
	assert_int_equal(document_validate(&d, &err), K_OK);
	strcpy(d.correction_initiator, "boss");
	assert_int_equal(document_validate(&d, &err), K_INVALID);
	assert_string_equal(err.field, "initiator");
	strcpy(d.correction_initiator, "independently");
	strcpy(d.customer_email, "a@b.ru");
	/* a correction's contact is PayKeeper's (FFD 1.2); LifePay's has none */
	assert_int_equal(document_validate(&d, &err), K_OK);
	assert_int_equal(document_check_lifepay(&d, &err), K_INVALID);
	assert_string_equal(err.field, "customer_email");

	/* unknown kind */
	document_init(&d, DOC_RECEIPT);
	d.kind = (enum doc_kind)42;
	assert_int_equal(document_validate(&d, &err), K_INVALID);
}

static void document_validate__hundred_lines__accepted(void **state)
{
	(void)state;
	struct document *d = xmalloc(sizeof *d);
	struct kerr err;
	document_init(d, DOC_RECEIPT);
	for (int i = 0; i < BASKET_MAX_LINES; i++) {
		basket_line_init(&d->basket.lines[i]);
		snprintf(d->basket.lines[i].name, sizeof d->basket.lines[i].name, "Товар %d", i);
		d->basket.lines[i].price = 101;
		d->basket.lines[i].qty = 333;
	}
	d->basket.n = BASKET_MAX_LINES;
	d->pay.cash.kind = PAY_REMAINDER;
	assert_int_equal(document_validate(d, &err), K_OK);
	/* 1.01 x 0.333 = 0.33633 -> 0.34 each */
	assert_int_equal(d->basket.total, 34 * BASKET_MAX_LINES);
	assert_int_equal(d->resolved.cash, 34 * BASKET_MAX_LINES);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(doc_kind__names_round_trip),
	    cmocka_unit_test(receipt_type_tax_mode__names_round_trip),
	    cmocka_unit_test(document_init__defaults),
	    cmocka_unit_test(document_assign_ext_id__fresh_uuid__kept_when_set),
	    cmocka_unit_test(document_copy__duplicates_callback_data),
	    cmocka_unit_test(document_normalize_phone__table),
	    cmocka_unit_test(document_uuid_inn_date__table),
	    cmocka_unit_test(document_check_text__table),
	    cmocka_unit_test(document_field_allowed__table),
	    cmocka_unit_test(document_validate__seed_example__card_is_remainder),
	    cmocka_unit_test(document_validate__rejections__name_their_field),
	    cmocka_unit_test(document_validate__accepts__edge_cases),
	    cmocka_unit_test(document_validate__other_kinds),
	    cmocka_unit_test(document_validate__hundred_lines__accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
