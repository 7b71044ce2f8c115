/* evtx_os.h for Windows: CreateFileMapping and Win32 threads. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtx_os.h"

static const char *win_code(DWORD e) {
  switch (e) {
  case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_NAME: return "ENOENT";
  case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: return "EACCES";
  default: return "EIO";
  }
}

static void win_msg(const char *path, const char *what, DWORD e, char *err, size_t errlen) {
  char msg[256] = "";
  FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, msg, sizeof msg, NULL);
  size_t n = strlen(msg);
  while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r' || msg[n - 1] == '.')) msg[--n] = '\0';
  snprintf(err, errlen, "%s: %s%s (Win32 error %lu)", path, what, msg, (unsigned long)e);
}

int dk_evtx_map_file(const char *path, dk_evtx_map *m, char *err, size_t errlen, const char **code) {
  memset(m, 0, sizeof *m);
  int wn = MultiByteToWideChar(CP_UTF8, 0, path, -1, NULL, 0);
  if (wn <= 0) {
    snprintf(err, errlen, "%s: not valid UTF-8", path);
    *code = "ENOENT";
    return -1;
  }
  wchar_t *wpath = malloc((size_t)wn * sizeof *wpath);
  if (wpath == NULL) {
    snprintf(err, errlen, "out of memory");
    *code = "EIO";
    return -1;
  }
  MultiByteToWideChar(CP_UTF8, 0, path, -1, wpath, wn);
  /* FILE_SHARE_WRITE|DELETE: live logs are open by the event log service */
  HANDLE f = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  free(wpath);
  if (f == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    win_msg(path, "", e, err, errlen);
    *code = win_code(e);
    return -1;
  }
  LARGE_INTEGER sz;
  if (!GetFileSizeEx(f, &sz) || (unsigned long long)sz.QuadPart > (unsigned long long)SIZE_MAX) {
    DWORD e = GetLastError();
    win_msg(path, "cannot get the size: ", e, err, errlen);
    *code = "EIO";
    CloseHandle(f);
    return -1;
  }
  m->size = (size_t)sz.QuadPart;
  if (m->size > 0) {
    HANDLE h = CreateFileMappingW(f, NULL, PAGE_READONLY, 0, 0, NULL);
    if (h == NULL) {
      DWORD e = GetLastError();
      win_msg(path, "cannot map: ", e, err, errlen);
      *code = win_code(e);
      CloseHandle(f);
      return -1;
    }
    const void *p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, 0);
    if (p == NULL) {
      DWORD e = GetLastError();
      win_msg(path, "cannot map: ", e, err, errlen);
      *code = win_code(e);
      CloseHandle(h);
      CloseHandle(f);
      return -1;
    }
    m->data = p;
    m->os2 = h;
  }
  m->os1 = f;
  return 0;
}

void dk_evtx_unmap(dk_evtx_map *m) {
  if (m->data) UnmapViewOfFile(m->data);
  if (m->os2) CloseHandle(m->os2);
  if (m->os1) CloseHandle(m->os1);
  memset(m, 0, sizeof *m);
}

int dk_evtx_cpu_count(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  int n = (int)si.dwNumberOfProcessors;
  return n < 1 ? 1 : n > 256 ? 256 : n;
}

typedef struct job {
  void (*fn)(void *, int);
  void *arg;
  int i;
} job;

static DWORD WINAPI thread_main(LPVOID p) {
  job *j = p;
  j->fn(j->arg, j->i);
  return 0;
}

void dk_evtx_parallel(int n, void (*fn)(void *arg, int worker), void *arg) {
  if (n <= 1) {
    fn(arg, 0);
    return;
  }
  HANDLE th[256];
  job jobs[256];
  int started = 0;
  if (n > 256) n = 256;
  for (int i = 1; i < n; i++) {
    jobs[i] = (job){fn, arg, i};
    th[i] = CreateThread(NULL, 0, thread_main, &jobs[i], 0, NULL);
    if (th[i] == NULL) break;
    started = i;
  }
  fn(arg, 0);
  for (int i = 1; i <= started; i++) {
    WaitForSingleObject(th[i], INFINITE);
    CloseHandle(th[i]);
  }
}
