/* Tests for lib/buf.c: the one growable byte buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void buf_take__nothing_added__empty_string(void **state)
{
	(void)state;
	struct buf b = {0};
	char *s = buf_take(&b);
	assert_string_equal(s, "");
	free(s);
	assert_null(b.p);
	buf_free(&b); /* harmless on an empty buffer */
	buf_free(&b);
}

static void buf_add__across_many_growths__keeps_every_byte_and_the_nul(void **state)
{
	(void)state;
	struct buf b = {0};
	for (int i = 0; i < 10000; i++) {
		char c = (char)('a' + i % 26);
		buf_add(&b, &c, 1);
		assert_int_equal(b.len, (size_t)i + 1);
		assert_true(b.cap > b.len);
		assert_int_equal(b.p[b.len], '\0');
	}
	for (size_t i = 0; i < b.len; i++)
		assert_int_equal(b.p[i], 'a' + (int)(i % 26));
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void buf_add__binary_and_empty__length_counts_bytes(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_add(&b, "", 0); /* allocates, stays empty */
	assert_non_null(b.p);
	assert_string_equal(b.p, "");
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.p, "a\0b", 4);
	buf_free(&b);
}

static void buf_printf__long_and_short__appended_in_order(void **state)
{
	(void)state;
	struct buf b = {0};
	buf_str(&b, "Итого: ");
	buf_printf(&b, "%d,%02d ₽", 1234, 5);
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_printf(&b, "|%s|", big); /* more than the buffer held */
	buf_printf(&b, "%s", "");
	char *s = buf_take(&b);
	assert_int_equal(
	    strncmp(s, "Итого: 1234,05 ₽|x", strlen("Итого: 1234,05 ₽|x")), 0);
	assert_int_equal(strlen(s), strlen("Итого: 1234,05 ₽") + 2 + sizeof big - 1);
	assert_int_equal(s[strlen(s) - 1], '|');
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(buf_take__nothing_added__empty_string),
	    cmocka_unit_test(buf_add__across_many_growths__keeps_every_byte_and_the_nul),
	    cmocka_unit_test(buf_add__binary_and_empty__length_counts_bytes),
	    cmocka_unit_test(buf_printf__long_and_short__appended_in_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
