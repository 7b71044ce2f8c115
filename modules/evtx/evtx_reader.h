/*
** Reading a whole file: chunks decoded in batches, a batch in parallel on up
** to `threads` threads, results handed out in chunk order (so records stay in
** file order) while memory stays bounded by the batch (2 chunks per thread).
*/
#ifndef DK_EVTX_READER_H
#define DK_EVTX_READER_H

#include "evtx.h"

typedef struct dk_evtx_reader {
  const uint8_t *data;
  size_t size;
  dk_evtx_header header;
  dk_evtx_opts opts;
  int threads;
  dk_evtx_chunk_result *slots;
  size_t nslots;
  uint64_t batch_start; /* first chunk of the current batch */
  size_t batch_n;       /* chunks in the current batch */
  uint64_t next;        /* first chunk of the next batch */
  void *counter;        /* atomic work counter (opaque here) */
  int failed;           /* out of memory */
} dk_evtx_reader;

/* header must come from dk_evtx_parse_header on the same bytes. threads <= 0: one per CPU. */
int dk_evtx_reader_init(dk_evtx_reader *r, const uint8_t *data, size_t size, const dk_evtx_header *header,
                        const dk_evtx_opts *opts, int threads);
/* Decodes the next batch into r->slots[0..n-1]; returns n (0 at the end of the file). */
size_t dk_evtx_reader_batch(dk_evtx_reader *r);
void dk_evtx_reader_free(dk_evtx_reader *r);

#endif
