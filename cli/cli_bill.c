/*
 * kassa bill create|status|cancel|list: pay-by-link bills from the command
 * line (lib/bill.h). create reads a receipt written as a LIFE PAY request
 * (as `kassa receipt`), journals the bill, sends it and prints the payment
 * link; status asks LIFE PAY now and, for a paid bill, queues and delivers
 * its receipt; cancel cancels an unpaid bill. Every refusal names the field.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bill.h"
#include "cli.h"
#include "cli_bill.h"
#include "cli_relay.h"
#include "cli_session.h"
#include "config.h"
#include "i18n.h"
#include "journal_bill.h"
#include "journal_refund.h"
#include "money.h"
#include "outbox.h"
#include "provider.h"
#include "util.h"
#include "wire/lifepay.h"

#define BILL_INPUT_MAX (1024 * 1024)

struct bopts {
	const char *sub;
	const char *profile;
	bool training, verbose, wait, json;
	long timeout_s;
	struct bill_request rq;
	const char *pos;
	int64_t amount; /* refund: kopecks, 0 = all that is left */
};

struct bsess {
	struct opts o;	    /* what cli_session_open reads */
	struct session run; /* config, profile, journal, loop, outbox, relay (lib/startup.c) */
	/* Shorthands into run, for this file's commands. */
	struct config_profile prof;
	struct journal *j;
	struct loop *loop;
	struct outbox *ob;
	struct bills *bills;
};

static int busage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int busage(const char *fmt, ...)
{
	char text[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cli_error("bill", CLI_USAGE, "%s", text);
	fprintf(stderr, "%s\n", _("See kassa bill --help."));
	return CLI_USAGE;
}

static const char *value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool is(const char *a, const char *name)
{
	size_t n = strlen(name);
	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static int parse(int argc, char **argv, struct bopts *o)
{
	memset(o, 0, sizeof *o);
	o->rq.method = BILL_METHOD_SBP;
	o->sub = argc > 1 ? argv[1] : NULL;
	bool create = o->sub && strcmp(o->sub, "create") == 0, mine;
	bool refund = o->sub && strcmp(o->sub, "refund") == 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v;
		mine = true;
		if (is(a, "--profile")) {
			if (!(o->profile = value(argc, argv, &i, "--profile")) || !*o->profile)
				return busage(_("%s needs a value"), "--profile");
		} else if (strcmp(a, "--training") == 0) {
			o->training = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "--wait") == 0) {
			o->wait = true;
		} else if (strcmp(a, "--json") == 0 && !create) {
			o->json = true;
		} else if (is(a, "--timeout")) {
			v = value(argc, argv, &i, "--timeout");
			char *end = NULL;
			long t = v ? strtol(v, &end, 10) : 0;
			if (!v || *end || t < 1 || t > 86400)
				return busage(_("--timeout takes seconds from 1 to 86400"));
			o->timeout_s = t;
		} else if (create && is(a, "--phone")) {
			v = value(argc, argv, &i, "--phone");
			if (!v || !str_copy(o->rq.phone, v, sizeof o->rq.phone))
				return busage(
				    _("--phone needs the buyer's phone, e.g. +7 916 123-45-67"));
		} else if (create && is(a, "--email")) {
			v = value(argc, argv, &i, "--email");
			if (!v || !str_copy(o->rq.email, v, sizeof o->rq.email))
				return busage(_("--email needs the buyer's e-mail"));
		} else if (create && is(a, "--method")) {
			v = value(argc, argv, &i, "--method");
			if (!v || !bill_method_parse(v, &o->rq.method))
				return busage(
				    _("--method must be sbp, card (internet acquiring) or "
				      "mobile (mobile commerce), not '%s'"),
				    v ? v : "");
		} else if (refund && is(a, "--amount")) {
			v = value(argc, argv, &i, "--amount");
			struct kerr e = {0};
			if (!v || money_parse(v, &o->amount, "--amount", &e) != K_OK ||
			    o->amount <= 0)
				return busage(
				    _("--amount needs the sum to refund, more than zero, "
				      "e.g. 500.00 (leave it out to refund all that is left)"));
		} else if (create && is(a, "--description")) {
			v = value(argc, argv, &i, "--description");
			if (!v || !str_copy(o->rq.description, v, 400))
				return busage(_("--description needs a text of up to 400 bytes"));
		} else {
			mine = false;
		}
		if (mine)
			continue;
		if (a[0] == '-' && a[1])
			return busage(_("unknown option '%s'"), a);
		if (o->pos)
			return busage(_("unexpected argument '%s'"), a);
		o->pos = a;
	}
	return CLI_OK;
}

