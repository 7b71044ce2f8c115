/*
** diagkit.deps, Windows half: files as read-only buffers (MapViewOfFile),
** directory listings (FindFirstFileW), file identity, the live system
** folders and the KnownDLLs list from the registry.
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"

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
  snprintf(msg, msg_size, "%s: cannot open (error %lu)", path, (unsigned long)e);
  return win_code(e);
}

static wchar_t *widen(const char *s) {
  int wn = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  if (wn <= 0) return NULL;
  wchar_t *w = malloc((size_t)wn * sizeof *w);
  if (w) MultiByteToWideChar(CP_UTF8, 0, s, -1, w, wn);
  return w;
}

static int narrow(const wchar_t *w, char *out, size_t size) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)size, NULL, NULL);
  return n > 0 ? 0 : -1;
}

const char *dkd_map_open(const char *path, dkd_map *m, char *msg, size_t msg_size) {
  memset(m, 0, sizeof *m);
  m->data = (const uint8_t *)"";
  wchar_t *wpath = widen(path);
  if (!wpath) return fail(path, ERROR_INVALID_NAME, msg, msg_size);
  HANDLE f = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
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
  if ((unsigned long long)size.QuadPart > (size_t)-1 / 2) {
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

void dkd_map_close(dkd_map *m) {
  if (m->size > 0) {
    UnmapViewOfFile(m->data);
    CloseHandle((HANDLE)m->os2);
    CloseHandle((HANDLE)m->os1);
  }
  m->data = (const uint8_t *)"";
  m->size = 0;
}

void dkd_map_trim(dkd_map *m) {
  /* Removes the view's pages from the working set; they stay in the cache. */
  if (m->size > 0) VirtualUnlock((void *)m->data, m->size);
}

int dkd_list_dir(const char *dir, int (*cb)(const char *name, void *ud), void *ud) {
  size_t n = strlen(dir);
  char *pat = malloc(n + 3);
  if (!pat) return -1;
  memcpy(pat, dir, n);
  memcpy(pat + n, "\\*", 3);
  wchar_t *w = widen(pat);
  free(pat);
  if (!w) return -1;
  WIN32_FIND_DATAW fd;
  HANDLE h = FindFirstFileW(w, &fd);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return -1;
  do {
    char name[MAX_PATH * 3];
    if (narrow(fd.cFileName, name, sizeof name) != 0) continue;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    if (cb(name, ud)) break;
  } while (FindNextFileW(h, &fd));
  FindClose(h);
  return 0;
}

int dkd_file_id(const char *path, uint64_t id[2]) {
  wchar_t *w = widen(path);
  if (!w) return -1;
  HANDLE f = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, NULL);
  free(w);
  if (f == INVALID_HANDLE_VALUE) return -1;
  BY_HANDLE_FILE_INFORMATION info;
  int ok = GetFileInformationByHandle(f, &info) != 0;
  CloseHandle(f);
  if (!ok) return -1;
  id[0] = info.dwVolumeSerialNumber;
  id[1] = ((uint64_t)info.nFileIndexHigh << 32) | info.nFileIndexLow;
  return 0;
}

int dkd_os_windows_dirs(char *sys, char *win, char *wow64, size_t size) {
  wchar_t buf[MAX_PATH + 1];
  UINT n = GetSystemDirectoryW(buf, MAX_PATH);
  if (n == 0 || n >= MAX_PATH || narrow(buf, sys, size) != 0) return 0;
  n = GetWindowsDirectoryW(buf, MAX_PATH);
  if (n == 0 || n >= MAX_PATH || narrow(buf, win, size) != 0) return 0;
  wow64[0] = 0;
  n = GetSystemWow64DirectoryW(buf, MAX_PATH);
  if (n > 0 && n < MAX_PATH) narrow(buf, wow64, size);
  return 1;
}

int dkd_os_knowndlls(int (*cb)(const char *name, void *ud), void *ud) {
  HKEY key;
  if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control\\Session Manager\\KnownDLLs", 0,
                    KEY_READ, &key) != ERROR_SUCCESS)
    return 0;
  int count = 0;
  for (DWORD i = 0; i < 4096; i++) {
    wchar_t name[256];
    BYTE data[1024];
    DWORD nlen = 256, dlen = sizeof data - 2, type = 0;
    LONG r = RegEnumValueW(key, i, name, &nlen, NULL, &type, data, &dlen);
    if (r == ERROR_NO_MORE_ITEMS) break;
    if (r != ERROR_SUCCESS || type != REG_SZ) continue;
    data[dlen] = 0;
    data[dlen + 1] = 0;
    char value[512];
    if (narrow((const wchar_t *)data, value, sizeof value) != 0) continue;
    count++;
    if (cb(value, ud)) break;
  }
  RegCloseKey(key);
  return count;
}

unsigned dkd_os_x86_levels(void) {
  unsigned levels = 0;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt")) levels |= 1u << 2;
  if ((levels & (1u << 2)) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) levels |= 1u << 3;
#endif
  return levels;
}

int dkd_file_setid(const char *path) {
  (void)path;
  return 0;
}
