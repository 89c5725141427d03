/*
 * LifePay cloud-print as the sandbox emulates it: the envelope and codes of
 * the seeds, checked with the client's own parser and rules
 * (wire_lifepay_parse_request, document_validate), plus what only the
 * provider can know: accounts, printers, shifts, refunds, ext_id repeats.
 * Called with sb->lock held.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>

#include "document.h"
#include "jsonx.h"
#include "money.h"
#include "settle.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay.h"

#define SHIFT_MAX_MS (24LL * 3600 * 1000)
#define MSG_DATA "Ошибка данных."
#define MSG_PURCHASE "purchase не содержит products или products не является массивом"
#define MSG_PRINTER "Принтер не найден."

/* ---- replies ---- */

static void reply_envelope(struct sandbox_reply *rp, int code, const char *message, json_t *data)
{
	json_t *j = json_object();
	json_object_set_new(j, "code", json_integer(code));
	json_object_set_new(j, "message", json_string(message));
	json_object_set_new(j, "data", data ? data : json_object());
	sandbox_reply_json(rp, 200, j);
}

/* A code with one field's messages in data: {"field": ["message"]}. */
static void reply_field(struct sandbox_reply *rp, int code, const char *message, const char *field,
			const char *text)
{
	json_t *data = json_object();
	json_t *arr = json_array();
	json_array_append_new(arr, json_string(text));
	json_object_set_new(data, field && field[0] ? field : "request", arr);
	reply_envelope(rp, code, message, data);
}

/* 400 from a kerr: the field path is the data key, the provider-style Russian text the message. */
static void reply_kerr(struct sandbox_reply *rp, const struct kerr *e, const char *fallback_field)
{
	const char *field = e->field[0] ? e->field : fallback_field;
	char text[448];
	sandbox_message_ru(field, e->text, text, sizeof text);
	if (e->code == PAYMENT_CODE_NONCASH_OVER)
		reply_field(rp, 3896, "Сумма неналичных оплат превышает сумму чека.", field, text);
	else
		reply_field(rp, 400, MSG_DATA, field, text);
}

static void reply_uuid(struct sandbox_reply *rp, const char *uuid)
{
	json_t *data = json_object();
	json_object_set_new(data, "uuid", json_string(uuid));
	reply_envelope(rp, 0, "", data);
}

/* ---- the type check (6000) ---- */

static bool is_amount(const json_t *v)
{
	return json_is_null(v) || json_is_integer(v) || json_is_string(v);
}

static bool is_text(const json_t *v)
{
	return json_is_null(v) || json_is_string(v);
}

/* Keys whose value must be text. */
static const char *const text_keys[] = {
    "apikey",	      "login",	       "type",	       "mode",	       "customer_email",
    "customer_phone", "customer_name", "customer_inn", "cashier_name", "cashier_inn",
    "target_serial",  "ext_id",	       "callback_url", "ref_uuid",     "tax_system",
    "payment_place",  "initiator",     "description",  "doc_date",     "doc_number",
};
static const char *const amount_keys[] = {"card_amount", "cash_amount", "amount",
					  "prepayment_amount"};

