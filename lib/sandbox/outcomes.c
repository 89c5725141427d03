/*
 * How a LifePay document ends, decided when it is created so that a seeded
 * run replays: the faults error, fn3975, retry and the POS terminal's
 * outcomes (docs/SANDBOX.md, "Faults"), and what the callback then says.
 */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

/*
 * How the document will end, decided now so a seeded run replays: processed,
 * error (the error fault), fn3975 (the FN refuses it), retry (an "awaiting
 * retry" callback first, the final one a round later), or for pos.perform=1
 * the terminal's outcome with the slips asked for: pos-ok:N, pos-decline:N,
 * pos-timeout:N. A fault at probability 0 draws nothing from the generator.
 */
void sandbox_lifepay_outcome(struct sandbox *sb, enum doc_kind kind, const struct document *d,
			     char *out, size_t n)
{
	const struct sb_faults *f = &sb->faults;
	const char *o = "processed";
	bool basket = doc_kind_has_basket(kind);
	bool pos = basket && d->pos_set && d->pos_perform == 1;
	if (basket && sandbox_prng_chance(&sb->prng, f->error))
		o = "error";
	else if ((kind == DOC_RECEIPT || kind == DOC_CORRECTION) &&
		 sandbox_prng_chance(&sb->prng, f->fn3975))
		o = "fn3975";
	else if (pos && sandbox_prng_chance(&sb->prng, f->pos_decline))
		o = "pos-decline";
	else if (pos && sandbox_prng_chance(&sb->prng, f->pos_timeout))
		o = "pos-timeout";
	else if (pos)
		o = "pos-ok";
	else if (basket && sandbox_prng_chance(&sb->prng, f->retry))
		o = "retry";
	if (strncmp(o, "pos-", 4) == 0)
		snprintf(out, n, "%s:%d", o, d->pos_slip_count);
	else
		str_copy(out, o, n);
}

/* The terminal's part of a pos.perform=1 outcome, or NULL. */
json_t *sandbox_lifepay_pos_json(const char *outcome)
{
	static const struct {
		const char *prefix, *result;
	} map[] = {
	    {"pos-ok:", "approved"}, {"pos-decline:", "declined"}, {"pos-timeout:", "timeout"}};
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(map[i].prefix);
		if (strncmp(outcome, map[i].prefix, n) == 0) {
			int slips = outcome[n] >= '0' && outcome[n] <= '2' ? outcome[n] - '0' : 0;
			json_t *p = json_object();
			json_object_set_new(p, "perform", json_integer(1));
			json_object_set_new(p, "result", json_string(map[i].result));
			/* A declined card prints no sale slip; a timeout may have printed them. */
			json_object_set_new(p, "slip_count", json_integer(i == 1 ? 0 : slips));
			return p;
		}
	}
	return NULL;
}

/* The error a failed document reports, by the outcome decided at creation. */
void sandbox_lifepay_set_error(struct sb_doc *r)
{
	if (strncmp(r->outcome, "pos-decline:", 12) == 0) {
		r->error_code = 0;
		str_copy(r->error_message, "Операция по POS-терминалу отклонена.",
			 sizeof r->error_message);
	} else if (strncmp(r->outcome, "pos-timeout:", 12) == 0) {
		r->error_code = 0;
		str_copy(r->error_message,
			 "POS-терминал не ответил вовремя: проверьте слип-чек и результат "
			 "операции на терминале.",
			 sizeof r->error_message);
	} else if (strcmp(r->outcome, "fn3975") == 0) {
		/* The overview's code and text (seed 002); typically ОСН on a 36-month FN. */
		r->error_code = 3975;
		str_copy(r->error_message, "Некорректное значение параметров команды ФН",
			 sizeof r->error_message);
	} else {
		r->error_code = 3975;
		str_copy(r->error_message,
			 "Некорректное значение параметров команды ФН (ошибка "
			 "смоделирована песочницей: --faults error)",
			 sizeof r->error_message);
	}
}
