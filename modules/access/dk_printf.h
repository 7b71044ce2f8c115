/*
** Included first by the access and reg sources: C99 printf on mingw-w64
** (%zu, %lld) and the matching format-check attribute.
*/
#ifndef DK_PRINTF_H
#define DK_PRINTF_H
#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif
#if defined(__MINGW32__)
#define DK_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define DK_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif
#endif
