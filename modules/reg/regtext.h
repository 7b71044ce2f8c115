/*
** Registry text files: regedit 5 ("Windows Registry Editor Version 5.00",
** UTF-16LE with BOM or UTF-8), regedit 4 ("REGEDIT4", 8-bit) and Wine's
** system.reg / user.reg ("WINE REGISTRY Version 2"). Portable C; every line
** problem is recorded with its line number and parsing goes on.
*/
#ifndef DK_REGTEXT_H
#define DK_REGTEXT_H

#include <stddef.h>
#include <stdint.h>

enum { DK_REGTEXT_5 = 5, DK_REGTEXT_4 = 4, DK_REGTEXT_WINE = 2 };

typedef struct dk_regtext_value {
  char *name;      /* UTF-8; "" = the default value (@) */
  uint32_t type;
  uint8_t *data;   /* as the registry would store it (strings UTF-16LE + NUL) */
  size_t len;
  int deleted;     /* "name"=- */
  int line;
} dk_regtext_value;

typedef struct dk_regtext_key {
  char *path;      /* UTF-8, backslash separated, as written (Wine: unescaped) */
  int deleted;     /* [-path] */
  int line;
  dk_regtext_value *values;
  size_t nvalues, cap;
} dk_regtext_key;

typedef struct dk_regtext {
  int format;
  char relative_to[256]; /* Wine: ";; All keys relative to \\Machine" */
  dk_regtext_key *keys;
  size_t nkeys, cap;
  char **errors;
  size_t nerrors, errcap;
} dk_regtext;

/* 0, or -1 when the text is not a registry file at all (err says why).
   Line-level problems go to out->errors ("line 12: ..."). */
int dk_regtext_parse(const uint8_t *buf, size_t len, dk_regtext *out, char *err, size_t errlen);
void dk_regtext_free(dk_regtext *r);

#endif
