#include "scan.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *const scan_gs_common[] = {
    "<GS>", "{GS}", "[GS]", "\\x1d", "\\x1D", "\\u001d", "\\u001D", "^]", NULL,
};

/* ЙЦУКЕН -> the Latin character on the same key (PC layouts of both), row by row. */
/* clang-format off */
static const struct {
	uint16_t ru;
	char en;
} layout[] = {
	{0x0439, 'q'}, {0x0446, 'w'}, {0x0443, 'e'}, {0x043a, 'r'}, {0x0435, 't'}, {0x043d, 'y'},
	{0x0433, 'u'}, {0x0448, 'i'}, {0x0449, 'o'}, {0x0437, 'p'}, {0x0445, '['}, {0x044a, ']'},
	{0x0444, 'a'}, {0x044b, 's'}, {0x0432, 'd'}, {0x0430, 'f'}, {0x043f, 'g'}, {0x0440, 'h'},
	{0x043e, 'j'}, {0x043b, 'k'}, {0x0434, 'l'}, {0x0436, ';'}, {0x044d, '\''},
	{0x044f, 'z'}, {0x0447, 'x'}, {0x0441, 'c'}, {0x043c, 'v'}, {0x0438, 'b'}, {0x0442, 'n'},
	{0x044c, 'm'}, {0x0431, ','}, {0x044e, '.'},
	{0x0451, '`'},
	{0x0419, 'Q'}, {0x0426, 'W'}, {0x0423, 'E'}, {0x041a, 'R'}, {0x0415, 'T'}, {0x041d, 'Y'},
	{0x0413, 'U'}, {0x0428, 'I'}, {0x0429, 'O'}, {0x0417, 'P'}, {0x0425, '{'}, {0x042a, '}'},
	{0x0424, 'A'}, {0x042b, 'S'}, {0x0412, 'D'}, {0x0410, 'F'}, {0x041f, 'G'}, {0x0420, 'H'},
	{0x041e, 'J'}, {0x041b, 'K'}, {0x0414, 'L'}, {0x0416, ':'}, {0x042d, '"'},
	{0x042f, 'Z'}, {0x0427, 'X'}, {0x0421, 'C'}, {0x041c, 'V'}, {0x0418, 'B'}, {0x0422, 'N'},
	{0x042c, 'M'}, {0x0411, '<'}, {0x042e, '>'},
	{0x0401, '~'},
};
/* clang-format on */

int32_t scan_layout_key(int32_t cp)
{
	for (size_t i = 0; i < sizeof layout / sizeof layout[0]; i++)
		if (layout[i].ru == cp)
			return (unsigned char)layout[i].en;
	return -1;
}

/* Decodes UTF-8 leniently (bad bytes as themselves); returns the length, 0 at the end. */
static size_t decode(const unsigned char *s, int32_t *cp)
{
	if (!s[0])
		return 0;
	uint32_t u;
	size_t len = utf8_decode((const char *)s, SIZE_MAX, &u);
	if (len == 0) {
		*cp = s[0];
		return 1;
	}
	*cp = (int32_t)u;
	return len;
}

/* Keys that are the same in both layouts. */
static bool layout_neutral(int32_t cp)
{
	return (cp >= '0' && cp <= '9') || cp == '-' || cp == SCAN_GS;
}

static bool keys_mappable(const int32_t *keys, size_t n)
{
	bool cyrillic = false;
	for (size_t i = 0; i < n; i++) {
		if (scan_layout_key(keys[i]) >= 0)
			cyrillic = true;
		else if (!layout_neutral(keys[i]))
			return false;
	}
	return cyrillic;
}

/* Writes keys as UTF-8, mapped back from the layout if asked; always terminated. */
static void keys_text(const int32_t *keys, size_t n, bool map, char *out, size_t size)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char enc[4];
		int32_t k = map ? scan_layout_key(keys[i]) : -1;
		size_t len = utf8_encode((uint32_t)(k >= 0 ? k : keys[i]), enc);
		if (o + len >= size)
			break;
		memcpy(out + o, enc, len);
		o += len;
	}
	out[o] = '\0';
}

bool scan_layout_map(const char *in, char *out, size_t n)
{
	if (n == 0)
		return false;
	int32_t *keys = xmalloc((strlen(in) + 1) * sizeof *keys);
	size_t nk = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p;) {
		int32_t cp;
		p += decode(p, &cp);
		keys[nk++] = cp;
	}
	bool map = keys_mappable(keys, nk);
	if (map) {
		keys_text(keys, nk, true, out, n);
	} else {
		size_t len = strlen(in);
		if (len >= n)
			len = n - 1;
		memcpy(out, in, len);
		out[len] = '\0';
	}
	free(keys);
	return map;
}

size_t scan_gs_apply(const char *in, const char *const *subst, char *out, size_t n)
{
	if (n == 0)
		return 0;
	size_t o = 0, ngs = 0;
	const char *p = in;
	while (*p && o + 1 < n) {
		size_t match = 0;
		for (size_t i = 0; subst && subst[i]; i++) {
			size_t len = strlen(subst[i]);
			if (len && strncmp(p, subst[i], len) == 0 && len > match)
				match = len;
		}
		if (match) {
			out[o++] = SCAN_GS;
			p += match;
			ngs++;
			continue;
		}
		if (*p == SCAN_GS)
			ngs++;
		out[o++] = *p++;
	}
	out[o] = '\0';
	return ngs;
}

