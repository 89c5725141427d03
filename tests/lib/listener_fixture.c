/* The listener tests' fixture: see listener_fixture.h. */
#include "listener_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <pthread.h>

#include "util.h"

int on_callback(void *cls, const struct listener_request *req, char *reply, size_t reply_n)
{
	struct handler *h = cls;
	h->calls++;
	str_copy(h->suffix, req->suffix, sizeof h->suffix);
	str_copy(h->ctype, req->content_type, sizeof h->ctype);
	h->len = req->len;
	memcpy(h->body, req->body, req->len < sizeof h->body ? req->len : sizeof h->body - 1);
	const char *x = listener_request_header(req, "x-signature");
	str_copy(h->header, x ? x : "", sizeof h->header);
	if (h->answer == 200)
		snprintf(reply, reply_n, "OK %zu", req->len);
	if (h->answer == LISTENER_DEFERRED)
		h->deferred = req->deferred;
	return h->answer;
}

static size_t on_client_write(char *p, size_t s, size_t n, void *cls)
{
	struct client *c = cls;
	size_t len = s * n;
	size_t room = sizeof c->reply - 1 - c->reply_len;
	size_t take = len < room ? len : room;
	memcpy(c->reply + c->reply_len, p, take);
	c->reply_len += take;
	c->reply[c->reply_len] = '\0';
	return len;
}

static size_t on_client_read(char *buf, size_t s, size_t n, void *cls)
{
	struct client *c = cls;
	size_t left = c->len - c->sent;
	size_t take = s * n < left ? s * n : left;
	memcpy(buf, c->body + c->sent, take);
	c->sent += take;
	return take;
}

void *client_main(void *arg)
{
	struct client *c = arg;
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 8000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_client_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "X-Signature: abc123");
	if (c->chunked) {
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, on_client_read);
		curl_easy_setopt(e, CURLOPT_READDATA, c);
	} else if (strcmp(c->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)c->len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
	} else {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, c->method);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	c->curl_code = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	atomic_store(&c->done, 1);
	return NULL;
}

/* Serves the listener on the loop until the client finishes. */
void serve_until(struct loop *l, atomic_int *flag, long long ms)
{
	long long end = mono_ms() + ms;
	while (!atomic_load(flag) && mono_ms() < end)
		loop_run_once(l, 10);
}

void request(struct loop *l, struct client *c)
{
	pthread_t t;
	atomic_store(&c->done, 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
	serve_until(l, &c->done, 10000);
	pthread_join(t, NULL);
}

struct fx *fx_new(size_t body_limit, unsigned timeout_s)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	f->h.answer = 200;
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {
	    .listen = "127.0.0.1:0",
	    .token = f->token,
	    .body_limit = body_limit,
	    .timeout_s = timeout_s,
	    .on_callback = on_callback,
	    .cls = &f->h,
	};
	struct kerr err;
	f->ls = listener_start(f->loop, &opt, &err);
	assert_non_null(f->ls);
	assert_true(listener_port(f->ls) > 0);
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", listener_port(f->ls));
	return f;
}

void fx_free(struct fx *f)
{
	listener_stop(f->ls);
	loop_free(f->loop);
	free(f);
}

void fx_client(struct fx *f, struct client *c, const char *method, const char *path,
	       const char *body)
{
	memset(c, 0, sizeof *c);
	c->method = method;
	snprintf(c->url, sizeof c->url, "%s%s", f->base, path);
	c->body = body;
	c->len = body ? strlen(body) : 0;
}

/* A good callback, used after every bad request to show the listener still
 * serves. */
void assert_good_request_served(struct fx *f)
{
	struct client c;
	char path[80];
	snprintf(path, sizeof path, "/cb/%s", f->token);
	int before = f->h.calls;
	fx_client(f, &c, "POST", path, "{\"uuid\":\"u-1\"}");
	request(f->loop, &c);
	assert_int_equal(c.status, 200);
	assert_int_equal(f->h.calls, before + 1);
}

int setup_curl(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

int teardown_curl(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}
