/*
 * Catalog load time (the speed target that used to sit in the unit test
 * catalog_load__10000_rows, "well under 50 ms"): builds a CSV of N rows in
 * memory, loads it R times with catalog_load_buffer() and prints the figures;
 * exit 1 when the best round is above --max-ms.
 *
 *   bench_catalog [--rows N] [--rounds R] [--max-ms MS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "util.h"

int main(int argc, char **argv)
{
	long rows = 10000, rounds = 5, max_ms = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--rows") == 0)
			rows = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = strtol(argv[i + 1], NULL, 10);
		else if (strcmp(argv[i], "--max-ms") == 0)
			max_ms = strtol(argv[i + 1], NULL, 10);
	}
	if (rows < 1 || rows > 10000000 || rounds < 1 || rounds > 100) {
		fprintf(stderr, "usage: bench_catalog [--rows N] [--rounds R] [--max-ms MS]\n");
		return 2;
	}
	size_t cap = (size_t)rows * 96 + 64;
	char *text = xmalloc(cap);
	size_t o = (size_t)snprintf(text, 64, "code;name;price;unit;vat;object\n");
	for (long i = 0; i < rows; i++)
		o += (size_t)snprintf(text + o, 96,
				      "%013ld;\"Товар номер %ld, упаковка\";%ld,%02ld;шт;vat20;1\n",
				      4600000000000L + i, i, i % 5000, i % 100);
	long long best = -1, worst = 0;
	for (long r = 0; r < rounds; r++) {
		struct catalog *c = NULL;
		struct catalog_report rep;
		struct kerr err = {0};
		long long t0 = mono_ms();
		kstatus st = catalog_load_buffer(text, o, "bench.csv", &c, &rep, &err);
		long long t = mono_ms() - t0;
		if (st != K_OK || catalog_count(c) != (size_t)rows) {
			fprintf(stderr, "bench_catalog: load failed: %s\n", err.text);
			return 2;
		}
		catalog_free(c);
		catalog_report_free(&rep);
		if (best < 0 || t < best)
			best = t;
		if (t > worst)
			worst = t;
	}
	free(text);
	printf(
	    "catalog_load_buffer: %ld rows, %zu bytes, %ld rounds: best %lld ms, worst %lld ms\n",
	    rows, o, rounds, best, worst);
	if (max_ms && best > max_ms) {
		printf("bench_catalog: best %lld ms is above --max-ms %ld\n", best, max_ms);
		return 1;
	}
	return 0;
}
