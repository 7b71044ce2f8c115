/* Live security descriptors and the process token, Win32 half (see access_win.h). */
#include "dk_err.h"

#include "access_win.h"

#include <windows.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"

static int fail_win(DWORD e, const char *what, const char *path, char *err, size_t errlen, const char **code) {
  char m[256];
  dk_win32_message(e, m, sizeof m);
  *code = dk_win32_code(e);
  if (e == ERROR_ACCESS_DENIED)
    snprintf(err, errlen, "cannot read the security descriptor of %s (%s): %s (error %lu); the verdict is unknown",
             path, what, m, (unsigned long)e);
  else
    snprintf(err, errlen, "%s %s: %s (error %lu)", what, path, m, (unsigned long)e);
  return -1;
}

int dk_win_file_sd(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen, const char **code) {
  *out = NULL;
  *len = 0;
  wchar_t *w = dk_utf8_to_wide(path);
  if (!w) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: not valid UTF-8", path);
    return -1;
  }
  SECURITY_INFORMATION si = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                            LABEL_SECURITY_INFORMATION;
  DWORD need = 0;
  if (!GetFileSecurityW(w, si, NULL, 0, &need) && GetLastError() != ERROR_INSUFFICIENT_BUFFER) {
    DWORD e = GetLastError();
    free(w);
    return fail_win(e, "GetFileSecurity", path, err, errlen, code);
  }
  uint8_t *buf = malloc(need ? need : 1);
  if (!buf) {
    free(w);
    *code = "ENOMEM";
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  if (!GetFileSecurityW(w, si, (PSECURITY_DESCRIPTOR)buf, need, &need)) {
    DWORD e = GetLastError();
    free(w);
    free(buf);
    return fail_win(e, "GetFileSecurity", path, err, errlen, code);
  }
  free(w);
  *out = buf;
  *len = GetSecurityDescriptorLength((PSECURITY_DESCRIPTOR)buf);
  return 0;
}

static const struct {
  const char *name;
  HKEY key;
} roots[] = {{"HKEY_LOCAL_MACHINE", HKEY_LOCAL_MACHINE}, {"HKLM", HKEY_LOCAL_MACHINE},
             {"HKEY_CURRENT_USER", HKEY_CURRENT_USER},   {"HKCU", HKEY_CURRENT_USER},
             {"HKEY_CLASSES_ROOT", HKEY_CLASSES_ROOT},   {"HKCR", HKEY_CLASSES_ROOT},
             {"HKEY_USERS", HKEY_USERS},                 {"HKU", HKEY_USERS},
             {"HKEY_CURRENT_CONFIG", HKEY_CURRENT_CONFIG}, {"HKCC", HKEY_CURRENT_CONFIG}};

long dk_win_key_open(const char *path, int view, unsigned long sam, void **key, char *err, size_t errlen,
                     const char **code) {
  *key = NULL;
  HKEY root = NULL;
  size_t skip = 0;
  for (size_t i = 0; i < sizeof roots / sizeof roots[0] && !root; i++) {
    size_t n = strlen(roots[i].name);
    if (_strnicmp(path, roots[i].name, n) == 0 && (path[n] == '\0' || path[n] == '\\' || path[n] == '/')) {
      skip = n + (path[n] ? 1 : 0);
      root = roots[i].key;
    }
  }
  if (!root) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: the path must start with HKLM, HKCU, HKCR, HKU or HKCC", path);
    return -1;
  }
  wchar_t *w = dk_utf8_to_wide(path + skip);
  if (!w) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: not valid UTF-8", path);
    return -1;
  }
  for (wchar_t *c = w; *c; c++)
    if (*c == L'/') *c = L'\\';
  sam |= view == 32 ? KEY_WOW64_32KEY : view == 64 ? KEY_WOW64_64KEY : 0;
  HKEY hk;
  LONG rc = RegOpenKeyExW(root, w, 0, (REGSAM)sam, &hk);
  free(w);
  if (rc == ERROR_SUCCESS) *key = hk;
  return rc;
}

