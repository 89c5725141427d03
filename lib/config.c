#include "config.h"
#include "config_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "money.h"
#include "provider.h"
#include "util.h"

static const int64_t default_retry[] = {60, 180, 300, 600};

#define CONFIG_FILE_MAX (64 << 20)

/* --- XDG paths ------------------------------------------------------------------------------ */

const char *config_home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h == '/')
		return h;
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && *pw->pw_dir == '/' ? pw->pw_dir : NULL;
}

/* $env/kassa when env holds an absolute path (the XDG rule), else ~/fallback/kassa. */
static kstatus xdg_dir(const char *env, const char *fallback, char *buf, size_t n, struct kerr *err)
{
	const char *base = getenv(env);
	int len;
	if (base && *base == '/') {
		len = snprintf(buf, n, "%s/kassa", base);
	} else {
		const char *home = config_home_dir();
		if (!home)
			return kerr_set(err, K_INVALID, env,
					_("neither %s nor HOME is set; set one of them to an "
					  "absolute path"),
					env);
		len = snprintf(buf, n, "%s/%s/kassa", home, fallback);
	}
	if (len < 0 || (size_t)len >= n)
		return kerr_set(err, K_INVALID, env, _("the path in %s is too long"), env);
	return K_OK;
}

kstatus config_path(char *buf, size_t n, struct kerr *err)
{
	char dir[CONFIG_PATH_MAX];
	kstatus st = xdg_dir("XDG_CONFIG_HOME", ".config", dir, sizeof dir, err);
	if (st != K_OK)
		return st;
	int len = snprintf(buf, n, "%s/config.ini", dir);
	if (len < 0 || (size_t)len >= n)
		return kerr_set(err, K_INVALID, "XDG_CONFIG_HOME",
				_("the path in XDG_CONFIG_HOME is too long"));
	return K_OK;
}

