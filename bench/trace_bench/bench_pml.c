/*
** The PML reader alone, and the CSV parser on the CSV export of the same
** capture: reads both files into memory, parses each N times and prints the
** best time, MB/s and events/s. The callbacks look at every event so the
** parse cannot be optimised away.
**   bench_pml <capture.pml> <capture.csv> <runs>
*/
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../bench_io.h"
#include "pml.h"
#include "trace.h"

BENCH_COUNTER(count_pml, dkt_pml_event)
BENCH_COUNTER(count_csv, dkt_event)

int main(int argc, char **argv) {
  check_usage(argc, argv, 4, 4, "<capture.pml> <capture.csv> <runs>");
  size_t plen, clen;
  char *pml = slurp(argv[1], &plen), *csv = slurp(argv[2], &clen);
  int runs = atoi(argv[3]);
  char err[256];
  double best = 1e9, best_csv = 1e9;
  size_t events = 0, csv_events = 0, n = 0;
  for (int i = 0; i < runs; i++) {
    double t0 = now();
    dkt_pml *p;
    if (dkt_pml_open((const unsigned char *)pml, plen, &p, err, sizeof err) != DKT_PML_OK ||
        dkt_pml_events(p, count_pml, &n, err, sizeof err) != DKT_PML_OK) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    events = dkt_pml_get_info(p)->events;
    dkt_pml_close(p);
    double t = now() - t0;
    if (t < best) best = t;
    dkt_stats st;
    t0 = now();
    if (dkt_parse_procmon_csv(csv, clen, count_csv, &n, &st, err, sizeof err) == DKT_ERROR) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    t = now() - t0;
    if (t < best_csv) best_csv = t;
    csv_events = st.events;
  }
  printf("pml  %8.2f ms %6.0f MB/s %9.0f events/s  %zu events, %zu bytes\n", best * 1e3, (double)plen / 1e6 / best,
         (double)events / best, events, plen);
  printf("csv  %8.2f ms %6.0f MB/s %9.0f events/s  %zu events, %zu bytes\n", best_csv * 1e3,
         (double)clen / 1e6 / best_csv, (double)csv_events / best_csv, csv_events, clen);
  free(pml);
  free(csv);
  return n == 0;
}