static bool product_types_ok(const json_t *p, char *field, size_t n)
{
	static const char *const ptext[] = {"name", "unit", "tax"};
	static const char *const pamount[] = {"price", "quantity"};
	static const char *const pint[] = {"type", "item_type"};
	for (size_t i = 0; i < 3; i++) {
		const json_t *v = json_object_get(p, ptext[i]);
		if (v && !is_text(v)) {
			snprintf(field, n, "%s", ptext[i]);
			return false;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(p, pamount[i]);
		if (v && !is_amount(v)) {
			snprintf(field, n, "%s", pamount[i]);
			return false;
		}
	}
	for (size_t i = 0; i < 2; i++) {
		const json_t *v = json_object_get(p, pint[i]);
		if (v && !json_is_null(v) && !json_is_integer(v)) {
			snprintf(field, n, "%s", pint[i]);
			return false;
		}
	}
	const json_t *d = json_object_get(p, "discount");
	if (d && !json_is_null(d)) {
		if (!json_is_object(d)) {
			snprintf(field, n, "discount");
			return false;
		}
		const json_t *t = json_object_get(d, "type"), *v = json_object_get(d, "value");
		if ((t && !is_text(t)) || (v && !is_amount(v))) {
			snprintf(field, n, "discount.%s", t && !is_text(t) ? "type" : "value");
			return false;
		}
	}
	return true;
}

/*
 * Wrong JSON types are LifePay's code 6000 (bad format); a missing or
 * malformed purchase is a 400 with the seed's message. Returns true if the
 * reply was written.
 */
static bool check_types(const json_t *root, bool has_basket, struct sandbox_reply *rp)
{
	char field[96];
	for (size_t i = 0; i < sizeof text_keys / sizeof text_keys[0]; i++) {
		const json_t *v = json_object_get(root, text_keys[i]);
		if (v && !is_text(v)) {
			reply_field(rp, 6000, "Неверный формат данных.", text_keys[i],
				    "ожидается строка");
			return true;
		}
	}
	for (size_t i = 0; i < sizeof amount_keys / sizeof amount_keys[0]; i++) {
		const json_t *v = json_object_get(root, amount_keys[i]);
		if (v && !is_amount(v)) {
			reply_field(rp, 6000, "Неверный формат данных.", amount_keys[i],
				    "ожидается число или строка");
			return true;
		}
	}
	const json_t *test = json_object_get(root, "test");
	if (test && !json_is_null(test) && !json_is_integer(test) && !json_is_boolean(test) &&
	    !json_is_string(test)) {
		reply_field(rp, 6000, "Неверный формат данных.", "test", "ожидается 0 или 1");
		return true;
	}
	const json_t *pos = json_object_get(root, "pos");
	if (pos && !json_is_null(pos) && !json_is_object(pos)) {
		reply_field(rp, 6000, "Неверный формат данных.", "pos", "ожидается объект");
		return true;
	}
	if (!has_basket)
		return false;
	const json_t *purchase = json_object_get(root, "purchase");
	const json_t *products =
	    json_is_object(purchase) ? json_object_get(purchase, "products") : NULL;
	if (!json_is_array(products)) {
		reply_field(rp, 400, MSG_DATA, "purchase", MSG_PURCHASE);
		return true;
	}
	size_t i;
	const json_t *p;
	json_array_foreach(products, i, p)
	{
		char sub[48];
		if (!json_is_object(p)) {
			snprintf(field, sizeof field, "purchase.products[%zu]", i);
			reply_field(rp, 6000, "Неверный формат данных.", field, "ожидается объект");
			return true;
		}
		if (!product_types_ok(p, sub, sizeof sub)) {
			snprintf(field, sizeof field, "purchase.products[%zu].%s", i, sub);
			reply_field(rp, 6000, "Неверный формат данных.", field,
				    "неверный тип значения");
			return true;
		}
	}
	return false;
}

/* ---- documents ---- */

/* The FFD 1.2 receipt path (lifepay-beyond-cloud-print.md): a receipt like the 1.05 one. */
#define PATH_FFD12_RECEIPT "/cloud-print-ffd1_2/create-receipt"

static bool kind_from_path(const char *path, enum doc_kind *k)
{
	if (strcmp(path, PATH_FFD12_RECEIPT) == 0) {
		*k = DOC_RECEIPT;
		return true;
	}
	for (int i = 0; i < DOC_KIND_COUNT; i++) {
		if (strcmp(path, doc_kind_path((enum doc_kind)i)) == 0) {
			*k = (enum doc_kind)i;
			return true;
		}
	}
	return false;
}

static bool kind_fiscal_receipt(enum doc_kind k)
{
	return k == DOC_RECEIPT || k == DOC_CORRECTION;
}

/* Kinds that need an open shift (and open one when there is none). */
static bool kind_needs_shift(enum doc_kind k)
{
	return k == DOC_RECEIPT || k == DOC_CORRECTION || k == DOC_CASH_IN || k == DOC_CASH_OUT;
}

static json_t *money_str(int64_t kop)
{
	char buf[32];
	money_format_wire(kop, buf, sizeof buf);
	return json_string(buf);
}

static char *lines_json(const struct basket *b)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < b->n; i++) {
		const struct basket_line *l = &b->lines[i];
		json_t *o = json_object();
		char q[32];
		qty_format(l->qty, q, sizeof q);
		json_object_set_new(o, "name", json_string(l->name));
		json_object_set_new(o, "price", money_str(l->price));
		json_object_set_new(o, "quantity", json_string(q));
		json_object_set_new(o, "unit", json_string(unit_wire(l->unit)));
		json_object_set_new(o, "tax",
				    l->vat_set ? json_string(vat_wire(l->vat)) : json_null());
		json_object_set_new(o, "discount", money_str(l->line_discount + l->receipt_share));
		json_object_set_new(o, "sum", money_str(l->sum));
		if (l->method) /* tag 1214: seed 002's prepayment (1-3) and settlement (4) */
			json_object_set_new(o, "type", json_integer(l->method));
		json_array_append_new(arr, o);
	}
	char *s = jsonx_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return s;
}

