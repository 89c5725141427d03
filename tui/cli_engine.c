/*
 * The delivery engine's subcommands (see cli_engine.h). Each one: load the
 * config (refusals printed as they are, exit 3), pick the profile (training
 * when none is configured: the sandbox starts in-process), open the journal
 * (exit 4), run the loop until its work is done or its time is up, print.
 * Nothing here prints a secret: the callback URL holds one and is never shown.
 */
#include "cli_engine.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_flush.h"
#include "cli_listener.h"
#include "cli_relay.h"
#include "config.h"
#include "document.h"
#include "errors.h"
#include "journal.h"
#include "jsonx.h"
#include "loop.h"
#include "money.h"
#include "net.h"
#include "outbox.h"
#include "shift_report.h"
#include "training.h"
#include "training_relay.h"
#include "util.h"
#include "provider.h"
#include "wire/lifepay.h" /* reading a document in LifePay's shape */

#define RECEIPT_INPUT_MAX (1024 * 1024)
#define SEND_TIMEOUT_S 45
#define WAIT_TIMEOUT_S 120
#define FLUSH_TIMEOUT_S 60

/* Which options a command takes. */
enum {
	O_WAIT = 1 << 0,
	O_TIMEOUT = 1 << 1,
	O_NONFISCAL = 1 << 2,
	O_JSON = 1 << 3,
	O_LIMIT = 1 << 4,
	O_FLUSH = 1 << 5,
	O_KIND = 1 << 6,
	O_ALLOW_LARGE = 1 << 7, /* amounts above the profile's max_receipt */
	O_NO_ORIGINAL = 1 << 8, /* a refund that cites no original sale */
};

struct opts {
	const char *cmd;
	const char *profile;
	bool training;
	bool wait, non_fiscal, json, flush, verbose, help;
	bool allow_large, no_original;
	bool kind_set;
	enum doc_kind kind;
	long timeout_s; /* 0 = the command's default */
	long limit;
	const char *pos[2];
	int npos;
};

static int usage_error(const struct opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct opts *o, const char *fmt, ...)
{
	char text[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	cli_error(o->cmd, CLI_USAGE, "%s", text);
	fprintf(stderr, _("See kassa %s --help.\n"), o->cmd);
	return CLI_USAGE;
}

/* An option's value: "--x=V" or "--x V". */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool opt_is(const char *a, const char *name)
{
	size_t n = strlen(name);
	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	if (!s || !*s)
		return false;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (*end || v < lo || v > hi)
		return false;
	*out = (long)v;
	return true;
}

static int parse_opts(int argc, char **argv, unsigned allowed, int max_pos, struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->cmd = argv[0];
	o->kind = DOC_RECEIPT;
	bool options = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && strcmp(a, "--") == 0) {
			options = false;
		} else if (options && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
			o->help = true;
		} else if (options && opt_is(a, "--profile")) {
			o->profile = opt_value(argc, argv, &i, "--profile");
			if (!o->profile || !*o->profile)
				return usage_error(o, _("%s needs a value"), "--profile");
		} else if (options && strcmp(a, "--training") == 0) {
			o->training = true;
		} else if (options && (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)) {
			o->verbose = true;
		} else if (options && (allowed & O_WAIT) && strcmp(a, "--wait") == 0) {
			o->wait = true;
		} else if (options && (allowed & O_NONFISCAL) && strcmp(a, "--non-fiscal") == 0) {
			o->non_fiscal = true;
		} else if (options && (allowed & O_ALLOW_LARGE) &&
			   strcmp(a, "--allow-large") == 0) {
			o->allow_large = true;
		} else if (options && (allowed & O_NO_ORIGINAL) &&
			   strcmp(a, "--no-original") == 0) {
			o->no_original = true;
		} else if (options && (allowed & O_JSON) && strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (options && (allowed & O_FLUSH) && strcmp(a, "--flush") == 0) {
			o->flush = true;
		} else if (options && (allowed & O_TIMEOUT) && opt_is(a, "--timeout")) {
			const char *v = opt_value(argc, argv, &i, "--timeout");
			if (!parse_long(v, 1, 86400, &o->timeout_s))
				return usage_error(o, _("--timeout takes seconds from 1 to 86400"));
		} else if (options && (allowed & O_LIMIT) && opt_is(a, "--limit")) {
			const char *v = opt_value(argc, argv, &i, "--limit");
			if (!parse_long(v, 0, 1000000000L, &o->limit))
				return usage_error(o, _("--limit takes a count (0 = all)"));
		} else if (options && (allowed & O_KIND) && opt_is(a, "--kind")) {
			const char *v = opt_value(argc, argv, &i, "--kind");
			if (!v || !doc_kind_parse(v, &o->kind) || !doc_kind_has_basket(o->kind))
				return usage_error(
				    o, _("--kind must be receipt, non-fiscal or correction"));
			o->kind_set = true;
		} else if (options && a[0] == '-' && a[1] != '\0' &&
			   !(max_pos > 0 && a[1] >= '0' && a[1] <= '9')) {
			return usage_error(o, _("unknown option '%s'"), a);
		} else if (o->npos >= max_pos) {
			return usage_error(o, _("unexpected argument '%s'"), a);
		} else {
			o->pos[o->npos++] = a;
		}
	}
	return CLI_OK;
}

