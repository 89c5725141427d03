/* kassa settle ORDER (cli/cli_settle.c). */
#ifndef KASSA_CLI_SETTLE_H
#define KASSA_CLI_SETTLE_H

int cli_settle(int argc, char **argv);

#endif
