#define _XOPEN_SOURCE 700 /* wcwidth */
#include "preview.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "i18n.h"
#include "marking.h"
#include "money.h"
#include "settle.h"
#include "util.h"

/* Longest line in bytes: 48 columns of 4-byte characters plus combining marks. */
#define LINE_BYTES 512

struct out {
	struct preview_lines *lines;
	size_t cap;
	int width;
	const struct money_style *style;
};

/* ---- text ------------------------------------------------------------------- */

/*
 * wcwidth() knows Unicode only under a UTF-8 locale; without one, keep
 * letters at one column, combining marks at none and East Asian wide ranges
 * at two, so Cyrillic lines up whatever the locale.
 */
static int cp_width(uint32_t cp)
{
	int w = wcwidth((wchar_t)cp);
	if (w >= 0)
		return w;
	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
	    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) ||
	    (cp >= 0x20000 && cp <= 0x3fffd))
		return 2;
	return 1;
}

static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029;
}

int preview_text_width(const char *s)
{
	int w = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp;
		size_t len = utf8_decode((const char *)p, SIZE_MAX, &cp);
		if (len == 0) {
			w++;
			p++;
			continue;
		}
		w += is_control(cp) ? 1 : cp_width(cp);
		p += len;
	}
	return w;
}

/*
 * Copies text for the paper: invalid bytes and control characters (which a
 * terminal would obey) become '?', so every byte drawn is known.
 */
static void clean(const char *in, char *out, size_t n)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)in;
	while (*p) {
		uint32_t cp;
		size_t len = utf8_decode((const char *)p, SIZE_MAX, &cp);
		const char *src = (const char *)p;
		size_t slen = len;
		if (len == 0 || is_control(cp)) {
			src = "?";
			slen = 1;
			if (len == 0)
				len = 1;
		}
		if (o + slen >= n)
			break;
		memcpy(out + o, src, slen);
		o += slen;
		p += len;
	}
	out[o] = '\0';
}

/* ---- lines ------------------------------------------------------------------ */

static void emit(struct out *o, const char *text)
{
	struct preview_lines *l = o->lines;
	if (l->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		l->lines = xrealloc(l->lines, o->cap * sizeof *l->lines);
	}
	l->lines[l->n++] = xstrdup(text);
}

struct line {
	char s[LINE_BYTES];
	size_t len;
	int w;
	bool words; /* a word is on the line */
};

static void line_start(struct line *ln, int indent)
{
	ln->len = 0;
	ln->w = 0;
	ln->words = false;
	for (int i = 0; i < indent && ln->len + 1 < sizeof ln->s; i++) {
		ln->s[ln->len++] = ' ';
		ln->w++;
	}
	ln->s[ln->len] = '\0';
}

static void line_put(struct line *ln, const char *bytes, size_t len, int w)
{
	if (ln->len + len >= sizeof ln->s)
		return;
	memcpy(ln->s + ln->len, bytes, len);
	ln->len += len;
	ln->s[ln->len] = '\0';
	ln->w += w;
}

/*
 * Word-wraps clean text to the width: `first` starts the first line,
 * later lines are indented by `indent` columns; a word longer than a line is
 * cut between characters.
 */
static void wrap(struct out *o, const char *text, const char *first, int indent)
{
	int width = o->width;
	if (indent > width / 2)
		indent = width / 2;
	struct line ln;
	line_start(&ln, 0);
	line_put(&ln, first, strlen(first), preview_text_width(first));
	const unsigned char *p = (const unsigned char *)text;
	bool any = false;
	for (;;) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		const unsigned char *ws = p;
		int ww = 0;
		while (*p && *p != ' ') {
			uint32_t cp;
			size_t len = utf8_decode((const char *)p, SIZE_MAX, &cp);
			ww += len ? cp_width(cp) : 1;
			p += len ? len : 1;
		}
		size_t wlen = (size_t)(p - ws);
		int need = ln.words ? ww + 1 : ww;
		if (ln.w + need <= width) {
			if (ln.words)
				line_put(&ln, " ", 1, 1);
			line_put(&ln, (const char *)ws, wlen, ww);
			ln.words = any = true;
			continue;
		}
		if (ln.words) {
			emit(o, ln.s);
			line_start(&ln, indent);
			if (ww <= width - indent) {
				line_put(&ln, (const char *)ws, wlen, ww);
				ln.words = any = true;
				continue;
			}
		}
		/* Too long for any line: cut it between characters. */
		for (const unsigned char *q = ws; q < p;) {
			uint32_t cp;
			size_t len = utf8_decode((const char *)q, SIZE_MAX, &cp);
			int cw = len ? cp_width(cp) : 1;
			if (!len)
				len = 1;
			if (ln.w + cw > width && ln.w > indent) {
				emit(o, ln.s);
				line_start(&ln, indent);
			}
			line_put(&ln, (const char *)q, len, cw);
			ln.words = any = true;
			q += len;
		}
	}
	if (ln.words || !any)
		emit(o, ln.s);
}

