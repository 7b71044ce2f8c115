/*
** diagkit.trace's PML reader (modules/trace/pml.c):
**   - the fixtures written by tests/fixtures/trace/make_pml.py (64- and 32-bit),
**     field by field and against the CSV export the generator writes beside them;
**   - Process Monitor's own capture in ../shared/data/procmon (UTC64Process.pml
**     and its CSV export, decompressed at test time), event by event against
**     the CSV parser; skipped when that folder is absent;
**   - damaged files: truncated at every offset, counts and offsets corrupted:
**     each gives an error that names the problem and a byte offset.
*/
#define _POSIX_C_SOURCE 200809L
#include "test_util.h"

#include "pml.h"
#include "trace.h"

#define FIXTURES TU_SRC("tests/fixtures/trace/")
#define SHARED TU_SRC("../shared/data/procmon/")

/* Room for one more element in a growing array of n (64 at first, then doubling). */
static void *grow(void *a, size_t n, size_t *cap, size_t size) {
  if (n < *cap) return a;
  *cap = *cap ? *cap * 2 : 64;
  a = realloc(a, *cap * size);
  assert_non_null(a);
  return a;
}

/* Events copied out of the callback. */
typedef struct prec {
  char time[40], process[64], operation[64], path[256], result[40], detail[512];
  uint32_t pid, tid, status, child;
  int has_exit, cls;
  int32_t exit_status;
  uint16_t depth;
} prec;

typedef struct precs {
  prec *r;
  size_t n, cap;
} precs;

static int collect(void *ud, const dkt_pml_event *e) {
  precs *c = ud;
  c->r = grow(c->r, c->n, &c->cap, sizeof *c->r);
  prec *r = &c->r[c->n++];
  memset(r, 0, sizeof *r);
  dkt_pml_time_of_day(e->time, r->time, sizeof r->time);
  snprintf(r->process, sizeof r->process, "%s", e->process->name);
  snprintf(r->operation, sizeof r->operation, "%s", e->operation);
  snprintf(r->path, sizeof r->path, "%s", e->path ? e->path : "");
  snprintf(r->result, sizeof r->result, "%s", e->result);
  snprintf(r->detail, sizeof r->detail, "%s", e->detail ? e->detail : "");
  r->pid = e->process->pid;
  r->tid = e->tid;
  r->status = e->status;
  r->child = e->child_pid;
  r->has_exit = e->has_exit;
  r->exit_status = e->exit_status;
  r->cls = (int)e->event_class;
  r->depth = e->stack_depth;
  return 0;
}

/* The header's strings die with the handle: copies for the assertions. */
static char computer[64], system_root[300];

static int read_all(const tu_blob *b, precs *out, dkt_pml_info *info, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  dkt_pml *p = NULL;
  if (dkt_pml_open(b->p, b->n, &p, err, err_size) != DKT_PML_OK) {
    assert_null(p);
    return DKT_PML_ERROR;
  }
  if (info) {
    *info = *dkt_pml_get_info(p);
    snprintf(computer, sizeof computer, "%s", info->computer);
    snprintf(system_root, sizeof system_root, "%s", info->system_root);
    info->computer = computer;
    info->system_root = system_root;
  }
  int rc = dkt_pml_events(p, collect, out, err, err_size);
  dkt_pml_close(p);
  return rc;
}

/* The CSV export's rows, with "" undone, for comparison. */
typedef struct crec {
  char time[40], process[64], operation[64], path[256], result[40], detail[512];
  long long pid;
  int has_exit;
  long long exit_code;
} crec;

typedef struct crecs {
  const char *b;
  crec *r;
  size_t n, cap;
} crecs;

static void span_copy(char *dst, size_t cap, const char *b, dkt_span s) {
  size_t o = 0;
  for (size_t i = 0; i < s.len && o + 1 < cap; i++) {
    dst[o++] = b[s.off + i];
    if (b[s.off + i] == '"' && i + 1 < s.len && b[s.off + i + 1] == '"') i++;
  }
  dst[o] = '\0';
}

static int collect_csv(void *ud, const dkt_event *e) {
  crecs *c = ud;
  c->r = grow(c->r, c->n, &c->cap, sizeof *c->r);
  crec *r = &c->r[c->n++];
  memset(r, 0, sizeof *r);
  span_copy(r->time, sizeof r->time, c->b, e->time);
  span_copy(r->process, sizeof r->process, c->b, e->process);
  span_copy(r->operation, sizeof r->operation, c->b, e->call);
  span_copy(r->result, sizeof r->result, c->b, e->status);
  span_copy(r->detail, sizeof r->detail, c->b, e->message);
  snprintf(r->path, sizeof r->path, "%s", e->path ? e->path : "");
  r->pid = e->pid;
  r->has_exit = e->has_exit;
  r->exit_code = e->exit_code;
  return 0;
}

