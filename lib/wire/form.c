#include "wire/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *form_decode(const char *s, size_t len, size_t *out_len)
{
	char *out = xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return out;
}

struct form_pair *form_parse(const char *body, size_t len, size_t *n)
{
	size_t cap = 8, count = 0;
	struct form_pair *pairs = xcalloc(cap, sizeof *pairs);
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		while (i < len && body[i] != '&')
			i++;
		size_t end = i;
		if (i < len)
			i++; /* skip '&' */
		if (end == start)
			continue;
		const char *eq = memchr(body + start, '=', end - start);
		size_t klen = eq ? (size_t)(eq - (body + start)) : end - start;
		if (count == cap) {
			cap *= 2;
			pairs = xrealloc(pairs, cap * sizeof *pairs);
		}
		pairs[count].key = form_decode(body + start, klen, NULL);
		pairs[count].value =
		    eq ? form_decode(eq + 1, (size_t)(body + end - eq - 1), NULL) : xstrdup("");
		count++;
	}
	*n = count;
	return pairs;
}

void form_pairs_free(struct form_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
}

char *form_get(const char *body, size_t len, const char *name)
{
	size_t n;
	struct form_pair *pairs = form_parse(body, len, &n);
	char *found = NULL;
	for (size_t i = 0; i < n && !found; i++)
		if (strcmp(pairs[i].key, name) == 0) {
			found = pairs[i].value;
			pairs[i].value = NULL;
		}
	form_pairs_free(pairs, n);
	return found;
}

char *form_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);
	char *out = xmalloc(len * 3 + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

void form_add(char **form, const char *name, const char *value)
{
	char *k = form_encode(name), *v = form_encode(value);
	size_t old = *form ? strlen(*form) : 0;
	size_t need = old + 1 + strlen(k) + 1 + strlen(v) + 1;
	*form = xrealloc(*form, need);
	snprintf(*form + old, need - old, "%s%s=%s", old ? "&" : "", k, v);
	free(k);
	free(v);
}
