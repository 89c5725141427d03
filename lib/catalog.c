#include "catalog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wctype.h>

#include "i18n.h"
#include "money.h"
#include "util.h"

/* Columns in their headerless order. */
enum col { COL_CODE, COL_NAME, COL_PRICE, COL_UNIT, COL_VAT, COL_OBJECT, COL_COUNT };
static const char *const col_names[COL_COUNT] = {"code", "name", "price", "unit", "vat", "object"};

/* Header words, already folded (lower case, ё as е). */
static const char *const col_words[COL_COUNT][10] = {
    [COL_CODE] = {"code", "barcode", "sku", "ean", "article", "код", "штрихкод", "штрих-код",
		  "артикул", NULL},
    [COL_NAME] = {"name", "title", "item", "product", "наименование", "название", "товар", NULL},
    [COL_PRICE] = {"price", "цена", NULL},
    [COL_UNIT] = {"unit", "units", "ед", "ед.", "ед.изм", "ед. изм.", "единица",
		  "единица измерения", NULL},
    [COL_VAT] = {"vat", "tax", "nds", "ндс", "ставка ндс", NULL},
    [COL_OBJECT] = {"object", "payment_object", "item_type", "предмет", "предмет расчета", NULL},
};

/* A record may have at most this many fields. */
#define CSV_FIELDS_MAX 32

struct catalog {
	struct catalog_item *items;
	int *lines;
	size_t n, cap;
	/* Strings of every item, NUL-separated; items point in only once loading ends. */
	char *strs;
	size_t slen, scap;
	size_t *offs; /* 4 per item: code, name, folded code, folded name */
	const char **fcode, **fname;
	uint32_t *slots; /* open addressing by code: item index + 1, 0 = empty */
	size_t nslots;
};

/* ---- UTF-8 and folding ------------------------------------------------------ */

/*
 * ASCII and Cyrillic by rule, so matching does not depend on the locale the
 * program runs in; towlower() only for other scripts.
 */
static uint32_t fold_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c >= 0x0410 && c <= 0x042f)
		c += 0x20;
	else if (c >= 0x0400 && c <= 0x040f)
		c += 0x50;
	else if ((c >= 0x0460 && c <= 0x0481) || (c >= 0x048a && c <= 0x04bf) ||
		 (c >= 0x04d0 && c <= 0x052f))
		c |= 1;
	else if (c >= 0x04c1 && c <= 0x04ce)
		c += (c & 1);
	else if (c == 0x04c0)
		c = 0x04cf;
	else if (c < 0x0400 || c > 0x052f)
		c = (uint32_t)towlower((wint_t)c);
	if (c == 0x0451) /* ё */
		c = 0x0435;
	return c;
}

void catalog_fold(const char *s, char *out, size_t n)
{
	if (n == 0)
		return;
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t o = 0;
	while (p < end) {
		uint32_t cp;
		size_t len = utf8_decode((const char *)p, (size_t)(end - p), &cp);
		char enc[4];
		size_t elen;
		if (len == 0) {
			enc[0] = (char)*p;
			elen = 1;
			len = 1;
		} else {
			elen = utf8_encode(fold_cp(cp), enc);
		}
		if (o + elen >= n)
			break;
		memcpy(out + o, enc, elen);
		o += elen;
		p += len;
	}
	out[o] = '\0';
}

/* ---- the catalog's storage -------------------------------------------------- */

static size_t arena_add(struct catalog *c, const char *s)
{
	size_t len = strlen(s) + 1;
	if (c->slen + len > c->scap) {
		size_t cap = c->scap ? c->scap : 4096;
		while (cap < c->slen + len)
			cap *= 2;
		c->strs = xrealloc(c->strs, cap);
		c->scap = cap;
	}
	size_t off = c->slen;
	memcpy(c->strs + off, s, len);
	c->slen += len;
	return off;
}

static uint32_t hash_code(const char *s)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The code of item i; offsets stay valid while loading, when the arena moves. */
static const char *code_at(const struct catalog *c, size_t i)
{
	return c->strs + c->offs[4 * i];
}

