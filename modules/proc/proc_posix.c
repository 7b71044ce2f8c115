/*
** diagkit.proc, POSIX half: fork + execve.
**
** The child: own process group, signal dispositions and mask reset, stdio
** wired, cwd changed, every other descriptor closed, then execve on each PATH
** candidate in turn. Every failed step is written to a close-on-exec error
** pipe as {step, errno, candidate}; EOF on that pipe means execve succeeded.
** The parent: poll() on stdin/stdout/stderr (and a pidfd on Linux), wait4 for
** the status and rusage, SIGTERM then SIGKILL to the process group (and, on
** Linux, to every descendant found in /proc, including those that called
** setsid and those re-parented to us as a child subreaper) on timeout.
*/
#define _GNU_SOURCE
#include "proc_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

extern char **environ;

#if defined(__linux__) && !defined(DK_PROC_USE_FORK)
#define DK_VFORK vfork
#else
#define DK_VFORK fork
#endif

enum { STEP_STDIO = 1, STEP_SETPGID, STEP_CHDIR, STEP_SIGNALS, STEP_CLOSE_FDS, STEP_EXEC };

static const char *step_name(int step) {
  switch (step) {
  case STEP_STDIO: return "stdio";
  case STEP_SETPGID: return "setpgid";
  case STEP_CHDIR: return "chdir";
  case STEP_SIGNALS: return "signals";
  case STEP_CLOSE_FDS: return "close_fds";
  case STEP_EXEC: return "exec";
  }
  return "unknown";
}

/* One record on the error pipe. final = 0: one PATH candidate failed and the
** next is tried; final = 1: the child gives up (exit 127). */
typedef struct child_report {
  int32_t step, err, index, final;
} child_report;

struct dk_proc_child {
  pid_t pid;
  int in_fd, out_fd, err_fd; /* our ends, -1 when closed / not a pipe */
  int pidfd;
  int reaped, status;
  struct rusage ru;
  double t0, t_exit;
  unsigned long long start_ticks; /* /proc/<pid>/stat starttime (Linux) */
  size_t stdin_off;
  dk_capbuf out, err;
  int killed;     /* 0, SIGTERM or SIGKILL sent */
  int registered; /* in active[] (and holding the subreaper) */
};

double dk_proc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *dk_proc_os_getenv(const char *key) {
  const char *v = getenv(key);
  return v ? strdup(v) : NULL;
}

int dk_proc_os_is_executable(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char **dk_proc_environ(void) {
  size_t n = 0;
  for (char **e = environ; e && *e; e++) n++;
  char **v = calloc(n + 1, sizeof *v);
  if (v == NULL) return NULL;
  for (size_t i = 0; i < n; i++) {
    v[i] = strdup(environ[i]);
    if (v[i] == NULL) {
      dk_proc_environ_free(v);
      return NULL;
    }
  }
  return v;
}

static void close_fd(int *fd) {
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

/* ------------------------------------------------------------ Linux: tree */

/* Runs that are under way (their pids), so the subreaper clean-up never takes
** another run's child for an orphan; the same lock covers fork and reaping. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
#define DK_MAX_ACTIVE 256
static pid_t active[DK_MAX_ACTIVE];
static int n_active;

static int is_active(pid_t p) {
  for (int i = 0; i < n_active; i++)
    if (active[i] == p) return 1;
  return 0;
}

#ifdef __linux__
/* Fields of /proc/<pid>/stat after the command: state, ppid, pgrp, session, starttime. */
static int read_stat(pid_t pid, char *state, pid_t *ppid, pid_t *pgrp, pid_t *sid,
                     unsigned long long *start) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n;
  do n = read(fd, buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (p == NULL) return -1;
  int ip, ig, is;
  unsigned long long st = 0;
  /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
     cutime cstime priority nice threads itrealvalue starttime */
  if (sscanf(p + 1, " %c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
             state, &ip, &ig, &is, &st) != 5)
    return -1;
  *ppid = ip;
  *pgrp = ig;
  *sid = is;
  *start = st;
  return 0;
}

/* Children of pid from /proc/<pid>/task/<tid>/children, appended to v. */
static void list_children(pid_t pid, pid_t *v, size_t *n, size_t cap) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *d = opendir(path);
  if (d == NULL) return;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
    char cpath[300];
    snprintf(cpath, sizeof cpath, "/proc/%d/task/%s/children", (int)pid, de->d_name);
    FILE *f = fopen(cpath, "re");
    if (f == NULL) continue;
    int c;
    while (*n < cap && fscanf(f, "%d", &c) == 1) {
      int dup = 0;
      for (size_t i = 0; i < *n; i++)
        if (v[i] == c) dup = 1;
      if (!dup) v[(*n)++] = c;
    }
    fclose(f);
  }
  closedir(d);
}

