/*
 * Text for a terminal: UTF-8 decoding, display width (wcwidth: Cyrillic is
 * one column, CJK two), cutting and padding to a number of columns, and a
 * case fold for searching. Pure functions: no curses.
 */
#ifndef KASSA_TEXT_H
#define KASSA_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum text_align { TEXT_LEFT, TEXT_RIGHT, TEXT_CENTER };

/* Display columns of one code point (controls and unknown: 1, combining: 0). */
int text_cp_width(uint32_t cp);
/* Display columns of UTF-8 text; invalid bytes count one column each. */
int text_width(const char *s);
/* Display columns of the first len bytes of s. */
int text_width_n(const char *s, size_t len);
/*
 * Writes s into out (n bytes) using exactly `width` columns: cut with "…"
 * when too wide, padded with spaces as align says. Returns bytes written.
 */
size_t text_fit(const char *s, int width, enum text_align align, char *out, size_t n);
/*
 * Word wrap: the bytes of s that go on a line of `width` columns, ending at
 * the last space that lets them fit (the whole text when it fits; a word
 * longer than the line is cut). *next gets the offset where the next line
 * starts, past the spaces.
 */
size_t text_wrap(const char *s, int width, size_t *next);
/* Lower-cases ASCII and Cyrillic and folds ё to е, into out (n bytes). */
void text_fold(const char *s, char *out, size_t n);
/* Case- and ё-insensitive: does hay contain needle, start with it, equal it? */
bool text_contains(const char *hay, const char *needle);
bool text_starts_with(const char *hay, const char *needle);
bool text_equal(const char *a, const char *b);

#endif
