/* dk_err: setting and copying errors (the OS tables are in error_posix.c / error_win32.c). */
#include "dk_err.h"

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
