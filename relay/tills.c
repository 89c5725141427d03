/*
 * Tokens and keys are never kept in clear after loading: the lookup table
 * holds SHA-256 digests, so a request costs one hash and one table probe
 * whatever the number of tills, and the compare is constant-time.
 */
#include "tills.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "i18n.h"
#include "util.h"

enum entry_kind { E_NONE, E_TOKEN, E_KEY, E_ACCOUNT };

struct entry {
	unsigned char digest[SHA256_DIGEST_LENGTH];
	enum entry_kind kind;
	size_t index;
};

struct tills {
	struct till *v;
	size_t n, cap;
	struct account *acc;
	size_t n_acc, cap_acc;
	char **acc_keys;  /* clear until the table is built */
	char **acc_lists; /* "tills = ..." as written */
	char **tokens;	  /* clear until the table is built */
	struct entry *table;
	size_t table_n;	  /* power of two */
	size_t *by_name;  /* index + 1 of each till by FNV-1a of its name; 0 = empty */
	size_t by_name_n; /* power of two */
	const char *path;
	struct kerr *err;
	kstatus st;
};

static void digest_of(const char *s, size_t len, unsigned char out[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)s, len, out);
}

static size_t slot_of(const unsigned char *d, size_t table_n)
{
	size_t h;
	memcpy(&h, d, sizeof h);
	return h & (table_n - 1);
}

static bool table_put(struct tills *t, const char *s, enum entry_kind kind, size_t index)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	digest_of(s, strlen(s), d);
	size_t i = slot_of(d, t->table_n);
	while (t->table[i].kind != E_NONE) {
		if (memcmp(t->table[i].digest, d, sizeof d) == 0)
			return false;
		i = (i + 1) & (t->table_n - 1);
	}
	memcpy(t->table[i].digest, d, sizeof d);
	t->table[i].kind = kind;
	t->table[i].index = index;
	return true;
}

static const struct entry *table_get(const struct tills *t, const char *s, size_t len)
{
	if (!t->table_n)
		return NULL;
	unsigned char d[SHA256_DIGEST_LENGTH];
	digest_of(s, len, d);
	size_t i = slot_of(d, t->table_n);
	while (t->table[i].kind != E_NONE) {
		if (mem_equal_ct(t->table[i].digest, d, sizeof d))
			return &t->table[i];
		i = (i + 1) & (t->table_n - 1);
	}
	return NULL;
}

static size_t name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return (size_t)h;
}

