/* The guarded connections of an HTTP server: see conn_table.h. */
#include "conn_table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netaddr.h"
#include "util.h"

bool conn_table_notify(struct conn_table *t, struct MHD_Connection *mc, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct conn_entry *c = xcalloc(1, sizeof *c);
		c->fd = -1;
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			c->fd = ci->connect_fd;
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			netaddr_text(ci->client_addr, c->peer, sizeof c->peer);
		c->window_ms = mono_ms();
		c->prev = t->tail;
		if (t->tail)
			t->tail->next = c;
		else
			t->head = c;
		t->tail = c;
		t->nconn++;
		t->nlive++;
		*socket_context = c;
		return t->nconn == 1;
	}
	struct conn_entry *c = *socket_context;
	if (!c)
		return false;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	t->nconn--;
	if (!c->shed)
		t->nlive--;
	free(c);
	*socket_context = NULL;
	return false;
}

void conn_table_busy(struct MHD_Connection *mc, bool busy)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_entry *c = ci ? ci->socket_context : NULL;
	if (!c)
		return;
	c->busy = busy;
	if (!busy)
		c->window_ms = mono_ms(); /* the next request's time starts now */
}

void conn_table_shed(struct conn_table *t, struct conn_entry *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->shed = true;
	t->nlive--;
}

struct conn_entry *conn_table_oldest_idle(struct conn_table *t, const char *peer, unsigned *count)
{
	struct conn_entry *best = NULL;
	unsigned n = 0;
	for (struct conn_entry *c = t->head; c; c = c->next) {
		if (c->shed || (peer && strcmp(c->peer, peer) != 0))
			continue;
		n++;
		if (!c->busy && (!best || c->window_ms < best->window_ms))
			best = c;
	}
	if (count)
		*count = n;
	return best;
}

unsigned conn_table_expire(struct conn_table *t, long long now, long long deadline_ms,
			   const char **last_peer)
{
	unsigned n = 0;
	for (struct conn_entry *c = t->head; c; c = c->next) {
		if (c->shed || c->busy || now - c->window_ms < deadline_ms)
			continue;
		conn_table_shed(t, c);
		*last_peer = c->peer;
		n++;
	}
	return n;
}
