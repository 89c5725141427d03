/*
 * PayKeeper FFD 1.2 correction fields (seed, section 8.11 items 4.1-4.3 and
 * table 8.4.2 items 28.1-28.3): one rule set for kassa (before sending) and
 * kassa-sandbox (on receipt), so the two never disagree.
 */
#include "wire/paykeeper.h"

#include <string.h>

#include "document.h"
#include "i18n.h"
#include "util.h"

enum pk_correction_bad paykeeper_correction_check(const char *type, const char *date,
						  const char *number)
{
	if (!type || (strcmp(type, "self") != 0 && strcmp(type, "by_order") != 0))
		return PK_CORR_BAD_TYPE;
	if (!date || !document_date_valid(date))
		return PK_CORR_BAD_DATE;
	if (number && utf8_chars(number) > PAYKEEPER_CORRECTION_NUMBER_MAX)
		return PK_CORR_NUMBER_LONG;
	if (strcmp(type, "by_order") == 0 && (!number || !number[0]))
		return PK_CORR_NUMBER_MISSING;
	return PK_CORR_OK;
}

const char *paykeeper_correction_field(enum pk_correction_bad b)
{
	switch (b) {
	case PK_CORR_BAD_TYPE:
		return "correction_type";
	case PK_CORR_BAD_DATE:
		return "correction_operation_date";
	case PK_CORR_NUMBER_LONG:
	case PK_CORR_NUMBER_MISSING:
		return "correction_document_number";
	default:
		return "";
	}
}

const char *paykeeper_correction_type(const char *initiator)
{
	if (!initiator || !initiator[0] || strcmp(initiator, "independently") == 0)
		return "self";
	if (strcmp(initiator, "directive") == 0)
		return "by_order";
	return initiator; /* refused by paykeeper_correction_check() */
}

kstatus paykeeper_correction_validate(const struct document *d, struct kerr *err)
{
	const char *type = paykeeper_correction_type(d->correction_initiator);
	enum pk_correction_bad b =
	    paykeeper_correction_check(type, d->correction_doc_date, d->correction_doc_number);
	const char *field = paykeeper_correction_field(b);
	switch (b) {
	case PK_CORR_BAD_TYPE:
		return kerr_set(
		    err, K_INVALID, field,
		    _("must be self or by_order, not '%s': write initiator "
		      "independently (self) or directive (by_order, a tax office order)"),
		    type);
	case PK_CORR_BAD_DATE:
		return kerr_set(
		    err, K_INVALID, field,
		    _("must be the date of the corrected settlement written YYYY-MM-DD, "
		      "such as 2024-12-31, not '%s' (doc_date)"),
		    d->correction_doc_date);
	case PK_CORR_NUMBER_LONG:
		return kerr_set(err, K_INVALID, field,
				_("the tax office order's number must be at most %d characters "
				  "(doc_number)"),
				PAYKEEPER_CORRECTION_NUMBER_MAX);
	case PK_CORR_NUMBER_MISSING:
		return kerr_set(err, K_INVALID, field, "%s",
				_("is required with by_order: enter the tax office order's number "
				  "(doc_number)"));
	default:
		return K_OK;
	}
}
