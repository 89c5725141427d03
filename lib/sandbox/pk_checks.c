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

#include "document.h"
#include "util.h"
#include "wire/form.h"
#include "wire/paykeeper.h"
#include "wire/pk_extras.h"

/* The rules are the client's (paykeeper_correction_check()); the words are PayKeeper's. */
bool sandbox_pk_check_correction(const char *body, size_t len, char *msg, size_t n)
{
	char *type = form_get(body, len, "correction_type");
	char *date = form_get(body, len, "correction_operation_date");
	char *num = form_get(body, len, "correction_document_number");
	enum pk_correction_bad b = paykeeper_correction_check(type, date, num);
	switch (b) {
	case PK_CORR_BAD_TYPE:
		snprintf(msg, n,
			 "correction_type: тип коррекции должен быть self "
			 "(самостоятельная) или by_order (по предписанию ФНС).");
		break;
	case PK_CORR_BAD_DATE:
		snprintf(msg, n,
			 "correction_operation_date: дата корректируемого расчёта "
			 "должна быть в формате YYYY-MM-DD (тег 1178).");
		break;
	case PK_CORR_NUMBER_LONG:
		snprintf(msg, n,
			 "correction_document_number: номер предписания не длиннее 32 "
			 "символов (тег 1179).");
		break;
	case PK_CORR_NUMBER_MISSING:
		snprintf(msg, n,
			 "correction_document_number: номер предписания налогового "
			 "органа обязателен при correction_type=by_order (тег 1179).");
		break;
	default:
		break;
	}
	free(type);
	free(date);
	free(num);
	return b == PK_CORR_OK;
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

/* receipt_properties (seed 8.11 item 14: a JSON object written as text); the
 * client's rule, paykeeper_properties_check(); PayKeeper's words. */
bool sandbox_pk_check_properties(const char *body, size_t len, bool strict, char *msg, size_t n)
{
	char *props = form_get(body, len, "receipt_properties");
	enum pk_props_bad b = paykeeper_properties_check(props, strict);
	free(props);
	static const char *const why[] = {
	    [PK_PROPS_NOT_OBJECT] = "receipt_properties: должна быть строка с JSON-объектом "
				    "(таблица 12.5).",
	    [PK_PROPS_CLIENT] = "receipt_properties.client: должен быть объектом.",
	    [PK_PROPS_IDENTITY] =
		"receipt_properties.client.identity: наименование покупателя "
		"должно быть непустой строкой не длиннее 256 символов (тег 1227).",
	    [PK_PROPS_INN] = "receipt_properties.client.inn: ИНН покупателя должен состоять из 10 "
			     "или 12 цифр с верными контрольными цифрами (тег 1228).",
	    [PK_PROPS_UNKNOWN] = "receipt_properties: неизвестное свойство чека.",
	};
	if (b == PK_PROPS_OK)
		return true;
	snprintf(msg, n, "%s", why[b]);
	return false;
}