/* Processes re-parented to us (the subreaper) that came from a run: not
** another run's child, and not in our own group and session (a popen()'s
** orphan is). Only those started at or after since (clock ticks), if since. */
static size_t list_adopted(pid_t *v, size_t cap, unsigned long long since, int zombies_only) {
  pid_t kids[512];
  size_t nk = 0, n = 0;
  list_children(getpid(), kids, &nk, sizeof kids / sizeof kids[0]);
  pid_t mypg = getpgrp(), mysid = getsid(0);
  for (size_t i = 0; i < nk && n < cap; i++) {
    if (is_active(kids[i])) continue;
    char state;
    pid_t ppid, pg, sid;
    unsigned long long st;
    if (read_stat(kids[i], &state, &ppid, &pg, &sid, &st) != 0) continue;
    if (pg == mypg && sid == mysid) continue;
    if (since && st < since) continue;
    if (zombies_only && state != 'Z') continue;
    v[n++] = kids[i];
  }
  return n;
}

static int subreaper_users;

static void subreaper_acquire(void) {
  if (subreaper_users++ == 0) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

static void subreaper_release(void) {
  if (--subreaper_users == 0) prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

/* Every descendant of root (breadth first through the children files), plus
** the orphans of this run re-parented to us and their descendants. */
static size_t collect_tree(dk_proc_child *c, pid_t *v, size_t cap) {
  size_t n = 0;
  if (!c->reaped) v[n++] = c->pid;
  pthread_mutex_lock(&reg_lock);
  n += list_adopted(v + n, cap - n, c->start_ticks, 0);
  pthread_mutex_unlock(&reg_lock);
  for (size_t i = 0; i < n; i++) list_children(v[i], v, &n, cap);
  return n;
}
#endif

static void kill_tree(dk_proc_child *c, int sig) {
  /* The group first (the fast path, and the only one off Linux). The group
  ** outlives the child while any member lives, so this is safe after reaping
  ** only as long as the pid is not reused as a group id: we signal it until
  ** we reap, and from then on only pids read from /proc. */
  if (!c->reaped) kill(-c->pid, sig);
#ifdef __linux__
  if (c->start_ticks == 0 && !c->reaped) {
    char st;
    pid_t a, b, d;
    read_stat(c->pid, &st, &a, &b, &d, &c->start_ticks);
  }
  pid_t v[1024];
  size_t n = collect_tree(c, v, sizeof v / sizeof v[0]);
  for (size_t i = 0; i < n; i++)
    if (v[i] != c->pid || !c->reaped) kill(v[i], sig);
#endif
  c->killed = sig;
}

/* After a timed-out run: kill and reap the orphans re-parented to us until
** none is left (each death may hand us its own children). */
static void reap_orphans(dk_proc_child *c, int kill_them) {
#ifdef __linux__
  if (!kill_them) {
    /* Only zombies to reap: when no child of ours is a zombie at all (one
    ** system call, nothing reaped), skip the scan of /proc. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0) return;
  }
  for (int round = 0; round < 64; round++) {
    pid_t v[256];
    pthread_mutex_lock(&reg_lock);
    size_t n = list_adopted(v, sizeof v / sizeof v[0], kill_them ? c->start_ticks : 0, !kill_them);
    for (size_t i = 0; i < n; i++) {
      if (kill_them) {
        pid_t kids[1024];
        size_t nk = 0;
        list_children(v[i], kids, &nk, sizeof kids / sizeof kids[0]);
        for (size_t k = 0; k < nk; k++) list_children(kids[k], kids, &nk, sizeof kids / sizeof kids[0]);
        for (size_t k = 0; k < nk; k++) kill(kids[k], SIGKILL);
        kill(v[i], SIGKILL);
      }
      while (waitpid(v[i], NULL, 0) < 0 && errno == EINTR) {
      }
    }
    pthread_mutex_unlock(&reg_lock);
    if (n == 0) break;
  }
#else
  (void)c;
  (void)kill_them;
#endif
}

static void unregister(dk_proc_child *c) {
  if (!c->registered) return;
  c->registered = 0;
  pthread_mutex_lock(&reg_lock);
  for (int i = 0; i < n_active; i++)
    if (active[i] == c->pid) {
      active[i] = active[--n_active];
      break;
    }
#ifdef __linux__
  subreaper_release();
#endif
  pthread_mutex_unlock(&reg_lock);
}

/* ------------------------------------------------------------ the child */

static void report(int fd, int step, int err, int index, int final) {
  child_report r = {step, err, index, final};
  const char *p = (const char *)&r;
  size_t left = sizeof r;
  while (left > 0) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= (size_t)w;
  }
  if (final) _exit(127);
}

/* Moves fd to a number >= 3, close-on-exec (dup2 onto 0..2 clears that). */
static int lift(int fd) {
  if (fd < 0 || fd >= 3) return fd;
  return fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

static int close_above(int lo, int hi_excl, int maxfd) {
  /* Closes [lo, hi_excl); async-signal-safe. */
  if (lo >= hi_excl) return 0;
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, (unsigned)lo, (unsigned)(hi_excl - 1), 0u) == 0) return 0;
#endif
  for (int fd = lo; fd < hi_excl && fd < maxfd; fd++) close(fd);
  return 0;
}

#ifdef __linux__
struct dk_dirent64 {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
#endif

static void close_other_fds(int keep, int maxfd) {
#if defined(__linux__) && defined(SYS_close_range)
  if (syscall(SYS_close_range, 3u, (unsigned)(keep - 1), 0u) == 0 &&
      syscall(SYS_close_range, (unsigned)(keep + 1), ~0u, 0u) == 0)
    return;
#endif
#if defined(__linux__) && defined(SYS_getdents64)
  /* No close_range: walk /proc/self/fd with the raw syscall (no malloc). */
  int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    char buf[4096] __attribute__((aligned(8)));
    int fds[512], nf = 0, more = 1;
    while (more) {
      long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        struct dk_dirent64 *de = (struct dk_dirent64 *)(void *)(buf + off);
        off += de->d_reclen;
        int fd = 0;
        const char *s = de->d_name;
        if (*s < '0' || *s > '9') continue;
        for (; *s >= '0' && *s <= '9'; s++) fd = fd * 10 + (*s - '0');
        if (fd >= 3 && fd != keep && fd != dfd) {
          if (nf < 512)
            fds[nf++] = fd;
          else
            more = 0; /* too many: fall back to the loop below */
        }
      }
    }
    close(dfd);
    for (int i = 0; i < nf; i++) close(fds[i]);
    if (more) return;
  }
#endif
  close_above(3, keep, maxfd);
  close_above(keep + 1, maxfd, maxfd);
}

typedef struct child_setup {
  int in_src, out_src, err_src; /* -1: leave the inherited descriptor */
  int merge_err;
  int errfd;
  const char *cwd;
  char *const *argv;
  char *const *envp;
  char *const *cands;
  int maxfd;
} child_setup;

/* glibc refuses sigaction() on the signals it reserves for its threads (32
** and 33), yet an ignored disposition inherited from our own parent survives
** exec and would reach the child: seen under GNU make, which left both
** ignored. Between fork and exec nothing of glibc's needs them, so reset
** them with the raw system call. */
static void reset_reserved_signal(int sig) {
#if defined(__linux__) && defined(SYS_rt_sigaction) && (defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || defined(__arm__) || defined(__riscv))
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long long mask;
  } kact;
  memset(&kact, 0, sizeof kact);
  kact.handler = SIG_DFL;
  syscall(SYS_rt_sigaction, sig, &kact, NULL, sizeof kact.mask);
#else
  (void)sig;
#endif
}

