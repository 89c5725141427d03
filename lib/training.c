/* Training mode: the in-process sandbox, the training profile and journal. */
#include "training.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "i18n.h"
#include "sandbox/sandbox.h"
#include "util.h"

/* Takes training-sandbox.db for this process; false when another kassa holds it. */
static bool lock_db(struct training *t)
{
	char lock[CONFIG_PATH_MAX + 8];
	if (snprintf(lock, sizeof lock, "%s.lock", t->sandbox_db) >= (int)sizeof lock)
		return false;
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return false;
	}
	t->lock_fd = fd;
	return true;
}

static bool training_strict(void)
{
	const char *v = getenv("KASSA_SANDBOX_STRICT");
	return v && v[0] && strcmp(v, "0") != 0;
}

kstatus training_start(struct loop *l, struct training *t, struct kerr *err)
{
	(void)l;
	t->sb = NULL;
	t->lock_fd = -1;
	t->note[0] = '\0';
	t->sandbox_db[0] = '\0';
	char dir[CONFIG_PATH_MAX];
	kstatus st;
	if (t->data_dir) {
		if (!str_copy(dir, t->data_dir, sizeof dir))
			return kerr_set(err, K_INVALID, "data_dir",
					_("the data directory path is too long"));
	} else if ((st = config_data_dir(dir, sizeof dir, true, err)) != K_OK) {
		return st;
	}
	if (t->data_dir) {
		if (snprintf(t->journal_path, sizeof t->journal_path, "%s/training-journal.db",
			     dir) >= (int)sizeof t->journal_path)
			return kerr_set(err, K_INVALID, "data_dir",
					_("the data directory path is too long"));
	} else if ((st = config_journal_path(true, t->journal_path, sizeof t->journal_path, err)) !=
		   K_OK) {
		return st;
	}
	if (!t->memory) {
		if (snprintf(t->sandbox_db, sizeof t->sandbox_db, "%s/training-sandbox.db", dir) >=
		    (int)sizeof t->sandbox_db)
			t->sandbox_db[0] = '\0';
		if (t->sandbox_db[0] && !lock_db(t)) {
			snprintf(t->note, sizeof t->note, "%s",
				 _("another kassa is training on this machine: this one's sandbox "
				   "keeps its state in memory only"));
			t->sandbox_db[0] = '\0';
		}
	}
	struct sandbox_options so = {
	    .listen = "127.0.0.1:0",
	    .db_path = t->sandbox_db[0] ? t->sandbox_db : NULL,
	    .callback_delay_ms = t->callback_delay_ms,
	    /* Training forgives what real integrations send (docs/SANDBOX.md); kassa's own
	       test suites set KASSA_SANDBOX_STRICT=1 so kassa itself never sends it. */
	    .strict = training_strict(),
	    /* Provider outcomes to rehearse (docs/SANDBOX.md "Faults"), e.g. retry=1. */
	    .faults = getenv("KASSA_TRAINING_FAULTS"),
	};
	t->sb = sandbox_start(&so, err);
	if (!t->sb) {
		training_stop(t);
		kerr_prefix(err, "training");
		return K_IO;
	}
	config_training_profile(&t->profile, (unsigned)sandbox_port(t->sb));
	return K_OK;
}

void training_stop(struct training *t)
{
	if (t->sb) {
		sandbox_stop(t->sb);
		t->sb = NULL;
	}
	if (t->lock_fd >= 0) {
		close(t->lock_fd);
		t->lock_fd = -1;
	}
}
