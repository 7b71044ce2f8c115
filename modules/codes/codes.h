/*
** diagkit.codes, portable core: "what can this exit code mean?"
**
** One number can be many things: 5 is ERROR_ACCESS_DENIED from a Windows program
** and EIO from a Linux one; 139 is a shell's "killed by SIGSEGV"; 0xC0000005 is
** the NTSTATUS of an access violation. dk_codes_lookup() returns every reading,
** most likely first, for the context the caller knows about.
**
** Tables: NTSTATUS, Win32 and HRESULT are generated from mingw-w64's headers
** (codes_data.c, tools/gen_codes.lua); signals (fixed Linux numbering), errno
** (this platform's values, strerror texts), shell, Go and Wine conventions are
** hand-maintained in codes.c. No Lua here; everything is read-only and
** thread-safe except that errno messages come from strerror().
*/
#ifndef DK_CODES_H
#define DK_CODES_H

#include <stddef.h>
#include <stdint.h>

typedef enum dk_code_kind {
  DK_CODE_NTSTATUS, /* Windows status / exception code (ntstatus.h) */
  DK_CODE_WIN32,    /* Win32 error, GetLastError() (winerror.h) */
  DK_CODE_HRESULT,  /* COM HRESULT (winerror.h) */
  DK_CODE_ERRNO,    /* errno of the platform diagkit was built for */
  DK_CODE_SIGNAL,   /* Linux signal number 1-31 */
  DK_CODE_SHELL,    /* POSIX shell exit-status convention (126, 127, 128+N, ...) */
  DK_CODE_GO,       /* Go runtime exit-status convention (1, 2, 66) */
  DK_CODE_WINE,     /* Wine's own exception codes (0x80000100 stub) */
  DK_CODE_KIND_COUNT
} dk_code_kind;

/* Context flags for dk_codes_lookup: what the caller knows about the program. */
#define DK_CODES_CTX_GO 0x1u      /* a Go program */
#define DK_CODES_CTX_SHELL 0x2u   /* the status was reported by a POSIX shell */
#define DK_CODES_CTX_WINDOWS 0x4u /* the program ran on Windows (or Wine) */
#define DK_CODES_CTX_LINUX 0x8u   /* the program ran on Linux / a POSIX system */

typedef enum dk_code_severity {
  DK_CODE_SEV_NONE, /* the kind has no severity field */
  DK_CODE_SEV_SUCCESS,
  DK_CODE_SEV_INFORMATIONAL, /* NTSTATUS only */
  DK_CODE_SEV_WARNING,       /* NTSTATUS only */
  DK_CODE_SEV_ERROR
} dk_code_severity;

/* Errors of dk_codes_lookup (negative return values). */
#define DK_CODES_EEMPTY (-1)   /* empty input */
#define DK_CODES_ESYNTAX (-2)  /* neither a number, a known name nor a known phrase */
#define DK_CODES_ERANGE (-3)   /* a number outside -2^31 .. 2^32-1 */
#define DK_CODES_EINVAL (-4)   /* NULL pointer or max < 0 */
#define DK_CODES_ENAME (-5)    /* looks like a name, but no table has it */

#define DK_CODES_MAX_NAMES 8 /* names kept per interpretation (canonical + aliases) */

/* A plain reading without decoding: what a wrapped code or a search hit is. */
typedef struct dk_code_ref {
  dk_code_kind kind;
  uint32_t value;
  const char *name;    /* canonical name, or NULL when no table names the value */
  const char *message; /* NULL when none is known */
} dk_code_ref;

typedef struct dk_code_interp {
  dk_code_kind kind;
  uint32_t value;      /* the code itself (for shell 139: 139; for signal: 11) */
  const char *name;    /* canonical name, or NULL (e.g. an unnamed NTSTATUS decoded by layout) */
  const char *message; /* description, or NULL */
  const char *aliases[DK_CODES_MAX_NAMES - 1]; /* other names of the same value */
  int n_aliases;
  dk_code_severity severity; /* NTSTATUS: Sev bits 31-30; HRESULT: S bit 31 */
  int customer;              /* NTSTATUS / HRESULT: the C bit (29); 0 otherwise */
  int has_facility;          /* NTSTATUS / HRESULT */
  uint32_t facility;         /* NTSTATUS bits 27-16, HRESULT bits 28-16 as HRESULT_FACILITY() */
  const char *facility_name; /* FACILITY_* or NULL */
  int has_wraps;             /* HRESULT_FROM_WIN32 / HRESULT_FROM_NT; shell 128+N -> signal N */
  dk_code_ref wraps;
  int signal;                /* shell 128+N and signal readings: N; 0 otherwise */
  char why[160];             /* one line: how the input was read this way */
} dk_code_interp;

/* Every reading of `input` (a number in hex, decimal or signed decimal, a name, or a
** phrase such as "exit status 2", "killed by signal 9", "code=3221225477"), most
** likely first given ctx_flags (DK_CODES_CTX_*). Writes at most max entries to out
** and returns how many it wrote (0: a valid number nothing explains), or a negative
** DK_CODES_E* error. */
int dk_codes_lookup(const char *input, unsigned ctx_flags, dk_code_interp *out, int max);

/* Same for a number already parsed (a 32-bit exit code as unsigned). */
int dk_codes_lookup_value(uint32_t value, unsigned ctx_flags, dk_code_interp *out, int max);

/* Message for a negative dk_codes_lookup result. */
const char *dk_codes_strerror(int rc);

/* Full decoding of one known (kind, value) into *out; returns 1, or 0 when the
** table of that kind does not hold the value (*out then still holds the layout). */
int dk_codes_describe(dk_code_kind kind, uint32_t value, dk_code_interp *out);

/* Canonical name of value in the table of kind, or NULL; *message (if message is
** not NULL) receives its description or NULL. */
const char *dk_codes_find_name(dk_code_kind kind, uint32_t value, const char **message);

/* Value of an exact name (case-insensitive: "sigsegv" works) in any table; returns 1
** and fills kind/value (either may be NULL), or 0 if no table has the name. */
int dk_codes_find_value(const char *name, dk_code_kind *kind, uint32_t *value);

/* Entries whose name or message contains text (ASCII case-insensitive, at least
** one character). Writes at most max to out; returns how many matched in all
** (which may exceed max), or DK_CODES_EINVAL / DK_CODES_EEMPTY. */
int dk_codes_search(const char *text, dk_code_ref *out, int max);

/* Number of names in the table of kind (aliases count), and of the facility tables. */
size_t dk_codes_count(dk_code_kind kind);
size_t dk_codes_facility_count(int hresult);

/* "ntstatus", "win32", "hresult", "errno", "signal", "shell", "go", "wine"; and back
** (returns -1 for an unknown name). */
const char *dk_codes_kind_name(dk_code_kind kind);
int dk_codes_kind_from_name(const char *name);
/* "success", "informational", "warning", "error", or NULL for DK_CODE_SEV_NONE. */
const char *dk_codes_severity_name(dk_code_severity sev);

#endif
