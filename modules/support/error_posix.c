/* errno -> symbolic code, one table for every module. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dk_err.h"

const char *dk_errno_code(int errnum) {
  switch (errnum) {
#define C(x) \
  case x: return #x;
    C(ENOENT) C(ENOTDIR) C(EACCES) C(EPERM) C(EISDIR) C(ENOMEM) C(ELOOP) C(ENAMETOOLONG) C(EINVAL)
    C(EAGAIN) C(EEXIST) C(ENOSPC) C(EROFS) C(EBUSY) C(ETXTBSY) C(ENOEXEC) C(E2BIG) C(EMFILE) C(ENFILE)
    C(ENXIO) C(ENODEV) C(ESPIPE) C(EPIPE) C(EINTR) C(ETIMEDOUT) C(ECHILD) C(ESRCH) C(EFBIG) C(EOVERFLOW)
    C(ENOTSUP) C(EIO) C(EBADF) C(EFAULT) C(ERANGE) C(EDQUOT)
#undef C
    default: return "EIO";
  }
}

int dk_err_errno(dk_err *e, int errnum, const char *path) {
  const char *text = errnum == EISDIR ? "is a directory" : strerror(errnum);
  if (path) dk_err_set(e, dk_errno_code(errnum), "%s: %s", path, text);
  else dk_err_set(e, dk_errno_code(errnum), "%s", text);
  return -1;
}
