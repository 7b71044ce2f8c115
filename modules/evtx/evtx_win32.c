/* evtx_os.h for Windows: Win32 threads and live logs (wevtapi). */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winevt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_err.h"
#include "dk_text.h"
#include "evtx_os.h"

static void win_msg(const char *label, const char *what, DWORD e, char *err, size_t errlen) {
  char msg[256];
  dk_win32_message(e, msg, sizeof msg);
  snprintf(err, errlen, "%s: %s%s (Win32 error %lu)", label, what, msg, (unsigned long)e);
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

static const char *evt_code(DWORD e) {
  switch (e) {
  case 15007: return "ENOENT"; /* ERROR_EVT_CHANNEL_NOT_FOUND */
  case 15001: return "EINVAL"; /* ERROR_EVT_INVALID_QUERY */
  case ERROR_PROC_NOT_FOUND:
  case ERROR_MOD_NOT_FOUND: return "ENOTSUP";
  default: return dk_win32_code(e);
  }
}

int dk_evtx_live_open(const char *channel, const char *xpath, int reverse, dk_evtx_live **out, char *err,
                      size_t errlen, const char **code) {
  *out = NULL;
  wchar_t *wc = dk_utf8_to_wide(channel), *wq = dk_utf8_to_wide(xpath && *xpath ? xpath : "*");
  if (wc == NULL || wq == NULL) {
    free(wc);
    free(wq);
    snprintf(err, errlen, "live event log '%s': not valid UTF-8", channel);
    *code = "EINVAL";
    return -1;
  }
  EVT_HANDLE q = EvtQuery(NULL, wc, wq,
                          EvtQueryChannelPath | (reverse ? EvtQueryReverseDirection : EvtQueryForwardDirection));
  DWORD e = q == NULL ? GetLastError() : 0; /* before free(), which may change it */
  free(wc);
  free(wq);
  if (q == NULL) {
    char label[300];
    snprintf(label, sizeof label, "live event log '%s'", channel);
    if (e == 0) {
      /* Wine's wevtapi fails without an error code: say so, not "Success". */
      snprintf(err, errlen, "%s: EvtQuery failed and set no error code (an event log service that does not"
                            " answer, such as Wine's)", label);
      *code = "ENOTSUP";
      return -1;
    }
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
  size_t sl;
  char *s = dk_utf16n_to_utf8_alloc_len(q->buf, wn, &sl);
  if (s == NULL) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  *xml = s;
  *len = sl;
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
