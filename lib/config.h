/*
 * Profiles and secrets: the INI config (libinih) at
 * $XDG_CONFIG_HOME/kassa/config.ini (fallback ~/.config/kassa/config.ini),
 * the XDG data paths of the journals, and the training profile used when no
 * profile is configured.
 *
 *   [kassa]
 *   default_profile = shop
 *
 *   [profile.shop]
 *   provider = lifepay            ; lifepay | paykeeper
 *   login = 79991234567
 *   apikey = ...                  ; secret
 *   target_serial = 00000000001
 *   retry_schedule = 60,180,300,600
 *
 *   [keys]
 *   F5 = pay                      ; raw key -> action, read by the TUI
 *
 * The file holds keys and passwords: it must not be readable by group or
 * others. Secrets (apikey, password, secret) never appear in messages;
 * config_dump() masks them unless asked not to.
 */
#ifndef KASSA_CONFIG_H
#define KASSA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "document.h"
#include "journal.h"
#include "status.h"

#define CONFIG_NAME_MAX 64
#define CONFIG_URL_MAX 256
#define CONFIG_SECRET_MAX 256
#define CONFIG_PATH_MAX 1024
#define CONFIG_RETRY_MAX 16

#define CONFIG_LIFEPAY_URL "https://sapi.life-pay.ru"
#define CONFIG_TRAINING_LOGIN "70000000000"
#define CONFIG_TRAINING_APIKEY "sandbox-apikey"
#define CONFIG_TRAINING_PRINTER "SANDBOX-0001"
/* max_receipt when the profile does not say: 1,000,000.00 roubles. */
#define CONFIG_MAX_RECEIPT_DEFAULT INT64_C(100000000)

struct config_profile {
	char name[CONFIG_NAME_MAX];
	enum kprovider provider;
	char base_url[CONFIG_URL_MAX];	  /* no trailing slash; PayKeeper: from server */
	char login[32];			  /* LifePay: 7 + 10 digits */
	char apikey[CONFIG_SECRET_MAX];	  /* secret */
	char server[CONFIG_URL_MAX];	  /* PayKeeper server as written */
	char user[CONFIG_NAME_MAX];	  /* PayKeeper */
	char password[CONFIG_SECRET_MAX]; /* PayKeeper, secret */
	char secret[CONFIG_SECRET_MAX];	  /* PayKeeper callback secret word, secret */
	char target_serial[64];
	char cashier_name[256];
	char cashier_inn[16]; /* 10 or 12 digits, or empty */
	enum tax_system tax_system;
	bool test;			   /* the provider's test mode */
	char listen_host[CONFIG_NAME_MAX]; /* callback listener, default 127.0.0.1 */
	unsigned listen_port;		   /* 0 = any free port */
	char public_url[CONFIG_URL_MAX];   /* base the provider calls back; no trailing slash */
	/* HTTPS for the listener: PEM files, both or neither; the key mode 0600. */
	char listen_cert[CONFIG_PATH_MAX];
	char listen_key[CONFIG_PATH_MAX];
	/* kassa-relay (docs/RELAY.md): callbacks pulled from there; "" = none. */
	char relay_url[CONFIG_URL_MAX]; /* https (http only on loopback), no trailing slash */
	char relay_token[CONFIG_SECRET_MAX + 2]; /* secret: 32-256 printable, no spaces */
	char relay_ca[CONFIG_PATH_MAX]; /* PEM CA trusted for relay_url instead of the system's */
	int64_t retry_schedule[CONFIG_RETRY_MAX]; /* seconds, the last repeats */
	size_t retry_count;
	char theme[CONFIG_NAME_MAX];
	int paper_width;	       /* 32, 42 or 48 */
	char catalog[CONFIG_PATH_MAX]; /* "~/" expanded */
	bool pos_terminal;
	bool ffd12; /* ffd = 1.2: LifePay's /cloud-print-ffd1_2/ path with marking codes */
	/* Bills (lib/bill.h): LIFE PAY's bill API base ("" = derived from base_url) and
	 * bill_receipt = provider: LIFE PAY prints from invoice_data, kassa sends none. */
	char bill_url[CONFIG_URL_MAX];
	bool bill_provider_receipt;
	int64_t stale_after_s; /* LifePay: flag documents without a final status after this */
	int max_in_flight;
	/* Amounts above it ask first (screen) or need --allow-large (CLI); kopecks. */
	int64_t max_receipt;
	bool training; /* the built-in training profile */
	int line;      /* line of its [profile.NAME] header, 0 for training */
};

