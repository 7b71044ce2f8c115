/*
** diagkit.gocrash core: the line-oriented parser. See gocrash.h.
**
** Every line is a (pointer, length) pair into the input; nothing is copied and
** nothing is NUL-terminated, so every comparison is bounded by the length.
** Numbers are parsed with explicit digit limits, so no overflow either.
*/
#include "gocrash.h"

#include <stdlib.h>
#include <string.h>

/* {====================================================== Small helpers */

typedef struct line {
  const char *p;
  size_t n;
} line;

static int starts(line l, const char *lit) {
  size_t k = strlen(lit);
  return l.n >= k && memcmp(l.p, lit, k) == 0;
}

static int ends(line l, const char *lit) {
  size_t k = strlen(lit);
  return l.n >= k && memcmp(l.p + l.n - k, lit, k) == 0;
}

static int eq(line l, const char *lit) {
  size_t k = strlen(lit);
  return l.n == k && memcmp(l.p, lit, k) == 0;
}

static line skip(line l, size_t k) {
  if (k > l.n) k = l.n;
  l.p += k;
  l.n -= k;
  return l;
}

static line ltrim(line l) {
  while (l.n > 0 && (*l.p == ' ' || *l.p == '\t')) l = skip(l, 1);
  return l;
}

/* Consumes the literal at the start of *l: 1, or 0 (l unchanged) when it is not there. */
static int take(line *l, const char *lit) {
  if (!starts(*l, lit)) return 0;
  *l = skip(*l, strlen(lit));
  return 1;
}