/* mkdir -p, new folders private to the user. */
static kstatus make_dirs(const char *path, struct kerr *err)
{
	char tmp[CONFIG_PATH_MAX];
	if (!str_copy(tmp, path, sizeof tmp))
		return kerr_set(err, K_INVALID, "path", _("path too long: %s"), path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return kerr_set(err, K_IO, "path", _("cannot create folder %s: %s"), tmp,
					strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return kerr_set(err, K_IO, "path", _("%s is not a folder"), path);
	return K_OK;
}

kstatus config_data_dir(char *buf, size_t n, bool create, struct kerr *err)
{
	kstatus st = xdg_dir("XDG_DATA_HOME", ".local/share", buf, n, err);
	if (st != K_OK || !create)
		return st;
	return make_dirs(buf, err);
}

kstatus config_journal_path(bool training, char *buf, size_t n, struct kerr *err)
{
	char dir[CONFIG_PATH_MAX];
	kstatus st = config_data_dir(dir, sizeof dir, true, err);
	if (st != K_OK)
		return st;
	int len = snprintf(buf, n, "%s/%s", dir, training ? "training-journal.db" : "journal.db");
	if (len < 0 || (size_t)len >= n)
		return kerr_set(err, K_INVALID, "XDG_DATA_HOME",
				_("the path in XDG_DATA_HOME is too long"));
	return K_OK;
}

kstatus config_check_training_fallback(const struct config *cfg, struct kerr *err)
{
	if (!cfg || cfg->exists)
		return K_OK;
	char dir[CONFIG_PATH_MAX], jp[CONFIG_PATH_MAX + 16], marker[CONFIG_PATH_MAX + 32];
	if (config_data_dir(dir, sizeof dir, false, NULL) != K_OK ||
	    snprintf(jp, sizeof jp, "%s/journal.db", dir) >= (int)sizeof jp ||
	    snprintf(marker, sizeof marker, "%s.marker", jp) >= (int)sizeof marker)
		return K_OK;
	if (access(jp, F_OK) != 0 && access(marker, F_OK) != 0)
		return K_OK;
	return kerr_set(err, K_NOTFOUND, "config",
			_("no configuration at %s, but this till has a live journal (%s): the "
			  "config is missing (an unmounted disk? another HOME?); restore it, or "
			  "pass --training to train"),
			cfg->path, jp);
}

/* --- profiles ------------------------------------------------------------------------------- */

void config_profile_defaults(struct config_profile *p, const char *name)
{
	memset(p, 0, sizeof *p);
	str_copy(p->name, name ? name : "", sizeof p->name);
	p->provider = KPROVIDER_LIFEPAY;
	p->tax_system = TAX_DEFAULT;
	str_copy(p->listen_host, "127.0.0.1", sizeof p->listen_host);
	p->listen_port = 0;
	memcpy(p->retry_schedule, default_retry, sizeof default_retry);
	p->retry_count = sizeof default_retry / sizeof default_retry[0];
	str_copy(p->theme, "default", sizeof p->theme);
	p->paper_width = 42;
	p->stale_after_s = 900;
	p->max_receipt = CONFIG_MAX_RECEIPT_DEFAULT;
	p->max_in_flight = 4;
}

void config_training_profile(struct config_profile *p, unsigned sandbox_port)
{
	config_profile_defaults(p, "training");
	p->training = true;
	str_copy(p->login, CONFIG_TRAINING_LOGIN, sizeof p->login);
	str_copy(p->apikey, CONFIG_TRAINING_APIKEY, sizeof p->apikey);
	str_copy(p->target_serial, CONFIG_TRAINING_PRINTER, sizeof p->target_serial);
	if (sandbox_port)
		snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%u", sandbox_port);
}

bool config_key_is_secret(const char *key)
{
	return key && (strcmp(key, "apikey") == 0 || strcmp(key, "password") == 0 ||
		       strcmp(key, "secret") == 0 || strcmp(key, "relay_token") == 0);
}

const char *config_mask(const char *secret)
{
	return secret && *secret ? "********" : "";
}

const char *config_listen_str(const struct config_profile *p, char *buf, size_t n)
{
	if (strchr(p->listen_host, ':'))
		snprintf(buf, n, "[%s]:%u", p->listen_host, p->listen_port);
	else
		snprintf(buf, n, "%s:%u", p->listen_host, p->listen_port);
	return buf;
}

kstatus config_load(const char *path, struct config **out, struct kerr *err)
{
	*out = NULL;
	struct config *cfg = xcalloc(1, sizeof *cfg);
	kstatus st;
	if (path) {
		if (!str_copy(cfg->path, path, sizeof cfg->path)) {
			config_free(cfg);
			return kerr_set(err, K_INVALID, "config", _("config path too long"));
		}
	} else if ((st = config_path(cfg->path, sizeof cfg->path, err)) != K_OK) {
		config_free(cfg);
		return st;
	}
	/* O_NONBLOCK: a FIFO put where the config belongs must not hang kassa. */
	int fd = open(cfg->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			*out = cfg; /* nothing configured: training */
			return K_OK;
		}
		st = kerr_set(err, K_IO, "config", _("cannot read %s: %s"), cfg->path,
			      strerror(errno));
		config_free(cfg);
		return st;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		st = kerr_set(err, K_IO, "config",
			      _("%s is not a regular file (a folder, FIFO or device); the config "
				"must be a plain file"),
			      cfg->path);
		config_free(cfg);
		return st;
	}
	if (sb.st_mode & 077) {
		close(fd);
		st = kerr_set(err, K_REFUSED, "config",
			      _("%s can be read or changed by other users (mode %04o) and it holds "
				"keys and passwords; run `chmod 600 %s` and start again"),
			      cfg->path, (unsigned)(sb.st_mode & 07777), cfg->path);
		config_free(cfg);
		return st;
	}
	if (sb.st_uid != geteuid()) {
		close(fd);
		st = kerr_set(err, K_REFUSED, "config",
			      _("%s belongs to another user; it must be yours (chown it) with "
				"mode 600"),
			      cfg->path);
		config_free(cfg);
		return st;
	}
	if (sb.st_size > CONFIG_FILE_MAX) {
		close(fd);
		st = kerr_set(err, K_INVALID, "config", _("%s is larger than %d MiB"), cfg->path,
			      CONFIG_FILE_MAX >> 20);
		config_free(cfg);
		return st;
	}
	/* Read at once and parsed in place, so the one copy of the secrets can be wiped. */
	size_t cap = (size_t)sb.st_size + 1, tlen = 0;
	char *text = xmalloc(cap + 1);
	for (;;) {
		ssize_t got = read(fd, text + tlen, cap - tlen);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;
			close(fd);
			explicit_bzero(text, tlen);
			free(text);
			st = kerr_set(err, K_IO, "config", _("cannot read %s: %s"), cfg->path,
				      strerror(e));
			config_free(cfg);
			return st;
		}
		if (got == 0)
			break;
		tlen += (size_t)got;
		if (tlen == cap) {
			if (cap > CONFIG_FILE_MAX)
				break;
			text = xrealloc(text, cap * 2 + 1);
			cap *= 2;
		}
	}
	close(fd);
	cfg->exists = true;
	st = config_parse_text(cfg, text, tlen, err);
	explicit_bzero(text, tlen);
	free(text);
	if (st != K_OK) {
		config_free(cfg);
		return st;
	}
	*out = cfg;
	return K_OK;
}

void config_keep_secrets_of(struct config *cfg, const char *name)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		struct config_profile *p = &cfg->profiles[i];
		if (name && strcmp(p->name, name) == 0)
			continue;
		explicit_bzero(p->apikey, sizeof p->apikey);
		explicit_bzero(p->password, sizeof p->password);
		explicit_bzero(p->secret, sizeof p->secret);
		explicit_bzero(p->relay_token, sizeof p->relay_token);
	}
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	/* wipe secrets before the memory goes back */
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		struct config_profile *p = &cfg->profiles[i];
		explicit_bzero(p->apikey, sizeof p->apikey);
		explicit_bzero(p->password, sizeof p->password);
		explicit_bzero(p->secret, sizeof p->secret);
		explicit_bzero(p->relay_token, sizeof p->relay_token);
	}
	free(cfg->profiles);
	free(cfg->keys);
	for (size_t i = 0; i < cfg->nwarnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	free(cfg);
}

