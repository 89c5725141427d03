/* What the provider's 24-hour shift rule means to the cashier (tui/shift_rule.h). */
#include "shift_rule.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

bool shift_rule_explain(int code, const char *text, char *buf, size_t n)
{
	(void)code;
	if (!text || !(strstr(text, "24 час") || strstr(text, "24 hour")))
		return false;
	snprintf(buf, n, "%s",
		 _("The shift has been open for more than 24 hours, and the law (54-FZ) allows "
		   "no longer: the provider refuses every receipt until it is closed. F8: make "
		   "a Z-report (3), open a new shift (1), then sell again; the refused receipt "
		   "was not fiscalized, so send it again as a new one."));
	return true;
}
