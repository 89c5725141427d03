/* Integration test helpers: libcurl, an in-process sandbox, a callback listener. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <strings.h>

#include "jsonx.h"
#include "util.h"

const char *const TEST_ACCOUNTS = "; accounts for the integration tests\n"
				  "[lifepay 70000000000]\n"
				  "apikey = sandbox-apikey\n"
				  "printer = SANDBOX-0001\n"
				  "printer = SANDBOX-0002\n"
				  "printer = OFF-0003 inactive\n"
				  "\n"
				  "[lifepay 70000000001]\n"
				  "apikey = off-apikey\n"
				  "cloud = no\n"
				  "printer = OFFLINE-0001\n"
				  "\n"
				  "[lifepay 70000000002]\n"
				  "apikey = other-apikey\n"
				  "tax_system = usn6\n"
				  "printer = OTHER-0001\n"
				  "\n"
				  "[paykeeper sandbox]\n"
				  "password = sandbox\n"
				  "secret = sandbox-secret\n";

long long test_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

struct sink {
	char *p;
	size_t len;
};

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	s->p = xrealloc(s->p, s->len + n + 1);
	memcpy(s->p + s->len, ptr, n);
	s->len += n;
	s->p[s->len] = '\0';
	return n;
}

struct hdrs {
	char allow[128];
	char www_auth[256];
};

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	const char *v = line + nl + 1;
	while (*v == ' ')
		v++;
	size_t len = n - (size_t)(v - line);
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct hdrs *h = ud;
	size_t n = size * nmemb;
	header_value(line, n, "Allow", h->allow, sizeof h->allow);
	header_value(line, n, "WWW-Authenticate", h->www_auth, sizeof h->www_auth);
	return n;
}

struct hres http_do(const char *method, const char *url, const char *content_type, const char *body,
		    size_t len, const char *userpwd, long timeout_ms)
{
	struct hres r;
	memset(&r, 0, sizeof r);
	CURL *h = curl_easy_init();
	assert_non_null(h);
	struct sink s = {0};
	struct hdrs hd = {{0}, {0}};
	struct curl_slist *list = NULL;
	if (content_type) {
		char ct[160];
		snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
		list = curl_slist_append(list, ct);
	}
	list = curl_slist_append(list, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	if (userpwd) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERPWD, userpwd);
	}
	long long t0 = test_ms();
	r.rc = curl_easy_perform(h);
	r.ms = test_ms() - t0;
	if (r.rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
	r.body = s.p ? s.p : xstrdup("");
	r.len = s.len;
	memcpy(r.allow, hd.allow, sizeof r.allow);
	memcpy(r.www_auth, hd.www_auth, sizeof r.www_auth);
	curl_slist_free_all(list);
	curl_easy_cleanup(h);
	return r;
}

void hres_free(struct hres *r)
{
	free(r->body);
	r->body = NULL;
}

json_t *hres_json(const struct hres *r)
{
	return jsonx_loads(r->body, r->len, NULL);
}

char *write_temp(const char *text)
{
	char *path = xstrdup("/tmp/kassa-sandbox-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t n = strlen(text);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return path;
}

struct sandbox *sbt_start_opts(struct sandbox_options *o)
{
	char *acc = NULL;
	if (!o->accounts_path) {
		acc = write_temp(TEST_ACCOUNTS);
		o->accounts_path = acc;
	}
	if (!o->listen)
		o->listen = "127.0.0.1:0";
	struct kerr e = {0};
	struct sandbox *sb = sandbox_start(o, &e);
	if (!sb)
		fail_msg("sandbox_start: %s: %s", e.field, e.text);
	if (acc) {
		unlink(acc);
		free(acc);
		o->accounts_path = NULL;
	}
	return sb;
}

struct sandbox *sbt_start(int64_t scale, const char *faults)
{
	struct sandbox_options o = {
	    .time_scale = scale,
	    .faults = faults,
	    .seed = 42,
	    .seed_set = true,
	    .callback_delay_ms = 20,
	    .paykeeper_step_ms = 20,
	    .conn_timeout_s = 2,
	    .strict = true, /* the refusals these tests check; tests/conformance runs tolerant */
	    .log = getenv("SANDBOX_LOG") ? stderr : NULL,
	};
	return sbt_start_opts(&o);
}

const char *sbt_url(struct sandbox *sb, const char *path)
{
	static __thread char buf[512];
	snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", sandbox_port(sb), path);
	return buf;
}

json_t *lp_call(struct sandbox *sb, const char *endpoint, const char *body)
{
	struct hres r = http_do("POST", sbt_url(sb, endpoint), "application/json; charset=utf-8",
				body, strlen(body), NULL, 10000);
	if (r.status != 200)
		fail_msg("%s: HTTP %ld (curl %d): %s", endpoint, r.status, (int)r.rc, r.body);
	json_t *j = hres_json(&r);
	if (!j)
		fail_msg("%s: reply is not JSON: %s", endpoint, r.body);
	hres_free(&r);
	return j;
}

int lp_code(const json_t *reply)
{
	const json_t *c = json_object_get(reply, "code");
	assert_true(json_is_integer(c));
	return (int)json_integer_value(c);
}

