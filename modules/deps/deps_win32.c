/*
** diagkit.deps, Windows half: directory listings (FindFirstFileW), file
** identity, the live system folders and the KnownDLLs list from the registry
** (files are dk_file buffers).
*/
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "dk_text.h"

int dkd_list_dir(const char *dir, int (*cb)(const char *name, void *ud), void *ud) {
  size_t n = strlen(dir);
  char *pat = malloc(n + 3);
  if (!pat) return -1;
  memcpy(pat, dir, n);
  memcpy(pat + n, "\\*", 3);
  wchar_t *w = dk_utf8_to_wide(pat);
  free(pat);
  if (!w) return -1;
  WIN32_FIND_DATAW fd;
  HANDLE h = FindFirstFileW(w, &fd);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return -1;
  do {
    char *name = dk_utf16_to_utf8_alloc(fd.cFileName);
    if (!name) continue;
    int stop = strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && cb(name, ud);
    free(name);
    if (stop) break;
  } while (FindNextFileW(h, &fd));
  FindClose(h);
  return 0;
}

int dkd_file_id(const char *path, uint64_t id[2]) {
  wchar_t *w = dk_utf8_to_wide(path);
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
  if (n == 0 || n >= MAX_PATH || dk_utf16_to_utf8(buf, sys, size) < 0) return 0;
  n = GetWindowsDirectoryW(buf, MAX_PATH);
  if (n == 0 || n >= MAX_PATH || dk_utf16_to_utf8(buf, win, size) < 0) return 0;
  wow64[0] = 0;
  n = GetSystemWow64DirectoryW(buf, MAX_PATH);
  if (n > 0 && n < MAX_PATH && dk_utf16_to_utf8(buf, wow64, size) < 0) wow64[0] = 0;
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
    if (dk_utf16_to_utf8((const wchar_t *)data, value, sizeof value) < 0) continue;
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
