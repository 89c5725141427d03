/*
 * Batches and waiting pulls. Everything that needs the store during one loop
 * iteration (callbacks to commit, pulls to acknowledge and read, waiting
 * pulls woken by new callbacks) goes into the current batch; a zero-delay
 * timer hands it to the store as one transaction, so many callbacks share
 * one fsync (SQLite) or one round trip (PostgreSQL). While a batch is in
 * flight the next one fills. A callback is answered 200 only from the
 * batch's done(), after its commit; 500 when the commit failed.
 */
#include "relay_core.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "i18n.h"
#include "util.h"

static long long relay_now(void)
{
	return mono_ms();
}

struct tills *relay_tills(struct relay *r)
{
	return r->tills;
}

/* ---- the deadline list ---- */

static void on_relay_deadline(struct loop *l, void *cls);

static void deadline_arm(struct relay *r)
{
	if (r->deadline_timer) {
		loop_cancel_timer(r->loop, r->deadline_timer);
		r->deadline_timer = 0;
	}
	if (r->d_head) {
		long long d = r->d_head->deadline_ms - relay_now();
		r->deadline_timer = loop_add_timer(r->loop, d > 0 ? d : 0, on_relay_deadline, r);
	}
}

static void deadline_add(struct relay *r, struct relay_req *q)
{
	/* Most pulls share one timeout, so the place is almost always the tail. */
	struct relay_req *after = r->d_tail;
	while (after && after->deadline_ms > q->deadline_ms)
		after = after->d_prev;
	q->d_prev = after;
	q->d_next = after ? after->d_next : r->d_head;
	if (q->d_next)
		q->d_next->d_prev = q;
	else
		r->d_tail = q;
	if (after)
		after->d_next = q;
	else
		r->d_head = q;
	if (r->d_head == q)
		deadline_arm(r);
}

static void deadline_remove(struct relay *r, struct relay_req *q)
{
	bool head = r->d_head == q;
	if (q->d_prev)
		q->d_prev->d_next = q->d_next;
	else if (r->d_head == q)
		r->d_head = q->d_next;
	if (q->d_next)
		q->d_next->d_prev = q->d_prev;
	else if (r->d_tail == q)
		r->d_tail = q->d_prev;
	q->d_prev = q->d_next = NULL;
	if (head)
		deadline_arm(r);
}

void relay_waiter_unlink(struct relay_req *q)
{
	if (!q->parked)
		return;
	if (q->w_prev)
		q->w_prev->w_next = q->w_next;
	else
		q->till->waiters = q->w_next;
	if (q->w_next)
		q->w_next->w_prev = q->w_prev;
	q->w_prev = q->w_next = NULL;
	q->parked = false;
}

void relay_waiter_park(struct relay_req *q)
{
	q->parked = true;
	q->w_prev = NULL;
	q->w_next = q->till->waiters;
	if (q->w_next)
		q->w_next->w_prev = q;
	q->till->waiters = q;
}

/* ---- answers ---- */

void relay_answer_pull(struct relay *r, struct relay_req *q, const struct relay_update *u, size_t n)
{
	relay_waiter_unlink(q);
	deadline_remove(r, q);
	http_answer(q, 200, "application/json", relay_proto_pull_reply(u, n, q->last));
}

static void relay_answer_text(struct relay_req *q, int status, const char *text)
{
	http_answer(q, status, "text/plain; charset=utf-8", text ? xstrdup(text) : NULL);
}

/* ---- batches ---- */

static void on_relay_flush(struct loop *l, void *cls);

/*
 * A batch goes out at once, unless the last one left less than a group-commit
 * window ago and this one is still small: then it waits out the window, so
 * that under load callbacks share commits (and libmicrohttpd, which walks
 * every suspended connection whenever some are resumed, does that walk once
 * per batch rather than once per callback).
 */
#define RELAY_GROUP_MS 5
#define RELAY_GROUP_ENOUGH 256

