/*
 * Config load time against the number of profiles (issue 11, finding 10:
 * 40,000 profiles took 12.2 s to load). Writes a config of N profiles to a
 * temporary folder, loads it R times with config_load() and prints the
 * figures; exit 1 when the median is above --max-ms.
 *
 *   bench_config [--profiles N] [--rounds R] [--max-ms MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long profiles = 40000, rounds = 5, max_ms = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--profiles") == 0)
			profiles = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--max-ms") == 0)
			max_ms = strtol(argv[i + 1], NULL, 10);
	}
	if (profiles < 1 || rounds < 1 || rounds > 100) {
		fprintf(stderr, "usage: bench_config [--profiles N] [--rounds R] [--max-ms MS]\n");
		return 2;
	}
	char dir[] = "/tmp/kassa-bench-config-XXXXXX";
	if (!mkdtemp(dir))
		return 2;
	char path[128];
	snprintf(path, sizeof path, "%s/config.ini", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return 2;
	for (long i = 0; i < profiles; i++)
		fprintf(f,
			"[profile.p%ld]\nlogin = 79991234567\napikey = key-%ld\n"
			"target_serial = %011ld\ncashier_name = Кассир %ld\n\n",
			i, i, i, i);
	fclose(f);
	chmod(path, 0600);
	struct stat sb;
	stat(path, &sb);
	long long *ms = calloc((size_t)rounds, sizeof *ms);
	for (long r = 0; r < rounds; r++) {
		struct config *cfg = NULL;
		struct kerr err = {0};
		long long t0 = mono_ms();
		kstatus st = config_load(path, &cfg, &err);
		ms[r] = mono_ms() - t0;
		if (st != K_OK || !cfg || (long)cfg->nprofiles != profiles) {
			fprintf(stderr, "bench_config: load failed: %s\n", err.text);
			return 2;
		}
		config_free(cfg);
	}
	qsort(ms, (size_t)rounds, sizeof *ms, cmp_ll);
	long long median = ms[rounds / 2];
	printf("config_load: %ld profiles, %lld bytes, %ld rounds: min %lld ms, median %lld ms, "
	       "max %lld ms\n",
	       profiles, (long long)sb.st_size, rounds, ms[0], median, ms[rounds - 1]);
	unlink(path);
	rmdir(dir);
	free(ms);
	if (max_ms && median > max_ms) {
		printf("bench_config: median %lld ms is above --max-ms %ld\n", median, max_ms);
		return 1;
	}
	return 0;
}
