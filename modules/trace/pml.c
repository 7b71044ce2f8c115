/*
** Process Monitor's native log (.PML, version 9) -> dkt_pml_event.
**
** Layout, as reverse-engineered by the procmon-parser project (its
** docs/PML Format.md); every integer little-endian, every text UTF-16LE:
**
**   header (0x3A8 bytes)
**     0x000 "PML_"  0x004 version (9)  0x008 1 = 64-bit system
**     0x00C computer name (wchar[16])  0x02C system root (wchar[260])
**     0x234 number of events
**     0x240 events  0x248 event offsets  0x250 processes  0x258 strings
**     0x260 icons   (u64 file offsets)
**     0x274 OS major, minor, build  0x38C processors  0x390 RAM bytes
**     0x398 header size (0x3A8)  0x3A0 host and port names (u64 offset)
**   event offsets   n x {u32 file offset, u8 flags}
**   strings         u32 n, u32 offset[n] (from the table start),
**                   then each {u32 byte size, wchar text[]}
**   processes       u32 n, u32 index[n], u32 offset[n] (from the table
**                   start), then each process: index, pid, parent pid,
**                   parent index, u64 auth id, session, ?, FILETIME start,
**                   end, virtualized, 64-bit, then string indexes of
**                   integrity, user, name, image path, command line,
**                   company, version, description; 2 icon indexes, a
**                   pointer, u32 module count and the modules
**                   (2 pointers, size, 4 string indexes, time stamp, 24 bytes)
**   hosts, ports    u32 n, n x {16-byte IP, u32 size, wchar name[]};
**                   u32 n, n x {u16 port, u16 is_tcp, u32 size, wchar name[]}
**   event           0x00 process index, 0x04 thread id, 0x08 class,
**                   0x0C u16 operation, 0x14 u64 duration, 0x1C FILETIME,
**                   0x24 NTSTATUS, 0x28 u16 stack depth, 0x2C detail size,
**                   0x30 extra detail offset, 0x34 stack (depth pointers),
**                   then the detail structure of the operation, which holds
**                   the path. A detail string is announced by a u16
**                   (bit 15: ASCII, else UTF-16; bits 0-14: characters).
**
** Pointers are 8 bytes in a 64-bit log, 4 in a 32-bit one. Every offset and
** count is checked against the file before it is used.
*/
#include "dk_err.h" /* first: DK_PRINTF, and C99 printf on mingw-w64 */
#include "pml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_buf.h"
#include "dk_bytes.h"
#include "dk_text.h"

#define HEADER_SIZE 0x3A8u
#define EVENT_HEAD 0x34u

static char *utf16_dup(const uint8_t *u, size_t nbytes) {
  dk_buf s = {0};
  dk_buf_utf16le(&s, u, nbytes, DK_UTF16_STOP_NUL);
  return dk_buf_take(&s);
}

/* ---- reads through a cursor (dk_bytes.h underneath) ---- */

/* A bounded reader over [pos, end) of the file. */
typedef struct cur {
  const uint8_t *b;
  size_t pos, end;
  int bad; /* a read went past end */
} cur;

static const uint8_t *take(cur *c, size_t n) {
  if (c->bad || n > c->end - c->pos) {
    c->bad = 1;
    return NULL;
  }
  const uint8_t *p = c->b + c->pos;
  c->pos += n;
  return p;
}
static void skip(cur *c, size_t n) { (void)take(c, n); }
static uint8_t r8(cur *c) {
  const uint8_t *p = take(c, 1);
  return p ? p[0] : 0;
}
static uint16_t r16(cur *c) {
  const uint8_t *p = take(c, 2);
  return p ? dk_rd16le(p) : 0;
}
static uint32_t r32(cur *c) {
  const uint8_t *p = take(c, 4);
  return p ? dk_rd32le(p) : 0;
}
static uint64_t r64(cur *c) {
  const uint8_t *p = take(c, 8);
  return p ? dk_rd64le(p) : 0;
}

/* ---- the handle ---- */

typedef struct host_ent {
  uint8_t ip[16];
  char *name;
} host_ent;

typedef struct port_ent {
  uint16_t port;
  int tcp;
  char *name;
} port_ent;

struct dkt_pml {
  const uint8_t *b;
  size_t len;
  dkt_pml_info info;
  unsigned ptr;  /* pointer size: 8 or 4 */
  uint64_t off_events, off_offsets, off_procs, off_strings, off_icons, off_hosts;
  char *computer, *system_root;
  uint32_t nstr;
  char **strs;   /* UTF-8, converted when first referenced */
  dkt_pml_process *procs;
  uint32_t nprocs;
  uint32_t *order; /* procs sorted by index */
  host_ent *hosts;
  port_ent *ports;
  dk_buf path, detail, tmp, tmp2, op;
};


static const char *str_at(dkt_pml *p, uint32_t i, int *bad) {
  if (i >= p->nstr) {
    *bad = 1;
    return NULL;
  }
  return p->strs[i];
}

/* Converts string i of the table; returns 0 with a message when it does not fit. */
static int load_string(dkt_pml *p, uint32_t i, char *err, size_t err_size) {
  if (p->strs[i]) return 1;
  size_t at = (size_t)p->off_strings + 4 + (size_t)i * 4;
  uint32_t rel = dk_rd32le(p->b + at);
  if (rel > p->len - p->off_strings || p->len - p->off_strings - rel < 4) {
    dk_fail(err, err_size, "PML string %u: offset %u (at byte %zu) is past the end of the file (%zu bytes)", i, rel, at,
         p->len);
    return 0;
  }
  size_t s = (size_t)p->off_strings + rel;
  uint32_t size = dk_rd32le(p->b + s);
  if (size > p->len - s - 4) {
    dk_fail(err, err_size, "PML string %u at byte %zu: size %u runs past the end of the file", i, s, size);
    return 0;
  }
  p->strs[i] = utf16_dup(p->b + s + 4, size);
  if (!p->strs[i]) {
    dk_fail(err, err_size, "out of memory reading PML string %u", i);
    return 0;
  }
  return 1;
}

