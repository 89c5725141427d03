/*
 * The relay's connection guard (http_guard.h): our accept(), a whole-request
 * deadline and shedding of the connection waiting longest for a whole request
 * when the slots run short; the rules of lib/listener_guard.c. A connection
 * is shed with shutdown(): MHD owns the descriptor and closes it at its next
 * run.
 */
#define _GNU_SOURCE /* accept4 */
#include "http_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "i18n.h"
#include "netaddr.h"
#include "util.h"

#define HG_TICK_MS 100
#define HG_IDLE_TICK_MS 1000
#define HG_ACCEPT_BATCH 256
#define HG_SAY_MS 10000
/* Descriptors kept for what is not a connection: stdio, the database and its
 * journal, the tills file, epoll, the listen socket, the spare, PostgreSQL. */
#define HG_FD_RESERVE 64

struct hguard_conn {
	struct hguard_conn *prev, *next;
	int fd;
	bool busy, shed;
	long long window_ms; /* when its time for a whole request started */
	char peer[INET6_ADDRSTRLEN];
};

unsigned hguard_fd_cap(unsigned want, bool *capped, unsigned long long *nofile)
{
	struct rlimit rl;
	*capped = false;
	*nofile = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	*nofile = (unsigned long long)rl.rlim_cur;
	unsigned long long room =
	    rl.rlim_cur > 2 * HG_FD_RESERVE ? rl.rlim_cur - HG_FD_RESERVE : rl.rlim_cur / 2;
	if (room < 1)
		room = 1;
	if (want > room) {
		*capped = true;
		return (unsigned)room;
	}
	return want;
}