void relay_schedule(struct relay *r)
{
	if (r->flush_timer || r->inflight)
		return;
	long long since = relay_now() - r->last_flush_ms;
	long long delay = 0;
	if (since < RELAY_GROUP_MS && r->cur->b.n_appends < RELAY_GROUP_ENOUGH)
		delay = RELAY_GROUP_MS - since;
	r->flush_timer = loop_add_timer(r->loop, delay, on_relay_flush, r);
}

static void pending_add_append(struct pending *p, struct relay_req *q, const char *till)
{
	if (p->b.n_appends == p->cap_app) {
		p->cap_app = p->cap_app ? 2 * p->cap_app : 64;
		p->b.appends = xrealloc(p->b.appends, p->cap_app * sizeof *p->b.appends);
		p->app_req = xrealloc(p->app_req, p->cap_app * sizeof *p->app_req);
	}
	p->b.appends[p->b.n_appends] = (struct store_append){
	    .till = till,
	    .suffix = q->route.suffix,
	    .content_type = q->content_type ? q->content_type : "",
	    .body = q->body,
	    .len = q->len,
	};
	p->app_req[p->b.n_appends++] = q;
}

static void pending_add_fetch(struct relay *r, struct relay_req *q, bool ack)
{
	struct pending *p = r->cur;
	if (p->b.n_fetches == p->cap_fetch) {
		p->cap_fetch = p->cap_fetch ? 2 * p->cap_fetch : 64;
		p->b.fetches = xrealloc(p->b.fetches, p->cap_fetch * sizeof *p->b.fetches);
		p->fetch_req = xrealloc(p->fetch_req, p->cap_fetch * sizeof *p->fetch_req);
	}
	p->b.fetches[p->b.n_fetches] = (struct store_fetch){
	    .till = q->till->name,
	    .offset = q->pull.offset,
	    .limit = q->pull.limit,
	    .ack = ack,
	};
	p->fetch_req[p->b.n_fetches++] = q;
	q->fetching = true;
	relay_schedule(r);
}

/* Moves the waiting pulls of a till into the next batch. */
static void relay_wake(struct relay *r, struct till *t)
{
	while (t->waiters) {
		struct relay_req *q = t->waiters;
		relay_waiter_unlink(q);
		pending_add_fetch(r, q, false);
	}
}

static void on_store_notify(const char *till, void *cls)
{
	struct relay *r = cls;
	if (till) {
		struct till *t = tills_by_name(r->tills, till);
		if (t)
			relay_wake(r, t);
		return;
	}
	for (size_t i = 0; i < tills_count(r->tills); i++)
		relay_wake(r, tills_at(r->tills, i));
}

/*
 * Hands the callbacks a batch committed for the till of appends[first] to its
 * waiting pulls. A pull whose last fetch ended right before them gets them
 * straight from memory (they are the next offsets: the till's row stayed
 * locked from the first append to the commit); any other pull reads the store.
 */
static void relay_deliver(struct relay *r, struct store_batch *b, size_t first)
{
	struct till *t = tills_by_name(r->tills, b->appends[first].till);
	if (!t || !t->waiters)
		return;
	size_t n = 0, cap = 8;
	struct relay_update *u = xmalloc(cap * sizeof *u);
	for (size_t i = first; i < b->n_appends; i++) {
		const struct store_append *a = &b->appends[i];
		if (strcmp(a->till, t->name) != 0)
			continue;
		if (n == cap)
			u = xrealloc(u, (cap *= 2) * sizeof *u);
		u[n] = (struct relay_update){.offset = a->offset,
					     .received_ms = b->now_ms,
					     .content_type = (char *)a->content_type,
					     .body = (char *)a->body,
					     .len = a->len};
		str_copy(u[n].suffix, a->suffix, sizeof u[n].suffix);
		n++;
	}
	/* Pulls that were read in this very batch saw these already: they stay. */
	struct relay_req *stay = NULL;
	while (t->waiters) {
		struct relay_req *q = t->waiters;
		relay_waiter_unlink(q);
		if (q->last >= u[n - 1].offset) {
			q->w_next = stay;
			stay = q;
		} else if (q->last + 1 == u[0].offset && q->pull.offset <= u[0].offset) {
			q->last = u[n - 1].offset;
			relay_answer_pull(r, q, u,
					  n < (size_t)q->pull.limit ? n : (size_t)q->pull.limit);
		} else {
			pending_add_fetch(r, q, false);
		}
	}
	while (stay) {
		struct relay_req *q = stay;
		stay = q->w_next;
		relay_waiter_park(q);
	}
	free(u);
}

