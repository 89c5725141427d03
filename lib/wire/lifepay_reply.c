/*
 * LifePay wire format: replies (the {code, message, data} envelope) and
 * callbacks. The decisions are listed at the top of lifepay.c.
 */
#include "wire/lifepay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "util.h"
#include "wire/form.h"
#include "wire/lifepay_int.h"

/* ---- replies -------------------------------------------------------------- */

/* A short, printable excerpt of a body that is not what we expected. */
static void excerpt(const char *body, size_t len, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 4 < n && o < 60; i++) {
		unsigned char c = (unsigned char)body[i];
		out[o++] = (c < 0x20 || c >= 0x7f) ? '.' : (char)c;
	}
	if (len > o && o + 4 < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return false;
	return true;
}

static void add_field_error(struct lifepay_reply *r, const char *field, const json_t *msg)
{
	if (r->n_field_errors >= LIFEPAY_FIELD_ERRORS_MAX)
		return;
	/* Format into room for everything, then cut between UTF-8 characters. */
	char text[sizeof r->field_errors[0] * 3];
	const char *m = json_is_string(msg) ? json_string_value(msg) : "";
	if (json_is_string(msg) && lp_is_marked(m))
		m = jsonx_marked_text(m);
	if (json_is_integer(msg)) {
		char num[32];
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(msg));
		snprintf(text, sizeof text, "%s: %s", field, num);
	} else {
		snprintf(text, sizeof text, "%s: %s", field, m);
	}
	lp_copy_utf8(r->field_errors[r->n_field_errors++], text, sizeof r->field_errors[0]);
}

static void collect_errors(struct lifepay_reply *r, const char *prefix, const json_t *data,
			   int depth)
{
	const char *key;
	json_t *v;
	if (depth > 4)
		return;
	json_object_foreach((json_t *)data, key, v)
	{
		char full[576], field[192];
		if (prefix[0])
			lp_field_join(full, sizeof full, prefix, key);
		else
			snprintf(full, sizeof full, "%s", key);
		lp_copy_utf8(field, full, sizeof field);
		if (json_is_array(v)) {
			size_t i;
			json_t *m;
			json_array_foreach(v, i, m)
			{
				if (json_is_object(m))
					collect_errors(r, field, m, depth + 1);
				else
					add_field_error(r, field, m);
			}
		} else if (json_is_object(v)) {
			collect_errors(r, field, v, depth + 1);
		} else {
			add_field_error(r, field, v);
		}
	}
}

kstatus wire_lifepay_parse_reply(const char *body, size_t len, struct lifepay_reply *r,
				 struct kerr *err)
{
	memset(r, 0, sizeof *r);
	char ex[80];
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "", "%s", _("the reply is empty"));
	json_t *root = jsonx_loads(body, len, NULL);
	if (!root) {
		excerpt(body, len, ex, sizeof ex);
		return kerr_set(err, K_INVALID, "", _("the reply is not JSON: %s"), ex);
	}
	kstatus st = K_OK;
	const json_t *code = json_is_object(root) ? json_object_get(root, "code") : NULL;
	if (!code) {
		excerpt(body, len, ex, sizeof ex);
		st = kerr_set(err, K_INVALID, "code", _("the reply is not a LifePay envelope: %s"),
			      ex);
		goto out;
	}
	if (json_is_integer(code) && json_integer_value(code) >= -1000000 &&
	    json_integer_value(code) <= 1000000) {
		r->code = (int)json_integer_value(code);
	} else if (json_is_string(code) && !lp_is_marked(json_string_value(code))) {
		char *end;
		long c = strtol(json_string_value(code), &end, 10);
		if (end == json_string_value(code) || *end || c < -1000000 || c > 1000000) {
			st = kerr_set(err, K_INVALID, "code", "%s",
				      _("the reply's code is not a whole number"));
			goto out;
		}
		r->code = (int)c;
	} else {
		st = kerr_set(err, K_INVALID, "code", "%s",
			      _("the reply's code is not a whole number"));
		goto out;
	}
	const json_t *message = json_object_get(root, "message");
	if (json_is_string(message))
		lp_copy_utf8(r->message, json_string_value(message), sizeof r->message);
	const json_t *data = json_object_get(root, "data");
	if (r->code == 0) {
		const json_t *uuid = json_is_object(data) ? json_object_get(data, "uuid") : NULL;
		if (uuid && !json_is_null(uuid)) {
			if (!json_is_string(uuid) || json_string_length(uuid) > UUID_TEXT_MAX ||
			    !printable_ascii(json_string_value(uuid))) {
				st = kerr_set(err, K_INVALID, "data.uuid", "%s",
					      _("the reply's document uuid is not valid"));
				goto out;
			}
			str_copy(r->uuid, json_string_value(uuid), sizeof r->uuid);
		}
	} else if (json_is_object(data)) {
		collect_errors(r, "", data, 0);
	}
