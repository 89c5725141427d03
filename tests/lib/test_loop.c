/* Tests for lib/loop.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

/* ---- timers ---- */

struct order {
	int seen[16];
	int n;
};

struct tag {
	struct order *o;
	int value;
};

static void on_record(struct loop *l, void *cls)
{
	(void)l;
	struct tag *t = cls;
	t->o->seen[t->o->n++] = t->value;
}

/* Runs the loop until nothing is pending or the deadline passes. */
static void run_for(struct loop *l, long long ms)
{
	long long end = mono_ms() + ms;
	while (mono_ms() < end)
		loop_run_once(l, end - mono_ms());
}

static void loop_timer__fire_in_deadline_order__ties_by_creation(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct order o = {0};
	static const long long delays[] = {30, 0, 10, 10, 20, 0};
	static const int expect[] = {1, 5, 2, 3, 4, 0};
	struct tag tags[6];
	for (int i = 0; i < 6; i++) {
		tags[i] = (struct tag){&o, i};
		assert_true(loop_add_timer(l, delays[i], on_record, &tags[i]) != 0);
	}
	run_for(l, 80);
	assert_int_equal(o.n, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(o.seen[i], expect[i]);
	loop_free(l);
}

static void loop_timer__cancelled__never_fires(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct order o = {0};
	struct tag a = {&o, 1}, b = {&o, 2}, c = {&o, 3};
	uint64_t ia = loop_add_timer(l, 5, on_record, &a);
	uint64_t ib = loop_add_timer(l, 5, on_record, &b);
	uint64_t ic = loop_add_timer(l, 10, on_record, &c);
	assert_true(ia != ib && ib != ic);
	loop_cancel_timer(l, ib);
	loop_cancel_timer(l, 0);
	loop_cancel_timer(l, 999999);
	run_for(l, 40);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.seen[0], 1);
	assert_int_equal(o.seen[1], 3);
	/* Cancelling a fired timer is harmless. */
	loop_cancel_timer(l, ia);
	loop_free(l);
}

static void loop_timer__waits_at_least_the_delay(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct order o = {0};
	struct tag a = {&o, 7};
	long long start = mono_ms();
	loop_add_timer(l, 30, on_record, &a);
	while (o.n == 0)
		loop_run_once(l, -1);
	assert_true(mono_ms() - start >= 30);
	loop_free(l);
}

struct rearm {
	int count;
};

static void on_rearm(struct loop *l, void *cls)
{
	struct rearm *r = cls;
	r->count++;
	loop_add_timer(l, 0, on_rearm, r);
}

static void loop_timer__zero_delay_rearm__runs_once_per_iteration(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct rearm r = {0};
	loop_add_timer(l, 0, on_rearm, &r);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
	assert_int_equal(r.count, 5);
	loop_free(l);
}

static void on_cancel_other(struct loop *l, void *cls)
{
	loop_cancel_timer(l, *(uint64_t *)cls);
}

static void loop_timer__cancel_from_callback__due_timer_skipped(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct order o = {0};
	struct tag b = {&o, 2};
	uint64_t victim = 0;
	loop_add_timer(l, 0, on_cancel_other, &victim);
	victim = loop_add_timer(l, 0, on_record, &b);
	run_for(l, 20);
	assert_int_equal(o.n, 0);
	loop_free(l);
}

/* ---- descriptors ---- */

struct reader {
	int calls;
	char got[32];
	size_t len;
	bool unwatch;
};

static void on_readable(struct loop *l, int fd, short revents, void *cls)
{
	struct reader *r = cls;
	r->calls++;
	if (revents & POLLIN) {
		ssize_t n = read(fd, r->got + r->len, sizeof r->got - 1 - r->len);
		if (n > 0)
			r->len += (size_t)n;
	}
	if (r->unwatch)
		loop_unwatch_fd(l, fd);
}

