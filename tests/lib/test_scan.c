/* Tests for lib/scan.c: the burst classifier (timing tables), the Russian layout, GS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scan.h"
#include "util.h"

#define SPECIAL (-2)   /* an arrow or function key */
#define TIMEOUT (-100) /* not a key: call scan_timeout at this time */

struct step {
	int32_t key;
	long long t;
};

/* Burst helper: text typed from t0 with `gap` ms between keys (UTF-8 decoded). */
static size_t burst(struct step *out, const char *text, long long t0, int gap)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)text;
	long long t = t0;
	while (*p) {
		int32_t cp = *p;
		size_t len = 1;
		if (*p >= 0xf0)
			cp = *p & 0x07, len = 4;
		else if (*p >= 0xe0)
			cp = *p & 0x0f, len = 3;
		else if (*p >= 0xc0)
			cp = *p & 0x1f, len = 2;
		for (size_t i = 1; i < len; i++)
			cp = (cp << 6) | (p[i] & 0x3f);
		p += len;
		out[n].key = cp;
		out[n].t = t;
		n++;
		t += gap;
	}
	return n;
}

struct outcome {
	char delivered[4096]; /* keys handed back, UTF-8; special keys as '#' */
	char scans[8][SCAN_CODE_MAX];
	char raws[8][SCAN_CODE_MAX];
	bool remapped[8];
	size_t ngs[8];
	size_t nscans;
	size_t dlen;
};

static void deliver(struct outcome *o, const struct scan_result *r)
{
	for (size_t i = 0; i < r->nkeys; i++) {
		int32_t k = r->keys[i];
		char enc[5] = {0};
		if (k < 0 || k > 0x10ffff)
			enc[0] = '#';
		else if (k < 0x80)
			enc[0] = (char)k;
		else if (k < 0x800)
			enc[0] = (char)(0xc0 | (k >> 6)), enc[1] = (char)(0x80 | (k & 0x3f));
		else
			enc[0] = (char)(0xe0 | (k >> 12)),
			enc[1] = (char)(0x80 | ((k >> 6) & 0x3f)),
			enc[2] = (char)(0x80 | (k & 0x3f));
		size_t len = strlen(enc);
		assert_true(o->dlen + len < sizeof o->delivered);
		memcpy(o->delivered + o->dlen, enc, len);
		o->dlen += len;
		o->delivered[o->dlen] = '\0';
	}
}

static void run(const struct scan_config *cfg, const struct step *steps, size_t n,
		struct outcome *o)
{
	memset(o, 0, sizeof *o);
	struct scan s;
	scan_init(&s, cfg);
	static struct scan_result r;
	for (size_t i = 0; i < n; i++) {
		enum scan_event ev = steps[i].key == TIMEOUT
					 ? scan_timeout(&s, steps[i].t, &r)
					 : scan_feed(&s, steps[i].key, steps[i].t, &r);
		assert_int_equal(ev, r.event);
		if (ev == SCAN_PENDING)
			assert_int_equal(r.nkeys, 0);
		if (ev == SCAN_PASS)
			assert_true(r.nkeys > 0);
		deliver(o, &r);
		if (ev == SCAN_DONE) {
			assert_true(o->nscans < 8);
			str_copy(o->scans[o->nscans], r.code, SCAN_CODE_MAX);
			str_copy(o->raws[o->nscans], r.raw, SCAN_CODE_MAX);
			o->remapped[o->nscans] = r.remapped;
			o->ngs[o->nscans] = r.ngs;
			o->nscans++;
		}
	}
	/* Whatever is still held comes out once the time has passed. */
	long long end = scan_deadline(&s);
	if (end >= 0) {
		assert_int_equal(scan_timeout(&s, end, &r), SCAN_PASS);
		deliver(o, &r);
	}
	assert_int_equal(scan_deadline(&s), -1);
}

struct timing_case {
	const char *what;
	struct {
		const char *text;
		long long t0;
		int gap;
	} parts[4];
	const char *delivered;
	const char *scans[3];
};

