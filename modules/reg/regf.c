/*
** regf reader. Layout: msuhanov/regf "Windows registry file format
** specification"; see regf.h for the guarantees.
*/
#include "dk_err.h"
#include "regf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_bytes.h"
#include "dk_file.h"
#include "dk_text.h"

#define BASE 4096u
#define MAX_ERRORS 200
#define MAX_DEPTH 512

typedef struct hbin {
  uint32_t start, size; /* relative to BASE */
} hbin;

struct dk_hive {
  uint8_t *data;
  size_t len;
  uint32_t bins_end; /* relative end of the readable bins */
  hbin *bins;
  size_t nbins;
  dk_hive_info info;
  char *errors[MAX_ERRORS];
  size_t nerrors, dropped;
  uint8_t *visited; /* walk: one bit per 8-byte cell slot */
};

DK_PRINTF(2, 3) static void note(dk_hive *h, const char *fmt, ...) {
  if (h->nerrors >= MAX_ERRORS) {
    h->dropped++;
    return;
  }
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  for (size_t i = 0; i < h->nerrors; i++)
    if (strcmp(h->errors[i], msg) == 0) return;
  char *c = malloc(strlen(msg) + 1);
  if (!c) return;
  strcpy(c, msg);
  h->errors[h->nerrors++] = c;
}