static void loop_fd__pipe_readable__callback_gets_data(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct reader r = {0};
	loop_watch_fd(l, p[0], POLLIN, on_readable, &r);
	/* Nothing written: no callback. */
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(r.calls, 1);
	assert_memory_equal(r.got, "abc", 3);
	loop_unwatch_fd(l, p[0]);
	assert_int_equal(write(p[1], "d", 1), 1);
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(r.calls, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void loop_fd__unwatch_inside_callback__no_more_calls(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct reader r = {.unwatch = true};
	loop_watch_fd(l, p[0], POLLIN, on_readable, &r);
	assert_int_equal(write(p[1], "x", 1), 1);
	loop_run_once(l, 1000);
	assert_int_equal(write(p[1], "y", 1), 1);
	loop_run_once(l, 10);
	loop_run_once(l, 10);
	assert_int_equal(r.calls, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

/* The first callback removes the second watch, which is ready in the same
 * iteration: the second callback must not run. */
struct pair {
	int fd_other;
	int calls_a, calls_b;
};

static void on_a_removes_b(struct loop *l, int fd, short revents, void *cls)
{
	struct pair *p = cls;
	p->calls_a++;
	loop_unwatch_fd(l, p->fd_other);
	loop_unwatch_fd(l, fd);
}

static void on_b(struct loop *l, int fd, short revents, void *cls)
{
	struct pair *p = cls;
	p->calls_b++;
	loop_unwatch_fd(l, p->fd_other);
	loop_unwatch_fd(l, fd);
}

static void loop_fd__watch_removed_by_earlier_callback__not_called(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int p1[2], p2[2];
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	struct pair a = {.fd_other = p2[0]}, b = {.fd_other = p1[0]};
	loop_watch_fd(l, p1[0], POLLIN, on_a_removes_b, &a);
	loop_watch_fd(l, p2[0], POLLIN, on_b, &b);
	assert_int_equal(write(p1[1], "1", 1), 1);
	assert_int_equal(write(p2[1], "2", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(a.calls_a + b.calls_b, 1);
	assert_int_equal(loop_run_once(l, 10), 0);
	for (int i = 0; i < 2; i++) {
		close(p1[i]);
		close(p2[i]);
	}
	loop_free(l);
}

/* A callback adds many watches (forcing the array to grow) while the loop is
 * dispatching; the new watches take part from the next iteration on. */
struct adder {
	int fds[20];
	int calls;
	struct reader readers[20];
};

static void on_add_many(struct loop *l, int fd, short revents, void *cls)
{
	struct adder *a = cls;
	a->calls++;
	char c;
	ssize_t n = read(fd, &c, 1);
	(void)n;
	for (int i = 0; i < 20; i++)
		loop_watch_fd(l, a->fds[i], POLLIN, on_readable, &a->readers[i]);
	loop_unwatch_fd(l, fd);
}

static void loop_fd__watches_added_in_callback__served_next_iteration(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int trigger[2];
	int pipes[20][2];
	assert_int_equal(pipe(trigger), 0);
	struct adder a;
	memset(&a, 0, sizeof a);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(pipe(pipes[i]), 0);
		a.fds[i] = pipes[i][0];
		assert_int_equal(write(pipes[i][1], "z", 1), 1);
	}
	loop_watch_fd(l, trigger[0], POLLIN, on_add_many, &a);
	assert_int_equal(write(trigger[1], "t", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(loop_run_once(l, 1000), 20);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(a.readers[i].calls, 1);
		loop_unwatch_fd(l, pipes[i][0]);
		close(pipes[i][0]);
		close(pipes[i][1]);
	}
	close(trigger[0]);
	close(trigger[1]);
	loop_free(l);
}

/* ---- signals, prepare hooks, quit ---- */

static void on_quit(struct loop *l, void *cls)
{
	(void)cls;
	loop_quit(l);
}

struct sigrec {
	int signo;
	int calls;
};

static void on_sig(struct loop *l, int signo, void *cls)
{
	struct sigrec *s = cls;
	s->signo = signo;
	s->calls++;
	loop_quit(l);
}

static void loop_signal__raise__delivered_from_loop(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sigrec s = {0};
	loop_watch_signal(l, SIGUSR1, on_sig, &s);
	raise(SIGUSR1);
	/* The handler only wrote to the pipe: the callback waits for the loop. */
	assert_int_equal(s.calls, 0);
	loop_add_timer(l, 2000, on_quit, NULL); /* guard against a lost signal */
	loop_run(l);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.signo, SIGUSR1);
	assert_false(loop_quitting(l));
	loop_free(l);
	/* loop_free restored the default action; ignore it now to prove that. */
	struct sigaction sa;
	assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
	assert_true(sa.sa_handler == SIG_DFL);
}

static void loop_signal__two_signals__each_to_its_callback(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct sigrec s1 = {0}, s2 = {0};
	loop_watch_signal(l, SIGUSR1, on_sig, &s1);
	loop_watch_signal(l, SIGUSR2, on_sig, &s2);
	raise(SIGUSR2);
	raise(SIGUSR1);
	run_for(l, 30);
	assert_int_equal(s1.calls, 1);
	assert_int_equal(s2.calls, 1);
	assert_int_equal(s2.signo, SIGUSR2);
	loop_free(l);
}

struct prep {
	int calls;
	int remove_after;
};

static void on_prepare(struct loop *l, void *cls)
{
	struct prep *p = cls;
	p->calls++;
	if (p->calls == p->remove_after)
		loop_remove_prepare(l, on_prepare, p);
}

static void loop_prepare__runs_each_iteration__until_removed_from_inside(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct prep a = {.remove_after = 3}, b = {.remove_after = 100};
	loop_add_prepare(l, on_prepare, &a);
	loop_add_prepare(l, on_prepare, &b);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
	assert_int_equal(a.calls, 3);
	assert_int_equal(b.calls, 5);
	loop_remove_prepare(l, on_prepare, &b);
	loop_run_once(l, 0);
	assert_int_equal(b.calls, 5);
	loop_free(l);
}

static void loop_run__quit_from_timer__returns_and_can_run_again(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	struct order o = {0};
	struct tag t = {&o, 1};
	loop_add_timer(l, 5, on_record, &t);
	loop_add_timer(l, 10, on_quit, NULL);
	loop_run(l);
	assert_int_equal(o.n, 1);
	loop_add_timer(l, 1, on_quit, NULL);
	loop_run(l);
	loop_free(l);
}

static void loop_run_once__max_wait_bounds_the_poll(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	long long start = mono_ms();
	assert_int_equal(loop_run_once(l, 20), 0);
	long long took = mono_ms() - start;
	assert_true(took >= 19); /* it waited; that it came back at all is the bound */
	loop_free(l);
}

/* Order of events seen by the urgent-fd test. */
static char urgent_log[16];
static size_t urgent_n;

static void on_urgent_read(struct loop *l, int fd, short revents, void *cls)
{
	(void)l;
	(void)revents;
	char c;
	if (read(fd, &c, 1) == 1 && urgent_n + 1 < sizeof urgent_log)
		urgent_log[urgent_n++] = *(const char *)cls;
}

static void on_urgent_flush(struct loop *l, void *cls)
{
	(void)l;
	(void)cls;
	if (urgent_n + 1 < sizeof urgent_log)
		urgent_log[urgent_n++] = 'F';
}

static void loop_set_urgent__served_first__then_flushed(void **state)
{
	(void)state;
	struct loop *l = loop_new();
	int a[2], b[2];
	assert_int_equal(pipe(a), 0);
	assert_int_equal(pipe(b), 0);
	static const char net = 'n', key = 'k';
	/* the network fd is watched first, the keyboard second but urgent */
	loop_watch_fd(l, a[0], POLLIN, on_urgent_read, (void *)&net);
	loop_watch_fd(l, b[0], POLLIN, on_urgent_read, (void *)&key);
	loop_set_urgent(l, b[0], on_urgent_flush, NULL);
	assert_int_equal(write(a[1], "x", 1), 1);
	assert_int_equal(write(b[1], "x", 1), 1);
	urgent_n = 0;
	memset(urgent_log, 0, sizeof urgent_log);
	assert_int_equal(loop_run_once(l, 1000), 2);
	assert_string_equal(urgent_log, "kFn");
	/* only the network fd ready: no flush */
	assert_int_equal(write(a[1], "x", 1), 1);
	urgent_n = 0;
	memset(urgent_log, 0, sizeof urgent_log);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_string_equal(urgent_log, "n");
	loop_free(l);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(loop_timer__fire_in_deadline_order__ties_by_creation),
	    cmocka_unit_test(loop_timer__cancelled__never_fires),
	    cmocka_unit_test(loop_timer__waits_at_least_the_delay),
	    cmocka_unit_test(loop_timer__zero_delay_rearm__runs_once_per_iteration),
	    cmocka_unit_test(loop_timer__cancel_from_callback__due_timer_skipped),
	    cmocka_unit_test(loop_fd__pipe_readable__callback_gets_data),
	    cmocka_unit_test(loop_fd__unwatch_inside_callback__no_more_calls),
	    cmocka_unit_test(loop_fd__watch_removed_by_earlier_callback__not_called),
	    cmocka_unit_test(loop_fd__watches_added_in_callback__served_next_iteration),
	    cmocka_unit_test(loop_signal__raise__delivered_from_loop),
	    cmocka_unit_test(loop_signal__two_signals__each_to_its_callback),
	    cmocka_unit_test(loop_prepare__runs_each_iteration__until_removed_from_inside),
	    cmocka_unit_test(loop_run__quit_from_timer__returns_and_can_run_again),
	    cmocka_unit_test(loop_run_once__max_wait_bounds_the_poll),
	    cmocka_unit_test(loop_set_urgent__served_first__then_flushed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