/* ---- the session: config, profile, journal, engine ---- */

struct session {
	const struct opts *o;
	struct config *cfg;
	struct config_profile prof;
	struct training tr;
	bool tr_started;
	char journal_path[CONFIG_PATH_MAX];
	struct journal *j;
	struct loop *loop;
	struct outbox *ob;
	struct relay_client *relay; /* pulls while the command runs (relay_url) */
	volatile bool interrupted;
};

static void on_log(void *cls, const char *line)
{
	(void)cls;
	fprintf(stderr, "kassa: %s\n", line);
}

static void on_interrupt(struct loop *l, int signo, void *cls)
{
	(void)signo;
	struct session *s = cls;
	s->interrupted = true;
	loop_quit(l);
}

static void session_close(struct session *s)
{
	relay_client_free(s->relay);
	s->relay = NULL;
	outbox_free(s->ob);
	s->ob = NULL;
	journal_close(s->j);
	s->j = NULL;
	if (s->tr_started)
		training_relay_stop(&s->tr);
	s->tr_started = false;
	if (s->loop)
		loop_free(s->loop);
	s->loop = NULL;
	config_free(s->cfg);
	s->cfg = NULL;
	explicit_bzero(&s->prof, sizeof s->prof);
}

/*
 * engine: the command sends something (starts the sandbox in training, the
 * loop and the outbox). need_journal: false only for check-account.
 */
