/* diagkit.proc, portable parts: capture buffers, PATH search, names, run(). */
#include "proc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#define DK_PATH_SEP ';'
#else
#define DK_PATH_SEP ':'
#endif

/* ---------------------------------------------------------------- capture */

void dk_capbuf_init(dk_capbuf *b, size_t limit) {
  memset(b, 0, sizeof *b);
  b->limit = limit;
  b->head = limit / 2;
}

/* Grows the storage to at least need bytes (never past the limit), doubling
** from 4 KiB so that a big stream soon reads in full chunks. */
static int grow(dk_capbuf *b, size_t need) {
  size_t na = b->alloc ? b->alloc : 4096;
  while (na < need) na = na > b->limit / 2 ? b->limit : na * 2;
  if (na > b->limit) na = b->limit;
  char *nd = realloc(b->data, na);
  if (nd == NULL) return -1;
  b->data = nd;
  b->alloc = na;
  return 0;
}

int dk_capbuf_append(dk_capbuf *b, const char *p, size_t n) {
  b->total += n;
  if (b->len < b->limit) {
    size_t room = b->limit - b->len;
    size_t k = n < room ? n : room;
    if (b->len + k > b->alloc && grow(b, b->len + k) != 0) return -1;
    memcpy(b->data + b->len, p, k);
    b->len += k;
    p += k;
    n -= k;
  }
  if (n == 0) return 0;
  /* Full: the region [head, limit) is a ring of the latest bytes. */
  b->truncated = 1;
  size_t ring = b->limit - b->head;
  if (ring == 0) return 0;
  if (n > ring) {
    p += n - ring;
    n = ring;
  }
  while (n > 0) {
    size_t k = ring - b->ring_pos;
    if (k > n) k = n;
    memcpy(b->data + b->head + b->ring_pos, p, k);
    b->ring_pos = (b->ring_pos + k) % ring;
    p += k;
    n -= k;
  }
  return 0;
}

int dk_capbuf_space(dk_capbuf *b, size_t want, char **at, size_t *room) {
  /* The first read goes through the caller's buffer: a run that prints
  ** nothing (only EOF to read) allocates nothing. */
  if (b->alloc == 0) return 1;
  if (b->len < b->limit) {
    if (b->alloc == b->len && grow(b, b->len + 1) != 0) return -1;
    *at = b->data + b->len;
    *room = b->alloc - b->len < want ? b->alloc - b->len : want;
    return 0;
  }
  size_t ring = b->limit - b->head;
  if (ring == 0) return 1;
  *at = b->data + b->head + b->ring_pos;
  *room = ring - b->ring_pos < want ? ring - b->ring_pos : want;
  return 0;
}

void dk_capbuf_commit(dk_capbuf *b, size_t n) {
  b->total += n;
  if (b->len < b->limit) {
    b->len += n;
  } else {
    b->truncated = 1;
    b->ring_pos = (b->ring_pos + n) % (b->limit - b->head);
  }
}

static void reverse(char *p, size_t n) {
  for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
    char t = p[i];
    p[i] = p[j - 1];
    p[j - 1] = t;
  }
}

int dk_capbuf_finish(dk_capbuf *b, dk_proc_output *out) {
  if (b->truncated && b->ring_pos != 0) {
    /* Rotate the ring left by ring_pos: the oldest byte sits at ring_pos. */
    char *r = b->data + b->head;
    size_t ring = b->limit - b->head;
    reverse(r, b->ring_pos);
    reverse(r + b->ring_pos, ring - b->ring_pos);
    reverse(r, ring);
    b->ring_pos = 0;
  }
  char *d = realloc(b->data, b->len + 1);
  if (d == NULL) return -1;
  d[b->len] = '\0';
  out->data = d;
  out->len = b->len;
  out->total = b->total;
  out->truncated = b->truncated;
  b->data = NULL;
  b->len = b->alloc = 0;
  return 0;
}

void dk_capbuf_free(dk_capbuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->alloc = 0;
}

/* ---------------------------------------------------------------- misc */

const char *dk_proc_status_name(dk_proc_status st) {
  switch (st) {
  case DK_PROC_EXITED: return "exited";
  case DK_PROC_SIGNALED: return "signaled";
  case DK_PROC_TIMEOUT: return "timeout";
  case DK_PROC_FAILED: return "failed";
  case DK_PROC_CANCELLED: return "cancelled";
  }
  return "?";
}

void dk_proc_spec_init(dk_proc_spec *spec) {
  memset(spec, 0, sizeof *spec);
  spec->stdin_mode = DK_PROC_STDIN_CLOSED;
  spec->stdout_mode = DK_PROC_OUT_CAPTURE;
  spec->stderr_mode = DK_PROC_OUT_CAPTURE;
  spec->max_output = DK_PROC_DEFAULT_MAX_OUTPUT;
  spec->kill_grace_ms = -1;
  spec->drain_ms = -1;
}

