/*
** diagkit.gocrash core: what the Go runtime prints when a program dies,
** parsed from bytes. Plain C, no Lua (cmocka tests it, libFuzzer fuzzes it).
**
** One pass over the text, line by line (LF or CRLF, any bytes, no line-length
** limit). It recognises panic / fatal error headers and chains, [signal ...]
** lines (Unix names and Windows exception codes), the Windows
** "Exception 0x... / PC=" block, SIGQUIT-style dumps, "runtime: ..." lines,
** goroutine blocks (every header form from Go 1.17 to current), race reports,
** gctrace and schedtrace lines, register dumps and the `go run` "exit status"
** line. Everything else is counted as other text and skipped, so program
** output interleaved anywhere does not stop the parse. Truncated input parses
** as far as it goes; the result says where it stopped and why.
**
** Strings in the result are spans (offset, length) into the caller's input,
** which must outlive the result. Frames are classified as user, dependency,
** standard library or runtime; goroutines are bucketed by identical stacks
** (state, function + file + line of every frame, creator), in O(n) with a hash.
*/
#ifndef DK_GOCRASH_H
#define DK_GOCRASH_H

#include <stddef.h>
#include <stdint.h>

#define DKG_NONE ((size_t)-1)

typedef struct dkg_span {
  size_t off, len;
} dkg_span;

typedef enum dkg_kind {
  DKG_KIND_NONE,      /* nothing Go-specific found */
  DKG_KIND_PANIC,     /* panic: ... */
  DKG_KIND_FATAL,     /* fatal error: ... */
  DKG_KIND_SIGNAL,    /* SIGQUIT: quit / SIGABRT: abort dump */
  DKG_KIND_EXCEPTION, /* Windows Exception 0x... block */
  DKG_KIND_RACE,      /* race reports, no panic */
  DKG_KIND_DUMP,      /* goroutine dump with no header (debug=2, truncated head) */
  DKG_KIND_TRACE      /* only gctrace / schedtrace lines */
} dkg_kind;

typedef enum dkg_class { DKG_USER, DKG_DEP, DKG_STD, DKG_RUNTIME } dkg_class;

typedef struct dkg_frame {
  dkg_span func, args, file;
  long line;          /* 0 when the file line had none */
  long long pc_off;   /* the +0x offset, -1 when absent (inlined frames) */
  size_t src_line;    /* 1-based input line of the function line */
  uint8_t cls;        /* dkg_class */
} dkg_frame;

typedef struct dkg_goroutine {
  long long id;             /* -1 for a "runtime stack:" section */
  dkg_span state;           /* "chan receive", "running", ... */
  dkg_span extra;           /* the rest inside [...] after the state, e.g. ", 12 minutes" */
  long minutes;             /* -1 when not printed */
  int locked;               /* ", locked to thread" */
  int unavailable;          /* "goroutine running on other thread; stack unavailable" */
  long elided;              /* 0 none, N for "...N frames elided...", -1 "additional frames" */
  size_t first_frame, nframes;
  int has_created;
  dkg_frame created;        /* created by F (func, file, line) */
  long long parent;         /* "in goroutine N" (Go 1.21+), -1 otherwise */
  size_t src_line;          /* line of the header */
  size_t src_off;           /* byte offset of the header */
  size_t bucket;            /* index into buckets, DKG_NONE for runtime stacks */
  uint64_t hash;
} dkg_goroutine;

typedef struct dkg_bucket {
  size_t rep;          /* representative goroutine (the first seen) */
  size_t count;
  size_t first_member; /* into members[] */
  long min_minutes, max_minutes;
} dkg_bucket;

typedef struct dkg_panic {
  dkg_span message;
  int recovered, repanicked;
  size_t src_line;
} dkg_panic;

typedef struct dkg_race_access {
  int write, previous, main_goroutine;
  long long goroutine;
  dkg_span addr;
  size_t first_frame, nframes, src_line;
} dkg_race_access;

typedef struct dkg_race_goroutine {
  long long id;
  dkg_span state;
  size_t first_frame, nframes, src_line;
} dkg_race_goroutine;

