#include "document.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "i18n.h"
#include "money.h"
#include "settle.h"
#include "util.h"

#define KIND_PATH(name, path, wire, label) path,
#define KIND_WIRE(name, path, wire, label) wire,
#define KIND_LABEL(name, path, wire, label) label,
static const char *const kind_paths[] = {DOC_KIND_INFO(KIND_PATH)};
static const char *const kind_wires[] = {DOC_KIND_INFO(KIND_WIRE)};
static const char *const kind_labels[] = {DOC_KIND_INFO(KIND_LABEL)};

#define RT_LP(name, lp, pk, label) lp,
#define RT_PK(name, lp, pk, label) pk,
#define RT_LABEL(name, lp, pk, label) label,
static const char *const rt_lifepay[] = {RECEIPT_TYPE_INFO(RT_LP)};
static const char *const rt_paykeeper[] = {RECEIPT_TYPE_INFO(RT_PK)};
static const char *const rt_labels[] = {RECEIPT_TYPE_INFO(RT_LABEL)};

#define TAX_WIRE(name, wire, label) wire,
#define TAX_LABEL(name, wire, label) label,
static const char *const tax_wires[] = {TAX_INFO(TAX_WIRE)};
static const char *const tax_labels[] = {TAX_INFO(TAX_LABEL)};

static const char *const mode_wires[MODE_COUNT] = {"", "email", "print", "print_email"};

