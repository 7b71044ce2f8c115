/*
** The generated code tables (codes_data.c, from tools/gen_codes.lua): internal to
** modules/codes. Each table is sorted by value, several names of one value in a
** row with the canonical one first; by_name indexes the entries sorted by name.
*/
#ifndef DK_CODES_DATA_H
#define DK_CODES_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct dk_code_entry {
  uint32_t value;
  const char *name;
  const char *message; /* NULL when no source describes the code */
} dk_code_entry;

typedef struct dk_code_table {
  const dk_code_entry *entries;
  const uint16_t *by_name; /* NULL for the facility tables (looked up by value only) */
  size_t count;
} dk_code_table;

extern const dk_code_table dk_codes_ntstatus;
extern const dk_code_table dk_codes_win32;
extern const dk_code_table dk_codes_hresult;
/* FACILITY_* of ntstatus.h (NTSTATUS bits 27-16) and of winerror.h (HRESULT facilities). */
extern const dk_code_table dk_codes_ntstatus_facilities;
extern const dk_code_table dk_codes_hresult_facilities;

#endif
