/*
** Process Monitor "Save as CSV" -> dkt_event. The file is UTF-8 with a BOM;
** every field is quoted ("" inside a field is a quote); the header names the
** columns, and only the ones used here are required, in any order:
**   Time of Day, Process Name, PID, Operation, Path, Result, Detail
** A "Process Exit" row's Detail starts with "Exit Status: N" (signed
** decimal: the full 32-bit exit code), which becomes the event's exit code.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

enum { C_TIME, C_PROCESS, C_PID, C_OPERATION, C_PATH, C_RESULT, C_DETAIL, C_COUNT };
static const char *const COLUMN[C_COUNT] = {"Time of Day", "Process Name", "PID", "Operation",
                                            "Path",        "Result",       "Detail"};

/* Fields longer than this are refused: Procmon writes nothing near it, and a
** hostile file should not make the parser allocate without bound. */
#define MAX_FIELD (1u << 20)
#define MAX_FIELDS 256

typedef struct field {
  size_t off, len; /* raw span, quotes excluded */
  int quoted, has_escapes;
} field;

typedef struct row {
  field f[MAX_FIELDS];
  size_t n;
} row;

/* Reads one record starting at *pos. Returns 1 with the fields, 0 at the end
** of the input, -1 on a syntax error (message in err). */
static int read_row(const char *b, size_t len, size_t *pos, size_t line, row *r, char *err, size_t err_size) {
  size_t p = *pos;
  if (p >= len) return 0;
  r->n = 0;
  for (;;) {
    field fd = {p, 0, 0, 0};
    if (p < len && b[p] == '"') {
      fd.quoted = 1;
      size_t s = ++p;
      for (;;) {
        const char *q = p < len ? memchr(b + p, '"', len - p) : NULL;
        if (!q) {
          snprintf(err, err_size, "line %zu: unterminated quoted field starting at byte %zu", line, s - 1);
          return -1;
        }
        p = (size_t)(q - b);
        if (p + 1 < len && b[p + 1] == '"') {
          fd.has_escapes = 1;
          p += 2;
          continue;
        }
        break;
      }
      fd.off = s;
      fd.len = p - s;
      p++; /* the closing quote */
      if (p < len && b[p] != ',' && b[p] != '\n' && b[p] != '\r') {
        snprintf(err, err_size, "line %zu: text after the closing quote at byte %zu", line, p);
        return -1;
      }
    } else {
      size_t s = p;
      while (p < len && b[p] != ',' && b[p] != '\n' && b[p] != '\r') p++;
      fd.off = s;
      fd.len = p - s;
    }
    if (fd.len > MAX_FIELD) {
      snprintf(err, err_size, "line %zu: field %zu is longer than %u bytes (byte %zu)", line, r->n + 1, MAX_FIELD,
               fd.off);
      return -1;
    }
    if (r->n == MAX_FIELDS) {
      snprintf(err, err_size, "line %zu: more than %d fields (byte %zu)", line, MAX_FIELDS, fd.off);
      return -1;
    }
    r->f[r->n++] = fd;
    if (p < len && b[p] == ',') {
      p++;
      continue;
    }
    if (p < len && b[p] == '\r') p++;
    if (p < len && b[p] == '\n') p++;
    break;
  }
  *pos = p;
  return 1;
}

/* A field's text with "" undone, NUL-terminated, in buf (grown as needed). */
static const char *field_text(const char *b, const field *f, char **buf, size_t *cap) {
  if (f->len + 1 > *cap) {
    size_t n = f->len + 1 < 256 ? 256 : f->len + 1;
    char *nb = realloc(*buf, n);
    if (!nb) return NULL;
    *buf = nb;
    *cap = n;
  }
  size_t o = 0;
  for (size_t i = 0; i < f->len; i++) {
    (*buf)[o++] = b[f->off + i];
    if (f->has_escapes && b[f->off + i] == '"') i++;
  }
  (*buf)[o] = '\0';
  return *buf;
}

static int field_is(const char *b, const field *f, const char *s) {
  size_t n = strlen(s);
  return !f->has_escapes && f->len == n && memcmp(b + f->off, s, n) == 0;
}