static int isdig(char c) { return c >= '0' && c <= '9'; }
static int ishex(char c) { return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Reads up to 18 decimal digits at l; returns the count read (0: none). */
static size_t read_num(line l, long long *v) {
  size_t i = 0;
  long long x = 0;
  while (i < l.n && i < 18 && isdig(l.p[i])) x = x * 10 + (l.p[i++] - '0');
  if (i == 0) return 0;
  *v = x;
  return i;
}

/* "0x" followed by hex digits; returns its length or 0. */
static size_t hex_len(line l) {
  if (l.n < 3 || l.p[0] != '0' || (l.p[1] != 'x' && l.p[1] != 'X')) return 0;
  size_t i = 2;
  while (i < l.n && ishex(l.p[i])) i++;
  return i > 2 ? i : 0;
}

static size_t hex_value_len(line l, long long *v) {
  size_t k = hex_len(l);
  if (!k) return 0;
  long long x = 0;
  for (size_t i = 2; i < k && i < 17; i++) {
    char c = l.p[i];
    int d = isdig(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
    x = x * 16 + d;
  }
  *v = x;
  return k;
}

/* Decimal or fractional number ("0.021", "3", "1.2"); returns length read. */
static size_t read_double(line l, double *v) {
  size_t i = 0;
  double x = 0;
  while (i < l.n && i < 18 && isdig(l.p[i])) x = x * 10 + (l.p[i++] - '0');
  if (i == 0) return 0;
  if (i < l.n && l.p[i] == '.') {
    double scale = 0.1;
    size_t j = i + 1;
    while (j < l.n && j - i < 18 && isdig(l.p[j])) {
      x += (l.p[j] - '0') * scale;
      scale /= 10;
      j++;
    }
    i = j;
  }
  *v = x;
  return i;
}

static const char *memfind(const char *hay, size_t n, const char *needle) {
  size_t k = strlen(needle);
  if (k == 0 || n < k) return NULL;
  for (size_t i = 0; i + k <= n; i++) {
    const char *q = memchr(hay + i, needle[0], n - k + 1 - i);
    if (!q) return NULL;
    if (memcmp(q, needle, k) == 0) return q;
    i = (size_t)(q - hay);
  }
  return NULL;
}

/* }====================================================== */

/* {====================================================== Growable arrays */

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return 0;
  size_t nc = *cap ? *cap : 16;
  while (nc < need) {
    if (nc > ((size_t)-1) / 2 / elem) return -1;
    nc *= 2;
  }
  void *p = realloc(*arr, nc * elem);
  if (!p) return -1;
  *arr = p;
  *cap = nc;
  return 0;
}

/* A new last element of r->arr, or NULL with ps->oom set. */
#define PUSH(ps, r, arr, n, c)                                                                                   \
  (grow((void **)&(r)->arr, &(r)->c, (r)->n + 1, sizeof(*(r)->arr)) ? ((ps)->oom = 1, NULL) : &(r)->arr[(r)->n++])

/* }====================================================== */

/* {====================================================== Parser state */

enum { S_TOP, S_GOR, S_RACE };

typedef struct parser {
  const char *text;
  size_t len;
  dkg_result *r;
  const dkg_options *opt;
  int state;
  size_t lineno;
  size_t line_off;
  /* inside a goroutine block or race report */
  size_t cur;             /* current goroutine index */
  int have_func;          /* a function line waiting for its file line */
  dkg_frame pending;
  size_t pending_off;
  int pending_created;    /* "created by" waiting for its file line */
  int in_race_stack;      /* 1: frames go to the last access, 2: to the last race goroutine */
  int last_header_panic;  /* the previous header line was a panic (for nested chains) */
  int want_pc;            /* after Exception / SIGQUIT: a PC= line follows */
  int oom;                /* memory exhausted */
} parser;

static dkg_span span_of(const parser *ps, line l) {
  dkg_span s = {(size_t)(l.p - ps->text), l.n};
  return s;
}

static void mark_stop(parser *ps, const char *reason, size_t lineno, size_t off) {
  dkg_result *r = ps->r;
  if (r->stop_reason) return;
  r->truncated = 1;
  r->stop_reason = reason;
  r->stop_line = lineno;
  r->stop_off = off;
}

/* }====================================================== */

/* {====================================================== Line shapes */

/* "func(args)" -> func and args spans; the args '(' is the last one. */
static int parse_func_line(parser *ps, line l, dkg_frame *f) {
  if (l.n < 3 || l.p[l.n - 1] != ')' || l.p[0] == ' ' || l.p[0] == '\t' || l.p[0] == '(') return 0;
  const char *open = NULL;
  for (size_t i = l.n - 1; i-- > 0;) {
    if (l.p[i] == '(') {
      open = l.p + i;
      break;
    }
  }
  if (!open || open == l.p) return 0;
  for (const char *q = l.p; q < open; q++)
    if (*q == ' ' || *q == '\t') return 0;
  line fn = {l.p, (size_t)(open - l.p)};
  line args = {open + 1, (size_t)(l.p + l.n - 1 - (open + 1))};
  memset(f, 0, sizeof *f);
  f->func = span_of(ps, fn);
  f->args = span_of(ps, args);
  f->pc_off = -1;
  f->src_line = ps->lineno;
  return 1;
}

/* "\tfile.go:123 +0x1d fp=... sp=... pc=..." (leading blanks already removed). */
static int parse_file_line(parser *ps, line l, dkg_frame *f) {
  line head = l;
  const char *plus = memfind(l.p, l.n, " +0x");
  const char *fp = memfind(l.p, l.n, " fp=");
  const char *cut = plus ? plus : fp;
  if (cut) head.n = (size_t)(cut - l.p);
  if (head.n < 3) return 0;
  size_t colon = head.n;
  while (colon > 0 && head.p[colon - 1] != ':') colon--;
  if (colon < 2) return 0;
  line num = {head.p + colon, head.n - colon};
  long long v;
  size_t k = read_num(num, &v);
  if (k == 0 || k != num.n || v > 100000000) return 0;
  line file = {head.p, colon - 1};
  f->file = span_of(ps, file);
  f->line = (long)v;
  if (plus) {
    line off = {plus + 2, (size_t)(l.p + l.n - (plus + 2))};
    long long o;
    if (hex_value_len(off, &o)) f->pc_off = o;
  }
  return 1;
}

/* }====================================================== */

/* {====================================================== Causes */

static const char *panic_cause(parser *ps, line m) {
  dkg_result *r = ps->r;
  if (starts(m, "runtime error: ")) {
    line e = skip(m, 15);
    if (starts(e, "invalid memory address or nil pointer dereference")) return "nil-pointer";
    if (starts(e, "index out of range")) {
      line q = skip(e, 18);
      long long v;
      size_t k;
      if (starts(q, " [") && (k = read_num(skip(q, 2), &v)) > 0) {
        r->index = (long)v;
        q = skip(q, 2 + k);
        if (starts(q, "] with length ") && read_num(skip(q, 14), &v)) r->length = (long)v;
      } else if (starts(q, " [-")) {
        r->index = -1;
      }
      return "index-out-of-range";
    }
    if (starts(e, "slice bounds out of range")) return "slice-bounds";
    if (starts(e, "integer divide by zero")) return "divide-by-zero";
    if (starts(e, "integer overflow")) return "integer-overflow";
    if (starts(e, "makeslice") || starts(e, "makechan") || starts(e, "makemap")) return "bad-make-size";
    if (starts(e, "hash of unhashable type")) return "unhashable-key";
    if (starts(e, "comparing uncomparable type")) return "uncomparable";
    if (starts(e, "negative shift amount")) return "negative-shift";
    return "runtime-error";
  }
  if (starts(m, "assignment to entry in nil map")) return "nil-map";
  if (starts(m, "interface conversion: ")) return "type-assertion";
  if (starts(m, "close of closed channel")) return "close-closed-channel";
  if (starts(m, "close of nil channel")) return "close-nil-channel";
  if (starts(m, "send on closed channel")) return "send-closed-channel";
  if (starts(m, "sync: negative WaitGroup counter")) return "negative-waitgroup";
  if (starts(m, "sync: unlock of unlocked mutex") || starts(m, "sync: RUnlock of unlocked RWMutex") ||
      starts(m, "sync: Unlock of unlocked RWMutex"))
    return "unlock-unlocked";
  if (starts(m, "test timed out after ")) return "test-timeout";
  return "custom";
}

static const char *fatal_cause(line m) {
  if (starts(m, "concurrent map writes")) return "concurrent-map-writes";
  if (starts(m, "concurrent map read and map write")) return "concurrent-map-read-write";
  if (starts(m, "concurrent map iteration and map write")) return "concurrent-map-iteration-write";
  if (starts(m, "all goroutines are asleep - deadlock!")) return "deadlock";
  if (starts(m, "deadlock: ")) return "deadlock";
  if (starts(m, "no goroutines (main called runtime.Goexit) - deadlock!")) return "goexit-deadlock";
  if (starts(m, "runtime: out of memory") || starts(m, "out of memory")) return "out-of-memory";
  if (starts(m, "failed to reserve page summary memory") || starts(m, "runtime: cannot reserve arena"))
    return "address-space";
  if (starts(m, "stack overflow")) return "stack-overflow";
  if (starts(m, "unexpected signal during runtime execution")) return "unexpected-signal";
  if (starts(m, "fault")) return "fault";
  if (starts(m, "sync: unlock of unlocked mutex") || starts(m, "sync: Unlock of unlocked RWMutex") ||
      starts(m, "sync: RUnlock of unlocked RWMutex"))
    return "unlock-unlocked";
  if (starts(m, "found bad pointer in Go heap")) return "bad-pointer";
  if (starts(m, "thread exhaustion") || starts(m, "runtime: program exceeds")) return "thread-limit";
  return "fatal";
}

/* }====================================================== */

/* {====================================================== Goroutine blocks */

static void finish_frame_pending(parser *ps) {
  if (ps->have_func) {
    ps->r->other_lines++; /* a lone function-looking line: program output */
    ps->have_func = 0;
  }
  if (ps->pending_created) {
    ps->r->other_lines++;
    ps->pending_created = 0;
  }
}

static void end_block(parser *ps) {
  finish_frame_pending(ps);
  ps->state = S_TOP;
  ps->in_race_stack = 0;
}

/* Ends the block before and starts goroutine id (-1: a runtime stack section). */
static dkg_goroutine *new_goroutine(parser *ps, long long id) {
  dkg_result *r = ps->r;
  end_block(ps);
  dkg_goroutine *g = PUSH(ps, r, goroutines, ngoroutines, cgoroutines);
  if (!g) return NULL;
  memset(g, 0, sizeof *g);
  g->id = id;
  g->minutes = -1;
  g->parent = -1;
  g->src_line = ps->lineno;
  g->src_off = ps->line_off;
  g->first_frame = r->nframes;
  g->bucket = DKG_NONE;
  return g;
}

/* "goroutine 7 [chan receive, 12 minutes, locked to thread]:" and the
** "goroutine 1 gp=0x... m=0 mp=0x... [running]:" form. */
static int goroutine_header(parser *ps, line l) {
  if (!starts(l, "goroutine ") || !ends(l, "]:")) return 0;
  line q = skip(l, 10);
  long long id;
  size_t k = read_num(q, &id);
  if (!k) return 0;
  q = skip(q, k);
  /* optional " gp=... m=... mp=..." words up to " [" */
  const char *br = memchr(q.p, '[', q.n);
  if (!br || br == q.p || br[-1] != ' ') return 0;
  for (const char *s = q.p; s < br - 1; s++)
    if (*s == '[' || *s == ']') return 0;
  line inside = {br + 1, (size_t)(l.p + l.n - 2 - (br + 1))};
  if (inside.n == 0) return 0;
  dkg_result *r = ps->r;
  dkg_goroutine *g = new_goroutine(ps, id);
  if (!g) return 1;
  const char *comma = memchr(inside.p, ',', inside.n);
  /* "chan receive (nil chan)" has no comma; "select (no cases)" neither */
  line state = {inside.p, comma ? (size_t)(comma - inside.p) : inside.n};
  g->state = span_of(ps, state);
  if (comma) {
    line rest = {comma, (size_t)(inside.p + inside.n - comma)};
    g->extra = span_of(ps, rest);
    while (rest.n > 0) {
      rest = ltrim(skip(rest, 1)); /* past ',' */
      const char *nx = memchr(rest.p, ',', rest.n);
      line item = {rest.p, nx ? (size_t)(nx - rest.p) : rest.n};
      long long v;
      size_t d = read_num(item, &v);
      if (d && (eq(skip(item, d), " minutes") || eq(skip(item, d), " minute"))) g->minutes = (long)v;
      if (eq(item, "locked to thread")) g->locked = 1;
      rest = nx ? (line){nx, (size_t)(rest.p + rest.n - nx)} : (line){rest.p + rest.n, 0};
    }
  }
  ps->cur = r->ngoroutines - 1;
  ps->state = S_GOR;
  if (r->crashed == DKG_NONE && r->header_line) r->crashed = ps->cur;
  return 1;
}

static void runtime_stack_header(parser *ps) {
  if (!new_goroutine(ps, -1)) return;
  ps->cur = ps->r->ngoroutines - 1;
  ps->state = S_GOR;
}

static int elided_line(line l, long *n) {
  if (eq(l, "...additional frames elided...")) {
    *n = -1;
    return 1;
  }
  if (starts(l, "...") && ends(l, " frames elided...")) {
    long long v;
    if (read_num(skip(l, 3), &v)) {
      *n = (long)v;
      return 1;
    }
  }
  return 0;
}

static int push_frame(parser *ps, const dkg_frame *f) {
  dkg_frame *slot = PUSH(ps, ps->r, frames, nframes, cframes);
  if (!slot) return -1;
  *slot = *f;
  return 0;
}

/* One line inside a goroutine block. Returns 0 when the line is not part of
** the block (the caller then ends it and treats the line as top level). */
static int goroutine_line(parser *ps, line raw) {
  dkg_result *r = ps->r;
  dkg_goroutine *g = &r->goroutines[ps->cur];
  if (raw.n > 0 && (raw.p[0] == '\t' || raw.p[0] == ' ')) {
    line l = ltrim(raw);
    if (ps->have_func && parse_file_line(ps, l, &ps->pending)) {
      ps->have_func = 0;
      if (push_frame(ps, &ps->pending)) return 1;
      g = &r->goroutines[ps->cur];
      g->nframes++;
      return 1;
    }
    if (ps->pending_created && parse_file_line(ps, l, &g->created)) {
      ps->pending_created = 0;
      g->has_created = 1;
      return 1;
    }
    if (starts(l, "goroutine running on other thread; stack unavailable")) {
      g->unavailable = 1;
      return 1;
    }
    if (starts(l, "panic: ") || starts(l, "fatal error: ")) return 0;
    r->other_lines++;
    return 1;
  }
  long el;
  if (elided_line(raw, &el)) {
    g->elided = el;
    return 1;
  }
  if (starts(raw, "created by ")) {
    finish_frame_pending(ps);
    line c = skip(raw, 11);
    const char *in = memfind(c.p, c.n, " in goroutine ");
    line fn = {c.p, in ? (size_t)(in - c.p) : c.n};
    memset(&g->created, 0, sizeof g->created);
    g->created.func = span_of(ps, fn);
    g->created.pc_off = -1;
    g->created.src_line = ps->lineno;
    if (in) {
      long long v;
      if (read_num(skip(c, (size_t)(in - c.p) + 14), &v)) g->parent = v;
    }
    ps->pending_created = 1;
    return 1;
  }
  /* top-level lines end the block (dispatch on the first byte: this runs for every frame) */
  int top = 0;
  switch (raw.p[0]) {
    case 'g': top = starts(raw, "goroutine "); break;
    case 'p': top = starts(raw, "panic: "); break;
    case 'f': top = starts(raw, "fatal error: "); break;
    case '[': top = starts(raw, "[signal "); break;
    case 'r': top = starts(raw, "runtime stack:") || starts(raw, "runtime: "); break;
    case 'e': top = starts(raw, "exit status "); break;
    case 'W': top = starts(raw, "WARNING: DATA RACE"); break;
    case '=': top = starts(raw, "=================="); break;
    case 'S': top = starts(raw, "SIG"); break;
    case 'E': top = starts(raw, "Exception 0x"); break;
    default: break;
  }
  if (top) return 0;
  dkg_frame f;
  if (parse_func_line(ps, raw, &f)) {
    finish_frame_pending(ps);
    ps->pending = f;
    ps->pending_off = ps->line_off;
    ps->have_func = 1;
    return 1;
  }
  r->other_lines++;
  return 1;
}

/* }====================================================== */

/* {====================================================== Race reports */

static void race_begin(parser *ps) {
  dkg_result *r = ps->r;
  end_block(ps);
  dkg_race *rc = PUSH(ps, r, races, nraces, craces);
  if (!rc) return;
  memset(rc, 0, sizeof *rc);
  rc->src_line = ps->lineno;
  rc->first_access = r->naccesses;
  rc->first_goroutine = r->nrace_goroutines;
  ps->state = S_RACE;
  ps->in_race_stack = 0;
}

/* "Read at 0x... by goroutine 7:" / "Previous write at ... by main goroutine:" */
static int race_access(parser *ps, line l) {
  int previous = 0, write;
  line q = l;
  if (starts(q, "Previous ")) {
    previous = 1;
    q = skip(q, 9);
  }
  if (starts(q, "Read at ") || starts(q, "read at ")) write = 0;
  else if (starts(q, "Write at ") || starts(q, "write at ")) write = 1;
  else return 0;
  if (!ends(q, ":")) return 0;
  q = skip(q, write ? 9 : 8);
  size_t hk = hex_len(q);
  line addr = {q.p, hk};
  q = skip(q, hk);
  dkg_result *r = ps->r;
  dkg_race_access *a = PUSH(ps, r, accesses, naccesses, caccesses);
  if (!a) return 1;
  memset(a, 0, sizeof *a);
  a->write = write;
  a->previous = previous;
  a->addr = span_of(ps, addr);
  a->goroutine = -1;
  a->src_line = ps->lineno;
  a->first_frame = r->nframes;
  if (starts(q, " by main goroutine")) a->main_goroutine = 1;
  else if (starts(q, " by goroutine ")) {
    long long v;
    if (read_num(skip(q, 14), &v)) a->goroutine = v;
  }
  r->races[r->nraces - 1].naccess++;
  ps->in_race_stack = 1;
  return 1;
}

static int race_goroutine(parser *ps, line l) {
  if (!starts(l, "Goroutine ") || !ends(l, " created at:")) return 0;
  long long id;
  size_t k = read_num(skip(l, 10), &id);
  if (!k) return 0;
  line q = skip(l, 10 + k);
  line st = {q.p, 0};
  if (starts(q, " (")) {
    const char *cl = memchr(q.p, ')', q.n);
    if (cl) st = (line){q.p + 2, (size_t)(cl - q.p - 2)};
  }
  dkg_result *r = ps->r;
  dkg_race_goroutine *g = PUSH(ps, r, race_goroutines, nrace_goroutines, crace_goroutines);
  if (!g) return 1;
  memset(g, 0, sizeof *g);
  g->id = id;
  g->state = span_of(ps, st);
  g->src_line = ps->lineno;
  g->first_frame = r->nframes;
  r->races[r->nraces - 1].ngoroutine++;
  ps->in_race_stack = 2;
  return 1;
}

static void race_line(parser *ps, line raw) {
  dkg_result *r = ps->r;
  if (eq(raw, "==================")) {
    finish_frame_pending(ps);
    r->races[r->nraces - 1].complete = 1;
    ps->state = S_TOP;
    ps->in_race_stack = 0;
    return;
  }
  if (raw.n == 0) {
    finish_frame_pending(ps);
    return;
  }
  if (eq(raw, "WARNING: DATA RACE")) {
    race_begin(ps);
    return;
  }
  if (race_access(ps, raw) || race_goroutine(ps, raw)) {
    finish_frame_pending(ps);
    return;
  }
  line l = ltrim(raw);
  if (ps->in_race_stack && raw.n > l.n) {
    dkg_frame f;
    if (ps->have_func && parse_file_line(ps, l, &ps->pending)) {
      ps->have_func = 0;
      if (push_frame(ps, &ps->pending)) return;
      if (ps->in_race_stack == 1) r->accesses[r->naccesses - 1].nframes++;
      else r->race_goroutines[r->nrace_goroutines - 1].nframes++;
      return;
    }
    if (parse_func_line(ps, l, &f)) {
      finish_frame_pending(ps);
      ps->pending = f;
      ps->pending_off = ps->line_off;
      ps->have_func = 1;
      return;
    }
  }
  r->other_lines++;
}

/* }====================================================== */

/* {====================================================== GODEBUG traces */

/* gc 12 @3.014s 2%: 0.021+1.2+0.003 ms clock, 0.17+0.35/1.1/0.94+0.027 ms cpu,
** 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P (forced) */
static int gctrace_line(parser *ps, line l) {
  if (!starts(l, "gc ")) return 0;
  dkg_gc g;
  memset(&g, 0, sizeof g);
  g.heap_start = g.heap_end = g.heap_live = g.goal = g.stacks = g.globals = g.procs = -1;
  long long v;
  line q = skip(l, 3);
  size_t k = read_num(q, &v);
  if (!k) return 0;
  g.n = (long)v;
  q = skip(q, k);
  if (!take(&q, " @")) return 0;
  if (!(k = read_double(q, &g.at_s))) return 0;
  q = skip(q, k);
  if (!take(&q, "s ")) return 0;
  if (!(k = read_num(q, &v))) return 0;
  g.cpu_pct = (long)v;
  q = skip(q, k);
  if (!take(&q, "%: ")) return 0;
  for (int i = 0; i < 3; i++) {
    if (!(k = read_double(q, &g.clock[i]))) return 0;
    q = skip(q, k);
    if (i < 2 && !take(&q, "+")) return 0;
  }
  if (!take(&q, " ms clock, ")) return 0;
  while (g.ncpu < 5 && (k = read_double(q, &g.cpu[g.ncpu])) > 0) {
    g.ncpu++;
    q = skip(q, k);
    if (q.n && (q.p[0] == '+' || q.p[0] == '/')) q = skip(q, 1);
    else break;
  }
  if (!take(&q, " ms cpu, ")) return 0;
  long *heap[3] = {&g.heap_start, &g.heap_end, &g.heap_live};
  for (int i = 0; i < 3; i++) {
    if (!(k = read_num(q, &v))) return 0;
    *heap[i] = (long)v;
    q = skip(q, k);
    if (i < 2 && !take(&q, "->")) return 0;
  }
  if (!take(&q, " MB, ")) return 0;
  /* the remaining ", "-separated items: "5 MB goal", "0 MB stacks", "0 MB globals", "8 P" */
  while (q.n) {
    if (!(k = read_num(q, &v))) break;
    line w = skip(q, k);
    if (starts(w, " MB goal")) g.goal = (long)v;
    else if (starts(w, " MB stacks")) g.stacks = (long)v;
    else if (starts(w, " MB globals")) g.globals = (long)v;
    else if (starts(w, " P")) g.procs = (long)v;
    const char *c = memfind(w.p, w.n, ", ");
    if (!c) {
      q = w;
      break;
    }
    q = skip(w, (size_t)(c - w.p) + 2);
  }
  if (memfind(l.p, l.n, "(forced)")) g.forced = 1;
  g.src_line = ps->lineno;
  dkg_gc *slot = PUSH(ps, ps->r, gc, ngc, cgc);
  if (!slot) return 1;
  *slot = g;
  return 1;
}

/* SCHED 1004ms: gomaxprocs=8 idleprocs=8 threads=12 ... runqueue=0 [0 0 0 0] */
static int schedtrace_line(parser *ps, line l) {
  if (!starts(l, "SCHED ")) return 0;
  long long v;
  line q = skip(l, 6);
  size_t k = read_num(q, &v);
  if (!k || !starts(skip(q, k), "ms: ")) return 0;
  q = skip(q, k + 4);
  dkg_sched *s = PUSH(ps, ps->r, sched, nsched, csched);
  if (!s) return 1;
  memset(s, 0, sizeof *s);
  s->ms = (long)v;
  const char *br = memchr(q.p, '[', q.n);
  line fields = {q.p, br ? (size_t)(br - q.p) : q.n};
  while (fields.n && fields.p[fields.n - 1] == ' ') fields.n--;
  s->fields = span_of(ps, fields);
  if (br) {
    const char *cl = memchr(br, ']', (size_t)(q.p + q.n - br));
    if (cl) s->queues = span_of(ps, (line){br + 1, (size_t)(cl - br - 1)});
  }
  s->src_line = ps->lineno;
  return 1;
}

/* }====================================================== */

/* {====================================================== Top-level lines */

static void set_header(parser *ps, int kind) {
  dkg_result *r = ps->r;
  if (r->kind == DKG_KIND_NONE || r->kind == DKG_KIND_RACE) {
    r->kind = kind;
    if (!r->header_line) r->header_line = ps->lineno;
  }
}

static void panic_line(parser *ps, line l, int nested) {
  dkg_result *r = ps->r;
  line m = skip(l, 7);
  int recovered = 0, repanicked = 0;
  if (ends(m, " [recovered, repanicked]")) {
    recovered = repanicked = 1;
    m.n -= 24;
  } else if (ends(m, " [recovered]")) {
    recovered = 1;
    m.n -= 12;
  }
  dkg_panic *pn = PUSH(ps, r, panics, npanics, cpanics);
  if (!pn) return;
  pn->message = span_of(ps, m);
  pn->recovered = recovered;
  pn->repanicked = repanicked;
  pn->src_line = ps->lineno;
  if (r->kind == DKG_KIND_NONE || r->kind == DKG_KIND_RACE ||
      (r->kind == DKG_KIND_PANIC && (nested || ps->last_header_panic))) {
    int first = r->kind != DKG_KIND_PANIC;
    set_header(ps, DKG_KIND_PANIC);
    /* the value that killed the program is the last of the chain; a
    ** "[recovered, repanicked]" one is re-raised, so it stays the cause */
    if (first || nested || ps->last_header_panic) {
      r->message = pn->message;
      r->index = r->length = -1;
      r->cause = panic_cause(ps, m);
    }
  }
  ps->last_header_panic = 1;
}

static void top_line(parser *ps, line l) {
  dkg_result *r = ps->r;
  int was_panic = ps->last_header_panic;
  ps->last_header_panic = 0;
  if (l.n == 0) {
    ps->last_header_panic = was_panic;
    return;
  }
  char c = l.p[0];
  if (c == 'g') {
    if (goroutine_header(ps, l)) return;
    if (gctrace_line(ps, l)) return;
  } else if (c == 'p' && starts(l, "panic: ")) {
    ps->last_header_panic = was_panic;
    panic_line(ps, l, 0);
    return;
  } else if ((c == '\t' || c == ' ') && was_panic) {
    line t = ltrim(l);
    if (starts(t, "panic: ")) {
      panic_line(ps, t, 1);
      return;
    }
  } else if (c == 'f' && starts(l, "fatal error: ")) {
    line m = skip(l, 13);
    if (r->kind == DKG_KIND_NONE || r->kind == DKG_KIND_RACE || r->kind == DKG_KIND_SIGNAL) {
      r->kind = DKG_KIND_NONE;
      set_header(ps, DKG_KIND_FATAL);
      r->message = span_of(ps, m);
      r->cause = fatal_cause(m);
    }
    return;
  } else if (c == '[' && starts(l, "[signal ") && ends(l, "]")) {
    if (r->has_signal) return;
    line q = {l.p + 8, l.n - 9};
    r->has_signal = 1;
    const char *colon = memchr(q.p, ':', q.n);
    const char *codep = memfind(q.p, q.n, " code=");
    if (colon && (!codep || colon < codep)) {
      r->sig_name = span_of(ps, (line){q.p, (size_t)(colon - q.p)});
      const char *ds = colon + 1, *de = codep ? codep : q.p + q.n;
      while (ds < de && *ds == ' ') ds++;
      r->sig_desc = span_of(ps, (line){ds, (size_t)(de - ds)});
    } else {
      size_t k = hex_len(q);
      if (!k) {
        while (k < q.n && q.p[k] != ' ') k++;
      }
      r->sig_name = span_of(ps, (line){q.p, k});
    }
    static const char *const keys[3] = {" code=", " addr=", " pc="};
    dkg_span *dst[3] = {&r->sig_code, &r->sig_addr, &r->sig_pc};
    for (int i = 0; i < 3; i++) {
      const char *k = memfind(q.p, q.n, keys[i]);
      if (!k) continue;
      line v = {k + strlen(keys[i]), 0};
      while (v.p + v.n < q.p + q.n && v.p[v.n] != ' ') v.n++;
      *dst[i] = span_of(ps, v);
    }
    return;
  } else if (c == 'E' && starts(l, "Exception 0x")) {
    /* Exception 0xc0000005 0x0 0x0 0x7ff... */
    line q = skip(l, 10);
    dkg_span *dst[4] = {&r->exc_code, &r->exc_info0, &r->exc_info1, &r->exc_pc};
    for (int i = 0; i < 4 && q.n; i++) {
      size_t k = hex_len(q);
      if (!k) break;
      *dst[i] = span_of(ps, (line){q.p, k});
      q = ltrim(skip(q, k));
    }
    if (!r->has_exception) {
      r->has_exception = 1;
      if (r->kind == DKG_KIND_NONE || r->kind == DKG_KIND_RACE) {
        set_header(ps, DKG_KIND_EXCEPTION);
        r->message = span_of(ps, l);
        r->cause = "exception";
      }
    }
    ps->want_pc = 1;
    return;
  } else if (c == 'P' && starts(l, "PC=0x") && ps->want_pc) {
    /* PC=0x45ba21 m=0 sigcode=0 (signal dump) or PC=0x... (Exception block) */
    line q = skip(l, 3);
    size_t k = hex_len(q);
    r->dump_pc = span_of(ps, (line){q.p, k});
    if (r->has_exception && r->exc_pc.len == 0) r->exc_pc = r->dump_pc;
    const char *m = memfind(q.p, q.n, " m=");
    if (m) {
      line v = {m + 3, 0};
      while (v.p + v.n < q.p + q.n && v.p[v.n] != ' ') v.n++;
      r->dump_m = span_of(ps, v);
    }
    const char *sc = memfind(q.p, q.n, " sigcode=");
    if (sc) {
      line v = {sc + 9, 0};
      while (v.p + v.n < q.p + q.n && v.p[v.n] != ' ') v.n++;
      r->dump_sigcode = span_of(ps, v);
    }
    ps->want_pc = 0;
    return;
  } else if (c == 'S') {
    if (schedtrace_line(ps, l)) return;
    /* SIGQUIT: quit, SIGABRT: abort, SIGSEGV: segmentation violation */
    size_t k = 3;
    if (starts(l, "SIG")) {
      while (k < l.n && l.p[k] >= 'A' && l.p[k] <= 'Z') k++;
      if (k > 3 && k + 2 <= l.n && l.p[k] == ':' && l.p[k + 1] == ' ') {
        if (!r->has_signal) {
          r->has_signal = 1;
          r->sig_name = span_of(ps, (line){l.p, k});
          r->sig_desc = span_of(ps, skip(l, k + 2));
        }
        if (r->kind == DKG_KIND_NONE || r->kind == DKG_KIND_RACE) {
          set_header(ps, DKG_KIND_SIGNAL);
          r->message = span_of(ps, l);
          r->cause = eq((line){l.p, k}, "SIGQUIT") ? "sigquit" : eq((line){l.p, k}, "SIGABRT") ? "sigabrt" : "signal";
        }
        ps->want_pc = 1;
        return;
      }
    }
  } else if (c == 'r') {
    if (eq(l, "runtime stack:")) {
      runtime_stack_header(ps);
      return;
    }
    if (starts(l, "runtime: ")) {
      dkg_span *s = PUSH(ps, r, runtime_msgs, nruntime_msgs, cruntime_msgs);
      if (!s) return;
      line m = skip(l, 9);
      *s = span_of(ps, m);
      long long v, w;
      size_t k;
      if (starts(m, "out of memory: cannot allocate ") && (k = read_num(skip(m, 31), &v))) {
        r->oom_request = v;
        line q = skip(m, 31 + k);
        if (starts(q, "-byte block (") && read_num(skip(q, 13), &w)) r->oom_in_use = w;
      } else if (starts(m, "goroutine stack exceeds ") && read_num(skip(m, 24), &v)) {
        r->stack_limit = v;
      }
      return;
    }
  } else if (c == 'W' && eq(l, "WARNING: DATA RACE")) {
    race_begin(ps);
    return;
  } else if (c == 'F' && starts(l, "Found ") && ends(l, " data race(s)")) {
    long long v;
    if (read_num(skip(l, 6), &v)) r->races_found = (long)v;
    return;
  } else if (c == 'e' && starts(l, "exit status ")) {
    long long v;
    line q = skip(l, 12);
    int neg = 0;
    if (starts(q, "-")) {
      neg = 1;
      q = skip(q, 1);
    }
    size_t k = read_num(q, &v);
    if (k && k == q.n && v <= 0xFFFFFFFFLL) {
      if (neg) v = -v;
      r->exit_code = (int)(unsigned)v;
      r->exit_code_text = 1;
    }
    return;
  }
  /* register dump: "rax    0x0" (amd64), "r12    0x..." */
  if (l.n >= 5 && l.n < 40 && c >= 'a' && c <= 'z') {
    size_t k = 0;
    while (k < l.n && k < 8 && ((l.p[k] >= 'a' && l.p[k] <= 'z') || isdig(l.p[k]))) k++;
    size_t sp = k;
    while (sp < l.n && l.p[sp] == ' ') sp++;
    if (k >= 2 && sp > k) {
      line v = skip(l, sp);
      size_t h = hex_len(v);
      if (h && h == v.n) {
        dkg_register *rg = PUSH(ps, r, registers, nregisters, cregisters);
        if (!rg) return;
        rg->name = span_of(ps, (line){l.p, k});
        rg->value = span_of(ps, v);
        return;
      }
    }
  }
  r->other_lines++;
}

/* }====================================================== */

/* {====================================================== Classification */

static uint64_t mix(uint64_t h, uint64_t w);
static int span_eq(const char *t, dkg_span a, dkg_span b);

/* The last (up to) 8 bytes of a span as a number. */
static uint64_t tail8(const char *t, dkg_span s) {
  uint64_t w = 0;
  size_t n = s.len < 8 ? s.len : 8;
  memcpy(&w, t + s.off + s.len - n, n);
  return w;
}

/* First path elements of the standard library's packages (go list std). */
static const char *const std_roots[] = {
    "archive", "arena", "bufio", "builtin", "bytes", "cmp", "compress", "container", "context",
    "crypto", "database", "debug", "embed", "encoding", "errors", "expvar", "flag", "fmt", "go",
    "hash", "html", "image", "index", "internal", "io", "iter", "log", "maps", "math", "mime",
    "net", "os", "path", "plugin", "reflect", "regexp", "runtime", "slices", "sort", "strconv",
    "strings", "structs", "sync", "syscall", "testing", "text", "time", "unicode", "unique",
    "unsafe", "vendor", "weak", NULL};

/* The import path of a function name: "net/http.(*conn).serve" -> "net/http". */
static line func_package(line fn) {
  size_t slash = 0;
  for (size_t i = 0; i < fn.n; i++) {
    if (fn.p[i] == '[') break; /* generic arguments */
    if (fn.p[i] == '/') slash = i + 1;
  }
  const char *dot = memchr(fn.p + slash, '.', fn.n - slash);
  if (!dot) return (line){fn.p, 0};
  return (line){fn.p, (size_t)(dot - fn.p)};
}

static int has_prefix_path(line s, const char *pre, size_t n) {
  return n > 0 && s.n >= n && memcmp(s.p, pre, n) == 0 && (s.n == n || s.p[n] == '/' || s.p[n] == '.');
}

int dkg_classify(const char *func, size_t func_len, const char *file, size_t file_len,
                 const char *goroot, size_t goroot_len, int goroot_known, const char *module) {
  line fn = {func, func_len}, fl = {file, file_len};
  line pkg = func_package(fn);
  if (module && *module) {
    size_t mn = strlen(module);
    if (has_prefix_path(pkg, module, mn) || memfind(fl.p, fl.n, module)) return DKG_USER;
  }
  if (pkg.n == 0) return DKG_RUNTIME; /* "panic", "goexit" builtins */
  if (eq(pkg, "runtime") || starts(pkg, "runtime/") || starts(pkg, "internal/runtime")) return DKG_RUNTIME;
  if (eq(pkg, "main")) return DKG_USER;
  if (memfind(fl.p, fl.n, "/pkg/mod/") || memfind(fl.p, fl.n, "/vendor/") || memfind(fl.p, fl.n, "@v"))
    return DKG_DEP;
  if (goroot_known && goroot_len > 0 && fl.n > goroot_len + 5 && memcmp(fl.p, goroot, goroot_len) == 0 &&
      memcmp(fl.p + goroot_len, "/src/", 5) == 0)
    return DKG_STD;
  const char *slash = memchr(pkg.p, '/', pkg.n);
  line first = {pkg.p, slash ? (size_t)(slash - pkg.p) : pkg.n};
  if (memchr(first.p, '.', first.n)) return DKG_USER;
  for (const char *const *s = std_roots; *s; s++)
    if (eq(first, *s)) return DKG_STD;
  return DKG_USER;
}

static void learn_goroot(dkg_result *r, const char *text) {
  for (size_t i = 0; i < r->nframes; i++) {
    dkg_frame *f = &r->frames[i];
    line fn = {text + f->func.off, f->func.len};
    line fl = {text + f->file.off, f->file.len};
    if (!starts(fn, "runtime.") || fl.n == 0) continue;
    const char *s = memfind(fl.p, fl.n, "/src/runtime/");
    if (s) {
      r->goroot.off = f->file.off;
      r->goroot.len = (size_t)(s - fl.p);
      r->goroot_known = 1;
      return;
    }
    if (starts(fl, "runtime/")) { /* -trimpath */
      r->goroot.off = f->file.off;
      r->goroot.len = 0;
      r->goroot_known = 1;
      return;
    }
  }
}

#define MEMO_SIZE 1024

static void classify_all(dkg_result *r, const char *text, const char *module) {
  learn_goroot(r, text);
  const char *gr = text + r->goroot.off;
  /* a direct-mapped memo: big dumps repeat the same frames thousands of times */
  static const size_t none = (size_t)-1;
  size_t memo[MEMO_SIZE];
  for (size_t i = 0; i < MEMO_SIZE; i++) memo[i] = none;
  for (size_t i = 0; i < r->nframes; i++) {
    dkg_frame *f = &r->frames[i];
    /* a cheap key (lengths and the last bytes); the slot is checked in full */
    uint64_t h = mix(f->func.len * 131 + f->file.len, tail8(text, f->func) ^ (tail8(text, f->file) << 1));
    size_t slot = (size_t)(h % MEMO_SIZE);
    size_t j = memo[slot];
    if (j != none && span_eq(text, r->frames[j].func, f->func) && span_eq(text, r->frames[j].file, f->file)) {
      f->cls = r->frames[j].cls;
      continue;
    }
    f->cls = (uint8_t)dkg_classify(text + f->func.off, f->func.len, text + f->file.off, f->file.len, gr,
                                   r->goroot.len, r->goroot_known, module);
    memo[slot] = i;
  }
  for (size_t i = 0; i < r->ngoroutines; i++) {
    dkg_frame *f = &r->goroutines[i].created;
    if (r->goroutines[i].has_created || f->func.len)
      f->cls = (uint8_t)dkg_classify(text + f->func.off, f->func.len, text + f->file.off, f->file.len, gr,
                                     r->goroot.len, r->goroot_known, module);
  }
}

size_t dkg_first_user_frame(const dkg_result *r, size_t first, size_t n) {
  size_t dep = DKG_NONE;
  if (first > r->nframes || n > r->nframes - first) return DKG_NONE;
  for (size_t i = first; i < first + n; i++) {
    if (r->frames[i].cls == DKG_USER) return i;
    if (r->frames[i].cls == DKG_DEP && dep == DKG_NONE) dep = i;
  }
  return dep;
}

/* }====================================================== */

/* {====================================================== Buckets */

/* A word-at-a-time hash: 8 bytes per multiply (byte-wise FNV was the hot
** spot on 100,000-goroutine dumps). */
static uint64_t mix(uint64_t h, uint64_t w) {
  h ^= w;
  h *= 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

static uint64_t fnv(uint64_t h, const char *p, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = mix(h, w);
  }
  uint64_t w = 0;
  for (size_t k = 0; i < n; i++, k++) w |= (uint64_t)(unsigned char)p[i] << (8 * k);
  return mix(h, w ^ ((uint64_t)n << 56));
}

static uint64_t fnv_long(uint64_t h, long v) { return mix(h, (uint64_t)v); }

static uint64_t goroutine_hash(const dkg_result *r, const char *t, const dkg_goroutine *g) {
  uint64_t h = 1469598103934665603ULL;
  h = fnv(h, t + g->state.off, g->state.len);
  h = fnv_long(h, g->locked);
  for (size_t i = g->first_frame; i < g->first_frame + g->nframes; i++) {
    const dkg_frame *f = &r->frames[i];
    h = fnv(h, t + f->func.off, f->func.len);
    h = fnv(h, t + f->file.off, f->file.len);
    h = fnv_long(h, f->line);
  }
  h = fnv(h, t + g->created.func.off, g->created.func.len);
  h = fnv(h, t + g->created.file.off, g->created.file.len);
  h = fnv_long(h, g->created.line);
  return h;
}

static int span_eq(const char *t, dkg_span a, dkg_span b) {
  return a.len == b.len && memcmp(t + a.off, t + b.off, a.len) == 0;
}

static int frame_eq(const char *t, const dkg_frame *a, const dkg_frame *b) {
  return a->line == b->line && span_eq(t, a->func, b->func) && span_eq(t, a->file, b->file);
}

static int same_stack(const dkg_result *r, const char *t, const dkg_goroutine *a, const dkg_goroutine *b) {
  if (a->nframes != b->nframes || a->locked != b->locked || !span_eq(t, a->state, b->state) ||
      !frame_eq(t, &a->created, &b->created))
    return 0;
  for (size_t i = 0; i < a->nframes; i++)
    if (!frame_eq(t, &r->frames[a->first_frame + i], &r->frames[b->first_frame + i])) return 0;
  return 1;
}

static int bucket_cmp(const void *x, const void *y) {
  const dkg_bucket *a = x, *b = y;
  if (a->count != b->count) return a->count > b->count ? -1 : 1;
  return a->rep < b->rep ? -1 : a->rep > b->rep;
}

static int make_buckets(dkg_result *r, const char *t) {
  size_t n = r->ngoroutines;
  if (n == 0) return 0;
  size_t cap = 16;
  while (cap < n * 2) cap *= 2;
  size_t *table = malloc(cap * sizeof *table);
  r->buckets = malloc(n * sizeof *r->buckets);
  r->members = malloc(n * sizeof *r->members);
  size_t *fill = NULL;
  if (!table || !r->buckets || !r->members) goto fail;
  for (size_t i = 0; i < cap; i++) table[i] = DKG_NONE;
  for (size_t i = 0; i < n; i++) {
    dkg_goroutine *g = &r->goroutines[i];
    if (g->id < 0) continue; /* runtime stack sections */
    g->hash = goroutine_hash(r, t, g);
    size_t slot = (size_t)g->hash & (cap - 1);
    for (;;) {
      size_t b = table[slot];
      if (b == DKG_NONE) {
        dkg_bucket *nb = &r->buckets[r->nbuckets];
        nb->rep = i;
        nb->count = 0;
        nb->min_minutes = nb->max_minutes = g->minutes;
        table[slot] = r->nbuckets;
        g->bucket = r->nbuckets++;
        break;
      }
      const dkg_goroutine *rep = &r->goroutines[r->buckets[b].rep];
      if (rep->hash == g->hash && same_stack(r, t, rep, g)) {
        g->bucket = b;
        break;
      }
      slot = (slot + 1) & (cap - 1);
    }
    dkg_bucket *bk = &r->buckets[g->bucket];
    bk->count++;
    if (g->minutes >= 0) {
      if (bk->min_minutes < 0 || g->minutes < bk->min_minutes) bk->min_minutes = g->minutes;
      if (g->minutes > bk->max_minutes) bk->max_minutes = g->minutes;
    }
  }
  free(table);
  table = NULL;
  /* sort by count, then first appearance; remap the goroutines' indexes */
  size_t nb = r->nbuckets;
  qsort(r->buckets, nb, sizeof *r->buckets, bucket_cmp);
  /* a sorted bucket's old index is still in its representative's bucket field */
  size_t *remap = malloc((nb ? nb : 1) * sizeof *remap);
  if (!remap) goto fail;
  for (size_t b = 0; b < nb; b++) remap[r->goroutines[r->buckets[b].rep].bucket] = b;
  fill = calloc(nb ? nb : 1, sizeof *fill);
  if (!fill) {
    free(remap);
    goto fail;
  }
  for (size_t i = 0; i < n; i++)
    if (r->goroutines[i].bucket != DKG_NONE) r->goroutines[i].bucket = remap[r->goroutines[i].bucket];
  free(remap);
  size_t pos = 0;
  for (size_t b = 0; b < nb; b++) {
    r->buckets[b].first_member = pos;
    pos += r->buckets[b].count;
  }
  for (size_t i = 0; i < n; i++) {
    size_t b = r->goroutines[i].bucket;
    if (b == DKG_NONE) continue;
    r->members[r->buckets[b].first_member + fill[b]++] = i;
  }
  free(fill);
  return 0;
fail:
  free(table);
  free(fill);
  return -1;
}

/* }====================================================== */

/* {====================================================== Entry points */

const char *dkg_kind_name(int kind) {
  static const char *const names[] = {"none", "panic", "fatal", "signal", "exception", "race", "dump", "trace"};
  return kind >= 0 && kind <= DKG_KIND_TRACE ? names[kind] : "none";
}

const char *dkg_class_name(int cls) {
  static const char *const names[] = {"user", "dependency", "std", "runtime"};
  return cls >= 0 && cls <= DKG_RUNTIME ? names[cls] : "user";
}

void dkg_free(dkg_result *r) {
  if (!r) return;
  free(r->frames);
  free(r->goroutines);
  free(r->buckets);
  free(r->members);
  free(r->panics);
  free(r->runtime_msgs);
  free(r->races);
  free(r->accesses);
  free(r->race_goroutines);
  free(r->gc);
  free(r->sched);
  free(r->registers);
  memset(r, 0, sizeof *r);
}

static void finish(parser *ps) {
  dkg_result *r = ps->r;
  if (ps->state == S_GOR) {
    dkg_goroutine *g = &r->goroutines[ps->cur];
    if (ps->have_func)
      mark_stop(ps, "input ends after a function line with no file line (truncated goroutine)", ps->pending.src_line,
                ps->pending_off);
    else if (ps->pending_created)
      mark_stop(ps, "input ends inside a 'created by' entry (truncated goroutine)", g->created.src_line, ps->line_off);
    else if (g->nframes == 0 && !g->unavailable)
      mark_stop(ps, "input ends after a goroutine header with no frames", g->src_line, g->src_off);
    ps->have_func = ps->pending_created = 0;
  } else if (ps->state == S_RACE) {
    mark_stop(ps, "input ends inside a race report (no closing ==================)", ps->r->races[r->nraces - 1].src_line,
              ps->line_off);
    ps->have_func = 0;
  }
  if (r->kind == DKG_KIND_NONE) {
    if (r->nraces) r->kind = DKG_KIND_RACE;
    else if (r->ngoroutines) r->kind = DKG_KIND_DUMP;
    else if (r->ngc || r->nsched) r->kind = DKG_KIND_TRACE;
  }
  if (r->kind == DKG_KIND_RACE && !r->cause) r->cause = "data-race";
  if (r->kind == DKG_KIND_DUMP && !r->cause) r->cause = "goroutine-dump";
  if (r->exit_code < 0) {
    if (r->kind == DKG_KIND_PANIC || r->kind == DKG_KIND_FATAL || r->kind == DKG_KIND_EXCEPTION ||
        (r->kind == DKG_KIND_SIGNAL && r->cause && strcmp(r->cause, "sigquit") == 0))
      r->exit_code = 2;
    else if (r->kind == DKG_KIND_RACE && r->races_found > 0)
      r->exit_code = 66;
  }
  if (r->crashed == DKG_NONE && r->header_line) {
    for (size_t i = 0; i < r->ngoroutines; i++)
      if (r->goroutines[i].id >= 0) {
        r->crashed = i;
        break;
      }
  }
}

int dkg_parse(const char *text, size_t len, const dkg_options *opt, dkg_result *out) {
  memset(out, 0, sizeof *out);
  out->crashed = DKG_NONE;
  out->exit_code = -1;
  out->races_found = -1;
  out->oom_request = out->oom_in_use = out->stack_limit = -1;
  out->index = out->length = -1;
  parser ps;
  memset(&ps, 0, sizeof ps);
  ps.text = text ? text : "";
  ps.len = text ? len : 0;
  ps.r = out;
  ps.opt = opt;
  ps.state = S_TOP;
  size_t pos = 0;
  while (pos < ps.len && !ps.oom) {
    const char *start = ps.text + pos;
    const char *nl = memchr(start, '\n', ps.len - pos);
    size_t n = nl ? (size_t)(nl - start) : ps.len - pos;
    line l = {start, n};
    if (l.n && l.p[l.n - 1] == '\r') l.n--;
    ps.lineno++;
    ps.line_off = pos;
    pos += n + (nl ? 1 : 0);
    if (!nl && ps.state == S_GOR) {
      /* the last line has no newline: a dump cut mid-line */
      mark_stop(&ps, "input ends in the middle of a line inside a goroutine block", ps.lineno, ps.line_off);
    }
    if (ps.state == S_GOR) {
      if (l.n == 0) {
        end_block(&ps);
        continue;
      }
      if (goroutine_line(&ps, l)) continue;
      end_block(&ps);
    } else if (ps.state == S_RACE) {
      race_line(&ps, l);
      continue;
    }
    top_line(&ps, l);
  }
  out->lines = ps.lineno;
  if (ps.oom) {
    dkg_free(out);
    return -1;
  }
  finish(&ps);
  classify_all(out, ps.text, opt ? opt->module : NULL);
  if (make_buckets(out, ps.text)) {
    dkg_free(out);
    return -1;
  }
  return 0;
}

/* }====================================================== */
