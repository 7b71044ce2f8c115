/* Registry text files (regedit 4/5, Wine). See regtext.h. */
#include "dk_err.h"

#include "regtext.h"

#include "regf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_buf.h"
#include "dk_text.h"

#define MAX_ERRORS 200

DK_PRINTF(3, 4) static void line_error(dk_regtext *r, int line, const char *fmt, ...) {
  if (r->nerrors >= MAX_ERRORS) return;
  if (r->nerrors == r->errcap) {
    size_t nc = r->errcap ? r->errcap * 2 : 16;
    char **e = realloc(r->errors, nc * sizeof *e);
    if (!e) return;
    r->errors = e;
    r->errcap = nc;
  }
  char msg[300];
  int n = snprintf(msg, sizeof msg, "line %d: ", line);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg + (n > 0 ? n : 0), sizeof msg - (size_t)(n > 0 ? n : 0), fmt, ap);
  va_end(ap);
  char *c = malloc(strlen(msg) + 1);
  if (!c) return;
  strcpy(c, msg);
  r->errors[r->nerrors++] = c;
}

void dk_regtext_free(dk_regtext *r) {
  for (size_t i = 0; i < r->nkeys; i++) {
    for (size_t j = 0; j < r->keys[i].nvalues; j++) {
      free(r->keys[i].values[j].name);
      free(r->keys[i].values[j].data);
    }
    free(r->keys[i].values);
    free(r->keys[i].path);
  }
  free(r->keys);
  for (size_t i = 0; i < r->nerrors; i++) free(r->errors[i]);
  free(r->errors);
  memset(r, 0, sizeof *r);
}

