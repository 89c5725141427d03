#include "journal_check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "i18n.h"
#include "util.h"

#define CHECK_PATH_MAX 4096

static bool is_special(const char *path)
{
	return strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0 || !*path;
}

static bool with_suffix(char *buf, size_t n, const char *path, const char *suffix)
{
	int len = snprintf(buf, n, "%s%s", path, suffix);
	return len > 0 && (size_t)len < n;
}

/* The folder holding path (no trailing slash; "." for a bare name). */
static void dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		str_copy(buf, ".", n);
	} else if (slash == path) {
		str_copy(buf, "/", n);
	} else {
		size_t len = (size_t)(slash - path);
		if (len >= n)
			len = n - 1;
		memcpy(buf, path, len);
		buf[len] = '\0';
	}
}

static void add_warn(char *warn, size_t n, const char *what, unsigned old_mode, unsigned mode)
{
	size_t used = strlen(warn);
	if (used + 1 >= n)
		return;
	snprintf(warn + used, n - used, "%s%s (%04o -> %04o)", used ? ", " : "", what, old_mode,
		 mode);
}

/*
 * Makes path mode `mode` when it is ours and open to others, or (a file)
 * read-only for us: a leftover read-only -shm blocked every write and the
 * message did not name it. Notes each change in warn.
 */
static void tighten(const char *path, bool dir, unsigned mode, char *warn, size_t n)
{
	struct stat sb;
	if (lstat(path, &sb) != 0 || sb.st_uid != geteuid())
		return;
	if (dir ? !S_ISDIR(sb.st_mode) : !S_ISREG(sb.st_mode))
		return;
	bool read_only = !dir && (sb.st_mode & 0600) != 0600;
	if ((sb.st_mode & 077) == 0 && !read_only)
		return;
	if (chmod(path, mode) == 0)
		add_warn(warn, n, path, (unsigned)(sb.st_mode & 07777), mode);
}

kstatus journal_check_before_open(const char *path, char *warn, size_t warn_n, struct kerr *err)
{
	if (warn && warn_n)
		warn[0] = '\0';
	if (is_special(path))
		return K_OK;
	char marker[CHECK_PATH_MAX], dir[CHECK_PATH_MAX];
	if (!with_suffix(marker, sizeof marker, path, ".marker"))
		return kerr_set(err, K_INVALID, "journal", _("journal path too long: %s"), path);
	dir_of(path, dir, sizeof dir);
	struct stat sb;
	bool exists = stat(path, &sb) == 0;
	bool empty = !exists || (S_ISREG(sb.st_mode) && sb.st_size == 0);
	if (empty && access(marker, F_OK) == 0 && exists)
		return kerr_set(
		    err, K_DB, "journal",
		    _("journal %s is empty, but its .marker shows one was kept: restore "
		      "a backup from %s/%s (kassa(1), RESTORING THE JOURNAL); to "
		      "start an empty journal, remove the .marker file"),
		    path, dir, JOURNAL_BACKUP_DIR);
	if (empty && access(marker, F_OK) == 0)
		return kerr_set(err, K_DB, "journal",
				_("journal %s is missing, but its .marker shows one was kept: "
				  "restore a backup from %s/%s (kassa(1), RESTORING THE JOURNAL); "
				  "to start an empty journal, remove the .marker file"),
				path, dir, JOURNAL_BACKUP_DIR);
	if (!exists) {
		/* SQLite gives -wal and -shm the mode of the database file. */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
	}
	if (!warn || !warn_n)
		return K_OK;
	static const char *const suffixes[] = {"", "-wal", "-shm", ".lock", ".marker"};
	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		char f[CHECK_PATH_MAX];
		if (with_suffix(f, sizeof f, path, suffixes[i]))
			tighten(f, false, 0600, warn, warn_n);
	}
	/* Only kassa's own data folder: a journal elsewhere keeps its folder as it is. */
	const char *base = strrchr(dir, '/');
	if (strcmp(base ? base + 1 : dir, "kassa") == 0)
		tighten(dir, true, 0700, warn, warn_n);
	return K_OK;
}

