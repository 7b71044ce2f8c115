/* UTF-16LE <-> UTF-8 for the parsers (see dk_text.h). */
#include "dk_text.h"

#include <stdlib.h>

#include "dk_bytes.h"

size_t dk_utf8_put(char *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (char)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (char)(0xC0 | c >> 6);
    o[1] = (char)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | c >> 12);
    o[1] = (char)(0x80 | (c >> 6 & 0x3F));
    o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | c >> 18);
  o[1] = (char)(0x80 | (c >> 12 & 0x3F));
  o[2] = (char)(0x80 | (c >> 6 & 0x3F));
  o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

size_t dk_utf16le_to_utf8(const uint8_t *in, size_t nbytes, unsigned flags, char *out, size_t cap) {
  if (cap == 0) return 0;
  const int stop_nul = (flags & DK_UTF16_STOP_NUL) != 0;
  /* cap >= DK_UTF16_UTF8_MAX(nbytes), without overflow: nothing can be cut,
  ** so no check per character, and runs of ASCII are copied 4 units at once. */
  const int room = nbytes / 2 <= (cap - 1) / 3;
  size_t n = 0, i = 0;
  while (i + 1 < nbytes) {
    if (room) {
      while (i + 8 <= nbytes) {
        uint64_t w = dk_rd64le(in + i);
        if (w & 0xFF80FF80FF80FF80u) break; /* a unit >= 0x80 */
        /* a NUL unit: units < 0x80 plus 0x7FFF set bit 15 exactly when not 0 */
        if (stop_nul && ((w + 0x7FFF7FFF7FFF7FFFu) & 0x8000800080008000u) != 0x8000800080008000u) break;
        out[n] = (char)w;
        out[n + 1] = (char)(w >> 16);
        out[n + 2] = (char)(w >> 32);
        out[n + 3] = (char)(w >> 48);
        n += 4;
        i += 8;
      }
      if (i + 1 >= nbytes) break;
    }
    uint32_t c = dk_rd16le(in + i);
    if (c < 0x80) {
      if (c == 0 && stop_nul) break;
      if (!room && n + 1 >= cap) break;
      out[n++] = (char)c;
      i += 2;
      continue;
    }
    size_t units = 1;
    if (c >= 0xD800 && c <= 0xDBFF && i + 3 < nbytes) {
      uint32_t d = dk_rd16le(in + i + 2);
      if (d >= 0xDC00 && d <= 0xDFFF) {
        c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
        units = 2;
      } else {
        c = 0xFFFD;
      }
    } else if (c >= 0xD800 && c <= 0xDFFF) {
      c = 0xFFFD;
    }
    /* 3 bytes per unit always fits DK_UTF16_UTF8_MAX (4 bytes take 2 units). */
    if (!room && n + (c < 0x800 ? 2 : c < 0x10000 ? 3 : 4) >= cap) break;
    n += dk_utf8_put(out + n, c);
    i += 2 * units;
  }
  out[n] = '\0';
  return n;
}

char *dk_utf16le_to_utf8_alloc(const uint8_t *in, size_t nbytes, unsigned flags, size_t *outlen) {
  size_t cap = DK_UTF16_UTF8_MAX(nbytes);
  char *o = malloc(cap);
  if (!o) return NULL;
  size_t n = dk_utf16le_to_utf8(in, nbytes, flags, o, cap);
  if (outlen) *outlen = n;
  return o;
}

int dk_utf16le_valid(const uint8_t *in, size_t nbytes) {
  for (size_t i = 0; i + 1 < nbytes; i += 2) {
    uint32_t c = dk_rd16le(in + i);
    if (c >= 0xDC00 && c <= 0xDFFF) return 0;
    if (c >= 0xD800 && c <= 0xDBFF) {
      if (i + 3 >= nbytes) return 0;
      uint32_t d = dk_rd16le(in + i + 2);
      if (d < 0xDC00 || d > 0xDFFF) return 0;
      i += 2;
    }
  }
  return 1;
}

/* Decodes one UTF-8 character at s (len bytes left); returns its length, 0 if invalid. */
static size_t utf8_get(const unsigned char *s, size_t len, uint32_t *cp) {
  unsigned char b = s[0];
  size_t n;
  uint32_t c, min;
  if (b < 0x80) {
    *cp = b;
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    n = 2, c = b & 0x1F, min = 0x80;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3, c = b & 0x0F, min = 0x800;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4, c = b & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n > len) return 0;
  for (size_t k = 1; k < n; k++) {
    if ((s[k] & 0xC0) != 0x80) return 0;
    c = c << 6 | (s[k] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
  *cp = c;
  return n;
}

size_t dk_utf8_to_utf16le(const char *in, size_t len, uint8_t *out, size_t cap) {
  const unsigned char *s = (const unsigned char *)in;
  size_t n = 0;
  for (size_t i = 0; i < len;) {
    uint32_t c;
    size_t k = utf8_get(s + i, len - i, &c);
    if (k == 0) return (size_t)-1;
    i += k;
    if (c >= 0x10000) {
      if (n + 4 > cap) return (size_t)-1;
      c -= 0x10000;
      uint32_t hi = 0xD800 + (c >> 10), lo = 0xDC00 + (c & 0x3FF);
      out[n++] = (uint8_t)hi, out[n++] = (uint8_t)(hi >> 8);
      out[n++] = (uint8_t)lo, out[n++] = (uint8_t)(lo >> 8);
    } else {
      if (n + 2 > cap) return (size_t)-1;
      out[n++] = (uint8_t)c, out[n++] = (uint8_t)(c >> 8);
    }
  }
  return n;
}

size_t dk_latin1_to_utf8(const uint8_t *in, size_t n, char *out, size_t cap) {
  if (cap == 0) return 0;
  size_t k = 0;
  for (size_t i = 0; i < n && k + (in[i] < 0x80 ? 1 : 2) < cap; i++) k += dk_utf8_put(out + k, in[i]);
  out[k] = '\0';
  return k;
}
