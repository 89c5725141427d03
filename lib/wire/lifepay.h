/*
 * LifePay cloud-print wire format: pure functions between documents and
 * JSON text. Decisions where the provider's docs are silent are made here
 * (see docs/ARCHITECTURE.md), so changing our mind is a one-file change.
 */
#ifndef KASSA_WIRE_LIFEPAY_H
#define KASSA_WIRE_LIFEPAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "document.h"
#include "status.h"

#define LIFEPAY_BASE_URL "https://sapi.life-pay.ru"
/* FFD 1.2 receipts with marking codes (lifepay-beyond-cloud-print.md: one
 * published integration; to be confirmed with LIFE PAY). */
#define LIFEPAY_PATH_FFD12 "/cloud-print-ffd1_2/create-receipt"
/* Tag 1212 (FFD 1.2) for goods marked with a code: 31 excise (АТМ), 33 other (ТМ). */
#define LIFEPAY_OBJECT_MARKED 33

struct lifepay_auth {
	char login[32]; /* 7 + 10 digits */
	char apikey[256];
};

/*
 * Builds the request body for d. Amounts are exact decimals; "#" stays "#".
 * Serialise with jsonx_dumps(). The caller owns the result.
 */
json_t *wire_lifepay_request(const struct document *d, const struct lifepay_auth *auth);
/* Serialised request body (compact, UTF-8); free() it. */
char *wire_lifepay_request_text(const struct document *d, const struct lifepay_auth *auth);

/*
 * Reads a request in LifePay's own shape (as a merchant or the sandbox gets
 * it) into d and auth. Numbers or strings for amounts; "#" kept in d->pay.
 * The kind is given by the caller (endpoint). Every problem names its field.
 * Does not run document_validate().
 */
kstatus wire_lifepay_parse_request(const char *text, size_t len, enum doc_kind kind,
				   struct document *d, struct lifepay_auth *auth, struct kerr *err);

/*
 * Masks a secret for display: secrets longer than 8 characters show their
 * first 2 and last 2 characters around "****" ("sa****ey"), shorter ones are
 * all '*'; never the whole thing, never its length. Output is ASCII.
 */
void wire_mask_secret(const char *secret, char *out, size_t n);
/* Checks credentials: login is 7 and 10 digits, apikey 1..255 printable characters. */
kstatus wire_lifepay_check_auth(const struct lifepay_auth *auth, struct kerr *err);

/*
 * FFD 1.2 marked goods (d->ffd12): a line whose payment object is a marked
 * good with a code (31, 33) needs its marking code, and a line with a code
 * is one pack (quantity 1, one line per code). err->field names the product.
 */
kstatus wire_lifepay_check_ffd12(const struct document *d, struct kerr *err);
/* The wire "type" of a correction receipt ("sell_correction" ...) for a receipt type. */
const char *wire_lifepay_correction_type(enum receipt_type t);

#define LIFEPAY_FIELD_ERRORS_MAX 16
struct lifepay_reply {
	int code; /* 0 = OK */
	char message[512];
	char uuid[UUID_TEXT_MAX + 1]; /* data.uuid, empty in test mode */
	/* Per-field errors of code 400: "field: message" each. */
	size_t n_field_errors;
	char field_errors[LIFEPAY_FIELD_ERRORS_MAX][384];
};

/* Parses the {code, message, data} envelope. K_INVALID if it is not one. */
kstatus wire_lifepay_parse_reply(const char *body, size_t len, struct lifepay_reply *r,
				 struct kerr *err);

enum lifepay_cb_status { LP_CB_PROCESSED, LP_CB_RETRY, LP_CB_ERROR, LP_CB_UNKNOWN };

struct lifepay_callback {
	char uuid[UUID_TEXT_MAX + 1];
	char ext_id[EXT_ID_MAX + 1];
	char status_text[64];
	enum lifepay_cb_status status;
	char ofd_url[1024];
	int error_code;
	bool has_error_code;
	char error_message[512];
	char fn[32], fd[32], fpd[32];
	char *callback_data_json; /* owned, may be NULL */
	/* pos.perform=1: the terminal's outcome (approved, declined, timeout) and slips. */
	bool has_pos;
	char pos_result[16];
	int pos_slip_count;
};

/*
 * Parses a callback body: application/x-www-form-urlencoded with field
 * `data` holding JSON, or a raw JSON body. `uuid` is required. ofd_url
 * without error_code means processed. Free with wire_lifepay_callback_free.
 */
kstatus wire_lifepay_parse_callback(const char *content_type, const char *body, size_t len,
				    struct lifepay_callback *cb, struct kerr *err);
void wire_lifepay_callback_free(struct lifepay_callback *cb);
/* Maps a callback's status text ("processed", "awaiting retry", "error" ...); LP_CB_UNKNOWN else.
 */
enum lifepay_cb_status wire_lifepay_cb_status_parse(const char *text);
/* "processed", "retry", "error" or "unknown". */
const char *wire_lifepay_cb_status_name(enum lifepay_cb_status s);

#endif
