/* Small helpers: checked allocation, bounded strings, UTF-8. */
#ifndef KASSA_UTIL_H
#define KASSA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation that never returns NULL: on failure it prints and aborts. */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Copy src into dst of size n, always terminated; returns false if cut. */
bool str_copy(char *dst, const char *src, size_t n);
/*
 * The one UTF-8 decoder: decodes the sequence at s, reading at most n bytes
 * (SIZE_MAX for NUL-terminated text: a NUL inside a sequence cuts it short).
 * Returns its length (1..4) with *cp set, or 0, *cp untouched, for n == 0 and
 * for an invalid lead byte, a missing continuation byte (truncated), an
 * overlong form, a surrogate or a code point above U+10FFFF. NUL decodes as
 * U+0000 of length 1.
 */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* True if s is valid UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 text. */
size_t utf8_chars(const char *s);
/* Writes code point cp as 1..4 bytes of UTF-8 into out; returns the length. */
size_t utf8_encode(uint32_t cp, char *out);
/*
 * True for code points that are invisible or change how text around them is
 * shown: C0 and C1 controls, DEL, soft hyphen, zero-width and direction marks,
 * bidi embeddings, overrides (U+202E) and isolates, BOM, line separators.
 */
bool utf8_is_invisible_control(uint32_t cp);
/* The first such code point in UTF-8 text s (invalid bytes skipped), or 0 when there is none. */
uint32_t utf8_find_control(const char *s);
/* Trim ASCII white space at both ends in place; returns s. */
char *str_trim(char *s);
/* Constant-time comparison of two byte strings of length n. */
bool mem_equal_ct(const void *a, const void *b, size_t n);
/* Current wall-clock time in milliseconds. */
long long now_ms(void);
/* Monotonic time in milliseconds. */
long long mono_ms(void);

#endif
