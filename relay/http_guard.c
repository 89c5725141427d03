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

static void hg_take(struct hguard *g, int fd, const struct sockaddr *sa, socklen_t len)
{
	char peer[INET6_ADDRSTRLEN];
	netaddr_text(sa, peer, sizeof peer);
	unsigned mine = 0;
	struct conn_entry *old = g->per_ip ? conn_table_oldest_idle(&g->conns, peer, &mine) : NULL;
	if (g->per_ip && mine >= g->per_ip) {
		if (!old) {
			close(fd);
			g->refused++;
			hg_say(g,
			       _("refusing connections from %s: its %u connections are all busy"),
			       peer, g->per_ip);
			return;
		}
		conn_table_shed(&g->conns, old);
		g->shed++;
		hg_say(g,
		       _("%s holds %u connections, the most for one address: closing the "
			 "one waiting longest for a whole request"),
		       peer, g->per_ip);
	} else if (g->conns.nlive >= g->max_connections) {
		old = conn_table_oldest_idle(&g->conns, NULL, NULL);
		if (!old) {
			close(fd);
			g->refused++;
			hg_say(g, _("refusing connections: all %u are busy (--max-connections)"),
			       g->max_connections);
			return;
		}
		conn_table_shed(&g->conns, old);
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
	const char *peer = "";
	unsigned n = conn_table_expire(&g->conns, now, g->deadline_ms, &peer);
	if (n) {
		g->timed_out += n;
		hg_say(g,
		       _("closing connections that send no whole request within %lld s (last from "
			 "%s)"),
		       g->deadline_ms / 1000, peer);
		g->run(g->cls);
	}
	if (g->paused && g->listen_fd >= 0) {
		loop_watch_fd(l, g->listen_fd, POLLIN, on_listen, g);
		g->paused = false;
	}
	g->timer = loop_add_timer(l, g->conns.nconn || g->paused ? HG_TICK_MS : HG_IDLE_TICK_MS,
				  on_tick, g);
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
	if (conn_table_notify(&g->conns, mc, socket_context, toe) && g->timer) {
		/* tick fast again to check deadlines */
		loop_cancel_timer(g->loop, g->timer);
		g->timer = loop_add_timer(g->loop, HG_TICK_MS, on_tick, g);
	}
}

void hguard_busy(struct MHD_Connection *mc, bool busy)
{
	conn_table_busy(mc, busy);
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
