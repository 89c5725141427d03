/* The bill engine's insides, shared by lib/bill.c and lib/bill_refund.c. */
#ifndef KASSA_BILL_INT_H
#define KASSA_BILL_INT_H

#include "bill.h"
#include "net.h"

#define BILLS_MAX_FLIGHT 16
#define BILLS_RETRY_MS 5000 /* a create that never reached LIFE PAY, a failed poll */
#define BILLS_RECEIPT_RETRY_MS 60000

enum job_kind { JOB_CREATE, JOB_STATUS, JOB_CANCEL, JOB_REFUND };

struct bill_job {
	struct bills *b;
	int64_t id; /* the bill's, or the refund's for JOB_REFUND */
	enum job_kind kind;
	char number[BILL_NUMBER_MAX];
	struct net_job *nj;
	bool used;
};

struct bills {
	struct loop *loop;
	struct journal *j;
	struct outbox *ob;
	struct config_profile p;
	struct bills_options o;
	struct net *net;
	uint64_t timer;
	char base[CONFIG_URL_MAX];
	struct bill_job jobs[BILLS_MAX_FLIGHT];
};

void bills_logf(struct bills *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bills_changed(struct bills *b, int64_t bill_id);
/* The job in flight of this kind and id, or NULL. */
struct bill_job *bills_job_of(struct bills *b, enum job_kind k, int64_t id);
/* A free job slot (NULL when all are in flight). */
struct bill_job *bills_job_new(struct bills *b, int64_t id, enum job_kind k);
void bills_net_done(void *cls, const struct net_result *r);

/* lib/bill_refund.c: refunds due (send, receipt), and a refund's reply. */
void bills_refund_run_due(struct bills *b);
void bills_refund_done(struct bills *b, struct bill_job *jb, const struct net_result *r);

#endif
