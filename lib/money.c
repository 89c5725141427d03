#include "money.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool word_at(const char *s, const char *word)
{
	for (; *word; s++, word++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *word)
			return false;
	}
	return true;
}

/*
 * A thousands separator as people type it at q: a space, a no-break space
 * (U+00A0, U+202F), or a comma when commas group ("2,000.00", "1,000,000").
 * Its length in bytes, 0 when q holds none.
 */
static size_t group_sep(const char *q, const char *end, bool comma_groups)
{
	const unsigned char *u = (const unsigned char *)q;
	if (*q == ' ' || (comma_groups && *q == ','))
		return 1;
	if (end - q >= 2 && u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (end - q >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf)
		return 3;
	return 0;
}

/* Does p..end hold a thousands separator at all? Plain numbers skip ungroup(). */
static bool grouped(const char *p, const char *end)
{
	const char *point = memchr(p, '.', (size_t)(end - p));
	size_t commas = 0;
	for (const char *q = p; q < end; q++) {
		if (group_sep(q, end, false))
			return true;
		if (*q == ',') {
			commas++;
			if (point && q < point)
				return true;
		}
	}
	return commas > 1;
}

static kstatus group_error(const char *field, struct kerr *err)
{
	return kerr_set(
	    err, K_INVALID, field, "%s",
	    _("thousands are grouped by three digits: write 1 000, 1 234,50 or 1234.50"));
}

/*
 * Copies p..end into out without thousands separators, checking that they
 * stand between groups of three digits of the whole part.
 */
static kstatus ungroup(const char *p, const char *end, char *out, size_t n, const char *field,
		       struct kerr *err)
{
	const char *point = memchr(p, '.', (size_t)(end - p));
	size_t commas = 0;
	for (const char *q = p; q < end; q++)
		commas += *q == ',';
	bool comma_groups = point ? commas > 0 && memchr(p, ',', (size_t)(point - p)) : commas > 1;
	size_t k = 0;
	int group = 0, groups = 0;
	bool whole = true;
	for (const char *q = p; q < end; q++) {
		size_t sl = group_sep(q, end, comma_groups);
		if (sl) {
			if (!whole || group == 0 || group > 3 || (groups > 0 && group != 3))
				return group_error(field, err);
			groups++;
			group = 0;
			q += sl - 1;
			continue;
		}
		if (whole && is_digit(*q)) {
			group++;
		} else if (whole && (*q == '.' || *q == ',')) {
			if (groups > 0 && group != 3)
				return group_error(field, err);
			whole = false;
		}
		if (k + 1 >= n)
			return kerr_set(err, K_OVERFLOW, field, "%s", _("is too large"));
		out[k++] = *q;
	}
	if (whole && groups > 0 && group != 3)
		return group_error(field, err);
	out[k] = '\0';
	return K_OK;
}

kstatus decimal_parse(const char *text, int decimals, int64_t max, unsigned flags, int64_t *out,
		      const char *field, struct kerr *err)
{
	if (!text)
		return kerr_set(err, K_INVALID, field, "%s", _("is missing"));
	const char *p = text;
	while (is_space(*p))
		p++;
	const char *end = p + strlen(p);
	while (end > p && is_space(end[-1]))
		end--;
	if (p == end)
		return kerr_set(err, K_INVALID, field, "%s",
				_("is empty; enter a number such as 12.50"));

	bool negative = false;
	if (*p == '+' || *p == '-') {
		if (*p == '+' || !(flags & MONEY_SIGNED))
			return kerr_set(
			    err, K_INVALID, field, "%s",
			    _("a sign is not allowed here; enter the number without + or -"));
		negative = true;
		p++;
	}
	char plain[64];
	if ((flags & MONEY_GROUPS) && grouped(p, end)) {
		kstatus st = ungroup(p, end, plain, sizeof plain, field, err);
		if (st != K_OK)
			return st;
		p = plain;
		end = plain + strlen(plain);
	}
	if (word_at(p, "nan") || word_at(p, "inf"))
		return kerr_set(err, K_INVALID, field, "%s", _("is not a number"));
	if (p == end || !is_digit(*p)) {
		if (p < end && (*p == '.' || *p == ','))
			return kerr_set(err, K_INVALID, field, "%s",
					_("needs a digit before the decimal point, such as 0.50"));
		return kerr_set(err, K_INVALID, field, "%s", _("is not a number"));
	}

	int separators = 0;
	for (const char *q = p; q < end; q++)
		separators += (*q == '.' || *q == ',');
	if (separators > 1)
		return kerr_set(
		    err, K_INVALID, field, "%s",
		    _("has more than one decimal separator; thousands separators are not allowed"));

	/* "1,000" as the English screen groups thousands: say how to write either reading */
	const char *comma = NULL;
	for (const char *q = p; q < end && !comma; q++)
		if (*q == ',')
			comma = q;
	if (decimals == 2 && comma && end - comma == 4 && is_digit(comma[1]) &&
	    is_digit(comma[2]) && is_digit(comma[3]))
		return kerr_set(err, K_INVALID, field, "%s",
				_("has three digits after the comma: for thousands write 1000, "
				  "1 000 or 1,000.00; for kopecks two digits, such as 1,50"));

	int64_t whole = 0, frac = 0;
	int frac_digits = 0;
	bool in_frac = false;
	for (const char *q = p; q < end; q++) {
		char c = *q;
		if (is_digit(c)) {
			int d = c - '0';
			if (in_frac) {
				if (frac_digits == decimals) {
					if (decimals == 0)
						return kerr_set(err, K_INVALID, field, "%s",
								_("must be a whole number"));
					return kerr_set(err, K_INVALID, field, "%s",
							decimals == 2
							    ? _("has more than 2 decimal places")
							    : _("has more than 3 decimal places"));
				}
				frac = frac * 10 + d;
				frac_digits++;
			} else {
				if (whole > (INT64_MAX - d) / 10)
					return kerr_set(err, K_OVERFLOW, field, "%s",
							_("is too large"));
				whole = whole * 10 + d;
			}
		} else if (c == '.' || c == ',') {
			if (q + 1 == end)
				return kerr_set(err, K_INVALID, field, "%s",
						_("has no digits after the decimal point"));
			if (decimals == 0)
				return kerr_set(err, K_INVALID, field, "%s",
						_("must be a whole number"));
			in_frac = true;
		} else if (c == 'e' || c == 'E') {
			return kerr_set(err, K_INVALID, field, "%s",
					_("exponents are not allowed; write the number in full, "
					  "such as 1500.00"));
		} else if (c == ' ' || c == '\'' || c == '_') {
			return kerr_set(
			    err, K_INVALID, field, "%s",
			    (flags & MONEY_GROUPS)
				? _("use a space between thousands, such as 1 000, or none")
				: _("thousands separators are not allowed here; write the "
				    "number without them"));
		} else {
			return kerr_set(err, K_INVALID, field,
					_("contains '%c'; use digits and one decimal point"),
					(c > 32 && c < 127) ? c : '?');
		}
	}
	int64_t scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	for (int i = frac_digits; i < decimals; i++)
		frac *= 10;
	if (whole > (max - frac) / scale || whole * scale + frac > max)
		return kerr_set(err, K_OVERFLOW, field, "%s", _("is too large"));
	int64_t v = whole * scale + frac;
	*out = negative ? -v : v;
	return K_OK;
}

kstatus money_parse(const char *text, int64_t *kop, const char *field, struct kerr *err)
{
	return decimal_parse(text, 2, MONEY_MAX, MONEY_GROUPS, kop, field, err);
}

kstatus qty_parse(const char *text, int64_t *milli, const char *field, struct kerr *err)
{
	return decimal_parse(text, 3, QTY_MAX, MONEY_GROUPS, milli, field, err);
}

kstatus percent_parse(const char *text, int64_t *hundredths, const char *field, struct kerr *err)
{
	kstatus st = decimal_parse(text, 2, INT64_MAX / 2, MONEY_GROUPS, hundredths, field, err);
	if (st == K_OK && *hundredths > PERCENT_100)
		return kerr_set(err, K_INVALID, field, "%s", _("cannot be more than 100%"));
	if (st == K_OVERFLOW)
		return kerr_set(err, K_INVALID, field, "%s", _("cannot be more than 100%"));
	return st;
}

int money_format_wire(int64_t kop, char *buf, size_t n)
{
	uint64_t a = kop < 0 ? (uint64_t)0 - (uint64_t)kop : (uint64_t)kop;
	return snprintf(buf, n, "%s%llu.%02llu", kop < 0 ? "-" : "", (unsigned long long)(a / 100),
			(unsigned long long)(a % 100));
}

static int scaled_format(int64_t v, int decimals, char *buf, size_t n)
{
	int64_t scale = decimals == 3 ? 1000 : 100;
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint64_t whole = a / (uint64_t)scale, frac = a % (uint64_t)scale;
	if (frac == 0)
		return snprintf(buf, n, "%s%llu", v < 0 ? "-" : "", (unsigned long long)whole);
	char digits[8];
	snprintf(digits, sizeof digits, decimals == 3 ? "%03llu" : "%02llu",
		 (unsigned long long)frac);
	size_t len = strlen(digits);
	while (len && digits[len - 1] == '0')
		digits[--len] = '\0';
	return snprintf(buf, n, "%s%llu.%s", v < 0 ? "-" : "", (unsigned long long)whole, digits);
}

int qty_format(int64_t milli, char *buf, size_t n)
{
	return scaled_format(milli, 3, buf, n);
}

int percent_format(int64_t hundredths, char *buf, size_t n)
{
	return scaled_format(hundredths, 2, buf, n);
}

/* "0.455" -> "0,455" when the style's decimal mark is one byte. */
static int with_mark(int len, char *buf, const struct money_style *st)
{
	char *dot = strchr(buf, '.');
	if (dot && st && st->decimal[0] && !st->decimal[1])
		*dot = st->decimal[0];
	return len;
}

int qty_format_display(int64_t milli, const struct money_style *st, char *buf, size_t n)
{
	return with_mark(scaled_format(milli, 3, buf, n), buf, st);
}

int percent_format_display(int64_t hundredths, const struct money_style *st, char *buf, size_t n)
{
	return with_mark(scaled_format(hundredths, 2, buf, n), buf, st);
}

const struct money_style MONEY_STYLE_RU = {",", " "};
const struct money_style MONEY_STYLE_EN = {".", ","};

const struct money_style *money_style_for(const char *locale_name)
{
	if (locale_name && locale_name[0] == 'r' && locale_name[1] == 'u')
		return &MONEY_STYLE_RU;
	return &MONEY_STYLE_EN;
}

int money_format_display(int64_t kop, const struct money_style *st, char *buf, size_t n)
{
	uint64_t a = kop < 0 ? (uint64_t)0 - (uint64_t)kop : (uint64_t)kop;
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)(a / 100));
	char out[96];
	size_t o = 0;
	if (kop < 0)
		out[o++] = '-';
	size_t glen = strlen(st->group);
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0) {
			memcpy(out + o, st->group, glen);
			o += glen;
		}
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return snprintf(buf, n, "%s%s%02llu", out, st->decimal, (unsigned long long)(a % 100));
}

