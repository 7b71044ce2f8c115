/*
** diagkit.log core: lines, PCRE2 compile/match with limits, multi-pattern
** scan. The OS halves (log_posix.c, log_win32.c) only map files.
*/
#include "log.h"

#include <stdio.h>
#include <string.h>

/* {=========== lines */

int dkl_next_line(const char *buf, size_t size, size_t *pos, size_t *start, size_t *len) {
  size_t p = *pos;
  if (p >= size) return 0;
  const char *nl = memchr(buf + p, '\n', size - p);
  size_t end = nl ? (size_t)(nl - buf) : size;
  *start = p;
  *len = end - p;
  if (nl && *len > 0 && buf[end - 1] == '\r') (*len)--;
  *pos = nl ? end + 1 : size;
  return 1;
}

size_t dkl_tail_start(const char *buf, size_t size, size_t n) {
  if (n == 0 || size == 0) return size;
  size_t p = size;
  if (buf[p - 1] == '\n') p--; /* the final LF ends the last line */
  while (p > 0) {
    if (buf[p - 1] == '\n') {
      if (--n == 0) return p;
    }
    p--;
  }
  return 0;
}

/* }=========== */

/* {=========== regular expressions */

long dkl_parse_flags(const char *letters, size_t n) {
  long f = 0;
  for (size_t i = 0; i < n; i++) {
    switch (letters[i]) {
      case 'i': f |= DKL_CASELESS; break;
      case 'm': f |= DKL_MULTILINE; break;
      case 's': f |= DKL_DOTALL; break;
      case 'x': f |= DKL_EXTENDED; break;
      case 'u': f |= DKL_UTF; break;
      case 'U': f |= DKL_UNGREEDY; break;
      case 'a': f |= DKL_ANCHORED; break;
      case 'n': f |= DKL_NO_AUTO_CAPTURE; break;
      default: return -1;
    }
  }
  return f;
}

static uint32_t pcre2_options(unsigned flags) {
  uint32_t o = 0;
  if (flags & DKL_CASELESS) o |= PCRE2_CASELESS;
  if (flags & DKL_MULTILINE) o |= PCRE2_MULTILINE;
  if (flags & DKL_DOTALL) o |= PCRE2_DOTALL;
  if (flags & DKL_EXTENDED) o |= PCRE2_EXTENDED;
  if (flags & DKL_UTF) o |= PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF;
  if (flags & DKL_UNGREEDY) o |= PCRE2_UNGREEDY;
  if (flags & DKL_ANCHORED) o |= PCRE2_ANCHORED;
  if (flags & DKL_NO_AUTO_CAPTURE) o |= PCRE2_NO_AUTO_CAPTURE;
  return o;
}

int dkl_mctx_init(dkl_mctx *c, const dkl_limits *lim) {
  c->mc = pcre2_match_context_create(NULL);
  c->js = NULL;
  if (!c->mc) return -1;
  /* a 1 MiB JIT stack instead of the 32 KiB default; absent JIT, NULL */
  c->js = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
  if (c->js) pcre2_jit_stack_assign(c->mc, NULL, c->js);
  dkl_mctx_set_limits(c, lim);
  return 0;
}

void dkl_mctx_set_limits(dkl_mctx *c, const dkl_limits *lim) {
  pcre2_set_match_limit(c->mc, lim->match);
  pcre2_set_depth_limit(c->mc, lim->depth);
  pcre2_set_heap_limit(c->mc, lim->heap);
}

void dkl_mctx_free(dkl_mctx *c) {
  if (c->js) pcre2_jit_stack_free(c->js);
  if (c->mc) pcre2_match_context_free(c->mc);
  c->js = NULL;
  c->mc = NULL;
}

int dkl_rx_compile(dkl_rx *rx, const char *pattern, size_t len, unsigned flags, char *msg, size_t msg_size,
                   size_t *err_offset) {
  int code = 0;
  PCRE2_SIZE off = 0;
  memset(rx, 0, sizeof *rx);
  rx->code = pcre2_compile((PCRE2_SPTR)pattern, len, pcre2_options(flags), &code, &off, NULL);
  if (!rx->code) {
    dkl_rx_error(code, msg, msg_size);
    *err_offset = off;
    return -1;
  }
  /* JIT where the library has it; quietly the interpreter otherwise */
  rx->jit = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE) == 0;
  rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
  if (!rx->md) {
    pcre2_code_free(rx->code);
    rx->code = NULL;
    snprintf(msg, msg_size, "not enough memory");
    *err_offset = 0;
    return -1;
  }
  pcre2_pattern_info(rx->code, PCRE2_INFO_CAPTURECOUNT, &rx->ncap);
  return 0;
}

void dkl_rx_free(dkl_rx *rx) {
  if (rx->md) pcre2_match_data_free(rx->md);
  if (rx->code) pcre2_code_free(rx->code);
  rx->md = NULL;
  rx->code = NULL;
}

int dkl_rx_exec(const dkl_rx *rx, const dkl_mctx *c, const char *s, size_t len, size_t start, uint32_t opts) {
  if (start > len) return 0;
  int rc;
  if (rx->jit && opts == 0)
    rc = pcre2_jit_match(rx->code, (PCRE2_SPTR)s, len, start, 0, rx->md, c ? c->mc : NULL);
  else
    rc = pcre2_match(rx->code, (PCRE2_SPTR)s, len, start, opts, rx->md, c ? c->mc : NULL);
  if (rc == PCRE2_ERROR_NOMATCH) return 0;
  if (rc == 0) return (int)rx->ncap + 1; /* ovector too small: cannot happen with from_pattern */
  return rc;
}

const size_t *dkl_rx_ovector(const dkl_rx *rx) { return pcre2_get_ovector_pointer(rx->md); }

void dkl_rx_error(int code, char *msg, size_t msg_size) {
  if (msg_size == 0) return;
  if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, msg_size) < 0) snprintf(msg, msg_size, "PCRE2 error %d", code);
}

/* }=========== */

/* {=========== scan */

int dkl_scan(const char *buf, size_t size, dkl_rx *const *rx, size_t nrx, const dkl_mctx *c, dkl_scan_fn fn,
             void *ud, dkl_scan_stats *stats) {
  size_t pos = 0, start, len, lineno = 0;
  memset(stats, 0, sizeof *stats);
  while (dkl_next_line(buf, size, &pos, &start, &len)) {
    lineno++;
    const char *line = buf + start;
    for (size_t k = 0; k < nrx; k++) {
      int rc = dkl_rx_exec(rx[k], c, line, len, 0, 0);
      if (rc == 0) continue;
      if (rc < 0) {
        stats->lines = lineno;
        stats->bytes = pos;
        stats->error = rc;
        stats->error_line = lineno;
        stats->error_pattern = k;
        return -1;
      }
      if (fn(ud, k, lineno, start, line, len, rx[k], rc)) {
        stats->lines = lineno;
        stats->bytes = pos;
        return 1;
      }
    }
  }
  stats->lines = lineno;
  stats->bytes = size;
  return 0;
}

/* }=========== */
