#include "fiscal_attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "journal_raw.h"
#include "jsonx.h"
#include "util.h"
#include "wire/form.h"

bool fiscal_attrs_any(const struct fiscal_attrs *a)
{
	return a->fn[0] || a->fd[0] || a->fp[0] || a->ofd_url[0];
}

/* Digits only, 1..n-1 of them: anything else is not taken. */
static void put_number(char *dst, size_t n, const char *v, size_t len)
{
	if (dst[0] || !v || len == 0 || len >= n)
		return;
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return;
	memcpy(dst, v, len);
	dst[len] = '\0';
}

static void put_url(struct fiscal_attrs *a, const char *v)
{
	if (a->ofd_url[0] || !v)
		return;
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
		return;
	size_t len = strlen(v);
	if (len >= sizeof a->ofd_url)
		return;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] <= ' ' || v[i] == 0x7f)
			return;
	memcpy(a->ofd_url, v, len + 1);
}

void fiscal_attrs_from_url(const char *url, struct fiscal_attrs *a)
{
	if (!url)
		return;
	/* A link's query, or a bare query (PayKeeper's QR content "t=...&fn=..."). */
	const char *q = strchr(url, '?');
	q = q ? q + 1 : url;
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t plen = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', plen);
		if (eq) {
			size_t klen = (size_t)(eq - q), vlen = plen - klen - 1;
			const char *v = eq + 1;
			if (klen == 2 && strncmp(q, "fn", 2) == 0)
				put_number(a->fn, sizeof a->fn, v, vlen);
			else if ((klen == 1 && q[0] == 'i') ||
				 (klen == 2 && strncmp(q, "fd", 2) == 0))
				put_number(a->fd, sizeof a->fd, v, vlen);
			else if (klen == 2 && strncmp(q, "fp", 2) == 0)
				put_number(a->fp, sizeof a->fp, v, vlen);
		}
		if (!amp)
			break;
		q = amp + 1;
	}
}

static const char *const fn_keys[] = {"fn", "fn_number", "fiscal_storage_number", NULL};
static const char *const fd_keys[] = {"fd", "fnd", "fd_number", "fiscal_document_number", NULL};
static const char *const fp_keys[] = {"fp", "fpd", "fiscal_sign", "fiscal_document_attribute",
				      NULL};
static const char *const url_keys[] = {"ofd_url", "fop_url", "ofd_link", NULL};

/* One key's value as text: a string or an integer. */
static void value_text(json_t *v, char *buf, size_t n)
{
	buf[0] = '\0';
	if (json_is_string(v))
		str_copy(buf, json_string_value(v), n);
	else if (json_is_integer(v))
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
}

static void from_json(json_t *o, struct fiscal_attrs *a)
{
	if (!json_is_object(o))
		return;
	char v[600];
	for (const char *const *k = fn_keys; *k; k++) {
		value_text(json_object_get(o, *k), v, sizeof v);
		put_number(a->fn, sizeof a->fn, v, strlen(v));
	}
	for (const char *const *k = fd_keys; *k; k++) {
		value_text(json_object_get(o, *k), v, sizeof v);
		put_number(a->fd, sizeof a->fd, v, strlen(v));
	}
	for (const char *const *k = fp_keys; *k; k++) {
		value_text(json_object_get(o, *k), v, sizeof v);
		put_number(a->fp, sizeof a->fp, v, strlen(v));
	}
	/* The link last: explicit keys win over its query. */
	for (const char *const *k = url_keys; *k; k++) {
		value_text(json_object_get(o, *k), v, sizeof v);
		put_url(a, v);
		fiscal_attrs_from_url(v, a);
	}
}

void fiscal_attrs_from_callback(const char *body, size_t len, struct fiscal_attrs *a)
{
	if (!body || !len)
		return;
	json_t *o = NULL;
	size_t skip = 0;
	while (skip < len && (body[skip] == ' ' || body[skip] == '\n' || body[skip] == '\r'))
		skip++;
	if (skip < len && body[skip] == '{') {
		o = jsonx_loads(body + skip, len - skip, NULL);
	} else {
		char *data = form_get(body, len, "data");
		if (data) {
			o = jsonx_loads(data, strlen(data), NULL);
			free(data);
		} else {
			size_t n = 0;
			struct form_pair *p = form_parse(body, len, &n);
			o = json_object();
			for (size_t i = 0; i < n; i++)
				json_object_set_new(o, p[i].key, json_string(p[i].value));
			form_pairs_free(p, n);
		}
	}
	from_json(o, a);
	json_decref(o);
	if (a->ofd_url[0])
		fiscal_attrs_from_url(a->ofd_url, a);
}

static bool on_raw(const struct journal_raw_callback *c, void *ctx)
{
	struct fiscal_attrs *a = ctx;
	/* Oldest first: a later callback's values win, so gather each into a fresh record. */
	struct fiscal_attrs one;
	memset(&one, 0, sizeof one);
	fiscal_attrs_from_callback(c->body, c->body_len, &one);
	if (fiscal_attrs_any(&one))
		*a = one;
	return true;
}

kstatus fiscal_attrs_of_doc(const char *journal_path, int64_t doc_id, const char *uuid,
			    struct fiscal_attrs *a, struct kerr *err)
{
	memset(a, 0, sizeof *a);
	return journal_raw_callbacks(journal_path, doc_id, uuid, on_raw, a, err);
}
