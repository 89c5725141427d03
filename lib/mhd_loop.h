/*
 * libmicrohttpd in external-polling epoll mode, driven by the one poll loop:
 * MHD keeps its own epoll set and the loop watches just its descriptor; a
 * prepare hook turns MHD_get_timeout() into a loop timer so idle connections
 * are timed out even when nothing else happens. Used by the callback
 * listener and kassa-relay.
 */
#ifndef KASSA_MHD_LOOP_H
#define KASSA_MHD_LOOP_H

#include <stdint.h>

#include <microhttpd.h>

#include "loop.h"
#include "status.h"

struct mhd_loop {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	int epoll_fd;
	uint64_t timer;
	uint64_t kick;		/* mhd_loop_kick(): run MHD at once */
	void (*run)(void *cls); /* runs MHD (MHD_run) and judges the result */
	void *cls;
};

/* Watches mhd (started with MHD_USE_EPOLL) from l; run(cls) is called when
 * it has work. field names the setting in errors. */
kstatus mhd_loop_attach(struct mhd_loop *ml, struct loop *l, struct MHD_Daemon *mhd,
			void (*run)(void *cls), void *cls, const char *field, struct kerr *err);

/* Runs MHD soon, from the loop: after MHD_resume_connection() nothing else
 * may cause a run for a while. */
void mhd_loop_kick(struct mhd_loop *ml);

/* Stops watching (the caller then stops the daemon). */
void mhd_loop_detach(struct mhd_loop *ml);

#endif
