/*
 * PayKeeper wire format: the receipt object (table 8.4.2), replies, the
 * sandbox's receipt out, and callback signatures.
 */
#include "wire/paykeeper.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "i18n.h"
#include "jsonx.h"
#include "money.h"
#include "payment.h"
#include "util.h"
#include "wire/paykeeper_int.h"

/* ---- the receipt object ---- */

enum fkind { F_ID, F_TEXT, F_BOOL, F_MONEY, F_JSON, F_STATUS, F_ERROR };

struct fdesc {
	const char *key;
	enum fkind kind;
	size_t off, size;
};

/* clang-format off */
#define FT(name) {#name, F_TEXT, offsetof(struct pk_receipt, name), \
		  sizeof(((struct pk_receipt *)0)->name)}
#define FK(name, kind) {#name, kind, offsetof(struct pk_receipt, name), 0}
/* clang-format on */
/* Table 8.4.2, in the table's order. */
static const struct fdesc receipt_fields[] = {
    FK(id, F_ID),
    FT(payment_id),
    FT(type),
    FK(is_post_sale, F_BOOL),
    FK(is_correction, F_BOOL),
    FT(refund_id),
    FK(status, F_STATUS),
    FT(contact),
    FK(sum_cashless, F_MONEY),
    FK(sum_cash, F_MONEY),
    FK(sum_advance, F_MONEY),
    FK(sum_credit, F_MONEY),
    FK(sum_counter_payment, F_MONEY),
    FK(cart, F_JSON),
    FK(receipt_properties, F_JSON),
    FT(fpd),
    FT(fnd),
    FT(fn),
    FT(ts),
    FT(rnkkt),
    FT(shift_number),
    FT(receipt_number),
    FT(obtain_datetime),
    FT(request_datetime),
    FT(fop_receipt_key),
    FT(fop_uuid),
    FT(fop_url),
    FK(custom_params, F_JSON),
    FK(has_error, F_ERROR),
};
#undef FT
#undef FK
#define N_RECEIPT_FIELDS (sizeof receipt_fields / sizeof *receipt_fields)

void paykeeper_receipt_free(struct pk_receipt *r)
{
	free(r->cart);
	free(r->receipt_properties);
	free(r->custom_params);
	memset(r, 0, sizeof *r);
}

static void receipt_init(struct pk_receipt *r)
{
	memset(r, 0, sizeof *r);
	r->status = PK_STATUS_UNKNOWN;
}

static kstatus receipt_set_error(struct pk_receipt *r, const char *text)
{
	r->has_error = false;
	r->error_type[0] = r->error_message[0] = r->error_id[0] = '\0';
	if (!*text || strcmp(text, "null") == 0)
		return K_OK;
	r->has_error = true;
	json_t *e = jsonx_loads(text, strlen(text), NULL);
	if (!json_is_object(e)) {
		/* Not the documented object: keep the words so someone can read them. */
		pkw_clean_copy(r->error_message, sizeof r->error_message, text);
		json_decref(e);
		return K_OK;
	}
	char *t = pkw_json_text(json_object_get(e, "type"));
	char *m = pkw_json_text(json_object_get(e, "message"));
	char *id = pkw_json_text(json_object_get(e, "error_id"));
	pkw_clean_copy(r->error_type, sizeof r->error_type, t);
	pkw_clean_copy(r->error_message, sizeof r->error_message, m);
	pkw_clean_copy(r->error_id, sizeof r->error_id, id);
	free(t);
	free(m);
	free(id);
	json_decref(e);
	return K_OK;
}

