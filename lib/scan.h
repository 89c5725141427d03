/*
 * Barcode scanners that type like a keyboard. Pure functions and a small
 * state machine, no terminal: the screen feeds every key with a monotonic
 * time in milliseconds and gets back what to do with it.
 *
 * A scan is a fast burst: at least min_len character keys, each following the
 * previous within max_gap_ms, ended by Enter (CR or LF; Tab too if asked)
 * that also comes within max_gap_ms. Character keys are held while the
 * machine decides, so a scan's keys never reach the field under the cursor
 * (a quantity being typed stays as it was); keys that turn out to be typing
 * are handed back, in order, to be delivered normally.
 *
 *   for each key:  switch (scan_feed(&s, key, mono_ms(), &r)) {
 *                  case SCAN_PASS: deliver r.keys[0 .. r.nkeys-1]; break;
 *                  case SCAN_DONE: add the item r.code; break;
 *                  case SCAN_PENDING: break; }
 *   poll timeout:  scan_deadline(&s) (-1: none); when it passes call
 *                  scan_timeout(&s, mono_ms(), &r) and deliver its keys.
 *
 * Keys are Unicode code points 0..0x10FFFF; any other value (negative, or
 * above 0x10FFFF as tui/keys.h encodes arrows and function keys) is a
 * non-character key: it ends a burst and is handed back. GS (0x1D, which
 * scanners send as Ctrl+] for the FNC1 separator of marking codes) is a
 * character key and stays in the code as the byte 0x1D.
 *
 * The code a scan gives is mapped back from the Russian layout when every
 * key is a letter of the ЙЦУКЕН layout, a digit, '-' or GS, and at least one
 * is a Cyrillic letter: a scanner types key positions, so under a Russian
 * layout "4601234567890" stays digits but "AB12" arrives as "ФИ12". Then
 * configured textual stand-ins for GS ("<GS>" ...) are replaced by 0x1D.
 */
#ifndef KASSA_SCAN_H
#define KASSA_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest burst held; a longer one is typing (or a paste), not a scan. */
#define SCAN_MAX_KEYS 512
#define SCAN_CODE_MAX (SCAN_MAX_KEYS * 4 + 1)
#define SCAN_GS 0x1d

/* Defaults: 4 keys, gaps of at most 30 ms. */
#define SCAN_DEFAULT_MIN_LEN 4
#define SCAN_DEFAULT_MAX_GAP_MS 30

struct scan_config {
	int min_len;	 /* character keys before Enter, at least 1 */
	int max_gap_ms;	 /* largest gap between two keys of a burst */
	bool tab_ends;	 /* Tab also ends a scan (some scanners send a Tab suffix) */
	bool map_layout; /* map the Russian layout back (see above) */
	/* Textual stand-ins for GS, a NULL-terminated list; NULL = none. */
	const char *const *gs_subst;
};

/* Stand-ins some scanners are set up to send for GS: "<GS>", "{GS}", "[GS]", "\x1d" ... */
extern const char *const scan_gs_common[];

enum scan_event {
	SCAN_PENDING, /* nothing to do now (keys may be held: see scan_deadline) */
	SCAN_PASS,    /* deliver r.keys as typed (more keys may still be held) */
	SCAN_DONE,    /* a scan: r.code */
};

struct scan_result {
	enum scan_event event;
	int32_t keys[SCAN_MAX_KEYS + 1]; /* SCAN_PASS: keys to deliver, in order */
	size_t nkeys;
	char code[SCAN_CODE_MAX]; /* SCAN_DONE: UTF-8, layout mapped, GS as 0x1D */
	char raw[SCAN_CODE_MAX];  /* SCAN_DONE: the keys as they came */
	bool remapped;		  /* the Russian layout was mapped back */
	size_t ngs;		  /* GS separators in code */
};

struct scan {
	struct scan_config cfg;
	int32_t held[SCAN_MAX_KEYS];
	size_t nheld;
	long long last_t;
	long long done_t; /* time of the last scan's Enter, to drop a following LF */
	int32_t done_key;
	bool after_done;
	bool spill; /* inside a burst too long to be a scan */
};

/* The defaults: 4 keys, 30 ms, Enter only, layout mapping on, no GS stand-ins. */
void scan_config_default(struct scan_config *cfg);
/* Starts a scanner with cfg (NULL = defaults); out-of-range values take defaults. */
void scan_init(struct scan *s, const struct scan_config *cfg);
/* Forgets held keys (e.g. when the screen changes); they are not delivered. */
void scan_reset(struct scan *s);
/* Feeds one key at monotonic time t_ms; fills r and returns r->event. */
enum scan_event scan_feed(struct scan *s, int32_t key, long long t_ms, struct scan_result *r);
/* Called when time passes without keys: hands back held keys once the burst cannot go on. */
enum scan_event scan_timeout(struct scan *s, long long t_ms, struct scan_result *r);
/* When scan_timeout next has something to do (monotonic ms), or -1 when nothing is held. */
long long scan_deadline(const struct scan *s);

/* The QWERTY character on the key of a Russian-layout character, or -1 if none. */
int32_t scan_layout_key(int32_t cp);
/*
 * Maps UTF-8 text typed under a Russian layout back to the keys' Latin
 * characters, when the rule above allows it; else copies. Returns true if
 * mapped. out holds n bytes, always terminated.
 */
bool scan_layout_map(const char *in, char *out, size_t n);
/* Replaces each stand-in of subst (NULL-terminated) by GS; returns the GS count of out. */
size_t scan_gs_apply(const char *in, const char *const *subst, char *out, size_t n);

#endif
