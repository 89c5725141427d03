/*
 * `kassa outbox`: the health of the callback listener run by the kassa that
 * sends from this journal (the screen, or a sending command), read from the
 * file that listener keeps beside the journal.
 */
#ifndef KASSA_CLI_LISTENER_H
#define KASSA_CLI_LISTENER_H

#include <stdbool.h>

/* Prints one line about the listener of journal_path; false when it is
 * running but not serving (degraded, failed or not answering). */
bool cli_listener_print_health(const char *journal_path);

#endif