static kstatus receipt_set_field(struct pk_receipt *r, const struct fdesc *f, const char *v,
				 struct kerr *err)
{
	char *base = (char *)r + f->off;
	/* Text from outside must be UTF-8 without control characters (JSON
	 * fields may hold line breaks); it is shown, journaled and re-encoded. */
	if (f->kind == F_JSON) {
		if (!utf8_valid(v, strlen(v)))
			return kerr_set(err, K_INVALID, f->key, "%s", _("is not valid UTF-8 text"));
	} else {
		kstatus st = document_check_text(v, 0, f->key, err);
		if (st != K_OK)
			return st;
	}
	switch (f->kind) {
	case F_ID:
		if (!*v) {
			r->id = 0;
			return K_OK;
		}
		return pkw_parse_int64(v, &r->id, f->key, err);
	case F_TEXT:
		if (!str_copy(base, v, f->size))
			return kerr_set(err, K_INVALID, f->key, _("is longer than %zu bytes"),
					f->size - 1);
		return K_OK;
	case F_BOOL:
		return pkw_parse_bool_word(v, (bool *)base, f->key, err);
	case F_MONEY:
		return pkw_parse_amount_text(v, (int64_t *)base, f->key, err);
	case F_JSON: {
		char **dst = (char **)base;
		free(*dst);
		*dst = *v ? xstrdup(v) : NULL;
		return K_OK;
	}
	case F_STATUS:
		paykeeper_status_parse(v, &r->status);
		if (!str_copy(r->status_text, v, sizeof r->status_text))
			return kerr_set(err, K_INVALID, "status", "%s", _("is too long"));
		return K_OK;
	case F_ERROR:
		return receipt_set_error(r, v);
	}
	return K_OK;
}

static const struct fdesc *receipt_field(const char *key)
{
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++)
		if (strcmp(receipt_fields[i].key, key) == 0)
			return &receipt_fields[i];
	return NULL;
}

/* "error" maps to has_error in the table; the wire key is "error". */
static const char *fdesc_wire_key(const struct fdesc *f)
{
	return f->kind == F_ERROR ? "error" : f->key;
}

static const struct fdesc *receipt_field_wire(const char *key)
{
	if (strcmp(key, "error") == 0)
		return receipt_field("has_error");
	if (strcmp(key, "has_error") == 0)
		return NULL;
	return receipt_field(key);
}

static kstatus receipt_finish(struct pk_receipt *r, struct kerr *err)
{
	if (r->id <= 0)
		return kerr_set(err, K_INVALID, "id", "%s",
				_("the receipt has no id; the reply is not a PayKeeper receipt"));
	return K_OK;
}

kstatus pkw_receipt_from_json(const json_t *o, struct pk_receipt *r, const char *where,
			      struct kerr *err)
{
	receipt_init(r);
	if (!json_is_object(o))
		return kerr_set(err, K_INVALID, where, "%s", _("a receipt must be a JSON object"));
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)o, key, val)
	{
		const struct fdesc *f = receipt_field_wire(key);
		if (!f)
			continue; /* newer fields are not an error */
		if ((json_is_object(val) || json_is_array(val)) && f->kind != F_JSON &&
		    f->kind != F_ERROR) {
			paykeeper_receipt_free(r);
			return kerr_set(err, K_INVALID, key, "%s", _("must be text or a number"));
		}
		char *text = pkw_json_text(val);
		kstatus st = receipt_set_field(r, f, text, err);
		free(text);
		if (st != K_OK) {
			if (where[0])
				kerr_prefix(err, where);
			paykeeper_receipt_free(r);
			return st;
		}
	}
	kstatus st = receipt_finish(r, err);
	if (st != K_OK) {
		if (where[0])
			kerr_prefix(err, where);
		paykeeper_receipt_free(r);
	}
	return st;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* Loads a reply; *empty for a body with nothing in it. */
json_t *pkw_load_reply(const char *body, size_t len, bool *empty, struct kerr *err)
{
	*empty = false;
	if (!body || blank(body, len)) {
		*empty = true;
		return NULL;
	}
	/* jansson takes only arrays and objects at the top; "null" means nothing found. */
	size_t a = 0, b = len;
	while (a < b && isspace((unsigned char)body[a]))
		a++;
	while (b > a && isspace((unsigned char)body[b - 1]))
		b--;
	if (b - a == 4 && memcmp(body + a, "null", 4) == 0) {
		*empty = true;
		return NULL;
	}
	json_t *root = jsonx_loads(body, len, err);
	if (!root && err)
		str_copy(err->field, "reply", sizeof err->field);
	return root;
}

