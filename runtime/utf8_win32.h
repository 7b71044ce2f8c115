/* UTF-8 <-> UTF-16 conversion for the Win32 halves (runtime and modules). */
#ifndef DK_UTF8_WIN32_H
#define DK_UTF8_WIN32_H

#include <stddef.h>
#include <wchar.h>

/* Both return the number of units written (without the terminator) or -1
** if the input is invalid or does not fit. Outputs are always terminated. */
int dk_utf16_to_utf8(const wchar_t *in, char *out, size_t out_size);
int dk_utf8_to_utf16(const char *in, wchar_t *out, size_t out_count);

/* Allocating variant; the caller frees with free(). NULL on failure. */
char *dk_utf16_to_utf8_alloc(const wchar_t *in);

#endif
