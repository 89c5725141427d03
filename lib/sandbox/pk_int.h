/*
 * Inside the PayKeeper emulation: shared by paykeeper.c (auth, token, print,
 * status progression) and pk_registry.c (the receipt registries and their
 * query strings). Not for use outside these files.
 */
#ifndef KASSA_SANDBOX_PK_INT_H
#define KASSA_SANDBOX_PK_INT_H

#include "sandbox/internal.h"

/* paykeeper.c */
/*
 * {"result":"fail","msg":...} with the Russian escaped as \uXXXX, as PHP's
 * json_encode writes it: clients match the escaped text in the raw body (the
 * JustCommunication SDK looks for the escaped token-error text).
 */
void pk_reply_fail(struct sandbox_reply *rp, const char *msg);
/* A JSON array of the receipts, as the registries answer. */
void pk_reply_receipt_array(struct sandbox_reply *rp, struct sb_pk_receipt **list, size_t n);

/* pk_registry.c */
/* Answers a GET on a registry path (by id, payment id, date, date count, search). */
void sandbox_pk_registry(struct sandbox *sb, const struct sb_paykeeper_acc *acc,
			 const struct sandbox_request *rq, struct sandbox_reply *rp);

#endif
