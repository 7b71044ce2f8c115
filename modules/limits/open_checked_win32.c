/* dk_open_checked on Windows: open, then GetFinalPathNameByHandleW. Windows
** has no name that reopens a handle's file, so native functions get the
** checked path again (symbolic links need a privilege there to be made). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"
#include "open_checked.h"

int dk_open_checked(const char *path, dk_opened *o, dk_err *e) {
  memset(o, 0, sizeof *o);
  wchar_t *w = dk_utf8_to_wide(path);
  if (w == NULL) return dk_err_set(e, "EINVAL", "%s: not a valid UTF-8 file name", path);
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return dk_err_win32(e, GetLastError(), path);
  if (GetFileType(h) != FILE_TYPE_DISK) {
    CloseHandle(h);
    return dk_err_set(e, "EINVAL", "%s: not a regular file (a check reads files, not devices or pipes)", path);
  }
  wchar_t full[4096];
  DWORD n = GetFinalPathNameByHandleW(h, full, 4096, FILE_NAME_NORMALIZED);
  if (n == 0 || n >= 4096) {
    CloseHandle(h);
    return dk_err_set(e, "EACCES", "%s: cannot tell which file was opened", path);
  }
  const wchar_t *p = full;
  if (wcsncmp(p, L"\\\\?\\UNC\\", 8) == 0) {
    full[6] = L'\\';
    p = full + 6;
  } else if (wcsncmp(p, L"\\\\?\\", 4) == 0) {
    p = full + 4;
  }
  if (dk_utf16_to_utf8(p, o->real, sizeof o->real) < 0) {
    CloseHandle(h);
    return dk_err_set(e, "EINVAL", "%s: the opened file's name is not valid UTF-16", path);
  }
  int fd = _open_osfhandle((intptr_t)h, _O_RDONLY | _O_BINARY);
  if (fd < 0) {
    CloseHandle(h);
    return dk_err_set(e, "EIO", "%s: cannot use the opened file", path);
  }
  o->f = _fdopen(fd, "rb");
  if (o->f == NULL) {
    _close(fd);
    return dk_err_set(e, "EIO", "%s: cannot use the opened file", path);
  }
  return 0;
}
