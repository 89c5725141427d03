/*
 * A journal that knows itself: the checks journal_open() runs, the full
 * check of `kassa journal check`, and backups (`kassa journal backup PATH`
 * and the rotated copies made at each Z-report).
 *
 *   - A marker file "<journal>.marker" is written once a journal has been
 *     created. A missing or empty journal next to its marker is refused
 *     (K_DB, naming both files and the backups), never silently recreated.
 *   - The journal file is created 0600 (its -wal and -shm files take the same
 *     mode); a journal, -wal, -shm, .lock or marker found looser is made 0600,
 *     and the data folder (a parent named "kassa") 0700, with one warning.
 *   - On every open both ends of every table are read and PRAGMA quick_check
 *     runs, bounded by JOURNAL_QUICK_CHECK_MS; a damaged file is refused
 *     (K_DB) with what to do.
 *   - Backups use SQLite's online backup API, so they are consistent while
 *     kassa runs; each Z-report leaves one in "<folder of the journal>/backups"
 *     and the newest KASSA_JOURNAL_BACKUPS (default 14, 0 = none) are kept.
 */
#ifndef KASSA_JOURNAL_CHECK_H
#define KASSA_JOURNAL_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/*
 * The quick check at open: only for journals up to JOURNAL_QUICK_CHECK_BYTES
 * (about 19,000 documents), whose b-tree walk takes tens of milliseconds (it
 * cannot be interrupted: 190 ms for 100,000 documents), and at most
 * JOURNAL_QUICK_CHECK_MS in all. Both ends of every table are read whatever
 * the size, and `kassa journal check` checks everything. Start-up stays quick.
 */
#define JOURNAL_QUICK_CHECK_MS 100
#define JOURNAL_QUICK_CHECK_BYTES (32LL << 20)
#define JOURNAL_BACKUP_KEEP 14
#define JOURNAL_BACKUP_DIR "backups"

struct sqlite3;

/*
 * Before the journal at path is opened: refuses a missing or empty journal
 * whose marker exists, creates a new file 0600, tightens looser modes (the
 * warning, if any, goes into warn; "" when none). Paths ":memory:" and
 * "file:..." are left alone.
 */
kstatus journal_check_before_open(const char *path, char *warn, size_t warn_n, struct kerr *err);
/* After the file is open, before anything is written: the bounded quick check. */
kstatus journal_check_after_open(struct sqlite3 *db, const char *path, struct kerr *err);
/* Once the journal holds its schema: writes "<path>.marker" if missing. */
void journal_check_mark(const char *path);

/* One line of a full check's findings. */
typedef void (*journal_check_line_fn)(void *cls, const char *line);
/*
 * PRAGMA integrity_check and foreign_key_check on the file at path, opened
 * read-only on its own (so a damaged journal can be examined). K_OK when
 * sound; K_DB with the findings passed to on_line (at most 100) otherwise.
 */
kstatus journal_check_file(const char *path, journal_check_line_fn on_line, void *cls,
			   struct kerr *err);
/*
 * Copies the journal at src to dest with SQLite's online backup (consistent
 * while another kassa writes). dest must not exist; it is written 0600 under a
 * temporary name and renamed when complete.
 */
kstatus journal_backup_file(const char *src, const char *dest, struct kerr *err);
/* The same from an open connection (the journal's own). */
kstatus journal_backup_db(struct sqlite3 *db, const char *dest, struct kerr *err);
/*
 * The rotated backup: "<dir of path>/backups/<name>-YYYYMMDD-HHMMSS.db", then
 * removes the oldest beyond KASSA_JOURNAL_BACKUPS (default
 * JOURNAL_BACKUP_KEEP). *made (may be NULL) gets the file written, "" when
 * backups are off.
 */
kstatus journal_backup_rotate(struct sqlite3 *db, const char *path, char *made, size_t made_n,
			      struct kerr *err);
/* How many rotated backups are kept (KASSA_JOURNAL_BACKUPS or the default). */
int journal_backup_keep(void);

#endif
