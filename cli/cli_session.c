/*
 * The session every delivery-engine subcommand opens (cli_session.h): config,
 * profile (training only with --training), journal, loop, sandbox, outbox and
 * relay; its options, printing and sending one document.
 * Nothing here prints a secret: the callback URL holds one and is never shown.
 */
#include "cli_session.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_relay.h"
#include "config.h"
#include "document.h"
#include "errors.h"
#include "journal.h"
#include "loop.h"
#include "money.h"
#include "outbox.h"
#include "training.h"
#include "training_relay.h"
#include "util.h"

int cli_usage_error(const struct opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int cli_usage_error(const struct opts *o, const char *fmt, ...)
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

bool cli_opt_is(const char *a, const char *name)
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

int cli_parse_opts(int argc, char **argv, unsigned allowed, int max_pos, struct opts *o)
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
		} else if (options && cli_opt_is(a, "--profile")) {
			o->profile = opt_value(argc, argv, &i, "--profile");
			if (!o->profile || !*o->profile)
				return cli_usage_error(o, _("%s needs a value"), "--profile");
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
		} else if (options && (allowed & O_TIMEOUT) && cli_opt_is(a, "--timeout")) {
			const char *v = opt_value(argc, argv, &i, "--timeout");
			if (!parse_long(v, 1, 86400, &o->timeout_s))
				return cli_usage_error(
				    o, _("--timeout takes seconds from 1 to 86400"));
		} else if (options && (allowed & O_LIMIT) && cli_opt_is(a, "--limit")) {
			const char *v = opt_value(argc, argv, &i, "--limit");
			if (!parse_long(v, 0, 1000000000L, &o->limit))
				return cli_usage_error(o, _("--limit takes a count (0 = all)"));
		} else if (options && (allowed & O_KIND) && cli_opt_is(a, "--kind")) {
			const char *v = opt_value(argc, argv, &i, "--kind");
			if (!v || !doc_kind_parse(v, &o->kind) || !doc_kind_has_basket(o->kind))
				return cli_usage_error(
				    o, _("--kind must be receipt, non-fiscal or correction"));
			o->kind_set = true;
		} else if (options && a[0] == '-' && a[1] != '\0' &&
			   !(max_pos > 0 && a[1] >= '0' && a[1] <= '9')) {
			return cli_usage_error(o, _("unknown option '%s'"), a);
		} else if (o->npos >= max_pos) {
			return cli_usage_error(o, _("unexpected argument '%s'"), a);
		} else {
			o->pos[o->npos++] = a;
		}
	}
	return CLI_OK;
}

/* ---- the session: config, profile, journal, engine ---- */

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

void cli_session_close(struct session *s)
{
	startup_close(&s->run, &s->so);
	if (s->loop)
		loop_free(s->loop);
	s->loop = NULL;
}

/* The exit status of a start-up step that failed. */
static int step_exit(enum startup_step step, const struct kerr *e)
{
	switch (step) {
	case STARTUP_TRAINING:
		return CLI_FAILED;
	case STARTUP_JOURNAL:
		return CLI_JOURNAL;
	default:
		return cli_exit_for(K_INVALID, e, CLI_CONFIG);
	}
}

/*
 * engine: the command sends something (starts the sandbox in training, the
 * loop and the outbox). need_journal: false only for check-account.
 */
int cli_session_open(struct session *s, const struct opts *o, bool engine, bool need_journal)
{
	memset(s, 0, sizeof *s);
	s->o = o;
	s->so = (struct startup_options){
	    .profile = o->profile,
	    .training = o->training,
	    .config_required = true,
	    .lock_sender = true,
	    .wants_listener = cli_relay_wants_listener,
	    .log = o->verbose ? on_log : NULL,
	    .training_start = training_relay_start,
	    .training_stop = training_relay_stop,
	};
	struct kerr e = {0};
	enum startup_step step = startup_config(&s->run, &s->so, &e);
	if (s->run.config)
		for (size_t i = 0; i < s->run.config->nwarnings; i++)
			fprintf(stderr, "kassa: %s\n", s->run.config->warnings[i]);
	if (step != STARTUP_OK) {
		int rc = cli_error(o->cmd, CLI_CONFIG, "%s", e.text);
		cli_session_close(s); /* the config stayed for its warnings */
		return rc;
	}
	if (s->run.profile.training)
		fprintf(stderr, "%s\n",
			_("TRAINING: documents go to kassa's built-in sandbox; nothing is "
			  "fiscalized (configure a profile to work for real)."));
	if (engine) {
		s->loop = loop_new();
		loop_watch_signal(s->loop, SIGINT, on_interrupt, s);
		loop_watch_signal(s->loop, SIGTERM, on_interrupt, s);
	}
	step = startup_journal(&s->run, s->loop, &s->run.profile, need_journal, &s->so, &e);
	if (step == STARTUP_OK && s->run.tr_started && s->run.tr.note[0])
		fprintf(stderr, "kassa: %s\n", s->run.tr.note);
	if (step == STARTUP_OK && need_journal && journal_warning(s->run.journal))
		fprintf(stderr,
			_("kassa: warning: the journal's files were open to other users or "
			  "read-only; fixed: %s\n"),
			journal_warning(s->run.journal));
	if (step == STARTUP_OK && engine && need_journal) {
		step = startup_outbox(&s->run, s->loop, &s->so, &e);
		if (step == STARTUP_OK && s->run.relay_problem[0])
			fprintf(stderr, "kassa %s: %s\n", o->cmd, s->run.relay_problem);
	}
	if (step != STARTUP_OK) {
		int rc = cli_error(o->cmd, step_exit(step, &e), "%s", e.text);
		cli_session_close(s);
		return rc;
	}
	return CLI_OK;
}

