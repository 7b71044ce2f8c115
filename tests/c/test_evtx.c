/*
** diagkit.evtx core: header, records, value types, filters, the parallel
** reader, and damaged files derived at test time (truncated, bad CRC, record
** size past the chunk, template offset loop). Fixtures come from
** tests/fixtures/evtx (make_evtx.py); the real samples from ../shared/data/evtx
** are used when present and skipped otherwise.
*/
#include "test_util.h"

#include <time.h>

#include "evtx.h"
#include "evtx_os.h"
#include "evtx_reader.h"

#define FIXTURES TU_SRC("tests/fixtures/evtx/")
#define SAMPLES TU_SRC("../shared/data/evtx/")

static char *dupn(const char *s, size_t n) {
  char *p = malloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static const dk_evtx_opts ALL = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_XML | DK_EVTX_WANT_JSON, 0, NULL};

static const char *field(const dk_evtx_record *r, const char *name) {
  for (size_t i = 0; i < r->ndata; i++)
    if (r->data[i].name && strcmp(r->data[i].name, name) == 0) return r->data[i].value;
  return NULL;
}

static int has_warning(const dk_evtx_chunk_result *r, const char *needle) {
  for (size_t i = 0; i < r->nwarnings; i++)
    if (strstr(r->warnings[i], needle)) return 1;
  return 0;
}

/* Fails unless the result's text at [off, off + len) contains needle. */
static void assert_text_has(const dk_evtx_chunk_result *r, size_t off, size_t len, const char *needle) {
  char *t = dupn(r->text.p + off, len);
  if (strstr(t, needle) == NULL) fail_msg("'%s' lacks '%s'", t, needle);
  free(t);
}

/* A fixture and its first chunk decoded with ALL, which must hold nrecords records. */
typedef struct decoded {
  tu_blob b;
  dk_evtx_chunk_result r;
} decoded;

static void decode_fixture(decoded *d, const char *path, size_t nrecords) {
  d->b = tu_must_load(path);
  memset(&d->r, 0, sizeof d->r);
  assert_int_equal(dk_evtx_parse_chunk(d->b.p, d->b.n, 0, &ALL, &d->r), 0);
  assert_int_equal(d->r.nrecords, nrecords);
}

static void decoded_free(decoded *d) {
  dk_evtx_chunk_result_free(&d->r);
  free(d->b.p);
}

/* Reads path and its file header: 0, or -1 when the file cannot be read. */
static int load_with_header(const char *path, tu_blob *b, dk_evtx_header *h) {
  if (tu_load(path, b) != 0) return -1;
  char err[200];
  assert_int_equal(dk_evtx_parse_header(b->p, b->n, h, err, sizeof err), 0);
  return 0;
}

static void test_header(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "application.evtx");
  dk_evtx_header h;
  char err[200];
  assert_int_equal(dk_evtx_parse_header(b.p, b.n, &h, err, sizeof err), 0);
  assert_int_equal(h.major, 3);
  assert_int_equal(h.minor, 1);
  assert_int_equal(h.chunk_count, 1);
  assert_int_equal(h.chunks_in_file, 1);
  assert_int_equal(h.next_record_id, 8);
  assert_int_equal(h.crc, h.crc_calc);
  assert_int_equal(dk_evtx_parse_header(b.p, 100, &h, err, sizeof err), -1);
  assert_non_null(strstr(err, "too small"));
  b.p[0] = 'X';
  assert_int_equal(dk_evtx_parse_header(b.p, b.n, &h, err, sizeof err), -1);
  assert_non_null(strstr(err, "ElfFile"));
  free(b.p);
}