void dk_proc_result_free(dk_proc_result *res) {
  if (res == NULL) return;
  free(res->out.data);
  free(res->err.data);
  free(res->path);
  res->out.data = res->err.data = res->path = NULL;
  res->out.len = res->err.len = 0;
}

void dk_proc_environ_free(char **env) {
  if (env == NULL) return;
  for (char **p = env; *p; p++) free(*p);
  free(env);
}

int dk_proc_env_keys_fold_case(void) {
#ifdef _WIN32
  return 1;
#else
  return 0;
#endif
}

const char *dk_proc_env_lookup(const char *const *env, const char *key) {
  size_t kl = strlen(key);
  for (; env && *env; env++) {
    const char *e = *env;
#ifdef _WIN32
    if (_strnicmp(e, key, kl) == 0 && e[kl] == '=') return e + kl + 1;
#else
    if (strncmp(e, key, kl) == 0 && e[kl] == '=') return e + kl + 1;
#endif
  }
  return NULL;
}

/* ---------------------------------------------------------------- PATH search */

int dk_proc_name_has_dir(const char *name) {
#ifdef _WIN32
  if (name[0] != '\0' && name[1] == ':') return 1;
  return strchr(name, '/') != NULL || strchr(name, '\\') != NULL;
#else
  return strchr(name, '/') != NULL;
#endif
}

static int cands_push(dk_proc_cands *c, const char *a, size_t al, const char *b, size_t bl,
                      const char *ext, size_t el) {
  char **nv = realloc(c->v, (c->n + 2) * sizeof *nv);
  if (nv == NULL) return -1;
  c->v = nv;
  char *s = malloc(al + bl + el + 2);
  if (s == NULL) return -1;
  size_t o = 0;
  memcpy(s, a, al);
  o = al;
  if (al > 0 && bl > 0) {
#ifdef _WIN32
    if (s[o - 1] != '\\' && s[o - 1] != '/') s[o++] = '\\';
#else
    if (s[o - 1] != '/') s[o++] = '/';
#endif
  }
  memcpy(s + o, b, bl);
  o += bl;
  memcpy(s + o, ext, el);
  o += el;
  s[o] = '\0';
  c->v[c->n++] = s;
  c->v[c->n] = NULL;
  return 0;
}

void dk_proc_cands_free(dk_proc_cands *c) {
  for (size_t i = 0; i < c->n; i++) free(c->v[i]);
  free(c->v);
  c->v = NULL;
  c->n = 0;
}

#ifdef _WIN32
/* Windows: the name as given when it has an extension, then name + each PATHEXT. */
static int push_with_exts(dk_proc_cands *c, const char *dir, size_t dl, const char *name,
                          const char *pathext) {
  size_t nl = strlen(name);
  const char *base = strrchr(name, '\\');
  const char *base2 = strrchr(name, '/');
  if (base2 > base) base = base2;
  base = base ? base + 1 : name;
  const char *dot = strrchr(base, '.');
  if (dot != NULL && dot != base && cands_push(c, dir, dl, name, nl, "", 0) != 0) return -1;
  const char *p = pathext;
  while (*p) {
    const char *e = strchr(p, ';');
    size_t el = e ? (size_t)(e - p) : strlen(p);
    if (el > 0 && cands_push(c, dir, dl, name, nl, p, el) != 0) return -1;
    p += el;
    if (*p == ';') p++;
  }
  return 0;
}
#endif

int dk_proc_candidates(const char *name, const char *path_list, dk_proc_cands *c) {
  c->v = NULL;
  c->n = 0;
  int rc = 0;
  char *own = NULL;
#ifdef _WIN32
  char *pathext = dk_proc_os_getenv("PATHEXT");
  const char *pe = pathext && *pathext ? pathext : ".COM;.EXE;.BAT;.CMD";
  if (dk_proc_name_has_dir(name)) {
    rc = push_with_exts(c, "", 0, name, pe);
    free(pathext);
    goto done;
  }
#else
  if (dk_proc_name_has_dir(name)) {
    rc = cands_push(c, name, strlen(name), "", 0, "", 0);
    goto done;
  }
#endif
  if (path_list == NULL) {
    own = dk_proc_os_getenv("PATH");
    path_list = own;
  }
  if (path_list == NULL) {
#ifdef _WIN32
    path_list = "";
#else
    path_list = "/bin:/usr/bin"; /* what execvp uses without PATH (confstr _CS_PATH) */
#endif
  }
  if (name[0] == '\0') goto done_exts;
  for (const char *p = path_list;;) {
    const char *e = strchr(p, DK_PATH_SEP);
    size_t dl = e ? (size_t)(e - p) : strlen(p);
#ifdef _WIN32
    if (dl > 0 && push_with_exts(c, p, dl, name, pe) != 0) { rc = -1; break; }
#else
    /* An empty entry is the current directory, as execvp and the shell have it. */
    if (cands_push(c, dl ? p : ".", dl ? dl : 1, name, strlen(name), "", 0) != 0) { rc = -1; break; }
#endif
    if (e == NULL) break;
    p = e + 1;
  }
done_exts:
#ifdef _WIN32
  free(pathext);
#endif
  free(own);
done:
  if (rc == 0 && c->v == NULL) {
    c->v = calloc(1, sizeof *c->v);
    if (c->v == NULL) rc = -1;
  }
  if (rc != 0) dk_proc_cands_free(c);
  return rc;
}