static int on_progress(void *cls)
{
	long long *deadline = cls;
	return mono_ms() > *deadline;
}

/*
 * Both ends of every table's b-tree (min and max rowid: a few pages each,
 * whatever the size), so damage at the end of the file, where new pages go,
 * is found even when the bounded quick check runs out of time. Fills why.
 */
static bool probe_tables(struct sqlite3 *db, char *why, size_t n)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db,
				    "SELECT name FROM sqlite_master WHERE type = 'table' AND "
				    "rootpage > 0 AND name NOT LIKE 'sqlite_%'",
				    -1, &s, NULL);
	bool ok = rc == SQLITE_OK;
	while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(s, 0);
		/* One end a query: min() and max() together would scan the table. */
		for (int end = 0; end < 2 && ok; end++) {
			char *sql =
			    sqlite3_mprintf("SELECT rowid FROM \"%w\" ORDER BY rowid %s "
					    "LIMIT 1",
					    name ? (const char *)name : "", end ? "DESC" : "ASC");
			sqlite3_stmt *q = NULL;
			int qrc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
			if (qrc == SQLITE_OK)
				qrc = sqlite3_step(q);
			if (qrc != SQLITE_ROW && qrc != SQLITE_DONE) {
				snprintf(why, n, "table %s: %s", name ? (const char *)name : "?",
					 sqlite3_errmsg(db));
				ok = false;
			}
			sqlite3_finalize(q);
			sqlite3_free(sql);
		}
	}
	if (ok && rc != SQLITE_DONE) {
		str_copy(why, sqlite3_errmsg(db), n);
		ok = false;
	}
	if (!ok && !why[0])
		str_copy(why, sqlite3_errmsg(db), n);
	sqlite3_finalize(s);
	return ok;
}

kstatus journal_check_after_open(struct sqlite3 *db, const char *path, struct kerr *err)
{
	if (is_special(path))
		return K_OK;
	char why[256] = "";
	if (!probe_tables(db, why, sizeof why))
		return kerr_set(err, K_DB, "journal",
				_("journal %s is damaged (%s); nothing was written to it. Run "
				  "`kassa journal check` and restore the newest backup (see "
				  "kassa(1), RESTORING THE JOURNAL)"),
				path, why);
	struct stat sb;
	if (stat(path, &sb) == 0 && sb.st_size > JOURNAL_QUICK_CHECK_BYTES)
		return K_OK;
	long long deadline = mono_ms() + JOURNAL_QUICK_CHECK_MS;
	sqlite3_progress_handler(db, 1000, on_progress, &deadline);
	sqlite3_stmt *s = NULL;
	char first[256] = "";
	int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(s, 0);
			str_copy(first, t ? (const char *)t : "", sizeof first);
		}
	}
	sqlite3_finalize(s);
	sqlite3_progress_handler(db, 0, NULL, NULL);
	int base = rc & 0xff;
	/* Out of time: a very large journal is checked in full by `kassa journal check`. */
	if (base != SQLITE_INTERRUPT && !(rc == SQLITE_ROW && strcmp(first, "ok") == 0)) {
		static const char head[] = "*** in database main ***\n";
		if (strncmp(first, head, sizeof head - 1) == 0)
			memmove(first, first + sizeof head - 1,
				strlen(first + sizeof head - 1) + 1);
		for (char *p = first; *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (!first[0])
			str_copy(first, sqlite3_errstr(rc), sizeof first);
		return kerr_set(err, K_DB, "journal",
				_("journal %s is damaged (%s); nothing was written to it. Run "
				  "`kassa journal check` and restore the newest backup (see "
				  "kassa(1), RESTORING THE JOURNAL)"),
				path, first);
	}
	return K_OK;
}

