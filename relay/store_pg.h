/*
 * Inside the PostgreSQL store: store_pg.c holds the connection (start-up,
 * migrations, the loop, reconnecting), store_pg_batch.c the batch statements
 * (prepared once per connection, sent in one pipeline) and their results.
 */
#ifndef KASSA_RELAY_STORE_PG_H
#define KASSA_RELAY_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

#define PG_CHANNEL "kassa_relay"

enum pg_res { R_SKIP, R_APPEND, R_FETCH };

struct pg_expect {
	enum pg_res kind;
	int seg; /* 0: the batch's transaction, 1: the prune's */
};

struct store_pg {
	struct store base;
	PGconn *conn;
	struct loop *loop;
	int fd;
	short events;
	bool resetting, need_listen, need_prepare;
	uint64_t retry_timer;
	struct store_batch *batch; /* in flight */
	struct pg_expect *expect;
	size_t n_expect, cap_expect, got;
	int syncs, synced; /* pipeline syncs sent and received for the batch */
	bool failed;
	int own_pid;
};

/* The relay's error text for a failed call (one line, no secrets). */
kstatus store_pg_fail(struct store_pg *s, const char *what, const PGresult *r, struct kerr *err);
/* Makes libpq's multi-line message one line, in place. */
char *store_pg_one_line(char *msg);

/* Prepares every batch statement on the connection (blocking). */
kstatus store_pg_batch_prepare(struct store_pg *s, struct kerr *err);
/* Queues b's statements and the pipeline sync(s); fills s->expect. False
 * when libpq refused one (the connection is gone). */
bool store_pg_batch_send(struct store_pg *s, struct store_batch *b);
/* Takes one result of the batch in flight (a sync included). */
void store_pg_batch_take(struct store_pg *s, PGresult *r);
/* names as a text[] parameter ({"a","b"}), malloc'd. */
char *store_pg_batch_names(const char *const *names, size_t n);

#endif
