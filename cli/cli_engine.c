/*
 * The delivery engine's subcommands (see cli_engine.h). Each one opens a
 * session (cli_session.c over lib/startup.c: the config, exit 3; the profile,
 * training only with --training, the sandbox then in-process; the journal,
 * exit 4), runs the loop until its work is done or its time is up, and prints.
 * Nothing here prints a secret: the callback URL holds one and is never shown.
 */
#include "cli_engine.h"
#include "cli_session.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_links.h"
#include "cli_relay.h"
#include "config.h"
#include "document.h"
#include "journal.h"
#include "jsonx.h"
#include "loop.h"
#include "money.h"
#include "net.h"
#include "shift_report.h"
#include "training.h"
#include "util.h"
#include "wire/lifepay.h"

/* ---- receipt ---- */

int cli_engine_receipt(int argc, char **argv)
{
	struct opts o;
	int rc = cli_parse_opts(
	    argc, argv, O_WAIT | O_TIMEOUT | O_NONFISCAL | O_KIND | O_ALLOW_LARGE | O_NO_ORIGINAL,
	    1, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(
		    _("Usage: kassa receipt FILE [--kind KIND] [--non-fiscal] [--wait] "
		      "[--timeout S] [--allow-large] [--no-original]"),
		    _("Sends a receipt written as a LifePay request (FILE, or - for "
		      "standard input).\nIt returns once the receipt is safely in the "
		      "journal and sent or queued;\n--wait waits for its final status "
		      "(default at most 120 s, --timeout S).\nThe file's login and apikey "
		      "are ignored: the profile's are used.\n"
		      "A refund cites its original sale (ref_uuid); --no-original sends one "
		      "without.\nAmounts above the profile's max_receipt (default "
		      "1000000.00) and quantities above\n10000 are refused unless "
		      "--allow-large is given.\n"));
	if (o.npos != 1)
		return cli_usage_error(&o, "%s",
				       _("give the receipt FILE, or - for standard input"));
	if (o.non_fiscal)
		o.kind = DOC_NONFISCAL;
	size_t len = 0;
	char *input = cli_read_input(o.cmd, o.pos[0], RECEIPT_INPUT_MAX, &len);
	if (!input)
		return CLI_USAGE;
	size_t skip = len >= 3 && memcmp(input, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	struct document *d = xcalloc(1, sizeof *d);
	struct lifepay_auth auth;
	struct kerr e = {0};
	kstatus st = wire_lifepay_parse_request(input + skip, len - skip, o.kind, d, &auth, &e);
	explicit_bzero(input, len);
	free(input);
	bool had_auth = auth.login[0] || auth.apikey[0];
	explicit_bzero(&auth, sizeof auth);
	if (st != K_OK) {
		char msg[400];
		kerr_str(&e, msg, sizeof msg);
		document_free(d);
		free(d);
		return cli_error(o.cmd, CLI_USAGE, "%s: %s", o.pos[0], msg);
	}
	if (had_auth)
		fprintf(stderr, "%s\n",
			_("kassa receipt: the file's login and apikey are ignored; the profile's "
			  "are used"));
	struct session s;
	rc = cli_session_open(&s, &o, true, true);
	if (rc == CLI_OK)
		rc = cli_send_document(&s, d);
	cli_session_close(&s);
	document_free(d);
	free(d);
	return rc;
}

/* ---- shift documents ---- */

/* The shift's totals from this journal, after the X- or Z-report's outcome. */
static void print_totals(const struct shift_totals *t)
{
	char lines[SHIFT_REPORT_LINES][SHIFT_REPORT_LINE_MAX];
	size_t n = shift_report_format(t, NULL, lines, SHIFT_REPORT_LINES);
	if (t->since) {
		char when[32];
		cli_fmt_time(t->since, when, sizeof when);
		printf(_("The shift's totals in this journal (since %s):\n"), when);
	} else {
		printf("%s\n", _("The shift's totals in this journal:"));
	}
	for (size_t i = 0; i < n; i++)
		printf("  %s\n", lines[i]);
	int64_t pending = shift_report_pending(t);
	if (pending)
		printf(_("  %lld of them still wait for the provider's final status; the "
			 "provider's own report counts only what it processed\n"),
		       (long long)pending);
}

static int shift_command(int argc, char **argv, enum doc_kind kind, bool amount, const char *usage,
			 const char *text)
{
	struct opts o;
	int rc = cli_parse_opts(argc, argv, O_WAIT | O_TIMEOUT | (amount ? O_ALLOW_LARGE : 0),
				amount ? 1 : 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(usage, text);
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, kind);
	if (amount) {
		struct kerr e = {0};
		if (o.npos != 1) {
			free(d);
			return cli_usage_error(&o, "%s", _("give the AMOUNT, e.g. 1500.00"));
		}
		if (money_parse(o.pos[0], &d->amount, "amount", &e) != K_OK || d->amount <= 0) {
			free(d);
			return cli_usage_error(&o, _("AMOUNT \"%s\": %s"), o.pos[0],
					       e.text[0] ? e.text : _("must be above zero"));
		}
	}
	struct session s;
	rc = cli_session_open(&s, &o, true, true);
	/* The totals are counted before the report joins the journal: a Z's own shift. */
	struct shift_totals t;
	struct kerr te = {0};
	bool totals = rc == CLI_OK && (kind == DOC_X_REPORT || kind == DOC_Z_REPORT) &&
		      shift_report_totals(s.run.journal, s.run.profile.name, s.run.profile.test, 0,
					  &t, &te) == K_OK;
	if (rc == CLI_OK)
		rc = cli_send_document(&s, d);
	if (totals)
		print_totals(&t);
	else if (rc != CLI_USAGE && (kind == DOC_X_REPORT || kind == DOC_Z_REPORT) && te.text[0])
		fprintf(stderr, _("kassa %s: the shift's totals cannot be counted: %s\n"), o.cmd,
			te.text);
	cli_session_close(&s);
	document_free(d);
	free(d);
	return rc;
}

int cli_engine_open_shift(int argc, char **argv)
{
	return shift_command(argc, argv, DOC_OPEN_SHIFT, false,
			     _("Usage: kassa open-shift [--wait] [--timeout S]"),
			     _("Opens the shift on the profile's printer (target_serial).\n"));
}

int cli_engine_x_report(int argc, char **argv)
{
	return shift_command(argc, argv, DOC_X_REPORT, false,
			     _("Usage: kassa x-report [--wait] [--timeout S]"),
			     _("Prints an X-report of the open shift.\n"));
}

int cli_engine_z_report(int argc, char **argv)
{
	return shift_command(argc, argv, DOC_Z_REPORT, false,
			     _("Usage: kassa z-report [--wait] [--timeout S]"),
			     _("Closes the shift with a Z-report (it also settles the card "
			       "terminal).\n"));
}

int cli_engine_cash_in(int argc, char **argv)
{
	return shift_command(
	    argc, argv, DOC_CASH_IN, true,
	    _("Usage: kassa cash-in AMOUNT [--wait] [--timeout S] [--allow-large]"),
	    _("Records cash put into the drawer (AMOUNT in roubles: 1500 or "
	      "1500.00).\nAbove the profile's max_receipt it needs "
	      "--allow-large.\n"));
}

int cli_engine_cash_out(int argc, char **argv)
{
	return shift_command(
	    argc, argv, DOC_CASH_OUT, true,
	    _("Usage: kassa cash-out AMOUNT [--wait] [--timeout S] [--allow-large]"),
	    _("Records cash taken out of the drawer (AMOUNT in roubles).\nAbove "
	      "the profile's max_receipt it needs --allow-large.\n"));
}

/* ---- status ---- */

static bool on_history(const struct journal_history_row *r, void *cls)
{
	(void)cls;
	char when[32];
	cli_fmt_time(r->at, when, sizeof when);
	printf("  %s  %-14s -> %-14s %-9s %s\n", when,
	       r->from == JS_NONE ? "-" : journal_state_word((enum journal_state)r->from),
	       journal_state_word(r->to), journal_source_word(r->source), r->detail);
	return true;
}

static bool on_attempt(const struct journal_attempt_row *r, void *cls)
{
	int *n = cls;
	char when[32], http[16], code[16];
	cli_fmt_time(r->at, when, sizeof when);
	if (r->http_status)
		snprintf(http, sizeof http, "HTTP %d", r->http_status);
	else
		str_copy(http, _("no answer"), sizeof http);
	snprintf(code, sizeof code, "%d", r->provider_code);
	printf("  %s  %-9s code %-5s %s\n", when, http, code, r->error);
	(*n)++;
	return true;
}

int cli_engine_status(int argc, char **argv)
{
	struct opts o;
	int rc = cli_parse_opts(argc, argv, 0, 1, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(
		    _("Usage: kassa status ID"),
		    _("Shows one document: ID is its local number, its ext_id, its "
		      "uuid or a PayKeeper receipt id.\n"));
	if (o.npos != 1)
		return cli_usage_error(&o, "%s", _("give the document's id, ext_id or uuid"));
	struct session s;
	if ((rc = cli_session_open(&s, &o, false, true)) != CLI_OK)
		return rc;
	cli_relay_pull(o.cmd, s.run.journal, &s.run.profile, o.verbose);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr e = {0};
	kstatus st = journal_find(s.run.journal, o.pos[0], &d, &e);
	if (st == K_NOTFOUND) {
		rc = cli_error(o.cmd, CLI_USAGE,
			       _("no document \"%s\" in %s: give its number, ext_id or uuid, or "
				 "the first 6 or more characters of either (kassa journal lists "
				 "them)"),
			       o.pos[0], s.run.journal_path);
		cli_session_close(&s);
		return rc;
	}
	if (st != K_OK) {
		rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		cli_session_close(&s);
		return rc;
	}
	char a[32], b[32], c[32], t[32], when[32];
	printf(_("document #%" PRId64 "\n"), d.id);
	printf(_("  kind        %s%s%s%s\n"), d.kind, d.type[0] ? " (" : "", d.type,
	       d.type[0] ? ")" : "");
	printf(_("  profile     %s (%s)%s\n"), d.profile, provider_word(d.provider),
	       d.test ? _(", test mode") : "");
	printf("  ext_id      %s\n", d.ext_id);
	printf("  uuid        %s\n", d.uuid[0] ? d.uuid : "-");
	if (d.provider_receipt_id[0] && strcmp(d.provider_receipt_id, d.uuid) != 0)
		printf(_("  receipt id  %s\n"), d.provider_receipt_id);
	if (d.ref_uuid[0])
		printf("  ref_uuid    %s\n", d.ref_uuid);
	printf(_("  state       %s%s\n"), _(journal_state_label(d.state)),
	       d.flagged ? _(" [flagged: no final status for too long; replay or check the "
			     "cabinet]")
			 : "");
	printf(_("  total       %s (card %s, cash %s, change %s)\n"),
	       cli_money(d.total, t, sizeof t), cli_money(d.card, a, sizeof a),
	       cli_money(d.cash, b, sizeof b), cli_money(d.change, c, sizeof c));
	cli_fmt_time(d.created_at, when, sizeof when);
	printf(_("  created     %s\n"), when);
	cli_fmt_time(d.updated_at, when, sizeof when);
	printf(_("  updated     %s\n"), when);
	if (d.state == JS_QUEUED) {
		cli_fmt_time(d.next_attempt_at, when, sizeof when);
		printf(_("  next try    %s\n"), when);
	}
	if (d.last_error_code || d.last_error_text[0]) {
		printf(_("  last error  %s\n"), d.last_error_text);
		if ((d.state == JS_REJECTED || d.state == JS_FAILED) && d.last_error_code)
			cli_print_provider_error(d.last_error_code, d.last_error_text);
	}
	cli_links_print(s.run.journal, &d);
	printf("%s\n", _("history:"));
	st = journal_history(s.run.journal, d.id, on_history, NULL, &e);
	int n = 0;
	printf(_("attempts (%d counted):\n"), d.attempts);
	if (st == K_OK)
		st = journal_attempts(s.run.journal, d.id, on_attempt, &n, &e);
	if (st == K_OK && n == 0)
		printf("  -\n");
	rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
	journal_doc_free(&d);
	cli_session_close(&s);
	return rc;
}

/* ---- journal ---- */

static bool on_doc_line(const struct journal_doc *d, void *cls)
{
	(void)cls;
	cli_print_doc_line(d);
	return true;
}

struct doc_json {
	json_t *arr;
	struct journal *j;
};

static bool on_doc_json(const struct journal_doc *d, void *cls)
{
	struct doc_json *dj = cls;
	json_t *arr = dj->arr;
	char buf[32], when[32];
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(d->id));
	cli_fmt_time(d->created_at, when, sizeof when);
	json_object_set_new(o, "created", json_string(when));
	json_object_set_new(o, "created_ms", json_integer(d->created_at));
	json_object_set_new(o, "profile", json_string(d->profile));
	json_object_set_new(o, "provider", json_string(provider_word(d->provider)));
	json_object_set_new(o, "kind", json_string(d->kind));
	json_object_set_new(o, "type", json_string(d->type));
	json_object_set_new(o, "state", json_string(journal_state_word(d->state)));
	json_object_set_new(o, "final", json_boolean(journal_state_final(d->state)));
	json_object_set_new(o, "flagged", json_boolean(d->flagged));
	json_object_set_new(o, "test", json_boolean(d->test));
	json_object_set_new(o, "ext_id", json_string(d->ext_id));
	json_object_set_new(o, "uuid", d->uuid[0] ? json_string(d->uuid) : json_null());
	json_object_set_new(o, "ref_uuid", d->ref_uuid[0] ? json_string(d->ref_uuid) : json_null());
	json_object_set_new(o, "total", json_string(cli_money(d->total, buf, sizeof buf)));
	json_object_set_new(o, "card", json_string(cli_money(d->card, buf, sizeof buf)));
	json_object_set_new(o, "cash", json_string(cli_money(d->cash, buf, sizeof buf)));
	json_object_set_new(o, "change", json_string(cli_money(d->change, buf, sizeof buf)));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	if (d->last_error_code || d->last_error_text[0]) {
		json_object_set_new(o, "error_code", json_integer(d->last_error_code));
		json_object_set_new(o, "error", json_string(d->last_error_text));
	}
	cli_links_json(dj->j, d, o);
	json_array_append_new(arr, o);
	return true;
}

int cli_engine_journal(int argc, char **argv)
{
	struct opts o;
	int rc = cli_parse_opts(argc, argv, O_JSON | O_LIMIT, 2, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(
		    _("Usage: kassa journal [--json] [--limit N]\n"
		      "       kassa journal check\n"
		      "       kassa journal backup PATH"),
		    _("Lists the documents of the journal, newest first, with ext_id, "
		      "uuid, state and amounts.\n  --json     one JSON array (amounts "
		      "as strings with two decimals)\n  --limit N  at most N documents "
		      "(default 50, 0 = all)\n"
		      "check: a full integrity check of the journal file (exit 4 when "
		      "damaged).\nbackup PATH: a consistent copy of the journal to PATH "
		      "(a new file), even while\nanother kassa sends from it.\n"));
	if (o.npos > 0) {
		struct session s;
		if ((rc = cli_session_open(&s, &o, false, false)) != CLI_OK)
			return rc;
		rc = cli_journal_tool(o.cmd, s.run.journal_path, o.npos, o.pos);
		cli_session_close(&s);
		return rc;
	}
	bool limit_given = false;
	for (int i = 1; i < argc; i++)
		if (cli_opt_is(argv[i], "--limit"))
			limit_given = true;
	int64_t limit = limit_given ? (o.limit ? o.limit : -1) : 50;
	struct session s;
	if ((rc = cli_session_open(&s, &o, false, true)) != CLI_OK)
		return rc;
	cli_relay_pull(o.cmd, s.run.journal, &s.run.profile, o.verbose);
	struct kerr e = {0};
	kstatus st;
	if (o.json) {
		json_t *arr = json_array();
		struct doc_json dj = {arr, s.run.journal};
		st = journal_list(s.run.journal, NULL, limit, 0, on_doc_json, &dj, &e);
		if (st == K_OK) {
			char *text = jsonx_dumps(arr, JSON_INDENT(2));
			printf("%s\n", text ? text : "[]");
			free(text);
		}
		json_decref(arr);
	} else {
		printf(_("# %s%s\n"), s.run.journal_path,
		       s.run.profile.training ? _(" (training)") : "");
		cli_print_col(_("id"), 7, false);
		printf(" ");
		cli_print_col(_("created"), 19, false);
		printf("  ");
		cli_print_col(_("kind"), 10, false);
		printf(" ");
		cli_print_col(_("type"), 10, false);
		printf(" ");
		cli_print_col(_("state"), 16, false);
		printf(" ");
		cli_print_col(_("total"), 12, true);
		printf("  %-36s  %s\n", "ext_id", "uuid");
		st = journal_list(s.run.journal, NULL, limit, 0, on_doc_line, NULL, &e);
	}
	rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
	cli_session_close(&s);
	return rc;
}
