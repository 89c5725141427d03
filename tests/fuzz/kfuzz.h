/*
 * Helpers shared by the libFuzzer targets: exact-size copies of the input
 * (so a parser that reads past the length it was given is caught by ASan),
 * NUL-terminated copies for parsers of C strings, and property checks that
 * abort, so libFuzzer records the input as a crash.
 */
#ifndef KASSA_KFUZZ_H
#define KASSA_KFUZZ_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A property that must hold for every input; the message says which. */
#define KFZ_CHECK(cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: property failed: ", __FILE__, __LINE__);           \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/*
 * True when the finding `tag` is listed in $KFZ_SKIP (comma-separated).
 * Long runs skip findings already reported (tests/fuzz/regressions/README.md)
 * so that the fuzzer goes on looking; the regression replay never sets it,
 * so a reported finding fails `meson test --suite fuzz` until it is fixed.
 */
static inline bool kfz_skip(const char *tag)
{
	const char *list = getenv("KFZ_SKIP");
	size_t n = strlen(tag);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, tag, n) == 0)
			return true;
		p = e ? e + 1 : p + len;
	}
	return false;
}

/* The bytes in a buffer of exactly that size (no terminator past the end). */
static inline char *kfz_bytes(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* The bytes as a C string (cut at the first NUL, as a C caller would see them). */
static inline char *kfz_str(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);
	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

/* The selector of targets that fuzz several entry points: '0' -> 0, '1' -> 1 ... */
static inline unsigned kfz_select(const uint8_t *data, size_t size, unsigned n)
{
	return size ? (unsigned)(uint8_t)(data[0] - '0') % n : 0;
}

/* The private temporary file of kfz_file (one per process, removed at exit). */
struct kfz_tmp {
	char dir[64], path[96];
	int fd;
};

static inline struct kfz_tmp *kfz_tmp(void)
{
	static struct kfz_tmp t = {.fd = -1};
	return &t;
}

static inline void kfz_on_exit(void)
{
	struct kfz_tmp *t = kfz_tmp();
	if (t->fd >= 0)
		close(t->fd);
	unlink(t->path);
	rmdir(t->dir);
}

/*
 * For parsers that read a file: writes n bytes to one temporary file, mode
 * 0600, made on the first call and truncated and rewritten on later ones;
 * returns its path.
 */
static inline const char *kfz_file(const char *p, size_t n)
{
	struct kfz_tmp *t = kfz_tmp();
	if (t->fd < 0) {
		const char *tmp = getenv("TMPDIR");
		snprintf(t->dir, sizeof t->dir, "%s/kfz.XXXXXX",
			 tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		KFZ_CHECK(mkdtemp(t->dir) != NULL, "mkdtemp %s", t->dir);
		snprintf(t->path, sizeof t->path, "%s/input.XXXXXX", t->dir);
		t->fd = mkstemp(t->path); /* mode 0600 */
		KFZ_CHECK(t->fd >= 0, "mkstemp %s", t->path);
		atexit(kfz_on_exit);
	}
	KFZ_CHECK(ftruncate(t->fd, 0) == 0, "ftruncate %s", t->path);
	size_t off = 0;
	while (off < n) {
		ssize_t w = pwrite(t->fd, p + off, n - off, (off_t)off);
		KFZ_CHECK(w > 0, "write %s", t->path);
		off += (size_t)w;
	}
	return t->path;
}

#endif
