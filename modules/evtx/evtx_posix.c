/* evtx_os.h for POSIX: pthreads. */
#define _POSIX_C_SOURCE 200809L
#include "evtx_os.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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
