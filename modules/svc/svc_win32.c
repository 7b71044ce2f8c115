/*
** diagkit.svc, Win32 half: OpenSCManagerW / OpenServiceW with query rights
** only (no administrator needed for most services), then the configuration,
** the status and the failure actions.
*/
#include "dk_err.h"

#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"
#include "svc.h"

static char *to_utf8(const wchar_t *w) { return w ? dk_utf16_to_utf8_alloc(w) : NULL; }

/* lpDependencies: NUL-separated, double-NUL-terminated UTF-16; groups start with '+'.
** Converted whole, both terminators included, to the same layout in UTF-8. */
static char *multi_to_utf8(const wchar_t *w) {
  if (!w || !*w) return NULL;
  const wchar_t *p = w;
  while (*p) p += wcslen(p) + 1;
  return dk_utf16n_to_utf8_alloc(w, (int)(p - w) + 1);
}

/* The Win32 error stays the code (svc.query documents numbers: 1060 no such service). */
static int fail(unsigned e, unsigned *code, char *msg, size_t msg_size, const char *what, const char *name) {
  char text[256];
  dk_win32_message(e, text, sizeof text);
  *code = e;
  snprintf(msg, msg_size, "%s %s: %s (Win32 error %u)", what, name, text, e);
  return -1;
}

int dk_svc_query(const char *name, dk_svc_info *out, unsigned *code, char *msg, size_t msg_size) {
  memset(out, 0, sizeof *out);
  wchar_t wname[512];
  if (dk_utf8_to_utf16(name, wname, 512) < 0)
    return fail(ERROR_INVALID_NAME, code, msg, msg_size, "service name", name);
  SC_HANDLE scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
  if (!scm) return fail((unsigned)GetLastError(), code, msg, msg_size, "OpenSCManager for", name);
  SC_HANDLE svc = OpenServiceW(scm, wname, SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS);
  if (!svc) {
    unsigned e = (unsigned)GetLastError();
    CloseServiceHandle(scm);
    return fail(e, code, msg, msg_size, "OpenService", name);
  }
  int rc = 0;
  DWORD need = 0;
  QueryServiceConfigW(svc, NULL, 0, &need);
  QUERY_SERVICE_CONFIGW *qc = need ? malloc(need) : NULL;
  if (!qc || !QueryServiceConfigW(svc, qc, need, &need)) {
    rc = fail(qc ? (unsigned)GetLastError() : ERROR_NOT_ENOUGH_MEMORY, code, msg, msg_size, "QueryServiceConfig",
              name);
  } else {
    out->type = qc->dwServiceType;
    out->start = qc->dwStartType;
    out->error_control = qc->dwErrorControl;
    out->image = to_utf8(qc->lpBinaryPathName);
    out->account = to_utf8(qc->lpServiceStartName);
    out->display = to_utf8(qc->lpDisplayName);
    out->group = qc->lpLoadOrderGroup && *qc->lpLoadOrderGroup ? to_utf8(qc->lpLoadOrderGroup) : NULL;
    out->depends = multi_to_utf8(qc->lpDependencies);
  }
  free(qc);
  if (rc == 0) {
    SERVICE_STATUS_PROCESS st;
    DWORD got = 0;
    if (QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (BYTE *)&st, sizeof st, &got)) {
      out->has_status = 1;
      out->state = st.dwCurrentState;
      out->win32_exit = st.dwWin32ExitCode;
      out->service_exit = st.dwServiceSpecificExitCode;
      out->pid = st.dwProcessId;
      out->checkpoint = st.dwCheckPoint;
      out->wait_hint = st.dwWaitHint;
    }
    need = 0;
    QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, NULL, 0, &need);
    SERVICE_FAILURE_ACTIONSW *fa = need ? malloc(need) : NULL;
    if (fa && QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, (BYTE *)fa, need, &need)) {
      out->has_failure = 1;
      out->reset_period_s = fa->dwResetPeriod;
      out->command = fa->lpCommand && *fa->lpCommand ? to_utf8(fa->lpCommand) : NULL;
      for (DWORD i = 0; i < fa->cActions && i < DK_SVC_MAX_ACTIONS && fa->lpsaActions; i++) {
        out->actions[i].type = (unsigned)fa->lpsaActions[i].Type;
        out->actions[i].delay_ms = fa->lpsaActions[i].Delay;
        out->nactions = (unsigned)i + 1;
      }
    }
    free(fa);
  }
  CloseServiceHandle(svc);
  CloseServiceHandle(scm);
  if (rc != 0) dk_svc_info_free(out);
  return rc;
}

void dk_svc_info_free(dk_svc_info *info) {
  free(info->image);
  free(info->account);
  free(info->display);
  free(info->group);
  free(info->depends);
  free(info->command);
  memset(info, 0, sizeof *info);
}
