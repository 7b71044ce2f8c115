/*
** diagkit.svc: one Windows service as the Service Control Manager sees it.
** The Win32 half asks the SCM; the POSIX half fails with DK_SVC_NOT_WINDOWS.
*/
#ifndef DK_SVC_H
#define DK_SVC_H

#include <stddef.h>

#define DK_SVC_MAX_ACTIONS 8
#define DK_SVC_NOT_WINDOWS 0xFFFFFFFFu /* the error code on other systems */

typedef struct dk_svc_info {
  char *image, *account, *display, *group;
  char *depends; /* NUL-separated names, ending with an empty one; NULL when none */
  unsigned type, start, error_control;
  int has_status;
  unsigned state, win32_exit, service_exit, pid, checkpoint, wait_hint;
  int has_failure;
  unsigned reset_period_s, nactions;
  struct {
    unsigned type, delay_ms; /* SC_ACTION: 0 none, 1 restart, 2 reboot, 3 run command */
  } actions[DK_SVC_MAX_ACTIONS];
  char *command; /* failure command line, or NULL */
} dk_svc_info;

/* Fills out (UTF-8 strings owned by it). Returns 0, or -1 with the Win32 error
** in *code (1060 no such service, 5 access denied, ...) and a message. */
int dk_svc_query(const char *name, dk_svc_info *out, unsigned *code, char *msg, size_t msg_size);
void dk_svc_info_free(dk_svc_info *info);

#endif
