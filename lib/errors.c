#include "errors.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"

/*
 * Codes come from the seeds: the cloud-print pages (400, 500, 6000, 6009,
 * 6010, 6080, 6095) and the API overview (3896, 3975, 429 and the catalog
 * import codes 6050-6056). The wording is ours.
 */
static const struct provider_error error_table[] = {
    {400, ERR_ACTOR_CASHIER, false, N_("data error: the provider refused one or more fields"),
     "ошибка данных: провайдер отклонил одно или несколько полей",
     N_("Read the messages for each field, correct the document and send it as a new one."),
     "Прочитайте сообщения по каждому полю, исправьте документ и отправьте его заново."},
    {429, ERR_ACTOR_WAIT, true, N_("too many requests in a short time"),
     "слишком много запросов за короткое время",
     N_("Wait a minute and send again; catalog import allows at most 3 requests a minute."),
     "Подождите минуту и повторите; импорт каталога допускает не более 3 запросов в минуту."},
    {500, ERR_ACTOR_SUPPORT, true, N_("internal error on the provider's side"),
     "внутренняя ошибка сервера провайдера",
     N_("kassa sends it again later with the same ext_id, which cannot create a second "
	"document; if it keeps failing, contact LifePay support with the ext_id and time."),
     "kassa повторит отправку позже с тем же ext_id — второй документ так не создать; если "
     "ошибка повторяется, обратитесь в поддержку LifePay, назовите ext_id и время."},
    {3896, ERR_ACTOR_CASHIER, false, N_("non-cash payments are more than the receipt total"),
     "сумма безналичных оплат превышает сумму чека",
     N_("Lower the card amount to the receipt total or enter # for it; only cash may be more "
	"than the total (the change)."),
     "Уменьшите сумму по карте до суммы чека или укажите #; больше суммы чека может быть "
     "только оплата наличными (сдача)."},
    {3975, ERR_ACTOR_SUPPORT, false, N_("the fiscal drive refused the command's parameters"),
     "некорректное значение параметров команды ФН",
     N_("Check the tax system and the VAT of the items: usually OSN was sent to a 36-month "
	"fiscal drive. The administrator must correct the tax settings."),
     "Проверьте систему налогообложения и НДС позиций: обычно это ОСН на ФН сроком 36 "
     "месяцев. Настройки налогов должен исправить администратор."},
    {6000, ERR_ACTOR_SUPPORT, false, N_("the request has an invalid format"),
     "неверный формат данных",
     N_("This is a program error: send the document's details to support."),
     "Это ошибка программы: передайте данные документа в поддержку."},
    {6009, ERR_ACTOR_SUPPORT, false, N_("no LifePay user has this login"),
     "не удалось найти пользователя по логину",
     N_("Check the login in the profile: it is the account's phone number, 7 and 10 digits."),
     "Проверьте логин в профиле: это номер телефона из личного кабинета, 7 и 10 цифр."},
    {6010, ERR_ACTOR_SUPPORT, false, N_("the login and the API key do not match"),
     "не удалось найти пользователя по логину и API-ключу",
     N_("Check the login and copy the API key again from the LifePay account (Settings - "
	"Developers)."),
     "Проверьте логин и заново скопируйте API-ключ из личного кабинета LifePay (Настройки — "
     "Разработчикам)."},
    {6050, ERR_ACTOR_SUPPORT, false, N_("catalog import: the data structure is invalid"),
     "импорт каталога: неверная структура данных",
     N_("Check the catalog file against the provider's documentation and import it again."),
     "Сверьте файл каталога с документацией провайдера и повторите импорт."},
    {6051, ERR_ACTOR_SUPPORT, false, N_("catalog import: a category or product has no id"),
     "импорт каталога: не указан идентификатор категории или товара",
     N_("Give every category and product an id; ids must be unique."),
     "Укажите идентификатор (id) у каждой категории и товара; они должны быть уникальны."},
    {6052, ERR_ACTOR_SUPPORT, false, N_("catalog import: a category or product has no name"),
     "импорт каталога: не указано наименование категории или товара",
     N_("Give every category and product a name and import again."),
     "Укажите наименование у каждой категории и товара и повторите импорт."},
    {6053, ERR_ACTOR_SUPPORT, false, N_("catalog import: no trade point given"),
     "импорт каталога: необходимо указать торговую точку",
     N_("Set trade_point_uuid to the trade point's id and import again."),
     "Укажите trade_point_uuid торговой точки и повторите импорт."},
    {6054, ERR_ACTOR_SUPPORT, false, N_("catalog import: the catalog or products already exist"),
     "импорт каталога: каталог или товары уже существуют",
     N_("To overwrite them, import again with the force parameter set."),
     "Чтобы перезаписать их, повторите импорт с параметром force."},
    {6055, ERR_ACTOR_SUPPORT, false, N_("catalog import: the catalog could not be saved"),
     "импорт каталога: ошибка сохранения каталога",
     N_("Read the provider's message, fix the item it names and import again."),
     "Прочитайте сообщение провайдера, исправьте названную позицию и повторите импорт."},
    {6056, ERR_ACTOR_SUPPORT, false, N_("catalog import: a product could not be saved"),
     "импорт каталога: ошибка сохранения товара",
     N_("Read the provider's message, fix the product it names and import again."),
     "Прочитайте сообщение провайдера, исправьте названный товар и повторите импорт."},
    {6080, ERR_ACTOR_SUPPORT, false, N_("cloud fiscalisation is not enabled for this account"),
     "облачная фискализация запрещена (не подключена)",
     N_("Ask LifePay support to enable cloud fiscalisation; it needs a paid plan."),
     "Обратитесь в поддержку LifePay, чтобы подключить облачную фискализацию (нужен "
     "оплаченный тариф)."},
    {6095, ERR_ACTOR_SUPPORT, false, N_("access denied"), "доступ запрещён",
     N_("Check that this login may use cloud fiscalisation and the printer; ask the account's "
	"administrator or LifePay support."),
     "Проверьте, что этому логину разрешены облачная фискализация и принтер; обратитесь к "
     "администратору кабинета или в поддержку LifePay."},
};

