/*
** /etc/ld.so.cache: the old format ("ld.so-1.7.0", 12-byte entries, strings
** after the entries), the new format ("glibc-ld.so.cache" "1.1", 24-byte
** entries with hwcap and the glibc-hwcaps extension), and the old format
** followed by the new one (the new entries win, as in ld.so).
*/
#include "deps.h"
#include "dk_bytes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OLD_MAGIC "ld.so-1.7.0"
#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define EXT_MAGIC 0xeaa42174u
#define HWCAP_EXTENSION (1ull << 62)

typedef struct rd {
  const uint8_t *d;
  int big;
} rd;

static uint32_t u32(const rd *r, size_t off) { return r->big ? dk_rd32be(r->d + off) : dk_rd32le(r->d + off); }
static uint64_t u64(const rd *r, size_t off) { return r->big ? dk_rd64be(r->d + off) : dk_rd64le(r->d + off); }

/* A string at base + off, NUL-terminated before the end of the file. */
static const char *str_at(const uint8_t *d, size_t size, size_t base, uint64_t off) {
  if (base > size || off >= size - base) return NULL;
  const uint8_t *p = d + base + off;
  if (!memchr(p, 0, (size_t)(size - base - off))) return NULL;
  return (const char *)p;
}

int32_t dkd_ldcache_flags_for(uint16_t machine, uint8_t cls) {
  switch (machine) {
    case 62: return cls == 2 ? 0x0303 : 0x0803; /* x86-64, x32 */
    case 3: return 0x0003;                     /* i386 */
    case 183: return 0x0a03;                   /* aarch64 */
    case 21: return 0x0503;                    /* ppc64 */
    case 22: return cls == 2 ? 0x0403 : 0x0003; /* s390x / s390 */
    case 2: return 0x0003;
    case 43: return 0x0103;                    /* sparc64 */
    default: return -1;
  }
}

static int parse_new(const uint8_t *d, size_t size, size_t base, dkd_ldcache *c, char *err, size_t es) {
  if (size - base < 48) return dk_fail(err, es, "ld.so.cache new header (offset 0x%zx): truncated", base);
  rd r = { d, 0 };
  uint8_t endian = d[base + 28];
  if (endian == 3) r.big = 1;
  uint32_t n = u32(&r, base + 20);
  uint32_t ext = u32(&r, base + 32);
  if ((uint64_t)n * 24 > size - base - 48)
    return dk_fail(err, es, "ld.so.cache (offset 0x%zx): nlibs %u runs past the end of the file (%zu bytes)", base + 20, n,
                size);
  c->e = calloc(n ? n : 1, sizeof *c->e);
  if (!c->e) return dk_fail(err, es, "out of memory");
  /* The glibc-hwcaps extension: names of the subfolders. */
  size_t hw_off = 0, hw_n = 0;
  if (ext != 0 && ext <= size - 8 && u32(&r, ext) == EXT_MAGIC) {
    uint32_t nsec = u32(&r, ext + 4);
    if ((uint64_t)nsec * 16 <= size - ext - 8) {
      for (uint32_t i = 0; i < nsec; i++) {
        size_t s = ext + 8 + 16ull * i;
        uint32_t tag = u32(&r, s), off = u32(&r, s + 8), sz = u32(&r, s + 12);
        if (off > size || sz > size - off) continue;
        if (tag == 0) c->generator = NULL; /* a string of sz bytes, not NUL-terminated: not kept */
        if (tag == 1) {
          hw_off = off;
          hw_n = sz / 4;
        }
      }
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    size_t e = base + 48 + 24ull * i;
    dkd_ldcache_entry *x = &c->e[i];
    x->flags = (int32_t)u32(&r, e);
    uint32_t key = u32(&r, e + 4), value = u32(&r, e + 8);
    x->osversion = u32(&r, e + 12);
    x->hwcap = u64(&r, e + 16);
    x->key = str_at(d, size, base, key);
    x->value = str_at(d, size, base, value);
    if (!x->key || !x->value)
      return dk_fail(err, es, "ld.so.cache entry %u (offset 0x%zx): key 0x%x or value 0x%x is not a string in the file", i,
                  e, key, value);
    if ((x->hwcap & HWCAP_EXTENSION) && (x->hwcap >> 32) == (HWCAP_EXTENSION >> 32)) {
      uint32_t idx = (uint32_t)x->hwcap;
      if (idx < hw_n) x->hwcaps = str_at(d, size, base, u32(&r, hw_off + 4ull * idx));
    }
  }
  c->n = n;
  return 0;
}

int dkd_ldcache_parse(const uint8_t *d, size_t size, dkd_ldcache *c, char *err, size_t es) {
  memset(c, 0, sizeof *c);
  if (es) err[0] = 0;
  if (size >= 20 && memcmp(d, NEW_MAGIC, 20) == 0) {
    c->format = 1;
    if (parse_new(d, size, 0, c, err, es) != 0) {
      dkd_ldcache_free(c);
      return -1;
    }
    return 0;
  }
  if (size < 16 || memcmp(d, OLD_MAGIC, 11) != 0)
    return dk_fail(err, es, "ld.so.cache (offset 0): neither \"%s\" nor \"%s\" magic", OLD_MAGIC, NEW_MAGIC);
  rd r = { d, 0 };
  uint32_t n = u32(&r, 12);
  if ((uint64_t)n * 12 > size - 16)
    return dk_fail(err, es, "ld.so.cache (offset 12): nlibs %u runs past the end of the file (%zu bytes)", n, size);
  size_t strings = 16 + 12ull * n;
  /* A new-format cache may follow, 8-byte aligned. */
  size_t next = (strings + 7) & ~(size_t)7;
  if (next + 20 <= size && memcmp(d + next, NEW_MAGIC, 20) == 0) {
    c->format = 2;
    if (parse_new(d, size, next, c, err, es) != 0) {
      dkd_ldcache_free(c);
      return -1;
    }
    return 0;
  }
  c->format = 0;
  c->e = calloc(n ? n : 1, sizeof *c->e);
  if (!c->e) return dk_fail(err, es, "out of memory");
  for (uint32_t i = 0; i < n; i++) {
    size_t e = 16 + 12ull * i;
    dkd_ldcache_entry *x = &c->e[i];
    x->flags = (int32_t)u32(&r, e);
    uint32_t key = u32(&r, e + 4), value = u32(&r, e + 8);
    x->key = str_at(d, size, strings, key);
    x->value = str_at(d, size, strings, value);
    if (!x->key || !x->value) {
      dkd_ldcache_free(c);
      return dk_fail(err, es, "ld.so.cache entry %u (offset 0x%zx): key 0x%x or value 0x%x is not a string in the file", i,
                  e, key, value);
    }
  }
  c->n = n;
  return 0;
}

void dkd_ldcache_free(dkd_ldcache *c) {
  free(c->e);
  c->e = NULL;
  c->n = 0;
}
