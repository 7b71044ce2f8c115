/*
** The strace parser alone: reads a file into memory, parses it N times and
** prints the best time and throughput. Events are counted by the callback
** (a caller has to look at each), so the parse cannot be optimised away.
**   bench <strace log> <runs>
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_io.h"
#include "trace.h"

BENCH_COUNTER(count, dkt_event)

int main(int argc, char **argv) {
  check_usage(argc, argv, 3, 3, "<strace log> <runs>");
  size_t size;
  char *buf = slurp(argv[1], &size);
  int runs = atoi(argv[2]);
  double best = 1e9;
  size_t n = 0;
  dkt_stats st;
  char err[256];
  for (int i = 0; i < runs; i++) {
    n = 0;
    double t0 = now();
    if (dkt_parse_strace(buf, size, count, &n, &st, err, sizeof err) == DKT_ERROR) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    double t = now() - t0;
    if (t < best) best = t;
  }
  printf("%.1f ms %.0f MB/s %zu events\n", best * 1e3, (double)size / 1e6 / best, st.events);
  free(buf);
  return 0;
}