static void w32le(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

size_t dk_hive_nerrors(const dk_hive *h) { return h->nerrors; }
const char *dk_hive_error(const dk_hive *h, size_t i) { return i < h->nerrors ? h->errors[i] : NULL; }
void dk_hive_get_info(const dk_hive *h, dk_hive_info *info) { *info = h->info; }

/* ---- opening ------------------------------------------------------------ */

static uint32_t checksum(const uint8_t *b) {
  uint32_t x = 0;
  for (int i = 0; i < 127; i++) x ^= dk_rd32le(b + 4 * i);
  if (x == 0) x = 1;
  if (x == 0xFFFFFFFFu) x = 0xFFFFFFFEu;
  return x;
}

dk_hive *dk_hive_open(const uint8_t *data, size_t len, char *err, size_t errlen) {
  if (len < BASE) {
    dk_fail(err, errlen, "%zu bytes: a hive has a 4096-byte base block", len);
    return NULL;
  }
  if (memcmp(data, "regf", 4) != 0) {
    dk_fail(err, errlen, "offset 0: signature is not 'regf'");
    return NULL;
  }
  dk_hive *h = calloc(1, sizeof *h);
  if (!h || !(h->data = malloc(len))) {
    free(h);
    dk_fail(err, errlen, "out of memory");
    return NULL;
  }
  memcpy(h->data, data, len);
  h->len = len;
  const uint8_t *b = h->data;
  dk_hive_info *in = &h->info;
  in->primary_seq = dk_rd32le(b + 4);
  in->secondary_seq = dk_rd32le(b + 8);
  in->dirty = in->primary_seq != in->secondary_seq;
  in->last_written = dk_rd64le(b + 12);
  in->major = dk_rd32le(b + 20);
  in->minor = dk_rd32le(b + 24);
  in->file_type = dk_rd32le(b + 28);
  in->format = dk_rd32le(b + 32);
  in->root = dk_rd32le(b + 36);
  in->bins_size = dk_rd32le(b + 40);
  in->checksum = dk_rd32le(b + 508);
  in->computed_checksum = checksum(b);
  in->checksum_ok = in->checksum == in->computed_checksum;
  dk_utf16le_to_utf8(b + 48, 64, DK_UTF16_STOP_NUL, in->file_name, sizeof in->file_name);
  if (in->major != 1) note(h, "base block: major version %u (1 expected)", in->major);
  if (!in->checksum_ok)
    note(h, "base block: checksum 0x%08x, computed 0x%08x", in->checksum, in->computed_checksum);
  if (in->dirty)
    note(h, "base block: sequence numbers differ (%u / %u): the hive is dirty, its transaction logs hold newer data",
         in->primary_seq, in->secondary_seq);
  size_t avail = len - BASE;
  uint32_t declared = in->bins_size;
  if (declared == 0 || declared % 4096 != 0 || declared > avail) {
    note(h, "base block: hive bins data size %u does not fit the file (%zu bytes of bins); using the file size",
         declared, avail);
    declared = (uint32_t)(avail > 0xFFFFF000u ? 0xFFFFF000u : avail & ~(size_t)4095);
  }
  /* Walk the hbins; resynchronise on 4096-byte boundaries after a bad header. */
  size_t cap = 0;
  uint32_t pos = 0;
  while (pos + 32 <= declared) {
    const uint8_t *p = b + BASE + pos;
    uint32_t sz = dk_rd32le(p + 8);
    if (memcmp(p, "hbin", 4) != 0 || dk_rd32le(p + 4) != pos || sz == 0 || sz % 4096 != 0 || sz > declared - pos) {
      note(h, "hbin at offset 0x%x: bad header (signature, offset or size %u); skipping 4096 bytes", pos, sz);
      pos += 4096;
      continue;
    }
    if (h->nbins == cap) {
      size_t nc = cap ? cap * 2 : 64;
      hbin *nb = realloc(h->bins, nc * sizeof *nb);
      if (!nb) break;
      h->bins = nb;
      cap = nc;
    }
    h->bins[h->nbins++] = (hbin){pos, sz};
    in->bins_found += sz;
    pos += sz;
  }
  h->bins_end = declared;
  in->nbins = (uint32_t)h->nbins;
  if (h->nbins == 0) {
    dk_fail(err, errlen, "no readable hive bin after the base block");
    dk_hive_close(h);
    return NULL;
  }
  return h;
}

dk_hive *dk_hive_open_file(const char *path, char *err, size_t errlen, const char **code) {
  dk_err e;
  dk_filebuf f;
  /* Plain files only: a FIFO or a device is refused, not read. */
  if (dk_file_open(&f, path, DK_FILE_SEQUENTIAL, (uint64_t)1 << 31, &e) != 0) {
    dk_err_copy(&e, err, errlen, code);
    return NULL;
  }
  char e2[256];
  dk_hive *h = dk_hive_open(f.data, f.size, e2, sizeof e2);
  dk_file_close(&f);
  if (!h) {
    *code = "DK_BAD_FORMAT";
    dk_fail(err, errlen, "%s: %s", path, e2);
  }
  return h;
}

/* ---- transaction logs --------------------------------------------------- */

static uint32_t rotl32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void marvin_block(uint32_t *lo, uint32_t *hi) {
  *hi ^= *lo;
  *lo = rotl32(*lo, 20);
  *lo += *hi;
  *hi = rotl32(*hi, 9);
  *hi ^= *lo;
  *lo = rotl32(*lo, 27);
  *lo += *hi;
  *hi = rotl32(*hi, 19);
}

uint64_t dk_marvin32(const uint8_t *d, size_t n) {
  const uint64_t seed = 0x82EF4D887A4E55C5ull;
  uint32_t lo = (uint32_t)seed, hi = (uint32_t)(seed >> 32);
  size_t i = 0;
  for (; n - i >= 4; i += 4) {
    lo += dk_rd32le(d + i);
    marvin_block(&lo, &hi);
  }
  switch (n - i) {
  case 0: lo += 0x80u; break;
  case 1: lo += 0x8000u | d[i]; break;
  case 2: lo += 0x800000u | d[i] | (uint32_t)d[i + 1] << 8; break;
  default: lo += 0x80000000u | d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16; break;
  }
  marvin_block(&lo, &hi);
  marvin_block(&lo, &hi);
  return (uint64_t)hi << 32 | lo;
}

static uint64_t rd64le(const uint8_t *p) { return dk_rd64le(p); }

/* The valid entry of log with sequence seq, or NULL. *why explains a bad one. */
static const uint8_t *find_entry(const uint8_t *log, size_t len, uint32_t seq, char *why, size_t whylen) {
  if (len < 512 + 40 || memcmp(log, "regf", 4) != 0) return NULL;
  if (memcmp(log + 512, "DIRT", 4) == 0) return NULL; /* old format: apply_dirt */
  size_t off = 512;
  while (off + 40 <= len && memcmp(log + off, "HvLE", 4) == 0) {
    const uint8_t *e = log + off;
    uint32_t size = dk_rd32le(e + 4), eseq = dk_rd32le(e + 12), npages = dk_rd32le(e + 20);
    if (size < 40 || size % 512 != 0 || size > len - off) {
      snprintf(why, whylen, "log entry at 0x%zx: size %u invalid", off, size);
      return NULL;
    }
    if ((size_t)npages * 8 > size - 40) {
      snprintf(why, whylen, "log entry at 0x%zx: %u dirty pages do not fit", off, npages);
      return NULL;
    }
    if (dk_marvin32(e + 40, size - 40) != rd64le(e + 24) || dk_marvin32(e, 32) != rd64le(e + 32)) {
      snprintf(why, whylen, "log entry %u at 0x%zx: hash mismatch (torn write)", eseq, off);
      return NULL;
    }
    if (eseq == seq) return e;
    off += size;
  }
  return NULL;
}

/* Old-format log (before Windows 8.1): a base block, "DIRT" at 512, a bitmap
   with one bit per 512-byte page of the hive bins, then the dirty pages
   (starting at the next 512-byte boundary) in bitmap order. Applied onto
   *buf (resized); returns pages applied, or -1 with why. */
static long apply_dirt(const uint8_t *log, size_t len, uint8_t **buf, size_t *cur, char *why, size_t whylen) {
  if (len < 1024 || memcmp(log, "regf", 4) != 0 || memcmp(log + 512, "DIRT", 4) != 0) return 0;
  if (checksum(log) != dk_rd32le(log + 508)) {
    snprintf(why, whylen, "old-format log: base block checksum mismatch");
    return -1;
  }
  uint32_t bins = dk_rd32le(log + 40);
  if (bins == 0 || bins % 4096 != 0 || bins > 0x7FFFF000u) {
    snprintf(why, whylen, "old-format log: hive bins size %u invalid", bins);
    return -1;
  }
  size_t bits = bins / 512, vec = (bits + 7) / 8;
  if (516 + vec > len) {
    snprintf(why, whylen, "old-format log: the dirty vector (%zu bytes) runs past the end", vec);
    return -1;
  }
  size_t pages = 0;
  for (size_t i = 0; i < bits; i++) pages += (log[516 + i / 8] >> (i % 8)) & 1u;
  size_t data = (516 + vec + 511) & ~(size_t)511;
  if (data > len || pages > (len - data) / 512) {
    snprintf(why, whylen, "old-format log: %zu dirty pages, the file holds %zu", pages,
             data > len ? (size_t)0 : (len - data) / 512);
    return -1;
  }
  size_t need = BASE + (size_t)bins;
  if (need > *cur) {
    uint8_t *nb = realloc(*buf, need);
    if (!nb) {
      snprintf(why, whylen, "out of memory");
      return -1;
    }
    memset(nb + *cur, 0, need - *cur);
    *buf = nb;
    *cur = need;
  }
  size_t k = 0;
  for (size_t i = 0; i < bits; i++)
    if ((log[516 + i / 8] >> (i % 8)) & 1u) memcpy(*buf + BASE + i * 512, log + data + 512 * k++, 512);
  memcpy(*buf, log, 512); /* the log's base block is the newer one */
  w32le(*buf + 28, 0);    /* as a primary file */
  return (long)pages;
}

dk_hive *dk_hive_open_logs(const uint8_t *data, size_t len, const uint8_t *const *logs, const size_t *loglens,
                           size_t nlogs, dk_replay *rep, char *err, size_t errlen) {
  memset(rep, 0, sizeof *rep);
  if (len < BASE || memcmp(data, "regf", 4) != 0 || nlogs == 0 || dk_rd32le(data + 4) == dk_rd32le(data + 8))
    return dk_hive_open(data, len, err, errlen);
  rep->attempted = 1;
  size_t cap = len, cur = len;
  uint8_t *buf = malloc(cap);
  if (!buf) {
    dk_fail(err, errlen, "out of memory");
    return NULL;
  }
  memcpy(buf, data, len);
  uint32_t seq = dk_rd32le(data + 8);
  rep->first_seq = seq;
  char why[200] = "";
  for (;;) {
    const uint8_t *e = NULL;
    why[0] = '\0';
    for (size_t i = 0; i < nlogs && !e; i++) e = find_entry(logs[i], loglens[i], seq, why, sizeof why);
    if (!e) {
      if (!why[0]) snprintf(why, sizeof why, "no log entry with sequence number %u", seq);
      break;
    }
    uint32_t size = dk_rd32le(e + 4), bins = dk_rd32le(e + 16), npages = dk_rd32le(e + 20);
    if (bins % 4096 != 0 || bins > 0x7FFFF000u) {
      snprintf(why, sizeof why, "log entry %u: hive bins size %u invalid", seq, bins);
      break;
    }
    size_t need = BASE + (size_t)bins;
    if (need > cap) {
      uint8_t *nb = realloc(buf, need);
      if (!nb) {
        snprintf(why, sizeof why, "out of memory");
        break;
      }
      buf = nb;
      cap = need;
    }
    if (need > cur) memset(buf + cur, 0, need - cur);
    cur = need;
    size_t data_off = 40 + 8 * (size_t)npages;
    int bad = 0;
    for (uint32_t p = 0; p < npages; p++) {
      uint32_t poff = dk_rd32le(e + 40 + 8 * p), psz = dk_rd32le(e + 44 + 8 * p);
      if (psz > size - data_off || (size_t)poff + psz > bins) {
        snprintf(why, sizeof why, "log entry %u: dirty page %u (offset 0x%x, %u bytes) out of range", seq, p, poff,
                 psz);
        bad = 1;
        break;
      }
      memcpy(buf + BASE + poff, e + data_off, psz);
      data_off += psz;
      rep->pages++;
    }
    if (bad) break;
    w32le(buf + 40, bins);
    rep->entries++;
    rep->last_seq = seq;
    seq++;
  }
  if (rep->entries == 0) {
    /* No new-format entry applies: try an old-format log. */
    for (size_t i = 0; i < nlogs; i++) {
      char w2[200] = "";
      long pages = apply_dirt(logs[i], loglens[i], &buf, &cur, w2, sizeof w2);
      if (pages < 0) {
        snprintf(why, sizeof why, "%s", w2);
        continue;
      }
      if (pages > 0 || (loglens[i] >= 516 && memcmp(logs[i] + 512, "DIRT", 4) == 0)) {
        rep->entries = 1;
        rep->pages = (unsigned)pages;
        rep->last_seq = dk_rd32le(logs[i] + 4);
        snprintf(why, sizeof why, "old-format log applied (%ld dirty pages)", pages);
        break;
      }
    }
  }
  snprintf(rep->stopped, sizeof rep->stopped, "%s", why);
  if (rep->entries) {
    w32le(buf + 4, rep->last_seq + 1);
    w32le(buf + 8, rep->last_seq + 1);
    w32le(buf + 508, checksum(buf));
  }
  dk_hive *h = dk_hive_open(buf, cur, err, errlen);
  free(buf);
  if (h && rep->entries)
    note(h, "replayed %u log entries (sequence %u to %u, %u pages) in memory; stopped: %s", rep->entries,
         rep->first_seq, rep->last_seq, rep->pages, rep->stopped);
  return h;
}

void dk_hive_close(dk_hive *h) {
  if (!h) return;
  for (size_t i = 0; i < h->nerrors; i++) free(h->errors[i]);
  free(h->bins);
  free(h->visited);
  free(h->data);
  free(h);
}

/* ---- cells -------------------------------------------------------------- */

static const hbin *bin_of(const dk_hive *h, uint32_t off) {
  size_t lo = 0, hi = h->nbins;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const hbin *b = &h->bins[mid];
    if (off < b->start) hi = mid;
    else if (off - b->start >= b->size) lo = mid + 1;
    else return b;
  }
  return NULL;
}

