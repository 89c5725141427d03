/*
 * LIFE PAY pay-by-link bills and transaction notifications (version 2.0):
 * the request bodies kassa sends to api.life-pay.ru/v1/bill* and the parsers
 * of what comes back. Shapes and confidence marks:
 * ../shared/reference/lifepay-beyond-cloud-print.md, docs/SANDBOX.md "Bills".
 * Money is int64 kopecks; amounts travel as "1250.00" text.
 */
#ifndef KASSA_WIRE_BILL_H
#define KASSA_WIRE_BILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "i18n.h"
#include "status.h"

#define BILL_NUMBER_MAX 64
#define BILL_URL_MAX 1024
#define BILL_PHONE_MAX 32
#define BILL_EMAIL_MAX 256
#define BILL_DESCRIPTION_MAX 512

/* How the buyer pays: wire word, label. sbp is LIFE PAY's default. */
#define BILL_METHOD_INFO(_)                                                                        \
	_(SBP, "sbp", N_("SBP (fast payments)"))                                                   \
	_(INTERNET, "internetAcquiring", N_("internet acquiring (card)"))                          \
	_(MOBILE, "mobileCommerce", N_("mobile commerce (phone bill)"))
#define BILL_METHOD_ENUM(name, wire, label) BILL_METHOD_##name,
enum bill_method { BILL_METHOD_INFO(BILL_METHOD_ENUM) BILL_METHOD_COUNT };
#undef BILL_METHOD_ENUM

/*
 * A bill's state. The provider's codes (0, 10, 15, 20, 30) and kassa's own
 * states before the provider named the bill (new, sending) or when its fate
 * is not known (unknown: the create request may have made a bill).
 */
#define BILL_STATE_INFO(_)                                                                         \
	_(NEW, "new", -1, N_("to be sent"))                                                        \
	_(SENDING, "sending", -1, N_("sending"))                                                   \
	_(UNKNOWN, "unknown", -1, N_("unknown: no answer to the create request"))                  \
	_(INITIATED, "initiated", 0, N_("waiting for the buyer"))                                  \
	_(AWAITING, "awaiting", 15, N_("awaiting confirmation"))                                   \
	_(SUCCESS, "success", 10, N_("paid"))                                                      \
	_(FAILED, "failed", 20, N_("payment failed"))                                              \
	_(CANCELLED, "cancelled", 30, N_("cancelled"))                                             \
	_(REFUSED, "refused", -1, N_("refused by the provider"))
#define BILL_STATE_ENUM(name, word, code, label) BILL_##name,
enum bill_state { BILL_STATE_INFO(BILL_STATE_ENUM) BILL_STATE_COUNT };
#undef BILL_STATE_ENUM

const char *bill_method_wire(enum bill_method m);
const char *bill_method_label(enum bill_method m);
/* Accepts the wire word and the short names sbp, card/internet, mobile. */
bool bill_method_parse(const char *s, enum bill_method *m);
const char *bill_state_word(enum bill_state s);
const char *bill_state_label(enum bill_state s);
bool bill_state_parse(const char *word, enum bill_state *s);
/* The state for a provider status code (0, 10, 15, 20, 30); false when unknown. */
bool bill_state_from_code(int code, enum bill_state *s);
/* True for success, failed, cancelled and refused: nothing more will happen. */
bool bill_state_final(enum bill_state s);

/* What a bill asks for. phone "7" + 10 digits or "", email or "". */
struct bill_request {
	int64_t amount; /* kopecks, > 0 */
	char description[BILL_DESCRIPTION_MAX];
	char phone[BILL_PHONE_MAX];
	char email[BILL_EMAIL_MAX];
	enum bill_method method;
	char callback_url[BILL_URL_MAX]; /* "" = none */
	const char *invoice_data;	 /* JSON text or NULL (optional, see docs) */
};

/*
 * Checks a request: amount above 0, phone 7 + 10 digits (spaces, dashes,
 * brackets and a leading +7 or 8 are accepted and normalised), e-mail with
 * one @, one of them given, a phone for mobile commerce. err names the field.
 */
kstatus wire_bill_check(struct bill_request *rq, struct kerr *err);
/* POST /v1/bill body with credentials; malloc'd, never logged. */
char *wire_bill_create_body(const struct bill_request *rq, const char *login, const char *apikey);
/* POST /v1/bill/cancellation body. */
char *wire_bill_cancel_body(const char *number, const char *login, const char *apikey);
/*
 * POST /v1/transactions/refund body: the bill's number, the refund's uuid
 * (LIFE PAY does not process the same uuid twice) and, for a partial
 * refund, amount ("1250.00"; 0 = the whole payment). That LIFE PAY takes
 * `amount` here is kassa's reading, not confirmed (docs/SANDBOX.md).
 */
char *wire_bill_refund_body(const char *number, const char *uuid, int64_t amount, const char *login,
			    const char *apikey);
/* GET /v1/bill/status?... query (percent-encoded), malloc'd. */
char *wire_bill_status_query(const char *number, const char *login, const char *apikey);

/* The reply to POST /v1/bill. */
struct bill_reply {
	int code;
	char message[256];
	enum bill_state state;
	char number[BILL_NUMBER_MAX];
	char created[40];
	int interval_s; /* suggested polling step, 0 = none given */
	char payment_url[BILL_URL_MAX];
	char payment_url_web[BILL_URL_MAX];
};
/* K_OK with r filled (code 0), K_PROVIDER with code and message, K_INVALID when malformed. */
kstatus wire_bill_parse_create(const char *body, size_t len, struct bill_reply *r,
			       struct kerr *err);
/* The reply to status: number's state and msg. K_NOTFOUND when data lacks number. */
kstatus wire_bill_parse_status(const char *body, size_t len, const char *number,
			       enum bill_state *state, char *msg, size_t msg_n, struct kerr *err);
/* The reply to cancellation or refund: K_OK (code 0) or K_PROVIDER. */
kstatus wire_bill_parse_ack(const char *body, size_t len, int *code, char *msg, size_t msg_n,
			    struct kerr *err);
/* data.number of a reply (the refund's number), "" when absent. */
void wire_bill_parse_number(const char *body, size_t len, char *number, size_t n);

/* A transaction notification (form with JSON field `data`, or JSON). */
struct bill_tx {
	char number[BILL_NUMBER_MAX];
	char original_number[BILL_NUMBER_MAX];
	char type[16];	 /* payment, refund */
	char status[16]; /* success, fail */
	char method[32];
	int64_t amount; /* kopecks */
	char description[BILL_DESCRIPTION_MAX];
	char pan[32]; /* masked */
	char created[40];
};
/* Parses a notification; number, type, status and amount are required. */
kstatus wire_bill_parse_tx(const char *content_type, const char *body, size_t len,
			   struct bill_tx *tx, struct kerr *err);
/* The ext id kassa wrote into a bill's description ("... [kassa:EXT]"), or false. */
bool wire_bill_description_ext(const char *description, char *ext, size_t n);

#endif