out:
	json_decref(root);
	return st;
}

/* ---- callbacks ------------------------------------------------------------ */

static bool ct_is(const char *ct, const char *want)
{
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strlen(want);
	if (strncasecmp(ct, want, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static bool text_is(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

enum lifepay_cb_status wire_lifepay_cb_status_parse(const char *text)
{
	static const char *const processed[] = {"processed", "success",	  "done", "ok",
						"обработан", "Обработан", NULL};
	static const char *const retry[] = {"retry",   "awaiting retry",  "pending",	     "wait",
					    "waiting", "ожидает повтора", "Ожидает повтора", NULL};
	static const char *const error[] = {"error", "failed", "fail", "ошибка", "Ошибка", NULL};
	char norm[64];
	size_t o = 0;
	if (!text)
		return LP_CB_UNKNOWN;
	while (*text == ' ')
		text++;
	for (; *text && o + 1 < sizeof norm; text++) {
		char c = *text;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '_' || c == '-')
			c = ' ';
		norm[o++] = c;
	}
	while (o > 0 && norm[o - 1] == ' ')
		o--;
	norm[o] = '\0';
	if (text_is(norm, processed))
		return LP_CB_PROCESSED;
	if (text_is(norm, retry))
		return LP_CB_RETRY;
	if (text_is(norm, error))
		return LP_CB_ERROR;
	return LP_CB_UNKNOWN;
}

const char *wire_lifepay_cb_status_name(enum lifepay_cb_status s)
{
	switch (s) {
	case LP_CB_PROCESSED:
		return "processed";
	case LP_CB_RETRY:
		return "retry";
	case LP_CB_ERROR:
		return "error";
	default:
		return "unknown";
	}
}

/* A callback value as text: strings as they are, integers in decimal. */
static kstatus cb_text(const json_t *v, char *dst, size_t n, const char *field, bool token,
		       struct kerr *err)
{
	dst[0] = '\0';
	if (!v || json_is_null(v))
		return K_OK;
	if (json_is_integer(v)) {
		snprintf(dst, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return K_OK;
	}
	if (!json_is_string(v))
		return kerr_set(err, K_INVALID, field, "%s", _("must be text"));
	const char *s = json_string_value(v);
	if (lp_is_marked(s))
		s = jsonx_marked_text(s);
	if (strlen(s) >= n)
		return kerr_set(err, K_INVALID, field, _("is longer than %zu characters"), n - 1);
	if (token && !printable_ascii(s))
		return kerr_set(err, K_INVALID, field, "%s",
				_("may hold only Latin letters, digits and punctuation"));
	lp_copy_utf8(dst, s, n);
	return K_OK;
}

static kstatus cb_error_code(const json_t *v, struct lifepay_callback *cb, struct kerr *err)
{
	if (!v || json_is_null(v))
		return K_OK;
	if (json_is_integer(v)) {
		json_int_t c = json_integer_value(v);
		if (c != 0) {
			cb->has_error_code = true;
			cb->error_code = (c > 1000000000 || c < -1000000000) ? -1 : (int)c;
		}
		return K_OK;
	}
	if (!json_is_string(v))
		return kerr_set(err, K_INVALID, "error_code", "%s", _("must be a number or text"));
	const char *s = json_string_value(v);
	if (lp_is_marked(s))
		s = jsonx_marked_text(s);
	if (!s[0] || strcmp(s, "0") == 0)
		return K_OK;
	char *end;
	long c = strtol(s, &end, 10);
	cb->has_error_code = true;
	if (end != s && !*end && c > -1000000000 && c < 1000000000) {
		cb->error_code = (int)c;
	} else {
		/* a code that is not a number: keep its text where people will see it */
		cb->error_code = -1;
		if (!cb->error_message[0])
			lp_copy_utf8(cb->error_message, s, sizeof cb->error_message);
	}
	return K_OK;
}

static kstatus parse_callback_json(const char *text, size_t len, struct lifepay_callback *cb,
				   struct kerr *err)
{
	json_t *root = jsonx_loads(text, len, NULL);
	if (!root || !json_is_object(root)) {
		char ex[80];
		excerpt(text, len, ex, sizeof ex);
		json_decref(root);
		return kerr_set(err, K_INVALID, "data", _("the callback is not a JSON object: %s"),
				ex);
	}
	kstatus st;
	const json_t *uuid = json_object_get(root, "uuid");
	if (!uuid || json_is_null(uuid) || (json_is_string(uuid) && !json_string_length(uuid))) {
		st = kerr_set(err, K_INVALID, "uuid", "%s", _("is missing from the callback"));
		goto out;
	}
	if ((st = cb_text(uuid, cb->uuid, sizeof cb->uuid, "uuid", true, err)) != K_OK)
		goto out;
	/* checked after cb_text: a jsonx-marked empty number must not pass */
	if (!cb->uuid[0]) {
		st = kerr_set(err, K_INVALID, "uuid", "%s", _("is missing from the callback"));
		goto out;
	}
	if ((st = cb_text(json_object_get(root, "ext_id"), cb->ext_id, sizeof cb->ext_id, "ext_id",
			  true, err)) != K_OK ||
	    (st = cb_text(json_object_get(root, "ofd_url"), cb->ofd_url, sizeof cb->ofd_url,
			  "ofd_url", true, err)) != K_OK ||
	    (st = cb_text(json_object_get(root, "fn"), cb->fn, sizeof cb->fn, "fn", true, err)) !=
		K_OK ||
	    (st = cb_text(json_object_get(root, "fd"), cb->fd, sizeof cb->fd, "fd", true, err)) !=
		K_OK ||
	    (st = cb_text(json_object_get(root, "fpd"), cb->fpd, sizeof cb->fpd, "fpd", true,
			  err)) != K_OK)
		goto out;
	/* free text from the provider: kept (cut at a character) rather than refused */
	const json_t *status = json_object_get(root, "status");
	if (json_is_string(status))
		lp_copy_utf8(cb->status_text, json_string_value(status), sizeof cb->status_text);
	else if (json_is_integer(status))
		snprintf(cb->status_text, sizeof cb->status_text, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(status));
	const json_t *msg = json_object_get(root, "error_message");
	if (json_is_string(msg))
		lp_copy_utf8(cb->error_message, json_string_value(msg), sizeof cb->error_message);
	if ((st = cb_error_code(json_object_get(root, "error_code"), cb, err)) != K_OK)
		goto out;
	const json_t *data = json_object_get(root, "callback_data");
	if (data && !json_is_null(data))
		cb->callback_data_json = jsonx_dumps(data, JSON_COMPACT);
	/* The terminal's part (docs/SANDBOX.md "Faults": the shape is the sandbox's
	 * decision, no seed gives one): kept when readable, never refused. */
	const json_t *pos = json_object_get(root, "pos");
	const json_t *pres = json_is_object(pos) ? json_object_get(pos, "result") : NULL;
	if (json_is_string(pres)) {
		cb->has_pos = true;
		lp_copy_utf8(cb->pos_result, json_string_value(pres), sizeof cb->pos_result);
		const json_t *slips = json_object_get(pos, "slip_count");
		if (json_is_integer(slips) && json_integer_value(slips) >= 0 &&
		    json_integer_value(slips) <= 2)
			cb->pos_slip_count = (int)json_integer_value(slips);
	}

	enum lifepay_cb_status by_text = wire_lifepay_cb_status_parse(cb->status_text);
	if (cb->has_error_code)
		cb->status = LP_CB_ERROR;
	else if (by_text != LP_CB_UNKNOWN)
		cb->status = by_text;
	else if (cb->ofd_url[0])
		cb->status = LP_CB_PROCESSED;
	else
		cb->status = LP_CB_UNKNOWN;
out:
	json_decref(root);
	return st;
}

/* True if a body without a content type looks like a form with a data field. */
static bool has_data_field(const char *body, size_t len)
{
	for (size_t i = 0; i + 5 <= len; i++)
		if ((i == 0 || body[i - 1] == '&') && memcmp(body + i, "data=", 5) == 0)
			return true;
	return false;
}

kstatus wire_lifepay_parse_callback(const char *content_type, const char *body, size_t len,
				    struct lifepay_callback *cb, struct kerr *err)
{
	memset(cb, 0, sizeof *cb);
	cb->status = LP_CB_UNKNOWN;
	if (!body || len == 0)
		return kerr_set(err, K_INVALID, "", "%s", _("the callback body is empty"));
	size_t skip = 0;
	while (skip < len && (body[skip] == ' ' || body[skip] == '\t' || body[skip] == '\r' ||
			      body[skip] == '\n'))
		skip++;
	bool form;
	if (ct_is(content_type, "application/x-www-form-urlencoded"))
		form = true;
	else if (ct_is(content_type, "application/json") || ct_is(content_type, "text/json") ||
		 (skip < len && body[skip] == '{'))
		form = false;
	else if (has_data_field(body, len))
		form = true;
	else
		return kerr_set(
		    err, K_INVALID, "", "%s",
		    _("the callback body is neither a form with a data field nor JSON"));
	kstatus st;
	if (form) {
		char *json = form_get(body, len, "data");
		if (!json)
			return kerr_set(err, K_INVALID, "data", "%s",
					_("the callback form has no data field"));
		st = parse_callback_json(json, strlen(json), cb, err);
		free(json);
	} else {
		st = parse_callback_json(body, len, cb, err);
	}
	if (st != K_OK)
		wire_lifepay_callback_free(cb);
	return st;
}

void wire_lifepay_callback_free(struct lifepay_callback *cb)
{
	free(cb->callback_data_json);
	cb->callback_data_json = NULL;
}