kstatus paykeeper_parse_receipt(const char *body, size_t len, struct pk_receipt *r,
				struct kerr *err)
{
	receipt_init(r);
	bool empty;
	json_t *root = pkw_load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_NOTFOUND, "id", "%s",
				_("PayKeeper has no receipt with this id"));
	if (!root)
		return K_INVALID;
	kstatus st = pkw_check_fail(root, err);
	const json_t *o = root;
	if (st == K_OK && json_is_array(root)) {
		if (json_array_size(root) == 0)
			st = kerr_set(err, K_NOTFOUND, "id", "%s",
				      _("PayKeeper has no receipt with this id"));
		else if (json_array_size(root) > 1)
			st = kerr_set(err, K_INVALID, "reply", "%s",
				      _("expected one receipt, got several"));
		else
			o = json_array_get(root, 0);
	} else if (st == K_OK &&
		   (json_is_null(root) || (json_is_object(root) && json_object_size(root) == 0))) {
		st = kerr_set(err, K_NOTFOUND, "id", "%s",
			      _("PayKeeper has no receipt with this id"));
	}
	if (st == K_OK)
		st = pkw_receipt_from_json(o, r, "", err);
	json_decref(root);
	return st;
}

static kstatus parse_token_reply(const json_t *root, char *out, size_t n, struct kerr *err)
{
	const json_t *t = json_is_object(root) ? json_object_get(root, "token") : NULL;
	if (!json_is_string(t) || pkw_json_is_marked_number(t) || !json_string_value(t)[0])
		return kerr_set(
		    err, K_INVALID, "token", "%s",
		    _("the reply carries no token; check the PayKeeper user and password"));
	const char *s = json_string_value(t);
	if (pkw_has_control(s))
		return kerr_set(err, K_INVALID, "token", "%s",
				_("the token holds control characters"));
	if (!str_copy(out, s, n))
		return kerr_set(err, K_INVALID, "token", "%s", _("the token is too long"));
	return K_OK;
}

kstatus paykeeper_parse_token(const char *body, size_t len, char *out, size_t n, struct kerr *err)
{
	if (n)
		out[0] = '\0';
	bool empty;
	json_t *root = pkw_load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_INVALID, "token", "%s", _("the reply is empty"));
	if (!root)
		return K_INVALID;
	kstatus st = pkw_check_fail(root, err);
	if (st == K_OK)
		st = parse_token_reply(root, out, n, err);
	if (st != K_OK && n)
		out[0] = '\0';
	json_decref(root);
	return st;
}

kstatus paykeeper_parse_print_reply(const char *body, size_t len, int64_t *receipt_id,
				    struct kerr *err)
{
	*receipt_id = 0;
	bool empty;
	json_t *root = pkw_load_reply(body, len, &empty, err);
	if (empty)
		return kerr_set(err, K_INVALID, "receipt_id", "%s", _("the reply is empty"));
	if (!root)
		return K_INVALID;
	kstatus st = pkw_check_fail(root, err);
	if (st == K_OK) {
		const json_t *v = json_is_object(root) ? json_object_get(root, "receipt_id") : NULL;
		if (!v ||
		    !(json_is_integer(v) || (json_is_string(v) && !pkw_json_is_marked_number(v)))) {
			st = kerr_set(err, K_INVALID, "receipt_id", "%s",
				      _("the reply carries no receipt_id"));
		} else {
			char *text = pkw_json_text(v);
			st = pkw_parse_int64(text, receipt_id, "receipt_id", err);
			free(text);
			if (st == K_OK && *receipt_id <= 0)
				st = kerr_set(err, K_INVALID, "receipt_id", "%s",
					      _("must be a positive number"));
		}
	}
	json_decref(root);
	return st;
}

/* ---- receipt out (sandbox side) ---- */

static char *receipt_field_text(const struct pk_receipt *r, const struct fdesc *f)
{
	const char *base = (const char *)r + f->off;
	char tmp[32];
	switch (f->kind) {
	case F_ID:
		snprintf(tmp, sizeof tmp, "%" PRId64, r->id);
		return xstrdup(tmp);
	case F_TEXT:
		return xstrdup(base);
	case F_BOOL:
		return xstrdup(*(const bool *)base ? "1" : "0");
	case F_MONEY:
		money_format_wire(*(const int64_t *)base, tmp, sizeof tmp);
		return xstrdup(tmp);
	case F_JSON: {
		const char *s = *(char *const *)base;
		return xstrdup(s ? s : "");
	}
	case F_STATUS:
		return xstrdup(r->status_text[0] ? r->status_text
						 : paykeeper_status_wire(r->status));
	case F_ERROR: {
		if (!r->has_error)
			return xstrdup("");
		json_t *e = json_object();
		json_object_set_new(e, "type", json_string(r->error_type));
		json_object_set_new(e, "message", json_string(r->error_message));
		json_object_set_new(e, "error_id", json_string(r->error_id));
		char *s = jsonx_dumps(e, JSON_COMPACT);
		json_decref(e);
		return s ? s : xstrdup("");
	}
	}
	return xstrdup("");
}