static bool find_name(const char *const *names, int count, const char *s, int *out)
{
	if (!s)
		return false;
	for (int i = 0; i < count; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

const char *doc_kind_path(enum doc_kind k)
{
	return (unsigned)k < DOC_KIND_COUNT ? kind_paths[k] : "";
}

const char *doc_kind_wire(enum doc_kind k)
{
	return (unsigned)k < DOC_KIND_COUNT ? kind_wires[k] : "?";
}

const char *doc_kind_label(enum doc_kind k)
{
	return (unsigned)k < DOC_KIND_COUNT ? _(kind_labels[k]) : "?";
}

bool doc_kind_parse(const char *wire, enum doc_kind *k)
{
	int i;
	if (!find_name(kind_wires, DOC_KIND_COUNT, wire, &i))
		return false;
	*k = (enum doc_kind)i;
	return true;
}

bool doc_kind_has_basket(enum doc_kind k)
{
	return k == DOC_RECEIPT || k == DOC_NONFISCAL || k == DOC_CORRECTION;
}

const char *receipt_type_lifepay(enum receipt_type t)
{
	return (unsigned)t < RT_COUNT ? rt_lifepay[t] : "payment";
}

const char *receipt_type_paykeeper(enum receipt_type t)
{
	return (unsigned)t < RT_COUNT ? rt_paykeeper[t] : "sale";
}

const char *receipt_type_label(enum receipt_type t)
{
	return (unsigned)t < RT_COUNT ? _(rt_labels[t]) : "?";
}

bool receipt_type_parse(const char *lifepay_name, enum receipt_type *t)
{
	int i;
	if (!find_name(rt_lifepay, RT_COUNT, lifepay_name, &i))
		return false;
	*t = (enum receipt_type)i;
	return true;
}

const char *tax_system_wire(enum tax_system t)
{
	return (unsigned)t < TAX_COUNT ? tax_wires[t] : "";
}

const char *tax_system_label(enum tax_system t)
{
	return (unsigned)t < TAX_COUNT ? _(tax_labels[t]) : "?";
}

bool tax_system_parse(const char *wire, enum tax_system *t)
{
	int i;
	if (!find_name(tax_wires, TAX_COUNT, wire, &i))
		return false;
	*t = (enum tax_system)i;
	return true;
}

const char *receipt_mode_wire(enum receipt_mode m)
{
	return (unsigned)m < MODE_COUNT ? mode_wires[m] : "";
}

bool receipt_mode_parse(const char *wire, enum receipt_mode *m)
{
	int i;
	if (!find_name(mode_wires, MODE_COUNT, wire, &i))
		return false;
	*m = (enum receipt_mode)i;
	return true;
}

void document_init(struct document *d, enum doc_kind k)
{
	memset(d, 0, sizeof *d);
	d->kind = k;
	d->type = RT_PAYMENT;
	basket_init(&d->basket);
	d->tax_system = TAX_DEFAULT;
	d->mode = MODE_DEFAULT;
}

void document_free(struct document *d)
{
	free(d->callback_data_json);
	d->callback_data_json = NULL;
	free(d->order);
	d->order = NULL;
}

void document_copy(struct document *dst, const struct document *src)
{
	if (dst == src)
		return;
	memcpy(dst, src, sizeof *dst);
	dst->callback_data_json = src->callback_data_json ? xstrdup(src->callback_data_json) : NULL;
	dst->order = NULL;
	if (src->order) {
		dst->order = xmalloc(sizeof *dst->order);
		*dst->order = *src->order;
	}
}

void document_assign_ext_id(struct document *d)
{
	if (d->ext_id[0])
		return;
	uuid_t u;
	char text[37];
	uuid_generate_random(u);
	uuid_unparse_lower(u, text);
	str_copy(d->ext_id, text, sizeof d->ext_id);
}

/*
 * Which request fields each kind carries (LifePay names). The seeds and the
 * reference list them per endpoint; a field set on a kind that does not send
 * it would be silently lost, so validation refuses it instead.
 */
#define KB(k) (1u << (k))
#define K_ALL ((1u << DOC_KIND_COUNT) - 1)
#define K_BASKET (KB(DOC_RECEIPT) | KB(DOC_NONFISCAL) | KB(DOC_CORRECTION))
#define K_SALE (KB(DOC_RECEIPT) | KB(DOC_NONFISCAL))
#define K_SHIFT (KB(DOC_OPEN_SHIFT) | KB(DOC_Z_REPORT))
#define K_CASH (KB(DOC_CASH_IN) | KB(DOC_CASH_OUT))

enum doc_field {
	F_APIKEY,
	F_LOGIN,
	F_TEST,
	F_TYPE,
	F_PURCHASE,
	F_CARD,
	F_CASH,
	F_TAX,
	F_PLACE,
	F_CASHIER_NAME,
	F_CASHIER_INN,
	F_TARGET,
	F_EMAIL,
	F_PHONE,
	F_MODE,
	F_POS,
	F_REF_UUID,
	F_EXT_ID,
	F_CALLBACK_URL,
	F_CALLBACK_DATA,
	F_INITIATOR,
	F_DESCRIPTION,
	F_DOC_DATE,
	F_DOC_NUMBER,
	F_AMOUNT,
	F_PREPAYMENT,
	F_PAYMENT_ID,
	F_CUSTOMER_NAME,
	F_CUSTOMER_INN,
	F_COUNT
};

static const struct {
	const char *name;
	unsigned kinds;
} doc_fields[F_COUNT] = {
    [F_APIKEY] = {"apikey", K_ALL},
    [F_LOGIN] = {"login", K_ALL},
    [F_TEST] = {"test", K_ALL},
    [F_TYPE] = {"type", K_BASKET},
    [F_PURCHASE] = {"purchase", K_BASKET},
    [F_CARD] = {"card_amount", K_BASKET},
    [F_CASH] = {"cash_amount", K_BASKET},
    [F_TAX] = {"tax_system", K_BASKET},
    [F_PLACE] = {"payment_place", K_SALE},
    [F_CASHIER_NAME] = {"cashier_name", K_BASKET | K_SHIFT},
    [F_CASHIER_INN] = {"cashier_inn", KB(DOC_RECEIPT) | KB(DOC_CORRECTION) | K_SHIFT},
    [F_TARGET] = {"target_serial", K_ALL},
    /* corrections: for PayKeeper only (document_check_lifepay() refuses them) */
    [F_EMAIL] = {"customer_email", KB(DOC_RECEIPT) | KB(DOC_CORRECTION)},
    [F_PHONE] = {"customer_phone", KB(DOC_RECEIPT) | KB(DOC_CORRECTION)},
    [F_MODE] = {"mode", KB(DOC_RECEIPT)},
    [F_POS] = {"pos", K_SALE},
    [F_REF_UUID] = {"ref_uuid", K_SALE},
    [F_EXT_ID] = {"ext_id", K_ALL},
    [F_CALLBACK_URL] = {"callback_url", K_ALL},
    [F_CALLBACK_DATA] = {"callback_data", K_ALL},
    [F_INITIATOR] = {"initiator", KB(DOC_CORRECTION)},
    [F_DESCRIPTION] = {"description", KB(DOC_CORRECTION)},
    [F_DOC_DATE] = {"doc_date", KB(DOC_CORRECTION)},
    [F_DOC_NUMBER] = {"doc_number", KB(DOC_CORRECTION)},
    [F_AMOUNT] = {"amount", K_CASH},
    /* prepayment_amount: both (LifePay: seed 002); payment_id: PayKeeper only */
    [F_PREPAYMENT] = {"prepayment_amount", KB(DOC_RECEIPT)},
    [F_PAYMENT_ID] = {"payment_id", KB(DOC_RECEIPT) | KB(DOC_CORRECTION)},
    [F_CUSTOMER_NAME] = {"customer_name", KB(DOC_RECEIPT)},
    [F_CUSTOMER_INN] = {"customer_inn", KB(DOC_RECEIPT)},
};

bool document_field_allowed(enum doc_kind k, const char *field)
{
	if ((unsigned)k >= DOC_KIND_COUNT || !field)
		return false;
	for (int i = 0; i < F_COUNT; i++)
		if (strcmp(doc_fields[i].name, field) == 0)
			return (doc_fields[i].kinds & KB(k)) != 0;
	return false;
}

static bool field_is_set(const struct document *d, enum doc_field f)
{
	switch (f) {
	case F_TYPE:
		return d->type != RT_PAYMENT;
	case F_PURCHASE:
		return d->basket.n > 0;
	case F_CARD:
		return d->pay.card.kind != PAY_NONE;
	case F_CASH:
		return d->pay.cash.kind != PAY_NONE;
	case F_TAX:
		return d->tax_system != TAX_DEFAULT;
	case F_PLACE:
		return d->payment_place[0] != '\0';
	case F_CASHIER_NAME:
		return d->cashier_name[0] != '\0';
	case F_CASHIER_INN:
		return d->cashier_inn[0] != '\0';
	case F_EMAIL:
		return d->customer_email[0] != '\0';
	case F_PHONE:
		return d->customer_phone[0] != '\0';
	case F_MODE:
		return d->mode != MODE_DEFAULT;
	case F_POS:
		return d->pos_set;
	case F_REF_UUID:
		return d->ref_uuid[0] != '\0';
	case F_INITIATOR:
		return d->correction_initiator[0] != '\0';
	case F_DESCRIPTION:
		return d->correction_description[0] != '\0';
	case F_DOC_DATE:
		return d->correction_doc_date[0] != '\0';
	case F_DOC_NUMBER:
		return d->correction_doc_number[0] != '\0';
	case F_AMOUNT:
		return d->amount != 0;
	case F_PREPAYMENT:
		return d->prepayment != 0;
	case F_PAYMENT_ID:
		return d->payment_id[0] != '\0';
	case F_CUSTOMER_NAME:
		return d->customer_name[0] != '\0';
	case F_CUSTOMER_INN:
		return d->customer_inn[0] != '\0';
	default:
		return false; /* fields every kind may carry */
	}
}

kstatus document_check_text(const char *s, size_t max_chars, const char *field, struct kerr *err)
{
	size_t len = strlen(s);
	if (!utf8_valid(s, len))
		return kerr_set(err, K_INVALID, field, "%s", _("is not valid UTF-8 text"));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return kerr_set(err, K_INVALID, field, "%s",
					_("contains a control character; remove it"));
	uint32_t cp = utf8_find_control(s);
	if (cp)
		return kerr_set(err, K_INVALID, field,
				_("contains an invisible control or direction character (U+%04X) "
				  "that would change how the receipt reads; remove it"),
				(unsigned)cp);
	if (max_chars) {
		size_t chars = utf8_chars(s);
		if (chars > max_chars)
			return kerr_set(err, K_INVALID, field,
					_("is %zu characters long; at most %zu are allowed"), chars,
					max_chars);
	}
	return K_OK;
}

/* Identifiers that travel in URLs and logs: printable ASCII without spaces. */
static kstatus check_token(const char *s, size_t max, const char *field, struct kerr *err)
{
	size_t len = strlen(s);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return kerr_set(err, K_INVALID, field, "%s",
					_("may hold only Latin letters, digits and punctuation, "
					  "without spaces"));
	if (len > max)
		return kerr_set(err, K_INVALID, field,
				_("is %zu characters long; at most %zu are allowed"), len, max);
	return K_OK;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool document_uuid_valid(const char *s)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *p = s;
	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, p++)
			if (!is_hex(*p))
				return false;
		if (g < 4 && *p++ != '-')
			return false;
	}
	return *p == '\0';
}

