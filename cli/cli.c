#include "cli.h"
#include "cli_bill.h"
#include "cli_engine.h"
#include "cli_settle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

static int cli_help(int argc, char **argv);

/*
 * Every subcommand, in the order `kassa --help` lists them. Add new ones
 * here (issue 4 adds open-shift, z-report, send ...).
 */
const struct cli_command cli_commands[] = {
    {"receipt", cli_receipt, N_("FILE [--kind KIND] [--wait]"),
     N_("send a receipt written as a LifePay request (FILE or - for stdin); --kind "
	"receipt, non-fiscal or correction; --dry-run checks it and prints what would be "
	"sent")},
    CLI_ENGINE_COMMANDS,
    {"bill", cli_bill,
     N_("create FILE --phone P|--email E | status BILL | cancel BILL | refund BILL | list"),
     N_("a pay-by-link bill (LIFE PAY) for a receipt's total; its receipt is sent when paid")},
    {"settle", cli_settle, N_("ORDER [--card X|#] [--cash Y|#] [--wait]"),
     N_("settle a prepaid order (#id, ext_id or buyer's contact): the final receipt")},
    {"help", cli_help, N_("[COMMAND]"), N_("show this help, or one command's")},
    {NULL, NULL, NULL, NULL},
};

static const struct cli_command *find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

bool cli_is_command(const char *name)
{
	return name && find_command(name) != NULL;
}

/* How many argv words a leading global option takes (0: not one of them). */
static int global_option_words(const char *a)
{
	static const char *const with_value[] = {"--profile", "--theme", "--keys"};
	static const char *const flags[] = {"--training", "-v", "--verbose", "--no-color",
					    "--no-colour"};
	for (size_t i = 0; i < sizeof with_value / sizeof with_value[0]; i++) {
		size_t n = strlen(with_value[i]);
		if (strncmp(a, with_value[i], n) == 0)
			return a[n] == '\0' ? 2 : a[n] == '=' ? 1 : 0;
	}
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strcmp(a, flags[i]) == 0)
			return 1;
	return 0;
}

void cli_hoist_command(int argc, char **argv)
{
	int i = 1;
	while (i < argc) {
		int w = global_option_words(argv[i]);
		if (w == 0)
			break;
		i += w;
	}
	if (i == 1 || i >= argc || !cli_is_command(argv[i]))
		return;
	/* argv[1..i-1] are the options, argv[i] the command: rotate it to the front. */
	char *cmd = argv[i];
	memmove(&argv[2], &argv[1], (size_t)(i - 1) * sizeof argv[0]);
	argv[1] = cmd;
}

int cli_error(const char *name, int status, const char *fmt, ...)
{
	va_list ap;
	fputs("kassa", stderr);
	if (name && name[0])
		fprintf(stderr, " %s", name);
	fputs(": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

void cli_command_usage(const struct cli_command *c, FILE *out)
{
	fprintf(out, _("Usage: kassa %s %s\n"), c->name, _(c->args));
	fprintf(out, "%s\n", _(c->help));
}

void cli_usage(FILE *out)
{
	fprintf(out, "%s",
		_("Usage: kassa [COMMAND [ARGUMENTS]]\n"
		  "       kassa --help | --version\n"
		  "\n"
		  "kassa is a keyboard-first cashier for Russian cloud fiscal receipts "
		  "(54-FZ).\n"
		  "Without a command it will start the cashier's screen.\n"
		  "\n"
		  "Commands:\n"));
	for (const struct cli_command *c = cli_commands; c->name; c++) {
		char head[128];
		snprintf(head, sizeof head, "%s %s", c->name, _(c->args));
		fprintf(out, "  %-42s %s\n", head, _(c->help));
	}
	fprintf(out, "%s",
		_("\n"
		  "Options (before or after the command):\n"
		  "  --profile NAME   use [profile.NAME] of ~/.config/kassa/config.ini\n"
		  "  --training       the built-in training sandbox and journal\n"
		  "  -v, --verbose    log delivery events on stderr (commands)\n"
		  "  --theme NAME     the screen's colours: default, dark, high-contrast, mono\n"
		  "  --no-color       no colours on the screen\n"
		  "  --keys FILE      key bindings for the screen (bind SCREEN KEY ACTION)\n"));
	fprintf(out, "%s",
		_("\n"
		  "Exit status:\n"
		  "  0  done\n"
		  "  1  the provider refused the document, or delivery failed\n"
		  "  2  bad input or usage (the message names the field)\n"
		  "  3  configuration error\n"
		  "  4  journal error\n"));
}

static int cli_help(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_usage(stdout);
		return CLI_OK;
	}
	const struct cli_command *c = find_command(argv[1]);
	if (!c)
		return cli_error("help", CLI_USAGE, _("there is no command '%s'; see kassa --help"),
				 argv[1]);
	if (c->run == cli_receipt) {
		/* the whole story: the sending form, --kind, the dry run */
		char *args[] = {(char *)c->name, (char *)"--help", NULL};
		return cli_receipt(2, args);
	}
	cli_command_usage(c, stdout);
	return CLI_OK;
}

int cli_main(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage(stdout);
		return CLI_OK;
	}
	const char *arg = argv[1];
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		cli_usage(stdout);
		return CLI_OK;
	}
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("kassa %s\n", KASSA_VERSION);
		return CLI_OK;
	}
	if (arg[0] == '-')
		return cli_error(NULL, CLI_USAGE, _("unknown option '%s'; see kassa --help"), arg);
	const struct cli_command *c = find_command(arg);
	if (!c)
		return cli_error(NULL, CLI_USAGE, _("there is no command '%s'; see kassa --help"),
				 arg);
	return c->run(argc - 1, argv + 1);
}

char *cli_read_input(const char *cmd, const char *path, size_t max, size_t *len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	const char *shown = is_stdin ? _("standard input") : path;
	if (!f) {
		cli_error(cmd, CLI_USAGE, _("%s: cannot open: %s"), shown, strerror(errno));
		return NULL;
	}
	size_t cap = 8192, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				cli_error(cmd, CLI_USAGE, _("%s: is larger than %zu bytes"), shown,
					  max);
				free(buf);
				buf = NULL;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				cli_error(cmd, CLI_USAGE, _("%s: cannot read: %s"), shown,
					  strerror(errno));
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (buf && n > max) {
		cli_error(cmd, CLI_USAGE, _("%s: is larger than %zu bytes"), shown, max);
		free(buf);
		buf = NULL;
	}
	if (!is_stdin)
		fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}
