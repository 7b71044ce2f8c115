/*
** OS half of diagkit.evtx: read-only file mapping and a tiny "run this on N
** threads" helper. evtx_posix.c (mmap, pthreads) and evtx_win32.c
** (CreateFileMapping, Win32 threads) implement it.
*/
#ifndef DK_EVTX_OS_H
#define DK_EVTX_OS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dk_evtx_map {
  const uint8_t *data; /* NULL when size is 0 */
  size_t size;
  void *os1, *os2; /* OS handles */
} dk_evtx_map;

/* 0, or -1 with a message and a code ("ENOENT", "EACCES", "EISDIR", "EIO"). path is UTF-8. */
int dk_evtx_map_file(const char *path, dk_evtx_map *m, char *err, size_t errlen, const char **code);
void dk_evtx_unmap(dk_evtx_map *m);

/* Number of CPUs available to the process (at least 1). */
int dk_evtx_cpu_count(void);

/* Runs fn(arg, i) for i = 0..n-1 on n threads (i = 0 on the calling thread)
** and waits for all. Falls back to fewer threads if they cannot be started:
** fn must take its work from a shared counter, not from i. */
void dk_evtx_parallel(int n, void (*fn)(void *arg, int worker), void *arg);

#endif
