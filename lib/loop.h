/*
 * The one event loop: poll() over file descriptors, timers, a signal
 * self-pipe and "prepare" hooks that run before each poll (libmicrohttpd and
 * libcurl refresh their descriptors there). No threads.
 */
#ifndef KASSA_LOOP_H
#define KASSA_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* revents are poll() flags (POLLIN, POLLOUT, POLLERR, POLLHUP). */
typedef void (*loop_fd_cb)(struct loop *l, int fd, short revents, void *cls);
typedef void (*loop_timer_cb)(struct loop *l, void *cls);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *cls);
/* Runs before every poll(); may add, change or remove fds and timers. */
typedef void (*loop_prepare_cb)(struct loop *l, void *cls);

/* A new, empty loop (never NULL). */
struct loop *loop_new(void);
/* Frees the loop; fds are not closed. */
void loop_free(struct loop *l);

/* Watches fd for events (POLLIN/POLLOUT); replaces an earlier watch on fd. */
void loop_watch_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *cls);
/*
 * Marks an already watched fd urgent (the keyboard): when it is ready it is
 * served before every other fd of the same iteration, and then flush (if not
 * NULL) runs once, so what the person typed reaches the screen before the
 * loop spends time on network or journal work that became ready with it.
 */
void loop_set_urgent(struct loop *l, int fd, loop_prepare_cb flush, void *cls);
/* Stops watching fd (safe from inside a callback). */
void loop_unwatch_fd(struct loop *l, int fd);

/* Calls cb once after delay_ms; returns an id (never 0) for loop_cancel_timer. */
uint64_t loop_add_timer(struct loop *l, long long delay_ms, loop_timer_cb cb, void *cls);
/* Cancels a pending timer; unknown, fired or zero ids are ignored. */
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Delivers signo through the self-pipe as a normal callback from the loop
 * (sigaction with SA_RESTART; the old action is restored by loop_free). */
void loop_watch_signal(struct loop *l, int signo, loop_signal_cb cb, void *cls);

/* Adds a hook run before every poll(). */
void loop_add_prepare(struct loop *l, loop_prepare_cb cb, void *cls);
/* Removes the hook added with the same cb and cls (safe from inside a hook). */
void loop_remove_prepare(struct loop *l, loop_prepare_cb cb, void *cls);

/* One iteration: prepare hooks, poll (at most max_wait_ms, -1 = until an event
 * or the next timer), then callbacks. Returns the number of callbacks run. */
int loop_run_once(struct loop *l, long long max_wait_ms);
/* Runs until loop_quit(); clears the quit request when it returns, so the
 * loop can be run again. */
void loop_run(struct loop *l);
/* Asks loop_run() to return after the current iteration. */
void loop_quit(struct loop *l);
/* True once loop_quit() was called and loop_run() has not yet returned. */
bool loop_quitting(const struct loop *l);

#endif
