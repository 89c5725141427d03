/*
 * The sandbox engine: options, the request router, fault injection and the
 * admin endpoints under /sandbox/. Every request runs under one lock, so the
 * emulated provider behaves as one consistent server; stalls are applied by
 * the HTTP layer after the lock is released.
 */
#include "sandbox/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "jsonx.h"
#include "money.h"
#include "util.h"

kstatus sandbox_time_scale_parse(const char *text, int64_t *millionths, struct kerr *err)
{
	int64_t v;
	struct kerr e;
	/* Up to 1000x faster or slower than real time, in millionths. */
	if (!text || decimal_parse(text, 6, INT64_C(1000) * SANDBOX_SCALE_ONE, 0, &v, "time-scale",
				   &e) != K_OK)
		return kerr_set(
		    err, K_INVALID, "time-scale",
		    "\"%s\" is not a time scale; give a decimal such as 0.01 (100 times "
		    "faster) or 1 (real time)",
		    text ? text : "");
	if (v == 0)
		return kerr_set(err, K_INVALID, "time-scale",
				"the time scale must be above 0 (0.000001 is the smallest)");
	*millionths = v;
	return K_OK;
}

long long sandbox_now(const struct sandbox *sb)
{
	return now_ms() + sb->clock_offset_ms;
}

long long sandbox_scaled(const struct sandbox *sb, long long ms)
{
	if (ms <= 0)
		return 0;
	/* Split so that ms x scale cannot overflow for any accepted scale. */
	long long one = SANDBOX_SCALE_ONE;
	long long v = ms / one * sb->scale + ms % one * sb->scale / one;
	return v > 0 ? v : 1;
}

void sandbox_wake(struct sandbox *sb)
{
	pthread_cond_broadcast(&sb->wake);
}

void sandbox_uuid(char out[40])
{
	uuid_t u;
	uuid_generate_random(u);
	uuid_unparse_lower(u, out);
}

void sandbox_log(struct sandbox *sb, const char *fmt, ...)
{
	if (!sb->opt.log)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	fprintf(sb->opt.log, "%04d-%02d-%02dT%02d:%02d:%02dZ %s\n", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, line);
	fflush(sb->opt.log);
}

void sandbox_reply_json(struct sandbox_reply *rp, int http_status, json_t *j)
{
	free(rp->body);
	rp->http_status = http_status;
	rp->body = jsonx_dumps(j, JSON_COMPACT);
	rp->body_len = rp->body ? strlen(rp->body) : 0;
	if (!rp->body) {
		rp->body = xstrdup("{}");
		rp->body_len = 2;
	}
	str_copy(rp->content_type, "application/json; charset=utf-8", sizeof rp->content_type);
	json_decref(j);
}

void sandbox_reply_free(struct sandbox_reply *rp)
{
	free(rp->body);
	memset(rp, 0, sizeof *rp);
}

static void reply_error(struct sandbox_reply *rp, int http_status, const char *msg)
{
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(msg));
	json_object_set_new(j, "status", json_integer(http_status));
	sandbox_reply_json(rp, http_status, j);
}

static void reply_method(struct sandbox_reply *rp, const char *allow)
{
	char msg[128];
	snprintf(msg, sizeof msg, "method not allowed here; use %s", allow);
	reply_error(rp, 405, msg);
	snprintf(rp->extra_header[0], sizeof rp->extra_header[0], "Allow: %s", allow);
}

/* True when rq uses method want; else rp says 405 and which method to use. */
static bool method_is(const struct sandbox_request *rq, struct sandbox_reply *rp, const char *want)
{
	if (strcmp(rq->method, want) == 0)
		return true;
	reply_method(rp, want);
	return false;
}