/* ---- the burst machine ------------------------------------------------------ */

void scan_config_default(struct scan_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->min_len = SCAN_DEFAULT_MIN_LEN;
	cfg->max_gap_ms = SCAN_DEFAULT_MAX_GAP_MS;
	cfg->map_layout = true;
}

void scan_init(struct scan *s, const struct scan_config *cfg)
{
	memset(s, 0, sizeof *s);
	if (cfg)
		s->cfg = *cfg;
	else
		scan_config_default(&s->cfg);
	if (s->cfg.min_len < 1 || s->cfg.min_len > SCAN_MAX_KEYS)
		s->cfg.min_len = SCAN_DEFAULT_MIN_LEN;
	if (s->cfg.max_gap_ms < 1 || s->cfg.max_gap_ms > 1000)
		s->cfg.max_gap_ms = SCAN_DEFAULT_MAX_GAP_MS;
}

void scan_reset(struct scan *s)
{
	s->nheld = 0;
	s->after_done = false;
	s->spill = false;
}

static bool is_char_key(int32_t k)
{
	if (k == SCAN_GS)
		return true;
	if (k < 0x20 || k == 0x7f || k > 0x10ffff)
		return false;
	if (k >= 0x80 && k < 0xa0) /* C1 controls */
		return false;
	return !(k >= 0xd800 && k <= 0xdfff);
}

static bool is_end_key(const struct scan *s, int32_t k)
{
	return k == '\r' || k == '\n' || (s->cfg.tab_ends && k == '\t');
}

static void result_clear(struct scan_result *r)
{
	r->event = SCAN_PENDING;
	r->nkeys = 0;
	r->code[0] = '\0';
	r->raw[0] = '\0';
	r->remapped = false;
	r->ngs = 0;
}

/* Moves the held keys to the keys to deliver. */
static void hand_back(struct scan *s, struct scan_result *r)
{
	memcpy(r->keys + r->nkeys, s->held, s->nheld * sizeof *s->held);
	r->nkeys += s->nheld;
	s->nheld = 0;
	if (r->nkeys)
		r->event = SCAN_PASS;
}

static void pass_key(struct scan_result *r, int32_t key)
{
	r->keys[r->nkeys++] = key;
	r->event = SCAN_PASS;
}

static void finish_scan(struct scan *s, int32_t key, long long t_ms, struct scan_result *r)
{
	keys_text(s->held, s->nheld, false, r->raw, sizeof r->raw);
	r->remapped = s->cfg.map_layout && keys_mappable(s->held, s->nheld);
	char mapped[SCAN_CODE_MAX];
	keys_text(s->held, s->nheld, r->remapped, mapped, sizeof mapped);
	r->ngs = scan_gs_apply(mapped, s->cfg.gs_subst, r->code, sizeof r->code);
	r->event = SCAN_DONE;
	s->nheld = 0;
	s->after_done = true;
	s->done_t = t_ms;
	s->done_key = key;
}

enum scan_event scan_feed(struct scan *s, int32_t key, long long t_ms, struct scan_result *r)
{
	result_clear(r);
	if (s->after_done) {
		s->after_done = false;
		/* The LF of a CR LF suffix belongs to the scan just made. */
		if ((key == '\n' || key == '\r') && key != s->done_key &&
		    t_ms - s->done_t <= s->cfg.max_gap_ms)
			return r->event;
	}
	bool broken = false;
	if ((s->nheld || s->spill) && t_ms - s->last_t > s->cfg.max_gap_ms) {
		hand_back(s, r);
		broken = true;
		s->spill = false;
	}
	if (s->spill) {
		/* The rest of an overlong burst is typing too, up to its end. */
		s->last_t = t_ms;
		s->spill = is_char_key(key);
		pass_key(r, key);
		return r->event;
	}
	if (is_char_key(key)) {
		if (s->nheld == SCAN_MAX_KEYS) {
			hand_back(s, r);
			pass_key(r, key);
			s->spill = true;
			s->last_t = t_ms;
			return r->event;
		}
		s->held[s->nheld++] = key;
		s->last_t = t_ms;
		return r->event;
	}
	if (is_end_key(s, key) && !broken && s->nheld >= (size_t)s->cfg.min_len) {
		finish_scan(s, key, t_ms, r);
		return r->event;
	}
	hand_back(s, r);
	pass_key(r, key);
	return r->event;
}

enum scan_event scan_timeout(struct scan *s, long long t_ms, struct scan_result *r)
{
	result_clear(r);
	if (s->after_done && t_ms - s->done_t > s->cfg.max_gap_ms)
		s->after_done = false;
	if (s->nheld && t_ms - s->last_t > s->cfg.max_gap_ms)
		hand_back(s, r);
	return r->event;
}

long long scan_deadline(const struct scan *s)
{
	return s->nheld ? s->last_t + s->cfg.max_gap_ms + 1 : -1;
}
