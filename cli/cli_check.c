/* kassa check-account: the provider's account check, the settings screen's too (cli_engine.h). */
#include "cli_engine.h"
#include "cli_session.h"

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "i18n.h"
#include "loop.h"
#include "net.h"
#include "provider.h"
#include "util.h"

struct check {
	const struct config_profile *p;
	bool done, ok;
	char text[1400];
};

static void on_check_done(void *cls, const struct net_result *res)
{
	struct check *c = cls;
	c->done = true;
	c->ok = provider_check_verdict(c->p, res, c->text, sizeof c->text);
}

static bool check_done(struct session *s, void *cls)
{
	(void)s;
	return ((struct check *)cls)->done;
}

/* The provider's account check, waited for. */
static int check_account(struct session *s, struct net *n, long timeout)
{
	struct check c = {.p = &s->run.profile};
	char what[512];
	struct kerr e = {0};
	if (!provider_check_account(n, c.p, on_check_done, &c, what, sizeof what, &e))
		return cli_error(s->o->cmd, CLI_FAILED, "%s", _("the request could not be made"));
	printf(_("checking profile %s: %s\n"), c.p->name, what);
	if (!cli_session_run_until(s, check_done, &c, timeout))
		return cli_error(s->o->cmd, CLI_FAILED, _("no answer within %ld s"), timeout);
	printf("%s\n", c.text);
	return c.ok ? CLI_OK : CLI_FAILED;
}

int cli_engine_check_account(int argc, char **argv)
{
	struct opts o;
	int rc = cli_parse_opts(argc, argv, O_TIMEOUT, 0, &o);
	if (rc != CLI_OK)
		return rc;
	if (o.help)
		return cli_help_text(
		    _("Usage: kassa check-account [--timeout S]"),
		    _("Sends a test-mode request (LifePay: an X-report with test=1; nothing is "
		      "fiscalized\nor journaled) and explains the answer: 6009 unknown login, "
		      "6010 login and apikey\ndo not match, 6080 cloud fiscalization is not "
		      "enabled. PayKeeper: fetches a token.\n"));
	struct session s;
	if ((rc = cli_session_open(&s, &o, true, false)) != CLI_OK)
		return rc;
	struct net *n = net_new(s.loop, NULL);
	rc = check_account(&s, n, o.timeout_s ? o.timeout_s : 30);
	net_free(n);
	cli_session_close(&s);
	return rc;
}
