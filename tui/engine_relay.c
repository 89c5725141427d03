/*
 * The screen and kassa-relay (see engine_relay.h).
 */
#include "engine_relay.h"

#include "relay_client.h"

bool engine_relay_status(struct engine *e, struct app_status *s)
{
	if (!e->run.relay)
		return false;
	struct relay_client_state st;
	relay_client_state(e->run.relay, &st);
	relay_client_line(e->run.relay, s->listener, sizeof s->listener);
	s->listener_ok = st.status == RELAY_CLIENT_CONNECTED;
	s->via_relay = true;
	return true;
}
