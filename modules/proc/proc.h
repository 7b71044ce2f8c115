/*
** diagkit.proc, C API: run a program, capture how it ended.
**
** One interface, two halves: proc_posix.c (fork + execve with a close-on-exec
** error pipe, own process group, poll() drain, wait4) and proc_win32.c
** (CreateProcessW, job object, drain threads). proc_common.c holds the
** portable parts (output capture, PATH search, error and signal names).
** No Lua in here; lua_proc.c is the binding.
**
**   const char *argv[] = {"sh", "-c", "exit 3", NULL};
**   dk_proc_spec spec;
**   dk_proc_spec_init(&spec);
**   spec.argv = argv;
**   spec.timeout_ms = 5000;
**   dk_proc_result r;
**   char err[256];
**   if (dk_proc_run(&spec, &r, err, sizeof err) != 0) { ... toolkit failure: err ... }
**   ... r.status == DK_PROC_EXITED, r.exit_code == 3 ...
**   dk_proc_result_free(&r);
*/
#ifndef DK_PROC_H
#define DK_PROC_H

#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#define DK_PROC_DEFAULT_MAX_OUTPUT ((size_t)16 * 1024 * 1024)
#define DK_PROC_DEFAULT_KILL_GRACE_MS 2000
#define DK_PROC_DEFAULT_DRAIN_MS 2000

typedef enum dk_proc_stdin_mode {
  DK_PROC_STDIN_CLOSED = 0, /* the child reads EOF at once (/dev/null, NUL) */
  DK_PROC_STDIN_BYTES,      /* stdin_data[0..stdin_len) through a pipe, then EOF */
  DK_PROC_STDIN_INHERIT     /* the toolkit's own stdin */
} dk_proc_stdin_mode;

typedef enum dk_proc_output_mode {
  DK_PROC_OUT_CAPTURE = 0, /* to memory, at most max_output bytes (head and tail kept) */
  DK_PROC_OUT_DISCARD,     /* /dev/null, NUL */
  DK_PROC_OUT_INHERIT,     /* the toolkit's own stream */
  DK_PROC_OUT_MERGE        /* stderr only: the same destination as stdout (2>&1) */
} dk_proc_output_mode;

typedef struct dk_proc_spec {
  /* The program and its arguments, NULL-terminated, UTF-8. argv[0] names the
  ** program: with a '/' (or '\\' or a drive on Windows) it is a path (relative
  ** to cwd when cwd is set), otherwise it is searched in PATH (the PATH of env
  ** when env is given and has one, else the toolkit's own; PATHEXT on Windows). */
  const char *const *argv;
  const char *cwd;         /* NULL: the toolkit's current directory */
  const char *const *env;  /* "KEY=VALUE" strings, NULL-terminated: the whole
                              environment; NULL: inherit the toolkit's */
  dk_proc_stdin_mode stdin_mode;
  const char *stdin_data;
  size_t stdin_len;
  dk_proc_output_mode stdout_mode; /* CAPTURE, DISCARD or INHERIT */
  dk_proc_output_mode stderr_mode; /* CAPTURE, DISCARD, INHERIT or MERGE */
  size_t max_output;     /* cap per captured stream; 0 in spec_init means default */
  int64_t timeout_ms;    /* <= 0: no timeout */
  int64_t kill_grace_ms; /* SIGTERM -> SIGKILL delay after a timeout (POSIX); < 0: default */
  int64_t drain_ms;      /* after the program exits, how long to keep reading output that
                            its leftover children still hold open; < 0: default */
  int allow_batch_args;  /* Windows: allow cmd.exe metacharacters in the arguments of a
                            .bat/.cmd target (BatBadBut); refused by default */
  /* When not NULL and it becomes non-zero (another thread: dk_cancel), the
  ** wait stops within 100 ms: the tree is killed as on a timeout and the
  ** status is DK_PROC_CANCELLED. */
  const atomic_int *cancel;
} dk_proc_spec;

typedef enum dk_proc_status {
  DK_PROC_EXITED = 0, /* exit_code is valid */
  DK_PROC_SIGNALED,   /* signal (and core_dumped) is valid (POSIX) */
  DK_PROC_TIMEOUT,    /* still running at the timeout; killed with its process tree.
                         exit_code / signal say how it finally ended */
  DK_PROC_FAILED,     /* never started: error_* says why */
  DK_PROC_CANCELLED   /* spec.cancel was raised; killed with its process tree */
} dk_proc_status;

