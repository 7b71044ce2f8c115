/*
** diagkit.proc, Win32 half: CreateProcessW.
**
** The program is found by our own PATH/PATHEXT search and passed as
** lpApplicationName (no CreateProcess search of the cwd or the app folder);
** the command line is quoted by the MSVCRT / CommandLineToArgvW rules;
** arguments with cmd.exe metacharacters are refused for .bat/.cmd targets
** (BatBadBut) unless the spec allows them. The child starts suspended, goes
** into a job object (KILL_ON_JOB_CLOSE | DIE_ON_UNHANDLED_EXCEPTION) and is
** resumed; only its three stdio handles are inherited (handle list). stdout,
** stderr and stdin are served by one thread each, so nothing deadlocks.
** A crashing child opens no dialog: the error mode it inherits has
** SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX.
*/
#include "dk_err.h"

#include "proc_internal.h"

#include <windows.h>
#include <psapi.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_text.h"

#ifndef PROC_THREAD_ATTRIBUTE_HANDLE_LIST
#define PROC_THREAD_ATTRIBUTE_HANDLE_LIST 0x20002
#endif

/* Exit code given to a process killed on timeout (TerminateJobObject). */
#define DK_PROC_KILLED_EXIT_CODE 1

/* ------------------------------------------------------------ hooks */

double dk_proc_now_ms(void) {
  static LARGE_INTEGER freq;
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * 1000.0 / (double)freq.QuadPart;
}

char *dk_proc_os_getenv(const char *key) {
  wchar_t *wk = dk_utf8_to_wide(key);
  if (wk == NULL) return NULL;
  DWORD n = GetEnvironmentVariableW(wk, NULL, 0);
  char *r = NULL;
  if (n > 0) {
    wchar_t *wv = malloc((size_t)n * sizeof *wv);
    if (wv != NULL && GetEnvironmentVariableW(wk, wv, n) < n) r = dk_utf16_to_utf8_alloc(wv);
    free(wv);
  }
  free(wk);
  return r;
}

int dk_proc_os_is_executable(const char *path) {
  wchar_t *w = dk_utf8_to_wide(path);
  if (w == NULL) return 0;
  DWORD a = GetFileAttributesW(w);
  free(w);
  return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

char **dk_proc_environ(void) {
  wchar_t *block = GetEnvironmentStringsW();
  if (block == NULL) return NULL;
  size_t n = 0;
  for (wchar_t *p = block; *p; p += wcslen(p) + 1) n++;
  char **v = calloc(n + 1, sizeof *v);
  size_t i = 0;
  if (v != NULL) {
    for (wchar_t *p = block; *p; p += wcslen(p) + 1) {
      v[i] = dk_utf16_to_utf8_alloc(p);
      if (v[i] == NULL) {
        dk_proc_environ_free(v);
        v = NULL;
        break;
      }
      i++;
    }
  }
  FreeEnvironmentStringsW(block);
  return v;
}

/* ------------------------------------------------------------ quoting */

typedef struct wbuf {
  wchar_t *p;
  size_t len, cap;
} wbuf;

static int wb_put(wbuf *b, wchar_t c, size_t times) {
  if (b->len + times + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + times + 1) nc *= 2;
    wchar_t *np = realloc(b->p, nc * sizeof *np);
    if (np == NULL) return -1;
    b->p = np;
    b->cap = nc;
  }
  for (size_t i = 0; i < times; i++) b->p[b->len++] = c;
  b->p[b->len] = 0;
  return 0;
}

