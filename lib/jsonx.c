#include "jsonx.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "i18n.h"
#include "money.h"
#include "util.h"

/*
 * Marker that prefixes a string holding a number literal. On input the
 * pre-pass wraps fractional literals in it; on output jsonx_dumps unwraps it
 * so the literal is printed exactly. Control characters never appear in text
 * we accept from people (see document validation), so it cannot collide.
 */
#define NUM_MARK "\x01\x02\x03"
#define NUM_MARK_LEN 3
#define NUM_MARK_ESC "\\u0001\\u0002\\u0003"

static bool num_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* True when s[0..n) is exactly one JSON number (RFC 8259 grammar). */
static bool number_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && digit(s[i]))
			i++;
	else
		return false;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		while (i < n && digit(s[i]))
			i++;
		if (i == start)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t start = i;
		while (i < n && digit(s[i]))
			i++;
		if (i == start)
			return false;
	}
	return i == n;
}

json_t *jsonx_loads(const char *text, size_t len, struct kerr *err)
{
	struct buf b = {0};
	buf_add(&b, "", 0);
	size_t i = 0;
	bool in_str = false;
	while (i < len) {
		char c = text[i];
		if (in_str) {
			size_t start = i;
			while (i < len && text[i] != '"' && text[i] != '\\')
				i++;
			buf_add(&b, text + start, i - start);
			if (i >= len)
				break;
			if (text[i] == '\\') {
				buf_add(&b, text + i, i + 1 < len ? 2 : 1);
				i += 2;
			} else {
				buf_add(&b, "\"", 1);
				in_str = false;
				i++;
			}
			continue;
		}
		if (c == '"') {
			in_str = true;
			buf_add(&b, "\"", 1);
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			bool frac = false;
			while (i < len && num_char(text[i])) {
				if (text[i] == '.' || text[i] == 'e' || text[i] == 'E')
					frac = true;
				i++;
			}
			/*
			 * A malformed literal ("1.2.3") stays as is for jansson to refuse.
			 * "-0" is kept as text too: jansson would make it 0 and lose the
			 * sign that "-0.0" keeps (and the money parser refuses).
			 */
			bool minus_zero =
			    i - start == 2 && text[start] == '-' && text[start + 1] == '0';
			if ((frac || minus_zero) && number_ok(text + start, i - start)) {
				buf_add(&b, "\"" NUM_MARK_ESC, 1 + strlen(NUM_MARK_ESC));
				buf_add(&b, text + start, i - start);
				buf_add(&b, "\"", 1);
			} else {
				buf_add(&b, text + start, i - start);
			}
		} else {
			buf_add(&b, &c, 1);
			i++;
		}
	}
	json_error_t je;
	json_t *root = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &je);
	buf_free(&b);
	if (!root)
		kerr_set(err, K_INVALID, "", _("not valid JSON at line %d, column %d: %s"), je.line,
			 je.column, je.text);
	return root;
}

static kstatus jsonx_scaled(const json_t *v, int decimals, int64_t max, int64_t *out,
			    const char *field, struct kerr *err)
{
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		int64_t scale = decimals == 3 ? 1000 : 100;
		if (n < 0)
			return kerr_set(
			    err, K_INVALID, field, "%s",
			    _("a sign is not allowed here; enter the number without + or -"));
		if (n > max / scale)
			return kerr_set(err, K_OVERFLOW, field, "%s", _("is too large"));
		*out = (int64_t)n * scale;
		return K_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (strncmp(s, NUM_MARK, NUM_MARK_LEN) == 0)
			s += NUM_MARK_LEN;
		return decimal_parse(s, decimals, max, 0, out, field, err);
	}
	if (!v)
		return kerr_set(err, K_INVALID, field, "%s", _("is missing"));
	return kerr_set(err, K_INVALID, field, "%s", _("must be a number"));
}

kstatus jsonx_money(const json_t *v, int64_t *kop, const char *field, struct kerr *err)
{
	return jsonx_scaled(v, 2, MONEY_MAX, kop, field, err);
}

kstatus jsonx_qty(const json_t *v, int64_t *milli, const char *field, struct kerr *err)
{
	return jsonx_scaled(v, 3, QTY_MAX, milli, field, err);
}

kstatus jsonx_percent(const json_t *v, int64_t *hundredths, const char *field, struct kerr *err)
{
	kstatus st = jsonx_scaled(v, 2, MONEY_MAX, hundredths, field, err);
	if (st == K_OK && *hundredths > PERCENT_100)
		return kerr_set(err, K_INVALID, field, "%s", _("cannot be more than 100%"));
	return st;
}

const char *jsonx_marked_text(const char *s)
{
	return strncmp(s, NUM_MARK, NUM_MARK_LEN) == 0 ? s + NUM_MARK_LEN : NULL;
}

const char *jsonx_number_text(const json_t *v)
{
	if (!json_is_string(v))
		return NULL;
	return jsonx_marked_text(json_string_value(v));
}

bool jsonx_is_number(const json_t *v)
{
	return json_is_integer(v) || jsonx_number_text(v) != NULL;
}

json_t *jsonx_decimal(const char *text)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s%s", NUM_MARK, text);
	return json_string(tmp);
}

json_t *jsonx_money_number(int64_t kop)
{
	char tmp[40];
	money_format_wire(kop, tmp, sizeof tmp);
	return jsonx_decimal(tmp);
}

json_t *jsonx_qty_number(int64_t milli)
{
	char tmp[40];
	qty_format(milli, tmp, sizeof tmp);
	return jsonx_decimal(tmp);
}

static bool literal_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '.' || c == 'e' || c == 'E' || c == '+';
}

char *jsonx_dumps(const json_t *v, size_t flags)
{
	char *raw = json_dumps(v, flags | JSON_ENCODE_ANY);
	if (!raw)
		return NULL;
	/*
	 * Unwrap "\u0001\u0002\u0003<literal>" into <literal>: only a whole
	 * string value (not an escaped quote inside another string, not an
	 * object key) holding a valid JSON number, so the output stays JSON.
	 */
	size_t mlen = strlen(NUM_MARK_ESC);
	char *out = xmalloc(strlen(raw) + 1);
	const char *r = raw;
	char *w = out;
	while (*r) {
		if (*r != '"') {
			*w++ = *r++;
			continue;
		}
		/* Outside strings, a quote opens one. */
		if (strncmp(r + 1, NUM_MARK_ESC, mlen) == 0) {
			const char *lit = r + 1 + mlen, *e = lit;
			while (literal_char(*e))
				e++;
			const char *after = *e == '"' ? e + 1 : e;
			while (*after == ' ' || *after == '\n' || *after == '\t')
				after++;
			if (*e == '"' && *after != ':' && number_ok(lit, (size_t)(e - lit))) {
				memcpy(w, lit, (size_t)(e - lit));
				w += e - lit;
				r = e + 1;
				continue;
			}
		}
		*w++ = *r++;
		while (*r && *r != '"') {
			if (*r == '\\' && r[1])
				*w++ = *r++;
			*w++ = *r++;
		}
		if (*r)
			*w++ = *r++;
	}
	*w = '\0';
	free(raw);
	return out;
}
