/*
 * The screen and kassa-relay: with relay_url and relay_token in the profile,
 * the engine pulls callbacks from the relay on the app's loop (instead of
 * its own listener; started with the outbox, lib/startup.c) and the status bar's listener segment
 * shows the relay's state ("relay connected", "relay reconnecting since 14:02:11").
 */
#ifndef KASSA_ENGINE_RELAY_H
#define KASSA_ENGINE_RELAY_H

#include "app.h"
#include "engine.h"

/* Puts the relay's state into the status bar's listener segment; false without a relay. */
bool engine_relay_status(struct engine *e, struct app_status *s);

#endif
