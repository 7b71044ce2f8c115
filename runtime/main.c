/*
** The diagkit command. All it does is open a host through the public API and
** hand the arguments to the Lua CLI (scripts/diagkit/cli.lua).
*/
#include "diagkit.h"
#include "platform.h"

#include <stdio.h>

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
  return status;
}
