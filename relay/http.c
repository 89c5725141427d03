/*
 * libmicrohttpd for the relay, in external epoll mode on the one loop:
 * routing, limits and authentication from the headers (before any body is
 * read), body collection, and suspended connections for answers that come
 * later (a callback waits for its commit, a pull for something to deliver).
 * Hardening (http_guard.c accepts): a connection limit capped by the
 * open-file limit, a per-IP limit, a whole-request deadline, shedding of the
 * slowest incomplete requests when full, a small per-connection memory pool
 * and a body limit answered with 413; tokens never reach a log.
 */
#include "relay_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http_guard.h"
#include "tills.h"
#include "i18n.h"
#include "mhd_loop.h"
#include "netaddr.h"
#include "util.h"

struct http {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	struct relay *relay;
	struct mhd_loop glue;
	unsigned port;
	size_t body_limit;
	struct hguard guard;
};

static void http_run(void *cls)
{
	struct http *h = cls;
	MHD_run(h->mhd);
}

static enum MHD_Result http_queue(struct MHD_Connection *c, int status, const char *type,
				  const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"kassa-relay\"");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *http_text(int status)
{
	switch (status) {
	case 200:
		return "OK\n";
	case 400:
		return "bad request\n";
	case 401:
		return "a pull needs the header Authorization: Bearer <the till's token>\n";
	case 404:
		return "not found\n";
	case 405:
		return "method not allowed\n";
	case 413:
		return "body too large\n";
	case 500:
		return "cannot store the callback now; retry later\n";
	case 503:
		return "the relay is stopping; retry\n";
	default:
		return "error\n";
	}
}

static enum MHD_Result http_reject(struct relay_req *q, int status)
{
	q->answered = true;
	return http_queue(q->conn, status, "text/plain; charset=utf-8", http_text(status));
}

void http_suspend(struct relay_req *q)
{
	if (!q->suspended && !q->answered && !q->status) {
		q->suspended = true;
		MHD_suspend_connection(q->conn);
	}
}

void http_answer(struct relay_req *q, int status, const char *type, char *reply)
{
	if (q->status) {
		free(reply);
		return;
	}
	q->status = status;
	q->reply = reply;
	q->reply_type = type;
	if (q->suspended) {
		q->suspended = false;
		MHD_resume_connection(q->conn);
		mhd_loop_kick(&q->http->glue);
	}
}

static enum MHD_Result http_send_answer(struct relay_req *q)
{
	q->answered = true;
	return http_queue(q->conn, q->status,
			  q->reply_type ? q->reply_type : "text/plain; charset=utf-8",
			  q->reply ? q->reply : http_text(q->status));
}

/* Decides from the headers alone: 0 to go on, else the status to answer. */
static int http_admit(struct http *h, struct relay_req *q, const char *url, const char *method)
{
	struct tills *t = relay_tills(h->relay);
	relay_proto_route(url, &q->route);
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	switch (q->route.kind) {
	case RELAY_ROUTE_NONE:
		return 404;
	case RELAY_ROUTE_HEALTH:
		return get ? 0 : 405;
	case RELAY_ROUTE_PULL:
	case RELAY_ROUTE_WHOAMI: {
		if (!get)
			return 405;
		const char *auth = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_AUTHORIZATION);
		const char *tok;
		size_t len;
		if (!relay_proto_bearer(auth, &tok, &len))
			return 401;
		/* An unknown token may be a till added since the file was read. */
		q->till = tills_by_token(t, tok, len);
		if (!q->till && relay_tills_missed(h->relay))
			q->till = tills_by_token(relay_tills(h->relay), tok, len);
		if (!q->till)
			return 401;
		relay_bind(h->relay, q);
		if (q->route.kind == RELAY_ROUTE_WHOAMI) {
			/* The till's callback key, for /whoami to show its URL. */
			char token[RELAY_TOKEN_MAX + 1];
			memcpy(token, tok, len);
			token[len] = '\0';
			relay_proto_callback_key(token, q->route.key);
			explicit_bzero(token, sizeof token);
		}
		return 0;
	}
	case RELAY_ROUTE_CALLBACK:
	case RELAY_ROUTE_ACCOUNT: {
		for (int pass = 0; pass < 2 && !q->till && !q->acc; pass++) {
			if (pass == 1 && !relay_tills_missed(h->relay))
				break;
			t = relay_tills(h->relay);
			if (q->route.kind == RELAY_ROUTE_CALLBACK)
				q->till = tills_by_key(t, q->route.key);
			else
				q->acc = tills_account_by_key(t, q->route.key);
		}
		explicit_bzero(q->route.key, sizeof q->route.key);
		if (!q->till && !q->acc)
			return 404;
		relay_bind(h->relay, q);
		if (!post)
			return 405;
		const char *cl = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(cl, &end, 10);
			if (errno || end == cl || v > h->body_limit)
				return 413;
		}
		const char *ct = MHD_lookup_connection_value(q->conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		/* Kept for the till, which parses the body by it; only printable
		 * ASCII and at most 200 characters. */
		char clean[201];
		size_t n = 0;
		for (const char *p = ct ? ct : ""; *p && n < sizeof clean - 1; p++)
			if ((unsigned char)*p >= ' ' && (unsigned char)*p < 0x7f)
				clean[n++] = *p;
		clean[n] = '\0';
		q->content_type = xstrdup(clean);
		return 0;
	}
	}
	return 404;
}