static void on_log(void *cls, const char *line)
{
	(void)cls;
	fprintf(stderr, "kassa: %s\n", line);
}

static void bclose(struct bsess *s)
{
	bills_free(s->bills);
	cli_session_close(&s->run);
	explicit_bzero(s, sizeof *s); /* prof held the profile's secrets */
}

/* The one start-up (cli_session_open); with engine the loop, the outbox and the bill engine. */
static int bopen(struct bsess *s, const struct bopts *o, bool engine)
{
	memset(s, 0, sizeof *s);
	s->o.cmd = "bill";
	s->o.profile = o->profile;
	s->o.training = o->training;
	s->o.verbose = o->verbose;
	int rc = cli_session_open(&s->run, &s->o, engine, true);
	if (rc != CLI_OK)
		return rc;
	s->prof = s->run.run.profile;
	s->j = s->run.run.journal;
	s->loop = s->run.loop;
	s->ob = s->run.run.outbox;
	if (!provider_can(s->prof.provider, PROVIDER_CAP_BILLS)) {
		rc = cli_error("bill", CLI_CONFIG,
			       _("profile \"%s\" is not LIFE PAY: bills are LIFE PAY's (choose a "
				 "LIFE PAY profile with --profile)"),
			       s->prof.name);
		bclose(s);
		return rc;
	}
	if (!engine)
		return CLI_OK;
	struct kerr e = {0};
	struct bills_options bo = {.log = o->verbose ? on_log : NULL};
	if (!(s->bills = bills_new(s->loop, s->j, s->ob, &s->prof, &bo, &e))) {
		rc = cli_error("bill", CLI_CONFIG, "%s", e.text);
		bclose(s);
		return rc;
	}
	return CLI_OK;
}

/* Runs the loop until done(bill) or the time is up; true when done. */
static bool run_bill(struct bsess *s, int64_t id, bool (*done)(struct bsess *, int64_t),
		     long timeout_s)
{
	long long end = mono_ms() + timeout_s * 1000LL;
	while (!done(s, id)) {
		long long left = end - mono_ms();
		if (left <= 0 || s->run.interrupted)
			return false;
		loop_run_once(s->loop, left < 200 ? left : 200);
	}
	return true;
}

static enum bill_state state_now(struct bsess *s, int64_t id, struct journal_bill *out)
{
	struct journal_bill b;
	if (journal_bill_get(s->j, id, &b, NULL) != K_OK)
		return BILL_UNKNOWN;
	enum bill_state st = b.state;
	if (out) {
		*out = b;
		out->receipt_body = NULL;
	}
	journal_bill_free(&b);
	return st;
}

static bool answered(struct bsess *s, int64_t id)
{
	enum bill_state st = state_now(s, id, NULL);
	return st != BILL_NEW && st != BILL_SENDING && bills_in_flight(s->bills) == 0;
}