static void child_main(const child_setup *s) __attribute__((noreturn));
static void child_main(const child_setup *s) {
  int errfd = lift(s->errfd);
  if (errfd < 0) _exit(127);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    if (sigaction(sig, &sa, NULL) != 0 && errno == EINVAL) reset_reserved_signal(sig);
  }
  if (setpgid(0, 0) != 0) report(errfd, STEP_SETPGID, errno, -1, 1);
  int in = lift(s->in_src), out = lift(s->out_src), err = lift(s->err_src);
  if ((s->in_src >= 0 && in < 0) || (s->out_src >= 0 && out < 0) || (s->err_src >= 0 && err < 0))
    report(errfd, STEP_STDIO, errno, -1, 1);
  if (in >= 0 && dup2(in, 0) < 0) report(errfd, STEP_STDIO, errno, -1, 1);
  if (out >= 0 && dup2(out, 1) < 0) report(errfd, STEP_STDIO, errno, -1, 1);
  if (s->merge_err) {
    if (dup2(1, 2) < 0) report(errfd, STEP_STDIO, errno, -1, 1);
  } else if (err >= 0 && dup2(err, 2) < 0) {
    report(errfd, STEP_STDIO, errno, -1, 1);
  }
  if (s->cwd && chdir(s->cwd) != 0) report(errfd, STEP_CHDIR, errno, -1, 1);
  close_other_fds(errfd, s->maxfd);
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, NULL) != 0) report(errfd, STEP_SIGNALS, errno, -1, 1);
  /* execvp's rules, with execve: EACCES is remembered and the search goes on;
  ** "not here" errors go on; anything else stops the search. */
  int saw_eacces = -1, last = ENOENT, last_index = -1;
  for (int i = 0; s->cands[i]; i++) {
    execve(s->cands[i], s->argv, s->envp);
    int e = errno;
    last = e;
    last_index = i;
    if (e == EACCES) {
      if (saw_eacces < 0) saw_eacces = i;
    } else if (e != ENOENT && e != ENOTDIR && e != ESTALE && e != ENODEV && e != ETIMEDOUT) {
      report(errfd, STEP_EXEC, e, i, 1);
    }
    report(errfd, STEP_EXEC, e, i, 0);
  }
  if (saw_eacces >= 0) report(errfd, STEP_EXEC, EACCES, saw_eacces, 1);
  report(errfd, STEP_EXEC, last, last_index, 1);
  _exit(127); /* report(..., 1) has exited already; this says so to the compiler */
}

