/*
** diagkit.proc C API: exit codes, signals, start failures reported by the
** child, timeouts with process-tree kill, zombies and descriptor hygiene,
** large output on both pipes, env, stdin. On Windows the test binary re-runs
** itself as the child (--child-exit N, --child-crash, ...), as Wine has no
** dependable cmd.exe.
*/
#ifndef _WIN32
#define _GNU_SOURCE /* mkdtemp, setenv, sigaction under -std=c11 */
#endif
#include "test_util.h"

#include "../../modules/proc/proc.h"
#include "../../modules/proc/proc_internal.h"

#ifndef _WIN32
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#else
#include <windows.h>
#endif

/* Runs argv with the defaults (plus an optional timeout); asserts the toolkit did not fail. */
static void run_spec(const dk_proc_spec *spec, dk_proc_result *r) {
  char err[256] = "";
  int rc = dk_proc_run(spec, r, err, sizeof err);
  if (rc != 0) fail_msg("dk_proc_run: %s", err);
}

/* The defaults, running argv. */
static dk_proc_spec spec_of(const char *const *argv) {
  dk_proc_spec spec;
  dk_proc_spec_init(&spec);
  spec.argv = argv;
  return spec;
}

static void run_argv(const char *const *argv, int64_t timeout_ms, dk_proc_result *r) {
  dk_proc_spec spec = spec_of(argv);
  spec.timeout_ms = timeout_ms;
  run_spec(&spec, r);
}


/* ------------------------------------------------------------ portable */

static void test_capbuf_head_tail(void **state) {
  (void)state;
  dk_capbuf b;
  dk_proc_output o;
  dk_capbuf_init(&b, 10);
  assert_int_equal(dk_capbuf_append(&b, "0123", 4), 0);
  assert_int_equal(dk_capbuf_append(&b, "456789abcdefg", 13), 0);
  assert_int_equal(dk_capbuf_append(&b, "hij", 3), 0);
  assert_int_equal(dk_capbuf_finish(&b, &o), 0);
  assert_true(o.truncated);
  assert_int_equal(o.total, 20);
  assert_int_equal(o.len, 10);
  assert_memory_equal(o.data, "01234fghij", 10); /* head 5, tail 5 */
  free(o.data);

  /* Exactly at the cap: not truncated. */
  dk_capbuf_init(&b, 4);
  assert_int_equal(dk_capbuf_append(&b, "abcd", 4), 0);
  assert_int_equal(dk_capbuf_finish(&b, &o), 0);
  assert_false(o.truncated);
  assert_string_equal(o.data, "abcd");
  free(o.data);

  /* One byte at a time around the ring. */
  dk_capbuf_init(&b, 7);
  const char *s = "the quick brown fox";
  for (size_t i = 0; s[i]; i++) assert_int_equal(dk_capbuf_append(&b, s + i, 1), 0);
  assert_int_equal(dk_capbuf_finish(&b, &o), 0);
  assert_string_equal(o.data, "the fox"); /* head 3 + last 4 */
  free(o.data);

  /* A zero cap keeps nothing. */
  dk_capbuf_init(&b, 0);
  assert_int_equal(dk_capbuf_append(&b, "x", 1), 0);
  assert_int_equal(dk_capbuf_finish(&b, &o), 0);
  assert_true(o.truncated);
  assert_int_equal(o.len, 0);
  free(o.data);
}

static void test_names(void **state) {
  (void)state;
  assert_string_equal(dk_proc_signal_name(11), "SIGSEGV");
  assert_string_equal(dk_proc_signal_name(6), "SIGABRT");
  assert_string_equal(dk_proc_signal_name(9), "SIGKILL");
  assert_null(dk_proc_signal_name(0));
  assert_null(dk_proc_signal_name(200));
  assert_string_equal(dk_proc_status_name(DK_PROC_TIMEOUT), "timeout");
#ifdef _WIN32
  assert_string_equal(dk_proc_errno_name(2), "ERROR_FILE_NOT_FOUND");
  assert_string_equal(dk_proc_errno_name(193), "ERROR_BAD_EXE_FORMAT");
#else
  assert_string_equal(dk_proc_errno_name(ENOENT), "ENOENT");
  assert_string_equal(dk_proc_errno_name(ENOEXEC), "ENOEXEC");
#endif
}

