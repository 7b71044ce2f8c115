/* Host platform layer, POSIX half (see platform.h). */
#define _GNU_SOURCE /* dladdr */
#include "platform.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char dk_path_sep = '/';

int dk_exe_dir(char *buf, size_t size) {
  ssize_t n = readlink("/proc/self/exe", buf, size - 1);
  if (n <= 0 || (size_t)n >= size - 1) return -1;
  buf[n] = '\0';
  char *slash = strrchr(buf, '/');
  if (slash == NULL) return -1;
  *slash = '\0';
  return 0;
}

int dk_lib_dir(char *buf, size_t size) {
  Dl_info info;
  if (dladdr((void *)dk_lib_dir, &info) == 0 || info.dli_fname == NULL) return -1;
  /* The name is as the loader found it: relative when LD_LIBRARY_PATH was. */
  char *real = realpath(info.dli_fname, NULL);
  if (real == NULL) return -1;
  int n = snprintf(buf, size, "%s", real);
  free(real);
  if (n <= 0 || (size_t)n >= size) return -1;
  char *slash = strrchr(buf, '/');
  *slash = '\0';
  return 0;
}

int dk_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dk_prepare_process(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int dk_console_is(int fd) {
  (void)fd;
  return 0;
}

int dk_console_write(int fd, const char *s, size_t n) {
  (void)fd, (void)s, (void)n;
  return -1;
}