struct form_pair *paykeeper_receipt_pairs(const struct pk_receipt *r, size_t *n)
{
	struct form_pair *p = xcalloc(N_RECEIPT_FIELDS, sizeof *p);
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++) {
		p[i].key = xstrdup(fdesc_wire_key(&receipt_fields[i]));
		p[i].value = receipt_field_text(r, &receipt_fields[i]);
	}
	*n = N_RECEIPT_FIELDS;
	return p;
}

char *paykeeper_receipt_json(const struct pk_receipt *r)
{
	json_t *o = json_object();
	for (size_t i = 0; i < N_RECEIPT_FIELDS; i++) {
		const struct fdesc *f = &receipt_fields[i];
		if (f->kind == F_ID) {
			json_object_set_new(o, f->key, json_integer(r->id));
		} else if (f->kind == F_MONEY) {
			json_object_set_new(
			    o, f->key,
			    jsonx_money_number(*(const int64_t *)((const char *)r + f->off)));
		} else {
			char *t = receipt_field_text(r, f);
			json_object_set_new(o, fdesc_wire_key(f), json_string(t));
			free(t);
		}
	}
	char *s = jsonx_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* ---- signature ---- */

static int on_compare_keys(const void *a, const void *b)
{
	const struct form_pair *x = *(const struct form_pair *const *)a;
	const struct form_pair *y = *(const struct form_pair *const *)b;
	return strcmp(x->key, y->key);
}

kstatus paykeeper_sign(const struct form_pair *pairs, size_t n, const char *secret,
		       char out_hex[PAYKEEPER_SIGN_HEX_LEN + 1], struct kerr *err)
{
	out_hex[0] = '\0';
	if (!secret || !*secret)
		return kerr_set(
		    err, K_INVALID, "secret", "%s",
		    _("the PayKeeper secret word for notifications is not set; enter it "
		      "in the profile"));
	size_t strl = strlen(secret);
	if (strl > 4096)
		return kerr_set(err, K_INVALID, "secret", "%s", _("the secret word is too long"));
	const struct form_pair **sorted = xcalloc(n ? n : 1, sizeof *sorted);
	size_t m = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(pairs[i].key, "sign") == 0)
			continue;
		sorted[m++] = &pairs[i];
		total += strlen(pairs[i].value) + 1;
	}
	/* Byte order, as strcmp; equal keys would make the order (and the sign) ambiguous. */
	qsort(sorted, m, sizeof *sorted, on_compare_keys);
	for (size_t i = 1; i < m; i++)
		if (strcmp(sorted[i - 1]->key, sorted[i]->key) == 0) {
			kstatus st = kerr_set(err, K_INVALID, sorted[i]->key, "%s",
					      _("is given twice; the notification is malformed"));
			free(sorted);
			return st;
		}
	char *msg = xmalloc(total + 1);
	size_t o = 0;
	for (size_t i = 0; i < m; i++) {
		if (i)
			msg[o++] = ';';
		size_t vl = strlen(sorted[i]->value);
		memcpy(msg + o, sorted[i]->value, vl);
		o += vl;
	}
	msg[o] = '\0';
	free(sorted);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	unsigned char *ok =
	    HMAC(EVP_sha256(), secret, (int)strl, (const unsigned char *)msg, o, mac, &mac_len);
	free(msg);
	if (!ok || mac_len != PAYKEEPER_SIGN_HEX_LEN / 2)
		return kerr_set(err, K_INVALID, "sign", "%s", _("HMAC-SHA256 failed in libcrypto"));
	static const char hex[] = "0123456789abcdef";
	for (unsigned int i = 0; i < mac_len; i++) {
		out_hex[2 * i] = hex[mac[i] >> 4];
		out_hex[2 * i + 1] = hex[mac[i] & 15];
	}
	out_hex[2 * mac_len] = '\0';
	return K_OK;
}