static bool all_digits(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int inn_check_digit(const char *inn, const int *weights, int n)
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += (inn[i] - '0') * weights[i];
	return sum % 11 % 10;
}

bool document_inn_valid(const char *inn)
{
	static const int w10[] = {2, 4, 10, 3, 5, 9, 4, 6, 8};
	static const int w11[] = {7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
	static const int w12[] = {3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8};
	if (all_digits(inn, 10))
		return inn_check_digit(inn, w10, 9) == inn[9] - '0';
	if (all_digits(inn, 12))
		return inn_check_digit(inn, w11, 10) == inn[10] - '0' &&
		       inn_check_digit(inn, w12, 11) == inn[11] - '0';
	return false;
}

bool document_date_valid(const char *s)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int dd = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || dd < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	int max = days[m - 1] + (m == 2 && leap ? 1 : 0);
	return dd <= max;
}

kstatus document_normalize_phone(const char *in, char *out, size_t n, struct kerr *err)
{
	char digits[16];
	size_t nd = 0;
	bool plus = false;
	const char *p = in;
	while (*p == ' ')
		p++;
	if (*p == '+') {
		plus = true;
		p++;
	}
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (nd + 1 >= sizeof digits)
				return kerr_set(
				    err, K_INVALID, "customer_phone", "%s",
				    _("has too many digits; enter 11 digits starting with 7"));
			digits[nd++] = *p;
		} else if (*p != ' ' && *p != '-' && *p != '(' && *p != ')') {
			return kerr_set(
			    err, K_INVALID, "customer_phone", "%s",
			    _("may hold only digits, spaces, brackets, dashes and a leading +"));
		}
	}
	digits[nd] = '\0';
	char norm[12];
	if (nd == 11 && digits[0] == '7') {
		memcpy(norm, digits, 12);
	} else if (nd == 11 && digits[0] == '8' && !plus) {
		norm[0] = '7';
		memcpy(norm + 1, digits + 1, 11);
	} else if (nd == 10 && digits[0] == '9' && !plus) {
		norm[0] = '7';
		memcpy(norm + 1, digits, 11);
	} else {
		return kerr_set(err, K_INVALID, "customer_phone", "%s",
				_("must be a Russian number: 11 digits starting with 7, such as "
				  "+7 910 123-45-67"));
	}
	if (n < sizeof norm)
		return kerr_set(err, K_OVERFLOW, "customer_phone", "%s", _("is too long"));
	memcpy(out, norm, sizeof norm);
	return K_OK;
}

