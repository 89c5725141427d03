/*
 * The command line and kassa-relay (docs/RELAY.md): a command that shows or
 * waits for a status pulls what the relay holds first, so a receipt sent by
 * a command that has since exited still gets its final status; a sending
 * command without a relay sends no callback_url (its listener would end
 * with it) and says how the status will be known.
 */
#ifndef KASSA_CLI_RELAY_H
#define KASSA_CLI_RELAY_H

#include <stdbool.h>

#include "config.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "relay_client.h"

/* Seconds a command waits for the relay before it shows what the journal has. */
#define CLI_RELAY_PULL_TIMEOUT_S 15

/*
 * True when a sending command of profile p runs its own callback listener:
 * only in training (the sandbox ends with the command too) or with a
 * public_url (an address a later kassa with the same token serves). With a
 * relay, callbacks go there instead.
 */
bool cli_relay_wants_listener(const struct config_profile *p);
/*
 * False when a command of profile p could wait for a final status in vain:
 * LifePay without a relay and without a listener (no callback can reach
 * it). PayKeeper receipts are polled, so they can always be waited for.
 */
bool cli_relay_can_wait(const struct config_profile *p);
/* Says on stderr how the status will be known when p has neither a relay nor a listener. */
void cli_relay_note(const char *cmd, const struct config_profile *p);
/*
 * Pulls everything the relay holds for p into j before a command shows a
 * status (`status`, `journal`, `outbox`), then returns. Nothing to do without
 * a relay. When another kassa sends from the journal (the screen), it pulls
 * itself: skipped. A relay that cannot be reached is said on stderr; the
 * command goes on with what the journal has. Returns how many callbacks
 * it applied, -1 when it did not pull (no relay, skipped or failed).
 */
long cli_relay_pull(const char *cmd, struct journal *j, const struct config_profile *p,
		    bool verbose);

#endif
