/*
 * The worker thread: finishes due LifePay documents, moves PayKeeper receipts
 * through their statuses and delivers callbacks with libcurl (easy interface,
 * one at a time, outside the engine lock, so request handling never waits for
 * a slow receiver). Every delay is multiplied by --time-scale.
 */
#include "sandbox/internal.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* The overview seed's schedule: 1, 3, 5, 10 minutes, then hourly. */
long long sandbox_callback_retry_ms(int attempt, int max_attempts)
{
	static const long long first[] = {60000, 180000, 300000, 600000};
	if (attempt < 1 || attempt >= max_attempts)
		return -1;
	if (attempt <= 4)
		return first[attempt - 1];
	return 3600000;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * nmemb;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	struct sandbox *sb = ud;
	return atomic_load(&sb->worker_quit) ? 1 : 0;
}

/* One attempt; returns the HTTP status (0 on a transport error) and a short result text. */
static long deliver(struct sandbox *sb, const struct sb_callback *c, char *result, size_t n)
{
	CURL *h = curl_easy_init();
	if (!h) {
		snprintf(result, n, "curl_easy_init failed");
		return 0;
	}
	char ct[160];
	snprintf(ct, sizeof ct, "Content-Type: %s", c->content_type ? c->content_type : "");
	struct curl_slist *hdr = curl_slist_append(NULL, ct);
	hdr = curl_slist_append(hdr, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body ? c->body : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(c->body ? strlen(c->body) : 0));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kassa-sandbox");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, sb);
	/* A private CA (a till's own certificate authority): trusted instead of
	 * the system's; peer and host checks stay on. */
	if (sb->opt.callback_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, sb->opt.callback_ca);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		snprintf(result, n, "HTTP %ld", status);
	} else {
		snprintf(result, n, "%s", curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	return status;
}

static void deadline_in(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *worker_main(void *arg)
{
	struct sandbox *sb = arg;
	pthread_mutex_lock(&sb->lock);
	while (!atomic_load(&sb->worker_quit)) {
		sandbox_lifepay_finish_due(sb);
		sandbox_paykeeper_advance(sb);
		sandbox_bills_advance(sb);
		struct sb_callback c;
		if (sandbox_store_cb_due(sb->store, sandbox_now(sb), &c, NULL) == K_OK) {
			bool fail = sandbox_prng_chance(&sb->prng, sb->faults.callback_fail);
			pthread_mutex_unlock(&sb->lock);
			char result[128];
			long status = 0;
			if (fail)
				snprintf(result, sizeof result, "fault callback_fail");
			else
				status = deliver(sb, &c, result, sizeof result);
			pthread_mutex_lock(&sb->lock);
			c.attempts++;
			str_copy(c.last_result, result, sizeof c.last_result);
			if (status == 200) {
				str_copy(c.state, "delivered", sizeof c.state);
			} else {
				long long delay =
				    sandbox_callback_retry_ms(c.attempts, c.max_attempts);
				if (delay < 0)
					str_copy(c.state, "failed", sizeof c.state);
				else
					c.next_ms = sandbox_now(sb) + sandbox_scaled(sb, delay);
			}
			sandbox_store_cb_save(sb->store, &c, NULL);
			sandbox_log(sb, "callback %s %s attempt %d: %s (%s)", c.provider, c.ref,
				    c.attempts, result, c.state);
			sandbox_callback_free(&c);
			continue;
		}
		long long next = sandbox_store_next_due(sb->store);
		long long wait = next < 0 ? 1000 : next - sandbox_now(sb);
		/* Bounded, so a changed clock or a missed wake-up costs at most a second. */
		if (wait < 5)
			wait = 5;
		if (wait > 1000)
			wait = 1000;
		struct timespec ts;
		deadline_in(&ts, wait);
		pthread_cond_timedwait(&sb->wake, &sb->lock, &ts);
	}
	pthread_mutex_unlock(&sb->lock);
	return NULL;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

kstatus sandbox_worker_start(struct sandbox *sb, struct kerr *err)
{
	pthread_once(&curl_once, curl_init_once);
	atomic_store(&sb->worker_quit, false);
	if (pthread_create(&sb->worker, NULL, worker_main, sb) != 0)
		return kerr_set(err, K_IO, "worker", "cannot start the sandbox worker thread");
	sb->worker_running = true;
	return K_OK;
}

void sandbox_worker_stop(struct sandbox *sb)
{
	if (!sb->worker_running)
		return;
	pthread_mutex_lock(&sb->lock);
	atomic_store(&sb->worker_quit, true);
	pthread_cond_broadcast(&sb->wake);
	pthread_mutex_unlock(&sb->lock);
	pthread_join(sb->worker, NULL);
	sb->worker_running = false;
}
