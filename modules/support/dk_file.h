/*
** A file as read-only bytes: mapped when it is a regular file, read into
** memory when the caller asks for that, refused otherwise. One place decides
** what diagkit opens: directories are named as such, FIFOs and devices are
** refused unless the caller reads streams by design (and then capped), sizes
** are checked before anything is mapped or read, and opening never blocks on
** a FIFO that has no writer.
*/
#ifndef DK_FILE_H
#define DK_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "dk_err.h"

typedef struct dk_filebuf {
  const uint8_t *data; /* size bytes, never NULL ("" when empty); not terminated */
  size_t size;
  int owned;           /* 1: data is malloc'd (read, or replaced by the caller) */
  void *os1, *os2;     /* Win32: the file and mapping handles */
  int guard;           /* POSIX: 1 + the slot of the mapping in the SIGBUS guard, 0 for none */
} dk_filebuf;

enum {
  DK_FILE_RANDOM = 1u,     /* mapped reads jump around: no read-ahead */
  DK_FILE_SEQUENTIAL = 2u, /* read front to back: read-ahead */
  DK_FILE_STREAMS = 4u,    /* pipes, FIFOs and character devices are read (at most max bytes) instead of refused */
  DK_FILE_READ = 8u,       /* read regular files into memory instead of mapping them */
};

/* The cap for streams when max is 0. */
#define DK_FILE_STREAM_MAX ((uint64_t)256 << 20)

/* Opens path and gives its bytes in f. max: refuse more than max bytes
** (EFBIG; 0 = only what the address space allows, streams DK_FILE_STREAM_MAX).
** Returns 0, or -1 with e set ("ENOENT", "EACCES", "EISDIR", "EFBIG", "ENOMEM",
** "EINVAL" for a kind of file that is refused, "EIO"). f is always valid to close. */
int dk_file_open(dk_filebuf *f, const char *path, unsigned flags, uint64_t max, dk_err *e);
void dk_file_close(dk_filebuf *f);
#ifndef _WIN32
struct stat;
/* The first step of every open of a file diagkit reads (dk_file_open,
** limits.open): read-only, close-on-exec, no controlling terminal, and
** without blocking on a FIFO that has no writer; then fstat into st.
** Returns the descriptor (still O_NONBLOCK), or -1 with e set. */
int dk_file_open_fd(const char *path, struct stat *st, dk_err *e);
#endif

/* Lets the OS drop the pages of a mapping from this process (they come back
** from the page cache when touched): keeps the resident set small. */
void dk_file_trim(dk_filebuf *f);
/* 1 when the file shrank under its mapping while it was read: the pages past
** the new end read as zeros (instead of killing the process with SIGBUS), so
** whatever was parsed from them is not a result. Check it before trusting
** what a parse of a mapped file returned; say "the file changed while it was
** read". Always 0 on Windows, which does not let a mapped file shrink. */
int dk_file_changed(const dk_filebuf *f);

/* Hands f a malloc'd buffer (e.g. inflated bytes), releasing what it held. */
void dk_file_replace(dk_filebuf *f, uint8_t *data, size_t size);

#endif
