/*
 * Numeric listen addresses, shared by the callback listener, kassa-relay and
 * the sandbox: one parser, one bind, one way to print a peer.
 */
#ifndef KASSA_NETADDR_H
#define KASSA_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "status.h"

/* Parses "host:port", "[v6]:port" or ":port" (host "" or "*" = any IPv4,
 * "localhost" = 127.0.0.1); numeric only, so no name lookup can stall us.
 * field names the setting in errors, example is a good value for it. */
kstatus netaddr_parse(const char *where, const char *field, const char *example,
		      struct sockaddr_storage *ss, socklen_t *len, struct kerr *err);

/* The port of an AF_INET or AF_INET6 address. */
unsigned netaddr_port(const struct sockaddr_storage *ss);

/* Sets the port of an AF_INET or AF_INET6 address. */
void netaddr_set_port(struct sockaddr_storage *ss, unsigned port);

/* Opens a non-blocking listen socket on ss (where names it in errors) and
 * stores the port it got in *port; -1 with err filled when it cannot. */
int netaddr_listen(const struct sockaddr_storage *ss, socklen_t len, const char *where,
		   const char *field, int backlog, unsigned *port, struct kerr *err);

/* Writes the IP address of sa as text (empty for other families). */
void netaddr_text(const struct sockaddr *sa, char *out, size_t n);

#endif