/* "left ...... right" on one line, or left wrapped and right aligned below. */
static void kv(struct out *o, const char *left, const char *right)
{
	char l[LINE_BYTES], r[LINE_BYTES];
	clean(left, l, sizeof l);
	clean(right, r, sizeof r);
	int lw = preview_text_width(l), rw = preview_text_width(r);
	if (lw + 1 + rw <= o->width) {
		char line[LINE_BYTES * 2 + 64];
		int pad = o->width - lw - rw;
		snprintf(line, sizeof line, "%s%*s%s", l, pad, "", r);
		emit(o, line);
		return;
	}
	wrap(o, l, "", 2);
	if (rw <= o->width) {
		char line[LINE_BYTES + 64];
		snprintf(line, sizeof line, "%*s%s", o->width - rw, "", r);
		emit(o, line);
	} else {
		wrap(o, r, "", 0);
	}
}

static void center(struct out *o, const char *text)
{
	char t[LINE_BYTES];
	clean(text, t, sizeof t);
	int w = preview_text_width(t);
	if (w > o->width) {
		wrap(o, t, "", 0);
		return;
	}
	char line[LINE_BYTES + 64];
	snprintf(line, sizeof line, "%*s%s", (o->width - w) / 2, "", t);
	emit(o, line);
}

static void rule(struct out *o, char ch)
{
	char line[64];
	int w = o->width < (int)sizeof line ? o->width : (int)sizeof line - 1;
	memset(line, ch, (size_t)w);
	line[w] = '\0';
	emit(o, line);
}

static const char *money(const struct out *o, int64_t kop, char *buf, size_t n)
{
	money_format_display(kop, o->style, buf, n);
	return buf;
}

/* Upper-cases the first letter (ASCII or Cyrillic) of a label for a title. */
static void cap_first(const char *in, char *out, size_t n)
{
	str_copy(out, in, n);
	unsigned char *p = (unsigned char *)out;
	uint32_t cp;
	size_t len = utf8_decode((const char *)p, SIZE_MAX, &cp);
	if (len == 1 && cp >= 'a' && cp <= 'z') {
		p[0] = (unsigned char)(cp - 32);
	} else if (len == 2 && ((cp >= 0x0430 && cp <= 0x044f) || cp == 0x0451)) {
		uint32_t up = cp == 0x0451 ? 0x0401 : cp - 0x20;
		utf8_encode(up, out); /* two bytes, as the small letter's */
	}
}

/* ---- the receipt ------------------------------------------------------------ */

static void marks(struct out *o, const struct document *d, const struct preview_meta *m)
{
	if (m->mode == PREVIEW_TRAINING)
		center(o, _("*** TRAINING ***"));
	if (m->mode == PREVIEW_TEST || d->test)
		center(o, _("*** TEST ***"));
	if (m->mode == PREVIEW_TRAINING || m->mode == PREVIEW_TEST || d->test)
		center(o, _("not a fiscal document"));
	if (m->copy)
		center(o, _("*** COPY ***"));
}

static void header(struct out *o, const struct document *d, const struct preview_meta *m)
{
	char title[256], cap[256];
	if (doc_kind_has_basket(d->kind))
		snprintf(title, sizeof title, "%s: %s", doc_kind_label(d->kind),
			 receipt_type_label(d->type));
	else
		snprintf(title, sizeof title, "%s", doc_kind_label(d->kind));
	cap_first(title, cap, sizeof cap);
	center(o, cap);
	if (m->time_ms > 0) {
		time_t t = (time_t)(m->time_ms / 1000);
		struct tm tm;
		char when[64];
		if (localtime_r(&t, &tm) &&
		    strftime(when, sizeof when, m->russian ? "%d.%m.%Y %H:%M" : "%Y-%m-%d %H:%M",
			     &tm) > 0)
			kv(o, _("Date"), when);
	}
	if (d->cashier_name[0])
		kv(o, _("Cashier"), d->cashier_name);
	if (d->cashier_inn[0])
		kv(o, _("Cashier INN"), d->cashier_inn);
	if (d->target_serial[0])
		kv(o, _("Printer"), d->target_serial);
	if (d->payment_place[0])
		kv(o, _("Place"), d->payment_place);
}

