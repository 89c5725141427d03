/*
 * A temporary folder for a test's journal (header only: any test includes
 * it without a build change): made fresh, emptied, removed.
 */
#ifndef KASSA_TEST_TMPDIR_H
#define KASSA_TEST_TMPDIR_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* A fresh /tmp/kassa-test-TAG-XXXXXX into dir and its journal.db into path. */
static inline bool tmpdir_journal(const char *tag, char *dir, size_t dn, char *path, size_t pn)
{
	snprintf(dir, dn, "/tmp/kassa-test-%s-XXXXXX", tag);
	if (!mkdtemp(dir))
		return false;
	snprintf(path, pn, "%s/journal.db", dir);
	return true;
}

/* Removes the files in dir: the journal, its WAL, lock and marker files. */
static inline void tmpdir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char p[400];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.')
			unlink(p);
	}
	if (d)
		closedir(d);
}

/* Empties and removes dir. */
static inline void tmpdir_remove(const char *dir)
{
	tmpdir_empty(dir);
	rmdir(dir);
}

#endif