/* Final, and a paid bill's receipt delivered (or LIFE PAY prints it). */
static bool settled(struct bsess *s, int64_t id)
{
	struct journal_bill b;
	enum bill_state st = state_now(s, id, &b);
	if (!bill_state_final(st) || bills_in_flight(s->bills))
		return false;
	if (st != BILL_SUCCESS || b.provider_prints)
		return true;
	if (!b.receipt_doc_id)
		return false;
	struct journal_doc d;
	if (journal_get(s->j, b.receipt_doc_id, &d, NULL) != K_OK)
		return false;
	/* Without a listener or relay the final status comes later (kassa status ID). */
	bool fin = journal_state_final(d.state) ||
		   (d.state == JS_ACCEPTED && !cli_relay_can_wait(&s->prof));
	journal_doc_free(&d);
	return fin;
}

static bool polled(struct bsess *s, int64_t id)
{
	(void)id;
	return bills_in_flight(s->bills) == 0;
}

static bool print_refund(const struct journal_refund *r, void *ctx)
{
	struct bsess *s = ctx;
	char amount[48];
	money_format_display(r->amount, money_style_for(NULL), amount, sizeof amount);
	printf(_("  refund #%" PRId64 ": %s, %s"), r->id, amount, _(refund_state_label(r->state)));
	if (r->number[0])
		printf(_(", LIFE PAY number %s"), r->number);
	struct journal_doc d;
	if (r->receipt_doc_id && journal_get(s->j, r->receipt_doc_id, &d, NULL) == K_OK) {
		printf(_(", refund receipt #%" PRId64 " %s"), d.id,
		       _(journal_state_label(d.state)));
		journal_doc_free(&d);
	}
	if (r->last_error[0])
		printf(" (%s)", r->last_error);
	putchar('\n');
	return true;
}

static void print_bill(struct bsess *s, const struct journal_bill *b)
{
	char amount[48];
	money_format_display(b->amount, money_style_for(NULL), amount, sizeof amount);
	printf(_("bill #%" PRId64 ": %s, %s, %s\n"), b->id, amount, bill_method_label(b->method),
	       bill_state_label(b->state));
	if (b->number[0])
		printf(_("  LIFE PAY number: %s\n"), b->number);
	if (b->payment_url[0])
		printf(_("  payment link: %s\n"), b->payment_url);
	if (b->payment_url_web[0])
		printf(_("  bank choice (SBP): %s\n"), b->payment_url_web);
	printf(_("  buyer: %s%s%s\n"), b->phone, b->phone[0] && b->email[0] ? ", " : "", b->email);
	if (b->receipt_doc_id) {
		struct journal_doc d;
		if (journal_get(s->j, b->receipt_doc_id, &d, NULL) == K_OK) {
			printf(_("  receipt: #%" PRId64 " %s\n"), d.id,
			       _(journal_state_label(d.state)));
			journal_doc_free(&d);
		}
	} else if (b->state == BILL_SUCCESS && b->provider_prints) {
		printf("%s\n", _("  receipt: printed by LIFE PAY from invoice_data"));
	}
	if (b->last_error[0])
		printf(_("  last problem: %s\n"), b->last_error);
	journal_bill_refund_list(s->j, b->id, print_refund, s, NULL);
}

static bool on_hist(const struct journal_bill_history_row *r, void *ctx)
{
	(void)ctx;
	char t[32];
	time_t sec = (time_t)(r->at / 1000);
	struct tm tm;
	localtime_r(&sec, &tm);
	strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
	printf("  %s  %-9s %-12s %s\n", t, r->source, r->to, r->detail);
	return true;
}

static int exit_of(enum bill_state st)
{
	return st == BILL_FAILED || st == BILL_REFUSED ? CLI_FAILED : CLI_OK;
}