static int session_open(struct session *s, const struct opts *o, bool engine, bool need_journal)
{
	memset(s, 0, sizeof *s);
	s->o = o;
	s->tr.lock_fd = -1;
	struct kerr e = {0};
	if (config_load(NULL, &s->cfg, &e) != K_OK) {
		return cli_error(o->cmd, CLI_CONFIG, "%s", e.text);
	}
	for (size_t i = 0; i < s->cfg->nwarnings; i++)
		fprintf(stderr, "kassa: %s\n", s->cfg->warnings[i]);
	/*
	 * A command never falls back to training by itself: an unmounted config
	 * or a cron job with another HOME must not turn a till into a trainer.
	 */
	if (!s->cfg->exists && !o->training) {
		int rc = cli_error(o->cmd, CLI_CONFIG,
				   _("no configuration at %s: write it (see kassa(1), FILES) or "
				     "pass --training to use the training sandbox"),
				   s->cfg->path);
		session_close(s);
		return rc;
	}
	if (config_select(s->cfg, o->profile, o->training, &s->prof, &e) != K_OK) {
		int rc = cli_error(o->cmd, CLI_CONFIG, "%s", e.text);
		session_close(s);
		return rc;
	}
	/* Only the selected profile's secrets stay in memory. */
	config_keep_secrets_of(s->cfg, s->prof.training ? NULL : s->prof.name);
	if (s->prof.training)
		fprintf(stderr, "%s\n",
			_("TRAINING: documents go to kassa's built-in sandbox; nothing is "
			  "fiscalized (configure a profile to work for real)."));
	if (engine) {
		s->loop = loop_new();
		loop_watch_signal(s->loop, SIGINT, on_interrupt, s);
		loop_watch_signal(s->loop, SIGTERM, on_interrupt, s);
	}
	if (s->prof.training && engine) {
		if (training_relay_start(s->loop, &s->tr, &e) != K_OK) {
			int rc = cli_error(o->cmd, CLI_FAILED,
					   _("the training sandbox did not start: %s"), e.text);
			session_close(s);
			return rc;
		}
		s->tr_started = true;
		if (s->tr.note[0])
			fprintf(stderr, "kassa: %s\n", s->tr.note);
		s->prof = s->tr.profile;
		str_copy(s->journal_path, s->tr.journal_path, sizeof s->journal_path);
	} else if (config_journal_path(s->prof.training, s->journal_path, sizeof s->journal_path,
				       &e) != K_OK) {
		int rc = cli_error(o->cmd, CLI_JOURNAL, "%s", e.text);
		session_close(s);
		return rc;
	}
	kstatus jst;
	if (need_journal && (jst = journal_open(s->journal_path, &s->j, &e)) != K_OK) {
		/* A damaged or missing journal's message names it and says what to do. */
		int rc = jst == K_DB ? cli_error(o->cmd, CLI_JOURNAL, "%s", e.text)
				     : cli_error(o->cmd, CLI_JOURNAL,
						 _("the journal %s cannot be opened: %s"),
						 s->journal_path, e.text);
		session_close(s);
		return rc;
	}
	if (need_journal && journal_warning(s->j))
		fprintf(stderr,
			_("kassa: warning: the journal's files were open to other users or "
			  "read-only; fixed: %s\n"),
			journal_warning(s->j));
	if (engine && need_journal && journal_lock_sender(s->j, &e) != K_OK) {
		/* Another kassa sends from this journal: a journal error, naming its pid. */
		int rc = cli_error(o->cmd, CLI_JOURNAL, "%s", e.text);
		session_close(s);
		return rc;
	}
	if (engine && need_journal) {
		/*
		 * The token is kept in the data directory, so that with a fixed listen
		 * port (or public_url) callbacks for documents sent by an earlier run
		 * still arrive; without one, a fresh token serves this run.
		 */
		char dir[CONFIG_PATH_MAX], tpath[CONFIG_PATH_MAX + 32];
		char token[LISTENER_TOKEN_LEN + 1] = "";
		if (config_data_dir(dir, sizeof dir, true, NULL) == K_OK &&
		    snprintf(tpath, sizeof tpath, "%s/%s", dir,
			     s->prof.training ? "training-callback-token" : "callback-token") <
			(int)sizeof tpath &&
		    outbox_token_load(tpath, token, NULL) != K_OK)
			token[0] = '\0';
		struct outbox_options oo = {.log = o->verbose ? on_log : NULL,
					    .token = token[0] ? token : NULL,
					    .no_listener = !cli_relay_wants_listener(&s->prof)};
		s->ob = outbox_new(s->loop, s->j, &s->prof, &oo, &e);
		explicit_bzero(token, sizeof token);
		if (!s->ob) {
			char msg[400];
			kerr_str(&e, msg, sizeof msg);
			int rc = cli_exit_for(K_INVALID, &e, CLI_CONFIG) == CLI_JOURNAL
				     ? cli_error(o->cmd, CLI_JOURNAL, "%s", e.text)
				     : cli_error(o->cmd, CLI_CONFIG, _("profile \"%s\": %s"),
						 s->prof.name, msg);
			session_close(s);
			return rc;
		}
		s->relay = cli_relay_attach(o->cmd, s->loop, s->j, s->ob, &s->prof, o->verbose);
	}
	return CLI_OK;
}

/* Runs the loop until done() says so, the time is up or Ctrl-C; true when done. */
static bool run_until(struct session *s, bool (*done)(struct session *, void *), void *cls,
		      long timeout_s)
{
	long long end = mono_ms() + (long long)timeout_s * 1000;
	while (!done(s, cls)) {
		long long left = end - mono_ms();
		if (left <= 0 || s->interrupted)
			return false;
		loop_run_once(s->loop, left < 200 ? left : 200);
	}
	return true;
}

/* ---- printing ---- */

