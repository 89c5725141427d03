/* Sandbox accounts: an INI file (libinih) or the built-in defaults. */
#include "sandbox/internal.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const tax_systems[] = {"osn", "usn6", "usn15", "eshn", "patent"};

static struct sb_lifepay_acc *lp_add(struct sb_accounts *a, const char *login)
{
	a->lp = xrealloc(a->lp, (a->n_lp + 1) * sizeof *a->lp);
	struct sb_lifepay_acc *acc = &a->lp[a->n_lp++];
	memset(acc, 0, sizeof *acc);
	str_copy(acc->login, login, sizeof acc->login);
	acc->cloud = true;
	str_copy(acc->tax_system, "osn", sizeof acc->tax_system);
	return acc;
}

static void lp_add_printer(struct sb_lifepay_acc *acc, const char *serial, bool active)
{
	acc->printers = xrealloc(acc->printers, (acc->n_printers + 1) * sizeof *acc->printers);
	struct sb_printer_acc *p = &acc->printers[acc->n_printers++];
	str_copy(p->serial, serial, sizeof p->serial);
	p->active = active;
}

static struct sb_paykeeper_acc *pk_add(struct sb_accounts *a, const char *user)
{
	a->pk = xrealloc(a->pk, (a->n_pk + 1) * sizeof *a->pk);
	struct sb_paykeeper_acc *acc = &a->pk[a->n_pk++];
	memset(acc, 0, sizeof *acc);
	str_copy(acc->user, user, sizeof acc->user);
	return acc;
}

void sandbox_accounts_defaults(struct sb_accounts *a)
{
	memset(a, 0, sizeof *a);
	struct sb_lifepay_acc *lp = lp_add(a, "70000000000");
	str_copy(lp->apikey, "sandbox-apikey", sizeof lp->apikey);
	lp_add_printer(lp, "SANDBOX-0001", true);
	lp_add_printer(lp, "SANDBOX-0002", true);
	struct sb_paykeeper_acc *pk = pk_add(a, "sandbox");
	str_copy(pk->password, "sandbox", sizeof pk->password);
	str_copy(pk->secret, "sandbox-secret", sizeof pk->secret);
}

void sandbox_accounts_free(struct sb_accounts *a)
{
	for (size_t i = 0; i < a->n_lp; i++)
		free(a->lp[i].printers);
	free(a->lp);
	free(a->pk);
	memset(a, 0, sizeof *a);
}

struct sb_lifepay_acc *sandbox_accounts_lifepay(const struct sb_accounts *a, const char *login)
{
	for (size_t i = 0; i < a->n_lp; i++)
		if (strcmp(a->lp[i].login, login) == 0)
			return &a->lp[i];
	return NULL;
}

const struct sb_printer_acc *sandbox_accounts_printer(const struct sb_lifepay_acc *acc,
						      const char *serial)
{
	for (size_t i = 0; i < acc->n_printers; i++)
		if (strcmp(acc->printers[i].serial, serial) == 0)
			return &acc->printers[i];
	return NULL;
}

struct sb_paykeeper_acc *sandbox_accounts_paykeeper(const struct sb_accounts *a, const char *user)
{
	for (size_t i = 0; i < a->n_pk; i++)
		if (strcmp(a->pk[i].user, user) == 0)
			return &a->pk[i];
	return NULL;
}

/* Parser state for the inih callback; the first error wins. */
struct parse_ctx {
	struct sb_accounts *a;
	char msg[256];
	char section[128];
	enum { SEC_NONE, SEC_LIFEPAY, SEC_PAYKEEPER } kind;
	char seen[8][16]; /* single-valued keys met in this section */
	size_t n_seen;
};

/* A key that may appear once per section; a second time is refused. */
static int once(struct parse_ctx *c, const char *key)
{
	for (size_t i = 0; i < c->n_seen; i++) {
		if (strcmp(c->seen[i], key) == 0) {
			snprintf(c->msg, sizeof c->msg, "[%s] %s is given twice", c->section, key);
			return 0;
		}
	}
	if (c->n_seen < 8)
		str_copy(c->seen[c->n_seen++], key, sizeof c->seen[0]);
	return 1;
}