static void scan_feed__classifies_bursts__timing_table(void **state)
{
	static const struct timing_case cases[] = {
	    {"a scanner burst ending in Enter is a scan",
	     {{"4601234567890\n", 1000, 5}},
	     "",
	     {"4601234567890"}},
	    {"gaps of exactly max_gap still count", {{"12345678\n", 1000, 30}}, "", {"12345678"}},
	    {"one ms more and it is typing", {{"12345678\n", 1000, 31}}, "12345678\n", {NULL}},
	    {"a person typing is passed through", {{"12\n", 1000, 150}}, "12\n", {NULL}},
	    {"a quantity being typed is not touched by a scan",
	     {{"3*", 1000, 200}, {"4601234567890\n", 2000, 4}},
	     "3*",
	     {"4601234567890"}},
	    {"a quantity typed after a scan is typing again",
	     {{"4601234567890\n", 1000, 4}, {"2*", 3000, 180}},
	     "2*",
	     {"4601234567890"}},
	    {"three fast keys are below min_len", {{"123\n", 1000, 2}}, "123\n", {NULL}},
	    {"a burst without Enter is handed back after the gap",
	     {{"12345678", 1000, 3}},
	     "12345678",
	     {NULL}},
	    {"Enter too late: the burst was typing",
	     {{"12345678", 1000, 3}, {"\n", 1100, 1}},
	     "12345678\n",
	     {NULL}},
	    {"a hiccup splits a burst: the first part is typing",
	     {{"1234", 1000, 3}, {"5678\n", 1080, 3}},
	     "1234",
	     {"5678"}},
	    {"two scans in a row",
	     {{"11112222\n", 1000, 2}, {"33334444\n", 1500, 2}},
	     "",
	     {"11112222", "33334444"}},
	    {"CR LF suffix: the LF belongs to the scan",
	     {{"12345678\r\n", 1000, 2}},
	     "",
	     {"12345678"}},
	    {"a later Enter by a person is delivered",
	     {{"12345678\r\n", 1000, 2}, {"\n", 2000, 1}},
	     "\n",
	     {"12345678"}},
	    {"Cyrillic letters typed fast are still a scan (mapped back)",
	     {{"ФИ12\n", 1000, 3}},
	     "",
	     {"AB12"}},
	    {"Tab is not an end key by default", {{"ABCD\t", 1000, 3}}, "ABCD\t", {NULL}},
	    {"timestamps going backwards stay in the burst",
	     {{"1234", 1000, 3}, {"5678\n", 990, 3}},
	     "",
	     {"12345678"}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct step steps[256];
		size_t n = 0;
		for (size_t p = 0; p < 4 && cases[i].parts[p].text; p++)
			n += burst(steps + n, cases[i].parts[p].text, cases[i].parts[p].t0,
				   cases[i].parts[p].gap);
		static struct outcome o;
		run(NULL, steps, n, &o);
		if (strcmp(o.delivered, cases[i].delivered) != 0)
			fail_msg("%s: delivered \"%s\", want \"%s\"", cases[i].what, o.delivered,
				 cases[i].delivered);
		size_t want = 0;
		while (want < 3 && cases[i].scans[want])
			want++;
		if (o.nscans != want)
			fail_msg("%s: %zu scans, want %zu", cases[i].what, o.nscans, want);
		for (size_t k = 0; k < want; k++)
			if (strcmp(o.scans[k], cases[i].scans[k]) != 0)
				fail_msg("%s: scan %zu \"%s\", want \"%s\"", cases[i].what, k,
					 o.scans[k], cases[i].scans[k]);
	}
}

static void scan_feed__special_key__ends_burst_and_is_handed_back(void **state)
{
	struct step steps[16];
	size_t n = burst(steps, "1234", 1000, 2);
	steps[n++] = (struct step){SPECIAL, 1008};
	n += burst(steps + n, "\n", 1010, 1);
	static struct outcome o;
	run(NULL, steps, n, &o);
	assert_string_equal(o.delivered, "1234#\n");
	assert_int_equal(o.nscans, 0);
	/* keys.h encodes special keys above 0x10FFFF: the same. */
	n = burst(steps, "1234", 1000, 2);
	steps[n++] = (struct step){0x200000 + 0x109, 1008};
	run(NULL, steps, n, &o);
	assert_string_equal(o.delivered, "1234#");
}

static void scan_timeout__hands_back__only_after_deadline(void **state)
{
	struct scan s;
	scan_init(&s, NULL);
	static struct scan_result r;
	assert_int_equal(scan_deadline(&s), -1);
	assert_int_equal(scan_timeout(&s, 5000, &r), SCAN_PENDING);
	assert_int_equal(scan_feed(&s, '7', 1000, &r), SCAN_PENDING);
	assert_int_equal(scan_deadline(&s), 1031);
	assert_int_equal(scan_timeout(&s, 1030, &r), SCAN_PENDING);
	assert_int_equal(r.nkeys, 0);
	assert_int_equal(scan_timeout(&s, 1031, &r), SCAN_PASS);
	assert_int_equal(r.nkeys, 1);
	assert_int_equal(r.keys[0], '7');
	assert_int_equal(scan_deadline(&s), -1);
	/* The deadline moves with each key of a burst. */
	scan_feed(&s, '1', 2000, &r);
	scan_feed(&s, '2', 2020, &r);
	assert_int_equal(scan_deadline(&s), 2051);
	/* Enter is handed back at once, together with what was held. */
	assert_int_equal(scan_feed(&s, '\n', 2025, &r), SCAN_PASS);
	assert_int_equal(r.nkeys, 3);
	assert_int_equal(r.keys[2], '\n');
	/* Reset drops held keys. */
	scan_feed(&s, '9', 3000, &r);
	scan_reset(&s);
	assert_int_equal(scan_deadline(&s), -1);
}

static void scan_feed__respects_config__min_len_gap_tab(void **state)
{
	struct scan_config cfg;
	scan_config_default(&cfg);
	cfg.min_len = 8;
	struct step steps[64];
	static struct outcome o;
	size_t n = burst(steps, "1234567\n", 1000, 2);
	run(&cfg, steps, n, &o);
	assert_int_equal(o.nscans, 0);
	assert_string_equal(o.delivered, "1234567\n");
	n = burst(steps, "12345678\n", 1000, 2);
	run(&cfg, steps, n, &o);
	assert_int_equal(o.nscans, 1);

	scan_config_default(&cfg);
	cfg.max_gap_ms = 60;
	n = burst(steps, "12345678\n", 1000, 50);
	run(&cfg, steps, n, &o);
	assert_int_equal(o.nscans, 1);
	assert_string_equal(o.delivered, "");

	scan_config_default(&cfg);
	cfg.tab_ends = true;
	n = burst(steps, "ABCD\t", 1000, 3);
	run(&cfg, steps, n, &o);
	assert_int_equal(o.nscans, 1);
	assert_string_equal(o.scans[0], "ABCD");

	/* Out-of-range settings fall back to the defaults. */
	cfg.min_len = 0;
	cfg.max_gap_ms = -5;
	struct scan s;
	scan_init(&s, &cfg);
	assert_int_equal(s.cfg.min_len, SCAN_DEFAULT_MIN_LEN);
	assert_int_equal(s.cfg.max_gap_ms, SCAN_DEFAULT_MAX_GAP_MS);
}

static void scan_feed__overlong_burst__is_typing(void **state)
{
	static struct step steps[SCAN_MAX_KEYS + 20];
	size_t n = 0;
	for (; n < SCAN_MAX_KEYS + 10; n++)
		steps[n] = (struct step){'0' + (int32_t)(n % 10), 1000 + (long long)n};
	steps[n] = (struct step){'\n', 1000 + (long long)n};
	n++;
	static struct outcome o;
	run(NULL, steps, n, &o);
	assert_int_equal(o.nscans, 0);
	assert_int_equal(strlen(o.delivered), SCAN_MAX_KEYS + 11);
}

static void scan_feed__maps_russian_layout__only_when_all_keys_allow(void **state)
{
	static const struct {
		const char *typed;
		const char *code;
		bool remapped;
	} cases[] = {
	    {"ФИ12", "AB12", true},
	    {"фи-12", "ab-12", true},
	    {"4601234567890", "4601234567890", false},
	    {"AB12", "AB12", false},
	    {"ФB12", "ФB12", false},   /* a Latin letter: real Cyrillic text, kept */
	    {"ФИ.12", "ФИ.12", false}, /* '.' is not on a letter key */
	    {"ХЪЖЭБЮЁ", "{}:\"<>~", true},
	    {"хъжэбюё", "[];',.`", true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[128];
		snprintf(text, sizeof text, "%s\n", cases[i].typed);
		struct step steps[64];
		size_t n = burst(steps, text, 1000, 3);
		static struct outcome o;
		run(NULL, steps, n, &o);
		assert_int_equal(o.nscans, 1);
		if (strcmp(o.scans[0], cases[i].code) != 0 || o.remapped[0] != cases[i].remapped)
			fail_msg("\"%s\": got \"%s\" (remapped %d), want \"%s\"", cases[i].typed,
				 o.scans[0], o.remapped[0], cases[i].code);
		assert_string_equal(o.raws[0], cases[i].typed);
	}
	/* Switched off: kept as typed. */
	struct scan_config cfg;
	scan_config_default(&cfg);
	cfg.map_layout = false;
	struct step steps[16];
	size_t n = burst(steps, "ФИ12\n", 1000, 3);
	static struct outcome o;
	run(&cfg, steps, n, &o);
	assert_string_equal(o.scans[0], "ФИ12");
	assert_false(o.remapped[0]);
}

static void scan_layout_map__maps_every_key__of_the_layout(void **state)
{
	static const struct {
		const char *ru, *en;
	} rows[] = {
	    {"йцукенгшщзхъ", "qwertyuiop[]"},
	    {"фывапролджэ", "asdfghjkl;'"},
	    {"ячсмитьбю", "zxcvbnm,."},
	    {"ЙЦУКЕНГШЩЗХЪ", "QWERTYUIOP{}"},
	    {"ФЫВАПРОЛДЖЭ", "ASDFGHJKL:\""},
	    {"ЯЧСМИТЬБЮ", "ZXCVBNM<>"},
	    {"ёЁ", "`~"},
	};
	char out[64];
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		assert_true(scan_layout_map(rows[i].ru, out, sizeof out));
		assert_string_equal(out, rows[i].en);
	}
	static const char *const kept[] = {"", "1234", "Hello", "привет!", "ф ы", "ΑΒΓ"};
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		assert_false(scan_layout_map(kept[i], out, sizeof out));
		assert_string_equal(out, kept[i]);
	}
	assert_int_equal(scan_layout_key(0x0444), 'a');
	assert_int_equal(scan_layout_key('a'), -1);
	/* A short buffer is cut, never overrun. */
	assert_true(scan_layout_map("фыва", out, 3));
	assert_string_equal(out, "as");
}

