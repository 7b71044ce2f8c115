/* Wide strings of the Win32 API <-> UTF-8 (see dk_text.h). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>

#include "dk_text.h"

int dk_utf16_to_utf8(const wchar_t *in, char *out, size_t out_size) {
  if (out_size == 0 || out_size > 0x7fffffff) return -1;
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, in, -1, out, (int)out_size, NULL, NULL);
  if (n <= 0) {
    out[0] = '\0';
    return -1;
  }
  return n - 1;
}

int dk_utf8_to_utf16(const char *in, wchar_t *out, size_t out_count) {
  if (out_count == 0 || out_count > 0x7fffffff) return -1;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, -1, out, (int)out_count);
  if (n <= 0) {
    out[0] = L'\0';
    return -1;
  }
  return n - 1;
}

wchar_t *dk_utf8_to_wide(const char *in) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, -1, w, n) != n) {
    free(w);
    return NULL;
  }
  return w;
}

char *dk_utf16n_to_utf8_alloc_len(const wchar_t *in, int wlen, size_t *outlen) {
  int n = wlen == 0 ? 0 : WideCharToMultiByte(CP_UTF8, 0, in, wlen, NULL, 0, NULL, NULL);
  if (n < 0) n = 0;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  if (n > 0 && WideCharToMultiByte(CP_UTF8, 0, in, wlen, s, n, NULL, NULL) <= 0) n = 0;
  s[n] = '\0';
  /* with wlen -1 the count includes the terminator, written by the API */
  if (outlen) *outlen = wlen < 0 && n > 0 ? (size_t)n - 1 : (size_t)n;
  return s;
}

char *dk_utf16n_to_utf8_alloc(const wchar_t *in, int wlen) { return dk_utf16n_to_utf8_alloc_len(in, wlen, NULL); }

char *dk_utf16_to_utf8_alloc(const wchar_t *in) {
  char *s = dk_utf16n_to_utf8_alloc(in, -1);
  return s; /* with wlen -1 the count includes the terminator, written by the API */
}