static void test_bad_spec(void **state) {
  (void)state;
  dk_proc_spec spec;
  dk_proc_result r;
  char err[128] = "";
  dk_proc_spec_init(&spec);
  const char *empty[] = {NULL};
  spec.argv = empty;
  assert_int_equal(dk_proc_run(&spec, &r, err, sizeof err), -1);
  assert_non_null(strstr(err, "argv"));
  dk_proc_result_free(&r);
}

#ifndef _WIN32
/* ------------------------------------------------------------ POSIX */

/* Runs argv with the environment env (NULL: ours, inherited). */
static void run_env(const char *const *argv, const char *const *env, int64_t timeout_ms, dk_proc_result *r) {
  dk_proc_spec spec = spec_of(argv);
  spec.env = env;
  spec.timeout_ms = timeout_ms;
  run_spec(&spec, r);
}

/* run_env: the program must exit, having written exactly want_out to stdout. */
static void expect_output(const char *const *argv, const char *const *env, int64_t timeout_ms, const char *want_out) {
  dk_proc_result r;
  run_env(argv, env, timeout_ms, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_string_equal(r.out.data, want_out);
  dk_proc_result_free(&r);
}

static char tmpdir[256];

static int setup_tmp(void **state) {
  (void)state;
  return tu_temp_dir(tmpdir, sizeof tmpdir, "dk_test_proc");
}

static int teardown_tmp(void **state) {
  (void)state;
  return tu_remove_tree(tmpdir);
}

static void test_exit_codes(void **state) {
  (void)state;
  static const int codes[] = {0, 1, 42, 255};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    char script[32];
    snprintf(script, sizeof script, "exit %d", codes[i]);
    const char *argv[] = {"sh", "-c", script, NULL};
    dk_proc_result r;
    run_argv(argv, 0, &r);
    assert_int_equal(r.status, DK_PROC_EXITED);
    assert_true(r.exited);
    assert_int_equal(r.exit_code, (uint32_t)codes[i]);
    assert_int_equal(r.signal, 0);
    assert_true(r.pid > 0);
    assert_non_null(r.path);
    assert_non_null(strstr(r.path, "/sh"));
    dk_proc_result_free(&r);
  }
}

static void test_signals(void **state) {
  (void)state;
  static const struct { const char *script; int sig; } cases[] = {
      {"ulimit -c 0; kill -SEGV $$", SIGSEGV}, {"kill -ABRT $$", SIGABRT}, {"kill -KILL $$", SIGKILL},
      {"kill -TERM $$", SIGTERM}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *argv[] = {"sh", "-c", cases[i].script, NULL};
    dk_proc_result r;
    run_argv(argv, 10000, &r);
    assert_int_equal(r.status, DK_PROC_SIGNALED);
    assert_false(r.exited);
    assert_int_equal(r.signal, cases[i].sig);
    if (cases[i].sig == SIGSEGV) assert_false(r.core_dumped); /* ulimit -c 0 */
    dk_proc_result_free(&r);
  }
}

