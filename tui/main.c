/* The kassa executable: locale and translations, then the command line. */
#include <locale.h>

#include "cli.h"
#include "i18n.h"

int main(int argc, char **argv)
{
	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
	textdomain(GETTEXT_PACKAGE);
	/*
	 * With no command kassa will start the cashier's screen (tui/app.c);
	 * until that is wired in, cli_main prints the usage.
	 */
	return cli_main(argc, argv);
}
