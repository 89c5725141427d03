/*
 * Tests for the listener's HTTPS (listen_cert, listen_key): a self-signed
 * certificate made at test time with the openssl command; the client (libcurl
 * in a thread) verifies it through CURLOPT_CAINFO, peer and host checks on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "listener.h"
#include "loop.h"
#include "util.h"

static char dir[256];
static char cert_path[300], key_path[300], other_cert[300];

struct handler {
	int calls;
	char body[256];
};

static int on_callback(void *cls, const struct listener_request *req, char *reply, size_t reply_n)
{
	struct handler *h = cls;
	h->calls++;
	str_copy(h->body, req->body, sizeof h->body);
	snprintf(reply, reply_n, "OK");
	return 200;
}

struct client {
	char url[256];
	const char *cainfo; /* NULL: the system's store */
	long status;
	int curl_code;
	atomic_int done;
};

static size_t on_write(char *p, size_t s, size_t n, void *cls)
{
	return s * n;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	CURL *e = curl_easy_init();
	curl_easy_setopt(e, CURLOPT_URL, c->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 8000L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->cainfo)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->cainfo);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{\"uuid\":\"tls-1\"}");
	c->curl_code = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &c->status);
	curl_easy_cleanup(e);
	atomic_store(&c->done, 1);
	return NULL;
}

static void serve_until(struct loop *l, atomic_int *flag, long long ms)
{
	long long end = mono_ms() + ms;
	while (!atomic_load(flag) && mono_ms() < end)
		loop_run_once(l, 10);
}

static void request(struct loop *l, struct client *c)
{
	pthread_t t;
	atomic_store(&c->done, 0);
	assert_int_equal(pthread_create(&t, NULL, client_main, c), 0);
	serve_until(l, &c->done, 10000);
	pthread_join(t, NULL);
}

static int make_cert(const char *cert, const char *key)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout '%s' -out '%s' -days 2 -subj /CN=127.0.0.1 "
		 "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	return system(cmd);
}

static int setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(dir, sizeof dir, "/tmp/kassa-tls-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
	snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
	snprintf(other_cert, sizeof other_cert, "%s/other.pem", dir);
	char other_key[300];
	snprintf(other_key, sizeof other_key, "%s/other.key", dir);
	if (make_cert(cert_path, key_path) != 0 || make_cert(other_cert, other_key) != 0)
		return -1;
	return chmod(key_path, 0600);
}

static int teardown(void **state)
{
	char cmd[320];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	curl_global_cleanup();
	return 0;
}

struct fx {
	struct loop *loop;
	struct listener *ls;
	struct handler h;
	char token[LISTENER_TOKEN_LEN + 1];
};

static struct fx *fx_new(unsigned timeout_s)
{
	struct fx *f = xcalloc(1, sizeof *f);
	f->loop = loop_new();
	assert_int_equal(listener_new_token(f->token, NULL), K_OK);
	struct listener_options opt = {
	    .listen = "127.0.0.1:0",
	    .token = f->token,
	    .timeout_s = timeout_s,
	    .tls_cert = cert_path,
	    .tls_key = key_path,
	    .on_callback = on_callback,
	    .cls = &f->h,
	};
	struct kerr err;
	kerr_clear(&err);
	f->ls = listener_start(f->loop, &opt, &err);
	if (!f->ls)
		fail_msg("listener_start: %s: %s", err.field, err.text);
	assert_true(listener_tls(f->ls));
	return f;
}

static void fx_free(struct fx *f)
{
	listener_stop(f->ls);
	loop_free(f->loop);
	free(f);
}

static void fx_url(struct fx *f, struct client *c, const char *scheme, const char *cainfo)
{
	memset(c, 0, sizeof *c);
	snprintf(c->url, sizeof c->url, "%s://127.0.0.1:%u/cb/%s", scheme, listener_port(f->ls),
		 f->token);
	c->cainfo = cainfo;
}

static void listener_tls__verified_https_post__reaches_handler(void **state)
{
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		skip();
	struct fx *f = fx_new(0);
	struct client c;
	fx_url(f, &c, "https", cert_path);
	request(f->loop, &c);
	assert_int_equal(c.curl_code, CURLE_OK);
	assert_int_equal(c.status, 200);
	assert_int_equal(f->h.calls, 1);
	assert_string_equal(f->h.body, "{\"uuid\":\"tls-1\"}");
	char url[256];
	assert_true(listener_url(f->ls, "https://127.0.0.1:8088", url, sizeof url));
	fx_free(f);
}

