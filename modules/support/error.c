/* dk_err: setting and copying errors, and the errno table (Win32's is in error_win32.c). */
#include "dk_err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void dk_err_clear(dk_err *e) {
  e->code = NULL;
  e->offset = -1;
  e->msg[0] = '\0';
}

int dk_err_setv(dk_err *e, const char *code, const char *fmt, va_list ap) {
  if (!e) return -1;
  e->code = code;
  e->offset = -1;
  vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  return -1;
}

int dk_err_set(dk_err *e, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dk_err_setv(e, code, fmt, ap);
  va_end(ap);
  return -1;
}

int dk_err_at(dk_err *e, const char *code, int64_t offset, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  dk_err_setv(e, code, fmt, ap);
  va_end(ap);
  if (e) e->offset = offset;
  return -1;
}

int dk_fail(char *buf, size_t size, const char *fmt, ...) {
  if (buf && size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

void dk_err_copy(const dk_err *e, char *msg, size_t size, const char **code) {
  if (msg && size) snprintf(msg, size, "%s", e->msg);
  if (code) *code = e->code ? e->code : "EIO";
}

/* errno values are the C library's on every system (mingw-w64's CRT has most of
   them), hence the #ifdefs rather than a POSIX-only file. */
const char *dk_errno_code(int errnum) {
  switch (errnum) {
#define C(x) \
  case x: return #x;
    C(ENOENT) C(ENOTDIR) C(EACCES) C(EPERM) C(EISDIR) C(ENOMEM) C(ENAMETOOLONG) C(EINVAL) C(EAGAIN) C(EEXIST)
    C(ENOSPC) C(EROFS) C(EBUSY) C(ENOEXEC) C(E2BIG) C(EMFILE) C(ENFILE) C(ENXIO) C(ENODEV) C(ESPIPE) C(EPIPE)
    C(EINTR) C(ECHILD) C(ESRCH) C(EFBIG) C(EIO) C(EBADF) C(EFAULT) C(ERANGE)
#ifdef ELOOP
    C(ELOOP)
#endif
#ifdef ETXTBSY
    C(ETXTBSY)
#endif
#ifdef ETIMEDOUT
    C(ETIMEDOUT)
#endif
#ifdef EOVERFLOW
    C(EOVERFLOW)
#endif
#ifdef ENOTSUP
    C(ENOTSUP)
#endif
#ifdef EDQUOT
    C(EDQUOT)
#endif
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
