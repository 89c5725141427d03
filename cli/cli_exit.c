/* The exit status for a failure from lib/ (see cli.h); alone so unit tests link it. */
#include <string.h>

#include "cli.h"

int cli_exit_for(kstatus st, const struct kerr *e, int fallback)
{
	/* Issue 11: a full disk exited 2 and a read-only -shm 3; every journal failure is 4. */
	if (st == K_DB || st == K_BUSY)
		return CLI_JOURNAL;
	if (e && strncmp(e->field, "journal", 7) == 0)
		return CLI_JOURNAL;
	return fallback;
}
