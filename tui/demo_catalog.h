/* The demo catalog of training mode: a trainee can sell at once. */
#ifndef KASSA_DEMO_CATALOG_H
#define KASSA_DEMO_CATALOG_H

#include <stddef.h>

#include "entry.h"

/* The demo items (codes, Russian names, prices, units incl. kg, VAT). */
const struct catalog_item *demo_catalog(size_t *n);

#endif
