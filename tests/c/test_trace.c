/*
** diagkit.trace core: strace and Process Monitor CSV parsing on hand-checked
** snippets of the tricky syntax (real captures are exercised by
** tests/lua/trace_spec.lua, recorded at test time).
*/
#include "test_util.h"

#include "trace.h"

/* Events copied out of the callback (their strings die when it returns). */
typedef struct rec {
  dkt_kind kind;
  long long pid, result, exit_code;
  int has_result, has_exit, core_dumped, incomplete;
  char call[32], path[128], path2[128], dir[64], fd_path[128], status[32], message[96], time[32], process[32];
  size_t line;
} rec;

typedef struct recs {
  const char *b;
  rec r[64];
  size_t n;
} recs;

static void copy_span(char *dst, size_t cap, const char *b, dkt_span s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  memcpy(dst, b + s.off, n);
  dst[n] = '\0';
}

static void copy_str(char *dst, size_t cap, const char *s) {
  snprintf(dst, cap, "%s", s ? s : "");
}

static int collect(void *ud, const dkt_event *e) {
  recs *c = ud;
  if (c->n == 64) return 1;
  rec *r = &c->r[c->n++];
  memset(r, 0, sizeof *r);
  r->kind = e->kind;
  r->pid = e->pid;
  r->result = e->result;
  r->has_result = e->has_result;
  r->has_exit = e->has_exit;
  r->exit_code = e->exit_code;
  r->core_dumped = e->core_dumped;
  r->incomplete = e->incomplete;
  r->line = e->line;
  copy_span(r->call, sizeof r->call, c->b, e->call);
  copy_span(r->status, sizeof r->status, c->b, e->status);
  copy_span(r->message, sizeof r->message, c->b, e->message);
  copy_span(r->time, sizeof r->time, c->b, e->time);
  copy_span(r->process, sizeof r->process, c->b, e->process);
  copy_str(r->path, sizeof r->path, e->path);
  copy_str(r->path2, sizeof r->path2, e->path2);
  copy_str(r->dir, sizeof r->dir, e->dir);
  copy_str(r->fd_path, sizeof r->fd_path, e->fd_path);
  return 0;
}

static int parse(recs *c, const char *text, int csv, dkt_stats *st, char *err) {
  memset(c, 0, sizeof *c);
  c->b = text;
  return csv ? dkt_parse_procmon_csv(text, strlen(text), collect, c, st, err, 256)
             : dkt_parse_strace(text, strlen(text), collect, c, st, err, 256);
}

/* Parsing text (Procmon CSV when csv) must succeed with n events in *c. */
static void parse_ok(recs *c, const char *text, int csv, dkt_stats *st, size_t n) {
  char err[256];
  int rc = parse(c, text, csv, st, err);
  if (rc != DKT_OK) fail_msg("parse: %d: %s", rc, err);
  assert_int_equal(c->n, n);
}

/* Parsing text (Procmon CSV when csv) must fail with a message that says
** needle (and also, when not NULL, needle2). */
static void expect_error(const char *text, int csv, const char *needle, const char *needle2) {
  recs c;
  dkt_stats st;
  char err[256];
  assert_int_equal(parse(&c, text, csv, &st, err), DKT_ERROR);
  if (!strstr(err, needle)) fail_msg("\"%s\" does not say \"%s\"", err, needle);
  if (needle2 && !strstr(err, needle2)) fail_msg("\"%s\" does not say \"%s\"", err, needle2);
}

static void strace_basic(void **state) {
  (void)state;
  recs c;
  dkt_stats st;
  const char *t =
      "10644 04:23:53.012779 access(\"/etc/ld.so.preload\", R_OK) = -1 ENOENT (No such file or directory)\n"
      "10644 04:23:53.012899 openat(AT_FDCWD</tmp>, \"/etc/ld.so.cache\", O_RDONLY|O_CLOEXEC) = 3</etc/ld.so.cache>\r\n"
      "10645 04:23:53.1 openat(AT_FDCWD</srv/app>, \"conf/a\\\"b\\303\\251\\x41.ini\", O_RDONLY) = -1 EACCES (Permission denied)\n"
      "10645 04:23:54.0 renameat2(AT_FDCWD</a>, \"old\", 3</b>, \"new\", RENAME_NOREPLACE) = 0\n"
      "10645 04:23:54.1 read(3</etc/passwd>, \"root:x:0:0:root:/root:/bin/bash\\n\"..., 4096) = 1024\n";
  parse_ok(&c, t, 0, &st, 5);
  assert_int_equal(c.r[0].pid, 10644);
  assert_string_equal(c.r[0].time, "04:23:53.012779");
  assert_string_equal(c.r[0].call, "access");
  assert_string_equal(c.r[0].path, "/etc/ld.so.preload");
  assert_int_equal(c.r[0].result, -1);
  assert_string_equal(c.r[0].status, "ENOENT");
  assert_string_equal(c.r[0].message, "No such file or directory");
  assert_string_equal(c.r[1].dir, "/tmp");
  assert_string_equal(c.r[1].fd_path, "/etc/ld.so.cache");
  assert_int_equal(c.r[1].result, 3);
  /* escapes: \" octal UTF-8 and \x */
  assert_string_equal(c.r[2].path, "conf/a\"b\xc3\xa9" "A.ini");
  assert_string_equal(c.r[2].dir, "/srv/app");
  assert_string_equal(c.r[2].status, "EACCES");
  assert_string_equal(c.r[3].path, "old");
  assert_string_equal(c.r[3].path2, "new");
  /* a descriptor call names its file, its data buffer is no path */
  assert_string_equal(c.r[4].path, "");
  assert_string_equal(c.r[4].fd_path, "/etc/passwd");
  assert_int_equal(st.skipped, 0);
}

