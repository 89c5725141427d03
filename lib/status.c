#include "status.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define KSTATUS_TEXT(name, text) text,
static const char *const kstatus_texts[] = {KSTATUS_INFO(KSTATUS_TEXT)};
#undef KSTATUS_TEXT

const char *kstatus_str(kstatus st)
{
	if ((unsigned)st >= K_STATUS_COUNT)
		return "unknown status";
	return kstatus_texts[st];
}

kstatus kerr_set(struct kerr *err, kstatus st, const char *field, const char *fmt, ...)
{
	if (!err)
		return st;
	snprintf(err->field, sizeof err->field, "%s", field ? field : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof err->text, fmt, ap);
	va_end(ap);
	return st;
}

void kerr_clear(struct kerr *err)
{
	if (err)
		memset(err, 0, sizeof *err);
}

const char *kerr_str(const struct kerr *err, char *buf, size_t n)
{
	if (err->field[0])
		snprintf(buf, n, "%s: %s", err->field, err->text);
	else
		snprintf(buf, n, "%s", err->text);
	return buf;
}

void kerr_prefix(struct kerr *err, const char *prefix)
{
	if (!err)
		return;
	char tmp[sizeof err->field * 2];
	if (err->field[0])
		snprintf(tmp, sizeof tmp, "%s.%s", prefix, err->field);
	else
		snprintf(tmp, sizeof tmp, "%s", prefix);
	str_copy(err->field, tmp, sizeof err->field);
}
