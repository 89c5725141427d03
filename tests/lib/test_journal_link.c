/* lib/journal_link.c and lib/settle_journal.c: seed 002's two receipts linked in the journal. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "tmpdir.h"
#include "journal_link.h"
#include "settle.h"
#include "settle_journal.h"
#include "util.h"
#include "wire/lifepay.h"

struct fixture {
	char dir[64];
	char path[128];
	struct journal *j;
	int seq;
};

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof *fx);
	if (!tmpdir_journal("link", fx->dir, sizeof fx->dir, fx->path, sizeof fx->path))
		return -1;
	struct kerr err = {0};
	if (journal_open(fx->path, &fx->j, &err) != K_OK)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	tmpdir_remove(fx->dir);
	free(fx);
	return 0;
}

/* 1,000.00: a 600.00 kettle and two 200.00 mugs; the buyer's e-mail. */
static void order_doc(struct document *d)
{
	document_init(d, DOC_RECEIPT);
	const struct {
		const char *name;
		int64_t price, qty;
	} l[] = {{"Чайник", 60000, 1000}, {"Кружка", 20000, 2000}};
	for (size_t i = 0; i < 2; i++) {
		struct basket_line b;
		basket_line_init(&b);
		str_copy(b.name, l[i].name, sizeof b.name);
		b.price = l[i].price;
		b.qty = l[i].qty;
		b.vat = VAT_VAT20;
		b.vat_set = true;
		assert_int_equal(basket_add(&d->basket, &b, NULL), K_OK);
	}
	assert_int_equal(basket_recalc(&d->basket, NULL), K_OK);
	str_copy(d->customer_email, "Buyer@Example.ru", sizeof d->customer_email);
}

/* What outbox_submit() does: validate, journal with the prepayment fields. */
static kstatus queue(struct fixture *fx, struct document *d, int64_t *id, struct kerr *err)
{
	snprintf(d->ext_id, sizeof d->ext_id, "link-%d", ++fx->seq);
	kstatus st = document_validate(d, err);
	if (st == K_OK)
		st = document_check_lifepay(d, err);
	if (st != K_OK)
		return st;
	char *body = wire_lifepay_request_text(d, NULL), *order = NULL;
	struct journal_new_doc nd = {.profile = "p",
				     .kind = "receipt",
				     .type = "payment",
				     .ext_id = d->ext_id,
				     .body = body,
				     .total = d->basket.total,
				     .card = d->resolved.card,
				     .cash = d->resolved.cash,
				     .change = d->resolved.change};
	settle_journal_fields(d, &nd, &order);
	st = journal_enqueue(fx->j, &nd, id, err);
	free(order);
	free(body);
	return st;
}

static int64_t prepay(struct fixture *fx, enum settle_kind k, int64_t now)
{
	struct document d;
	order_doc(&d);
	struct basket order;
	struct kerr err = {0};
	assert_int_equal(settle_make_prepayment(&d, k, now, "Аванс", &order, &err), K_OK);
	if (k != SETTLE_PREPAY_FULL) {
		d.order = xmalloc(sizeof *d.order);
		*d.order = order;
	}
	d.pay.card.kind = PAY_REMAINDER;
	int64_t id = 0;
	if (queue(fx, &d, &id, &err) != K_OK)
		fail_msg("prepayment refused: %s: %s", err.field, err.text);
	document_free(&d);
	return id;
}

