/* Machine facts, POSIX half (see sys.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "sys.h"

#include <ctype.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

void dk_sys_get_info(dk_sys_info *info) {
  /* uname's fields live in a local struct; the copies live in info (no
  ** static buffers: hosts on other threads may ask at the same time). */
  char *sysname = info->os_buf, *machine = info->arch_buf;
  struct utsname u;
  memset(info, 0, sizeof *info);
  info->os = "unknown";
  info->arch = "unknown";
  if (uname(&u) == 0) {
    /* "Linux" -> "linux": the names playbooks compare against are lower case. */
    snprintf(sysname, sizeof info->os_buf, "%s", u.sysname);
    for (char *c = sysname; *c != '\0'; c++) *c = (char)tolower((unsigned char)*c);
    snprintf(machine, sizeof info->arch_buf, "%s", u.machine);
    snprintf(info->os_version, sizeof info->os_version, "%s", u.release);
    info->os = sysname;
    info->arch = machine;
  }
  if (gethostname(info->hostname, sizeof info->hostname - 1) != 0) info->hostname[0] = '\0';
}

double dk_sys_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int dk_sys_isatty(int fd) { return isatty(fd); }

long dk_sys_pid(void) { return (long)getpid(); }

int dk_sys_realpath(const char *path, char *out, size_t out_size) {
  char *r = realpath(path, NULL);
  if (r == NULL) return -1;
  size_t n = strlen(r);
  int fits = n < out_size;
  if (fits) memcpy(out, r, n + 1);
  free(r);
  return fits ? 0 : -1;
}
