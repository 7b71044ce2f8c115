/*
** diagkit.log core: files of any size as bytes, lines, and PCRE2 matching.
** Plain C (no Lua): cmocka tests it directly.
**
**   dkl_gunzip   a gzip-compressed file inflated in memory (the file itself is
**                a dk_filebuf: mapped, or read when it is a pipe).
**   dkl_line_*   lines of a buffer: LF or CRLF, no length limit, any bytes.
**   dkl_rx_*     a compiled PCRE2 pattern (JIT when available) and matching
**                with match/depth/heap limits.
**   dkl_scan     many patterns over every line in one pass.
*/
#ifndef DK_LOG_H
#define DK_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "dk_file.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* {=========== gzip (log_gzip.c) */

/* Log files are dk_filebuf (modules/support/dk_file.h), opened with
** DK_FILE_SEQUENTIAL | DK_FILE_STREAMS: logs are read front to back and may
** come from pipes. */

/* 1 when the bytes start with the gzip magic (1f 8b). */
int dkl_is_gzip(const dk_filebuf *f);
/* Replaces the bytes of a gzip file by its inflated bytes (an owned buffer,
** dk_file_replace), all members in order, at most max_out bytes. Returns 0,
** or a code ("EINVAL" corrupt or truncated, "EFBIG" over max_out, "ENOMEM",
** "ENOTSUP" built without zlib) with a message naming the byte offset; f is
** then unchanged. */
const char *dkl_gunzip(dk_filebuf *f, const char *path, size_t max_out, char *msg, size_t msg_size);

/* }=========== */

/* {=========== lines */

/* The line starting at *pos: sets *start and *len (without the LF and a CR just
** before it) and moves *pos past the line end. Returns 0 at the end. */
int dkl_next_line(const char *buf, size_t size, size_t *pos, size_t *start, size_t *len);

/* Offset of the first of the last n lines of buf (a final line without LF
** counts as a line). */
size_t dkl_tail_start(const char *buf, size_t size, size_t n);

/* }=========== */

/* {=========== regular expressions */

#define DKL_CASELESS 0x01u
#define DKL_MULTILINE 0x02u
#define DKL_DOTALL 0x04u
#define DKL_EXTENDED 0x08u
#define DKL_UTF 0x10u
#define DKL_UNGREEDY 0x20u
#define DKL_ANCHORED 0x40u
#define DKL_NO_AUTO_CAPTURE 0x80u

/* Letters (i m s x u U a n) -> DKL_* bits; returns -1 on an unknown letter. */
long dkl_parse_flags(const char *letters, size_t n);

typedef struct dkl_rx {
  pcre2_code *code;
  pcre2_match_data *md;
  uint32_t ncap;      /* number of capture groups */
  int jit;            /* JIT compiled */
} dkl_rx;

/* Limits for every match (see playbook-framework b.4). */
typedef struct dkl_limits {
  uint32_t match;  /* pcre2_set_match_limit */
  uint32_t depth;  /* pcre2_set_depth_limit */
  uint32_t heap;   /* pcre2_set_heap_limit, KiB */
} dkl_limits;

/* A match context with limits and a JIT stack; one per host. */
typedef struct dkl_mctx {
  pcre2_match_context *mc;
  pcre2_jit_stack *js;
} dkl_mctx;

int dkl_mctx_init(dkl_mctx *c, const dkl_limits *lim);
void dkl_mctx_set_limits(dkl_mctx *c, const dkl_limits *lim);
void dkl_mctx_free(dkl_mctx *c);

/* Compiles; on failure returns -1 and fills msg and *err_offset. */
int dkl_rx_compile(dkl_rx *rx, const char *pattern, size_t len, unsigned flags, char *msg, size_t msg_size,
                   size_t *err_offset);
void dkl_rx_free(dkl_rx *rx);

/* Matches at or after start. Returns the number of ovector pairs set (>0),
** 0 for no match, or a negative PCRE2 error (limits, bad UTF). The offsets are
** in dkl_rx_ovector(rx); an unset group has PCRE2_UNSET. */
int dkl_rx_exec(const dkl_rx *rx, const dkl_mctx *c, const char *s, size_t len, size_t start, uint32_t opts);
const size_t *dkl_rx_ovector(const dkl_rx *rx);
void dkl_rx_error(int code, char *msg, size_t msg_size);

/* }=========== */

/* {=========== multi-pattern scan */

/* Called for each (line, pattern) match. Return nonzero to stop the scan. */
typedef int (*dkl_scan_fn)(void *ud, size_t pattern, size_t lineno, size_t line_off, const char *line, size_t len,
                           const dkl_rx *rx, int rc);

typedef struct dkl_scan_stats {
  size_t lines, bytes;
  int error;           /* a negative PCRE2 code that stopped the scan, 0 otherwise */
  size_t error_line, error_pattern;
} dkl_scan_stats;

/* Runs every pattern over every line of buf in one pass. Returns 0, 1 when
** the callback stopped it, or -1 when a match failed (stats->error). */
int dkl_scan(const char *buf, size_t size, dkl_rx *const *rx, size_t nrx, const dkl_mctx *c, dkl_scan_fn fn,
             void *ud, dkl_scan_stats *stats);

/* }=========== */

#endif
