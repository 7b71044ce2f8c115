/*
** The diagkit command. All it does is open a host through the public API and
** hand the arguments to the Lua CLI (scripts/diagkit/cli.lua).
*/
#include "diagkit.h"
#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* EX_IOERR (sysexits.h): the report was made but could not be written. */
#define DK_EX_IOERR 74

int main(int argc, char **argv) {
  if (dk_prepare_process(&argc, &argv) != 0) {
    fputs("diagkit: cannot read the command line\n", stderr);
    return DK_UNKNOWN;
  }
  char *err = NULL;
  dk_host *h = dk_open(NULL, &err);
  if (h == NULL) {
    fprintf(stderr, "diagkit: %s\n", err != NULL ? err : "cannot start");
    dk_free(err);
    return DK_UNKNOWN;
  }
  int status = dk_main(h, argc, argv);
  dk_close(h);
  /* The CLI checks its own writes; this catches what stdio still buffers
     (a full disk, /dev/full, a closed pipe) so that a lost report is never
     exit status 0. */
  if (fflush(stdout) != 0 || ferror(stdout)) {
    /* The CLI (diagkit/cli.lua) said so already when it returned 3 or 74. */
    if (status == DK_UNKNOWN || status == DK_EX_IOERR) return status;
    fprintf(stderr, "diagkit: cannot write the output: %s\n", errno ? strerror(errno) : "write error");
    return DK_EX_IOERR;
  }
  return status;
}
