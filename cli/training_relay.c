/*
 * The embedded relay for training (see training_relay.h). A fresh till token
 * each start: the tills file is written, read and removed at once (the
 * relay's tills table keeps only what it needs), so no token is left on
 * disk. The relay's database keeps callbacks across runs like a real one;
 * the till's stored offset belongs to the old token and starts again at 0,
 * and re-applying a callback changes nothing.
 */
#include "training_relay.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "i18n.h"
#include "relay.h"
#include "store.h"
#include "tills.h"
#include "util.h"

#define TRAINING_TILL "training"

struct training_relay {
	struct store *store;
	struct tills *tills;
	struct relay *relay;
};

bool training_relay_wanted(void)
{
	const char *v = getenv("KASSA_TRAINING_RELAY");
	return v && (strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0);
}

static void training_relay_free(struct training_relay *tr)
{
	if (!tr)
		return;
	if (tr->relay)
		relay_stop(tr->relay);
	if (tr->store)
		tr->store->ops->close(tr->store);
	tills_free(tr->tills);
	free(tr);
}

static kstatus training_relay_open(struct loop *l, struct training *t, struct kerr *err)
{
	char dir[CONFIG_PATH_MAX];
	if (t->data_dir)
		str_copy(dir, t->data_dir, sizeof dir);
	else if (config_data_dir(dir, sizeof dir, true, err) != K_OK)
		return K_IO;
	char tills_path[CONFIG_PATH_MAX + 64], db[CONFIG_PATH_MAX + 64];
	snprintf(tills_path, sizeof tills_path, "%s/training-relay-tills-%ld.ini", dir,
		 (long)getpid());
	snprintf(db, sizeof db, "sqlite:%s/training-relay.db", dir);
	unlink(tills_path);
	/* the relay's database holds callbacks: private, like the journal */
	int fd = open(db + 7, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		fchmod(fd, 0600);
		close(fd);
	}
	char token[CONFIG_SECRET_MAX + 2];
	struct training_relay *tr = xcalloc(1, sizeof *tr);
	kstatus st = tills_add(tills_path, TRAINING_TILL, token, sizeof token, err);
	if (st == K_OK)
		st = tills_load(tills_path, &tr->tills, err);
	unlink(tills_path);
	if (st == K_OK && !(tr->store = store_open(db, l, err)))
		st = K_IO;
	if (st == K_OK) {
		const char *names[] = {TRAINING_TILL};
		st = tr->store->ops->add_tills(tr->store, names, 1, err);
	}
	if (st == K_OK) {
		struct relay_options o = {.listen = "127.0.0.1:0", .max_connections = 64};
		if (!(tr->relay = relay_start(l, tr->store, tr->tills, &o, err)))
			st = K_IO;
		else
			tr->tills = NULL; /* the relay's now */
	}
	if (st != K_OK) {
		explicit_bzero(token, sizeof token);
		training_relay_free(tr);
		return st;
	}
	snprintf(t->profile.relay_url, sizeof t->profile.relay_url, "http://127.0.0.1:%u",
		 relay_port(tr->relay));
	str_copy(t->profile.relay_token, token, sizeof t->profile.relay_token);
	explicit_bzero(token, sizeof token);
	t->relay = tr;
	return K_OK;
}

kstatus training_relay_start(struct loop *l, struct training *t, struct kerr *err)
{
	t->relay = NULL;
	kstatus st = training_start(l, t, err);
	if (st != K_OK || !training_relay_wanted())
		return st;
	struct kerr e = {0};
	if (training_relay_open(l, t, &e) != K_OK) {
		training_stop(t);
		return kerr_set(err, K_IO, "KASSA_TRAINING_RELAY",
				_("the training relay (KASSA_TRAINING_RELAY) did not start: %s"),
				e.text);
	}
	return K_OK;
}

void training_relay_stop(struct training *t)
{
	training_relay_free(t->relay);
	t->relay = NULL;
	training_stop(t);
}
