/*
 * The one event loop. Watches live in an array that is only compacted
 * between iterations, so callbacks may add or remove watches (even their own)
 * while the loop walks the results of poll(). Each watch carries a serial
 * number: when a callback closes a descriptor and a new one reuses the same
 * number within one iteration, the stale poll result is not delivered to the
 * new watch.
 */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct loop_watch {
	int fd;
	short events;
	bool dead;
	bool urgent;
	uint64_t serial;
	loop_fd_cb cb;
	void *cls;
};

struct loop_timer {
	long long when;
	uint64_t id; /* also the tie breaker: equal deadlines fire in order of creation */
	loop_timer_cb cb;
	void *cls;
};

struct loop_prepare {
	loop_prepare_cb cb;
	void *cls;
	bool dead;
};

struct loop_sigwatch {
	int signo;
	loop_signal_cb cb;
	void *cls;
	struct sigaction old;
};

struct loop {
	struct loop_watch *watches;
	size_t n_watches, cap_watches;
	bool watches_dirty;
	uint64_t next_serial;

	/* Binary min-heap on (when, id). */
	struct loop_timer *timers;
	size_t n_timers, cap_timers;
	uint64_t next_timer_id;

	struct loop_prepare *prepares;
	size_t n_prepares, cap_prepares;
	bool prepares_dirty;
	int prepare_depth;

	struct loop_sigwatch *sigs;
	size_t n_sigs, cap_sigs;
	int sig_pipe[2];

	struct pollfd *pfds;
	size_t *pfd_watch; /* index into watches for each pollfd */
	uint64_t *pfd_serial;
	size_t cap_pfds;

	loop_prepare_cb urgent_flush;
	void *urgent_cls;

	bool quit;
};

/* The signal handler can only reach a global: the write end of the self-pipe
 * of the loop that watches signals. */
static volatile sig_atomic_t loop_sig_fd = -1;

static void on_signal(int signo)
{
	int saved = errno;
	int fd = loop_sig_fd;
	if (fd >= 0) {
		unsigned char b = (unsigned char)signo;
		/* A full pipe drops the byte: the signal is already pending. */
		ssize_t r = write(fd, &b, 1);
		(void)r;
	}
	errno = saved;
}

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof *l);
	l->next_serial = 1;
	l->next_timer_id = 1;
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_sigs; i++)
		sigaction(l->sigs[i].signo, &l->sigs[i].old, NULL);
	if (l->sig_pipe[1] >= 0 && loop_sig_fd == l->sig_pipe[1])
		loop_sig_fd = -1;
	if (l->sig_pipe[0] >= 0) {
		close(l->sig_pipe[0]);
		close(l->sig_pipe[1]);
	}
	free(l->watches);
	free(l->timers);
	free(l->prepares);
	free(l->sigs);
	free(l->pfds);
	free(l->pfd_watch);
	free(l->pfd_serial);
	free(l);
}

/* ---- descriptors ---- */

static struct loop_watch *loop_find_watch(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n_watches; i++)
		if (!l->watches[i].dead && l->watches[i].fd == fd)
			return &l->watches[i];
	return NULL;
}

void loop_watch_fd(struct loop *l, int fd, short events, loop_fd_cb cb, void *cls)
{
	struct loop_watch *w = loop_find_watch(l, fd);
	if (w) {
		w->events = events;
		w->cb = cb;
		w->cls = cls;
		return;
	}
	if (l->n_watches == l->cap_watches) {
		l->cap_watches = l->cap_watches ? 2 * l->cap_watches : 8;
		l->watches = xrealloc(l->watches, l->cap_watches * sizeof *l->watches);
	}
	l->watches[l->n_watches++] = (struct loop_watch){
	    .fd = fd, .events = events, .serial = l->next_serial++, .cb = cb, .cls = cls};
}

void loop_set_urgent(struct loop *l, int fd, loop_prepare_cb flush, void *cls)
{
	struct loop_watch *w = loop_find_watch(l, fd);
	if (!w)
		return;
	w->urgent = true;
	l->urgent_flush = flush;
	l->urgent_cls = cls;
}

void loop_unwatch_fd(struct loop *l, int fd)
{
	struct loop_watch *w = loop_find_watch(l, fd);
	if (w) {
		w->dead = true;
		l->watches_dirty = true;
	}
}

static void loop_compact_watches(struct loop *l)
{
	if (!l->watches_dirty)
		return;
	size_t j = 0;
	for (size_t i = 0; i < l->n_watches; i++)
		if (!l->watches[i].dead)
			l->watches[j++] = l->watches[i];
	l->n_watches = j;
	l->watches_dirty = false;
}

