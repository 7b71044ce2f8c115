/*
** Facts about the machine the toolkit runs on. One interface, two halves:
** sys_posix.c and sys_win32.c.
*/
#ifndef DK_SYS_H
#define DK_SYS_H

#include <stddef.h>
#include <stdint.h>

typedef struct dk_sys_info {
  const char *os;        /* "linux", "windows", or another POSIX name */
  const char *arch;      /* "x86_64", "aarch64", "x86", ... */
  char os_version[128];  /* uname release, or "10.0.19045" */
  char hostname[256];
  char wine_version[64]; /* non-empty when running under Wine */
  char os_buf[65], arch_buf[65]; /* storage behind os and arch when computed */
} dk_sys_info;

void dk_sys_get_info(dk_sys_info *info);

/* Milliseconds on a clock that never goes backwards (for durations). */
double dk_sys_monotonic_ms(void);

/* 1 when the stream (1 = stdout, 2 = stderr) is an interactive terminal. */
int dk_sys_isatty(int fd);

/* The absolute, canonical form of path (symbolic links and "." / ".."
** resolved; on Windows the full path with its final name from the file
** system). 0 on success, -1 when the path cannot be resolved or does not fit. */
int dk_sys_realpath(const char *path, char *out, size_t out_size);

/* Process id of the toolkit itself. */
long dk_sys_pid(void);

#endif
