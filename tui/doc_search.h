/*
 * The journal screen's search beyond numbers, ids and dates: an amount as
 * people write or see it ("535" finds 535.80, "2,000.00", "2 000,00" and
 * "2000" find 2000.00) and words for what a document is ("refund",
 * "возврат", "cash", "наличные", "card", "карта", the kind and type as the
 * screen names them, in English or Russian). Pure: no curses, no journal.
 */
#ifndef KASSA_DOC_SEARCH_H
#define KASSA_DOC_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

/* What the search looks at in one document. */
struct doc_search_row {
	const char *kind; /* doc_kind_wire() word */
	const char *type; /* receipt type word or "" */
	int64_t total, card, cash;
};

/*
 * True when text (trimmed, any case) names r's amount (the whole roubles
 * exactly, then any kopecks given as a prefix) or one of its words.
 */
bool doc_search_matches(const char *text, const struct doc_search_row *r);

#endif