/* A marked line's item type and its code, shortened to the paper's width. */
static void marked(struct out *o, const struct basket_line *l)
{
	char t[160], code[256], buf[LINE_BYTES];
	marking_object_text(marking_line_object(l), t, sizeof t);
	wrap(o, t, "   ", 3);
	if (!l->marking[0]) {
		wrap(o, _("no marking code: scan the code on the pack"), "   ", 3);
		return;
	}
	const char *label = _("code");
	marking_display(l->marking, o->width - 4 - preview_text_width(label), code, sizeof code);
	snprintf(buf, sizeof buf, "%s %s", label, code);
	wrap(o, buf, "   ", 3);
}

static void basket_lines(struct out *o, const struct basket *b)
{
	char buf[LINE_BYTES], name[LINE_BYTES], a[64], q[32], prefix[32], s[64];
	for (size_t i = 0; i < b->n; i++) {
		const struct basket_line *l = &b->lines[i];
		clean(l->name, name, sizeof name);
		snprintf(prefix, sizeof prefix, "%zu. ", i + 1);
		wrap(o, name, prefix, (int)strlen(prefix));
		qty_format_display(l->qty, o->style, q, sizeof q); /* "1,5" beside "149,00" */
		snprintf(buf, sizeof buf, "   %s %s \u00d7 %s", q, unit_label(l->unit),
			 money(o, l->price, a, sizeof a));
		kv(o, buf, money(o, l->gross, s, sizeof s));
		int64_t disc = l->line_discount + l->receipt_share;
		if (disc > 0) {
			if (l->discount.type == DISCOUNT_PERCENT && l->receipt_share == 0) {
				char pct[16];
				percent_format_display(l->discount.value, o->style, pct,
						       sizeof pct);
				snprintf(buf, sizeof buf, "   %s %s%%", _("discount"), pct);
			} else {
				snprintf(buf, sizeof buf, "   %s", _("discount"));
			}
			kv(o, buf, money(o, -disc, s, sizeof s));
			kv(o, "   =", money(o, l->sum, s, sizeof s));
		}
		if (l->vat_set || l->vat != VAT_NONE) {
			if (l->vat == VAT_NONE)
				snprintf(buf, sizeof buf, "   %s", vat_label(l->vat));
			else
				snprintf(buf, sizeof buf, "   %s %s", _("VAT"), vat_label(l->vat));
			wrap(o, buf + 3, "   ", 3);
		}
		if (marking_line_is_marked(l))
			marked(o, l);
		if (l->method >= 1 && l->method <= 4) /* tag 1214: seed 002's prepayment pair */
			wrap(o, _(settle_method_label(l->method)), "   ", 3);
	}
}

static void pay_written(struct out *o, const char *label, const struct pay_amount *a)
{
	char s[64];
	if (a->kind == PAY_AMOUNT)
		kv(o, label, money(o, a->kop, s, sizeof s));
	else if (a->kind == PAY_REMAINDER)
		kv(o, label, _("the rest"));
}

static void totals(struct out *o, const struct document *d)
{
	const struct basket *b = &d->basket;
	char s[64];
	rule(o, '-');
	if (b->discount > 0) {
		kv(o, _("Subtotal"), money(o, b->gross, s, sizeof s));
		kv(o, _("Discount"), money(o, -b->discount, s, sizeof s));
	}
	kv(o, _("TOTAL"), money(o, b->total, s, sizeof s));
	if (d->prepayment) /* the final receipt offsets what was prepaid */
		kv(o, _("Prepaid (advance)"), money(o, d->prepayment, s, sizeof s));
	struct payment_result r;
	if (payment_resolve(document_due(d), &d->pay, &r, NULL) == K_OK) {
		if (r.card > 0)
			kv(o, _("Card"), money(o, r.card, s, sizeof s));
		if (r.cash > 0)
			kv(o, _("Cash"), money(o, r.cash, s, sizeof s));
		if (r.change > 0)
			kv(o, _("Change"), money(o, r.change, s, sizeof s));
	} else {
		/* As written: the provider will refuse it, but show what was asked. */
		pay_written(o, _("Card"), &d->pay.card);
		pay_written(o, _("Cash"), &d->pay.cash);
	}
	if (d->tax_system != TAX_DEFAULT)
		kv(o, _("Tax system"), tax_system_label(d->tax_system));
	if (d->customer_email[0])
		kv(o, _("Receipt to"), d->customer_email);
	else if (d->customer_phone[0])
		kv(o, _("Receipt to"), d->customer_phone);
}

