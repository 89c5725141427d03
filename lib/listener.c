/*
 * libmicrohttpd in external-polling epoll mode: MHD keeps its own epoll set
 * and the loop watches just its descriptor; a prepare hook turns
 * MHD_get_timeout() into a loop timer so idle connections are timed out even
 * when nothing else happens. The listen socket, accepting and the limits on
 * connections are listener_guard.c's: MHD only gets accepted sockets
 * (MHD_USE_NO_LISTEN_SOCKET, MHD_add_connection).
 */
#include "listener_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "buf.h"
#include "i18n.h"
#include "mhd_loop.h"
#include "netaddr.h"
#include "util.h"

#define LISTENER_SUFFIX_MAX 32

/*
 * Per request: where it goes and what came so far. A deferred request stays
 * suspended until listener_answer() stores its answer and resumes it.
 */
struct listener_req {
	int reject; /* HTTP status when refused without the handler, 0 otherwise */
	bool answered;
	bool suspended;	 /* waiting for listener_answer() */
	int late_status; /* the deferred answer, 0 until it is known */
	char *late_text;
	struct MHD_Connection *conn;
	struct listener *ls;
	char suffix[LISTENER_SUFFIX_MAX + 1];
	struct buf body;
};

kstatus listener_new_token(char out[LISTENER_TOKEN_LEN + 1], struct kerr *err)
{
	unsigned char raw[LISTENER_TOKEN_LEN / 2];
	size_t got = 0;
	while (got < sizeof raw) {
		ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	if (got < sizeof raw) {
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		got = 0;
		while (fd >= 0 && got < sizeof raw) {
			ssize_t r = read(fd, raw + got, sizeof raw - got);
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		if (fd >= 0)
			close(fd);
		if (got < sizeof raw) {
			out[0] = '\0';
			return kerr_set(err, K_IO, "token",
					"cannot read random bytes for the callback token");
		}
	}
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof raw; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[LISTENER_TOKEN_LEN] = '\0';
	explicit_bzero(raw, sizeof raw);
	return K_OK;
}

/* ---- routing ---- */

static bool suffix_valid(const char *s, size_t n)
{
	if (n == 0 || n > LISTENER_SUFFIX_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* True when url is /cb/<token> or /cb/<token>/<suffix>; fills suffix. */
static bool listener_route(const struct listener *ls, const char *url, char *suffix)
{
	suffix[0] = '\0';
	if (strncmp(url, "/cb/", 4) != 0)
		return false;
	const char *tok = url + 4;
	size_t tlen = strcspn(tok, "/");
	/* Always compare a full token's worth of bytes so timing does not
	 * depend on how much of the token was right. */
	char padded[LISTENER_TOKEN_LEN];
	memset(padded, 0, sizeof padded);
	memcpy(padded, tok, tlen < sizeof padded ? tlen : sizeof padded);
	bool same = mem_equal_ct(padded, ls->token, LISTENER_TOKEN_LEN);
	explicit_bzero(padded, sizeof padded);
	if (!same || tlen != LISTENER_TOKEN_LEN)
		return false;
	const char *rest = tok + tlen;
	if (*rest == '\0')
		return true;
	rest++; /* the '/' */
	size_t slen = strlen(rest);
	if (!suffix_valid(rest, slen))
		return false;
	memcpy(suffix, rest, slen + 1);
	return true;
}

/* ---- answering ---- */

static enum MHD_Result listener_answer_conn(struct MHD_Connection *c, int status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *listener_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "bad request";
	case 403:
		return "forbidden";
	case 404:
		return "not found";
	case 405:
		return "method not allowed";
	case 413:
		return "body too large";
	default:
		return status >= 200 && status < 300 ? "OK" : "error";
	}
}

static enum MHD_Result listener_reject(struct listener *ls, struct listener_req *rq,
				       struct MHD_Connection *c, int status)
{
	switch (status) {
	case 404:
		ls->stats.not_found++;
		break;
	case 405:
		ls->stats.bad_method++;
		break;
	case 413:
		ls->stats.too_large++;
		break;
	default:
		break;
	}
	rq->answered = true;
	return listener_answer_conn(c, status, listener_status_text(status));
}

static void listener_remote(struct MHD_Connection *c, char *out, size_t n)
{
	out[0] = '\0';
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr)
		netaddr_text(ci->client_addr, out, n);
}

/* Queues the answer that listener_answer() stored. */
static enum MHD_Result listener_late(struct listener_req *rq, struct MHD_Connection *c)
{
	int status = rq->late_status;
	rq->answered = true;
	return listener_answer_conn(
	    c, status,
	    rq->late_text && rq->late_text[0] ? rq->late_text : listener_status_text(status));
}

void listener_answer(struct listener_reply *rp, int status, const char *text)
{
	struct listener_req *rq = (struct listener_req *)(void *)rp;
	if (!rq || rq->late_status)
		return;
	if (status < 100 || status > 599)
		status = 500;
	rq->late_status = status;
	rq->late_text = xstrdup(text ? text : "");
	if (rq->suspended) {
		rq->suspended = false;
		/* MHD calls on_mhd_request again for it, where the answer is queued. */
		MHD_resume_connection(rq->conn);
		/* ... at its next run, which nothing else may cause soon: run it now. */
		mhd_loop_kick(&rq->ls->glue);
	}
}

static enum MHD_Result listener_dispatch(struct listener *ls, struct listener_req *rq,
					 struct MHD_Connection *c)
{
	char remote[INET6_ADDRSTRLEN];
	listener_remote(c, remote, sizeof remote);
	const char *ct =
	    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct listener_request req = {
	    .suffix = rq->suffix,
	    .content_type = ct ? ct : "",
	    .body = rq->body.p ? rq->body.p : "",
	    .len = rq->body.len,
	    .remote_addr = remote,
	    .conn = c,
	};
	char reply[1024];
	reply[0] = '\0';
	ls->stats.handled++;
	rq->conn = c;
	listener_guard_busy(ls, c, true); /* the client's part is done: no deadline now */
	req.deferred = (struct listener_reply *)(void *)rq;
	int status = ls->on_callback(ls->cls, &req, reply, sizeof reply);
	if (status == LISTENER_DEFERRED) {
		if (rq->late_status) /* answered from inside the handler */
			return listener_late(rq, c);
		rq->suspended = true;
		MHD_suspend_connection(c);
		return MHD_YES;
	}
	if (status < 100 || status > 599)
		status = 500;
	reply[sizeof reply - 1] = '\0';
	rq->answered = true;
	return listener_answer_conn(c, status, reply[0] ? reply : listener_status_text(status));
}

static enum MHD_Result on_mhd_request(void *cls, struct MHD_Connection *c, const char *url,
				      const char *method, const char *version,
				      const char *upload_data, size_t *upload_data_size,
				      void **con_cls)
{
	struct listener *ls = cls;
	struct listener_req *rq = *con_cls;
	if (!rq) {
		/* Headers are in: decide now, before reading any body. */
		rq = xcalloc(1, sizeof *rq);
		rq->ls = ls;
		*con_cls = rq;
		if (!listener_route(ls, url, rq->suffix)) {
			rq->reject = 404;
		} else if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
			rq->reject = 405;
		} else {
			const char *cl = MHD_lookup_connection_value(
			    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
			if (cl) {
				char *end;
				errno = 0;
				unsigned long long v = strtoull(cl, &end, 10);
				if (errno || end == cl || v > ls->body_limit)
					rq->reject = 413;
			}
		}
		/* Refusing before the body is read also skips "100 Continue". */
		if (rq->reject)
			return listener_reject(ls, rq, c, rq->reject);
		return MHD_YES;
	}
	if (rq->late_status && !rq->answered)
		return listener_late(rq, c);
	if (rq->suspended)
		return MHD_YES;
	if (rq->answered) {
		/* Body of a refused request: drop it. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		if (n > ls->body_limit || rq->body.len > ls->body_limit - n) {
			/* A chunked body (no Content-Length) that grew too
			 * large: MHD cannot answer in the middle of a body, so
			 * the connection is dropped. */
			ls->stats.too_large++;
			rq->answered = true;
			return MHD_NO;
		}
		buf_add(&rq->body, upload_data, n);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return listener_dispatch(ls, rq, c);
}

static void on_mhd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	struct listener *ls = cls;
	if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED)
		ls->stats.timed_out++;
	listener_guard_busy(ls, c, false);
	struct listener_req *rq = *con_cls;
	if (rq) {
		buf_free(&rq->body);
		free(rq->late_text);
		free(rq);
		*con_cls = NULL;
	}
}

