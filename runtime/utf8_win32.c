/* UTF-8 <-> UTF-16 conversion (see utf8_win32.h). */
#include "utf8_win32.h"

#include <windows.h>
#include <stdlib.h>

int dk_utf16_to_utf8(const wchar_t *in, char *out, size_t out_size) {
  if (out_size == 0 || out_size > 0x7fffffff) return -1;
  int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, in, -1, out, (int)out_size, NULL, NULL);
  if (n <= 0) { out[0] = '\0'; return -1; }
  return n - 1;
}

int dk_utf8_to_utf16(const char *in, wchar_t *out, size_t out_count) {
  if (out_count == 0 || out_count > 0x7fffffff) return -1;
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, in, -1, out, (int)out_count);
  if (n <= 0) { out[0] = L'\0'; return -1; }
  return n - 1;
}

char *dk_utf16_to_utf8_alloc(const wchar_t *in) {
  int n = WideCharToMultiByte(CP_UTF8, 0, in, -1, NULL, 0, NULL, NULL);
  if (n <= 0) return NULL;
  char *s = malloc((size_t)n);
  if (s == NULL) return NULL;
  if (WideCharToMultiByte(CP_UTF8, 0, in, -1, s, n, NULL, NULL) <= 0) { free(s); return NULL; }
  return s;
}
