/*
 * libFuzzer target for money text: decimal_parse, money_parse, qty_parse and
 * percent_parse on the input as a C string, with round-trip properties:
 * every accepted value, formatted the way we send it (money_format_wire,
 * qty_format, percent_format, jsonx_money_number), parses back to the same
 * value; every refusal says what is wrong and names the field.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "kfuzz.h"
#include "money.h"

typedef int (*format_fn)(int64_t v, char *buf, size_t n);

/* A refusal names the field it was given and says something. */
static void check_refusal(kstatus st, const struct kerr *err, const char *field)
{
	KFZ_CHECK(st == K_INVALID || st == K_OVERFLOW, "unexpected status %d", (int)st);
	KFZ_CHECK(strcmp(err->field, field) == 0, "refusal names '%s', not '%s'", err->field,
		  field);
	KFZ_CHECK(err->text[0] != '\0', "refusal of %s without a message", field);
}

/* Formats v and parses it back with the same rules. */
static void round_trip(int64_t v, format_fn fmt, int decimals, int64_t max, unsigned flags,
		       const char *what)
{
	char buf[64];
	int n = fmt(v, buf, sizeof buf);
	KFZ_CHECK(n > 0 && (size_t)n < sizeof buf, "%s: format of %lld gave %d", what, (long long)v,
		  n);
	KFZ_CHECK(strlen(buf) == (size_t)n, "%s: format returned %d for '%s'", what, n, buf);
	int64_t back = -1;
	struct kerr err = {0};
	kstatus st = decimal_parse(buf, decimals, max, flags, &back, "rt", &err);
	KFZ_CHECK(st == K_OK, "%s: '%s' (from %lld) does not parse back: %s", what, buf,
		  (long long)v, err.text);
	KFZ_CHECK(back == v, "%s: '%s' parses back to %lld, not %lld", what, buf, (long long)back,
		  (long long)v);
}

/* Money as we put it in JSON (jsonx_money_number, jsonx_dumps) reads back exactly. */
static void json_round_trip(int64_t kop)
{
	json_t *o = json_object();
	json_object_set_new(o, "v", jsonx_money_number(kop));
	char *text = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	KFZ_CHECK(text != NULL, "jsonx_dumps of %lld failed", (long long)kop);
	struct kerr err = {0};
	json_t *back = jsonx_loads(text, strlen(text), &err);
	KFZ_CHECK(back != NULL, "our JSON '%s' does not load: %s", text, err.text);
	int64_t got = -1;
	kstatus st = jsonx_money(json_object_get(back, "v"), &got, "v", &err);
	KFZ_CHECK(st == K_OK && got == kop, "'%s' reads back as %lld (status %d), not %lld", text,
		  (long long)got, (int)st, (long long)kop);
	json_decref(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = kfz_str(data, size);
	int64_t v;
	struct kerr err;
	kstatus st;

	memset(&err, 0, sizeof err);
	st = money_parse(text, &v, "price", &err);
	if (st == K_OK) {
		KFZ_CHECK(v >= 0 && v <= MONEY_MAX, "money %lld out of range", (long long)v);
		round_trip(v, money_format_wire, 2, MONEY_MAX, 0, "money");
		json_round_trip(v);
		char disp[64];
		KFZ_CHECK(money_format_display(v, &MONEY_STYLE_RU, disp, sizeof disp) > 0,
			  "display of %lld", (long long)v);
		KFZ_CHECK(money_format_display(v, &MONEY_STYLE_EN, disp, sizeof disp) > 0,
			  "display of %lld", (long long)v);
	} else {
		check_refusal(st, &err, "price");
	}

	/* Signed amounts (corrections, differences) keep their sign through the wire. */
	memset(&err, 0, sizeof err);
	st = decimal_parse(text, 2, MONEY_MAX, MONEY_SIGNED, &v, "amount", &err);
	if (st == K_OK) {
		KFZ_CHECK(v >= -MONEY_MAX && v <= MONEY_MAX, "signed %lld out of range",
			  (long long)v);
		round_trip(v, money_format_wire, 2, MONEY_MAX, MONEY_SIGNED, "signed money");
	} else {
		check_refusal(st, &err, "amount");
	}

	memset(&err, 0, sizeof err);
	st = qty_parse(text, &v, "quantity", &err);
	if (st == K_OK) {
		KFZ_CHECK(v >= 0 && v <= QTY_MAX, "quantity %lld out of range", (long long)v);
		round_trip(v, qty_format, 3, QTY_MAX, 0, "quantity");
	} else {
		check_refusal(st, &err, "quantity");
	}

	memset(&err, 0, sizeof err);
	st = percent_parse(text, &v, "percent", &err);
	if (st == K_OK) {
		KFZ_CHECK(v >= 0 && v <= PERCENT_100, "percent %lld out of range", (long long)v);
		round_trip(v, percent_format, 2, PERCENT_100, 0, "percent");
	} else {
		check_refusal(st, &err, "percent");
	}

	/* Other scales: whole numbers, and the widest range the parser takes. */
	for (int decimals = 0; decimals <= 3; decimals++) {
		memset(&err, 0, sizeof err);
		st = decimal_parse(text, decimals, INT64_MAX, MONEY_SIGNED, &v, "n", &err);
		if (st != K_OK)
			check_refusal(st, &err, "n");
	}
	free(text);
	return 0;
}
