/* The --faults spec and a small seeded PRNG, so a run can be replayed. */
#include "sandbox/internal.h"

#include <stdio.h>
#include <string.h>

#include "money.h"
#include "util.h"

#define PPM_ONE 1000000u

static const char *const fault_names[] = {
    "http500", "drop",	 "stall",  "callback_fail", "error",
    "retry",   "denied", "fn3975", "pos_decline",   "pos_timeout",
};
#define FAULT_COUNT (sizeof fault_names / sizeof fault_names[0])
#define FAULT_STALL 2

static uint32_t *faults_slot(struct sb_faults *f, size_t i)
{
	switch (i) {
	case 0:
		return &f->http500;
	case 1:
		return &f->drop;
	case 2:
		return &f->stall;
	case 3:
		return &f->callback_fail;
	case 5:
		return &f->retry;
	case 6:
		return &f->denied;
	case 7:
		return &f->fn3975;
	case 8:
		return &f->pos_decline;
	case 9:
		return &f->pos_timeout;
	default:
		return &f->error;
	}
}

static int faults_index(const char *name)
{
	for (size_t i = 0; i < FAULT_COUNT; i++)
		if (strcmp(name, fault_names[i]) == 0)
			return (int)i;
	return -1;
}

kstatus sandbox_faults_parse(const char *spec, struct sb_faults *out, struct kerr *err)
{
	struct sb_faults f = {0};
	if (!spec)
		spec = "";
	char *copy = xstrdup(spec);
	char *trimmed = str_trim(copy);
	kstatus st = K_OK;
	if (trimmed[0] == '\0' || strcmp(trimmed, "none") == 0)
		goto done;
	unsigned seen = 0;
	char *save = NULL;
	for (char *item = strtok_r(trimmed, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		item = str_trim(item);
		char *eq = strchr(item, '=');
		if (!eq) {
			st = kerr_set(err, K_INVALID, "faults",
				      "\"%s\" is not NAME=PROBABILITY; write e.g. drop=0.1", item);
			goto done;
		}
		*eq = '\0';
		char *name = str_trim(item), *value = str_trim(eq + 1);
		int idx = faults_index(name);
		if (idx < 0) {
			st = kerr_set(
			    err, K_INVALID, "faults",
			    "unknown fault \"%s\"; use http500, drop, stall, callback_fail, "
			    "error, retry, denied, fn3975, pos_decline or pos_timeout",
			    name);
			goto done;
		}
		uint32_t *slot = faults_slot(&f, (size_t)idx);
		unsigned bit = 1u << idx;
		if (seen & bit) {
			st =
			    kerr_set(err, K_INVALID, "faults", "fault \"%s\" is given twice", name);
			goto done;
		}
		seen |= bit;
		char *colon = strchr(value, ':');
		if (colon) {
			if (idx != FAULT_STALL) {
				st = kerr_set(err, K_INVALID, "faults",
					      "only stall takes :SECONDS, not \"%s\"", name);
				goto done;
			}
			*colon = '\0';
			int64_t ms;
			struct kerr e2;
			if (decimal_parse(str_trim(colon + 1), 3, INT64_C(86400000), 0, &ms,
					  "stall", &e2) != K_OK) {
				st = kerr_set(
				    err, K_INVALID, "faults",
				    "stall seconds \"%s\" must be a number from 0 to 86400",
				    colon + 1);
				goto done;
			}
			f.stall_ms = (long long)ms;
		} else if (idx == FAULT_STALL) {
			f.stall_ms = 3000;
		}
		int64_t ppm;
		struct kerr e1;
		if (decimal_parse(str_trim(value), 6, PPM_ONE, 0, &ppm, name, &e1) != K_OK) {
			st = kerr_set(err, K_INVALID, "faults",
				      "probability of %s \"%s\" must be a decimal from 0 to 1",
				      name, value);
			goto done;
		}
		*slot = (uint32_t)ppm;
	}
done:
	free(copy);
	if (st == K_OK && out)
		*out = f;
	return st;
}

static int ppm_format(uint32_t ppm, char *buf, size_t n)
{
	if (ppm >= PPM_ONE)
		return snprintf(buf, n, "1");
	char frac[8];
	snprintf(frac, sizeof frac, "%06u", ppm);
	size_t len = strlen(frac);
	while (len > 1 && frac[len - 1] == '0')
		frac[--len] = '\0';
	return snprintf(buf, n, "0.%s", frac);
}

int sandbox_faults_format(const struct sb_faults *f, char *buf, size_t n)
{
	struct sb_faults copy = *f;
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < FAULT_COUNT; i++) {
		uint32_t v = *faults_slot(&copy, i);
		if (!v)
			continue;
		char p[16];
		ppm_format(v, p, sizeof p);
		int w;
		if (i == FAULT_STALL) {
			long long s = f->stall_ms / 1000, ms = f->stall_ms % 1000;
			if (ms) {
				char frac[8];
				snprintf(frac, sizeof frac, "%03lld", ms);
				for (size_t k = strlen(frac); k > 1 && frac[k - 1] == '0'; k--)
					frac[k - 1] = '\0';
				w = snprintf(buf + len, n - len, "%s%s=%s:%lld.%s", len ? "," : "",
					     fault_names[i], p, s, frac);
			} else
				w = snprintf(buf + len, n - len, "%s%s=%s:%lld", len ? "," : "",
					     fault_names[i], p, s);
		} else {
			w = snprintf(buf + len, n - len, "%s%s=%s", len ? "," : "", fault_names[i],
				     p);
		}
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
	}
	if (len == 0)
		return snprintf(buf, n, "none");
	return (int)len;
}

void sandbox_prng_seed(struct sb_prng *p, uint64_t seed)
{
	p->s = seed;
}

uint64_t sandbox_prng_next(struct sb_prng *p)
{
	/* splitmix64: tiny, fast and good enough for fault decisions. */
	uint64_t z = (p->s += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

bool sandbox_prng_chance(struct sb_prng *p, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= PPM_ONE)
		return true;
	return sandbox_prng_next(p) % PPM_ONE < ppm;
}