#define ERROR_COUNT (sizeof error_table / sizeof error_table[0])

const struct provider_error *errors_lookup(int code)
{
	for (size_t i = 0; i < ERROR_COUNT; i++)
		if (error_table[i].code == code)
			return &error_table[i];
	return NULL;
}

size_t errors_count(void)
{
	return ERROR_COUNT;
}

const struct provider_error *errors_at(size_t i)
{
	return i < ERROR_COUNT ? &error_table[i] : NULL;
}

/* The provider's text goes to screens and logs: no control characters, bounded. */
static void clean_message(const char *in, char *out, size_t n)
{
	size_t o = 0;
	if (!n)
		return;
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	for (; *p && o + 1 < n; p++)
		out[o++] = (*p < 0x20 || *p == 0x7f) ? ' ' : (char)*p;
	out[o] = '\0';
	if (*p) {
		/* cut: drop a UTF-8 character left incomplete at the end */
		size_t lead = o;
		while (lead > 0 && ((unsigned char)out[lead - 1] & 0xC0) == 0x80)
			lead--;
		if (lead > 0) {
			unsigned char c = (unsigned char)out[lead - 1];
			size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			if (o - (lead - 1) < want)
				o = lead - 1;
		}
		out[o] = '\0';
	}
	while (o > 0 && out[o - 1] == ' ')
		out[--o] = '\0';
}

void errors_describe(int code, const char *provider_message, bool russian, char *buf, size_t n)
{
	char msg[400];
	clean_message(provider_message, msg, sizeof msg);
	const char *lead = msg;
	while (*lead == ' ')
		lead++;
	const struct provider_error *e = errors_lookup(code);
	if (!e) {
		if (*lead)
			snprintf(buf, n, russian ? "код %d: %s" : _("code %d: %s"), code, lead);
		else
			snprintf(buf, n,
				 russian ? "код %d: неизвестная ошибка провайдера"
					 : _("code %d: unknown provider error"),
				 code);
		return;
	}
	const char *text = russian ? e->ru : _(e->en);
	if (*lead)
		snprintf(buf, n, russian ? "%d: %s (LifePay: %s)" : _("%d: %s (LifePay: %s)"), code,
			 text, lead);
	else
		snprintf(buf, n, "%d: %s", code, text);
}

void errors_next_step(int code, bool russian, char *buf, size_t n)
{
	const struct provider_error *e = errors_lookup(code);
	if (!e) {
		snprintf(
		    buf, n, "%s",
		    russian
			? "Запишите код и сообщение провайдера и обратитесь в поддержку LifePay."
			: _("Write down the code and the provider's message and contact LifePay "
			    "support."));
		return;
	}
	snprintf(buf, n, "%s", russian ? e->next_ru : _(e->next_en));
}

bool errors_locale_is_russian(void)
{
	const char *loc = setlocale(LC_MESSAGES, NULL);
	return loc && loc[0] == 'r' && loc[1] == 'u' &&
	       (loc[2] == '\0' || loc[2] == '_' || loc[2] == '.' || loc[2] == '@');
}
