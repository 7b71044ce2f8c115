/* dk_file on Windows: CreateFileW (UTF-8 path), then MapViewOfFile or ReadFile (see dk_file.h). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "dk_file.h"
#include "file_read.h"
#include "dk_text.h"

static void reset(dk_filebuf *f) {
  memset(f, 0, sizeof *f);
  f->data = (const uint8_t *)"";
}

/* dk_file_reader over a handle (file_read.h); a pipe whose writer is gone has ended. */
static long handle_read(void *os, void *buf, size_t n, const char *path, dk_err *e) {
  DWORD got = 0;
  if (ReadFile(*(HANDLE *)os, buf, (DWORD)n, &got, NULL)) return (long)got;
  DWORD er = GetLastError();
  if (er == ERROR_BROKEN_PIPE || er == ERROR_HANDLE_EOF) return 0;
  return dk_err_win32(e, er, path);
}

static int read_all(HANDLE h, const char *path, dk_filebuf *f, uint64_t max, size_t size_hint, int stream, dk_err *e) {
  return dk_file_read_all(f, handle_read, &h, path, max, size_hint, stream, e);
}

int dk_file_open(dk_filebuf *f, const char *path, unsigned flags, uint64_t max, dk_err *e) {
  reset(f);
  wchar_t *w = dk_utf8_to_wide(path);
  if (!w) return dk_err_set(e, "EINVAL", "%s: not a valid UTF-8 file name", path);
  DWORD hint = (flags & DK_FILE_RANDOM) ? FILE_FLAG_RANDOM_ACCESS : FILE_FLAG_SEQUENTIAL_SCAN;
  /* Share everything: a log being written, a hive the system holds. */
  HANDLE h = CreateFileW(w, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS | hint, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return dk_err_win32(e, GetLastError(), path);
  int rc = 0;
  BY_HANDLE_FILE_INFORMATION info;
  DWORD type = GetFileType(h);
  LARGE_INTEGER size = {0};
  if (type == FILE_TYPE_DISK && GetFileInformationByHandle(h, &info) &&
      (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
    rc = dk_err_set(e, "EISDIR", "%s: is a directory", path);
  } else if (type != FILE_TYPE_DISK) {
    if (!(flags & DK_FILE_STREAMS) || (type != FILE_TYPE_PIPE && type != FILE_TYPE_CHAR))
      rc = dk_err_set(e, "EINVAL", "%s: not a regular file", path);
    else
      rc = read_all(h, path, f, max ? max : DK_FILE_STREAM_MAX, 0, 1, e);
  } else if (!GetFileSizeEx(h, &size)) {
    rc = dk_err_win32(e, GetLastError(), path);
  } else if (max && (uint64_t)size.QuadPart > max) {
    rc = dk_err_set(e, "EFBIG", "%s: %llu bytes, more than the %llu diagkit reads", path,
                    (unsigned long long)size.QuadPart, (unsigned long long)max);
  } else if ((unsigned long long)size.QuadPart > (size_t)-1 / 2) {
    rc = dk_err_win32(e, ERROR_NOT_ENOUGH_MEMORY, path);
  } else if (size.QuadPart > 0 && (flags & DK_FILE_READ)) {
    rc = read_all(h, path, f, max ? max : (uint64_t)-1 / 2, (size_t)size.QuadPart, 0, e);
  } else if (size.QuadPart > 0) {
    HANDLE map = CreateFileMappingW(h, NULL, PAGE_READONLY, 0, 0, NULL);
    void *view = map ? MapViewOfFile(map, FILE_MAP_READ, 0, 0, 0) : NULL;
    if (!view) {
      DWORD er = GetLastError();
      if (map) CloseHandle(map);
      rc = dk_err_win32(e, er, path);
    } else {
      f->data = view;
      f->size = (size_t)size.QuadPart;
      f->os1 = h;
      f->os2 = map;
      return 0; /* the handles live as long as the view */
    }
  }
  CloseHandle(h);
  return rc;
}

void dk_file_close(dk_filebuf *f) {
  if (f->owned) free((void *)f->data);
  else if (f->size > 0) UnmapViewOfFile(f->data);
  if (f->os2) CloseHandle(f->os2);
  if (f->os1) CloseHandle(f->os1);
  reset(f);
}

/* Windows refuses to shrink a file while a view of it exists (ERROR_USER_MAPPED_FILE). */
int dk_file_changed(const dk_filebuf *f) {
  (void)f;
  return 0;
}

void dk_file_trim(dk_filebuf *f) {
  /* Unmapping pages from the working set is the nearest Windows has. */
  if (!f->owned && f->size > 0) VirtualUnlock((void *)f->data, f->size);
}

void dk_file_replace(dk_filebuf *f, uint8_t *data, size_t size) {
  dk_file_close(f);
  f->data = data;
  f->size = size;
  f->owned = 1;
}
