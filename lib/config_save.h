/*
 * Writing the config back, for the settings screen (switch the default
 * profile, toggle test mode, choose the printer or theme): only the given
 * keys of one section change; comments, blank lines, unknown keys, other
 * sections, line ends (LF or CRLF) and a byte order mark stay as they were,
 * and an inline comment after a changed value is kept. A key that is not in
 * the section is added after the section's last key; a missing section is
 * added at the end.
 *
 * The file is replaced atomically: a temporary file (0600) in the same
 * folder, fsync, rename over the old one, fsync of the folder. A symbolic
 * link is followed, so the link stays. Values are checked so that the file
 * reads back the same (libinih rules: no control characters, no ';' that
 * would start an inline comment, lines within 198 characters); a refused
 * value is never echoed for secret keys.
 */
#ifndef KASSA_CONFIG_SAVE_H
#define KASSA_CONFIG_SAVE_H

#include <stddef.h>

#include "status.h"

/* One change: key = value, or the key removed when value is NULL. */
struct config_change {
	const char *key;
	const char *value;
};

/*
 * Applies changes to [section] of the config at path (NULL = config_path()),
 * creating the file (and its folder, 0700) if needed. K_INVALID for a bad
 * section, key or value (nothing written), K_IO when the file cannot be
 * read or replaced.
 */
kstatus config_save_set(const char *path, const char *section, const struct config_change *changes,
			size_t n, struct kerr *err);
/* config_save_set on [profile.NAME]. */
kstatus config_save_profile(const char *path, const char *profile,
			    const struct config_change *changes, size_t n, struct kerr *err);
/* Sets [kassa] default_profile = profile. */
kstatus config_save_default_profile(const char *path, const char *profile, struct kerr *err);
/*
 * The text config_save_set would write, for tests and a dry run: applies
 * changes to the n bytes of text; returns a malloc'd string or NULL with err.
 */
char *config_save_apply(const char *text, size_t len, const char *section,
			const struct config_change *changes, size_t n, struct kerr *err);

#endif
