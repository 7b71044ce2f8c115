/*
** libFuzzer target for the Go crash parser: any bytes must parse without a
** crash, hang or leak, and the result must stay inside the input.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "gocrash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_span(dkg_span s, size_t size) {
  if (s.off > size || s.len > size - s.off) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dkg_result r;
  if (dkg_parse((const char *)data, size, NULL, &r) != 0) return 0;
  for (size_t i = 0; i < r.nframes; i++) {
    check_span(r.frames[i].func, size);
    check_span(r.frames[i].args, size);
    check_span(r.frames[i].file, size);
  }
  size_t members = 0;
  for (size_t b = 0; b < r.nbuckets; b++) {
    if (r.buckets[b].rep >= r.ngoroutines) abort();
    members += r.buckets[b].count;
  }
  for (size_t i = 0; i < r.ngoroutines; i++) {
    const dkg_goroutine *g = &r.goroutines[i];
    check_span(g->state, size);
    if (g->first_frame > r.nframes || g->nframes > r.nframes - g->first_frame) abort();
    if (g->bucket != DKG_NONE && g->bucket >= r.nbuckets) abort();
    (void)dkg_first_user_frame(&r, g->first_frame, g->nframes);
  }
  if (members > r.ngoroutines) abort();
  if (r.crashed != DKG_NONE && r.crashed >= r.ngoroutines) abort();
  check_span(r.message, size);
  if (r.truncated && r.stop_off > size) abort();
  dkg_free(&r);
  return 0;
}