__attribute__((format(printf, 2, 3))) static void hg_say(struct hguard *g, const char *fmt, ...)
{
	long long now = mono_ms();
	if (g->said_ms && now - g->said_ms < HG_SAY_MS)
		return;
	g->said_ms = now;
	va_list ap;
	va_start(ap, fmt);
	fputs("kassa-relay: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void hg_shed(struct hguard *g, struct hguard_conn *c)
{
	shutdown(c->fd, SHUT_RDWR);
	c->shed = true;
	g->nlive--;
}

/* Of peer's connections (all when peer is NULL), the one waiting longest for
 * a whole request, and how many live ones peer has; NULL when all are busy. */
static struct hguard_conn *hg_oldest(struct hguard *g, const char *peer, unsigned *count)
{
	struct hguard_conn *best = NULL;
	unsigned n = 0;
	for (struct hguard_conn *c = g->head; c; c = c->next) {
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

static void hg_take(struct hguard *g, int fd, const struct sockaddr *sa, socklen_t len)
{
	char peer[INET6_ADDRSTRLEN];
	netaddr_text(sa, peer, sizeof peer);
	unsigned mine = 0;
	struct hguard_conn *old = g->per_ip ? hg_oldest(g, peer, &mine) : NULL;
	if (g->per_ip && mine >= g->per_ip) {
		if (!old) {
			close(fd);
			g->refused++;
			hg_say(g,
			       _("refusing connections from %s: its %u connections are all busy"),
			       peer, g->per_ip);
			return;
		}
		hg_shed(g, old);
		g->shed++;
		hg_say(g,
		       _("%s holds %u connections, the most for one address: closing the "
			 "one waiting longest for a whole request"),
		       peer, g->per_ip);
	} else if (g->nlive >= g->max_connections) {
		old = hg_oldest(g, NULL, NULL);
		if (!old) {
			close(fd);
			g->refused++;
			hg_say(g, _("refusing connections: all %u are busy (--max-connections)"),
			       g->max_connections);
			return;
		}
		hg_shed(g, old);
		g->shed++;
		hg_say(g,
		       _("full (%u connections): closing the ones waiting longest for a whole "
			 "request"),
		       g->max_connections);
	}
	if (old)
		g->run(g->cls); /* MHD closes the shed one now, so its own caps let this in */
	if (MHD_add_connection(g->mhd, fd, sa, len) != MHD_YES) {
		g->refused++; /* MHD closed it */
		hg_say(g, _("refusing a connection from %s: %s"), peer, strerror(errno));
	}
}

static void on_listen(struct loop *l, int fd, short revents, void *cls)
{
	struct hguard *g = cls;
	(void)l;
	(void)revents;
	bool took = false;
	for (int i = 0; i < HG_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int c = accept4(fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			hg_take(g, c, (struct sockaddr *)&sa, len);
			took = true;
			continue;
		}
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK)
			break;
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
			/* Accept and drop one with the spare descriptor so the queue
			 * moves, then rest a tick instead of spinning. */
			if (g->spare_fd >= 0) {
				close(g->spare_fd);
				int x = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
				if (x >= 0)
					close(x);
				g->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			}
			g->refused++;
			hg_say(g,
			       _("out of descriptors (%s): refusing connections; lower "
				 "--max-connections or raise ulimit -n"),
			       strerror(e));
			loop_unwatch_fd(g->loop, fd);
			g->paused = true;
			break;
		}
		/* The peer's trouble (accept(2) passes network errors on). */
	}
	if (took)
		g->run(g->cls);
}

static void on_tick(struct loop *l, void *cls)
{
	struct hguard *g = cls;
	g->timer = 0;
	long long now = mono_ms();
	bool shed = false;
	for (struct hguard_conn *c = g->head; c; c = c->next) {
		if (c->shed || c->busy || now - c->window_ms < g->deadline_ms)
			continue;
		hg_shed(g, c);
		g->timed_out++;
		shed = true;
		hg_say(g,
		       _("closing connections that send no whole request within %lld s (last from "
			 "%s)"),
		       g->deadline_ms / 1000, c->peer);
	}
	if (shed)
		g->run(g->cls);
	if (g->paused && g->listen_fd >= 0) {
		loop_watch_fd(l, g->listen_fd, POLLIN, on_listen, g);
		g->paused = false;
	}
	g->timer =
	    loop_add_timer(l, g->nconn || g->paused ? HG_TICK_MS : HG_IDLE_TICK_MS, on_tick, g);
}

void hguard_start(struct hguard *g, int listen_fd)
{
	g->listen_fd = listen_fd;
	g->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	loop_watch_fd(g->loop, listen_fd, POLLIN, on_listen, g);
	g->timer = loop_add_timer(g->loop, HG_TICK_MS, on_tick, g);
}

void hguard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe)
{
	struct hguard *g = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		struct hguard_conn *c = xcalloc(1, sizeof *c);
		c->fd = -1;
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			c->fd = ci->connect_fd;
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr)
			netaddr_text(ci->client_addr, c->peer, sizeof c->peer);
		c->window_ms = mono_ms();
		c->prev = g->tail;
		if (g->tail)
			g->tail->next = c;
		else
			g->head = c;
		g->tail = c;
		g->nconn++;
		g->nlive++;
		*socket_context = c;
		if (g->nconn == 1 && g->timer) { /* tick fast again to check deadlines */
			loop_cancel_timer(g->loop, g->timer);
			g->timer = loop_add_timer(g->loop, HG_TICK_MS, on_tick, g);
		}
		return;
	}
	struct hguard_conn *c = *socket_context;
	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		g->tail = c->prev;
	g->nconn--;
	if (!c->shed)
		g->nlive--;
	free(c);
	*socket_context = NULL;
}

void hguard_busy(struct MHD_Connection *mc, bool busy)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct hguard_conn *c = ci ? ci->socket_context : NULL;
	if (!c)
		return;
	c->busy = busy;
	if (!busy)
		c->window_ms = mono_ms();
}

void hguard_stop(struct hguard *g)
{
	if (g->timer)
		loop_cancel_timer(g->loop, g->timer);
	g->timer = 0;
	if (g->listen_fd >= 0) {
		if (!g->paused)
			loop_unwatch_fd(g->loop, g->listen_fd);
		close(g->listen_fd);
	}
	g->listen_fd = -1;
	if (g->spare_fd >= 0)
		close(g->spare_fd);
	g->spare_fd = -1;
}