/* The process lookup sorts (index << 32 | position) keys. */
static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static const dkt_pml_process *find_proc(const dkt_pml *p, uint32_t index) {
  size_t lo = 0, hi = p->nprocs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint32_t v = p->procs[p->order[mid]].index;
    if (v == index) return &p->procs[p->order[mid]];
    if (v < index) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

static int read_strings(dkt_pml *p, char *err, size_t err_size) {
  size_t t = (size_t)p->off_strings;
  if (p->len - t < 4) {
    dk_fail(err, err_size, "PML string table at byte %zu: the file ends in its count", t);
    return 0;
  }
  uint32_t n = dk_rd32le(p->b + t);
  if (n > (p->len - t - 4) / 4) {
    dk_fail(err, err_size, "PML string table at byte %zu: %u strings do not fit in the %zu bytes left", t, n,
         p->len - t - 4);
    return 0;
  }
  p->nstr = n;
  p->strs = calloc(n ? n : 1, sizeof *p->strs);
  if (!p->strs) {
    dk_fail(err, err_size, "out of memory for %u PML strings", n);
    return 0;
  }
  return 1;
}

static int read_processes(dkt_pml *p, char *err, size_t err_size) {
  size_t t = (size_t)p->off_procs;
  if (p->len - t < 4) {
    dk_fail(err, err_size, "PML process table at byte %zu: the file ends in its count", t);
    return 0;
  }
  uint32_t n = dk_rd32le(p->b + t);
  if (n > (p->len - t - 4) / 8) {
    dk_fail(err, err_size, "PML process table at byte %zu: %u processes do not fit in the %zu bytes left", t, n,
         p->len - t - 4);
    return 0;
  }
  p->procs = calloc(n ? n : 1, sizeof *p->procs);
  p->order = calloc(n ? n : 1, sizeof *p->order);
  uint64_t *keys = calloc(n ? n : 1, sizeof *keys);
  if (!p->procs || !p->order || !keys) {
    free(keys);
    dk_fail(err, err_size, "out of memory for %u PML processes", n);
    return 0;
  }
  const size_t module_size = 2 * (size_t)p->ptr + 6 * 4 + 0x18;
  for (uint32_t i = 0; i < n; i++) {
    size_t at = t + 4 + (size_t)n * 4 + (size_t)i * 4;
    uint32_t rel = dk_rd32le(p->b + at);
    if (rel > p->len - t) {
      free(keys);
      dk_fail(err, err_size, "PML process %u: offset %u (at byte %zu) is past the end of the file", i, rel, at);
      return 0;
    }
    size_t s = t + rel;
    cur c = {p->b, s, p->len, 0};
    dkt_pml_process *q = &p->procs[i];
    q->index = r32(&c);
    q->pid = r32(&c);
    q->parent_pid = r32(&c);
    q->parent_index = r32(&c);
    q->auth_id = r64(&c);
    q->session = r32(&c);
    skip(&c, 4);
    q->start_time = r64(&c);
    q->end_time = r64(&c);
    q->virtualized = r32(&c) != 0;
    q->is_64bit = r32(&c) != 0;
    uint32_t si[8];
    for (int k = 0; k < 8; k++) si[k] = r32(&c);
    skip(&c, 8 + p->ptr); /* icon indexes, a pointer */
    q->modules = r32(&c);
    if (c.bad) {
      free(keys);
      dk_fail(err, err_size, "PML process %u at byte %zu: the file ends inside it", i, s);
      return 0;
    }
    if (q->modules > (p->len - c.pos) / module_size) {
      free(keys);
      dk_fail(err, err_size, "PML process %u at byte %zu: %u modules do not fit in the %zu bytes left", i, s,
           q->modules, p->len - c.pos);
      return 0;
    }
    const char **dst[8] = {&q->integrity, &q->user,    &q->name,    &q->image_path,
                           &q->command_line, &q->company, &q->version, &q->description};
    for (int k = 0; k < 8; k++) {
      int bad = 0;
      if (si[k] >= p->nstr) bad = 1;
      if (!bad && !load_string(p, si[k], err, err_size)) {
        free(keys);
        return 0;
      }
      *dst[k] = str_at(p, si[k], &bad);
      if (bad) {
        free(keys);
        dk_fail(err, err_size, "PML process %u at byte %zu: string index %u is out of range (%u strings)", i, s, si[k],
             p->nstr);
        return 0;
      }
    }
    keys[i] = (uint64_t)q->index << 32 | i;
  }
  qsort(keys, n, sizeof *keys, cmp_u64);
  for (uint32_t i = 0; i < n; i++) p->order[i] = (uint32_t)(keys[i] & 0xffffffffu);
  free(keys);
  p->nprocs = n;
  p->info.processes = n;
  return 1;
}

static int cmp_host(const void *a, const void *b);
static int cmp_port(const void *a, const void *b);

static int read_hosts_ports(dkt_pml *p, char *err, size_t err_size) {
  cur c = {p->b, (size_t)p->off_hosts, p->len, 0};
  uint32_t n = r32(&c);
  if (c.bad || n > (p->len - c.pos) / 20) {
    dk_fail(err, err_size, "PML host table at byte %zu: %s", (size_t)p->off_hosts,
         c.bad ? "the file ends in its count" : "the count does not fit in the file");
    return 0;
  }
  p->hosts = calloc(n ? n : 1, sizeof *p->hosts);
  if (!p->hosts) {
    dk_fail(err, err_size, "out of memory for %u PML hosts", n);
    return 0;
  }
  for (uint32_t i = 0; i < n; i++) {
    size_t at = c.pos;
    const uint8_t *ip = take(&c, 16);
    uint32_t size = r32(&c);
    const uint8_t *s = take(&c, size);
    if (c.bad) {
      dk_fail(err, err_size, "PML host %u at byte %zu: the file ends inside it", i, at);
      return 0;
    }
    memcpy(p->hosts[i].ip, ip, 16);
    p->hosts[i].name = utf16_dup(s, size);
    p->info.hosts = i + 1;
    if (!p->hosts[i].name) {
      dk_fail(err, err_size, "out of memory for PML host %u", i);
      return 0;
    }
  }
  size_t at_ports = c.pos;
  uint32_t m = r32(&c);
  if (c.bad || m > (p->len - c.pos) / 8) {
    dk_fail(err, err_size, "PML port table at byte %zu: %s", at_ports,
         c.bad ? "the file ends in its count" : "the count does not fit in the file");
    return 0;
  }
  p->ports = calloc(m ? m : 1, sizeof *p->ports);
  if (!p->ports) {
    dk_fail(err, err_size, "out of memory for %u PML ports", m);
    return 0;
  }
  for (uint32_t i = 0; i < m; i++) {
    size_t at = c.pos;
    uint16_t num = r16(&c);
    uint16_t tcp = r16(&c);
    uint32_t size = r32(&c);
    const uint8_t *s = take(&c, size);
    if (c.bad) {
      dk_fail(err, err_size, "PML port %u at byte %zu: the file ends inside it", i, at);
      return 0;
    }
    p->ports[i].port = num;
    p->ports[i].tcp = tcp != 0;
    p->ports[i].name = utf16_dup(s, size);
    p->info.ports = i + 1;
    if (!p->ports[i].name) {
      dk_fail(err, err_size, "out of memory for PML port %u", i);
      return 0;
    }
  }
  if (p->info.hosts) qsort(p->hosts, p->info.hosts, sizeof *p->hosts, cmp_host);
  if (p->info.ports) qsort(p->ports, p->info.ports, sizeof *p->ports, cmp_port);
  return 1;
}

int dkt_pml_open(const uint8_t *b, size_t len, dkt_pml **out, char *err, size_t err_size) {
  *out = NULL;
  if (len < 4 || memcmp(b, "PML_", 4) != 0) {
    dk_fail(err, err_size, "not a Process Monitor log: no \"PML_\" signature at byte 0");
    return DKT_PML_ERROR;
  }
  if (len < HEADER_SIZE) {
    dk_fail(err, err_size, "PML header: the file ends at byte %zu, inside the %u-byte header", len, HEADER_SIZE);
    return DKT_PML_ERROR;
  }
  uint32_t version = dk_rd32le(b + 4);
  if (version != 9) {
    dk_fail(err, err_size, "PML header: version %u at byte 4 is not supported (only 9)", version);
    return DKT_PML_ERROR;
  }
  dkt_pml *p = calloc(1, sizeof *p);
  if (!p) {
    dk_fail(err, err_size, "out of memory");
    return DKT_PML_ERROR;
  }
  p->b = b;
  p->len = len;
  p->info.version = version;
  p->info.is_64bit = dk_rd32le(b + 8) != 0;
  p->ptr = p->info.is_64bit ? 8 : 4;
  p->info.events = dk_rd32le(b + 0x234);
  p->off_events = dk_rd64le(b + 0x240);
  p->off_offsets = dk_rd64le(b + 0x248);
  p->off_procs = dk_rd64le(b + 0x250);
  p->off_strings = dk_rd64le(b + 0x258);
  p->off_icons = dk_rd64le(b + 0x260);
  p->info.os_major = dk_rd32le(b + 0x274);
  p->info.os_minor = dk_rd32le(b + 0x278);
  p->info.os_build = dk_rd32le(b + 0x27C);
  p->info.processors = dk_rd32le(b + 0x38C);
  p->info.memory = dk_rd64le(b + 0x390);
  uint64_t header_size = dk_rd64le(b + 0x398);
  p->off_hosts = dk_rd64le(b + 0x3A0);
  p->computer = utf16_dup(b + 0xC, 0x20);
  p->system_root = utf16_dup(b + 0x2C, 0x208);
  if (!p->computer || !p->system_root) {
    dk_fail(err, err_size, "out of memory");
    goto bad;
  }
  p->info.computer = p->computer;
  p->info.system_root = p->system_root;
  if (p->off_events == 0 || p->off_offsets == 0 || p->off_procs == 0 || p->off_strings == 0 || p->off_icons == 0) {
    dk_fail(err, err_size, "PML header: a table offset at bytes 0x240-0x260 is 0: the capture was not closed cleanly");
    goto bad;
  }
  if (header_size != HEADER_SIZE) {
    dk_fail(err, err_size, "PML header: header size %llu at byte 0x398 is not 0x3A8", (unsigned long long)header_size);
    goto bad;
  }
  static const struct {
    size_t field;
    const char *what;
  } tables[] = {{0x240, "events"},  {0x248, "event offsets"}, {0x250, "process table"},
                {0x258, "string table"}, {0x260, "icon table"}, {0x3A0, "host and port tables"}};
  for (size_t k = 0; k < sizeof tables / sizeof tables[0]; k++) {
    uint64_t o = dk_rd64le(b + tables[k].field);
    if (o < HEADER_SIZE || o >= len) {
      dk_fail(err, err_size, "PML header: the %s offset %llu (at byte 0x%zX) is %s (file size %zu)", tables[k].what,
           (unsigned long long)o, tables[k].field, o < HEADER_SIZE ? "inside the header" : "past the end of the file",
           len);
      goto bad;
    }
  }
  if (p->info.events > (len - (size_t)p->off_offsets) / 5) {
    dk_fail(err, err_size, "PML header: %u events (at byte 0x234) do not fit in the event offsets at byte %llu",
         p->info.events, (unsigned long long)p->off_offsets);
    goto bad;
  }
  if (!read_strings(p, err, err_size) || !read_processes(p, err, err_size) || !read_hosts_ports(p, err, err_size))
    goto bad;
  p->info.strings = p->nstr;
  *out = p;
  return DKT_PML_OK;
bad:
  dkt_pml_close(p);
  return DKT_PML_ERROR;
}

void dkt_pml_close(dkt_pml *p) {
  if (!p) return;
  if (p->strs)
    for (uint32_t i = 0; i < p->nstr; i++) free(p->strs[i]);
  free(p->strs);
  if (p->hosts)
    for (uint32_t i = 0; i < p->info.hosts; i++) free(p->hosts[i].name);
  if (p->ports)
    for (uint32_t i = 0; i < p->info.ports; i++) free(p->ports[i].name);
  free(p->hosts);
  free(p->ports);
  free(p->procs);
  free(p->order);
  free(p->computer);
  free(p->system_root);
  dk_buf_free(&p->path);
  dk_buf_free(&p->detail);
  dk_buf_free(&p->tmp);
  dk_buf_free(&p->tmp2);
  dk_buf_free(&p->op);
  free(p);
}

const dkt_pml_info *dkt_pml_get_info(const dkt_pml *p) { return &p->info; }

const dkt_pml_process *dkt_pml_process_at(const dkt_pml *p, size_t i) {
  return i < p->nprocs ? &p->procs[i] : NULL;
}

/* ---- names, as the CSV export writes them ---- */

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const CLASS_NAME[] = {"Unknown", "Process", "Registry", "File System", "Profiling", "Network"};

static const char *const PROCESS_OPS[] = {"Process Defined", "Process Create", "Process Exit",  "Thread Create",
                                          "Thread Exit",     "Load Image",     "Thread Profile", "Process Start",
                                          "Process Statistics", "System Statistics"};

static const char *const REGISTRY_OPS[] = {
    "RegOpenKey",    "RegCreateKey",   "RegCloseKey",  "RegQueryKey",    "RegSetValue",   "RegQueryValue",
    "RegEnumValue",  "RegEnumKey",     "RegSetInfoKey", "RegDeleteKey",  "RegDeleteValue", "RegFlushKey",
    "RegLoadKey",    "RegUnloadKey",   "RegRenameKey", "RegQueryMultipleValueKey", "RegSetKeySecurity",
    "RegQueryKeySecurity"};
enum {
  REG_OPEN = 0, REG_CREATE = 1, REG_QUERY_KEY = 3, REG_SET_VALUE = 4, REG_QUERY_VALUE = 5, REG_ENUM_VALUE = 6,
  REG_ENUM_KEY = 7, REG_SET_INFO = 8, REG_LOAD = 12, REG_RENAME = 14
};

static const char *const NETWORK_OPS[] = {"Unknown",    "Other",     "Send",      "Receive",    "Accept",
                                          "Connect",    "Disconnect", "Reconnect", "Retransmit", "TCPCopy"};

static const char *const PROFILING_OPS[] = {"Thread Profiling", "Process Profiling", "Debug Output Profiling"};

/* File system operations by IRP major function / fast I/O number. */
static const char *const FS_OPS[] = {
    "VolumeDismount", "VolumeMount", "FASTIO_MDL_WRITE_COMPLETE", "WriteFile2", "FASTIO_MDL_READ_COMPLETE",
    "ReadFile2", "QueryOpen", "FASTIO_CHECK_IF_POSSIBLE", "IRP_MJ_12", "IRP_MJ_11", "IRP_MJ_10", "IRP_MJ_9",
    "IRP_MJ_8", "FASTIO_NOTIFY_STREAM_FO_CREATION", "FASTIO_RELEASE_FOR_CC_FLUSH", "FASTIO_ACQUIRE_FOR_CC_FLUSH",
    "FASTIO_RELEASE_FOR_MOD_WRITE", "FASTIO_ACQUIRE_FOR_MOD_WRITE", "FASTIO_RELEASE_FOR_SECTION_SYNCHRONIZATION",
    "CreateFileMapping", "CreateFile", "CreatePipe", "IRP_MJ_CLOSE", "ReadFile", "WriteFile",
    "QueryInformationFile", "SetInformationFile", "QueryEAFile", "SetEAFile", "FlushBuffersFile",
    "QueryVolumeInformation", "SetVolumeInformation", "DirectoryControl", "FileSystemControl", "DeviceIoControl",
    "InternalDeviceIoControl", "Shutdown", "LockUnlockFile", "CloseFile", "CreateMailSlot", "QuerySecurityFile",
    "SetSecurityFile", "Power", "SystemControl", "DeviceChange", "QueryFileQuota", "SetFileQuota", "PlugAndPlay"};
enum {
  FS_QUERY_INFO = 25, FS_SET_INFO = 26, FS_QUERY_VOLUME = 30, FS_SET_VOLUME = 31, FS_DIRECTORY = 32,
  FS_LOCK = 37, FS_PNP = 47
};

typedef struct subop {
  uint8_t code;
  const char *name;
} subop;

static const subop QUERY_VOLUME[] = {
    {1, "QueryInformationVolume"},       {2, "QueryLabelInformationVolume"},
    {3, "QuerySizeInformationVolume"},   {4, "QueryDeviceInformationVolume"},
    {5, "QueryAttributeInformationVolume"}, {6, "QueryControlInformationVolume"},
    {7, "QueryFullSizeInformationVolume"}, {8, "QueryObjectIdInformationVolume"}};
static const subop SET_VOLUME[] = {
    {1, "SetControlInformationVolume"}, {2, "SetLabelInformationVolume"}, {8, "SetObjectIdInformationVolume"}};
static const subop QUERY_INFO[] = {
    {0x04, "QueryBasicInformationFile"}, {0x05, "QueryStandardInformationFile"},
    {0x06, "QueryFileInternalInformationFile"}, {0x07, "QueryEaInformationFile"},
    {0x09, "QueryNameInformationFile"}, {0x0e, "QueryPositionInformationFile"},
    {0x12, "QueryAllInformationFile"}, {0x14, "QueryEndOfFile"},
    {0x16, "QueryStreamInformationFile"}, {0x1c, "QueryCompressionInformationFile"},
    {0x1d, "QueryId"}, {0x1f, "QueryMoveClusterInformationFile"},
    {0x22, "QueryNetworkOpenInformationFile"}, {0x23, "QueryAttributeTagFile"},
    {0x25, "QueryIdBothDirectory"}, {0x27, "QueryValidDataLength"},
    {0x28, "QueryShortNameInformationFile"}, {0x2b, "QueryIoPiorityHint"},
    {0x2e, "QueryLinks"}, {0x30, "QueryNormalizedNameInformationFile"},
    {0x31, "QueryNetworkPhysicalNameInformationFile"}, {0x32, "QueryIdGlobalTxDirectoryInformation"},
    {0x33, "QueryIsRemoteDeviceInformation"}, {0x34, "QueryAttributeCacheInformation"},
    {0x35, "QueryNumaNodeInformation"}, {0x36, "QueryStandardLinkInformation"},
    {0x37, "QueryRemoteProtocolInformation"}, {0x38, "QueryRenameInformationBypassAccessCheck"},
    {0x39, "QueryLinkInformationBypassAccessCheck"}, {0x3a, "QueryVolumeNameInformation"},
    {0x3b, "QueryIdInformation"}, {0x3c, "QueryIdExtdDirectoryInformation"},
    {0x3e, "QueryHardLinkFullIdInformation"}, {0x3f, "QueryIdExtdBothDirectoryInformation"},
    {0x43, "QueryDesiredStorageClassInformation"}, {0x44, "QueryStatInformation"},
    {0x45, "QueryMemoryPartitionInformation"}, {0x46, "QuerySatLxInformation"},
    /* 0x47 (case sensitivity): Procmon writes <Unknown> */ {0x48, "QueryLinkInformationEx"},
    {0x49, "QueryLinkInfomraitonBypassAccessCheck"}, {0x4a, "QueryStorageReservedIdInformation"},
    {0x4b, "QueryCaseSensitiveInformationForceAccessCheck"}};
static const subop SET_INFO[] = {
    {0x04, "SetBasicInformationFile"}, {0x0a, "SetRenameInformationFile"},
    {0x0b, "SetLinkInformationFile"}, {0x0d, "SetDispositionInformationFile"},
    {0x0e, "SetPositionInformationFile"}, {0x13, "SetAllocationInformationFile"},
    {0x14, "SetEndOfFileInformationFile"}, {0x16, "SetFileStreamInformation"},
    {0x17, "SetPipeInformation"}, {0x27, "SetValidDataLengthInformationFile"},
    {0x28, "SetShortNameInformation"}, {0x3d, "SetReplaceCompletionInformation"},
    {0x40, "SetDispositionInformationEx"}, {0x41, "SetRenameInformationEx"},
    {0x42, "SetRenameInformationExBypassAccessCheck"}}; /* Procmon writes <Unknown> for 0x4a */
static const subop DIRECTORY[] = {{1, "QueryDirectory"}, {2, "NotifyChangeDirectory"}};
static const subop LOCK[] = {{1, "LockFile"}, {2, "UnlockFileSingle"}, {3, "UnlockFileAll"}, {4, "UnlockFileByKey"}};
static const subop PNP[] = {
    {0x00, "StartDevice"}, {0x01, "QueryRemoveDevice"}, {0x02, "RemoveDevice"}, {0x03, "CancelRemoveDevice"},
    {0x04, "StopDevice"}, {0x05, "QueryStopDevice"}, {0x06, "CancelStopDevice"}, {0x07, "QueryDeviceRelations"},
    {0x08, "QueryInterface"}, {0x09, "QueryCapabilities"}, {0x0a, "QueryResources"},
    {0x0b, "QueryResourceRequirements"}, {0x0c, "QueryDeviceText"}, {0x0d, "FilterResourceRequirements"},
    {0x0f, "ReadConfig"}, {0x10, "WriteConfig"}, {0x11, "Eject"}, {0x12, "SetLock"}, {0x13, "QueryId2"},
    {0x14, "QueryPnpDeviceState"}, {0x15, "QueryBusInformation"}, {0x16, "DeviceUsageNotification"},
    {0x17, "SurpriseRemoval"}, {0x18, "QueryLegacyBusInformation"}};

static const char *fs_operation(uint16_t op, uint8_t sub) {
  if (op >= COUNT(FS_OPS)) return "<Unknown>";
  const subop *t = NULL;
  size_t n = 0;
  switch (op) {
    case FS_QUERY_VOLUME: t = QUERY_VOLUME; n = COUNT(QUERY_VOLUME); break;
    case FS_SET_VOLUME: t = SET_VOLUME; n = COUNT(SET_VOLUME); break;
    case FS_QUERY_INFO: t = QUERY_INFO; n = COUNT(QUERY_INFO); break;
    case FS_SET_INFO: t = SET_INFO; n = COUNT(SET_INFO); break;
    case FS_DIRECTORY: t = DIRECTORY; n = COUNT(DIRECTORY); break;
    case FS_LOCK: t = LOCK; n = COUNT(LOCK); break;
    case FS_PNP: t = PNP; n = COUNT(PNP); break;
    default: break;
  }
  if (!t || sub == 0) return FS_OPS[op];
  for (size_t i = 0; i < n; i++)
    if (t[i].code == sub) return t[i].name;
  return "<Unknown>";
}

/* NTSTATUS -> Process Monitor's words, sorted by code for bsearch. */
typedef struct status_name {
  uint32_t code;
  const char *name;
} status_name;

static const status_name STATUS[] = {
    {0x00000000, "SUCCESS"}, {0x00000103, ""}, {0x00000104, "REPARSE"}, {0x00000105, "MORE ENTRIES"},
    {0x00000108, "OPLOCK BREAK IN PROGRESS"}, {0x0000010b, "NOTIFY CLEANUP"}, {0x0000010c, "NOTIFY ENUM DIR"},
    {0x0000012a, "FILE LOCKED WITH ONLY READERS"}, {0x0000012b, "FILE LOCKED WITH WRITERS"},
    {0x00000215, "OPLOCK SWITCHED TO NEW HANDLE"}, {0x00000216, "OPLOCK HANDLE CLOSED"},
    {0x00000367, "WAIT FOR OPLOCK"}, {0x40000016, "PREDEFINED HANDLE"}, {0x80000002, "DATATYPE MISALIGNMENT"},
    {0x80000005, "BUFFER OVERFLOW"}, {0x80000006, "NO MORE FILES"}, {0x80000015, "INVALID EA FLAG"},
    {0x8000001a, "NO MORE ENTRIES"}, {0xc0000001, "UNSUCCESSFUL"}, {0xc0000002, "NOT IMPLEMENTED"},
    {0xc0000003, "INVALID INFO CLASS"}, {0xc0000004, "INFO LENGTH MISMATCH"}, {0xc0000005, "ACCESS VIOLATION"},
    {0xc0000006, "IN PAGE ERROR"}, {0xc0000008, "INVALID HANDLE"}, {0xc000000d, "INVALID PARAMETER"},
    {0xc000000e, "NO SUCH DEVICE"}, {0xc000000f, "NO SUCH FILE"}, {0xc0000010, "INVALID DEVICE REQUEST"},
    {0xc0000011, "END OF FILE"}, {0xc0000012, "WRONG VOLUME"}, {0xc0000013, "NO MEDIA"},
    {0xc0000015, "NONEXISTENT SECTOR"}, {0xc0000017, "NO MEMORY"}, {0xc0000021, "ALREADY COMMITED"},
    {0xc0000022, "ACCESS DENIED"}, {0xc0000023, "BUFFER TOO SMALL"}, {0xc0000024, "OBJECT TYPE MISMATCH"},
    {0xc0000032, "DISK CORRUPT"}, {0xc0000033, "NAME INVALID"}, {0xc0000034, "NAME NOT FOUND"},
    {0xc0000035, "NAME COLLISION"}, {0xc0000039, "OBJECT PATH INVALID"}, {0xc000003a, "PATH NOT FOUND"},
    {0xc000003b, "PATH SYNTAX BAD"}, {0xc000003c, "DATA OVERRUN"}, {0xc000003f, "CRC ERROR"},
    {0xc0000043, "SHARING VIOLATION"}, {0xc0000044, "QUOTA EXCEEDED"}, {0xc000004f, "EAS NOT SUPPORTED"},
    {0xc0000050, "EA TOO LARGE"}, {0xc0000051, "NONEXISTENT EA ENTRY"}, {0xc0000052, "NO EAS ON FILE"},
    {0xc0000053, "EA CORRUPTED ERROR"}, {0xc0000054, "FILE LOCK CONFLICT"}, {0xc0000055, "NOT GRANTED"},
    {0xc0000056, "DELETE PENDING"}, {0xc0000061, "PRIVILEGE NOT HELD"}, {0xc000006d, "LOGON FAILURE"},
    {0xc000007e, "RANGE NOT LOCKED"}, {0xc000007f, "DISK FULL"}, {0xc0000098, "FILE INVALID"},
    {0xc000009a, "INSUFFICIENT RESOURCES"}, {0xc000009c, "DEVICE DATA ERROR"},
    {0xc000009d, "DEVICE NOT CONNECTED"}, {0xc00000a2, "MEDIA WRITE PROTECTED"},
    {0xc00000a5, "BAD IMPERSONATION"}, {0xc00000ab, "INSTANCE NOT AVAILABLE"},
    {0xc00000ac, "PIPE NOT AVAILABLE"}, {0xc00000ad, "INVALID PIPE STATE"}, {0xc00000ae, "PIPE BUSY"},
    {0xc00000b0, "PIPE DISCONNECTED"}, {0xc00000b1, "PIPE CLOSING"}, {0xc00000b2, "PIPE CONNECTED"},
    {0xc00000b3, "PIPE LISTENING"}, {0xc00000b4, "INVALID READ MODE"}, {0xc00000b5, "IO TIMEOUT"},
    {0xc00000ba, "IS DIRECTORY"}, {0xc00000bb, "NOT SUPPORTED"}, {0xc00000bd, "DUPLICATE NAME"},
    {0xc00000be, "BAD NETWORK PATH"}, {0xc00000c1, "BAD NETWORK PATH"}, {0xc00000c3, "INVALID NETWORK RESPONSE"},
    {0xc00000c4, "NETWORK ERROR"}, {0xc00000cc, "BAD NETWORK NAME"}, {0xc00000d4, "BAD NETWORK NAME"},
    {0xc00000d8, "CANT WAIT"}, {0xc00000d9, "PIPE EMPTY"}, {0xc00000db, "CSC OBJECT PATH NOT FOUND"},
    {0xc00000e2, "OPLOCK NOT GRANTED"}, {0xc00000ef, "INVALID PARAMETER 1"}, {0xc00000f0, "INVALID PARAMETER 2"},
    {0xc00000f1, "INVALID PARAMETER 3"}, {0xc00000f2, "INVALID PARAMETER 4"},
    {0xc00000fb, "REDIRECTOR NOT STARTED"}, {0xc0000101, "NOT EMPTY"}, {0xc0000102, "FILE CORRUPT"},
    {0xc0000103, "NOT A DIRECTORY"}, {0xc0000107, "FILES OPEN"}, {0xc000010d, "CANNOT IMPERSONATE"},
    {0xc0000120, "CANCELLED"}, {0xc0000121, "CANNOT DELETE"}, {0xc0000123, "FILE DELETED"},
    {0xc0000128, "FILE CLOSED"}, {0xc000012a, "THREAD NOT IN PROCESS"}, {0xc0000148, "INVALID LEVEL"},
    {0xc000014b, "PIPE BROKEN"}, {0xc000014c, "REGISTRY CORRUPT"}, {0xc000014d, "IO FAILED"},
    {0xc000017c, "KEY DELETED"}, {0xc0000181, "CHILD MUST BE VOLATILE"}, {0xc0000184, "INVALID DEVICE STATE"},
    {0xc0000185, "IO DEVICE ERROR"}, {0xc0000188, "LOG FILE FULL"}, {0xc000019c, "FS DRIVER REQUIRED"},
    {0xc0000205, "INSUFFICIENT SERVER RESOURCES"}, {0xc0000207, "INVALID ADDRESS COMPONENT"},
    {0xc000020c, "DISCONNECTED"}, {0xc0000225, "NOT FOUND"}, {0xc0000243, "USER MAPPED FILE"},
    {0xc0000248, "LOGIN WKSTA RESTRICTION"}, {0xc0000257, "PATH NOT COVERED"}, {0xc000026d, "DFS UNAVAILABLE"},
    {0xc0000273, "NO MORE MATCHES"}, {0xc0000275, "NOT REPARSE POINT"}, {0xc00002ea, "CANNOT MAKE"},
    {0xc00002f0, "OBJECTID NOT FOUND"}, {0xc0000388, "DOWNGRADE DETECTED"}, {0xc0000425, "HIVE UNLOADED"},
    {0xc0000427, "FILE SYSTEM LIMITATION"}, {0xc0000463, "DEVICE FEATURE NOT SUPPORTED"},
    {0xc000046d, "OBJECT NOT EXTERNALLY BACKED"}, {0xc0000909, "CANNOT BREAK OPLOCK"},
    {0xc000a2a1, "STATUS_OFFLOAD_READ_FLT_NOT_SUPPORTED"}, {0xc000a2a2, "STATUS_OFFLOAD_WRITE_FLT_NOT_SUPPORTED"},
    {0xc000a2a3, "OFFLOAD READ FILE NOT SUPPORTED"}, {0xc000a2a4, "OFFLOAD READ FILE NOT SUPPORTED"},
    {0xc0190001, "TRANSACTIONAL CONFLICT"}, {0xc0190002, "INVALID TRANSACTION"},
    {0xc0190003, "TRANSACTION_NOT_ACTIVE"}, {0xc019003e, "EFS NOT ALLOWED IN TRANSACTION"},
    {0xc019003f, "TRANSACTIONAL OPEN NOT ALLOWED"}, {0xc0190040, "TRANSACTED MAPPING UNSUPPORTED REMOTE"},
    {0xc0190044, "CANNOT EXECUTE FILE IN TRANSACTION"}, {0xc0190049, "SPARSE NOT ALLOWED IN TRANSACTION"},
    {0xc01c0004, "FAST IO DISALLOWED"}};

const char *dkt_pml_status_name(uint32_t status) {
  size_t lo = 0, hi = COUNT(STATUS);
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (STATUS[mid].code == status) return STATUS[mid].name;
    if (STATUS[mid].code < status) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* ---- detail structures ---- */

/* A detail string: the u16 announcing it, then its text read later. */
typedef struct dstr {
  int ascii;
  size_t chars;
} dstr;

static dstr str_info(cur *c) {
  uint16_t v = r16(c);
  dstr d = {v >> 15, v & 0x7FFFu};
  return d;
}

static void read_dstr(cur *c, dstr d, dk_buf *out) {
  size_t n = d.ascii ? d.chars : d.chars * 2;
  const uint8_t *s = take(c, n);
  if (!s) return;
  if (d.ascii) {
    size_t k = 0;
    while (k < n && s[k]) k++;
    dk_buf_add(out, (const char *)s, k);
  } else {
    dk_buf_utf16le(out, s, n, DK_UTF16_STOP_NUL);
  }
}

/* 100-ns units as "seconds.fffffff" */
static void put_seconds(dk_buf *s, uint64_t t) {
  dk_buf_printf(s, "%llu.%07llu", (unsigned long long)(t / 10000000u), (unsigned long long)(t % 10000000u));
}

/* 1234567 -> "1,234,567" */
static void put_thousands(dk_buf *s, uint64_t v) {
  char d[32];
  int n = snprintf(d, sizeof d, "%llu", (unsigned long long)v);
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) dk_buf_addc(s, ',');
    dk_buf_addc(s, d[i]);
  }
}

