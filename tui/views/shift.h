/*
 * The shift screen (F8): open shift, X-report, Z-report, cash in and out,
 * with the shift's age and what the provider's 24-hour rule means.
 */
#ifndef KASSA_VIEWS_SHIFT_H
#define KASSA_VIEWS_SHIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"
#include "shift_rule.h"

/* A shift open this long (ms) gets a warning: at 24 hours receipts are refused. */
#define SHIFT_WARN_MS (23LL * 3600 * 1000)

extern const struct view_ops view_shift;

#endif
