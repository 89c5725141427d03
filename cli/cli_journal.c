/*
 * kassa journal check | backup PATH: the journal's health and its copies
 * (lib/journal_check.c). Both work on the file directly, without opening it
 * as a journal, so a damaged journal can still be examined and copied.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_engine.h"
#include "journal_check.h"

static void on_check_line(void *cls, const char *line)
{
	(void)cls;
	printf("  %s\n", line);
}

static int journal_check_cmd(const char *cmd, const char *path)
{
	struct kerr e = {0};
	printf(_("checking %s (integrity_check, foreign_key_check)...\n"), path);
	kstatus st = journal_check_file(path, on_check_line, NULL, &e);
	if (st != K_OK)
		return cli_error(cmd, CLI_JOURNAL, "%s", e.text);
	printf(_("OK: journal %s is sound\n"), path);
	return CLI_OK;
}

static int journal_backup_cmd(const char *cmd, const char *path, const char *dest)
{
	struct kerr e = {0};
	kstatus st = journal_backup_file(path, dest, &e);
	if (st == K_EXISTS || st == K_INVALID)
		return cli_error(cmd, CLI_USAGE, "%s", e.text);
	if (st != K_OK)
		return cli_error(cmd, CLI_JOURNAL, "%s", e.text);
	printf(_("journal %s backed up to %s\n"), path, dest);
	return CLI_OK;
}

int cli_journal_tool(const char *cmd, const char *path, int npos, const char *const *pos)
{
	if (strcmp(pos[0], "check") == 0) {
		if (npos != 1)
			return cli_error(cmd, CLI_USAGE, _("unexpected argument '%s'"), pos[1]);
		return journal_check_cmd(cmd, path);
	}
	if (strcmp(pos[0], "backup") == 0) {
		if (npos != 2)
			return cli_error(cmd, CLI_USAGE, "%s",
					 _("give the backup's PATH: kassa journal backup PATH"));
		return journal_backup_cmd(cmd, path, pos[1]);
	}
	return cli_error(cmd, CLI_USAGE,
			 _("unknown action '%s': kassa journal takes check or backup PATH"),
			 pos[0]);
}