/* One argument by the MSVCRT rules: backslashes are literal unless they
** precede a quote; 2n (+1) backslashes + quote encode n backslashes and a
** delimiter (a literal quote). */
static int quote_arg(wbuf *b, const wchar_t *a) {
  if (*a != 0 && wcspbrk(a, L" \t\n\v\"") == NULL) {
    for (; *a; a++)
      if (wb_put(b, *a, 1)) return -1;
    return 0;
  }
  if (wb_put(b, L'"', 1)) return -1;
  for (;;) {
    size_t bs = 0;
    while (*a == L'\\') {
      a++;
      bs++;
    }
    if (*a == 0) {
      if (wb_put(b, L'\\', bs * 2)) return -1;
      break;
    }
    if (*a == L'"') {
      if (wb_put(b, L'\\', bs * 2 + 1) || wb_put(b, L'"', 1)) return -1;
    } else {
      if (wb_put(b, L'\\', bs) || wb_put(b, *a, 1)) return -1;
    }
    a++;
  }
  return wb_put(b, L'"', 1);
}

/* .bat / .cmd, ignoring the trailing dots and spaces Windows strips (CVE-2024-43402). */
/* {=========== where CreateProcess looks for a bare program name */

#define SEARCH_FIXED 5
typedef struct search_dirs {
  char dir[SEARCH_FIXED][MAX_PATH * 3];
} search_dirs;
static const char *const search_names[SEARCH_FIXED + 1] = {
    "the application's folder (diagkit's own)", "the current folder", "System32", "the 16-bit System folder",
    "the Windows folder", "PATH"};

/* "<app dir>;<cwd>;<System32>;<System>;<Windows>;" then path_list (or the
** process's PATH): the order CreateProcess documents for lpCommandLine's
** first token. NULL when out of memory. */
static char *create_process_path(search_dirs *sd, const char *path_list) {
  wchar_t w[MAX_PATH];
  memset(sd, 0, sizeof *sd);
  DWORD n = GetModuleFileNameW(NULL, w, MAX_PATH);
  if (n > 0 && n < MAX_PATH) {
    wchar_t *slash = wcsrchr(w, L'\\');
    if (slash) *slash = 0;
    dk_utf16_to_utf8(w, sd->dir[0], sizeof sd->dir[0]);
  }
  if (GetCurrentDirectoryW(MAX_PATH, w) - 1u < MAX_PATH - 1u) dk_utf16_to_utf8(w, sd->dir[1], sizeof sd->dir[1]);
  if (GetSystemDirectoryW(w, MAX_PATH) - 1u < MAX_PATH - 1u) dk_utf16_to_utf8(w, sd->dir[2], sizeof sd->dir[2]);
  if (GetWindowsDirectoryW(w, MAX_PATH) - 1u < MAX_PATH - 1u) {
    dk_utf16_to_utf8(w, sd->dir[4], sizeof sd->dir[4]);
    snprintf(sd->dir[3], sizeof sd->dir[3], "%s\\System", sd->dir[4]);
  }
  char *own = path_list ? NULL : dk_proc_os_getenv("PATH");
  const char *rest = path_list ? path_list : own ? own : "";
  size_t len = strlen(rest) + 1;
  for (int i = 0; i < SEARCH_FIXED; i++) len += strlen(sd->dir[i]) + 1;
  char *out = malloc(len);
  if (out) {
    out[0] = '\0';
    for (int i = 0; i < SEARCH_FIXED; i++)
      if (sd->dir[i][0]) strcat(strcat(out, sd->dir[i]), ";");
    strcat(out, rest);
  }
  free(own);
  return out;
}

/* Which rule found path: the first fixed folder that holds it, else PATH. */
static const char *search_rule(const search_dirs *sd, const char *path) {
  const char *slash = strrchr(path, '\\');
  size_t dl = slash ? (size_t)(slash - path) : 0;
  for (int i = 0; i < SEARCH_FIXED; i++)
    if (sd->dir[i][0] && strlen(sd->dir[i]) == dl && _strnicmp(sd->dir[i], path, dl) == 0) return search_names[i];
  return search_names[SEARCH_FIXED];
}

/* }=========== */

static int is_batch(const char *path) {
  size_t n = strlen(path);
  while (n > 0 && (path[n - 1] == '.' || path[n - 1] == ' ')) n--;
  return n >= 4 && (_strnicmp(path + n - 4, ".bat", 4) == 0 || _strnicmp(path + n - 4, ".cmd", 4) == 0);
}

