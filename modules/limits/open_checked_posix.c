/* dk_open_checked on POSIX: open, then read the descriptor's path from /proc. */
#define _POSIX_C_SOURCE 200809L
#include "open_checked.h"

#include "dk_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int dk_open_checked(const char *path, dk_opened *o, dk_err *e) {
  memset(o, 0, sizeof *o);
  struct stat st;
  int fd = dk_file_open_fd(path, &st, e);
  if (fd < 0) return -1;
  if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    close(fd);
    return dk_err_set(e, "EINVAL", "%s: not a regular file (a check reads files, not devices or FIFOs)", path);
  }
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, o->real, sizeof o->real - 1);
  if (n <= 0 || (size_t)n >= sizeof o->real - 1) {
    close(fd);
    return dk_err_set(e, "EACCES", "%s: cannot tell which file was opened (/proc is needed to check it)", path);
  }
  o->real[n] = '\0';
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  o->f = fdopen(fd, "rb");
  if (o->f == NULL) {
    int er = errno;
    close(fd);
    return dk_err_errno(e, er, path);
  }
  memcpy(o->alias, link, sizeof link);
  return 0;
}