static kstatus check_email(const char *s, struct kerr *err)
{
	const char *at = strchr(s, '@');
	if (!at || strchr(at + 1, '@') || at == s || at[1] == '\0')
		return kerr_set(
		    err, K_INVALID, "customer_email", "%s",
		    _("must be an e-mail address with one @ and text on both sides, such as "
		      "buyer@example.ru"));
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
			return kerr_set(err, K_INVALID, "customer_email", "%s",
					_("must not contain spaces or control characters"));
	if (strlen(s) > 254)
		return kerr_set(err, K_INVALID, "customer_email", "%s",
				_("is longer than 254 characters"));
	return document_check_text(s, 0, "customer_email", err);
}

static kstatus check_allowed(const struct document *d, struct kerr *err)
{
	for (int f = 0; f < F_COUNT; f++)
		if (!(doc_fields[f].kinds & KB(d->kind)) && field_is_set(d, (enum doc_field)f))
			return kerr_set(err, K_INVALID, doc_fields[f].name,
					_("is not sent with a %s; remove it"),
					doc_kind_label(d->kind));
	return K_OK;
}

static kstatus check_line(const struct basket_line *l, size_t i, struct kerr *err)
{
	char prefix[40];
	snprintf(prefix, sizeof prefix, "purchase.products[%zu]", i);
	kstatus st = basket_check_line(l, err);
	if (st == K_OK && l->code[0])
		st = check_token(l->code, sizeof l->code - 1, "code", err);
	if (st == K_OK)
		for (const unsigned char *p = (const unsigned char *)l->marking; *p; p++)
			if ((*p < 0x20 && *p != 0x1d) || *p == 0x7f) {
				/* GS (0x1d) separates a marking code's groups; nothing else */
				st = kerr_set(err, K_INVALID, "marking_code", "%s",
					      _("contains a control character other than GS"));
				break;
			}
	if (st == K_OK) {
		int64_t gross;
		if (money_mul_qty(l->price, l->qty, &gross) != K_OK)
			st = kerr_set(err, K_OVERFLOW, "quantity", "%s",
				      _("price x quantity is too large"));
		else if (l->discount.type == DISCOUNT_AMOUNT && l->discount.value > gross) {
			char sum[32];
			money_format_wire(gross, sum, sizeof sum);
			st = kerr_set(err, K_INVALID, "discount",
				      _("is larger than the line's sum %s"), sum);
		}
	}
	if (st != K_OK)
		kerr_prefix(err, prefix);
	return st;
}

