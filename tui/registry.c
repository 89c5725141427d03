#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "net.h"
#include "util.h"

struct registry {
	struct loop *loop;
	struct net *net;
	struct config_profile p;
	registry_change_cb on_change;
	void *cls;
	struct net_job *list_job, *count_job;
	struct pk_receipt_list list;
	struct pk_counts counts;
	bool have_counts, search;
	int64_t from;
	char error[300];
};

struct registry *registry_new(struct loop *l, const struct config_profile *p,
			      registry_change_cb on_change, void *cls)
{
	struct registry *r = xcalloc(1, sizeof *r);
	r->loop = l;
	r->p = *p;
	r->on_change = on_change;
	r->cls = cls;
	r->net = net_new(l, NULL);
	return r;
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	net_free(r->net);
	paykeeper_receipt_list_free(&r->list);
	explicit_bzero(&r->p, sizeof r->p);
	free(r);
}

/* A reply's trouble in words; false when the body may be parsed. */
static bool failed(struct registry *r, const struct net_result *res)
{
	if (res->outcome != NET_OK) {
		snprintf(r->error, sizeof r->error, _("the provider could not be reached: %s"),
			 net_outcome_str(res->outcome));
		return true;
	}
	if (res->http_status == 401 || res->http_status == 403) {
		snprintf(r->error, sizeof r->error,
			 _("refused (HTTP %ld): check the profile's user and password"),
			 res->http_status);
		return true;
	}
	if (res->http_status != 200) {
		snprintf(r->error, sizeof r->error, _("the provider answered HTTP %ld"),
			 res->http_status);
		return true;
	}
	return false;
}

static void on_list(void *cls, const struct net_result *res)
{
	struct registry *r = cls;
	r->list_job = NULL;
	if (!failed(r, res)) {
		struct pk_receipt_list l;
		memset(&l, 0, sizeof l);
		struct kerr e = {0};
		if (paykeeper_parse_receipt_list(res->body, res->body_len, &l, &e) == K_OK) {
			paykeeper_receipt_list_free(&r->list);
			r->list = l;
			if (l.has_counts && !r->have_counts) {
				r->counts = l.counts;
				r->have_counts = true;
			}
		} else {
			snprintf(r->error, sizeof r->error, _("unreadable registry reply: %s"),
				 e.text);
		}
	}
	r->on_change(r->cls);
}

static void on_count(void *cls, const struct net_result *res)
{
	struct registry *r = cls;
	r->count_job = NULL;
	if (!failed(r, res)) {
		struct kerr e = {0};
		if (paykeeper_parse_counts(res->body, res->body_len, &r->counts, &e) == K_OK)
			r->have_counts = true;
		else
			snprintf(r->error, sizeof r->error, _("unreadable totals reply: %s"),
				 e.text);
	}
	r->on_change(r->cls);
}

static struct net_job *get(struct registry *r, const char *path, const char *query, net_done_cb cb)
{
	size_t n = strlen(r->p.base_url) + strlen(path) + strlen(query) + 2;
	char *url = xmalloc(n);
	snprintf(url, n, "%s%s?%s", r->p.base_url, path, query);
	struct net_job *job = net_get(r->net, url, r->p.user, r->p.password, NULL, cb, r);
	free(url);
	return job;
}

kstatus registry_fetch(struct registry *r, const char *start, const char *end, const char *query,
		       unsigned statuses, int64_t from, struct kerr *err)
{
	char *q = NULL, *qc = NULL;
	kstatus st;
	bool search = query && *query;
	if (search) {
		st = paykeeper_query_search(start, end, query, &q, err);
	} else {
		struct pk_bydate_query bq;
		memset(&bq, 0, sizeof bq);
		str_copy(bq.start, start, sizeof bq.start);
		str_copy(bq.end, end, sizeof bq.end);
		bq.statuses = statuses;
		bq.types = (1u << PK_TYPE_COUNT) - 1;
		bq.sum_types = (1u << PK_SUM_COUNT) - 1;
		bq.sort = PK_SORT_REQUEST_DATETIME;
		bq.direction = PK_DIR_DESC;
		bq.from = from;
		bq.limit = REGISTRY_PAGE;
		st = paykeeper_query_bydate(&bq, &q, err);
		if (st == K_OK)
			st = paykeeper_query_bydatecount(start, end, &qc, err);
	}
	if (st != K_OK) {
		free(q);
		free(qc);
		return st;
	}
	if (r->list_job)
		net_cancel(r->list_job);
	if (r->count_job)
		net_cancel(r->count_job);
	r->list_job = r->count_job = NULL;
	r->error[0] = '\0';
	r->search = search;
	r->from = search ? 0 : from;
	r->have_counts = false;
	r->list_job = get(r, search ? PAYKEEPER_PATH_SEARCH : PAYKEEPER_PATH_BYDATE, q, on_list);
	if (qc)
		r->count_job = get(r, PAYKEEPER_PATH_BYDATECOUNT, qc, on_count);
	free(q);
	free(qc);
	if (!r->list_job)
		return kerr_set(err, K_INVALID, "", "%s", _("the request could not be made"));
	return K_OK;
}

bool registry_busy(const struct registry *r)
{
	return r->list_job || r->count_job;
}

const struct pk_receipt_list *registry_list(const struct registry *r)
{
	return &r->list;
}

const struct pk_counts *registry_counts(const struct registry *r)
{
	return r->have_counts ? &r->counts : NULL;
}

const char *registry_error(const struct registry *r)
{
	return r->error;
}