static void settle__links_once__second_refused_naming_prepayment_amount(void **state)
{
	struct fixture *fx = *state;
	int64_t pre = prepay(fx, SETTLE_ADVANCE, 30000);
	struct journal_prepaid o;
	struct kerr err = {0};
	assert_int_equal(journal_link_get(fx->j, pre, &o, &err), K_OK);
	assert_int_equal(o.prepaid, 30000);
	assert_int_equal(o.order_total, 100000);
	assert_string_equal(o.contact, "Buyer@Example.ru");
	journal_prepaid_free(&o);

	struct document fin;
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_OK);
	assert_int_equal(fin.prepayment, 30000);
	assert_int_equal(fin.basket.total, 100000);
	assert_int_equal(fin.basket.lines[1].method, 4);
	assert_string_equal(fin.customer_email, "Buyer@Example.ru");
	assert_int_equal(pay_amount_parse("#", &fin.pay.cash, "cash_amount", &err), K_OK);
	int64_t id = 0;
	if (queue(fx, &fin, &id, &err) != K_OK)
		fail_msg("final refused: %s: %s", err.field, err.text);
	assert_int_equal(fin.resolved.cash, 70000);
	int64_t back = 0;
	assert_int_equal(journal_link_settles(fx->j, id, &back, &err), K_OK);
	assert_int_equal(back, pre);

	/* twice: refused when building it, and by the journal itself */
	struct document again;
	assert_int_equal(settle_from_journal(fx->j, pre, &again, &err), K_EXISTS);
	assert_string_equal(err.field, "prepayment_amount");
	document_free(&again);
	fin.ext_id[0] = '\0';
	assert_int_equal(queue(fx, &fin, &id, &err), K_EXISTS);
	assert_string_equal(err.field, "prepayment_amount");

	/* a settlement the provider refused leaves the order open again */
	int64_t first = 0;
	assert_int_equal(journal_link_settles(fx->j, back == pre ? id : 0, &first, &err),
			 K_NOTFOUND); /* the refused second one was never linked */
	assert_int_equal(journal_link_get(fx->j, pre, &o, &err), K_OK);
	assert_int_equal(journal_apply_reply_rejected(fx->j, o.settled_by, 400, "no", &err), K_OK);
	journal_prepaid_free(&o);
	fin.ext_id[0] = '\0';
	assert_int_equal(queue(fx, &fin, &id, &err), K_OK);
	document_free(&fin);
}

static void settle__refuses__other_amount_unprepaid_and_refused(void **state)
{
	struct fixture *fx = *state;
	int64_t pre = prepay(fx, SETTLE_PREPAY_FULL, 0);
	struct kerr err = {0};
	struct document fin;
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_OK);
	assert_int_equal(fin.prepayment, 100000);
	/* a prepayment_amount other than what was prepaid */
	fin.prepayment = 90000;
	assert_int_equal(pay_amount_parse("#", &fin.pay.card, "card_amount", &err), K_OK);
	int64_t id = 0;
	assert_int_equal(queue(fx, &fin, &id, &err), K_INVALID);
	assert_string_equal(err.field, "prepayment_amount");
	document_free(&fin);

	/* a document that took no prepayment */
	struct document plain;
	order_doc(&plain);
	plain.pay.card.kind = PAY_REMAINDER;
	assert_int_equal(queue(fx, &plain, &id, &err), K_OK);
	assert_int_equal(settle_from_journal(fx->j, id, &fin, &err), K_NOTFOUND);
	assert_string_equal(err.field, "prepayment_amount");
	document_free(&fin);
	document_free(&plain);

	/* a prepayment the provider refused prepaid nothing */
	assert_int_equal(journal_apply_reply_rejected(fx->j, pre, 400, "no", &err), K_OK);
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_REFUSED);
	assert_string_equal(err.field, "prepayment_amount");
	document_free(&fin);
}

static bool count_cb(const struct journal_prepaid *o, void *ctx)
{
	(void)o;
	(*(int *)ctx)++;
	return true;
}

static void settle__refuses__a_refunded_prepayment(void **state)
{
	struct fixture *fx = *state;
	int64_t pre = prepay(fx, SETTLE_PREPAY_FULL, 0);
	struct kerr err = {0};
	const char *uuid = "84fefc72-cbc5-5cc1-ba40-d00f035f05cb";
	assert_int_equal(journal_apply_reply_ok(fx->j, pre, uuid, NULL, &err), K_OK);
	struct journal_new_doc nd = {.profile = "p",
				     .kind = "receipt",
				     .type = "refund",
				     .ext_id = "refund-1",
				     .body = "{}",
				     .ref_uuid = uuid,
				     .total = 100000,
				     .card = 100000};
	int64_t refund = 0;
	assert_int_equal(journal_enqueue(fx->j, &nd, &refund, &err), K_OK);
	struct document fin;
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_REFUSED);
	assert_string_equal(err.field, "prepayment_amount");
	assert_non_null(strstr(err.text, "refunded"));
	document_free(&fin);
	int n = 0;
	assert_int_equal(journal_link_list(fx->j, "", true, count_cb, &n, &err), K_OK);
	assert_int_equal(n, 0); /* no longer open */
	/* a refund the provider refused leaves the prepayment standing */
	assert_int_equal(journal_apply_reply_rejected(fx->j, refund, 400, "no", &err), K_OK);
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_OK);
	document_free(&fin);
}