kstatus paykeeper_callback_body(const struct form_pair *pairs, size_t n, const char *secret,
				char **out, struct kerr *err)
{
	*out = NULL;
	char sign[PAYKEEPER_SIGN_HEX_LEN + 1];
	kstatus st = paykeeper_sign(pairs, n, secret, sign, err);
	if (st != K_OK)
		return st;
	char *f = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(pairs[i].key, "sign") != 0)
			form_add(&f, pairs[i].key, pairs[i].value);
	form_add(&f, "sign", sign);
	*out = f;
	return K_OK;
}

/* True if the raw body hides a NUL byte in a value (%00), which C strings would cut. */
static bool body_has_nul(const char *body, size_t len)
{
	if (memchr(body, '\0', len))
		return true;
	for (size_t i = 0; i + 2 < len; i++)
		if (body[i] == '%' && body[i + 1] == '0' && body[i + 2] == '0')
			return true;
	return false;
}

kstatus paykeeper_verify_callback(const char *body, size_t len, const char *secret,
				  struct pk_receipt *out, struct kerr *err)
{
	receipt_init(out);
	if (!secret || !*secret)
		return kerr_set(
		    err, K_INVALID, "secret", "%s",
		    _("the PayKeeper secret word for notifications is not set; enter it "
		      "in the profile"));
	if (body_has_nul(body, len))
		return kerr_set(err, K_INVALID, "", "%s",
				_("the notification holds a NUL byte; ignored"));
	size_t n;
	struct form_pair *p = form_parse(body, len, &n);
	const char *got = NULL;
	size_t signs = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].key, "sign") == 0) {
			got = p[i].value;
			signs++;
		}
	kstatus st = K_OK;
	char want[PAYKEEPER_SIGN_HEX_LEN + 1], have[PAYKEEPER_SIGN_HEX_LEN + 1];
	if (signs == 0) {
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("the notification is not signed; ignored"));
	} else if (signs > 1) {
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("the notification carries two signatures; ignored"));
	} else if (strlen(got) != PAYKEEPER_SIGN_HEX_LEN) {
		st = kerr_set(err, K_REFUSED, "sign", _("must be %d hex digits; ignored"),
			      PAYKEEPER_SIGN_HEX_LEN);
	} else {
		for (size_t i = 0; i < PAYKEEPER_SIGN_HEX_LEN && st == K_OK; i++) {
			if (!isxdigit((unsigned char)got[i]))
				st = kerr_set(err, K_REFUSED, "sign",
					      _("must be %d hex digits; "
						"ignored"),
					      PAYKEEPER_SIGN_HEX_LEN);
			have[i] = (char)tolower((unsigned char)got[i]);
		}
		have[PAYKEEPER_SIGN_HEX_LEN] = '\0';
	}
	if (st == K_OK)
		st = paykeeper_sign(p, n, secret, want, err);
	if (st == K_OK && !mem_equal_ct(want, have, PAYKEEPER_SIGN_HEX_LEN))
		st = kerr_set(err, K_REFUSED, "sign", "%s",
			      _("does not match: the notification was not signed with our secret "
				"word or was changed on the way; ignored"));
	/*
	 * The sign covers the values only, not the keys: a renamed key keeps a
	 * valid sign. So every key must be one of the receipt's (table 8.4.2),
	 * and id and status must be there.
	 */
	bool has_id = false, has_status = false;
	for (size_t i = 0; i < n && st == K_OK; i++) {
		if (strcmp(p[i].key, "sign") == 0)
			continue;
		if (!receipt_field_wire(p[i].key))
			st = kerr_set(err, K_INVALID, p[i].key, "%s",
				      _("is not a PayKeeper receipt field; the sign covers values "
					"only, so unknown keys are refused"));
		has_id |= strcmp(p[i].key, "id") == 0;
		has_status |= strcmp(p[i].key, "status") == 0;
	}
	if (st == K_OK && (!has_id || !has_status))
		st = kerr_set(err, K_INVALID, has_id ? "status" : "id", "%s",
			      _("is missing from the notification; ignored"));
	for (size_t i = 0; i < n && st == K_OK; i++) {
		const struct fdesc *f = receipt_field_wire(p[i].key);
		if (f)
			st = receipt_set_field(out, f, p[i].value, err);
	}
	if (st == K_OK)
		st = receipt_finish(out, err);
	explicit_bzero(want, sizeof want);
	form_pairs_free(p, n);
	if (st != K_OK)
		paykeeper_receipt_free(out);
	return st;
}
