/*
 * The document model: every cloud-print request kassa can send. A document
 * carries what the cashier decided (basket, payment as written, with "#"
 * kept) plus delivery identity (ext_id, callback). Wire formats live in
 * wire/; this file knows nothing about JSON.
 */
#ifndef KASSA_DOCUMENT_H
#define KASSA_DOCUMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "basket.h"
#include "payment.h"
#include "status.h"

/* Kinds: enum name, LifePay cloud-print path, short wire name, label. */
#define DOC_KIND_INFO(_)                                                                           \
	_(RECEIPT, "/cloud-print/create-receipt", "receipt", N_("receipt"))                        \
	_(NONFISCAL, "/cloud-print/create-non-fiscal-receipt", "non-fiscal",                       \
	  N_("non-fiscal receipt"))                                                                \
	_(CORRECTION, "/cloud-print/create-receipt-correction", "correction",                      \
	  N_("correction receipt"))                                                                \
	_(OPEN_SHIFT, "/cloud-print/create-session", "open-shift", N_("open shift"))               \
	_(X_REPORT, "/cloud-print/create-x-report", "x-report", N_("X-report"))                    \
	_(Z_REPORT, "/cloud-print/create-z-report", "z-report", N_("Z-report"))                    \
	_(CASH_IN, "/cloud-print/cash-in", "cash-in", N_("cash in"))                               \
	_(CASH_OUT, "/cloud-print/cash-out", "cash-out", N_("cash out"))
#define DOC_KIND_ENUM(name, path, wire, label) DOC_##name,
enum doc_kind { DOC_KIND_INFO(DOC_KIND_ENUM) DOC_KIND_COUNT };
#undef DOC_KIND_ENUM

/* Receipt types (tag 1054): LifePay name, PayKeeper name, label. */
#define RECEIPT_TYPE_INFO(_)                                                                       \
	_(PAYMENT, "payment", "sale", N_("sale"))                                                  \
	_(REFUND, "refund", "refund", N_("refund"))                                                \
	_(BUY, "buy", "expense", N_("purchase"))                                                   \
	_(BUY_REFUND, "buy_refund", "expense-refund", N_("purchase refund"))
#define RECEIPT_TYPE_ENUM(name, lp, pk, label) RT_##name,
enum receipt_type { RECEIPT_TYPE_INFO(RECEIPT_TYPE_ENUM) RT_COUNT };
#undef RECEIPT_TYPE_ENUM

/* Tax systems (tag 1055); TAX_DEFAULT = not sent, the cabinet's setting. */
#define TAX_INFO(_)                                                                                \
	_(DEFAULT, "", N_("cabinet default"))                                                      \
	_(OSN, "osn", N_("OSN (general)"))                                                         \
	_(USN6, "usn6", N_("USN income"))                                                          \
	_(USN15, "usn15", N_("USN income minus expense"))                                          \
	_(ESHN, "eshn", N_("ESHN (agricultural)"))                                                 \
	_(PATENT, "patent", N_("patent"))
#define TAX_ENUM(name, wire, label) TAX_##name,
enum tax_system { TAX_INFO(TAX_ENUM) TAX_COUNT };
#undef TAX_ENUM

/* How the buyer gets the receipt; MODE_DEFAULT = not sent. */
enum receipt_mode { MODE_DEFAULT, MODE_EMAIL, MODE_PRINT, MODE_PRINT_EMAIL, MODE_COUNT };

#define EXT_ID_MAX 50
#define CALLBACK_URL_MAX 255
#define UUID_TEXT_MAX 64

struct document {
	enum doc_kind kind;
	enum receipt_type type;
	struct basket basket;		/* receipts and non-fiscal receipts */
	struct payment pay;		/* as written, "#" kept */
	struct payment_result resolved; /* filled by document_validate() */
	int64_t amount;			/* cash-in / cash-out, kopecks */

	char ext_id[EXT_ID_MAX + 1];
	char ref_uuid[UUID_TEXT_MAX + 1];
	enum tax_system tax_system;
	char payment_place[256];
	char cashier_name[256];
	char cashier_inn[16];
	char target_serial[64];
	char customer_email[256];
	char customer_phone[32];
	char customer_name[1024]; /* the buyer (tag 1227): LifePay FFD 1.2, PayKeeper
				     receipt_properties */
	char customer_inn[13];	  /* the buyer's INN (tag 1228) */
	enum receipt_mode mode;
	bool pos_set;
	int pos_perform;    /* 0/1 */
	int pos_slip_count; /* 0..2 */
	char callback_url[CALLBACK_URL_MAX + 1];
	char *callback_data_json; /* callback_data as compact JSON text, or NULL; owned */
	bool test;
	/* Local only, never sent: it is the screen's open basket (the journal drops that with it).
	 */
	bool clear_open_basket;

	/*
	 * What the cashier confirmed (screen) or the command line allowed, for
	 * guard_document(); never sent. allow_large: amounts above the profile's
	 * max_receipt. no_original: a refund that cites no original sale.
	 */
	bool allow_large;
	bool no_original;