static void fmt_time(int64_t ms, char *buf, size_t n)
{
	if (ms <= 0) {
		str_copy(buf, "-", n);
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *money(int64_t kop, char *buf, size_t n)
{
	money_format_wire(kop, buf, n);
	return buf;
}

static void print_provider_error(int code, const char *text)
{
	bool ru = errors_locale_is_russian();
	char meaning[512], next[512];
	errors_describe(code, text, ru, meaning, sizeof meaning);
	errors_next_step(code, ru, next, sizeof next);
	printf("  %s\n", meaning);
	if (next[0])
		printf(_("  next: %s\n"), next);
}

/* Prints s in a column of width characters (not bytes: headers are translated). */
static void print_col(const char *s, int width, bool right)
{
	int pad = width - (int)utf8_chars(s);
	if (right)
		printf("%*s%s", pad > 0 ? pad : 0, "", s);
	else
		printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

static void print_doc_line(const struct journal_doc *d)
{
	char total[32], when[32];
	fmt_time(d->created_at, when, sizeof when);
	printf("#%-6" PRId64 " %s  %-10s %-10s %-16s %12s  %s  %s%s\n", d->id, when, d->kind,
	       d->type[0] ? d->type : "-", journal_state_word(d->state),
	       money(d->total, total, sizeof total), d->ext_id, d->uuid[0] ? d->uuid : "-",
	       d->flagged ? "  [flagged]" : "");
}

/* The outcome of one document in words, for receipt/shift commands and --flush. */
static void print_outcome(const struct journal_doc *d)
{
	char total[32];
	enum doc_kind k;
	printf(_("document #%" PRId64 ": %s"), d->id,
	       doc_kind_parse(d->kind, &k) ? _(doc_kind_label(k)) : d->kind);
	if (d->type[0])
		printf(" (%s)", d->type);
	if (d->total)
		printf(_(", total %s"), money(d->total, total, sizeof total));
	printf("\n  ext_id %s\n", d->ext_id);
	if (d->uuid[0])
		printf("  uuid   %s\n", d->uuid);
	printf(_("  state  %s%s\n"), _(journal_state_label(d->state)),
	       d->flagged ? _(" (flagged: no final status for too long)") : "");
	if (d->state == JS_REJECTED || d->state == JS_FAILED)
		print_provider_error(d->last_error_code, d->last_error_text);
	else if (d->state == JS_QUEUED && d->attempts > 0) {
		char when[32];
		fmt_time(d->next_attempt_at, when, sizeof when);
		printf(_("  not delivered yet (%s); kassa sends it again with the same ext_id at "
			 "%s, or now with `kassa outbox --flush`\n"),
		       d->last_error_text[0] ? d->last_error_text : _("no answer"), when);
	} else if (d->state == JS_QUEUED || d->state == JS_SENDING) {
		printf("%s\n", _("  safely in the journal, not sent yet; `kassa outbox --flush` "
				 "sends it"));
	} else if (d->state == JS_ACCEPTED) {
		printf("%s\n", _("  accepted by the provider; its final status comes by callback "
				 "through the relay, or to public_url while kassa's screen or a "
				 "--wait command listens there (the provider retries after 1, 3, 5 "
				 "and 10 minutes, then hourly); `kassa status` shows it"));
	}
}

/* ---- waiting for one document ---- */

struct doc_wait {
	int64_t id;
	bool final; /* wait for a final state, else for the first answer */
	int start_attempts;
};

static bool doc_done(struct session *s, void *cls)
{
	struct doc_wait *w = cls;
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	if (journal_get(s->j, w->id, &d, NULL) != K_OK)
		return true;
	bool done;
	if (w->final)
		done = journal_state_final(d.state);
	else
		done = (d.state != JS_QUEUED && d.state != JS_SENDING) ||
		       (d.state == JS_QUEUED && d.attempts > w->start_attempts);
	journal_doc_free(&d);
	return done;
}

static int exit_for(const struct journal_doc *d, bool want_final)
{
	switch (d->state) {
	case JS_REJECTED:
	case JS_FAILED:
		return CLI_FAILED;
	case JS_PROCESSED:
	case JS_VALIDATED:
		return CLI_OK;
	default:
		return want_final ? CLI_FAILED : CLI_OK;
	}
}

/* Submits d, waits as asked, prints the outcome; returns the exit status. */
static int send_document(struct session *s, struct document *d)
{
	const struct opts *o = s->o;
	struct kerr e = {0};
	int64_t id = 0;
	d->allow_large = o->allow_large;
	d->no_original = o->no_original;
	if (o->wait && !cli_relay_can_wait(&s->prof))
		return cli_error(o->cmd, CLI_USAGE,
				 _("--wait: no final status can reach this command: profile \"%s\" "
				   "has no relay_url and relay_token (see \"Callbacks behind NAT\" in "
				   "the README); send without --wait and see `kassa status ID` later"),
				 s->prof.name);
	kstatus st = outbox_submit(s->ob, d, &id, &e);
	if (st != K_OK) {
		char msg[400];
		kerr_str(&e, msg, sizeof msg);
		if (cli_exit_for(st, &e, CLI_USAGE) == CLI_JOURNAL)
			return cli_error(o->cmd, CLI_JOURNAL, "%s", e.text);
		if (e.code) {
			char meaning[512];
			errors_describe(e.code, NULL, errors_locale_is_russian(), meaning,
					sizeof meaning);
			return cli_error(o->cmd, CLI_USAGE, _("%s (the provider would answer %s)"),
					 msg, meaning);
		}
		return cli_error(o->cmd, CLI_USAGE, "%s", msg);
	}
	fprintf(stderr, _("kassa %s: document #%" PRId64 " is in the journal (ext_id %s)\n"),
		o->cmd, id, d->ext_id);
	cli_relay_note(o->cmd, &s->prof);
	struct doc_wait w = {.id = id, .final = o->wait};
	long timeout = o->timeout_s ? o->timeout_s : o->wait ? WAIT_TIMEOUT_S : SEND_TIMEOUT_S;
	bool done = run_until(s, doc_done, &w, timeout);
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	if (journal_get(s->j, id, &jd, &e) != K_OK)
		return cli_error(o->cmd, CLI_JOURNAL, "%s", e.text);
	print_outcome(&jd);
	int rc = exit_for(&jd, o->wait);
	if (!done && o->wait)
		fprintf(stderr,
			_("kassa %s: no final status within %ld s%s; the document stays "
			  "in the journal\n"),
			o->cmd, timeout, s->interrupted ? _(" (interrupted)") : "");
	journal_doc_free(&jd);
	return rc;
}

/* ---- receipt ---- */

static int help_text(const char *usage, const char *text)
{
	printf("%s\n%s", usage, text);
	printf("%s", _("\nEvery command also takes:\n"
		       "  --profile NAME  use [profile.NAME] of the config\n"
		       "  --training      use the built-in training sandbox and journal\n"
		       "  -v, --verbose   log delivery events on stderr\n"
		       "Exit status: 0 ok, 1 provider refused or delivery failed, 2 bad input, "
		       "3 config error, 4 journal error.\n"));
	return CLI_OK;
}

int cli_engine_receipt(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(
	    argc, argv, O_WAIT | O_TIMEOUT | O_NONFISCAL | O_KIND | O_ALLOW_LARGE | O_NO_ORIGINAL,
	    1, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(
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
		return usage_error(&o, "%s", _("give the receipt FILE, or - for standard input"));
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
	rc = session_open(&s, &o, true, true);
	if (rc == CLI_OK)
		rc = send_document(&s, d);
	session_close(&s);
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
		fmt_time(t->since, when, sizeof when);
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
	int rc = parse_opts(argc, argv, O_WAIT | O_TIMEOUT | (amount ? O_ALLOW_LARGE : 0),
			    amount ? 1 : 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(usage, text);
	struct document *d = xcalloc(1, sizeof *d);
	document_init(d, kind);
	if (amount) {
		struct kerr e = {0};
		if (o.npos != 1) {
			free(d);
			return usage_error(&o, "%s", _("give the AMOUNT, e.g. 1500.00"));
		}
		if (money_parse(o.pos[0], &d->amount, "amount", &e) != K_OK || d->amount <= 0) {
			free(d);
			return usage_error(&o, _("AMOUNT \"%s\": %s"), o.pos[0],
					   e.text[0] ? e.text : _("must be above zero"));
		}
	}
	struct session s;
	rc = session_open(&s, &o, true, true);
	/* The totals are counted before the report joins the journal: a Z's own shift. */
	struct shift_totals t;
	struct kerr te = {0};
	bool totals = rc == CLI_OK && (kind == DOC_X_REPORT || kind == DOC_Z_REPORT) &&
		      shift_report_totals(s.j, s.prof.name, s.prof.test, 0, &t, &te) == K_OK;
	if (rc == CLI_OK)
		rc = send_document(&s, d);
	if (totals)
		print_totals(&t);
	else if (rc != CLI_USAGE && (kind == DOC_X_REPORT || kind == DOC_Z_REPORT) && te.text[0])
		fprintf(stderr, _("kassa %s: the shift's totals cannot be counted: %s\n"), o.cmd,
			te.text);
	session_close(&s);
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
	fmt_time(r->at, when, sizeof when);
	printf("  %s  %-14s -> %-14s %-9s %s\n", when,
	       r->from == JS_NONE ? "-" : journal_state_word((enum journal_state)r->from),
	       journal_state_word(r->to), journal_source_word(r->source), r->detail);
	return true;
}

static bool on_attempt(const struct journal_attempt_row *r, void *cls)
{
	int *n = cls;
	char when[32], http[16], code[16];
	fmt_time(r->at, when, sizeof when);
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
	int rc = parse_opts(argc, argv, 0, 1, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(_("Usage: kassa status ID"),
				 _("Shows one document: ID is its local number, its ext_id, its "
				   "uuid or a PayKeeper receipt id.\n"));
	if (o.npos != 1)
		return usage_error(&o, "%s", _("give the document's id, ext_id or uuid"));
	struct session s;
	if ((rc = session_open(&s, &o, false, true)) != CLI_OK)
		return rc;
	cli_relay_pull(o.cmd, s.j, &s.prof, o.verbose);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	struct kerr e = {0};
	kstatus st = journal_find(s.j, o.pos[0], &d, &e);
	if (st == K_NOTFOUND) {
		rc = cli_error(o.cmd, CLI_USAGE, _("no document \"%s\" in %s"), o.pos[0],
			       s.journal_path);
		session_close(&s);
		return rc;
	}
	if (st != K_OK) {
		rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		session_close(&s);
		return rc;
	}
	char a[32], b[32], c[32], t[32], when[32];
	printf(_("document #%" PRId64 "\n"), d.id);
	printf(_("  kind        %s%s%s%s\n"), d.kind, d.type[0] ? " (" : "", d.type,
	       d.type[0] ? ")" : "");
	printf(_("  profile     %s (%s)%s\n"), d.profile, journal_provider_word(d.provider),
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
	printf(_("  total       %s (card %s, cash %s, change %s)\n"), money(d.total, t, sizeof t),
	       money(d.card, a, sizeof a), money(d.cash, b, sizeof b),
	       money(d.change, c, sizeof c));
	fmt_time(d.created_at, when, sizeof when);
	printf(_("  created     %s\n"), when);
	fmt_time(d.updated_at, when, sizeof when);
	printf(_("  updated     %s\n"), when);
	if (d.state == JS_QUEUED) {
		fmt_time(d.next_attempt_at, when, sizeof when);
		printf(_("  next try    %s\n"), when);
	}
	if (d.last_error_code || d.last_error_text[0]) {
		printf(_("  last error  %s\n"), d.last_error_text);
		if (d.state == JS_REJECTED || d.state == JS_FAILED)
			print_provider_error(d.last_error_code, d.last_error_text);
	}
	printf("%s\n", _("history:"));
	st = journal_history(s.j, d.id, on_history, NULL, &e);
	int n = 0;
	printf(_("attempts (%d counted):\n"), d.attempts);
	if (st == K_OK)
		st = journal_attempts(s.j, d.id, on_attempt, &n, &e);
	if (st == K_OK && n == 0)
		printf("  -\n");
	rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
	journal_doc_free(&d);
	session_close(&s);
	return rc;
}

/* ---- journal ---- */

static bool on_doc_line(const struct journal_doc *d, void *cls)
{
	(void)cls;
	print_doc_line(d);
	return true;
}

static bool on_doc_json(const struct journal_doc *d, void *cls)
{
	json_t *arr = cls;
	char buf[32], when[32];
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(d->id));
	fmt_time(d->created_at, when, sizeof when);
	json_object_set_new(o, "created", json_string(when));
	json_object_set_new(o, "created_ms", json_integer(d->created_at));
	json_object_set_new(o, "profile", json_string(d->profile));
	json_object_set_new(o, "provider", json_string(journal_provider_word(d->provider)));
	json_object_set_new(o, "kind", json_string(d->kind));
	json_object_set_new(o, "type", json_string(d->type));
	json_object_set_new(o, "state", json_string(journal_state_word(d->state)));
	json_object_set_new(o, "final", json_boolean(journal_state_final(d->state)));
	json_object_set_new(o, "flagged", json_boolean(d->flagged));
	json_object_set_new(o, "test", json_boolean(d->test));
	json_object_set_new(o, "ext_id", json_string(d->ext_id));
	json_object_set_new(o, "uuid", d->uuid[0] ? json_string(d->uuid) : json_null());
	json_object_set_new(o, "ref_uuid", d->ref_uuid[0] ? json_string(d->ref_uuid) : json_null());
	json_object_set_new(o, "total", json_string(money(d->total, buf, sizeof buf)));
	json_object_set_new(o, "card", json_string(money(d->card, buf, sizeof buf)));
	json_object_set_new(o, "cash", json_string(money(d->cash, buf, sizeof buf)));
	json_object_set_new(o, "change", json_string(money(d->change, buf, sizeof buf)));
	json_object_set_new(o, "attempts", json_integer(d->attempts));
	if (d->last_error_code || d->last_error_text[0]) {
		json_object_set_new(o, "error_code", json_integer(d->last_error_code));
		json_object_set_new(o, "error", json_string(d->last_error_text));
	}
	json_array_append_new(arr, o);
	return true;
}

int cli_engine_journal(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, O_JSON | O_LIMIT, 2, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(
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
		if ((rc = session_open(&s, &o, false, false)) != CLI_OK)
			return rc;
		rc = cli_journal_tool(o.cmd, s.journal_path, o.npos, o.pos);
		session_close(&s);
		return rc;
	}
	bool limit_given = false;
	for (int i = 1; i < argc; i++)
		if (opt_is(argv[i], "--limit"))
			limit_given = true;
	int64_t limit = limit_given ? (o.limit ? o.limit : -1) : 50;
	struct session s;
	if ((rc = session_open(&s, &o, false, true)) != CLI_OK)
		return rc;
	cli_relay_pull(o.cmd, s.j, &s.prof, o.verbose);
	struct kerr e = {0};
	kstatus st;
	if (o.json) {
		json_t *arr = json_array();
		st = journal_list(s.j, NULL, limit, 0, on_doc_json, arr, &e);
		if (st == K_OK) {
			char *text = jsonx_dumps(arr, JSON_INDENT(2));
			printf("%s\n", text ? text : "[]");
			free(text);
		}
		json_decref(arr);
	} else {
		printf(_("# %s%s\n"), s.journal_path, s.prof.training ? _(" (training)") : "");
		print_col(_("id"), 7, false);
		printf(" ");
		print_col(_("created"), 19, false);
		printf("  ");
		print_col(_("kind"), 10, false);
		printf(" ");
		print_col(_("type"), 10, false);
		printf(" ");
		print_col(_("state"), 16, false);
		printf(" ");
		print_col(_("total"), 12, true);
		printf("  %-36s  %s\n", "ext_id", "uuid");
		st = journal_list(s.j, NULL, limit, 0, on_doc_line, NULL, &e);
	}
	rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
	session_close(&s);
	return rc;
}

/* ---- outbox ---- */

static void print_waiting(const struct journal_doc *d)
{
	char total[32], when[32];
	fmt_time(d->next_attempt_at, when, sizeof when);
	printf("#%-6" PRId64 " %-10s %12s  %s  [%s] %s\n", d->id, d->kind,
	       money(d->total, total, sizeof total), d->ext_id, d->profile,
	       journal_state_word(d->state));
	if (d->state == JS_QUEUED && d->attempts == 0)
		printf("%s\n", _("        not sent yet: goes out with the next kassa command"));
	else if (d->state == JS_QUEUED)
		printf(_("        %d attempt(s), last: %s; next try %s (same ext_id)\n"),
		       d->attempts, d->last_error_text[0] ? d->last_error_text : "-", when);
	else if (d->state == JS_SENDING)
		printf("%s\n", _("        being sent (or kassa stopped while sending: resent at "
				 "the next start)"));
	else
		printf(_("        accepted (uuid %s); waiting for the provider's final status%s\n"),
		       d->uuid[0] ? d->uuid : "-", d->flagged ? _(" [flagged]") : "");
}

static bool on_print_waiting(const struct journal_doc *d, void *cls)
{
	(void)cls;
	print_waiting(d);
	return true;
}

static bool flush_done(struct session *s, void *cls)
{
	struct cli_waiting *w = cls;
	for (size_t i = 0; i < w->n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(s->j, w->ids[i], &d, NULL) != K_OK)
			continue;
		bool done = (d.state != JS_QUEUED && d.state != JS_SENDING) ||
			    (d.state == JS_QUEUED && d.attempts > w->attempts[i]);
		journal_doc_free(&d);
		if (!done)
			return false;
	}
	return true;
}

int cli_engine_outbox(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, O_FLUSH | O_TIMEOUT, 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(
		    _("Usage: kassa outbox [--flush] [--timeout S]"),
		    _("Shows what waits to be delivered and why, and what waits for "
		      "the provider's final status.\n  --flush  sends every waiting "
		      "document of the profile now and returns when each\n           "
		      "has an answer or has failed again (at most --timeout S, default "
		      "60)\n"));
	struct session s;
	if (o.flush) {
		/* The cashier's screen may send from this journal: ask it rather than fail. */
		if ((rc = session_open(&s, &o, false, true)) != CLI_OK)
			return rc;
		int remote_rc = CLI_OK;
		int asked = cli_flush_remote(s.j, s.journal_path, s.prof.name,
					     o.timeout_s ? o.timeout_s : FLUSH_TIMEOUT_S,
					     print_outcome, &remote_rc);
		session_close(&s);
		if (asked)
			return remote_rc;
	}
	if ((rc = session_open(&s, &o, o.flush, true)) != CLI_OK)
		return rc;
	struct kerr e = {0};
	kstatus st = K_OK;
	if (!o.flush) {
		long pulled = cli_relay_pull(o.cmd, s.j, &s.prof, o.verbose);
		if (pulled >= 0)
			printf(_("kassa-relay: connected, %ld callback(s) pulled\n"), pulled);
		cli_listener_print_health(s.journal_path); /* issue 11: listener health */
		static const enum journal_state waits[] = {JS_QUEUED, JS_SENDING, JS_ACCEPTED,
							   JS_PROVIDER_RETRY};
		int64_t total = 0;
		for (size_t i = 0; i < sizeof waits / sizeof waits[0] && st == K_OK; i++) {
			struct journal_filter f = {.by_state = true, .state = waits[i]};
			int64_t n = 0;
			st = journal_count(s.j, &f, &n, &e);
			if (st == K_OK && n > 0) {
				printf("%s (%" PRId64 "):\n", _(journal_state_label(waits[i])), n);
				st = journal_list(s.j, &f, -1, 0, on_print_waiting, NULL, &e);
			}
			total += n;
		}
		if (st == K_OK && total == 0)
			printf("%s\n", _("the outbox is empty: every document has its answer"));
		rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		session_close(&s);
		return rc;
	}
	/* outbox_new already put documents left in sending back into the queue. */
	struct cli_waiting w = {.profile = s.prof.name};
	struct journal_filter f = {.by_state = true, .state = JS_QUEUED};
	st = journal_list(s.j, &f, -1, 0, cli_waiting_collect, &w, &e);
	if (st != K_OK) {
		rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		session_close(&s);
		return rc;
	}
	if (w.n == 0) {
		printf(_("nothing waits to be sent for profile %s\n"), s.prof.name);
		session_close(&s);
		return CLI_OK;
	}
	printf(_("sending %zu document(s) now...\n"), w.n);
	outbox_flush(s.ob);
	long timeout = o.timeout_s ? o.timeout_s : FLUSH_TIMEOUT_S;
	bool done = run_until(&s, flush_done, &w, timeout);
	rc = CLI_OK;
	for (size_t i = 0; i < w.n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(s.j, w.ids[i], &d, &e) != K_OK) {
			rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
			continue;
		}
		print_outcome(&d);
		if ((d.state == JS_QUEUED || d.state == JS_SENDING || d.state == JS_REJECTED ||
		     d.state == JS_FAILED) &&
		    rc == CLI_OK)
			rc = CLI_FAILED;
		journal_doc_free(&d);
	}
	if (!done)
		fprintf(stderr, _("kassa outbox: not every document had an answer within %ld s\n"),
			timeout);
	free(w.ids);
	free(w.attempts);
	session_close(&s);
	return rc;
}

/* ---- check-account ---- */

struct check {
	const struct config_profile *p;
	bool done, ok;
	char text[1400];
};

static void on_check_done(void *cls, const struct net_result *res)
{
	struct check *c = cls;
	c->done = true;
	c->ok = provider_check_verdict(c->p, res, c->text, sizeof c->text);
}

static bool check_done(struct session *s, void *cls)
{
	(void)s;
	return ((struct check *)cls)->done;
}

/* The provider's account check (the settings screen's too), waited for. */
static int check_account(struct session *s, struct net *n, long timeout)
{
	struct check c = {.p = &s->prof};
	char what[512];
	struct kerr e = {0};
	if (!provider_check_account(n, c.p, on_check_done, &c, what, sizeof what, &e))
		return cli_error(s->o->cmd, CLI_FAILED, "%s", _("the request could not be made"));
	printf(_("checking profile %s: %s\n"), c.p->name, what);
	if (!run_until(s, check_done, &c, timeout))
		return cli_error(s->o->cmd, CLI_FAILED, _("no answer within %ld s"), timeout);
	printf("%s\n", c.text);
	return c.ok ? CLI_OK : CLI_FAILED;
}

int cli_engine_check_account(int argc, char **argv)
{
	struct opts o;
	int rc = parse_opts(argc, argv, O_TIMEOUT, 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return help_text(
		    _("Usage: kassa check-account [--timeout S]"),
		    _("Sends a test-mode request (LifePay: an X-report with test=1; nothing is "
		      "fiscalized\nor journaled) and explains the answer: 6009 unknown login, "
		      "6010 login and apikey\ndo not match, 6080 cloud fiscalization is not "
		      "enabled. PayKeeper: fetches a token.\n"));
	struct session s;
	if ((rc = session_open(&s, &o, true, false)) != CLI_OK)
		return rc;
	struct net *n = net_new(s.loop, NULL);
	rc = check_account(&s, n, o.timeout_s ? o.timeout_s : 30);
	net_free(n);
	session_close(&s);
	return rc;
}
