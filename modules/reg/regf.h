/*
** Offline Windows registry hives (regf), portable C over a byte buffer.
** Base block (checksum, sequence numbers: dirty detection), hbins, nk / vk /
** sk / lf / lh / li / ri / db cells, every value type. Every offset and count
** is checked; errors say what is wrong and where; lists are walked with cycle
** and depth guards; a damaged hive is read as far as it is sound.
*/
#ifndef DK_REGF_H
#define DK_REGF_H

#include <stddef.h>
#include <stdint.h>

#include "dk_buf.h"

#define DK_REGF_NONE 0xFFFFFFFFu

typedef struct dk_hive dk_hive;

typedef struct dk_hive_info {
  uint32_t primary_seq, secondary_seq;
  int dirty;
  uint32_t major, minor, file_type, format;
  uint32_t root;
  uint32_t bins_size;    /* declared */
  uint32_t bins_found;   /* bytes of hbins actually walked */
  uint32_t nbins;
  uint32_t checksum, computed_checksum;
  int checksum_ok;
  uint64_t last_written; /* FILETIME */
  char file_name[200];   /* UTF-8, from the base block */
} dk_hive_info;

typedef struct dk_nk {
  uint32_t off;
  uint16_t flags;
  uint64_t mtime;
  uint32_t parent;
  uint32_t nsubkeys, subkeys;
  uint32_t nvalues, values;
  uint32_t sk;
  uint32_t class_off;
  uint16_t class_len;
  char name[1024]; /* UTF-8 */
} dk_nk;

typedef struct dk_vk {
  uint32_t off;
  uint32_t type;
  uint32_t size;   /* declared data size (without the inline bit) */
  int inline_data; /* data stored in the offset field */
  uint32_t data_off;
  uint16_t flags;
  char name[1024]; /* UTF-8; "" = the default value */
} dk_vk;

/* Opens a hive over data (copied). NULL with err set when it is not a hive at
   all; a damaged hive opens and records its problems (dk_hive_errors). */
dk_hive *dk_hive_open(const uint8_t *data, size_t len, char *err, size_t errlen);
/* Transaction-log replay (new format, HvLE entries, Windows 8.1+): a dirty
   primary (sequence numbers differ) gets the log entries whose sequence
   numbers run on from its secondary sequence number, each checked with its
   two Marvin32 hashes, applied in memory. Failing that, an old-format (DIRT)
   log is applied. The input buffers are not changed. */
typedef struct dk_replay {
  int attempted;       /* the primary was dirty and logs were given */
  unsigned entries;    /* applied */
  unsigned pages;      /* dirty pages written */
  uint32_t first_seq, last_seq;
  char stopped[200];   /* why the replay stopped ("no entry with sequence 577", "hash mismatch ...") */
} dk_replay;

dk_hive *dk_hive_open_logs(const uint8_t *data, size_t len, const uint8_t *const *logs, const size_t *loglens,
                           size_t nlogs, dk_replay *rep, char *err, size_t errlen);
/* Marvin32 with the registry's seed (0x82EF4D887A4E55C5). */
uint64_t dk_marvin32(const uint8_t *data, size_t len);

/* Reads a file. *code = "ENOENT", "EACCES", "DK_BAD_FORMAT", "ENOMEM". */
dk_hive *dk_hive_open_file(const char *path, char *err, size_t errlen, const char **code);
void dk_hive_close(dk_hive *h);

void dk_hive_get_info(const dk_hive *h, dk_hive_info *info);
/* Problems met so far (opening and reading): count and the i-th message. */
size_t dk_hive_nerrors(const dk_hive *h);
const char *dk_hive_error(const dk_hive *h, size_t i);

/* A key cell. 0 or -1 with err. */
int dk_hive_key(dk_hive *h, uint32_t off, dk_nk *nk, char *err, size_t errlen);
/* Subkey / value cell offsets, in stored order; *list is malloc'ed.
   0 = complete, 1 = partial (err says what was skipped), -1 = failure. */
int dk_hive_subkeys(dk_hive *h, const dk_nk *nk, uint32_t **list, size_t *n, char *err, size_t errlen);
int dk_hive_values(dk_hive *h, const dk_nk *nk, uint32_t **list, size_t *n, char *err, size_t errlen);
/* A value cell and its data (malloc'ed, big-data segments joined). */
int dk_hive_value(dk_hive *h, uint32_t off, dk_vk *vk, char *err, size_t errlen);
int dk_hive_value_data(dk_hive *h, const dk_vk *vk, uint8_t **data, size_t *len, char *err, size_t errlen);
/* Class name (UTF-8, malloc'ed), or NULL when none. */
char *dk_hive_class(dk_hive *h, const dk_nk *nk);
/* The key's security descriptor bytes (inside the hive buffer). 0 or -1. */
int dk_hive_security(dk_hive *h, const dk_nk *nk, const uint8_t **sd, size_t *len, char *err, size_t errlen);

/* Case-insensitive lookup of "A\\B\\C" (or '/') below key `from`. 0, or -1 (err says which part). */
int dk_hive_find(dk_hive *h, uint32_t from, const char *path, uint32_t *out, char *err, size_t errlen);

/* Case-insensitive compare of UTF-8 names (ASCII and Latin-1 folded). */
int dk_regname_cmp(const char *a, const char *b);

/* Appends the key tree to out in `hivexregedit --export` format (regedit 5, values
   as hex(t): or dword:); keys sorted by name, values by name, like hivexregedit.
   0, or -1 when memory ran out (free out either way). */
int dk_hive_export(dk_hive *h, uint32_t key, const char *path, dk_buf *out, size_t *nkeys, size_t *nvalues);

/* Depth-first walk (stored order). The callback returns non-zero to stop.
   Cycles and depth > 512 are detected and recorded as errors. */
typedef int (*dk_hive_walk_fn)(void *ud, const char *path, const dk_nk *nk);
int dk_hive_walk(dk_hive *h, uint32_t key, const char *path, dk_hive_walk_fn fn, void *ud);

#endif
