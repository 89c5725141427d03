/*
 * The fixture of the delivery engine's tests (test_outbox.c,
 * test_outbox_outcomes.c): a temporary journal, the sandbox in-process on
 * loopback (strict), an outbox with the retry schedule in milliseconds, the
 * sandbox's admin endpoint and ledger, and helpers that run the loop until a
 * document reaches a state.
 */
#ifndef KASSA_TEST_OUTBOX_FIXTURE_H
#define KASSA_TEST_OUTBOX_FIXTURE_H

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "outbox.h"
#include "sandbox/sandbox.h"

#define TOKEN "0123456789abcdef0123456789abcdef"

struct fx {
	char dir[64];
	char jpath[128];
	struct sandbox *sb;
	struct loop *l;
	struct journal *j;
	struct config_profile p;
	struct outbox *ob;
	int changes;
	size_t recover_page; /* 0 = the default */
	int64_t pk_retry_s;  /* PayKeeper retry schedule, 0 = 1 */
};

void fx_outbox_unit(struct fx *f, unsigned unit);
void fx_outbox(struct fx *f);
int setup(void **state);
int teardown(void **state);
void admin(struct fx *f, const char *method, const char *path, const char *body, json_t **out);
void set_faults(struct fx *f, const char *spec);
int ledger_count(struct fx *f, const char *ext_id);
void receipt(struct document *d, int64_t price);
enum journal_state state_of(struct fx *f, int64_t id, struct journal_doc *out);
enum journal_state run_until_state(struct fx *f, int64_t id, enum journal_state want);
void fx_run_for(struct fx *f, long long ms);
int64_t fx_submit(struct fx *f, struct document *d);
void fx_run_until_attempts(struct fx *f, int64_t id, int n, struct journal_doc *jd);
/* Runs the loop until document id was tried and is queued again (or ms pass). */
void fx_run_until_requeued(struct fx *f, int64_t id, struct journal_doc *jd, long long ms);
/* Stops the sandbox (the provider is down); returns its port. */
unsigned fx_sandbox_down(struct fx *f);
/* Starts the sandbox again on port (the provider is back). */
void fx_sandbox_up(struct fx *f, unsigned port);

#endif
