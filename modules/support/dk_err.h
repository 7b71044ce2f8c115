/*
** One error type for every module: a symbolic code ("ENOENT", "EACCES",
** "DK_BAD_FORMAT", ...) that Lua sees as the third of nil, message, code;
** a message that names what is wrong and where; and, for parsers, the file
** offset of the bad bytes (-1 when there is none).
**
** The OS error tables live here and only here: errno and Win32 errors map
** to the same symbolic codes, so a playbook tests one name on both systems.
*/
#ifndef DK_ERR_H
#define DK_ERR_H

#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1 /* C99 printf (%zu, %lld) on mingw-w64 */
#endif
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__MINGW32__)
#define DK_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define DK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define DK_PRINTF(f, a)
#endif

#define DK_ERR_MSG 512

typedef struct dk_err {
  const char *code;     /* static string; NULL while no error is set */
  int64_t offset;       /* byte offset of the problem in the input, or -1 */
  char msg[DK_ERR_MSG]; /* always terminated */
} dk_err;

void dk_err_clear(dk_err *e);

/* Sets code and a formatted message; returns -1 so callers can
** `return dk_err_set(...)`. e may be NULL (the error is then dropped). */
int dk_err_set(dk_err *e, const char *code, const char *fmt, ...) DK_PRINTF(3, 4);
int dk_err_setv(dk_err *e, const char *code, const char *fmt, va_list ap) DK_PRINTF(3, 0);
/* The same with the offset of the bad bytes. */
int dk_err_at(dk_err *e, const char *code, int64_t offset, const char *fmt, ...) DK_PRINTF(4, 5);

/* The parsers' plain form: formats into buf (when buf is not NULL) and
** returns -1. */
int dk_fail(char *buf, size_t size, const char *fmt, ...) DK_PRINTF(3, 4);

/* errno -> symbolic code ("ENOENT", ...); "EIO" for an errno without a name here. */
const char *dk_errno_code(int errnum);
/* "<path>: <strerror>" with the errno's code; returns -1. path may be NULL. */
int dk_err_errno(dk_err *e, int errnum, const char *path);

#ifdef _WIN32
/* Win32 error -> the same symbolic codes ("ENOENT" for ERROR_FILE_NOT_FOUND, ...). */
const char *dk_win32_code(unsigned long error);
/* The system's text for a Win32 error, without the trailing ".\r\n", or
** "Win32 error N" when the system has none. */
void dk_win32_message(unsigned long error, char *buf, size_t size);
/* "<path>: <text> (error N)" with the error's code; returns -1. */
int dk_err_win32(dk_err *e, unsigned long error, const char *path);
#endif

/* Copies e's message and code into the older (msg, size, &code) form. */
void dk_err_copy(const dk_err *e, char *msg, size_t size, const char **code);

#endif
