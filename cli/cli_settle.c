/*
 * kassa settle ORDER [--card X|#] [--cash Y|#]: the screen's settlement of
 * a prepaid order (tui/views/settle.c) from the command line. ORDER is the
 * prepayment receipt's #id, its ext_id, or the buyer's contact (e-mail or
 * phone, or a part of it) when exactly one open order matches. The final
 * receipt (lib/settle_journal.h) has the order's lines with method 4 and
 * prepayment_amount = what was prepaid; what is left is paid now by card or
 * cash. The journal links the two and refuses a second settlement. Every
 * refusal names the option or field and what to do.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_engine.h"
#include "cli_session.h"
#include "cli_settle.h"
#include "i18n.h"
#include "journal_link.h"
#include "payment.h"
#include "settle_journal.h"
#include "util.h"

#define CMD "settle"

struct settle_opts {
	const char *card, *cash; /* NULL = not given */
};

/* Takes --card and --cash out of argv (the rest goes to cli_parse_opts). */
static int take_amounts(int *argc, char **argv, struct settle_opts *so)
{
	int out = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], **dst = NULL, *name = NULL;
		if (cli_opt_is(a, "--card"))
			dst = &so->card, name = "--card";
		else if (cli_opt_is(a, "--cash"))
			dst = &so->cash, name = "--cash";
		if (!dst) {
			argv[out++] = argv[i];
			continue;
		}
		size_t n = strlen(name);
		const char *v = a[n] == '=' ? a + n + 1 : i + 1 < *argc ? argv[++i] : NULL;
		if (!v || !*v || strncmp(v, "--", 2) == 0) {
			cli_error(CMD, CLI_USAGE,
				  _("%s needs an amount, or # for all that is left to pay"), name);
			fprintf(stderr, "%s\n", _("See kassa settle --help."));
			return CLI_USAGE;
		}
		*dst = v;
	}
	*argc = out;
	return CLI_OK;
}

struct match {
	int n;
	int64_t id[8];
};

static bool on_order(const struct journal_prepaid *o, void *ctx)
{
	struct match *m = ctx;
	if (m->n < 8)
		m->id[m->n] = o->doc_id;
	m->n++;
	return true;
}

/* The prepayment receipt ORDER names: #id, ext_id, uuid, or one open order's contact. */
static int find_order(struct journal *j, const char *key, int64_t *id)
{
	const char *k = key[0] == '#' ? key + 1 : key;
	char *end = NULL;
	long long n = strtoll(k, &end, 10);
	struct journal_doc d;
	struct kerr e = {0};
	if (k[0] && !*end && n > 0) {
		*id = n;
		return CLI_OK;
	}
	if (journal_find(j, key, &d, NULL) == K_OK) {
		*id = d.id;
		journal_doc_free(&d);
		return CLI_OK;
	}
	struct match m = {0};
	if (journal_link_list(j, key, true, on_order, &m, &e) != K_OK)
		return cli_error(CMD, CLI_JOURNAL, "%s", e.text);
	if (m.n == 1) {
		*id = m.id[0];
		return CLI_OK;
	}
	if (m.n == 0)
		return cli_error(CMD, CLI_USAGE,
				 _("ORDER: no open prepaid order has the id, ext_id or buyer "
				   "contact \"%s\"; see kassa journal"),
				 key);
	char list[160] = "";
	for (int i = 0; i < m.n && i < 8; i++) {
		size_t l = strlen(list);
		snprintf(list + l, sizeof list - l, "%s#%" PRId64, i ? ", " : "", m.id[i]);
	}
	return cli_error(CMD, CLI_USAGE,
			 _("ORDER: %d open prepaid orders match \"%s\" (%s%s): give the order's "
			   "#id"),
			 m.n, key, list, m.n > 8 ? ", ..." : "");
}