/* ------------------------------------------------------------ the child */

typedef struct pump {
  HANDLE h;      /* our end of the pipe */
  HANDLE thread;
  dk_capbuf *buf; /* reader: where to put it */
  const char *data; /* writer: what to write */
  size_t len;
  int oom;
} pump;

struct dk_proc_child {
  HANDLE process, job;
  DWORD pid;
  double t0, t_exit;
  pump in, out, err;
  dk_capbuf cout, cerr;
  int exited, timed_out;
};

static DWORD WINAPI reader_main(LPVOID arg) {
  pump *p = arg;
  char buf[65536];
  for (;;) {
    DWORD n = 0;
    if (!ReadFile(p->h, buf, sizeof buf, &n, NULL) || n == 0) break;
    if (dk_capbuf_append(p->buf, buf, n) != 0) {
      p->oom = 1;
      break;
    }
  }
  return 0;
}

static DWORD WINAPI writer_main(LPVOID arg) {
  pump *p = arg;
  size_t off = 0;
  while (off < p->len) {
    DWORD chunk = p->len - off > 65536 ? 65536 : (DWORD)(p->len - off), n = 0;
    if (!WriteFile(p->h, p->data + off, chunk, &n, NULL)) break;
    off += n;
  }
  CloseHandle(p->h); /* EOF for the child */
  p->h = NULL;
  return 0;
}

static void close_h(HANDLE *h) {
  if (*h != NULL && *h != INVALID_HANDLE_VALUE) CloseHandle(*h);
  *h = NULL;
}

static void fill_failed(dk_proc_result *res, const char *step, DWORD e) {
  res->status = DK_PROC_FAILED;
  res->error_code = (long)e;
  res->error_name = dk_proc_errno_name((long)e);
  if (res->error_name == NULL) res->error_name = "ERROR_UNKNOWN";
  res->error_step = step;
  dk_win32_message(e, res->error_message, sizeof res->error_message);
}

static HANDLE inheritable_dup(HANDLE h) {
  HANDLE d = NULL;
  if (h == NULL || h == INVALID_HANDLE_VALUE) return NULL;
  if (!DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &d, 0, TRUE, DUPLICATE_SAME_ACCESS)) return NULL;
  return d;
}

static HANDLE open_nul(int write) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, TRUE};
  return CreateFileW(L"NUL", write ? GENERIC_WRITE : GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                     OPEN_EXISTING, 0, NULL);
}

