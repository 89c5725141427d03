/*
 * kassa-relay: takes provider callbacks for tills behind NAT and hands them
 * to the tills when they pull (docs/RELAY.md).
 *   kassa-relay --listen ADDR:PORT --db sqlite:PATH|postgresql://... --tills FILE
 *   kassa-relay add-till NAME --tills FILE
 *   kassa-relay status --db ... --tills FILE
 */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"
#include "store.h"
#include "tills.h"
#include "i18n.h"
#include "util.h"

static void usage(FILE *out)
{
	fputs(_("usage: kassa-relay --listen ADDR:PORT --db sqlite:PATH|postgresql://...\n"
		"                   --tills FILE [options]\n"
		"       kassa-relay add-till NAME --tills FILE\n"
		"       kassa-relay status --db ... --tills FILE\n"
		"options:\n"
		"  --public-url URL       the address providers and tills use (https://...)\n"
		"  --tls-cert F --tls-key F  serve HTTPS with this PEM certificate and key\n"
		"  --retention-days N     keep acknowledged callbacks N days (default 7)\n"
		"  --max-connections N    open connections at most (default 12000; at most\n"
		"                         ulimit -n minus 64)\n"
		"  --per-ip-limit N|off   connections from one address at most (default 64)\n"
		"  --timeout S            seconds a request may take to arrive whole, headers\n"
		"                         and body (default 60)\n"
		"The tills file (mode 0600) has [till.NAME] sections with token = ...,\n"
		"and [account.NAME] sections with key = ... and tills = NAME ... for\n"
		"PayKeeper. Protocol and set-up: docs/RELAY.md\n"),
	      out);
}

static int fail(const struct kerr *e)
{
	char buf[512];
	fprintf(stderr, "kassa-relay: %s\n", kerr_str(e, buf, sizeof buf));
	return 1;
}

static int bad_usage(const char *msg, const char *what)
{
	fprintf(stderr, _("kassa-relay: %s%s; see kassa-relay --help\n"), msg, what ? what : "");
	return 2;
}

struct args {
	const char *cmd; /* "serve", "add-till", "status" */
	const char *name;
	const char *listen, *db, *tills, *public_url, *tls_cert, *tls_key;
	unsigned long long retention_days, max_conn, per_ip, timeout;
	bool per_ip_off;
};

static bool parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	if (!s || *s < '0' || *s > '9')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->cmd = "serve";
	int i = 1;
	if (argc > 1 && (strcmp(argv[1], "add-till") == 0 || strcmp(argv[1], "status") == 0)) {
		a->cmd = argv[1];
		i = 2;
		if (strcmp(a->cmd, "add-till") == 0) {
			if (argc < 3 || argv[2][0] == '-')
				return bad_usage(_("add-till needs a NAME"), NULL);
			a->name = argv[2];
			i = 3;
		}
	}
	for (; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			usage(stdout);
			return -1;
		}
		if (strcmp(o, "--version") == 0) {
			printf("kassa-relay %s\n", KASSA_VERSION);
			return -1;
		}
		if (i + 1 >= argc)
			return bad_usage(_("unknown option or missing value: "), o);
		const char *v = argv[++i];
		const char **str = strcmp(o, "--listen") == 0	    ? &a->listen
				   : strcmp(o, "--db") == 0	    ? &a->db
				   : strcmp(o, "--tills") == 0	    ? &a->tills
				   : strcmp(o, "--public-url") == 0 ? &a->public_url
				   : strcmp(o, "--tls-cert") == 0   ? &a->tls_cert
				   : strcmp(o, "--tls-key") == 0    ? &a->tls_key
								    : NULL;
		if (str) {
			*str = v;
			continue;
		}
		if (strcmp(o, "--per-ip-limit") == 0 && strcmp(v, "off") == 0) {
			a->per_ip_off = true;
			continue;
		}
		unsigned long long *num = strcmp(o, "--retention-days") == 0	? &a->retention_days
					  : strcmp(o, "--max-connections") == 0 ? &a->max_conn
					  : strcmp(o, "--per-ip-limit") == 0	? &a->per_ip
					  : strcmp(o, "--timeout") == 0		? &a->timeout
										: NULL;
		if (!num)
			return bad_usage(_("unknown option "), o);
		if (!parse_ull(v, 1000000, num) || *num == 0)
			return bad_usage(_("needs a whole number from 1 to 1000000: "), o);
	}
	if (!a->tills)
		return bad_usage(_("--tills FILE is required"), NULL);
	if (strcmp(a->cmd, "add-till") != 0 && !a->db)
		return bad_usage(_("--db sqlite:PATH or --db postgresql://... is required"), NULL);
	if (strcmp(a->cmd, "serve") == 0 && !a->listen)
		return bad_usage(_("--listen ADDR:PORT is required (e.g. 127.0.0.1:8088)"), NULL);
	return 0;
}

static int cmd_add_till(const struct args *a)
{
	char token[128];
	struct kerr e = {0};
	if (tills_add(a->tills, a->name, token, sizeof token, &e) != K_OK)
		return fail(&e);
	/* The one time the token is shown: it goes to stdout for the person
	 * setting up the till, never to a log. */
	printf(_("till %s added to %s\n"
		 "relay_token = %s\n"
		 "Put relay_url and this relay_token in the till's profile; the token is not\n"
		 "shown again. A running kassa-relay loads the new till at its first pull\n"
		 "(or at once on `kill -HUP`); no restart is needed.\n"),
	       a->name, a->tills, token);
	explicit_bzero(token, sizeof token);
	return 0;
}