/* Runs the loop until done() says so, the time is up or Ctrl-C; true when done. */
bool cli_session_run_until(struct session *s, bool (*done)(struct session *, void *), void *cls,
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

void cli_fmt_time(int64_t ms, char *buf, size_t n)
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

const char *cli_money(int64_t kop, char *buf, size_t n)
{
	money_format_wire(kop, buf, n);
	return buf;
}

void cli_print_provider_error(int code, const char *text)
{
	bool ru = errors_locale_is_russian();
	char meaning[512], next[512];
	if (code ==
	    0) { /* no provider code (a POS outcome): the words alone, as the detail shows */
		printf("  %s\n", text);
		return;
	}
	errors_describe(code, text, ru, meaning, sizeof meaning);
	errors_next_step(code, ru, next, sizeof next);
	printf("  %s\n", meaning);
	if (next[0])
		printf(_("  next: %s\n"), next);
}

/* Prints s in a column of width characters (not bytes: headers are translated). */
void cli_print_col(const char *s, int width, bool right)
{
	int pad = width - (int)utf8_chars(s);
	if (right)
		printf("%*s%s", pad > 0 ? pad : 0, "", s);
	else
		printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

void cli_print_doc_line(const struct journal_doc *d)
{
	char total[32], when[32];
	cli_fmt_time(d->created_at, when, sizeof when);
	printf("#%-6" PRId64 " %s  %-10s %-10s %-16s %12s  %s  %s%s\n", d->id, when, d->kind,
	       d->type[0] ? d->type : "-", journal_state_word(d->state),
	       cli_money(d->total, total, sizeof total), d->ext_id, d->uuid[0] ? d->uuid : "-",
	       d->flagged ? "  [flagged]" : "");
}

/* The outcome of one document in words, for receipt/shift commands and --flush. */
void cli_print_outcome(const struct journal_doc *d)
{
	char total[32];
	enum doc_kind k;
	printf(_("document #%" PRId64 ": %s"), d->id,
	       doc_kind_parse(d->kind, &k) ? _(doc_kind_label(k)) : d->kind);
	if (d->type[0])
		printf(" (%s)", d->type);
	if (d->total)
		printf(_(", total %s"), cli_money(d->total, total, sizeof total));
	printf("\n  ext_id %s\n", d->ext_id);
	if (d->uuid[0])
		printf("  uuid   %s\n", d->uuid);
	printf(_("  state  %s%s\n"), _(journal_state_label(d->state)),
	       d->flagged ? _(" (flagged: no final status for too long)") : "");
	if (d->state == JS_REJECTED || d->state == JS_FAILED)
		cli_print_provider_error(d->last_error_code, d->last_error_text);
	else if (d->state == JS_QUEUED && d->attempts > 0) {
		char when[32];
		cli_fmt_time(d->next_attempt_at, when, sizeof when);
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
	if (journal_get(s->run.journal, w->id, &d, NULL) != K_OK)
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

int cli_doc_exit(const struct journal_doc *d, bool want_final)
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
int cli_send_document(struct session *s, struct document *d)
{
	const struct opts *o = s->o;
	struct kerr e = {0};
	int64_t id = 0;
	d->allow_large = o->allow_large;
	d->no_original = o->no_original;
	if (o->wait && !cli_relay_can_wait(&s->run.profile))
		return cli_error(
		    o->cmd, CLI_USAGE,
		    _("--wait: no final status can reach this command: profile \"%s\" "
		      "has no relay_url and relay_token (see \"Callbacks behind NAT\" in "
		      "the README); send without --wait and see `kassa status ID` later"),
		    s->run.profile.name);
	kstatus st = outbox_submit(s->run.outbox, d, &id, &e);
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
	cli_relay_note(o->cmd, &s->run.profile);
	struct doc_wait w = {.id = id, .final = o->wait};
	long timeout = o->timeout_s ? o->timeout_s : o->wait ? WAIT_TIMEOUT_S : SEND_TIMEOUT_S;
	bool done = cli_session_run_until(s, doc_done, &w, timeout);
	struct journal_doc jd;
	memset(&jd, 0, sizeof jd);
	if (journal_get(s->run.journal, id, &jd, &e) != K_OK)
		return cli_error(o->cmd, CLI_JOURNAL, "%s", e.text);
	cli_print_outcome(&jd);
	int rc = cli_doc_exit(&jd, o->wait);
	if (!done && o->wait)
		fprintf(stderr,
			_("kassa %s: no final status within %ld s%s; the document stays "
			  "in the journal\n"),
			o->cmd, timeout, s->interrupted ? _(" (interrupted)") : "");
	journal_doc_free(&jd);
	return rc;
}

int cli_help_text(const char *usage, const char *text)
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