/* The payload of the allocated cell at off (after its 4-byte size). */
static const uint8_t *cell(const dk_hive *h, uint32_t off, uint32_t *size, const char *what, char *err,
                           size_t errlen) {
  if (off == DK_REGF_NONE) {
    dk_fail(err, errlen, "%s: no cell (offset 0xffffffff)", what);
    return NULL;
  }
  if (off % 8 != 0) {
    dk_fail(err, errlen, "%s: cell offset 0x%x is not 8-aligned", what, off);
    return NULL;
  }
  const hbin *b = bin_of(h, off);
  if (!b || off - b->start < 32) {
    dk_fail(err, errlen, "%s: cell offset 0x%x is outside the readable hive bins", what, off);
    return NULL;
  }
  uint32_t room = b->start + b->size - off;
  const uint8_t *p = h->data + BASE + off;
  int32_t raw = (int32_t)dk_rd32le(p);
  if (raw >= 0) {
    dk_fail(err, errlen, "%s: cell at 0x%x is free (size %d), not allocated", what, off, raw);
    return NULL;
  }
  uint32_t sz = (uint32_t)(-(int64_t)raw);
  if (sz < 8 || sz > room) {
    dk_fail(err, errlen, "%s: cell at 0x%x has size %u, its hive bin leaves %u", what, off, sz, room);
    return NULL;
  }
  *size = sz - 4;
  return p + 4;
}

