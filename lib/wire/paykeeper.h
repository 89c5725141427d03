/*
 * PayKeeper receipts (JSON API section 8): the /change/receipt/print/ form
 * with the cart as a JSON string, the token/print/byid/registry replies,
 * registry query strings and the receipt callback's HMAC-SHA256 signature.
 * Pure functions: no network, no clock. Amounts are exact (int64 kopecks).
 */
#ifndef KASSA_WIRE_PAYKEEPER_H
#define KASSA_WIRE_PAYKEEPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "document.h"
#include "status.h"
#include "wire/form.h"

#define PAYKEEPER_PATH_TOKEN "/info/settings/token/"
#define PAYKEEPER_PATH_PRINT "/change/receipt/print/"
#define PAYKEEPER_PATH_BYID "/info/receipts/byid/"
#define PAYKEEPER_PATH_BYPAYMENTID "/info/receipts/bypaymentid/"
#define PAYKEEPER_PATH_BYDATE "/info/receipts/bydate/"
#define PAYKEEPER_PATH_BYDATECOUNT "/info/receipts/bydatecount/"
#define PAYKEEPER_PATH_SEARCH "/info/receipts/search/"

/* receipt_key: at least this many characters of [A-Za-z0-9_-]. */
#define PAYKEEPER_RECEIPT_KEY_MIN 6
#define PAYKEEPER_RECEIPT_KEY_MAX 64
/* Hex HMAC-SHA256: 64 digits. */
#define PAYKEEPER_SIGN_HEX_LEN 64

/* Receipt statuses (table 8.4.3): enum name, wire name, final. */
#define PK_STATUS_INFO(_)                                                                          \
	_(CREATED, "created", false)                                                               \
	_(SENDING, "sending", false)                                                               \
	_(REQUEST_SENT, "request_sent", false)                                                     \
	_(SUCCESS, "success", true)                                                                \
	_(REJECTED, "rejected", true)                                                              \
	_(TIMEOUT, "timeout", true)                                                                \
	_(FAILED, "failed", true)
#define PK_STATUS_ENUM(name, wire, final) PK_STATUS_##name,
/* PK_STATUS_UNKNOWN: a status this build does not know (kept as text, not final). */
enum pk_status { PK_STATUS_INFO(PK_STATUS_ENUM) PK_STATUS_UNKNOWN, PK_STATUS_COUNT };
#undef PK_STATUS_ENUM

/* Wire name of a status ("created"); "unknown" for PK_STATUS_UNKNOWN. */
const char *paykeeper_status_wire(enum pk_status s);
/* Status for a wire name; PK_STATUS_UNKNOWN (and false) for anything else. */
bool paykeeper_status_parse(const char *wire, enum pk_status *s);
/* True for success, rejected, timeout and failed: PayKeeper will not change them. */
bool paykeeper_status_final(enum pk_status s);

/* ---- /change/receipt/print/ ---- */

/* What the document does not carry. NULL strings mean empty. */
struct pk_print_opts {
	const char *payment_id;	 /* PayKeeper payment id; '' for free-form receipts */
	const char *refund_id;	 /* refund number within the payment, usually '' */
	bool is_post_sale;	 /* final settlement; never sent for type=refund */
	const char *receipt_key; /* our unique key; NULL = the document's ext_id */
	const char *token;	 /* from /info/settings/token/, required */
	bool without_token;	 /* the journal's copy: no token (the sender adds it) */
	/* The payment as document_validate() resolved it; NULL = resolve it here. */
	const struct payment_result *resolved;
};

/*
 * Builds the form body of /change/receipt/print/ for a fiscal receipt or a
 * correction document: payment_id, type, is_post_sale, refund_id, contact,
 * sum_cashless, sum_cash, cart (JSON text), receipt_key, token; a correction
 * adds is_correction=true, correction_type, correction_operation_date and
 * correction_document_number (checked with paykeeper_correction_validate()). The basket must be
 * recalculated; the payment is resolved here. *out is malloc'd. Fields the
 * provider cannot take (18% VAT, unknown payment objects, no contact) are
 * refused with err->field naming the form field ("cart[2].tax").
 */
