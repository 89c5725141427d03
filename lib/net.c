/*
 * libcurl multi, socket API, on the one loop. curl tells us which sockets to
 * watch (on_curl_socket) and when it next needs a kick (on_curl_timer); the
 * loop calls back and we hand the readiness to curl_multi_socket_action.
 * Finished transfers are collected right after each action, outside curl's
 * own callbacks, so on_done may submit or cancel requests freely.
 */
#include "net.h"

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buf.h"
#include "util.h"

#ifndef KASSA_VERSION
#define KASSA_VERSION "0"
#endif

enum net_job_state {
	NET_JOB_QUEUED,
	NET_JOB_ACTIVE,
	NET_JOB_FAILED,	   /* could not be started; reported from a timer */
	NET_JOB_FINISHING, /* on_done is running */
};

struct net_job_list {
	struct net_job *head, *tail;
	size_t n;
};

struct net_job {
	struct net *net;
	struct net_job *prev, *next;
	enum net_job_state state;
	CURL *easy;
	struct curl_slist *headers;
	struct buf reply;
	bool too_big;
	CURLcode fail_code;
	char errbuf[CURL_ERROR_SIZE];
	long long submitted_at, started_at;
	net_done_cb on_done;
	void *cls;
};

struct net {
	struct loop *loop;
	CURLM *multi;
	uint64_t curl_timer;
	uint64_t fail_timer;
	struct net_job_list queued, active, failed;
	unsigned max_in_flight;
	long connect_timeout_ms, total_timeout_ms;
	size_t max_body;
	char *user_agent;
	char *ca_file;
};

static void list_append(struct net_job_list *l, struct net_job *j)
{
	j->next = NULL;
	j->prev = l->tail;
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->n++;
}

static void list_remove(struct net_job_list *l, struct net_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		l->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		l->tail = j->prev;
	j->prev = j->next = NULL;
	l->n--;
}

static void net_job_free(struct net_job *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	buf_free(&j->reply);
	free(j);
}

const char *net_outcome_str(enum net_outcome o)
{
	switch (o) {
	case NET_OK:
		return "ok";
	case NET_ERR_RESOLVE:
		return "host name not found";
	case NET_ERR_CONNECT:
		return "connection failed";
	case NET_ERR_TIMEOUT:
		return "timed out";
	case NET_ERR_TLS:
		return "TLS error";
	case NET_ERR_TOO_BIG:
		return "reply too large";
	case NET_ERR_IO:
		return "connection broken";
	case NET_ERR_OTHER:
		break;
	}
	return "network error";
}

static enum net_outcome net_classify(struct net_job *j, CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return NET_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return NET_ERR_RESOLVE;
	case CURLE_COULDNT_CONNECT:
		return NET_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT: {
		/* Timed out before a connection existed: a connect problem. */
		curl_off_t connect_us = 0;
		curl_easy_getinfo(j->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
		return connect_us == 0 ? NET_ERR_CONNECT : NET_ERR_TIMEOUT;
	}
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return NET_ERR_TLS;
	case CURLE_FILESIZE_EXCEEDED:
		return NET_ERR_TOO_BIG;
	case CURLE_WRITE_ERROR:
		return j->too_big ? NET_ERR_TOO_BIG : NET_ERR_OTHER;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return NET_ERR_IO;
	default:
		return NET_ERR_OTHER;
	}
}

/* ---- finishing ---- */

static void net_start_queued(struct net *n);