static int cmd_create(const struct bopts *o)
{
	if (!o->pos)
		return busage("%s",
			      _("give the receipt FILE (a LIFE PAY request, or - for stdin)"));
	size_t len = 0;
	char *text = cli_read_input("bill", o->pos, BILL_INPUT_MAX, &len);
	if (!text)
		return CLI_USAGE;
	struct document d;
	document_init(&d, DOC_RECEIPT);
	struct lifepay_auth auth;
	memset(&auth, 0, sizeof auth);
	struct kerr e = {0};
	kstatus st = wire_lifepay_parse_request(text, len, DOC_RECEIPT, &d, &auth, &e);
	explicit_bzero(&auth, sizeof auth);
	free(text);
	if (st != K_OK) {
		char m[400];
		document_free(&d);
		return cli_error("bill", CLI_USAGE, "%s: %s", o->pos, kerr_str(&e, m, sizeof m));
	}
	struct bill_request rq = o->rq;
	/* Checked before anything starts: a wrong phone never reaches the journal. */
	rq.amount = 1;
	if (wire_bill_check(&rq, &e) != K_OK) {
		char m[400];
		document_free(&d);
		return cli_error("bill", CLI_USAGE, "%s", kerr_str(&e, m, sizeof m));
	}
	struct bsess s;
	int rc = bopen(&s, o, true);
	if (rc != CLI_OK) {
		document_free(&d);
		return rc;
	}
	int64_t id = 0;
	st = bills_create(s.bills, &d, &rq, false, &id, &e);
	document_free(&d);
	if (st == K_EXISTS) {
		printf(
		    _("this basket (ext_id) already has bill #%" PRId64 "; it is not made twice\n"),
		    id);
	} else if (st != K_OK) {
		char m[400];
		rc = cli_error("bill", st == K_DB ? CLI_JOURNAL : CLI_USAGE, "%s",
			       kerr_str(&e, m, sizeof m));
		bclose(&s);
		return rc;
	}
	long timeout = o->timeout_s ? o->timeout_s : (o->wait ? 600 : 30);
	bool ok = run_bill(&s, id, o->wait ? settled : answered, timeout);
	struct journal_bill b;
	enum bill_state bs = state_now(&s, id, &b);
	print_bill(&s, &b);
	if (!ok)
		printf(_("  (still %s after %ld s: see kassa bill status %" PRId64 ")\n"),
		       bill_state_label(bs), timeout, id);
	rc = exit_of(bs);
	bclose(&s);
	return rc;
}

static int find_bill(struct bsess *s, const char *key, struct journal_bill *b)
{
	struct kerr e = {0};
	kstatus st = journal_bill_find(s->j, key, b, &e);
	if (st == K_NOTFOUND)
		return cli_error("bill", CLI_USAGE, "%s", e.text);
	if (st != K_OK)
		return cli_error("bill", CLI_JOURNAL, "%s", e.text);
	return CLI_OK;
}

static int cmd_status(const struct bopts *o)
{
	if (!o->pos)
		return busage("%s", _("give the bill: its #id, ext_id or LIFE PAY number"));
	struct bsess s;
	int rc = bopen(&s, o, true);
	if (rc != CLI_OK)
		return rc;
	struct journal_bill b;
	if ((rc = find_bill(&s, o->pos, &b)) != CLI_OK) {
		bclose(&s);
		return rc;
	}
	int64_t id = b.id;
	journal_bill_free(&b);
	if (state_now(&s, id, NULL) == BILL_INITIATED || state_now(&s, id, NULL) == BILL_AWAITING)
		journal_bill_set_poll(s.j, id, 0, "", NULL); /* ask now */
	bills_kick(s.bills);
	long timeout = o->timeout_s ? o->timeout_s : (o->wait ? 600 : 30);
	run_bill(&s, id, o->wait ? settled : polled, timeout);
	if (state_now(&s, id, NULL) == BILL_SUCCESS) /* its receipt: queued and delivered */
		run_bill(&s, id, settled, timeout);
	enum bill_state bs = state_now(&s, id, &b);
	print_bill(&s, &b);
	journal_bill_history(s.j, id, on_hist, NULL, NULL);
	rc = exit_of(bs);
	bclose(&s);
	return rc;
}

