/*
** Parse speed of the gocrash core alone: bench.c <file> [runs]. Prints the
** best time of the runs, MB/s, goroutines and buckets. Built by
** bench/bench_gocrash.sh with -O2 from modules/gocrash/gocrash.c.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_io.h"
#include "gocrash.h"

int main(int argc, char **argv) {
  check_usage(argc, argv, 2, 3, "<dump> [runs]");
  int runs = argc > 2 ? atoi(argv[2]) : 10;
  size_t size;
  char *buf = slurp(argv[1], &size);
  double best = 1e9;
  size_t ng = 0, nb = 0;
  for (int i = 0; i < runs; i++) {
    dkg_result r;
    double t0 = now();
    if (dkg_parse(buf, size, NULL, &r) != 0) return 1;
    double dt = now() - t0;
    if (dt < best) best = dt;
    ng = r.ngoroutines;
    nb = r.nbuckets;
    dkg_free(&r);
  }
  printf("%.2f ms %.0f MB/s goroutines=%zu buckets=%zu bytes=%zu\n", best * 1e3, (double)size / best / 1e6, ng, nb, size);
  free(buf);
  return 0;
}