/* The payment of what is left, checked as the screen does; err names --card or --cash. */
static kstatus pay_now(struct document *d, const struct settle_opts *so, struct kerr *err)
{
	struct payment *p = &d->pay;
	memset(p, 0, sizeof *p);
	if ((so->cash && pay_amount_parse(so->cash, &p->cash, "--cash", err) != K_OK) ||
	    (so->card && pay_amount_parse(so->card, &p->card, "--card", err) != K_OK))
		return K_INVALID;
	int64_t due = document_due(d);
	char m[32];
	snprintf(m, sizeof m, "%" PRId64 ".%02" PRId64, due / 100, due % 100);
	if (due == 0) {
		if ((p->cash.kind == PAY_AMOUNT && p->cash.kop > 0) ||
		    (p->card.kind == PAY_AMOUNT && p->card.kop > 0))
			return kerr_set(
			    err, K_INVALID, p->card.kind == PAY_AMOUNT ? "--card" : "--cash", "%s",
			    _("nothing is left to pay: the prepayment covers the order; "
			      "leave out --card and --cash"));
		return K_OK;
	}
	if (!so->card && !so->cash)
		return kerr_set(err, K_INVALID, "--card",
				_("%s is still to pay: give --card # or --cash # (or amounts that "
				  "cover it)"),
				m);
	struct payment_result r;
	kstatus st = payment_check(due, p, &r, err);
	if (st != K_OK) {
		if (strcmp(err->field, "card_amount") == 0)
			str_copy(err->field, "--card", sizeof err->field);
		else if (strcmp(err->field, "cash_amount") == 0)
			str_copy(err->field, "--cash", sizeof err->field);
	}
	return st;
}

static int help(void)
{
	return cli_help_text(
	    _("Usage: kassa settle ORDER [--card X|#] [--cash Y|#] [--wait] [--timeout S]"),
	    _("\nSettles a prepaid order (seed 002): sends the final receipt, the order's lines\n"
	      "with type 4 and prepayment_amount = what was prepaid, and takes what is left\n"
	      "now by card or cash (# = all that is left). ORDER is the prepayment receipt's\n"
	      "#id or ext_id, or the buyer's e-mail or phone (a part of it) when exactly one\n"
	      "open order matches. The journal links the two receipts; an order settles once.\n"));
}

int cli_settle(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return help();
	struct settle_opts so = {0};
	int rc = take_amounts(&argc, argv, &so);
	if (rc != CLI_OK)
		return rc;
	struct opts o;
	if ((rc = cli_parse_opts(argc, argv, O_WAIT | O_TIMEOUT, 1, &o)) != CLI_OK)
		return rc;
	if (o.npos != 1)
		return cli_usage_error(&o, "%s",
				       _("give the ORDER: the prepayment receipt's #id or ext_id, "
					 "or the buyer's e-mail or phone"));
	struct session s;
	if ((rc = cli_session_open(&s, &o, true, true)) != CLI_OK)
		return rc;
	int64_t id = 0;
	if ((rc = find_order(s.run.journal, o.pos[0], &id)) != CLI_OK) {
		cli_session_close(&s);
		return rc;
	}
	struct document *d = xcalloc(1, sizeof *d);
	struct kerr e = {0};
	char msg[400];
	kstatus st = settle_from_journal(s.run.journal, id, d, &e);
	if (st == K_OK && pay_now(d, &so, &e) != K_OK)
		st = K_INVALID; /* the amounts given: bad input */
	if (st != K_OK) {
		rc = cli_error(CMD,
			       st == K_DB	 ? CLI_JOURNAL
			       : st == K_INVALID ? CLI_USAGE
						 : CLI_FAILED,
			       "%s", kerr_str(&e, msg, sizeof msg));
	} else {
		document_assign_ext_id(d);
		char a[32], b[32];
		int64_t due = document_due(d);
		fprintf(stderr, _("kassa settle: order #%" PRId64 ": %s prepaid, %s paid now\n"),
			id, cli_money(d->prepayment, a, sizeof a), cli_money(due, b, sizeof b));
		rc = cli_send_document(&s, d);
	}
	document_free(d);
	free(d);
	cli_session_close(&s);
	return rc;
}
