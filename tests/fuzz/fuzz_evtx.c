/*
** libFuzzer target for the diagkit.evtx core: the input is a whole .evtx file
** (header + chunks). Every chunk is decoded with fields, XML and JSON, with and
** without slack recovery; a second pass treats the input as one bare chunk
** behind a synthetic file header, so small inputs reach the BinXML decoder;
** a third reads it as one event in XML text (what live logs give).
** Seeds: tests/fuzz/corpus/evtx (see its README.md).
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "evtx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_all(const uint8_t *data, size_t size, int recover) {
  dk_evtx_header h;
  char err[256];
  if (dk_evtx_parse_header(data, size, &h, err, sizeof err) != 0) return;
  static const int64_t ids[] = {1000, 7031};
  dk_evtx_filter f = {.provider = "Application Error", .event_ids = ids, .n_event_ids = 2};
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_XML | DK_EVTX_WANT_JSON | DK_EVTX_WANT_NL, recover, NULL};
  dk_evtx_chunk_result r = {0};
  uint64_t n = h.chunks_in_file < 8 ? h.chunks_in_file : 8;
  for (uint64_t i = 0; i < n; i++) {
    dk_evtx_parse_chunk(data, size, i, &o, &r);
    for (size_t k = 0; k < r.nrecords; k++) {
      const dk_evtx_record *rec = &r.records[k];
      if (rec->xml_off + rec->xml_len > r.text.len || rec->json_off + rec->json_len > r.text.len) abort();
      for (size_t d = 0; d < rec->ndata; d++)
        if (rec->data[d].value == NULL) abort();
    }
  }
  o.filter = &f;
  if (n > 0) dk_evtx_parse_chunk(data, size, 0, &o, &r);
  dk_evtx_chunk_result_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  decode_all(data, size, size & 1);
  /* the input as one event in XML text (the live-log path) */
  if (size < 65536) {
    dk_evtx_chunk_result r = {0};
    dk_evtx_opts o = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_XML | DK_EVTX_WANT_JSON, 0, NULL};
    dk_evtx_parse_xml_record((const char *)data, size, &o, &r);
    dk_evtx_chunk_result_free(&r);
  }
  if (size > 0 && size <= DK_EVTX_CHUNK_SIZE) {
    /* the input as chunk 0 of a file */
    uint8_t *f = calloc(1, DK_EVTX_HEADER_BLOCK + DK_EVTX_CHUNK_SIZE);
    if (f == NULL) return 0;
    memcpy(f, "ElfFile\0", 8);
    f[36] = 1;
    f[38] = 3;
    f[42] = 1;
    memcpy(f + DK_EVTX_HEADER_BLOCK, data, size);
    decode_all(f, DK_EVTX_HEADER_BLOCK + size, 1);
    free(f);
  }
  return 0;
}
