/*
 * Marking codes as the cashier reads them (lib/marking.h). The code is
 * GS1 text: printable ASCII groups split by GS. Shortening keeps the head,
 * which names the pack (01 + GTIN, 21 + serial), and the end of the
 * crypto tail, so two packs of one product still look different.
 */
#include "marking.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

#define GS_GLYPH "\xe2\x90\x9d" /* U+241D SYMBOL FOR GROUP SEPARATOR */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

void marking_object_text(int object, char *out, size_t n)
{
	const char *w;
	switch (object) {
	case 1:
		w = _("goods");
		break;
	case 2:
		w = _("excise goods");
		break;
	case 3:
		w = _("work");
		break;
	case 4:
		w = _("service");
		break;
	case 30:
		w = _("marked excise goods without a code");
		break;
	case 31:
		w = _("marked excise goods with a code");
		break;
	case 32:
		w = _("marked goods without a code");
		break;
	case 33:
		w = _("marked goods with a code");
		break;
	default:
		w = _("item type");
		break;
	}
	snprintf(out, n, "%s (%d)", w, object);
}

bool marking_line_is_marked(const struct basket_line *l)
{
	return l->marking[0] || (l->object >= 30 && l->object <= 33);
}

int marking_line_object(const struct basket_line *l)
{
	return l->object ? l->object : 33;
}

/* One display cell of the code at byte i: GS as its glyph, else the byte or '?'. */
static const char *cell(const char *code, size_t i, char one[2])
{
	unsigned char c = (unsigned char)code[i];
	if (c == 0x1d)
		return GS_GLYPH;
	one[0] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	one[1] = '\0';
	return one;
}

static size_t put(char *out, size_t n, size_t o, const char *s)
{
	size_t len = strlen(s);
	if (o + len >= n)
		return o;
	memcpy(out + o, s, len);
	return o + len;
}

void marking_display(const char *code, int max_cols, char *out, size_t n)
{
	if (!n)
		return;
	size_t len = strlen(code), o = 0, head = len, tail = 0;
	char one[2];
	if (max_cols > 0 && len > (size_t)max_cols) {
		size_t room = max_cols > 1 ? (size_t)max_cols - 1 : 1; /* one column for "…" */
		head = room * 2 / 3;
		tail = room - head;
	}
	for (size_t i = 0; i < head; i++)
		o = put(out, n, o, cell(code, i, one));
	if (head < len) {
		o = put(out, n, o, ELLIPSIS);
		for (size_t i = len - tail; i < len; i++)
			o = put(out, n, o, cell(code, i, one));
	}
	out[o] = '\0';
}