static void test_application_records(void **state) {
  (void)state;
  decoded d;
  decode_fixture(&d, FIXTURES "application.evtx", 7);
  const dk_evtx_chunk_result *r = &d.r;
  assert_int_equal(r->nwarnings, 0);
  assert_int_equal(r->header_crc_ok, 1);
  assert_int_equal(r->data_crc_ok, 1);
  const dk_evtx_record *a = &r->records[0];
  assert_int_equal(a->record_id, 1);
  assert_string_equal(a->provider, "Application Error");
  assert_int_equal(a->event_id, 1000);
  assert_int_equal(a->level, 2);
  assert_int_equal(a->pid, 812);
  assert_string_equal(a->time, "2023-11-14T22:13:20.0000000Z");
  assert_string_equal(a->channel, "Application");
  assert_string_equal(a->computer, "FIXTURE-PC");
  assert_string_equal(a->data_kind, "EventData");
  assert_int_equal(a->ndata, 15);
  assert_string_equal(field(a, "ExceptionCode"), "c0000005");
  assert_string_equal(field(a, "AppPath"), "C:\\Tools\\crasher.exe");
  assert_string_equal(field(a, "PackageFullName"), "");
  /* XML as wevtutil prints it, JSON with the documented shape */
  static const char *const xml_has[] = {
      "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
      "<Data Name='ExceptionCode'>c0000005</Data>",
      "<TimeCreated SystemTime='2023-11-14T22:13:20.0000000Z'/>",
      "<Data Name='PackageFullName'></Data>",
  };
  for (size_t i = 0; i < TU_COUNT(xml_has); i++) assert_text_has(r, a->xml_off, a->xml_len, xml_has[i]);
  static const char *const json_has[] = {
      "\"record_id\":1,\"time\":\"2023-11-14T22:13:20.0000000Z\"",
      "\"data\":{\"AppName\":\"crasher.exe\"",
      "\"data_list\":[{\"name\":\"AppName\",\"value\":\"crasher.exe\"}",
      "\"AppPath\":\"C:\\\\Tools\\\\crasher.exe\"",
  };
  for (size_t i = 0; i < TU_COUNT(json_has); i++) assert_text_has(r, a->json_off, a->json_len, json_has[i]);
  /* nameless <Data>: kept in order, no names */
  const dk_evtx_record *c = &r->records[2];
  assert_int_equal(c->ndata, 15);
  assert_null(c->data[0].name);
  assert_string_equal(c->data[3].value, "ucrtbase.dll");
  assert_string_equal(c->data[6].value, "c0000409");
  /* .NET 1026: one Data item with newlines */
  assert_string_equal(r->records[4].provider, ".NET Runtime");
  assert_non_null(strstr(r->records[4].data[0].value, "System.IO.FileNotFoundException"));
  decoded_free(&d);
}

static void test_value_types(void **state) {
  (void)state;
  decoded d;
  decode_fixture(&d, FIXTURES "types.evtx", 1);
  const dk_evtx_record *t = &d.r.records[0];
  static const char *const want[][2] = {
      {"i8", "-5"},
      {"u8", "250"},
      {"i16", "-300"},
      {"u16", "65000"},
      {"i32", "-70000"},
      {"u32", "4000000000"},
      {"i64", "-5000000000"},
      {"u64", "18000000000000000000"},
      {"float", "1.5"},
      {"double", "2.25"},
      {"bool", "true"},
      {"binary", "0001FEFF"},
      {"guid", "{01234567-89AB-CDEF-0123-456789ABCDEF}"},
      {"sizet", "0x1234"},
      {"filetime", "2023-11-14T22:13:20.1234567Z"},
      {"systemtime", "2023-11-14T22:13:20.345Z"},
      {"sid", "S-1-5-21-1-2-3-500"},
      {"hex32", "0xc0000005"},
      {"hex64", "0x8000000000000000"},
      {"ansi", "ansi text"},
      {"amp", "a & b < c"},
  };
  for (size_t i = 0; i < TU_COUNT(want); i++) {
    const char *v = field(t, want[i][0]);
    if (v == NULL || strcmp(v, want[i][1]) != 0) fail_msg("%s: got %s, want %s", want[i][0], v ? v : "(none)", want[i][1]);
  }
  /* a string array repeats its element once per item */
  int strings = 0;
  for (size_t i = 0; i < t->ndata; i++)
    if (t->data[i].name && strcmp(t->data[i].name, "strings") == 0) strings++;
  assert_int_equal(strings, 3);
  /* an optional substitution without value removes its element */
  assert_null(field(t, "empty_opt"));
  assert_text_has(&d.r, t->xml_off, t->xml_len, "<Data Name='amp'>a &amp; b &lt; c</Data>");
  assert_text_has(&d.r, t->xml_off, t->xml_len,
                  "<Data Name='strings'>one</Data><Data Name='strings'>two</Data><Data Name='strings'>three</Data>");
  decoded_free(&d);
}