/* A pipe whose child end is inheritable and ours is not. */
static int make_pipe(HANDLE *ours, HANDLE *theirs, int child_reads) {
  SECURITY_ATTRIBUTES sa = {sizeof sa, NULL, FALSE};
  HANDLE r, w;
  if (!CreatePipe(&r, &w, &sa, 65536)) return -1;
  *ours = child_reads ? w : r;
  *theirs = child_reads ? r : w;
  SetHandleInformation(*theirs, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
  return 0;
}

/* The whole environment as a UTF-16 block. */
static wchar_t *env_block(const char *const *env) {
  wbuf b = {NULL, 0, 0};
  for (; *env; env++) {
    wchar_t *w = dk_utf8_to_wide(*env);
    if (w == NULL) {
      free(b.p);
      return NULL;
    }
    for (wchar_t *p = w; *p; p++)
      if (wb_put(&b, *p, 1)) {
        free(w);
        free(b.p);
        return NULL;
      }
    free(w);
    if (wb_put(&b, 0, 1)) {
      free(b.p);
      return NULL;
    }
  }
  if (wb_put(&b, 0, 1) || wb_put(&b, 0, 1)) { /* an empty block still needs two NULs */
    free(b.p);
    return NULL;
  }
  return b.p;
}

static int start_thread(pump *p, LPTHREAD_START_ROUTINE fn) {
  p->thread = CreateThread(NULL, 0, fn, p, 0, NULL);
  return p->thread != NULL ? 0 : -1;
}

int dk_proc_os_start(const dk_proc_spec *spec, dk_proc_child **outp, dk_proc_result *res, char *errbuf,
                     size_t errlen) {
  *outp = NULL;
  int rc = -1;
  dk_proc_cands cands = {NULL, 0};
  wbuf cmd = {NULL, 0, 0};
  wchar_t *wapp = NULL, *wcwd = NULL, *wenv = NULL;
  HANDLE child_in = NULL, child_out = NULL, child_err = NULL;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
  dk_proc_child *c = calloc(1, sizeof *c);
  if (c == NULL) goto oom;
  dk_capbuf_init(&c->cout, spec->max_output);
  dk_capbuf_init(&c->cerr, spec->max_output);
  c->out.buf = &c->cout;
  c->err.buf = &c->cerr;

  /* The program. A bare name is searched where CreateProcess searches a
     command line's first token (the application's folder, the current
     folder, System32, System, Windows, then PATH), with PATHEXT's extensions;
     the rule that found it is reported. */
  const char *path_list = spec->env ? dk_proc_env_lookup(spec->env, "PATH") : NULL;
  search_dirs sd;
  char *search = NULL;
  if (!dk_proc_name_has_dir(spec->argv[0]) && (search = create_process_path(&sd, path_list)) != NULL)
    path_list = search;
  int cand_rc = dk_proc_candidates(spec->argv[0], path_list, &cands);
  free(search);
  if (cand_rc != 0) goto oom;
  const char *app = NULL;
  for (size_t i = 0; i < cands.n && app == NULL; i++)
    if (dk_proc_os_is_executable(cands.v[i])) {
      app = cands.v[i];
      if (search) res->found_by = search_rule(&sd, app);
    }
  if (app == NULL && dk_proc_name_has_dir(spec->argv[0]) && cands.n > 0) app = cands.v[0];
  if (app == NULL) {
    fill_failed(res, "exec", ERROR_FILE_NOT_FOUND);
    rc = 1;
    goto out;
  }
  res->path = strdup(app);
  if (is_batch(app) && !spec->allow_batch_args) {
    for (size_t i = 1; spec->argv[i]; i++)
      if (strpbrk(spec->argv[i], "%!\"^&|<>()\r\n") != NULL) {
        fill_failed(res, "quote", ERROR_BAD_ARGUMENTS);
        snprintf(res->error_message, sizeof res->error_message,
                 "refusing to pass argument %u to a batch file: it holds cmd.exe metacharacters "
                 "(BatBadBut); set allow_batch_args to pass it anyway",
                 (unsigned)i);
        rc = 1;
        goto out;
      }
  }

  /* The command line. argv[0] has its own rules: no escapes, so no quote. */
  if (strchr(spec->argv[0], '"') != NULL) {
    fill_failed(res, "quote", ERROR_BAD_ARGUMENTS);
    snprintf(res->error_message, sizeof res->error_message, "argv[0] cannot contain a double quote on Windows");
    rc = 1;
    goto out;
  }
  for (size_t i = 0; spec->argv[i]; i++) {
    wchar_t *w = dk_utf8_to_wide(spec->argv[i]);
    if (w == NULL) {
      fill_failed(res, "quote", ERROR_NO_UNICODE_TRANSLATION);
      rc = 1;
      goto out;
    }
    int bad = 0;
    if (i > 0) bad = wb_put(&cmd, L' ', 1);
    if (i == 0 && (*w == 0 || wcspbrk(w, L" \t") != NULL)) {
      bad = bad || wb_put(&cmd, L'"', 1);
      for (wchar_t *p = w; *p && !bad; p++) bad = wb_put(&cmd, *p, 1);
      bad = bad || wb_put(&cmd, L'"', 1);
    } else if (i == 0) {
      for (wchar_t *p = w; *p && !bad; p++) bad = wb_put(&cmd, *p, 1);
    } else {
      bad = bad || quote_arg(&cmd, w);
    }
    free(w);
    if (bad) goto oom;
  }
  if (cmd.len >= 32767) {
    fill_failed(res, "quote", ERROR_FILENAME_EXCED_RANGE);
    snprintf(res->error_message, sizeof res->error_message, "the command line is longer than 32767 characters");
    rc = 1;
    goto out;
  }
  if ((wapp = dk_utf8_to_wide(app)) == NULL) goto oom;
  if (spec->cwd) {
    if ((wcwd = dk_utf8_to_wide(spec->cwd)) == NULL) goto oom;
    DWORD a = GetFileAttributesW(wcwd);
    if (a == INVALID_FILE_ATTRIBUTES || !(a & FILE_ATTRIBUTE_DIRECTORY)) {
      fill_failed(res, "chdir", a == INVALID_FILE_ATTRIBUTES ? GetLastError() : ERROR_DIRECTORY);
      rc = 1;
      goto out;
    }
  }
  if (spec->env && (wenv = env_block(spec->env)) == NULL) goto oom;

  /* stdio */
  c->in.h = c->out.h = c->err.h = NULL;
  if (spec->stdin_mode == DK_PROC_STDIN_BYTES) {
    if (make_pipe(&c->in.h, &child_in, 1)) goto pipe_fail;
    c->in.data = spec->stdin_data;
    c->in.len = spec->stdin_len;
  } else if (spec->stdin_mode == DK_PROC_STDIN_INHERIT) {
    child_in = inheritable_dup(GetStdHandle(STD_INPUT_HANDLE));
  }
  if (child_in == NULL) child_in = open_nul(0);
  if (spec->stdout_mode == DK_PROC_OUT_CAPTURE) {
    if (make_pipe(&c->out.h, &child_out, 0)) goto pipe_fail;
  } else if (spec->stdout_mode == DK_PROC_OUT_INHERIT) {
    child_out = inheritable_dup(GetStdHandle(STD_OUTPUT_HANDLE));
  }
  if (child_out == NULL) child_out = open_nul(1);
  if (spec->stderr_mode == DK_PROC_OUT_CAPTURE) {
    if (make_pipe(&c->err.h, &child_err, 0)) goto pipe_fail;
  } else if (spec->stderr_mode == DK_PROC_OUT_INHERIT) {
    child_err = inheritable_dup(GetStdHandle(STD_ERROR_HANDLE));
  } else if (spec->stderr_mode == DK_PROC_OUT_MERGE) {
    child_err = inheritable_dup(child_out);
  }
  if (child_err == NULL) child_err = open_nul(1);
  if (child_in == INVALID_HANDLE_VALUE || child_out == INVALID_HANDLE_VALUE || child_err == INVALID_HANDLE_VALUE)
    goto pipe_fail;

  STARTUPINFOEXW si;
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si.StartupInfo;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = child_in;
  si.StartupInfo.hStdOutput = child_out;
  si.StartupInfo.hStdError = child_err;
  DWORD flags = CREATE_SUSPENDED | CREATE_UNICODE_ENVIRONMENT;
  /* Only these three handles are inherited, whatever else is inheritable. */
  HANDLE list[3] = {child_in, child_out, child_err};
  SIZE_T asz = 0;
  InitializeProcThreadAttributeList(NULL, 1, 0, &asz);
  attrs = asz ? malloc(asz) : NULL;
  if (attrs && InitializeProcThreadAttributeList(attrs, 1, 0, &asz) &&
      UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, sizeof list, NULL, NULL)) {
    si.StartupInfo.cb = sizeof si;
    si.lpAttributeList = attrs;
    flags |= EXTENDED_STARTUPINFO_PRESENT;
  } else {
    free(attrs);
    attrs = NULL;
  }

  c->job = CreateJobObjectW(NULL, NULL);
  if (c->job != NULL) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
    memset(&li, 0, sizeof li);
    li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
    SetInformationJobObject(c->job, JobObjectExtendedLimitInformation, &li, sizeof li);
  }

  PROCESS_INFORMATION pi;
  memset(&pi, 0, sizeof pi);
  UINT old_mode = SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
  c->t0 = dk_proc_now_ms();
  BOOL ok = CreateProcessW(wapp, cmd.p, NULL, NULL, TRUE, flags, wenv, wcwd, &si.StartupInfo, &pi);
  DWORD cp_err = GetLastError();
  SetErrorMode(old_mode);
  if (!ok) {
    fill_failed(res, "exec", cp_err);
    res->wall_ms = dk_proc_now_ms() - c->t0;
    rc = 1;
    goto out;
  }
  if (c->job != NULL && !AssignProcessToJobObject(c->job, pi.hProcess)) close_h(&c->job); /* nested jobs before Windows 8 */
  ResumeThread(pi.hThread);
  CloseHandle(pi.hThread);
  c->process = pi.hProcess;
  c->pid = pi.dwProcessId;
  res->pid = (long)pi.dwProcessId;
  close_h(&child_in);
  close_h(&child_out);
  close_h(&child_err);
  if (c->in.h && start_thread(&c->in, writer_main)) goto thread_fail;
  if (c->out.h && start_thread(&c->out, reader_main)) goto thread_fail;
  if (c->err.h && start_thread(&c->err, reader_main)) goto thread_fail;
  *outp = c;
  c = NULL;
  rc = 0;
  goto out;