static int parse_ll(const char *s, size_t n, long long *out) {
  size_t i = 0;
  int neg = 0;
  if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
  if (i == n) return 0;
  long long v = 0;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    if (v > (0x7fffffffffffffffLL - 9) / 10) return 0;
    v = v * 10 + (s[i] - '0');
  }
  *out = neg ? -v : v;
  return 1;
}

int dkt_parse_procmon_csv(const char *b, size_t len, dkt_event_fn fn, void *ud, dkt_stats *st, char *err,
                          size_t err_size) {
  dkt_stats local;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  size_t pos = 0;
  if (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) pos = 3;
  row *r = malloc(sizeof *r);
  if (!r) {
    snprintf(err, err_size, "out of memory");
    return DKT_ERROR;
  }
  int rc = DKT_OK;
  char *path = NULL, *pidbuf = NULL;
  size_t path_cap = 0, pid_cap = 0;
  int col[C_COUNT];
  size_t line = 1;
  int got = read_row(b, len, &pos, line, r, err, err_size);
  if (got <= 0) {
    if (got == 0) snprintf(err, err_size, "empty file: no Process Monitor CSV header");
    rc = DKT_ERROR;
    goto done;
  }
  st->lines = 1;
  for (int c = 0; c < C_COUNT; c++) {
    col[c] = -1;
    for (size_t k = 0; k < r->n; k++) {
      if (field_is(b, &r->f[k], COLUMN[c])) {
        col[c] = (int)k;
        break;
      }
    }
    if (col[c] < 0) {
      snprintf(err, err_size, "line 1: not a Process Monitor CSV export: no \"%s\" column in the header", COLUMN[c]);
      rc = DKT_ERROR;
      goto done;
    }
  }
  size_t need = 0;
  for (int c = 0; c < C_COUNT; c++)
    if ((size_t)col[c] + 1 > need) need = (size_t)col[c] + 1;

  for (;;) {
    size_t start = pos;
    line++;
    got = read_row(b, len, &pos, line, r, err, err_size);
    if (got == 0) break;
    if (got < 0) {
      rc = DKT_ERROR;
      goto done;
    }
    st->lines++;
    if (r->n == 1 && r->f[0].len == 0) continue; /* a blank line */
    if (r->n < need) {
      snprintf(err, err_size, "line %zu: %zu fields, the header has at least %zu (byte %zu)", line, r->n, need, start);
      rc = DKT_ERROR;
      goto done;
    }
    dkt_event e;
    memset(&e, 0, sizeof e);
    e.kind = DKT_SYSCALL;
    e.line = line;
    e.pid = -1;
    const field *f = r->f;
    e.time = (dkt_span){f[col[C_TIME]].off, f[col[C_TIME]].len};
    e.process = (dkt_span){f[col[C_PROCESS]].off, f[col[C_PROCESS]].len};
    e.call = (dkt_span){f[col[C_OPERATION]].off, f[col[C_OPERATION]].len};
    e.status = (dkt_span){f[col[C_RESULT]].off, f[col[C_RESULT]].len};
    e.message = (dkt_span){f[col[C_DETAIL]].off, f[col[C_DETAIL]].len};
    const char *pid = field_text(b, &f[col[C_PID]], &pidbuf, &pid_cap);
    const char *pth = field_text(b, &f[col[C_PATH]], &path, &path_cap);
    if (!pid || !pth) {
      snprintf(err, err_size, "out of memory at line %zu", line);
      rc = DKT_ERROR;
      goto done;
    }
    long long v;
    if (parse_ll(pid, strlen(pid), &v)) e.pid = v;
    if (pth[0]) e.path = pth;
    /* Process Exit: "Exit Status: -1073740756, User Time: ..." */
    static const char EXIT[] = "Exit Status: ";
    if (e.message.len > sizeof EXIT - 1 && memcmp(b + e.message.off, EXIT, sizeof EXIT - 1) == 0) {
      size_t s = e.message.off + sizeof EXIT - 1, q = s;
      size_t end = e.message.off + e.message.len;
      while (q < end && b[q] != ',') q++;
      if (parse_ll(b + s, q - s, &v)) {
        e.has_exit = 1;
        e.exit_code = v;
      }
    }
    st->events++;
    if (fn(ud, &e)) {
      rc = DKT_STOPPED;
      break;
    }
  }
done:
  free(r);
  free(path);
  free(pidbuf);
  return rc;
}