int dk_hive_key(dk_hive *h, uint32_t off, dk_nk *nk, char *err, size_t errlen) {
  uint32_t sz;
  const uint8_t *p = cell(h, off, &sz, "key", err, errlen);
  if (!p) return -1;
  if (sz < 76 || p[0] != 'n' || p[1] != 'k')
    return dk_fail(err, errlen, "key at 0x%x: not an nk cell (signature '%c%c', %u bytes)", off,
                sz >= 2 && p[0] >= 32 && p[0] < 127 ? p[0] : '?', sz >= 2 && p[1] >= 32 && p[1] < 127 ? p[1] : '?',
                sz);
  memset(nk, 0, sizeof *nk);
  nk->off = off;
  nk->flags = dk_rd16le(p + 2);
  nk->mtime = dk_rd64le(p + 4);
  nk->parent = dk_rd32le(p + 16);
  nk->nsubkeys = dk_rd32le(p + 20);
  nk->subkeys = dk_rd32le(p + 28);
  nk->nvalues = dk_rd32le(p + 36);
  nk->values = dk_rd32le(p + 40);
  nk->sk = dk_rd32le(p + 44);
  nk->class_off = dk_rd32le(p + 48);
  nk->class_len = dk_rd16le(p + 74);
  uint16_t nl = dk_rd16le(p + 72);
  if ((size_t)nl > sz - 76) {
    note(h, "key at 0x%x: name length %u runs past its cell (%u bytes); name cut", off, nl, sz - 76);
    nl = (uint16_t)(sz - 76);
  }
  if (nk->flags & 0x20) dk_latin1_to_utf8(p + 76, nl, nk->name, sizeof nk->name);
  else dk_utf16le_to_utf8(p + 76, nl, 0, nk->name, sizeof nk->name);
  return 0;
}

/* Appends the nk offsets of a subkey list cell. depth guards ri nesting. */
typedef struct offs {
  uint32_t *v;
  size_t n, cap;
  int partial;
} offs;

static int push_off(offs *o, uint32_t x) {
  if (o->n == o->cap) {
    size_t nc = o->cap ? o->cap * 2 : 32;
    uint32_t *nv = realloc(o->v, nc * sizeof *nv);
    if (!nv) return -1;
    o->v = nv;
    o->cap = nc;
  }
  o->v[o->n++] = x;
  return 0;
}

