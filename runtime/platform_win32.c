/* Host platform layer, Win32 half (see platform.h). Paths are UTF-8 outside,
** UTF-16 towards the API. */
#include "platform.h"
#include "utf8_win32.h"

#include <windows.h>
#include <string.h>

const char dk_path_sep = '\\';

int dk_exe_dir(char *buf, size_t size) {
  wchar_t w[32768];
  DWORD n = GetModuleFileNameW(NULL, w, (DWORD)(sizeof w / sizeof w[0]));
  if (n == 0 || n >= sizeof w / sizeof w[0]) return -1;
  if (dk_utf16_to_utf8(w, buf, size) < 0) return -1;
  char *slash = strrchr(buf, '\\');
  if (slash == NULL) return -1;
  *slash = '\0';
  return 0;
}

int dk_is_file(const char *path) {
  wchar_t w[32768];
  if (dk_utf8_to_utf16(path, w, sizeof w / sizeof w[0]) < 0) return 0;
  DWORD attr = GetFileAttributesW(w);
  return attr != INVALID_FILE_ATTRIBUTES && !(attr & FILE_ATTRIBUTE_DIRECTORY);
}