typedef struct dk_proc_output {
  char *data;        /* NUL-terminated for convenience; may hold NULs */
  size_t len;
  uint64_t total;    /* bytes the program wrote, kept or not */
  int truncated;     /* total > len: the first half and the last half of the cap kept */
} dk_proc_output;

typedef struct dk_proc_result {
  dk_proc_status status;
  int exited;            /* 1 when exit_code is valid (EXITED, or TIMEOUT and it exited) */
  uint32_t exit_code;    /* 0..255 on POSIX; the full 32-bit GetExitCodeProcess on Windows */
  int signal;            /* 0 unless it died of a signal */
  int core_dumped;
  dk_proc_output out, err;
  double wall_ms, user_ms, sys_ms;
  long max_rss_kb;       /* ru_maxrss (Linux), PeakWorkingSetSize / 1024 (Windows) */
  long pid;
  char *path;            /* the file actually executed (after the PATH search), or NULL */
  const char *found_by;  /* Windows: the search rule that found a bare name ("the current folder", ...), or NULL */
  /* status == DK_PROC_FAILED: */
  long error_code;              /* errno, or the Win32 error */
  const char *error_name;       /* "ENOENT", "ERROR_FILE_NOT_FOUND", ... (static) */
  const char *error_step;       /* "exec", "chdir", "stdio", "setpgid", "signals",
                                   "close_fds", "quote", "job" (static) */
  char error_message[256];      /* strerror / FormatMessage text */
} dk_proc_result;

/* Defaults: capture stdout and stderr, stdin closed, 16 MiB caps, no timeout. */
void dk_proc_spec_init(dk_proc_spec *spec);

/* Runs the program to its end (or the timeout) and fills *res.
** Returns 0 when res is filled - including status DK_PROC_FAILED, a program
** that could not start. Returns -1 for a failure of the toolkit itself (bad
** spec, pipe() or fork() failed, out of memory): err says what, res is empty
** (dk_proc_result_free is still safe). */
int dk_proc_run(const dk_proc_spec *spec, dk_proc_result *res, char *err, size_t errlen);

void dk_proc_result_free(dk_proc_result *res);

/* The same run in steps, for a caller that does other work while the program
** runs (proc.spawn). dk_proc_spawn returns 0 with *child set; 1 when the
** program could not start (res filled as DK_PROC_FAILED, no child); -1 for a
** toolkit failure (err). The spec, and everything it points to, must live
** until dk_proc_close. While nobody waits, a program that fills a pipe blocks
** until dk_proc_wait drains it. dk_proc_wait, given the res dk_proc_spawn
** filled (it holds the pid and path), runs to the end exactly as dk_proc_run
** (spec's timeout counts from the spawn) and may be called once.
** dk_proc_signal sends sig to the whole tree (Windows: any sig terminates the
** job). dk_proc_close kills and reaps what is still running, then frees. */
typedef struct dk_proc_child dk_proc_child;
int dk_proc_spawn(const dk_proc_spec *spec, dk_proc_child **child, dk_proc_result *res, char *err, size_t errlen);
int dk_proc_wait(dk_proc_child *child, const dk_proc_spec *spec, dk_proc_result *res, char *err, size_t errlen);
void dk_proc_signal(dk_proc_child *child, int sig);
long dk_proc_pid(const dk_proc_child *child);
void dk_proc_close(dk_proc_child *child);

/* PATH search as run() does it. Returns a malloc'd path of the first candidate
** that is an executable regular file, or NULL. path_list is the search path
** (NULL: $PATH); for every candidate tried, cb(candidate, ud) is called when cb
** is not NULL. */
char *dk_proc_which(const char *name, const char *path_list,
                    void (*cb)(const char *candidate, void *ud), void *ud);

/* The toolkit's environment as a malloc'd NULL-terminated array of malloc'd
** UTF-8 "KEY=VALUE" strings (free with dk_proc_environ_free), or NULL. */
char **dk_proc_environ(void);
void dk_proc_environ_free(char **env);

/* 1 when environment keys compare case-insensitively (Windows). */
int dk_proc_env_keys_fold_case(void);

/* Symbolic names: "SIGSEGV" for 11 on Linux (NULL if unknown); "ENOENT" /
** "ERROR_FILE_NOT_FOUND" for an errno / Win32 error (NULL if unknown). */
const char *dk_proc_signal_name(int sig);
const char *dk_proc_errno_name(long err);
const char *dk_proc_status_name(dk_proc_status st);

#endif