const struct config_profile *config_profile_find(const struct config *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	for (size_t i = 0; i < cfg->nprofiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

static void profile_names(const struct config *cfg, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < cfg->nprofiles && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? ", " : "",
					cfg->profiles[i].name);
}

kstatus config_select(const struct config *cfg, const char *name, bool training,
		      struct config_profile *out, struct kerr *err)
{
	if (training || !cfg || (cfg->nprofiles == 0 && (!name || !*name))) {
		config_training_profile(out, 0);
		return K_OK;
	}
	const struct config_profile *p = NULL;
	char names[200];
	profile_names(cfg, names, sizeof names);
	if (name && *name) {
		p = config_profile_find(cfg, name);
		if (!p) {
			if (cfg->nprofiles == 0)
				return kerr_set(err, K_NOTFOUND, "profile",
						_("no profile \"%s\": %s has no [profile.NAME] "
						  "sections"),
						name, cfg->path);
			return kerr_set(err, K_NOTFOUND, "profile",
					_("no profile \"%s\" in %s; known: %s"), name, cfg->path,
					names);
		}
	} else if (*cfg->default_profile) {
		p = config_profile_find(cfg, cfg->default_profile);
	} else if (cfg->nprofiles == 1) {
		p = &cfg->profiles[0];
	} else {
		return kerr_set(err, K_INVALID, "profile",
				_("%s has several profiles (%s) and no default; pass --profile "
				  "NAME or set default_profile in [kassa]"),
				cfg->path, names);
	}
	if (!p)
		return kerr_set(err, K_NOTFOUND, "profile", _("no profile \"%s\""),
				cfg->default_profile);
	*out = *p;
	return K_OK;
}

/* --- dump ----------------------------------------------------------------------------------- */

struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
}

char *config_dump(const struct config_profile *p, bool masked)
{
	struct sbuf b = {0};
	char listen[96];
	if (p->training)
		sb_add(&b, "; training: the built-in sandbox, its own journal\n");
	sb_add(&b, "[profile.%s]\n", p->name);
	sb_add(&b, "provider = %s\n", provider_word(p->provider));
	sb_add(&b, "base_url = %s\n", p->base_url);
	if (provider_can(p->provider, PROVIDER_CAP_KEY_IN_BODY)) {
		sb_add(&b, "login = %s\n", p->login);
		sb_add(&b, "apikey = %s\n", masked ? config_mask(p->apikey) : p->apikey);
	} else {
		sb_add(&b, "server = %s\n", p->server);
		sb_add(&b, "user = %s\n", p->user);
		sb_add(&b, "password = %s\n", masked ? config_mask(p->password) : p->password);
		sb_add(&b, "secret = %s\n", masked ? config_mask(p->secret) : p->secret);
	}
	sb_add(&b, "target_serial = %s\n", p->target_serial);
	sb_add(&b, "cashier_name = %s\n", p->cashier_name);
	sb_add(&b, "cashier_inn = %s\n", p->cashier_inn);
	sb_add(&b, "tax_system = %s\n", config_tax_word((int)p->tax_system));
	sb_add(&b, "test = %d\n", p->test ? 1 : 0);
	sb_add(&b, "listen = %s\n", config_listen_str(p, listen, sizeof listen));
	sb_add(&b, "public_url = %s\n", p->public_url);
	if (p->listen_cert[0] || p->listen_key[0]) {
		sb_add(&b, "listen_cert = %s\n", p->listen_cert);
		sb_add(&b, "listen_key = %s\n", p->listen_key);
	}
	if (p->relay_url[0] || p->relay_token[0]) {
		sb_add(&b, "relay_url = %s\n", p->relay_url);
		sb_add(&b, "relay_token = %s\n",
		       masked ? config_mask(p->relay_token) : p->relay_token);
	}
	if (p->relay_ca[0])
		sb_add(&b, "relay_ca = %s\n", p->relay_ca);
	sb_add(&b, "retry_schedule = ");
	for (size_t i = 0; i < p->retry_count; i++)
		sb_add(&b, "%s%lld", i ? "," : "", (long long)p->retry_schedule[i]);
	sb_add(&b, "\n");
	sb_add(&b, "theme = %s\n", p->theme);
	sb_add(&b, "paper_width = %d\n", p->paper_width);
	sb_add(&b, "catalog = %s\n", p->catalog);
	sb_add(&b, "pos_terminal = %d\n", p->pos_terminal ? 1 : 0);
	sb_add(&b, "stale_after = %lld\n", (long long)p->stale_after_s);
	sb_add(&b, "max_in_flight = %d\n", p->max_in_flight);
	char ceiling[32];
	money_format_wire(p->max_receipt, ceiling, sizeof ceiling);
	sb_add(&b, "max_receipt = %s\n", ceiling);
	return b.s;
}