struct sandbox *sandbox_new(const struct sandbox_options *opt, struct kerr *err)
{
	struct sandbox *sb = xcalloc(1, sizeof *sb);
	sb->opt = *opt;
	sb->scale = opt->time_scale > 0 ? opt->time_scale : SANDBOX_SCALE_ONE;
	if (sb->opt.callback_delay_ms <= 0)
		sb->opt.callback_delay_ms = 1000;
	if (sb->opt.paykeeper_step_ms <= 0)
		sb->opt.paykeeper_step_ms = 1000;
	if (sb->opt.conn_timeout_s == 0)
		sb->opt.conn_timeout_s = 10;
	if (sb->opt.max_body == 0)
		sb->opt.max_body = SANDBOX_MAX_BODY;
	sb->opt.listen = NULL; /* not owned; http.c gets it as an argument */
	sb->opt.accounts_path = NULL;
	sb->opt.db_path = NULL;
	sb->opt.faults = NULL;

	pthread_mutex_init(&sb->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sb->wake, &ca);
	pthread_cond_init(&sb->stall_cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&sb->stall_lock, NULL);

	if (opt->accounts_path) {
		if (sandbox_accounts_load(opt->accounts_path, &sb->accounts, err) != K_OK)
			goto fail;
	} else {
		sandbox_accounts_defaults(&sb->accounts);
	}
	if (sandbox_faults_parse(opt->faults, &sb->faults, err) != K_OK)
		goto fail;
	sb->seed = opt->seed_set
		       ? opt->seed
		       : ((uint64_t)now_ms() << 16) ^ (uint64_t)getpid() ^ (uint64_t)mono_ms();
	sandbox_prng_seed(&sb->prng, sb->seed);
	if (sandbox_store_open(opt->db_path, &sb->store, err) != K_OK)
		goto fail;
	if (!opt->no_worker && sandbox_worker_start(sb, err) != K_OK)
		goto fail;
	return sb;
fail:
	sandbox_free(sb);
	return NULL;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	pthread_mutex_lock(&sb->stall_lock);
	sb->stopping = true;
	pthread_cond_broadcast(&sb->stall_cond);
	pthread_mutex_unlock(&sb->stall_lock);
	sandbox_worker_stop(sb);
	sandbox_store_close(sb->store);
	sandbox_bills_free(sb);
	sandbox_accounts_free(&sb->accounts);
	pthread_cond_destroy(&sb->wake);
	pthread_cond_destroy(&sb->stall_cond);
	pthread_mutex_destroy(&sb->stall_lock);
	pthread_mutex_destroy(&sb->lock);
	free(sb);
}

struct sandbox *sandbox_start(const struct sandbox_options *opt, struct kerr *err)
{
	struct sandbox *sb = sandbox_new(opt, err);
	if (!sb)
		return NULL;
	if (sandbox_http_start(sb, opt->listen ? opt->listen : "127.0.0.1:0", err) != K_OK) {
		sandbox_free(sb);
		return NULL;
	}
	sandbox_log(sb, "listening on port %d, faults seed %llu", sandbox_http_port(sb),
		    (unsigned long long)sb->seed);
	return sb;
}

int sandbox_port(const struct sandbox *sb)
{
	return sb ? sandbox_http_port(sb) : 0;
}

void sandbox_stop(struct sandbox *sb)
{
	if (!sb)
		return;
	/* Wake stalled replies first so the HTTP threads can finish. */
	pthread_mutex_lock(&sb->stall_lock);
	sb->stopping = true;
	pthread_cond_broadcast(&sb->stall_cond);
	pthread_mutex_unlock(&sb->stall_lock);
	sandbox_http_stop(sb);
	sandbox_free(sb);
}

/* ---- admin endpoints ---- */

