/* The screens of tui/views/, one per file, and what they share. */
#ifndef KASSA_VIEWS_H
#define KASSA_VIEWS_H

#include "app.h"

extern const struct view_ops view_sale;
extern const struct view_ops view_pay;
extern const struct view_ops view_help;
extern const struct view_ops view_find;
extern const struct view_ops view_refund;
extern const struct view_ops view_journal;
extern const struct view_ops view_settings;
extern const struct view_ops view_settle;
extern const struct view_ops view_bill;

/*
 * Adds a catalog item to the basket as the sale screen does: qty 0 means
 * "not given" (the pending quantity, or a question for weighed goods).
 * False when the line is refused (the message line says why).
 */
bool sale_add_item(struct app *app, const struct catalog_item *it, int64_t qty);
/*
 * Settles prepaid order id (seed 002): the settle screen, or the reason it
 * cannot be settled on the message line (took no prepayment, settled already).
 */
void settle_view_open(struct app *app, int64_t id);
/* Resets the sale screen to plain item entry (after a receipt went out). */
void sale_reset(struct app *app);

#endif