static bool login_valid(const char *s)
{
	if (strlen(s) != 11 || s[0] != '7')
		return false;
	for (size_t i = 0; i < 11; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Starts a new section: "lifepay 7XXXXXXXXXX" / "lifepay:..." or "paykeeper USER". */
static int section_begin(struct parse_ctx *c, const char *section)
{
	str_copy(c->section, section, sizeof c->section);
	c->n_seen = 0;
	const char *name = NULL;
	if (strncmp(section, "lifepay", 7) == 0 && (section[7] == ' ' || section[7] == ':')) {
		c->kind = SEC_LIFEPAY;
		name = section + 8;
	} else if (strncmp(section, "paykeeper", 9) == 0 &&
		   (section[9] == ' ' || section[9] == ':')) {
		c->kind = SEC_PAYKEEPER;
		name = section + 10;
	} else {
		snprintf(c->msg, sizeof c->msg,
			 "unknown section [%s]; use [lifepay LOGIN] or [paykeeper USER]", section);
		return 0;
	}
	while (*name == ' ')
		name++;
	if (c->kind == SEC_LIFEPAY) {
		if (!login_valid(name)) {
			snprintf(c->msg, sizeof c->msg,
				 "section [%s]: the login must be 7 followed by 10 digits",
				 section);
			return 0;
		}
		if (sandbox_accounts_lifepay(c->a, name)) {
			snprintf(c->msg, sizeof c->msg, "login %s is defined twice", name);
			return 0;
		}
		lp_add(c->a, name);
	} else {
		size_t len = strlen(name);
		if (len == 0 || len >= sizeof c->a->pk[0].user || strchr(name, ':')) {
			snprintf(c->msg, sizeof c->msg,
				 "section [%s]: the user must be 1..63 characters without ':'",
				 section);
			return 0;
		}
		if (sandbox_accounts_paykeeper(c->a, name)) {
			snprintf(c->msg, sizeof c->msg, "PayKeeper user %s is defined twice", name);
			return 0;
		}
		pk_add(c->a, name);
	}
	return 1;
}

static int lifepay_key(struct parse_ctx *c, struct sb_lifepay_acc *acc, const char *key,
		       const char *value)
{
	if (strcmp(key, "apikey") == 0) {
		if (!value[0] || strlen(value) >= sizeof acc->apikey) {
			snprintf(c->msg, sizeof c->msg, "[%s] apikey must be 1..255 characters",
				 c->section);
			return 0;
		}
		str_copy(acc->apikey, value, sizeof acc->apikey);
	} else if (strcmp(key, "cloud") == 0) {
		if (!parse_bool(value, &acc->cloud)) {
			snprintf(c->msg, sizeof c->msg, "[%s] cloud must be yes or no", c->section);
			return 0;
		}
	} else if (strcmp(key, "tax_system") == 0) {
		bool ok = false;
		for (size_t i = 0; i < sizeof tax_systems / sizeof tax_systems[0]; i++)
			ok = ok || strcmp(value, tax_systems[i]) == 0;
		if (!ok) {
			snprintf(c->msg, sizeof c->msg,
				 "[%s] tax_system must be osn, usn6, usn15, eshn or patent",
				 c->section);
			return 0;
		}
		str_copy(acc->tax_system, value, sizeof acc->tax_system);
	} else if (strcmp(key, "printer") == 0) {
		char buf[128];
		if (!str_copy(buf, value, sizeof buf))
			buf[0] = '\0';
		char *save = NULL;
		char *serial = strtok_r(buf, " \t", &save);
		char *state = strtok_r(NULL, " \t", &save);
		bool active = true;
		if (!serial || strlen(serial) >= sizeof acc->printers[0].serial ||
		    strtok_r(NULL, " \t", &save)) {
			snprintf(c->msg, sizeof c->msg,
				 "[%s] printer must be SERIAL [active|inactive], serial up to 63 "
				 "characters",
				 c->section);
			return 0;
		}
		if (state && strcmp(state, "inactive") == 0)
			active = false;
		else if (state && strcmp(state, "active") != 0) {
			snprintf(c->msg, sizeof c->msg,
				 "[%s] printer %s: state must be active or "
				 "inactive",
				 c->section, serial);
			return 0;
		}
		if (sandbox_accounts_printer(acc, serial)) {
			snprintf(c->msg, sizeof c->msg, "[%s] printer %s is listed twice",
				 c->section, serial);
			return 0;
		}
		lp_add_printer(acc, serial, active);
	} else {
		snprintf(c->msg, sizeof c->msg,
			 "[%s] unknown key \"%s\"; use apikey, cloud, tax_system or printer",
			 c->section, key);
		return 0;
	}
	return 1;
}

static int paykeeper_key(struct parse_ctx *c, struct sb_paykeeper_acc *acc, const char *key,
			 const char *value)
{
	char *dst;
	size_t n;
	if (strcmp(key, "password") == 0) {
		dst = acc->password;
		n = sizeof acc->password;
	} else if (strcmp(key, "secret") == 0) {
		dst = acc->secret;
		n = sizeof acc->secret;
	} else if (strcmp(key, "callback_url") == 0) {
		dst = acc->callback_url;
		n = sizeof acc->callback_url;
	} else {
		snprintf(c->msg, sizeof c->msg,
			 "[%s] unknown key \"%s\"; use password, secret or callback_url",
			 c->section, key);
		return 0;
	}
	if (strlen(value) >= n) {
		snprintf(c->msg, sizeof c->msg, "[%s] %s is longer than %zu characters", c->section,
			 key, n - 1);
		return 0;
	}
	str_copy(dst, value, n);
	return 1;
}

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
	struct parse_ctx *c = user;
	if (c->msg[0])
		return 0;
	if (!section[0]) {
		snprintf(c->msg, sizeof c->msg, "key \"%s\" is outside any section", key);
		return 0;
	}
	if (strcmp(section, c->section) != 0 || c->kind == SEC_NONE)
		if (!section_begin(c, section))
			return 0;
	if (!key) /* inih reports an empty section with a NULL key when configured so */
		return 1;
	if (strcmp(key, "printer") != 0 && !once(c, key))
		return 0;
	if (c->kind == SEC_LIFEPAY)
		return lifepay_key(c, &c->a->lp[c->a->n_lp - 1], key, value);
	return paykeeper_key(c, &c->a->pk[c->a->n_pk - 1], key, value);
}

static kstatus accounts_finish(struct parse_ctx *c, int rc, const char *origin, struct kerr *err)
{
	if (rc < 0)
		return kerr_set(err, K_IO, "accounts", "cannot read %s: %s", origin,
				strerror(errno));
	if (rc > 0)
		return kerr_set(err, K_INVALID, "accounts", "%s line %d: %s", origin, rc,
				c->msg[0] ? c->msg : "not a valid INI line");
	struct sb_accounts *a = c->a;
	if (a->n_lp == 0 && a->n_pk == 0)
		return kerr_set(err, K_INVALID, "accounts",
				"%s defines no accounts; add a [lifepay LOGIN] or [paykeeper USER] "
				"section",
				origin);
	for (size_t i = 0; i < a->n_lp; i++)
		if (!a->lp[i].apikey[0])
			return kerr_set(err, K_INVALID, "accounts",
					"%s: [lifepay %s] has no apikey", origin, a->lp[i].login);
	for (size_t i = 0; i < a->n_pk; i++)
		if (!a->pk[i].password[0] || !a->pk[i].secret[0])
			return kerr_set(err, K_INVALID, "accounts",
					"%s: [paykeeper %s] needs both password and secret", origin,
					a->pk[i].user);
	return K_OK;
}

kstatus sandbox_accounts_parse(const char *text, struct sb_accounts *a, struct kerr *err)
{
	memset(a, 0, sizeof *a);
	struct parse_ctx c = {.a = a};
	int rc = ini_parse_string(text, on_ini, &c);
	kstatus st = accounts_finish(&c, rc, "accounts", err);
	if (st != K_OK)
		sandbox_accounts_free(a);
	return st;
}

kstatus sandbox_accounts_load(const char *path, struct sb_accounts *a, struct kerr *err)
{
	memset(a, 0, sizeof *a);
	struct parse_ctx c = {.a = a};
	errno = 0;
	int rc = ini_parse(path, on_ini, &c);
	kstatus st = accounts_finish(&c, rc, path, err);
	if (st != K_OK)
		sandbox_accounts_free(a);
	return st;
}
