/*
 * `kassa outbox --flush` while another kassa (the cashier's screen) sends
 * from the same journal. Only one process may send from a journal (the
 * flock on "<journal>.lock", lib/journal.c, which writes its pid there), so
 * this one asks the holder instead: SIGUSR1, which the screen takes as its
 * send-now key. The signal goes only to a process that holds the lock AND
 * catches SIGUSR1 (/proc/PID/status, SigCgt): a command such as
 * `kassa receipt --wait` or an older kassa would die of it, and is named
 * instead. Then the journal, which SQLite lets us read beside the sender,
 * tells what became of each document.
 */
#include "cli_flush.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "util.h"

/*
 * Who holds the journal's sender lock: 1 with *pid (0 when it wrote none),
 * 0 when nobody does, -1 with err when the lock file cannot be checked.
 */
static int lock_holder(const char *journal_path, long *pid, char *err, size_t n)
{
	char path[4200];
	*pid = 0;
	if (snprintf(path, sizeof path, "%s.lock", journal_path) >= (int)sizeof path) {
		snprintf(err, n, "%s", _("the journal's path is too long"));
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0; /* no lock file: no kassa has sent from this journal yet */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
		close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		snprintf(err, n, _("cannot check the lock %s: %s"), path, strerror(errno));
		close(fd);
		return -1;
	}
	char raw[24] = "";
	ssize_t r = pread(fd, raw, sizeof raw - 1, 0);
	close(fd);
	long v = 0;
	for (ssize_t i = 0; i < r && raw[i] >= '0' && raw[i] <= '9' && v < 100000000; i++)
		v = v * 10 + (raw[i] - '0');
	*pid = v;
	return 1;
}

/* Whether process pid catches SIGUSR1 (Linux /proc); -1 when it cannot be told. */
static int catches_usr1(long pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%ld/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int res = -1;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "SigCgt:", 7) != 0)
			continue;
		char *end;
		unsigned long long mask = strtoull(line + 7, &end, 16);
		res = (mask >> (SIGUSR1 - 1)) & 1 ? 1 : 0;
		break;
	}
	fclose(f);
	return res;
}

bool cli_waiting_collect(const struct journal_doc *d, void *cls)
{
	struct cli_waiting *w = cls;
	if (w->profile && strcmp(d->profile, w->profile) != 0)
		return true;
	w->ids = xrealloc(w->ids, (w->n + 1) * sizeof *w->ids);
	w->attempts = xrealloc(w->attempts, (w->n + 1) * sizeof *w->attempts);
	w->ids[w->n] = d->id;
	w->attempts[w->n] = d->attempts;
	w->n++;
	return true;
}

/* Each document has an answer: final, accepted, or queued again after a new attempt. */
static bool all_answered(struct journal *j, const struct cli_waiting *w)
{
	for (size_t i = 0; i < w->n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(j, w->ids[i], &d, NULL) != K_OK)
			continue;
		bool done = (d.state != JS_QUEUED && d.state != JS_SENDING) ||
			    (d.state == JS_QUEUED && d.attempts > w->attempts[i]);
		journal_doc_free(&d);
		if (!done)
			return false;
	}
	return true;
}

int cli_flush_remote(struct journal *j, const char *journal_path, const char *profile,
		     long timeout_s, void (*print_outcome)(const struct journal_doc *d), int *rc)
{
	char err[512] = "";
	long pid = 0;
	int held = lock_holder(journal_path, &pid, err, sizeof err);
	if (held == 0)
		return 0;
	if (held < 0) {
		*rc = cli_error("outbox", CLI_JOURNAL, "%s", err);
		return 1;
	}
	if (pid <= 1 || pid == (long)getpid()) {
		*rc = cli_error(
		    "outbox", CLI_JOURNAL,
		    _("journal %s is in use by another kassa that did not write its "
		      "process id; press C-s in that kassa's screen to send now, or close "
		      "it and run kassa outbox --flush again"),
		    journal_path);
		return 1;
	}
	int catches = catches_usr1(pid);
	if (catches <= 0) {
		*rc = cli_error(
		    "outbox", CLI_JOURNAL,
		    catches == 0
			? _("journal %s is in use by kassa process %ld, which cannot take a "
			    "request "
			    "to send (a command such as `kassa receipt --wait`, or an older "
			    "kassa); "
			    "wait until it ends and run kassa outbox --flush again")
			: _("journal %s is in use by kassa process %ld, which cannot be asked to "
			    "send "
			    "(its /proc entry cannot be read); press C-s in that kassa's screen"),
		    journal_path, pid);
		return 1;
	}
	struct cli_waiting w = {.profile = profile};
	struct kerr e = {0};
	struct journal_filter f = {.by_state = true, .state = JS_QUEUED};
	if (journal_list(j, &f, -1, 0, cli_waiting_collect, &w, &e) != K_OK) {
		*rc = cli_error("outbox", CLI_JOURNAL, "%s", e.text);
		return 1;
	}
	if (w.n == 0) {
		printf(_("nothing waits to be sent for profile %s (the kassa running as process "
			 "%ld sends from this journal)\n"),
		       profile, pid);
		*rc = CLI_OK;
		return 1;
	}
	if (kill((pid_t)pid, SIGUSR1) != 0) {
		*rc =
		    cli_error("outbox", CLI_JOURNAL, _("cannot ask kassa process %ld to send: %s"),
			      pid, strerror(errno));
		free(w.ids);
		free(w.attempts);
		return 1;
	}
	printf(_("asked the running kassa (process %ld) to send %zu document(s) now...\n"), pid,
	       w.n);
	fflush(stdout);
	long long end = mono_ms() + (long long)timeout_s * 1000;
	bool done;
	while (!(done = all_answered(j, &w)) && mono_ms() < end) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	*rc = CLI_OK;
	for (size_t i = 0; i < w.n; i++) {
		struct journal_doc d;
		memset(&d, 0, sizeof d);
		if (journal_get(j, w.ids[i], &d, NULL) != K_OK)
			continue;
		print_outcome(&d);
		if (d.state == JS_QUEUED || d.state == JS_SENDING || d.state == JS_REJECTED ||
		    d.state == JS_FAILED)
			*rc = CLI_FAILED;
		journal_doc_free(&d);
	}
	if (!done)
		fprintf(stderr, _("kassa outbox: not every document had an answer within %ld s\n"),
			timeout_s);
	free(w.ids);
	free(w.attempts);
	return 1;
}
