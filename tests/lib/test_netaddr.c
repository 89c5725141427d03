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

/* Each address as the relay would take it (--listen, example 0.0.0.0:8443). */
static const struct {
	const char *where;
	int family;	/* 0: refused, with text in the message */
	const char *ip; /* or the text */
	unsigned port;
} cases[] = {
    {":8080", AF_INET, "0.0.0.0", 8080},
    {"*:80", AF_INET, "0.0.0.0", 80},
    {"localhost:1", AF_INET, "127.0.0.1", 1},
    {"127.0.0.1:0", AF_INET, "127.0.0.1", 0},
    {"0.0.0.0:65535", AF_INET, "0.0.0.0", 65535},
    {"[::1]:8443", AF_INET6, "::1", 8443},
    {"[::]:0", AF_INET6, "::", 0},
    {"", 0, "no listen address; use ADDR:PORT, e.g. 0.0.0.0:8443", 0},
    {"8080", 0, "\"8080\" is not ADDR:PORT, e.g. 0.0.0.0:8443", 0},
    {"[::1]8080", 0, "is not [IPv6]:PORT", 0},
    {"[::1", 0, "is not [IPv6]:PORT", 0},
    {"127.0.0.1:65536", 0, "must be a number from 0 to 65535", 0},
    {"127.0.0.1:-1", 0, "must be a number from 0 to 65535", 0},
    {"127.0.0.1:80x", 0, "must be a number from 0 to 65535", 0},
    {"127.0.0.1:", 0, "must be a number from 0 to 65535", 0},
    {"example.org:80", 0, "\"example.org\" is not an IP address", 0},
};

static void netaddr_parse__reads_numeric_addresses__refuses_others_naming_the_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		struct kerr e = {0};
		kstatus st =
		    netaddr_parse(cases[i].where, "--listen", "0.0.0.0:8443", &ss, &len, &e);
		if (!cases[i].family) {
			assert_int_equal(st, K_INVALID);
			assert_string_equal(e.field, "--listen");
			if (!strstr(e.text, cases[i].ip))
				fail_msg("\"%s\": %s", cases[i].where, e.text);
			continue;
		}
		assert_int_equal(st, K_OK);
		assert_int_equal(ss.ss_family, cases[i].family);
		assert_int_equal(netaddr_port(&ss), cases[i].port);
		char ip[INET6_ADDRSTRLEN];
		netaddr_text((struct sockaddr *)&ss, ip, sizeof ip);
		assert_string_equal(ip, cases[i].ip);
		assert_int_equal(len, cases[i].family == AF_INET ? sizeof(struct sockaddr_in)
								 : sizeof(struct sockaddr_in6));
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
	    cmocka_unit_test(
		netaddr_parse__reads_numeric_addresses__refuses_others_naming_the_field),
	    cmocka_unit_test(netaddr_listen__reports__the_port_and_a_port_in_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