	/*
	 * Settlements other than money now (PayKeeper: sum_advance, sum_credit;
	 * reference "Advance, then final settlement"). prepayment: advances paid
	 * earlier that this final-settlement receipt offsets (file key
	 * prepayment_amount, tag 1215); the credit is the sum of the lines whose
	 * payment method is 6, transfer on credit (tag 1216). payment_id: the
	 * PayKeeper payment the receipt belongs to (empty = a free-form receipt).
	 */
	int64_t prepayment;
	char payment_id[64];
	/*
	 * Local, never sent (lib/settle.h, lib/journal_link.h): order is the
	 * order a prepayment receipt will settle when its own lines are not it
	 * (partial prepayment, advance; owned, NULL = its lines with method 4);
	 * settles is the journal id of the prepayment receipt a final receipt
	 * settles (0 = none).
	 */
	struct basket *order;
	int64_t settles;
	/* Local, from the profile (ffd = 1.2): LifePay's FFD 1.2 path, marking codes sent. */
	bool ffd12;

	/* Correction receipt (FFD 1.05). */
	char correction_initiator[32]; /* independently | directive */
	char correction_description[256];
	char correction_doc_date[11]; /* YYYY-MM-DD */
	char correction_doc_number[33];
};

const char *doc_kind_path(enum doc_kind k);
const char *doc_kind_wire(enum doc_kind k);
const char *doc_kind_label(enum doc_kind k);
bool doc_kind_parse(const char *wire, enum doc_kind *k);
/* True for kinds that carry a basket (receipt, non-fiscal, correction). */
bool doc_kind_has_basket(enum doc_kind k);
const char *receipt_type_lifepay(enum receipt_type t);
const char *receipt_type_paykeeper(enum receipt_type t);
const char *receipt_type_label(enum receipt_type t);
bool receipt_type_parse(const char *lifepay_name, enum receipt_type *t);
const char *tax_system_wire(enum tax_system t);
const char *tax_system_label(enum tax_system t);
bool tax_system_parse(const char *wire, enum tax_system *t);
const char *receipt_mode_wire(enum receipt_mode m);
bool receipt_mode_parse(const char *wire, enum receipt_mode *m);

/* A zeroed document of the given kind (type payment, empty basket). */
void document_init(struct document *d, enum doc_kind k);
/* Frees what the document owns (callback_data_json); the struct stays usable. */
void document_free(struct document *d);
/* Deep copy (callback_data_json duplicated). */
void document_copy(struct document *dst, const struct document *src);
/* Gives the document a fresh ext_id (a random UUID) if it has none. */
void document_assign_ext_id(struct document *d);
/*
 * Checks every rule the client can check before sending: fields the kind
 * does not carry, lines, payment (resolving "#" into d->resolved, the
 * provider's code in err->code), lengths (ext_id <= 50, callback_url
 * <= 255), a refund paid back on the POS terminal needs ref_uuid, cash-in/out
 * amount > 0 and target_serial, phone (normalised in place) and e-mail shape,
 * no control characters in any text. err->field names the request field
 * ("purchase.products[1].quantity", products counted from 0).
 */
kstatus document_validate(struct document *d, struct kerr *err);
/* Normalises a phone to 11 digits starting with 7 ("+7 (910) 123-45-67"). */
kstatus document_normalize_phone(const char *in, char *out, size_t n, struct kerr *err);

/* The cashier's name (tag 1021) is at most this many characters. */
#define CASHIER_NAME_MAX_CHARS 64

/*
 * True if a document of kind k carries the request field `field` (LifePay
 * names: "purchase", "card_amount", "cashier_inn", "amount", "initiator" ...).
 * The wire formats use this to refuse fields a kind does not send.
 */
bool document_field_allowed(enum doc_kind k, const char *field);
/* Checks free text: valid UTF-8, no control characters, at most max_chars (0 = no limit). */
kstatus document_check_text(const char *s, size_t max_chars, const char *field, struct kerr *err);
/* True for a uuid such as "84fefc72-cbc5-5cc1-ba40-d00f035f05cb" (8-4-4-4-12 hex digits). */
bool document_uuid_valid(const char *s);
/* True for a 10-digit (company) or 12-digit (person) INN with correct check digits. */
bool document_inn_valid(const char *inn);
/* True for a date "YYYY-MM-DD" that exists in the calendar. */
bool document_date_valid(const char *s);
/* What the buyer pays now: the total less the advance offset and the credit lines (method 6). */
int64_t document_due(const struct document *d);
/* The lines transferred on credit (payment method 6): PayKeeper's sum_credit. */
int64_t document_credit(const struct document *d);

/* What only LifePay refuses of a valid document: a buyer contact on a correction
 * (FFD 1.05 has none; PayKeeper's FFD 1.2 correction needs one). */
kstatus document_check_lifepay(const struct document *d, struct kerr *err);

#endif
