/*
 * What links a document to others (cli/cli_links.c): the prepaid order a
 * prepayment receipt keeps and the final receipt that settles it, the bill
 * whose receipt it is, the bill refund whose receipt it is. For
 * `kassa journal --json` and `kassa status`.
 */
#ifndef KASSA_CLI_LINKS_H
#define KASSA_CLI_LINKS_H

#include <jansson.h>

#include "journal.h"

/* Adds prepaid_order, settles, bill and bill_refund (null when none) to o. */
void cli_links_json(struct journal *j, const struct journal_doc *d, json_t *o);
/* Prints the same as `kassa status` lines (nothing when there is no link). */
void cli_links_print(struct journal *j, const struct journal_doc *d);

#endif
