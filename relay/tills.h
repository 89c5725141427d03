/*
 * The tills file (INI, mode 0600): who may pull and where callbacks go.
 *   [till.NAME]      token = <32..256 printable characters>
 *   [account.NAME]   key = <32..256 of [A-Za-z0-9_-]>, tills = NAME NAME ...
 * A till's callback path is /cb/<key> with the key derived from its token
 * (relay_proto_callback_key); an account's (PayKeeper: one URL per account)
 * is /acct/<key>, and each callback to it goes to every till listed.
 */
#ifndef KASSA_RELAY_TILLS_H
#define KASSA_RELAY_TILLS_H

#include <stddef.h>

#include "relay_proto.h"
#include "status.h"

struct relay_req;

struct till {
	char name[RELAY_NAME_MAX + 1];
	/* Long-polls waiting for this till (owned by relay.c). */
	struct relay_req *waiters;
	long long last_pull_ms;
};

struct account {
	char name[RELAY_NAME_MAX + 1];
	struct till **tills;
	size_t n;
};

struct tills;

/* Reads and checks the file: mode 0600 (else refused with the chmod to run),
 * names, token lengths, no token used twice, accounts naming known tills. */
kstatus tills_load(const char *path, struct tills **out, struct kerr *err);
void tills_free(struct tills *t);

size_t tills_count(const struct tills *t);
struct till *tills_at(struct tills *t, size_t i);
struct till *tills_by_name(struct tills *t, const char *name);
/* The till whose token this is (a Bearer credential), or NULL. */
struct till *tills_by_token(struct tills *t, const char *tok, size_t len);
/* The till whose callback key this is, or NULL. */
struct till *tills_by_key(struct tills *t, const char *key);
/* The account whose key this is, or NULL. */
struct account *tills_account_by_key(struct tills *t, const char *key);

/* Appends [till.NAME] with a fresh random token (256 bits, hex) to path,
 * creating it with mode 0600; the token goes to token_out only. */
kstatus tills_add(const char *path, const char *name, char *token_out, size_t n, struct kerr *err);

#endif