void journal_check_mark(const char *path)
{
	if (is_special(path))
		return;
	char marker[CHECK_PATH_MAX];
	if (with_suffix(marker, sizeof marker, path, ".marker") && access(marker, F_OK) != 0) {
		int fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			static const char text[] =
			    "kassa keeps a journal next to this file; if the journal is missing "
			    "or empty, restore a backup (kassa(1), RESTORING THE JOURNAL).\n";
			if (write(fd, text, sizeof text - 1) < 0) {
				/* The marker's text is for people; its existence is what counts. */
			}
			close(fd);
		}
	}
}

kstatus journal_check_file(const char *path, journal_check_line_fn on_line, void *cls,
			   struct kerr *err)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return kerr_set(err, K_DB, "journal", _("journal %s: %s"), path, strerror(errno));
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
		return kerr_set(err, K_DB, "journal", _("journal %s is empty or not a file"), path);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		kstatus st = kerr_set(err, K_DB, "journal", _("journal %s: %s"), path,
				      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return st;
	}
	int problems = 0;
	static const char *const checks[] = {"PRAGMA integrity_check(100)",
					     "PRAGMA foreign_key_check"};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		sqlite3_stmt *s = NULL;
		rc = sqlite3_prepare_v2(db, checks[i], -1, &s, NULL);
		while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
			char line[512];
			if (i == 0) {
				const unsigned char *t = sqlite3_column_text(s, 0);
				if (t && strcmp((const char *)t, "ok") == 0)
					continue;
				/* One row may hold several findings, one a line. */
				const char *p = t ? (const char *)t : "?";
				while (*p) {
					size_t len = strcspn(p, "\n");
					snprintf(line, sizeof line, "%.*s", (int)len, p);
					if (strncmp(line, "*** ", 4) != 0) {
						problems++;
						if (on_line)
							on_line(cls, line);
					}
					p += len;
					if (*p)
						p++;
				}
				continue;
			} else {
				const unsigned char *t = sqlite3_column_text(s, 0);
				snprintf(line, sizeof line, "foreign key: table %s row %lld",
					 t ? (const char *)t : "?",
					 (long long)sqlite3_column_int64(s, 1));
			}
			problems++;
			if (on_line)
				on_line(cls, line);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			problems++;
			if (on_line)
				on_line(cls, sqlite3_errmsg(db));
			sqlite3_finalize(s);
			break;
		}
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
	if (problems)
		return kerr_set(err, K_DB, "journal",
				_("journal %s is damaged (%d problem(s)); restore the newest "
				  "backup (see kassa(1), RESTORING THE JOURNAL)"),
				path, problems);
	return K_OK;
}

kstatus journal_backup_db(struct sqlite3 *db, const char *dest, struct kerr *err)
{
	char tmp[CHECK_PATH_MAX];
	if (!with_suffix(tmp, sizeof tmp, dest, ".part"))
		return kerr_set(err, K_INVALID, "backup", _("backup path too long: %s"), dest);
	struct stat sb;
	if (lstat(dest, &sb) == 0)
		return kerr_set(err, K_EXISTS, "backup",
				_("%s already exists; give a new file name (a backup never "
				  "overwrites)"),
				dest);
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return kerr_set(err, K_IO, "backup", _("cannot create %s: %s"), tmp,
				strerror(errno));
	close(fd);
	sqlite3 *out = NULL;
	int rc = sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_backup *b = sqlite3_backup_init(out, "main", db, "main");
		if (!b) {
			rc = sqlite3_errcode(out);
		} else {
			/* All pages at once: the source is a local file; retry while busy. */
			for (int tries = 0; tries < 50; tries++) {
				rc = sqlite3_backup_step(b, -1);
				if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
					break;
				sqlite3_sleep(100);
			}
			sqlite3_backup_finish(b);
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
	}
	const char *why = rc == SQLITE_OK ? "" : out ? sqlite3_errmsg(out) : sqlite3_errstr(rc);
	char reason[256];
	str_copy(reason, why, sizeof reason);
	int crc = sqlite3_close(out);
	if (rc == SQLITE_OK && crc != SQLITE_OK) {
		rc = crc;
		str_copy(reason, sqlite3_errstr(crc), sizeof reason);
	}
	if (rc != SQLITE_OK) {
		unlink(tmp);
		return kerr_set(err, K_IO, "backup", _("backup to %s failed: %s"), dest, reason);
	}
	if (rename(tmp, dest) != 0) {
		int e = errno;
		unlink(tmp);
		return kerr_set(err, K_IO, "backup", _("backup to %s failed: %s"), dest,
				strerror(e));
	}
	return K_OK;
}