/* The rows of new tills a batch carried: done when it committed, else they
 * ride the next one. */
static void rows_done(struct relay *r, struct pending *p, bool ok)
{
	size_t n = p->b.n_new_tills;
	if (ok || r->stopping) {
		for (size_t i = 0; i < n; i++)
			free(p->rows[i]);
		free(p->rows);
	} else if (n) {
		p->rows = xrealloc(p->rows, (n + r->n_new_rows) * sizeof *p->rows);
		memcpy(p->rows + n, r->new_rows, r->n_new_rows * sizeof *p->rows);
		free(r->new_rows);
		r->new_rows = p->rows;
		r->n_new_rows += n;
	} else {
		free(p->rows);
	}
	p->rows = NULL;
	p->b.new_tills = NULL;
	p->b.n_new_tills = 0;
}

static void on_batch_done(struct store_batch *b, void *cls)
{
	struct relay *r = cls;
	struct pending *p = r->inflight;
	long long now = relay_now();
	for (size_t i = 0; i < b->n_appends; i++) {
		struct relay_req *q = p->app_req[i];
		if (q->status) /* an account callback: answered with its first till */
			continue;
		if (b->ok)
			relay_answer_text(q, 200, "OK\n");
		else
			relay_answer_text(q, 500, NULL);
	}
	if (b->ok)
		r->committed += b->n_appends;
	else
		fprintf(stderr, "kassa-relay: %s\n", b->error);
	for (size_t i = 0; i < b->n_fetches; i++) {
		struct relay_req *q = p->fetch_req[i];
		struct store_fetch *f = &b->fetches[i];
		q->fetching = false;
		if (!b->ok) {
			deadline_remove(r, q);
			relay_answer_text(q, 503,
					  "the relay cannot read its database now; retry\n");
			continue;
		}
		q->last = f->last;
		/* An offset past the last one (the relay's database was replaced)
		 * is answered at once, so the till sees "last" and starts over. */
		if (f->n > 0 || now >= q->deadline_ms || r->stopping ||
		    q->pull.offset > f->last + 1 || !relay_rebind(r, q)) {
			relay_answer_pull(r, q, f->updates, f->n);
		} else {
			relay_waiter_park(q);
		}
		store_fetch_clear(f);
	}
	/* Waiting pulls of the tills that just got callbacks (pulls fetched in
	 * this batch already saw them). */
	if (b->ok)
		for (size_t i = 0; i < b->n_appends; i++)
			relay_deliver(r, b, i);
	b->n_appends = b->n_fetches = 0;
	b->prune_before_ms = 0;
	rows_done(r, p, b->ok);
	r->inflight = NULL;
	if (r->cur->b.n_appends || r->cur->b.n_fetches || r->cur->b.prune_before_ms ||
	    r->n_new_rows)
		relay_schedule(r);
}

static void on_relay_flush(struct loop *l, void *cls)
{
	struct relay *r = cls;
	r->flush_timer = 0;
	if (r->inflight)
		return;
	struct pending *p = r->cur;
	if (!p->b.n_appends && !p->b.n_fetches && !p->b.prune_before_ms && !r->n_new_rows)
		return;
	/* Rows for new tills go first in the batch, so its pulls and callbacks
	 * of those tills find them; they ride every batch until one commits. */
	p->rows = r->new_rows;
	p->b.new_tills = (const char *const *)r->new_rows;
	p->b.n_new_tills = r->n_new_rows;
	r->new_rows = NULL;
	r->n_new_rows = 0;
	r->inflight = p;
	r->last_flush_ms = relay_now();
	r->cur = p == &r->p[0] ? &r->p[1] : &r->p[0];
	p->b.now_ms = now_ms();
	p->b.done = on_batch_done;
	p->b.cls = r;
	r->store->ops->flush(r->store, &p->b);
}