/* Totals of the open shift for X and Z reports. */
static char *report_json(struct sandbox *sb, const struct sb_shift *sh, bool open,
			 const struct sb_printer_state *ps)
{
	static const char *const types[] = {"payment", "refund", "buy", "buy_refund"};
	json_t *o = json_object();
	json_object_set_new(o, "shift_open", json_boolean(open));
	json_object_set_new(o, "drawer", money_str(ps->drawer));
	if (sh) {
		struct sb_totals t;
		if (sandbox_store_shift_totals(sb->store, sh->id, &t, NULL) == K_OK) {
			json_t *r = json_object();
			for (int i = 0; i < 4; i++) {
				json_t *x = json_object();
				json_object_set_new(x, "count", json_integer(t.count[i]));
				json_object_set_new(x, "total", money_str(t.sum[i]));
				json_object_set_new(x, "card", money_str(t.card[i]));
				json_object_set_new(x, "cash", money_str(t.cash[i]));
				json_object_set_new(r, types[i], x);
			}
			json_object_set_new(o, "receipts", r);
			json_object_set_new(o, "cash_in", money_str(t.cash_in));
			json_object_set_new(o, "cash_out", money_str(t.cash_out));
			json_object_set_new(o, "documents", json_integer(t.documents));
		}
		json_object_set_new(o, "shift_number", json_integer(sh->number));
		json_object_set_new(o, "opened_ms", json_integer(sh->opened_ms));
	}
	char *s = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

struct ctx {
	struct sandbox *sb;
	struct sandbox_reply *rp;
	struct sb_lifepay_acc *acc;
	struct document *d;
	enum doc_kind kind;
	const char *printer;
	struct sb_doc row;
};

/* Picks the printer: the named one (must be the account's and active) or the first active. */
static bool pick_printer(struct ctx *c)
{
	const struct sb_lifepay_acc *acc = c->acc;
	if (c->d->target_serial[0]) {
		const struct sb_printer_acc *p = sandbox_accounts_printer(acc, c->d->target_serial);
		if (!p || !p->active) {
			reply_field(c->rp, 400, MSG_DATA, "target_serial", MSG_PRINTER);
			return false;
		}
		c->printer = p->serial;
		return true;
	}
	for (size_t i = 0; i < acc->n_printers; i++) {
		if (acc->printers[i].active) {
			c->printer = acc->printers[i].serial;
			return true;
		}
	}
	reply_field(c->rp, 400, MSG_DATA, "target_serial",
		    "Нет активных принтеров: подключите принтер или укажите target_serial.");
	return false;
}

/* ref_uuid: an existing sale of this login, not refunded beyond its total. */
static bool check_refund(struct ctx *c)
{
	struct document *d = c->d;
	if (!d->ref_uuid[0])
		return true;
	struct sb_doc orig;
	memset(&orig, 0, sizeof orig);
	if (sandbox_store_doc_get(c->sb->store, d->ref_uuid, &orig, NULL) != K_OK ||
	    strcmp(orig.login, c->acc->login) != 0) {
		sandbox_doc_free(&orig);
		reply_field(c->rp, 400, MSG_DATA, "ref_uuid",
			    "Документ прихода не найден: проверьте ref_uuid.");
		return false;
	}
	bool ok = true;
	if (strcmp(orig.kind, doc_kind_wire(c->kind)) != 0 || strcmp(orig.type, "payment") != 0) {
		reply_field(c->rp, 400, MSG_DATA, "ref_uuid",
			    "Документ по ref_uuid не является приходом того же вида.");
		ok = false;
	} else if (strcmp(orig.status, "error") == 0) {
		reply_field(c->rp, 400, MSG_DATA, "ref_uuid",
			    "Документ прихода завершился ошибкой: возвращать нечего.");
		ok = false;
	} else {
		int64_t done = 0;
		sandbox_store_refunded(c->sb->store, orig.uuid, &done, NULL);
		if (done + d->basket.total > orig.total) {
			char left[32], msg[256];
			money_format_wire(orig.total - done > 0 ? orig.total - done : 0, left,
					  sizeof left);
			snprintf(msg, sizeof msg,
				 "Сумма возвратов превышает сумму прихода: можно вернуть не более "
				 "%s.",
				 left);
			reply_field(c->rp, 400, MSG_DATA, "ref_uuid", msg);
			ok = false;
		}
	}
	sandbox_doc_free(&orig);
	return ok;
}

/*
 * Shift rules, checked (and, unless test, applied): receipts and cash moves
 * open a shift when none is open and are refused once it is older than 24
 * hours; create-session needs a closed shift, Z an open one.
 */
static bool apply_shift(struct ctx *c, bool apply, struct sb_printer_state *ps, struct sb_shift *sh,
			bool *open)
{
	struct sandbox *sb = c->sb;
	long long now = sandbox_now(sb);
	*open = sandbox_store_shift_open_get(sb->store, c->printer, sh, NULL) == K_OK;
	if (sandbox_store_printer(sb->store, c->printer, ps, NULL) != K_OK) {
		reply_envelope(c->rp, 500, "Внутренняя ошибка сервера.", NULL);
		return false;
	}
	bool old = *open && now - sh->opened_ms > SHIFT_MAX_MS;
	switch (c->kind) {
	case DOC_OPEN_SHIFT:
		if (*open) {
			reply_field(c->rp, 400, MSG_DATA, "session",
				    old ? "Смена уже открыта и длится более 24 часов: закройте её "
					  "(Z-отчёт)."
					: "Смена уже открыта.");
			return false;
		}
		break;
	case DOC_Z_REPORT:
		if (!*open) {
			reply_field(c->rp, 400, MSG_DATA, "session",
				    "Смена не открыта: закрывать нечего.");
			return false;
		}
		break;
	default:
		if (!kind_needs_shift(c->kind))
			break;
		if (old) {
			reply_field(c->rp, 400, MSG_DATA, "session",
				    "Смена открыта более 24 часов: закройте смену (Z-отчёт), затем "
				    "повторите документ.");
			return false;
		}
		break;
	}
	if (c->kind == DOC_CASH_OUT && c->d->amount > ps->drawer) {
		char have[32], msg[200];
		money_format_wire(ps->drawer, have, sizeof have);
		snprintf(msg, sizeof msg, "Недостаточно наличных в денежном ящике: в ящике %s.",
			 have);
		reply_field(c->rp, 400, MSG_DATA, "amount", msg);
		return false;
	}
	if (!apply)
		return true;
	if ((kind_needs_shift(c->kind) || c->kind == DOC_OPEN_SHIFT) && !*open) {
		ps->shifts++;
		if (sandbox_store_shift_open(sb->store, c->printer, ps->shifts, now, sh, NULL) !=
		    K_OK) {
			reply_envelope(c->rp, 500, "Внутренняя ошибка сервера.", NULL);
			return false;
		}
		*open = true;
	}
	return true;
}

/* The drawer after this document: cash kept from sales, paid out on refunds, moved in/out. */
static int64_t drawer_delta(const struct document *d, enum doc_kind k)
{
	if (k == DOC_CASH_IN)
		return d->amount;
	if (k == DOC_CASH_OUT)
		return -d->amount;
	if (!kind_fiscal_receipt(k))
		return 0;
	int64_t net = d->resolved.cash - d->resolved.change;
	return (d->type == RT_PAYMENT || d->type == RT_BUY_REFUND) ? net : -net;
}

static void create_document(struct ctx *c)
{
	struct sandbox *sb = c->sb;
	struct document *d = c->d;
	struct sb_printer_state ps;
	struct sb_shift sh = {0};
	bool open = false;
	if (sandbox_store_begin(sb->store, NULL) != K_OK) {
		reply_envelope(c->rp, 500, "Внутренняя ошибка сервера.", NULL);
		return;
	}
	if (!apply_shift(c, true, &ps, &sh, &open))
		goto fail;
	long long now = sandbox_now(sb);
	struct sb_doc *r = &c->row;
	memset(r, 0, sizeof *r);
	sandbox_uuid(r->uuid);
	str_copy(r->login, c->acc->login, sizeof r->login);
	str_copy(r->ext_id, d->ext_id, sizeof r->ext_id);
	str_copy(r->kind, doc_kind_wire(c->kind), sizeof r->kind);
	if (doc_kind_has_basket(c->kind))
		str_copy(r->type, receipt_type_lifepay(d->type), sizeof r->type);
	str_copy(r->printer, c->printer, sizeof r->printer);
	if (open && c->kind != DOC_NONFISCAL) {
		r->shift_id = sh.id;
		r->shift_number = sh.number;
	}
	str_copy(r->tax_system,
		 d->tax_system == TAX_DEFAULT ? c->acc->tax_system : tax_system_wire(d->tax_system),
		 sizeof r->tax_system);
	if (doc_kind_has_basket(c->kind)) {
		r->total = d->basket.total;
		r->card = d->resolved.card;
		r->cash = d->resolved.cash;
		r->change = d->resolved.change;
		r->lines = lines_json(&d->basket);
	}
	/* A final receipt's advance (prepayment_amount): the ledger's amount (docs/SANDBOX.md). */
	r->amount = c->kind == DOC_RECEIPT ? d->prepayment : d->amount;
	str_copy(r->ref_uuid, d->ref_uuid, sizeof r->ref_uuid);
	str_copy(r->status, "pending", sizeof r->status);
	sandbox_lifepay_outcome(sb, c->kind, c->d, r->outcome, sizeof r->outcome);
	r->due_ms = now + sandbox_scaled(sb, sb->opt.callback_delay_ms);
	r->callback_url = d->callback_url[0] ? xstrdup(d->callback_url) : NULL;
	r->callback_data = d->callback_data_json ? xstrdup(d->callback_data_json) : NULL;
	r->created_ms = now;
	ps.drawer += drawer_delta(d, c->kind);
	if (c->kind == DOC_X_REPORT || c->kind == DOC_Z_REPORT)
		r->report = report_json(sb, open ? &sh : NULL, open, &ps);
	kstatus ks = sandbox_store_doc_insert(sb->store, r, NULL);
	if (ks == K_OK && c->kind == DOC_Z_REPORT)
		ks = sandbox_store_shift_close(sb->store, sh.id, now, NULL);
	if (ks == K_OK)
		ks = sandbox_store_printer_save(sb->store, &ps, NULL);
	if (ks != K_OK || sandbox_store_commit(sb->store, NULL) != K_OK) {
		reply_envelope(c->rp, 500, "Внутренняя ошибка сервера.", NULL);
		goto fail;
	}
	sandbox_log(sb, "lifepay %s %s created (printer %s, shift %lld)", r->kind, r->uuid,
		    r->printer, r->shift_number);
	reply_uuid(c->rp, r->uuid);
	sandbox_wake(sb);
	sandbox_doc_free(r);
	return;
fail:
	sandbox_doc_free(&c->row);
	sandbox_store_rollback(sb->store);
}

/*
 * The FFD 1.2 path's marking codes (lifepay-beyond-cloud-print.md, [one]):
 * marking_code must be non-empty text; it and marking_code_status are
 * recorded in the log and taken off before the 1.05 parser sees the product.
 * Both modes: kassa sends them there. False (with *bad = the product index)
 * for an empty or non-text code.
 */
static bool take_markings(struct sandbox *sb, json_t *root, size_t *bad)
{
	json_t *pur = json_object_get(root, "purchase");
	json_t *products = json_is_object(pur) ? json_object_get(pur, "products") : NULL;
	size_t i;
	json_t *p;
	json_array_foreach(products, i, p)
	{
		if (!json_is_object(p))
			continue;
		json_t *mc = json_object_get(p, "marking_code");
		if (mc && (!json_is_string(mc) || !json_string_length(mc))) {
			*bad = i;
			return false;
		}
		if (mc)
			sandbox_log(
			    sb,
			    "lifepay ffd1.2: purchase.products[%zu].marking_code accepted and "
			    "recorded (%zu bytes)",
			    i, json_string_length(mc));
		if (json_object_get(p, "marking_code_status"))
			sandbox_log(sb,
				    "lifepay ffd1.2: purchase.products[%zu].marking_code_status "
				    "accepted and recorded (not checked)",
				    i);
		json_object_del(p, "marking_code");
		json_object_del(p, "marking_code_status");
	}
	return true;
}

bool sandbox_lifepay_handle(struct sandbox *sb, const struct sandbox_request *rq,
			    struct sandbox_reply *rp)
{
	enum doc_kind kind;
	if (!kind_from_path(rq->path, &kind))
		return false;
	if (strcmp(rq->method, "POST") != 0) {
		json_t *j = json_object();
		json_object_set_new(j, "error", json_string("method not allowed here; use POST"));
		json_object_set_new(j, "status", json_integer(405));
		sandbox_reply_json(rp, 405, j);
		str_copy(rp->extra_header[0], "Allow: POST", sizeof rp->extra_header[0]);
		return true;
	}
	json_t *root = jsonx_loads(rq->body, rq->body_len, NULL);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		reply_field(rp, 6000, "Неверный формат данных.", "request",
			    "тело запроса должно быть одним JSON-объектом");
		return true;
	}
	size_t bad = 0;
	if (strcmp(rq->path, PATH_FFD12_RECEIPT) == 0 && !take_markings(sb, root, &bad)) {
		char field[64];
		snprintf(field, sizeof field, "purchase.products[%zu].marking_code", bad);
		json_decref(root);
		reply_field(rp, 400, "Ошибка данных.", field,
			    "код маркировки должен быть непустой строкой");
		return true;
	}
	if (!sb->opt.strict)
		sandbox_lifepay_tolerate(sb, root, kind);
	const json_t *login = json_object_get(root, "login");
	const json_t *apikey = json_object_get(root, "apikey");
	if ((login && !json_is_string(login)) || (apikey && !json_is_string(apikey))) {
		const char *which = login && !json_is_string(login) ? "login" : "apikey";
		json_decref(root);
		reply_field(rp, 6000, "Неверный формат данных.", which, "ожидается строка");
		return true;
	}
	struct sb_lifepay_acc *acc =
	    login ? sandbox_accounts_lifepay(&sb->accounts, json_string_value(login)) : NULL;
	if (!acc) {
		json_decref(root);
		reply_envelope(rp, 6009, "Не удалось найти пользователя по login.", NULL);
		return true;
	}
	const char *key = apikey ? json_string_value(apikey) : "";
	if (strlen(key) != strlen(acc->apikey) || !mem_equal_ct(key, acc->apikey, strlen(key))) {
		json_decref(root);
		reply_envelope(rp, 6010, "Не удалось найти пользователя по login и apikey.", NULL);
		return true;
	}
	if (!acc->cloud) {
		json_decref(root);
		reply_envelope(rp, 6080, "Облачная фискализация запрещена.", NULL);
		return true;
	}
	if (sandbox_prng_chance(&sb->prng, sb->faults.denied)) {
		json_decref(root);
		sandbox_log(sb, "lifepay %s -> 6095 (fault denied)", doc_kind_wire(kind));
		reply_envelope(rp, 6095, "Доступ запрещен.", NULL);
		return true;
	}
	bool replied = check_types(root, doc_kind_has_basket(kind), rp);
	/* The client's parser reads the request as the tolerant reading left it. */
	char *text = replied ? NULL : jsonx_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (replied)
		return true;
	if (!text) {
		reply_envelope(rp, 500, "Внутренняя ошибка сервера.", NULL);
		return true;
	}

	struct ctx c = {.sb = sb, .rp = rp, .acc = acc, .kind = kind};
	c.d = xcalloc(1, sizeof *c.d);
	struct lifepay_auth auth;
	struct kerr e = {0};
	kstatus parsed = wire_lifepay_parse_request(text, strlen(text), kind, c.d, &auth, &e);
	explicit_bzero(text, strlen(text));
	free(text);
	if (parsed != K_OK) {
		explicit_bzero(&auth, sizeof auth);
		reply_kerr(rp, &e, doc_kind_has_basket(kind) ? "purchase" : "request");
		free(c.d);
		return true;
	}
	explicit_bzero(&auth, sizeof auth);
	/* A repeat of an ext_id answers with the first document, whatever changed since. */
	if (!c.d->test && c.d->ext_id[0]) {
		struct sb_doc first;
		if (sandbox_store_doc_by_ext(sb->store, acc->login, c.d->ext_id, &first, NULL) ==
		    K_OK) {
			sandbox_log(sb, "lifepay ext_id repeat -> %s", first.uuid);
			reply_uuid(rp, first.uuid);
			sandbox_doc_free(&first);
			goto out;
		}
	}
	if (document_validate(c.d, &e) != K_OK || settle_check(c.d, &e) != K_OK) {
		reply_kerr(rp, &e, doc_kind_has_basket(kind) ? "purchase" : "request");
		goto out;
	}
	if (!pick_printer(&c))
		goto out;
	if (c.d->type == RT_REFUND && !check_refund(&c))
		goto out;
	if (c.d->test) {
		struct sb_printer_state ps;
		struct sb_shift sh;
		bool open;
		if (apply_shift(&c, false, &ps, &sh, &open))
			reply_envelope(rp, 0, "", NULL);
		sandbox_log(sb, "lifepay %s test=1 -> %d", doc_kind_wire(kind), rp->http_status);
		goto out;
	}
	create_document(&c);
out:
	document_free(c.d);
	free(c.d);
	return true;
}

