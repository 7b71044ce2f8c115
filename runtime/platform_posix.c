/* Host platform layer, POSIX half (see platform.h). */
#define _DEFAULT_SOURCE
#include "platform.h"

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

int dk_is_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int dk_prepare_process(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}
