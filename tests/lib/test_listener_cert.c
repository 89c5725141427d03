/*
 * listen_cert checked against public_url and the clock (issue 13): the
 * certificates are made here with libcrypto, so names and validity periods
 * are exact; each case writes one to a temporary PEM file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "listener_cert.h"

#define DAY (24L * 3600)

static char path[64];

/* A self-signed certificate for CN cn with subjectAltName san (NULL: none),
 * valid from now+from_s to now+to_s. */
static void make_cert(const char *cn, const char *san, long from_s, long to_s)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, k);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (san) {
		X509V3_CTX ctx;
		X509V3_set_ctx_nodb(&ctx);
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		assert_non_null(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/kassa-cert-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

struct host_case {
	const char *cn, *san, *url;
	bool warns;
};

static void listener_cert_check__host__as_a_tls_client_would(void **state)
{
	(void)state;
	static const struct host_case cases[] = {
	    /* Edge cases first: no https, so no host to check. */
	    {"till.example.ru", NULL, "http://other.example.ru:8088", false},
	    {"till.example.ru", NULL, "", false},
	    {"till.example.ru", "DNS:till.example.ru", "https://till.example.ru:8088", false},
	    {"till.example.ru", "DNS:till.example.ru", "https://TILL.example.ru/cb", false},
	    {"till.example.ru", "DNS:till.example.ru", "https://shop.example.ru:8088", true},
	    /* The CN counts only without a subjectAltName (as in OpenSSL's default). */
	    {"till.example.ru", NULL, "https://till.example.ru:8088", false},
	    {"till.example.ru", "DNS:other.example.ru", "https://till.example.ru:8088", true},
	    {"x", "DNS:*.example.ru", "https://shop.example.ru:8088", false},
	    {"x", "DNS:*.example.ru", "https://a.shop.example.ru:8088", true},
	    {"x", "DNS:localhost,IP:127.0.0.1", "https://127.0.0.1:8088", false},
	    {"x", "DNS:localhost,IP:127.0.0.1", "https://127.0.0.2:8088", true},
	    {"x", "DNS:localhost", "https://127.0.0.1:8088", true},
	    {"x", "IP:::1", "https://[::1]:8088/", false},
	    {"x", "IP:::1", "https://[::2]:8088/", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct host_case *c = &cases[i];
		make_cert(c->cn, c->san, -DAY, 365 * DAY);
		struct listener_cert_report r;
		bool warned = listener_cert_check(path, c->url, time(NULL), &r);
		if (warned != c->warns || (r.host[0] != '\0') != c->warns)
			fail_msg("case %zu (%s, %s): warned %d, text \"%s\"", i, c->url,
				 c->san ? c->san : "no SAN", warned, r.host);
		assert_string_equal(r.validity, "");
		if (c->warns) {
			assert_non_null(strstr(r.host, "does not name"));
			assert_non_null(strstr(r.host, path));
		}
	}
}

struct time_case {
	long from_s, to_s;
	const char *says; /* NULL: quiet */
};

static void listener_cert_check__validity__names_the_day(void **state)
{
	(void)state;
	static const struct time_case cases[] = {
	    {-2 * DAY, -DAY, "expired on"},
	    {-2 * DAY, -60, "expired on"},
	    {DAY, 365 * DAY, "is not valid before"},
	    {-DAY, 3 * DAY, "expires on"},
	    {-DAY, 13 * DAY, "expires on"},
	    {-DAY, 15 * DAY, NULL},
	    {-DAY, 365 * DAY, NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct time_case *c = &cases[i];
		make_cert("localhost", "DNS:localhost", c->from_s, c->to_s);
		struct listener_cert_report r;
		bool warned = listener_cert_check(path, "https://localhost:8088", time(NULL), &r);
		assert_string_equal(r.host, "");
		if (!c->says) {
			if (warned)
				fail_msg("case %zu: unexpected \"%s\"", i, r.validity);
			continue;
		}
		assert_true(warned);
		if (!strstr(r.validity, c->says))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, r.validity, c->says);
	}
	/* The day shown is the certificate's, in ISO form. */
	make_cert("localhost", "DNS:localhost", -10 * DAY, -5 * DAY);
	struct listener_cert_report r;
	assert_true(listener_cert_check(path, "https://localhost", time(NULL), &r));
	char day[16];
	time_t t = time(NULL) - 5 * DAY;
	strftime(day, sizeof day, "%Y-%m-%d", gmtime(&t));
	assert_non_null(strstr(r.validity, day));
}

static void listener_cert_check__quiet__when_no_certificate_can_be_read(void **state)
{
	(void)state;
	struct listener_cert_report r;
	assert_false(listener_cert_check("/nonexistent/cert.pem", "https://x.ru", time(NULL), &r));
	assert_false(listener_cert_check("", "https://x.ru", time(NULL), &r));
	FILE *f = fopen(path, "w");
	fputs("not a certificate\n", f);
	fclose(f);
	assert_false(listener_cert_check(path, "https://x.ru", time(NULL), &r));
	assert_string_equal(r.host, "");
	assert_string_equal(r.validity, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(listener_cert_check__host__as_a_tls_client_would, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(listener_cert_check__validity__names_the_day, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		listener_cert_check__quiet__when_no_certificate_can_be_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
