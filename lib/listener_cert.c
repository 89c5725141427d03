/*
 * listen_cert against public_url, with libcrypto's own host matching (the
 * rules of RFC 6125 a TLS client applies: SAN first, wildcards in the
 * leftmost label only), so the warning agrees with what the provider sees.
 */
#include "listener_cert.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "i18n.h"
#include "util.h"

/* The host of an https:// URL, without brackets; false when there is none. */
static bool url_host(const char *url, char *out, size_t n)
{
	if (strncmp(url, "https://", 8) != 0)
		return false;
	const char *h = url + 8;
	size_t len;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end)
			return false;
		h++;
		len = (size_t)(end - h);
	} else {
		len = strcspn(h, ":/?#");
	}
	if (len == 0 || len >= n)
		return false;
	memcpy(out, h, len);
	out[len] = '\0';
	return true;
}

static bool host_is_ip(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

static void fmt_day(const ASN1_TIME *t, char *out, size_t n)
{
	struct tm tm;
	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(out, n, "%Y-%m-%d", &tm))
		str_copy(out, "?", n);
}

bool listener_cert_check(const char *cert_path, const char *public_url, time_t now,
			 struct listener_cert_report *out)
{
	memset(out, 0, sizeof *out);
	if (!cert_path || !*cert_path)
		return false;
	FILE *f = fopen(cert_path, "r");
	if (!f)
		return false;
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x)
		return false;
	char host[256];
	if (public_url && url_host(public_url, host, sizeof host)) {
		int rc = host_is_ip(host) ? X509_check_ip_asc(x, host, 0)
					  : X509_check_host(x, host, 0, 0, NULL);
		if (rc != 1)
			snprintf(out->host, sizeof out->host,
				 _("listen_cert %s does not name %s, the host of public_url: the "
				   "provider will refuse it and no callback will arrive; get a "
				   "certificate for %s (subjectAltName) or correct public_url"),
				 cert_path, host, host);
	}
	const ASN1_TIME *nb = X509_get0_notBefore(x), *na = X509_get0_notAfter(x);
	char day[32];
	time_t soon = now + 14 * 24 * 3600;
	if (X509_cmp_time(na, &now) < 0) {
		fmt_day(na, day, sizeof day);
		snprintf(out->validity, sizeof out->validity,
			 _("listen_cert %s expired on %s: the provider will refuse it and no "
			   "callback will arrive; renew the certificate"),
			 cert_path, day);
	} else if (X509_cmp_time(nb, &now) > 0) {
		fmt_day(nb, day, sizeof day);
		snprintf(out->validity, sizeof out->validity,
			 _("listen_cert %s is not valid before %s: check the computer's clock, "
			   "or use a certificate valid now"),
			 cert_path, day);
	} else if (X509_cmp_time(na, &soon) < 0) {
		fmt_day(na, day, sizeof day);
		snprintf(out->validity, sizeof out->validity,
			 _("listen_cert %s expires on %s: renew it before then, or callbacks "
			   "will stop arriving"),
			 cert_path, day);
	}
	X509_free(x);
	return out->host[0] || out->validity[0];
}
