/*
 * The relay's own state, shared by relay.c (batches, waiting pulls, requests)
 * and relay_tills.c (the tills file, reloaded while serving).
 */
#ifndef KASSA_RELAY_CORE_H
#define KASSA_RELAY_CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "relay_int.h"

struct pending {
	struct store_batch b;
	struct relay_req **app_req; /* the request of each append */
	struct relay_req **fetch_req;
	size_t cap_app, cap_fetch;
	char **rows; /* names of tills new in the tills file: rows to create */
};

/*
 * One reading of the tills file. A request holds the set it was routed by
 * (its till, account and the names its batch entries point to live there),
 * so a reload never frees what a request still uses: a replaced set is freed
 * when its last request is gone.
 */
struct tills_set {
	struct tills *t;
	size_t holds;
	struct tills_set *next; /* replaced sets still held */
};

/* What tells that the tills file changed. */
struct file_state {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct relay {
	struct loop *loop;
	struct store *store;
	struct tills *tills; /* set->t */
	struct tills_set *set, *retired;
	char *tills_path;
	struct file_state tills_seen; /* of the file last read, loaded or not */
	long long tills_read_ms;      /* monotonic, of the last reading a miss caused; 0 none */
	uint64_t reload_timer;
	char **new_rows; /* tills whose rows no committed batch created yet */
	size_t n_new_rows;
	struct http *http;
	char *public_url;
	long long retention_ms;
	struct pending p[2];
	struct pending *cur, *inflight;
	uint64_t flush_timer, deadline_timer, prune_timer;
	struct relay_req *d_head, *d_tail; /* waiting pulls by deadline */
	bool stopping;
	unsigned long committed;
	long long last_flush_ms; /* monotonic */
};

/* relay.c */
void relay_schedule(struct relay *r);
void relay_answer_pull(struct relay *r, struct relay_req *q, const struct relay_update *u,
		       size_t n);
void relay_waiter_unlink(struct relay_req *q);
void relay_waiter_park(struct relay_req *q);

/* relay_tills.c */
/* Takes t (read from path, NULL for none) as the set in use. */
void relay_tills_init(struct relay *r, struct tills *t, const char *path);
/* Frees every set, the rows still to create and the path (at stop, when no
 * request is left). */
void relay_tills_free_all(struct relay *r);
/* Drops q's hold on s; a replaced set goes with its last hold. */
void relay_set_release(struct relay *r, struct tills_set *s);
/* A pull routed by a replaced set moves to its till in the set in use (where
 * new callbacks look for waiting pulls); false when the till was removed. */
bool relay_rebind(struct relay *r, struct relay_req *q);

#endif
