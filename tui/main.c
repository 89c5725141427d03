/* The kassa executable: locale and translations, then the command line. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"
#include "cli.h"
#include "engine.h"
#include "i18n.h"

/* Options that belong to the cashier's screen rather than to a subcommand. */
static bool is_screen_option(const char *a)
{
	static const char *const opts[] = {"--profile", "--training", "--theme",
					   "--keys",	"--no-color", "--no-colour"};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		size_t n = strlen(opts[i]);
		if (strncmp(a, opts[i], n) == 0 && (a[n] == '\0' || a[n] == '='))
			return true;
	}
	return false;
}

/*
 * A core dump of kassa would hold the profile's apikey or password and the
 * callback token: no dumps (and no ptrace by other processes of the user)
 * unless KASSA_DEBUG_CORE=1 asks for them while debugging.
 */
static void no_core_dumps(void)
{
	const char *dbg = getenv("KASSA_DEBUG_CORE");
	if (dbg && strcmp(dbg, "1") == 0)
		return;
	struct rlimit none = {0, 0};
	setrlimit(RLIMIT_CORE, &none);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char **argv)
{
	no_core_dumps();
	/* Translations from the build tree when run uninstalled, else LOCALEDIR. */
	app_i18n_init();
	/*
	 * No command (or only the screen's options): the cashier's screen. A bare
	 * `kassa` without a terminal (a pipe, a script) prints the usage instead.
	 */
	if (argc < 2 && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		return cli_main(argc, argv);
	/* `kassa --profile shop receipt F` is `kassa receipt --profile shop F`. */
	cli_hoist_command(argc, argv);
	if (argc < 2 || is_screen_option(argv[1]))
		return engine_main(argc, argv);
	return cli_main(argc, argv);
}
