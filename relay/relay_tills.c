/*
 * The tills file, read again while the relay serves (SIGHUP, or a token or
 * key nobody has when the file changed): the new set takes over at once, the
 * old one lives on while requests routed by it are alive.
 */
#include "relay_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void relay_set_release(struct relay *r, struct tills_set *s)
{
	if (!s || --s->holds > 0 || s == r->set)
		return;
	for (struct tills_set **pp = &r->retired; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	tills_free(s->t);
	free(s);
}

void relay_bind(struct relay *r, struct relay_req *q)
{
	q->set = r->set;
	r->set->holds++;
}

/* A pull routed by a replaced set moves to its till in the set in use, where
 * new callbacks look for waiting pulls; false when the till was removed. */
bool relay_rebind(struct relay *r, struct relay_req *q)
{
	if (!q->set || q->set == r->set)
		return true;
	struct till *t = tills_by_name(r->tills, q->till->name);
	if (!t)
		return false;
	struct tills_set *old = q->set;
	q->till = t;
	relay_bind(r, q);
	relay_set_release(r, old);
	return true;
}

static void file_state_of(const struct stat *sb, struct file_state *fs)
{
	fs->dev = sb->st_dev;
	fs->ino = sb->st_ino;
	fs->size = sb->st_size;
	fs->mtime = sb->st_mtim;
}

static bool file_state_same(const struct file_state *a, const struct file_state *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static void relay_swap_tills(struct relay *r, struct tills *nt, const char *why)
{
	struct tills *old = r->tills;
	size_t added = 0, removed = 0;
	for (size_t i = 0; i < tills_count(nt); i++) {
		struct till *t = tills_at(nt, i);
		struct till *was = tills_by_name(old, t->name);
		if (was) {
			t->last_pull_ms = was->last_pull_ms;
			continue;
		}
		r->new_rows = xrealloc(r->new_rows, (r->n_new_rows + 1) * sizeof *r->new_rows);
		r->new_rows[r->n_new_rows++] = xstrdup(t->name);
		added++;
	}
	struct tills_set *s = xcalloc(1, sizeof *s);
	s->t = nt;
	struct tills_set *prev = r->set;
	r->set = s;
	r->tills = nt;
	/* Waiting pulls follow their till into the new set; a removed till's
	 * are answered now (its next pull is refused). */
	for (size_t i = 0; i < tills_count(old); i++) {
		struct till *t = tills_at(old, i);
		struct till *now = tills_by_name(nt, t->name);
		if (!now)
			removed++;
		while (t->waiters) {
			struct relay_req *q = t->waiters;
			if (!now) {
				relay_answer_pull(r, q, NULL, 0);
				continue;
			}
			relay_waiter_unlink(q);
			struct tills_set *was = q->set;
			q->till = now;
			relay_bind(r, q);
			if (was == prev)
				prev->holds--; /* freed below, once nothing else holds it */
			else
				relay_set_release(r, was);
			relay_waiter_park(q);
		}
	}
	if (prev->holds == 0) {
		tills_free(prev->t);
		free(prev);
	} else {
		prev->next = r->retired;
		r->retired = prev;
	}
	fprintf(stderr,
		"kassa-relay: tills file %s reloaded (%s): %zu tills, %zu new, %zu removed\n",
		r->tills_path, why, tills_count(nt), added, removed);
	if (r->n_new_rows)
		relay_schedule(r);
}

void relay_reload_tills(struct relay *r, const char *why)
{
	if (!r->tills_path || r->stopping)
		return;
	struct stat sb;
	if (stat(r->tills_path, &sb) == 0)
		file_state_of(&sb, &r->tills_seen);
	struct tills *nt = NULL;
	struct kerr e = {0};
	if (tills_load(r->tills_path, &nt, &e) != K_OK) {
		fprintf(stderr,
			"kassa-relay: tills file not reloaded (%s): %s; still serving the %zu "
			"tills loaded before\n",
			why, e.text, tills_count(r->tills));
		return;
	}
	relay_swap_tills(r, nt, why);
}

static void on_relay_reload(struct loop *l, void *cls)
{
	struct relay *r = cls;
	r->reload_timer = 0;
	r->tills_read_ms = mono_ms();
	relay_reload_tills(r, "changed");
}

/* Reading is at most once a second; a change seen sooner is read when the
 * second is over (that pull is refused, its next one served). */
#define RELAY_RELOAD_GAP_MS 1000

bool relay_tills_missed(struct relay *r)
{
	struct stat sb;
	struct file_state fs;
	if (!r->tills_path || r->stopping || stat(r->tills_path, &sb) != 0)
		return false;
	file_state_of(&sb, &fs);
	if (file_state_same(&fs, &r->tills_seen))
		return false;
	long long wait = r->tills_read_ms ? r->tills_read_ms + RELAY_RELOAD_GAP_MS - mono_ms() : 0;
	if (wait > 0) {
		if (!r->reload_timer)
			r->reload_timer = loop_add_timer(r->loop, wait, on_relay_reload, r);
		return false;
	}
	struct tills_set *before = r->set;
	r->tills_read_ms = mono_ms();
	relay_reload_tills(r, "changed");
	return r->set != before;
}

void relay_tills_init(struct relay *r, struct tills *t, const char *path)
{
	r->tills = t;
	r->set = xcalloc(1, sizeof *r->set);
	r->set->t = t;
	r->tills_path = path ? xstrdup(path) : NULL;
	struct stat sb;
	if (r->tills_path && stat(r->tills_path, &sb) == 0)
		file_state_of(&sb, &r->tills_seen);
}

void relay_tills_free_all(struct relay *r)
{
	if (r->reload_timer)
		loop_cancel_timer(r->loop, r->reload_timer);
	r->reload_timer = 0;
	while (r->retired) {
		struct tills_set *s = r->retired;
		r->retired = s->next;
		tills_free(s->t);
		free(s);
	}
	if (r->set)
		tills_free(r->set->t);
	free(r->set);
	r->set = NULL;
	r->tills = NULL;
	for (size_t i = 0; i < r->n_new_rows; i++)
		free(r->new_rows[i]);
	free(r->new_rows);
	r->new_rows = NULL;
	r->n_new_rows = 0;
	free(r->tills_path);
	r->tills_path = NULL;
}