/* ---- completion and callbacks (worker thread, lock held) ---- */

static uint64_t mix(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static void queue_callback(struct sandbox *sb, const struct sb_doc *r, const char *status)
{
	json_t *j = json_object();
	json_object_set_new(j, "uuid", json_string(r->uuid));
	json_object_set_new(j, "ext_id", r->ext_id[0] ? json_string(r->ext_id) : json_null());
	json_object_set_new(j, "status", json_string(status));
	json_t *pos = sandbox_lifepay_pos_json(r->outcome);
	if (pos)
		json_object_set_new(j, "pos", pos);
	json_t *data = NULL;
	if (r->callback_data)
		data = jsonx_loads(r->callback_data, strlen(r->callback_data), NULL);
	json_object_set_new(j, "callback_data", data ? data : json_null());
	if (strcmp(status, "retry") == 0) {
		/* awaiting retry: nothing final yet */
	} else if (strcmp(status, "processed") == 0) {
		if (r->ofd_url[0])
			json_object_set_new(j, "ofd_url", json_string(r->ofd_url));
		if (r->fn[0]) {
			char fd[24];
			snprintf(fd, sizeof fd, "%lld", r->fd);
			json_object_set_new(j, "fn", json_string(r->fn));
			json_object_set_new(j, "fd", json_string(fd));
			json_object_set_new(j, "fpd", json_string(r->fpd));
		}
	} else {
		if (r->error_code)
			json_object_set_new(j, "error_code", json_integer(r->error_code));
		json_object_set_new(j, "error_message", json_string(r->error_message));
	}
	char *text = jsonx_dumps(j, JSON_COMPACT);
	json_decref(j);
	char *body = NULL;
	form_add(&body, "data", text ? text : "{}");
	free(text);
	struct sb_callback cb = {0};
	str_copy(cb.provider, "lifepay", sizeof cb.provider);
	str_copy(cb.ref, r->uuid, sizeof cb.ref);
	cb.url = r->callback_url;
	cb.content_type = (char *)"application/x-www-form-urlencoded";
	cb.body = body;
	cb.max_attempts = SANDBOX_CALLBACK_ATTEMPTS;
	cb.next_ms = sandbox_now(sb);
	sandbox_store_cb_add(sb->store, &cb, NULL);
	free(body);
}

void sandbox_lifepay_finish_due(struct sandbox *sb)
{
	struct sb_doc r;
	for (int guard = 0; guard < 1000; guard++) {
		long long now = sandbox_now(sb);
		if (sandbox_store_doc_due(sb->store, now, &r, NULL) != K_OK)
			return;
		if (strcmp(r.outcome, "retry") == 0) {
			/* "ожидает повтора": the printer will try again; final a round later. */
			str_copy(r.outcome, "processed", sizeof r.outcome);
			r.due_ms = now + sandbox_scaled(sb, sb->opt.callback_delay_ms);
			sandbox_store_doc_requeue(sb->store, &r, NULL);
			sandbox_log(sb, "lifepay %s awaiting retry", r.uuid);
			if (r.callback_url)
				queue_callback(sb, &r, "retry");
			sandbox_doc_free(&r);
			continue;
		}
		bool ok =
		    strcmp(r.outcome, "processed") == 0 || strncmp(r.outcome, "pos-ok:", 7) == 0;
		str_copy(r.status, ok ? "processed" : "error", sizeof r.status);
		r.final_ms = now;
		bool fiscal = strcmp(r.kind, "receipt") == 0 || strcmp(r.kind, "correction") == 0 ||
			      strcmp(r.kind, "open-shift") == 0 || strcmp(r.kind, "z-report") == 0;
		struct sb_printer_state ps;
		bool have_printer = sandbox_store_printer(sb->store, r.printer, &ps, NULL) == K_OK;
		if (strcmp(r.status, "processed") == 0) {
			if (fiscal && have_printer) {
				str_copy(r.fn, ps.fn, sizeof r.fn);
				r.fd = ps.next_fd++;
				snprintf(r.fpd, sizeof r.fpd, "%010llu",
					 (unsigned long long)(mix(r.uuid) % UINT64_C(10000000000)));
				sandbox_store_printer_save(sb->store, &ps, NULL);
			}
			if (strcmp(r.kind, "receipt") == 0 || strcmp(r.kind, "correction") == 0)
				snprintf(r.ofd_url, sizeof r.ofd_url,
					 "https://ofd.sandbox.invalid/receipt?fn=%s&i=%lld&fp=%s",
					 r.fn, r.fd, r.fpd);
		} else {
			sandbox_lifepay_set_error(&r);
			/* The cash of a failed receipt never reached the drawer. */
			int64_t net = r.cash - r.change;
			if (have_printer && net) {
				ps.drawer += strcmp(r.type, "payment") == 0 ||
						     strcmp(r.type, "buy_refund") == 0
						 ? -net
						 : net;
				sandbox_store_printer_save(sb->store, &ps, NULL);
			}
		}
		sandbox_store_doc_finish(sb->store, &r, NULL);
		sandbox_log(sb, "lifepay %s %s", r.uuid, r.status);
		if (r.callback_url)
			queue_callback(sb, &r, r.status);
		sandbox_doc_free(&r);
	}
}