static int read_list(dk_hive *h, uint32_t off, int depth, offs *o, char *err, size_t errlen) {
  uint32_t sz;
  char e[256];
  const uint8_t *p = cell(h, off, &sz, "subkey list", e, sizeof e);
  if (!p) {
    o->partial = 1;
    note(h, "%s", e);
    dk_fail(err, errlen, "%s", e);
    return 0;
  }
  if (sz < 4) {
    o->partial = 1;
    note(h, "subkey list at 0x%x: too small", off);
    return 0;
  }
  uint16_t count = dk_rd16le(p + 2);
  if ((p[0] == 'l' && (p[1] == 'f' || p[1] == 'h'))) {
    if ((size_t)count * 8 > sz - 4) {
      o->partial = 1;
      note(h, "subkey list at 0x%x: %u entries do not fit in %u bytes; reading %u", off, count, sz,
           (unsigned)((sz - 4) / 8));
      dk_fail(err, errlen, "subkey list at 0x%x: count %u larger than the cell", off, count);
      count = (uint16_t)((sz - 4) / 8);
    }
    for (uint16_t i = 0; i < count; i++)
      if (push_off(o, dk_rd32le(p + 4 + 8 * (size_t)i))) return -1;
    return 0;
  }
  if (p[0] == 'l' && p[1] == 'i') {
    if ((size_t)count * 4 > sz - 4) {
      o->partial = 1;
      note(h, "subkey list at 0x%x: %u entries do not fit in %u bytes", off, count, sz);
      count = (uint16_t)((sz - 4) / 4);
    }
    for (uint16_t i = 0; i < count; i++)
      if (push_off(o, dk_rd32le(p + 4 + 4 * (size_t)i))) return -1;
    return 0;
  }
  if (p[0] == 'r' && p[1] == 'i') {
    if (depth > 0) {
      o->partial = 1;
      note(h, "subkey list at 0x%x: an ri list inside an ri list (refused: possible cycle)", off);
      dk_fail(err, errlen, "subkey list at 0x%x: nested ri list", off);
      return 0;
    }
    if ((size_t)count * 4 > sz - 4) {
      o->partial = 1;
      note(h, "ri list at 0x%x: %u entries do not fit in %u bytes", off, count, sz);
      count = (uint16_t)((sz - 4) / 4);
    }
    for (uint16_t i = 0; i < count; i++) {
      uint32_t sub = dk_rd32le(p + 4 + 4 * (size_t)i);
      if (sub == off) {
        o->partial = 1;
        note(h, "ri list at 0x%x points at itself", off);
        continue;
      }
      if (read_list(h, sub, depth + 1, o, err, errlen) < 0) return -1;
    }
    return 0;
  }
  o->partial = 1;
  note(h, "subkey list at 0x%x: unknown signature '%c%c'", off, p[0] >= 32 && p[0] < 127 ? p[0] : '?',
       p[1] >= 32 && p[1] < 127 ? p[1] : '?');
  dk_fail(err, errlen, "subkey list at 0x%x: not an lf/lh/li/ri cell", off);
  return 0;
}

int dk_hive_subkeys(dk_hive *h, const dk_nk *nk, uint32_t **list, size_t *n, char *err, size_t errlen) {
  offs o = {0};
  *list = NULL;
  *n = 0;
  if (err && errlen) err[0] = '\0';
  if (nk->nsubkeys == 0 || nk->subkeys == DK_REGF_NONE) return 0;
  if (read_list(h, nk->subkeys, 0, &o, err, errlen) < 0) {
    free(o.v);
    return dk_fail(err, errlen, "out of memory");
  }
  if (o.n != nk->nsubkeys && !o.partial) {
    note(h, "key at 0x%x: %u subkeys declared, %zu in its list", nk->off, nk->nsubkeys, o.n);
  }
  *list = o.v;
  *n = o.n;
  return o.partial ? 1 : 0;
}

int dk_hive_values(dk_hive *h, const dk_nk *nk, uint32_t **list, size_t *n, char *err, size_t errlen) {
  *list = NULL;
  *n = 0;
  if (err && errlen) err[0] = '\0';
  if (nk->nvalues == 0 || nk->values == DK_REGF_NONE) return 0;
  uint32_t sz;
  char e[256];
  const uint8_t *p = cell(h, nk->values, &sz, "value list", e, sizeof e);
  if (!p) {
    note(h, "key at 0x%x: %s", nk->off, e);
    dk_fail(err, errlen, "key at 0x%x: %s", nk->off, e);
    return 1;
  }
  size_t count = nk->nvalues;
  int partial = 0;
  if (count > sz / 4) {
    note(h, "key at 0x%x: %u values declared, its value list holds %u", nk->off, nk->nvalues, sz / 4);
    dk_fail(err, errlen, "key at 0x%x: value count %u larger than its list", nk->off, nk->nvalues);
    count = sz / 4;
    partial = 1;
  }
  uint32_t *v = malloc((count ? count : 1) * sizeof *v);
  if (!v) return dk_fail(err, errlen, "out of memory");
  for (size_t i = 0; i < count; i++) v[i] = dk_rd32le(p + 4 * i);
  *list = v;
  *n = count;
  return partial;
}

int dk_hive_value(dk_hive *h, uint32_t off, dk_vk *vk, char *err, size_t errlen) {
  uint32_t sz;
  const uint8_t *p = cell(h, off, &sz, "value", err, errlen);
  if (!p) return -1;
  if (sz < 20 || p[0] != 'v' || p[1] != 'k') return dk_fail(err, errlen, "value at 0x%x: not a vk cell", off);
  memset(vk, 0, sizeof *vk);
  vk->off = off;
  uint16_t nl = dk_rd16le(p + 2);
  uint32_t ds = dk_rd32le(p + 4);
  vk->inline_data = (ds & 0x80000000u) != 0;
  vk->size = ds & 0x7FFFFFFFu;
  vk->data_off = dk_rd32le(p + 8);
  vk->type = dk_rd32le(p + 12);
  vk->flags = dk_rd16le(p + 16);
  if ((size_t)nl > sz - 20) {
    note(h, "value at 0x%x: name length %u runs past its cell; name cut", off, nl);
    nl = (uint16_t)(sz - 20);
  }
  if (vk->flags & 1u) dk_latin1_to_utf8(p + 20, nl, vk->name, sizeof vk->name);
  else dk_utf16le_to_utf8(p + 20, nl, 0, vk->name, sizeof vk->name);
  return 0;
}

