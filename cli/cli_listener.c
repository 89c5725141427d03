#include "cli_listener.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>

#include "i18n.h"
#include "listener.h"
#include "outbox.h"

/* The listener refreshes its file every 2 s: older than this, it is stuck. */
#define CLI_LISTENER_STALE_MS 10000

static bool pid_alive(long pid)
{
	return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

bool cli_listener_print_health(const char *journal_path)
{
	char path[4096];
	struct listener_health h;
	long long age = 0;
	long pid = 0;
	struct kerr e = {0};
	kstatus st = K_NOTFOUND;
	if (outbox_health_path(journal_path, path, sizeof path))
		st = listener_health_load(path, &h, &age, &pid, &e);
	if (st == K_NOTFOUND || (st == K_OK && !pid_alive(pid))) {
		printf("%s\n", _("callback listener: none runs for this journal (it runs while "
				 "the screen or a sending command is open)"));
		return true;
	}
	if (st != K_OK) {
		printf(_("callback listener: its state is unknown: %s\n"), e.text);
		return false;
	}
	if (age > CLI_LISTENER_STALE_MS) {
		printf(_("callback listener: kassa (pid %ld) last reported %lld s ago: it may be "
			 "stuck\n"),
		       pid, age / 1000);
		return false;
	}
	switch (h.status) {
	case LISTENER_LISTENING:
		printf(_("callback listener: serving on port %u, %u connection(s) open (kassa "
			 "pid %ld)\n"),
		       h.port, h.connections, pid);
		return true;
	case LISTENER_DEGRADED:
		printf(_("callback listener: DEGRADED on port %u (kassa pid %ld): %s\n"), h.port,
		       pid, h.reason);
		return false;
	case LISTENER_FAILED:
		printf(_("callback listener: FAILED (kassa pid %ld): %s\n"), pid, h.reason);
		return false;
	case LISTENER_OFF:
		break;
	}
	printf("%s\n", _("callback listener: off"));
	return true;
}