/* UTF-8 code point at s (bounded by end); invalid bytes as Latin-1. */
static uint32_t utf8_next(const char **s, const char *end) {
  const unsigned char *p = (const unsigned char *)*s;
  uint32_t c = *p;
  size_t n = 1;
  if (c >= 0xC2 && c < 0xE0 && p + 1 < (const unsigned char *)end && (p[1] & 0xC0) == 0x80) {
    c = ((c & 0x1F) << 6) | (p[1] & 0x3F);
    n = 2;
  } else if (c >= 0xE0 && c < 0xF0 && p + 2 < (const unsigned char *)end && (p[1] & 0xC0) == 0x80 &&
             (p[2] & 0xC0) == 0x80) {
    c = ((c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    n = 3;
  } else if (c >= 0xF0 && c < 0xF5 && p + 3 < (const unsigned char *)end && (p[1] & 0xC0) == 0x80 &&
             (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80) {
    c = ((c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    n = 4;
  }
  *s += n;
  return c;
}

static void put_u16(dk_buf *b, uint32_t c) {
  if (c >= 0x10000) {
    c -= 0x10000;
    uint8_t s[4] = {(uint8_t)((0xD800 + (c >> 10)) & 0xFF), (uint8_t)((0xD800 + (c >> 10)) >> 8),
                    (uint8_t)((0xDC00 + (c & 0x3FF)) & 0xFF), (uint8_t)((0xDC00 + (c & 0x3FF)) >> 8)};
    dk_buf_add(b, s, 4);
    return;
  }
  uint8_t s[2] = {(uint8_t)(c & 0xFF), (uint8_t)(c >> 8)};
  dk_buf_add(b, s, 2);
}

static void put_utf8(dk_buf *b, uint32_t c) {
  char o[4];
  dk_buf_add(b, o, dk_utf8_put(o, c));
}

static int hexv(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A quoted string at *p (after the opening quote) up to the closing quote.
   utf16: write UTF-16LE code units into out, else UTF-8. ansi: bytes are Latin-1.
   Returns 0, or -1 when unterminated. */
static int quoted(const char **p, const char *end, int wine, int ansi, int utf16, dk_buf *out) {
  const char *s = *p;
  while (s < end && *s != '"') {
    uint32_t c;
    if (*s == '\\' && s + 1 < end) {
      s++;
      char e = *s++;
      if (e == '\\' || e == '"') c = (uint32_t)e;
      else if (wine && e == 'n') c = '\n';
      else if (wine && e == 'r') c = '\r';
      else if (wine && e == 't') c = '\t';
      else if (wine && e == '0') c = 0;
      else if (wine && e == 'x') {
        c = 0;
        int k = 0;
        while (k < 4 && s < end && hexv(*s) >= 0) c = c * 16 + (uint32_t)hexv(*s++), k++;
      } else {
        c = '\\';
        s--; /* regedit keeps an unknown escape as written */
      }
    } else if (ansi) {
      c = (unsigned char)*s++;
    } else {
      c = utf8_next(&s, end);
    }
    if (utf16) put_u16(out, c);
    else put_utf8(out, c);
  }
  if (s >= end) return -1;
  *p = s + 1;
  return 0;
}

/* A new zeroed last element of *arr (n used, cap allocated, first: the first
   allocation), or NULL when out of memory. */
static void *append(void **arr, size_t *n, size_t *cap, size_t elem, size_t first) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : first;
    void *p = realloc(*arr, nc * elem);
    if (!p) return NULL;
    *arr = p;
    *cap = nc;
  }
  void *e = (char *)*arr + (*n)++ * elem;
  memset(e, 0, elem);
  return e;
}

static dk_regtext_key *add_key(dk_regtext *r) {
  return append((void **)&r->keys, &r->nkeys, &r->cap, sizeof *r->keys, 32);
}

static dk_regtext_value *add_value(dk_regtext_key *k) {
  return append((void **)&k->values, &k->nvalues, &k->cap, sizeof *k->values, 8);
}

/* "aa,bb, cc" (spaces and line continuations already removed or tolerated). */
static int hex_list(const char *s, const char *end, dk_buf *out, int line, dk_regtext *r) {
  while (s < end) {
    while (s < end && (*s == ' ' || *s == '\t' || *s == ',' || *s == '\\')) s++;
    if (s >= end) break;
    if (s + 1 >= end || hexv(s[0]) < 0 || hexv(s[1]) < 0) {
      line_error(r, line, "bad hex byte near '%.8s'", s);
      return -1;
    }
    uint8_t b = (uint8_t)(hexv(s[0]) * 16 + hexv(s[1]));
    dk_buf_add(out, &b, 1);
    s += 2;
    if (s < end && *s != ',' && *s != ' ' && *s != '\\' && *s != '\t') {
      line_error(r, line, "bad hex list near '%.8s'", s);
      return -1;
    }
  }
  return 0;
}

static void parse_value(dk_regtext *r, dk_regtext_key *key, const char *s, const char *end, int line) {
  int wine = r->format == DK_REGTEXT_WINE, ansi = r->format == DK_REGTEXT_4;
  dk_buf name = {0}, data = {0};
  const char *p = s;
  if (*p == '@') {
    p++; /* the default value: name "" */
  } else if (*p == '"') {
    p++;
    if (quoted(&p, end, wine, ansi, 0, &name) != 0) {
      line_error(r, line, "unterminated value name");
      dk_buf_free(&name);
      return;
    }
  } else {
    line_error(r, line, "a value line starts with \" or @");
    return;
  }
  while (p < end && *p == ' ') p++;
  if (p >= end || *p != '=') {
    line_error(r, line, "'=' expected after the value name");
    dk_buf_free(&name);
    return;
  }
  p++;
  while (p < end && *p == ' ') p++;
  dk_regtext_value *v = add_value(key);
  if (!v) {
    dk_buf_free(&name);
    return;
  }
  v->name = dk_buf_take(&name);
  v->line = line;
  if (p < end && *p == '-') {
    v->deleted = 1;
    return;
  }
  if (p < end && *p == '"') {
    p++;
    v->type = 1;
    if (quoted(&p, end, wine, ansi, 1, &data) != 0) line_error(r, line, "unterminated string");
    put_u16(&data, 0);
  } else if (end - p >= 4 && strncmp(p, "str(", 4) == 0) {
    char *q;
    v->type = (uint32_t)strtoul(p + 4, &q, 16);
    if (q >= end || q[0] != ')' || q + 2 > end || q[1] != ':' || q + 2 >= end || q[2] != '"') {
      line_error(r, line, "str(N):\"...\" expected");
    } else {
      p = q + 3;
      if (quoted(&p, end, wine, ansi, 1, &data) != 0) line_error(r, line, "unterminated string");
      put_u16(&data, 0);
    }
  } else if (end - p >= 6 && strncmp(p, "dword:", 6) == 0) {
    v->type = 4;
    p += 6;
    uint32_t x = 0;
    int k = 0;
    while (p < end && hexv(*p) >= 0 && k < 9) x = x * 16 + (uint32_t)hexv(*p++), k++;
    if (k == 0 || k > 8) line_error(r, line, "dword: needs 1 to 8 hex digits");
    uint8_t le[4] = {(uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16), (uint8_t)(x >> 24)};
    dk_buf_add(&data, le, 4);
  } else if (end - p >= 4 && strncmp(p, "hex", 3) == 0) {
    p += 3;
    v->type = 3;
    if (*p == '(') {
      char *q;
      v->type = (uint32_t)strtoul(p + 1, &q, 16);
      if (q >= end || *q != ')') {
        line_error(r, line, "hex(N): expected");
        p = end;
      } else {
        p = q + 1;
      }
    }
    if (p < end && *p == ':') {
      p++;
      hex_list(p, end, &data, line, r);
    } else if (p < end) {
      line_error(r, line, "':' expected after hex");
    }
    /* regedit 4 writes expandable and multi strings as 8-bit bytes: widen them */
    if (ansi && (v->type == 2 || v->type == 7) && !data.oom) {
      dk_buf w = {0};
      for (size_t i = 0; i < data.len; i++) put_u16(&w, (uint8_t)data.p[i]);
      dk_buf_free(&data);
      data = w;
    }
  } else {
    line_error(r, line, "unknown value data '%.12s'", p);
  }
  if (data.oom) line_error(r, line, "out of memory");
  v->len = data.oom ? 0 : data.len;
  v->data = (uint8_t *)dk_buf_take(&data);
}

int dk_regtext_parse(const uint8_t *buf, size_t len, dk_regtext *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char *text = NULL;
  size_t tlen = 0;
  if (len >= 2 && buf[0] == 0xFF && buf[1] == 0xFE) {
    text = dk_utf16le_to_utf8_alloc(buf + 2, len - 2, 0, &tlen);
  } else {
    size_t skip = (len >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) ? 3 : 0;
    tlen = len - skip;
    text = malloc(tlen + 1);
    if (text) {
      memcpy(text, buf + skip, tlen);
      text[tlen] = '\0';
    }
  }
  if (!text) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  const char *end = text + tlen, *p = text;
  int line = 0;
  dk_regtext_key *key = NULL;
  dk_buf logical = {0};
  while (p < end) {
    /* One physical line. */
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *ls = p;
    p = nl ? nl + 1 : end;
    line++;
    while (le > ls && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t')) le--;
    if (memchr(ls, '\0', (size_t)(le - ls))) {
      line_error(out, line, "NUL byte in the text");
      continue;
    }
    if (out->format == 0) {
      if (le == ls) continue;
      size_t n = (size_t)(le - ls);
      if (n == 36 && strncmp(ls, "Windows Registry Editor Version 5.00", 36) == 0) out->format = DK_REGTEXT_5;
      else if (n == 8 && strncmp(ls, "REGEDIT4", 8) == 0) out->format = DK_REGTEXT_4;
      else if (n >= 23 && strncmp(ls, "WINE REGISTRY Version 2", 23) == 0) out->format = DK_REGTEXT_WINE;
      else {
        snprintf(err, errlen, "not a registry file: line %d is '%.*s' (Windows Registry Editor Version 5.00, "
                 "REGEDIT4 or WINE REGISTRY Version 2 expected)", line, (int)(n > 40 ? 40 : n), ls);
        free(text);
        dk_buf_free(&logical);
        dk_regtext_free(out);
        return -1;
      }
      continue;
    }
    int first_line = line;
    /* Join continuation lines of hex data ("...,\"). */
    logical.len = 0;
    dk_buf_add(&logical, ls, (size_t)(le - ls));
    while (logical.len > 0 && logical.p[logical.len - 1] == '\\' && p < end) {
      const char *nl2 = memchr(p, '\n', (size_t)(end - p));
      const char *le2 = nl2 ? nl2 : end, *ls2 = p;
      p = nl2 ? nl2 + 1 : end;
      line++;
      while (ls2 < le2 && (*ls2 == ' ' || *ls2 == '\t')) ls2++;
      while (le2 > ls2 && (le2[-1] == '\r' || le2[-1] == ' ')) le2--;
      logical.len--; /* drop the backslash */
      dk_buf_add(&logical, ls2, (size_t)(le2 - ls2));
    }
    if (logical.oom) {
      line_error(out, first_line, "out of memory");
      break;
    }
    const char *s = (const char *)logical.p, *e = s + logical.len;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    if (s == e) continue;
    if (*s == ';' || (*s == '#' && out->format == DK_REGTEXT_WINE)) {
      const char *rel = ";; All keys relative to ";
      if (out->format == DK_REGTEXT_WINE && (size_t)(e - s) > strlen(rel) && strncmp(s, rel, strlen(rel)) == 0) {
        size_t k = 0;
        for (const char *q = s + strlen(rel); q < e && k + 1 < sizeof out->relative_to; q++) {
          if (*q == '\\' && q + 1 < e && q[1] == '\\') q++;
          out->relative_to[k++] = *q;
        }
        out->relative_to[k] = '\0';
      }
      continue;
    }
    if (*s == '[') {
      const char *close = NULL;
      for (const char *q = e - 1; q > s; q--)
        if (*q == ']') {
          close = q;
          break;
        }
      if (!close) {
        line_error(out, first_line, "key line without ']'");
        key = NULL;
        continue;
      }
      key = add_key(out);
      if (!key) break;
      key->line = first_line;
      const char *ks = s + 1;
      if (ks < close && *ks == '-') {
        key->deleted = 1;
        ks++;
      }
      dk_buf path = {0};
      if (out->format == DK_REGTEXT_WINE) {
        for (const char *q = ks; q < close; q++) {
          if (*q == '\\' && q + 1 < close && q[1] == '\\') {
            dk_buf_addc(&path, '\\');
            q++;
          } else {
            dk_buf_add(&path, q, 1);
          }
        }
      } else {
        dk_buf_add(&path, ks, (size_t)(close - ks));
      }
      key->path = dk_buf_take(&path);
      continue;
    }
    if (!key) {
      line_error(out, first_line, "value outside any [key]");
      continue;
    }
    parse_value(out, key, s, e, first_line);
  }
  dk_buf_free(&logical);
  free(text);
  if (out->format == 0) {
    dk_regtext_free(out);
    snprintf(err, errlen, "not a registry file: no header line (Windows Registry Editor Version 5.00, REGEDIT4 "
             "or WINE REGISTRY Version 2)");
    return -1;
  }
  return 0;
}
