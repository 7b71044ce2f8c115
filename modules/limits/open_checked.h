/*
** Opening a file for a sandboxed check without a window between the check
** and the use (issue: a symlink swapped in after realpath() and before
** open() escaped the allowed folders). The file is opened first; what the
** policy then judges is the path of the file actually opened, read back from
** the descriptor; reads go through that descriptor, and native functions get
** a name that reopens that very file (/proc/self/fd/N on Linux).
*/
#ifndef DK_OPEN_CHECKED_H
#define DK_OPEN_CHECKED_H

#include "dk_err.h"

#include <stdio.h>

typedef struct dk_opened {
  FILE *f;          /* read-only stream on the opened file */
  char real[4096];  /* the opened file's canonical path */
  char alias[64];   /* a name that reopens this same file ("" where the OS has none) */
} dk_opened;

/* Opens path read-only (never blocking on a FIFO). Returns 0, or -1 with e set. */
int dk_open_checked(const char *path, dk_opened *o, dk_err *e);

#endif
