/* Live registry keys, Win32 half (see reg_live.h). */
#include "dk_err.h"

#include "reg_live.h"

#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access_win.h" /* dk_win_key_open: the root keys and views, shared with access.key_security */
#include "dk_text.h"

static int fail_win(LONG e, const char *what, const char *path, char *err, size_t errlen, const char **code) {
  char m[256];
  dk_win32_message((DWORD)e, m, sizeof m);
  *code = dk_win32_code((DWORD)e);
  snprintf(err, errlen, "%s %s: %s (error %ld)", what, path, m, (long)e);
  return -1;
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
  void *key;
  LONG rc = dk_win_key_open(path, view, KEY_READ, &key, err, errlen, code);
  if (rc < 0) return -1;
  if (rc != ERROR_SUCCESS) return fail_win(rc, "RegOpenKeyEx", path, err, errlen, code);
  HKEY hk = key;
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
    out->subkeys[out->nsubkeys] = dk_utf16n_to_utf8_alloc(name, (int)nl);
    if (out->subkeys[out->nsubkeys]) out->nsubkeys++;
  }
  for (DWORD i = 0; i < nval; i++) {
    DWORD nl = maxname + 1, type = 0, dl = maxdata;
    if (RegEnumValueW(hk, i, name, &nl, NULL, &type, data, &dl) != ERROR_SUCCESS) break;
    dk_live_value *v = &out->values[out->nvalues];
    v->name = dk_utf16n_to_utf8_alloc(name, (int)nl);
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
