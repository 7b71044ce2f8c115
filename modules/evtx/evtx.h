/*
** diagkit.evtx core: Windows Event Log (.evtx) files, portable C, no Lua.
**
** The whole file is given as one byte buffer (evtx_os.h maps it). Chunks are
** independent: dk_evtx_parse_chunk() decodes one 64 KiB chunk into records
** (fields, optional XML and JSON text) and warnings, touching nothing shared,
** so chunks can be parsed on several threads at once.
**
** Every offset and count read from the file is checked; a damaged record or
** chunk becomes a warning naming the chunk, the file offset and what is wrong.
*/
#ifndef DK_EVTX_H
#define DK_EVTX_H

#include <stddef.h>
#include <stdint.h>

#include "dk_buf.h"

#define DK_EVTX_HEADER_BLOCK 4096u
#define DK_EVTX_CHUNK_SIZE 65536u

/* Bump allocator: many small allocations, freed at once. */
typedef struct dk_evtx_arena_blk dk_evtx_arena_blk;
typedef struct dk_evtx_arena {
  dk_evtx_arena_blk *head;
  int oom;
} dk_evtx_arena;

void dk_evtx_arena_reset(dk_evtx_arena *a); /* keeps one block for reuse */
void dk_evtx_arena_free(dk_evtx_arena *a);

typedef struct dk_evtx_header {
  uint64_t first_chunk, last_chunk, next_record_id;
  uint32_t header_size;
  uint16_t minor, major, block_size, chunk_count;
  uint32_t flags;          /* 0x1 dirty, 0x2 full, 0x4 no CRC32 */
  uint32_t crc, crc_calc;  /* stored and computed CRC32 of bytes 0..119 */
  uint64_t chunks_in_file; /* from the file size, not the header */
} dk_evtx_header;

#define DK_EVTX_FLAG_DIRTY 0x1u
#define DK_EVTX_FLAG_FULL 0x2u
#define DK_EVTX_FLAG_NO_CRC 0x4u

/* 0 and *h filled, or -1 with a message in err: the buffer is not an EVTX file. */
int dk_evtx_parse_header(const uint8_t *data, size_t size, dk_evtx_header *h, char *err, size_t errlen);

/* One EventData <Data> item or one UserData field. name is NULL for a nameless <Data>. */
typedef struct dk_evtx_field {
  const char *name;
  const char *value;
} dk_evtx_field;

/* Integer fields are -1 when the record does not have them; strings NULL. */
typedef struct dk_evtx_record {
  uint64_t record_id;
  uint64_t file_offset;
  uint64_t filetime;   /* the event time (TimeCreated, else the record's written time), 100 ns since 1601 */
  const char *time;    /* filetime as ISO-8601 UTC, 7 decimals: 2016-10-06T01:47:07.1663024Z */
  const char *provider, *provider_guid, *event_source;
  int64_t event_id, qualifiers, version, level, task, opcode, pid, tid;
  const char *keywords, *channel, *computer, *user_id, *activity_id, *related_activity_id;
  const char *data_kind;     /* "EventData", "UserData" or NULL */
  const char *userdata_name; /* name of the element inside UserData */
  dk_evtx_field *data;
  size_t ndata;
  dk_evtx_field *rendering; /* RenderingInfo children (forwarded events): Message, Level, ... */
  size_t nrendering;
  size_t xml_off, xml_len;   /* in dk_evtx_chunk_result.text when DK_EVTX_WANT_XML */
  size_t json_off, json_len; /* in dk_evtx_chunk_result.text when DK_EVTX_WANT_JSON */
  uint32_t chunk;
  int recovered; /* found in a chunk's slack space */
} dk_evtx_record;

#define DK_EVTX_WANT_FIELDS 0x1u /* records[] with fields */
#define DK_EVTX_WANT_XML 0x2u    /* XML text of each record appended to text */
#define DK_EVTX_WANT_JSON 0x4u   /* one JSON object (one line) of each record appended to text */
#define DK_EVTX_WANT_NL 0x8u     /* a newline after each XML / JSON record text */

typedef struct dk_evtx_filter {
  const char *provider;     /* case-insensitive, matches Provider Name or EventSourceName */
  const int64_t *event_ids; /* any of these (EventID without qualifiers) */
  size_t n_event_ids;
  uint64_t since, until; /* FILETIME bounds (inclusive / exclusive), 0 = none */
} dk_evtx_filter;

typedef struct dk_evtx_opts {
  unsigned want;
  int recover; /* also decode records found in the slack space after the last record */
  const dk_evtx_filter *filter;
} dk_evtx_opts;

typedef struct dk_evtx_chunk_result {
  uint32_t index;
  uint64_t file_offset;
  int present;            /* 0: all-zero (unused) chunk */
  int bad;                /* chunk skipped entirely: 1 truncated, 2 bad signature */
  int header_crc_ok;      /* 1 ok, 0 mismatch, -1 not checked (no-CRC flag) */
  int data_crc_ok;        /* same, for the records area */
  uint64_t first_record_id, last_record_id;
  dk_evtx_record *records;
  size_t nrecords, cap;
  size_t nskipped; /* records that could not be decoded (each has a warning) */
  size_t nfiltered;
  char **warnings;
  size_t nwarnings, wcap;
  dk_buf text;         /* XML / JSON text of the records */
  dk_evtx_arena arena; /* strings of records and warnings */
  dk_evtx_arena tmp;   /* per-record scratch */
} dk_evtx_chunk_result;

/* Resets r (keeping its memory) and decodes chunk `index` of the file.
** Returns 0, or -1 when memory ran out (r->warnings says so). A damaged chunk
** is not an error: r->bad, r->warnings. */
int dk_evtx_parse_chunk(const uint8_t *file, size_t size, uint64_t index, const dk_evtx_opts *opts,
                        dk_evtx_chunk_result *r);
void dk_evtx_chunk_result_free(dk_evtx_chunk_result *r);
/* Empties r (keeping its memory). */
void dk_evtx_result_reset(dk_evtx_chunk_result *r);

/* One event as XML text (what EvtRender(EvtRenderEventXml) and wevtutil print;
** pretty-printed XML too) -> a record appended to r, with the same fields and
** filters as the Binary XML path. 1 kept, 0 filtered out, -1 malformed (a
** warning in r says why). record_id comes from <EventRecordID>. */
int dk_evtx_parse_xml_record(const char *xml, size_t len, const dk_evtx_opts *o, dk_evtx_chunk_result *r);

/* Helpers shared with the binding and the tests. */
uint32_t dk_evtx_crc32(const uint8_t *p, size_t n);
/* FILETIME -> "YYYY-MM-DDTHH:MM:SS.fffffffZ" (buf of 32 bytes at least). */
void dk_evtx_filetime_iso(uint64_t ft, char *buf, size_t n);
/* "2016-10-06", "2016-10-06T01:47:07", "...Z", "...+02:00", fractions -> FILETIME; -1 when malformed. */
int dk_evtx_parse_iso(const char *s, uint64_t *ft);

#endif
