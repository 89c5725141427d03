/*
 * The till's pull loop on kassa-relay (see relay_client.h and docs/RELAY.md).
 */
#include "relay_client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "net.h"
#include "provider.h"
#include "relay_proto.h"
#include "util.h"

/* Longest pause between two failed pulls, in backoff seconds. */
#define BACKOFF_MAX_S 30
/* Extra time a long-poll gets beyond its timeout before it counts as failed. */
#define POLL_GRACE_MS 20000

struct relay_client {
	struct loop *loop;
	struct journal *j;
	struct outbox *ob;
	struct config_profile p; /* holds relay_token: wiped at free */
	struct relay_client_options opt;
	struct net *net;
	struct net_job *job;
	uint64_t timer;
	char auth[RELAY_TOKEN_MAX + 16]; /* "Bearer <token>": wiped at free */
	int failures;
	struct relay_client_state st;
};

static void logf_(struct relay_client *rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct relay_client *rc, const char *fmt, ...)
{
	if (!rc->opt.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	rc->opt.log(rc->opt.log_cls, line);
}

void relay_client_kv_key(const char *profile, char *out, size_t n)
{
	snprintf(out, n, "relay.next.%s", profile);
}

/* 16 hex digits standing for relay_url and relay_token together, revealing neither. */
static void fingerprint(const struct config_profile *p, char out[17])
{
	char url[CONFIG_URL_MAX + RELAY_KEY_LEN + 8];
	char key[RELAY_KEY_LEN + 1];
	if (!relay_proto_callback_url(p->relay_url, p->relay_token, url, sizeof url))
		url[0] = '\0';
	relay_proto_callback_key(url, key);
	memcpy(out, key, 16);
	out[16] = '\0';
	explicit_bzero(url, sizeof url);
}

kstatus relay_client_load_next(struct journal *j, const struct config_profile *p, int64_t *next,
			       struct kerr *err)
{
	*next = 0;
	char key[CONFIG_NAME_MAX + 16], val[128];
	relay_client_kv_key(p->name, key, sizeof key);
	kstatus st = journal_kv_get(j, key, val, sizeof val, err);
	if (st == K_NOTFOUND)
		return K_OK;
	if (st != K_OK)
		return st;
	long long n = 0;
	char fp[17] = "", want[17];
	fingerprint(p, want);
	if (sscanf(val, "%lld %16s", &n, fp) == 2 && n >= 0 && strcmp(fp, want) == 0)
		*next = n;
	return K_OK;
}

kstatus relay_client_save_next(struct journal *j, const struct config_profile *p, int64_t next,
			       struct kerr *err)
{
	char key[CONFIG_NAME_MAX + 16], val[128], fp[17];
	relay_client_kv_key(p->name, key, sizeof key);
	fingerprint(p, fp);
	snprintf(val, sizeof val, "%" PRId64 " %s", next, fp);
	return journal_kv_set(j, key, val, err);
}

static void set_status(struct relay_client *rc, enum relay_client_status s, const char *reason)
{
	if (rc->st.status != s || !rc->st.since_ms)
		rc->st.since_ms = (int64_t)now_ms();
	rc->st.status = s;
	str_copy(rc->st.reason, reason ? reason : "", sizeof rc->st.reason);
}

static void pull(struct relay_client *rc);

static void on_timer(struct loop *l, void *cls)
{
	(void)l;
	struct relay_client *rc = cls;
	rc->timer = 0;
	pull(rc);
}

static void later(struct relay_client *rc, long long ms)
{
	loop_cancel_timer(rc->loop, rc->timer);
	rc->timer = loop_add_timer(rc->loop, ms, on_timer, rc);
}

/* A pull failed: reconnecting, the next one after 1, 2, 4 ... 30 backoff seconds. */
static void failed(struct relay_client *rc, const char *reason)
{
	if (rc->st.status != RELAY_CLIENT_RECONNECTING)
		logf_(rc, "relay: %s; retrying", reason);
	set_status(rc, RELAY_CLIENT_RECONNECTING, reason);
	int shift = rc->failures < 5 ? rc->failures : 5;
	long long s = 1LL << shift;
	if (s > BACKOFF_MAX_S)
		s = BACKOFF_MAX_S;
	rc->failures++;
	later(rc, s * (rc->opt.backoff_unit_ms ? rc->opt.backoff_unit_ms : 1000));
}

/* Applies the updates in order; false when the journal could not take one. */
static bool apply(struct relay_client *rc, const struct relay_pull_reply *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct relay_update *u = &r->updates[i];
		if (u->offset < rc->st.next)
			continue; /* acknowledged already */
		char reply[400];
		reply[0] = '\0';
		/* A PayKeeper cabinet holds one URL for the account, typed by a
		 * person: <relay>/acct/<key> without the /paykeeper suffix. On a
		 * profile of such a provider the body can only be its own. */
		const char *suffix = u->suffix;
		if (!suffix[0] && provider_can(rc->p.provider, PROVIDER_CAP_ACCOUNT_URL))
			suffix = provider_get(rc->p.provider)->callback_suffix;
		int status = outbox_apply_relayed(rc->ob, suffix, u->content_type, u->body, u->len,
						  reply, sizeof reply);
		if (status >= 500) {
			char why[300];
			snprintf(why, sizeof why,
				 _("a pulled callback could not be stored: %.200s"), reply);
			failed(rc, why);
			return false;
		}
		if (status != 200)
			logf_(rc, "relay update %" PRId64 " not applied (%d: %.200s)", u->offset,
			      status, reply);
		rc->st.next = u->offset + 1;
		rc->st.applied++;
	}
	return true;
}