thread_fail:
  errno = EAGAIN;
  dk_proc_set_err(errbuf, errlen, "CreateThread failed (error %lu)", (unsigned long)GetLastError());
  goto out;
pipe_fail:
  errno = EMFILE;
  dk_proc_set_err(errbuf, errlen, "cannot create the stdio handles (error %lu)", (unsigned long)GetLastError());
  goto out;
oom:
  errno = ENOMEM;
  dk_proc_set_err(errbuf, errlen, "out of memory");
out:
  if (attrs) {
    DeleteProcThreadAttributeList(attrs);
    free(attrs);
  }
  close_h(&child_in);
  close_h(&child_out);
  close_h(&child_err);
  free(cmd.p);
  free(wapp);
  free(wcwd);
  free(wenv);
  dk_proc_cands_free(&cands);
  if (c) {
    if (c->process) { /* started, but a thread could not be: take it down */
      if (c->job) TerminateJobObject(c->job, DK_PROC_KILLED_EXIT_CODE);
      TerminateProcess(c->process, DK_PROC_KILLED_EXIT_CODE);
    }
    dk_proc_os_close(c);
  }
  return rc;
}

/* Waits for the pump threads; those still blocked after ms (a leftover child
** holds the pipe) have their I/O cancelled, then the job is killed. */
static void join_pumps(dk_proc_child *c, DWORD ms) {
  pump *ps[3] = {&c->in, &c->out, &c->err};
  for (int round = 0; round < 3; round++) {
    HANDLE hs[3];
    DWORD n = 0;
    for (int i = 0; i < 3; i++)
      if (ps[i]->thread) hs[n++] = ps[i]->thread;
    if (n == 0) return;
    if (WaitForMultipleObjects(n, hs, TRUE, round == 0 ? ms : 1000) == WAIT_OBJECT_0) break;
    for (int i = 0; i < 3; i++)
      if (ps[i]->thread) CancelSynchronousIo(ps[i]->thread);
    if (round == 1 && c->job) TerminateJobObject(c->job, DK_PROC_KILLED_EXIT_CODE);
  }
  for (int i = 0; i < 3; i++) {
    if (ps[i]->thread) {
      WaitForSingleObject(ps[i]->thread, INFINITE);
      close_h(&ps[i]->thread);
    }
  }
}

