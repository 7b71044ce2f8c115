/*
** diagkit.trace core: file-access traces, parsed from bytes into one event
** shape whatever recorded them. Plain C, no Lua (cmocka tests it, libFuzzer
** fuzzes it).
**
**   strace   `strace -f -tt -y -e trace=file,process,desc -o FILE` output
**            (also without -f, -tt or -y): one event per system call, the
**            `<unfinished ...>` / `<... X resumed>` halves of an interleaved
**            call joined into one, signals and exits as events of their own.
**   procmon  Process Monitor's "Save as CSV" (UTF-8 with BOM): one event per
**            row, the columns found by their header names.
**
** Events are handed to a callback one at a time (nothing is kept, so a
** 100 MB log costs no memory beyond the caller's). Text fields are spans
** into the caller's buffer, except decoded paths, which strace escapes and
** CSV quotes: those are NUL-terminated copies owned by the parser and valid
** until the callback returns.
*/
#ifndef DK_TRACE_H
#define DK_TRACE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dkt_span {
  size_t off, len;
} dkt_span;

typedef enum dkt_kind {
  DKT_SYSCALL, /* a system call (strace) or an operation (procmon) */
  DKT_SIGNAL,  /* --- SIGCHLD {...} --- */
  DKT_EXIT,    /* +++ exited with N +++ */
  DKT_KILLED   /* +++ killed by SIGSEGV (core dumped) +++ */
} dkt_kind;

typedef struct dkt_event {
  dkt_kind kind;
  size_t line;         /* 1-based line of the input (the resumed half for joined calls) */
  long long pid;       /* -1 when the input has none */
  dkt_span time;       /* as written: 04:23:53.010226, or procmon's 7:19:37.0147934 AM */
  dkt_span call;       /* syscall name, procmon Operation, or the signal name */
  const char *path;    /* first path argument, decoded; NULL when the call has none */
  const char *path2;   /* second path (rename, link, symlink target), or NULL */
  const char *dir;     /* strace -y: the directory a relative path is relative to */
  const char *fd_path; /* strace -y: what the returned descriptor names */
  int has_result;      /* strace: result holds the return value */
  long long result;    /* strace: return value (-1 on failure) */
  dkt_span status;     /* strace: errno name (ENOENT); procmon: Result (NAME NOT FOUND) */
  dkt_span message;    /* strace: (No such file or directory); procmon: Detail */
  dkt_span process;    /* procmon: Process Name */
  int has_exit;        /* an exit status is known (strace +++ exited, procmon Process Exit) */
  long long exit_code;
  int core_dumped;     /* +++ killed by SIG (core dumped) +++ */
  int incomplete;      /* the input ended inside this call (no result) */
} dkt_event;

/* Return non-zero to stop the parse (it then returns DKT_STOPPED). */
typedef int (*dkt_event_fn)(void *ud, const dkt_event *e);

typedef struct dkt_stats {
  size_t lines;       /* lines read */
  size_t events;      /* events handed to the callback */
  size_t skipped;     /* lines that were not a recognised event */
  size_t first_skipped; /* line number of the first of them (0: none) */
  size_t unmatched;   /* <... resumed> with no unfinished half, or halves never resumed */
} dkt_stats;

enum { DKT_OK = 0, DKT_STOPPED = 1, DKT_ERROR = -1 };

/* Parses strace output. Lines that are not events (strace's own notices,
** program output mixed in) are skipped and counted. Returns DKT_ERROR with
** a message when nothing in a non-empty input looks like strace. */
int dkt_parse_strace(const char *buf, size_t len, dkt_event_fn fn, void *ud, dkt_stats *st, char *err,
                     size_t err_size);

/* Parses a Process Monitor CSV export. Returns DKT_ERROR with a message
** naming the line and byte offset for a missing header column, a row with
** an unterminated quote or too few fields. */
int dkt_parse_procmon_csv(const char *buf, size_t len, dkt_event_fn fn, void *ud, dkt_stats *st, char *err,
                          size_t err_size);

#endif
