/*
 * lib/journal_check.c (issue 11, findings 5 and 9): a missing or emptied
 * journal next to its marker is refused, damage is found at open, modes are
 * tightened, backups are consistent and rotated.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"
#include "journal_check.h"
#include "util.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/kassa-test-jcheck-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof f->path, "%s/kassa", f->dir);
	mkdir(f->path, 0755); /* a data folder named kassa, too open */
	snprintf(f->path, sizeof f->path, "%s/kassa/journal.db", f->dir);
	unsetenv("KASSA_JOURNAL_BACKUPS");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	if (strncmp(f->dir, "/tmp/kassa-test-jcheck-", 23) == 0 && system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void add_doc(struct journal *j, const char *ext_id, const char *kind)
{
	struct journal_new_doc d = {
	    .profile = "shop",
	    .provider = KPROVIDER_LIFEPAY,
	    .kind = kind,
	    .type = "payment",
	    .ext_id = ext_id,
	    .body = "{\"login\":\"\",\"apikey\":\"\"}",
	    .total = 100,
	    .card = 100,
	};
	int64_t id;
	struct kerr e = {0};
	assert_int_equal(journal_enqueue(j, &d, &id, &e), K_OK);
}

static void journal_open__missing_or_emptied_journal_with_marker__refused(void **state)
{
	struct fx *f = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	add_doc(j, "a-1", "receipt");
	journal_close(j);
	char marker[160];
	snprintf(marker, sizeof marker, "%s.marker", f->path);
	assert_int_equal(access(marker, F_OK), 0);

	assert_int_equal(truncate(f->path, 0), 0);
	assert_int_equal(journal_open(f->path, &j, &e), K_DB);
	assert_null(j);
	assert_non_null(strstr(e.text, "is empty"));
	assert_non_null(strstr(e.text, "RESTORING THE JOURNAL"));
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0); /* left as it was: not made a new journal */

	unlink(f->path);
	assert_int_equal(journal_open(f->path, &j, &e), K_DB);
	assert_non_null(strstr(e.text, "is missing"));
	assert_int_equal(access(f->path, F_OK), -1);

	/* Removing the marker is the deliberate way to begin again. */
	unlink(marker);
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	journal_close(j);
}

static void journal_open__damaged_file__refused_before_writing(void **state)
{
	struct fx *f = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	char ext[32];
	for (int i = 0; i < 200; i++) {
		snprintf(ext, sizeof ext, "doc-%d", i);
		add_doc(j, ext, "receipt");
	}
	journal_close(j);
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	int fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	static const char zero[3 * 4096];
	assert_int_equal(pwrite(fd, zero, sizeof zero, sb.st_size - (off_t)sizeof zero),
			 (ssize_t)sizeof zero);
	close(fd);
	assert_int_equal(journal_open(f->path, &j, &e), K_DB);
	assert_string_equal(e.field, "journal");
	assert_non_null(strstr(e.text, "damaged"));
	struct stat after;
	assert_int_equal(stat(f->path, &after), 0);
	assert_int_equal(after.st_size, sb.st_size); /* nothing was written to it */
	assert_int_equal(journal_check_file(f->path, NULL, NULL, &e), K_DB);
	assert_non_null(strstr(e.text, "problem"));
}

static void journal_open__loose_modes__tightened_with_a_warning(void **state)
{
	struct fx *f = *state;
	struct journal *j = NULL;
	struct kerr e = {0};
	mode_t old = umask(022);
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	umask(old);
	struct stat sb;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600); /* created private */
	journal_close(j);
	char dir[128];
	snprintf(dir, sizeof dir, "%s/kassa", f->dir);
	chmod(f->path, 0644);
	chmod(dir, 0755);
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	assert_non_null(journal_warning(j));
	assert_non_null(strstr(journal_warning(j), "0644 -> 0600"));
	assert_non_null(strstr(journal_warning(j), "0755 -> 0700"));
	journal_close(j);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	assert_null(journal_warning(j)); /* once */
	journal_close(j);
}

static void journal_backup__z_reports__rotated_and_sound(void **state)
{
	struct fx *f = *state;
	setenv("KASSA_JOURNAL_BACKUPS", "2", 1);
	char kdir[128];
	snprintf(kdir, sizeof kdir, "%s/kassa", f->dir);
	chmod(kdir, 0700);
	struct journal *j = NULL;
	struct kerr e = {0};
	assert_int_equal(journal_open(f->path, &j, &e), K_OK);
	add_doc(j, "sale-1", "receipt");
	add_doc(j, "z-1", "z-report");
	add_doc(j, "z-2", "z-report");
	add_doc(j, "z-3", "z-report");
	assert_null(journal_warning(j));
	char made[512];
	assert_int_equal(journal_backup_rotate(NULL, ":memory:", made, sizeof made, &e), K_OK);
	assert_string_equal(made, ""); /* nothing for an in-memory journal */
	journal_close(j);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls %s/kassa/backups/journal-*.db | wc -l", f->dir);
	FILE *p = popen(cmd, "r");
	int n = 0;
	assert_int_equal(fscanf(p, "%d", &n), 1);
	pclose(p);
	assert_int_equal(n, 2);
	/* A manual backup is a sound journal with the documents; never overwrites. */
	char dest[160];
	snprintf(dest, sizeof dest, "%s/copy.db", f->dir);
	assert_int_equal(journal_backup_file(f->path, dest, &e), K_OK);
	assert_int_equal(journal_check_file(dest, NULL, NULL, &e), K_OK);
	assert_int_equal(journal_backup_file(f->path, dest, &e), K_EXISTS);
	assert_int_equal(journal_open(dest, &j, &e), K_OK);
	struct journal_doc d;
	memset(&d, 0, sizeof d);
	assert_int_equal(journal_find(j, "z-3", &d, &e), K_OK);
	journal_doc_free(&d);
	journal_close(j);
	struct stat sb;
	assert_int_equal(stat(dest, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	unsetenv("KASSA_JOURNAL_BACKUPS");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(journal_open__missing_or_emptied_journal_with_marker__refused),
	    T(journal_open__damaged_file__refused_before_writing),
	    T(journal_open__loose_modes__tightened_with_a_warning),
	    T(journal_backup__z_reports__rotated_and_sound),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
