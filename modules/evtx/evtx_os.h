/*
** OS half of diagkit.evtx: a tiny "run this on N threads" helper and live
** event logs. evtx_posix.c (pthreads) and evtx_win32.c (Win32 threads,
** wevtapi) implement it. Files are dk_filebuf (modules/support/dk_file.h).
*/
#ifndef DK_EVTX_OS_H
#define DK_EVTX_OS_H

#include <stddef.h>
#include <stdint.h>

/* Number of CPUs available to the process (at least 1). */
int dk_evtx_cpu_count(void);

/* Runs fn(arg, i) for i = 0..n-1 on n threads (i = 0 on the calling thread)
** and waits for all. Falls back to fewer threads if they cannot be started:
** fn must take its work from a shared counter, not from i. */
void dk_evtx_parallel(int n, void (*fn)(void *arg, int worker), void *arg);

/* Live event logs (Windows: EvtQuery / EvtNext / EvtRender). Elsewhere
** dk_evtx_live_open fails with code "ENOTSUP". */
typedef struct dk_evtx_live dk_evtx_live;

/* channel ("Application", "System", ...) and an XPath query ("*" for all), UTF-8.
** 0 and *out, or -1 with a message and a code ("ENOENT" no such channel, "EACCES",
** "ENOTSUP" not available here, "EINVAL" bad query, "EIO"). */
int dk_evtx_live_open(const char *channel, const char *xpath, int reverse, dk_evtx_live **out, char *err,
                      size_t errlen, const char **code);
/* 1 and the next event as UTF-8 XML in *xml (malloc'd, *len bytes), 0 at the end, -1 on error. */
int dk_evtx_live_next(dk_evtx_live *q, char **xml, size_t *len, char *err, size_t errlen);
void dk_evtx_live_close(dk_evtx_live *q);

#endif