/* MHD's own messages only feed the state line; the token is masked in case
 * a message ever quotes a request path. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct listener *ls = cls;
	char msg[sizeof ls->failure];
	vsnprintf(msg, sizeof msg, fmt, ap);
	char *p;
	while (ls->token[0] && (p = strstr(msg, ls->token)))
		memset(p, '*', LISTENER_TOKEN_LEN);
	size_t len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	str_copy(ls->failure, msg, sizeof ls->failure);
}

/* ---- loop glue ---- */

void listener_run(struct listener *ls)
{
	if (MHD_run(ls->mhd) != MHD_YES && ls->status == LISTENER_LISTENING) {
		ls->status = LISTENER_FAILED;
		if (!ls->failure[0])
			str_copy(ls->failure, "the HTTP server stopped working",
				 sizeof ls->failure);
	}
}

static void on_listener_run(void *cls)
{
	listener_run(cls);
}

/* ---- start and stop ---- */

static bool token_valid(const char *t)
{
	if (!t || strlen(t) != LISTENER_TOKEN_LEN)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
		      (*p >= 'A' && *p <= 'F')))
			return false;
	return true;
}

struct listener *listener_start(struct loop *l, const struct listener_options *opt,
				struct kerr *err)
{
	if (!opt || !opt->on_callback) {
		kerr_set(err, K_INVALID, "on_callback", "the listener needs a callback handler");
		return NULL;
	}
	if (!token_valid(opt->token)) {
		kerr_set(err, K_INVALID, "token", "the callback token must be %d hex digits",
			 LISTENER_TOKEN_LEN);
		return NULL;
	}
	if (!opt->tls_cert != !opt->tls_key) {
		kerr_set(err, K_INVALID, opt->tls_cert ? "listen_key" : "listen_cert",
			 _("listen_cert and listen_key go together: set both (HTTPS) or "
			   "neither (plain HTTP)"));
		return NULL;
	}
	char *cert = NULL, *key = NULL;
	if (opt->tls_cert) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			kerr_set(err, K_INVALID, "listen_cert",
				 _("this libmicrohttpd was built without TLS, so the listener "
				   "cannot serve HTTPS: remove listen_cert and listen_key and put "
				   "nginx or caddy in front, or use kassa-relay"));
			return NULL;
		}
		cert = listener_tls_read(opt->tls_cert, "listen_cert", false, err);
		if (!cert)
			return NULL;
		key = listener_tls_read(opt->tls_key, "listen_key", true, err);
		if (!key) {
			listener_tls_free(cert);
			return NULL;
		}
	}
	struct listener *ls = xcalloc(1, sizeof *ls);
	ls->tls = cert != NULL;
	ls->listen_fd = -1;
	ls->spare_fd = -1;
	if (netaddr_parse(opt->listen, "listen", "127.0.0.1:8080", &ls->addr, &ls->addr_len, err) !=
	    K_OK) {
		listener_tls_free(cert);
		listener_tls_free(key);
		free(ls);
		return NULL;
	}
	str_copy(ls->where, opt->listen, sizeof ls->where);
	ls->health_path = opt->health_path ? xstrdup(opt->health_path) : NULL;
	ls->loop = l;
	memcpy(ls->token, opt->token, LISTENER_TOKEN_LEN + 1);
	ls->body_limit = opt->body_limit ? opt->body_limit : 64 * 1024;
	ls->on_callback = opt->on_callback;
	ls->cls = opt->cls;
	unsigned timeout = opt->timeout_s ? opt->timeout_s : 5;
	ls->deadline_ms = (long long)timeout * 1000;
	ls->max_connections = opt->max_connections ? opt->max_connections : 64;
	ls->per_ip = opt->per_ip_limit ? opt->per_ip_limit : 8;
	if (listener_guard_open(ls, err) != K_OK) {
		listener_tls_free(cert);
		listener_tls_free(key);
		listener_guard_close(ls);
		explicit_bzero(ls->token, sizeof ls->token);
		free(ls->health_path);
		free(ls);
		return NULL;
	}
	/*
	 * MHD's own limits stay on as a backstop: its total and per-address caps
	 * leave room for the connections we shed that it has not closed yet
	 * (listener_guard.c sheds the idle longest to admit a newcomer); its idle
	 * timeout comes
	 * a second after our deadline (ours, by the guard timer, is the one that
	 * counts; the same second would count one connection twice).
	 */
	unsigned flags =
	    MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
	if (ls->tls)
		flags |= MHD_USE_TLS;
	/* Without TLS the first MHD_OPTION_END ends the list: cert and key are
	 * not read. MHD hands them to GnuTLS, which keeps its own copy. */
	ls->mhd = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_mhd_request, ls, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, ls,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout + 1, MHD_OPTION_CONNECTION_LIMIT,
	    ls->max_connections + 64, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 2 * ls->per_ip,
	    MHD_OPTION_NOTIFY_COMPLETED, on_mhd_completed, ls, MHD_OPTION_NOTIFY_CONNECTION,
	    listener_guard_notify, ls, ls->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	listener_tls_free(cert);
	listener_tls_free(key);
	if (!ls->mhd) {
		listener_guard_close(ls);
		if (ls->tls)
			kerr_set(
			    err, K_INVALID, "listen_cert",
			    _("cannot start HTTPS on %s: check that listen_cert and listen_key "
			      "are a PEM certificate and its matching private key%s%s"),
			    opt->listen, ls->failure[0] ? ": " : "", ls->failure);
		else
			kerr_set(err, K_IO, "listen",
				 "cannot start the callback listener on %s%s%s", opt->listen,
				 ls->failure[0] ? ": " : "", ls->failure);
		explicit_bzero(ls->token, sizeof ls->token);
		free(ls->health_path);
		free(ls);
		return NULL;
	}
	if (mhd_loop_attach(&ls->glue, l, ls->mhd, on_listener_run, ls, "listen", err) != K_OK) {
		MHD_stop_daemon(ls->mhd);
		listener_guard_close(ls);
		explicit_bzero(ls->token, sizeof ls->token);
		free(ls->health_path);
		free(ls);
		return NULL;
	}
	ls->failure[0] = '\0';
	ls->status = LISTENER_LISTENING;
	listener_guard_start(ls);
	listener_guard_publish(ls, true);
	return ls;
}

