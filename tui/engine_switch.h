/*
 * Switching the engine behind the screen to another profile, or restarting
 * it with the same profile's changed settings (test mode, printer), without
 * leaving the screen. The basket stays; documents still in the outbox stay
 * in their journal and are sent when their profile runs again (the outbox
 * never sends another profile's documents).
 */
#ifndef KASSA_ENGINE_SWITCH_H
#define KASSA_ENGINE_SWITCH_H

#include <stdbool.h>

#include "engine.h"

/*
 * Re-reads the config file and runs the engine with profile name (training
 * when training is true). On failure the previous profile is started again
 * and err says why the switch was refused.
 */
kstatus engine_switch_profile(struct engine *e, const char *name, bool training, struct kerr *err);
/*
 * Restarts the engine with p, a changed copy of e->profile (its test mode
 * or printer), keeping the journal and, in training, the sandbox.
 */
kstatus engine_switch_apply(struct engine *e, const struct config_profile *p, struct kerr *err);

#endif
