/*
 * The connections an HTTP server guards (kassa's callback listener and
 * kassa-relay): each with the time its whole request is due from, whether
 * that request is complete (busy: in the handler, suspended as a long-poll or
 * awaiting its answer) and whether we shed it. Oldest first. Fed by
 * libmicrohttpd's connection notifications; the servers decide when to shed.
 */
#ifndef KASSA_CONN_TABLE_H
#define KASSA_CONN_TABLE_H

#include <arpa/inet.h>
#include <stdbool.h>

#include <microhttpd.h>

struct conn_entry {
	struct conn_entry *prev, *next; /* oldest first */
	int fd;
	/* Start of the current request, or of the wait for one: the connection
	 * has the server's deadline from here to deliver a whole request. */
	long long window_ms;
	bool busy; /* its request is complete */
	bool shed; /* shut down by us; MHD closes it at its next run */
	char peer[INET6_ADDRSTRLEN];
};

struct conn_table {
	struct conn_entry *head, *tail;
	unsigned nconn; /* in the table */
	unsigned nlive; /* in the table and not shed */
};

/*
 * MHD's notify-connection callback's work: a started connection joins the
 * table (its socket context points at its entry), a closed one leaves it.
 * Returns true when the table went from empty to one connection.
 */
bool conn_table_notify(struct conn_table *t, struct MHD_Connection *mc, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe);
/* Marks mc's request complete (busy) or done with (its next request's time starts now). */
void conn_table_busy(struct MHD_Connection *mc, bool busy);
/* Shuts the connection down; MHD closes it at its next run. */
void conn_table_shed(struct conn_table *t, struct conn_entry *c);
/*
 * Of peer's connections (all when peer is NULL), the one waiting longest for
 * a whole request, and how many live ones peer has; NULL when all are busy.
 */
struct conn_entry *conn_table_oldest_idle(struct conn_table *t, const char *peer, unsigned *count);
/*
 * Sheds every connection that has not delivered a whole request within
 * deadline_ms of its window; returns how many, *last_peer the last one's address.
 */
unsigned conn_table_expire(struct conn_table *t, long long now, long long deadline_ms,
			   const char **last_peer);

#endif
