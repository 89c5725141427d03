/*
 * PayKeeper print-request fields the client's parser leaves to the provider:
 * the FFD 1.2 correction fields (seed, section 8.11: correction_type self or
 * by_order, correction_operation_date YYYY-MM-DD (tag 1178),
 * correction_document_number up to 32 characters (tag 1179), needed with
 * by_order) and the buyer's contact (an e-mail, or a phone written
 * +79101234567). Messages are Russian, as PayKeeper writes them.
 */
#include "sandbox/internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* A real calendar date written YYYY-MM-DD. */
bool sandbox_pk_date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && leap(y));
}

bool sandbox_pk_check_correction(const char *body, size_t len, char *msg, size_t n)
{
	char *type = form_get(body, len, "correction_type");
	char *date = form_get(body, len, "correction_operation_date");
	char *num = form_get(body, len, "correction_document_number");
	bool ok = false;
	if (!type || (strcmp(type, "self") != 0 && strcmp(type, "by_order") != 0))
		snprintf(msg, n,
			 "correction_type: тип коррекции должен быть self "
			 "(самостоятельная) или by_order (по предписанию ФНС).");
	else if (!date || !sandbox_pk_date_ok(date))
		snprintf(msg, n,
			 "correction_operation_date: дата корректируемого расчёта "
			 "должна быть в формате YYYY-MM-DD (тег 1178).");
	else if (num && utf8_chars(num) > 32)
		snprintf(msg, n,
			 "correction_document_number: номер предписания не длиннее 32 "
			 "символов (тег 1179).");
	else if (strcmp(type, "by_order") == 0 && (!num || !num[0]))
		snprintf(msg, n,
			 "correction_document_number: номер предписания налогового "
			 "органа обязателен при correction_type=by_order (тег 1179).");
	else
		ok = true;
	free(type);
	free(date);
	free(num);
	return ok;
}

static bool seed_phone(const char *s)
{
	if (s[0] != '+' || s[1] != '7' || strlen(s) != 12)
		return false;
	for (const char *p = s + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

bool sandbox_pk_check_contact(const char *contact, bool strict, char *msg, size_t n)
{
	if (!contact || !contact[0]) {
		if (!strict)
			return true;
		snprintf(msg, n,
			 "contact: укажите почту или телефон плательщика "
			 "(телефон в формате +79101234567).");
		return false;
	}
	if (seed_phone(contact))
		return true;
	char out[256];
	struct kerr e = {0};
	bool email = strchr(contact, '@') != NULL;
	/* Tolerant: the phone spellings the client itself normalises (8 910 ..., +7 (910) ...). */
	if (email || !strict) {
		if (paykeeper_contact(email ? contact : NULL, email ? NULL : contact, out,
				      sizeof out, &e) == K_OK)
			return true;
	}
	snprintf(msg, n,
		 "contact: должен быть адрес электронной почты или телефон в формате "
		 "+79101234567.");
	return false;
}