static void on_relay_deadline(struct loop *l, void *cls)
{
	struct relay *r = cls;
	r->deadline_timer = 0;
	long long now = relay_now();
	while (r->d_head && r->d_head->deadline_ms <= now) {
		struct relay_req *q = r->d_head;
		if (q->fetching) { /* answered when its fetch completes */
			deadline_remove(r, q);
			continue;
		}
		relay_answer_pull(r, q, NULL, 0);
	}
	deadline_arm(r);
}

static void on_relay_prune(struct loop *l, void *cls)
{
	struct relay *r = cls;
	r->cur->b.prune_before_ms = now_ms() - r->retention_ms;
	relay_schedule(r);
	r->prune_timer = loop_add_timer(l, 60 * 1000, on_relay_prune, r);
}

/* ---- requests ---- */

static void relay_whoami(struct relay *r, struct relay_req *q)
{
	/* The callback URL the till's own token gives (http.c derived the key
	 * from the request's token; the relay keeps no key in clear), so a
	 * till can check its configuration. "" without --public-url. */
	char url[1024] = "";
	if (r->public_url) {
		size_t blen = strlen(r->public_url);
		while (blen && r->public_url[blen - 1] == '/')
			blen--;
		snprintf(url, sizeof url, "%.*s/cb/%s", (int)blen, r->public_url, q->route.key);
	}
	explicit_bzero(q->route.key, sizeof q->route.key);
	json_t *o = json_pack("{s:s,s:s,s:s}", "till", q->till->name, "public_url",
			      r->public_url ? r->public_url : "", "callback_url", url);
	explicit_bzero(url, sizeof url);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	http_answer(q, 200, "application/json", text);
}

void relay_on_request(struct relay *r, struct relay_req *q)
{
	if (r->stopping) {
		relay_answer_text(q, 503, NULL);
		return;
	}
	switch (q->route.kind) {
	case RELAY_ROUTE_HEALTH:
		relay_answer_text(q, 200, "ok\n");
		return;
	case RELAY_ROUTE_WHOAMI:
		relay_whoami(r, q);
		return;
	case RELAY_ROUTE_PULL: {
		struct kerr e = {0};
		const char *off = http_query(q, "offset");
		if (relay_proto_pull_args(off, http_query(q, "timeout"), http_query(q, "limit"),
					  &q->pull, &e) != K_OK) {
			char msg[400];
			snprintf(msg, sizeof msg, "%s: %s\n", e.field, e.text);
			relay_answer_text(q, 400, msg);
			return;
		}
		q->deadline_ms = relay_now() + (long long)q->pull.timeout_s * 1000;
		http_suspend(q);
		deadline_add(r, q);
		pending_add_fetch(r, q, true);
		return;
	}
	case RELAY_ROUTE_CALLBACK:
	case RELAY_ROUTE_ACCOUNT:
		if (q->len == 0) {
			relay_answer_text(q, 400, "empty callback body\n");
			return;
		}
		http_suspend(q);
		if (q->till) {
			pending_add_append(r->cur, q, q->till->name);
		} else {
			for (size_t i = 0; i < q->acc->n; i++)
				pending_add_append(r->cur, q, q->acc->tills[i]->name);
		}
		relay_schedule(r);
		return;
	case RELAY_ROUTE_NONE:
		break;
	}
	relay_answer_text(q, 404, NULL);
}

void relay_on_gone(struct relay *r, struct relay_req *q)
{
	relay_waiter_unlink(q);
	if (q->d_prev || q->d_next || r->d_head == q)
		deadline_remove(r, q);
	relay_set_release(r, q->set);
	q->set = NULL;
}

/* ---- start and stop ---- */

static char *relay_read_file(const char *path, const char *opt, struct kerr *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		kerr_set(err, K_IO, opt, _("cannot read %s: %m"), path);
		return NULL;
	}
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = '\0';
	return buf;
}