/* In its own frame, so that nothing of the caller's lives across vfork: the
** child leaves through child_main (execve or _exit), only the parent returns. */
static pid_t __attribute__((noinline)) start_child(const child_setup *s) {
  pid_t pid = DK_VFORK();
  if (pid == 0) child_main(s);
  return pid;
}

/* ------------------------------------------------------------ start */

static int open_null(int flags) { return open("/dev/null", flags | O_CLOEXEC); }

static int make_pipe(int fds[2]) {
#ifdef __linux__
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  fcntl(fds[1], F_SETFD, FD_CLOEXEC);
  return 0;
#endif
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void fill_failed(dk_proc_result *res, int step, int err) {
  res->status = DK_PROC_FAILED;
  res->error_code = err;
  res->error_name = dk_proc_errno_name(err);
  if (res->error_name == NULL) res->error_name = "EUNKNOWN";
  res->error_step = step_name(step);
  snprintf(res->error_message, sizeof res->error_message, "%s", strerror(err));
}

int dk_proc_os_start(const dk_proc_spec *spec, dk_proc_child **outp, dk_proc_result *res,
                     char *errbuf, size_t errlen) {
  *outp = NULL;
  int p_in[2] = {-1, -1}, p_out[2] = {-1, -1}, p_err[2] = {-1, -1}, p_rep[2] = {-1, -1};
  int null_fd = -1;
  int rc = -1;
  dk_proc_cands cands = {NULL, 0};
  dk_proc_child *c = calloc(1, sizeof *c);
  if (c == NULL) {
    errno = ENOMEM;
    dk_proc_set_err(errbuf, errlen, "out of memory");
    return -1;
  }
  c->pid = -1;
  c->in_fd = c->out_fd = c->err_fd = c->pidfd = -1;
  size_t limit = spec->max_output;
  dk_capbuf_init(&c->out, limit);
  dk_capbuf_init(&c->err, limit);

  const char *path_list = spec->env ? dk_proc_env_lookup(spec->env, "PATH") : NULL;
  if (dk_proc_candidates(spec->argv[0], path_list, &cands) != 0) {
    errno = ENOMEM;
    dk_proc_set_err(errbuf, errlen, "out of memory");
    goto out;
  }
  if (cands.n == 0) { /* "" as the program */
    fill_failed(res, STEP_EXEC, ENOENT);
    rc = 1;
    goto out;
  }

  child_setup s;
  memset(&s, 0, sizeof s);
  s.in_src = s.out_src = s.err_src = -1;
  int need_null = spec->stdin_mode == DK_PROC_STDIN_CLOSED || spec->stdout_mode == DK_PROC_OUT_DISCARD ||
                  spec->stderr_mode == DK_PROC_OUT_DISCARD;
  if (need_null && (null_fd = open_null(O_RDWR)) < 0) {
    dk_proc_set_err(errbuf, errlen, "open /dev/null: %s", strerror(errno));
    goto out;
  }
  if (make_pipe(p_rep) != 0) goto pipe_fail;
  if (spec->stdin_mode == DK_PROC_STDIN_BYTES) {
    if (make_pipe(p_in) != 0) goto pipe_fail;
    s.in_src = p_in[0];
  } else if (spec->stdin_mode == DK_PROC_STDIN_CLOSED) {
    s.in_src = null_fd;
  }
  if (spec->stdout_mode == DK_PROC_OUT_CAPTURE) {
    if (make_pipe(p_out) != 0) goto pipe_fail;
    s.out_src = p_out[1];
  } else if (spec->stdout_mode == DK_PROC_OUT_DISCARD) {
    s.out_src = null_fd;
  }
  if (spec->stderr_mode == DK_PROC_OUT_CAPTURE) {
    if (make_pipe(p_err) != 0) goto pipe_fail;
    s.err_src = p_err[1];
  } else if (spec->stderr_mode == DK_PROC_OUT_DISCARD) {
    s.err_src = null_fd;
  } else if (spec->stderr_mode == DK_PROC_OUT_MERGE) {
    s.merge_err = 1;
  }
  s.errfd = p_rep[1];
  s.cwd = spec->cwd;
  s.argv = (char *const *)(uintptr_t)spec->argv;
  s.envp = spec->env ? (char *const *)(uintptr_t)spec->env : environ;
  s.cands = cands.v;
  long om = sysconf(_SC_OPEN_MAX);
  s.maxfd = om > 0 && om < 65536 ? (int)om : 65536;

  /* All signals blocked across fork: the child must not run our handlers
  ** before it has reset them. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_mutex_lock(&reg_lock);
  if (n_active >= DK_MAX_ACTIVE) {
    pthread_mutex_unlock(&reg_lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    dk_proc_set_err(errbuf, errlen, "too many processes running at once");
    goto out;
  }
#ifdef __linux__
  subreaper_acquire();
#endif
  c->t0 = dk_proc_now_ms();
  /* vfork: the child borrows our memory until it execs or exits, so no page
  ** tables are copied (fork of a big toolkit process costs milliseconds;
  ** posix_spawn does the same). child_main is written for it: it only makes
  ** system calls on memory prepared here, never returns, and ends in
  ** execve or _exit. Signals stay blocked in the child until it has reset
  ** every handler, so none of ours can run on the shared memory. */
  pid_t pid = start_child(&s);
  int fork_errno = errno;
  if (pid > 0) {
    active[n_active++] = pid;
    c->registered = 1;
    setpgid(pid, pid); /* also from here: no window where the group does not exist */
  }
#ifdef __linux__
  else
    subreaper_release();
#endif
  pthread_mutex_unlock(&reg_lock);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    dk_proc_set_err(errbuf, errlen, "fork: %s", strerror(fork_errno));
    goto out;
  }
  c->pid = pid;
  res->pid = pid;
  /* c->start_ticks is read when it is needed, in kill_tree, while the child
  ** is alive: most runs are never killed and skip the /proc read. */

  close_fd(&p_rep[1]);
  close_fd(&p_in[0]);
  close_fd(&p_out[1]);
  close_fd(&p_err[1]);
  close_fd(&null_fd);

  /* The child's verdict: records until EOF (execve succeeded) or a final one. */
  child_report r;
  int n_failed = 0, final = 0;
  child_report last = {0, 0, -1, 0};
  for (;;) {
    size_t got = 0;
    while (got < sizeof r) {
      ssize_t n = read(p_rep[0], (char *)&r + got, sizeof r - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += (size_t)n;
    }
    if (got < sizeof r) break;
    last = r;
    if (r.final) {
      final = 1;
      break;
    }
    n_failed++;
  }
  close_fd(&p_rep[0]);
  if (final) {
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR) {
    }
    c->reaped = 1;
    unregister(c);
    fill_failed(res, last.step, last.err);
    if (last.index >= 0 && (size_t)last.index < cands.n) res->path = strdup(cands.v[last.index]);
    res->wall_ms = dk_proc_now_ms() - c->t0;
    close_fd(&p_in[1]);
    close_fd(&p_out[0]);
    close_fd(&p_err[0]);
    rc = 1;
    goto out;
  }
  if ((size_t)n_failed < cands.n) res->path = strdup(cands.v[n_failed]);

  c->in_fd = p_in[1];
  c->out_fd = p_out[0];
  c->err_fd = p_err[0];
  p_in[1] = p_out[0] = p_err[0] = -1;
  if (c->in_fd >= 0) set_nonblock(c->in_fd);
  if (c->out_fd >= 0) set_nonblock(c->out_fd);
  if (c->err_fd >= 0) set_nonblock(c->err_fd);
#if defined(__linux__) && defined(SYS_pidfd_open)
  c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (c->pidfd >= 0) fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
#endif
  *outp = c;
  c = NULL;
  rc = 0;
  goto out;

pipe_fail:
  dk_proc_set_err(errbuf, errlen, "pipe: %s", strerror(errno));
out:
  close_fd(&p_in[0]);
  close_fd(&p_in[1]);
  close_fd(&p_out[0]);
  close_fd(&p_out[1]);
  close_fd(&p_err[0]);
  close_fd(&p_err[1]);
  close_fd(&p_rep[0]);
  close_fd(&p_rep[1]);
  close_fd(&null_fd);
  dk_proc_cands_free(&cands);
  if (c) {
    dk_capbuf_free(&c->out);
    dk_capbuf_free(&c->err);
    free(c);
  }
  return rc;
}

