/*
** diagkit.evtx core: file header, chunks, records, Binary XML.
**
** Binary XML is decoded into a small resolved tree per record (templates
** instantiated with their substitution values, arrays expanded, nested BinXML
** inlined); fields, XML and JSON come from that tree. Template definitions are
** read straight from the chunk bytes each time they are used (they are short),
** and names are converted once per chunk (a cache keyed by chunk offset).
*/
#include "dk_err.h" /* first: DK_PRINTF, and C99 printf on mingw-w64 */
#include "evtx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "dk_bytes.h"
#include "dk_text.h"

/* Arenas ---------------------------------------------------------------- */

struct dk_evtx_arena_blk {
  dk_evtx_arena_blk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

static void *arena_alloc(dk_evtx_arena *a, size_t n) {
  n = (n + 15u) & ~(size_t)15u;
  dk_evtx_arena_blk *b = a->head;
  if (b == NULL || b->cap - b->used < n) {
    size_t cap = n > 60000 ? n : 60000;
    dk_evtx_arena_blk *nb = malloc(sizeof *nb + cap);
    if (nb == NULL) {
      a->oom = 1;
      return NULL;
    }
    nb->used = 0;
    nb->cap = cap;
    nb->next = b;
    a->head = nb;
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  return p;
}

static void *arena_zalloc(dk_evtx_arena *a, size_t n) {
  void *p = arena_alloc(a, n);
  if (p) memset(p, 0, n);
  return p;
}

static char *arena_strndup(dk_evtx_arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  if (p == NULL) return NULL;
  if (n) memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

void dk_evtx_arena_reset(dk_evtx_arena *a) {
  dk_evtx_arena_blk *b = a->head;
  if (b == NULL) return;
  /* keep the oldest (first) block: walk to the end of the list */
  dk_evtx_arena_blk *keep = NULL;
  while (b) {
    dk_evtx_arena_blk *next = b->next;
    if (next == NULL) {
      keep = b;
    } else {
      free(b);
    }
    b = next;
  }
  keep->used = 0;
  keep->next = NULL;
  a->head = keep;
  a->oom = 0;
}

void dk_evtx_arena_free(dk_evtx_arena *a) {
  dk_evtx_arena_blk *b = a->head;
  while (b) {
    dk_evtx_arena_blk *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->oom = 0;
}

/* CRC32 (IEEE, reflected) -------------------------------------------------- */

static uint32_t crc_table[8][256];
/* 0 not built, 1 being built, 2 ready: hosts on other threads may parse at
** the same time, and the first one builds the table for all. */
static atomic_int crc_state;

static void crc_build(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    crc_table[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; i++)
    for (int t = 1; t < 8; t++) crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
}

static void crc_init(void) {
  int expected = 0;
  if (atomic_compare_exchange_strong(&crc_state, &expected, 1)) {
    crc_build();
    atomic_store(&crc_state, 2);
  } else {
    while (atomic_load(&crc_state) != 2) {
    } /* a few microseconds, once per process */
  }
}

/* slicing-by-8 */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n) {
  crc = ~crc;
  while (n >= 8) {
    uint32_t a = crc ^ dk_rd32le(p), b = dk_rd32le(p + 4);
    crc = crc_table[7][a & 0xFF] ^ crc_table[6][(a >> 8) & 0xFF] ^ crc_table[5][(a >> 16) & 0xFF] ^
          crc_table[4][a >> 24] ^ crc_table[3][b & 0xFF] ^ crc_table[2][(b >> 8) & 0xFF] ^
          crc_table[1][(b >> 16) & 0xFF] ^ crc_table[0][b >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = crc_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t dk_evtx_crc32(const uint8_t *p, size_t n) {
  if (atomic_load(&crc_state) != 2) crc_init();
  return crc_update(0, p, n);
}

/* Time ---------------------------------------------------------------------- */

/* days since 1970-01-01 -> civil date (Howard Hinnant's algorithm) */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

#define FT_UNIX_DIFF 116444736000000000ULL /* 1601 -> 1970 in 100 ns */

void dk_evtx_filetime_iso(uint64_t ft, char *buf, size_t n) {
  uint64_t secs = ft / 10000000u;
  unsigned frac = (unsigned)(ft % 10000000u);
  int64_t days = (int64_t)(secs / 86400u) - 134774; /* 1601-01-01 -> 1970-01-01 */
  unsigned sod = (unsigned)(secs % 86400u);
  int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999 || n < 29) {
    snprintf(buf, n, "%04lld-%02u-%02uT%02u:%02u:%02u.%07uZ", (long long)y, m, d, sod / 3600, sod / 60 % 60,
             sod % 60, frac);
    return;
  }
  /* the common case without snprintf (this runs for every record) */
  unsigned v[7] = {(unsigned)y, m, d, sod / 3600, sod / 60 % 60, sod % 60, frac};
  static const int width[7] = {4, 2, 2, 2, 2, 2, 7};
  static const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
  char *o = buf;
  for (int i = 0; i < 7; i++) {
    for (int k = width[i] - 1; k >= 0; k--) {
      o[k] = (char)('0' + v[i] % 10);
      v[i] /= 10;
    }
    o += width[i];
    *o++ = sep[i];
  }
  *o = '\0';
}

static int digits(const char **s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*s)[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *s += n;
  *out = v;
  return 0;
}

int dk_evtx_parse_iso(const char *s, uint64_t *ft) {
  int y, mo, d, h = 0, mi = 0, se = 0;
  uint64_t frac = 0;
  if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' || digits(&s, 2, &d)) return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1601) return -1;
  int64_t offset_s = 0;
  if (*s == 'T' || *s == ' ') {
    s++;
    if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi)) return -1;
    if (*s == ':') {
      s++;
      if (digits(&s, 2, &se)) return -1;
      if (*s == '.') {
        s++;
        int nd = 0;
        while (*s >= '0' && *s <= '9') {
          if (nd < 7) frac = frac * 10 + (uint64_t)(*s - '0');
          nd++;
          s++;
        }
        if (nd == 0) return -1;
        for (; nd < 7; nd++) frac *= 10;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return -1;
    if (*s == 'Z') {
      s++;
    } else if (*s == '+' || *s == '-') {
      int sign = *s == '-' ? -1 : 1, oh, om;
      s++;
      if (digits(&s, 2, &oh)) return -1;
      if (*s == ':') s++;
      if (digits(&s, 2, &om)) return -1;
      offset_s = sign * (oh * 3600 + om * 60);
    }
  }
  if (*s != '\0') return -1;
  int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
  int64_t unix_s = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
  int64_t ticks = unix_s * 10000000 + (int64_t)frac + (int64_t)FT_UNIX_DIFF;
  if (ticks < 0) return -1;
  *ft = (uint64_t)ticks;
  return 0;
}

/* File header ----------------------------------------------------------------- */

int dk_evtx_parse_header(const uint8_t *data, size_t size, dk_evtx_header *h, char *err, size_t errlen) {
  memset(h, 0, sizeof *h);
  if (size < 128) {
    snprintf(err, errlen, "file too small for an EVTX header (%zu bytes, 128 needed)", size);
    return -1;
  }
  if (memcmp(data, "ElfFile\0", 8) != 0) {
    snprintf(err, errlen, "not an EVTX file: no \"ElfFile\" signature at offset 0");
    return -1;
  }
  h->first_chunk = dk_rd64le(data + 8);
  h->last_chunk = dk_rd64le(data + 16);
  h->next_record_id = dk_rd64le(data + 24);
  h->header_size = dk_rd32le(data + 32);
  h->minor = dk_rd16le(data + 36);
  h->major = dk_rd16le(data + 38);
  h->block_size = dk_rd16le(data + 40);
  h->chunk_count = dk_rd16le(data + 42);
  h->flags = dk_rd32le(data + 120);
  h->crc = dk_rd32le(data + 124);
  h->crc_calc = dk_evtx_crc32(data, 120);
  /* a partial chunk at the end counts: its complete records are read */
  h->chunks_in_file =
      size > DK_EVTX_HEADER_BLOCK ? (size - DK_EVTX_HEADER_BLOCK + DK_EVTX_CHUNK_SIZE - 1) / DK_EVTX_CHUNK_SIZE : 0;
  return 0;
}

/* Decoding context ---------------------------------------------------------------- */

#define MAX_DEPTH 48
#define MAX_WORK 2000000 /* tokens + nodes per record: bounds template blow-ups */
#define NAME_CACHE 1024

typedef struct xattr {
  const char *name;
  const char *value;
  size_t value_len;
  struct xattr *next;
} xattr;

enum { N_ELEM, N_TEXT, N_CDATA, N_PI };

typedef struct xnode {
  uint8_t kind;
  uint8_t empty_tag; /* 0x03 close-empty: render <x/> */
  const char *name;  /* element name, PI target */
  const char *text;  /* text, CDATA, PI data */
  size_t text_len;
  const char **items; /* array substitution: one text per item (element repeats per item) */
  uint32_t nitems;
  xattr *attrs, *attrs_last;
  struct xnode *child, *last, *next;
} xnode;

typedef struct sub {
  uint8_t type;
  uint32_t off; /* chunk-relative */
  uint32_t size;
} sub;

typedef struct name_ent {
  uint32_t off;
  const char *s;
} name_ent;

typedef struct ctx {
  const uint8_t *c; /* the chunk, DK_EVTX_CHUNK_SIZE bytes */
  uint32_t csize;
  dk_evtx_chunk_result *r;
  dk_evtx_arena *tmp;
  name_ent names[NAME_CACHE];
  int depth;
  long work;
  int opt_null_only; /* set at an end element: its content was only optional substitutions without value */
  char err[200];
  dk_buf scratch;
} ctx;

DK_PRINTF(2, 3)
static int fail(ctx *x, const char *fmt, ...) {
  if (x->err[0] == '\0') {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof x->err, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* UTF-16LE (n code units) -> UTF-8; lone surrogates become U+FFFD; stops at NUL if stop_nul. */
static inline void utf16_to_utf8(dk_buf *b, const uint8_t *p, size_t n, int stop_nul) {
  dk_buf_utf16le(b, p, 2 * n, stop_nul ? DK_UTF16_STOP_NUL : 0);
}

static void utf8_char(dk_buf *b, uint32_t u) {
  char t[4];
  if ((u >= 0xD800 && u <= 0xDFFF) || u > 0x10FFFF) u = 0xFFFD;
  dk_buf_add(b, t, dk_utf8_put(t, u));
}

/* Copies scratch into the record arena. */
static const char *scratch_str(ctx *x, size_t from) {
  const char *s = arena_strndup(x->tmp, x->scratch.p ? x->scratch.p + from : "", x->scratch.len - from);
  x->scratch.len = from;
  if (x->scratch.p) x->scratch.p[from] = '\0';
  return s;
}

/* A name structure at chunk offset off: {next u32, hash u16, count u16, chars, NUL}. */
static const char *get_name(ctx *x, uint32_t off, uint32_t *inline_size) {
  if (off < 128 || (uint64_t)off + 8 > x->csize) {
    fail(x, "name offset 0x%x outside the chunk", off);
    return NULL;
  }
  uint32_t count = dk_rd16le(x->c + off + 6);
  uint64_t end = (uint64_t)off + 8 + 2ull * count + 2;
  if (end > x->csize) {
    fail(x, "name at chunk offset 0x%x (%u characters) runs past the chunk", off, count);
    return NULL;
  }
  if (inline_size) *inline_size = (uint32_t)(end - off);
  name_ent *e = &x->names[(off >> 1) % NAME_CACHE];
  if (e->off == off && e->s) return e->s;
  size_t from = x->scratch.len;
  utf16_to_utf8(&x->scratch, x->c + off + 8, count, 0);
  if (x->scratch.oom) {
    fail(x, "out of memory");
    return NULL;
  }
  /* names live as long as the chunk: the result arena */
  const char *s = arena_strndup(&x->r->arena, x->scratch.p + from, x->scratch.len - from);
  x->scratch.len = from;
  if (s == NULL) {
    fail(x, "out of memory");
    return NULL;
  }
  e->off = off;
  e->s = s;
  return s;
}

/* Reads a name reference at *pos (u32 offset); skips an inline definition. */
static const char *name_ref(ctx *x, uint32_t *pos, uint32_t end) {
  if ((uint64_t)*pos + 4 > end) {
    fail(x, "name reference at chunk offset 0x%x past the end of its data", *pos);
    return NULL;
  }
  uint32_t off = dk_rd32le(x->c + *pos);
  *pos += 4;
  uint32_t isz = 0;
  const char *s = get_name(x, off, &isz);
  if (s == NULL) return NULL;
  if (off == *pos) {
    if ((uint64_t)*pos + isz > end) {
      fail(x, "inline name at chunk offset 0x%x past the end of its data", *pos);
      return NULL;
    }
    *pos += isz;
  }
  return s;
}

static xnode *new_node(ctx *x, int kind) {
  if (++x->work > MAX_WORK) {
    fail(x, "record too complex (more than %d tokens and nodes)", MAX_WORK);
    return NULL;
  }
  xnode *n = arena_zalloc(x->tmp, sizeof *n);
  if (n == NULL) {
    fail(x, "out of memory");
    return NULL;
  }
  n->kind = (uint8_t)kind;
  return n;
}

static void append_child(xnode *parent, xnode *n) {
  n->next = NULL;
  if (parent->last)
    parent->last->next = n;
  else
    parent->child = n;
  parent->last = n;
}

/* The scratch text from `from` on becomes a text node under parent (nothing
** when parent is NULL: the text stays for the caller). 0, or -1. */
static int text_node(ctx *x, xnode *parent, size_t from) {
  if (parent == NULL) return 0;
  xnode *t = new_node(x, N_TEXT);
  if (t == NULL) return -1;
  t->text_len = x->scratch.len - from;
  t->text = scratch_str(x, from);
  if (t->text == NULL) return fail(x, "out of memory");
  append_child(parent, t);
  return 0;
}

/* The scratch text from `from` on becomes the value of attribute `name` of e. 0, or -1. */
static int attr_node(ctx *x, xnode *e, const char *name, size_t from) {
  xattr *at = arena_zalloc(x->tmp, sizeof *at);
  if (at == NULL) return fail(x, "out of memory");
  at->name = name;
  at->value_len = x->scratch.len - from;
  at->value = scratch_str(x, from);
  if (e->attrs_last)
    e->attrs_last->next = at;
  else
    e->attrs = at;
  e->attrs_last = at;
  return 0;
}

/* Values ------------------------------------------------------------------ */

static const char HEXU[] = "0123456789ABCDEF";

static void put_hex(char *o, uint32_t v, int digits) {
  for (int i = digits - 1; i >= 0; i--) {
    o[i] = HEXU[v & 15];
    v >>= 4;
  }
}

static void fmt_guid(dk_buf *b, const uint8_t *p) {
  char t[38];
  t[0] = '{';
  put_hex(t + 1, dk_rd32le(p), 8);
  t[9] = '-';
  put_hex(t + 10, dk_rd16le(p + 4), 4);
  t[14] = '-';
  put_hex(t + 15, dk_rd16le(p + 6), 4);
  t[19] = '-';
  put_hex(t + 20, p[8], 2);
  put_hex(t + 22, p[9], 2);
  t[24] = '-';
  for (int i = 0; i < 6; i++) put_hex(t + 25 + 2 * i, p[10 + i], 2);
  t[37] = '}';
  dk_buf_add(b, t, sizeof t);
}

static int fmt_sid(dk_buf *b, const uint8_t *p, uint32_t size, uint32_t *used) {
  if (size < 8) return -1;
  unsigned subs = p[1];
  if (8u + 4u * subs > size) return -1;
  uint64_t auth = 0;
  for (int i = 2; i < 8; i++) auth = (auth << 8) | p[i];
  dk_buf_adds(b, "S-");
  dk_buf_u64(b, p[0]);
  dk_buf_addc(b, '-');
  dk_buf_u64(b, auth);
  for (unsigned i = 0; i < subs; i++) {
    dk_buf_addc(b, '-');
    dk_buf_u64(b, dk_rd32le(p + 8 + 4 * i));
  }
  if (used) *used = 8 + 4 * subs;
  return 0;
}

static void fmt_double(dk_buf *b, double v) {
  char t[64];
  snprintf(t, sizeof t, "%.17g", v);
  /* shortest representation that round-trips */
  for (int prec = 1; prec <= 17; prec++) {
    char u[64];
    snprintf(u, sizeof u, "%.*g", prec, v);
    if (strtod(u, NULL) == v) {
      dk_buf_adds(b, u);
      return;
    }
  }
  dk_buf_adds(b, t);
}

static size_t fixed_size(uint8_t t) {
  switch (t) {
  case 0x03: case 0x04: return 1;
  case 0x05: case 0x06: return 2;
  case 0x07: case 0x08: case 0x0B: case 0x0D: case 0x14: return 4;
  case 0x09: case 0x0A: case 0x0C: case 0x11: case 0x15: return 8;
  case 0x0F: case 0x12: return 16;
  default: return 0;
  }
}

/* Formats one scalar value of type t (no array bit) of exactly `size` bytes. */
static int fmt_scalar(ctx *x, dk_buf *b, uint8_t t, const uint8_t *p, uint32_t size) {
  size_t fs = fixed_size(t);
  if (fs && size != fs && !(t == 0x0D && size >= 1 && size <= 4)) {
    return fail(x, "value of type 0x%02x has size %u, %zu expected", t, size, fs);
  }
  switch (t) {
  case 0x00: return 0;
  case 0x01: utf16_to_utf8(b, p, size / 2, 1); return 0;
  case 0x02:
    for (uint32_t i = 0; i < size && p[i]; i++) {
      if (p[i] < 0x80)
        dk_buf_addc(b, (char)p[i]);
      else
        utf8_char(b, p[i]); /* Latin-1 */
    }
    return 0;
  case 0x03: dk_buf_i64(b, (int8_t)p[0]); return 0;
  case 0x04: dk_buf_u64(b, p[0]); return 0;
  case 0x05: dk_buf_i64(b, (int16_t)dk_rd16le(p)); return 0;
  case 0x06: dk_buf_u64(b, dk_rd16le(p)); return 0;
  case 0x07: dk_buf_i64(b, (int32_t)dk_rd32le(p)); return 0;
  case 0x08: dk_buf_u64(b, dk_rd32le(p)); return 0;
  case 0x09: dk_buf_i64(b, (int64_t)dk_rd64le(p)); return 0;
  case 0x0A: dk_buf_u64(b, dk_rd64le(p)); return 0;
  case 0x0B: {
    float f;
    uint32_t u = dk_rd32le(p);
    memcpy(&f, &u, 4);
    fmt_double(b, (double)f);
    return 0;
  }
  case 0x0C: {
    double d;
    uint64_t u = dk_rd64le(p);
    memcpy(&d, &u, 8);
    fmt_double(b, d);
    return 0;
  }
  case 0x0D: {
    uint32_t v = 0;
    for (uint32_t i = 0; i < size; i++) v |= (uint32_t)p[i] << (8 * i);
    dk_buf_adds(b, v ? "true" : "false");
    return 0;
  }
  case 0x0E:
    if (dk_buf_reserve(b, 2u * size) == 0) {
      for (uint32_t i = 0; i < size; i++) {
        b->p[b->len++] = HEXU[p[i] >> 4];
        b->p[b->len++] = HEXU[p[i] & 15];
      }
      b->p[b->len] = '\0';
    }
    return 0;
  case 0x0F: fmt_guid(b, p); return 0;
  case 0x10: /* pointer-sized: hex, as Windows renders win:Pointer */
    if (size == 4)
      dk_buf_hex(b, dk_rd32le(p));
    else if (size == 8)
      dk_buf_hex(b, dk_rd64le(p));
    else
      return fail(x, "size_t value of size %u (4 or 8 expected)", size);
    return 0;
  case 0x11: {
    char t32[40];
    dk_evtx_filetime_iso(dk_rd64le(p), t32, sizeof t32);
    dk_buf_adds(b, t32);
    return 0;
  }
  case 0x12:
    dk_buf_printf(b, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", dk_rd16le(p), dk_rd16le(p + 2), dk_rd16le(p + 6),
                  dk_rd16le(p + 8), dk_rd16le(p + 10), dk_rd16le(p + 12), dk_rd16le(p + 14));
    return 0;
  case 0x13:
    if (fmt_sid(b, p, size, NULL) != 0) return fail(x, "malformed SID value (%u bytes)", size);
    return 0;
  case 0x14: dk_buf_hex(b, dk_rd32le(p)); return 0;
  case 0x15: dk_buf_hex(b, dk_rd64le(p)); return 0;
  case 0x20: /* EvtHandle: no meaning outside the writer's process */
  case 0x23: /* EvtXml */
  default:
    /* unknown or opaque: hex, so nothing is lost */
    return fmt_scalar(x, b, 0x0E, p, size);
  }
}

/* Splits an array value into items (strings in the record arena). */
static int array_items(ctx *x, const sub *s, const char ***items_out, uint32_t *n_out) {
  uint8_t t = (uint8_t)(s->type & 0x7F);
  const uint8_t *p = x->c + s->off;
  uint32_t size = s->size;
  uint32_t cap = 0, n = 0;
  const char **items = NULL;
  uint32_t pos = 0;
  while (pos < size) {
    size_t from = x->scratch.len;
    uint32_t used;
    if (t == 0x01) {
      uint32_t k = 0;
      while (pos + 2 * k + 1 < size && dk_rd16le(p + pos + 2 * k) != 0) k++;
      utf16_to_utf8(&x->scratch, p + pos, k, 0);
      used = 2 * k + 2;
    } else if (t == 0x02) {
      uint32_t k = 0;
      while (pos + k < size && p[pos + k] != 0) k++;
      if (fmt_scalar(x, &x->scratch, 0x02, p + pos, k)) return -1;
      used = k + 1;
    } else if (t == 0x13) {
      if (fmt_sid(&x->scratch, p + pos, size - pos, &used) != 0) return fail(x, "malformed SID in an array");
    } else if (t == 0x10) {
      used = (size % 8 == 0) ? 8 : 4;
      if (pos + used > size) return fail(x, "size_t array of %u bytes", size);
      if (fmt_scalar(x, &x->scratch, t, p + pos, used)) return -1;
    } else {
      used = (uint32_t)fixed_size(t);
      if (used == 0) return fail(x, "array of unsupported value type 0x%02x", s->type);
      if (pos + used > size) return fail(x, "array of type 0x%02x: %u bytes is not a multiple of %u", s->type, size, used);
      if (fmt_scalar(x, &x->scratch, t, p + pos, used)) return -1;
    }
    if (x->scratch.oom) return fail(x, "out of memory");
    if (n == cap) {
      uint32_t ncap = cap ? cap * 2 : 8;
      const char **ni = arena_alloc(x->tmp, ncap * sizeof *ni);
      if (ni == NULL) return fail(x, "out of memory");
      if (n) memcpy(ni, items, n * sizeof *ni);
      items = ni;
      cap = ncap;
    }
    items[n++] = scratch_str(x, from);
    if (++x->work > MAX_WORK) return fail(x, "record too complex");
    pos += used;
  }
  *items_out = items;
  *n_out = n;
  return 0;
}

/* Binary XML ------------------------------------------------------------------- */

static int parse_content(ctx *x, uint32_t *pos, uint32_t end, xnode *parent, const sub *subs, uint32_t nsubs,
                         int in_element);

static int parse_template(ctx *x, uint32_t *pos, uint32_t end, xnode *parent) {
  uint32_t p = *pos;
  if ((uint64_t)p + 10 > end) return fail(x, "template instance at chunk offset 0x%x past the end of its data", p);
  uint32_t def = dk_rd32le(x->c + p + 6);
  p += 10;
  uint32_t def_data, def_end;
  if (def == p) {
    if ((uint64_t)p + 24 > end) return fail(x, "template definition at chunk offset 0x%x truncated", p);
    uint32_t dsize = dk_rd32le(x->c + p + 20);
    def_data = p + 24;
    if ((uint64_t)def_data + dsize > end)
      return fail(x, "template definition at chunk offset 0x%x: size %u runs past the record", p, dsize);
    def_end = def_data + dsize;
    p = def_end;
  } else {
    if (def < 512 || (uint64_t)def + 24 > x->csize)
      return fail(x, "template definition offset 0x%x outside the chunk", def);
    uint32_t dsize = dk_rd32le(x->c + def + 20);
    def_data = def + 24;
    if ((uint64_t)def_data + dsize > x->csize)
      return fail(x, "template definition at chunk offset 0x%x: size %u runs past the chunk", def, dsize);
    def_end = def_data + dsize;
  }
  /* substitution array */
  if ((uint64_t)p + 4 > end) return fail(x, "substitution array at chunk offset 0x%x truncated", p);
  uint32_t count = dk_rd32le(x->c + p);
  p += 4;
  if ((uint64_t)count * 4 > end - p)
    return fail(x, "substitution count %u at chunk offset 0x%x exceeds the record", count, p - 4);
  sub *subs = count ? arena_alloc(x->tmp, count * sizeof *subs) : NULL;
  if (count && subs == NULL) return fail(x, "out of memory");
  uint32_t vpos = p + 4 * count;
  for (uint32_t i = 0; i < count; i++) {
    uint32_t sz = dk_rd16le(x->c + p + 4 * i);
    subs[i].type = x->c[p + 4 * i + 2];
    subs[i].size = sz;
    subs[i].off = vpos;
    if ((uint64_t)vpos + sz > end)
      return fail(x, "substitution value %u (size %u) at chunk offset 0x%x runs past the record", i, sz, vpos);
    vpos += sz;
  }
  *pos = vpos;
  if (++x->depth > MAX_DEPTH) return fail(x, "templates nested too deeply (template offset loop?) at 0x%x", def);
  uint32_t dp = def_data;
  int rc = parse_content(x, &dp, def_end, parent, subs, count, 0);
  x->depth--;
  return rc;
}

/* Appends the text of substitution s to parent (element content) or to the
** scratch buffer (attribute value, parent NULL). Sets *is_null when the value is empty. */
static int emit_sub(ctx *x, const sub *s, xnode *parent, int *is_null) {
  *is_null = 0;
  if (s->type == 0x00 || s->size == 0) {
    *is_null = 1;
    return 0;
  }
  if (s->type == 0x21) {
    if (parent == NULL) return 0; /* BinXML inside an attribute: nothing to show */
    if (++x->depth > MAX_DEPTH) return fail(x, "nested BinXML too deep at chunk offset 0x%x", s->off);
    uint32_t p = s->off;
    int rc = parse_content(x, &p, s->off + s->size, parent, NULL, 0, 0);
    x->depth--;
    return rc;
  }
  if (s->type & 0x80) {
    const char **items = NULL;
    uint32_t n = 0;
    if (array_items(x, s, &items, &n)) return -1;
    if (parent == NULL) {
      for (uint32_t i = 0; i < n; i++) {
        if (i) dk_buf_addc(&x->scratch, ',');
        dk_buf_adds(&x->scratch, items[i]);
      }
      return 0;
    }
    xnode *t = new_node(x, N_TEXT);
    if (t == NULL) return -1;
    t->items = items;
    t->nitems = n;
    t->text = "";
    append_child(parent, t);
    return 0;
  }
  size_t from = x->scratch.len;
  if (fmt_scalar(x, &x->scratch, s->type, x->c + s->off, s->size)) return -1;
  return text_node(x, parent, from);
}

/* Reads one value-ish token at *pos: value text, substitution, char ref, entity ref.
** Element content goes to parent; attribute values (parent == NULL) to scratch.
** Returns 1 when the token is not one of those (nothing consumed). */
static int parse_value_token(ctx *x, uint32_t *pos, uint32_t end, xnode *parent, const sub *subs, uint32_t nsubs,
                             int *null_opt) {
  uint32_t p = *pos;
  uint8_t tok = x->c[p];
  switch (tok) {
  case 0x05:
  case 0x45: {
    if ((uint64_t)p + 4 > end) return fail(x, "value token at chunk offset 0x%x truncated", p);
    uint8_t vt = x->c[p + 1];
    uint32_t n = dk_rd16le(x->c + p + 2);
    if ((uint64_t)p + 4 + 2ull * n > end) return fail(x, "value text at chunk offset 0x%x runs past its data", p);
    if (vt != 0x01) return fail(x, "value token of type 0x%02x at chunk offset 0x%x (string expected)", vt, p);
    size_t from = x->scratch.len;
    utf16_to_utf8(&x->scratch, x->c + p + 4, n, 0);
    if (text_node(x, parent, from)) return -1;
    *pos = p + 4 + 2 * n;
    *null_opt = 0;
    return 0;
  }
  case 0x0D:
  case 0x0E: {
    if ((uint64_t)p + 4 > end) return fail(x, "substitution token at chunk offset 0x%x truncated", p);
    uint32_t idx = dk_rd16le(x->c + p + 1);
    *pos = p + 4;
    int is_null = 1;
    if (idx < nsubs) {
      if (emit_sub(x, &subs[idx], parent, &is_null)) return -1;
    }
    /* an index beyond the array renders as empty (libyal/libevtx#24) */
    if (!(tok == 0x0E && is_null)) *null_opt = 0;
    return 0;
  }
  case 0x08:
  case 0x48: {
    if ((uint64_t)p + 3 > end) return fail(x, "character reference at chunk offset 0x%x truncated", p);
    size_t from = x->scratch.len;
    utf8_char(&x->scratch, dk_rd16le(x->c + p + 1));
    if (text_node(x, parent, from)) return -1;
    *pos = p + 3;
    *null_opt = 0;
    return 0;
  }
  case 0x09:
  case 0x49: {
    uint32_t q = p + 1;
    const char *nm = name_ref(x, &q, end);
    if (nm == NULL) return -1;
    static const char *const ents[][2] = {{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}};
    const char *val = NULL;
    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++)
      if (strcmp(nm, ents[i][0]) == 0) val = ents[i][1];
    size_t from = x->scratch.len;
    if (val) {
      dk_buf_adds(&x->scratch, val);
    } else {
      dk_buf_addc(&x->scratch, '&');
      dk_buf_adds(&x->scratch, nm);
      dk_buf_addc(&x->scratch, ';');
    }
    if (text_node(x, parent, from)) return -1;
    *pos = q;
    *null_opt = 0;
    return 0;
  }
  default: return 1;
  }
}

/* Repeats element e once per item of its (first) array child. */
static int expand_array(ctx *x, xnode *e, xnode **last_out) {
  xnode *arr = NULL;
  for (xnode *c = e->child; c; c = c->next)
    if (c->kind == N_TEXT && c->items) {
      arr = c;
      break;
    }
  *last_out = e;
  if (arr == NULL) return 0;
  uint32_t n = arr->nitems;
  const char **items = arr->items;
  if (n == 0) {
    arr->items = NULL;
    return 0;
  }
  xnode *prev = NULL;
  for (uint32_t i = 0; i < n; i++) {
    xnode *copy;
    if (i == 0) {
      copy = e;
    } else {
      copy = new_node(x, N_ELEM);
      if (copy == NULL) return -1;
      *copy = *e;
      copy->child = copy->last = NULL;
      for (xnode *c = e->child; c; c = c->next) {
        xnode *cc = new_node(x, c->kind);
        if (cc == NULL) return -1;
        *cc = *c;
        if (c == arr) {
          cc->items = NULL;
          cc->text = items[i];
          cc->text_len = strlen(items[i]);
        }
        append_child(copy, cc);
      }
      copy->next = NULL;
      prev->next = copy;
    }
    prev = copy;
  }
  arr->items = NULL;
  arr->text = items[0];
  arr->text_len = strlen(items[0]);
  *last_out = prev;
  return 0;
}

static int parse_element(ctx *x, uint32_t *pos, uint32_t end, xnode *parent, const sub *subs, uint32_t nsubs) {
  uint32_t p = *pos;
  uint8_t tok = x->c[p];
  if ((uint64_t)p + 11 > end) return fail(x, "element at chunk offset 0x%x truncated", p);
  if (++x->depth > MAX_DEPTH) return fail(x, "elements nested too deeply at chunk offset 0x%x", p);
  /* token, dependency id u16, size u32, name offset u32; some writers omit the
  ** dependency id (seen in nested BinXML): take the layout whose name offset is sane */
  uint32_t name_off = dk_rd32le(x->c + p + 7);
  uint32_t q = p + 7;
  if (!(name_off == p + 11 || (name_off >= 128 && name_off < p))) {
    uint32_t alt = dk_rd32le(x->c + p + 5);
    if (alt == p + 9 || (alt >= 128 && alt < p)) q = p + 5;
  }
  const char *nm = name_ref(x, &q, end);
  if (nm == NULL) return -1;
  xnode *e = new_node(x, N_ELEM);
  if (e == NULL) return -1;
  e->name = nm;
  if (tok & 0x40) {
    if ((uint64_t)q + 4 > end) return fail(x, "attribute list of <%s> at chunk offset 0x%x truncated", nm, q);
    q += 4;
    while (q < end && (x->c[q] & 0xBF) == 0x06) {
      uint32_t a = q + 1;
      const char *an = name_ref(x, &a, end);
      if (an == NULL) return -1;
      size_t from = x->scratch.len;
      int null_opt = 1, any = 0;
      for (;;) {
        if (a >= end) return fail(x, "attribute %s of <%s> runs past its data", an, nm);
        int rc = parse_value_token(x, &a, end, NULL, subs, nsubs, &null_opt);
        if (rc < 0) return -1;
        if (rc == 1) break;
        any = 1;
        if (++x->work > MAX_WORK) return fail(x, "record too complex");
      }
      if (x->scratch.oom) return fail(x, "out of memory");
      if (any && null_opt) {
        /* an optional substitution with no value removes the attribute */
        x->scratch.len = from;
      } else if (attr_node(x, e, an, from)) {
        return -1;
      }
      q = a;
    }
  }
  if (q >= end) return fail(x, "element <%s> at chunk offset 0x%x not closed", nm, p);
  uint8_t t = x->c[q];
  if (t == 0x03) {
    e->empty_tag = 1;
    q++;
  } else if (t == 0x02) {
    q++;
    if (parse_content(x, &q, end, e, subs, nsubs, 1)) return -1;
    if (x->opt_null_only) {
      /* <x>%opt</x> with no value: Windows leaves the element out */
      x->opt_null_only = 0;
      x->depth--;
      *pos = q;
      return 0;
    }
  } else {
    return fail(x, "unexpected token 0x%02x after the start of <%s> at chunk offset 0x%x", t, nm, q);
  }
  if (parent) {
    append_child(parent, e);
    xnode *last;
    if (expand_array(x, e, &last)) return -1;
    parent->last = last;
  }
  x->depth--;
  *pos = q;
  return 0;
}

/* Parses tokens until EOF (fragment) or end element (in_element). */
static int parse_content(ctx *x, uint32_t *pos, uint32_t end, xnode *parent, const sub *subs, uint32_t nsubs,
                         int in_element) {
  uint32_t p = *pos;
  int only_opt_null = 1, any = 0;
  while (p < end) {
    if (++x->work > MAX_WORK) return fail(x, "record too complex (more than %d tokens)", MAX_WORK);
    uint8_t tok = x->c[p];
    if (tok != 0x04 && tok != 0x00) {
      any = 1;
      if (tok != 0x0E) only_opt_null = 0;
    }
    switch (tok) {
    case 0x00:
      *pos = p + 1;
      if (in_element) return fail(x, "end of fragment inside <%s> at chunk offset 0x%x", parent->name, p);
      return 0;
    case 0x04:
      if (!in_element) return fail(x, "end element without an element at chunk offset 0x%x", p);
      *pos = p + 1;
      x->opt_null_only = any && only_opt_null;
      return 0;
    case 0x0F:
      if ((uint64_t)p + 4 > end) return fail(x, "fragment header at chunk offset 0x%x truncated", p);
      p += 4;
      break;
    case 0x0C:
      if (parse_template(x, &p, end, parent)) return -1;
      break;
    case 0x01:
    case 0x41:
      if (parse_element(x, &p, end, parent, subs, nsubs)) return -1;
      break;
    case 0x07:
    case 0x47: {
      if ((uint64_t)p + 3 > end) return fail(x, "CDATA at chunk offset 0x%x truncated", p);
      uint32_t n = dk_rd16le(x->c + p + 1);
      if ((uint64_t)p + 3 + 2ull * n > end) return fail(x, "CDATA at chunk offset 0x%x runs past its data", p);
      size_t from = x->scratch.len;
      utf16_to_utf8(&x->scratch, x->c + p + 3, n, 0);
      xnode *c = new_node(x, N_CDATA);
      if (c == NULL) return -1;
      c->text_len = x->scratch.len - from;
      c->text = scratch_str(x, from);
      append_child(parent, c);
      p += 3 + 2 * n;
      break;
    }
    case 0x0A:
    case 0x4A: {
      uint32_t q = p + 1;
      const char *target = name_ref(x, &q, end);
      if (target == NULL) return -1;
      xnode *pi = new_node(x, N_PI);
      if (pi == NULL) return -1;
      pi->name = target;
      pi->text = "";
      if (q + 3 <= end && x->c[q] == 0x0B) {
        uint32_t n = dk_rd16le(x->c + q + 1);
        if ((uint64_t)q + 3 + 2ull * n > end) return fail(x, "PI data at chunk offset 0x%x runs past its data", q);
        size_t from = x->scratch.len;
        utf16_to_utf8(&x->scratch, x->c + q + 3, n, 0);
        pi->text_len = x->scratch.len - from;
        pi->text = scratch_str(x, from);
        q += 3 + 2 * n;
      }
      append_child(parent, pi);
      p = q;
      break;
    }
    default: {
      int rc = parse_value_token(x, &p, end, parent, subs, nsubs, &only_opt_null);
      if (rc < 0) return -1;
      if (rc == 1) return fail(x, "unknown BinXML token 0x%02x at chunk offset 0x%x", tok, p);
      break;
    }
    }
  }
  *pos = p;
  if (in_element) return fail(x, "element <%s> runs past the end of its data", parent->name);
  return 0; /* data ended without an EOF token: accepted */
}

/* Output ------------------------------------------------------------------------------- */

static void xml_escape(dk_buf *b, const char *s, size_t n, int attr) {
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    const char *rep = NULL;
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      /* not allowed in XML 1.0 text: a character reference (XML 1.1) keeps the value visible */
      dk_buf_add(b, s + start, i - start);
      dk_buf_printf(b, "&#x%x;", ch);
      start = i + 1;
      continue;
    }
    switch (s[i]) {
    case '&': rep = "&amp;"; break;
    case '<': rep = "&lt;"; break;
    case '>': rep = "&gt;"; break;
    case '\'': rep = attr ? "&apos;" : NULL; break;
    case '"': rep = attr ? "&quot;" : NULL; break;
    default: break;
    }
    if (rep) {
      dk_buf_add(b, s + start, i - start);
      dk_buf_adds(b, rep);
      start = i + 1;
    }
  }
  dk_buf_add(b, s + start, n - start);
}

static void render_xml(dk_buf *b, const xnode *n) {
  for (; n; n = n->next) {
    switch (n->kind) {
    case N_TEXT: xml_escape(b, n->text, n->text_len, 0); break;
    case N_CDATA:
      dk_buf_adds(b, "<![CDATA[");
      dk_buf_add(b, n->text, n->text_len);
      dk_buf_adds(b, "]]>");
      break;
    case N_PI:
      dk_buf_adds(b, "<?");
      dk_buf_adds(b, n->name);
      if (n->text_len) {
        dk_buf_addc(b, ' ');
        dk_buf_add(b, n->text, n->text_len);
      }
      dk_buf_adds(b, "?>");
      break;
    default:
      dk_buf_addc(b, '<');
      dk_buf_adds(b, n->name);
      for (const xattr *a = n->attrs; a; a = a->next) {
        dk_buf_addc(b, ' ');
        dk_buf_adds(b, a->name);
        dk_buf_adds(b, "='");
        xml_escape(b, a->value, a->value_len, 1);
        dk_buf_addc(b, '\'');
      }
      if (n->child == NULL && n->empty_tag) {
        dk_buf_adds(b, "/>");
      } else {
        dk_buf_addc(b, '>');
        render_xml(b, n->child);
        dk_buf_adds(b, "</");
        dk_buf_adds(b, n->name);
        dk_buf_addc(b, '>');
      }
    }
  }
}

static void json_str(dk_buf *b, const char *s) {
  dk_buf_addc(b, '"');
  size_t start = 0, i = 0;
  for (; s[i]; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == '"' || c == '\\') {
      dk_buf_add(b, s + start, i - start);
      switch (c) {
      case '"': dk_buf_adds(b, "\\\""); break;
      case '\\': dk_buf_adds(b, "\\\\"); break;
      case '\n': dk_buf_adds(b, "\\n"); break;
      case '\r': dk_buf_adds(b, "\\r"); break;
      case '\t': dk_buf_adds(b, "\\t"); break;
      default: dk_buf_printf(b, "\\u%04x", c);
      }
      start = i + 1;
    }
  }
  dk_buf_add(b, s + start, i - start);
  dk_buf_addc(b, '"');
}

static const xnode *child_elem(const xnode *e, const char *name) {
  if (e == NULL) return NULL;
  for (const xnode *c = e->child; c; c = c->next)
    if (c->kind == N_ELEM && strcmp(c->name, name) == 0) return c;
  return NULL;
}

static const char *attr(const xnode *e, const char *name) {
  if (e == NULL) return NULL;
  for (const xattr *a = e->attrs; a; a = a->next)
    if (strcmp(a->name, name) == 0) return a->value;
  return NULL;
}

/* Text of an element: all its descendant text, concatenated. */
static void collect_text(dk_buf *b, const xnode *n) {
  for (; n; n = n->next) {
    if (n->kind == N_TEXT || n->kind == N_CDATA)
      dk_buf_add(b, n->text, n->text_len);
    else if (n->kind == N_ELEM)
      collect_text(b, n->child);
  }
}

static const char *elem_text(ctx *x, const xnode *e) {
  if (e == NULL) return NULL;
  if (e->child && e->child->next == NULL && e->child->kind == N_TEXT)
    return arena_strndup(&x->r->arena, e->child->text, e->child->text_len);
  size_t from = x->scratch.len;
  collect_text(&x->scratch, e->child);
  const char *s = arena_strndup(&x->r->arena, x->scratch.p ? x->scratch.p + from : "", x->scratch.len - from);
  x->scratch.len = from;
  return s;
}

static const char *keep(ctx *x, const char *s) { return s ? arena_strndup(&x->r->arena, s, strlen(s)) : NULL; }

static int64_t to_int(const char *s) {
  if (s == NULL || *s == '\0') return -1;
  char *endp;
  long long v = strtoll(s, &endp, 0);
  if (*endp != '\0' || v < 0) return -1;
  return v;
}

static int ieq(const char *a, const char *b) {
  if (a == NULL || b == NULL) return 0;
  for (; *a && *b; a++, b++) {
    char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
    char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
    if (ca != cb) return 0;
  }
  return *a == *b;
}

static int has_elem_child(const xnode *e) {
  for (const xnode *c = e->child; c; c = c->next)
    if (c->kind == N_ELEM) return 1;
  return 0;
}

/* UserData fields: the leaf elements under e, named by their path ("SystemInfo.SystemCommitLimit"). */
static size_t count_leaves(const xnode *e) {
  size_t n = 0;
  for (const xnode *c = e->child; c; c = c->next)
    if (c->kind == N_ELEM) n += has_elem_child(c) ? count_leaves(c) : 1;
  return n;
}

static int add_leaves(ctx *x, const xnode *e, const char *prefix, dk_evtx_field *f, size_t *i) {
  for (const xnode *c = e->child; c; c = c->next) {
    if (c->kind != N_ELEM) continue;
    size_t from = x->scratch.len;
    if (prefix) {
      dk_buf_adds(&x->scratch, prefix);
      dk_buf_addc(&x->scratch, '.');
    }
    dk_buf_adds(&x->scratch, c->name);
    const char *path = arena_strndup(&x->r->arena, x->scratch.p + from, x->scratch.len - from);
    x->scratch.len = from;
    if (path == NULL) return fail(x, "out of memory");
    if (has_elem_child(c)) {
      if (add_leaves(x, c, path, f, i)) return -1;
    } else {
      f[*i].name = path;
      f[*i].value = elem_text(x, c);
      if (f[*i].value == NULL) return fail(x, "out of memory");
      (*i)++;
    }
  }
  return 0;
}

static int collect_fields(ctx *x, const xnode *parent, dk_evtx_field **out, size_t *nout, int named_by_elem) {
  size_t n = 0;
  *out = NULL;
  *nout = 0;
  if (parent == NULL) return 0;
  if (named_by_elem) {
    n = count_leaves(parent);
    if (n == 0) return 0;
    dk_evtx_field *f = arena_alloc(&x->r->arena, n * sizeof *f);
    if (f == NULL) return fail(x, "out of memory");
    size_t i = 0;
    if (add_leaves(x, parent, NULL, f, &i)) return -1;
    *out = f;
    *nout = i;
    return 0;
  }
  for (const xnode *c = parent->child; c; c = c->next)
    if (c->kind == N_ELEM) n++;
  if (n == 0) return 0;
  dk_evtx_field *f = arena_alloc(&x->r->arena, n * sizeof *f);
  if (f == NULL) return fail(x, "out of memory");
  size_t i = 0;
  for (const xnode *c = parent->child; c; c = c->next) {
    if (c->kind != N_ELEM) continue;
    const char *nm = attr(c, "Name");
    if (strcmp(c->name, "Data") != 0) nm = c->name; /* <Binary>, ComplexData... */
    f[i].name = keep(x, nm);
    f[i].value = elem_text(x, c);
    if (f[i].value == NULL) return fail(x, "out of memory");
    i++;
  }
  *out = f;
  *nout = n;
  return 0;
}

static void json_int(dk_buf *b, const char *key, int64_t v, int *first) {
  if (v < 0) return;
  dk_buf_adds(b, *first ? "\"" : ",\"");
  *first = 0;
  dk_buf_adds(b, key);
  dk_buf_adds(b, "\":");
  dk_buf_i64(b, v);
}

static void json_kstr(dk_buf *b, const char *key, const char *v, int *first) {
  if (v == NULL) return;
  dk_buf_adds(b, *first ? "\"" : ",\"");
  *first = 0;
  dk_buf_adds(b, key);
  dk_buf_adds(b, "\":");
  json_str(b, v);
}

static void render_json(dk_buf *b, const dk_evtx_record *r, const char *xml) {
  int first = 1;
  dk_buf_addc(b, '{');
  dk_buf_adds(b, "\"record_id\":");
  dk_buf_u64(b, r->record_id);
  first = 0;
  json_kstr(b, "time", r->time, &first);
  json_kstr(b, "provider", r->provider, &first);
  json_kstr(b, "provider_guid", r->provider_guid, &first);
  json_kstr(b, "event_source", r->event_source, &first);
  json_int(b, "event_id", r->event_id, &first);
  json_int(b, "qualifiers", r->qualifiers, &first);
  json_int(b, "version", r->version, &first);
  json_int(b, "level", r->level, &first);
  json_int(b, "task", r->task, &first);
  json_int(b, "opcode", r->opcode, &first);
  json_kstr(b, "keywords", r->keywords, &first);
  json_kstr(b, "channel", r->channel, &first);
  json_kstr(b, "computer", r->computer, &first);
  json_int(b, "pid", r->pid, &first);
  json_int(b, "tid", r->tid, &first);
  json_kstr(b, "user_id", r->user_id, &first);
  json_kstr(b, "activity_id", r->activity_id, &first);
  json_kstr(b, "related_activity_id", r->related_activity_id, &first);
  json_kstr(b, "data_kind", r->data_kind, &first);
  json_kstr(b, "userdata_name", r->userdata_name, &first);
  /* data: named fields as a map (first of duplicate names wins); data_list: all, in order */
  dk_buf_adds(b, ",\"data\":{");
  int df = 1;
  for (size_t i = 0; i < r->ndata; i++) {
    const char *nm = r->data[i].name;
    if (nm == NULL) continue;
    int dup = 0;
    for (size_t j = 0; j < i && !dup; j++) dup = r->data[j].name && strcmp(r->data[j].name, nm) == 0;
    if (dup) continue;
    if (!df) dk_buf_addc(b, ',');
    df = 0;
    json_str(b, nm);
    dk_buf_addc(b, ':');
    json_str(b, r->data[i].value);
  }
  dk_buf_adds(b, "},\"data_list\":[");
  for (size_t i = 0; i < r->ndata; i++) {
    dk_buf_adds(b, i ? ",{" : "{");
    if (r->data[i].name) {
      dk_buf_adds(b, "\"name\":");
      json_str(b, r->data[i].name);
      dk_buf_addc(b, ',');
    }
    dk_buf_adds(b, "\"value\":");
    json_str(b, r->data[i].value);
    dk_buf_addc(b, '}');
  }
  dk_buf_addc(b, ']');
  if (r->nrendering) {
    dk_buf_adds(b, ",\"rendering\":{");
    for (size_t i = 0; i < r->nrendering; i++) {
      if (i) dk_buf_addc(b, ',');
      json_str(b, r->rendering[i].name ? r->rendering[i].name : "");
      dk_buf_addc(b, ':');
      json_str(b, r->rendering[i].value);
    }
    dk_buf_addc(b, '}');
  }
  dk_buf_printf(b, ",\"chunk\":%lu,\"offset\":%llu", (unsigned long)r->chunk, (unsigned long long)r->file_offset);
  if (r->recovered) dk_buf_adds(b, ",\"recovered\":true");
  if (xml) {
    dk_buf_adds(b, ",\"xml\":");
    json_str(b, xml);
  }
  dk_buf_addc(b, '}');
}

/* Chunks and records -------------------------------------------------------------------- */

DK_PRINTF(2, 3)
static void warn(dk_evtx_chunk_result *r, const char *fmt, ...) {
  if (r->nwarnings >= 256) return;
  char tmp[320];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (r->nwarnings == r->wcap) {
    size_t nc = r->wcap ? r->wcap * 2 : 8;
    char **w = realloc(r->warnings, nc * sizeof *w);
    if (w == NULL) return;
    r->warnings = w;
    r->wcap = nc;
  }
  char *s = arena_strndup(&r->arena, tmp, strlen(tmp));
  if (s) r->warnings[r->nwarnings++] = s;
}

static int filter_id(const dk_evtx_filter *f, int64_t id) {
  if (f->n_event_ids == 0) return 1;
  for (size_t i = 0; i < f->n_event_ids; i++)
    if (f->event_ids[i] == id) return 1;
  return 0;
}

static int finish_record(ctx *x, const xnode *rootp, uint64_t rid, uint64_t written, uint64_t file_offset,
                         const dk_evtx_opts *o, int recovered);

/* Decodes the record at chunk offset off (size already checked). 1 = kept, 0 = filtered, -1 = error. */
static int decode_record(ctx *x, uint32_t off, uint32_t size, const dk_evtx_opts *o, int recovered) {
  dk_evtx_arena_reset(x->tmp);
  x->scratch.len = 0;
  x->err[0] = '\0';
  x->depth = 0;
  x->work = 0;
  uint64_t rid = dk_rd64le(x->c + off + 8);
  uint64_t written = dk_rd64le(x->c + off + 16);
  xnode root;
  memset(&root, 0, sizeof root);
  root.kind = N_ELEM;
  root.name = "";
  uint32_t p = off + 24;
  if (parse_content(x, &p, off + size - 4, &root, NULL, 0, 0) != 0 || x->scratch.oom || x->tmp->oom) {
    if (x->scratch.oom || x->tmp->oom) fail(x, "out of memory");
    return -1;
  }
  return finish_record(x, &root, rid, written, x->r->file_offset + off, o, recovered);
}

/* Fields, filters and output of a decoded tree (from Binary XML or XML text). */
static int finish_record(ctx *x, const xnode *rootp, uint64_t rid, uint64_t written, uint64_t file_offset,
                         const dk_evtx_opts *o, int recovered) {
  dk_evtx_chunk_result *r = x->r;
  xnode root = *rootp;
  const xnode *ev = NULL;
  for (const xnode *c = root.child; c; c = c->next)
    if (c->kind == N_ELEM) {
      ev = c;
      break;
    }
  const xnode *sys = child_elem(ev, "System");
  const xnode *prov = child_elem(sys, "Provider");
  const xnode *eid = child_elem(sys, "EventID");
  const xnode *tc = child_elem(sys, "TimeCreated");
  const xnode *exe = child_elem(sys, "Execution");
  const xnode *cor = child_elem(sys, "Correlation");
  const xnode *sec = child_elem(sys, "Security");

  dk_evtx_record rec;
  memset(&rec, 0, sizeof rec);
  rec.record_id = rid;
  rec.file_offset = file_offset;
  rec.chunk = r->index;
  rec.recovered = recovered;
  rec.filetime = written;
  const char *st = attr(tc, "SystemTime");
  uint64_t ft;
  if (st && dk_evtx_parse_iso(st, &ft) == 0) rec.filetime = ft;
  const char *pname = attr(prov, "Name");
  const char *psrc = attr(prov, "EventSourceName");
  size_t from = x->scratch.len;
  if (eid) collect_text(&x->scratch, eid->child);
  rec.event_id = eid ? to_int(x->scratch.p ? x->scratch.p + from : NULL) : -1;
  x->scratch.len = from;

  const dk_evtx_filter *f = o->filter;
  if (f) {
    if (f->provider && !ieq(f->provider, pname) && !ieq(f->provider, psrc)) return 0;
    if (!filter_id(f, rec.event_id)) return 0;
    if (f->since && rec.filetime < f->since) return 0;
    if (f->until && rec.filetime >= f->until) return 0;
  }

  char tbuf[40];
  dk_evtx_filetime_iso(rec.filetime, tbuf, sizeof tbuf);
  rec.time = keep(x, tbuf);
  rec.provider = keep(x, pname);
  rec.provider_guid = keep(x, attr(prov, "Guid"));
  rec.event_source = keep(x, psrc);
  rec.qualifiers = eid ? to_int(attr(eid, "Qualifiers")) : -1;
  const char *s;
  rec.version = (s = elem_text(x, child_elem(sys, "Version"))) ? to_int(s) : -1;
  rec.level = (s = elem_text(x, child_elem(sys, "Level"))) ? to_int(s) : -1;
  rec.task = (s = elem_text(x, child_elem(sys, "Task"))) ? to_int(s) : -1;
  rec.opcode = (s = elem_text(x, child_elem(sys, "Opcode"))) ? to_int(s) : -1;
  rec.keywords = elem_text(x, child_elem(sys, "Keywords"));
  rec.channel = elem_text(x, child_elem(sys, "Channel"));
  rec.computer = elem_text(x, child_elem(sys, "Computer"));
  rec.pid = to_int(attr(exe, "ProcessID"));
  rec.tid = to_int(attr(exe, "ThreadID"));
  rec.user_id = keep(x, attr(sec, "UserID"));
  rec.activity_id = keep(x, attr(cor, "ActivityID"));
  rec.related_activity_id = keep(x, attr(cor, "RelatedActivityID"));
  const xnode *ed = child_elem(ev, "EventData");
  const xnode *ud = child_elem(ev, "UserData");
  if (ed) {
    rec.data_kind = "EventData";
    if (collect_fields(x, ed, &rec.data, &rec.ndata, 0)) return -1;
  } else if (ud) {
    rec.data_kind = "UserData";
    const xnode *inner = NULL;
    for (const xnode *c = ud->child; c; c = c->next)
      if (c->kind == N_ELEM) {
        inner = c;
        break;
      }
    if (inner) {
      rec.userdata_name = keep(x, inner->name);
      if (collect_fields(x, inner, &rec.data, &rec.ndata, 1)) return -1;
    }
  }
  const xnode *ri = child_elem(ev, "RenderingInfo");
  if (ri && collect_fields(x, ri, &rec.rendering, &rec.nrendering, 1)) return -1;

  if (o->want & (DK_EVTX_WANT_XML | DK_EVTX_WANT_JSON)) {
    size_t xml_from = r->text.len;
    if (o->want & DK_EVTX_WANT_XML) render_xml(&r->text, root.child);
    if (o->want & DK_EVTX_WANT_XML) {
      rec.xml_off = xml_from;
      rec.xml_len = r->text.len - xml_from;
      if (o->want & DK_EVTX_WANT_NL) dk_buf_addc(&r->text, '\n');
    }
    if (o->want & DK_EVTX_WANT_JSON) {
      const char *xml = NULL;
      if (o->want & DK_EVTX_WANT_XML) xml = arena_strndup(x->tmp, r->text.p + xml_from, rec.xml_len);
      rec.json_off = r->text.len;
      render_json(&r->text, &rec, xml);
      rec.json_len = r->text.len - rec.json_off;
      if (o->want & DK_EVTX_WANT_NL) dk_buf_addc(&r->text, '\n');
    }
    if (r->text.oom) return fail(x, "out of memory");
  }
  if (r->arena.oom) return fail(x, "out of memory");
  if (o->want & DK_EVTX_WANT_FIELDS) {
    if (r->nrecords == r->cap) {
      size_t nc = r->cap ? r->cap * 2 : 64;
      dk_evtx_record *nr = realloc(r->records, nc * sizeof *nr);
      if (nr == NULL) return fail(x, "out of memory");
      r->records = nr;
      r->cap = nc;
    }
    r->records[r->nrecords++] = rec;
  }
  return 1;
}

/* A plausible record at chunk offset off: signature, size within the chunk, size copy at the end. */
static int record_ok(const uint8_t *c, uint32_t csize, uint32_t off, uint32_t *size) {
  if ((uint64_t)off + 28 > csize) return 0;
  if (dk_rd32le(c + off) != 0x00002A2A) return 0;
  uint32_t sz = dk_rd32le(c + off + 4);
  if (sz < 28 || (uint64_t)off + sz > csize) return 0;
  if (dk_rd32le(c + off + sz - 4) != sz) return 0;
  *size = sz;
  return 1;
}

static void reset_result(dk_evtx_chunk_result *r) {
  dk_evtx_arena_reset(&r->arena);
  r->nrecords = 0;
  r->nwarnings = 0;
  r->nskipped = r->nfiltered = 0;
  r->text.len = 0;
  r->text.oom = 0;
  if (r->text.p) r->text.p[0] = '\0';
  r->present = r->bad = 0;
  r->header_crc_ok = r->data_crc_ok = -1;
  r->first_record_id = r->last_record_id = 0;
}

int dk_evtx_parse_chunk(const uint8_t *file, size_t size, uint64_t index, const dk_evtx_opts *opts,
                        dk_evtx_chunk_result *r) {
  if (atomic_load(&crc_state) != 2) crc_init();
  reset_result(r);
  r->index = (uint32_t)index;
  uint64_t foff = DK_EVTX_HEADER_BLOCK + index * (uint64_t)DK_EVTX_CHUNK_SIZE;
  r->file_offset = foff;
  if (foff >= size) return 0;
  uint32_t csize = DK_EVTX_CHUNK_SIZE;
  const uint8_t *c = file + foff;
  static const uint8_t zero8[8] = {0};
  if (size - foff < DK_EVTX_CHUNK_SIZE) {
    csize = (uint32_t)(size - foff);
    if (csize < 512 || memcmp(c, "ElfChnk\0", 8) != 0) {
      if (csize >= 8 && memcmp(c, zero8, 8) == 0) return 0;
      warn(r, "chunk %llu at file offset 0x%llx: truncated (%lu of %u bytes), skipped", (unsigned long long)index,
           (unsigned long long)foff, (unsigned long)csize, DK_EVTX_CHUNK_SIZE);
      r->present = 1;
      r->bad = 1;
      return 0;
    }
    warn(r, "chunk %llu at file offset 0x%llx: truncated (%lu of %u bytes): reading the records that are complete",
         (unsigned long long)index, (unsigned long long)foff, (unsigned long)csize, DK_EVTX_CHUNK_SIZE);
  }
  if (memcmp(c, zero8, 8) == 0) return 0; /* never used */
  r->present = 1;
  if (memcmp(c, "ElfChnk\0", 8) != 0) {
    warn(r, "chunk %llu at file offset 0x%llx: bad signature, chunk skipped", (unsigned long long)index,
         (unsigned long long)foff);
    r->bad = 2;
    return 0;
  }
  r->first_record_id = dk_rd64le(c + 24);
  r->last_record_id = dk_rd64le(c + 32);
  uint32_t free_off = dk_rd32le(c + 48);
  uint32_t flags = dk_rd32le(c + 120);
  uint32_t hcrc = dk_rd32le(c + 124), dcrc = dk_rd32le(c + 52);
  uint32_t limit = free_off;
  if (csize < DK_EVTX_CHUNK_SIZE && limit > csize) limit = csize;
  if (limit < 512 || limit > DK_EVTX_CHUNK_SIZE) {
    warn(r, "chunk %llu at file offset 0x%llx: free space offset 0x%x is outside the chunk; reading to the end",
         (unsigned long long)index, (unsigned long long)foff, free_off);
    limit = csize;
  }
  int no_crc = (flags & DK_EVTX_FLAG_NO_CRC) || (hcrc == 0 && dcrc == 0) || csize < DK_EVTX_CHUNK_SIZE;
  if (!no_crc) {
    uint32_t h = crc_update(crc_update(0, c, 120), c + 128, 384);
    r->header_crc_ok = h == hcrc;
    if (!r->header_crc_ok)
      warn(r, "chunk %llu at file offset 0x%llx: header CRC32 mismatch (stored %08lx, computed %08lx); decoding anyway",
           (unsigned long long)index, (unsigned long long)foff, (unsigned long)hcrc, (unsigned long)h);
    uint32_t d = crc_update(0, c + 512, limit - 512);
    r->data_crc_ok = d == dcrc;
    if (!r->data_crc_ok)
      warn(r, "chunk %llu at file offset 0x%llx: records CRC32 mismatch (stored %08lx, computed %08lx); decoding anyway",
           (unsigned long long)index, (unsigned long long)foff, (unsigned long)dcrc, (unsigned long)d);
  }

  ctx *x = calloc(1, sizeof *x);
  if (x == NULL) {
    warn(r, "out of memory");
    return -1;
  }
  x->c = c;
  x->csize = csize;
  x->r = r;
  x->tmp = &r->tmp;
  int rc = 0;
  uint32_t off = 512;
  while (off + 28 <= limit) {
    uint32_t sz = dk_rd32le(c + off + 4);
    if (dk_rd32le(c + off) == 0) break; /* zeroed slack: end of records (header overstated) */
    int header_ok = dk_rd32le(c + off) == 0x00002A2A && sz >= 28 && (uint64_t)off + sz <= limit;
    int copy_ok = header_ok && dk_rd32le(c + off + sz - 4) == sz;
    int k = -2;
    if (header_ok) {
      k = decode_record(x, off, sz, opts, 0);
      if (k < 0 && strcmp(x->err, "out of memory") == 0) {
        warn(r, "chunk %llu: out of memory", (unsigned long long)index);
        rc = -1;
        break;
      }
      if (k >= 0 && !copy_ok)
        warn(r, "chunk %llu at file offset 0x%llx: record %llu at 0x%llx: the size copy at its end is %lu, not %lu (overwritten?); decoded anyway",
             (unsigned long long)index, (unsigned long long)foff, (unsigned long long)dk_rd64le(c + off + 8),
             (unsigned long long)(foff + off), (unsigned long)dk_rd32le(c + off + sz - 4), (unsigned long)sz);
      else if (k < 0 && copy_ok)
        warn(r, "chunk %llu at file offset 0x%llx: record %llu at 0x%llx skipped: %s", (unsigned long long)index,
             (unsigned long long)foff, (unsigned long long)dk_rd64le(c + off + 8), (unsigned long long)(foff + off), x->err);
      if (k == 0) r->nfiltered++;
    }
    if (k < 0 && !copy_ok)
      warn(r, "chunk %llu at file offset 0x%llx: bad record at 0x%llx (%s), skipping to the next record",
           (unsigned long long)index, (unsigned long long)foff, (unsigned long long)(foff + off),
           dk_rd32le(c + off) != 0x00002A2A ? "no signature"
           : !header_ok               ? "size outside the chunk"
                                      : "size copy mismatch and undecodable");
    if (k < 0) r->nskipped++;
    uint32_t n;
    if (copy_ok || (k >= 0 && (off + sz + 28 > limit || dk_rd32le(c + off + sz) == 0 || (record_ok(c, csize, off + sz, &n) && off + sz + n <= limit)))) {
      off += sz;
      continue;
    }
    /* resynchronise on the next plausible record (signature, size, size copy) */
    off += 4;
    while (off + 28 <= limit && !(record_ok(c, csize, off, &n) && off + n <= limit)) off++;
  }
  if (opts->recover && rc == 0) {
    /* slack space: records after the point where the walk stopped (a zeroed
    ** hole, or the free space offset), left over from earlier writes */
    uint32_t s = off;
    while (s + 28 <= csize) {
      uint32_t sz;
      if (c[s] == 0x2A && record_ok(c, csize, s, &sz)) {
        int k = decode_record(x, s, sz, opts, 1);
        if (k >= 0) {
          s += sz;
          continue;
        }
      }
      s++;
    }
  }
  dk_buf_free(&x->scratch);
  free(x);
  return rc;
}

/* XML text (as EvtRender and wevtutil print it) ------------------------------------- */

typedef struct xp {
  const char *s;
  size_t n, i;
  ctx *x;
} xp;

static int xp_starts(const xp *p, const char *lit) {
  size_t k = strlen(lit);
  return p->n - p->i >= k && memcmp(p->s + p->i, lit, k) == 0;
}

static int xp_skip_to(xp *p, const char *lit) {
  size_t k = strlen(lit);
  while (p->i < p->n) {
    if (p->n - p->i >= k && memcmp(p->s + p->i, lit, k) == 0) {
      p->i += k;
      return 0;
    }
    p->i++;
  }
  return fail(p->x, "XML: '%s' missing", lit);
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static void xp_ws(xp *p) {
  while (p->i < p->n && is_ws(p->s[p->i])) p->i++;
}

static const char *xp_name(xp *p) {
  size_t st = p->i;
  while (p->i < p->n && !is_ws(p->s[p->i]) && p->s[p->i] != '/' && p->s[p->i] != '>' && p->s[p->i] != '=' &&
         p->s[p->i] != '<')
    p->i++;
  if (p->i == st) {
    fail(p->x, "XML: a name expected at byte %zu", st);
    return NULL;
  }
  const char *nm = arena_strndup(p->x->tmp, p->s + st, p->i - st);
  if (nm == NULL) fail(p->x, "out of memory");
  return nm;
}

/* Text up to the stop character, entities decoded, into scratch; returns the start in scratch. */
static size_t xp_text(xp *p, char stop) {
  ctx *x = p->x;
  size_t from = x->scratch.len;
  while (p->i < p->n && p->s[p->i] != stop && !(stop == '<' && p->s[p->i] == '<')) {
    char c = p->s[p->i];
    if (c == '&') {
      size_t semi = p->i + 1;
      while (semi < p->n && semi - p->i < 12 && p->s[semi] != ';') semi++;
      if (semi < p->n && p->s[semi] == ';') {
        const char *e = p->s + p->i + 1;
        size_t el = semi - p->i - 1;
        const char *rep = NULL;
        if (el == 2 && memcmp(e, "lt", 2) == 0) rep = "<";
        else if (el == 2 && memcmp(e, "gt", 2) == 0) rep = ">";
        else if (el == 3 && memcmp(e, "amp", 3) == 0) rep = "&";
        else if (el == 4 && memcmp(e, "quot", 4) == 0) rep = "\"";
        else if (el == 4 && memcmp(e, "apos", 4) == 0) rep = "'";
        if (rep) {
          dk_buf_adds(&x->scratch, rep);
          p->i = semi + 1;
          continue;
        }
        if (el >= 2 && e[0] == '#') {
          char num[16];
          size_t k = el - 1 < sizeof num - 1 ? el - 1 : sizeof num - 1;
          memcpy(num, e + 1, k);
          num[k] = '\0';
          char *endp;
          unsigned long v = (num[0] == 'x' || num[0] == 'X') ? strtoul(num + 1, &endp, 16) : strtoul(num, &endp, 10);
          if (*endp == '\0' && endp != num && v <= 0x10FFFF) {
            utf8_char(&x->scratch, (uint32_t)v);
            p->i = semi + 1;
            continue;
          }
        }
      }
    }
    dk_buf_addc(&x->scratch, c);
    p->i++;
  }
  return from;
}

static int xp_element(xp *p, xnode *parent, int depth);

static int xp_content(xp *p, xnode *e, int depth) {
  ctx *x = p->x;
  for (;;) {
    if (++x->work > MAX_WORK) return fail(x, "record too complex");
    if (p->i >= p->n) return fail(x, "XML: <%s> is not closed", e->name);
    if (xp_starts(p, "</")) {
      p->i += 2;
      size_t st = p->i;
      const char *nm = xp_name(p);
      if (nm == NULL) return -1;
      if (strcmp(nm, e->name) != 0) return fail(x, "XML: </%s> closes <%s> at byte %zu", nm, e->name, st);
      xp_ws(p);
      if (p->i >= p->n || p->s[p->i] != '>') return fail(x, "XML: '>' expected at byte %zu", p->i);
      p->i++;
      if (has_elem_child(e)) {
        /* pretty-printed XML: blank text between child elements is indentation */
        xnode *keep_first = NULL, *last = NULL;
        for (xnode *c = e->child; c; c = c->next) {
          int blank = c->kind == N_TEXT;
          for (size_t k = 0; blank && k < c->text_len; k++) blank = is_ws(c->text[k]);
          if (blank) continue;
          if (last) last->next = c; else keep_first = c;
          last = c;
        }
        if (last) last->next = NULL;
        e->child = keep_first;
        e->last = last;
      }
      return 0;
    }
    if (xp_starts(p, "<!--")) {
      if (xp_skip_to(p, "-->")) return -1;
    } else if (xp_starts(p, "<![CDATA[")) {
      p->i += 9;
      size_t st = p->i;
      if (xp_skip_to(p, "]]>")) return -1;
      xnode *c = new_node(x, N_CDATA);
      if (c == NULL) return -1;
      c->text_len = p->i - 3 - st;
      c->text = arena_strndup(x->tmp, p->s + st, c->text_len);
      append_child(e, c);
    } else if (xp_starts(p, "<?")) {
      if (xp_skip_to(p, "?>")) return -1;
    } else if (p->s[p->i] == '<') {
      if (xp_element(p, e, depth + 1)) return -1;
    } else {
      if (text_node(x, e, xp_text(p, '<'))) return -1;
    }
  }
}

static int xp_element(xp *p, xnode *parent, int depth) {
  ctx *x = p->x;
  if (depth > MAX_DEPTH) return fail(x, "XML: elements nested too deeply");
  p->i++; /* '<' */
  const char *nm = xp_name(p);
  if (nm == NULL) return -1;
  xnode *e = new_node(x, N_ELEM);
  if (e == NULL) return -1;
  e->name = nm;
  for (;;) {
    xp_ws(p);
    if (p->i >= p->n) return fail(x, "XML: <%s> is not closed", nm);
    if (p->s[p->i] == '/') {
      if (p->i + 1 >= p->n || p->s[p->i + 1] != '>') return fail(x, "XML: '/>' expected at byte %zu", p->i);
      p->i += 2;
      e->empty_tag = 1;
      append_child(parent, e);
      return 0;
    }
    if (p->s[p->i] == '>') {
      p->i++;
      break;
    }
    const char *an = xp_name(p);
    if (an == NULL) return -1;
    xp_ws(p);
    if (p->i >= p->n || p->s[p->i] != '=') return fail(x, "XML: '=' expected after %s at byte %zu", an, p->i);
    p->i++;
    xp_ws(p);
    if (p->i >= p->n || (p->s[p->i] != '"' && p->s[p->i] != '\'')) return fail(x, "XML: quote expected at byte %zu", p->i);
    char q = p->s[p->i++];
    size_t from = xp_text(p, q);
    if (p->i >= p->n) return fail(x, "XML: attribute %s is not closed", an);
    p->i++;
    if (attr_node(x, e, an, from)) return -1;
  }
  if (xp_content(p, e, depth)) return -1;
  append_child(parent, e);
  return 0;
}

int dk_evtx_parse_xml_record(const char *xml, size_t len, const dk_evtx_opts *o, dk_evtx_chunk_result *r) {
  ctx *x = calloc(1, sizeof *x);
  if (x == NULL) return -1;
  x->r = r;
  x->tmp = &r->tmp;
  dk_evtx_arena_reset(x->tmp);
  xp p = {xml, len, 0, x};
  xnode root;
  memset(&root, 0, sizeof root);
  root.kind = N_ELEM;
  root.name = "";
  int rc = 0;
  if (p.n >= 3 && memcmp(p.s, "\xEF\xBB\xBF", 3) == 0) p.i = 3;
  for (;;) {
    xp_ws(&p);
    if (xp_starts(&p, "<?")) {
      if (xp_skip_to(&p, "?>")) rc = -1;
    } else if (xp_starts(&p, "<!")) {
      if (xp_skip_to(&p, ">")) rc = -1;
    } else {
      break;
    }
    if (rc) break;
  }
  if (rc == 0) {
    if (p.i >= p.n || p.s[p.i] != '<') {
      rc = fail(x, "XML: no element");
    } else {
      rc = xp_element(&p, &root, 0);
    }
  }
  if (rc == 0 && (x->scratch.oom || x->tmp->oom)) rc = fail(x, "out of memory");
  uint64_t rid = 0;
  if (rc == 0) {
    const xnode *ev = root.child;
    const xnode *rid_e = child_elem(child_elem(ev, "System"), "EventRecordID");
    size_t from = x->scratch.len;
    if (rid_e) collect_text(&x->scratch, rid_e->child);
    if (x->scratch.p && x->scratch.len > from) rid = strtoull(x->scratch.p + from, NULL, 10);
    x->scratch.len = from;
    rc = finish_record(x, &root, rid, 0, 0, o, 0);
  }
  if (rc < 0) warn(r, "record skipped: %s", x->err[0] ? x->err : "XML could not be read");
  dk_buf_free(&x->scratch);
  free(x);
  return rc;
}

void dk_evtx_result_reset(dk_evtx_chunk_result *r) { reset_result(r); }

void dk_evtx_chunk_result_free(dk_evtx_chunk_result *r) {
  dk_evtx_arena_free(&r->arena);
  dk_evtx_arena_free(&r->tmp);
  dk_buf_free(&r->text);
  free(r->records);
  free(r->warnings);
  memset(r, 0, sizeof *r);
}
