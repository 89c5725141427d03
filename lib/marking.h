/*
 * Marked goods on screen and paper (FFD 1.2): the item type (tag 1212) in
 * words and a marking code the cashier can read, GS separators shown as
 * "␝" and, where the code is wider than the room, its head (GTIN, serial)
 * and its tail with "…" between. No curses.
 */
#ifndef KASSA_MARKING_H
#define KASSA_MARKING_H

#include <stdbool.h>
#include <stddef.h>

#include "basket.h"

/* The item type (tag 1212, 1..33) in the cashier's language, with its number. */
void marking_object_text(int object, char *out, size_t n);
/* True when the line is a marked good: it has a code, or its type is 30..33. */
bool marking_line_is_marked(const struct basket_line *l);
/* The item type a marked line goes out with: its own, else 33 (a marked good with a code). */
int marking_line_object(const struct basket_line *l);
/*
 * The code for display in at most max_cols columns (max_cols <= 0: all of
 * it): GS (0x1D) as "␝", any other control or non-ASCII byte as "?"; a
 * longer code keeps its first two thirds and its end around "…".
 */
void marking_display(const char *code, int max_cols, char *out, size_t n);

#endif