static double ft_ms(FILETIME f) {
  ULARGE_INTEGER u;
  u.LowPart = f.dwLowDateTime;
  u.HighPart = f.dwHighDateTime;
  return (double)u.QuadPart / 10000.0;
}

int dk_proc_os_communicate(dk_proc_child *c, const dk_proc_spec *spec, dk_proc_result *res, char *errbuf,
                           size_t errlen) {
  DWORD wait = INFINITE;
  if (spec->timeout_ms > 0) {
    double left = (double)spec->timeout_ms - (dk_proc_now_ms() - c->t0);
    wait = left <= 0 ? 0 : (DWORD)(left + 0.5);
  }
  int cancelled = 0;
  for (;;) {
    /* With a cancel flag to watch, wait in slices of 100 ms. */
    DWORD slice = spec->cancel && (wait == INFINITE || wait > 100) ? 100 : wait;
    DWORD t = GetTickCount();
    if (WaitForSingleObject(c->process, slice) != WAIT_TIMEOUT) break;
    if (spec->cancel && atomic_load(spec->cancel)) cancelled = 1;
    if (wait != INFINITE) {
      DWORD spent = GetTickCount() - t;
      wait = spent >= wait ? 0 : wait - spent;
    }
    if (cancelled || wait == 0) {
      c->timed_out = 1;
      dk_proc_os_kill(c, 1);
      WaitForSingleObject(c->process, 10000);
      break;
    }
  }
  c->exited = 1;
  c->t_exit = dk_proc_now_ms();
  double drain = spec->drain_ms >= 0 ? (double)spec->drain_ms : DK_PROC_DEFAULT_DRAIN_MS;
  join_pumps(c, c->timed_out ? 200 : (DWORD)drain);

  DWORD code = 0;
  GetExitCodeProcess(c->process, &code);
  res->status = c->timed_out ? (cancelled ? DK_PROC_CANCELLED : DK_PROC_TIMEOUT) : DK_PROC_EXITED;
  res->exited = 1;
  res->exit_code = code;
  res->wall_ms = c->t_exit - c->t0;
  FILETIME cr, ex, kt, ut;
  if (GetProcessTimes(c->process, &cr, &ex, &kt, &ut)) {
    res->user_ms = ft_ms(ut);
    res->sys_ms = ft_ms(kt);
  }
  PROCESS_MEMORY_COUNTERS pmc;
  memset(&pmc, 0, sizeof pmc);
  pmc.cb = sizeof pmc;
  if (GetProcessMemoryInfo(c->process, &pmc, sizeof pmc)) res->max_rss_kb = (long)(pmc.PeakWorkingSetSize / 1024);
  if (c->out.oom || c->err.oom || dk_capbuf_finish(&c->cout, &res->out) != 0 ||
      dk_capbuf_finish(&c->cerr, &res->err) != 0) {
    errno = ENOMEM;
    dk_proc_set_err(errbuf, errlen, "out of memory capturing output");
    return -1;
  }
  return 0;
}