static void net_deliver(struct net *n, struct net_job *j, CURLcode code)
{
	struct net_result res;
	memset(&res, 0, sizeof res);
	res.outcome = net_classify(j, code);
	res.curl_code = (int)code;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &res.http_status);
	char *ct = NULL;
	curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &ct);
	res.content_type = ct ? ct : "";
	res.body = j->reply.p ? j->reply.p : "";
	res.body_len = j->reply.len;
	long long now = mono_ms();
	if (j->started_at) {
		res.elapsed_ms = now - j->started_at;
		res.queued_ms = j->started_at - j->submitted_at;
	} else {
		res.queued_ms = now - j->submitted_at;
	}
	if (res.outcome == NET_ERR_TOO_BIG) {
		snprintf(res.error, sizeof res.error, "the reply is larger than %zu bytes",
			 n->max_body);
		res.body = "";
		res.body_len = 0;
	} else if (code != CURLE_OK) {
		/* curl's detail names host and port at most; credentials never
		 * reach it because URLs with user info are refused. */
		snprintf(res.error, sizeof res.error, "%s",
			 j->errbuf[0] ? j->errbuf : curl_easy_strerror(code));
	}
	j->state = NET_JOB_FINISHING;
	/* Queued requests take the freed slot before on_done can add new ones. */
	net_start_queued(n);
	j->on_done(j->cls, &res);
	net_job_free(j);
}

static void net_collect(struct net *n)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(n->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode code = msg->data.result;
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		curl_multi_remove_handle(n->multi, easy);
		struct net_job *j = (struct net_job *)(void *)priv;
		if (!j)
			continue;
		list_remove(&n->active, j);
		net_deliver(n, j, code);
	}
}

static void on_fail_timer(struct loop *l, void *cls)
{
	struct net *n = cls;
	n->fail_timer = 0;
	struct net_job *j;
	while ((j = n->failed.head)) {
		list_remove(&n->failed, j);
		net_deliver(n, j, j->fail_code);
	}
}

/* ---- curl <-> loop ---- */

static void on_net_fd(struct loop *l, int fd, short revents, void *cls)
{
	struct net *n = cls;
	int mask = 0;
	if (revents & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP))
		mask |= CURL_CSELECT_ERR;
	if (revents & POLLNVAL) {
		/* Closed behind our back: stop polling it or the loop spins. */
		loop_unwatch_fd(l, fd);
		mask |= CURL_CSELECT_ERR;
	}
	int running = 0;
	curl_multi_socket_action(n->multi, fd, mask, &running);
	net_collect(n);
}

static void on_net_timer(struct loop *l, void *cls)
{
	struct net *n = cls;
	n->curl_timer = 0;
	int running = 0;
	curl_multi_socket_action(n->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	net_collect(n);
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct net *n = userp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch_fd(n->loop, s);
		return 0;
	}
	short ev = 0;
	if (what & CURL_POLL_IN)
		ev |= POLLIN;
	if (what & CURL_POLL_OUT)
		ev |= POLLOUT;
	loop_watch_fd(n->loop, s, ev, on_net_fd, n);
	return 0;
}

/* curl asks for a kick after timeout_ms (-1: no timer). It must not be
 * driven from inside this callback, so even 0 goes through the loop. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct net *n = userp;
	if (n->curl_timer) {
		loop_cancel_timer(n->loop, n->curl_timer);
		n->curl_timer = 0;
	}
	if (timeout_ms >= 0)
		n->curl_timer = loop_add_timer(n->loop, timeout_ms, on_net_timer, n);
	return 0;
}

static size_t on_curl_write(char *ptr, size_t size, size_t nmemb, void *cls)
{
	struct net_job *j = cls;
	size_t len = size * nmemb;
	if (len > j->net->max_body || j->reply.len > j->net->max_body - len) {
		j->too_big = true;
		return 0; /* makes curl stop with CURLE_WRITE_ERROR */
	}
	buf_add(&j->reply, ptr, len);
	return len;
}

/* ---- setup ---- */

struct net *net_new(struct loop *l, const struct net_options *opt)
{
	static const struct net_options defaults = {0};
	if (!opt)
		opt = &defaults;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct net *n = xcalloc(1, sizeof *n);
	n->loop = l;
	n->max_in_flight = opt->max_in_flight ? opt->max_in_flight : 4;
	n->connect_timeout_ms = opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : 10000;
	n->total_timeout_ms = opt->total_timeout_ms > 0 ? opt->total_timeout_ms : 30000;
	n->max_body = opt->max_body ? opt->max_body : (size_t)4 << 20;
	n->user_agent = xstrdup(opt->user_agent ? opt->user_agent : "kassa/" KASSA_VERSION);
	n->ca_file = opt->ca_file ? xstrdup(opt->ca_file) : NULL;
	n->multi = curl_multi_init();
	if (!n->multi) {
		fprintf(stderr, "kassa: curl_multi_init failed\n");
		abort();
	}
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(n->multi, CURLMOPT_SOCKETDATA, n);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(n->multi, CURLMOPT_TIMERDATA, n);
	/* Keep enough idle connections to reuse one per slot. */
	curl_multi_setopt(n->multi, CURLMOPT_MAXCONNECTS, (long)n->max_in_flight + 2);
	return n;
}