struct till *tills_by_name(struct tills *t, const char *name)
{
	if (t->by_name) {
		size_t m = t->by_name_n - 1;
		for (size_t i = name_hash(name) & m; t->by_name[i]; i = (i + 1) & m)
			if (strcmp(t->v[t->by_name[i] - 1].name, name) == 0)
				return &t->v[t->by_name[i] - 1];
		return NULL;
	}
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
	struct tills *t = user;
	if (t->st != K_OK)
		return 0;
	bool is_till = strncmp(section, "till.", 5) == 0;
	bool is_acc = strncmp(section, "account.", 8) == 0;
	const char *name = section + (is_till ? 5 : 8);
	if ((!is_till && !is_acc) || !relay_proto_name_valid(name)) {
		t->st = kerr_set(t->err, K_INVALID, "tills",
				 _("%s: section [%.80s] is neither [till.NAME] nor "
				   "[account.NAME] with NAME of letters, digits, '_', '-', '.'"),
				 t->path, section);
		return 0;
	}
	if (is_till) {
		if (strcmp(key, "token") != 0) {
			t->st = kerr_set(t->err, K_INVALID, "tills",
					 _("%s: unknown key \"%.40s\" in [%s]; a till has "
					   "only token = ..."),
					 t->path, key, section);
			return 0;
		}
		if (tills_by_name(t, name)) {
			t->st = kerr_set(t->err, K_INVALID, "tills",
					 _("%s: till %s is listed twice; keep one"), t->path, name);
			return 0;
		}
		if (!relay_proto_token_valid(value)) {
			t->st = kerr_set(t->err, K_INVALID, "tills",
					 _("%s: the token of till %s must be %d to %d "
					   "characters without spaces; make one with "
					   "`kassa-relay add-till`"),
					 t->path, name, RELAY_TOKEN_MIN, RELAY_TOKEN_MAX);
			return 0;
		}
		if (t->n == t->cap) {
			t->cap = t->cap ? 2 * t->cap : 16;
			t->v = xrealloc(t->v, t->cap * sizeof *t->v);
			t->tokens = xrealloc(t->tokens, t->cap * sizeof *t->tokens);
		}
		memset(&t->v[t->n], 0, sizeof t->v[t->n]);
		str_copy(t->v[t->n].name, name, sizeof t->v[t->n].name);
		t->tokens[t->n] = xstrdup(value);
		t->n++;
		return 1;
	}
	size_t a;
	for (a = 0; a < t->n_acc; a++)
		if (strcmp(t->acc[a].name, name) == 0)
			break;
	if (a == t->n_acc) {
		if (t->n_acc == t->cap_acc) {
			t->cap_acc = t->cap_acc ? 2 * t->cap_acc : 4;
			t->acc = xrealloc(t->acc, t->cap_acc * sizeof *t->acc);
			t->acc_keys = xrealloc(t->acc_keys, t->cap_acc * sizeof *t->acc_keys);
			t->acc_lists = xrealloc(t->acc_lists, t->cap_acc * sizeof *t->acc_lists);
		}
		memset(&t->acc[a], 0, sizeof t->acc[a]);
		str_copy(t->acc[a].name, name, sizeof t->acc[a].name);
		t->acc_keys[a] = NULL;
		t->acc_lists[a] = NULL;
		t->n_acc++;
	}
	char **slot = strcmp(key, "key") == 0	  ? &t->acc_keys[a]
		      : strcmp(key, "tills") == 0 ? &t->acc_lists[a]
						  : NULL;
	if (!slot || *slot) {
		t->st = kerr_set(t->err, K_INVALID, "tills",
				 _("%s: \"%.40s\" in [%s] is unknown or repeated; an "
				   "account has key = ... and tills = NAME NAME ..."),
				 t->path, key, section);
		return 0;
	}
	*slot = xstrdup(value);
	return 1;
}

static kstatus tills_link_accounts(struct tills *t, struct kerr *err)
{
	for (size_t a = 0; a < t->n_acc; a++) {
		struct account *ac = &t->acc[a];
		struct relay_route r;
		char path[RELAY_TOKEN_MAX + 8];
		snprintf(path, sizeof path, "/acct/%s", t->acc_keys[a] ? t->acc_keys[a] : "");
		relay_proto_route(path, &r);
		if (!t->acc_keys[a] || strlen(t->acc_keys[a]) < RELAY_TOKEN_MIN ||
		    r.kind != RELAY_ROUTE_ACCOUNT || r.suffix[0])
			return kerr_set(err, K_INVALID, "tills",
					_("%s: account %s needs key = %d to %d of A-Z a-z 0-9 _ -"),
					t->path, ac->name, RELAY_TOKEN_MIN, RELAY_TOKEN_MAX);
		char *list = t->acc_lists[a] ? t->acc_lists[a] : (char *)"";
		char *save = NULL;
		for (char *w = strtok_r(list, " ,\t", &save); w;
		     w = strtok_r(NULL, " ,\t", &save)) {
			struct till *tl = tills_by_name(t, w);
			if (!tl)
				return kerr_set(err, K_INVALID, "tills",
						_("%s: account %s lists till \"%.64s\", which has "
						  "no [till.%.64s] section"),
						t->path, ac->name, w, w);
			ac->tills = xrealloc(ac->tills, (ac->n + 1) * sizeof *ac->tills);
			ac->tills[ac->n++] = tl;
		}
		if (ac->n == 0)
			return kerr_set(
			    err, K_INVALID, "tills",
			    _("%s: account %s lists no tills; add tills = NAME NAME ..."), t->path,
			    ac->name);
	}
	return K_OK;
}

