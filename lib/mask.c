#include "mask.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "jsonx.h"
#include "util.h"
#include "wire/form.h"

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t m = strlen(suffix);
	return n >= m && strncasecmp(s + n - m, suffix, m) == 0 &&
	       (n == m || !isalnum((unsigned char)s[n - m - 1]) || m >= 5);
}

static bool key_is_secret_n(const char *key, size_t n)
{
	static const char *const words[] = {
	    "apikey", "api_key", "api-key", "password",	 "passwd",	  "secret", "secret_word",
	    "token",  "key",	 "sign",    "signature", "authorization", "auth"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (ends_with_ci(key, n, words[i]))
			return true;
	return false;
}

bool mask_key_is_secret(const char *key)
{
	return key && key_is_secret_n(key, strlen(key));
}

void mask_callback_token(char *s)
{
	char *p = s;
	while ((p = strstr(p, "/cb/")) != NULL) {
		char *tok = p + 4, *end = tok;
		while (*end && *end != '/' && *end != '?' && *end != '"' && *end != '&' &&
		       !isspace((unsigned char)*end))
			end++;
		if (end == tok || (end - tok == (long)strlen(MASK_TEXT) &&
				   strncmp(tok, MASK_TEXT, strlen(MASK_TEXT)) == 0)) {
			p = end;
			continue;
		}
		size_t mlen = strlen(MASK_TEXT), rest = strlen(end);
		if ((size_t)(end - tok) >= mlen) {
			memcpy(tok, MASK_TEXT, mlen);
			memmove(tok + mlen, end, rest + 1);
		} else {
			/* A short token: masked by as many stars as it had characters. */
			memset(tok, '*', (size_t)(end - tok));
		}
		p = tok + 1;
	}
}

static void mask_json(json_t *v)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		void *tmp;
		json_object_foreach_safe(v, tmp, k, child)
		{
			if (mask_key_is_secret(k) && !json_is_null(child) &&
			    !(json_is_string(child) && json_string_length(child) == 0)) {
				json_object_set_new(v, k, json_string(MASK_TEXT));
				continue;
			}
			mask_json(child);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) mask_json(child);
	} else if (json_is_string(v) && strstr(json_string_value(v), "/cb/")) {
		char *s = xstrdup(json_string_value(v));
		mask_callback_token(s);
		json_string_set(v, s);
		free(s);
	}
}

static bool looks_like_form(const char *s, size_t len)
{
	if (len == 0 || !memchr(s, '=', len))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '{' || c == '"')
			return false;
	}
	return true;
}

static char *mask_form(const char *body, size_t len)
{
	size_t n = 0;
	struct form_pair *pairs = form_parse(body, len, &n);
	if (!pairs)
		return NULL;
	struct buf b = {0};
	for (size_t i = 0; i < n; i++) {
		buf_str(&b, pairs[i].key ? pairs[i].key : "");
		buf_str(&b, " = ");
		const char *v = pairs[i].value ? pairs[i].value : "";
		json_t *nested = NULL;
		if (mask_key_is_secret(pairs[i].key) && *v) {
			buf_str(&b, MASK_TEXT);
		} else if ((*v == '{' || *v == '[') &&
			   (nested = jsonx_loads(v, strlen(v), NULL)) != NULL) {
			/* LifePay sends its callback as JSON in a form field. */
			mask_json(nested);
			char *text = jsonx_dumps(nested, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			json_decref(nested);
			buf_str(&b, text ? text : "");
			free(text);
		} else {
			buf_str(&b, v);
		}
		buf_str(&b, "\n");
	}
	form_pairs_free(pairs, n);
	return buf_take(&b);
}

/*
 * Text that is neither JSON nor a form: name=value and "name": "value"
 * pairs whose name is secret-looking get their value masked.
 */
static char *mask_text(const char *body, size_t len)
{
	struct buf b = {0};
	size_t i = 0;
	while (i < len) {
		if (!isalpha((unsigned char)body[i]) && body[i] != '_') {
			buf_add(&b, body + i, 1);
			i++;
			continue;
		}
		size_t start = i;
		while (i < len &&
		       (isalnum((unsigned char)body[i]) || body[i] == '_' || body[i] == '-'))
			i++;
		buf_add(&b, body + start, i - start);
		if (!key_is_secret_n(body + start, i - start))
			continue;
		size_t j = i;
		if (j < len && body[j] == '"')
			j++;
		while (j < len && (body[j] == ' ' || body[j] == '\t'))
			j++;
		if (j >= len || (body[j] != ':' && body[j] != '='))
			continue;
		j++;
		while (j < len && (body[j] == ' ' || body[j] == '\t'))
			j++;
		bool quoted = j < len && body[j] == '"';
		size_t v = j + (quoted ? 1 : 0), e = v;
		while (e < len && (quoted ? body[e] != '"'
					  : body[e] != '&' && body[e] != ',' && body[e] != '}' &&
						!isspace((unsigned char)body[e])))
			e++;
		if (e == v)
			continue;
		buf_add(&b, body + i, v - i);
		buf_str(&b, MASK_TEXT);
		i = e;
	}
	return buf_take(&b);
}

char *mask_body(const char *body, size_t len)
{
	if (!body)
		return xstrdup("");
	char *out = NULL;
	json_t *root = len ? jsonx_loads(body, len, NULL) : NULL;
	if (root) {
		mask_json(root);
		out = jsonx_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(root);
	}
	if (!out && looks_like_form(body, len))
		out = mask_form(body, len);
	if (!out)
		out = mask_text(body, len);
	mask_callback_token(out);
	return out;
}
