/*
 * kassa-sandbox: an emulator of LifePay cloud-print and PayKeeper receipts,
 * embeddable in-process (training mode) or run as the standalone
 * `kassa-sandbox` server. It is an emulated remote provider, so it runs on
 * its own threads (libmicrohttpd thread per connection, one worker for
 * document completion and callbacks) even inside kassa; kassa talks to it
 * over real HTTP on 127.0.0.1 only. See docs/SANDBOX.md.
 */
#ifndef KASSA_SANDBOX_H
#define KASSA_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "status.h"

/* Largest request body any endpoint accepts; more is answered 413. */
#define SANDBOX_MAX_BODY (1024 * 1024)
/* --time-scale is kept as millionths: 1000000 = real time. */
#define SANDBOX_SCALE_ONE INT64_C(1000000)

struct sandbox_options {
	const char *listen;	   /* "127.0.0.1:PORT" or "[::1]:PORT"; port 0 = any free port */
	const char *accounts_path; /* INI file; NULL = built-in default accounts */
	const char *db_path;	   /* SQLite file; NULL or ":memory:" = in memory */
	const char *faults;	   /* fault spec ("drop=0.1,stall=0.05:3"); NULL = none */
	uint64_t seed;		   /* PRNG seed for faults when seed_set */
	bool seed_set;
	int64_t time_scale;	     /* millionths; 0 = SANDBOX_SCALE_ONE */
	long long callback_delay_ms; /* before a document is final; 0 = 1000 */
	long long paykeeper_step_ms; /* between PayKeeper statuses; 0 = 1000 */
	unsigned conn_timeout_s;     /* idle connection timeout; 0 = 10 */
	size_t max_body;	     /* 0 = SANDBOX_MAX_BODY */
	bool no_worker;		     /* sandbox_new: no completion/callback thread (fuzzing) */
	bool strict;		     /* refuse what real integrations send but kassa never should
					(unknown fields, 1.0000, integer ids ...): for testing clients */
	FILE *log;		     /* one line per request and callback; NULL = quiet */
	const char *callback_ca;     /* PEM CA file trusted for https callback URLs instead of
					the system's (a private CA); NULL = the system's */
};

struct sandbox;

/* One HTTP request as the engine sees it (no networking involved). */
struct sandbox_request {
	const char *method;	   /* "GET", "POST", ... */
	const char *path;	   /* without the query: "/cloud-print/create-receipt" */
	const char *query;	   /* raw query string without '?', may be NULL */
	const char *content_type;  /* may be NULL */
	const char *authorization; /* the Authorization header, may be NULL */
	const char *body;	   /* may hold NUL bytes; may be NULL when body_len is 0 */
	size_t body_len;
};

/* The engine's answer; free with sandbox_reply_free(). */
struct sandbox_reply {
	int http_status;
	char *body; /* malloc'd, NUL-terminated */
	size_t body_len;
	char content_type[64];
	char extra_header[2][128]; /* "Name: value" lines (WWW-Authenticate, Allow), may be empty */
	bool drop;		   /* fault: close the connection without answering */
	long long stall_ms;	   /* fault: hold the reply this long (already scaled) */
};

/* Parses a decimal time scale ("0.01", "1", "2.5") into millionths, no floating point. */
kstatus sandbox_time_scale_parse(const char *text, int64_t *millionths, struct kerr *err);

/* Builds the engine (accounts, store, faults) without networking; NULL and err on failure. */
struct sandbox *sandbox_new(const struct sandbox_options *opt, struct kerr *err);
/* Frees an engine made by sandbox_new (stops its worker). */
void sandbox_free(struct sandbox *sb);
/* Handles one request without networking: the fuzzing and unit-test entry point. */
void sandbox_handle(struct sandbox *sb, const struct sandbox_request *rq, struct sandbox_reply *rp);
/* Releases what a reply owns. */
void sandbox_reply_free(struct sandbox_reply *rp);

/* sandbox_new plus the HTTP server on opt->listen; NULL and err on failure. */
struct sandbox *sandbox_start(const struct sandbox_options *opt, struct kerr *err);
/* The port actually listened on (useful with port 0); 0 if not listening. */
int sandbox_port(const struct sandbox *sb);
/* Stops the server and the worker, waits for them, frees everything. */
void sandbox_stop(struct sandbox *sb);

#endif