static void tills_forget_secrets(struct tills *t)
{
	for (size_t i = 0; t->tokens && i < t->n; i++) {
		explicit_bzero(t->tokens[i], strlen(t->tokens[i]));
		free(t->tokens[i]);
	}
	free(t->tokens);
	t->tokens = NULL;
	for (size_t a = 0; a < t->n_acc; a++) {
		if (t->acc_keys && t->acc_keys[a]) {
			explicit_bzero(t->acc_keys[a], strlen(t->acc_keys[a]));
			free(t->acc_keys[a]);
		}
		if (t->acc_lists)
			free(t->acc_lists[a]);
	}
	free(t->acc_keys);
	free(t->acc_lists);
	t->acc_keys = t->acc_lists = NULL;
}

static kstatus tills_check_mode(const char *path, struct kerr *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return kerr_set(
		    err, K_IO, "tills",
		    _("cannot read tills file %s: %s; create it with `kassa-relay add-till "
		      "NAME --tills %s`"),
		    path, strerror(errno), path);
	if (!S_ISREG(sb.st_mode))
		return kerr_set(err, K_INVALID, "tills", _("tills file %s is not a regular file"),
				path);
	if (sb.st_mode & 077)
		return kerr_set(err, K_REFUSED, "tills",
				_("tills file %s holds secrets but others may read it (mode %03o); "
				  "run `chmod 600 %s`"),
				path, (unsigned)(sb.st_mode & 0777), path);
	return K_OK;
}

kstatus tills_load(const char *path, struct tills **out, struct kerr *err)
{
	*out = NULL;
	if (!path || !*path)
		return kerr_set(err, K_INVALID, "--tills",
				_("no tills file given; use --tills FILE"));
	kstatus st = tills_check_mode(path, err);
	if (st != K_OK)
		return st;
	struct tills *t = xcalloc(1, sizeof *t);
	t->path = path;
	t->err = err;
	int rc = ini_parse(path, on_ini, t);
	if (t->st == K_OK && rc != 0)
		t->st = rc < 0 ? kerr_set(err, K_IO, "tills", _("cannot read tills file %s"), path)
			       : kerr_set(err, K_INVALID, "tills",
					  _("%s line %d: not INI (expected [till.NAME] or "
					    "key = value)"),
					  path, rc);
	if (t->st == K_OK)
		t->st = tills_link_accounts(t, err);
	if (t->st == K_OK) {
		t->table_n = 16;
		while (t->table_n < 2 * (2 * t->n + t->n_acc))
			t->table_n *= 2;
		t->table = xcalloc(t->table_n, sizeof *t->table);
		for (size_t i = 0; i < t->n && t->st == K_OK; i++) {
			char key[RELAY_KEY_LEN + 1];
			relay_proto_callback_key(t->tokens[i], key);
			if (!table_put(t, t->tokens[i], E_TOKEN, i) || !table_put(t, key, E_KEY, i))
				t->st =
				    kerr_set(err, K_INVALID, "tills",
					     _("%s: till %s uses the same token as another till; "
					       "give each till its own (`kassa-relay add-till`)"),
					     path, t->v[i].name);
		}
		for (size_t a = 0; a < t->n_acc && t->st == K_OK; a++)
			if (!table_put(t, t->acc_keys[a], E_ACCOUNT, a))
				t->st = kerr_set(err, K_INVALID, "tills",
						 _("%s: account %s uses a key already in use; give "
						   "it its own"),
						 path, t->acc[a].name);
	}
	tills_forget_secrets(t);
	t->err = NULL;
	t->path = NULL;
	if (t->st == K_OK) {
		t->by_name_n = 16;
		while (t->by_name_n < 2 * t->n)
			t->by_name_n *= 2;
		t->by_name = xcalloc(t->by_name_n, sizeof *t->by_name);
		for (size_t i = 0; i < t->n; i++) {
			size_t j = name_hash(t->v[i].name) & (t->by_name_n - 1);
			while (t->by_name[j])
				j = (j + 1) & (t->by_name_n - 1);
			t->by_name[j] = i + 1;
		}
	}
	if (t->st != K_OK) {
		st = t->st;
		tills_free(t);
		return st;
	}
	*out = t;
	return K_OK;
}

