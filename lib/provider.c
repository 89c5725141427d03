/*
 * The provider table (see provider.h) and what every provider shares:
 * requests, the token's freshness and the account check.
 */
#include "provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "config.h"
#include "i18n.h"
#include "util.h"

extern const struct provider_ops provider_lifepay;
extern const struct provider_ops provider_paykeeper;

/* One row a provider, in enum kprovider's order. */
static const struct provider_ops *const table[KPROVIDER_COUNT] = {
    [KPROVIDER_LIFEPAY] = &provider_lifepay,
    [KPROVIDER_PAYKEEPER] = &provider_paykeeper,
};

const struct provider_ops *provider_get(enum kprovider id)
{
	return (unsigned)id < KPROVIDER_COUNT ? table[id] : table[0];
}

const struct provider_ops *provider_by_suffix(const char *suffix)
{
	if (!suffix || !suffix[0])
		return table[0]; /* the first callbacks had no suffix: LifePay's */
	for (size_t i = 0; i < KPROVIDER_COUNT; i++)
		if (strcmp(table[i]->callback_suffix, suffix) == 0)
			return table[i];
	return NULL;
}

#define PROVIDER_WORD(name, word) word,
static const char *const words[] = {KPROVIDER_INFO(PROVIDER_WORD)};
#undef PROVIDER_WORD

const char *provider_word(enum kprovider id)
{
	return (unsigned)id < KPROVIDER_COUNT ? words[id] : "?";
}

bool provider_parse(const char *word, enum kprovider *id)
{
	for (size_t i = 0; i < KPROVIDER_COUNT; i++)
		if (word && strcmp(words[i], word) == 0) {
			*id = (enum kprovider)i;
			return true;
		}
	return false;
}

const char *provider_user(const struct config_profile *p)
{
	return (const char *)p + provider_get(p->provider)->cred.user_off;
}

const char *provider_secret(const struct config_profile *p)
{
	return (const char *)p + provider_get(p->provider)->cred.secret_off;
}

kstatus provider_check_profile(const struct config_profile *p, struct kerr *err)
{
	const struct provider_ops *ops = provider_get(p->provider);
	if (!provider_user(p)[0] || !provider_secret(p)[0])
		return kerr_set(err, K_INVALID, ops->cred.user_key,
				_("profile \"%s\" (%s) needs %s and %s"), p->name, ops->name,
				ops->cred.user_key, ops->cred.secret_key);
	return K_OK;
}

bool provider_can(enum kprovider id, unsigned caps)
{
	return (provider_get(id)->caps & caps) == caps;
}

void provider_request_net(const struct provider_request *rq, struct net_request *out)
{
	memset(out, 0, sizeof *out);
	out->method = rq->method;
	out->url = rq->url;
	out->content_type = rq->content_type;
	out->body = rq->body;
	out->body_len = rq->body ? strlen(rq->body) : 0;
	out->user = rq->user;
	out->password = rq->password;
}

void provider_request_free(struct provider_request *rq)
{
	if (rq->body) {
		explicit_bzero(rq->body, strlen(rq->body));
		free(rq->body);
	}
	free(rq->url);
	memset(rq, 0, sizeof *rq);
}

void provider_request_url(struct provider_request *rq, const char *base, const char *path,
			  const char *query)
{
	size_t n = strlen(base) + strlen(path) + (query ? strlen(query) + 1 : 0) + 1;
	free(rq->url);
	rq->url = xmalloc(n);
	snprintf(rq->url, n, "%s%s%s%s", base, path, query ? "?" : "", query ? query : "");
}

bool provider_token_valid(const struct provider_ctx *c)
{
	return c->token.value[0] && mono_ms() < c->token.until;
}

struct net_job *provider_check_account(struct net *n, const struct config_profile *p,
				       void (*done)(void *cls, const struct net_result *res),
				       void *cls, char *what, size_t what_n, struct kerr *err)
{
	const struct provider_ops *ops = provider_get(p->provider);
	struct provider_request rq = {0};
	char buf[256];
	if (ops->account.request(p, &rq, buf, sizeof buf, err) != K_OK)
		return NULL;
	if (what)
		str_copy(what, buf, what_n);
	struct net_request nr;
	provider_request_net(&rq, &nr);
	struct net_job *job = net_submit(n, &nr, done, cls, err);
	provider_request_free(&rq);
	return job;
}

bool provider_check_verdict(const struct config_profile *p, const struct net_result *res,
			    char *text, size_t n)
{
	return provider_get(p->provider)->account.verdict(p, res, text, n);
}
