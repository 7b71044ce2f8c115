/*
** strace output -> dkt_event. One pass, line by line (LF or CRLF, any bytes,
** no line-length limit). A line is
**
**   [PID ][TIME ]call(args) = result [ERRNO (message)]
**   [PID ][TIME ]call(args <unfinished ...>
**   [PID ][TIME ]<... call resumed>more args) = result ...
**   [PID ][TIME ]--- SIGNAL {...} ---
**   [PID ][TIME ]+++ exited with N +++ | +++ killed by SIG (core dumped) +++
**
** PID may also be written "[pid N] " (strace -f without -o). The halves of an
** interleaved call are joined by pid: the first half gives the name, time and
** paths, the second the result. Anything else is skipped and counted, so a
** log with program output mixed in still parses; only an input where no line
** at all is an event is an error.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

/* {=========== small helpers */

typedef struct cursor {
  const char *b; /* the whole buffer (spans are offsets into it) */
  size_t p, e;   /* current position and end of the line */
} cursor;

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_name(char c) { return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_'; }
static int is_upper(char c) { return (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'; }

static int starts(const cursor *c, const char *lit) {
  size_t n = strlen(lit);
  return c->e - c->p >= n && memcmp(c->b + c->p, lit, n) == 0;
}

static int ends_with(const char *b, size_t s, size_t e, const char *lit) {
  size_t n = strlen(lit);
  return e - s >= n && memcmp(b + e - n, lit, n) == 0;
}

/* Parses a decimal or 0x-hex integer with an optional '-' at c->p; 1 on success.
** Saturates instead of overflowing (a 64-bit pointer result fits). */
static int parse_int(cursor *c, long long *out) {
  size_t p = c->p;
  int neg = 0;
  if (p < c->e && c->b[p] == '-') {
    neg = 1;
    p++;
  }
  unsigned long long v = 0;
  size_t start = p;
  if (p + 1 < c->e && c->b[p] == '0' && (c->b[p + 1] == 'x' || c->b[p + 1] == 'X')) {
    p += 2;
    start = p;
    for (; p < c->e; p++) {
      char ch = c->b[p];
      unsigned d;
      if (is_digit(ch)) d = (unsigned)(ch - '0');
      else if (ch >= 'a' && ch <= 'f') d = (unsigned)(ch - 'a' + 10);
      else if (ch >= 'A' && ch <= 'F') d = (unsigned)(ch - 'A' + 10);
      else break;
      v = v > (~0ULL >> 4) ? ~0ULL : (v << 4) | d;
    }
  } else {
    for (; p < c->e && is_digit(c->b[p]); p++) {
      unsigned d = (unsigned)(c->b[p] - '0');
      v = v > (~0ULL - d) / 10 ? ~0ULL : v * 10 + d;
    }
  }
  if (p == start) return 0;
  /* Values past LLONG_MAX (addresses) keep their bits, as two's complement
  ** would; callers only look at small results. */
  long long sv = v <= 0x7fffffffffffffffULL ? (long long)v : -(long long)(~v) - 1;
  *out = neg && sv != (-0x7fffffffffffffffLL - 1) ? -sv : sv;
  c->p = p;
  return 1;
}

/* }=========== */

/* {=========== decoded strings
** Paths are decoded into one scratch buffer per event; it only grows. */

typedef struct scratch {
  char *buf;
  size_t cap, used;
  int oom;
} scratch;

/* Reserves n+1 bytes; returns the offset, or (size_t)-1 when out of memory. */
static size_t scratch_reserve(scratch *s, size_t n) {
  if (n >= ((size_t)-1) / 4 - s->used) {
    s->oom = 1;
    return (size_t)-1;
  }
  if (s->used + n + 1 > s->cap) {
    size_t cap = s->cap ? s->cap : 256;
    while (cap < s->used + n + 1) cap *= 2;
    char *nb = realloc(s->buf, cap);
    if (!nb) {
      s->oom = 1;
      return (size_t)-1;
    }
    s->buf = nb;
    s->cap = cap;
  }
  size_t off = s->used;
  s->used += n + 1;
  return off;
}

static int hexval(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes strace's C-style escapes of src[s..e) into the scratch buffer;
** returns the offset of the NUL-terminated result or (size_t)-1. */
static size_t decode_escapes(scratch *sc, const char *src, size_t s, size_t e) {
  size_t off = scratch_reserve(sc, e - s);
  if (off == (size_t)-1) return off;
  char *o = sc->buf + off;
  size_t n = 0;
  for (size_t i = s; i < e; i++) {
    char ch = src[i];
    if (ch != '\\' || i + 1 >= e) {
      o[n++] = ch;
      continue;
    }
    char x = src[++i];
    switch (x) {
      case 'n': o[n++] = '\n'; break;
      case 't': o[n++] = '\t'; break;
      case 'r': o[n++] = '\r'; break;
      case 'v': o[n++] = '\v'; break;
      case 'f': o[n++] = '\f'; break;
      case 'x': {
        int h1 = i + 1 < e ? hexval(src[i + 1]) : -1;
        int h2 = i + 2 < e ? hexval(src[i + 2]) : -1;
        if (h1 < 0) {
          o[n++] = 'x';
        } else if (h2 < 0) {
          o[n++] = (char)h1;
          i += 1;
        } else {
          o[n++] = (char)(h1 * 16 + h2);
          i += 2;
        }
        break;
      }
      default:
        if (x >= '0' && x <= '7') {
          unsigned v = (unsigned)(x - '0');
          for (int k = 0; k < 2 && i + 1 < e && src[i + 1] >= '0' && src[i + 1] <= '7'; k++) v = v * 8 + (unsigned)(src[++i] - '0');
          o[n++] = (char)(v & 0xff);
        } else {
          o[n++] = x; /* \\ \" and anything else stand for themselves */
        }
    }
  }
  o[n] = '\0';
  sc->used = off + n + 1;
  return off;
}

/* }=========== */

/* {=========== arguments */

#define MAX_ARGS 8

typedef struct args {
  size_t n;
  dkt_span a[MAX_ARGS]; /* top-level arguments, trimmed */
  int closed;           /* the closing ')' was found */
  size_t after;         /* position after the ')' */
} args;

/* Splits c->b[p..e) at top-level commas until the ')' that closes the call.
** Quotes, escapes and ( [ { nesting are respected. */
static void split_args(const char *b, size_t p, size_t e, args *out) {
  /* The bytes that matter outside strings; everything else is skipped in a
  ** tight loop (read() buffers and argv lists make most of a trace). */
  static const unsigned char special[256] = {
      ['"'] = 1, ['('] = 1, [')'] = 1, ['['] = 1, [']'] = 1, ['{'] = 1, ['}'] = 1, [','] = 1,
  };
  memset(out, 0, sizeof *out);
  int depth = 0;
  size_t start = p;
  for (size_t i = p; i < e; i++) {
    while (i < e && !special[(unsigned char)b[i]]) i++;
    if (i == e) break;
    char ch = b[i];
    if (ch == '"') {
      /* To the closing quote: the next '"' not escaped by an odd run of '\'. */
      for (;;) {
        const char *q = i + 1 < e ? memchr(b + i + 1, '"', e - (i + 1)) : NULL;
        if (!q) {
          i = e - 1;
          break;
        }
        i = (size_t)(q - b);
        size_t k = i;
        while (k > p && b[k - 1] == '\\') k--;
        if (((i - k) & 1) == 0) break;
      }
    } else if (ch == '(' || ch == '[' || ch == '{') {
      depth++;
    } else if ((ch == ')' || ch == ']' || ch == '}') && depth > 0) {
      depth--;
    } else if (ch == ')' && depth == 0) {
      if (out->n < MAX_ARGS && i > start) out->a[out->n++] = (dkt_span){start, i - start};
      out->closed = 1;
      out->after = i + 1;
      break;
    } else if (ch == ',' && depth == 0) {
      if (out->n < MAX_ARGS) out->a[out->n++] = (dkt_span){start, i - start};
      start = i + 1;
    }
  }
  if (!out->closed && out->n < MAX_ARGS && e > start) out->a[out->n++] = (dkt_span){start, e - start};
  for (size_t k = 0; k < out->n; k++) {
    while (out->a[k].len && (b[out->a[k].off] == ' ')) {
      out->a[k].off++;
      out->a[k].len--;
    }
    while (out->a[k].len && b[out->a[k].off + out->a[k].len - 1] == ' ') out->a[k].len--;
  }
}

/* A quoted string argument, decoded; (size_t)-1 when the argument is not one
** (NULL, an address) or is cut short. */
static size_t arg_string(scratch *sc, const char *b, dkt_span a) {
  if (a.len < 2 || b[a.off] != '"') return (size_t)-1;
  size_t e = a.off + a.len;
  /* strace appends "..." after the closing quote of a truncated buffer. */
  if (a.len >= 5 && memcmp(b + e - 3, "...", 3) == 0) e -= 3;
  if (b[e - 1] != '"' || e - 1 <= a.off) return (size_t)-1;
  return decode_escapes(sc, b, a.off + 1, e - 1);
}

/* The decoration of a descriptor written by -y: 3</etc/passwd> or
** AT_FDCWD</tmp>; (size_t)-1 when there is none. */
static size_t arg_fd_path(scratch *sc, const char *b, dkt_span a) {
  size_t e = a.off + a.len;
  size_t lt = a.off;
  while (lt < e && b[lt] != '<') lt++;
  if (lt == e || e - lt < 2 || b[e - 1] != '>') return (size_t)-1;
  /* Sockets and pipes are decorated too (socket:[123], pipe:[9]): not paths. */
  if (b[lt + 1] != '/') return (size_t)-1;
  return decode_escapes(sc, b, lt + 1, e - 1);
}

/* Which arguments of a call are paths: {dirfd, path, dirfd2, path2}, -1 none. */
typedef struct path_args {
  const char *name;
  signed char dirfd, path, dirfd2, path2;
} path_args;

static const path_args PATH_CALLS[] = {
    /* *at calls: directory descriptor, then path */
    {"openat", 0, 1, -1, -1},         {"openat2", 0, 1, -1, -1},     {"faccessat", 0, 1, -1, -1},
    {"faccessat2", 0, 1, -1, -1},     {"newfstatat", 0, 1, -1, -1},  {"fstatat64", 0, 1, -1, -1},
    {"statx", 0, 1, -1, -1},          {"readlinkat", 0, 1, -1, -1},  {"mkdirat", 0, 1, -1, -1},
    {"unlinkat", 0, 1, -1, -1},       {"fchmodat", 0, 1, -1, -1},    {"fchownat", 0, 1, -1, -1},
    {"utimensat", 0, 1, -1, -1},      {"mknodat", 0, 1, -1, -1},     {"execveat", 0, 1, -1, -1},
    {"name_to_handle_at", 0, 1, -1, -1}, {"futimesat", 0, 1, -1, -1},
    {"renameat", 0, 1, 2, 3},         {"renameat2", 0, 1, 2, 3},     {"linkat", 0, 1, 2, 3},
    {"symlinkat", 1, 2, -1, 0},
    /* plain path calls */
    {"open", -1, 0, -1, -1},          {"creat", -1, 0, -1, -1},      {"access", -1, 0, -1, -1},
    {"stat", -1, 0, -1, -1},          {"lstat", -1, 0, -1, -1},      {"stat64", -1, 0, -1, -1},
    {"lstat64", -1, 0, -1, -1},       {"readlink", -1, 0, -1, -1},   {"execve", -1, 0, -1, -1},
    {"chdir", -1, 0, -1, -1},         {"mkdir", -1, 0, -1, -1},      {"rmdir", -1, 0, -1, -1},
    {"unlink", -1, 0, -1, -1},        {"chmod", -1, 0, -1, -1},      {"chown", -1, 0, -1, -1},
    {"lchown", -1, 0, -1, -1},        {"truncate", -1, 0, -1, -1},   {"statfs", -1, 0, -1, -1},
    {"getxattr", -1, 0, -1, -1},      {"lgetxattr", -1, 0, -1, -1},  {"setxattr", -1, 0, -1, -1},
    {"lsetxattr", -1, 0, -1, -1},     {"listxattr", -1, 0, -1, -1},  {"llistxattr", -1, 0, -1, -1},
    {"removexattr", -1, 0, -1, -1},   {"uselib", -1, 0, -1, -1},     {"chroot", -1, 0, -1, -1},
    {"acct", -1, 0, -1, -1},          {"swapon", -1, 0, -1, -1},     {"swapoff", -1, 0, -1, -1},
    {"umount2", -1, 0, -1, -1},       {"utime", -1, 0, -1, -1},      {"utimes", -1, 0, -1, -1},
    {"mknod", -1, 0, -1, -1},         {"inotify_add_watch", -1, 1, -1, -1},
    {"rename", -1, 0, -1, 1},         {"link", -1, 0, -1, 1},        {"symlink", -1, 1, -1, 0},
    {"mount", -1, 1, -1, 0},
};

static const path_args *find_path_call(const char *name, size_t len) {
  if (len == 0) return NULL;
  for (size_t i = 0; i < sizeof PATH_CALLS / sizeof PATH_CALLS[0]; i++) {
    const char *n = PATH_CALLS[i].name;
    if (n[0] == name[0] && strncmp(n, name, len) == 0 && n[len] == '\0') return &PATH_CALLS[i];
  }
  return NULL;
}

/* }=========== */

/* {=========== unfinished calls, by pid */

typedef struct pending {
  long long pid;
  size_t line;
  dkt_span time, call;
  char *path, *path2, *dir, *fd_path; /* malloc'd copies */
} pending;

#define MAX_PENDING 4096

typedef struct parser {
  const char *b;
  dkt_event_fn fn;
  void *ud;
  dkt_stats *st;
  scratch sc;
  pending *pend;
  size_t npend, cappend;
} parser;

static char *dup_or_null(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s);
  char *d = malloc(n + 1);
  if (d) memcpy(d, s, n + 1);
  return d;
}

static void pending_free(pending *p) {
  free(p->path);
  free(p->path2);
  free(p->dir);
  free(p->fd_path);
}

static void pending_drop(parser *ps, size_t i) {
  pending_free(&ps->pend[i]);
  ps->pend[i] = ps->pend[--ps->npend];
}

static int pending_add(parser *ps, const dkt_event *e) {
  for (size_t i = 0; i < ps->npend; i++) {
    if (ps->pend[i].pid == e->pid) { /* a pid has one call in flight: the old one is lost */
      pending_drop(ps, i);
      ps->st->unmatched++;
      break;
    }
  }
  if (ps->npend == MAX_PENDING) {
    pending_drop(ps, 0);
    ps->st->unmatched++;
  }
  if (ps->npend == ps->cappend) {
    size_t cap = ps->cappend ? ps->cappend * 2 : 16;
    pending *np = realloc(ps->pend, cap * sizeof *np);
    if (!np) return -1;
    ps->pend = np;
    ps->cappend = cap;
  }
  pending *p = &ps->pend[ps->npend];
  memset(p, 0, sizeof *p);
  p->pid = e->pid;
  p->line = e->line;
  p->time = e->time;
  p->call = e->call;
  p->path = dup_or_null(e->path);
  p->path2 = dup_or_null(e->path2);
  p->dir = dup_or_null(e->dir);
  p->fd_path = dup_or_null(e->fd_path);
  if ((e->path && !p->path) || (e->path2 && !p->path2) || (e->dir && !p->dir) || (e->fd_path && !p->fd_path)) {
    pending_free(p);
    return -1;
  }
  ps->npend++;
  return 0;
}

/* }=========== */

/* Parses "result [ERRNO (message)]" from c->p; fills e. */
static void parse_result(parser *ps, cursor *c, dkt_event *e, size_t *fd_off) {
  while (c->p < c->e && c->b[c->p] == ' ') c->p++;
  if (c->p < c->e && c->b[c->p] == '?') {
    c->p++;
  } else if (parse_int(c, &e->result)) {
    e->has_result = 1;
    if (c->p < c->e && c->b[c->p] == '<') {
      /* -y decoration of a returned descriptor: up to the last '>' before
      ** the errno part (a path may hold '>' itself). */
      size_t end = c->e;
      size_t sp = c->p;
      while (sp < c->e && !(c->b[sp] == ' ' && sp + 1 < c->e && c->b[sp + 1] == '(')) sp++;
      end = sp;
      while (end > c->p && c->b[end - 1] != '>') end--;
      if (end > c->p + 1) {
        dkt_span d = {c->p, end - c->p};
        size_t off = arg_fd_path(&ps->sc, c->b, d);
        if (off != (size_t)-1) *fd_off = off;
        c->p = end;
      }
    }
  } else {
    return;
  }
  while (c->p < c->e && c->b[c->p] == ' ') c->p++;
  size_t s = c->p;
  while (c->p < c->e && is_upper(c->b[c->p])) c->p++;
  if (c->p > s && (c->p == c->e || c->b[c->p] == ' ')) e->status = (dkt_span){s, c->p - s};
  else c->p = s;
  while (c->p < c->e && c->b[c->p] == ' ') c->p++;
  if (c->p < c->e && c->b[c->p] == '(') {
    size_t close = c->e;
    while (close > c->p && c->b[close - 1] != ')') close--;
    if (close > c->p + 1) e->message = (dkt_span){c->p + 1, close - 1 - (c->p + 1)};
  }
}

/* Scratch offsets of a call's decoded strings; NONE when absent. Offsets,
** not pointers, because each decode may move the scratch buffer. */
#define NONE ((size_t)-1)
typedef struct offs {
  size_t path, path2, dir, fd;
} offs;

/* Decodes the path arguments of a call. */
static void extract_paths(parser *ps, dkt_span call, const args *a, offs *o) {
  const char *b = ps->b;
  o->path = o->path2 = o->dir = o->fd = NONE;
  const path_args *pa = find_path_call(b + call.off, call.len);
  if (pa) {
    if (pa->path >= 0 && (size_t)pa->path < a->n) {
      o->path = arg_string(&ps->sc, b, a->a[pa->path]);
      if (o->path != NONE && ps->sc.buf[o->path] == '\0') o->path = NONE; /* "" with AT_EMPTY_PATH */
    }
    if (pa->path2 >= 0 && (size_t)pa->path2 < a->n) o->path2 = arg_string(&ps->sc, b, a->a[pa->path2]);
    if (pa->dirfd >= 0 && (size_t)pa->dirfd < a->n) o->dir = arg_fd_path(&ps->sc, b, a->a[pa->dirfd]);
  }
  /* A call on a descriptor (read, fstat, close, newfstatat(fd, "")): what it names. */
  if (o->path == NONE && a->n > 0) o->fd = arg_fd_path(&ps->sc, b, a->a[0]);
}

static void apply_offs(parser *ps, dkt_event *e, const offs *o) {
  e->path = o->path == NONE ? NULL : ps->sc.buf + o->path;
  e->path2 = o->path2 == NONE ? NULL : ps->sc.buf + o->path2;
  e->dir = o->dir == NONE ? NULL : ps->sc.buf + o->dir;
  e->fd_path = o->fd == NONE ? NULL : ps->sc.buf + o->fd;
}

static int emit(parser *ps, const dkt_event *e) {
  ps->st->events++;
  return ps->fn(ps->ud, e);
}

/* One line [s, e) (without its LF). Returns DKT_STOPPED, DKT_ERROR (out of
** memory) or DKT_OK. */
static int parse_line(parser *ps, size_t s, size_t end, size_t lineno) {
  const char *b = ps->b;
  if (end > s && b[end - 1] == '\r') end--;
  cursor c = {b, s, end};
  dkt_event e;
  memset(&e, 0, sizeof e);
  e.line = lineno;
  e.pid = -1;
  ps->sc.used = 0;

  /* [pid N] or N */
  if (starts(&c, "[pid ")) {
    c.p += 5;
    while (c.p < c.e && c.b[c.p] == ' ') c.p++;
    if (!parse_int(&c, &e.pid) || c.p >= c.e || c.b[c.p] != ']') goto skip;
    c.p++;
    while (c.p < c.e && c.b[c.p] == ' ') c.p++;
  } else {
    size_t q = c.p;
    while (q < c.e && is_digit(b[q])) q++;
    if (q > c.p && q < c.e && (b[q] == ' ' || b[q] == '\t')) {
      parse_int(&c, &e.pid);
      while (c.p < c.e && (b[c.p] == ' ' || b[c.p] == '\t')) c.p++;
    }
  }
  /* -t / -tt / -ttt time stamp */
  if (c.p < c.e && is_digit(b[c.p])) {
    size_t q = c.p;
    int mark = 0;
    while (q < c.e && (is_digit(b[q]) || b[q] == ':' || b[q] == '.')) {
      if (b[q] == ':' || b[q] == '.') mark = 1;
      q++;
    }
    if (!mark || q >= c.e || b[q] != ' ') goto skip;
    e.time = (dkt_span){c.p, q - c.p};
    c.p = q + 1;
  }

  if (starts(&c, "--- ")) {
    c.p += 4;
    size_t q = c.p;
    while (q < c.e && b[q] != ' ') q++;
    if (q == c.p) goto skip;
    e.kind = DKT_SIGNAL;
    e.call = (dkt_span){c.p, q - c.p};
    size_t me = c.e;
    if (ends_with(b, q, me, " ---")) me -= 4;
    if (q + 1 < me) e.message = (dkt_span){q + 1, me - (q + 1)};
    return emit(ps, &e) ? DKT_STOPPED : DKT_OK;
  }
  if (starts(&c, "+++ exited with ")) {
    c.p += 16;
    if (!parse_int(&c, &e.exit_code)) goto skip;
    e.kind = DKT_EXIT;
    e.has_exit = 1;
    return emit(ps, &e) ? DKT_STOPPED : DKT_OK;
  }
  if (starts(&c, "+++ killed by ")) {
    c.p += 14;
    size_t q = c.p;
    while (q < c.e && b[q] != ' ') q++;
    e.kind = DKT_KILLED;
    e.call = (dkt_span){c.p, q - c.p};
    e.core_dumped = ends_with(b, c.p, c.e, "(core dumped) +++");
    return emit(ps, &e) ? DKT_STOPPED : DKT_OK;
  }
  if (starts(&c, "<... ")) {
    c.p += 5;
    size_t q = c.p;
    while (q < c.e && is_name(b[q])) q++;
    dkt_span name = {c.p, q - c.p};
    c.p = q;
    if (name.len == 0 || !starts(&c, " resumed>")) goto skip;
    c.p += 9;
    /* The rest of the arguments, then ") = result". */
    args a;
    split_args(b, c.p, c.e, &a);
    size_t i = ps->npend;
    for (size_t k = 0; k < ps->npend; k++) {
      if (ps->pend[k].pid == e.pid && ps->pend[k].call.len == name.len &&
          memcmp(b + ps->pend[k].call.off, b + name.off, name.len) == 0) {
        i = k;
        break;
      }
    }
    if (i == ps->npend) {
      ps->st->unmatched++;
      e.call = name;
    } else {
      pending *p = &ps->pend[i];
      e.call = p->call;
      e.time = p->time;
    }
    e.kind = DKT_SYSCALL;
    size_t fd_off = NONE;
    if (a.closed) {
      c.p = a.after;
      if (starts(&c, " = ")) {
        c.p += 3;
        parse_result(ps, &c, &e, &fd_off);
      }
    } else {
      e.incomplete = 1;
    }
    if (ps->sc.oom) return DKT_ERROR;
    if (fd_off != NONE) e.fd_path = ps->sc.buf + fd_off;
    if (i != ps->npend) {
      pending *p = &ps->pend[i];
      e.path = p->path;
      e.path2 = p->path2;
      e.dir = p->dir;
      if (!e.fd_path) e.fd_path = p->fd_path;
      int r = emit(ps, &e);
      pending_drop(ps, i);
      return r ? DKT_STOPPED : DKT_OK;
    }
    return emit(ps, &e) ? DKT_STOPPED : DKT_OK;
  }

  /* name(args...) */
  {
    size_t q = c.p;
    while (q < c.e && is_name(b[q])) q++;
    if (q == c.p || q >= c.e || b[q] != '(') goto skip;
    e.kind = DKT_SYSCALL;
    e.call = (dkt_span){c.p, q - c.p};
    c.p = q + 1;
    int unfinished = ends_with(b, c.p, c.e, "<unfinished ...>");
    size_t arg_end = unfinished ? c.e - 16 : c.e;
    args a;
    split_args(b, c.p, arg_end, &a);
    offs o;
    extract_paths(ps, e.call, &a, &o);
    if (!unfinished) {
      if (a.closed) {
        c.p = a.after;
        if (starts(&c, " = ")) {
          c.p += 3;
          size_t fd_off = NONE;
          parse_result(ps, &c, &e, &fd_off);
          if (fd_off != NONE) o.fd = fd_off; /* the returned descriptor wins */
        } else {
          e.incomplete = 1;
        }
      } else {
        e.incomplete = 1; /* the input ended (or the line was cut) inside the call */
      }
      if (ps->sc.oom) return DKT_ERROR;
      apply_offs(ps, &e, &o);
      return emit(ps, &e) ? DKT_STOPPED : DKT_OK;
    }
    if (ps->sc.oom) return DKT_ERROR;
    apply_offs(ps, &e, &o);
    if (pending_add(ps, &e) != 0) return DKT_ERROR;
    return DKT_OK;
  }

skip:
  if (c.e > s) {
    ps->st->skipped++;
    if (!ps->st->first_skipped) ps->st->first_skipped = lineno;
  }
  return DKT_OK;
}

int dkt_parse_strace(const char *buf, size_t len, dkt_event_fn fn, void *ud, dkt_stats *st, char *err,
                     size_t err_size) {
  dkt_stats local;
  if (!st) st = &local;
  memset(st, 0, sizeof *st);
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.b = buf;
  ps.fn = fn;
  ps.ud = ud;
  ps.st = st;
  int rc = DKT_OK;
  size_t p = 0;
  while (p < len) {
    const char *nl = memchr(buf + p, '\n', len - p);
    size_t e = nl ? (size_t)(nl - buf) : len;
    st->lines++;
    rc = parse_line(&ps, p, e, st->lines);
    if (rc != DKT_OK) break;
    p = nl ? e + 1 : len;
  }
  if (rc == DKT_OK) {
    /* Calls still unfinished at the end: the trace was cut (or the process
    ** was killed inside them). They are events too, marked incomplete. */
    for (size_t i = 0; i < ps.npend && rc == DKT_OK; i++) {
      pending *q = &ps.pend[i];
      dkt_event e;
      memset(&e, 0, sizeof e);
      e.kind = DKT_SYSCALL;
      e.line = q->line;
      e.pid = q->pid;
      e.time = q->time;
      e.call = q->call;
      e.path = q->path;
      e.path2 = q->path2;
      e.dir = q->dir;
      e.fd_path = q->fd_path;
      e.incomplete = 1;
      if (emit(&ps, &e)) rc = DKT_STOPPED;
    }
  }
  for (size_t i = 0; i < ps.npend; i++) pending_free(&ps.pend[i]);
  free(ps.pend);
  free(ps.sc.buf);
  if (rc == DKT_ERROR) {
    snprintf(err, err_size, "out of memory at line %zu", st->lines);
    return DKT_ERROR;
  }
  if (rc == DKT_OK && st->events == 0 && st->skipped > 0) {
    snprintf(err, err_size, "not strace output: no line is a system call, signal or exit (line %zu is the first)",
             st->first_skipped);
    return DKT_ERROR;
  }
  return rc;
}
