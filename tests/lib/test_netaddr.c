/* Tests for lib/netaddr.c: the listen addresses of the listener, kassa-relay and the sandbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "netaddr.h"

static const struct {
	const char *where;
	int family;
	const char *ip;
	unsigned port;
} good[] = {
    {":8080", AF_INET, "0.0.0.0", 8080},
    {"*:80", AF_INET, "0.0.0.0", 80},
    {"localhost:1", AF_INET, "127.0.0.1", 1},
    {"127.0.0.1:0", AF_INET, "127.0.0.1", 0},
    {"0.0.0.0:65535", AF_INET, "0.0.0.0", 65535},
    {"[::1]:8443", AF_INET6, "::1", 8443},
    {"[::]:0", AF_INET6, "::", 0},
};

static void netaddr_parse__reads__numeric_addresses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		struct kerr e = {0};
		assert_int_equal(
		    netaddr_parse(good[i].where, "listen", "127.0.0.1:8080", &ss, &len, &e), K_OK);
		assert_int_equal(ss.ss_family, good[i].family);
		assert_int_equal(netaddr_port(&ss), good[i].port);
		char ip[INET6_ADDRSTRLEN];
		netaddr_text((struct sockaddr *)&ss, ip, sizeof ip);
		assert_string_equal(ip, good[i].ip);
		assert_int_equal(len, good[i].family == AF_INET ? sizeof(struct sockaddr_in)
								: sizeof(struct sockaddr_in6));
	}
}

static const struct {
	const char *where;
	const char *text; /* in the message */
} bad[] = {
    {"", "no listen address; use ADDR:PORT, e.g. 0.0.0.0:8443"},
    {"8080", "\"8080\" is not ADDR:PORT, e.g. 0.0.0.0:8443"},
    {"[::1]8080", "is not [IPv6]:PORT"},
    {"[::1", "is not [IPv6]:PORT"},
    {"127.0.0.1:65536", "must be a number from 0 to 65535"},
    {"127.0.0.1:-1", "must be a number from 0 to 65535"},
    {"127.0.0.1:80x", "must be a number from 0 to 65535"},
    {"127.0.0.1:", "must be a number from 0 to 65535"},
    {"example.org:80", "\"example.org\" is not an IP address"},
};

static void netaddr_parse__refuses__bad_addresses_naming_the_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		struct kerr e = {0};
		assert_int_equal(
		    netaddr_parse(bad[i].where, "--listen", "0.0.0.0:8443", &ss, &len, &e),
		    K_INVALID);
		assert_string_equal(e.field, "--listen");
		if (!strstr(e.text, bad[i].text))
			fail_msg("\"%s\": %s", bad[i].where, e.text);
	}
}

/* Port 0 binds a free port, reported back; the same port again is in use. */
static void netaddr_listen__reports__the_port_and_a_port_in_use(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t len = 0;
	assert_int_equal(netaddr_parse("127.0.0.1:0", "listen", "x", &ss, &len, NULL), K_OK);
	unsigned port = 0;
	int fd = netaddr_listen(&ss, len, "127.0.0.1:0", "listen", 4, &port, NULL);
	assert_true(fd >= 0);
	assert_true(port > 0);
	netaddr_set_port(&ss, port);
	assert_int_equal(netaddr_port(&ss), port);
	struct kerr e = {0};
	unsigned again = 0;
	assert_int_equal(netaddr_listen(&ss, len, "here", "listen", 4, &again, &e), -1);
	assert_non_null(strstr(e.text, "cannot listen on here"));
	assert_non_null(strstr(e.text, "another program uses this port"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(netaddr_parse__reads__numeric_addresses),
	    cmocka_unit_test(netaddr_parse__refuses__bad_addresses_naming_the_field),
	    cmocka_unit_test(netaddr_listen__reports__the_port_and_a_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
