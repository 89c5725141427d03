/*
 * The sandbox answers in Russian, as LifePay writes its 400 messages
 * ("Ошибка данных." with one message per field), whatever the language of the
 * client's own validation that found the problem. The client's messages are
 * English msgids; the common ones have a provider-style Russian text here,
 * the rest fall back to "Значение «поле» неверно.". Nothing here names kassa.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

struct ru_text {
	const char *en; /* a prefix of the English text */
	const char *ru; /* printf format taking the field once */
};

static const struct ru_text table[] = {
    {"is missing", "Необходимо заполнить «%s»."},
    {"is empty", "Необходимо заполнить «%s»."},
    {"is required", "Необходимо заполнить «%s»."},
    {"is not a field", "Поле «%s» не поддерживается."},
    {"is not a product field", "Поле «%s» не поддерживается."},
    {"is not a purchase field", "Поле «%s» не поддерживается."},
    {"is not a discount field", "Поле «%s» не поддерживается."},
    {"is not a pos field", "Поле «%s» не поддерживается."},
    {"is not sent with", "Поле «%s» не передаётся в документе этого вида."},
    {"is not supported", "Поле «%s» не поддерживается."},
    {"has more than 2 decimal places",
     "Значение «%s» должно быть числом с не более чем двумя знаками после точки."},
    {"has more than 3 decimal places",
     "Значение «%s» должно быть числом с не более чем тремя знаками после точки."},
    {"must be a number", "Значение «%s» должно быть числом."},
    {"is not a number", "Значение «%s» должно быть числом."},
    {"must be an amount", "Значение «%s» должно быть числом или «#»."},
    {"must be a whole number", "Значение «%s» должно быть целым числом."},
    {"is too large", "Значение «%s» слишком велико."},
    {"is too long", "Значение «%s» слишком длинное."},
    {"is longer than", "Значение «%s» слишком длинное."},
    {"is %zu characters long", "Значение «%s» слишком длинное."},
    {"must be a VAT code", "Значение «%s» должно быть кодом НДС: none, vat0, vat10, vat20, "
			   "vat110, vat120 и др."},
    {"is not a known VAT code", "Значение «%s» должно быть кодом НДС."},
    {"must be one of piece, kg", "Значение «%s» должно быть одним из: piece, kg, g, l, ml, m2."},
    {"must be osn, usn6", "Значение «%s» должно быть одним из: osn, usn6, usn15, eshn, patent."},
    {"must be email, print", "Значение «%s» должно быть одним из: email, print, print_email."},
    {"must be payment, refund", "Значение «%s» должно быть одним из: payment, refund, buy, "
				"buy_refund."},
    {"must be 0 or 1", "Значение «%s» должно быть 0 или 1."},
    {"must be 0, 1 or 2", "Значение «%s» должно быть 0, 1 или 2."},
    {"must start with http", "Значение «%s» должно быть адресом http:// или https://."},
    {"must be a Russian number", "Значение «%s» должно быть номером телефона: 11 цифр, "
				 "начиная с 7."},
    {"has too many digits", "Значение «%s» должно быть номером телефона: 11 цифр, начиная с 7."},
    {"must be an e-mail", "Значение «%s» должно быть адресом электронной почты."},
    {"must be a real date", "Значение «%s» должно быть датой в формате ГГГГ-ММ-ДД."},
    {"must be the buyer's INN", "Значение «%s» должно быть ИНН покупателя: 10 или 12 цифр с "
				"верными контрольными цифрами."},
    {"a sign is not allowed", "Значение «%s» не может быть отрицательным."},
    {"must be more than zero", "Значение «%s» должно быть больше нуля."},
    {"must be zero or more", "Значение «%s» не может быть отрицательным."},
    {"contains a control character", "Значение «%s» содержит недопустимые символы."},
    {"is not valid UTF-8", "Значение «%s» содержит недопустимые символы."},
    {"%s is still to pay", "Сумма оплат меньше суммы чека."},
    {"card payment is more than", "Сумма неналичных оплат превышает сумму чека."},
    {"only one of card and cash", "Значение «#» можно указать только в одном из полей "
				  "card_amount, cash_amount."},
    {"the change would be more", "Сдача больше суммы наличных."},
    {"a receipt holds at most", "Слишком много позиций в чеке."},
    {"holds", "Слишком много позиций в чеке."},
    {"%s: goods sold by the piece", "Количество штучного товара должно быть целым."},
};

/* True if English text e was made from msgid-ish prefix p ("%s"/"%zu" match anything). */
static bool starts_like(const char *e, const char *p)
{
	const char *pct = strchr(p, '%');
	if (!pct)
		return strncmp(e, p, strlen(p)) == 0;
	if (pct == p) {
		const char *rest = strchr(p, ' ');
		return rest && strstr(e, rest) != NULL;
	}
	return strncmp(e, p, (size_t)(pct - p)) == 0;
}

void sandbox_message_ru(const char *field, const char *english, char *out, size_t n)
{
	const char *f = field && field[0] ? field : "request";
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (starts_like(english, table[i].en)) {
			const char *at = strstr(table[i].ru, "%s");
			if (at)
				snprintf(out, n, "%.*s%s%s", (int)(at - table[i].ru), table[i].ru,
					 f, at + 2);
			else
				str_copy(out, table[i].ru, n);
			return;
		}
	}
	snprintf(out, n, "Значение «%s» неверно.", f);
}