void listener_stop(struct listener *ls)
{
	if (!ls)
		return;
	mhd_loop_detach(&ls->glue);
	MHD_stop_daemon(ls->mhd); /* closes every connection: the table empties */
	listener_guard_close(ls);
	if (ls->health_path) {
		unlink(ls->health_path); /* no file: no listener runs for this journal */
		free(ls->health_path);
	}
	explicit_bzero(ls->token, sizeof ls->token);
	free(ls);
}

bool listener_tls(const struct listener *ls)
{
	return ls && ls->tls;
}

unsigned listener_port(const struct listener *ls)
{
	return ls ? ls->port : 0;
}

bool listener_url(const struct listener *ls, const char *public_base, char *out, size_t n)
{
	if (!ls || !public_base || n == 0)
		return false;
	size_t blen = strlen(public_base);
	while (blen && public_base[blen - 1] == '/')
		blen--;
	int w = snprintf(out, n, "%.*s/cb/%s", (int)blen, public_base, ls->token);
	if (w < 0 || (size_t)w >= n) {
		explicit_bzero(out, n);
		out[0] = '\0';
		return false;
	}
	return true;
}

void listener_health(const struct listener *ls, struct listener_health *h)
{
	memset(h, 0, sizeof *h);
	if (!ls) {
		h->status = LISTENER_OFF;
		return;
	}
	h->port = ls->port;
	h->connections = ls->conns.nlive;
	h->max_connections = ls->max_connections;
	h->status = ls->status;
	if (ls->status == LISTENER_FAILED) {
		str_copy(h->reason, ls->failure, sizeof h->reason);
	} else if (ls->listen_fd >= 0 && mono_ms() < ls->degraded_until) {
		h->status = LISTENER_DEGRADED;
		str_copy(h->reason, ls->reason, sizeof h->reason);
	}
}

enum listener_status listener_state(const struct listener *ls, char *buf, size_t n)
{
	struct listener_health h;
	listener_health(ls, &h);
	if (buf && n) {
		switch (h.status) {
		case LISTENER_OFF:
			snprintf(buf, n, "not listening");
			break;
		case LISTENER_LISTENING:
			snprintf(buf, n, "listening on port %u", h.port);
			break;
		case LISTENER_DEGRADED:
			snprintf(buf, n, "degraded on port %u: %s", h.port, h.reason);
			break;
		case LISTENER_FAILED:
			snprintf(buf, n, "failed: %s", h.reason);
			break;
		}
	}
	return h.status;
}

void listener_get_stats(const struct listener *ls, struct listener_stats *out)
{
	if (ls)
		*out = ls->stats;
	else
		memset(out, 0, sizeof *out);
}

const char *listener_request_header(const struct listener_request *req, const char *name)
{
	if (!req || !req->conn || !name)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}