char *dk_proc_which(const char *name, const char *path_list,
                    void (*cb)(const char *candidate, void *ud), void *ud) {
  dk_proc_cands c;
  if (dk_proc_candidates(name, path_list, &c) != 0) return NULL;
  char *found = NULL;
  for (size_t i = 0; i < c.n; i++) {
    if (cb) cb(c.v[i], ud);
    if (dk_proc_os_is_executable(c.v[i])) {
      found = c.v[i];
      c.v[i] = NULL;
      break;
    }
  }
  for (size_t i = 0; i < c.n; i++) free(c.v[i]);
  free(c.v);
  return found;
}

/* ---------------------------------------------------------------- names */

/* Linux signal numbers (x86, arm, riscv: the generic ABI). */
const char *dk_proc_signal_name(int sig) {
  static const char *const names[] = {
      NULL,       "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",    "SIGTRAP",   "SIGABRT",
      "SIGBUS",   "SIGFPE",  "SIGKILL",   "SIGUSR1", "SIGSEGV",   "SIGUSR2",   "SIGPIPE",
      "SIGALRM",  "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP",   "SIGTSTP",
      "SIGTTIN",  "SIGTTOU", "SIGURG",    "SIGXCPU", "SIGXFSZ",   "SIGVTALRM", "SIGPROF",
      "SIGWINCH", "SIGIO",   "SIGPWR",    "SIGSYS"};
  if (sig > 0 && sig < (int)(sizeof names / sizeof names[0])) return names[sig];
  return NULL;
}

#define N(x) {x, #x}
typedef struct {
  long code;
  const char *name;
} dk_code_name;

#ifdef _WIN32
static const dk_code_name code_names[] = {
    N(ERROR_INVALID_FUNCTION), N(ERROR_FILE_NOT_FOUND), N(ERROR_PATH_NOT_FOUND),
    N(ERROR_TOO_MANY_OPEN_FILES), N(ERROR_ACCESS_DENIED), N(ERROR_INVALID_HANDLE),
    N(ERROR_NOT_ENOUGH_MEMORY), N(ERROR_BAD_ENVIRONMENT), N(ERROR_BAD_FORMAT),
    N(ERROR_INVALID_ACCESS), N(ERROR_OUTOFMEMORY), N(ERROR_INVALID_DRIVE), N(ERROR_NOT_READY),
    N(ERROR_SHARING_VIOLATION), N(ERROR_LOCK_VIOLATION), N(ERROR_NOT_SUPPORTED),
    N(ERROR_BAD_NETPATH), N(ERROR_NETWORK_ACCESS_DENIED), N(ERROR_BAD_NET_NAME),
    N(ERROR_INVALID_PARAMETER), N(ERROR_BROKEN_PIPE), N(ERROR_CALL_NOT_IMPLEMENTED),
    N(ERROR_INSUFFICIENT_BUFFER), N(ERROR_INVALID_NAME), N(ERROR_MOD_NOT_FOUND),
    N(ERROR_PROC_NOT_FOUND), N(ERROR_DIRECTORY), N(ERROR_BAD_PATHNAME), N(ERROR_FILENAME_EXCED_RANGE),
    N(ERROR_BAD_EXE_FORMAT), N(ERROR_INVALID_EXE_SIGNATURE), N(ERROR_EXE_MARKED_INVALID),
    N(ERROR_EXE_MACHINE_TYPE_MISMATCH), N(ERROR_CHILD_NOT_COMPLETE), N(ERROR_DLL_INIT_FAILED),
    N(ERROR_ENVVAR_NOT_FOUND), N(ERROR_NO_SYSTEM_RESOURCES), N(ERROR_COMMITMENT_LIMIT),
    {740, "ERROR_ELEVATION_REQUIRED"}, {225, "ERROR_VIRUS_INFECTED"}, {226, "ERROR_VIRUS_DELETED"},
    {577, "ERROR_INVALID_IMAGE_HASH"}, N(ERROR_ACCESS_DISABLED_BY_POLICY), N(ERROR_NOACCESS),
    N(ERROR_CANT_ACCESS_FILE), N(ERROR_APP_WRONG_OS), N(ERROR_SINGLE_INSTANCE_APP),
    N(ERROR_INVALID_ORDINAL), N(ERROR_NOT_ENOUGH_QUOTA), N(ERROR_NO_MORE_FILES),
    N(ERROR_PIPE_BUSY), N(ERROR_NO_DATA), N(ERROR_PIPE_NOT_CONNECTED), N(ERROR_OPERATION_ABORTED),
    N(ERROR_IO_PENDING), N(ERROR_TIMEOUT), N(ERROR_WAIT_NO_CHILDREN), N(ERROR_ALREADY_EXISTS),
    N(ERROR_INVALID_DATA), N(ERROR_ARITHMETIC_OVERFLOW), N(ERROR_FILE_EXISTS),
    N(ERROR_BAD_ARGUMENTS), N(ERROR_NO_UNICODE_TRANSLATION),
};
#else
static const dk_code_name code_names[] = {
    N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG), N(ENOEXEC),
    N(EBADF), N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES), N(EFAULT), N(EBUSY), N(EEXIST),
    N(EXDEV), N(ENODEV), N(ENOTDIR), N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY),
    N(ETXTBSY), N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE), N(EDOM),
    N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOSYS), N(ENOTEMPTY), N(ELOOP),
