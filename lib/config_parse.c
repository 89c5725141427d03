#include "config_int.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config_ini.h"
#include "i18n.h"
#include "listener_cert.h"
#include "money.h"
#include "relay_proto.h"
#include "provider.h"
#include "util.h"

/* --- parsing: [profile.NAME], [kassa] and [keys] into struct config, one key table -------- */

enum value_kind {
	V_PROVIDER,
	V_URL,
	V_SERVER,
	V_LOGIN,
	V_SECRET,
	V_TEXT,
	V_INN,
	V_TAX,
	V_BOOL,
	V_LISTEN,
	V_PUBLIC_URL,
	V_RETRY,
	V_THEME,
	V_PAPER,
	V_PATH,
	V_SECONDS,
	V_INFLIGHT,
	V_CEILING,
	V_RELAY_TOKEN,
	V_FFD,
	V_BILL_RECEIPT,
};

struct key_spec {
	const char *key;
	enum value_kind kind;
	size_t offset; /* into struct config_profile */
	size_t size;
};

#define FIELD(k, kind, member)                                                                     \
	{                                                                                          \
		k, kind, offsetof(struct config_profile, member),                                  \
		    sizeof(((struct config_profile *)0)->member)                                   \
	}
static const struct key_spec profile_keys[] = {
    FIELD("provider", V_PROVIDER, provider),
    FIELD("base_url", V_URL, base_url),
    FIELD("login", V_LOGIN, login),
    FIELD("apikey", V_SECRET, apikey),
    FIELD("server", V_SERVER, server),
    FIELD("user", V_TEXT, user),
    FIELD("password", V_SECRET, password),
    FIELD("secret", V_SECRET, secret),
    FIELD("target_serial", V_TEXT, target_serial),
    FIELD("cashier_name", V_TEXT, cashier_name),
    FIELD("cashier_inn", V_INN, cashier_inn),
    FIELD("tax_system", V_TAX, tax_system),
    FIELD("test", V_BOOL, test),
    FIELD("listen", V_LISTEN, listen_host),
    FIELD("public_url", V_PUBLIC_URL, public_url),
    FIELD("listen_cert", V_PATH, listen_cert),
    FIELD("listen_key", V_PATH, listen_key),
    FIELD("retry_schedule", V_RETRY, retry_schedule),
    FIELD("theme", V_THEME, theme),
    FIELD("paper_width", V_PAPER, paper_width),
    FIELD("catalog", V_PATH, catalog),
    FIELD("pos_terminal", V_BOOL, pos_terminal),
    FIELD("stale_after", V_SECONDS, stale_after_s),
    FIELD("max_in_flight", V_INFLIGHT, max_in_flight),
    FIELD("max_receipt", V_CEILING, max_receipt),
    FIELD("relay_url", V_URL, relay_url),
    FIELD("relay_token", V_RELAY_TOKEN, relay_token),
    FIELD("relay_ca", V_PATH, relay_ca),
    FIELD("ffd", V_FFD, ffd12),
    FIELD("bill_url", V_URL, bill_url),
    FIELD("bill_receipt", V_BILL_RECEIPT, bill_provider_receipt),
};
#undef FIELD
#define PROFILE_KEY_COUNT (sizeof profile_keys / sizeof profile_keys[0])
static const char *const kassa_keys[] = {"default_profile"};

#define TAX_WIRE(name, wire, label) wire,
static const char *const tax_words[] = {TAX_INFO(TAX_WIRE)};
#undef TAX_WIRE

struct profile_state {
	uint32_t seen; /* bit per profile_keys entry */
};

struct parse_ctx {
	struct config *cfg;
	struct profile_state *pstate;
	size_t cap;    /* allocated profiles and pstate */
	size_t *slots; /* hash of profile names: index + 1, 0 = free */
	size_t nslots; /* a power of two, at least twice nprofiles */
	long cur;      /* the profile of the current [profile.NAME] section, -1 = none */
	int line;      /* the line being parsed */
	kstatus st;    /* first error */
	struct kerr *err;
	int nerrors;
	bool kassa_seen_default;
	int default_line;
	char warned_section[128];
};