static kstatus check_basket(struct document *d, struct kerr *err)
{
	if (d->basket.n == 0)
		return kerr_set(err, K_INVALID, "purchase.products", "%s",
				_("is empty; add at least one product"));
	if (d->basket.n > BASKET_MAX_LINES)
		return kerr_set(err, K_INVALID, "purchase.products",
				_("holds more than %d products"), BASKET_MAX_LINES);
	for (size_t i = 0; i < d->basket.n; i++) {
		kstatus st = check_line(&d->basket.lines[i], i, err);
		if (st != K_OK)
			return st;
	}
	kstatus st = basket_recalc(&d->basket, err);
	if (st != K_OK) {
		kerr_prefix(err, "purchase");
		return st;
	}
	int64_t credit = document_credit(d);
	if (d->prepayment < 0 || d->prepayment > d->basket.total - credit)
		return kerr_set(err, K_INVALID, "prepayment_amount",
				_("must be from 0 to the receipt total less the lines on credit "
				  "(%lld.%02lld)"),
				(long long)((d->basket.total - credit) / 100),
				(long long)((d->basket.total - credit) % 100));
	if (d->prepayment > 0 || credit > 0) {
		/* Nothing is due now: no money amounts either. */
		if (document_due(d) == 0 && d->pay.card.kind != PAY_NONE &&
		    d->pay.card.kind != PAY_REMAINDER)
			return kerr_set(
			    err, K_INVALID, "card_amount", "%s",
			    _("nothing is due now: the advance and the credit cover the "
			      "total; remove it"));
	}
	if (document_due(d) == 0) {
		memset(&d->resolved, 0, sizeof d->resolved);
		return K_OK;
	}
	return payment_resolve(document_due(d), &d->pay, &d->resolved, err);
}

int64_t document_credit(const struct document *d)
{
	int64_t c = 0;
	for (size_t i = 0; i < d->basket.n; i++)
		if (d->basket.lines[i].method == 6)
			c += d->basket.lines[i].sum;
	return c;
}

int64_t document_due(const struct document *d)
{
	return d->basket.total - d->prepayment - document_credit(d);
}

static kstatus check_pos(const struct document *d, struct kerr *err)
{
	if (!d->pos_set)
		return K_OK;
	if (d->pos_perform != 0 && d->pos_perform != 1)
		return kerr_set(err, K_INVALID, "pos.perform", "%s", _("must be 0 or 1"));
	if (d->pos_slip_count < 0 || d->pos_slip_count > 2)
		return kerr_set(err, K_INVALID, "pos.slip_count", "%s", _("must be 0, 1 or 2"));
	if (d->pos_perform != 1)
		return K_OK;
	if (d->type != RT_PAYMENT && d->type != RT_REFUND)
		return kerr_set(
		    err, K_INVALID, "pos.perform", "%s",
		    _("the POS terminal takes only sales (payment) and refunds (refund)"));
	if (d->resolved.card <= 0)
		return kerr_set(
		    err, K_INVALID, "pos.perform", "%s",
		    _("the POS terminal charges card_amount; enter a card amount or #"));
	if (d->type == RT_REFUND && !d->ref_uuid[0])
		return kerr_set(
		    err, K_INVALID, "ref_uuid", "%s",
		    _("is required for a refund through the POS terminal (pos.perform=1); "
		      "enter the uuid of the original sale"));
	return K_OK;
}