/* Compares every event; details only where the PML reader renders them. */
static void compare(const precs *p, const crecs *c) {
  assert_int_equal(p->n, c->n);
  size_t details = 0;
  for (size_t i = 0; i < p->n; i++) {
    const prec *a = &p->r[i];
    const crec *b = &c->r[i];
    if (strcmp(a->time, b->time) || strcmp(a->process, b->process) || strcmp(a->operation, b->operation) ||
        strcmp(a->path, b->path) || strcmp(a->result, b->result) || (long long)a->pid != b->pid ||
        a->has_exit != b->has_exit || (a->has_exit && a->exit_status != b->exit_code) ||
        (a->detail[0] && strcmp(a->detail, b->detail)))
      fail_msg("event %zu differs:\n  pml %s|%s|%u|%s|%s|%s|%s\n  csv %s|%s|%lld|%s|%s|%s|%s", i + 1, a->time,
               a->process, a->pid, a->operation, a->path, a->result, a->detail, b->time, b->process, b->pid,
               b->operation, b->path, b->result, b->detail);
    if (a->detail[0]) details++;
  }
  assert_true(details > 0);
}

static void fixture(const char *name, int bits64) {
  tu_blob b = tu_must_load(name);
  precs p;
  dkt_pml_info in;
  char err[256];
  assert_int_equal(read_all(&b, &p, &in, err, sizeof err), DKT_PML_OK);
  assert_int_equal(in.version, 9);
  assert_int_equal(in.is_64bit, bits64);
  assert_string_equal(in.computer, "TESTHOST");
  assert_string_equal(in.system_root, "C:\\Windows");
  assert_int_equal(in.os_build, 19041);
  assert_int_equal(in.processes, 2);
  assert_int_equal(in.hosts, 1);
  assert_int_equal(in.ports, 1);
  assert_int_equal(p.n, 14);
  assert_int_equal(p.n, in.events);
  /* Process Create: the new process's image and command line */
  assert_string_equal(p.r[0].process, "explorer.exe");
  assert_string_equal(p.r[0].operation, "Process Create");
  assert_string_equal(p.r[0].path, "C:\\app\\app.exe");
  assert_int_equal(p.r[0].child, 4242);
  assert_string_equal(p.r[0].detail, "PID: 4242, Command line: \"C:\\app\\app.exe\" --run");
  assert_string_equal(p.r[0].time, "7:37:18.5000000 AM");
  /* Process Start: command line, folder and environment */
  assert_string_equal(p.r[1].detail,
                      "Parent PID: 1000, Command line: \"C:\\app\\app.exe\" --run, Current directory: C:\\app\\, "
                      "Environment: \r;\t=C:=C:\\app\r;\tPATH=C:\\Windows\r;\tTEMP=C:\\tmp");
  assert_int_equal(p.r[2].child, 5004);
  /* Load Image after a 3-frame stack */
  assert_int_equal(p.r[3].depth, 3);
  assert_string_equal(p.r[3].path, "C:\\app\\app.exe");
  assert_string_equal(p.r[3].detail, "Image Base: 0x400000, Image Size: 0x23000");
  /* file system: an ASCII path, a directory filter, PATH NOT FOUND */
  assert_string_equal(p.r[4].operation, "CreateFile");
  assert_string_equal(p.r[4].path, "C:\\app\\config.ini");
  assert_string_equal(p.r[4].result, "NAME NOT FOUND");
  assert_int_equal(p.r[4].status, 0xC0000034u);
  assert_int_equal(p.r[4].cls, DKT_PML_FILE_SYSTEM);
  assert_string_equal(p.r[5].operation, "QueryDirectory");
  assert_string_equal(p.r[5].path, "C:\\app\\*.ini");
  assert_string_equal(p.r[6].operation, "QueryOpen");
  assert_string_equal(p.r[6].result, "PATH NOT FOUND");
  /* registry */
  assert_string_equal(p.r[7].operation, "RegOpenKey");
  assert_string_equal(p.r[7].path, "HKLM\\SOFTWARE\\Vendor\\App");
  assert_string_equal(p.r[7].result, "ACCESS DENIED");
  assert_string_equal(p.r[8].operation, "RegQueryValue");
  assert_string_equal(p.r[8].path, "HKCU\\Software\\App\\Theme");
  /* network: names from the host and port tables, a bare IPv4 address */
  assert_string_equal(p.r[9].operation, "TCP Send");
  assert_string_equal(p.r[9].path, "10.0.0.7:50000 -> build-server:https");
  assert_string_equal(p.r[9].detail, "Length: 517, seqnum: 0, connid: 0");
  assert_string_equal(p.r[10].operation, "Thread Profiling");
  assert_string_equal(p.r[10].path, "");
  /* a status Procmon has no words for */
  assert_string_equal(p.r[11].result, "0xC0000999");
  /* Process Exit: the signed status */
  assert_string_equal(p.r[13].operation, "Process Exit");
  assert_true(p.r[13].has_exit);
  assert_int_equal(p.r[13].exit_status, -1073741515);
  assert_int_equal((uint32_t)p.r[13].exit_status, 0xC0000135u);

  /* the generator's CSV export of the same events */
  tu_blob c = tu_must_load(FIXTURES "small.csv");
  crecs cr = {(const char *)c.p, NULL, 0, 0};
  assert_int_equal(dkt_parse_procmon_csv((const char *)c.p, c.n, collect_csv, &cr, NULL, err, sizeof err), DKT_OK);
  compare(&p, &cr);
  free(cr.r);
  free(c.p);
  free(p.r);
  free(b.p);
}

