/* diagkit.svc, POSIX half: there is no Service Control Manager here. */
#include <stdio.h>
#include <string.h>

#include "svc.h"

int dk_svc_query(const char *name, dk_svc_info *out, unsigned *code, char *msg, size_t msg_size) {
  memset(out, 0, sizeof *out);
  *code = DK_SVC_NOT_WINDOWS;
  snprintf(msg, msg_size, "%s: the Service Control Manager is Windows-only (offline: a SYSTEM hive or sc text)", name);
  return -1;
}

void dk_svc_info_free(dk_svc_info *info) { (void)info; }
