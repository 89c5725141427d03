/* Tests for lib/prefs.c: the printer serial rule and the training theme file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "prefs.h"

static void prefs_serial_check__table(void **state)
{
	(void)state;
	static const struct {
		const char *serial;
		kstatus st;
		const char *why;
	} cases[] = {
	    {"SANDBOX-0001", K_OK, NULL},
	    {"00106709063245", K_OK, NULL},
	    {"a.b_c-1", K_OK, NULL},
	    {"12345678901234567890", K_OK, NULL},
	    {"", K_INVALID, "empty"},
	    {"SANDBOX 0001", K_INVALID, "space"},
	    {"Принтер", K_INVALID, "Latin"},
	    {"A/B", K_INVALID, "Latin"},
	    {"123456789012345678901", K_INVALID, "at most 20"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kerr err = {0};
		kstatus st = prefs_serial_check(cases[i].serial, "printer", &err);
		if (st != cases[i].st)
			fail_msg("case '%s': status %d (%s)", cases[i].serial, st, err.text);
		if (st != K_OK) {
			assert_string_equal(err.field, "printer");
			if (!strstr(err.text, cases[i].why))
				fail_msg("case '%s': '%s' lacks '%s'", cases[i].serial, err.text,
					 cases[i].why);
		}
	}
}

static void prefs_training_theme__kept__and_read_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/kassa-test-prefs-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("XDG_DATA_HOME", dir, 1);
	char buf[64] = "";
	assert_false(prefs_training_theme_load(buf, sizeof buf));
	assert_int_equal(prefs_training_theme_save("dark", NULL), K_OK);
	assert_true(prefs_training_theme_load(buf, sizeof buf));
	assert_string_equal(buf, "dark");
	assert_int_equal(prefs_training_theme_save("../evil", NULL), K_INVALID);
	char path[128];
	snprintf(path, sizeof path, "%s/kassa/training-theme", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/kassa", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(prefs_serial_check__table),
	    cmocka_unit_test(prefs_training_theme__kept__and_read_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
