/* kassa bill create|status|cancel|list (cli/cli_bill.c). */
#ifndef KASSA_CLI_BILL_H
#define KASSA_CLI_BILL_H

/* The handler of `kassa bill`: argv[0] "bill", argv[1] the subcommand. */
int cli_bill(int argc, char **argv);

#endif
