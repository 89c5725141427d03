/*
 * kassa-sandbox: the LifePay cloud-print and PayKeeper emulator as a
 * standalone server. Prints one line "listening on http://ADDR:PORT" once it
 * accepts connections, runs until SIGINT or SIGTERM, then shuts down cleanly.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox/sandbox.h"

static void usage(FILE *out)
{
	fputs("usage: kassa-sandbox [options]\n"
	      "  --listen ADDR:PORT   address to listen on (default 127.0.0.1:8080; port 0 picks\n"
	      "                       a free one; [::1]:PORT for IPv6)\n"
	      "  --accounts FILE      accounts INI (default: login 70000000000, apikey\n"
	      "                       sandbox-apikey, printers SANDBOX-0001/0002; PayKeeper\n"
	      "                       user sandbox, password sandbox, secret sandbox-secret)\n"
	      "  --db FILE            keep documents and shifts in this SQLite file\n"
	      "  --memory             keep state in memory only (the default)\n"
	      "  --faults SPEC        e.g. http500=0.2,drop=0.1,stall=0.05:3,callback_fail=0.3,\n"
	      "                       error=0.05 (probabilities 0..1; stall seconds)\n"
	      "  --seed N             seed for fault decisions (a run can be replayed)\n"
	      "  --time-scale F       multiply every delay by F (0.01 = 100 times faster)\n"
	      "  --callback-delay MS  delay before a document is final (default 1000)\n"
	      "  --strict             refuse what real integrations send but a careful client\n"
	      "                       should not (unknown fields, 1.0000, integer ids, `vat`)\n"
	      "  --callback-ca FILE   trust this PEM CA for https callback URLs instead of the\n"
	      "                       system's (a till with a certificate from a private CA)\n"
	      "  --quiet              no request log on stderr\n"
	      "  --help               this text\n"
	      "Admin endpoints and formats: docs/SANDBOX.md\n",
	      out);
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static int fail(const char *msg)
{
	fprintf(stderr, "kassa-sandbox: %s\n", msg);
	return 2;
}

static bool parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	if (!s || !*s || *s == '-')
		return false;
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !end || *end || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	struct sandbox_options opt = {.listen = "127.0.0.1:8080", .log = stderr};
	bool memory = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(a, "--memory") == 0) {
			memory = true;
			continue;
		}
		if (strcmp(a, "--strict") == 0) {
			opt.strict = true;
			continue;
		}
		if (strcmp(a, "--quiet") == 0) {
			opt.log = NULL;
			continue;
		}
		bool takes = strcmp(a, "--listen") == 0 || strcmp(a, "--accounts") == 0 ||
			     strcmp(a, "--db") == 0 || strcmp(a, "--faults") == 0 ||
			     strcmp(a, "--seed") == 0 || strcmp(a, "--time-scale") == 0 ||
			     strcmp(a, "--callback-delay") == 0 || strcmp(a, "--callback-ca") == 0;
		if (!takes) {
			fprintf(stderr, "kassa-sandbox: unknown option %s; see --help\n", a);
			return 2;
		}
		if (!v) {
			fprintf(stderr, "kassa-sandbox: %s needs a value; see --help\n", a);
			return 2;
		}
		i++;
		unsigned long long n;
		if (strcmp(a, "--listen") == 0) {
			opt.listen = v;
		} else if (strcmp(a, "--accounts") == 0) {
			opt.accounts_path = v;
		} else if (strcmp(a, "--callback-ca") == 0) {
			/* Checked now: a typo would otherwise show only as failing callbacks. */
			FILE *f = fopen(v, "r");
			if (!f) {
				fprintf(
				    stderr,
				    "kassa-sandbox: --callback-ca: cannot read %s: %s; give the "
				    "PEM file of the CA that signed the till's certificate\n",
				    v, strerror(errno));
				return 2;
			}
			fclose(f);
			opt.callback_ca = v;
		} else if (strcmp(a, "--db") == 0) {
			opt.db_path = v;
		} else if (strcmp(a, "--faults") == 0) {
			opt.faults = v;
		} else if (strcmp(a, "--seed") == 0) {
			if (!parse_ull(v, UINT64_MAX, &n))
				return fail("--seed needs a whole number such as 42");
			opt.seed = n;
			opt.seed_set = true;
		} else if (strcmp(a, "--callback-delay") == 0) {
			if (!parse_ull(v, 86400000ULL, &n) || n == 0)
				return fail(
				    "--callback-delay needs milliseconds from 1 to 86400000");
			opt.callback_delay_ms = (long long)n;
		} else {
			struct kerr e = {0};
			if (sandbox_time_scale_parse(v, &opt.time_scale, &e) != K_OK)
				return fail(e.text);
		}
	}
	if (memory && opt.db_path)
		return fail("--memory and --db exclude each other; choose one");

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Block the signals in every thread the sandbox starts; only sigsuspend takes them. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	struct kerr e = {0};
	struct sandbox *sb = sandbox_start(&opt, &e);
	if (!sb) {
		char buf[512];
		fprintf(stderr, "kassa-sandbox: %s\n", kerr_str(&e, buf, sizeof buf));
		return 1;
	}
	const char *host = opt.listen;
	const char *colon = strrchr(host, ':');
	printf("listening on http://%.*s:%d\n", (int)(colon ? colon - host : 0), host,
	       sandbox_port(sb));
	fflush(stdout);

	sigset_t wait = old;
	sigdelset(&wait, SIGINT);
	sigdelset(&wait, SIGTERM);
	while (!got_signal)
		sigsuspend(&wait);
	if (opt.log)
		fprintf(opt.log, "kassa-sandbox: signal %d, shutting down\n", (int)got_signal);
	sandbox_stop(sb);
	return 0;
}
