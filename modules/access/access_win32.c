/* Live security descriptors and the process token, Win32 half (see access_win.h). */
#include "dk_printf.h"

#include "access_win.h"

#include <windows.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *code_of(DWORD e) {
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_NAME:
  case ERROR_BAD_NETPATH: return "ENOENT";
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD: return "EACCES";
  default: return "EIO";
  }
}

static void win_msg(DWORD e, char *buf, size_t len) {
  char tmp[256];
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, tmp, sizeof tmp,
                           NULL);
  while (n > 0 && (tmp[n - 1] == '\r' || tmp[n - 1] == '\n' || tmp[n - 1] == '.')) tmp[--n] = '\0';
  if (n == 0) snprintf(tmp, sizeof tmp, "Win32 error %lu", (unsigned long)e);
  snprintf(buf, len, "%s (error %lu)", tmp, (unsigned long)e);
}

static wchar_t *wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
  if (n <= 0) return NULL;
  wchar_t *w = malloc((size_t)n * sizeof *w);
  if (w && MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n) <= 0) {
    free(w);
    w = NULL;
  }
  return w;
}

static int fail_win(DWORD e, const char *what, const char *path, char *err, size_t errlen, const char **code) {
  char m[300];
  win_msg(e, m, sizeof m);
  *code = code_of(e);
  if (e == ERROR_ACCESS_DENIED)
    snprintf(err, errlen, "cannot read the security descriptor of %s (%s): %s; the verdict is unknown", path, what, m);
  else
    snprintf(err, errlen, "%s %s: %s", what, path, m);
  return -1;
}

int dk_win_file_sd(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen, const char **code) {
  *out = NULL;
  *len = 0;
  wchar_t *w = wide(path);
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

static HKEY root_of(const char *path, size_t *skip) {
  static const struct {
    const char *name;
    HKEY key;
  } roots[] = {{"HKEY_LOCAL_MACHINE", HKEY_LOCAL_MACHINE}, {"HKLM", HKEY_LOCAL_MACHINE},
               {"HKEY_CURRENT_USER", HKEY_CURRENT_USER},   {"HKCU", HKEY_CURRENT_USER},
               {"HKEY_CLASSES_ROOT", HKEY_CLASSES_ROOT},   {"HKCR", HKEY_CLASSES_ROOT},
               {"HKEY_USERS", HKEY_USERS},                 {"HKU", HKEY_USERS},
               {"HKEY_CURRENT_CONFIG", HKEY_CURRENT_CONFIG}, {"HKCC", HKEY_CURRENT_CONFIG}};
  for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
    size_t n = strlen(roots[i].name);
    if (_strnicmp(path, roots[i].name, n) == 0 && (path[n] == '\0' || path[n] == '\\' || path[n] == '/')) {
      *skip = n + (path[n] ? 1 : 0);
      return roots[i].key;
    }
  }
  return NULL;
}

int dk_win_key_sd(const char *path, int view, uint8_t **out, size_t *len, char *err, size_t errlen,
                  const char **code) {
  *out = NULL;
  *len = 0;
  size_t skip = 0;
  HKEY root = root_of(path, &skip);
  if (!root) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: the path must start with HKLM, HKCU, HKCR, HKU or HKCC", path);
    return -1;
  }
  wchar_t *w = wide(path + skip);
  if (!w) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: not valid UTF-8", path);
    return -1;
  }
  for (wchar_t *c = w; *c; c++)
    if (*c == L'/') *c = L'\\';
  REGSAM sam = READ_CONTROL | (view == 32 ? KEY_WOW64_32KEY : view == 64 ? KEY_WOW64_64KEY : 0);
  HKEY hk;
  LONG rc = RegOpenKeyExW(root, w, 0, sam, &hk);
  free(w);
  if (rc != ERROR_SUCCESS) return fail_win((DWORD)rc, "RegOpenKeyEx", path, err, errlen, code);
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