int dk_hive_value_data(dk_hive *h, const dk_vk *vk, uint8_t **data, size_t *len, char *err, size_t errlen) {
  *data = NULL;
  *len = 0;
  if (vk->inline_data) {
    size_t n = vk->size > 4 ? 4 : vk->size;
    if (vk->size > 4) note(h, "value at 0x%x: inline data of %u bytes (at most 4); cut", vk->off, vk->size);
    uint8_t *d = malloc(4);
    if (!d) return dk_fail(err, errlen, "out of memory");
    d[0] = (uint8_t)vk->data_off;
    d[1] = (uint8_t)(vk->data_off >> 8);
    d[2] = (uint8_t)(vk->data_off >> 16);
    d[3] = (uint8_t)(vk->data_off >> 24);
    *data = d;
    *len = n;
    return 0;
  }
  if (vk->size == 0) {
    *data = malloc(1);
    return *data ? 0 : dk_fail(err, errlen, "out of memory");
  }
  uint32_t sz;
  char e[256];
  const uint8_t *p = cell(h, vk->data_off, &sz, "value data", e, sizeof e);
  if (!p) {
    note(h, "value '%s' at 0x%x: %s", vk->name, vk->off, e);
    return dk_fail(err, errlen, "value '%s' at 0x%x: %s", vk->name, vk->off, e);
  }
  if (h->info.minor >= 4 && vk->size > 16344 && sz >= 8 && p[0] == 'd' && p[1] == 'b') {
    uint16_t nseg = dk_rd16le(p + 2);
    uint32_t lo = dk_rd32le(p + 4), lsz;
    const uint8_t *l = cell(h, lo, &lsz, "big data segment list", e, sizeof e);
    if (!l) {
      note(h, "value '%s' at 0x%x: %s", vk->name, vk->off, e);
      return dk_fail(err, errlen, "value '%s': %s", vk->name, e);
    }
    if ((size_t)nseg * 4 > lsz) {
      note(h, "value '%s': %u big-data segments, the list holds %u", vk->name, nseg, lsz / 4);
      nseg = (uint16_t)(lsz / 4);
    }
    uint8_t *d = malloc(vk->size);
    if (!d) return dk_fail(err, errlen, "out of memory");
    size_t got = 0;
    for (uint16_t i = 0; i < nseg && got < vk->size; i++) {
      uint32_t ssz;
      const uint8_t *s = cell(h, dk_rd32le(l + 4 * (size_t)i), &ssz, "big data segment", e, sizeof e);
      if (!s) {
        note(h, "value '%s': segment %u: %s", vk->name, i, e);
        break;
      }
      size_t take = ssz > 16344 ? 16344 : ssz;
      if (take > vk->size - got) take = vk->size - got;
      memcpy(d + got, s, take);
      got += take;
    }
    *data = d;
    *len = got;
    if (got < vk->size) {
      note(h, "value '%s' at 0x%x: big data holds %zu of %u bytes", vk->name, vk->off, got, vk->size);
      return dk_fail(err, errlen, "value '%s': big data truncated (%zu of %u bytes)", vk->name, got, vk->size);
    }
    return 0;
  }
  size_t n = vk->size;
  int truncated = 0;
  if (n > sz) {
    note(h, "value '%s' at 0x%x: data size %u larger than its cell (%u)", vk->name, vk->off, vk->size, sz);
    n = sz;
    truncated = 1;
  }
  uint8_t *d = malloc(n ? n : 1);
  if (!d) return dk_fail(err, errlen, "out of memory");
  memcpy(d, p, n);
  *data = d;
  *len = n;
  if (truncated) return dk_fail(err, errlen, "value '%s': data truncated (%zu of %u bytes)", vk->name, n, vk->size);
  return 0;
}

char *dk_hive_class(dk_hive *h, const dk_nk *nk) {
  if (nk->class_off == DK_REGF_NONE || nk->class_len == 0) return NULL;
  uint32_t sz;
  char e[200];
  const uint8_t *p = cell(h, nk->class_off, &sz, "class name", e, sizeof e);
  if (!p) {
    note(h, "key at 0x%x: %s", nk->off, e);
    return NULL;
  }
  size_t n = nk->class_len > sz ? sz : nk->class_len;
  return dk_utf16le_to_utf8_alloc(p, n, 0, NULL);
}

int dk_hive_security(dk_hive *h, const dk_nk *nk, const uint8_t **sd, size_t *len, char *err, size_t errlen) {
  uint32_t sz;
  const uint8_t *p = cell(h, nk->sk, &sz, "security", err, errlen);
  if (!p) return -1;
  if (sz < 20 || p[0] != 's' || p[1] != 'k') return dk_fail(err, errlen, "security cell at 0x%x: not an sk cell", nk->sk);
  uint32_t n = dk_rd32le(p + 16);
  if (n > sz - 20) return dk_fail(err, errlen, "security cell at 0x%x: descriptor size %u larger than the cell", nk->sk, n);
  *sd = p + 20;
  *len = n;
  return 0;
}

/* ---- names and lookup --------------------------------------------------- */

/* Next code point of UTF-8 (invalid bytes as themselves). */
static uint32_t next_cp(const unsigned char **s) {
  const unsigned char *p = *s;
  uint32_t c = *p++;
  if (c >= 0xC0 && c < 0xE0 && (*p & 0xC0) == 0x80) c = ((c & 0x1F) << 6) | (*p++ & 0x3F);
  else if (c >= 0xE0 && c < 0xF0 && (p[0] & 0xC0) == 0x80 && (p[1] & 0xC0) == 0x80) {
    c = ((c & 0x0F) << 12) | ((uint32_t)(p[0] & 0x3F) << 6) | (p[1] & 0x3F);
    p += 2;
  }
  *s = p;
  return c;
}