/* A [keys] entry, as written: the TUI interprets key names and actions. */
struct config_binding {
	char key[64];
	char action[64];
	int line;
};

struct config {
	char path[CONFIG_PATH_MAX];
	bool exists; /* false: no file, so no profiles (training) */
	char default_profile[CONFIG_NAME_MAX];
	struct config_profile *profiles;
	size_t nprofiles;
	struct config_binding *keys;
	size_t nkeys;
	char **warnings; /* unknown keys and sections, repeats; never holding a value */
	size_t nwarnings;
};

/* $XDG_CONFIG_HOME/kassa/config.ini, or ~/.config/kassa/config.ini. */
kstatus config_path(char *buf, size_t n, struct kerr *err);
/* $XDG_DATA_HOME/kassa (or ~/.local/share/kassa); create makes it (and parents) with 0700. */
kstatus config_data_dir(char *buf, size_t n, bool create, struct kerr *err);
/* The journal file: journal.db, or training-journal.db; creates the data dir. */
kstatus config_journal_path(bool training, char *buf, size_t n, struct kerr *err);

/*
 * Reads and checks the config at path (NULL = config_path()). A missing file
 * is not an error: *out has no profiles and exists = false. Refuses a file
 * readable by group or others (K_REFUSED, with the chmod to run). A bad value
 * gives K_INVALID naming file, line, section, key and what is allowed.
 */
kstatus config_load(const char *path, struct config **out, struct kerr *err);
/*
 * Whether the screen may stand in training for a missing config: K_OK when a
 * config exists or nothing was ever configured; K_NOTFOUND (naming the config
 * path and the journal) when the file is missing but a live journal exists.
 */
kstatus config_check_training_fallback(const struct config *cfg, struct kerr *err);
/*
 * Wipes (explicit_bzero) the apikey, password and secret of every profile
 * but name (NULL: of all), so that only the profile in use has secrets in
 * memory (and in a core dump, were one ever written).
 */
void config_keep_secrets_of(struct config *cfg, const char *name);
/* Frees a config (NULL is fine). */
void config_free(struct config *cfg);

/* The profile with this name, or NULL. */
const struct config_profile *config_profile_find(const struct config *cfg, const char *name);
/*
 * The profile to use: training when asked or when none is configured; else
 * the named one, the default_profile, or the only one. K_NOTFOUND for an
 * unknown name (listing the known ones), K_INVALID when several exist and
 * none is chosen.
 */
kstatus config_select(const struct config *cfg, const char *name, bool training,
		      struct config_profile *out, struct kerr *err);
/* Fills the training profile (the in-process sandbox); port != 0 sets base_url. */
void config_training_profile(struct config_profile *p, unsigned sandbox_port);
/* Fills a profile with every default (provider lifepay, no credentials). */
void config_profile_defaults(struct config_profile *p, const char *name);

/* True for keys whose values are secrets (apikey, password, secret, relay_token). */
bool config_key_is_secret(const char *key);
/* A secret as it may be shown: "" when empty, else "********" (length hidden). */
const char *config_mask(const char *secret);
/*
 * The profile as INI text (a [profile.NAME] section), secrets masked unless
 * masked is false; for --dry-run and diagnostics. Returns an owned string.
 */
char *config_dump(const struct config_profile *p, bool masked);
/* "host:port" of the listener into buf. */
const char *config_listen_str(const struct config_profile *p, char *buf, size_t n);

#endif