static void process_details(dkt_pml *p, cur *c, dkt_pml_event *e) {
  dk_buf *d = &p->detail;
  switch (e->op_code) {
    case 0: /* Process Defined */
    case 1: { /* Process Create */
      skip(c, 4);
      uint32_t pid = r32(c);
      skip(c, 0x24);
      uint8_t u1 = r8(c), u2 = r8(c);
      dstr path = str_info(c), cmd = str_info(c);
      skip(c, 2 + (size_t)u1 + u2);
      read_dstr(c, path, &p->path);
      dk_buf_clear(&p->tmp);
      read_dstr(c, cmd, &p->tmp);
      e->child_pid = pid;
      dk_buf_printf(d, "PID: %u, Command line: ", pid);
      dk_buf_adds(d, p->tmp.p ? p->tmp.p : "");
      break;
    }
    case 2:   /* Process Exit */
    case 8: { /* Process Statistics */
      uint32_t status = r32(c);
      uint64_t kernel = r64(c), user = r64(c), ws = r64(c), peak_ws = r64(c), priv = r64(c), peak_priv = r64(c);
      if (c->bad) return;
      if (e->op_code == 2) {
        e->has_exit = 1;
        e->exit_status = (int32_t)status;
      }
      dk_buf_printf(d, "Exit Status: %d, User Time: ", (int)(int32_t)status);
      put_seconds(d, user);
      dk_buf_adds(d, " seconds, Kernel Time: ");
      put_seconds(d, kernel);
      dk_buf_adds(d, " seconds, Private Bytes: ");
      put_thousands(d, priv);
      dk_buf_adds(d, ", Peak Private Bytes: ");
      put_thousands(d, peak_priv);
      dk_buf_adds(d, ", Working Set: ");
      put_thousands(d, ws);
      dk_buf_adds(d, ", Peak Working Set: ");
      put_thousands(d, peak_ws);
      break;
    }
    case 3: { /* Thread Create */
      uint32_t tid = r32(c);
      if (c->bad) return;
      e->child_pid = tid;
      dk_buf_printf(d, "Thread ID: %u", tid);
      break;
    }
    case 4: { /* Thread Exit */
      skip(c, 4);
      uint64_t kernel = r64(c), user = r64(c);
      if (c->bad) return;
      dk_buf_printf(d, "Thread ID: %u, User Time: ", e->tid);
      put_seconds(d, user);
      dk_buf_adds(d, ", Kernel Time: ");
      put_seconds(d, kernel);
      break;
    }
    case 5: { /* Load Image */
      uint64_t base = p->ptr == 8 ? r64(c) : r32(c);
      uint32_t size = r32(c);
      dstr path = str_info(c);
      skip(c, 2);
      read_dstr(c, path, &p->path);
      dk_buf_printf(d, "Image Base: 0x%llx, Image Size: 0x%x", (unsigned long long)base, size);
      break;
    }
    case 7: { /* Process Start */
      uint32_t ppid = r32(c);
      dstr cmd = str_info(c), cwd = str_info(c);
      uint32_t env_chars = r32(c);
      dk_buf_clear(&p->tmp);
      dk_buf_clear(&p->tmp2);
      read_dstr(c, cmd, &p->tmp);
      read_dstr(c, cwd, &p->tmp2);
      if (c->bad) return;
      dk_buf_printf(d, "Parent PID: %u, Command line: ", ppid);
      dk_buf_adds(d, p->tmp.p ? p->tmp.p : "");
      dk_buf_adds(d, ", Current directory: ");
      dk_buf_adds(d, p->tmp2.p ? p->tmp2.p : "");
      dk_buf_adds(d, ", Environment: ");
      /* a double-NUL-terminated list of NAME=value, each shown as "\r;\tNAME=value" */
      if ((uint64_t)env_chars * 2 > c->end - c->pos) {
        c->bad = 1;
        return;
      }
      const uint8_t *env = c->b + c->pos;
      size_t n = (size_t)env_chars * 2, i = 0;
      while (i + 1 < n) {
        size_t s = i;
        while (i + 1 < n && (env[i] | env[i + 1])) i += 2;
        if (i == s) break; /* the empty string ends the list */
        dk_buf_adds(d, "\r;\t");
        dk_buf_utf16le(d, env + s, i - s, DK_UTF16_STOP_NUL);
        i += 2;
      }
      c->pos += n;
      break;
    }
    default:
      break;
  }
}