static void scan_feed__keeps_gs__and_substitutes_only_if_configured(void **state)
{
	/* A marking code: 01 GTIN 21 serial GS 93 check. */
	static const char code[] = "0104601234567890215abcDEF\x1d"
				   "93dGVz";
	char text[128];
	snprintf(text, sizeof text, "%s\n", code);
	struct step steps[128];
	size_t n = burst(steps, text, 1000, 2);
	static struct outcome o;
	run(NULL, steps, n, &o);
	assert_int_equal(o.nscans, 1);
	assert_memory_equal(o.scans[0], code, sizeof code);
	assert_int_equal(o.ngs[0], 1);

	/* Textual stand-ins stay text unless configured. */
	n = burst(steps, "0104601234567890<GS>93ab\n", 1000, 2);
	run(NULL, steps, n, &o);
	assert_string_equal(o.scans[0], "0104601234567890<GS>93ab");
	assert_int_equal(o.ngs[0], 0);
	struct scan_config cfg;
	scan_config_default(&cfg);
	cfg.gs_subst = scan_gs_common;
	run(&cfg, steps, n, &o);
	assert_string_equal(o.scans[0], "0104601234567890\x1d"
					"93ab");
	assert_int_equal(o.ngs[0], 1);

	/* GS inside a Russian-layout burst: mapped around it, kept itself. */
	n = burst(steps,
		  "0104ЙЦ\x1d"
		  "21\n",
		  1000, 2);
	run(NULL, steps, n, &o);
	assert_string_equal(o.scans[0], "0104QW\x1d"
					"21");
	assert_true(o.remapped[0]);

	/* "<GS>" typed under the Russian layout arrives as "БПЫЮ". */
	n = burst(steps, "1234БПЫЮ5678\n", 1000, 2);
	run(&cfg, steps, n, &o);
	assert_string_equal(o.scans[0], "1234\x1d"
					"5678");
}

