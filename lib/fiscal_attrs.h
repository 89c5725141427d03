/*
 * The fiscal attributes of a processed receipt, read back from what the
 * provider's callback carried: ФН (the fiscal storage's number), ФД (the
 * fiscal document's number), ФП (its fiscal sign) and the link to the
 * receipt at the OFD. LifePay's callback gives `ofd_url`, whose query holds
 * fn, i (ФД) and fp; keys fn/fd/fp (and fn_number, fiscal_document_number,
 * fiscal_sign...) are taken as well when present. PayKeeper's gives fn, fnd,
 * fpd and fop_url. Every value is checked: digits only for the numbers, an
 * http(s) link without spaces or control characters for the link.
 */
#ifndef KASSA_FISCAL_ATTRS_H
#define KASSA_FISCAL_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

struct fiscal_attrs {
	char fn[24];	   /* ФН: 16 digits */
	char fd[16];	   /* ФД */
	char fp[16];	   /* ФП (ФПД): up to 10 digits */
	char ofd_url[512]; /* "" = none */
};

/* True when any attribute is known. */
bool fiscal_attrs_any(const struct fiscal_attrs *a);
/* Fills what is still empty in a from an OFD link's query (fn=, i= or fd=, fp=) or a bare query. */
void fiscal_attrs_from_url(const char *url, struct fiscal_attrs *a);
/*
 * Fills what is still empty in a from one stored callback body: a form with
 * a `data` field holding JSON, a JSON object, or plain form fields.
 */
void fiscal_attrs_from_callback(const char *body, size_t len, struct fiscal_attrs *a);
/*
 * The attributes of document doc_id (or uuid) from the callbacks the journal
 * at journal_path kept, newest first. K_OK with an empty a when there are none.
 */
kstatus fiscal_attrs_of_doc(const char *journal_path, int64_t doc_id, const char *uuid,
			    struct fiscal_attrs *a, struct kerr *err);

#endif