static void strace_interleaved(void **state) {
  (void)state;
  recs c;
  dkt_stats st;
  const char *t =
      "100 10:00:00.000001 openat(AT_FDCWD</w>, \"slow.txt\", O_RDONLY <unfinished ...>\n"
      "101 10:00:00.000002 execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */) = 0\n"
      "100 10:00:00.000003 <... openat resumed>) = -1 ENOENT (No such file or directory)\n"
      "[pid   101] 10:00:00.000004 +++ exited with 0 +++\n"
      "100 10:00:00.000005 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=101} ---\n"
      "102 10:00:00.000006 +++ killed by SIGSEGV (core dumped) +++\n"
      "strace: Process 103 attached\n"
      "100 10:00:00.000007 wait4(-1, <unfinished ...>\n"
      "100 10:00:00.000008 openat(AT_FDCWD</w>, \"cut";
  parse_ok(&c, t, 0, &st, 7);
  assert_string_equal(c.r[0].call, "execve");
  assert_string_equal(c.r[0].path, "/bin/true");
  /* the joined call: name, time and path from the first half, result from the second */
  assert_string_equal(c.r[1].call, "openat");
  assert_string_equal(c.r[1].path, "slow.txt");
  assert_string_equal(c.r[1].dir, "/w");
  assert_string_equal(c.r[1].time, "10:00:00.000001");
  assert_string_equal(c.r[1].status, "ENOENT");
  assert_int_equal(c.r[1].line, 3);
  assert_int_equal(c.r[2].kind, DKT_EXIT);
  assert_int_equal(c.r[2].pid, 101);
  assert_int_equal(c.r[2].exit_code, 0);
  assert_int_equal(c.r[3].kind, DKT_SIGNAL);
  assert_string_equal(c.r[3].call, "SIGCHLD");
  assert_int_equal(c.r[4].kind, DKT_KILLED);
  assert_string_equal(c.r[4].call, "SIGSEGV");
  assert_true(c.r[4].core_dumped);
  /* the cut last line, then the never-resumed wait4 */
  assert_true(c.r[5].incomplete);
  assert_string_equal(c.r[5].call, "openat");
  assert_true(c.r[6].incomplete);
  assert_string_equal(c.r[6].call, "wait4");
  assert_int_equal(st.skipped, 1);
  assert_int_equal(st.first_skipped, 7);
}

static void strace_not_strace(void **state) {
  (void)state;
  expect_error("hello world\nthis is a log\n", 0, "not strace output", "line 1");
  recs c;
  dkt_stats st;
  char err[256];
  assert_int_equal(parse(&c, "", 0, &st, err), DKT_OK);
  assert_int_equal(c.n, 0);
  /* an unterminated string, garbage in arguments, a huge pid: no crash */
  assert_int_equal(parse(&c, "1 open(\"/a\\", 0, &st, err), DKT_OK);
  assert_int_equal(parse(&c, "99999999999999999999999 x() = 0x\n", 0, &st, err), DKT_OK);
}

static const char CSV_HEAD[] =
    "\xEF\xBB\xBF\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\",\"TID\"\r\n";

static void procmon_csv(void **state) {
  (void)state;
  recs c;
  dkt_stats st;
  char t[2048];
  snprintf(t, sizeof t, "%s%s", CSV_HEAD,
           "\"7:19:37.0147934 AM\",\"app.exe\",\"3524\",\"CreateFile\",\"C:\\app\\conf, \"\"main\"\".ini\",\"NAME NOT FOUND\",\"Desired Access: Generic Read\",\"1\"\r\n"
           "\"7:37:26.8048863 AM\",\"vminstall.exe\",\"6564\",\"Process Exit\",\"\",\"SUCCESS\",\"Exit Status: -1073740756, User Time: 0.0\",\"2\"\r\n");
  parse_ok(&c, t, 1, &st, 2);
  assert_string_equal(c.r[0].time, "7:19:37.0147934 AM");
  assert_string_equal(c.r[0].process, "app.exe");
  assert_int_equal(c.r[0].pid, 3524);
  assert_string_equal(c.r[0].call, "CreateFile");
  assert_string_equal(c.r[0].path, "C:\\app\\conf, \"main\".ini");
  assert_string_equal(c.r[0].status, "NAME NOT FOUND");
  assert_true(c.r[1].has_exit);
  assert_int_equal(c.r[1].exit_code, -1073740756LL);
  assert_string_equal(c.r[1].path, "");
}

static void procmon_errors(void **state) {
  (void)state;
  expect_error("\"Time of Day\",\"PID\"\n", 1, "no \"Process Name\" column", NULL);
  static const struct {
    const char *rows, *error;
  } bad[] = {
      {"\"1\",\"a.exe\",\"2\",\"CreateFile\",\"C:\\x\",\"SUCCESS\",\"unterminated\n", "line 2: unterminated quoted field"},
      {"\"1\",\"a.exe\"\n", "line 2: 2 fields"},
      {"\"1\"x,\"a.exe\"\n", "text after the closing quote"},
  };
  for (size_t i = 0; i < TU_COUNT(bad); i++) {
    char t[1024];
    snprintf(t, sizeof t, "%s%s", CSV_HEAD, bad[i].rows);
    expect_error(t, 1, bad[i].error, NULL);
  }
  expect_error("", 1, "empty file", NULL);
}

TU_MAIN(strace_basic, strace_interleaved, strace_not_strace, procmon_csv, procmon_errors)
