/*
 * Taking documents (outbox_submit), the status the screens show, and the
 * callback token's file. The provider adds its rules, fields and the stored
 * body; the payment is resolved once, by document_validate(), and every
 * later step reads d->resolved.
 */
#include "outbox_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard.h"
#include "i18n.h"
#include "util.h"
#include "settle_journal.h"

/* What the profile provides and the document leaves empty. */
static void fill_from_profile(const struct outbox *ob, struct document *d)
{
	const struct config_profile *p = &ob->p;
	if (!d->target_serial[0] && p->target_serial[0] &&
	    document_field_allowed(d->kind, "target_serial"))
		str_copy(d->target_serial, p->target_serial, sizeof d->target_serial);
	if (!d->cashier_name[0] && p->cashier_name[0] &&
	    document_field_allowed(d->kind, "cashier_name"))
		str_copy(d->cashier_name, p->cashier_name, sizeof d->cashier_name);
	/* A cashier is a person: only a 12-digit INN belongs on the document. */
	if (!d->cashier_inn[0] && strlen(p->cashier_inn) == 12 &&
	    document_field_allowed(d->kind, "cashier_inn"))
		str_copy(d->cashier_inn, p->cashier_inn, sizeof d->cashier_inn);
	if (d->tax_system == TAX_DEFAULT && document_field_allowed(d->kind, "tax_system"))
		d->tax_system = p->tax_system;
	if (p->test)
		d->test = true;
}

kstatus outbox_submit(struct outbox *ob, struct document *d, int64_t *id, struct kerr *err)
{
	if (id)
		*id = 0;
	kerr_clear(err);
	const struct provider_ops *ops = ob->prov.ops;
	fill_from_profile(ob, d);
	kstatus st;
	if ((st = ops->send.prepare(&ob->prov, d, err)) != K_OK)
		return st;
	document_assign_ext_id(d);
	/* The one place the payment is resolved: d->resolved from here on. */
	st = document_validate(d, err);
	if (st == K_OK && ops->send.check)
		st = ops->send.check(d, err);
	if (st != K_OK)
		return st;
	bool refund = d->type == RT_REFUND || d->type == RT_BUY_REFUND;
	if (doc_kind_has_basket(d->kind) && refund && d->ref_uuid[0]) {
		st = journal_check_refund(ob->j, d->ref_uuid, d->basket.total, err);
		if (st == K_NOTFOUND)
			kerr_clear(err); /* made elsewhere: the provider checks it */
		else if (st != K_OK)
			return st;
	}
	/* kassa's own rules (lib/guard.h): tender, whole pieces, refunds, the ceiling */
	if ((st = guard_document(ob->j, d, ob->p.max_receipt, err)) != K_OK)
		return st;
	char *body = NULL;
	if ((st = ops->send.stored_body(&ob->prov, d, &body, err)) != K_OK)
		return st;
	bool basket = doc_kind_has_basket(d->kind);
	struct journal_new_doc nd = {
	    .profile = ob->p.name,
	    .provider = ob->p.provider,
	    .kind = doc_kind_wire(d->kind),
	    .type = basket ? receipt_type_lifepay(d->type) : "",
	    .ext_id = d->ext_id,
	    .body = body,
	    .ref_uuid = d->ref_uuid,
	    .total = basket ? d->basket.total : d->amount,
	    .card = basket ? d->resolved.card : 0,
	    .cash = basket ? d->resolved.cash : 0,
	    .change = basket ? d->resolved.change : 0,
	    .test = d->test,
	    .clear_open_basket = basket && d->clear_open_basket,
	};
	char *order = NULL; /* seed 002's prepaid order, or the one this settles */
	settle_journal_fields(d, &nd, &order);
	st = journal_enqueue(ob->j, &nd, id, err);
	free(order);
	free(body);
	if (st != K_OK)
		return st;
	ob_log(ob, "document #%" PRId64 " (%s) queued with ext_id %s", id ? *id : 0,
	       doc_kind_wire(d->kind), d->ext_id);
	if (id)
		ob_notify(ob, *id);
	ob_kick(ob);
	return K_OK;
}

void outbox_stats(struct outbox *ob, struct outbox_stats *out)
{
	memset(out, 0, sizeof *out);
	journal_outbox_depth(ob->j, &out->depth, NULL);
	out->in_flight = ob->njobs;
	out->listener = listener_state(ob->ls, out->listener_text, sizeof out->listener_text);
	out->callbacks = ob->callbacks;
	str_copy(out->last_error, ob->last_error, sizeof out->last_error);
	out->offline = ob->offline;
	out->offline_since = ob->offline_since;
	str_copy(out->offline_reason, ob->offline_reason, sizeof out->offline_reason);
}

bool outbox_health_path(const char *journal_path, char *out, size_t n)
{
	int w = snprintf(out, n, "%s-listener", journal_path);
	return w > 0 && (size_t)w < n;
}

unsigned outbox_listener_port(const struct outbox *ob)
{
	return ob->ls ? listener_port(ob->ls) : 0;
}

static bool token_shape_ok(const char *t)
{
	if (strlen(t) != LISTENER_TOKEN_LEN)
		return false;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

kstatus outbox_token_load(const char *path, char out[LISTENER_TOKEN_LEN + 1], struct kerr *err)
{
	out[0] = '\0';
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		char buf[LISTENER_TOKEN_LEN + 2];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n >= LISTENER_TOKEN_LEN) {
			buf[LISTENER_TOKEN_LEN] = '\0';
			if (token_shape_ok(buf)) {
				str_copy(out, buf, LISTENER_TOKEN_LEN + 1);
				explicit_bzero(buf, sizeof buf);
				return K_OK;
			}
		}
		explicit_bzero(buf, sizeof buf);
	} else if (errno != ENOENT) {
		return kerr_set(err, K_IO, "token", _("cannot read %s: %s"), path, strerror(errno));
	}
	kstatus st = listener_new_token(out, err);
	if (st != K_OK)
		return st;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_set(err, K_IO, "token", _("cannot write %s: %s"), path,
				strerror(errno));
	bool ok = fchmod(fd, 0600) == 0 &&
		  write(fd, out, LISTENER_TOKEN_LEN) == LISTENER_TOKEN_LEN &&
		  write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok)
		return kerr_set(err, K_IO, "token", _("cannot write %s: %s"), path,
				strerror(saved));
	return K_OK;
}