static json_t *body_json(const struct sandbox_request *rq)
{
	if (!rq->body || rq->body_len == 0)
		return NULL;
	json_t *j = jsonx_loads(rq->body, rq->body_len, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static void admin_faults(struct sandbox *sb, const struct sandbox_request *rq,
			 struct sandbox_reply *rp)
{
	if (strcmp(rq->method, "POST") == 0) {
		char *spec = NULL;
		bool seed_set = false;
		json_int_t seed = 0;
		if (rq->body_len > 0 && rq->body[0] == '{') {
			json_t *j = body_json(rq);
			json_t *f = j ? json_object_get(j, "faults") : NULL;
			json_t *s = j ? json_object_get(j, "seed") : NULL;
			if (!j || (f && !json_is_string(f)) || (s && !json_is_integer(s))) {
				json_decref(j);
				reply_error(rp, 400,
					    "send the spec as text or as {\"faults\":\"drop=0.1\","
					    "\"seed\":1}");
				return;
			}
			spec = xstrdup(f ? json_string_value(f) : "");
			if (s) {
				seed_set = true;
				seed = json_integer_value(s);
			}
			json_decref(j);
		} else {
			if (rq->body_len && memchr(rq->body, '\0', rq->body_len)) {
				reply_error(rp, 400, "the fault spec holds a NUL byte");
				return;
			}
			spec = xstrndup(rq->body ? rq->body : "", rq->body_len);
		}
		struct kerr e = {0};
		struct sb_faults f;
		if (sandbox_faults_parse(spec, &f, &e) != K_OK) {
			free(spec);
			reply_error(rp, 400, e.text);
			return;
		}
		free(spec);
		sb->faults = f;
		if (seed_set) {
			sb->seed = (uint64_t)seed;
			sandbox_prng_seed(&sb->prng, sb->seed);
		}
	} else if (strcmp(rq->method, "GET") != 0) {
		reply_method(rp, "GET, POST");
		return;
	}
	char buf[256];
	sandbox_faults_format(&sb->faults, buf, sizeof buf);
	sandbox_log(sb, "faults: %s", buf);
	json_t *j = json_object();
	json_object_set_new(j, "faults", json_string(buf));
	json_object_set_new(j, "seed", json_integer((json_int_t)(sb->seed & INT64_MAX)));
	sandbox_reply_json(rp, 200, j);
}

static void admin_clock(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	if (strcmp(rq->method, "POST") == 0) {
		json_t *j = body_json(rq);
		json_t *off = j ? json_object_get(j, "offset_ms") : NULL;
		json_t *adv = j ? json_object_get(j, "advance_ms") : NULL;
		if (!j || (!off && !adv) || (off && !json_is_integer(off)) ||
		    (adv && !json_is_integer(adv))) {
			json_decref(j);
			reply_error(rp, 400,
				    "send {\"offset_ms\": N} or {\"advance_ms\": N} (integers)");
			return;
		}
		long long limit = 100LL * 365 * 86400000LL;
		long long v = off ? (long long)json_integer_value(off) : sb->clock_offset_ms;
		if (adv)
			v += (long long)json_integer_value(adv);
		json_decref(j);
		if (v > limit || v < -limit) {
			reply_error(rp, 400, "the clock offset must stay within 100 years");
			return;
		}
		sb->clock_offset_ms = v;
		sandbox_log(sb, "clock offset %lld ms", v);
		sandbox_wake(sb);
	} else if (strcmp(rq->method, "GET") != 0) {
		reply_method(rp, "GET, POST");
		return;
	}
	json_t *j = json_object();
	json_object_set_new(j, "now_ms", json_integer(sandbox_now(sb)));
	json_object_set_new(j, "offset_ms", json_integer(sb->clock_offset_ms));
	sandbox_reply_json(rp, 200, j);
}

/* GET: fn's answer, under key (NULL: fn's object is the reply itself). */
static void admin_get(struct sandbox *sb, const struct sandbox_request *rq,
		      struct sandbox_reply *rp, json_t *(*fn)(struct sb_store *, struct kerr *),
		      const char *key)
{
	if (!method_is(rq, rp, "GET"))
		return;
	struct kerr e = {0};
	json_t *got = fn(sb->store, &e);
	if (!got) {
		reply_error(rp, 500, e.text);
		return;
	}
	json_t *j = got;
	if (key) {
		j = json_object();
		json_object_set_new(j, key, got);
	}
	sandbox_reply_json(rp, 200, j);
}

/* The ledger: LifePay documents and PayKeeper receipts. */
static json_t *ledger_json(struct sb_store *st, struct kerr *e)
{
	json_t *docs = sandbox_store_ledger(st, e);
	if (!docs)
		return NULL;
	struct sb_pk_receipt *rs = NULL;
	size_t n = 0;
	if (sandbox_store_pk_all(st, NULL, &rs, &n, e) != K_OK) {
		json_decref(docs);
		return NULL;
	}
	json_t *pk = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = sandbox_paykeeper_receipt_json(&rs[i]);
		json_object_set_new(o, "user", json_string(rs[i].user));
		json_object_set_new(o, "receipt_key", json_string(rs[i].receipt_key));
		json_array_append_new(pk, o);
		sandbox_pk_free(&rs[i]);
	}
	free(rs);
	json_t *j = json_object();
	json_object_set_new(j, "documents", docs);
	json_object_set_new(j, "paykeeper", pk);
	return j;
}

static void admin_reset(struct sandbox *sb, const struct sandbox_request *rq,
			struct sandbox_reply *rp)
{
	if (!method_is(rq, rp, "POST"))
		return;
	struct kerr e = {0};
	if (sandbox_store_reset(sb->store, &e) != K_OK) {
		reply_error(rp, 500, e.text);
		return;
	}
	sb->clock_offset_ms = 0;
	sandbox_bills_reset(sb);
	sandbox_log(sb, "reset");
	json_t *j = json_object();
	json_object_set_new(j, "reset", json_true());
	sandbox_reply_json(rp, 200, j);
}

static void admin_pk_callback(struct sandbox *sb, const struct sandbox_request *rq,
			      struct sandbox_reply *rp)
{
	if (!method_is(rq, rp, "POST"))
		return;
	json_t *j = body_json(rq);
	const char *user = j ? json_string_value(json_object_get(j, "user")) : NULL;
	const char *url = j ? json_string_value(json_object_get(j, "url")) : NULL;
	struct sb_paykeeper_acc *acc =
	    user ? sandbox_accounts_paykeeper(&sb->accounts, user) : NULL;
	if (!acc || !url || strlen(url) >= sizeof acc->callback_url) {
		json_decref(j);
		reply_error(rp, 400,
			    "send {\"user\": \"<PayKeeper user>\", \"url\": \"http://...\"} with a "
			    "known user and a URL under 256 characters");
		return;
	}
	str_copy(acc->callback_url, url, sizeof acc->callback_url);
	json_decref(j);
	json_t *o = json_object();
	json_object_set_new(o, "user", json_string(acc->user));
	json_object_set_new(o, "callback_url", json_string(acc->callback_url));
	sandbox_reply_json(rp, 200, o);
}

static void admin_index(struct sandbox_reply *rp)
{
	static const char *const paths[] = {
	    "GET /sandbox/ledger",
	    "GET /sandbox/callbacks",
	    "GET /sandbox/shifts",
	    "GET|POST /sandbox/faults",
	    "GET|POST /sandbox/clock",
	    "POST /sandbox/reset",
	    "POST /sandbox/paykeeper/callback-url",
	    "GET /sandbox/bills",
	    "POST /sandbox/bills/pay|fail|notify-url",
	};
	json_t *arr = json_array();
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		json_array_append_new(arr, json_string(paths[i]));
	json_t *j = json_object();
	json_object_set_new(j, "endpoints", arr);
	json_object_set_new(j, "docs", json_string("docs/SANDBOX.md"));
	sandbox_reply_json(rp, 200, j);
}

static void admin_handle(struct sandbox *sb, const struct sandbox_request *rq,
			 struct sandbox_reply *rp)
{
	const char *p = rq->path + strlen("/sandbox");
	if (sandbox_bills_admin(sb, rq, rp))
		return;
	if (strcmp(p, "") == 0 || strcmp(p, "/") == 0)
		admin_index(rp);
	else if (strcmp(p, "/ledger") == 0)
		admin_get(sb, rq, rp, ledger_json, NULL);
	else if (strcmp(p, "/callbacks") == 0)
		admin_get(sb, rq, rp, sandbox_store_callbacks, "callbacks");
	else if (strcmp(p, "/shifts") == 0)
		admin_get(sb, rq, rp, sandbox_store_shifts, "shifts");
	else if (strcmp(p, "/faults") == 0)
		admin_faults(sb, rq, rp);
	else if (strcmp(p, "/clock") == 0)
		admin_clock(sb, rq, rp);
	else if (strcmp(p, "/reset") == 0)
		admin_reset(sb, rq, rp);
	else if (strcmp(p, "/paykeeper/callback-url") == 0)
		admin_pk_callback(sb, rq, rp);
	else
		reply_error(rp, 404, "no such admin endpoint; GET /sandbox/ lists them");
}

/* ---- the router ---- */

void sandbox_handle(struct sandbox *sb, const struct sandbox_request *rq, struct sandbox_reply *rp)
{
	memset(rp, 0, sizeof *rp);
	const char *method = rq->method ? rq->method : "";
	const char *path = rq->path ? rq->path : "";
	struct sandbox_request r = *rq;
	r.method = method;
	r.path = path;
	if (!r.body)
		r.body_len = 0;
	if (r.body_len > sb->opt.max_body) {
		char msg[128];
		snprintf(msg, sizeof msg, "the request body is larger than %zu bytes",
			 sb->opt.max_body);
		reply_error(rp, 413, msg);
		return;
	}

	pthread_mutex_lock(&sb->lock);
	if (strcmp(path, "/sandbox") == 0 || strncmp(path, "/sandbox/", 9) == 0) {
		admin_handle(sb, &r, rp);
		pthread_mutex_unlock(&sb->lock);
		return;
	}
	bool known = strncmp(path, "/cloud-print/", 13) == 0 || strncmp(path, "/info/", 6) == 0 ||
		     strncmp(path, "/change/", 8) == 0 || strncmp(path, "/v1/", 4) == 0;
	if (known && sandbox_prng_chance(&sb->prng, sb->faults.http500)) {
		sandbox_log(sb, "%s %s -> fault http500", method, path);
		json_t *j = json_object();
		json_object_set_new(j, "code", json_integer(500));
		json_object_set_new(j, "message", json_string("Внутренняя ошибка сервера."));
		json_object_set_new(j, "data", json_object());
		sandbox_reply_json(rp, 500, j);
		pthread_mutex_unlock(&sb->lock);
		return;
	}
	bool handled = sandbox_lifepay_handle(sb, &r, rp) || sandbox_paykeeper_handle(sb, &r, rp) ||
		       sandbox_bills_handle(sb, &r, rp);
	if (!handled) {
		char msg[192];
		snprintf(msg, sizeof msg,
			 "no such endpoint: %.100s; see docs/SANDBOX.md for the emulated paths",
			 path);
		reply_error(rp, 404, msg);
		known = false;
	}
	if (known && sandbox_prng_chance(&sb->prng, sb->faults.drop)) {
		rp->drop = true;
		sandbox_log(sb, "%s %s -> fault drop", method, path);
	} else if (known && sandbox_prng_chance(&sb->prng, sb->faults.stall)) {
		rp->stall_ms = sandbox_scaled(sb, sb->faults.stall_ms);
		sandbox_log(sb, "%s %s -> fault stall %lld ms", method, path, rp->stall_ms);
	}
	sandbox_log(sb, "%s %s -> %d", method, path, rp->http_status);
	pthread_mutex_unlock(&sb->lock);
}
