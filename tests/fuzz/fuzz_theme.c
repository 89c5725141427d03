/*
 * libFuzzer target for theme files (tui/theme.c, no curses needed):
 * theme_load_file on the input written to a private temporary file, and
 * theme_parse_style on its first line. Properties: a refused file leaves the
 * theme as it was; accepted styles hold colours -1..255 and known attributes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kfuzz.h"
#include "theme.h"

#define KNOWN_ATTRS                                                                                \
	(THEME_BOLD | THEME_REVERSE | THEME_UNDERLINE | THEME_DIM | THEME_STANDOUT | THEME_ITALIC)

static void check_style(const struct theme_style *s, const char *what)
{
	KFZ_CHECK(s->fg >= -1 && s->fg <= 255 && s->bg >= -1 && s->bg <= 255, "%s: colours %d,%d",
		  what, s->fg, s->bg);
	KFZ_CHECK((s->attrs & ~(unsigned)KNOWN_ATTRS) == 0, "%s: attrs %#x", what, s->attrs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *line = kfz_str(data, nl ? (size_t)(nl - data) : size);
	struct theme_style st;
	struct kerr err = {0};
	if (theme_parse_style(line, &st, &err) == K_OK)
		check_style(&st, "style");
	else
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
	free(line);

	char *text = kfz_bytes(data, size);
	const char *path = kfz_file(text, size);
	free(text);
	struct theme t, before;
	theme_defaults(&t);
	before = t;
	memset(&err, 0, sizeof err);
	if (theme_load_file(&t, path, &err) == K_OK) {
		for (int r = 0; r < UI_ROLE_COUNT; r++)
			check_style(&t.styles[r], theme_role_key((enum ui_role)r));
	} else {
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
		KFZ_CHECK(memcmp(&t, &before, sizeof t) == 0, "a refused theme changed the theme");
	}
	return 0;
}