static void registry_details(dkt_pml *p, cur *c, dkt_pml_event *e) {
  dstr path = str_info(c);
  switch (e->op_code) {
    case REG_LOAD:
    case REG_RENAME: skip(c, 2); break; /* the new name's announcement */
    case REG_OPEN:
    case REG_CREATE: skip(c, 2 + 4); break;
    case REG_QUERY_KEY:
    case REG_QUERY_VALUE: skip(c, 2 + 4 + 4); break;
    case REG_ENUM_VALUE:
    case REG_ENUM_KEY: skip(c, 2 + 4 + 4 + 4); break;
    case REG_SET_INFO: skip(c, 2 + 4 + 4 + 2 + 2); break;
    case REG_SET_VALUE: skip(c, 2 + 4 + 4 + 4); break;
    default: break;
  }
  read_dstr(c, path, &p->path);
}

static void fs_details(dkt_pml *p, cur *c, dkt_pml_event *e) {
  e->sub_op = r8(c);
  skip(c, 3);
  skip(c, (size_t)p->ptr * 5 + 0x14);
  dstr path = str_info(c);
  skip(c, 2);
  read_dstr(c, path, &p->path);
  if (e->op_code == FS_DIRECTORY && e->sub_op == 1 && !c->bad) { /* QueryDirectory: the filter */
    cur save = *c;
    dstr filter = str_info(c);
    dk_buf_clear(&p->tmp);
    read_dstr(c, filter, &p->tmp);
    if (c->bad) { /* no filter recorded */
      *c = save;
      return;
    }
    if (p->tmp.len) {
      if (p->path.len == 0 || p->path.p[p->path.len - 1] != '\\') dk_buf_addc(&p->path, '\\');
      dk_buf_add(&p->path, p->tmp.p, p->tmp.len);
    }
  }
}

