/* Host platform layer, Win32 half (see platform.h). Paths are UTF-8 outside,
** UTF-16 towards the API. */
#include "platform.h"
#include "dk_text.h"

#include <windows.h>
#include <stdlib.h>
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

int dk_lib_dir(char *buf, size_t size) {
  HMODULE self = NULL;
  if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                          (LPCWSTR)(void *)dk_lib_dir, &self))
    return -1;
  wchar_t w[32768];
  DWORD n = GetModuleFileNameW(self, w, (DWORD)(sizeof w / sizeof w[0]));
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

int dk_prepare_process(int *argc, char ***argv) {
  int n = 0;
  wchar_t **wargv = CommandLineToArgvW(GetCommandLineW(), &n);
  if (wargv == NULL) return -1;
  char **out = calloc((size_t)n + 1, sizeof *out);
  if (out == NULL) return -1;
  for (int i = 0; i < n; i++) {
    out[i] = dk_utf16_to_utf8_alloc(wargv[i]);
    if (out[i] == NULL) return -1;
  }
  LocalFree(wargv);
  /* The strings live until exit: argv, like the C runtime's own. */
  *argc = n;
  *argv = out;
  SetConsoleOutputCP(CP_UTF8);
  /* A crash of the toolkit or of a program it runs must never open a dialog. */
  SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  return 0;
}

static HANDLE console_handle(int fd) {
  HANDLE h = GetStdHandle(fd == 2 ? STD_ERROR_HANDLE : STD_OUTPUT_HANDLE);
  DWORD mode;
  if (fd < 1 || fd > 2 || h == NULL || h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) return NULL;
  return h;
}

int dk_console_is(int fd) { return console_handle(fd) != NULL; }

int dk_console_write(int fd, const char *s, size_t n) {
  HANDLE h = console_handle(fd);
  if (h == NULL || n > 0x7fffffff) return -1;
  if (n == 0) return 0;
  /* Invalid UTF-8 becomes U+FFFD rather than failing the whole write. */
  int wn = MultiByteToWideChar(CP_UTF8, 0, s, (int)n, NULL, 0);
  if (wn <= 0) return -1;
  wchar_t *w = malloc((size_t)wn * sizeof *w);
  if (w == NULL) return -1;
  MultiByteToWideChar(CP_UTF8, 0, s, (int)n, w, wn);
  int rc = 0;
  for (int done = 0; done < wn;) {
    DWORD wrote = 0, chunk = (DWORD)(wn - done > 16384 ? 16384 : wn - done);
    if (!WriteConsoleW(h, w + done, chunk, &wrote, NULL) || wrote == 0) {
      rc = -1;
      break;
    }
    done += (int)wrote;
  }
  free(w);
  return rc;
}