static uint32_t upcase(uint32_t c) {
  if (c >= 'a' && c <= 'z') return c - 32;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 32; /* Greek */
  if (c >= 0x430 && c <= 0x44F) return c - 32;               /* Cyrillic */
  return c;
}

int dk_regname_cmp(const char *a, const char *b) {
  const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
  while (*p && *q) {
    uint32_t x = upcase(next_cp(&p)), y = upcase(next_cp(&q));
    if (x != y) return x < y ? -1 : 1;
  }
  return *p ? 1 : *q ? -1 : 0;
}

int dk_hive_find(dk_hive *h, uint32_t from, const char *path, uint32_t *out, char *err, size_t errlen) {
  uint32_t cur = from;
  const char *p = path;
  char part[1024];
  while (*p) {
    while (*p == '\\' || *p == '/') p++;
    if (!*p) break;
    size_t n = strcspn(p, "\\/");
    if (n >= sizeof part) return dk_fail(err, errlen, "path component too long");
    memcpy(part, p, n);
    part[n] = '\0';
    p += n;
    dk_nk nk;
    if (dk_hive_key(h, cur, &nk, err, errlen) != 0) return -1;
    uint32_t *list;
    size_t cnt;
    char e[256];
    if (dk_hive_subkeys(h, &nk, &list, &cnt, e, sizeof e) < 0) return dk_fail(err, errlen, "%s", e);
    int found = 0;
    for (size_t i = 0; i < cnt && !found; i++) {
      dk_nk c;
      if (dk_hive_key(h, list[i], &c, e, sizeof e) != 0) continue;
      if (dk_regname_cmp(c.name, part) == 0) {
        cur = list[i];
        found = 1;
      }
    }
    free(list);
    if (!found) return dk_fail(err, errlen, "no key '%s' under '%.*s'", part, (int)(p - n - path), path);
  }
  *out = cur;
  return 0;
}

/* ---- walk and export ---------------------------------------------------- */

static int mark(dk_hive *h, uint32_t off) {
  if (!h->visited) {
    h->visited = calloc((size_t)h->bins_end / 64 + 1, 1);
    if (!h->visited) return -1;
  }
  uint32_t slot = off / 8;
  if ((size_t)slot / 8 > (size_t)h->bins_end / 64) return 1;
  uint8_t bit = (uint8_t)(1u << (slot % 8));
  if (h->visited[slot / 8] & bit) return 1;
  h->visited[slot / 8] |= bit;
  return 0;
}

static void unmark_all(dk_hive *h) {
  if (h->visited) memset(h->visited, 0, (size_t)h->bins_end / 64 + 1);
}

typedef struct child {
  uint32_t off;
  char *name;
} child;

static int child_cmp(const void *a, const void *b) {
  return strcmp(((const child *)a)->name, ((const child *)b)->name);
}


typedef struct val {
  dk_vk vk;
} val;

static int val_cmp(const void *a, const void *b) { return strcmp(((const val *)a)->vk.name, ((const val *)b)->vk.name); }

static void put_quoted(dk_buf *b, const char *s) {
  dk_buf_addc(b, '"');
  for (; *s; s++) {
    if (*s == '\\' || *s == '"') dk_buf_addc(b, '\\');
    dk_buf_addc(b, *s);
  }
  dk_buf_addc(b, '"');
}

/* A key met by a recursive walk: 1 to go into it (nk read), 0 to skip it (the
   problem noted: unreadable, too deep, seen before), -1 out of memory. */
static int enter_key(dk_hive *h, uint32_t key, int depth, dk_nk *nk) {
  char e[256];
  if (dk_hive_key(h, key, nk, e, sizeof e) != 0) {
    note(h, "%s", e);
    return 0;
  }
  if (depth > MAX_DEPTH) {
    note(h, "key at 0x%x: deeper than %d levels (cycle?)", key, MAX_DEPTH);
    return 0;
  }
  int m = mark(h, key);
  if (m > 0) note(h, "key at 0x%x reached twice (a cycle in the subkey lists); not followed again", key);
  return m < 0 ? -1 : m > 0 ? 0 : 1;
}

