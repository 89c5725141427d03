/*
 * The kassa-sandbox executable: exactly one "listening on" line, clean exit
 * on SIGTERM/SIGINT, options checked, state kept across a restart with --db.
 * The path comes from $KASSA_SANDBOX (set by meson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "util.h"

#define AUTH "\"apikey\":\"sandbox-apikey\",\"login\":\"70000000000\""

struct proc {
	pid_t pid;
	int out; /* the child's stdout */
	int port;
	char line[256];
};

static const char *binary(void)
{
	const char *b = getenv("KASSA_SANDBOX");
	return b && *b ? b : NULL;
}

/* Starts the binary with args (NULL-terminated); reads its first line. */
static bool spawn(struct proc *p, const char *const *args, bool expect_line)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0 && !getenv("SANDBOX_LOG"))
			dup2(null, 2);
		const char *argv[16] = {binary()};
		size_t n = 1;
		for (; args[n - 1] && n < 15; n++)
			argv[n] = args[n - 1];
		argv[n] = NULL;
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	p->out = fds[0];
	p->line[0] = '\0';
	p->port = 0;
	if (!expect_line)
		return true;
	size_t got = 0;
	long long end = test_ms() + 5000;
	while (got < sizeof p->line - 1 && test_ms() < end) {
		struct pollfd pf = {p->out, POLLIN, 0};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = read(p->out, p->line + got, 1);
		if (r <= 0)
			break;
		got++;
		if (p->line[got - 1] == '\n')
			break;
	}
	p->line[got] = '\0';
	const char *colon = strrchr(p->line, ':');
	p->port = colon ? atoi(colon + 1) : 0;
	return got > 0;
}

/* Waits for the child; returns its exit status, or -1 if it did not exit in time. */
static int reap(struct proc *p, long timeout_ms)
{
	long long end = test_ms() + timeout_ms;
	int status;
	while (test_ms() < end) {
		pid_t r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			close(p->out);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		sleep_ms(10);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
	close(p->out);
	return -1;
}

static json_t *post(int port, const char *path, const char *body)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	struct hres h = http_do("POST", url, "application/json", body, strlen(body), NULL, 5000);
	assert_int_equal(h.status, 200);
	json_t *j = hres_json(&h);
	assert_non_null(j);
	hres_free(&h);
	return j;
}

static void binary__one_line__serves__exits_cleanly(void **state)
{
	(void)state;
	if (!binary())
		skip();
	const char *args[] = {"--listen", "127.0.0.1:0", "--memory", "--time-scale",
			      "0.001",	  "--seed",	 "5",	     NULL};
	int sigs[] = {SIGTERM, SIGINT};
	for (int s = 0; s < 2; s++) {
		struct proc p;
		assert_true(spawn(&p, args, true));
		assert_int_equal(strncmp(p.line, "listening on http://127.0.0.1:", 30), 0);
		assert_true(p.port > 0);
		json_t *r =
		    post(p.port, "/cloud-print/create-receipt",
			 "{" AUTH ",\"purchase\":{\"products\":[{\"name\":\"A\",\"price\":1,"
			 "\"quantity\":1}]},\"card_amount\":\"#\"}");
		assert_int_equal(json_integer_value(json_object_get(r, "code")), 0);
		json_decref(r);
		kill(p.pid, sigs[s]);
		/* Nothing else on stdout: read to EOF. */
		char rest[64];
		ssize_t n = 0, got;
		while ((got = read(p.out, rest, sizeof rest)) > 0)
			n += got;
		assert_int_equal(n, 0);
		assert_int_equal(reap(&p, 5000), 0);
	}
}

static void binary__bad_options__exit_2_with_message(void **state)
{
	(void)state;
	if (!binary())
		skip();
	const char *const cases[][4] = {
	    {"--bogus", NULL},
	    {"--listen", NULL},
	    {"--time-scale", "fast", NULL},
	    {"--time-scale", "0", NULL},
	    {"--seed", "-1", NULL},
	    {"--faults", "drop=7", NULL},
	    {"--memory", "--db", "/tmp/x.db", NULL},
	    {"--listen", "nowhere", NULL},
	    {"--accounts", "/nonexistent/accounts.ini", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proc p;
		spawn(&p, cases[i], false);
		int rc = reap(&p, 5000);
		if (rc != 1 && rc != 2)
			fail_msg("case %zu (%s): exit %d", i, cases[i][0], rc);
	}
	struct proc p;
	const char *help[] = {"--help", NULL};
	spawn(&p, help, true);
	assert_non_null(strstr(p.line, "usage: kassa-sandbox"));
	assert_int_equal(reap(&p, 5000), 0);
}

static void binary__db_file__keeps_documents_and_shifts(void **state)
{
	(void)state;
	if (!binary())
		skip();
	char *db = write_temp("");
	unlink(db); /* a fresh file name */
	const char *args[] = {"--listen", "127.0.0.1:0", "--db", db, "--time-scale", "0.001", NULL};
	const char *body = "{" AUTH ",\"purchase\":{\"products\":[{\"name\":\"A\",\"price\":1,"
			   "\"quantity\":1}]},\"card_amount\":\"#\",\"ext_id\":\"keep-1\","
			   "\"target_serial\":\"SANDBOX-0002\"}";
	struct proc p;
	assert_true(spawn(&p, args, true));
	json_t *first = post(p.port, "/cloud-print/create-receipt", body);
	char uuid[64];
	str_copy(uuid, json_string_value(json_object_get(json_object_get(first, "data"), "uuid")),
		 sizeof uuid);
	json_decref(first);
	kill(p.pid, SIGTERM);
	assert_int_equal(reap(&p, 5000), 0);

	assert_true(spawn(&p, args, true));
	json_t *again = post(p.port, "/cloud-print/create-receipt", body);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(again, "data"), "uuid")), uuid);
	json_decref(again);
	/* The shift the receipt opened is still open. */
	json_t *s = post(p.port, "/cloud-print/create-session",
			 "{" AUTH ",\"target_serial\":\"SANDBOX-0002\"}");
	assert_int_equal(json_integer_value(json_object_get(s, "code")), 400);
	json_decref(s);
	kill(p.pid, SIGINT);
	assert_int_equal(reap(&p, 5000), 0);
	unlink(db);
	char side[600];
	snprintf(side, sizeof side, "%s-wal", db);
	unlink(side);
	snprintf(side, sizeof side, "%s-shm", db);
	unlink(side);
	free(db);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(binary__one_line__serves__exits_cleanly),
	    cmocka_unit_test(binary__bad_options__exit_2_with_message),
	    cmocka_unit_test(binary__db_file__keeps_documents_and_shifts),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
