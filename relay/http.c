/*
 * libmicrohttpd for the relay, in external epoll mode on the one loop:
 * routing, limits and authentication from the headers (before any body is
 * read), body collection, and suspended connections for answers that come
 * later (a callback waits for its commit, a pull for something to deliver).
 * Hardening: a connection limit, a per-IP limit, an idle timeout, a small
 * per-connection memory pool and a body limit; tokens never reach a log.
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

#include "tills.h"
#include "i18n.h"
#include "util.h"

struct http {
	struct loop *loop;
	struct MHD_Daemon *mhd;
	struct relay *relay;
	int epoll_fd;
	uint64_t timer, kick;
	unsigned port;
	size_t body_limit;
	unsigned connections;
};

static void on_http_kick(struct loop *l, void *cls);

static void http_run(struct http *h)
{
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
		struct http *h = q->http;
		if (!h->kick)
			h->kick = loop_add_timer(h->loop, 0, on_http_kick, h);
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
		if (n > h->body_limit || q->len > h->body_limit - n) {
			/* A chunked body that grew too large: no answer is
			 * possible mid-body, so the connection is dropped. */
			q->answered = true;
			return MHD_NO;
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
	q->started = true;
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
	if (!q)
		return;
	relay_on_gone(h->relay, q);
	free(q->content_type);
	free(q->body);
	free(q->reply);
	free(q);
	*con_cls = NULL;
}

static void on_http_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			       enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		h->connections++;
	else if (h->connections)
		h->connections--;
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

static void on_http_fd(struct loop *l, int fd, short revents, void *cls)
{
	http_run(cls);
}

static void on_http_timer(struct loop *l, void *cls)
{
	struct http *h = cls;
	h->timer = 0;
	http_run(h);
}

static void on_http_kick(struct loop *l, void *cls)
{
	struct http *h = cls;
	h->kick = 0;
	http_run(h);
}

static void on_http_prepare(struct loop *l, void *cls)
{
	struct http *h = cls;
	if (h->timer) {
		loop_cancel_timer(l, h->timer);
		h->timer = 0;
	}
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		long long d = ms > 86400000ULL ? 86400000 : (long long)ms;
		h->timer = loop_add_timer(l, d, on_http_timer, h);
	}
}

/* Numeric "host:port" / "[v6]:port" only: no name lookup can stall us. */
static kstatus http_parse_addr(const char *where, struct sockaddr_storage *ss, socklen_t *len,
			       struct kerr *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	if (!where || !*where)
		return kerr_set(err, K_INVALID, "--listen",
				_("no listen address; use ADDR:PORT, e.g. 0.0.0.0:8443"));
	if (where[0] == '[') {
		const char *e = strchr(where, ']');
		if (!e || e[1] != ':' || (size_t)(e - where - 1) >= sizeof host)
			return kerr_set(err, K_INVALID, "--listen",
					_("\"%s\" is not [IPv6]:PORT, e.g. [::1]:8443"), where);
		memcpy(host, where + 1, (size_t)(e - where - 1));
		host[e - where - 1] = '\0';
		colon = e + 1;
	} else {
		colon = strrchr(where, ':');
		if (!colon || (size_t)(colon - where) >= sizeof host)
			return kerr_set(err, K_INVALID, "--listen",
					_("\"%s\" is not ADDR:PORT, e.g. 0.0.0.0:8443"), where);
		memcpy(host, where, (size_t)(colon - where));
		host[colon - where] = '\0';
	}
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port < 0 || port > 65535)
		return kerr_set(err, K_INVALID, "--listen",
				_("the port in \"%s\" must be a number from 0 to 65535"), where);
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || strcmp(host, "*") == 0) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_ANY);
	} else if (strcmp(host, "localhost") == 0) {
		v4->sin_family = AF_INET;
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
	} else {
		return kerr_set(err, K_INVALID, "--listen",
				_("\"%s\" is not an IP address; use e.g. 0.0.0.0 or 127.0.0.1"),
				host);
	}
	if (ss->ss_family == AF_INET) {
		v4->sin_port = htons((unsigned short)port);
		*len = sizeof *v4;
	} else {
		v6->sin6_port = htons((unsigned short)port);
		*len = sizeof *v6;
	}
	return K_OK;
}

static int http_bind(const char *where, unsigned *port, int *family, struct kerr *err)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	if (http_parse_addr(where, &ss, &len, err) != K_OK)
		return -1;
	*family = ss.ss_family;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		kerr_set(err, K_IO, "--listen", _("cannot create a socket: %s"), strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 4096) != 0) {
		int e = errno;
		close(fd);
		kerr_set(err, K_IO, "--listen", _("cannot listen on %s: %s%s"), where, strerror(e),
			 e == EADDRINUSE ? _(" (another program uses this port: pick another)")
			 : e == EACCES	 ? _(" (ports below 1024 need privileges: pick another)")
					 : "");
		return -1;
	}
	struct sockaddr_storage got;
	socklen_t glen = sizeof got;
	getsockname(fd, (struct sockaddr *)&got, &glen);
	*port = got.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&got)->sin6_port)
					  : ntohs(((struct sockaddr_in *)&got)->sin_port);
	return fd;
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
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[] = {
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_http_log, NULL},
	    {MHD_OPTION_LISTEN_SOCKET, fd, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)o->timeout_s, NULL},
	    {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)o->max_connections, NULL},
	    {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)o->per_ip_limit, NULL},
	    /* Small pools (MHD zeroes a kept-alive connection's whole pool):
	     * 10,000 waiting pulls must fit in little memory. Requests here
	     * have a few hundred bytes of headers; bodies are streamed. */
	    {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)(8 * 1024), NULL},
	    {MHD_OPTION_CONNECTION_MEMORY_INCREMENT, (intptr_t)1024, NULL},
	    {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_http_completed, h},
	    {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_http_connection, h},
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
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->epoll_fd = info ? info->epoll_fd : -1;
	if (h->epoll_fd < 0) {
		MHD_stop_daemon(h->mhd);
		free(h);
		kerr_set(err, K_IO, "--listen", _("the HTTP server gave no descriptor to poll"));
		return NULL;
	}
	loop_watch_fd(l, h->epoll_fd, POLLIN, on_http_fd, h);
	loop_add_prepare(l, on_http_prepare, h);
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

unsigned http_connections(const struct http *h)
{
	return h ? h->connections : 0;
}

void http_stop(struct http *h)
{
	if (!h)
		return;
	/* Suspended connections must be resumed and answered first (relay_stop);
	 * a few runs let MHD send what is queued. */
	MHD_quiesce_daemon(h->mhd);
	for (int i = 0; i < 8; i++)
		http_run(h);
	loop_remove_prepare(h->loop, on_http_prepare, h);
	loop_unwatch_fd(h->loop, h->epoll_fd);
	if (h->timer)
		loop_cancel_timer(h->loop, h->timer);
	if (h->kick)
		loop_cancel_timer(h->loop, h->kick);
	MHD_stop_daemon(h->mhd);
	free(h);
}
