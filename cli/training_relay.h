/*
 * Training on the real path behind NAT: with KASSA_TRAINING_RELAY=1 training
 * runs a kassa-relay inside kassa (relay/'s core on kassa's own loop, SQLite
 * in the data folder, training-relay.db), and the training profile gets its
 * relay_url and a fresh relay_token. The sandbox then calls the relay back as
 * LifePay would, and kassa pulls from it exactly as a shop's till pulls from
 * a relay on the internet (lib/relay_client.c): no listener is opened.
 */
#ifndef KASSA_TRAINING_RELAY_H
#define KASSA_TRAINING_RELAY_H

#include <stdbool.h>

#include "loop.h"
#include "status.h"
#include "training.h"

/* True when KASSA_TRAINING_RELAY asks for the embedded relay ("1", "yes", "on"). */
bool training_relay_wanted(void);
/* training_start(), then the embedded relay when wanted; on failure nothing
 * stays started and err says why (naming the relay). */
kstatus training_relay_start(struct loop *l, struct training *t, struct kerr *err);
/* Stops the embedded relay (if any), then training_stop(). */
void training_relay_stop(struct training *t);

#endif