static void expect_failed(const char *const *argv, const char *cwd, const char *code, const char *step) {
  dk_proc_spec spec = spec_of(argv);
  spec.cwd = cwd;
  dk_proc_result r;
  run_spec(&spec, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  assert_non_null(r.error_name);
  assert_string_equal(r.error_name, code);
  assert_string_equal(r.error_step, step);
  assert_true(r.error_message[0] != '\0');
  assert_null(r.out.data);
  dk_proc_result_free(&r);
}

static void write_file(const char *path, const char *data, size_t n, mode_t mode) {
  tu_write_file(path, data, n);
  assert_int_equal(chmod(path, mode), 0);
}

static void test_start_failures(void **state) {
  (void)state;
  const char *a1[] = {"/nonexistent/dk-no-such-program", NULL};
  expect_failed(a1, NULL, "ENOENT", "exec");
  const char *a2[] = {"dk-no-such-program-in-path", "x", NULL};
  expect_failed(a2, NULL, "ENOENT", "exec");

  char noexec[300], garbage[300], noshebang[300];
  snprintf(noexec, sizeof noexec, "%s/plain.txt", tmpdir);
  write_file(noexec, "hello\n", 6, 0644);
  const char *a3[] = {noexec, NULL};
  expect_failed(a3, NULL, "EACCES", "exec"); /* no x bit at all: EACCES even for root */

  snprintf(garbage, sizeof garbage, "%s/garbage.bin", tmpdir);
  write_file(garbage, "\x01\x02\x03\x04\xff\xfe garbage", 13, 0755);
  const char *a4[] = {garbage, NULL};
  expect_failed(a4, NULL, "ENOEXEC", "exec");

  /* A #! naming a missing interpreter: ENOENT although the file exists. */
  snprintf(noshebang, sizeof noshebang, "%s/script.sh", tmpdir);
  write_file(noshebang, "#!/nonexistent/interp\necho hi\n", 30, 0755);
  const char *a5[] = {noshebang, NULL};
  expect_failed(a5, NULL, "ENOENT", "exec");

  const char *a6[] = {"sh", "-c", "true", NULL};
  expect_failed(a6, "/nonexistent-dir", "ENOENT", "chdir");
  expect_failed(a6, noexec, "ENOTDIR", "chdir");
}

static void test_path_search(void **state) {
  (void)state;
  /* PATH from the replaced environment: a non-executable hit first (EACCES is
  ** remembered, the search goes on, like execvp), then the real program. */
  char dir1[300], dir2[300], prog1[320], prog2[320], pathvar[700];
  snprintf(dir1, sizeof dir1, "%s/p1", tmpdir);
  snprintf(dir2, sizeof dir2, "%s/p2", tmpdir);
  mkdir(dir1, 0755);
  mkdir(dir2, 0755);
  snprintf(prog1, sizeof prog1, "%s/dkprog", dir1);
  snprintf(prog2, sizeof prog2, "%s/dkprog", dir2);
  write_file(prog1, "not executable", 14, 0644);
  write_file(prog2, "#!/bin/sh\necho found \"$1\"\n", 26, 0755);
  snprintf(pathvar, sizeof pathvar, "PATH=/nonexistent:%s:%s", dir1, dir2);
  const char *env[] = {pathvar, NULL};
  const char *argv[] = {"dkprog", "arg", NULL};
  dk_proc_result r;
  run_env(argv, env, 0, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_string_equal(r.out.data, "found arg\n");
  assert_string_equal(r.path, prog2);
  dk_proc_result_free(&r);

  /* Only the non-executable one: EACCES, and the path says which. */
  snprintf(pathvar, sizeof pathvar, "PATH=/nonexistent:%s", dir1);
  run_env(argv, env, 0, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  assert_string_equal(r.error_name, "EACCES");
  assert_string_equal(r.path, prog1);
  dk_proc_result_free(&r);

  char *w = dk_proc_which("sh", NULL, NULL, NULL);
  assert_non_null(w);
  assert_true(w[0] == '/');
  free(w);
  assert_null(dk_proc_which("dk-no-such-program-in-path", "/bin:/usr/bin", NULL, NULL));
}

static int alive(pid_t pid) { return kill(pid, 0) == 0; }

static void test_timeout(void **state) {
  (void)state;
  const char *argv[] = {"sleep", "10", NULL};
  double t0 = dk_proc_now_ms();
  dk_proc_result r;
  run_argv(argv, 200, &r);
  double took = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_TIMEOUT);
  assert_int_equal(r.signal, SIGTERM);
  assert_true(took >= 190 && took < 700);
  print_message("      timeout 200 ms -> returned after %.0f ms\n", took);
  dk_proc_result_free(&r);

  /* SIGTERM ignored: SIGKILL after the grace. */
  const char *argv2[] = {"sh", "-c", "trap '' TERM; sleep 10; :", NULL};
  dk_proc_spec spec = spec_of(argv2);
  spec.timeout_ms = 100;
  spec.kill_grace_ms = 200;
  t0 = dk_proc_now_ms();
  run_spec(&spec, &r);
  took = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_TIMEOUT);
  assert_int_equal(r.signal, SIGKILL);
  assert_true(took >= 290 && took < 1000);
  dk_proc_result_free(&r);
}

/* A grandchild that calls setsid (its own session and group) and another
** that is orphaned (its parent exits): after the timeout both are gone. */
static void test_timeout_kills_tree(void **state) {
  (void)state;
  const char *argv[] = {"sh", "-c",
                        "setsid sleep 30 >/dev/null 2>&1 & echo $!; "
                        "(setsid sleep 31 >/dev/null 2>&1 & echo $!); "
                        "sleep 30",
                        NULL};
  dk_proc_result r;
  double t0 = dk_proc_now_ms();
  run_argv(argv, 300, &r);
  double took = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_TIMEOUT);
  int g1 = 0, g2 = 0;
  assert_int_equal(sscanf(r.out.data, "%d %d", &g1, &g2), 2);
  assert_true(g1 > 0 && g2 > 0);
  assert_false(alive(g1)); /* not even a zombie: killed and reaped */
  assert_false(alive(g2));
  assert_true(took < 1500);
  print_message("      tree with setsid grandchildren killed in %.0f ms\n", took);
  dk_proc_result_free(&r);
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL)
    if (de->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void test_no_zombies_no_fd_growth(void **state) {
  (void)state;
  int before = count_fds();
  const char *argv[] = {"/bin/true", NULL};
  int runs = 1000;
  double t0 = dk_proc_now_ms();
  for (int i = 0; i < runs; i++) {
    dk_proc_result r;
    run_argv(argv, 5000, &r);
    assert_int_equal(r.status, DK_PROC_EXITED);
    assert_int_equal(r.exit_code, 0);
    dk_proc_result_free(&r);
  }
  double ms = dk_proc_now_ms() - t0;
  assert_int_equal(count_fds(), before);
  errno = 0;
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
  /* The same loop with a bare fork + execv + waitpid, for comparison. */
  t0 = dk_proc_now_ms();
  for (int i = 0; i < runs; i++) {
    pid_t p = fork();
    if (p == 0) {
      execv("/bin/true", (char *const *)(uintptr_t)argv);
      _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
  }
  double bare = dk_proc_now_ms() - t0;
  print_message("      %d runs of /bin/true: %.0f runs/s (bare fork+exec+waitpid: %.0f runs/s)\n", runs,
                runs * 1000.0 / ms, runs * 1000.0 / bare);
}

static void test_big_output_both_pipes(void **state) {
  (void)state;
  const char *argv[] = {"sh", "-c",
                        "echo START1; head -c 64M /dev/zero; echo END1; "
                        "echo START2 >&2; head -c 64M /dev/zero >&2; echo END2 >&2",
                        NULL};
  /* Interleaved too: both pipes full at once. */
  const char *argv2[] = {"sh", "-c", "head -c 64M /dev/zero & head -c 64M /dev/zero >&2; wait", NULL};
  dk_proc_result r;
  double t0 = dk_proc_now_ms();
  run_argv(argv, 60000, &r);
  double ms = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.exit_code, 0);
  assert_true(r.out.truncated);
  assert_true(r.err.truncated);
  assert_int_equal(r.out.len, DK_PROC_DEFAULT_MAX_OUTPUT);
  assert_int_equal(r.out.total, 64u * 1024 * 1024 + 12);
  assert_int_equal(r.err.total, 64u * 1024 * 1024 + 12);
  assert_memory_equal(r.out.data, "START1\n", 7);
  assert_memory_equal(r.out.data + r.out.len - 5, "END1\n", 5);
  assert_memory_equal(r.err.data, "START2\n", 7);
  assert_memory_equal(r.err.data + r.err.len - 5, "END2\n", 5);
  print_message("      128 MiB through two pipes (16 MiB caps) in %.0f ms: %.0f MiB/s\n", ms, 128.0 * 1000.0 / ms);
  dk_proc_result_free(&r);

  run_argv(argv2, 60000, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.out.total, 64u * 1024 * 1024);
  assert_int_equal(r.err.total, 64u * 1024 * 1024);
  dk_proc_result_free(&r);

  /* A small cap. */
  const char *argv3[] = {"sh", "-c", "printf 'abcdefghijklmnopqrstuvwxyz'", NULL};
  dk_proc_spec spec = spec_of(argv3);
  spec.max_output = 10;
  run_spec(&spec, &r);
  assert_string_equal(r.out.data, "abcdevwxyz");
  assert_true(r.out.truncated);
  assert_false(r.err.truncated);
  dk_proc_result_free(&r);
}

static void test_env(void **state) {
  (void)state;
  const char *env[] = {"FOO=bar", "EMPTY=", NULL};
  const char *argv[] = {"/usr/bin/env", NULL};
  expect_output(argv, env, 0, "FOO=bar\nEMPTY=\n");

  /* NULL: inherited. */
  setenv("DK_TEST_PROC_INHERIT", "yes", 1);
  const char *argv2[] = {"sh", "-c", "printf %s \"$DK_TEST_PROC_INHERIT\"", NULL};
  expect_output(argv2, NULL, 5000, "yes");
  unsetenv("DK_TEST_PROC_INHERIT");

  /* The environment list as the Lua layer sees it. */
  char **e = dk_proc_environ();
  assert_non_null(e);
  assert_non_null(dk_proc_env_lookup((const char *const *)e, "PATH"));
  dk_proc_environ_free(e);
}

static void test_stdin(void **state) {
  (void)state;
  size_t n = 4u << 20; /* bigger than a pipe both ways: cat echoes while we write */
  char *data = malloc(n);
  for (size_t i = 0; i < n; i++) data[i] = (char)('a' + i % 26);
  const char *argv[] = {"cat", NULL};
  dk_proc_spec spec = spec_of(argv);
  spec.stdin_mode = DK_PROC_STDIN_BYTES;
  spec.stdin_data = data;
  spec.stdin_len = n;
  dk_proc_result r;
  run_spec(&spec, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.out.len, n);
  assert_memory_equal(r.out.data, data, n);
  dk_proc_result_free(&r);

  /* A child that never reads: EPIPE, not SIGPIPE for us. */
  const char *argv2[] = {"true", NULL};
  spec.argv = argv2;
  run_spec(&spec, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  dk_proc_result_free(&r);
  free(data);

  /* Closed (the default): EOF at once. */
  run_argv(argv, 5000, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.out.len, 0);
  dk_proc_result_free(&r);
}

static void test_output_modes(void **state) {
  (void)state;
  const char *argv[] = {"sh", "-c", "echo out; echo err >&2", NULL};
  dk_proc_spec spec = spec_of(argv);
  spec.stderr_mode = DK_PROC_OUT_MERGE;
  dk_proc_result r;
  run_spec(&spec, &r);
  assert_string_equal(r.out.data, "out\nerr\n");
  assert_int_equal(r.err.len, 0);
  dk_proc_result_free(&r);

  spec.stdout_mode = DK_PROC_OUT_DISCARD;
  spec.stderr_mode = DK_PROC_OUT_CAPTURE;
  run_spec(&spec, &r);
  assert_int_equal(r.out.len, 0);
  assert_string_equal(r.err.data, "err\n");
  dk_proc_result_free(&r);
}

static void test_fds_not_leaked(void **state) {
  (void)state;
  int extra[3];
  for (int i = 0; i < 3; i++) extra[i] = open("/dev/null", O_RDONLY); /* no O_CLOEXEC */
  int hi = dup2(extra[0], 200);
  const char *argv[] = {"ls", "-1", "/proc/self/fd", NULL};
  /* 0, 1, 2 and the directory ls itself has open. */
  expect_output(argv, NULL, 5000, "0\n1\n2\n3\n");
  for (int i = 0; i < 3; i++) close(extra[i]);
  close(hi);
}

static void test_signal_state_reset(void **state) {
  (void)state;
  /* An ignored SIGPIPE / SIGINT and a blocked SIGTERM in the toolkit must not reach the child. */
  struct sigaction ign, old_pipe, old_int;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ign, &old_pipe);
  sigaction(SIGINT, &ign, &old_int);
  sigset_t term, oldmask;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigprocmask(SIG_BLOCK, &term, &oldmask);
  const char *argv[] = {"grep", "-E", "^(SigIgn|SigBlk)", "/proc/self/status", NULL};
  dk_proc_result r;
  run_argv(argv, 30000, &r);
  if (!strstr(r.out.data, "SigBlk:\t0000000000000000") || !strstr(r.out.data, "SigIgn:\t0000000000000000"))
    print_message("child status %d, output:\n%s\nstderr:\n%s\n", (int)r.status, r.out.data, r.err.data);
  assert_non_null(strstr(r.out.data, "SigBlk:\t0000000000000000"));
  assert_non_null(strstr(r.out.data, "SigIgn:\t0000000000000000"));
  dk_proc_result_free(&r);
  sigprocmask(SIG_SETMASK, &oldmask, NULL);
  sigaction(SIGPIPE, &old_pipe, NULL);
  sigaction(SIGINT, &old_int, NULL);
}

static void test_usage(void **state) {
  (void)state;
  const char *argv[] = {"sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done", NULL};
  dk_proc_result r;
  run_argv(argv, 30000, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_true(r.user_ms > 0);
  assert_true(r.max_rss_kb > 0);
  assert_true(r.wall_ms >= r.user_ms * 0.5);
  dk_proc_result_free(&r);
}

static void test_exit_with_lingering_grandchild(void **state) {
  (void)state;
  /* The program exits but leaves a child holding stdout: run() returns after
  ** the drain delay instead of hanging until the grandchild ends. */
  const char *argv[] = {"sh", "-c", "sleep 0.5 & echo $!", NULL};
  dk_proc_spec spec = spec_of(argv);
  spec.drain_ms = 200;
  dk_proc_result r;
  double t0 = dk_proc_now_ms();
  run_spec(&spec, &r);
  double took = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_EXITED);
  int g = atoi(r.out.data);
  assert_true(g > 0);
  assert_true(took < 450);
  dk_proc_result_free(&r);
  /* The orphan was re-parented to us (subreaper) and lives on; once it has
  ** ended, the next run reaps it: no zombie stays behind. */
  assert_true(alive(g));
  struct timespec ts = {0, 700 * 1000 * 1000};
  nanosleep(&ts, NULL);
  const char *argv2[] = {"/bin/true", NULL};
  run_argv(argv2, 5000, &r);
  dk_proc_result_free(&r);
  assert_false(alive(g));
}

int main(void) {
  TU_RUN_TESTS(setup_tmp, teardown_tmp, test_capbuf_head_tail, test_names, test_bad_spec, test_exit_codes,
      test_signals, test_start_failures, test_path_search, test_timeout, test_timeout_kills_tree,
      test_exit_with_lingering_grandchild, test_big_output_both_pipes, test_env, test_stdin,
      test_output_modes, test_fds_not_leaked, test_signal_state_reset, test_usage,
      test_no_zombies_no_fd_growth);
}

#else
/* ------------------------------------------------------------ Windows */

static char self[MAX_PATH];

static void run_self(const char *a1, const char *a2, int64_t timeout_ms, dk_proc_result *r) {
  const char *argv[] = {self, a1, a2, NULL};
  run_argv(argv, timeout_ms, r);
}

static void test_win_exit_codes(void **state) {
  (void)state;
  static const char *const codes[] = {"0", "1", "42", "255", "0xC0000005", "0xC0000409", "0xFFFFFFFF"};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    dk_proc_result r;
    run_self("--child-exit", codes[i], 10000, &r);
    assert_int_equal(r.status, DK_PROC_EXITED);
    assert_int_equal(r.exit_code, (uint32_t)strtoul(codes[i], NULL, 0));
    dk_proc_result_free(&r);
  }
}

