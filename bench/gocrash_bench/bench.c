/*
** Parse speed of the gocrash core alone: bench.c <file> [runs]. Prints the
** best time of the runs, MB/s, goroutines and buckets. Built by
** bench/bench_gocrash.sh with -O2 from modules/gocrash/gocrash.c.
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gocrash.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <dump> [runs]\n", argv[0]);
    return 64;
  }
  int runs = argc > 2 ? atoi(argv[2]) : 10;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)size + 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) return 1;
  fclose(f);
  double best = 1e9;
  size_t ng = 0, nb = 0;
  for (int i = 0; i < runs; i++) {
    dkg_result r;
    double t0 = now();
    if (dkg_parse(buf, (size_t)size, NULL, &r) != 0) return 1;
    double dt = now() - t0;
    if (dt < best) best = dt;
    ng = r.ngoroutines;
    nb = r.nbuckets;
    dkg_free(&r);
  }
  printf("%.2f ms %.0f MB/s goroutines=%zu buckets=%zu bytes=%ld\n", best * 1e3, (double)size / best / 1e6, ng, nb, size);
  free(buf);
  return 0;
}