kstatus paykeeper_print_form(const struct document *d, const struct pk_print_opts *o, char **out,
			     struct kerr *err);

/* ---- FFD 1.2 corrections (lib/wire/pk_correction.c) ---- */

/* correction_document_number: at most this many characters (tag 1179). */
#define PAYKEEPER_CORRECTION_NUMBER_MAX 32

/* What is wrong with a correction's fields; the same rules on both sides. */
enum pk_correction_bad {
	PK_CORR_OK,
	PK_CORR_BAD_TYPE,	/* correction_type is not self or by_order */
	PK_CORR_BAD_DATE,	/* correction_operation_date is not a real YYYY-MM-DD */
	PK_CORR_NUMBER_LONG,	/* correction_document_number over 32 characters */
	PK_CORR_NUMBER_MISSING, /* by_order without correction_document_number */
};

/* Checks correction_type, correction_operation_date, correction_document_number
 * (NULL = not sent). Used by paykeeper_print_form() and the sandbox. */
enum pk_correction_bad paykeeper_correction_check(const char *type, const char *date,
						  const char *number);
/* The form field a check result is about ("" for PK_CORR_OK). */
const char *paykeeper_correction_field(enum pk_correction_bad b);
/* A document's correction initiator as PayKeeper's correction_type:
 * independently (or empty) -> self, directive -> by_order, else as given. */
const char *paykeeper_correction_type(const char *initiator);
/* The document's correction fields checked by the same rules, err->field
 * naming the PayKeeper field and the message the document's own field. */
kstatus paykeeper_correction_validate(const struct document *d, struct kerr *err);

/*
 * The cart JSON alone (compact; exact decimals). Lines with a discount whose
 * unit price cannot reproduce the line sum are split in two (qty - 1 and 1)
 * so that price x quantity equals sum on every cart line.
 */
kstatus paykeeper_cart_json(const struct basket *b, char **out, struct kerr *err);

/* Normalises a buyer contact: an e-mail as is, a Russian phone as +7XXXXXXXXXX. */
kstatus paykeeper_contact(const char *email, const char *phone, char *out, size_t n,
			  struct kerr *err);

/* One cart line as PayKeeper reads it (table 12.1). */
struct pk_cart_item {
	char name[LINE_NAME_MAX_BYTES];
	int64_t price; /* kopecks */
	int64_t qty;   /* thousandths */
	int64_t sum;   /* kopecks */
	char tax[16];
	char item_type[32];    /* may be empty */
	char payment_type[32]; /* may be empty */
};

/* Parses cart JSON text into a malloc'd array (*n items). */
kstatus paykeeper_parse_cart(const char *json, size_t len, struct pk_cart_item **items, size_t *n,
			     struct kerr *err);

/* A print request as PayKeeper receives it (for the sandbox). */
struct pk_print_request {
	char payment_id[64];
	char type[24]; /* sale, refund, expense, expense-refund */
	bool has_is_post_sale;
	bool is_post_sale;
	char refund_id[32];
	char contact[256];
	int64_t sum_cashless, sum_cash, sum_advance, sum_credit, sum_counter_payment;
	struct pk_cart_item *items; /* owned */
	size_t n_items;
	char receipt_key[PAYKEEPER_RECEIPT_KEY_MAX + 1];
	char token[256];
};

/*
 * Parses and checks a /change/receipt/print/ body: payment_id present, known
 * type, true/false flags, amounts, cart items, receipt_key shape, token
 * present, and the cart total equal to the sum of the payment fields.
 * Free with paykeeper_print_request_free().
 */
kstatus paykeeper_parse_print_request(const char *body, size_t len, struct pk_print_request *r,
				      struct kerr *err);
void paykeeper_print_request_free(struct pk_print_request *r);