static int export_rec(dk_hive *h, uint32_t key, char *path, size_t plen, size_t pcap, int depth, dk_buf *out,
                      size_t *nk_count, size_t *nv_count) {
  dk_nk nk;
  int in = enter_key(h, key, depth, &nk);
  if (in <= 0) return in;
  char e[256];
  (*nk_count)++;
  dk_buf_adds(out, "[");
  if (plen) dk_buf_add(out, path, plen);
  else dk_buf_adds(out, "\\");
  dk_buf_adds(out, "]\n");
  uint32_t *vl;
  size_t nv;
  if (dk_hive_values(h, &nk, &vl, &nv, e, sizeof e) >= 0 && nv) {
    val *vals = malloc(nv * sizeof *vals);
    if (!vals) {
      free(vl);
      return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < nv; i++)
      if (dk_hive_value(h, vl[i], &vals[k].vk, e, sizeof e) == 0) k++;
      else note(h, "key at 0x%x: %s", key, e);
    qsort(vals, k, sizeof *vals, val_cmp);
    for (size_t i = 0; i < k; i++) {
      uint8_t *d;
      size_t dl;
      if (dk_hive_value_data(h, &vals[i].vk, &d, &dl, e, sizeof e) != 0) {
        free(d);
        continue; /* hivexregedit (safe mode) refuses such a value too */
      }
      (*nv_count)++;
      if (vals[i].vk.name[0] == '\0') dk_buf_adds(out, "@=");
      else {
        put_quoted(out, vals[i].vk.name);
        dk_buf_adds(out, "=");
      }
      if (vals[i].vk.type == 4 && dl == 4) {
        dk_buf_printf(out, "dword:%08x\n", (unsigned)dk_rd32le(d));
      } else {
        dk_buf_printf(out, "hex(%x):", (unsigned)vals[i].vk.type);
        static const char digits[] = "0123456789abcdef";
        for (size_t j = 0; j < dl; j++) {
          char c[3] = {digits[d[j] >> 4], digits[d[j] & 15], ','};
          dk_buf_add(out, c, j + 1 < dl ? 3 : 2);
        }
        dk_buf_adds(out, "\n");
      }
      free(d);
    }
    free(vals);
  }
  free(vl);
  dk_buf_adds(out, "\n");
  uint32_t *sl;
  size_t ns;
  if (dk_hive_subkeys(h, &nk, &sl, &ns, e, sizeof e) < 0) return -1;
  child *kids = malloc((ns ? ns : 1) * sizeof *kids);
  if (!kids) {
    free(sl);
    return -1;
  }
  size_t nkids = 0;
  for (size_t i = 0; i < ns; i++) {
    dk_nk c;
    if (dk_hive_key(h, sl[i], &c, e, sizeof e) != 0) {
      note(h, "subkey of 0x%x: %s", key, e);
      continue;
    }
    kids[nkids].off = sl[i];
    kids[nkids].name = malloc(strlen(c.name) + 1);
    if (!kids[nkids].name) break;
    strcpy(kids[nkids].name, c.name);
    nkids++;
  }
  free(sl);
  qsort(kids, nkids, sizeof *kids, child_cmp);
  int rc = 0;
  for (size_t i = 0; i < nkids; i++) {
    size_t nl = strlen(kids[i].name);
    if (rc == 0 && plen + 1 + nl < pcap) {
      path[plen] = '\\';
      memcpy(path + plen + 1, kids[i].name, nl);
      rc = export_rec(h, kids[i].off, path, plen + 1 + nl, pcap, depth + 1, out, nk_count, nv_count);
    }
    free(kids[i].name);
  }
  free(kids);
  return rc;
}

/* The path buffer of a recursive walk (pcap bytes) starting with path ("\\" = the root: empty). */
static char *path_buf(const char *path, size_t pcap, size_t *plen) {
  char *p = malloc(pcap);
  if (!p) return NULL;
  size_t n = strlen(path);
  if (n >= pcap) n = pcap - 1;
  memcpy(p, path, n);
  if (n == 1 && p[0] == '\\') n = 0;
  *plen = n;
  return p;
}

int dk_hive_export(dk_hive *h, uint32_t key, const char *path, dk_buf *out, size_t *nkeys, size_t *nvalues) {
  size_t pcap = 65536, plen;
  char *p = path_buf(path, pcap, &plen);
  if (!p) return -1;
  *nkeys = *nvalues = 0;
  unmark_all(h);
  dk_buf_adds(out, "Windows Registry Editor Version 5.00\n\n");
  int rc = export_rec(h, key, p, plen, pcap, 0, out, nkeys, nvalues);
  free(p);
  return rc < 0 || out->oom ? -1 : 0;
}

static int walk_rec(dk_hive *h, uint32_t key, char *path, size_t plen, size_t pcap, int depth, dk_hive_walk_fn fn,
                    void *ud) {
  dk_nk nk;
  int in = enter_key(h, key, depth, &nk);
  if (in <= 0) return in;
  char e[256];
  path[plen] = '\0';
  int stop = fn(ud, plen ? path : "\\", &nk);
  if (stop) return stop;
  uint32_t *sl;
  size_t ns;
  if (dk_hive_subkeys(h, &nk, &sl, &ns, e, sizeof e) < 0) return -1;
  int rc = 0;
  for (size_t i = 0; i < ns && rc == 0; i++) {
    dk_nk c;
    if (dk_hive_key(h, sl[i], &c, e, sizeof e) != 0) {
      note(h, "subkey of 0x%x: %s", key, e);
      continue;
    }
    size_t nl = strlen(c.name);
    if (plen + 1 + nl >= pcap) continue;
    path[plen] = '\\';
    memcpy(path + plen + 1, c.name, nl);
    rc = walk_rec(h, sl[i], path, plen + 1 + nl, pcap, depth + 1, fn, ud);
  }
  free(sl);
  return rc;
}

int dk_hive_walk(dk_hive *h, uint32_t key, const char *path, dk_hive_walk_fn fn, void *ud) {
  size_t pcap = 65536, plen;
  char *p = path_buf(path, pcap, &plen);
  if (!p) return -1;
  unmark_all(h);
  int rc = walk_rec(h, key, p, plen, pcap, 0, fn, ud);
  free(p);
  return rc;
}
