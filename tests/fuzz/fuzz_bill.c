/*
 * libFuzzer target for LIFE PAY bills and transaction notifications
 * (lib/wire/bill.c): the first byte picks the parser (create reply, status
 * reply, cancellation/refund reply, notification as a form, notification as
 * JSON), the rest is the body as received. Properties: what is accepted has
 * terminated, valid UTF-8 texts (they reach the screen and the journal), a
 * known state, an interval within 1..3600 s, an amount not below zero, the
 * ext_id found in a description made of safe characters; every refusal
 * says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "util.h"
#include "wire/bill.h"

static void check_text(const char *s, size_t cap, const char *what)
{
	size_t n = strnlen(s, cap);
	KFZ_CHECK(n < cap, "%s is not terminated", what);
	KFZ_CHECK(utf8_valid(s, n), "%s is not valid UTF-8", what);
}

static void refused(kstatus st, const struct kerr *e)
{
	KFZ_CHECK(st == K_INVALID || st == K_OVERFLOW || st == K_PROVIDER || st == K_NOTFOUND,
		  "unexpected status %d", (int)st);
	KFZ_CHECK(e->text[0] != '\0', "refusal without a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned mode = data[0] % 5;
	char *body = kfz_bytes(data + 1, size - 1);
	size_t len = size - 1;
	struct kerr e = {0};
	kstatus st;
	if (mode == 0) {
		struct bill_reply r;
		st = wire_bill_parse_create(body, len, &r, &e);
		if (st == K_OK) {
			KFZ_CHECK(r.code == 0, "accepted with code %d", r.code);
			KFZ_CHECK((unsigned)r.state < BILL_STATE_COUNT, "state %d", (int)r.state);
			KFZ_CHECK(r.interval_s >= 0 && r.interval_s <= 3600, "interval %d",
				  r.interval_s);
			KFZ_CHECK(r.number[0] && r.payment_url[0], "no number or link");
			check_text(r.message, sizeof r.message, "message");
			check_text(r.number, sizeof r.number, "number");
			check_text(r.payment_url, sizeof r.payment_url, "paymentUrl");
			check_text(r.payment_url_web, sizeof r.payment_url_web, "paymentUrlWeb");
			check_text(r.created, sizeof r.created, "created");
		} else {
			refused(st, &e);
		}
	} else if (mode == 1 || mode == 2) {
		char msg[256];
		if (mode == 1) {
			enum bill_state s = BILL_NEW;
			st = wire_bill_parse_status(body, len, "1000001", &s, msg, sizeof msg, &e);
			if (st == K_OK)
				KFZ_CHECK(s == BILL_INITIATED || s == BILL_AWAITING ||
					      s == BILL_SUCCESS || s == BILL_FAILED ||
					      s == BILL_CANCELLED,
					  "state %d", (int)s);
		} else {
			int code = 0;
			st = wire_bill_parse_ack(body, len, &code, msg, sizeof msg, &e);
			if (st == K_OK)
				KFZ_CHECK(code == 0, "acknowledged with code %d", code);
		}
		if (st == K_OK)
			check_text(msg, sizeof msg, "msg");
		else
			refused(st, &e);
	} else {
		struct bill_tx tx;
		const char *ct =
		    mode == 3 ? "application/x-www-form-urlencoded" : "application/json";
		st = wire_bill_parse_tx(ct, body, len, &tx, &e);
		if (st == K_OK) {
			KFZ_CHECK(tx.amount >= 0, "negative amount");
			KFZ_CHECK(strcmp(tx.type, "payment") == 0 || strcmp(tx.type, "refund") == 0,
				  "type %s", tx.type);
			KFZ_CHECK(strcmp(tx.status, "success") == 0 ||
				      strcmp(tx.status, "fail") == 0,
				  "status %s", tx.status);
			check_text(tx.number, sizeof tx.number, "number");
			check_text(tx.original_number, sizeof tx.original_number,
				   "original_number");
			check_text(tx.method, sizeof tx.method, "method");
			check_text(tx.description, sizeof tx.description, "description");
			check_text(tx.pan, sizeof tx.pan, "pan");
			char ext[64];
			if (wire_bill_description_ext(tx.description, ext, sizeof ext))
				for (const char *p = ext; *p; p++)
					KFZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO"
							 "PQRSTUVWXYZ"
							 "0123456789-_",
							 *p) != NULL,
						  "ext_id holds %02x", (unsigned char)*p);
		} else {
			refused(st, &e);
		}
	}
	free(body);
	return 0;
}
