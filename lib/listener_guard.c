/*
 * What keeps the listener serving on a hostile network.
 *
 * The listen socket is ours: the loop watches it directly and we accept(),
 * so it cannot drop out of anyone's poll set when the connection table is
 * full (libmicrohttpd, given the socket, takes it out of its epoll set at its
 * connection limit; after a burst of connections it was seen never to come
 * back). Each accepted socket is handed to MHD with MHD_add_connection(),
 * which also enforces MHD_OPTION_PER_IP_CONNECTION_LIMIT and
 * MHD_OPTION_CONNECTION_LIMIT as a backstop.
 *
 * Before handing it over we apply our own rules, which MHD has no option
 * for: a per-address cap with a reason we can show, a global cap that sheds
 * the connection idle the longest (rather than refusing the newcomer, which
 * would let idle attackers keep every slot), and a total deadline for each
 * request (headers and body, counted from the connection's opening or the end
 * of its previous request) instead of MHD's idle timer, which each trickled
 * byte resets. A connection is shed with shutdown(): MHD owns the descriptor
 * and closes it at its next run.
 *
 * A timer checks the listen socket every second (SO_ACCEPTCONN) and opens it
 * again on the same address and port when it failed; accept() errors that
 * mean the socket itself is broken do the same at once.
 */
#define _GNU_SOURCE /* accept4 */
#include "listener_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "netaddr.h"
#include "util.h"

#define GUARD_TICK_MS 100
#define GUARD_IDLE_TICK_MS 1000
#define GUARD_WATCHDOG_MS 1000
#define GUARD_ACCEPT_BATCH 256
#define GUARD_BACKLOG 1024
#define GUARD_DEGRADED_MS 10000
#define GUARD_PUBLISH_MS 2000

void listener_degrade(struct listener *ls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ls->reason, sizeof ls->reason, fmt, ap);
	va_end(ap);
	long long now = mono_ms();
	bool was = now < ls->degraded_until;
	ls->degraded_until = now + GUARD_DEGRADED_MS;
	if (!was) /* other processes learn it now, not at the next tick */
		listener_guard_publish(ls, true);
}

/* ---- the listen socket ---- */

static int guard_bind(struct listener *ls, struct kerr *err)
{
	unsigned port = 0;
	int fd =
	    netaddr_listen(&ls->addr, ls->addr_len, ls->where, "listen", GUARD_BACKLOG, &port, err);
	if (fd < 0)
		return -1;
	ls->port = port;
	/* Opened again later, it takes the same port: the callback URL stays right. */
	netaddr_set_port(&ls->addr, port);
	return fd;
}

static void on_listen_fd(struct loop *l, int fd, short revents, void *cls);

kstatus listener_guard_open(struct listener *ls, struct kerr *err)
{
	int fd = guard_bind(ls, err);
	if (fd < 0)
		return err ? err->code : K_IO;
	ls->listen_fd = fd;
	ls->paused = false;
	if (ls->spare_fd < 0)
		ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	loop_watch_fd(ls->loop, fd, POLLIN, on_listen_fd, ls);
	return K_OK;
}

static void guard_close_listen(struct listener *ls)
{
	if (ls->listen_fd < 0)
		return;
	loop_unwatch_fd(ls->loop, ls->listen_fd);
	close(ls->listen_fd);
	ls->listen_fd = -1;
}

void listener_guard_close(struct listener *ls)
{
	guard_close_listen(ls);
	if (ls->spare_fd >= 0)
		close(ls->spare_fd);
	ls->spare_fd = -1;
	if (ls->guard)
		loop_cancel_timer(ls->loop, ls->guard);
	ls->guard = 0;
}

/* The listen socket failed: open it again now (or at the next tick). */
static void guard_reopen(struct listener *ls, const char *why)
{
	ls->stats.recreated++;
	guard_close_listen(ls);
	struct kerr e = {0};
	if (listener_guard_open(ls, &e) == K_OK) {
		listener_degrade(ls, _("the listen socket failed (%s) and was opened again"), why);
		return;
	}
	ls->status = LISTENER_FAILED;
	snprintf(ls->failure, sizeof ls->failure,
		 _("the listen socket failed (%.40s): %.80s; retrying"), why, e.text);
}

/* ---- connections ---- */

/*
 * An accepted socket: refused, or handed to MHD, maybe after shedding the
 * connection idle longest of the same address (at the per-address cap) or of
 * all (at the total). Shedding rather than refusing the newcomer means idle
 * connections can never keep a provider out, even one sharing the address.
 */
static void guard_take(struct listener *ls, int fd, const struct sockaddr *sa, socklen_t len)
{
	char peer[INET6_ADDRSTRLEN];
	netaddr_text(sa, peer, sizeof peer);
	unsigned mine = 0;
	struct conn_entry *old = conn_table_oldest_idle(&ls->conns, peer, &mine);
	bool shed = false;
	if (mine >= ls->per_ip) {
		if (!old) {
			close(fd);
			ls->stats.refused++;
			listener_degrade(ls,
					 _("refusing connections from %s: its %u connections are "
					   "all busy with requests"),
					 peer, ls->per_ip);
			return;
		}
		conn_table_shed(&ls->conns, old);
		shed = true;
		ls->stats.shed++;
		listener_degrade(ls,
				 _("%s holds %u connections, the most for one address: closing "
				   "its idle longest"),
				 peer, ls->per_ip);
	} else if (ls->conns.nlive >= ls->max_connections) {
		old = conn_table_oldest_idle(&ls->conns, NULL, NULL);
		if (!old) {
			close(fd);
			ls->stats.refused++;
			listener_degrade(ls,
					 _("refusing connections: all %u are busy with requests"),
					 ls->max_connections);
			return;
		}
		conn_table_shed(&ls->conns, old);
		shed = true;
		ls->stats.shed++;
		listener_degrade(ls, _("full (%u connections): closing the ones idle longest"),
				 ls->max_connections);
	}
	if (shed)
		listener_run(ls); /* MHD closes the shed one now, so its own caps let this in */
	if (MHD_add_connection(ls->mhd, fd, sa, len) != MHD_YES) {
		/* MHD closed it: its own per-address or total cap, or no memory. */
		ls->stats.refused++;
		listener_degrade(ls,
				 _("refusing connections from %s: the HTTP server is at its "
				   "limit (%s)"),
				 peer, strerror(errno));
	}
}