static int cmd_cancel(const struct bopts *o)
{
	if (!o->pos)
		return busage("%s",
			      _("give the bill to cancel: its #id, ext_id or LIFE PAY number"));
	struct bsess s;
	int rc = bopen(&s, o, true);
	if (rc != CLI_OK)
		return rc;
	struct journal_bill b;
	if ((rc = find_bill(&s, o->pos, &b)) != CLI_OK) {
		bclose(&s);
		return rc;
	}
	int64_t id = b.id;
	journal_bill_free(&b);
	struct kerr e = {0};
	kstatus st = bills_cancel(s.bills, id, &e);
	if (st != K_OK) {
		rc = cli_error("bill", st == K_DB ? CLI_JOURNAL : CLI_FAILED, "%s", e.text);
		bclose(&s);
		return rc;
	}
	run_bill(&s, id, settled, o->timeout_s ? o->timeout_s : 30);
	enum bill_state bs = state_now(&s, id, &b);
	print_bill(&s, &b);
	rc = bs == BILL_CANCELLED ? CLI_OK : CLI_FAILED;
	if (bs != BILL_CANCELLED)
		cli_error("bill", rc, _("bill #%" PRId64 " is %s, not cancelled"), id,
			  bill_state_label(bs));
	bclose(&s);
	return rc;
}

/* The refund answered by LIFE PAY and its receipt final (or none is kassa's to send). */
static bool refund_settled(struct bsess *s, int64_t rid)
{
	struct journal_refund r;
	if (journal_bill_refund_get(s->j, rid, &r, NULL) != K_OK || bills_in_flight(s->bills))
		return false;
	if (r.state == REFUND_REFUSED)
		return true;
	if (r.state != REFUND_DONE)
		return false;
	struct journal_bill b;
	if (journal_bill_get(s->j, r.bill_id, &b, NULL) != K_OK)
		return false;
	bool prints = b.provider_prints;
	journal_bill_free(&b);
	if (prints)
		return true;
	struct journal_doc d;
	if (!r.receipt_doc_id || journal_get(s->j, r.receipt_doc_id, &d, NULL) != K_OK)
		return false;
	bool fin = journal_state_final(d.state) ||
		   (d.state == JS_ACCEPTED && !cli_relay_can_wait(&s->prof));
	journal_doc_free(&d);
	return fin;
}

static int cmd_refund(const struct bopts *o)
{
	if (!o->pos)
		return busage("%s",
			      _("give the bill to refund: its #id, ext_id or LIFE PAY number"));
	struct bsess s;
	int rc = bopen(&s, o, true);
	if (rc != CLI_OK)
		return rc;
	struct journal_bill b;
	if ((rc = find_bill(&s, o->pos, &b)) != CLI_OK) {
		bclose(&s);
		return rc;
	}
	int64_t id = b.id, rid = 0;
	journal_bill_free(&b);
	struct kerr e = {0};
	kstatus st = bills_refund(s.bills, id, o->amount, &rid, &e);
	if (st != K_OK) {
		char m[400];
		rc = cli_error("bill", st == K_DB ? CLI_JOURNAL : CLI_FAILED, "%s",
			       kerr_str(&e, m, sizeof m));
		bclose(&s);
		return rc;
	}
	long timeout = o->timeout_s ? o->timeout_s : 30;
	bool done = run_bill(&s, rid, refund_settled, timeout);
	state_now(&s, id, &b);
	print_bill(&s, &b);
	struct journal_refund r;
	journal_bill_refund_get(s.j, rid, &r, NULL);
	rc = r.state == REFUND_REFUSED ? CLI_FAILED : CLI_OK;
	if (r.state == REFUND_REFUSED)
		cli_error("bill", rc, _("LIFE PAY refused refund #%" PRId64 ": %s"), rid,
			  r.last_error);
	else if (!done)
		printf(_("  (refund #%" PRId64 " is still %s after %ld s: kassa sends it on; see "
			 "kassa bill status %" PRId64 ")\n"),
		       rid, _(refund_state_label(r.state)), timeout, id);
	bclose(&s);
	return rc;
}

