/* Reading a file or stream to its end, with a cap (see file_read.h). */
#include "file_read.h"

#include <stdlib.h>

int dk_file_read_all(dk_filebuf *f, dk_file_reader rd, void *os, const char *path, uint64_t max, size_t size_hint,
                     int stream, dk_err *e) {
  size_t cap = size_hint ? size_hint + 1 : (size_t)1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  if (!buf) return dk_err_set(e, "ENOMEM", "%s: out of memory", path);
  for (;;) {
    if (n == cap) {
      uint8_t *nb = cap > ((size_t)-1) / 2 ? NULL : realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return dk_err_set(e, "ENOMEM", "%s: out of memory", path);
      }
      buf = nb;
      cap *= 2;
    }
    size_t want = cap - n;
    if (want > max - n + 1) want = (size_t)(max - n + 1); /* one byte past max tells "longer" */
    if (want > (size_t)1 << 30) want = (size_t)1 << 30;
    long k = rd(os, buf + n, want, path, e);
    if (k < 0) {
      free(buf);
      return -1;
    }
    if (k == 0) break;
    n += (size_t)k;
    if (n > max) {
      free(buf);
      return dk_err_set(e, "EFBIG", "%s: %s more than %llu bytes; diagkit reads at most that much", path,
                        stream ? "a stream of" : "a file of", (unsigned long long)max);
    }
  }
  f->data = buf;
  f->size = n;
  f->owned = 1;
  return 0;
}