static void on_pull_done(void *cls, const struct net_result *res)
{
	struct relay_client *rc = cls;
	rc->job = NULL;
	char why[300];
	if (res->outcome != NET_OK) {
		snprintf(why, sizeof why, "%s%s%.200s", net_outcome_str(res->outcome),
			 res->error[0] ? ": " : "", res->error);
		failed(rc, why);
		return;
	}
	if (res->http_status == 401) {
		rc->st.unauthorized = true;
		set_status(rc, RELAY_CLIENT_STOPPED,
			   _("the relay refused relay_token: copy the token `kassa-relay "
			     "add-till` printed for this till into the profile"));
		logf_(rc, "relay: %s", rc->st.reason);
		return;
	}
	if (res->http_status != 200) {
		snprintf(why, sizeof why, _("the relay answered HTTP %ld"), res->http_status);
		failed(rc, why);
		return;
	}
	struct relay_pull_reply r;
	struct kerr e = {0};
	if (relay_proto_pull_parse(res->body, res->body_len, &r, &e) != K_OK) {
		snprintf(why, sizeof why, _("unreadable pull reply: %.200s"), e.text);
		failed(rc, why);
		return;
	}
	int64_t before = rc->st.next;
	if (r.last < rc->st.next - 1) {
		/* The relay's database was replaced: its offsets start again. */
		logf_(rc,
		      "relay: its last offset %" PRId64 " is below ours (%" PRId64
		      "): its store was replaced, pulling from its oldest",
		      r.last, rc->st.next);
		rc->st.next = 0;
		before = -1;
	}
	bool ok = apply(rc, &r);
	bool caught_up = ok && r.n < RELAY_LIMIT_DEFAULT;
	size_t r_n = r.n;
	relay_proto_pull_free(&r);
	/* Acknowledged only now: applied first, then the offset stored. */
	if (rc->st.next != before &&
	    relay_client_save_next(rc->j, &rc->p, rc->st.next, &e) != K_OK) {
		if (ok) {
			snprintf(why, sizeof why, _("the relay offset could not be stored: %.200s"),
				 e.text);
			failed(rc, why);
		}
		return;
	}
	if (!ok)
		return;
	rc->failures = 0;
	rc->st.caught_up = caught_up;
	if (rc->st.status != RELAY_CLIENT_CONNECTED)
		logf_(rc, "relay: connected");
	set_status(rc, RELAY_CLIENT_CONNECTED, NULL);
	/* One pass ends with a pull that brought nothing: it acknowledged the rest. */
	if (rc->opt.poll_s == 0 && caught_up && r_n == 0) {
		set_status(rc, RELAY_CLIENT_STOPPED, NULL);
		return;
	}
	later(rc, 0); /* the next pull at once (from the loop, not from inside net) */
}