static bool on_list(const struct journal_bill *b, void *ctx)
{
	bool json = *(bool *)ctx;
	char amount[32];
	money_format_wire(b->amount, amount, sizeof amount);
	if (json)
		printf("{\"id\":%" PRId64 ",\"ext_id\":\"%s\",\"number\":\"%s\",\"state\":\"%s\","
		       "\"amount\":\"%s\",\"method\":\"%s\",\"receipt_doc_id\":%" PRId64 "}\n",
		       b->id, b->ext_id, b->number, bill_state_word(b->state), amount,
		       bill_method_wire(b->method), b->receipt_doc_id);
	else
		printf("#%-5" PRId64 " %-10s %12s  %-9s %-18s %s\n", b->id,
		       b->number[0] ? b->number : "-", amount, bill_state_word(b->state),
		       bill_method_wire(b->method), b->ext_id);
	return true;
}

static bool on_tx(const struct journal_tx *t, void *ctx)
{
	(void)ctx;
	char amount[32];
	money_format_wire(t->amount, amount, sizeof amount);
	printf(_("notification %s %s %s %s bill #%" PRId64 " %s\n"), t->number, t->type, t->status,
	       amount, t->bill_id, t->confirmed ? _("confirmed") : _("NOT confirmed"));
	return true;
}

static int cmd_list(const struct bopts *o)
{
	if (o->pos)
		return busage(_("unexpected argument '%s'"), o->pos);
	struct bsess s;
	int rc = bopen(&s, o, false);
	if (rc != CLI_OK)
		return rc;
	bool json = o->json;
	/* Notifications waiting at kassa-relay first (relay_url), as kassa journal does. */
	cli_relay_pull("bill", s.j, &s.prof, o->verbose);
	journal_bill_list(s.j, 0, on_list, &json, NULL);
	if (!json)
		journal_tx_list(s.j, 50, on_tx, NULL, NULL);
	bclose(&s);
	return CLI_OK;
}

int cli_bill(int argc, char **argv)
{
	struct bopts o;
	int rc = parse(argc, argv, &o);
	if (rc != CLI_OK)
		return rc;
	if (!o.sub || strcmp(o.sub, "--help") == 0 || strcmp(o.sub, "-h") == 0) {
		fprintf(
		    o.sub ? stdout : stderr, "%s\n\n%s",
		    _("Usage: kassa bill create FILE (--phone P | --email E) [--method "
		      "sbp|card|mobile] [--description T] [--wait]\n"
		      "       kassa bill status BILL [--wait]\n"
		      "       kassa bill cancel BILL\n"
		      "       kassa bill refund BILL [--amount A]\n"
		      "       kassa bill list [--json]"),
		    _("A pay-by-link bill (LIFE PAY) for a receipt's total: the buyer pays by the "
		      "link\n(a QR code on the sale screen for SBP). When it is paid kassa sends "
		      "the receipt,\nunless the profile has bill_receipt = provider. BILL is #id, "
		      "ext_id or LIFE PAY's number.\nrefund returns a paid bill's money (all that "
		      "is "
		      "left, or --amount) through LIFE PAY\nand sends the refund receipt once.\n"));
		return o.sub ? CLI_OK : CLI_USAGE;
	}
	if (strcmp(o.sub, "create") == 0)
		return cmd_create(&o);
	if (strcmp(o.sub, "status") == 0)
		return cmd_status(&o);
	if (strcmp(o.sub, "cancel") == 0)
		return cmd_cancel(&o);
	if (strcmp(o.sub, "list") == 0)
		return cmd_list(&o);
	if (strcmp(o.sub, "refund") == 0)
		return cmd_refund(&o);
	return busage(_("there is no 'bill %s': use create, status, cancel, refund or list"),
		      o.sub);
}
