/*
 * A receipt as it would print on the profile's paper (32, 42 or 48 columns):
 * plain UTF-8 lines the journal screen can draw or a non-fiscal reprint can
 * reuse. Widths are display columns (wcwidth on decoded code points, with a
 * fallback that keeps Cyrillic at one column when the locale is not UTF-8),
 * never bytes. No curses.
 *
 * Layout: a TRAINING / TEST mark (top and bottom) where it applies, the
 * kind and type, date and time, cashier, printer; each line's name wrapped
 * to the width, "qty unit x price" and the line sum, its discount and VAT;
 * subtotal and discount when there is one, TOTAL, card, cash, change; tax
 * system; refund reference; ФН, ФД, ФП and the OFD link when the
 * provider's callback gave them; ext_id, uuid and the state.
 */
#ifndef KASSA_PREVIEW_H
#define KASSA_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "document.h"
#include "status.h"

enum preview_mode {
	PREVIEW_LIVE,
	PREVIEW_TRAINING, /* the built-in sandbox: marked TRAINING */
	PREVIEW_TEST,	  /* the provider's test=1: marked TEST (also when d->test is set) */
};

struct preview_meta {
	long long time_ms;  /* wall-clock ms since the epoch, local time shown; 0 = not shown */
	const char *uuid;   /* the provider's uuid, NULL or "" = not shown */
	const char *ext_id; /* NULL = the document's own ext_id */
	const char *state;  /* state as the cashier should read it ("processed"), NULL = none */
	enum preview_mode mode;
	int width;    /* 32, 42 or 48 */
	bool russian; /* money as "20 730,00" (else "20,730.00") */
	bool copy;    /* a reprint: marked COPY */
	/* Fiscal attributes from the provider's callback; NULL or "" = not shown. */
	const char *fn, *fd, *fp; /* ФН, ФД, ФП */
	const char *ofd_url;	  /* the receipt at the OFD */
};

/* Lines of a preview, each a UTF-8 string without a newline, at most `width` columns. */
struct preview_lines {
	char **lines;
	size_t n;
};

/*
 * Renders d (totals and the payment are computed on a copy: d may come
 * straight from a parsed body). K_INVALID for a width other than 32, 42 or
 * 48. out is freed with preview_lines_free().
 */
kstatus preview_render(const struct document *d, const struct preview_meta *m,
		       struct preview_lines *out, struct kerr *err);
/* Frees the lines; the struct is zeroed. */
void preview_lines_free(struct preview_lines *out);
/* Display columns of UTF-8 text as the preview counts them. */
int preview_text_width(const char *s);

#endif
