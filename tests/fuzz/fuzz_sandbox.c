/*
 * libFuzzer target for the sandbox's request handling: sandbox_handle(), the
 * pure entry point, with no network. An input is a tiny HTTP-like text:
 *
 *   METHOD /path?query
 *   Content-Type: ...
 *   Authorization: ...
 *   <empty line>
 *   body bytes
 *
 * Build: CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined
 *        -Db_lundef=false && ninja -C build-fuzz tests/fuzz/fuzz_sandbox
 * Run:   build-fuzz/tests/fuzz/fuzz_sandbox build-fuzz/tests/fuzz/work tests/fuzz/corpus/sandbox
 * (see tests/fuzz/README.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sandbox *sb;
static unsigned long runs;

/* The next line of [*p, end) without its newline, as a new string. */
static char *next_line(const char **p, const char *end)
{
	const char *s = *p;
	const char *nl = memchr(s, '\n', (size_t)(end - s));
	const char *e = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	size_t n = (size_t)(e - s);
	if (n && s[n - 1] == '\r')
		n--;
	return xstrndup(s, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sb) {
		struct sandbox_options o = {.no_worker = true, .seed = 1, .seed_set = true};
		sb = sandbox_new(&o, NULL);
		if (!sb)
			abort();
	}
	/* Keep the in-memory state small, and a token the corpus can use. */
	if (runs++ % 512 == 0) {
		pthread_mutex_lock(&sb->lock);
		sandbox_store_reset(sb->store, NULL);
		sb->clock_offset_ms = 0;
		sandbox_store_token_add(sb->store, "sandbox", "fuzz-token-0123456789abcdef",
					sandbox_now(sb), NULL);
		pthread_mutex_unlock(&sb->lock);
	}
	const char *p = (const char *)data, *end = p + size;
	char *first = next_line(&p, end);
	char *ctype = NULL, *auth = NULL;
	for (int i = 0; i < 8 && p < end; i++) {
		char *h = next_line(&p, end);
		if (!h[0]) {
			free(h);
			break;
		}
		if (strncmp(h, "Content-Type: ", 14) == 0 && !ctype)
			ctype = xstrdup(h + 14);
		else if (strncmp(h, "Authorization: ", 15) == 0 && !auth)
			auth = xstrdup(h + 15);
		free(h);
	}
	char *sp = strchr(first, ' ');
	const char *method = first, *target = "";
	if (sp) {
		*sp = '\0';
		target = sp + 1;
	}
	char *path = xstrdup(target);
	char *q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	/* An exact-size copy of the body, so ASan sees any overread. */
	size_t blen = (size_t)(end - p);
	char *body = blen ? xmalloc(blen) : NULL;
	if (blen)
		memcpy(body, p, blen);
	struct sandbox_request rq = {
	    .method = method,
	    .path = path,
	    .query = q,
	    .content_type = ctype,
	    .authorization = auth,
	    .body = body,
	    .body_len = blen,
	};
	struct sandbox_reply rp;
	sandbox_handle(sb, &rq, &rp);
	if (rp.body && strlen(rp.body) != rp.body_len)
		abort(); /* replies are text of the stated length */
	if (rp.http_status < 200 || rp.http_status > 599)
		abort();
	sandbox_reply_free(&rp);
	/* Work the worker would do, without threads or network. */
	pthread_mutex_lock(&sb->lock);
	sb->clock_offset_ms += 3600000;
	sandbox_lifepay_finish_due(sb);
	sandbox_paykeeper_advance(sb);
	sb->clock_offset_ms -= 3600000;
	pthread_mutex_unlock(&sb->lock);
	free(body);
	free(path);
	free(first);
	free(ctype);
	free(auth);
	return 0;
}