static enum MHD_Result on_http_request(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version,
				       const char *upload_data, size_t *upload_data_size,
				       void **con_cls)
{
	struct http *h = cls;
	struct relay_req *q = *con_cls;
	if (!q) {
		q = xcalloc(1, sizeof *q);
		q->http = h;
		q->conn = c;
		*con_cls = q;
		q->reject = http_admit(h, q, url, method);
		if (q->reject)
			return http_reject(q, q->reject);
		return MHD_YES;
	}
	if (q->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->status)
		return http_send_answer(q);
	if (q->suspended || q->started)
		return MHD_YES;
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		if (q->too_big || n > h->body_limit || q->len > h->body_limit - n) {
			/* A chunked body that grew too large: MHD can answer only
			 * after the body, so the rest is read and dropped (the
			 * whole-request deadline bounds that) and 413 follows. */
			q->too_big = true;
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (q->len + n + 1 > q->cap) {
			size_t cap = q->cap ? q->cap : 1024;
			while (cap < q->len + n + 1)
				cap *= 2;
			q->body = xrealloc(q->body, cap);
			q->cap = cap;
		}
		memcpy(q->body + q->len, upload_data, n);
		q->len += n;
		q->body[q->len] = '\0';
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return http_reject(q, 413);
	q->started = true;
	hguard_busy(c, true); /* the whole request is here: no deadline now */
	if (!q->body)
		q->body = xstrdup("");
	relay_on_request(h->relay, q);
	if (q->status && !q->suspended)
		return http_send_answer(q);
	return MHD_YES;
}

static void on_http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct relay_req *q = *con_cls;
	hguard_busy(c, false); /* the next request's time starts now */
	if (!q)
		return;
	relay_on_gone(h->relay, q);
	free(q->content_type);
	free(q->body);
	free(q->reply);
	free(q);
	*con_cls = NULL;
}

/* MHD's own messages go to stderr; paths (which hold keys) are not quoted
 * by the messages we let through. */
__attribute__((format(printf, 2, 0))) static void on_http_log(void *cls, const char *fmt,
							      va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (strstr(msg, "/cb/") || strstr(msg, "/acct/") || strstr(msg, "Bearer"))
		return;
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	fprintf(stderr, "kassa-relay: http: %s\n", msg);
}

static int http_bind(const char *where, unsigned *port, int *family, struct kerr *err)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (netaddr_parse(where, "--listen", "0.0.0.0:8443", &ss, &len, err) != K_OK)
		return -1;
	*family = ss.ss_family;
	return netaddr_listen(&ss, len, where, "--listen", 4096, port, err);
}

struct http *http_start(struct loop *l, const struct http_options *o, struct relay *r,
			struct kerr *err)
{
	bool tls = o->tls_cert_pem && o->tls_key_pem;
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		kerr_set(err, K_INVALID, "--tls-cert",
			 _("this libmicrohttpd has no TLS; put kassa-relay behind nginx or caddy "
			   "for HTTPS, or install a libmicrohttpd built with GnuTLS"));
		return NULL;
	}
	unsigned port = 0;
	int family = AF_INET;
	int fd = http_bind(o->listen, &port, &family, err);
	if (fd < 0)
		return NULL;
	struct http *h = xcalloc(1, sizeof *h);
	h->loop = l;
	h->relay = r;
	h->port = port;
	h->body_limit = o->body_limit;
	struct hguard *g = &h->guard;
	g->loop = l;
	g->run = http_run;
	g->cls = h;
	g->listen_fd = g->spare_fd = -1;
	g->per_ip = o->per_ip_limit;
	g->deadline_ms = (long long)o->timeout_s * 1000;
	bool capped;
	unsigned long long nofile;
	g->max_connections = hguard_fd_cap(o->max_connections, &capped, &nofile);
	if (capped)
		fprintf(stderr,
			_("kassa-relay: --max-connections %u is more than the open-file limit "
			  "allows (ulimit -n %llu): using %u; raise ulimit -n for more\n"),
			o->max_connections, nofile, g->max_connections);
	/* MHD's own caps are backstops above ours (the guard sheds to admit a
	 * newcomer); its idle timeout a second after our deadline. */
	unsigned flags =
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_http_log, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->timeout_s + 1, NULL},
	    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)g->max_connections + 64, NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)(2 * o->per_ip_limit), NULL},
	    /* Small pools (MHD zeroes a kept-alive connection's whole pool):
	     * 10,000 waiting pulls must fit in little memory. Requests here
	     * have a few hundred bytes of headers; bodies are streamed. */
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(8 * 1024), NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (intptr_t)1024, NULL},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_http_completed, h},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)hguard_notify, g},
	    {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)o->tls_cert_pem},
	    {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)o->tls_key_pem},
	    {MHD_OPTION_END, 0, NULL},
	};
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_http_request, h, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (!h->mhd) {
		close(fd);
		free(h);
		kerr_set(err, K_IO, "--listen", _("cannot start the HTTP server on %s%s"),
			 o->listen,
			 tls ? _(" (check that --tls-cert and --tls-key are a PEM certificate "
				 "and its key)")
			     : "");
		return NULL;
	}
	g->mhd = h->mhd;
	if (mhd_loop_attach(&h->glue, l, h->mhd, http_run, h, "--listen", err) != K_OK) {
		MHD_stop_daemon(h->mhd);
		close(fd);
		free(h);
		return NULL;
	}
	hguard_start(g, fd);
	return h;
}

unsigned http_port(const struct http *h)
{
	return h ? h->port : 0;
}

const char *http_query(struct relay_req *q, const char *name)
{
	return MHD_lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	/* Suspended connections must be resumed and answered first (relay_stop);
	 * a few runs let MHD send what is queued. */
	hguard_stop(&h->guard);
	for (int i = 0; i < 8; i++)
		http_run(h);
	mhd_loop_detach(&h->glue);
	MHD_stop_daemon(h->mhd);
	free(h);
}