static void list__by_contact__open_only(void **state)
{
	struct fixture *fx = *state;
	int64_t a = prepay(fx, SETTLE_PREPAY_FULL, 0);
	prepay(fx, SETTLE_PREPAY_PARTIAL, 50000);
	int n = 0;
	struct kerr err = {0};
	assert_int_equal(journal_link_list(fx->j, "buyer@", true, count_cb, &n, &err), K_OK);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(journal_link_list(fx->j, "nobody", true, count_cb, &n, &err), K_OK);
	assert_int_equal(n, 0);
	struct document fin;
	assert_int_equal(settle_from_journal(fx->j, a, &fin, &err), K_OK);
	assert_int_equal(pay_amount_parse("#", &fin.pay.card, "card_amount", &err), K_OK);
	int64_t id;
	assert_int_equal(queue(fx, &fin, &id, &err), K_OK);
	document_free(&fin);
	n = 0;
	assert_int_equal(journal_link_list(fx->j, "EXAMPLE", true, count_cb, &n, &err), K_OK);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(journal_link_list(fx->j, "", false, count_cb, &n, &err), K_OK);
	assert_int_equal(n, 2);
}

static void migration__6_to_7__keeps_documents(void **state)
{
	struct fixture *fx = *state;
	journal_close(fx->j);
	fx->j = NULL;
	snprintf(fx->path, sizeof fx->path, "%s/journal.db.6", fx->dir);
	struct kerr err = {0};
	if (journal_open_version(fx->path, 6, &fx->j, &err) != K_OK)
		fail_msg("%s: %s", err.field, err.text);
	assert_int_equal(journal_schema_version(fx->j), 6);
	journal_close(fx->j);
	assert_int_equal(journal_open(fx->path, &fx->j, &err), K_OK);
	assert_int_equal(journal_schema_version(fx->j), journal_schema_latest());
	assert_true(journal_schema_latest() >= 7);
	assert_true(prepay(fx, SETTLE_PREPAY_FULL, 0) > 0);
}

/* An FFD 1.2 order with a marked kettle: its code is kept in the order, so it settles. */
static void settle__marked_order_keeps_its_codes(void **state)
{
	struct fixture *fx = *state;
	static const char code[] = "0104600266011725215Qbag!\x1d"
				   "93Zjqw";
	struct document d;
	order_doc(&d);
	d.ffd12 = true;
	str_copy(d.basket.lines[0].marking, code, sizeof d.basket.lines[0].marking);
	struct kerr err = {0};
	assert_int_equal(settle_make_prepayment(&d, SETTLE_PREPAY_FULL, 0, "", NULL, &err), K_OK);
	d.pay.card.kind = PAY_REMAINDER;
	int64_t pre = 0;
	if (queue(fx, &d, &pre, &err) != K_OK)
		fail_msg("prepayment refused: %s: %s", err.field, err.text);
	document_free(&d);
	struct document fin;
	assert_int_equal(settle_from_journal(fx->j, pre, &fin, &err), K_OK);
	assert_string_equal(fin.basket.lines[0].marking, code);
	assert_string_equal(fin.basket.lines[1].marking, "");
	fin.ffd12 = true;
	assert_int_equal(wire_lifepay_check_ffd12(&fin, &err), K_OK);
	char *body = wire_lifepay_request_text(&fin, NULL);
	assert_non_null(strstr(body, "\"marking_code\""));
	free(body);
	document_free(&fin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		settle__links_once__second_refused_naming_prepayment_amount, setup, teardown),
	    cmocka_unit_test_setup_teardown(settle__refuses__other_amount_unprepaid_and_refused,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(list__by_contact__open_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(settle__refuses__a_refunded_prepayment, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(migration__6_to_7__keeps_documents, setup, teardown),
	    cmocka_unit_test_setup_teardown(settle__marked_order_keeps_its_codes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
