/*
** Text conversions every parser of Windows data needs: UTF-16LE bytes (registry
** names, event log strings, Procmon paths) to UTF-8 and back, and on Windows
** the wide strings of the API.
**
** Lossy decoding turns an unpaired surrogate into U+FFFD, as Windows' own tools
** show it; strict encoding refuses invalid UTF-8.
*/
#ifndef DK_TEXT_H
#define DK_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes code point cp as 1 to 4 bytes of UTF-8 at out; returns the count. */
size_t dk_utf8_put(char *out, uint32_t cp);

#define DK_UTF16_STOP_NUL 1u /* end at the first NUL unit */

/* The most UTF-8 bytes nbytes of UTF-16LE can become, terminator included:
** a buffer this size never truncates. */
#define DK_UTF16_UTF8_MAX(nbytes) ((nbytes) / 2 * 3 + 1)

/* Decodes nbytes of UTF-16LE (an odd last byte is ignored) into out, at most
** cap - 1 bytes and never half a character, always terminated when cap > 0.
** Returns the bytes written, without the terminator. Fastest when cap is at
** least DK_UTF16_UTF8_MAX(nbytes) (no check per character, ASCII copied in runs). */
size_t dk_utf16le_to_utf8(const uint8_t *in, size_t nbytes, unsigned flags, char *out, size_t cap);
/* The same into a malloc'd string (free it); NULL when out of memory. */
char *dk_utf16le_to_utf8_alloc(const uint8_t *in, size_t nbytes, unsigned flags, size_t *outlen);
/* 1 when nbytes of UTF-16LE hold no unpaired surrogate (strict decoding would succeed). */
int dk_utf16le_valid(const uint8_t *in, size_t nbytes);

/* Encodes len bytes of UTF-8 as UTF-16LE into out (cap bytes). Returns the
** bytes written, or (size_t)-1 for invalid UTF-8 or when out is too small. */
size_t dk_utf8_to_utf16le(const char *in, size_t len, uint8_t *out, size_t cap);

/* Latin-1 bytes (the registry's compressed names) as UTF-8: cap as above. */
size_t dk_latin1_to_utf8(const uint8_t *in, size_t n, char *out, size_t cap);

#ifdef _WIN32
#include <wchar.h>
/* Strict conversions into caller buffers: the units written (without the
** terminator), or -1 when the input is invalid or does not fit. Outputs are
** always terminated. */
int dk_utf16_to_utf8(const wchar_t *in, char *out, size_t out_size);
int dk_utf8_to_utf16(const char *in, wchar_t *out, size_t out_count);
/* Allocating forms (free() them): NULL when out of memory or, for
** dk_utf8_to_wide, when the UTF-8 is invalid. dk_utf16_to_utf8_alloc is lossy. */
wchar_t *dk_utf8_to_wide(const char *in);
char *dk_utf16_to_utf8_alloc(const wchar_t *in);
/* The same for a counted wide string (wlen units, not terminated). */
char *dk_utf16n_to_utf8_alloc(const wchar_t *in, int wlen);
/* The same, and *outlen = the bytes before the terminator (no strlen needed;
** a NUL unit inside the wlen units is converted and counted). */
char *dk_utf16n_to_utf8_alloc_len(const wchar_t *in, int wlen, size_t *outlen);
#endif

#endif
