/*
 * The listener's health in a small file beside the journal, so that another
 * process (`kassa outbox`) can say whether the listener of the kassa that
 * sends from this journal is serving. Lines of key=value; written to a
 * temporary file and renamed over the old one, so a reader never sees half.
 */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const words[] = {
    [LISTENER_OFF] = "off",
    [LISTENER_LISTENING] = "listening",
    [LISTENER_FAILED] = "failed",
    [LISTENER_DEGRADED] = "degraded",
};

const char *listener_status_word(enum listener_status s)
{
	return (unsigned)s < sizeof words / sizeof words[0] && words[s] ? words[s] : "off";
}

kstatus listener_health_save(const char *path, const struct listener_health *h, struct kerr *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return kerr_set(err, K_INVALID, "health", "the path %s is too long", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kerr_set(err, K_IO, "health", "cannot write %s: %s", tmp, strerror(errno));
	char buf[512];
	/* The reason is one line: a newline in it would start a key of its own. */
	char reason[sizeof h->reason];
	str_copy(reason, h->reason, sizeof reason);
	for (char *p = reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	int n = snprintf(buf, sizeof buf,
			 "pid=%ld\nwritten_ms=%lld\nstate=%s\nport=%u\nconnections=%u\n"
			 "max_connections=%u\nreason=%s\n",
			 (long)getpid(), now_ms(), listener_status_word(h->status), h->port,
			 h->connections, h->max_connections, reason);
	bool ok = n > 0 && (size_t)n < sizeof buf && write(fd, buf, (size_t)n) == n;
	int e = errno;
	close(fd);
	if (!ok || rename(tmp, path) != 0) {
		if (ok)
			e = errno;
		unlink(tmp);
		return kerr_set(err, K_IO, "health", "cannot write %s: %s", path, strerror(e));
	}
	return K_OK;
}

kstatus listener_health_load(const char *path, struct listener_health *h, long long *age_ms,
			     long *pid, struct kerr *err)
{
	memset(h, 0, sizeof *h);
	h->status = LISTENER_OFF;
	if (age_ms)
		*age_ms = 0;
	if (pid)
		*pid = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return K_NOTFOUND;
		return kerr_set(err, K_IO, "health", "cannot read %s: %s", path, strerror(errno));
	}
	char buf[1024];
	ssize_t r = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (r < 0)
		return kerr_set(err, K_IO, "health", "cannot read %s: %s", path, strerror(errno));
	buf[r] = '\0';
	long long written = 0;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		const char *v = eq + 1;
		if (strcmp(line, "pid") == 0 && pid)
			*pid = strtol(v, NULL, 10);
		else if (strcmp(line, "written_ms") == 0)
			written = strtoll(v, NULL, 10);
		else if (strcmp(line, "port") == 0)
			h->port = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "connections") == 0)
			h->connections = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "max_connections") == 0)
			h->max_connections = (unsigned)strtoul(v, NULL, 10);
		else if (strcmp(line, "reason") == 0)
			str_copy(h->reason, v, sizeof h->reason);
		else if (strcmp(line, "state") == 0)
			for (unsigned i = 0; i < sizeof words / sizeof words[0]; i++)
				if (words[i] && strcmp(v, words[i]) == 0)
					h->status = (enum listener_status)i;
	}
	if (age_ms)
		*age_ms = written ? now_ms() - written : -1;
	return K_OK;
}