static void listener_tls__plain_http_and_unknown_cert__refused(void **state)
{
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		skip();
	struct fx *f = fx_new(0);
	struct client c;
	fx_url(f, &c, "http", NULL);
	request(f->loop, &c);
	assert_int_not_equal(c.curl_code, CURLE_OK);
	assert_int_not_equal(c.status, 200);
	/* Verification stays on: a certificate the client does not trust fails. */
	fx_url(f, &c, "https", other_cert);
	request(f->loop, &c);
	assert_int_not_equal(c.curl_code, CURLE_OK);
	assert_int_equal(f->h.calls, 0);
	/* ... and the listener still serves the right client. */
	fx_url(f, &c, "https", cert_path);
	request(f->loop, &c);
	assert_int_equal(c.status, 200);
	assert_int_equal(f->h.calls, 1);
	fx_free(f);
}

/* A client that connects and never starts the TLS handshake. */
struct silent {
	unsigned port;
	atomic_int connected, done;
	bool closed; /* by the server: it gave up on us */
};

static void *silent_main(void *arg)
{
	struct silent *s = arg;
	s->closed = false;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)s->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		atomic_store(&s->connected, 1);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 6000) == 1) {
			char b[64];
			if (recv(fd, b, sizeof b, 0) <= 0)
				s->closed = true;
		}
	}
	atomic_store(&s->connected, 1);
	close(fd);
	atomic_store(&s->done, 1);
	return NULL;
}

static void listener_tls__silent_client__timed_out_while_others_served(void **state)
{
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		skip();
	struct fx *f = fx_new(1);
	struct silent s;
	memset(&s, 0, sizeof s);
	s.port = listener_port(f->ls);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, silent_main, &s), 0);
	serve_until(f->loop, &s.connected, 3000);
	struct client c;
	fx_url(f, &c, "https", cert_path);
	request(f->loop, &c);
	assert_int_equal(c.status, 200);
	assert_int_equal(atomic_load(&s.done), 0); /* served while the silent one hangs */
	serve_until(f->loop, &s.done, 7000);
	pthread_join(t, NULL);
	assert_true(s.closed);
	struct listener_stats st;
	listener_get_stats(f->ls, &st);
	assert_int_equal(st.timed_out, 1);
	fx_free(f);
}

static void listener_tls__bad_files__refused_naming_the_setting(void **state)
{
	struct loop *l = loop_new();
	char tok[LISTENER_TOKEN_LEN + 1];
	listener_new_token(tok, NULL);
	char loose[320];
	snprintf(loose, sizeof loose, "%s/loose.pem", dir);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "cp '%s' '%s' && chmod 644 '%s'", key_path, loose, loose);
	assert_int_equal(system(cmd), 0);
	char missing[320];
	snprintf(missing, sizeof missing, "%s/none.pem", dir);
	bool tls = MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
	static const char *const fields[] = {"listen_key", "listen_key", "listen_cert",
					     "listen_key", "listen_cert"};
	const char *certs[] = {cert_path, cert_path, missing, cert_path, NULL};
	const char *keys[] = {loose, missing, key_path, NULL, key_path};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		struct listener_options opt = {
		    .listen = "127.0.0.1:0",
		    .token = tok,
		    .tls_cert = certs[i],
		    .tls_key = keys[i],
		    .on_callback = on_callback,
		};
		struct kerr err;
		kerr_clear(&err);
		assert_null(listener_start(l, &opt, &err));
		if (!tls && certs[i] && keys[i]) {
			assert_string_equal(err.field, "listen_cert");
			continue;
		}
		assert_string_equal(err.field, fields[i]);
		if (i == 0) {
			/* names the file and what to do */
			assert_non_null(strstr(err.text, loose));
			assert_non_null(strstr(err.text, "chmod 600"));
		}
		assert_null(strstr(err.text, tok));
	}
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(listener_tls__bad_files__refused_naming_the_setting),
	    cmocka_unit_test(listener_tls__verified_https_post__reaches_handler),
	    cmocka_unit_test(listener_tls__plain_http_and_unknown_cert__refused),
	    cmocka_unit_test(listener_tls__silent_client__timed_out_while_others_served),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
