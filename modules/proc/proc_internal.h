/*
** diagkit.proc internals shared by proc_common.c and the OS halves.
**
** The life of a child is split in steps so that a spawn handle can reuse them:
**   dk_proc_os_start        create pipes, start the program (or report why not)
**   dk_proc_os_communicate  feed stdin, drain stdout/stderr, wait, kill on timeout
**   dk_proc_os_kill         terminate the process tree (force: SIGKILL / job kill)
**   dk_proc_os_close        release everything (kills nothing that exited cleanly)
** dk_proc_run (proc_common.c) strings them together.
*/
#ifndef DK_PROC_INTERNAL_H
#define DK_PROC_INTERNAL_H

#include "dk_err.h"
#include "proc.h"

#include <errno.h>

#include <stddef.h>
#include <stdint.h>

/* Output capture: up to limit bytes; beyond it the first limit/2 bytes stay
** and the rest of the buffer is a ring holding the latest bytes. */
typedef struct dk_capbuf {
  char *data;
  size_t len, alloc, limit, head, ring_pos;
  uint64_t total;
  int truncated;
} dk_capbuf;

void dk_capbuf_init(dk_capbuf *b, size_t limit);
int dk_capbuf_append(dk_capbuf *b, const char *p, size_t n); /* -1: out of memory */
/* For read() straight into the buffer (no second copy of big outputs):
** where the next bytes go and how many fit contiguously (at most want).
** Returns 0 with *at and *room set; 1 when the caller should read into its
** own buffer and dk_capbuf_append (nothing allocated yet, or nothing kept);
** -1 when out of memory. Then
** dk_capbuf_commit(b, n) with the n bytes actually read there. */
int dk_capbuf_space(dk_capbuf *b, size_t want, char **at, size_t *room);
void dk_capbuf_commit(dk_capbuf *b, size_t n);
/* Puts the ring in order and hands the buffer to out (NUL-terminated). -1: OOM. */
int dk_capbuf_finish(dk_capbuf *b, dk_proc_output *out);
void dk_capbuf_free(dk_capbuf *b);

/* The candidates run() tries for argv[0], in order (malloc'd, NULL-terminated). */
typedef struct dk_proc_cands {
  char **v;
  size_t n;
} dk_proc_cands;

/* 1 when name is a path rather than a bare command name. */
int dk_proc_name_has_dir(const char *name);
/* Fills c with the candidates for name along path_list (NULL: the search path
** of the toolkit; "" entries mean "."). Returns -1 on out of memory. */
int dk_proc_candidates(const char *name, const char *path_list, dk_proc_cands *c);
void dk_proc_cands_free(dk_proc_cands *c);
/* OS hook: 1 when path is an executable regular file. */
int dk_proc_os_is_executable(const char *path);
/* OS hook: the toolkit's environment variable as malloc'd UTF-8, or NULL. */
char *dk_proc_os_getenv(const char *key);
/* The value of key in a "KEY=VALUE" array (NULL if absent). */
const char *dk_proc_env_lookup(const char *const *env, const char *key);

/* dk_fail that keeps errno: callers report errno as the toolkit error code. */
#define dk_proc_set_err(err, errlen, ...)                                                                        \
  do {                                                                                                           \
    int dk_saved_errno_ = errno;                                                                                 \
    dk_fail((err), (errlen), __VA_ARGS__);                                                                       \
    errno = dk_saved_errno_;                                                                                     \
  } while (0)

double dk_proc_now_ms(void);


/* 0: started (*out set); 1: could not start, res filled as DK_PROC_FAILED;
** -1: toolkit failure (err). */
int dk_proc_os_start(const dk_proc_spec *spec, dk_proc_child **out, dk_proc_result *res,
                     char *err, size_t errlen);
/* Until the program has exited and its output is drained (or the timeout);
** fills status, exit_code/signal, usage, out/err captures. 0 or -1 (err). */
int dk_proc_os_communicate(dk_proc_child *c, const dk_proc_spec *spec, dk_proc_result *res,
                           char *err, size_t errlen);
void dk_proc_os_kill(dk_proc_child *c, int force);
void dk_proc_os_signal(dk_proc_child *c, int sig);
long dk_proc_os_pid(const dk_proc_child *c);
void dk_proc_os_close(dk_proc_child *c);

#endif