static void test_userdata_nested_binxml(void **state) {
  (void)state;
  decoded d;
  decode_fixture(&d, FIXTURES "system.evtx", 11);
  const dk_evtx_record *e = &d.r.records[10], *scm = &d.r.records[4];
  assert_int_equal(e->event_id, 2004);
  assert_string_equal(e->provider, "Microsoft-Windows-Resource-Exhaustion-Detector");
  assert_string_equal(e->data_kind, "UserData");
  assert_string_equal(e->userdata_name, "MemoryExhaustionInfo");
  assert_string_equal(field(e, "ProcessInfo.Process_0_Name"), "leaky.exe");
  assert_string_equal(field(e, "SystemInfo.SystemCommitLimit"), "17179869184");
  assert_string_equal(e->user_id, "S-1-5-18");
  /* SCM: %%N insertion strings stay raw in the core (decoded in Lua) */
  assert_int_equal(scm->event_id, 7023);
  assert_string_equal(field(scm, "param2"), "%%2147942414");
  assert_int_equal(scm->qualifiers, 0xC000);
  decoded_free(&d);
}

static void test_rendering_info(void **state) {
  (void)state;
  decoded d;
  decode_fixture(&d, FIXTURES "forwarded.evtx", 1);
  const dk_evtx_record *e = &d.r.records[0];
  assert_int_equal(e->nrendering, 7);
  assert_string_equal(e->rendering[0].name, "Message");
  assert_non_null(strstr(e->rendering[0].value, "RemoteSvc service terminated unexpectedly"));
  assert_string_equal(e->rendering[6].name, "Keywords.Keyword");
  assert_string_equal(e->rendering[6].value, "Classic");
  assert_text_has(&d.r, e->json_off, e->json_len, "\"rendering\":{\"Message\":\"The RemoteSvc service");
  decoded_free(&d);
}

static void test_filters(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "system.evtx");
  dk_evtx_chunk_result r = {0};
  int64_t ids[] = {7031, 7034};
  dk_evtx_filter f = {.provider = "service control MANAGER", .event_ids = ids, .n_event_ids = 2};
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS, 0, &f};
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &o, &r), 0);
  assert_int_equal(r.nrecords, 3);
  assert_int_equal(r.nfiltered, 8);
  for (size_t i = 0; i < r.nrecords; i++) assert_true(r.records[i].event_id == 7031 || r.records[i].event_id == 7034);
  /* time range: T0+3600+5 .. T0+3600+9 (exclusive) */
  dk_evtx_filter g = {0};
  assert_int_equal(dk_evtx_parse_iso("2023-11-14T23:13:25Z", &g.since), 0);
  assert_int_equal(dk_evtx_parse_iso("2023-11-15T00:13:29+01:00", &g.until), 0);
  o.filter = &g;
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &o, &r), 0);
  assert_int_equal(r.nrecords, 3); /* 7024 (+5), 7031 (+6), 7034 (+8): not 7036 (+9) nor 7031 (+70) */
  dk_evtx_filter p = {.provider = "nobody"};
  o.filter = &p;
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &o, &r), 0);
  assert_int_equal(r.nrecords, 0);
  dk_evtx_chunk_result_free(&r);
  free(b.p);
}

