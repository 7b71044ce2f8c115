/*
** Go build info: the "\xff Go buildinf:" header Go writes in .go.buildinfo
** (ELF) or the data section (PE). Go >= 1.18 stores the version and module
** info inline as varint-prefixed strings (flags bit 1); older versions store
** two pointers to Go string headers, read through a virtual-address callback.
** The module info is "path/mod/dep/=>/build" lines between 16-byte sentinels.
*/
#include "deps.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t MAGIC[14] = { 0xff, ' ', 'G', 'o', ' ', 'b', 'u', 'i', 'l', 'd', 'i', 'n', 'f', ':' };
#define MAX_STR (16u << 20)

static const uint8_t *find_magic(const uint8_t *d, size_t size) {
  const uint8_t *p = d, *end = d + size;
  while (p + 32 <= end) {
    const uint8_t *q = memchr(p, 0xff, (size_t)(end - p) - 31);
    if (!q) return NULL;
    if (memcmp(q, MAGIC, sizeof MAGIC) == 0) return q;
    p = q + 1;
  }
  return NULL;
}

/* An unsigned varint at *p (< end); 0 on success. */
static int uvarint(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t x = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*p >= end) return -1;
    uint8_t b = *(*p)++;
    x |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 0;
    }
  }
  return -1;
}

static uint64_t rdptr(const uint8_t *p, unsigned size, int big) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; i++) v = big ? (v << 8) | p[i] : v | ((uint64_t)p[i] << (8 * i));
  return v;
}

/* A Go string header at va -> bytes. */
static int go_string(dkd_read_va read_va, void *ud, uint64_t va, unsigned ps, int big, const uint8_t **s,
                     uint64_t *len) {
  const uint8_t *h;
  if (read_va(ud, va, 2ull * ps, &h) != 0) return -1;
  uint64_t data = rdptr(h, ps, big);
  *len = rdptr(h + ps, ps, big);
  if (*len > MAX_STR) return -1;
  if (*len == 0) {
    *s = (const uint8_t *)"";
    return 0;
  }
  return read_va(ud, data, *len, s);
}

static char *unquote(char *v) {
  size_t n = strlen(v);
  if (n < 2 || v[0] != '"' || v[n - 1] != '"') return v;
  char *o = v;
  for (size_t i = 1; i + 1 < n; i++) {
    char c = v[i];
    if (c == '\\' && i + 2 < n) {
      c = v[++i];
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
    }
    *o++ = c;
  }
  *o = 0;
  return v;
}

/* Splits s at the first tab: returns the rest (or NULL). */
static char *cut(char *s) {
  char *t = s ? strchr(s, '\t') : NULL;
  if (!t) return NULL;
  *t = 0;
  return t + 1;
}

static void fill_mod(dkd_gomod *m, char *rest) {
  m->path = rest;
  char *v = cut(rest);
  m->version = v ? v : "";
  char *sum = cut(v);
  m->sum = sum ? sum : "";
  cut(sum);
}

static int parse_modinfo(dkd_gobuild *g, char *mod, size_t len, char *err, size_t es) {
  /* Strip the 16-byte sentinels. */
  if (len >= 33 && mod[len - 17] == '\n') {
    mod += 16;
    len -= 32;
    mod[len] = 0;
  }
  uint32_t lines = 1;
  for (size_t i = 0; i < len; i++)
    if (mod[i] == '\n') lines++;
  g->deps = calloc(lines, sizeof *g->deps);
  g->settings = calloc(lines, sizeof *g->settings);
  if (!g->deps || !g->settings) return dk_fail(err, es, "out of memory");
  dkd_gomod *last = NULL;
  char *line = mod;
  while (line && *line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *rest = cut(line);
    if (rest) {
      if (strcmp(line, "path") == 0) {
        g->path = rest;
      } else if (strcmp(line, "mod") == 0) {
        fill_mod(&g->main, rest);
        last = &g->main;
      } else if (strcmp(line, "dep") == 0) {
        last = &g->deps[g->ndeps++];
        fill_mod(last, rest);
      } else if (strcmp(line, "=>") == 0 && last) {
        dkd_gomod r;
        fill_mod(&r, rest);
        last->replace_path = r.path;
        last->replace_version = r.version;
      } else if (strcmp(line, "build") == 0) {
        char *eq = strchr(rest, '=');
        if (eq) {
          *eq = 0;
          g->settings[g->nsettings].key = rest;
          g->settings[g->nsettings].value = unquote(eq + 1);
          g->nsettings++;
        }
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  return 0;
}

int dkd_gobuild_parse(const uint8_t *data, size_t size, dkd_read_va read_va, void *ud, dkd_gobuild *g, char *err,
                      size_t es) {
  memset(g, 0, sizeof *g);
  if (es) err[0] = 0;
  const uint8_t *h = find_magic(data, size);
  if (!h) return 0;
  size_t hoff = (size_t)(h - data);
  unsigned ps = h[14];
  uint8_t flags = h[15];
  const uint8_t *vs, *ms;
  uint64_t vl, ml;
  if (flags & 2) {
    const uint8_t *p = h + 32, *end = data + size;
    if (uvarint(&p, end, &vl) != 0 || vl > (uint64_t)(end - p))
      return dk_fail(err, es, "Go build info (offset 0x%zx): version string length runs past the end of the file", hoff + 32);
    vs = p;
    p += vl;
    if (uvarint(&p, end, &ml) != 0 || ml > (uint64_t)(end - p))
      return dk_fail(err, es, "Go build info (offset 0x%zx): module info length runs past the end of the file",
                  (size_t)(p - data));
    ms = p;
    g->inline_form = 1;
  } else {
    if (ps != 4 && ps != 8)
      return dk_fail(err, es, "Go build info (offset 0x%zx): pointer size %u is not 4 or 8", hoff + 14, ps);
    if (!read_va) return dk_fail(err, es, "Go build info (offset 0x%zx): pointer form needs the image's address map", hoff);
    int big = flags & 1;
    if (go_string(read_va, ud, rdptr(h + 16, ps, big), ps, big, &vs, &vl) != 0)
      return dk_fail(err, es, "Go build info (offset 0x%zx): the version string pointer is not in the file", hoff + 16);
    if (go_string(read_va, ud, rdptr(h + 16 + ps, ps, big), ps, big, &ms, &ml) != 0)
      return dk_fail(err, es, "Go build info (offset 0x%zx): the module info pointer is not in the file", hoff + 16 + ps);
  }
  if (vl > MAX_STR || ml > MAX_STR) return dk_fail(err, es, "Go build info (offset 0x%zx): strings too long", hoff);
  g->arena = malloc((size_t)vl + (size_t)ml + 2);
  if (!g->arena) return dk_fail(err, es, "out of memory");
  memcpy(g->arena, vs, (size_t)vl);
  g->arena[vl] = 0;
  char *mod = g->arena + vl + 1;
  memcpy(mod, ms, (size_t)ml);
  mod[ml] = 0;
  g->go_version = g->arena;
  if (parse_modinfo(g, mod, (size_t)ml, err, es) != 0) {
    dkd_gobuild_free(g);
    return -1;
  }
  return 1;
}

void dkd_gobuild_free(dkd_gobuild *g) {
  free(g->arena);
  free(g->deps);
  free(g->settings);
  memset(g, 0, sizeof *g);
}