static void add_warning(struct config *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_warning(struct config *cfg, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cfg->warnings = xrealloc(cfg->warnings, (cfg->nwarnings + 1) * sizeof *cfg->warnings);
	cfg->warnings[cfg->nwarnings++] = xstrdup(buf);
}

/*
 * Records a problem with a value: "FILE:LINE: [SECTION] KEY = VALUE: what is
 * wrong". Secret values are never repeated.
 */
static void bad_value(struct parse_ctx *c, int line, const char *section, const char *key,
		      const char *value, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void bad_value(struct parse_ctx *c, int line, const char *section, const char *key,
		      const char *value, const char *fmt, ...)
{
	c->nerrors++;
	if (c->st != K_OK)
		return;
	c->st = K_INVALID;
	if (!c->err)
		return;
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	char shown[80];
	if (!value || config_key_is_secret(key))
		shown[0] = '\0';
	else if (utf8_chars(value) > 40 || !utf8_valid(value, strlen(value)))
		snprintf(shown, sizeof shown, " = %.37s...", value);
	else
		snprintf(shown, sizeof shown, " = %s", value);
	char field[64];
	snprintf(field, sizeof field, "%s.%s", section, key ? key : "");
	if (key)
		kerr_set(c->err, K_INVALID, field, "%s:%d: [%s] %s%s: %s", c->cfg->path, line,
			 section, key, shown, why);
	else
		kerr_set(c->err, K_INVALID, section, "%s:%d: [%s]: %s", c->cfg->path, line, section,
			 why);
}

const char *config_tax_word(int t)
{
	return t >= 0 && t < TAX_COUNT ? tax_words[t] : "";
}

/* Edit distance, for "did you mean". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t row[41];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

static void unknown_key(struct parse_ctx *c, const char *section, const char *name,
			const char *const *known, size_t nknown)
{
	const char *best = NULL;
	size_t best_d = 3;
	for (size_t i = 0; i < nknown; i++) {
		size_t d = distance(name, known[i]);
		if (d < best_d) {
			best_d = d;
			best = known[i];
		}
	}
	if (best)
		add_warning(c->cfg,
			    _("%s:%d: [%s] unknown key \"%s\" ignored; did you mean \"%s\"?"),
			    c->cfg->path, c->line, section, name, best);
	else
		add_warning(c->cfg, _("%s:%d: [%s] unknown key \"%s\" ignored"), c->cfg->path,
			    c->line, section, name);
}

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ull & SIZE_MAX; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * (1099511628211ull & SIZE_MAX);
	return h;
}

/* The slot holding name, or the free slot where it goes. */
static size_t *name_slot(struct parse_ctx *c, const char *name)
{
	size_t mask = c->nslots - 1;
	for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask)
		if (!c->slots[i] || strcmp(c->cfg->profiles[c->slots[i] - 1].name, name) == 0)
			return &c->slots[i];
}

/*
 * The profile named so, made when new. A hash and doubling arrays: a config
 * with 40,000 profiles loads in well under a second (issue 11: 12.2 s).
 */
static struct config_profile *profile_get(struct parse_ctx *c, const char *name, int line)
{
	struct config *cfg = c->cfg;
	if (c->nslots) {
		size_t *slot = name_slot(c, name);
		if (*slot) {
			c->cur = (long)(*slot - 1);
			return &cfg->profiles[*slot - 1];
		}
	}
	if (cfg->nprofiles == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		cfg->profiles = xrealloc(cfg->profiles, c->cap * sizeof *cfg->profiles);
		c->pstate = xrealloc(c->pstate, c->cap * sizeof *c->pstate);
	}
	if ((cfg->nprofiles + 1) * 2 > c->nslots) {
		free(c->slots);
		c->nslots = c->nslots ? c->nslots * 2 : 16;
		c->slots = xcalloc(c->nslots, sizeof *c->slots);
		for (size_t i = 0; i < cfg->nprofiles; i++)
			*name_slot(c, cfg->profiles[i].name) = i + 1;
	}
	struct config_profile *p = &cfg->profiles[cfg->nprofiles];
	config_profile_defaults(p, name);
	p->line = line;
	memset(&c->pstate[cfg->nprofiles], 0, sizeof *c->pstate);
	cfg->nprofiles++;
	*name_slot(c, name) = cfg->nprofiles;
	c->cur = (long)cfg->nprofiles - 1;
	return p;
}

static void profile_value(struct parse_ctx *c, struct config_profile *p, struct profile_state *ps,
			  const char *section, const char *name, const char *v)
{
	size_t k;
	for (k = 0; k < PROFILE_KEY_COUNT; k++)
		if (strcmp(profile_keys[k].key, name) == 0)
			break;
	if (k == PROFILE_KEY_COUNT) {
		const char *known[PROFILE_KEY_COUNT];
		for (size_t i = 0; i < PROFILE_KEY_COUNT; i++)
			known[i] = profile_keys[i].key;
		unknown_key(c, section, name, known, PROFILE_KEY_COUNT);
		return;
	}
	if (ps->seen & (1u << k))
		add_warning(c->cfg, _("%s:%d: [%s] %s is set twice; this later value wins"),
			    c->cfg->path, c->line, section, name);
	ps->seen |= 1u << k;
	const struct key_spec *ks = &profile_keys[k];
	char *dst = (char *)p + ks->offset;
	const char *userinfo_msg =
	    _("'@' before the host is refused: the part before it would be a user name and the "
	      "request would go to the host after it; write the address without user@");
	int line = c->line;
	int64_t num;
	/* An empty optional value means "not set" (as config_dump() writes it). */
	if (!*v && (ks->kind == V_URL || ks->kind == V_SERVER || ks->kind == V_PUBLIC_URL ||
		    ks->kind == V_PATH || ks->kind == V_TEXT || ks->kind == V_INN ||
		    ks->kind == V_SECRET || ks->kind == V_RELAY_TOKEN)) {
		dst[0] = '\0';
		return;
	}
	switch (ks->kind) {
	case V_PROVIDER:
		if (!provider_parse(v, &p->provider))
			bad_value(c, line, section, name, v, _("allowed: lifepay or paykeeper"));
		break;
	case V_URL:
		if (config_value_has_userinfo(v))
			bad_value(c, line, section, name, v, "%s", userinfo_msg);
		else if (strncmp(v, "https://", 8) != 0 && !config_value_loopback_http(v))
			bad_value(c, line, section, name, v,
				  _("allowed: an https:// address (http:// only for 127.0.0.1 "
				    "or localhost)"));
		else if (config_value_has_space(v) || strlen(v) <= 8 ||
			 !config_value_url_store(dst, ks->size, v))
			bad_value(c, line, section, name, v,
				  _("allowed: an https:// address without spaces, up to %zu "
				    "characters"),
				  ks->size - 1);
		break;
	case V_SERVER:
		if (config_value_has_userinfo(v))
			bad_value(c, line, section, name, v, "%s", userinfo_msg);
		else if (!*v || config_value_has_space(v) ||
			 (strstr(v, "://") && strncmp(v, "https://", 8) != 0 &&
			  !config_value_loopback_http(v)) ||
			 !config_value_url_store(dst, ks->size, v))
			bad_value(
			    c, line, section, name, v,
			    _("allowed: your PayKeeper server, e.g. "
			      "name.server.paykeeper.ru or https://name.server.paykeeper.ru"));
		break;
	case V_LOGIN:
		if (strlen(v) != 11 || v[0] != '7' || strspn(v, "0123456789") != 11)
			bad_value(c, line, section, name, v,
				  _("allowed: 7 followed by 10 digits, as in the LifePay cabinet"));
		else
			str_copy(dst, v, ks->size);
		break;
	case V_SECRET:
		if (strlen(v) >= ks->size || config_value_has_space(v))
			bad_value(c, line, section, name, NULL,
				  _("allowed: up to %zu characters without spaces (value not "
				    "shown)"),
				  ks->size - 1);
		else
			str_copy(dst, v, ks->size);
		break;
	case V_RELAY_TOKEN:
		if (!relay_proto_token_valid(v))
			bad_value(c, line, section, name, NULL,
				  _("allowed: the till's token printed by `kassa-relay add-till`, "
				    "%d-%d characters without spaces (value not shown)"),
				  RELAY_TOKEN_MIN, RELAY_TOKEN_MAX);
		else
			str_copy(dst, v, ks->size);
		break;
	case V_TEXT:
		if (!utf8_valid(v, strlen(v)) || !str_copy(dst, v, ks->size))
			bad_value(c, line, section, name, v,
				  _("allowed: UTF-8 text up to %zu bytes"), ks->size - 1);
		break;
	case V_INN:
		/* The cashier is a person: a 12-digit INN with valid check digits. */
		if (*v && !(strlen(v) == 12 && document_inn_valid(v)))
			bad_value(c, line, section, name, v,
				  _("allowed: a person's INN, 12 digits with valid check digits"));
		else
			str_copy(dst, v, ks->size);
		break;
	case V_TAX: {
		size_t t;
		for (t = 0; t < TAX_COUNT; t++)
			if (strcmp(tax_words[t], v) == 0 ||
			    (t == TAX_DEFAULT && strcmp(v, "default") == 0))
				break;
		if (t == TAX_COUNT)
			bad_value(c, line, section, name, v,
				  _("allowed: osn, usn6, usn15, eshn, patent, or empty for the "
				    "cabinet's default"));
		else
			p->tax_system = (enum tax_system)t;
		break;
	}
	case V_BILL_RECEIPT:
		if (strcmp(v, "kassa") == 0 || strcmp(v, "provider") == 0)
			p->bill_provider_receipt = strcmp(v, "provider") == 0;
		else
			bad_value(c, line, section, name, v,
				  _("allowed: kassa (kassa sends the receipt of a paid bill) or "
				    "provider (LIFE PAY prints it from invoice_data)"));
		break;
	case V_FFD:
		if (strcmp(v, "1.2") == 0 || strcmp(v, "1.05") == 0)
			p->ffd12 = strcmp(v, "1.2") == 0;
		else
			bad_value(c, line, section, name, v, _("allowed: 1.05 or 1.2"));
		break;
	case V_BOOL:
		if (!config_value_bool(v, (bool *)(void *)dst))
			bad_value(c, line, section, name, v, _("allowed: 0, 1, true or false"));
		break;
	case V_LISTEN:
		if (!config_value_listen(v, p->listen_host, sizeof p->listen_host, &p->listen_port))
			bad_value(c, line, section, name, v,
				  _("allowed: HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:0 (port "
				    "0-65535, 0 = any free port)"));
		break;
	case V_PUBLIC_URL:
		if (config_value_has_userinfo(v))
			bad_value(c, line, section, name, v, "%s", userinfo_msg);
		else if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) ||
			 config_value_has_space(v) || !config_value_url_store(dst, ks->size, v))
			bad_value(c, line, section, name, v,
				  _("allowed: the http(s):// address the provider can reach, "
				    "up to %zu characters"),
				  ks->size - 1);
		break;
	case V_RETRY: {
		int64_t tmp[CONFIG_RETRY_MAX];
		size_t n;
		if (!config_value_retry(v, tmp, &n)) {
			bad_value(c, line, section, name, v,
				  _("allowed: 1 to %d comma-separated numbers of seconds "
				    "(1-86400), the last repeating, e.g. 60,180,300,600"),
				  CONFIG_RETRY_MAX);
		} else {
			memcpy(p->retry_schedule, tmp, n * sizeof tmp[0]);
			p->retry_count = n;
		}
		break;
	}
	case V_THEME:
		if (!config_value_name(v, ks->size))
			bad_value(c, line, section, name, v,
				  _("allowed: a theme name of letters, digits, '.', '_' and '-'"));
		else
			str_copy(dst, v, ks->size);
		break;
	case V_PAPER:
		if (!config_value_int(v, 0, 1000, &num) || (num != 32 && num != 42 && num != 48))
			bad_value(c, line, section, name, v, _("allowed: 32, 42 or 48"));
		else
			p->paper_width = (int)num;
		break;
	case V_PATH: {
		int len = 0;
		const char *home = config_home_dir();
		if (strncmp(v, "~/", 2) == 0 && home)
			len = snprintf(dst, ks->size, "%s/%s", home, v + 2);
		else
			len = snprintf(dst, ks->size, "%s", v);
		if (len < 0 || (size_t)len >= ks->size || !*v)
			bad_value(c, line, section, name, v,
				  _("allowed: a file path up to %zu bytes"), ks->size - 1);
		break;
	}
	case V_SECONDS:
		if (!config_value_int(v, 1, 7 * 86400, &num))
			bad_value(c, line, section, name, v,
				  _("allowed: a number of seconds from 1 to 604800"));
		else
			p->stale_after_s = num;
		break;
	case V_INFLIGHT:
		if (!config_value_int(v, 1, 64, &num))
			bad_value(c, line, section, name, v, _("allowed: a number from 1 to 64"));
		else
			p->max_in_flight = (int)num;
		break;
	case V_CEILING: {
		int64_t m = 0;
		if (money_parse(v, &m, name, NULL) != K_OK || m <= 0)
			bad_value(
			    c, line, section, name, v,
			    _("allowed: an amount in roubles above zero, such as 1000000.00"));
		else
			p->max_receipt = m;
		break;
	}
	}
}