/* The host and port tables are sorted once (read_hosts_ports) and searched
** here, so a log with many names and many network events stays linear. */
static int cmp_host(const void *a, const void *b) {
  return memcmp(((const host_ent *)a)->ip, ((const host_ent *)b)->ip, 16);
}

static int cmp_port(const void *a, const void *b) {
  const port_ent *x = a, *y = b;
  if (x->port != y->port) return x->port < y->port ? -1 : 1;
  return (x->tcp > y->tcp) - (x->tcp < y->tcp);
}

static void host_name(dkt_pml *p, dk_buf *s, const uint8_t *ip, int v4) {
  host_ent key;
  memcpy(key.ip, ip, 16);
  const host_ent *h = p->info.hosts ? bsearch(&key, p->hosts, p->info.hosts, sizeof key, cmp_host) : NULL;
  if (h && h->name[0]) {
    dk_buf_adds(s, h->name);
    return;
  }
  if (v4) {
    dk_buf_printf(s, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
  } else {
    for (int k = 0; k < 8; k++) dk_buf_printf(s, k ? ":%x" : "%x", (unsigned)(ip[2 * k] << 8 | ip[2 * k + 1]));
  }
}

static void port_name(dkt_pml *p, dk_buf *s, uint16_t port, int tcp) {
  port_ent key = {port, tcp, NULL};
  const port_ent *q = p->info.ports ? bsearch(&key, p->ports, p->info.ports, sizeof key, cmp_port) : NULL;
  if (q && q->name[0]) {
    dk_buf_adds(s, q->name);
    return;
  }
  dk_buf_printf(s, "%u", port);
}

static void network_details(dkt_pml *p, cur *c, dkt_pml_event *e) {
  uint16_t flags = r16(c);
  skip(c, 2);
  uint32_t length = r32(c);
  const uint8_t *src = take(c, 16), *dst = take(c, 16);
  uint16_t sport = r16(c), dport = r16(c);
  if (c->bad) return;
  int tcp = (flags & 4) != 0;
  dk_buf_clear(&p->op);
  dk_buf_adds(&p->op, tcp ? "TCP " : "UDP ");
  dk_buf_adds(&p->op, e->operation);
  e->operation = p->op.oom ? e->operation : p->op.p;
  host_name(p, &p->path, src, flags & 1);
  dk_buf_addc(&p->path, ':');
  port_name(p, &p->path, sport, tcp);
  dk_buf_adds(&p->path, " -> ");
  host_name(p, &p->path, dst, flags & 2);
  dk_buf_addc(&p->path, ':');
  port_name(p, &p->path, dport, tcp);
  dk_buf_printf(&p->detail, "Length: %u", length);
  /* then NUL-separated name, value pairs (an empty name ends them) */
  const uint8_t *q = c->b + c->pos;
  size_t n = c->end - c->pos, i = 0;
  for (int k = 0;; k++) {
    size_t s = i;
    while (i + 1 < n && (q[i] | q[i + 1])) i += 2;
    if (i == s || i + 1 >= n) break;
    dk_buf_adds(&p->detail, k % 2 ? ": " : ", ");
    dk_buf_utf16le(&p->detail, q + s, i - s, DK_UTF16_STOP_NUL);
    i += 2;
  }
  c->pos = c->end;
}

/* "7:37:18.2093997 AM": a FILETIME's time of day (UTC), as the CSV writes it. */
static void time_of_day(uint64_t ft, char *buf, size_t n) {
  uint64_t day = ft % (864000000000ull);
  unsigned h = (unsigned)(day / 36000000000ull), m = (unsigned)(day / 600000000ull % 60),
           s = (unsigned)(day / 10000000ull % 60), f = (unsigned)(day % 10000000ull);
  snprintf(buf, n, "%u:%02u:%02u.%07u %s", h % 12 ? h % 12 : 12, m, s, f, h < 12 ? "AM" : "PM");
}

void dkt_pml_time_of_day(uint64_t filetime, char *buf, size_t n) { time_of_day(filetime, buf, n); }

int dkt_pml_events(dkt_pml *p, dkt_pml_fn fn, void *ud, char *err, size_t err_size) {
  char result_buf[16];
  /* Events lie in file order and never overlap (as Procmon writes them), so
  ** the whole read is linear in the file size whatever the offsets say. */
  size_t prev_end = (size_t)p->off_events;
  for (uint32_t i = 0; i < p->info.events; i++) {
    size_t at = (size_t)p->off_offsets + (size_t)i * 5;
    uint32_t off = dk_rd32le(p->b + at);
    if (off < HEADER_SIZE || off > p->len || p->len - off < EVENT_HEAD) {
      dk_fail(err, err_size, "PML event %u: offset %u (at byte %zu) is %s (file size %zu)", i, off, at,
           off < HEADER_SIZE ? "inside the header" : "past the end of the file", p->len);
      return DKT_PML_ERROR;
    }
    if (off < prev_end) {
      dk_fail(err, err_size, "PML event %u: offset %u (at byte %zu) is before the end of the %s (byte %zu)", i, off, at,
           i ? "previous event" : "header", prev_end);
      return DKT_PML_ERROR;
    }
    const uint8_t *h = p->b + off;
    dkt_pml_event e;
    memset(&e, 0, sizeof e);
    e.index = i;
    e.offset = off;
    uint32_t pidx = dk_rd32le(h);
    e.tid = dk_rd32le(h + 4);
    uint32_t cls = dk_rd32le(h + 8);
    e.op_code = dk_rd16le(h + 0xC);
    e.duration = dk_rd64le(h + 0x14);
    e.time = dk_rd64le(h + 0x1C);
    e.status = dk_rd32le(h + 0x24);
    e.stack_depth = dk_rd16le(h + 0x28);
    uint32_t detail_size = dk_rd32le(h + 0x2C);
    e.process = find_proc(p, pidx);
    if (!e.process) {
      dk_fail(err, err_size, "PML event %u at byte %u: process index %u is not in the process table", i, off, pidx);
      return DKT_PML_ERROR;
    }
    size_t stack = (size_t)e.stack_depth * p->ptr;
    size_t ds = (size_t)off + EVENT_HEAD + stack;
    if (ds > p->len || detail_size > p->len - ds) {
      dk_fail(err, err_size,
           "PML event %u at byte %u: its %u stack frames and %u-byte details run past the end of the file", i, off,
           e.stack_depth, detail_size);
      return DKT_PML_ERROR;
    }
    prev_end = ds + detail_size;
    e.event_class = cls <= DKT_PML_NETWORK ? (dkt_pml_class)cls : DKT_PML_UNKNOWN;
    e.class_name = CLASS_NAME[e.event_class];
    dk_buf_clear(&p->path);
    dk_buf_clear(&p->detail);
    cur c = {p->b, ds, ds + detail_size, 0};
    switch (e.event_class) {
      case DKT_PML_PROCESS:
        e.operation = e.op_code < COUNT(PROCESS_OPS) ? PROCESS_OPS[e.op_code] : "<Unknown>";
        process_details(p, &c, &e);
        break;
      case DKT_PML_REGISTRY:
        e.operation = e.op_code < COUNT(REGISTRY_OPS) ? REGISTRY_OPS[e.op_code] : "<Unknown>";
        registry_details(p, &c, &e);
        break;
      case DKT_PML_FILE_SYSTEM:
        fs_details(p, &c, &e);
        e.operation = fs_operation(e.op_code, e.sub_op);
        break;
      case DKT_PML_PROFILING:
        e.operation = e.op_code < COUNT(PROFILING_OPS) ? PROFILING_OPS[e.op_code] : "<Unknown>";
        break;
      case DKT_PML_NETWORK:
        e.operation = e.op_code < COUNT(NETWORK_OPS) ? NETWORK_OPS[e.op_code] : "<Unknown>";
        network_details(p, &c, &e);
        break;
      default:
        e.operation = "<Unknown>";
        break;
    }
    if (c.bad) {
      dk_fail(err, err_size, "PML event %u at byte %u: the %s details (%u bytes at byte %zu) end before their fields do",
           i, off, e.operation, detail_size, ds);
      return DKT_PML_ERROR;
    }
    if (p->path.oom || p->detail.oom || p->tmp.oom || p->tmp2.oom || p->op.oom) {
      dk_fail(err, err_size, "out of memory at PML event %u", i);
      return DKT_PML_ERROR;
    }
    e.path = p->path.len ? p->path.p : NULL;
    e.detail = p->detail.len ? p->detail.p : NULL;
    e.result = dkt_pml_status_name(e.status);
    if (!e.result) {
      snprintf(result_buf, sizeof result_buf, "0x%X", e.status);
      e.result = result_buf;
    }
    if (fn(ud, &e)) return DKT_PML_STOPPED;
  }
  return DKT_PML_OK;
}
