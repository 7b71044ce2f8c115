/* The growable string's slow paths (see dk_buf.h). */
#include "dk_buf.h"

#include <stdio.h>
#include <stdlib.h>

int dk_buf_grow(dk_buf *b, size_t extra) {
  if (b->oom) return -1;
  if (extra > SIZE_MAX / 2 - b->len) goto oom;
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (p == NULL) goto oom;
  b->p = p;
  b->cap = cap;
  return 0;
oom:
  b->oom = 1;
  return -1;
}

void dk_buf_vprintf(dk_buf *b, const char *fmt, va_list ap) {
  char tmp[256];
  va_list aq;
  va_copy(aq, ap);
  /* Straight into the buffer when it has room; most texts are short. */
  size_t room = b->oom ? 0 : b->cap - b->len;
  char *dst = room >= sizeof tmp ? b->p + b->len : tmp;
  size_t size = room >= sizeof tmp ? room : sizeof tmp;
  int n = vsnprintf(dst, size, fmt, aq);
  va_end(aq);
  if (n <= 0) return; /* nothing, or an encoding error: nothing appended */
  if ((size_t)n < size) {
    if (dst == tmp) {
      dk_buf_add(b, tmp, (size_t)n);
    } else {
      b->len += (size_t)n; /* vsnprintf wrote the terminator */
    }
    return;
  }
  if (dk_buf_reserve(b, (size_t)n) != 0) return;
  vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  b->len += (size_t)n;
}

void dk_buf_printf(dk_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dk_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

void dk_buf_u64(dk_buf *b, uint64_t v) {
  char t[20];
  size_t i = sizeof t;
  do {
    t[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  dk_buf_add(b, t + i, sizeof t - i);
}

void dk_buf_i64(dk_buf *b, int64_t v) {
  if (v < 0) {
    dk_buf_addc(b, '-');
    dk_buf_u64(b, (uint64_t)0 - (uint64_t)v);
  } else {
    dk_buf_u64(b, (uint64_t)v);
  }
}

void dk_buf_hex(dk_buf *b, uint64_t v) {
  char t[18];
  size_t i = sizeof t;
  do {
    t[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  t[--i] = 'x';
  t[--i] = '0';
  dk_buf_add(b, t + i, sizeof t - i);
}

void dk_buf_free(dk_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
}

char *dk_buf_take(dk_buf *b) {
  char *s = b->p;
  if (b->oom) {
    free(s);
    s = NULL;
  } else if (s == NULL) {
    s = calloc(1, 1);
  }
  b->p = NULL;
  b->len = b->cap = 0;
  b->oom = 0;
  return s;
}