/* ---- timers ---- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void timer_swap(struct loop *l, size_t a, size_t b)
{
	struct loop_timer t = l->timers[a];
	l->timers[a] = l->timers[b];
	l->timers[b] = t;
}

static void timer_sift_up(struct loop *l, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!timer_before(&l->timers[i], &l->timers[p]))
			break;
		timer_swap(l, i, p);
		i = p;
	}
}

static void timer_sift_down(struct loop *l, size_t i)
{
	for (;;) {
		size_t a = 2 * i + 1, b = a + 1, m = i;
		if (a < l->n_timers && timer_before(&l->timers[a], &l->timers[m]))
			m = a;
		if (b < l->n_timers && timer_before(&l->timers[b], &l->timers[m]))
			m = b;
		if (m == i)
			break;
		timer_swap(l, i, m);
		i = m;
	}
}

static void timer_remove_at(struct loop *l, size_t i)
{
	l->n_timers--;
	if (i == l->n_timers)
		return;
	l->timers[i] = l->timers[l->n_timers];
	timer_sift_down(l, i);
	timer_sift_up(l, i);
}

uint64_t loop_add_timer(struct loop *l, long long delay_ms, loop_timer_cb cb, void *cls)
{
	if (delay_ms < 0)
		delay_ms = 0;
	if (l->n_timers == l->cap_timers) {
		l->cap_timers = l->cap_timers ? 2 * l->cap_timers : 8;
		l->timers = xrealloc(l->timers, l->cap_timers * sizeof *l->timers);
	}
	uint64_t id = l->next_timer_id++;
	long long now = mono_ms();
	long long when = delay_ms > LLONG_MAX - now ? LLONG_MAX : now + delay_ms;
	l->timers[l->n_timers] = (struct loop_timer){.when = when, .id = id, .cb = cb, .cls = cls};
	timer_sift_up(l, l->n_timers++);
	return id;
}

/* A linear search: a terminal keeps a handful of timers, not thousands. */
void loop_cancel_timer(struct loop *l, uint64_t id)
{
	if (id == 0)
		return;
	for (size_t i = 0; i < l->n_timers; i++) {
		if (l->timers[i].id == id) {
			timer_remove_at(l, i);
			return;
		}
	}
}

/* ---- signals ---- */

static void on_signal_pipe(struct loop *l, int fd, short revents, void *cls)
{
	unsigned char buf[64];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			for (size_t k = 0; k < l->n_sigs; k++) {
				if (l->sigs[k].signo == buf[i]) {
					l->sigs[k].cb(l, buf[i], l->sigs[k].cls);
					break;
				}
			}
		}
	}
}

static bool loop_make_pipe(int p[2])
{
	if (pipe(p) != 0)
		return false;
	for (int i = 0; i < 2; i++) {
		int fl = fcntl(p[i], F_GETFL);
		fcntl(p[i], F_SETFL, fl | O_NONBLOCK);
		fcntl(p[i], F_SETFD, FD_CLOEXEC);
	}
	return true;
}

void loop_watch_signal(struct loop *l, int signo, loop_signal_cb cb, void *cls)
{
	if (signo <= 0 || signo > 255)
		return;
	if (l->sig_pipe[0] < 0) {
		if (!loop_make_pipe(l->sig_pipe))
			return;
		loop_watch_fd(l, l->sig_pipe[0], POLLIN, on_signal_pipe, NULL);
	}
	loop_sig_fd = l->sig_pipe[1];
	for (size_t i = 0; i < l->n_sigs; i++) {
		if (l->sigs[i].signo == signo) {
			l->sigs[i].cb = cb;
			l->sigs[i].cls = cls;
			return;
		}
	}
	if (l->n_sigs == l->cap_sigs) {
		l->cap_sigs = l->cap_sigs ? 2 * l->cap_sigs : 4;
		l->sigs = xrealloc(l->sigs, l->cap_sigs * sizeof *l->sigs);
	}
	struct loop_sigwatch *s = &l->sigs[l->n_sigs];
	memset(s, 0, sizeof *s);
	s->signo = signo;
	s->cb = cb;
	s->cls = cls;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* Interrupted reads and writes restart; poll() still wakes on the pipe. */
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, &s->old) != 0)
		return;
	l->n_sigs++;
}

/* ---- prepare hooks ---- */

