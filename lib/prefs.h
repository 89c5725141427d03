/*
 * Preferences kept outside config.ini, in the data directory: the training
 * profile has no section to write to, so the theme chosen in training is
 * kept in "<data dir>/training-theme" (one line, the theme's name). And the
 * rule for a printer's serial (target_serial) as a person types it.
 */
#ifndef KASSA_PREFS_H
#define KASSA_PREFS_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

/* The longest serial: the register's serial number (FFD tag 1013) has up to 20 characters. */
#define PREFS_SERIAL_MAX 20

/* The theme kept for training into buf; false when none is kept (or it is unreadable). */
bool prefs_training_theme_load(char *buf, size_t n);
/* Keeps name as the training theme (written to a temporary file, then renamed). */
kstatus prefs_training_theme_save(const char *name, struct kerr *err);
/*
 * Checks a printer serial typed by a person: 1-20 characters, Latin letters,
 * digits, '-', '_' or '.'. err->field is field; the text says what to fix.
 */
kstatus prefs_serial_check(const char *serial, const char *field, struct kerr *err);

#endif