static void correction(struct out *o, const struct document *d)
{
	char buf[LINE_BYTES];
	if (d->correction_initiator[0])
		kv(o, _("Correction"),
		   strcmp(d->correction_initiator, "directive") == 0 ? _("by directive")
								     : _("on own initiative"));
	if (d->correction_description[0]) {
		clean(d->correction_description, buf, sizeof buf);
		wrap(o, buf, "", 0);
	}
	if (d->correction_doc_date[0] || d->correction_doc_number[0]) {
		char doc[128];
		snprintf(doc, sizeof doc, "%s %s", d->correction_doc_number,
			 d->correction_doc_date);
		kv(o, _("Basis"), doc);
	}
}

static void footer(struct out *o, const struct document *d, const struct preview_meta *m)
{
	if (d->ref_uuid[0])
		kv(o, _("Refund of"), d->ref_uuid);
	const char *ext = m->ext_id ? m->ext_id : d->ext_id;
	if (ext && *ext)
		kv(o, "ext_id", ext);
	if (m->uuid && *m->uuid)
		kv(o, "uuid", m->uuid);
	if (m->state && *m->state)
		kv(o, _("State"), m->state);
	/* The fiscal tags keep their Russian names in every language, as on paper. */
	if (m->fn && *m->fn)
		kv(o, "ФН", m->fn);
	if (m->fd && *m->fd)
		kv(o, "ФД", m->fd);
	if (m->fp && *m->fp)
		kv(o, "ФП", m->fp);
	if (m->ofd_url && *m->ofd_url) {
		wrap(o, _("The receipt at the OFD:"), "", 0);
		wrap(o, m->ofd_url, "", 0);
	}
}

kstatus preview_render(const struct document *d, const struct preview_meta *m,
		       struct preview_lines *out, struct kerr *err)
{
	memset(out, 0, sizeof *out);
	if (m->width != 32 && m->width != 42 && m->width != 48)
		return kerr_set(err, K_INVALID, "paper_width", _("is %d; allowed: 32, 42 or 48"),
				m->width);
	if ((unsigned)d->kind >= DOC_KIND_COUNT)
		return kerr_set(err, K_INVALID, "kind", "%s", _("unknown document kind"));
	struct document *c = xmalloc(sizeof *c);
	document_copy(c, d);
	kstatus st = K_OK;
	if (doc_kind_has_basket(c->kind))
		st = basket_recalc(&c->basket, err);
	if (st != K_OK) {
		document_free(c);
		free(c);
		return st;
	}
	struct out o = {.lines = out,
			.width = m->width,
			.style = m->russian ? &MONEY_STYLE_RU : &MONEY_STYLE_EN};
	marks(&o, c, m);
	header(&o, c, m);
	rule(&o, '-');
	if (doc_kind_has_basket(c->kind)) {
		basket_lines(&o, &c->basket);
		totals(&o, c);
		if (c->kind == DOC_CORRECTION)
			correction(&o, c);
	} else if (c->kind == DOC_CASH_IN || c->kind == DOC_CASH_OUT) {
		char s[64];
		kv(&o, _("Amount"), money(&o, c->amount, s, sizeof s));
	}
	rule(&o, '-');
	footer(&o, c, m);
	bool marked = m->mode != PREVIEW_LIVE || c->test || m->copy;
	if (marked)
		marks(&o, c, m);
	document_free(c);
	free(c);
	return K_OK;
}

void preview_lines_free(struct preview_lines *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->n; i++)
		free(out->lines[i]);
	free(out->lines);
	out->lines = NULL;
	out->n = 0;
}