static void guard_pause(struct listener *ls)
{
	if (ls->listen_fd >= 0 && !ls->paused) {
		loop_unwatch_fd(ls->loop, ls->listen_fd);
		ls->paused = true;
	}
}

static void on_listen_fd(struct loop *l, int fd, short revents, void *cls)
{
	struct listener *ls = cls;
	(void)l;
	if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
		guard_reopen(ls, revents & POLLNVAL ? "closed" : "error or hang-up");
		return;
	}
	bool took = false;
	for (int i = 0; i < GUARD_ACCEPT_BATCH; i++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int c = accept4(fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0) {
			guard_take(ls, c, (struct sockaddr *)&sa, len);
			took = true;
			continue;
		}
		int e = errno;
		if (e == EAGAIN || e == EWOULDBLOCK)
			break;
		/* The peer's trouble, not ours (accept(2) passes network errors on). */
		if (e == EINTR || e == ECONNABORTED || e == EPROTO || e == ENETDOWN ||
		    e == ENOPROTOOPT || e == EHOSTDOWN || e == ENONET || e == EHOSTUNREACH ||
		    e == EOPNOTSUPP || e == ENETUNREACH || e == EPERM)
			continue;
		if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
			/* Accept and drop one with the spare descriptor so the queue moves,
			 * then rest a moment instead of spinning on a ready socket. */
			if (ls->spare_fd >= 0) {
				close(ls->spare_fd);
				int x = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
				if (x >= 0)
					close(x);
				ls->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			}
			ls->stats.refused++;
			listener_degrade(ls, _("out of descriptors (%s): refusing connections"),
					 strerror(e));
			guard_pause(ls);
			break;
		}
		guard_reopen(ls, strerror(e));
		break;
	}
	if (took)
		listener_run(ls);
}

static void on_guard(struct loop *l, void *cls);

void listener_guard_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
			   enum MHD_ConnectionNotificationCode toe)
{
	struct listener *ls = cls;
	if (conn_table_notify(&ls->conns, mc, socket_context, toe) && ls->guard) {
		/* The guard ticks slowly while nothing is connected: check deadlines again. */
		loop_cancel_timer(ls->loop, ls->guard);
		ls->guard = loop_add_timer(ls->loop, GUARD_TICK_MS, on_guard, ls);
	}
}

void listener_guard_busy(struct listener *ls, struct MHD_Connection *mc, bool busy)
{
	(void)ls;
	conn_table_busy(mc, busy);
}

/* ---- the guard timer: deadlines, the watchdog, re-opening ---- */

static void guard_watchdog(struct listener *ls, long long now)
{
	if (now - ls->checked < GUARD_WATCHDOG_MS)
		return;
	ls->checked = now;
	if (ls->listen_fd < 0) {
		struct kerr e = {0};
		if (listener_guard_open(ls, &e) == K_OK) {
			ls->status = LISTENER_LISTENING;
			ls->failure[0] = '\0';
			listener_degrade(ls, _("listening again after the listen socket failed"));
		}
		return;
	}
	int acc = 0, soerr = 0;
	socklen_t len = sizeof acc;
	if (getsockopt(ls->listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) != 0) {
		guard_reopen(ls, strerror(errno));
		return;
	}
	len = sizeof soerr;
	getsockopt(ls->listen_fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (!acc)
		guard_reopen(ls, "it stopped listening");
	else if (soerr)
		guard_reopen(ls, strerror(soerr));
}

void listener_guard_publish(struct listener *ls, bool force)
{
	if (!ls->health_path)
		return;
	struct listener_health h;
	listener_health(ls, &h);
	long long now = mono_ms();
	if (!force && now - ls->health_saved < GUARD_PUBLISH_MS &&
	    memcmp(&h, &ls->health_last, sizeof h) == 0)
		return;
	ls->health_last = h;
	ls->health_saved = now;
	/* Best effort: the screen still shows the health when the file cannot be written. */
	listener_health_save(ls->health_path, &h, NULL);
}

static void on_guard(struct loop *l, void *cls)
{
	struct listener *ls = cls;
	ls->guard = 0;
	long long now = mono_ms();
	const char *peer = "";
	unsigned n = conn_table_expire(&ls->conns, now, ls->deadline_ms, &peer);
	if (n) {
		ls->stats.timed_out += n;
		listener_degrade(ls,
				 _("closing connections that send no whole request within %lld s "
				   "(last from %s)"),
				 ls->deadline_ms / 1000, peer);
		listener_run(ls);
	}
	if (ls->paused && ls->listen_fd >= 0) {
		loop_watch_fd(l, ls->listen_fd, POLLIN, on_listen_fd, ls);
		ls->paused = false;
	}
	guard_watchdog(ls, now);
	listener_guard_publish(ls, false);
	ls->guard = loop_add_timer(
	    l, ls->conns.nconn || ls->paused ? GUARD_TICK_MS : GUARD_IDLE_TICK_MS, on_guard, ls);
}

void listener_guard_start(struct listener *ls)
{
	ls->checked = mono_ms();
	ls->guard = loop_add_timer(ls->loop, GUARD_TICK_MS, on_guard, ls);
}