static void fmt_time(long long ms, char *out, size_t n)
{
	if (ms <= 0) {
		snprintf(out, n, "never");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int cmd_status(const struct args *a)
{
	struct kerr e = {0};
	struct tills *t = NULL;
	if (tills_load(a->tills, &t, &e) != K_OK)
		return fail(&e);
	struct store *s = store_open(a->db, NULL, &e);
	if (!s) {
		tills_free(t);
		return fail(&e);
	}
	char desc[256];
	store_describe(a->db, desc, sizeof desc);
	printf("relay database %s, %zu tills\n", desc, tills_count(t));
	printf("%-24s %-21s %8s %10s  %s\n", "till", "last pull", "waiting", "delivered",
	       "last callback");
	int rc = 0;
	for (size_t i = 0; i < tills_count(t); i++) {
		struct till *tl = tills_at(t, i);
		struct store_till_status ts;
		if (s->ops->till_status(s, tl->name, &ts, &e) != K_OK) {
			rc = fail(&e);
			break;
		}
		char pull[32], cb[32];
		fmt_time(ts.last_pull_ms, pull, sizeof pull);
		fmt_time(ts.last_callback_ms, cb, sizeof cb);
		printf("%-24s %-21s %8lld %10lld  %s\n", tl->name, pull,
		       (long long)(ts.last - ts.acked), (long long)ts.acked, cb);
	}
	s->ops->close(s);
	tills_free(t);
	return rc;
}

static void on_quit_signal(struct loop *l, int signo, void *cls)
{
	loop_quit(l);
}

/* From the loop (a self-pipe), never inside the handler. */
static void on_hup_signal(struct loop *l, int signo, void *cls)
{
	relay_reload_tills(cls, "SIGHUP");
}

/* 10,000 waiting tills need 10,000 descriptors: take what the system allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int cmd_serve(const struct args *a)
{
	struct kerr e = {0};
	struct tills *t = NULL;
	if (tills_load(a->tills, &t, &e) != K_OK)
		return fail(&e);
	/* Held (left open) until the process ends; the kernel drops it even on SIGKILL. */
	int claim = store_claim(a->db, &e);
	if (claim == -1) {
		tills_free(t);
		return fail(&e);
	}
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);
	struct loop *l = loop_new();
	struct store *s = store_open(a->db, l, &e);
	if (!s) {
		tills_free(t);
		loop_free(l);
		return fail(&e);
	}
	size_t n = tills_count(t);
	const char **names = xcalloc(n ? n : 1, sizeof *names);
	for (size_t i = 0; i < n; i++)
		names[i] = tills_at(t, i)->name;
	kstatus st = s->ops->add_tills(s, names, n, &e);
	free(names);
	struct relay *r = NULL;
	if (st == K_OK) {
		struct relay_options o = {
		    .listen = a->listen,
		    .tills_path = a->tills,
		    .public_url = a->public_url,
		    .tls_cert = a->tls_cert,
		    .tls_key = a->tls_key,
		    .max_connections = (unsigned)a->max_conn,
		    .per_ip_limit = a->per_ip_off ? UINT_MAX : (unsigned)a->per_ip,
		    .timeout_s = (unsigned)a->timeout,
		    .retention_ms = (long long)a->retention_days * 24 * 3600 * 1000,
		};
		r = relay_start(l, s, t, &o, &e);
	}
	if (!r) {
		s->ops->close(s);
		tills_free(t);
		loop_free(l);
		return fail(&e);
	}
	const char *host = a->listen;
	const char *colon = strrchr(host, ':');
	int hlen = (int)(colon - host);
	char desc[256];
	store_describe(a->db, desc, sizeof desc);
	fprintf(stderr, "kassa-relay: %zu tills, database %s\n", n, desc);
	/* The relay owns the tills now (it may replace them on reload). */
	t = NULL;
	/* Before the ready line: a SIGHUP right after it must not kill us. */
	loop_watch_signal(l, SIGINT, on_quit_signal, NULL);
	loop_watch_signal(l, SIGTERM, on_quit_signal, NULL);
	loop_watch_signal(l, SIGHUP, on_hup_signal, r);
	printf("listening on %s://%.*s:%u\n", a->tls_cert ? "https" : "http", hlen ? hlen : 7,
	       hlen ? host : "0.0.0.0", relay_port(r));
	fflush(stdout);
	loop_run(l);
	relay_stop(r);
	s->ops->close(s);
	tills_free(t);
	loop_free(l);
	return 0;
}

/* Messages in the user's language; from a meson build tree, its fresh catalogs. */
static void relay_i18n_init(void)
{
	setlocale(LC_ALL, "");
	const char *dir = getenv("KASSA_LOCALEDIR");
	char buf[1100];
	if (!dir || !*dir) {
		char exe[1024], probe[1100];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		exe[n > 0 ? n : 0] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		snprintf(probe, sizeof probe, "%s/../build.ninja", exe);
		if (exe[0] && access(probe, R_OK) == 0) {
			snprintf(buf, sizeof buf, "%s/../po", exe);
			dir = buf;
		} else {
			dir = LOCALEDIR;
		}
	}
	bindtextdomain(GETTEXT_PACKAGE, dir);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
}

int main(int argc, char **argv)
{
	relay_i18n_init();
	struct args a;
	int rc = parse_args(argc, argv, &a);
	if (rc < 0)
		return 0;
	if (rc > 0)
		return rc;
	if (strcmp(a.cmd, "add-till") == 0)
		return cmd_add_till(&a);
	if (strcmp(a.cmd, "status") == 0)
		return cmd_status(&a);
	return cmd_serve(&a);
}
