/* Checks of single config values: numbers, switches, addresses, names, schedules. */
#include "config_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

bool config_value_int(const char *v, int64_t min, int64_t max, int64_t *out)
{
	if (!*v)
		return false;
	for (const char *p = v; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (errno || *end || x < min || x > max)
		return false;
	*out = x;
	return true;
}

bool config_value_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool config_value_loopback_http(const char *url)
{
	static const char *const hosts[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
		size_t n = strlen(hosts[i]);
		if (strncmp(url, hosts[i], n) == 0 &&
		    (url[n] == '\0' || url[n] == ':' || url[n] == '/'))
			return true;
	}
	return false;
}

/* True for a listen host only this machine can reach. */
bool config_value_loopback_host(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	       strcmp(host, "::1") == 0;
}

/*
 * True when the address has "user@" before its host: http://127.0.0.1:80@evil.example/
 * goes to evil.example, whatever the text before '@' suggests.
 */
bool config_value_has_userinfo(const char *v)
{
	const char *auth = strstr(v, "://");
	auth = auth ? auth + 3 : v;
	size_t n = strcspn(auth, "/?#");
	return memchr(auth, '@', n) != NULL;
}

bool config_value_has_space(const char *v)
{
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return true;
	return false;
}

/* Copies an address without its trailing slashes. */
bool config_value_url_store(char *dst, size_t n, const char *v)
{
	if (!str_copy(dst, v, n))
		return false;
	size_t len = strlen(dst);
	while (len > 0 && dst[len - 1] == '/')
		dst[--len] = '\0';
	return true;
}

bool config_value_name(const char *v, size_t max)
{
	size_t len = strlen(v);
	if (len == 0 || len >= max)
		return false;
	return strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

bool config_value_listen(const char *v, char *host, size_t host_n, unsigned *port)
{
	const char *colon;
	const char *h = v;
	size_t hlen;
	if (*v == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':')
			return false;
		h = v + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon)
			return false;
		hlen = (size_t)(colon - v);
		if (memchr(v, ':', hlen))
			return false; /* IPv6 needs brackets */
	}
	if (hlen == 0 || hlen >= host_n)
		return false;
	int64_t p;
	if (!config_value_int(colon + 1, 0, 65535, &p))
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (config_value_has_space(host))
		return false;
	*port = (unsigned)p;
	return true;
}

bool config_value_retry(const char *v, int64_t *out, size_t *count)
{
	size_t n = 0;
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		char num[24];
		size_t len = strcspn(p, ", \t");
		if (len == 0 || len >= sizeof num || n >= CONFIG_RETRY_MAX)
			return false;
		memcpy(num, p, len);
		num[len] = '\0';
		if (!config_value_int(num, 1, 86400, &out[n]))
			return false;
		n++;
		p += len;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == ',') {
			p++;
			if (!*p)
				return false; /* trailing comma */
		} else if (*p) {
			return false;
		}
	}
	if (n == 0)
		return false;
	*count = n;
	return true;
}
