/* Chooses the store from the --db value. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

static bool store_is_pg(const char *spec)
{
	return strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0;
}

struct store *store_open(const char *spec, struct loop *l, struct kerr *err)
{
	if (!spec || !*spec) {
		kerr_set(err, K_INVALID, "--db",
			 _("no database given; use --db sqlite:PATH or --db postgresql://..."));
		return NULL;
	}
	if (strncmp(spec, "sqlite:", 7) == 0)
		return store_sqlite_open(spec + 7, err);
	if (store_is_pg(spec)) {
#ifdef KASSA_RELAY_PG
		return store_pg_open(spec, l, err);
#else
		kerr_set(err, K_INVALID, "--db",
			 _("this kassa-relay was built without PostgreSQL; install libpq-dev and "
			   "rebuild, or use --db sqlite:PATH"));
		return NULL;
#endif
	}
	kerr_set(err, K_INVALID, "--db",
		 _("\"%.40s\" is neither sqlite:PATH nor postgresql://...; use e.g. "
		   "--db sqlite:relay.db"),
		 spec);
	return NULL;
}

void store_describe(const char *spec, char *out, size_t n)
{
	if (!spec) {
		snprintf(out, n, "(none)");
		return;
	}
	if (!store_is_pg(spec)) {
		snprintf(out, n, "%s", spec);
		return;
	}
	/* postgresql://user:password@host/db: keep the scheme, user, host and
	 * database, mask the password and drop the query (it may hold one). */
	const char *rest = strstr(spec, "://") + 3;
	const char *at = strchr(rest, '@');
	const char *q = strchr(rest, '?');
	if (at && q && q < at)
		at = NULL;
	const char *host = at ? at + 1 : rest;
	size_t hlen = q && q > host ? (size_t)(q - host) : strlen(host);
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		size_t ulen = colon ? (size_t)(colon - rest) : (size_t)(at - rest);
		snprintf(out, n, "%.*s%.*s%s@%.*s", (int)(rest - spec), spec, (int)ulen, rest,
			 colon ? ":***" : "", (int)hlen, host);
	} else {
		snprintf(out, n, "%.*s%.*s", (int)(rest - spec), spec, (int)hlen, host);
	}
}

void store_fetch_clear(struct store_fetch *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->updates[i].content_type);
		free(f->updates[i].body);
	}
	free(f->updates);
	f->updates = NULL;
	f->n = 0;
}

int store_claim(const char *spec, struct kerr *err)
{
	if (!spec || strncmp(spec, "sqlite:", 7) != 0 || !spec[7])
		return -2;
	char path[4096];
	if (snprintf(path, sizeof path, "%s.lock", spec + 7) >= (int)sizeof path) {
		kerr_set(err, K_INVALID, "--db", _("the database path is too long"));
		return -1;
	}
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		kerr_set(err, K_IO, "--db",
			 _("cannot create the lock file %s: %s; check that the database's folder "
			   "is writable"),
			 path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		char pid[32] = "";
		ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			kerr_set(
			    err, K_EXISTS, "--db",
			    _("another kassa-relay (pid %s) already serves %s: one SQLite file "
			      "serves one relay; stop that one first, or use PostgreSQL (--db "
			      "postgresql://...) for several"),
			    pid[0] ? pid : "?", spec + 7);
		else
			kerr_set(err, K_IO, "--db", _("cannot lock %s: %s"), path, strerror(e));
		return -1;
	}
	char pid[32];
	int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* The pid is for the message only; the lock is what counts. */
	}
	return fd;
}