const char *lp_msg(const json_t *reply, const char *key)
{
	const json_t *data = json_object_get(reply, "data");
	const json_t *arr = json_object_get(data, key);
	return json_is_array(arr) ? json_string_value(json_array_get(arr, 0)) : NULL;
}

const char *lp_uuid(const json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "data"), "uuid"));
}

void admin_post(struct sandbox *sb, const char *path, const char *body)
{
	struct hres r = http_do("POST", sbt_url(sb, path), "text/plain", body ? body : "",
				body ? strlen(body) : 0, NULL, 5000);
	if (r.status != 200)
		fail_msg("POST %s: HTTP %ld: %s", path, r.status, r.body);
	hres_free(&r);
}

json_t *admin_get(struct sandbox *sb, const char *path)
{
	struct hres r = http_do("GET", sbt_url(sb, path), NULL, NULL, 0, NULL, 5000);
	if (r.status != 200)
		fail_msg("GET %s: HTTP %ld: %s", path, r.status, r.body);
	json_t *j = hres_json(&r);
	assert_non_null(j);
	hres_free(&r);
	return j;
}

size_t ledger_count(struct sandbox *sb)
{
	json_t *l = admin_get(sb, "/sandbox/ledger");
	size_t n = json_array_size(json_object_get(l, "documents"));
	json_decref(l);
	return n;
}

json_t *ledger_doc(struct sandbox *sb, const char *uuid)
{
	json_t *l = admin_get(sb, "/sandbox/ledger");
	json_t *docs = json_object_get(l, "documents"), *d, *found = NULL;
	size_t i;
	json_array_foreach(docs, i, d)
	{
		const char *u = json_string_value(json_object_get(d, "uuid"));
		if (u && strcmp(u, uuid) == 0) {
			found = json_incref(d);
			break;
		}
	}
	json_decref(l);
	return found;
}

/* ---- the callback listener ---- */

struct listener {
	struct MHD_Daemon *d;
	int port;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int fail_first;
	struct lrec *recs;
	size_t n;
};

struct lconn {
	char *body;
	size_t len;
};

static enum MHD_Result on_listener(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	(void)url;
	(void)method;
	(void)version;
	struct listener *l = cls;
	struct lconn *lc = *con_cls;
	if (!lc) {
		*con_cls = xcalloc(1, sizeof *lc);
		return MHD_YES;
	}
	if (*upload_data_size) {
		lc->body = xrealloc(lc->body, lc->len + *upload_data_size + 1);
		memcpy(lc->body + lc->len, upload_data, *upload_data_size);
		lc->len += *upload_data_size;
		lc->body[lc->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&l->mu);
	int status = (l->fail_first < 0 || (int)l->n < l->fail_first) ? 500 : 200;
	l->recs = xrealloc(l->recs, (l->n + 1) * sizeof *l->recs);
	struct lrec *r = &l->recs[l->n++];
	memset(r, 0, sizeof *r);
	r->body = lc->body ? xstrdup(lc->body) : xstrdup("");
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	str_copy(r->content_type, ct ? ct : "", sizeof r->content_type);
	r->at_ms = test_ms();
	r->answered = status;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->mu);
	static const char ok[] = "OK";
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(2, (void *)ok, MHD_RESPMEM_PERSISTENT);
	MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return MHD_YES;
}

static void on_listener_done(void *cls, struct MHD_Connection *c, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct lconn *lc = *con_cls;
	if (lc) {
		free(lc->body);
		free(lc);
	}
}

struct listener *listener_start(int fail_first)
{
	struct listener *l = xcalloc(1, sizeof *l);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->fail_first = fail_first;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				on_listener, l, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
				MHD_OPTION_NOTIFY_COMPLETED, on_listener_done, l, MHD_OPTION_END);
	assert_non_null(l->d);
	l->port = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return l;
}

int listener_port(const struct listener *l)
{
	return l->port;
}

const char *listener_url(const struct listener *l, const char *path)
{
	static __thread char buf[256];
	snprintf(buf, sizeof buf, "http://127.0.0.1:%d%s", l->port, path);
	return buf;
}

size_t listener_count(struct listener *l)
{
	pthread_mutex_lock(&l->mu);
	size_t n = l->n;
	pthread_mutex_unlock(&l->mu);
	return n;
}

bool listener_wait(struct listener *l, size_t n, long timeout_ms)
{
	long long end = test_ms() + timeout_ms;
	pthread_mutex_lock(&l->mu);
	while (l->n < n) {
		long long left = end - test_ms();
		if (left <= 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		long long ns = ts.tv_nsec + (left % 1000) * 1000000LL;
		ts.tv_sec += (time_t)(left / 1000 + ns / 1000000000LL);
		ts.tv_nsec = (long)(ns % 1000000000LL);
		pthread_cond_timedwait(&l->cond, &l->mu, &ts);
	}
	bool ok = l->n >= n;
	pthread_mutex_unlock(&l->mu);
	return ok;
}

struct lrec listener_get(struct listener *l, size_t i)
{
	pthread_mutex_lock(&l->mu);
	assert_true(i < l->n);
	struct lrec r = l->recs[i];
	r.body = xstrdup(r.body);
	pthread_mutex_unlock(&l->mu);
	return r;
}

void listener_stop(struct listener *l)
{
	MHD_stop_daemon(l->d);
	for (size_t i = 0; i < l->n; i++)
		free(l->recs[i].body);
	free(l->recs);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
