/*
** The part of dk_file the two OS halves share (file_posix.c, file_win32.c):
** reading a descriptor or handle to its end into a buffer, with the cap.
*/
#ifndef DK_FILE_READ_H
#define DK_FILE_READ_H

#include "dk_file.h"

/* Reads up to n bytes into buf: the count, 0 at the end, or -1 with e set. */
typedef long (*dk_file_reader)(void *os, void *buf, size_t n, const char *path, dk_err *e);

/* Reads to the end into a malloc'd buffer given to f, at most max bytes
** (more is EFBIG, naming a stream or a file). size_hint: the size expected
** (0: unknown). Returns 0, or -1 with e set. */
int dk_file_read_all(dk_filebuf *f, dk_file_reader rd, void *os, const char *path, uint64_t max, size_t size_hint,
                     int stream, dk_err *e);

#endif