void loop_add_prepare(struct loop *l, loop_prepare_cb cb, void *cls)
{
	if (l->n_prepares == l->cap_prepares) {
		l->cap_prepares = l->cap_prepares ? 2 * l->cap_prepares : 4;
		l->prepares = xrealloc(l->prepares, l->cap_prepares * sizeof *l->prepares);
	}
	l->prepares[l->n_prepares++] = (struct loop_prepare){.cb = cb, .cls = cls};
}

void loop_remove_prepare(struct loop *l, loop_prepare_cb cb, void *cls)
{
	for (size_t i = 0; i < l->n_prepares; i++) {
		struct loop_prepare *p = &l->prepares[i];
		if (!p->dead && p->cb == cb && p->cls == cls) {
			p->dead = true;
			l->prepares_dirty = true;
			return;
		}
	}
}

static void loop_run_prepares(struct loop *l)
{
	l->prepare_depth++;
	/* Hooks added by a hook run from the next iteration on. */
	size_t n = l->n_prepares;
	for (size_t i = 0; i < n; i++) {
		if (l->prepares[i].dead)
			continue;
		l->prepares[i].cb(l, l->prepares[i].cls);
	}
	l->prepare_depth--;
	if (l->prepares_dirty && l->prepare_depth == 0) {
		size_t j = 0;
		for (size_t i = 0; i < l->n_prepares; i++)
			if (!l->prepares[i].dead)
				l->prepares[j++] = l->prepares[i];
		l->n_prepares = j;
		l->prepares_dirty = false;
	}
}

/* ---- the loop ---- */

static int loop_fire_timers(struct loop *l)
{
	int ran = 0;
	long long now = mono_ms();
	/* Timers created by these callbacks wait for the next iteration, even
	 * with a zero delay, so a timer that re-arms itself cannot starve fds. */
	uint64_t limit = l->next_timer_id;
	while (l->n_timers > 0 && l->timers[0].when <= now && l->timers[0].id < limit) {
		struct loop_timer t = l->timers[0];
		timer_remove_at(l, 0);
		t.cb(l, t.cls);
		ran++;
	}
	return ran;
}

int loop_run_once(struct loop *l, long long max_wait_ms)
{
	int ran = 0;
	loop_run_prepares(l);
	loop_compact_watches(l);

	if (l->n_watches > l->cap_pfds) {
		l->cap_pfds = l->n_watches;
		l->pfds = xrealloc(l->pfds, l->cap_pfds * sizeof *l->pfds);
		l->pfd_watch = xrealloc(l->pfd_watch, l->cap_pfds * sizeof *l->pfd_watch);
		l->pfd_serial = xrealloc(l->pfd_serial, l->cap_pfds * sizeof *l->pfd_serial);
	}
	size_t n = 0;
	for (size_t i = 0; i < l->n_watches; i++) {
		l->pfds[n] =
		    (struct pollfd){.fd = l->watches[i].fd, .events = l->watches[i].events};
		l->pfd_watch[n] = i;
		l->pfd_serial[n] = l->watches[i].serial;
		n++;
	}

	long long wait = max_wait_ms;
	if (l->n_timers > 0) {
		long long until = l->timers[0].when - mono_ms();
		if (until < 0)
			until = 0;
		if (wait < 0 || until < wait)
			wait = until;
	}
	if (l->quit)
		wait = 0;
	if (wait > INT_MAX)
		wait = INT_MAX;

	int r = poll(l->pfds, (nfds_t)n, wait < 0 ? -1 : (int)wait);
	if (r > 0) {
		/* Pass 0 serves urgent fds (the keyboard), pass 1 the rest. */
		for (int pass = 0; pass < 2; pass++) {
			int urgent_ran = 0;
			for (size_t k = 0; k < n; k++) {
				short rev = l->pfds[k].revents;
				if (!rev)
					continue;
				/* Index is stable: compaction only happens between iterations. */
				struct loop_watch *w = &l->watches[l->pfd_watch[k]];
				if (w->dead || w->serial != l->pfd_serial[k])
					continue;
				if (w->urgent != (pass == 0))
					continue;
				/* Report only what is still asked for, plus errors and hangups. */
				rev &= (short)(w->events | POLLERR | POLLHUP | POLLNVAL);
				if (!rev)
					continue;
				w->cb(l, w->fd, rev, w->cls);
				ran++;
				urgent_ran += pass == 0;
			}
			if (urgent_ran && l->urgent_flush)
				l->urgent_flush(l, l->urgent_cls);
		}
	}
	ran += loop_fire_timers(l);
	return ran;
}

void loop_run(struct loop *l)
{
	while (!l->quit)
		loop_run_once(l, -1);
	l->quit = false;
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}

bool loop_quitting(const struct loop *l)
{
	return l->quit;
}