static void test_time(void **state) {
  (void)state;
  char buf[40];
  dk_evtx_filetime_iso(0, buf, sizeof buf);
  assert_string_equal(buf, "1601-01-01T00:00:00.0000000Z");
  uint64_t ft;
  assert_int_equal(dk_evtx_parse_iso("2017-07-12T17:16:28.2141616Z", &ft), 0);
  dk_evtx_filetime_iso(ft, buf, sizeof buf);
  assert_string_equal(buf, "2017-07-12T17:16:28.2141616Z");
  assert_int_equal(dk_evtx_parse_iso("2024-02-29", &ft), 0);
  dk_evtx_filetime_iso(ft, buf, sizeof buf);
  assert_string_equal(buf, "2024-02-29T00:00:00.0000000Z");
  assert_int_equal(dk_evtx_parse_iso("2024-13-01", &ft), -1);
  assert_int_equal(dk_evtx_parse_iso("yesterday", &ft), -1);
  assert_int_equal(dk_evtx_parse_iso("2024-01-01T10:00Zjunk", &ft), -1);
}

/* Damaged files ------------------------------------------------------------ */

static void test_truncated(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "application.evtx");
  dk_evtx_header h;
  char err[200];
  size_t n = 4096 + 9000; /* inside a later record */
  assert_int_equal(dk_evtx_parse_header(b.p, n, &h, err, sizeof err), 0);
  assert_int_equal(h.chunks_in_file, 1);
  dk_evtx_chunk_result r = {0};
  assert_int_equal(dk_evtx_parse_chunk(b.p, n, 0, &ALL, &r), 0);
  assert_true(has_warning(&r, "truncated"));
  assert_true(r.nrecords >= 1 && r.nrecords < 7);
  /* cut inside the chunk header: the chunk is skipped with a warning */
  assert_int_equal(dk_evtx_parse_chunk(b.p, 4096 + 100, 0, &ALL, &r), 0);
  assert_int_equal(r.nrecords, 0);
  assert_true(has_warning(&r, "truncated"));
  /* every possible length: no crash, never more records than the file has */
  for (size_t len = 0; len <= b.n; len += 97) {
    if (dk_evtx_parse_header(b.p, len, &h, err, sizeof err) != 0) continue;
    for (uint64_t i = 0; i < h.chunks_in_file; i++) {
      assert_int_equal(dk_evtx_parse_chunk(b.p, len, i, &ALL, &r), 0);
      assert_true(r.nrecords <= 7);
    }
  }
  dk_evtx_chunk_result_free(&r);
  free(b.p);
}

static void test_bad_crc(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "application.evtx");
  uint8_t *c = b.p + 4096;
  c[124] ^= 0xFF; /* header CRC */
  c[52] ^= 0x01;  /* records CRC */
  dk_evtx_chunk_result r = {0};
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &ALL, &r), 0);
  assert_int_equal(r.header_crc_ok, 0);
  assert_int_equal(r.data_crc_ok, 0);
  assert_true(has_warning(&r, "chunk 0 at file offset 0x1000: header CRC32 mismatch"));
  assert_true(has_warning(&r, "records CRC32 mismatch"));
  assert_int_equal(r.nrecords, 7); /* reported, not fatal */
  /* zero CRCs with the no-CRC flag: not checked */
  tu_put32(c + 124, 0);
  tu_put32(c + 52, 0);
  tu_put32(c + 120, 4);
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &ALL, &r), 0);
  assert_int_equal(r.header_crc_ok, -1);
  assert_int_equal(r.nwarnings, 0);
  assert_int_equal(r.nrecords, 7);
  dk_evtx_chunk_result_free(&r);
  free(b.p);
}

