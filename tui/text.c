#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700 /* wcwidth */
#endif
#include "text.h"

#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "util.h"

int text_cp_width(uint32_t cp)
{
	/* Match curses, which counts with wcwidth(); unknown or control: 1. */
	int w = wcwidth((wchar_t)cp);
	return w < 0 ? 1 : w;
}

int text_width_n(const char *s, size_t len)
{
	int w = 0;
	size_t i = 0;
	while (i < len && s[i]) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, SIZE_MAX, &cp);
		if (k == 0 || i + k > len) {
			w++;
			i++;
			continue;
		}
		w += text_cp_width(cp);
		i += k;
	}
	return w;
}

int text_width(const char *s)
{
	return text_width_n(s, strlen(s));
}

static void put(char *out, size_t n, size_t *o, const char *src, size_t len)
{
	if (*o + len + 1 > n)
		return;
	memcpy(out + *o, src, len);
	*o += len;
	out[*o] = '\0';
}

size_t text_fit(const char *s, int width, enum text_align align, char *out, size_t n)
{
	size_t o = 0;
	if (n == 0)
		return 0;
	out[0] = '\0';
	if (width <= 0)
		return 0;
	int total = text_width(s);
	/* Bytes and columns of the part that is kept. */
	size_t keep = strlen(s);
	int kept = total;
	bool cut = total > width;
	if (cut) {
		int limit = width - 1; /* room for the ellipsis */
		size_t i = 0;
		kept = 0;
		while (s[i]) {
			uint32_t cp;
			size_t k = utf8_decode(s + i, SIZE_MAX, &cp);
			int w = k ? text_cp_width(cp) : 1;
			if (kept + w > limit)
				break;
			kept += w;
			i += k ? k : 1;
		}
		keep = i;
	}
	int pad = width - kept - (cut ? 1 : 0);
	int left = align == TEXT_RIGHT ? pad : align == TEXT_CENTER ? pad / 2 : 0;
	for (int i = 0; i < left; i++)
		put(out, n, &o, " ", 1);
	put(out, n, &o, s, keep);
	if (cut)
		put(out, n, &o, "…", strlen("…"));
	for (int i = left; i < pad; i++)
		put(out, n, &o, " ", 1);
	return o;
}

size_t text_wrap(const char *s, int width, size_t *next)
{
	size_t i = 0, brk = 0;
	int col = 0;
	bool space_seen = false;
	while (s[i]) {
		uint32_t cp;
		size_t k = utf8_decode(s + i, SIZE_MAX, &cp);
		int w = k ? text_cp_width(cp) : 1;
		if (col + w > width)
			break;
		if (s[i] == ' ') {
			brk = i;
			space_seen = true;
		}
		col += w;
		i += k ? k : 1;
	}
	size_t end = s[i] && space_seen ? brk : i;
	if (end == 0 && s[0]) {
		/* Not even one word fits: cut it, at least one character so callers move on. */
		uint32_t cp;
		size_t k = utf8_decode(s, SIZE_MAX, &cp);
		end = i > 0 ? i : k ? k : 1;
	}
	size_t nx = end;
	while (s[nx] == ' ')
		nx++;
	if (next)
		*next = nx;
	return end;
}

static uint32_t fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0x410 && c <= 0x42f) /* А..Я */
		return c + 0x20;
	if (c == 0x401 || c == 0x451) /* Ё ё -> е */
		return 0x435;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (c > 0x7f && c < 0x400)
		return (uint32_t)towlower((wint_t)c);
	return c;
}

void text_fold(const char *s, char *out, size_t n)
{
	size_t o = 0;
	if (n == 0)
		return;
	out[0] = '\0';
	while (*s) {
		uint32_t cp;
		size_t k = utf8_decode(s, SIZE_MAX, &cp);
		if (k == 0) {
			put(out, n, &o, s, 1);
			s++;
			continue;
		}
		char u[8];
		size_t len = utf8_encode(fold_cp(cp), u);
		put(out, n, &o, u, len);
		s += k;
	}
}

bool text_contains(const char *hay, const char *needle)
{
	char h[1024], nd[1024];
	text_fold(hay, h, sizeof h);
	text_fold(needle, nd, sizeof nd);
	return strstr(h, nd) != NULL;
}

bool text_starts_with(const char *hay, const char *needle)
{
	char h[1024], nd[1024];
	text_fold(hay, h, sizeof h);
	text_fold(needle, nd, sizeof nd);
	return strncmp(h, nd, strlen(nd)) == 0;
}

bool text_equal(const char *a, const char *b)
{
	char fa[1024], fb[1024];
	text_fold(a, fa, sizeof fa);
	text_fold(b, fb, sizeof fb);
	return strcmp(fa, fb) == 0;
}