int dk_win_key_sd(const char *path, int view, uint8_t **out, size_t *len, char *err, size_t errlen,
                  const char **code) {
  *out = NULL;
  *len = 0;
  void *key;
  LONG rc = dk_win_key_open(path, view, READ_CONTROL, &key, err, errlen, code);
  if (rc < 0) return -1;
  if (rc != ERROR_SUCCESS) return fail_win((DWORD)rc, "RegOpenKeyEx", path, err, errlen, code);
  HKEY hk = key;
  SECURITY_INFORMATION si = OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION |
                            LABEL_SECURITY_INFORMATION;
  DWORD need = 0;
  rc = RegGetKeySecurity(hk, si, NULL, &need);
  if (rc != ERROR_INSUFFICIENT_BUFFER && rc != ERROR_SUCCESS) {
    RegCloseKey(hk);
    return fail_win((DWORD)rc, "RegGetKeySecurity", path, err, errlen, code);
  }
  uint8_t *buf = malloc(need ? need : 1);
  if (!buf) {
    RegCloseKey(hk);
    *code = "ENOMEM";
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  rc = RegGetKeySecurity(hk, si, (PSECURITY_DESCRIPTOR)buf, &need);
  RegCloseKey(hk);
  if (rc != ERROR_SUCCESS) {
    free(buf);
    return fail_win((DWORD)rc, "RegGetKeySecurity", path, err, errlen, code);
  }
  *out = buf;
  *len = GetSecurityDescriptorLength((PSECURITY_DESCRIPTOR)buf);
  return 0;
}

static void *token_info(HANDLE tok, TOKEN_INFORMATION_CLASS cls) {
  DWORD need = 0;
  GetTokenInformation(tok, cls, NULL, 0, &need);
  if (need == 0) return NULL;
  void *p = malloc(need);
  if (p && !GetTokenInformation(tok, cls, p, need, &need)) {
    free(p);
    return NULL;
  }
  return p;
}

static void sid_text(PSID sid, char *buf, size_t len) {
  char *s = NULL;
  if (ConvertSidToStringSidA(sid, &s) && s) {
    snprintf(buf, len, "%s", s);
    LocalFree(s);
  } else {
    snprintf(buf, len, "S-?");
  }
}

void dk_wtoken_free(dk_wtoken *t) {
  free(t->groups);
  free(t->privs);
  t->groups = NULL;
  t->privs = NULL;
}

int dk_win_current_token(dk_wtoken *t, char *err, size_t errlen, const char **code) {
  memset(t, 0, sizeof *t);
  HANDLE tok;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok)) {
    DWORD e = GetLastError();
    return fail_win(e, "OpenProcessToken", "the current process", err, errlen, code);
  }
  TOKEN_USER *u = token_info(tok, TokenUser);
  TOKEN_GROUPS *g = token_info(tok, TokenGroups);
  TOKEN_PRIVILEGES *p = token_info(tok, TokenPrivileges);
  TOKEN_MANDATORY_LABEL *il = token_info(tok, TokenIntegrityLevel);
  TOKEN_ELEVATION el;
  TOKEN_ELEVATION_TYPE et;
  DWORD n;
  if (GetTokenInformation(tok, TokenElevation, &el, sizeof el, &n)) t->elevated = el.TokenIsElevated != 0;
  if (GetTokenInformation(tok, TokenElevationType, &et, sizeof et, &n)) t->elevation_type = (int)et;
  CloseHandle(tok);
  int ok = u != NULL && g != NULL;
  if (ok) {
    sid_text(u->User.Sid, t->user, sizeof t->user);
    t->groups = calloc(g->GroupCount ? g->GroupCount : 1, sizeof *t->groups);
    for (DWORD i = 0; t->groups && i < g->GroupCount; i++) {
      sid_text(g->Groups[i].Sid, t->groups[i].sid, sizeof t->groups[i].sid);
      t->groups[i].attributes = g->Groups[i].Attributes;
      t->ngroups++;
    }
    if (p) {
      t->privs = calloc(p->PrivilegeCount ? p->PrivilegeCount : 1, sizeof *t->privs);
      for (DWORD i = 0; t->privs && i < p->PrivilegeCount; i++) {
        DWORD nl = sizeof t->privs[i].name;
        LUID luid = p->Privileges[i].Luid;
        if (!LookupPrivilegeNameA(NULL, &luid, t->privs[i].name, &nl)) continue;
        t->privs[i].enabled = (p->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED) != 0;
        t->nprivs++;
      }
    }
    t->integrity = 0x2000;
    if (il) {
      PSID s = il->Label.Sid;
      UCHAR cnt = *GetSidSubAuthorityCount(s);
      if (cnt > 0) t->integrity = *GetSidSubAuthority(s, (DWORD)(cnt - 1));
    }
  }
  free(u);
  free(g);
  free(p);
  free(il);
  if (!ok) {
    *code = "EIO";
    snprintf(err, errlen, "GetTokenInformation failed for the current process");
    dk_wtoken_free(t);
    return -1;
  }
  return 0;
}
