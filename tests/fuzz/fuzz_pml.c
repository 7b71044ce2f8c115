/*
** libFuzzer target for diagkit.trace's PML reader: any bytes must open and
** list their events or fail with a message, never crash, hang or leak; every
** string handed out must be terminated.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ud, const dkt_pml_event *e) {
  size_t *n = ud;
  (*n)++;
  (void)strlen(e->operation);
  (void)strlen(e->result);
  (void)strlen(e->class_name);
  (void)strlen(e->process->name);
  if (e->path) (void)strlen(e->path);
  if (e->detail) (void)strlen(e->detail);
  char t[40];
  dkt_pml_time_of_day(e->time, t, sizeof t);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  err[0] = '\0';
  dkt_pml *p = NULL;
  if (dkt_pml_open(data, size, &p, err, sizeof err) != DKT_PML_OK) {
    if (p || err[0] == '\0') abort();
    return 0;
  }
  const dkt_pml_info *in = dkt_pml_get_info(p);
  for (size_t i = 0; i < in->processes; i++) {
    const dkt_pml_process *q = dkt_pml_process_at(p, i);
    (void)strlen(q->name);
    (void)strlen(q->command_line);
  }
  size_t n = 0;
  err[0] = '\0';
  int rc = dkt_pml_events(p, on_event, &n, err, sizeof err);
  if (rc == DKT_PML_ERROR && err[0] == '\0') abort();
  if (rc == DKT_PML_OK && n != in->events) abort();
  dkt_pml_close(p);
  return 0;
}
