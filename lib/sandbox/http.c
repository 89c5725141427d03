/*
 * libmicrohttpd plumbing: one internal polling thread and a thread per
 * connection, so a stalled reply (fault `stall`) or a slow client never holds
 * up other requests. Bodies are collected up to the limit, then handed to the
 * pure sandbox_handle().
 */
#include "sandbox/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "buf.h"
#include "netaddr.h"
#include "util.h"
#include "wire/form.h"

struct sandbox_http {
	struct MHD_Daemon *daemon;
	int port;
};

/* Per-request state: the body collected so far. */
struct conn {
	struct buf body;
	bool too_big;
	bool answered; /* a response was queued early (413) */
};

/* Rebuilds the query string from MHD's decoded arguments. */
static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			      const char *value)
{
	(void)kind;
	char **q = cls;
	form_add(q, key ? key : "", value ? value : "");
	return MHD_YES;
}

static void send_reply(struct MHD_Connection *c, const struct sandbox_reply *rp)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    rp->body_len, rp->body ? rp->body : (char *)"", MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return;
	if (rp->content_type[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
	for (size_t i = 0; i < 2; i++) {
		char name[128];
		const char *colon = strchr(rp->extra_header[i], ':');
		if (!rp->extra_header[i][0] || !colon ||
		    (size_t)(colon - rp->extra_header[i]) >= sizeof name)
			continue;
		memcpy(name, rp->extra_header[i], (size_t)(colon - rp->extra_header[i]));
		name[colon - rp->extra_header[i]] = '\0';
		const char *value = colon + 1;
		while (*value == ' ')
			value++;
		MHD_add_response_header(resp, name, value);
	}
	MHD_queue_response(c, (unsigned)rp->http_status, resp);
	MHD_destroy_response(resp);
}

static void send_simple(struct sandbox *sb, struct MHD_Connection *c, int status, const char *msg)
{
	struct sandbox_reply rp = {0};
	json_t *j = json_object();
	json_object_set_new(j, "error", json_string(msg));
	json_object_set_new(j, "status", json_integer(status));
	sandbox_reply_json(&rp, status, j);
	send_reply(c, &rp);
	sandbox_reply_free(&rp);
	sandbox_log(sb, "-> %d %s", status, msg);
}

/* Holds a reply for ms, returning early when the sandbox stops. */
static void stall(struct sandbox *sb, long long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sb->stall_lock);
	while (!sb->stopping)
		if (pthread_cond_timedwait(&sb->stall_cond, &sb->stall_lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&sb->stall_lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct sandbox *sb = cls;
	struct conn *cn = *con_cls;
	if (!cn) {
		cn = xcalloc(1, sizeof *cn);
		*con_cls = cn;
		const char *cl =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno == 0 && end && *end == '\0' && n > sb->opt.max_body) {
				/* Answer before the body arrives; MHD then closes the connection.
				 */
				char msg[96];
				snprintf(msg, sizeof msg,
					 "the request body is larger than %zu bytes",
					 sb->opt.max_body);
				send_simple(sb, c, 413, msg);
				cn->answered = true;
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (cn->answered || cn->too_big)
			return MHD_YES;
		if (cn->body.len + n > sb->opt.max_body) {
			cn->too_big = true;
			buf_free(&cn->body);
			return MHD_YES;
		}
		buf_add(&cn->body, upload_data, n);
		return MHD_YES;
	}
	if (cn->answered)
		return MHD_YES;
	if (cn->too_big) {
		char msg[96];
		snprintf(msg, sizeof msg, "the request body is larger than %zu bytes",
			 sb->opt.max_body);
		send_simple(sb, c, 413, msg);
		return MHD_YES;
	}

	char *query = NULL;
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_arg, &query);
	struct sandbox_request rq = {
	    .method = method,
	    .path = url,
	    .query = query,
	    .content_type =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE),
	    .authorization =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
	    .body = cn->body.p ? cn->body.p : "",
	    .body_len = cn->body.len,
	};
	struct sandbox_reply rp;
	sandbox_handle(sb, &rq, &rp);
	free(query);
	if (rp.drop) {
		sandbox_reply_free(&rp);
		return MHD_NO; /* closes the connection without a byte of reply */
	}
	if (rp.stall_ms > 0)
		stall(sb, rp.stall_ms);
	send_reply(c, &rp);
	sandbox_reply_free(&rp);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	struct conn *cn = *con_cls;
	if (cn) {
		buf_free(&cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

/* MHD's messages go to the sandbox log, one line each. */
__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct sandbox *sb = cls;
	if (!sb->opt.log)
		return;
	char line[512];
	vsnprintf(line, sizeof line, fmt, ap);
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	sandbox_log(sb, "http: %s", line);
}

kstatus sandbox_http_start(struct sandbox *sb, const char *listen, struct kerr *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	kstatus st =
	    netaddr_parse(listen, "listen", "127.0.0.1:8080 or [::1]:0 (port 0 picks a free one)",
			  &ss, &len, err);
	if (st != K_OK)
		return st;
	bool v6 = ss.ss_family == AF_INET6;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	uint16_t want = (uint16_t)netaddr_port(&ss);
	struct MHD_Daemon *d = MHD_start_daemon(
	    flags, want, NULL, NULL, on_request, sb, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, sb,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)sb->opt.conn_timeout_s, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)128,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, sb, MHD_OPTION_END);
	if (!d)
		return kerr_set(err, K_IO, "listen",
				"cannot listen on %s (address in use or not local?); pick another "
				"port or use port 0",
				listen);
	struct sandbox_http *h = xcalloc(1, sizeof *h);
	h->daemon = d;
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : want;
	sb->http = h;
	return K_OK;
}

int sandbox_http_port(const struct sandbox *sb)
{
	return sb->http ? sb->http->port : 0;
}

void sandbox_http_stop(struct sandbox *sb)
{
	if (!sb->http)
		return;
	MHD_stop_daemon(sb->http->daemon);
	free(sb->http);
	sb->http = NULL;
}