/* ------------------------------------------------------------ communicate */

static int try_reap(dk_proc_child *c, int block) {
  if (c->reaped) return 1;
  for (;;) {
    pid_t r = wait4(c->pid, &c->status, block ? 0 : WNOHANG, &c->ru);
    if (r < 0 && errno == EINTR) continue;
    if (r == c->pid) {
      c->reaped = 1;
      c->t_exit = dk_proc_now_ms();
      return 1;
    }
    if (r < 0) { /* ECHILD: someone else reaped it (SIGCHLD = SIG_IGN?) */
      c->reaped = 1;
      c->status = -1;
      c->t_exit = dk_proc_now_ms();
      return 1;
    }
    return 0;
  }
}

/* write() to a pipe whose reader is gone raises SIGPIPE: block it for this
** thread, and swallow the one we caused (if none was pending before). */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n) {
  sigset_t pipe_set, old, pending;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigpending(&pending);
  int was_pending = sigismember(&pending, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t w;
  do w = write(fd, p, n);
  while (w < 0 && errno == EINTR);
  int e = errno;
  if (w < 0 && e == EPIPE && !was_pending) {
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  errno = e;
  return w;
}

/* A pipe of the default 64 KiB holds the writer to a context switch per
** 64 KiB; once a stream proves big (a read filled the whole buffer), grow
** its pipe to 1 MiB (Linux's default pipe-max-size), once. Small outputs,
** the common case, never pay for the bigger pipe. */
static void grow_pipe(int fd, int *grown) {
#ifdef F_SETPIPE_SZ
  if (!*grown) fcntl(fd, F_SETPIPE_SZ, 1 << 20); /* may fail (limits): harmless */
#else
  (void)fd;
#endif
  *grown = 1;
}

/* Reads what the pipe holds straight into the capture buffer (big outputs
** are copied once, by the kernel); buf is for bytes that are not kept. */
static int drain_fd(int *fd, dk_capbuf *b, char *buf, size_t bufsize, int *grown) {
  for (int i = 0; i < 16; i++) { /* bounded: give the other pipe its turn */
    char *at = buf;
    size_t room = bufsize;
    int kept = dk_capbuf_space(b, bufsize, &at, &room);
    if (kept < 0) return -1;
    ssize_t n = read(*fd, at, room);
    if (n > 0) {
      if (kept == 0)
        dk_capbuf_commit(b, (size_t)n);
      else if (dk_capbuf_append(b, buf, (size_t)n) != 0)
        return -1;
      if ((size_t)n == room && room >= 65536) grow_pipe(*fd, grown);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    close_fd(fd); /* EOF or error */
    return 0;
  }
  return 0;
}

int dk_proc_os_communicate(dk_proc_child *c, const dk_proc_spec *spec, dk_proc_result *res,
                           char *errbuf, size_t errlen) {
  /* 64 KiB reads to start with; once a pipe has grown (a big stream),
  ** 512 KiB reads, half the grown pipe per system call (measured best of 64K-1M), from the heap
  ** (an embedder's threads may have small stacks; small runs never pay). */
  char small[65536], *big = NULL, *buf = small;
  size_t bufsize = sizeof small;
  int out_grown = 0, err_grown = 0, cancelled = 0;
  double deadline = spec->timeout_ms > 0 ? c->t0 + (double)spec->timeout_ms : -1;
  double grace = spec->kill_grace_ms >= 0 ? (double)spec->kill_grace_ms : DK_PROC_DEFAULT_KILL_GRACE_MS;
  double drain = spec->drain_ms >= 0 ? (double)spec->drain_ms : DK_PROC_DEFAULT_DRAIN_MS;
  double kill_at = -1, drain_until = -1;
  int timed_out = 0;
  if (c->in_fd >= 0 && spec->stdin_len == 0) close_fd(&c->in_fd);

  for (;;) {
    if (!c->reaped) try_reap(c, 0);
    double now = dk_proc_now_ms();
    if (c->reaped) {
      close_fd(&c->in_fd);
      if (c->out_fd < 0 && c->err_fd < 0) break;
      if (drain_until < 0) drain_until = now + (timed_out ? (grace < 200 ? grace : 200) : drain);
      if (now >= drain_until) break; /* leftover children hold the pipes: stop reading */
    } else if (!timed_out && ((deadline >= 0 && now >= deadline) || (spec->cancel && atomic_load(spec->cancel)))) {
      cancelled = !(deadline >= 0 && now >= deadline);
      timed_out = 1;
      close_fd(&c->in_fd);
      /* A cancel (dk_cancel) stops at once: its caller was promised 100 ms,
         not the grace a timed-out program gets to clean up. */
      kill_tree(c, grace > 0 && !cancelled ? SIGTERM : SIGKILL);
      kill_at = now + (cancelled ? 0 : grace);
    } else if (timed_out && c->killed != SIGKILL && now >= kill_at) {
      kill_tree(c, SIGKILL);
    }
    /* Nothing left to read and no timeout to keep: just wait. */
    if (!c->reaped && c->out_fd < 0 && c->err_fd < 0 && c->in_fd < 0 && deadline < 0 && !spec->cancel) {
      try_reap(c, 1);
      continue;
    }

    struct pollfd pf[4];
    int np = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1;
    if (c->in_fd >= 0) { pf[np].fd = c->in_fd; pf[np].events = POLLOUT; i_in = np++; }
    if (c->out_fd >= 0) { pf[np].fd = c->out_fd; pf[np].events = POLLIN; i_out = np++; }
    if (c->err_fd >= 0) { pf[np].fd = c->err_fd; pf[np].events = POLLIN; i_err = np++; }
    if (!c->reaped && c->pidfd >= 0) { pf[np].fd = c->pidfd; pf[np].events = POLLIN; i_pid = np++; }
    double wait = -1;
    if (!c->reaped && !timed_out && deadline >= 0) wait = deadline - now;
    if (timed_out && !c->reaped && c->killed != SIGKILL) wait = kill_at - now;
    if (c->reaped) wait = drain_until - now;
    if (!c->reaped && c->pidfd < 0) {
      /* No pidfd: poll the exit with a growing interval. */
      double slice = (now - c->t0) < 20 ? 1 : (now - c->t0) < 500 ? 10 : 50;
      if (wait < 0 || wait > slice) wait = slice;
    }
    if (timed_out && c->killed == SIGKILL && !c->reaped && (wait < 0 || wait > 50)) wait = 50;
    if (spec->cancel && !timed_out && (wait < 0 || wait > 100)) wait = 100; /* notice a cancel */
    int tmo = wait < 0 ? -1 : (int)(wait + 0.999);
    int pr = poll(pf, (nfds_t)np, tmo);
    if (pr < 0) {
      if (errno == EINTR) continue;
      dk_proc_set_err(errbuf, errlen, "poll: %s", strerror(errno));
      free(big);
      return -1;
    }
    if (i_pid >= 0 && pf[i_pid].revents) try_reap(c, 0);
    if (i_in >= 0 && pf[i_in].revents) {
      if (pf[i_in].revents & (POLLERR | POLLHUP)) {
        close_fd(&c->in_fd);
      } else {
        size_t left = spec->stdin_len - c->stdin_off;
        ssize_t w = write_nosigpipe(c->in_fd, spec->stdin_data + c->stdin_off, left);
        if (w > 0) c->stdin_off += (size_t)w;
        if ((w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) || c->stdin_off >= spec->stdin_len)
          close_fd(&c->in_fd);
      }
    }
    if (i_out >= 0 && pf[i_out].revents && drain_fd(&c->out_fd, &c->out, buf, bufsize, &out_grown) != 0) goto oom;
    if (i_err >= 0 && pf[i_err].revents && drain_fd(&c->err_fd, &c->err, buf, bufsize, &err_grown) != 0) goto oom;
    if ((out_grown || err_grown) && big == NULL && (big = malloc(1 << 19)) != NULL) {
      buf = big;
      bufsize = 1 << 19;
    }
  }
  free(big);
  big = NULL;
  close_fd(&c->in_fd);
  close_fd(&c->out_fd);
  close_fd(&c->err_fd);
  try_reap(c, 1);
  unregister(c);
  reap_orphans(c, timed_out);

  res->wall_ms = c->t_exit - c->t0;
  res->user_ms = (double)c->ru.ru_utime.tv_sec * 1000.0 + (double)c->ru.ru_utime.tv_usec / 1000.0;
  res->sys_ms = (double)c->ru.ru_stime.tv_sec * 1000.0 + (double)c->ru.ru_stime.tv_usec / 1000.0;
  res->max_rss_kb = c->ru.ru_maxrss;
#ifdef __APPLE__
  res->max_rss_kb /= 1024; /* bytes there */
#endif
  int st = c->status;
  if (st != -1 && WIFEXITED(st)) {
    res->status = DK_PROC_EXITED;
    res->exited = 1;
    res->exit_code = (uint32_t)WEXITSTATUS(st);
  } else if (st != -1 && WIFSIGNALED(st)) {
    res->status = DK_PROC_SIGNALED;
    res->signal = WTERMSIG(st);
#ifdef WCOREDUMP
    res->core_dumped = WCOREDUMP(st) ? 1 : 0;
#endif
  } else {
    res->status = DK_PROC_EXITED; /* status lost (reaped elsewhere) */
  }
  if (timed_out) res->status = cancelled ? DK_PROC_CANCELLED : DK_PROC_TIMEOUT;
  if (dk_capbuf_finish(&c->out, &res->out) != 0 || dk_capbuf_finish(&c->err, &res->err) != 0) goto oom;
  return 0;
oom:
  free(big);
  errno = ENOMEM;
  dk_proc_set_err(errbuf, errlen, "out of memory capturing output");
  return -1;
}

void dk_proc_os_kill(dk_proc_child *c, int force) {
  if (c->reaped) return;
  kill_tree(c, force ? SIGKILL : SIGTERM);
}

void dk_proc_os_signal(dk_proc_child *c, int sig) {
  if (c->reaped || sig <= 0) return;
  kill_tree(c, sig);
}

long dk_proc_os_pid(const dk_proc_child *c) { return (long)c->pid; }

void dk_proc_os_close(dk_proc_child *c) {
  if (c == NULL) return;
  close_fd(&c->in_fd);
  close_fd(&c->out_fd);
  close_fd(&c->err_fd);
  if (!c->reaped) {
    kill_tree(c, SIGKILL);
    try_reap(c, 1);
    unregister(c);
    reap_orphans(c, 1);
  }
  unregister(c);
  close_fd(&c->pidfd);
  dk_capbuf_free(&c->out);
  dk_capbuf_free(&c->err);
  free(c);
}
