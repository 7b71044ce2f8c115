/*
** modules/support text conversions on arbitrary bytes: decoding UTF-16LE never
** writes past its buffer or splits a character, always yields valid UTF-8,
** and valid UTF-16 survives the way back unchanged.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  size_t cap = (size_t)data[0] % 64; /* small buffers exercise truncation */
  data++, size--;
  size_t full = DK_UTF16_UTF8_MAX(size);
  char *out = malloc(full);
  uint8_t *back = malloc(size + 4);
  if (!out || !back) abort();
  for (unsigned flags = 0; flags <= DK_UTF16_STOP_NUL; flags++) {
    size_t n = dk_utf16le_to_utf8(data, size, flags, out, full);
    if (n >= full || out[n] != '\0') abort();
    /* the output is valid UTF-8: it converts back without error */
    size_t m = dk_utf8_to_utf16le(out, n, back, size + 4);
    if (m == (size_t)-1) abort();
    if (!flags && dk_utf16le_valid(data, size) && (m != (size & ~(size_t)1) || memcmp(back, data, m) != 0)) abort();
    if (cap) {
      char *small = malloc(cap);
      if (!small) abort();
      size_t k = dk_utf16le_to_utf8(data, size, flags, small, cap);
      if (k >= cap || small[k] != '\0' || memcmp(small, out, k) != 0) abort();
      if (k > 0 && dk_utf8_to_utf16le(small, k, back, size + 4) == (size_t)-1) abort(); /* no half character */
      free(small);
    }
  }
  /* arbitrary bytes as UTF-8: refused or converted, never out of bounds */
  dk_utf8_to_utf16le((const char *)data, size, back, size + 4);
  size_t l = dk_latin1_to_utf8(data, size, out, full);
  if (l >= full) abort();
  free(out);
  free(back);
  return 0;
}