static void pull(struct relay_client *rc)
{
	if (rc->job)
		return;
	/* Until a pull was answered, ask without waiting: connected is known at once. */
	int wait_s = rc->st.status == RELAY_CLIENT_CONNECTED ? rc->opt.poll_s : 0;
	char url[CONFIG_URL_MAX + 96];
	snprintf(url, sizeof url, "%s/pull?offset=%" PRId64 "&timeout=%d&limit=%d", rc->p.relay_url,
		 rc->st.next, wait_s, RELAY_LIMIT_DEFAULT);
	struct net_header h[] = {{"Authorization", rc->auth}, {NULL, NULL}};
	struct net_request req = {.method = "GET",
				  .url = url,
				  .headers = h,
				  .timeout_ms = wait_s * 1000L + POLL_GRACE_MS};
	struct kerr e = {0};
	rc->job = net_submit(rc->net, &req, on_pull_done, rc, &e);
	if (!rc->job)
		failed(rc, e.text);
}

struct relay_client *relay_client_new(struct loop *l, struct journal *j, struct outbox *ob,
				      const struct config_profile *p,
				      const struct relay_client_options *opt, struct kerr *err)
{
	if (!p->relay_url[0] || !p->relay_token[0]) {
		kerr_set(err, K_INVALID, "relay_url",
			 _("profile \"%s\" has no relay: set relay_url and relay_token"), p->name);
		return NULL;
	}
	struct relay_client *rc = xcalloc(1, sizeof *rc);
	rc->loop = l;
	rc->j = j;
	rc->ob = ob;
	rc->p = *p;
	if (opt)
		rc->opt = *opt;
	if (rc->opt.poll_s < 0)
		rc->opt.poll_s = 0;
	if (rc->opt.poll_s > RELAY_POLL_MAX_S)
		rc->opt.poll_s = RELAY_POLL_MAX_S;
	snprintf(rc->auth, sizeof rc->auth, "Bearer %s", p->relay_token);
	if (relay_client_load_next(j, p, &rc->st.next, err) != K_OK) {
		relay_client_free(rc);
		return NULL;
	}
	/* relay_ca: a relay with a certificate from a private CA is trusted
	 * through that CA alone; verification stays on. Checked here so a
	 * wrong path is named rather than shown as a TLS failure. */
	if (!rc->opt.ca_file && rc->p.relay_ca[0]) {
		if (access(rc->p.relay_ca, R_OK) != 0) {
			kerr_set(err, K_INVALID, "relay_ca",
				 _("cannot read relay_ca %s: %s; give the PEM file of the CA that "
				   "signed the relay's certificate, or remove relay_ca"),
				 rc->p.relay_ca, strerror(errno));
			relay_client_free(rc);
			return NULL;
		}
		rc->opt.ca_file = rc->p.relay_ca;
	}
	struct net_options no = {.max_in_flight = 1,
				 .connect_timeout_ms = rc->opt.connect_timeout_ms,
				 .total_timeout_ms = RELAY_POLL_MAX_S * 1000L + POLL_GRACE_MS,
				 .ca_file = rc->opt.ca_file};
	rc->net = net_new(l, &no);
	set_status(rc, RELAY_CLIENT_CONNECTING, NULL);
	pull(rc);
	return rc;
}

void relay_client_free(struct relay_client *rc)
{
	if (!rc)
		return;
	if (rc->job)
		net_cancel(rc->job);
	loop_cancel_timer(rc->loop, rc->timer);
	if (rc->net)
		net_free(rc->net);
	explicit_bzero(rc->auth, sizeof rc->auth);
	explicit_bzero(&rc->p, sizeof rc->p);
	free(rc);
}

void relay_client_state(const struct relay_client *rc, struct relay_client_state *out)
{
	*out = rc->st;
}

void relay_client_line(const struct relay_client *rc, char *buf, size_t n)
{
	char when[16];
	time_t t = (time_t)(rc->st.since_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%H:%M:%S", &tm);
	switch (rc->st.status) {
	case RELAY_CLIENT_CONNECTED:
		snprintf(buf, n, "%s", _("relay connected"));
		break;
	case RELAY_CLIENT_CONNECTING:
		snprintf(buf, n, "%s", _("relay connecting"));
		break;
	case RELAY_CLIENT_RECONNECTING:
		snprintf(buf, n, _("relay reconnecting since %s"), when);
		break;
	default:
		snprintf(buf, n, "%s",
			 rc->st.unauthorized ? _("relay: wrong relay_token") : _("relay stopped"));
	}
}