static void on_ini_value(struct parse_ctx *c, const char *section, const char *name,
			 const char *value)
{
	struct config *cfg = c->cfg;
	char v[CONFIG_INI_LINE_MAX + 1];
	str_copy(v, value ? value : "", sizeof v);
	str_trim(v);
	if (strncmp(section, "profile.", 8) == 0) {
		const char *pname = section + 8;
		if (!config_value_name(pname, CONFIG_NAME_MAX) || strcmp(pname, "training") == 0)
			return; /* reported once, when the header was read */
		struct config_profile *p =
		    c->cur >= 0 && strcmp(cfg->profiles[c->cur].name, pname) == 0
			? &cfg->profiles[c->cur]
			: profile_get(c, pname, c->line);
		profile_value(c, p, &c->pstate[p - cfg->profiles], section, name, v);
		explicit_bzero(v, sizeof v); /* the only copy of a secret besides the profile */
	} else if (strcmp(section, "kassa") == 0) {
		if (strcmp(name, "default_profile") == 0) {
			if (c->kassa_seen_default)
				add_warning(cfg,
					    _("%s:%d: [kassa] %s is set twice; this later "
					      "value wins"),
					    cfg->path, c->line, name);
			c->kassa_seen_default = true;
			c->default_line = c->line;
			if (!v[0])
				bad_value(c, c->line, section, name, NULL, "%s",
					  _("is empty: write the NAME of a [profile.NAME] section, "
					    "or remove the line"));
			else if (!config_value_name(v, sizeof cfg->default_profile))
				bad_value(c, c->line, section, name, v,
					  _("allowed: the NAME of a [profile.NAME] section"));
			else
				str_copy(cfg->default_profile, v, sizeof cfg->default_profile);
		} else {
			unknown_key(c, section, name, kassa_keys, 1);
		}
	} else if (strcmp(section, "keys") == 0) {
		if (!*v || strlen(v) >= sizeof cfg->keys[0].action ||
		    strlen(name) >= sizeof cfg->keys[0].key) {
			bad_value(c, c->line, section, name, v,
				  _("allowed: KEY = ACTION, e.g. F5 = pay (up to 63 characters "
				    "each)"));
			return;
		}
		for (size_t i = 0; i < cfg->nkeys; i++)
			if (strcmp(cfg->keys[i].key, name) == 0)
				add_warning(cfg,
					    _("%s:%d: [keys] %s is bound twice (also line %d); "
					      "this later binding wins"),
					    cfg->path, c->line, name, cfg->keys[i].line);
		cfg->keys = xrealloc(cfg->keys, (cfg->nkeys + 1) * sizeof *cfg->keys);
		struct config_binding *b = &cfg->keys[cfg->nkeys++];
		str_copy(b->key, name, sizeof b->key);
		str_copy(b->action, v, sizeof b->action);
		b->line = c->line;
	} else if (strcmp(c->warned_section, section) != 0) {
		/* also reached for keys before any section (section "") */
		if (*section)
			add_warning(cfg,
				    _("%s:%d: unknown section [%s] ignored (known: [kassa], "
				      "[keys], [profile.NAME])"),
				    cfg->path, c->line, section);
		else
			add_warning(cfg,
				    _("%s:%d: \"%s\" is outside any section and ignored; "
				      "put it under [profile.NAME]"),
				    cfg->path, c->line, name);
		str_copy(c->warned_section, section, sizeof c->warned_section);
	}
}

