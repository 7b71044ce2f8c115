/*
** diagkit.log, Windows half: a file as one read-only buffer through
** CreateFileMappingW / MapViewOfFile (UTF-8 path -> UTF-16).
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *win_code(DWORD e) {
  switch (e) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return "ENOENT";
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION: return "EACCES";
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return "ENOMEM";
    case ERROR_DIRECTORY: return "EISDIR";
    default: return "EIO";
  }
}

static const char *fail(const char *path, DWORD e, char *msg, size_t msg_size) {
  char text[256] = "";
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, text,
                           (DWORD)sizeof text, NULL);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == '.')) text[--n] = '\0';
  snprintf(msg, msg_size, "%s: %s (error %lu)", path, n ? text : "cannot open", (unsigned long)e);
  return win_code(e);
}

const char *dkl_map_open(const char *path, dkl_map *m, char *msg, size_t msg_size) {
  memset(m, 0, sizeof *m);
  m->data = "";
  int wn = MultiByteToWideChar(CP_UTF8, 0, path, -1, NULL, 0);
  if (wn <= 0) return fail(path, ERROR_INVALID_NAME, msg, msg_size);
  wchar_t *wpath = malloc((size_t)wn * sizeof *wpath);
  if (!wpath) return fail(path, ERROR_NOT_ENOUGH_MEMORY, msg, msg_size);
  MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, wn);
  HANDLE f = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
  free(wpath);
  if (f == INVALID_HANDLE_VALUE) return fail(path, GetLastError(), msg, msg_size);
  BY_HANDLE_FILE_INFORMATION info;
  if (GetFileInformationByHandle(f, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
    CloseHandle(f);
    return fail(path, ERROR_DIRECTORY, msg, msg_size);
  }
  LARGE_INTEGER size;
  if (!GetFileSizeEx(f, &size)) {
    DWORD e = GetLastError();
    CloseHandle(f);
    return fail(path, e, msg, msg_size);
  }
  if (size.QuadPart == 0) {
    CloseHandle(f);
    return NULL;
  }
  if ((unsigned long long)size.QuadPart > (size_t)-1) {
    CloseHandle(f);
    return fail(path, ERROR_NOT_ENOUGH_MEMORY, msg, msg_size);
  }
  HANDLE map = CreateFileMappingW(f, NULL, PAGE_READONLY, 0, 0, NULL);
  if (!map) {
    DWORD e = GetLastError();
    CloseHandle(f);
    return fail(path, e, msg, msg_size);
  }
  void *view = MapViewOfFile(map, FILE_MAP_READ, 0, 0, 0);
  if (!view) {
    DWORD e = GetLastError();
    CloseHandle(map);
    CloseHandle(f);
    return fail(path, e, msg, msg_size);
  }
  m->data = view;
  m->size = (size_t)size.QuadPart;
  m->os1 = f;
  m->os2 = map;
  return NULL;
}

void dkl_map_close(dkl_map *m) {
  if (m->owned) free((void *)m->data);
  else if (m->size > 0) UnmapViewOfFile(m->data);
  if (m->os2) CloseHandle(m->os2);
  if (m->os1) CloseHandle(m->os1);
  memset(m, 0, sizeof *m);
  m->data = "";
}