kstatus journal_backup_file(const char *src, const char *dest, struct kerr *err)
{
	struct stat sb;
	if (stat(src, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0)
		return kerr_set(err, K_DB, "journal", _("journal %s is missing or empty"), src);
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(src, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		kstatus st = kerr_set(err, K_DB, "journal", _("journal %s: %s"), src,
				      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return st;
	}
	sqlite3_busy_timeout(db, 2000);
	kstatus st = journal_backup_db(db, dest, err);
	sqlite3_close(db);
	return st;
}

int journal_backup_keep(void)
{
	const char *v = getenv("KASSA_JOURNAL_BACKUPS");
	if (!v || !*v)
		return JOURNAL_BACKUP_KEEP;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (*end || n < 0 || n > 10000)
		return JOURNAL_BACKUP_KEEP;
	return (int)n;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Removes the oldest "<stem>-*.db" in dir beyond keep (names sort by time). */
static void prune(const char *dir, const char *stem, int keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0;
	size_t sl = strlen(stem);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len > sl + 4 && strncmp(de->d_name, stem, sl) == 0 && de->d_name[sl] == '-' &&
		    strcmp(de->d_name + len - 3, ".db") == 0) {
			names = xrealloc(names, (n + 1) * sizeof *names);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	for (size_t i = 0; i + (size_t)keep < n; i++) {
		char f[CHECK_PATH_MAX];
		if (snprintf(f, sizeof f, "%s/%s", dir, names[i]) < (int)sizeof f)
			unlink(f);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

kstatus journal_backup_rotate(struct sqlite3 *db, const char *path, char *made, size_t made_n,
			      struct kerr *err)
{
	if (made && made_n)
		made[0] = '\0';
	int keep = journal_backup_keep();
	if (keep == 0 || is_special(path))
		return K_OK;
	char dir[CHECK_PATH_MAX], bdir[CHECK_PATH_MAX], stem[256], dest[CHECK_PATH_MAX];
	dir_of(path, dir, sizeof dir);
	if (snprintf(bdir, sizeof bdir, "%s/%s", dir, JOURNAL_BACKUP_DIR) >= (int)sizeof bdir)
		return kerr_set(err, K_INVALID, "backup", _("backup path too long: %s"), dir);
	if (mkdir(bdir, 0700) != 0 && errno != EEXIST)
		return kerr_set(err, K_IO, "backup", _("cannot create folder %s: %s"), bdir,
				strerror(errno));
	const char *slash = strrchr(path, '/');
	str_copy(stem, slash ? slash + 1 : path, sizeof stem);
	size_t sl = strlen(stem);
	if (sl > 3 && strcmp(stem + sl - 3, ".db") == 0)
		stem[sl - 3] = '\0';
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y%m%d-%H%M%S", &tm);
	kstatus st = K_EXISTS;
	for (int i = 0; i < 100 && st == K_EXISTS; i++) {
		int len =
		    i == 0 ? snprintf(dest, sizeof dest, "%s/%s-%s.db", bdir, stem, when)
			   : snprintf(dest, sizeof dest, "%s/%s-%s-%02d.db", bdir, stem, when, i);
		if (len < 0 || (size_t)len >= sizeof dest)
			return kerr_set(err, K_INVALID, "backup", _("backup path too long: %s"),
					bdir);
		st = journal_backup_db(db, dest, err);
	}
	if (st != K_OK)
		return st;
	prune(bdir, stem, keep);
	if (made && made_n)
		str_copy(made, dest, made_n);
	return K_OK;
}
