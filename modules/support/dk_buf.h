/*
** A growable string: the one text builder of the parsers (evtx's XML and JSON
** writer, Procmon details, the registry's .reg export and parser, SDDL).
**
**   dk_buf b = {0};
**   dk_buf_adds(&b, "S-1-");
**   dk_buf_u64(&b, 5);
**   if (b.oom) ... ;          one check at the end
**   char *s = dk_buf_take(&b); or dk_buf_free(&b)
**
** The text is always NUL-terminated once anything was added (p is NULL before).
** Running out of memory sets oom, which is sticky: every later append does
** nothing, until dk_buf_free or dk_buf_take. The appends are inline: the fast
** path is a compare and a copy, growth is out of line (buf.c).
*/
#ifndef DK_BUF_H
#define DK_BUF_H

#include "dk_err.h" /* DK_PRINTF; first, for mingw-w64's C99 printf */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dk_text.h"

typedef struct dk_buf {
  char *p;          /* the text, terminated; NULL until something is added */
  size_t len, cap;  /* cap: bytes allocated at p */
  int oom;          /* sticky: memory ran out, appends are dropped */
} dk_buf;

/* Out of line: grows b for extra more bytes and a terminator; 0, or -1 with oom set. */
int dk_buf_grow(dk_buf *b, size_t extra);

/* Room for extra more bytes after len, and a terminator after them: 0, or -1
** (out of memory). Callers that then write into p + len themselves end with
** len += k and p[len] = '\0'. */
static inline int dk_buf_reserve(dk_buf *b, size_t extra) {
  if (extra < b->cap - b->len && !b->oom) return 0; /* cap is 0 while empty */
  return dk_buf_grow(b, extra);
}

static inline void dk_buf_add(dk_buf *b, const void *s, size_t n) {
  if (dk_buf_reserve(b, n) != 0) return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static inline void dk_buf_adds(dk_buf *b, const char *s) { dk_buf_add(b, s, strlen(s)); }

static inline void dk_buf_addc(dk_buf *b, char c) {
  if (dk_buf_reserve(b, 1) != 0) return;
  b->p[b->len++] = c;
  b->p[b->len] = '\0';
}

/* nbytes of UTF-16LE appended as UTF-8 (dk_utf16le_to_utf8: lossy, flags such
** as DK_UTF16_STOP_NUL); never truncated. */
static inline void dk_buf_utf16le(dk_buf *b, const uint8_t *in, size_t nbytes, unsigned flags) {
  size_t need = DK_UTF16_UTF8_MAX(nbytes); /* the terminator included: 1 more than needed */
  if (dk_buf_reserve(b, need) != 0) return;
  b->len += dk_utf16le_to_utf8(in, nbytes, flags, b->p + b->len, b->cap - b->len);
}

/* Formatted text, of any length. */
void dk_buf_printf(dk_buf *b, const char *fmt, ...) DK_PRINTF(2, 3);
void dk_buf_vprintf(dk_buf *b, const char *fmt, va_list ap) DK_PRINTF(2, 0);

/* Numbers without printf: decimal, and hexadecimal as "0x1f" (lowercase, no padding). */
void dk_buf_u64(dk_buf *b, uint64_t v);
void dk_buf_i64(dk_buf *b, int64_t v);
void dk_buf_hex(dk_buf *b, uint64_t v);

/* Empties b, keeping its memory (and oom). */
static inline void dk_buf_clear(dk_buf *b) {
  b->len = 0;
  if (b->cap) b->p[0] = '\0';
}

/* Frees the memory and resets b to {0}. */
void dk_buf_free(dk_buf *b);

/* The text, for the caller to free(): "" (allocated) when nothing was added,
** NULL when memory ran out (the partial text is freed). b is reset to {0}. */
char *dk_buf_take(dk_buf *b);

#endif