static kstatus check_contact(struct document *d, struct kerr *err)
{
	kstatus st;
	if (d->customer_email[0] && (st = check_email(d->customer_email, err)) != K_OK)
		return st;
	if (d->customer_phone[0]) {
		char norm[sizeof d->customer_phone];
		st = document_normalize_phone(d->customer_phone, norm, sizeof norm, err);
		if (st != K_OK)
			return st;
		str_copy(d->customer_phone, norm, sizeof d->customer_phone);
	}
	if ((unsigned)d->mode >= MODE_COUNT)
		return kerr_set(err, K_INVALID, "mode", "%s",
				_("must be email, print or print_email"));
	if ((d->mode == MODE_EMAIL || d->mode == MODE_PRINT_EMAIL) && !d->customer_email[0] &&
	    !d->customer_phone[0])
		return kerr_set(err, K_INVALID, "customer_email",
				_("is needed with mode %s: enter the buyer's e-mail or phone"),
				receipt_mode_wire(d->mode));
	return K_OK;
}

static kstatus check_correction(const struct document *d, struct kerr *err)
{
	kstatus st;
	const char *ini = d->correction_initiator;
	if (ini[0] && strcmp(ini, "independently") != 0 && strcmp(ini, "directive") != 0)
		return kerr_set(err, K_INVALID, "initiator", "%s",
				_("must be independently (own decision) or directive (tax office "
				  "order)"));
	if ((st = document_check_text(d->correction_description, 0, "description", err)) != K_OK)
		return st;
	if (!d->correction_doc_date[0])
		return kerr_set(err, K_INVALID, "doc_date", "%s",
				_("is required: the date of the corrected settlement, YYYY-MM-DD"));
	if (!document_date_valid(d->correction_doc_date))
		return kerr_set(err, K_INVALID, "doc_date", "%s",
				_("must be a real date written YYYY-MM-DD, such as 2024-03-31"));
	if ((st = document_check_text(d->correction_doc_number, 32, "doc_number", err)) != K_OK)
		return st;
	if (strcmp(ini, "directive") == 0 && !d->correction_doc_number[0])
		return kerr_set(
		    err, K_INVALID, "doc_number", "%s",
		    _("is required with initiator directive: the tax office order's number"));
	return K_OK;
}

static kstatus check_delivery(const struct document *d, struct kerr *err)
{
	kstatus st;
	if (d->ext_id[0] && (st = check_token(d->ext_id, EXT_ID_MAX, "ext_id", err)) != K_OK)
		return st;
	if (d->callback_url[0]) {
		if ((st = check_token(d->callback_url, CALLBACK_URL_MAX, "callback_url", err)) !=
		    K_OK)
			return st;
		if (strncmp(d->callback_url, "http://", 7) != 0 &&
		    strncmp(d->callback_url, "https://", 8) != 0)
			return kerr_set(err, K_INVALID, "callback_url", "%s",
					_("must start with http:// or https://"));
	}
	if (d->callback_data_json) {
		if (!d->callback_data_json[0])
			return kerr_set(err, K_INVALID, "callback_data", "%s",
					_("is empty; leave it out or give a value"));
		if (!utf8_valid(d->callback_data_json, strlen(d->callback_data_json)))
			return kerr_set(err, K_INVALID, "callback_data", "%s",
					_("is not valid UTF-8 text"));
	}
	return K_OK;
}

