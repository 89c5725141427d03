/*
 * libFuzzer target for the INI config: config_load reads a file, so each
 * input is written to one private temporary file (mode 0600, made once per
 * process, removed at exit), then config_load, config_select, config_dump and
 * config_free run on it.
 *
 * The first byte picks how: '0' the input as is; '1' after every [section]
 * line the harness adds apikey, password and secret lines holding a marker
 * value, and checks that the marker never shows: not in the error, not in a
 * warning, not in a masked dump. In both modes a masked dump must not depend
 * on what the secrets are.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kfuzz.h"
#include "util.h"

#define MARKER "Kfz7Sec9Marker3"

/* The input with secret lines after every line that opens a section. */
static char *with_secrets(const char *in, size_t n, size_t *out_n)
{
	static const char add[] =
	    "apikey = " MARKER "\npassword = " MARKER "\nsecret = " MARKER "\n";
	size_t lines = 1;
	for (size_t i = 0; i < n; i++)
		lines += in[i] == '\n';
	char *out = xmalloc(n + 1 + lines * (sizeof add - 1));
	size_t o = 0, i = 0;
	while (i < n) {
		const char *nl = memchr(in + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - in) + 1 : n;
		size_t s = i;
		while (s < end && (in[s] == ' ' || in[s] == '\t'))
			s++;
		memcpy(out + o, in + i, end - i);
		o += end - i;
		if (s < end && in[s] == '[') {
			if (!nl)
				out[o++] = '\n';
			memcpy(out + o, add, sizeof add - 1);
			o += sizeof add - 1;
		}
		i = end;
	}
	*out_n = o;
	return out;
}

/* A masked dump is the same whatever the secrets are (only "set or not" shows). */
static void check_dump(const struct config_profile *p, bool marked)
{
	char *a = config_dump(p, true);
	KFZ_CHECK(a != NULL, "no dump");
	if (marked)
		KFZ_CHECK(strstr(a, MARKER) == NULL, "a masked dump shows a secret:\n%s", a);
	struct config_profile *q = xmalloc(sizeof *q);
	*q = *p;
	if (q->apikey[0])
		str_copy(q->apikey, "other", sizeof q->apikey);
	if (q->password[0])
		str_copy(q->password, "other", sizeof q->password);
	if (q->secret[0])
		str_copy(q->secret, "other", sizeof q->secret);
	char *b = config_dump(q, true);
	KFZ_CHECK(b && strcmp(a, b) == 0, "a masked dump depends on the secrets:\n%s\n%s", a, b);
	free(b);
	free(a);
	free(config_dump(p, false));
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool marked = kfz_select(data, size, 2) == 1;
	if (size)
		data++, size--;
	/* the marker must come from us, not from the input */
	for (size_t i = 0; marked && i + 7 <= size; i++)
		if (memcmp(data + i, "Marker3", 7) == 0)
			marked = false;
	char *text = kfz_bytes(data, size);
	size_t n = size;
	if (marked) {
		char *t = with_secrets(text, size, &n);
		free(text);
		text = t;
	}
	const char *path = kfz_file(text, n);
	free(text);

	struct config *cfg = NULL;
	struct kerr err = {0};
	kstatus st = config_load(path, &cfg, &err);
	if (st != K_OK) {
		KFZ_CHECK(cfg == NULL, "a refused config is handed out");
		KFZ_CHECK(err.text[0] != '\0', "refusal without a message");
		if (marked)
			KFZ_CHECK(strstr(err.text, MARKER) == NULL &&
				      strstr(err.field, MARKER) == NULL,
				  "an error shows a secret: %s: %s", err.field, err.text);
		return 0;
	}
	KFZ_CHECK(cfg && cfg->exists, "a loaded config that does not exist");
	for (size_t i = 0; i < cfg->nwarnings; i++) {
		KFZ_CHECK(cfg->warnings[i] != NULL, "warning %zu is NULL", i);
		if (marked)
			KFZ_CHECK(strstr(cfg->warnings[i], MARKER) == NULL,
				  "a warning shows a secret: %s", cfg->warnings[i]);
	}
	for (size_t i = 0; i < cfg->nprofiles; i++) {
		check_dump(&cfg->profiles[i], marked);
		KFZ_CHECK(config_profile_find(cfg, cfg->profiles[i].name) != NULL,
			  "profile '%s' is not found by its name", cfg->profiles[i].name);
	}
	struct config_profile *p = xmalloc(sizeof *p);
	memset(&err, 0, sizeof err);
	st = config_select(cfg, NULL, false, p, &err);
	if (st == K_OK)
		check_dump(p, marked);
	else if (marked)
		KFZ_CHECK(strstr(err.text, MARKER) == NULL, "an error shows a secret: %s",
			  err.text);
	if (cfg->nprofiles) {
		memset(&err, 0, sizeof err);
		st = config_select(cfg, cfg->profiles[0].name, false, p, &err);
		KFZ_CHECK(st == K_OK, "profile '%s' cannot be selected by name: %s",
			  cfg->profiles[0].name, err.text);
	}
	explicit_bzero(p, sizeof *p);
	free(p);
	config_free(cfg);
	return 0;
}