void tills_free(struct tills *t)
{
	if (!t)
		return;
	tills_forget_secrets(t);
	for (size_t a = 0; a < t->n_acc; a++)
		free(t->acc[a].tills);
	free(t->acc);
	free(t->v);
	free(t->by_name);
	if (t->table)
		explicit_bzero(t->table, t->table_n * sizeof *t->table);
	free(t->table);
	free(t);
}

size_t tills_count(const struct tills *t)
{
	return t ? t->n : 0;
}

struct till *tills_at(struct tills *t, size_t i)
{
	return i < t->n ? &t->v[i] : NULL;
}

struct till *tills_by_token(struct tills *t, const char *tok, size_t len)
{
	const struct entry *e = table_get(t, tok, len);
	return e && e->kind == E_TOKEN ? &t->v[e->index] : NULL;
}

struct till *tills_by_key(struct tills *t, const char *key)
{
	const struct entry *e = table_get(t, key, strlen(key));
	return e && e->kind == E_KEY ? &t->v[e->index] : NULL;
}

struct account *tills_account_by_key(struct tills *t, const char *key)
{
	const struct entry *e = table_get(t, key, strlen(key));
	return e && e->kind == E_ACCOUNT ? &t->acc[e->index] : NULL;
}

kstatus tills_add(const char *path, const char *name, char *token_out, size_t n, struct kerr *err)
{
	if (!relay_proto_name_valid(name))
		return kerr_set(
		    err, K_INVALID, "NAME",
		    _("till name \"%.64s\" must be 1 to %d of letters, digits, '_', '-', "
		      "'.'"),
		    name, RELAY_NAME_MAX);
	if (n < 65)
		return kerr_set(err, K_INVALID, "token", _("no room for the token"));
	if (access(path, F_OK) == 0) {
		struct tills *t = NULL;
		kstatus st = tills_load(path, &t, err);
		if (st != K_OK)
			return st;
		bool taken = tills_by_name(t, name) != NULL;
		tills_free(t);
		if (taken)
			return kerr_set(err, K_EXISTS, "NAME",
					_("till %s is already in %s; pick another name, or delete "
					  "its section to replace its token"),
					name, path);
	}
	unsigned char raw[32];
	if (RAND_bytes(raw, sizeof raw) != 1)
		return kerr_set(err, K_IO, "token", _("cannot get random bytes for a token"));
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof raw; i++) {
		token_out[2 * i] = hex[raw[i] >> 4];
		token_out[2 * i + 1] = hex[raw[i] & 15];
	}
	token_out[64] = '\0';
	explicit_bzero(raw, sizeof raw);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_set(err, K_IO, "tills", _("cannot write tills file %s: %s"), path,
				strerror(errno));
	char text[RELAY_NAME_MAX + 128];
	int len = snprintf(text, sizeof text, "\n[till.%s]\ntoken = %s\n", name, token_out);
	ssize_t w = write(fd, text, (size_t)len);
	explicit_bzero(text, sizeof text);
	bool ok = w == len && fsync(fd) == 0;
	int e = errno;
	close(fd);
	if (!ok) {
		explicit_bzero(token_out, n);
		return kerr_set(err, K_IO, "tills", _("cannot write tills file %s: %s"), path,
				strerror(e));
	}
	return K_OK;
}
