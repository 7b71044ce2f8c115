/*
** Live registry keys (Windows only, reg_win32.c): subkeys and values of a key
** opened with RegOpenKeyExW in the 32- or 64-bit view.
*/
#ifndef DK_REG_LIVE_H
#define DK_REG_LIVE_H

#include <stddef.h>
#include <stdint.h>

typedef struct dk_live_value {
  char *name;     /* UTF-8 */
  uint32_t type;
  uint8_t *data;
  size_t len;
} dk_live_value;

typedef struct dk_live_key {
  char **subkeys; /* UTF-8 */
  size_t nsubkeys;
  dk_live_value *values;
  size_t nvalues;
} dk_live_key;

/* path: "HKLM\\SOFTWARE\\X" (HKLM, HKCU, HKCR, HKU, HKCC or long names); view 0, 32 or 64.
   0, or -1 with err and *code ("ENOENT", "EACCES", "EINVAL", "EIO"). */
int dk_reg_live_read(const char *path, int view, dk_live_key *out, char *err, size_t errlen, const char **code);
void dk_reg_live_free(dk_live_key *k);

#endif
