/*
** diagkit.trace: Process Monitor's native log format (.PML, version 9), on
** any OS. Plain C, no Lua (cmocka tests it, libFuzzer fuzzes it).
**
** The layout (reverse-engineered by the procmon-parser project, see
** docs/lua-api/trace.md): a 0x3A8-byte header with the file offsets of the
** events, the array of event offsets, the process table, the string table,
** the icons and the host/port names; every text is UTF-16LE and comes out
** here as UTF-8.
**
** dkt_pml_open checks the header and reads the tables (every count and
** offset checked against the file size); dkt_pml_events then hands the
** events to a callback one at a time, with the operation and result named as
** Process Monitor's CSV export names them ("CreateFile", "Process Exit",
** "NAME NOT FOUND"...), so the same code reads both. Errors name what is
** wrong and its byte offset.
*/
#ifndef DK_TRACE_PML_H
#define DK_TRACE_PML_H

#include <stddef.h>
#include <stdint.h>

typedef struct dkt_pml dkt_pml;

typedef struct dkt_pml_info {
  uint32_t version;       /* 9 */
  int is_64bit;           /* the capturing system */
  uint32_t events;        /* number of events */
  const char *computer;   /* UTF-8 */
  const char *system_root;
  uint32_t os_major, os_minor, os_build;
  uint32_t processors;
  uint64_t memory;        /* bytes of RAM */
  uint32_t processes;     /* entries of the process table */
  uint32_t strings;       /* entries of the string table */
  uint32_t hosts, ports;  /* entries of the host and port name tables */
} dkt_pml_info;

typedef struct dkt_pml_process {
  uint32_t index;         /* what events refer to it by */
  uint32_t pid, parent_pid, parent_index, session;
  uint64_t auth_id;       /* authentication (logon) id */
  uint64_t start_time, end_time; /* FILETIME (100 ns since 1601, UTC); 0 = still running */
  int virtualized, is_64bit;
  uint32_t modules;       /* modules listed for it */
  /* UTF-8, never NULL ("" when absent) */
  const char *name, *image_path, *command_line, *user, *integrity, *company, *version, *description;
} dkt_pml_process;

typedef enum dkt_pml_class {
  DKT_PML_UNKNOWN = 0,
  DKT_PML_PROCESS = 1,
  DKT_PML_REGISTRY = 2,
  DKT_PML_FILE_SYSTEM = 3,
  DKT_PML_PROFILING = 4,
  DKT_PML_NETWORK = 5
} dkt_pml_class;

typedef struct dkt_pml_event {
  size_t index;           /* 0-based position in the log */
  uint64_t offset;        /* byte offset of the event in the file */
  const dkt_pml_process *process;
  uint32_t tid;
  dkt_pml_class event_class;
  const char *class_name; /* "Process", "Registry", "File System", "Profiling", "Network" */
  uint16_t op_code;       /* operation number in its class */
  uint8_t sub_op;         /* file system sub-operation (QueryDirectory...) or 0 */
  const char *operation;  /* as the CSV export writes it: "CreateFile", "Load Image", "TCP Send" */
  uint64_t time;          /* FILETIME (UTC) */
  uint64_t duration;      /* 100 ns units */
  uint32_t status;        /* NTSTATUS */
  const char *result;     /* as the CSV writes it: "SUCCESS", "NAME NOT FOUND", "0xC0000999" */
  uint16_t stack_depth;   /* frames recorded (skipped) */
  const char *path;       /* UTF-8, NULL when the event names none */
  const char *detail;     /* CSV-style Detail for process events, NULL otherwise */
  int has_exit;           /* Process Exit: the exit status is known */
  int32_t exit_status;    /* signed, as the CSV writes it */
  uint32_t child_pid;     /* Process Create: the new process; Thread Create: the thread id */
} dkt_pml_event;

typedef int (*dkt_pml_fn)(void *ud, const dkt_pml_event *e);

enum { DKT_PML_OK = 0, DKT_PML_STOPPED = 1, DKT_PML_ERROR = -1 };

/* Checks the header and reads the tables of a PML file held in buf (which
** must outlive the handle). On error returns DKT_PML_ERROR with *out NULL
** and a message in err. */
int dkt_pml_open(const uint8_t *buf, size_t len, dkt_pml **out, char *err, size_t err_size);

const dkt_pml_info *dkt_pml_get_info(const dkt_pml *p);
/* The process table, in file order (i < info.processes). */
const dkt_pml_process *dkt_pml_process_at(const dkt_pml *p, size_t i);

/* Hands every event to fn in log order. Strings in the event are valid until
** fn returns. Returns DKT_PML_OK, DKT_PML_STOPPED when fn returned non-zero,
** or DKT_PML_ERROR with a message naming the event and its byte offset. */
int dkt_pml_events(dkt_pml *p, dkt_pml_fn fn, void *ud, char *err, size_t err_size);

void dkt_pml_close(dkt_pml *p);

/* A FILETIME's time of day (UTC) as the CSV export writes it:
** "7:37:18.2093997 AM". */
void dkt_pml_time_of_day(uint64_t filetime, char *buf, size_t n);

/* Process Monitor's name for an NTSTATUS result ("NAME NOT FOUND"), or NULL
** when it writes the number. */
const char *dkt_pml_status_name(uint32_t status);

#endif