void net_free(struct net *n)
{
	if (!n)
		return;
	struct net_job *j;
	while ((j = n->active.head)) {
		list_remove(&n->active, j);
		curl_multi_remove_handle(n->multi, j->easy);
		net_job_free(j);
	}
	while ((j = n->queued.head)) {
		list_remove(&n->queued, j);
		net_job_free(j);
	}
	while ((j = n->failed.head)) {
		list_remove(&n->failed, j);
		net_job_free(j);
	}
	curl_multi_cleanup(n->multi);
	if (n->curl_timer)
		loop_cancel_timer(n->loop, n->curl_timer);
	if (n->fail_timer)
		loop_cancel_timer(n->loop, n->fail_timer);
	free(n->user_agent);
	free(n->ca_file);
	free(n);
	curl_global_cleanup();
}

static void net_fail_soon(struct net *n, struct net_job *j, CURLcode code)
{
	j->state = NET_JOB_FAILED;
	j->fail_code = code;
	list_append(&n->failed, j);
	if (!n->fail_timer)
		n->fail_timer = loop_add_timer(n->loop, 0, on_fail_timer, n);
}

static void net_start_queued(struct net *n)
{
	while (n->queued.head && n->active.n < n->max_in_flight) {
		struct net_job *j = n->queued.head;
		list_remove(&n->queued, j);
		j->started_at = mono_ms();
		CURLMcode mc = curl_multi_add_handle(n->multi, j->easy);
		if (mc != CURLM_OK) {
			snprintf(j->errbuf, sizeof j->errbuf, "cannot start the request: %s",
				 curl_multi_strerror(mc));
			net_fail_soon(n, j, CURLE_FAILED_INIT);
			continue;
		}
		j->state = NET_JOB_ACTIVE;
		list_append(&n->active, j);
	}
}

/* User info in a URL could end up in curl's messages; credentials go in
 * net_request.user and .password instead. */
static bool url_has_userinfo(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	p += 3;
	size_t host_len = strcspn(p, "/?#");
	return memchr(p, '@', host_len) != NULL;
}