static void test_record_size_past_chunk(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "application.evtx");
  uint8_t *c = b.p + 4096;
  uint32_t first = dk_rd32le(c + 512 + 4);
  uint32_t second = 512 + first;
  assert_int_equal(dk_rd32le(c + second), 0x2A2A);
  tu_put32(c + second + 4, 0x20000); /* record 2 claims 128 KiB */
  dk_evtx_chunk_result r = {0};
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &ALL, &r), 0);
  assert_int_equal(r.nrecords, 6);
  assert_int_equal(r.nskipped, 1);
  assert_true(has_warning(&r, "size outside the chunk"));
  assert_int_equal(r.records[0].record_id, 1);
  assert_int_equal(r.records[1].record_id, 3); /* resynchronised on the next record */
  /* a free space offset past the chunk is clamped (fresh copy) */
  free(b.p);
  b = tu_must_load(FIXTURES "application.evtx");
  c = b.p + 4096;
  tu_put32(c + 48, 0x7FFFFFFF);
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &ALL, &r), 0);
  assert_int_equal(r.nrecords, 7);
  assert_true(has_warning(&r, "free space offset"));
  dk_evtx_chunk_result_free(&r);
  free(b.p);
}

/* A chunk with one record whose template definition instantiates itself, twice. */
static void test_template_offset_loop(void **state) {
  (void)state;
  size_t n = 4096 + 65536;
  uint8_t *f = calloc(1, n);
  memcpy(f, "ElfFile\0", 8);
  f[36] = 1;
  f[38] = 3;
  f[42] = 1;
  uint8_t *c = f + 4096;
  memcpy(c, "ElfChnk\0", 8);
  tu_put32(c + 120, 4); /* no CRC */
  uint32_t rec = 512, def = 600;
  uint8_t *p = c + rec;
  tu_put32(p, 0x2A2A);
  uint32_t size = 200;
  tu_put32(p + 4, size);
  p[8] = 1; /* record id 1 */
  uint8_t *d = p + 24;
  const uint8_t head[] = {0x0F, 1, 1, 0, 0x0C, 1, 0, 0, 0, 0};
  memcpy(d, head, sizeof head);
  tu_put32(d + 10, def); /* definition elsewhere (not inline) */
  tu_put32(d + 14, 0);   /* no substitutions */
  d[18] = 0x00;
  tu_put32(p + size - 4, size);
  /* the definition: header (24 bytes) then a fragment with two instances of itself */
  uint8_t *t = c + def;
  uint8_t body[] = {0x0F, 1, 1, 0, 0x0C, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    0x0C, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00};
  tu_put32(body + 10, def);
  tu_put32(body + 24, def);
  tu_put32(t + 20, sizeof body);
  memcpy(t + 24, body, sizeof body);
  tu_put32(c + 48, rec + size); /* free space offset */
  dk_evtx_chunk_result r = {0};
  clock_t t0 = clock();
  assert_int_equal(dk_evtx_parse_chunk(f, n, 0, &ALL, &r), 0);
  double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
  assert_int_equal(r.nrecords, 0);
  assert_int_equal(r.nskipped, 1);
  for (size_t i = 0; i < r.nwarnings; i++) printf("warning: %s\n", r.warnings[i]);
  assert_true(has_warning(&r, "record 1 at 0x1200 skipped"));
  assert_true(has_warning(&r, "nested too deeply") || has_warning(&r, "too complex"));
  assert_true(secs < 5.0);
  dk_evtx_chunk_result_free(&r);
  free(f);
}

/* The free space offset moved back over the last record: it is slack now,
** returned only when recovering, and marked as recovered. */
static void test_slack_recovery(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "application.evtx");
  uint8_t *c = b.p + 4096;
  uint32_t off = 512, last = 512;
  while (dk_rd32le(c + off) == 0x2A2A) {
    last = off;
    off += dk_rd32le(c + off + 4);
  }
  tu_put32(c + 48, last);
  tu_put32(c + 120, 4); /* no CRC: the stored ones no longer match */
  dk_evtx_chunk_result r = {0};
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &ALL, &r), 0);
  assert_int_equal(r.nrecords, 6);
  dk_evtx_opts rec = ALL;
  rec.recover = 1;
  assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, 0, &rec, &r), 0);
  assert_int_equal(r.nrecords, 7);
  assert_int_equal(r.records[6].record_id, 7);
  assert_int_equal(r.records[6].recovered, 1);
  assert_int_equal(r.records[5].recovered, 0);
  assert_text_has(&r, r.records[6].json_off, r.records[6].json_len, "\"recovered\":true");
  dk_evtx_chunk_result_free(&r);
  free(b.p);
}