typedef struct dkg_race {
  size_t src_line;
  size_t first_access, naccess;
  size_t first_goroutine, ngoroutine;
  int complete; /* closing ================== seen */
} dkg_race;

typedef struct dkg_gc {
  long n;
  double at_s;
  long cpu_pct;
  double clock[3];
  double cpu[5]; /* assist, background, idle split of the middle term */
  int ncpu;
  long heap_start, heap_end, heap_live, goal, stacks, globals, procs; /* MB; -1 absent */
  int forced;
  size_t src_line;
} dkg_gc;

typedef struct dkg_sched {
  long ms;
  dkg_span fields; /* "gomaxprocs=8 idleprocs=8 ..." up to the bracket */
  dkg_span queues; /* inside [...] */
  size_t src_line;
} dkg_sched;

typedef struct dkg_register {
  dkg_span name, value;
} dkg_register;

typedef struct dkg_options {
  const char *module; /* import path of the user's module (optional): frames under it are user frames */
} dkg_options;

typedef struct dkg_result {
  int kind;                  /* dkg_kind */
  const char *cause;         /* static string: "nil-pointer", "deadlock", ...; NULL when none */
  dkg_span message;          /* message of the last panic in a chain, or the fatal error text */
  size_t header_line;        /* line of the first panic/fatal/signal header, 0 when none */

  int has_signal;
  dkg_span sig_name, sig_desc, sig_code, sig_addr, sig_pc;
  int has_exception;
  dkg_span exc_code, exc_info0, exc_info1, exc_pc;
  dkg_span dump_pc, dump_m, dump_sigcode; /* PC=... m=... sigcode=... */

  long long oom_request, oom_in_use; /* runtime: out of memory: cannot allocate N-byte block (M in use); -1 */
  long long stack_limit;             /* runtime: goroutine stack exceeds N-byte limit; -1 */
  long index, length;                /* index out of range [i] with length n; -1 */

  int exit_code;        /* -1 unknown */
  int exit_code_text;   /* 1: from an "exit status N" line; 0: inferred from the kind */
  long races_found;     /* Found N data race(s); -1 */
  size_t crashed;       /* goroutine index of the triggering goroutine, DKG_NONE */
  dkg_span goroot;      /* learnt from runtime frames; len 0 with trimpath */
  int goroot_known;

  int truncated;
  const char *stop_reason; /* static string, NULL when the input ended cleanly */
  size_t stop_line, stop_off;
  size_t lines, other_lines;

  dkg_frame *frames;          size_t nframes, cframes;
  dkg_goroutine *goroutines;  size_t ngoroutines, cgoroutines;
  dkg_bucket *buckets;        size_t nbuckets;
  size_t *members;            /* goroutine indexes grouped by bucket */
  dkg_panic *panics;          size_t npanics, cpanics;
  dkg_span *runtime_msgs;     size_t nruntime_msgs, cruntime_msgs;
  dkg_race *races;            size_t nraces, craces;
  dkg_race_access *accesses;  size_t naccesses, caccesses;
  dkg_race_goroutine *race_goroutines; size_t nrace_goroutines, crace_goroutines;
  dkg_gc *gc;                 size_t ngc, cgc;
  dkg_sched *sched;           size_t nsched, csched;
  dkg_register *registers;    size_t nregisters, cregisters;
} dkg_result;

/* Parses len bytes of text. Returns 0, or -1 when memory ran out (out is then
** freed and zeroed). The result points into text. */
int dkg_parse(const char *text, size_t len, const dkg_options *opt, dkg_result *out);
void dkg_free(dkg_result *r);

const char *dkg_kind_name(int kind);
const char *dkg_class_name(int cls);

/* Class of a frame given its function and file (with the GOROOT learnt from a
** parse, or len 0), for callers that hold frames from elsewhere. */
int dkg_classify(const char *func, size_t func_len, const char *file, size_t file_len,
                 const char *goroot, size_t goroot_len, int goroot_known, const char *module);

/* Index of the first user frame of frames[first, first+n), else the first
** dependency frame, else DKG_NONE. */
size_t dkg_first_user_frame(const dkg_result *r, size_t first, size_t n);

#endif
