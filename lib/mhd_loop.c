/*
 * The loop glue the callback listener and kassa-relay each had a copy of.
 */
#include "mhd_loop.h"

#include <poll.h>

#include "i18n.h"

static void on_mhd_loop_fd(struct loop *l, int fd, short revents, void *cls)
{
	struct mhd_loop *ml = cls;
	ml->run(ml->cls);
}

static void on_mhd_loop_timer(struct loop *l, void *cls)
{
	struct mhd_loop *ml = cls;
	ml->timer = 0;
	ml->run(ml->cls);
}

/* Its own timer: the prepare hook replaces ml->timer. */
static void on_mhd_loop_kick(struct loop *l, void *cls)
{
	struct mhd_loop *ml = cls;
	ml->kick = 0;
	ml->run(ml->cls);
}

static void on_mhd_loop_prepare(struct loop *l, void *cls)
{
	struct mhd_loop *ml = cls;
	if (ml->timer) {
		loop_cancel_timer(l, ml->timer);
		ml->timer = 0;
	}
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(ml->mhd, &ms) == MHD_YES) {
		long long d = ms > (MHD_UNSIGNED_LONG_LONG)86400000 ? 86400000 : (long long)ms;
		ml->timer = loop_add_timer(l, d, on_mhd_loop_timer, ml);
	}
}

kstatus mhd_loop_attach(struct mhd_loop *ml, struct loop *l, struct MHD_Daemon *mhd,
			void (*run)(void *cls), void *cls, const char *field, struct kerr *err)
{
	*ml = (struct mhd_loop){.loop = l, .mhd = mhd, .epoll_fd = -1, .run = run, .cls = cls};
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0)
		return kerr_set(err, K_IO, field, _("the HTTP server gave no descriptor to poll"));
	ml->epoll_fd = info->epoll_fd;
	loop_watch_fd(l, ml->epoll_fd, POLLIN, on_mhd_loop_fd, ml);
	loop_add_prepare(l, on_mhd_loop_prepare, ml);
	return K_OK;
}

void mhd_loop_kick(struct mhd_loop *ml)
{
	if (!ml->kick)
		ml->kick = loop_add_timer(ml->loop, 0, on_mhd_loop_kick, ml);
}

void mhd_loop_detach(struct mhd_loop *ml)
{
	if (ml->epoll_fd < 0)
		return;
	loop_remove_prepare(ml->loop, on_mhd_loop_prepare, ml);
	loop_unwatch_fd(ml->loop, ml->epoll_fd);
	if (ml->timer)
		loop_cancel_timer(ml->loop, ml->timer);
	if (ml->kick)
		loop_cancel_timer(ml->loop, ml->kick);
	ml->timer = ml->kick = 0;
	ml->epoll_fd = -1;
}