/* A dirty header that declares no chunks: the chunks in the file are read anyway. */
static void test_dirty_header_understates(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "system.evtx");
  b.p[42] = 0;
  b.p[43] = 0;
  b.p[120] = 1; /* dirty */
  dk_evtx_header h;
  char err[200];
  assert_int_equal(dk_evtx_parse_header(b.p, b.n, &h, err, sizeof err), 0);
  assert_int_equal(h.chunk_count, 0);
  assert_int_equal(h.chunks_in_file, 1);
  assert_true(h.crc != h.crc_calc);
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS, 0, NULL};
  dk_evtx_reader rd;
  assert_int_equal(dk_evtx_reader_init(&rd, b.p, b.n, &h, &o, 2), 0);
  size_t n = 0;
  while (dk_evtx_reader_batch(&rd) > 0)
    for (size_t s = 0; s < rd.batch_n; s++) n += rd.slots[s].nrecords;
  dk_evtx_reader_free(&rd);
  assert_int_equal(n, 11);
  free(b.p);
}

/* XML text -> record: every record's own XML read back gives the same XML and fields. */
static size_t roundtrip_file(const char *path, int *ok) {
  tu_blob b;
  dk_evtx_header h;
  *ok = load_with_header(path, &b, &h) == 0;
  if (!*ok) return 0;
  dk_evtx_chunk_result r = {0}, x = {0};
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_XML, 0, NULL};
  size_t n = 0;
  for (uint64_t i = 0; i < h.chunks_in_file; i++) {
    assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, i, &o, &r), 0);
    for (size_t k = 0; k < r.nrecords; k++) {
      const dk_evtx_record *a = &r.records[k];
      dk_evtx_result_reset(&x);
      int rc = dk_evtx_parse_xml_record(r.text.p + a->xml_off, a->xml_len, &o, &x);
      if (rc != 1) fail_msg("%s record %lu: %s", path, (unsigned long)a->record_id, x.nwarnings ? x.warnings[0] : "?");
      const dk_evtx_record *c = &x.records[0];
      if (c->xml_len != a->xml_len || memcmp(x.text.p + c->xml_off, r.text.p + a->xml_off, a->xml_len) != 0)
        fail_msg("%s record %lu: XML differs after reading it back", path, (unsigned long)a->record_id);
      assert_int_equal(c->event_id, a->event_id);
      assert_int_equal(c->filetime, a->filetime);
      assert_int_equal(c->pid, a->pid);
      assert_int_equal(c->ndata, a->ndata);
      for (size_t d = 0; d < a->ndata; d++) {
        assert_true((a->data[d].name == NULL) == (c->data[d].name == NULL));
        if (a->data[d].name) assert_string_equal(a->data[d].name, c->data[d].name);
        assert_string_equal(a->data[d].value, c->data[d].value);
      }
      if (a->provider) assert_string_equal(a->provider, c->provider);
      n++;
    }
  }
  dk_evtx_chunk_result_free(&r);
  dk_evtx_chunk_result_free(&x);
  free(b.p);
  return n;
}