kstatus document_validate(struct document *d, struct kerr *err)
{
	kstatus st;
	kerr_clear(err);
	memset(&d->resolved, 0, sizeof d->resolved);
	if ((unsigned)d->kind >= DOC_KIND_COUNT)
		return kerr_set(err, K_INVALID, "", "%s", _("unknown document kind"));
	if ((unsigned)d->type >= RT_COUNT)
		return kerr_set(err, K_INVALID, "type", "%s",
				_("must be payment, refund, buy or buy_refund"));
	if ((unsigned)d->tax_system >= TAX_COUNT)
		return kerr_set(err, K_INVALID, "tax_system", "%s",
				_("must be osn, usn6, usn15, eshn or patent"));
	if ((st = check_allowed(d, err)) != K_OK)
		return st;
	if (doc_kind_has_basket(d->kind) && (st = check_basket(d, err)) != K_OK)
		return st;
	if ((st = document_check_text(d->payment_place, 0, "payment_place", err)) != K_OK)
		return st;
	if ((st = document_check_text(d->cashier_name, CASHIER_NAME_MAX_CHARS, "cashier_name",
				      err)) != K_OK)
		return st;
	if (d->cashier_inn[0] && !all_digits(d->cashier_inn, 12))
		return kerr_set(err, K_INVALID, "cashier_inn", "%s",
				_("must be the cashier's INN: 12 digits"));
	if (d->cashier_inn[0] && !document_inn_valid(d->cashier_inn))
		return kerr_set(err, K_INVALID, "cashier_inn", "%s",
				_("has a wrong check digit; check the INN"));
	if ((st = document_check_text(d->customer_name, 256, "customer_name", err)) != K_OK)
		return st;
	if (d->customer_inn[0] && !document_inn_valid(d->customer_inn))
		return kerr_set(
		    err, K_INVALID, "customer_inn", "%s",
		    _("must be the buyer's INN: 10 or 12 digits with their check digits"));
	if (d->target_serial[0] && (st = check_token(d->target_serial, sizeof d->target_serial - 1,
						     "target_serial", err)) != K_OK)
		return st;
	if ((st = check_contact(d, err)) != K_OK)
		return st;
	if (d->ref_uuid[0]) {
		if (d->type != RT_REFUND)
			return kerr_set(err, K_INVALID, "ref_uuid", "%s",
					_("is only used with type refund; remove it"));
		if (!document_uuid_valid(d->ref_uuid))
			return kerr_set(err, K_INVALID, "ref_uuid", "%s",
					_("must be the sale's uuid, such as "
					  "84fefc72-cbc5-5cc1-ba40-d00f035f05cb"));
	}
	if ((st = check_pos(d, err)) != K_OK)
		return st;
	if ((st = check_delivery(d, err)) != K_OK)
		return st;
	if (d->kind == DOC_CORRECTION && (st = check_correction(d, err)) != K_OK)
		return st;
	if (d->kind == DOC_CASH_IN || d->kind == DOC_CASH_OUT) {
		if (d->amount <= 0 || d->amount > MONEY_MAX)
			return kerr_set(err, K_INVALID, "amount", "%s",
					_("is required and must be more than zero"));
		if (!d->target_serial[0])
			return kerr_set(
			    err, K_INVALID, "target_serial", "%s",
			    _("is required for cash in and cash out: enter the printer's "
			      "serial number"));
	}
	return K_OK;
}

kstatus document_check_lifepay(const struct document *d, struct kerr *err)
{
	if (d->payment_id[0])
		return kerr_set(err, K_INVALID, "payment_id", "%s",
				_("is sent to PayKeeper only (sum_advance, payment_id); send this "
				  "receipt through a PayKeeper profile"));
	/* Seed 002's final receipt: prepayment_amount on lines of type 4 (lib/settle.c). */
	kstatus st = settle_check(d, err);
	if (st != K_OK)
		return st;
	if (document_credit(d))
		return kerr_set(
		    err, K_INVALID, "purchase.products", "%s",
		    _("a line transferred on credit (payment method 6) is sent to "
		      "PayKeeper only (sum_credit); send it through a PayKeeper profile"));
	if (!d->ffd12 && (d->customer_name[0] || d->customer_inn[0]))
		return kerr_set(
		    err, K_INVALID, d->customer_name[0] ? "customer_name" : "customer_inn", "%s",
		    _("the buyer's name and INN go on LifePay's FFD 1.2 receipt only: set "
		      "ffd = 1.2 in the profile, or send through PayKeeper"));
	if (d->kind != DOC_CORRECTION)
		return K_OK;
	if (d->customer_email[0] || d->customer_phone[0])
		return kerr_set(err, K_INVALID,
				d->customer_email[0] ? "customer_email" : "customer_phone", "%s",
				_("LifePay's correction receipt takes no buyer contact; remove it "
				  "(a PayKeeper correction needs one)"));
	return K_OK;
}
