/*
** What the C benchmark drivers (trace_bench/, gocrash_bench/) share: a
** monotonic clock, reading a whole file into memory (parse time must not
** include disk reads), the usage check, and an event-counting callback.
*/
#ifndef DK_BENCH_IO_H
#define DK_BENCH_IO_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The file's bytes (NUL-terminated); exits with a message when unreadable. */
static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)size + 1);
  if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
  buf[size] = '\0';
  *len = (size_t)size;
  return buf;
}

/* Exits with "usage: <program> <args>" (status 64) unless argc is within [min, max]. */
static void check_usage(int argc, char **argv, int min, int max, const char *args) {
  if (argc < min || argc > max) {
    fprintf(stderr, "usage: %s %s\n", argv[0], args);
    exit(64);
  }
}

/* Defines a parser callback `name` for events of type event_type that counts
** each event, plus one when it has a path: the caller looks at every event,
** so the parse cannot be optimised away. */
#define BENCH_COUNTER(name, event_type)             \
  static int name(void *ud, const event_type *e) { \
    size_t *n = ud;                                 \
    *n += 1 + (e->path != NULL);                    \
    return 0;                                       \
  }

#endif
