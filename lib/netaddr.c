/*
 * Listen addresses: written once for the callback listener, kassa-relay and
 * the sandbox, which each had their own copy.
 */
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

/* Splits "host:port" or "[v6]:port"; host gets the part before the port. */
static kstatus netaddr_split(const char *where, const char *field, const char *example, char *host,
			     size_t n, long *port, struct kerr *err)
{
	const char *colon;
	if (where[0] == '[') {
		const char *close_br = strchr(where, ']');
		if (!close_br || close_br[1] != ':' || (size_t)(close_br - where - 1) >= n)
			return kerr_set(err, K_INVALID, field,
					_("\"%s\" is not [IPv6]:PORT, e.g. [::1]:8443"), where);
		memcpy(host, where + 1, (size_t)(close_br - where - 1));
		host[close_br - where - 1] = '\0';
		colon = close_br + 1;
	} else {
		colon = strrchr(where, ':');
		if (!colon || (size_t)(colon - where) >= n)
			return kerr_set(err, K_INVALID, field,
					_("\"%s\" is not ADDR:PORT, e.g. %s"), where, example);
		memcpy(host, where, (size_t)(colon - where));
		host[colon - where] = '\0';
	}
	char *end;
	errno = 0;
	*port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || *port < 0 || *port > 65535)
		return kerr_set(err, K_INVALID, field,
				_("the port in \"%s\" must be a number from 0 to 65535"), where);
	return K_OK;
}

kstatus netaddr_parse(const char *where, const char *field, const char *example,
		      struct sockaddr_storage *ss, socklen_t *len, struct kerr *err)
{
	if (!where || !*where)
		return kerr_set(err, K_INVALID, field,
				_("no listen address; use ADDR:PORT, e.g. %s"), example);
	char host[INET6_ADDRSTRLEN + 2];
	long port = 0;
	kstatus st = netaddr_split(where, field, example, host, sizeof host, &port, err);
	if (st != K_OK)
		return st;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || strcmp(host, "*") == 0) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "localhost") == 0) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
	} else {
		return kerr_set(err, K_INVALID, field,
				_("\"%s\" is not an IP address; use e.g. 0.0.0.0 or 127.0.0.1"),
				host);
	}
	netaddr_set_port(ss, (unsigned)port);
	*len = ss->ss_family == AF_INET ? sizeof *v4 : sizeof *v6;
	return K_OK;
}

unsigned netaddr_port(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port)
					 : ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

void netaddr_set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
}

int netaddr_listen(const struct sockaddr_storage *ss, socklen_t len, const char *where,
		   const char *field, int backlog, unsigned *port, struct kerr *err)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		kerr_set(err, K_IO, field, _("cannot create a socket: %s"), strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (const struct sockaddr *)ss, len) != 0 || listen(fd, backlog) != 0) {
		int e = errno;
		close(fd);
		kerr_set(err, K_IO, field, _("cannot listen on %s: %s%s"), where, strerror(e),
			 e == EADDRINUSE ? _(" (another program uses this port: pick another)")
			 : e == EACCES	 ? _(" (ports below 1024 need privileges: pick another)")
					 : "");
		return -1;
	}
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;
	*port = getsockname(fd, (struct sockaddr *)&got, &glen) == 0 ? netaddr_port(&got)
								     : netaddr_port(ss);
	return fd;
}

void netaddr_text(const struct sockaddr *sa, char *out, size_t n)
{
	out[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)n);
}
