/*
 * The relay's durable store: SQLite (one process) or PostgreSQL (several
 * relay processes on one database). The relay hands it one batch at a time:
 * callbacks to commit, pulls to acknowledge and answer, an optional prune.
 * The whole batch is one transaction; done() runs when it committed (or
 * failed), from inside store_flush() for SQLite, later from the loop for
 * PostgreSQL. Only one batch is in flight at a time.
 */
#ifndef KASSA_RELAY_STORE_H
#define KASSA_RELAY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "relay_proto.h"
#include "status.h"

/* A callback to commit for one till. */
struct store_append {
	const char *till;
	const char *suffix;
	const char *content_type;
	const char *body;
	size_t len;
	int64_t offset; /* out: its per-till offset once committed */
};

/* A pull: acknowledge everything before offset, then read from there. */
struct store_fetch {
	const char *till;
	int64_t offset;
	int limit;
	bool ack;		      /* acknowledge and record the pull time */
	struct relay_update *updates; /* out, malloc'd; free with store_fetch_clear */
	size_t n;
	int64_t last; /* out: the till's highest offset */
};

struct store_batch {
	struct store_append *appends;
	size_t n_appends;
	struct store_fetch *fetches;
	size_t n_fetches;
	long long now_ms;
	/* Tills added to the tills file since start: rows created first. */
	const char *const *new_tills;
	size_t n_new_tills;
	long long prune_before_ms; /* > 0: drop callbacks acknowledged before this */
	bool ok;		   /* out: committed */
	char error[256];	   /* out: why not (no secrets) */
	void (*done)(struct store_batch *b, void *cls);
	void *cls;
};

/* Called when another relay process committed callbacks for till (NULL:
 * maybe for any till). */
typedef void (*store_notify_cb)(const char *till, void *cls);

/* One till's figures for `kassa-relay status`. */
struct store_till_status {
	int64_t last;		/* highest offset */
	int64_t acked;		/* highest acknowledged offset */
	long long last_pull_ms; /* 0: never */
	long long last_callback_ms;
};

struct store;

struct store_ops {
	const char *name;
	/* Makes sure every named till has a row. Blocking: at start-up only. */
	kstatus (*add_tills)(struct store *s, const char *const *names, size_t n, struct kerr *err);
	/* Runs a batch; b->done is called exactly once. */
	void (*flush)(struct store *s, struct store_batch *b);
	/* Blocking, for the status command. */
	kstatus (*till_status)(struct store *s, const char *till, struct store_till_status *out,
			       struct kerr *err);
	void (*close)(struct store *s);
};

struct store {
	const struct store_ops *ops;
	store_notify_cb on_notify;
	void *notify_cls;
};

/*
 * Opens "sqlite:PATH" or "postgresql://..." / "postgres://..." (creating and
 * migrating the schema). l may be NULL for blocking use (the status
 * command); the PostgreSQL store then never calls on_notify.
 */
struct store *store_open(const char *spec, struct loop *l, struct kerr *err);
/*
 * A serving relay's claim on a SQLite database: an exclusive lock on
 * PATH.lock (holding its pid), kept until the process ends, so a second relay
 * on the same file is refused with a message naming the first one. SQLite has
 * no way to wake the long-polls of another process, and its writers would
 * wait on each other inside the loop. Returns the descriptor to keep open, -2
 * for PostgreSQL (nothing to claim: LISTEN/NOTIFY serves several processes),
 * -1 with err when refused.
 */
int store_claim(const char *spec, struct kerr *err);
/* The description of spec without a password, for messages. */
void store_describe(const char *spec, char *out, size_t n);

void store_fetch_clear(struct store_fetch *f);

struct store *store_sqlite_open(const char *path, struct kerr *err);
#ifdef KASSA_RELAY_PG
struct store *store_pg_open(const char *conninfo, struct loop *l, struct kerr *err);
#endif

#endif