static void test_xml_text_roundtrip(void **state) {
  (void)state;
  int ok;
  assert_int_equal(roundtrip_file(FIXTURES "application.evtx", &ok), 7);
  assert_int_equal(roundtrip_file(FIXTURES "system.evtx", &ok), 11);
  assert_int_equal(roundtrip_file(FIXTURES "types.evtx", &ok), 1);
  assert_int_equal(roundtrip_file(FIXTURES "forwarded.evtx", &ok), 1);
  static const char *const samples[] = {"system.evtx", "security.evtx", "sysmon.evtx", "Application_no_crc32.evtx",
                                        "issue_201.evtx", "sample-with-irregular-bool-values.evtx"};
  for (size_t i = 0; i < TU_COUNT(samples); i++) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", SAMPLES, samples[i]);
    roundtrip_file(path, &ok);
  }
  /* pretty-printed, double quotes, a declaration, entities and char refs */
  const char *pretty =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n"
      "  <System>\n    <Provider Name=\"Application Error\" />\n    <EventID Qualifiers=\"0\">1000</EventID>\n"
      "    <Level>2</Level>\n    <TimeCreated SystemTime=\"2024-01-31T12:00:00.1234567Z\" />\n"
      "    <EventRecordID>42</EventRecordID>\n    <Execution ProcessID=\"4\" ThreadID=\"8\" />\n  </System>\n"
      "  <EventData>\n    <Data>a &amp; b &#x41;&#66;</Data>\n    <Data Name='x'>&lt;y&gt;</Data>\n"
      "    <Data><![CDATA[raw <text>]]></Data>\n  </EventData>\n</Event>\n";
  dk_evtx_chunk_result x = {0};
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_JSON, 0, NULL};
  assert_int_equal(dk_evtx_parse_xml_record(pretty, strlen(pretty), &o, &x), 1);
  const dk_evtx_record *c = &x.records[0];
  assert_int_equal(c->record_id, 42);
  assert_int_equal(c->event_id, 1000);
  assert_int_equal(c->tid, 8);
  assert_string_equal(c->time, "2024-01-31T12:00:00.1234567Z");
  assert_int_equal(c->ndata, 3);
  assert_string_equal(c->data[0].value, "a & b AB");
  assert_string_equal(c->data[1].name, "x");
  assert_string_equal(c->data[1].value, "<y>");
  assert_string_equal(c->data[2].value, "raw <text>");
  /* filtered, and malformed */
  int64_t id = 7;
  dk_evtx_filter f = {.event_ids = &id, .n_event_ids = 1};
  dk_evtx_opts of = {DK_EVTX_WANT_FIELDS, 0, &f};
  dk_evtx_result_reset(&x);
  assert_int_equal(dk_evtx_parse_xml_record(pretty, strlen(pretty), &of, &x), 0);
  assert_int_equal(x.nrecords, 0);
  static const char *const bad[] = {"", "no xml", "<Event>", "<Event><System></Event>", "<Event a=b/>",
                                    "<Event a='1/>", "<?xml", "<Event><!-- x </Event>"};
  for (size_t i = 0; i < TU_COUNT(bad); i++) {
    dk_evtx_result_reset(&x);
    if (dk_evtx_parse_xml_record(bad[i], strlen(bad[i]), &o, &x) != -1) fail_msg("accepted: %s", bad[i]);
    assert_true(has_warning(&x, "record skipped"));
  }
  dk_evtx_chunk_result_free(&x);
}

/* Live logs: a channel that does not exist fails cleanly (on Windows: EvtQuery's
** error; under Wine the API may be missing: ENOTSUP; elsewhere always ENOTSUP). */
static void test_live_errors(void **state) {
  (void)state;
  dk_evtx_live *q = NULL;
  char err[512] = "";
  const char *code = NULL;
  assert_int_equal(dk_evtx_live_open("Diagkit-No-Such-Channel", "*", 0, &q, err, sizeof err, &code), -1);
  assert_null(q);
  assert_non_null(code);
  assert_non_null(strstr(err, "Diagkit-No-Such-Channel"));
#ifdef _WIN32
  assert_true(strcmp(code, "ENOENT") == 0 || strcmp(code, "ENOTSUP") == 0 || strcmp(code, "EINVAL") == 0 ||
              strcmp(code, "EIO") == 0);
#else
  assert_string_equal(code, "ENOTSUP");
#endif
  dk_evtx_live_close(NULL);
}

