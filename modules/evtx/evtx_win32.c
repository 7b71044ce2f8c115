/* evtx_os.h for Windows: CreateFileMapping and Win32 threads. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winevt.h>

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

/* Live event logs: EvtQuery / EvtNext / EvtRender(EvtRenderEventXml). */

#define LIVE_BATCH 32

struct dk_evtx_live {
  EVT_HANDLE query;
  EVT_HANDLE batch[LIVE_BATCH];
  DWORD n, i;
  wchar_t *buf;
  DWORD cap;
};

static wchar_t *to_wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w) MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
  return w;
}

static const char *evt_code(DWORD e) {
  switch (e) {
  case 15007: /* ERROR_EVT_CHANNEL_NOT_FOUND */
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND: return "ENOENT";
  case ERROR_ACCESS_DENIED: return "EACCES";
  case 15001: /* ERROR_EVT_INVALID_QUERY */
  case ERROR_INVALID_PARAMETER: return "EINVAL";
  case ERROR_CALL_NOT_IMPLEMENTED:
  case ERROR_NOT_SUPPORTED:
  case ERROR_PROC_NOT_FOUND:
  case ERROR_MOD_NOT_FOUND: return "ENOTSUP";
  default: return "EIO";
  }
}

int dk_evtx_live_open(const char *channel, const char *xpath, int reverse, dk_evtx_live **out, char *err,
                      size_t errlen, const char **code) {
  *out = NULL;
  wchar_t *wc = to_wide(channel), *wq = to_wide(xpath && *xpath ? xpath : "*");
  if (wc == NULL || wq == NULL) {
    free(wc);
    free(wq);
    snprintf(err, errlen, "live event log '%s': not valid UTF-8", channel);
    *code = "EINVAL";
    return -1;
  }
  EVT_HANDLE q = EvtQuery(NULL, wc, wq,
                          EvtQueryChannelPath | (reverse ? EvtQueryReverseDirection : EvtQueryForwardDirection));
  free(wc);
  free(wq);
  if (q == NULL) {
    DWORD e = GetLastError();
    char label[300];
    snprintf(label, sizeof label, "live event log '%s'", channel);
    win_msg(label, "EvtQuery failed: ", e, err, errlen);
    *code = evt_code(e);
    return -1;
  }
  dk_evtx_live *l = calloc(1, sizeof *l);
  if (l == NULL) {
    EvtClose(q);
    snprintf(err, errlen, "out of memory");
    *code = "EIO";
    return -1;
  }
  l->query = q;
  *out = l;
  return 0;
}

int dk_evtx_live_next(dk_evtx_live *q, char **xml, size_t *len, char *err, size_t errlen) {
  *xml = NULL;
  *len = 0;
  if (q->i >= q->n) {
    DWORD got = 0;
    q->i = q->n = 0;
    if (!EvtNext(q->query, LIVE_BATCH, q->batch, INFINITE, 0, &got)) {
      DWORD e = GetLastError();
      if (e == ERROR_NO_MORE_ITEMS) return 0;
      win_msg("live event log", "EvtNext failed: ", e, err, errlen);
      return -1;
    }
    q->n = got;
    if (got == 0) return 0;
  }
  EVT_HANDLE ev = q->batch[q->i];
  q->batch[q->i++] = NULL;
  DWORD used = 0, props = 0;
  if (!EvtRender(NULL, ev, EvtRenderEventXml, q->cap, q->buf, &used, &props)) {
    DWORD e = GetLastError();
    if (e != ERROR_INSUFFICIENT_BUFFER) {
      EvtClose(ev);
      win_msg("live event log", "EvtRender failed: ", e, err, errlen);
      return -1;
    }
    wchar_t *nb = realloc(q->buf, used);
    if (nb == NULL) {
      EvtClose(ev);
      snprintf(err, errlen, "out of memory");
      return -1;
    }
    q->buf = nb;
    q->cap = used;
    if (!EvtRender(NULL, ev, EvtRenderEventXml, q->cap, q->buf, &used, &props)) {
      e = GetLastError();
      EvtClose(ev);
      win_msg("live event log", "EvtRender failed: ", e, err, errlen);
      return -1;
    }
  }
  EvtClose(ev);
  int wn = (int)(used / sizeof(wchar_t));
  while (wn > 0 && q->buf[wn - 1] == 0) wn--;
  int n = WideCharToMultiByte(CP_UTF8, 0, q->buf, wn, NULL, 0, NULL, NULL);
  char *s = malloc((size_t)n + 1);
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (n > 0) WideCharToMultiByte(CP_UTF8, 0, q->buf, wn, s, n, NULL, NULL);
  s[n > 0 ? n : 0] = '\0';
  *xml = s;
  *len = (size_t)(n > 0 ? n : 0);
  return 1;
}

void dk_evtx_live_close(dk_evtx_live *q) {
  if (q == NULL) return;
  for (DWORD i = q->i; i < q->n; i++)
    if (q->batch[i]) EvtClose(q->batch[i]);
  if (q->query) EvtClose(q->query);
  free(q->buf);
  free(q);
}