/* ---- replies ---- */

/* A receipt object (table 8.4.2), from byid, the registries or the callback. */
struct pk_receipt {
	int64_t id;
	char payment_id[64];
	char type[24];
	bool is_post_sale, is_correction;
	char refund_id[32];
	enum pk_status status;
	char status_text[32];
	char contact[256];
	int64_t sum_cashless, sum_cash, sum_advance, sum_credit, sum_counter_payment;
	char *cart;		  /* JSON text as received, owned, may be NULL */
	char *receipt_properties; /* JSON text, owned, may be NULL */
	char *custom_params;	  /* JSON text, owned, may be NULL */
	char fpd[32], fnd[32], fn[32];
	char ts[32]; /* YYYYMMDDTHHmm */
	char rnkkt[32];
	char shift_number[16], receipt_number[16];
	char obtain_datetime[32], request_datetime[32];
	char fop_receipt_key[128];
	char fop_uuid[64];
	char fop_url[1024];
	/* error (rejected/failed): parsed from its JSON text. */
	bool has_error;
	/* syntax_error, ffd_error, item_code_error, print_error or queue_error */
	char error_type[32];
	char error_message[512];
	char error_id[64];
};

/* Frees what a receipt owns; the struct is zeroed. */
void paykeeper_receipt_free(struct pk_receipt *r);

/* Parses {"token": "..."} into out (n bytes). A failure reply gives K_PROVIDER. */
kstatus paykeeper_parse_token(const char *body, size_t len, char *out, size_t n, struct kerr *err);
/* Parses {"receipt_id": N}. {"result":"fail","msg":...} gives K_PROVIDER with msg. */
kstatus paykeeper_parse_print_reply(const char *body, size_t len, int64_t *receipt_id,
				    struct kerr *err);
/* Parses a byid reply; an empty reply is K_NOTFOUND. Free with paykeeper_receipt_free. */
kstatus paykeeper_parse_receipt(const char *body, size_t len, struct pk_receipt *r,
				struct kerr *err);

/* Filter types of the registries (8.1). */
#define PK_FILTER_TYPE_INFO(_)                                                                     \
	_(SALE, "sale")                                                                            \
	_(REFUND, "refund")                                                                        \
	_(EXPENSE, "expense")                                                                      \
	_(EXPENSE_REFUND, "expense-refund")                                                        \
	_(CORRECTION, "correction")
#define PK_FILTER_TYPE_ENUM(name, wire) PK_TYPE_##name,
enum pk_filter_type { PK_FILTER_TYPE_INFO(PK_FILTER_TYPE_ENUM) PK_TYPE_COUNT };
#undef PK_FILTER_TYPE_ENUM

#define PK_SUM_TYPE_INFO(_)                                                                        \
	_(CASHLESS, "sum_cashless")                                                                \
	_(CASH, "sum_cash")                                                                        \
	_(ADVANCE, "sum_advance")                                                                  \
	_(CREDIT, "sum_credit")
#define PK_SUM_TYPE_ENUM(name, wire) PK_SUM_##name,
enum pk_sum_type { PK_SUM_TYPE_INFO(PK_SUM_TYPE_ENUM) PK_SUM_COUNT };
#undef PK_SUM_TYPE_ENUM

/* Counts (bydatecount, or "counts" of bydate). -1 = not present in the reply. */
struct pk_counts {
	int64_t by_status[PK_STATUS_COUNT];
	int64_t by_type[PK_TYPE_COUNT];
	int64_t by_sum_type[PK_SUM_COUNT];
	int64_t page_size;
	int64_t total;
};

/* A registry reply: bydate ({"receipts": [...], "counts": {...}} or a bare
 * array), bypaymentid and search (arrays). */
struct pk_receipt_list {
	struct pk_receipt *items; /* owned */
	size_t n;
	bool has_counts;
	struct pk_counts counts;
};