static bool net_setopts(struct net *n, struct net_job *j, const struct net_request *req, bool post)
{
	CURL *e = j->easy;
	bool ok = true;
#define SET(opt, val) ok = ok && curl_easy_setopt(e, opt, val) == CURLE_OK
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PRIVATE, (void *)j);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (n->ca_file)
		SET(CURLOPT_CAINFO, n->ca_file);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, n->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, req->timeout_ms > 0 ? req->timeout_ms : n->total_timeout_ms);
	SET(CURLOPT_USERAGENT, n->user_agent);
	SET(CURLOPT_ERRORBUFFER, j->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_curl_write);
	SET(CURLOPT_WRITEDATA, (void *)j);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)n->max_body);
	if (req->user) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, req->user);
		SET(CURLOPT_PASSWORD, req->password ? req->password : "");
	}
	if (post) {
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		SET(CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
#undef SET
	return ok;
}

static bool net_add_header(struct net_job *j, const char *line)
{
	struct curl_slist *l = curl_slist_append(j->headers, line);
	if (!l)
		return false;
	j->headers = l;
	return true;
}

static bool net_build_headers(struct net_job *j, const struct net_request *req, bool post)
{
	char line[1024];
	if (post) {
		const char *ct =
		    req->content_type ? req->content_type : "application/json; charset=utf-8";
		if (strpbrk(ct, "\r\n"))
			return false;
		snprintf(line, sizeof line, "Content-Type: %s", ct);
		/* No "Expect: 100-continue" round trip for our small bodies. */
		if (!net_add_header(j, line) || !net_add_header(j, "Expect:"))
			return false;
	}
	for (const struct net_header *h = req->headers; h && h->name; h++) {
		if (strpbrk(h->name, ":\r\n") || (h->value && strpbrk(h->value, "\r\n")))
			return false;
		int w = snprintf(line, sizeof line, "%s: %s", h->name, h->value ? h->value : "");
		if (w < 0 || (size_t)w >= sizeof line)
			return false;
		if (!net_add_header(j, line))
			return false;
	}
	return true;
}

struct net_job *net_submit(struct net *n, const struct net_request *req, net_done_cb on_done,
			   void *cls, struct kerr *err)
{
	if (!req || !req->url || !*req->url) {
		kerr_set(err, K_INVALID, "url", "no address to send the request to");
		return NULL;
	}
	if (!on_done) {
		kerr_set(err, K_INVALID, "on_done", "a request needs a completion callback");
		return NULL;
	}
	bool post;
	if (!req->method || strcmp(req->method, "GET") == 0) {
		post = false;
	} else if (strcmp(req->method, "POST") == 0) {
		post = true;
	} else {
		kerr_set(err, K_INVALID, "method", "only GET and POST are supported");
		return NULL;
	}
	if (url_has_userinfo(req->url)) {
		kerr_set(err, K_INVALID, "url",
			 "the address holds a user name or password; configure them separately");
		return NULL;
	}
	struct net_job *j = xcalloc(1, sizeof *j);
	j->net = n;
	j->on_done = on_done;
	j->cls = cls;
	j->submitted_at = mono_ms();
	j->easy = curl_easy_init();
	if (!j->easy) {
		net_job_free(j);
		kerr_set(err, K_NOMEM, "", "cannot create an HTTP request");
		return NULL;
	}
	if (!net_build_headers(j, req, post)) {
		net_job_free(j);
		kerr_set(err, K_INVALID, "headers",
			 "a header name or value is malformed or too long");
		return NULL;
	}
	if (!net_setopts(n, j, req, post) ||
	    (j->headers && curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers) != CURLE_OK)) {
		net_job_free(j);
		kerr_set(err, K_INVALID, "url", "the request could not be set up (bad address?)");
		return NULL;
	}
	j->state = NET_JOB_QUEUED;
	list_append(&n->queued, j);
	net_start_queued(n);
	return j;
}

struct net_job *net_post(struct net *n, const char *url, const char *content_type, const char *body,
			 size_t len, const struct net_header *extra_headers, net_done_cb on_done,
			 void *cls)
{
	struct net_request req = {
	    .method = "POST",
	    .url = url,
	    .content_type = content_type,
	    .body = body,
	    .body_len = len,
	    .headers = extra_headers,
	};
	return net_submit(n, &req, on_done, cls, NULL);
}

struct net_job *net_get(struct net *n, const char *url, const char *user, const char *password,
			const struct net_header *extra_headers, net_done_cb on_done, void *cls)
{
	struct net_request req = {
	    .method = "GET",
	    .url = url,
	    .headers = extra_headers,
	    .user = user,
	    .password = password,
	};
	return net_submit(n, &req, on_done, cls, NULL);
}

void net_cancel(struct net_job *j)
{
	if (!j)
		return;
	struct net *n = j->net;
	switch (j->state) {
	case NET_JOB_QUEUED:
		list_remove(&n->queued, j);
		break;
	case NET_JOB_ACTIVE:
		list_remove(&n->active, j);
		curl_multi_remove_handle(n->multi, j->easy);
		break;
	case NET_JOB_FAILED:
		list_remove(&n->failed, j);
		break;
	case NET_JOB_FINISHING:
		return; /* freed when its on_done returns */
	}
	net_job_free(j);
	net_start_queued(n);
}

size_t net_in_flight(const struct net *n)
{
	return n->queued.n + n->active.n + n->failed.n;
}
