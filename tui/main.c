/* The kassa executable: locale and translations, then the command line. */
#include <locale.h>
#include <string.h>
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

int main(int argc, char **argv)
{
	/* Translations from the build tree when run uninstalled, else LOCALEDIR. */
	app_i18n_init();
	/*
	 * No command (or only the screen's options): the cashier's screen. A bare
	 * `kassa` without a terminal (a pipe, a script) prints the usage instead.
	 */
	if (argc < 2 && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		return cli_main(argc, argv);
	if (argc < 2 || is_screen_option(argv[1]))
		return engine_main(argc, argv);
	return cli_main(argc, argv);
}
