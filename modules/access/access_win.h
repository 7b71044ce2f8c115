/*
** The Windows half of diagkit.access (access_win32.c): live security
** descriptors of files and registry keys, and the current process token.
** Failures say "cannot read" with the Win32 error and a code: ENOENT when the
** object does not exist, EACCES when its descriptor may not be read (the
** verdict is then unknown, never guessed).
*/
#ifndef DK_ACCESS_WIN_H
#define DK_ACCESS_WIN_H

#include <stddef.h>
#include <stdint.h>

/* Self-relative SD (owner, group, DACL, label); *out malloc'ed. 0 or -1. */
int dk_win_file_sd(const char *path, uint8_t **out, size_t *len, char *err, size_t errlen, const char **code);
/* "HKLM\\SOFTWARE\\X" (HKLM, HKCU, HKCR, HKU, HKCC or the long names); view 0, 32 or 64. */
int dk_win_key_sd(const char *path, int view, uint8_t **out, size_t *len, char *err, size_t errlen,
                  const char **code);

/* Opens the key a registry path as above names, in view 0, 32 or 64, with the
** access rights sam (a REGSAM). Returns 0 (ERROR_SUCCESS) with *key (an HKEY
** to RegCloseKey); -1 with err and *code "EINVAL" for a path with no known
** root or invalid UTF-8; else the Win32 error of RegOpenKeyExW, for the caller
** to report. reg_win32.c opens its live keys with it too. */
long dk_win_key_open(const char *path, int view, unsigned long sam, void **key, char *err, size_t errlen,
                     const char **code);

typedef struct dk_wgroup {
  char sid[192];
  uint32_t attributes;
} dk_wgroup;

typedef struct dk_wpriv {
  char name[64];
  int enabled;
} dk_wpriv;

typedef struct dk_wtoken {
  char user[192];
  dk_wgroup *groups;
  size_t ngroups;
  dk_wpriv *privs;
  size_t nprivs;
  uint32_t integrity;  /* RID of the integrity SID */
  int elevated;        /* TokenElevation */
  int elevation_type;  /* 1 default, 2 full, 3 limited */
} dk_wtoken;

int dk_win_current_token(dk_wtoken *t, char *err, size_t errlen, const char **code);
void dk_wtoken_free(dk_wtoken *t);

#endif