/* Slot index holding code, or the empty slot where it would go. */
static size_t slot_find(const struct catalog *c, const char *code)
{
	size_t mask = c->nslots - 1;
	size_t i = hash_code(code) & mask;
	while (c->slots[i]) {
		if (strcmp(code_at(c, c->slots[i] - 1), code) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static void slots_grow(struct catalog *c)
{
	size_t nslots = c->nslots ? c->nslots * 2 : 64;
	free(c->slots);
	c->slots = xcalloc(nslots, sizeof *c->slots);
	c->nslots = nslots;
	for (size_t i = 0; i < c->n; i++)
		c->slots[slot_find(c, code_at(c, i))] = (uint32_t)(i + 1);
}

static void catalog_append(struct catalog *c, const struct catalog_item *it, int line)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->items = xrealloc(c->items, c->cap * sizeof *c->items);
		c->lines = xrealloc(c->lines, c->cap * sizeof *c->lines);
		c->offs = xrealloc(c->offs, 4 * c->cap * sizeof *c->offs);
	}
	size_t i = c->n;
	c->items[i] = *it;
	c->items[i].code = NULL;
	c->items[i].name = NULL;
	c->lines[i] = line;
	char folded[LINE_NAME_MAX_BYTES * 2];
	c->offs[4 * i] = arena_add(c, it->code);
	c->offs[4 * i + 1] = arena_add(c, it->name);
	catalog_fold(it->code, folded, sizeof folded);
	c->offs[4 * i + 2] = arena_add(c, folded);
	catalog_fold(it->name, folded, sizeof folded);
	c->offs[4 * i + 3] = arena_add(c, folded);
	c->n++;
	if (2 * c->n > c->nslots)
		slots_grow(c);
	else
		c->slots[slot_find(c, it->code)] = (uint32_t)(i + 1);
}

/* Line of the item already holding code, or 0. */
static int code_taken(const struct catalog *c, const char *code)
{
	if (!c->nslots)
		return 0;
	uint32_t v = c->slots[slot_find(c, code)];
	return v ? c->lines[v - 1] : 0;
}

static void catalog_finish(struct catalog *c)
{
	c->fcode = xcalloc(c->n ? c->n : 1, sizeof *c->fcode);
	c->fname = xcalloc(c->n ? c->n : 1, sizeof *c->fname);
	for (size_t i = 0; i < c->n; i++) {
		c->items[i].code = c->strs + c->offs[4 * i];
		c->items[i].name = c->strs + c->offs[4 * i + 1];
		c->fcode[i] = c->strs + c->offs[4 * i + 2];
		c->fname[i] = c->strs + c->offs[4 * i + 3];
	}
}

void catalog_free(struct catalog *cat)
{
	if (!cat)
		return;
	free(cat->items);
	free(cat->lines);
	free(cat->strs);
	free(cat->offs);
	free(cat->fcode);
	free(cat->fname);
	free(cat->slots);
	free(cat);
}

void catalog_report_free(struct catalog_report *report)
{
	if (!report)
		return;
	free(report->problems);
	memset(report, 0, sizeof *report);
}

/* ---- reading CSV ------------------------------------------------------------ */

struct csv {
	const char *p, *end;
	char sep;
	int line;  /* line of p */
	char *buf; /* field text of the current record, NUL-separated */
	size_t blen, bcap;
	size_t starts[CSV_FIELDS_MAX];
	size_t nf;
	int rec_line;
	char error[200]; /* a syntax problem of the current record, or "" */
};

static void buf_put(struct csv *s, char ch)
{
	if (s->blen == s->bcap) {
		s->bcap = s->bcap ? s->bcap * 2 : 1024;
		s->buf = xrealloc(s->buf, s->bcap);
	}
	s->buf[s->blen++] = ch;
}

static bool at_eol(const struct csv *s)
{
	return s->p >= s->end || *s->p == '\n' || *s->p == '\r';
}

/* Skips to just past the end of the current line. */
static void skip_line(struct csv *s)
{
	while (!at_eol(s))
		s->p++;
	if (s->p < s->end) {
		if (*s->p == '\r' && s->p + 1 < s->end && s->p[1] == '\n')
			s->p++;
		s->p++;
		s->line++;
	}
}

static void set_error(struct csv *s, const char *text)
{
	if (!s->error[0])
		str_copy(s->error, text, sizeof s->error);
}

/* Reads one record (one line) into fields; false at the end of the input. */
static bool csv_record(struct csv *s)
{
	if (s->p >= s->end)
		return false;
	s->blen = 0;
	s->nf = 0;
	s->error[0] = '\0';
	s->rec_line = s->line;
	for (;;) {
		if (s->nf == CSV_FIELDS_MAX) {
			set_error(s, _("has more than 32 fields"));
			break;
		}
		s->starts[s->nf++] = s->blen;
		const char *q = s->p;
		while (q < s->end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < s->end && *q == '"') {
			s->p = q + 1;
			bool closed = false;
			while (!at_eol(s)) {
				if (*s->p == '"') {
					if (s->p + 1 < s->end && s->p[1] == '"') {
						buf_put(s, '"');
						s->p += 2;
						continue;
					}
					s->p++;
					closed = true;
					break;
				}
				buf_put(s, *s->p++);
			}
			if (!closed) {
				set_error(s,
					  _("a quoted field is not closed on its line; add the "
					    "closing \" (a quote inside quotes is written \"\")"));
				break;
			}
			while (!at_eol(s) && (*s->p == ' ' || *s->p == '\t'))
				s->p++;
			if (!at_eol(s) && *s->p != s->sep) {
				set_error(s,
					  _("text follows a closing quote; a quote inside quoted "
					    "text is written \"\""));
				break;
			}
		} else {
			while (!at_eol(s) && *s->p != s->sep)
				buf_put(s, *s->p++);
		}
		buf_put(s, '\0');
		if (!at_eol(s) && *s->p == s->sep) {
			s->p++;
			continue;
		}
		break;
	}
	if (s->error[0])
		buf_put(s, '\0');
	skip_line(s);
	for (size_t i = 0; i < s->nf; i++)
		str_trim(s->buf + s->starts[i]);
	return true;
}

static const char *field(const struct csv *s, size_t i)
{
	return i < s->nf ? s->buf + s->starts[i] : NULL;
}

static bool record_blank(const struct csv *s)
{
	if (s->error[0])
		return false;
	for (size_t i = 0; i < s->nf; i++)
		if (*field(s, i))
			return false;
	return true;
}

/* ';' when the first non-blank line has more of them than commas, outside quotes. */
static char detect_separator(const char *p, const char *end)
{
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
		p++;
	size_t commas = 0, semis = 0;
	bool quoted = false;
	for (; p < end && *p != '\n' && *p != '\r'; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			commas++;
		else if (!quoted && *p == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

/* ---- rows ------------------------------------------------------------------- */

static int header_word(const char *text)
{
	char f[128];
	catalog_fold(text, f, sizeof f);
	for (int c = 0; c < COL_COUNT; c++)
		for (size_t i = 0; col_words[c][i]; i++)
			if (strcmp(f, col_words[c][i]) == 0)
				return c;
	return -1;
}

static bool looks_like_header(const struct csv *s)
{
	int named = 0;
	for (size_t i = 0; i < s->nf; i++)
		if (header_word(field(s, i)) >= 0)
			named++;
	return named >= 2;
}

static void add_problem(struct catalog_report *r, int line, const char *fieldname, const char *msg)
{
	if (r->nproblems >= CATALOG_PROBLEMS_MAX) {
		r->problems_omitted++;
		return;
	}
	r->problems = xrealloc(r->problems, (r->nproblems + 1) * sizeof *r->problems);
	struct catalog_problem *p = &r->problems[r->nproblems++];
	p->line = line;
	str_copy(p->field, fieldname ? fieldname : "", sizeof p->field);
	if (fieldname && *fieldname)
		snprintf(p->text, sizeof p->text, _("line %d: %s: %s"), line, fieldname, msg);
	else
		snprintf(p->text, sizeof p->text, _("line %d: %s"), line, msg);
}

static bool parse_unit(const char *text, enum unit *u)
{
	static const struct {
		const char *word;
		enum unit unit;
	} ru[] = {
	    {"шт", UNIT_PIECE}, {"шт.", UNIT_PIECE}, {"кг", UNIT_KG}, {"г", UNIT_G},
	    {"л", UNIT_L},	{"мл", UNIT_ML},     {"м2", UNIT_M2}, {"м²", UNIT_M2},
	};
	if (!*text) {
		*u = UNIT_PIECE;
		return true;
	}
	char f[32];
	catalog_fold(text, f, sizeof f);
	if (unit_parse(f, u))
		return true;
	for (size_t i = 0; i < sizeof ru / sizeof ru[0]; i++)
		if (strcmp(f, ru[i].word) == 0) {
			*u = ru[i].unit;
			return true;
		}
	return false;
}

static bool parse_vat(const char *text, enum vat *v)
{
	static const struct {
		const char *word;
		enum vat vat;
	} alias[] = {
	    {"0%", VAT_VAT0},	    {"5%", VAT_VAT5},	    {"7%", VAT_VAT7},
	    {"10%", VAT_VAT10},	    {"20%", VAT_VAT20},	    {"22%", VAT_VAT22},
	    {"5/105", VAT_VAT105},  {"7/107", VAT_VAT107},  {"10/110", VAT_VAT110},
	    {"20/120", VAT_VAT120}, {"22/122", VAT_VAT122}, {"без ндс", VAT_NONE},
	    {"no vat", VAT_NONE},
	};
	char f[32];
	catalog_fold(text, f, sizeof f);
	if (vat_parse(f, v))
		return true;
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (strcmp(f, alias[i].word) == 0) {
			*v = alias[i].vat;
			return true;
		}
	return false;
}

static bool parse_object(const char *text, int *object)
{
	if (!*text) {
		*object = 0;
		return true;
	}
	int v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > 33)
		return false;
	*object = v;
	return true;
}

static kstatus check_code(const char *code, struct kerr *e)
{
	if (!*code)
		return kerr_set(e, K_INVALID, "code", "%s",
				_("is empty; every item needs a code (a barcode or article)"));
	size_t len = strlen(code);
	if (!utf8_valid(code, len))
		return kerr_set(e, K_INVALID, "code", "%s",
				_("is not valid UTF-8 text; save the file as UTF-8"));
	if (len > CATALOG_CODE_MAX)
		return kerr_set(e, K_INVALID, "code", _("is %zu bytes long; at most %d fit"), len,
				CATALOG_CODE_MAX);
	for (const unsigned char *p = (const unsigned char *)code; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return kerr_set(e, K_INVALID, "code", "%s",
					_("contains a control character"));
	return K_OK;
}

/* Checks one data record against the column map; on success fills it. */
static kstatus check_row(const struct csv *s, const int map[COL_COUNT], size_t ncols,
			 struct catalog_item *it, struct kerr *e)
{
	size_t extra = 0;
	for (size_t i = ncols; i < s->nf; i++)
		if (*field(s, i))
			extra = i + 1;
	if (extra)
		return kerr_set(e, K_INVALID, "",
				_("has %zu fields where %zu are expected (%s); a price with a "
				  "decimal comma needs quotes, or use ';' as the separator"),
				extra, ncols,
				ncols == COL_COUNT ? "code, name, price, unit, vat, object"
						   : _("the header's columns"));
	const char *v[COL_COUNT];
	for (int c = 0; c < COL_COUNT; c++) {
		v[c] = map[c] >= 0 ? field(s, (size_t)map[c]) : "";
		if (!v[c])
			v[c] = "";
	}
	kstatus st = check_code(v[COL_CODE], e);
	if (st != K_OK)
		return st;
	st = basket_check_name(v[COL_NAME], "name", e);
	if (st != K_OK) {
		if (!utf8_valid(v[COL_NAME], strlen(v[COL_NAME])))
			kerr_set(e, K_INVALID, "name", "%s",
				 _("is not valid UTF-8 text; save the file as UTF-8"));
		return st;
	}
	st = money_parse(v[COL_PRICE], &it->price, "price", e);
	if (st != K_OK)
		return st;
	if (!parse_unit(v[COL_UNIT], &it->unit))
		return kerr_set(e, K_INVALID, "unit",
				_("\"%.32s\" is not a unit; use piece, kg, g, l, "
				  "ml or m2 (or leave it empty for piece)"),
				v[COL_UNIT]);
	if (!*v[COL_VAT])
		return kerr_set(e, K_INVALID, "vat", "%s",
				_("is missing; write none, vat0, vat5, vat7, vat10, vat20, vat22, "
				  "vat105, vat107, vat110, vat120 or vat122"));
	if (!parse_vat(v[COL_VAT], &it->vat))
		return kerr_set(
		    e, K_INVALID, "vat",
		    _("\"%.32s\" is not a VAT code; write none, vat0, vat5, vat7, vat10, "
		      "vat20, vat22, vat105, vat107, vat110, vat120 or vat122"),
		    v[COL_VAT]);
	if (!parse_object(v[COL_OBJECT], &it->object))
		return kerr_set(e, K_INVALID, "object",
				_("\"%.32s\" is not a payment object; use a number 1..33 (1 = "
				  "goods, 4 = service) or leave it empty"),
				v[COL_OBJECT]);
	it->code = v[COL_CODE];
	it->name = v[COL_NAME];
	return K_OK;
}

/* Reads the header's column map; K_INVALID when it cannot describe items. */
static kstatus read_header(const struct csv *s, int map[COL_COUNT], struct catalog_report *r,
			   const char *name, struct kerr *err)
{
	for (int c = 0; c < COL_COUNT; c++)
		map[c] = -1;
	for (size_t i = 0; i < s->nf; i++) {
		const char *text = field(s, i);
		int c = header_word(text);
		if (c < 0) {
			if (*text) {
				char msg[200];
				snprintf(msg, sizeof msg,
					 _("column \"%.40s\" is not known and is ignored (known: "
					   "code, name, price, unit, vat, object)"),
					 text);
				add_problem(r, s->rec_line, "", msg);
			}
			continue;
		}
		if (map[c] >= 0)
			return kerr_set(err, K_INVALID, col_names[c],
					_("%s: line %d: the header names the %s column twice; "
					  "keep one"),
					name, s->rec_line, col_names[c]);
		map[c] = (int)i;
	}
	static const enum col required[] = {COL_CODE, COL_NAME, COL_PRICE, COL_VAT};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (map[required[i]] < 0)
			return kerr_set(err, K_INVALID, col_names[required[i]],
					_("%s: line %d: the header has no %s column; name the "
					  "columns code, name, price, unit, vat, object"),
					name, s->rec_line, col_names[required[i]]);
	return K_OK;
}

kstatus catalog_load_buffer(const char *buf, size_t len, const char *name, struct catalog **cat,
			    struct catalog_report *report, struct kerr *err)
{
	*cat = NULL;
	memset(report, 0, sizeof *report);
	if (!name)
		name = "catalog";
	if (len > CATALOG_FILE_MAX)
		return kerr_set(err, K_INVALID, "catalog",
				_("%s is larger than %u MiB; split it or remove unused items"),
				name, CATALOG_FILE_MAX / (1024u * 1024u));
	struct csv s = {.p = buf, .end = buf + len, .line = 1};
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		s.p += 3;
	s.sep = detect_separator(s.p, s.end);
	report->separator = s.sep;

	struct catalog *c = xcalloc(1, sizeof *c);
	int map[COL_COUNT];
	size_t ncols = COL_COUNT;
	for (int i = 0; i < COL_COUNT; i++)
		map[i] = i;
	bool first = true;
	kstatus st = K_OK;
	while (csv_record(&s)) {
		if (record_blank(&s))
			continue;
		if (first && !s.error[0] && looks_like_header(&s)) {
			first = false;
			report->header = true;
			st = read_header(&s, map, report, name, err);
			if (st != K_OK)
				break;
			ncols = s.nf;
			continue;
		}
		bool was_first = first;
		first = false;
		struct kerr e;
		kerr_clear(&e);
		struct catalog_item it = {0};
		int taken;
		char msg[360];
		if (s.error[0]) {
			add_problem(report, s.rec_line, "", s.error);
		} else if (check_row(&s, map, ncols, &it, &e) != K_OK) {
			snprintf(msg, sizeof msg, "%s%s", e.text,
				 was_first ? _("; if this row is a header, name the columns code, "
					       "name, price, unit, vat, object")
					   : "");
			add_problem(report, s.rec_line, e.field, msg);
		} else if ((taken = code_taken(c, it.code)) != 0) {
			snprintf(msg, sizeof msg,
				 _("%s is already used on line %d; codes must be unique"), it.code,
				 taken);
			add_problem(report, s.rec_line, "code", msg);
		} else {
			catalog_append(c, &it, s.rec_line);
			report->rows_ok++;
			continue;
		}
		report->rows_bad++;
	}
	free(s.buf);
	if (st != K_OK) {
		catalog_free(c);
		catalog_report_free(report);
		return st;
	}
	catalog_finish(c);
	*cat = c;
	return K_OK;
}

kstatus catalog_load_file(const char *path, struct catalog **cat, struct catalog_report *report,
			  struct kerr *err)
{
	*cat = NULL;
	memset(report, 0, sizeof *report);
	FILE *f = fopen(path, "rb");
	if (!f)
		return kerr_set(err, K_IO, "catalog",
				_("cannot open %s: %s; check the catalog path"), path,
				strerror(errno));
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return kerr_set(err, K_IO, "catalog", _("%s is not a regular file"), path);
	}
	if ((unsigned long long)sb.st_size > CATALOG_FILE_MAX) {
		fclose(f);
		return kerr_set(err, K_INVALID, "catalog",
				_("%s is larger than %u MiB; split it or remove unused items"),
				path, CATALOG_FILE_MAX / (1024u * 1024u));
	}
	size_t size = (size_t)sb.st_size;
	char *data = xmalloc(size ? size : 1);
	size_t got = fread(data, 1, size, f);
	bool bad = ferror(f);
	fclose(f);
	if (bad || got != size) {
		free(data);
		return kerr_set(err, K_IO, "catalog", _("cannot read %s; check the file"), path);
	}
	kstatus st = catalog_load_buffer(data, size, path, cat, report, err);
	free(data);
	return st;
}

/* ---- look-ups --------------------------------------------------------------- */

const struct catalog_item *catalog_items(const struct catalog *cat, size_t *n)
{
	if (n)
		*n = cat ? cat->n : 0;
	return cat ? cat->items : NULL;
}

size_t catalog_count(const struct catalog *cat)
{
	return cat ? cat->n : 0;
}

int catalog_item_line(const struct catalog *cat, size_t i)
{
	return cat && i < cat->n ? cat->lines[i] : 0;
}

const struct catalog_item *catalog_find_code(const struct catalog *cat, const char *code)
{
	if (!cat || !code || !cat->nslots)
		return NULL;
	uint32_t v = cat->slots[slot_find(cat, code)];
	return v ? &cat->items[v - 1] : NULL;
}

size_t catalog_complete(const struct catalog *cat, const char *prefix, catalog_cb cb, void *cls)
{
	if (!cat || !prefix)
		return 0;
	char f[LINE_NAME_MAX_BYTES * 2];
	catalog_fold(prefix, f, sizeof f);
	size_t flen = strlen(f), calls = 0;
	for (size_t i = 0; i < cat->n; i++) {
		if (strncmp(cat->fname[i], f, flen) != 0)
			continue;
		calls++;
		if (!cb(&cat->items[i], cls))
			break;
	}
	return calls;
}

size_t catalog_search(const struct catalog *cat, const char *text, catalog_cb cb, void *cls)
{
	if (!cat || !text)
		return 0;
	char f[LINE_NAME_MAX_BYTES * 2];
	catalog_fold(text, f, sizeof f);
	size_t calls = 0;
	for (size_t i = 0; i < cat->n; i++) {
		if (!strstr(cat->fname[i], f) && !strstr(cat->fcode[i], f))
			continue;
		calls++;
		if (!cb(&cat->items[i], cls))
			break;
	}
	return calls;
}