/* The parallel reader gives the same records in the same order as one thread. */
static void test_reader_threads(void **state) {
  (void)state;
  tu_blob b;
  dk_evtx_header h;
  /* without the samples: a fixture made of many chunks does not exist; use system.evtx */
  if (load_with_header(SAMPLES "security.evtx", &b, &h) != 0 && load_with_header(FIXTURES "system.evtx", &b, &h) != 0)
    fail_msg("cannot read %s", FIXTURES "system.evtx");
  dk_evtx_opts o = {DK_EVTX_WANT_FIELDS | DK_EVTX_WANT_XML, 0, NULL};
  uint64_t *ids[2] = {NULL, NULL};
  size_t counts[2] = {0, 0};
  int threads[2] = {1, 4};
  for (int k = 0; k < 2; k++) {
    dk_evtx_reader rd;
    assert_int_equal(dk_evtx_reader_init(&rd, b.p, b.n, &h, &o, threads[k]), 0);
    size_t cap = 1024;
    ids[k] = malloc(cap * sizeof *ids[k]);
    while (dk_evtx_reader_batch(&rd) > 0) {
      for (size_t s = 0; s < rd.batch_n; s++)
        for (size_t i = 0; i < rd.slots[s].nrecords; i++) {
          if (counts[k] == cap) ids[k] = realloc(ids[k], (cap *= 2) * sizeof *ids[k]);
          ids[k][counts[k]++] = rd.slots[s].records[i].record_id;
        }
    }
    assert_int_equal(rd.failed, 0);
    dk_evtx_reader_free(&rd);
  }
  assert_true(counts[0] > 0);
  assert_int_equal(counts[0], counts[1]);
  assert_memory_equal(ids[0], ids[1], counts[0] * sizeof *ids[0]);
  free(ids[0]);
  free(ids[1]);
  free(b.p);
}

/* Real samples (skipped without ../shared/data/evtx). */
static size_t count_file(const char *path, size_t *warnings, int *ok) {
  tu_blob b;
  dk_evtx_header h;
  *ok = load_with_header(path, &b, &h) == 0;
  if (!*ok) return 0;
  dk_evtx_chunk_result r = {0};
  size_t n = 0;
  *warnings = 0;
  for (uint64_t i = 0; i < h.chunks_in_file; i++) {
    assert_int_equal(dk_evtx_parse_chunk(b.p, b.n, i, &ALL, &r), 0);
    n += r.nrecords;
    if (!(r.bad == 2 && i >= h.chunk_count)) *warnings += r.nwarnings;
  }
  dk_evtx_chunk_result_free(&r);
  free(b.p);
  return n;
}

static void test_samples(void **state) {
  (void)state;
  static const struct {
    const char *file;
    size_t records;
    int warns;
  } cases[] = {
      {"system.evtx", 1881, 0},  /* dirty: header says 3 chunks, records in more */
      {"sysmon.evtx", 358, 0},   /* garbage past the declared chunks is ignored */
      {"security.evtx", 2261, 0},
      {"Application_no_crc32.evtx", 17, 0},
      {"issue_201.evtx", 1, 0},  /* both reference parsers return 0 records */
      {"MSExchange_Management_wec.evtx", 1, 0},
      {"sample_with_a_bad_chunk_magic.evtx", 270, 1},
      {"sample-with-zero-data-size-event.evtx", 449, 1},
  };
  int any = 0;
  for (size_t i = 0; i < TU_COUNT(cases); i++) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", SAMPLES, cases[i].file);
    size_t warnings = 0;
    int ok;
    size_t n = count_file(path, &warnings, &ok);
    if (!ok) continue;
    any = 1;
    if (n != cases[i].records)
      fail_msg("%s: %lu records, expected %lu", cases[i].file, (unsigned long)n, (unsigned long)cases[i].records);
    if (cases[i].warns ? warnings == 0 : warnings != 0)
      fail_msg("%s: %lu warnings (expected %s)", cases[i].file, (unsigned long)warnings, cases[i].warns ? "some" : "none");
  }
  if (!any) {
    printf("skipped: no samples in " SAMPLES "\n");
    skip();
  }
}

TU_MAIN(test_header, test_application_records, test_value_types, test_userdata_nested_binxml,
    test_rendering_info, test_filters, test_time, test_truncated, test_bad_crc, test_record_size_past_chunk,
    test_template_offset_loop, test_slack_recovery, test_dirty_header_understates, test_xml_text_roundtrip,
    test_live_errors, test_reader_threads, test_samples)