static void fixture64(void **state) {
  (void)state;
  fixture(FIXTURES "small64.pml", 1);
}

static void fixture32(void **state) {
  (void)state;
  fixture(FIXTURES "small32.pml", 0);
}

#define NO_PATCH ((size_t)-1)

/* read_all on a copy of b's first n bytes, with v written at off unless off is NO_PATCH. */
static int read_variant(const tu_blob *b, size_t n, size_t off, uint32_t v, char *err, size_t err_size) {
  uint8_t *c = malloc(n ? n : 1);
  assert_non_null(c);
  memcpy(c, b->p, n);
  if (off != NO_PATCH) tu_put32(c + off, v);
  tu_blob t = {c, n};
  precs p;
  err[0] = '\0';
  int rc = read_all(&t, &p, NULL, err, err_size);
  free(p.r);
  free(c);
  return rc;
}

/* Every truncation of the fixture is refused with a message naming a byte
** offset (the tables run to the last byte, so any cut breaks one). */
static void truncated(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "small64.pml");
  char err[256];
  for (size_t n = 0; n < b.n; n++) {
    if (read_variant(&b, n, NO_PATCH, 0, err, sizeof err) != DKT_PML_ERROR)
      fail_msg("the file cut at %zu bytes was accepted", n);
    if (!strstr(err, "byte")) fail_msg("cut at %zu: no byte offset in \"%s\"", n, err);
  }
  free(b.p);
}

/* One corruption: write v at off, expect an error containing want. */
static void expect_error(const tu_blob *b, size_t off, uint32_t v, const char *want) {
  char err[256];
  if (read_variant(b, b->n, off, v, err, sizeof err) != DKT_PML_ERROR) fail_msg("0x%x at byte %zu was accepted (want \"%s\")", v, off, want);
  if (!strstr(err, want)) fail_msg("0x%x at byte %zu: \"%s\" does not say \"%s\"", v, off, err, want);
}

static void corrupted(void **state) {
  (void)state;
  tu_blob b = tu_must_load(FIXTURES "small64.pml");
  uint32_t offsets = dk_rd32le(b.p + 0x248), procs = dk_rd32le(b.p + 0x250), strings = dk_rd32le(b.p + 0x258);
  uint32_t hosts = dk_rd32le(b.p + 0x3A0), first = dk_rd32le(b.p + offsets);
  expect_error(&b, 0, 0x5F4C4D51, "no \"PML_\" signature at byte 0");
  expect_error(&b, 4, 8, "version 8 at byte 4");
  expect_error(&b, 0x234, 0x10000000, "events (at byte 0x234) do not fit");
  expect_error(&b, 0x248, (uint32_t)b.n + 5, "event offsets offset");
  expect_error(&b, 0x250, 0, "not closed cleanly");
  expect_error(&b, 0x258, 0x100, "string table offset 256 (at byte 0x258) is inside the header");
  expect_error(&b, 0x398, 0x3A0, "header size 928 at byte 0x398");
  expect_error(&b, strings, 0x7FFFFFFF, "strings do not fit");
  expect_error(&b, strings + 4, (uint32_t)b.n, "PML string 0: offset");
  expect_error(&b, procs, 0x40000000, "processes do not fit");
  expect_error(&b, procs + 4 + 8, 0x00FFFFFF, "PML process 0: offset");
  /* process 0's first string index (integrity) */
  uint32_t p0 = procs + dk_rd32le(b.p + procs + 4 + 8);
  expect_error(&b, p0 + 0x38, 999999, "string index 999999 is out of range");
  expect_error(&b, p0 + 0x64 + 4, 0x7FFFFFF, "modules do not fit"); /* 64-bit: count after icons and a pointer */
  expect_error(&b, hosts, 0x7FFFFFF, "PML host table at byte");
  expect_error(&b, offsets, (uint32_t)b.n - 10, "PML event 0: offset");
  expect_error(&b, offsets, 8, "inside the header");
  expect_error(&b, offsets + 5, first, "PML event 1: offset");
  expect_error(&b, offsets + 5, first + 0x34, "before the end of the previous event");
  expect_error(&b, first, 12345, "process index 12345 is not in the process table");
  expect_error(&b, first + 0x28, 0xFFFF, "stack frames");
  expect_error(&b, first + 0x2C, 0x7FFFFFFF, "details run past the end");
  /* details too short for the fields of Process Create */
  expect_error(&b, first + 0x2C, 8, "Process Create details");
  free(b.p);
}