struct relay *relay_start(struct loop *l, struct store *s, struct tills *t,
			  const struct relay_options *opt, struct kerr *err)
{
	if (!opt->tls_cert != !opt->tls_key) {
		kerr_set(err, K_INVALID, "--tls-cert",
			 _("--tls-cert and --tls-key go together; give both or neither"));
		return NULL;
	}
	char *cert = NULL, *key = NULL;
	if (opt->tls_cert) {
		cert = relay_read_file(opt->tls_cert, "--tls-cert", err);
		if (!cert)
			return NULL;
		key = relay_read_file(opt->tls_key, "--tls-key", err);
		if (!key) {
			free(cert);
			return NULL;
		}
	}
	struct relay *r = xcalloc(1, sizeof *r);
	r->loop = l;
	r->store = s;
	relay_tills_init(r, t, opt->tills_path);
	r->public_url = opt->public_url ? xstrdup(opt->public_url) : NULL;
	r->retention_ms = opt->retention_ms > 0 ? opt->retention_ms : 7LL * 24 * 3600 * 1000;
	r->cur = &r->p[0];
	struct http_options ho = {
	    .listen = opt->listen,
	    .tls_cert_pem = cert,
	    .tls_key_pem = key,
	    .max_connections = opt->max_connections ? opt->max_connections : 12000,
	    .per_ip_limit = opt->per_ip_limit == UINT_MAX ? 0
			    : opt->per_ip_limit		  ? opt->per_ip_limit
							  : 64,
	    .timeout_s = opt->timeout_s ? opt->timeout_s : 60,
	    .body_limit = opt->body_limit ? opt->body_limit : 64 * 1024,
	};
	r->http = http_start(l, &ho, r, err);
	if (key)
		explicit_bzero(key, strlen(key));
	free(cert);
	free(key);
	if (!r->http) {
		r->set->t = NULL; /* the caller's still */
		relay_tills_free_all(r);
		free(r->public_url);
		free(r);
		return NULL;
	}
	s->on_notify = on_store_notify;
	s->notify_cls = r;
	r->prune_timer = loop_add_timer(l, 1000, on_relay_prune, r);
	return r;
}

unsigned relay_port(const struct relay *r)
{
	return r ? http_port(r->http) : 0;
}

void relay_stop(struct relay *r)
{
	if (!r)
		return;
	r->stopping = true;
	/* Let the batch in flight finish (its callbacks get their answers). A
	 * database that does not answer in 10 s is left: nothing in flight was
	 * answered 200, so stopping now loses nothing (as a SIGKILL would not). */
	long long give_up = relay_now() + 10000;
	while ((r->inflight || r->flush_timer) && relay_now() < give_up)
		loop_run_once(r->loop, 100);
	if (r->inflight) {
		fprintf(stderr, "kassa-relay: the database did not answer within 10 s; stopping "
				"without waiting (unanswered callbacks will be retried)\n");
		fflush(stderr);
		_exit(1);
	}
	while (r->d_head) {
		struct relay_req *q = r->d_head;
		relay_answer_pull(r, q, NULL, 0);
	}
	for (size_t i = 0; i < tills_count(r->tills); i++) {
		struct till *t = tills_at(r->tills, i);
		while (t->waiters) {
			struct relay_req *q = t->waiters;
			relay_answer_pull(r, q, NULL, 0);
		}
	}
	for (int i = 0; i < 4; i++)
		loop_run_once(r->loop, 10);
	r->store->on_notify = NULL;
	if (r->deadline_timer)
		loop_cancel_timer(r->loop, r->deadline_timer);
	if (r->prune_timer)
		loop_cancel_timer(r->loop, r->prune_timer);
	http_stop(r->http); /* every request gone: every set released */
	for (int i = 0; i < 2; i++) {
		free(r->p[i].b.appends);
		free(r->p[i].b.fetches);
		free(r->p[i].app_req);
		free(r->p[i].fetch_req);
		rows_done(r, &r->p[i], true);
	}
	relay_tills_free_all(r);
	free(r->public_url);
	free(r);
}
