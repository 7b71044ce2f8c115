/* Live registry keys, Win32 half (see reg_live.h). */
#include "dk_printf.h"

#include "reg_live.h"

#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *code_of(LONG e) {
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND: return "ENOENT";
  case ERROR_ACCESS_DENIED: return "EACCES";
  default: return "EIO";
  }
}

static int fail_win(LONG e, const char *what, const char *path, char *err, size_t errlen, const char **code) {
  char m[256];
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)e, 0, m, sizeof m,
                           NULL);
  while (n > 0 && (m[n - 1] == '\r' || m[n - 1] == '\n' || m[n - 1] == '.')) m[--n] = '\0';
  if (n == 0) snprintf(m, sizeof m, "Win32 error %ld", (long)e);
  *code = code_of(e);
  snprintf(err, errlen, "%s %s: %s (error %ld)", what, path, m, (long)e);
  return -1;
}

static char *utf8(const wchar_t *w, int wlen) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, wlen, NULL, 0, NULL, NULL);
  char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
  if (!s) return NULL;
  if (n > 0) WideCharToMultiByte(CP_UTF8, 0, w, wlen, s, n, NULL, NULL);
  s[n > 0 ? n : 0] = '\0';
  return s;
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

void dk_reg_live_free(dk_live_key *k) {
  for (size_t i = 0; i < k->nsubkeys; i++) free(k->subkeys[i]);
  free(k->subkeys);
  for (size_t i = 0; i < k->nvalues; i++) {
    free(k->values[i].name);
    free(k->values[i].data);
  }
  free(k->values);
  memset(k, 0, sizeof *k);
}

int dk_reg_live_read(const char *path, int view, dk_live_key *out, char *err, size_t errlen, const char **code) {
  memset(out, 0, sizeof *out);
  size_t skip = 0;
  HKEY root = root_of(path, &skip);
  if (!root) {
    *code = "EINVAL";
    snprintf(err, errlen, "%s: the path must start with HKLM, HKCU, HKCR, HKU or HKCC", path);
    return -1;
  }
  int wn = MultiByteToWideChar(CP_UTF8, 0, path + skip, -1, NULL, 0);
  wchar_t *w = wn > 0 ? malloc((size_t)wn * sizeof *w) : NULL;
  if (!w || MultiByteToWideChar(CP_UTF8, 0, path + skip, -1, w, wn) <= 0) {
    free(w);
    *code = "EINVAL";
    snprintf(err, errlen, "%s: not valid UTF-8", path);
    return -1;
  }
  for (wchar_t *c = w; *c; c++)
    if (*c == L'/') *c = L'\\';
  REGSAM sam = KEY_READ | (view == 32 ? KEY_WOW64_32KEY : view == 64 ? KEY_WOW64_64KEY : 0);
  HKEY hk;
  LONG rc = RegOpenKeyExW(root, w, 0, sam, &hk);
  free(w);
  if (rc != ERROR_SUCCESS) return fail_win(rc, "RegOpenKeyEx", path, err, errlen, code);
  DWORD nsub = 0, maxsub = 0, nval = 0, maxname = 0, maxdata = 0;
  rc = RegQueryInfoKeyW(hk, NULL, NULL, NULL, &nsub, &maxsub, NULL, &nval, &maxname, &maxdata, NULL, NULL);
  if (rc != ERROR_SUCCESS) {
    RegCloseKey(hk);
    return fail_win(rc, "RegQueryInfoKey", path, err, errlen, code);
  }
  wchar_t *name = malloc(((size_t)(maxsub > maxname ? maxsub : maxname) + 2) * sizeof *name);
  uint8_t *data = malloc((size_t)maxdata + 2);
  out->subkeys = calloc(nsub ? nsub : 1, sizeof *out->subkeys);
  out->values = calloc(nval ? nval : 1, sizeof *out->values);
  if (!name || !data || !out->subkeys || !out->values) {
    free(name);
    free(data);
    RegCloseKey(hk);
    dk_reg_live_free(out);
    *code = "EIO";
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  for (DWORD i = 0; i < nsub; i++) {
    DWORD nl = maxsub + 1;
    if (RegEnumKeyExW(hk, i, name, &nl, NULL, NULL, NULL, NULL) != ERROR_SUCCESS) break;
    out->subkeys[out->nsubkeys] = utf8(name, (int)nl);
    if (out->subkeys[out->nsubkeys]) out->nsubkeys++;
  }
  for (DWORD i = 0; i < nval; i++) {
    DWORD nl = maxname + 1, type = 0, dl = maxdata;
    if (RegEnumValueW(hk, i, name, &nl, NULL, &type, data, &dl) != ERROR_SUCCESS) break;
    dk_live_value *v = &out->values[out->nvalues];
    v->name = utf8(name, (int)nl);
    v->type = type;
    v->data = malloc(dl ? dl : 1);
    if (!v->name || !v->data) {
      free(v->name);
      free(v->data);
      continue;
    }
    memcpy(v->data, data, dl);
    v->len = dl;
    out->nvalues++;
  }
  free(name);
  free(data);
  RegCloseKey(hk);
  return 0;
}
