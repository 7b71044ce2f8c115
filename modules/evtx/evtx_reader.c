/* Batched, parallel, ordered decoding of a whole file (see evtx_reader.h). */
#include "evtx_reader.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "evtx_os.h"

int dk_evtx_reader_init(dk_evtx_reader *r, const uint8_t *data, size_t size, const dk_evtx_header *header,
                        const dk_evtx_opts *opts, int threads) {
  memset(r, 0, sizeof *r);
  (void)dk_evtx_crc32(NULL, 0); /* builds the CRC tables before any worker thread runs */
  r->data = data;
  r->size = size;
  r->header = *header;
  r->opts = *opts;
  if (threads <= 0) threads = dk_evtx_cpu_count();
  if (threads > 64) threads = 64;
  r->threads = threads;
  r->nslots = threads == 1 ? 1 : (size_t)threads * 2;
  r->slots = calloc(r->nslots, sizeof *r->slots);
  atomic_size_t *c = malloc(sizeof *c);
  if (r->slots == NULL || c == NULL) {
    free(r->slots);
    free(c);
    r->slots = NULL;
    return -1;
  }
  atomic_init(c, 0);
  r->counter = c;
  return 0;
}

static void worker(void *arg, int i) {
  dk_evtx_reader *r = arg;
  atomic_size_t *c = r->counter;
  (void)i;
  for (;;) {
    size_t k = atomic_fetch_add(c, 1);
    if (k >= r->batch_n) break;
    if (dk_evtx_parse_chunk(r->data, r->size, r->batch_start + k, &r->opts, &r->slots[k]) != 0) r->failed = 1;
  }
}

size_t dk_evtx_reader_batch(dk_evtx_reader *r) {
  uint64_t total = r->header.chunks_in_file;
  if (r->next >= total) {
    r->batch_n = 0;
    return 0;
  }
  uint64_t left = total - r->next;
  r->batch_start = r->next;
  r->batch_n = left < r->nslots ? (size_t)left : r->nslots;
  r->next += r->batch_n;
  atomic_store((atomic_size_t *)r->counter, 0);
  int n = r->threads < (int)r->batch_n ? r->threads : (int)r->batch_n;
  dk_evtx_parallel(n, worker, r);
  for (size_t k = 0; k < r->batch_n; k++) {
    dk_evtx_chunk_result *s = &r->slots[k];
    /* past the count in the header, a chunk without a signature is unused space, not damage */
    if (s->bad == 2 && s->index >= r->header.chunk_count) {
      s->nwarnings = 0;
      s->present = 0;
    }
  }
  return r->batch_n;
}

void dk_evtx_reader_free(dk_evtx_reader *r) {
  if (r->slots)
    for (size_t k = 0; k < r->nslots; k++) dk_evtx_chunk_result_free(&r->slots[k]);
  free(r->slots);
  free(r->counter);
  memset(r, 0, sizeof *r);
}
