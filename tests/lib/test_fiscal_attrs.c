/* Tests for lib/fiscal_attrs.c: ФН, ФД, ФП and the OFD link from callbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fiscal_attrs.h"

static void fiscal_attrs_from_callback__lifepay_form__reads_the_ofd_link(void **state)
{
	(void)state;
	/* data={"uuid":"u-1","status":"processed","ofd_url":"https://ofd.example/r?fn=9999...&i=17&fp=123"}
	 */
	const char *body =
	    "data=%7B%22uuid%22%3A%22u-1%22%2C%22status%22%3A%22processed%22%2C"
	    "%22ofd_url%22%3A%22https%3A%2F%2Fofd.example%2Fr%3Ffn%3D9999843856473198"
	    "%26i%3D17%26fp%3D9235985495%22%7D";
	struct fiscal_attrs a;
	memset(&a, 0, sizeof a);
	fiscal_attrs_from_callback(body, strlen(body), &a);
	assert_string_equal(a.fn, "9999843856473198");
	assert_string_equal(a.fd, "17");
	assert_string_equal(a.fp, "9235985495");
	assert_string_equal(a.ofd_url,
			    "https://ofd.example/r?fn=9999843856473198&i=17&fp=9235985495");
}

static void fiscal_attrs_from_callback__explicit_keys__win_over_the_link(void **state)
{
	(void)state;
	const char *body = "{\"uuid\":\"u\",\"fn\":\"1111222233334444\",\"fnd\":42,\"fpd\":\"77\","
			   "\"fop_url\":\"t=20240101T1200&s=10.00&fn=9&i=1&fp=2&n=1\"}";
	struct fiscal_attrs a;
	memset(&a, 0, sizeof a);
	fiscal_attrs_from_callback(body, strlen(body), &a);
	assert_string_equal(a.fn, "1111222233334444");
	assert_string_equal(a.fd, "42");
	assert_string_equal(a.fp, "77");
	assert_string_equal(a.ofd_url, ""); /* QR content is not a link */
}

static void fiscal_attrs_from_callback__junk__is_not_taken(void **state)
{
	(void)state;
	static const char *const bodies[] = {
	    "{\"fn\":\"12a4\",\"fd\":\"-1\",\"fp\":\"\",\"ofd_url\":\"javascript:alert(1)\"}",
	    "{\"ofd_url\":\"https://x.example/a b\"}",
	    "data=not-json",
	    "",
	    "{\"error_code\":6010}",
	};
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		struct fiscal_attrs a;
		memset(&a, 0, sizeof a);
		fiscal_attrs_from_callback(bodies[i], strlen(bodies[i]), &a);
		if (fiscal_attrs_any(&a))
			fail_msg("case %zu: took fn '%s' fd '%s' fp '%s' url '%s'", i, a.fn, a.fd,
				 a.fp, a.ofd_url);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fiscal_attrs_from_callback__lifepay_form__reads_the_ofd_link),
	    cmocka_unit_test(fiscal_attrs_from_callback__explicit_keys__win_over_the_link),
	    cmocka_unit_test(fiscal_attrs_from_callback__junk__is_not_taken),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