static void scan_gs_apply__replaces_longest_match__and_counts(void **state)
{
	static const char *const subst[] = {"<G", "<GS>", "\\x1d", NULL};
	char out[64];
	assert_int_equal(scan_gs_apply("a<GS>b\\x1dc\x1d", subst, out, sizeof out), 3);
	assert_string_equal(out, "a\x1d"
				 "b\x1d"
				 "c\x1d");
	assert_int_equal(scan_gs_apply("a<GS>b", NULL, out, sizeof out), 0);
	assert_string_equal(out, "a<GS>b");
	assert_int_equal(scan_gs_apply("abcdef", subst, out, 4), 0);
	assert_string_equal(out, "abc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(scan_feed__classifies_bursts__timing_table),
	    cmocka_unit_test(scan_feed__special_key__ends_burst_and_is_handed_back),
	    cmocka_unit_test(scan_timeout__hands_back__only_after_deadline),
	    cmocka_unit_test(scan_feed__respects_config__min_len_gap_tab),
	    cmocka_unit_test(scan_feed__overlong_burst__is_typing),
	    cmocka_unit_test(scan_feed__maps_russian_layout__only_when_all_keys_allow),
	    cmocka_unit_test(scan_layout_map__maps_every_key__of_the_layout),
	    cmocka_unit_test(scan_feed__keeps_gs__and_substitutes_only_if_configured),
	    cmocka_unit_test(scan_gs_apply__replaces_longest_match__and_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
