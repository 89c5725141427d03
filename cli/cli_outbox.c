/* kassa outbox [--flush]: what waits to be delivered and why (cli_engine.h). */
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
#include "cli_flush.h"
#include "cli_listener.h"
#include "cli_relay.h"
#include "document.h"
#include "journal.h"
#include "money.h"
#include "outbox.h"
#include "util.h"

/* ---- outbox ---- */

static void print_waiting(const struct journal_doc *d)
{
	char total[32], when[32];
	cli_fmt_time(d->next_attempt_at, when, sizeof when);
	printf("#%-6" PRId64 " %-10s %12s  %s  [%s] %s\n", d->id, d->kind,
	       cli_money(d->total, total, sizeof total), d->ext_id, d->profile,
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
		if (journal_get(s->run.journal, w->ids[i], &d, NULL) != K_OK)
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
	int rc = cli_parse_opts(argc, argv, O_FLUSH | O_TIMEOUT, 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(
		    _("Usage: kassa outbox [--flush] [--timeout S]"),
		    _("Shows what waits to be delivered and why, and what waits for "
		      "the provider's final status.\n  --flush  sends every waiting "
		      "document of the profile now and returns when each\n           "
		      "has an answer or has failed again (at most --timeout S, default "
		      "60)\n"));
	struct session s;
	if (o.flush) {
		/* The cashier's screen may send from this journal: ask it rather than fail. */
		if ((rc = cli_session_open(&s, &o, false, true)) != CLI_OK)
			return rc;
		int remote_rc = CLI_OK;
		int asked = cli_flush_remote(s.run.journal, s.run.journal_path, s.run.profile.name,
					     o.timeout_s ? o.timeout_s : FLUSH_TIMEOUT_S,
					     cli_print_outcome, &remote_rc);
		cli_session_close(&s);
		if (asked)
			return remote_rc;
	}
	if ((rc = cli_session_open(&s, &o, o.flush, true)) != CLI_OK)
		return rc;
	struct kerr e = {0};
	kstatus st = K_OK;
	if (!o.flush) {
		long pulled = cli_relay_pull(o.cmd, s.run.journal, &s.run.profile, o.verbose);
		if (pulled >= 0)
			printf(_("kassa-relay: connected, %ld callback(s) pulled\n"), pulled);
		cli_listener_print_health(s.run.journal_path); /* issue 11: listener health */
		static const enum journal_state waits[] = {JS_QUEUED, JS_SENDING, JS_ACCEPTED,
							   JS_PROVIDER_RETRY};
		int64_t total = 0;
		for (size_t i = 0; i < sizeof waits / sizeof waits[0] && st == K_OK; i++) {
			struct journal_filter f = {.by_state = true, .state = waits[i]};
			int64_t n = 0;
			st = journal_count(s.run.journal, &f, &n, &e);
			if (st == K_OK && n > 0) {
				printf("%s (%" PRId64 "):\n", _(journal_state_label(waits[i])), n);
				st = journal_list(s.run.journal, &f, -1, 0, on_print_waiting, NULL,
						  &e);
			}
			total += n;
		}
		if (st == K_OK && total == 0)
			printf("%s\n", _("the outbox is empty: every document has its answer"));
		rc = st == K_OK ? CLI_OK : cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		cli_session_close(&s);
		return rc;
	}
	/* outbox_new already put documents left in sending back into the queue. */
	struct cli_waiting w = {.profile = s.run.profile.name};
	struct journal_filter f = {.by_state = true, .state = JS_QUEUED};
	st = journal_list(s.run.journal, &f, -1, 0, cli_waiting_collect, &w, &e);
	if (st != K_OK) {
		rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
		cli_session_close(&s);
		return rc;
	}
	if (w.n == 0) {
		printf(_("nothing waits to be sent for profile %s\n"), s.run.profile.name);
		cli_session_close(&s);
		return CLI_OK;
	}
	printf(_("sending %zu document(s) now...\n"), w.n);
	outbox_flush(s.run.outbox);
	long timeout = o.timeout_s ? o.timeout_s : FLUSH_TIMEOUT_S;
	bool done = cli_session_run_until(&s, flush_done, &w, timeout);
	rc = CLI_OK;
	for (size_t i = 0; i < w.n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(s.run.journal, w.ids[i], &d, &e) != K_OK) {
			rc = cli_error(o.cmd, CLI_JOURNAL, "%s", e.text);
			continue;
		}
		cli_print_outcome(&d);
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
	cli_session_close(&s);
	return rc;
}
