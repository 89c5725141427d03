#include "prefs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "i18n.h"
#include "util.h"

static bool theme_name_ok(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len >= max)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return false;
	return true;
}

static kstatus theme_path(char *buf, size_t n, bool create, struct kerr *err)
{
	char dir[CONFIG_PATH_MAX];
	kstatus st = config_data_dir(dir, sizeof dir, create, err);
	if (st != K_OK)
		return st;
	if (snprintf(buf, n, "%s/training-theme", dir) >= (int)n)
		return kerr_set(err, K_INVALID, "training-theme", "%s", _("the path is too long"));
	return K_OK;
}

bool prefs_training_theme_load(char *buf, size_t n)
{
	char path[CONFIG_PATH_MAX + 32];
	if (theme_path(path, sizeof path, false, NULL) != K_OK)
		return false;
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	char line[128];
	bool ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	if (!ok)
		return false;
	char *s = str_trim(line);
	if (!theme_name_ok(s, n))
		return false;
	str_copy(buf, s, n);
	return true;
}

kstatus prefs_training_theme_save(const char *name, struct kerr *err)
{
	if (!name || !theme_name_ok(name, 64))
		return kerr_set(err, K_INVALID, "theme", "%s",
				_("a theme name is letters, digits, '.', '_' and '-'"));
	char path[CONFIG_PATH_MAX + 32], tmp[CONFIG_PATH_MAX + 48];
	kstatus st = theme_path(path, sizeof path, true, err);
	if (st != K_OK)
		return st;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return kerr_set(err, K_IO, "theme", _("%s cannot be written: %s"), tmp,
				strerror(errno));
	bool ok = fprintf(f, "%s\n", name) > 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		remove(tmp);
		return kerr_set(err, K_IO, "theme", _("%s cannot be written: %s"), path,
				strerror(e));
	}
	return K_OK;
}

kstatus prefs_serial_check(const char *serial, const char *field, struct kerr *err)
{
	const char *s = serial ? serial : "";
	if (!*s)
		return kerr_set(
		    err, K_INVALID, field, "%s",
		    _("is empty; type the cash register's serial number (target_serial), "
		      "as the provider's cabinet shows it"));
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
		if (!ok) {
			if (*p == ' ')
				return kerr_set(
				    err, K_INVALID, field, "%s",
				    _("has a space; a serial is one word: A-Z, 0-9, - _ ."));
			return kerr_set(err, K_INVALID, field, "%s",
					_("only Latin letters, digits, - _ . as in the cabinet"));
		}
	}
	if (chars > PREFS_SERIAL_MAX)
		return kerr_set(err, K_INVALID, field,
				_("is %zu characters; a serial has at most %d"), chars,
				PREFS_SERIAL_MAX);
	return K_OK;
}
