/*
 * Text for the cashier, beside app.c: drawing cut and wrapped text, the
 * core's field names in the cashier's words, amounts and quantities in the
 * locale's style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "i18n.h"
#include "money.h"
#include "util.h"

void app_put(WINDOW *w, int y, int x, int width, enum text_align align, const char *s,
	     enum ui_role role)
{
	if (!w || width <= 0)
		return;
	char buf[2048];
	text_fit(s, width, align, buf, sizeof buf);
	wattrset(w, (int)theme_attr(role));
	mvwaddstr(w, y, x, buf);
}

int app_put_wrapped(WINDOW *w, int y, int x, int width, int max_lines, const char *s,
		    enum ui_role role)
{
	int used = 0;
	while (*s && used < max_lines && width > 0) {
		size_t next;
		size_t len = text_wrap(s, width, &next);
		char line[1024];
		if (used == max_lines - 1 || len >= sizeof line) {
			app_put(w, y + used, x, width, TEXT_LEFT, s, role); /* the rest, cut */
			return used + 1;
		}
		memcpy(line, s, len);
		line[len] = '\0';
		app_put(w, y + used, x, width, TEXT_LEFT, line, role);
		used++;
		s += next;
	}
	return used;
}

int app_wrapped_lines(const char *s, int width, int max_lines)
{
	int n = 0;
	while (*s && n < max_lines && width > 0) {
		size_t next;
		text_wrap(s, width, &next);
		n++;
		if (next == 0)
			break;
		s += next;
	}
	return n;
}

size_t app_put_wrapped_at(WINDOW *w, int y, int width, int lines, const char *s, enum ui_role role)
{
	size_t at = 0;
	for (int i = 0; i < lines && s[at] && width > 0; i++) {
		size_t next;
		size_t len = text_wrap(s + at, width, &next);
		char line[1024];
		if (len >= sizeof line)
			len = sizeof line - 1;
		memcpy(line, s + at, len);
		line[len] = '\0';
		app_put(w, y + i, 0, width, TEXT_LEFT, line, role);
		if (next == 0)
			break;
		at += next;
	}
	return at;
}

/* The core's field names (the wire's words) as a cashier reads them. */
static const struct {
	const char *wire;
	const char *label;
} field_words[] = {
    {"card_amount", N_("card")},
    {"cash_amount", N_("cash")},
    {"amount", N_("amount")},
    {"price", N_("price")},
    {"quantity", N_("quantity")},
    {"discount", N_("discount")},
    {"sum", N_("sum")},
    {"total", N_("total")},
    {"name", N_("name")},
    {"unit", N_("unit")},
    {"tax", N_("VAT")},
    {"type", N_("receipt type")},
    {"item_type", N_("payment object")},
    {"tax_system", N_("tax system")},
    {"customer_email", N_("e-mail")},
    {"customer_phone", N_("phone")},
    {"ref_uuid", N_("original receipt")},
    {"marking_code", N_("marking code")},
    {"target_serial", N_("printer")},
    {"cashier_inn", N_("cashier's INN")},
    {"cashier_name", N_("cashier")},
};

const char *app_field_label(const char *field, char *buf, size_t n)
{
	/* purchase.products[2].price: "line 3, price" */
	const char *p = field;
	long line = -1;
	if (strncmp(p, "purchase.", 9) == 0)
		p += 9;
	if (strncmp(p, "products[", 9) == 0) {
		char *end;
		line = strtol(p + 9, &end, 10);
		if (*end != ']' || line < 0) {
			str_copy(buf, field, n);
			return buf;
		}
		p = end[1] == '.' ? end + 2 : end + 1;
	}
	const char *word = p;
	for (size_t i = 0; i < sizeof field_words / sizeof field_words[0]; i++)
		if (strcmp(p, field_words[i].wire) == 0)
			word = _(field_words[i].label);
	if (line >= 0 && *word)
		snprintf(buf, n, _("line %ld, %s"), line + 1, word);
	else if (line >= 0)
		snprintf(buf, n, _("line %ld"), line + 1);
	else
		str_copy(buf, word, n);
	return buf;
}

const char *app_kerr_text(const struct kerr *err, char *buf, size_t n)
{
	if (!err->field[0]) {
		str_copy(buf, err->text, n);
		return buf;
	}
	char label[128];
	snprintf(buf, n, "%s: %s", app_field_label(err->field, label, sizeof label), err->text);
	return buf;
}

void app_refuse(struct app *app, const struct kerr *err)
{
	char buf[APP_MESSAGE_MAX];
	app_message(app, UI_MESSAGE_ERROR, "%s", app_kerr_text(err, buf, sizeof buf));
}

const char *app_money(const struct app *app, int64_t kop, char *buf, size_t n)
{
	money_format_display(kop, app->money, buf, n);
	return buf;
}

const char *app_qty(const struct app *app, int64_t qty, enum unit u, char *buf, size_t n)
{
	char q[32];
	qty_format(qty, q, sizeof q);
	char *dot = strchr(q, '.');
	if (dot && app->money->decimal[0] && !app->money->decimal[1])
		*dot = app->money->decimal[0];
	snprintf(buf, n, "%s %s", q, unit_label(u));
	return buf;
}