/* A [section] header: a profile's name is checked, and its line kept, here. */
static void on_ini_section(struct parse_ctx *c, const char *section)
{
	c->cur = -1;
	if (strncmp(section, "profile.", 8) != 0)
		return;
	char name[128], shown[160];
	str_copy(name, section + 8, sizeof name);
	snprintf(shown, sizeof shown, "profile.%s", name);
	if (strcmp(name, "training") == 0)
		bad_value(c, c->line, shown, NULL, NULL,
			  _("the name \"training\" is reserved for training mode; choose another"));
	else if (!name[0])
		bad_value(c, c->line, shown, NULL, NULL, "%s",
			  _("the profile name is empty: write [profile.NAME], such as "
			    "[profile.shop]"));
	else if (!config_value_name(name, CONFIG_NAME_MAX))
		bad_value(c, c->line, shown, NULL, NULL,
			  _("a profile name is 1-63 letters, digits, '.', '_' or '-'"));
	else
		profile_get(c, name, c->line);
}

static int on_ini_entry(void *user, int line, const char *section, const char *name,
			const char *value)
{
	struct parse_ctx *c = user;
	c->line = line;
	if (!name)
		on_ini_section(c, section);
	else
		on_ini_value(c, section, name, value);
	return 1;
}

static void post_check(struct parse_ctx *c)
{
	struct config *cfg = c->cfg;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		struct config_profile *p = &cfg->profiles[i];
		char section[CONFIG_NAME_MAX + 16];
		snprintf(section, sizeof section, "profile.%s", p->name);
		if (provider_can(p->provider, PROVIDER_CAP_KEY_IN_BODY)) {
			if (!*p->login)
				bad_value(c, p->line, section, "login", NULL,
					  _("missing: LifePay needs the cabinet login (7 and 10 "
					    "digits); for PayKeeper set provider = paykeeper"));
			if (!*p->apikey)
				bad_value(c, p->line, section, "apikey", NULL,
					  _("missing: LifePay needs the apikey from the cabinet"));
			if (!*p->base_url)
				str_copy(p->base_url, CONFIG_LIFEPAY_URL, sizeof p->base_url);
		} else {
			if (!*p->base_url && *p->server) {
				if (strstr(p->server, "://"))
					str_copy(p->base_url, p->server, sizeof p->base_url);
				else if (snprintf(p->base_url, sizeof p->base_url, "https://%s",
						  p->server) >= (int)sizeof p->base_url)
					bad_value(c, p->line, section, "server", p->server,
						  _("too long for an address"));
			}
			if (!*p->base_url)
				bad_value(c, p->line, section, "server", NULL,
					  _("missing: PayKeeper needs your server, e.g. "
					    "name.server.paykeeper.ru (there is no default)"));
			if (!*p->user)
				bad_value(c, p->line, section, "user", NULL,
					  _("missing: PayKeeper needs the user name"));
			if (!*p->password)
				bad_value(c, p->line, section, "password", NULL,
					  _("missing: PayKeeper needs the user's password"));
			if (!*p->secret)
				add_warning(cfg,
					    _("%s:%d: [%s] no secret: PayKeeper callbacks "
					      "cannot be verified and are refused; receipts are "
					      "polled instead"),
					    cfg->path, p->line, section);
		}
		if (!*p->relay_url != !*p->relay_token)
			bad_value(c, p->line, section, *p->relay_url ? "relay_token" : "relay_url",
				  NULL,
				  _("relay_url and relay_token go together: set both (from "
				    "`kassa-relay add-till`) or neither"));
		if (!*p->listen_cert != !*p->listen_key)
			bad_value(c, p->line, section,
				  *p->listen_cert ? "listen_key" : "listen_cert", NULL,
				  _("listen_cert and listen_key go together: set both (the "
				    "listener speaks HTTPS) or neither (plain HTTP)"));
		if (strncmp(p->public_url, "https://", 8) == 0 && !*p->listen_cert &&
		    !config_value_loopback_host(p->listen_host))
			add_warning(cfg,
				    _("%s:%d: [%s] public_url is https but the listener on "
				      "%s speaks plain HTTP: set listen_cert and listen_key, "
				      "or make sure a proxy (nginx, caddy) terminates HTTPS "
				      "in front of it"),
				    cfg->path, p->line, section,
				    *p->listen_host ? p->listen_host : "0.0.0.0");
		struct listener_cert_report cr;
		if (*p->listen_cert &&
		    listener_cert_check(p->listen_cert, p->public_url, time(NULL), &cr)) {
			if (cr.host[0])
				add_warning(cfg, "%s:%d: [%s] %s", cfg->path, p->line, section,
					    cr.host);
			if (cr.validity[0])
				add_warning(cfg, "%s:%d: [%s] %s", cfg->path, p->line, section,
					    cr.validity);
		}
		if (*p->public_url && strncmp(p->public_url, "http://", 7) == 0 &&
		    !config_value_loopback_http(p->public_url))
			add_warning(cfg,
				    _("%s:%d: [%s] public_url is plain http: the callback "
				      "token travels unencrypted; prefer https"),
				    cfg->path, p->line, section);
	}
	if (*cfg->default_profile && !config_profile_find(cfg, cfg->default_profile))
		bad_value(c, c->default_line, "kassa", "default_profile", cfg->default_profile,
			  _("no [profile.%s] section in this file"), cfg->default_profile);
}

kstatus config_parse_text(struct config *cfg, char *text, size_t tlen, struct kerr *err)
{
	struct parse_ctx c;
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.cur = -1;
	c.err = err;
	c.st = K_OK;
	str_copy(c.warned_section, "\n", sizeof c.warned_section); /* no section is named so */
	struct kerr perr = {0};
	int rc = config_ini_parse(text, tlen, cfg->path, on_ini_entry, &c, &perr);
	if (rc < 0 && c.st == K_OK) {
		c.st = K_INVALID;
		c.nerrors++;
		if (err)
			*err = perr;
	} else if (rc > 0 && c.st == K_OK) {
		bad_value(&c, rc, "?", NULL, NULL,
			  _("not a \"key = value\" line or a [section] header"));
	}
	if (c.st == K_OK)
		post_check(&c);
	free(c.pstate);
	free(c.slots);
	if (c.st != K_OK && err && c.nerrors > 1) {
		size_t len = strlen(err->text);
		snprintf(err->text + len, sizeof err->text - len, _(" (and %d more problems)"),
			 c.nerrors - 1);
	}
	return c.st;
}