#ifdef ENOTSUP
    N(ENOTSUP),
#endif
#ifdef ELIBBAD
    N(ELIBBAD),
#endif
#ifdef ELIBACC
    N(ELIBACC),
#endif
#ifdef ELIBEXEC
    N(ELIBEXEC),
#endif
#ifdef ESTALE
    N(ESTALE),
#endif
#ifdef EOVERFLOW
    N(EOVERFLOW),
#endif
#ifdef EUCLEAN
    N(EUCLEAN),
#endif
};
#endif
#undef N

const char *dk_proc_errno_name(long err) {
  for (size_t i = 0; i < sizeof code_names / sizeof code_names[0]; i++)
    if (code_names[i].code == err) return code_names[i].name;
  return NULL;
}

/* ---------------------------------------------------------------- run */

static int check_spec(const dk_proc_spec *spec, char *err, size_t errlen) {
  if (spec == NULL || spec->argv == NULL || spec->argv[0] == NULL) {
    errno = EINVAL;
    dk_proc_set_err(err, errlen, "argv is empty");
    return -1;
  }
  if (spec->stdout_mode == DK_PROC_OUT_MERGE) {
    errno = EINVAL;
    dk_proc_set_err(err, errlen, "stdout cannot be merged into itself");
    return -1;
  }
  if (spec->stdin_mode == DK_PROC_STDIN_BYTES && spec->stdin_data == NULL && spec->stdin_len > 0) {
    errno = EINVAL;
    dk_proc_set_err(err, errlen, "stdin_data is NULL");
    return -1;
  }
  return 0;
}

int dk_proc_spawn(const dk_proc_spec *spec, dk_proc_child **child, dk_proc_result *res, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  *child = NULL;
  if (check_spec(spec, err, errlen) != 0) return -1;
  int rc = dk_proc_os_start(spec, child, res, err, errlen);
  if (rc < 0) dk_proc_result_free(res);
  return rc;
}

int dk_proc_wait(dk_proc_child *child, const dk_proc_spec *spec, dk_proc_result *res, char *err, size_t errlen) {
  if (dk_proc_os_communicate(child, spec, res, err, errlen) != 0) {
    dk_proc_result_free(res);
    return -1;
  }
  return 0;
}

void dk_proc_signal(dk_proc_child *child, int sig) {
  if (child) dk_proc_os_signal(child, sig);
}

long dk_proc_pid(const dk_proc_child *child) { return child ? dk_proc_os_pid(child) : -1; }

void dk_proc_close(dk_proc_child *child) { dk_proc_os_close(child); }

int dk_proc_run(const dk_proc_spec *spec, dk_proc_result *res, char *err, size_t errlen) {
  dk_proc_child *c = NULL;
  int rc = dk_proc_spawn(spec, &c, res, err, errlen);
  if (rc != 0) return rc > 0 ? 0 : -1; /* could not start: res says why */
  rc = dk_proc_os_communicate(c, spec, res, err, errlen);
  dk_proc_os_close(c);
  if (rc != 0) {
    dk_proc_result_free(res);
    return -1;
  }
  return 0;
}
