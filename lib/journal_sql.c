/* The journal's companion files' statement and transaction helpers: see journal_sql.h. */
#include "journal_sql.h"

#include "i18n.h"

kstatus journal_sql_error(struct journal *j, struct kerr *err, const char *what)
{
	return kerr_set(err, K_DB, "journal", _("journal error (%s): %s"), what,
			sqlite3_errmsg(journal_db(j)));
}

sqlite3_stmt *journal_sql_prepare(struct journal *j, const char *sql, struct kerr *err)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(journal_db(j), sql, -1, &s, NULL) != SQLITE_OK) {
		journal_sql_error(j, err, "prepare");
		sqlite3_finalize(s);
		return NULL;
	}
	return s;
}

kstatus journal_sql_step(struct journal *j, sqlite3_stmt *s, struct kerr *err)
{
	int rc = sqlite3_step(s);
	kstatus st = K_OK;
	if (rc == SQLITE_CONSTRAINT)
		st = kerr_set(err, K_EXISTS, "journal", _("journal error (%s): %s"), "write",
			      sqlite3_errmsg(journal_db(j)));
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		st = journal_sql_error(j, err, "write");
	sqlite3_finalize(s);
	return st;
}

kstatus journal_sql_exec(struct journal *j, const char *sql, struct kerr *err)
{
	char *msg = NULL;
	if (sqlite3_exec(journal_db(j), sql, NULL, NULL, &msg) != SQLITE_OK) {
		kstatus st =
		    kerr_set(err, K_DB, "journal", _("journal error: %s"), msg ? msg : "?");
		sqlite3_free(msg);
		return st;
	}
	return K_OK;
}

kstatus journal_sql_begin(struct journal *j, struct kerr *err)
{
	return journal_sql_exec(j, "BEGIN IMMEDIATE", err);
}

kstatus journal_sql_finish(struct journal *j, kstatus st, struct kerr *err)
{
	if (st == K_OK)
		return journal_sql_exec(j, "COMMIT", err);
	if (!sqlite3_get_autocommit(journal_db(j)))
		journal_sql_exec(j, "ROLLBACK", NULL);
	return st;
}
