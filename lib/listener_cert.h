/*
 * What a support engineer checks first when callbacks to a till's own
 * HTTPS listener never arrive: does listen_cert name the host of public_url,
 * and is it valid today? The provider's TLS check would refuse it, and the
 * till would only see receipts that stay "accepted".
 */
#ifndef KASSA_LISTENER_CERT_H
#define KASSA_LISTENER_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Each field "" when fine; else one sentence saying what and what to do. */
struct listener_cert_report {
	char host[600];	    /* the certificate does not name public_url's host */
	char validity[600]; /* expired, not yet valid, or expiring within 14 days */
};

/*
 * Checks the first certificate of the PEM file cert_path against the host of
 * public_url (https only; X509_check_host / X509_check_ip_asc, as a TLS
 * client would) and its validity at now. true when a field was filled. An
 * unreadable file fills nothing: starting the listener names that error.
 */
bool listener_cert_check(const char *cert_path, const char *public_url, time_t now,
			 struct listener_cert_report *out);

#endif
