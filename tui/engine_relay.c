/*
 * The screen and kassa-relay (see engine_relay.h).
 */
#include "engine_relay.h"

#include <stdio.h>

#include "i18n.h"
#include "relay_client.h"
#include "relay_proto.h"
#include "util.h"

void engine_relay_start(struct engine *e)
{
	engine_relay_stop(e);
	if (!e->outbox || !e->journal || !e->app || !e->profile.relay_url[0] ||
	    !e->profile.relay_token[0])
		return;
	struct relay_client_options ro = {.poll_s = RELAY_POLL_DEFAULT_S};
	struct kerr ke = {0};
	e->relay = relay_client_new(e->app->loop, e->journal, e->outbox, &e->profile, &ro, &ke);
	if (!e->relay)
		snprintf(e->problem, sizeof e->problem, _("the relay cannot be pulled: %s"),
			 ke.text);
}

void engine_relay_stop(struct engine *e)
{
	relay_client_free(e->relay);
	e->relay = NULL;
}

bool engine_relay_status(struct engine *e, struct app_status *s)
{
	if (!e->relay)
		return false;
	struct relay_client_state st;
	relay_client_state(e->relay, &st);
	relay_client_line(e->relay, s->listener, sizeof s->listener);
	s->listener_ok = st.status == RELAY_CLIENT_CONNECTED;
	s->via_relay = true;
	return true;
}
