/* evtx_os.h for POSIX: mmap and pthreads. */
#define _POSIX_C_SOURCE 200809L
#include "evtx_os.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errno_code(int e) {
  switch (e) {
  case ENOENT: case ENOTDIR: return "ENOENT";
  case EACCES: case EPERM: return "EACCES";
  case EISDIR: return "EISDIR";
  default: return "EIO";
  }
}

int dk_evtx_map_file(const char *path, dk_evtx_map *m, char *err, size_t errlen, const char **code) {
  memset(m, 0, sizeof *m);
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    *code = errno_code(e);
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int e = S_ISDIR(st.st_mode) ? EISDIR : errno ? errno : EINVAL;
    snprintf(err, errlen, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    *code = errno_code(e);
    close(fd);
    return -1;
  }
  m->size = (size_t)st.st_size;
  if (m->size > 0) {
    void *p = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      snprintf(err, errlen, "%s: cannot map: %s", path, strerror(e));
      *code = errno_code(e);
      close(fd);
      return -1;
    }
    m->data = p;
  }
  close(fd);
  return 0;
}

void dk_evtx_unmap(dk_evtx_map *m) {
  if (m->data) munmap((void *)(uintptr_t)m->data, m->size);
  memset(m, 0, sizeof *m);
}

int dk_evtx_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

typedef struct job {
  void (*fn)(void *, int);
  void *arg;
  int i;
} job;

static void *thread_main(void *p) {
  job *j = p;
  j->fn(j->arg, j->i);
  return NULL;
}

void dk_evtx_parallel(int n, void (*fn)(void *arg, int worker), void *arg) {
  if (n <= 1) {
    fn(arg, 0);
    return;
  }
  pthread_t th[256];
  job jobs[256];
  int started = 0;
  if (n > 256) n = 256;
  for (int i = 1; i < n; i++) {
    jobs[i] = (job){fn, arg, i};
    if (pthread_create(&th[i], NULL, thread_main, &jobs[i]) != 0) break;
    started = i;
  }
  fn(arg, 0);
  for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
}

/* Live event logs are a Windows thing. */
struct dk_evtx_live {
  int unused;
};

int dk_evtx_live_open(const char *channel, const char *xpath, int reverse, dk_evtx_live **out, char *err,
                      size_t errlen, const char **code) {
  (void)xpath;
  (void)reverse;
  *out = NULL;
  snprintf(err, errlen, "live event log '%s': only on Windows; read .evtx files (copied, or exported with"
                        " wevtutil epl) with evtx.open",
           channel);
  *code = "ENOTSUP";
  return -1;
}

int dk_evtx_live_next(dk_evtx_live *q, char **xml, size_t *len, char *err, size_t errlen) {
  (void)q;
  *xml = NULL;
  *len = 0;
  snprintf(err, errlen, "no live event log");
  return -1;
}

void dk_evtx_live_close(dk_evtx_live *q) { free(q); }