/* Parses a registry reply; an empty reply is an empty list. */
kstatus paykeeper_parse_receipt_list(const char *body, size_t len, struct pk_receipt_list *l,
				     struct kerr *err);
void paykeeper_receipt_list_free(struct pk_receipt_list *l);
/* Parses a bydatecount reply (nested {"status":{"created":4}} or dotted keys). */
kstatus paykeeper_parse_counts(const char *body, size_t len, struct pk_counts *c, struct kerr *err);

/* ---- query strings (without the leading '?'; malloc'd) ---- */

enum pk_sort {
	PK_SORT_DEFAULT, /* not sent: request_datetime */
	PK_SORT_PAYMENT_ID,
	PK_SORT_REFUND_ID,
	PK_SORT_REQUEST_DATETIME,
	PK_SORT_OBTAIN_DATETIME,
	PK_SORT_STATUS,
};
enum pk_direction { PK_DIR_DEFAULT, PK_DIR_ASC, PK_DIR_DESC };

struct pk_bydate_query {
	char start[11], end[11]; /* YYYY-MM-DD, or empty = not sent */
	unsigned statuses;	 /* bits 1u << enum pk_status; 0 = not sent */
	unsigned types;		 /* bits 1u << enum pk_filter_type; required */
	unsigned sum_types;	 /* bits 1u << enum pk_sum_type; required */
	enum pk_sort sort;
	enum pk_direction direction;
	int64_t from;  /* 0 = not sent */
	int64_t limit; /* 0 = not sent (PayKeeper's default is 10) */
};

/*
 * start, end, status[i], receipt_type[i], sum_type[i], sort, direction, from,
 * limit (brackets percent-encoded; PHP decodes them into arrays).
 */
kstatus paykeeper_query_bydate(const struct pk_bydate_query *q, char **out, struct kerr *err);
/* start=..&end=.. (both required). */
kstatus paykeeper_query_bydatecount(const char *start, const char *end, char **out,
				    struct kerr *err);
/* start=..&end=..&query=.. (query required; matches id, payment_id, contact). */
kstatus paykeeper_query_search(const char *start, const char *end, const char *query, char **out,
			       struct kerr *err);
/* id=N */
char *paykeeper_query_byid(int64_t id);
/* payment_id=... */
char *paykeeper_query_bypaymentid(const char *payment_id);

/* ---- receipt callback (8.13) ---- */

/*
 * Signs a parameter set the way PayKeeper does: every pair except "sign"
 * (empty values included), sorted by key in byte order, values joined with
 * ';', HMAC-SHA256 keyed with the secret word, lowercase hex into out_hex
 * (PAYKEEPER_SIGN_HEX_LEN + 1 bytes). Duplicate keys are K_INVALID.
 */
kstatus paykeeper_sign(const struct form_pair *pairs, size_t n, const char *secret,
		       char out_hex[PAYKEEPER_SIGN_HEX_LEN + 1], struct kerr *err);

/*
 * Checks a callback body (form-encoded): `sign` present once, 64 hex digits
 * in any case, equal (constant time) to paykeeper_sign over the other
 * parameters; then fills out. K_REFUSED for a missing or wrong signature,
 * K_INVALID for a malformed body. The secret never appears in err.
 */
kstatus paykeeper_verify_callback(const char *body, size_t len, const char *secret,
				  struct pk_receipt *out, struct kerr *err);

/* A receipt's fields as text pairs (table 8.4.2 names, error as JSON text); free with
 * form_pairs_free. Empty fields are included, as PayKeeper sends them. */
struct form_pair *paykeeper_receipt_pairs(const struct pk_receipt *r, size_t *n);
/* A receipt as the JSON object of a byid reply (amounts as exact numbers); malloc'd. */
char *paykeeper_receipt_json(const struct pk_receipt *r);
/* Form body of pairs plus their "sign" (how the sandbox sends a callback); malloc'd. */
kstatus paykeeper_callback_body(const struct form_pair *pairs, size_t n, const char *secret,
				char **out, struct kerr *err);

#endif