static void test_win_crash(void **state) {
  (void)state;
  dk_proc_result r;
  run_self("--child-crash", NULL, 20000, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.exit_code, 0xC0000005u);
  print_message("      NULL write -> exit code 0x%08X\n", (unsigned)r.exit_code);
  dk_proc_result_free(&r);
}

static void test_win_output(void **state) {
  (void)state;
  dk_proc_result r;
  run_self("--child-echo", "h\xc3\xa9llo \"q\" \\\\x\\", 10000, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  /* The child prints its argument back: the quoting round-trips. */
  assert_string_equal(r.out.data, "[h\xc3\xa9llo \"q\" \\\\x\\]");
  assert_string_equal(r.err.data, "err");
  dk_proc_result_free(&r);
  run_self("--child-echo", "", 10000, &r);
  assert_string_equal(r.out.data, "[]");
  dk_proc_result_free(&r);
}

static void test_win_big_output(void **state) {
  (void)state;
  const char *argv[] = {self, "--child-flood", "8", NULL};
  dk_proc_spec spec = spec_of(argv);
  spec.max_output = 1 << 20;
  dk_proc_result r;
  run_spec(&spec, &r);
  assert_int_equal(r.status, DK_PROC_EXITED);
  assert_int_equal(r.out.total, 8u << 20);
  assert_int_equal(r.err.total, 8u << 20);
  assert_true(r.out.truncated && r.err.truncated);
  dk_proc_result_free(&r);
}

static void test_win_timeout(void **state) {
  (void)state;
  dk_proc_result r;
  double t0 = dk_proc_now_ms();
  run_self("--child-sleep", "10000", 300, &r);
  double took = dk_proc_now_ms() - t0;
  assert_int_equal(r.status, DK_PROC_TIMEOUT);
  assert_true(took < 3000);
  dk_proc_result_free(&r);
}

static void test_win_start_failures(void **state) {
  (void)state;
  const char *argv[] = {"C:\\nonexistent\\dk-no-such.exe", NULL};
  dk_proc_result r;
  run_argv(argv, 5000, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  assert_true(strcmp(r.error_name, "ERROR_FILE_NOT_FOUND") == 0 || strcmp(r.error_name, "ERROR_PATH_NOT_FOUND") == 0);
  dk_proc_result_free(&r);

  const char *argv2[] = {"dk-no-such-program-in-path", NULL};
  run_argv(argv2, 5000, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  assert_string_equal(r.error_name, "ERROR_FILE_NOT_FOUND");
  dk_proc_result_free(&r);

  /* Garbage with an .exe name. */
  char tmp[MAX_PATH], bad[MAX_PATH + 20], bat[MAX_PATH + 20];
  GetTempPathA(sizeof tmp, tmp);
  snprintf(bad, sizeof bad, "%sdk_bad_%lu.exe", tmp, (unsigned long)GetCurrentProcessId());
  tu_write_file(bad, "this is not a program", 21);
  const char *argv3[] = {bad, NULL};
  run_argv(argv3, 5000, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  print_message("      garbage .exe -> %s (%ld)\n", r.error_name ? r.error_name : "?", r.error_code);
  dk_proc_result_free(&r);
  remove(bad);

  /* BatBadBut: cmd.exe metacharacters in an argument of a .bat are refused. */
  snprintf(bat, sizeof bat, "%sdk_bat_%lu.bat", tmp, (unsigned long)GetCurrentProcessId());
  tu_write_file(bat, "@echo %1\r\n", 10);
  const char *argv4[] = {bat, "a&calc.exe", NULL};
  run_argv(argv4, 5000, &r);
  assert_int_equal(r.status, DK_PROC_FAILED);
  assert_string_equal(r.error_step, "quote");
  dk_proc_result_free(&r);
  remove(bat);
}

static int child_main(int argc, char **argv) {
  if (strcmp(argv[1], "--child-exit") == 0 && argc > 2) ExitProcess((UINT)strtoul(argv[2], NULL, 0));
  if (strcmp(argv[1], "--child-crash") == 0) {
    volatile int *p = NULL;
    *p = 1;
    return 0;
  }
  if (strcmp(argv[1], "--child-sleep") == 0 && argc > 2) {
    Sleep((DWORD)atoi(argv[2]));
    return 0;
  }
  if (strcmp(argv[1], "--child-echo") == 0) {
    /* The argument as UTF-8, from the wide command line. */
    int n;
    wchar_t **wv = CommandLineToArgvW(GetCommandLineW(), &n);
    char buf[512] = "";
    if (n > 2) WideCharToMultiByte(CP_UTF8, 0, wv[2], -1, buf, sizeof buf, NULL, NULL);
    printf("[%s]", buf);
    fflush(stdout);
    fputs("err", stderr);
    return 0;
  }
  if (strcmp(argv[1], "--child-flood") == 0 && argc > 2) {
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    int mib = atoi(argv[2]);
    HANDLE o = GetStdHandle(STD_OUTPUT_HANDLE), e = GetStdHandle(STD_ERROR_HANDLE);
    for (int i = 0; i < mib * 16; i++) {
      DWORD w;
      WriteFile(o, chunk, sizeof chunk, &w, NULL);
      WriteFile(e, chunk, sizeof chunk, &w, NULL);
    }
    return 0;
  }
  return 2;
}

int main(int argc, char **argv) {
  if (argc > 1 && strncmp(argv[1], "--child-", 8) == 0) return child_main(argc, argv);
  GetModuleFileNameA(NULL, self, sizeof self);
  TU_RUN_TESTS(NULL, NULL, test_capbuf_head_tail, test_names, test_bad_spec, test_win_exit_codes,
      test_win_crash, test_win_output, test_win_big_output, test_win_timeout, test_win_start_failures);
}
#endif
