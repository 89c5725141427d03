/* kassa check-account: a test-mode request checking the account (cli_engine.h). */
#include "cli_engine.h"
#include "cli_session.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "document.h"
#include "journal.h"
#include "loop.h"
#include "net.h"
#include "util.h"
#include "wire/lifepay.h"
#include "wire/paykeeper.h"

/* ---- check-account ---- */

struct check {
	bool done;
	long http;
	enum net_outcome outcome;
	char *body;
	size_t len;
	char error[256];
};

static void on_check_done(void *cls, const struct net_result *res)
{
	struct check *c = cls;
	c->done = true;
	c->http = res->http_status;
	c->outcome = res->outcome;
	c->body = xstrndup(res->body, res->body_len);
	c->len = res->body_len;
	str_copy(c->error, res->error, sizeof c->error);
}

static bool check_done(struct session *s, void *cls)
{
	(void)s;
	return ((struct check *)cls)->done;
}

static int check_lifepay(struct session *s, struct net *n, struct check *c, long timeout)
{
	const struct config_profile *p = &s->run.profile;
	struct document d;
	document_init(&d, DOC_X_REPORT);
	d.test = true;
	str_copy(d.target_serial, p->target_serial, sizeof d.target_serial);
	document_assign_ext_id(&d);
	struct lifepay_auth auth;
	memset(&auth, 0, sizeof auth);
	str_copy(auth.login, p->login, sizeof auth.login);
	str_copy(auth.apikey, p->apikey, sizeof auth.apikey);
	char *body = wire_lifepay_request_text(&d, &auth);
	explicit_bzero(&auth, sizeof auth);
	document_free(&d);
	char url[CONFIG_URL_MAX + 64];
	snprintf(url, sizeof url, "%s%s", p->base_url, doc_kind_path(DOC_X_REPORT));
	printf(_("checking profile %s: a test X-report (test=1, nothing fiscalized) to %s\n"),
	       p->name, url);
	struct net_job *job = net_post(n, url, NULL, body, strlen(body), NULL, on_check_done, c);
	explicit_bzero(body, strlen(body));
	free(body);
	if (!job)
		return cli_error(s->o->cmd, CLI_FAILED, "%s", _("the request could not be made"));
	if (!cli_session_run_until(s, check_done, c, timeout))
		return cli_error(s->o->cmd, CLI_FAILED, _("no answer within %ld s"), timeout);
	if (c->outcome != NET_OK)
		return cli_error(s->o->cmd, CLI_FAILED,
				 _("the provider could not be reached: %s%s%s"),
				 net_outcome_str(c->outcome), c->error[0] ? ": " : "", c->error);
	struct lifepay_reply r;
	struct kerr e = {0};
	if (wire_lifepay_parse_reply(c->body, c->len, &r, &e) != K_OK)
		return cli_error(s->o->cmd, CLI_FAILED, _("HTTP %ld with an unreadable reply: %s"),
				 c->http, e.text);
	if (c->http != 200) {
		printf(_("the provider answered HTTP %ld (code %d): try again later\n"), c->http,
		       r.code);
		return CLI_FAILED;
	}
	if (r.code == 0) {
		printf(_("OK: login %s and its apikey are right and cloud fiscalization is "
			 "enabled.\n"),
		       p->login);
		return CLI_OK;
	}
	printf(_("the provider refused the test request with code %d:\n"), r.code);
	char text[1024];
	size_t used = (size_t)snprintf(text, sizeof text, "%s", r.message);
	for (size_t i = 0; i < r.n_field_errors && used < sizeof text; i++)
		used +=
		    (size_t)snprintf(text + used, sizeof text - used, "; %s", r.field_errors[i]);
	cli_print_provider_error(r.code, text);
	if (r.code == 400)
		printf("%s\n", _("  (login and apikey were accepted: the problem is in the "
				 "profile's other settings, such as target_serial)"));
	return CLI_FAILED;
}

static int check_paykeeper(struct session *s, struct net *n, struct check *c, long timeout)
{
	const struct config_profile *p = &s->run.profile;
	char url[CONFIG_URL_MAX + 64];
	snprintf(url, sizeof url, "%s%s", p->base_url, PAYKEEPER_PATH_TOKEN);
	printf(_("checking profile %s: fetching a PayKeeper token from %s\n"), p->name, url);
	if (!net_get(n, url, p->user, p->password, NULL, on_check_done, c))
		return cli_error(s->o->cmd, CLI_FAILED, "%s", _("the request could not be made"));
	if (!cli_session_run_until(s, check_done, c, timeout))
		return cli_error(s->o->cmd, CLI_FAILED, _("no answer within %ld s"), timeout);
	if (c->outcome != NET_OK)
		return cli_error(s->o->cmd, CLI_FAILED, _("the server could not be reached: %s"),
				 net_outcome_str(c->outcome));
	if (c->http == 401 || c->http == 403) {
		printf(_("refused (HTTP %ld): the user or password of profile %s is wrong\n"),
		       c->http, p->name);
		return CLI_FAILED;
	}
	char tok[256];
	struct kerr e = {0};
	if (c->http != 200 || paykeeper_parse_token(c->body, c->len, tok, sizeof tok, &e) != K_OK) {
		printf(_("no token (HTTP %ld): %s\n"), c->http, e.text[0] ? e.text : "-");
		return CLI_FAILED;
	}
	explicit_bzero(tok, sizeof tok);
	printf(_("OK: user %s and the password are right; PayKeeper issued a token.\n"), p->user);
	return CLI_OK;
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
	struct check c = {0};
	long timeout = o.timeout_s ? o.timeout_s : 30;
	if (s.run.profile.provider == KPROVIDER_PAYKEEPER)
		rc = check_paykeeper(&s, n, &c, timeout);
	else
		rc = check_lifepay(&s, n, &c, timeout);
	net_free(n);
	free(c.body);
	cli_session_close(&s);
	return rc;
}
