/*
 * Inside the callback listener: shared by listener.c (HTTP, routing,
 * answers) and listener_guard.c (the listen socket, accepting, the
 * connection table, caps, deadlines, shedding, recovery, health).
 * Not for use outside these two files.
 */
#ifndef KASSA_LISTENER_INT_H
#define KASSA_LISTENER_INT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conn_table.h"
#include "listener.h"
#include "mhd_loop.h"

/* One accepted connection, from MHD's "started" notice to its "closed" one. */
struct listener {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	struct mhd_loop glue; /* listener_answer() kicks it to run MHD at once */
	char token[LISTENER_TOKEN_LEN + 1];
	size_t body_limit;
	unsigned port;
	listener_cb on_callback;
	void *cls;
	enum listener_status status;
	char failure[160];
	struct listener_stats stats;
	bool tls; /* HTTPS (listen_cert, listen_key) */

	/* the listen socket: ours, not MHD's, so it can never drop out of the loop */
	int listen_fd;
	int spare_fd; /* /dev/null, given up to accept() once when out of descriptors */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char where[96];
	bool paused;	   /* listen fd unwatched for a moment (out of descriptors) */
	uint64_t guard;	   /* deadlines, watchdog, re-creation */
	long long checked; /* last watchdog check (mono ms) */

	/* the connection table and its limits */
	struct conn_table conns; /* every connection MHD knows of, oldest first */
	unsigned max_connections;
	unsigned per_ip;
	long long deadline_ms;

	/* health: degraded while something was refused, shed or repaired recently */
	long long degraded_until;
	char reason[160];
	char *health_path; /* published there for other processes, or NULL */
	long long health_saved;
	struct listener_health health_last;
};

/* Opens the listen socket on ls->addr (port ls->port when known) and watches
 * it; K_OK or err filled. */
kstatus listener_guard_open(struct listener *ls, struct kerr *err);
/* Closes the listen socket, the spare descriptor and the guard timer. */
void listener_guard_close(struct listener *ls);
/* Starts the guard timer (deadlines, watchdog). */
void listener_guard_start(struct listener *ls);
/* MHD's notices: a connection opened or closed (MHD_OPTION_NOTIFY_CONNECTION). */
void listener_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
			   enum MHD_ConnectionNotificationCode toe);
/* The request on c is complete and goes to the handler / was answered. */
void listener_guard_busy(struct listener *ls, struct MHD_Connection *c, bool busy);
/* Marks the listener degraded for a while with reason (printf format). */
void listener_degrade(struct listener *ls, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes the health file when it changed or every 2 s (force: now). */
void listener_guard_publish(struct listener *ls, bool force);
/* Reads a PEM file for HTTPS (listener_tls.c): NULL with err naming field
 * when it is missing, not PEM, or (secret) readable by group or others. */
char *listener_tls_read(const char *path, const char *field, bool secret, struct kerr *err);
/* Wipes and frees what listener_tls_read() returned; NULL is fine. */
void listener_tls_free(char *pem);
/* Runs MHD once (defined in listener.c). */
void listener_run(struct listener *ls);

#endif
