/*
** The libFuzzer driver shared by diagkit.trace's text parsers: any bytes must
** parse or fail with a message, never crash, hang or leak, and every span
** handed to the callback must lie inside the input.
** A target (fuzz_strace.c, fuzz_procmon_csv.c) defines FUZZ_TRACE_PARSER as the
** dkt_parse_* function it fuzzes, then includes this file.
*/
#ifndef FUZZ_TRACE_PARSER
#error "define FUZZ_TRACE_PARSER (a dkt_parse_* function) before including fuzz_trace_driver.h"
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t input_size;

static void check(dkt_span s) {
  if (s.off > input_size || s.len > input_size - s.off) abort();
}

static int on_event(void *ud, const dkt_event *e) {
  (void)ud;
  check(e->time);
  check(e->call);
  check(e->status);
  check(e->message);
  check(e->process);
  /* decoded strings must be terminated */
  if (e->path) (void)strlen(e->path);
  if (e->path2) (void)strlen(e->path2);
  if (e->dir) (void)strlen(e->dir);
  if (e->fd_path) (void)strlen(e->fd_path);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input_size = size;
  char err[256];
  err[0] = '\0';
  dkt_stats st;
  int rc = FUZZ_TRACE_PARSER((const char *)data, size, on_event, NULL, &st, err, sizeof err);
  if (rc == DKT_ERROR && err[0] == '\0') abort();
  return 0;
}
