/*
 * What keeps kassa-relay serving on a hostile network (the rules of kassa's
 * own listener, lib/listener_guard.c, for the relay's HTTP server): we accept
 * from the listen socket ourselves and hand each socket to MHD; every request
 * gets a whole-request deadline (headers and body, not an idle timer that a
 * trickled byte resets); when the slots run short the connection waiting
 * longest for a whole request is shed, so a complete request always gets in.
 * A connection whose whole request arrived (a suspended long-poll, a callback
 * being committed) is busy and never shed.
 */
#ifndef KASSA_RELAY_HTTP_GUARD_H
#define KASSA_RELAY_HTTP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "conn_table.h"
#include "loop.h"

struct hguard {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	void (*run)(void *cls); /* runs MHD */
	void *cls;
	int listen_fd, spare_fd;
	bool paused; /* out of descriptors: the listen socket rests a tick */
	uint64_t timer;
	unsigned max_connections, per_ip; /* per_ip 0: no cap */
	long long deadline_ms;
	struct conn_table conns; /* all MHD knows of, oldest first */
	unsigned long long shed, timed_out, refused;
	long long said_ms; /* when the last warning went to stderr */
};

/* The largest --max-connections the open-file limit allows (the limit minus
 * a reserve for the database, files and the listen socket); *capped tells
 * whether want was lowered. */
unsigned hguard_fd_cap(unsigned want, bool *capped, unsigned long long *nofile);

/* Starts accepting from listen_fd (ours from now on) for mhd, which was
 * started with MHD_USE_NO_LISTEN_SOCKET and hguard_notify as its
 * MHD_OPTION_NOTIFY_CONNECTION (cls g). */
void hguard_start(struct hguard *g, int listen_fd);
void hguard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe);
/* The whole request arrived (busy) or its answer was sent (not busy: the
 * next request's deadline starts now). */
void hguard_busy(struct MHD_Connection *mc, bool busy);
/* Stops accepting and closes the listen socket. */
void hguard_stop(struct hguard *g);

#endif
