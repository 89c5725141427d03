#include "config_ini.h"

#include <stdbool.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || c == '\n';
}

static char *rstrip(char *s)
{
	char *p = s + strlen(s);
	while (p > s && is_space(p[-1]))
		*--p = '\0';
	return s;
}

static char *lskip(char *s)
{
	while (*s && is_space(*s))
		s++;
	return s;
}

/* The first of chars in s, or an inline ';' comment after white space, or the end. */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;
	while (*s && (!chars || !strchr(chars, *s)) && !(was_space && *s == ';')) {
		was_space = is_space(*s);
		s++;
	}
	return s;
}

int config_ini_parse(char *text, size_t len, const char *path, config_ini_handler handler,
		     void *user, struct kerr *err)
{
	text[len] = '\0';
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		int line = 1;
		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		kerr_set(err, K_INVALID, "config",
			 _("%s:%d: holds a NUL byte, so it is not a text file; open it in a text "
			   "editor and remove it (or write the file again)"),
			 path, line);
		return -1;
	}
	char section[CONFIG_INI_LINE_MAX] = "";
	char prev_name[CONFIG_INI_LINE_MAX] = "";
	int first_error = 0;
	int lineno = 0;
	char *p = text;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (*p) {
		lineno++;
		char *line = p;
		char *nl = strchr(p, '\n');
		if (nl) {
			*nl = '\0';
			p = nl + 1;
		} else {
			p += strlen(p);
		}
		if (strlen(line) > CONFIG_INI_LINE_MAX) {
			kerr_set(err, K_INVALID, "config",
				 _("%s:%d: line is longer than %d characters; shorten it"), path,
				 lineno, CONFIG_INI_LINE_MAX);
			return -1;
		}
		char *start = lskip(rstrip(line));
		if (*start == ';' || *start == '#')
			continue;
		if (*prev_name && *start && start > line) {
			/* An indented line continues the previous value (libinih's multiline). */
			char *end = find_chars_or_comment(start, NULL);
			*end = '\0';
			rstrip(start);
			if (!handler(user, lineno, section, prev_name, start) && !first_error)
				first_error = lineno;
			continue;
		}
		if (*start == '[') {
			char *end = find_chars_or_comment(start + 1, "]");
			if (*end == ']') {
				*end = '\0';
				str_copy(section, start + 1, sizeof section);
				prev_name[0] = '\0';
				if (!handler(user, lineno, section, NULL, NULL) && !first_error)
					first_error = lineno;
			} else if (!first_error) {
				first_error = lineno;
			}
			continue;
		}
		if (!*start)
			continue;
		char *end = find_chars_or_comment(start, "=:");
		if (*end == '=' || *end == ':') {
			*end = '\0';
			char *name = rstrip(start);
			char *value = lskip(end + 1);
			char *c = find_chars_or_comment(value, NULL);
			*c = '\0';
			rstrip(value);
			str_copy(prev_name, name, sizeof prev_name);
			if (!handler(user, lineno, section, name, value) && !first_error)
				first_error = lineno;
		} else if (!first_error) {
			first_error = lineno;
		}
	}
	return first_error;
}
