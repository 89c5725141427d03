/*
 * The INI reader behind config_load(): libinih's rules (";" and "#" comment
 * lines, "key = value" or "key: value", an inline comment starting with ";"
 * after white space, indented continuation lines, a UTF-8 byte order mark),
 * on a buffer read at once, with the line number passed to the handler and
 * lines up to CONFIG_INI_LINE_MAX bytes (a 255-character secret fits).
 * The buffer is parsed in place (it is changed), so the caller can wipe the
 * one copy of the secrets afterwards.
 */
#ifndef KASSA_CONFIG_INI_H
#define KASSA_CONFIG_INI_H

#include <stddef.h>

#include "status.h"

#define CONFIG_INI_LINE_MAX 1200

/*
 * Called for each section header (name and value NULL) and each value.
 * Returns nonzero to go on.
 */
typedef int (*config_ini_handler)(void *user, int line, const char *section, const char *name,
				  const char *value);

/*
 * Parses text[0..len) (text[len] must be writable). Returns 0, the first bad
 * line's number (not "key = value" nor a header), or -1 with err filled for
 * a NUL byte or an overlong line (naming the line; path is for the message).
 */
int config_ini_parse(char *text, size_t len, const char *path, config_ini_handler handler,
		     void *user, struct kerr *err);

#endif