void dk_proc_os_kill(dk_proc_child *c, int force) {
  (void)force; /* Windows has no polite signal for arbitrary programs */
  if (c->job != NULL)
    TerminateJobObject(c->job, DK_PROC_KILLED_EXIT_CODE);
  else
    TerminateProcess(c->process, DK_PROC_KILLED_EXIT_CODE);
}

void dk_proc_os_signal(dk_proc_child *c, int sig) {
  (void)sig; /* no signals: every one ends the job, as TerminateJobObject does */
  if (!c->exited) dk_proc_os_kill(c, 1);
}

long dk_proc_os_pid(const dk_proc_child *c) { return (long)c->pid; }

void dk_proc_os_close(dk_proc_child *c) {
  if (c == NULL) return;
  if (c->process != NULL && !c->exited) {
    dk_proc_os_kill(c, 1);
    WaitForSingleObject(c->process, 10000);
    c->exited = 1;
  }
  if (c->process != NULL) join_pumps(c, 0);
  close_h(&c->in.h);
  close_h(&c->out.h);
  close_h(&c->err.h);
  if (c->job != NULL) {
    if (!c->timed_out) {
      /* It ended on its own: what it started may live on (a daemon), as on POSIX. */
      JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
      memset(&li, 0, sizeof li);
      SetInformationJobObject(c->job, JobObjectExtendedLimitInformation, &li, sizeof li);
    }
    close_h(&c->job);
  }
  close_h(&c->process);
  dk_capbuf_free(&c->cout);
  dk_capbuf_free(&c->cerr);
  free(c);
}