/* Process Monitor's own capture, against its own CSV export. */
static int unxz(const char *xz, const char *out) {
#ifdef _WIN32
  (void)xz;
  (void)out;
  return -1;
#else
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "xz -dc '%s' > '%s' 2>/dev/null", xz, out);
  return system(cmd) == 0 ? 0 : -1;
#endif
}

static void real_capture(void **state) {
  (void)state;
  FILE *f = fopen(SHARED "UTC64Process.pml.xz", "rb");
  if (!f) {
    printf("skipped: " SHARED " is absent (Process Monitor's own capture)\n");
    skip();
  }
  fclose(f);
  char dir[300] = "/tmp/dk-pml";
#ifndef _WIN32
  if (tu_temp_dir(dir, sizeof dir, "dk-pml") != 0) fail_msg("mkdtemp failed");
#endif
  char pml[340], csv[340]; /* dir (300) + the file name: no truncation */
  snprintf(pml, sizeof pml, "%s/UTC64Process.pml", dir);
  snprintf(csv, sizeof csv, "%s/UTC64Process.csv", dir);
  if (unxz(SHARED "UTC64Process.pml.xz", pml) || unxz(SHARED "UTC64Process.csv.xz", csv)) {
    printf("skipped: xz could not decompress the capture\n");
    skip();
  }
  tu_blob b = tu_must_load(pml), c = tu_must_load(csv);
  remove(pml);
  remove(csv);
  remove(dir);
  precs p;
  dkt_pml_info in;
  char err[256];
  assert_int_equal(read_all(&b, &p, &in, err, sizeof err), DKT_PML_OK);
  assert_int_equal(p.n, 3400); /* the README's count */
  assert_true(in.is_64bit);
  assert_string_equal(in.computer, "DESKTOP-6PCIALL");
  crecs cr = {(const char *)c.p, NULL, 0, 0};
  assert_int_equal(dkt_parse_procmon_csv((const char *)c.p, c.n, collect_csv, &cr, NULL, err, sizeof err), DKT_OK);
  compare(&p, &cr);
  /* every Process Exit decoded, the elevation failure among them */
  size_t exits = 0, elevation = 0;
  for (size_t i = 0; i < p.n; i++) {
    exits += p.r[i].has_exit;
    if (p.r[i].has_exit && (uint32_t)p.r[i].exit_status == 0xC000042Cu) {
      elevation++;
      assert_string_equal(p.r[i].process, "vminstall.exe");
    }
  }
  assert_int_equal(exits, 34);
  assert_int_equal(elevation, 1);
  free(cr.r);
  free(p.r);
  free(b.p);
  free(c.p);
}

static void status_names(void **state) {
  (void)state;
  assert_string_equal(dkt_pml_status_name(0), "SUCCESS");
  assert_string_equal(dkt_pml_status_name(0xC0000034u), "NAME NOT FOUND");
  assert_string_equal(dkt_pml_status_name(0xC000003Au), "PATH NOT FOUND");
  assert_string_equal(dkt_pml_status_name(0xC0000022u), "ACCESS DENIED");
  assert_string_equal(dkt_pml_status_name(0xC01C0004u), "FAST IO DISALLOWED");
  assert_null(dkt_pml_status_name(0xC0000999u));
  char t[40];
  dkt_pml_time_of_day(0, t, sizeof t);
  assert_string_equal(t, "12:00:00.0000000 AM");
  dkt_pml_time_of_day(13ull * 36000000000ull + 5, t, sizeof t);
  assert_string_equal(t, "1:00:00.0000005 PM");
}

TU_MAIN(fixture64, fixture32, truncated, corrupted, real_capture, status_names)