kstatus money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r) || r > MONEY_MAX || r < -MONEY_MAX)
		return K_OVERFLOW;
	*out = r;
	return K_OK;
}

int64_t div_round_half_up(int64_t num, int64_t den)
{
	int64_t q = num / den, r = num % den;
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += num < 0 ? -1 : 1;
	return q;
}

static kstatus mul_div_round(int64_t a, int64_t b, int64_t den, int64_t *out)
{
	__int128 p = (__int128)a * b;
	__int128 q = p / den, r = p % den;
	if (r < 0)
		r = -r;
	if (2 * r >= den)
		q += p < 0 ? -1 : 1;
	if (q > MONEY_MAX || q < -MONEY_MAX)
		return K_OVERFLOW;
	*out = (int64_t)q;
	return K_OK;
}

kstatus money_mul_qty(int64_t price_kop, int64_t qty_milli, int64_t *out)
{
	return mul_div_round(price_kop, qty_milli, QTY_ONE, out);
}

kstatus money_percent_of(int64_t amount, int64_t hundredths, int64_t *out)
{
	return mul_div_round(amount, hundredths, PERCENT_100, out);
}

kstatus money_spread(int64_t amount, const int64_t *weights, size_t n, int64_t *parts)
{
	__int128 total = 0;
	for (size_t i = 0; i < n; i++) {
		if (weights[i] < 0)
			return K_INVALID;
		total += weights[i];
	}
	if (amount == 0) {
		for (size_t i = 0; i < n; i++)
			parts[i] = 0;
		return K_OK;
	}
	if (total == 0 || amount < 0)
		return K_INVALID;
	int64_t given = 0;
	for (size_t i = 0; i < n; i++) {
		parts[i] = (int64_t)((__int128)amount * weights[i] / total);
		given += parts[i];
	}
	/* Hand out the kopecks left over to the largest remainders, one each. */
	int64_t left = amount - given;
	while (left > 0) {
		size_t best = n;
		__int128 best_rem = -1;
		for (size_t i = 0; i < n; i++) {
			__int128 rem = (__int128)amount * weights[i] % total;
			/* a part that already got its extra kopeck is done */
			if ((__int128)parts[i] * total > (__int128)amount * weights[i])
				continue;
			if (rem > best_rem && weights[i] > 0) {
				best_rem = rem;
				best = i;
			}
		}
		if (best == n)
			return K_INVALID;
		parts[best]++;
		left--;
	}
	return K_OK;
}
