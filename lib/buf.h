/*
 * The one growable byte buffer: appends text or bytes, always NUL-terminated
 * once anything was added, grows by doubling through xrealloc (never fails).
 * A zeroed struct buf is an empty buffer.
 */
#ifndef KASSA_BUF_H
#define KASSA_BUF_H

#include <stddef.h>

struct buf {
	char *p;    /* NULL until the first append; then len bytes and a NUL */
	size_t len; /* bytes held, not counting the NUL */
	size_t cap; /* bytes allocated */
};

/* Appends n bytes of s (which may hold NULs). */
void buf_add(struct buf *b, const void *s, size_t n);
/* Appends the string s. */
void buf_str(struct buf *b, const char *s);
/* Appends printf-formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Gives the text to the caller (an empty string when nothing was added) and empties b. */
char *buf_take(struct buf *b);
/* Frees what b holds and empties it. */
void buf_free(struct buf *b);

#endif
