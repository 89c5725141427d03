/*
 * Commands and kassa-relay (see cli_relay.h).
 */
#include "cli_relay.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "relay_proto.h"
#include "util.h"

static void on_log(void *cls, const char *line)
{
	(void)cls;
	fprintf(stderr, "kassa: %s\n", line);
}

bool cli_relay_wants_listener(const struct config_profile *p)
{
	if (p->relay_url[0] && p->relay_token[0])
		return false;
	return p->training || p->public_url[0];
}

bool cli_relay_can_wait(const struct config_profile *p)
{
	return provider_can(p->provider, PROVIDER_CAP_POLLS) ||
	       (p->relay_url[0] && p->relay_token[0]) || cli_relay_wants_listener(p);
}

void cli_relay_note(const char *cmd, const struct config_profile *p)
{
	if ((p->relay_url[0] && p->relay_token[0]) || cli_relay_wants_listener(p))
		return;
	fprintf(stderr,
		_("kassa %s: no relay configured: no callback_url is sent (this command's "
		  "listener would end with it); `kassa status ID` shows the final status once "
		  "kassa learns it (PayKeeper: by polling; LifePay: set relay_url and "
		  "relay_token, see \"Callbacks behind NAT\" in the README)\n"),
		cmd);
}

long cli_relay_pull(const char *cmd, struct journal *j, const struct config_profile *p,
		    bool verbose)
{
	if (!p->relay_url[0] || !p->relay_token[0])
		return -1;
	struct kerr e = {0};
	kstatus lst = journal_lock_sender(j, &e);
	if (lst != K_OK) {
		if (lst == K_BUSY)
			return -1; /* the kassa sending from this journal pulls itself */
		fprintf(stderr, _("kassa %s: the relay is not pulled: %s\n"), cmd, e.text);
		return -1;
	}
	struct loop *l = loop_new();
	struct outbox_options oo = {.receive_only = true, .log = verbose ? on_log : NULL};
	struct outbox *ob = outbox_new(l, j, p, &oo, &e);
	if (!ob) {
		fprintf(stderr, _("kassa %s: the relay is not pulled: %s\n"), cmd, e.text);
		loop_free(l);
		return -1;
	}
	struct relay_client_options ro = {.poll_s = 0, .log = verbose ? on_log : NULL};
	struct relay_client *rc = relay_client_new(l, j, ob, p, &ro, &e);
	if (!rc) {
		fprintf(stderr, _("kassa %s: the relay is not pulled: %s\n"), cmd, e.text);
		outbox_free(ob);
		loop_free(l);
		return -1;
	}
	long long end = mono_ms() + CLI_RELAY_PULL_TIMEOUT_S * 1000LL;
	struct relay_client_state st;
	for (;;) {
		relay_client_state(rc, &st);
		if (st.status == RELAY_CLIENT_STOPPED || st.status == RELAY_CLIENT_RECONNECTING)
			break;
		long long left = end - mono_ms();
		if (left <= 0)
			break;
		loop_run_once(l, left < 200 ? left : 200);
	}
	bool pulled = st.status == RELAY_CLIENT_STOPPED && !st.unauthorized;
	if (!pulled)
		fprintf(stderr,
			_("kassa %s: the relay could not be pulled (%s); showing what the journal "
			  "has\n"),
			cmd, st.reason[0] ? st.reason : _("no answer in time"));
	relay_client_free(rc);
	outbox_free(ob); /* commits what was applied */
	loop_free(l);
	return pulled ? (long)st.applied : -1;
}
