/*
** A monitoring agent embedding diagkit (docs/embedding.md): it runs one
** playbook or check with a deadline, streams the findings as they come out
** of the report, and prints the JSON report.
**
**   embed [--timeout-ms N] [--allow-exec] PLAYBOOK|CHECK.lua [PARAMS_JSON]
**
**   embed exit-code '{"argv": ["./segv"]}'
**   embed --timeout-ms 500 ./slow_check.lua
**
** The run happens on a worker thread; when the deadline passes, the main
** thread calls dk_cancel, the one call that is safe from another thread.
** Exit status: the run's (0 ok, 1 warning, 2 error, 3 unknown, 64 usage).
*/
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <diagkit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <pthread.h>
#include <time.h>
#endif

struct job {
  dk_host *host;
  const char *playbook, *params;
  int status;
  char *report;
  volatile int done;
};

static void on_log(void *ud, int level, const char *message) {
  (void)ud;
  static const char *const names[] = {"debug", "info", "warning", "error"};
  fprintf(stderr, "[diagkit %s] %s\n", level >= 0 && level <= 3 ? names[level] : "?", message);
}

static void on_finding(void *ud, const dk_finding *f) {
  int *count = ud;
  ++*count;
  printf("finding %d: %s %s: %s\n", *count, f->severity, f->id, f->title);
  if (f->remedy != NULL) printf("  remedy: %s\n", f->remedy);
}

static int findings_seen;

#ifdef _WIN32
static DWORD WINAPI worker(LPVOID arg)
#else
static void *worker(void *arg)
#endif
{
  struct job *j = arg;
  j->status = dk_run_ex(j->host, j->playbook, j->params, on_finding, &findings_seen, &j->report);
  j->done = 1;
#ifdef _WIN32
  return 0;
#else
  return NULL;
#endif
}

static void sleep_ms(int ms) {
#ifdef _WIN32
  Sleep((DWORD)ms);
#else
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
#endif
}

int main(int argc, char **argv) {
  int timeout_ms = 0, allow_exec = 0, i = 1;
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--timeout-ms") == 0 && i + 1 < argc) {
      timeout_ms = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--allow-exec") == 0) {
      allow_exec = 1;
    } else {
      fprintf(stderr, "embed: unknown option %s\n", argv[i]);
      return DK_USAGE;
    }
  }
  if (i >= argc) {
    fputs("usage: embed [--timeout-ms N] [--allow-exec] PLAYBOOK|CHECK.lua [PARAMS_JSON]\n", stderr);
    return DK_USAGE;
  }
  /* The shared library and the header this program was built with must agree. */
  if (dk_version_number() / 100 != DIAGKIT_VERSION_NUMBER / 100) {
    fprintf(stderr, "embed: built for diagkit %s, running with %s\n", DIAGKIT_VERSION, dk_version());
    return DK_UNKNOWN;
  }

  dk_options opts = {0};
  opts.format = "json";
  opts.log = on_log;
  opts.allow_exec = allow_exec;
  char *err = NULL;
  dk_host *h = dk_open(&opts, &err);
  if (h == NULL) {
    fprintf(stderr, "embed: %s\n", err != NULL ? err : "cannot open a host");
    dk_free(err);
    return DK_UNKNOWN;
  }

  struct job j = {h, argv[i], i + 1 < argc ? argv[i + 1] : NULL, DK_UNKNOWN, NULL, 0};
#ifdef _WIN32
  HANDLE t = CreateThread(NULL, 0, worker, &j, 0, NULL);
  if (t == NULL) return DK_UNKNOWN;
#else
  pthread_t t;
  if (pthread_create(&t, NULL, worker, &j) != 0) return DK_UNKNOWN;
#endif
  int waited = 0, cancelled = 0;
  while (!j.done) {
    sleep_ms(10);
    waited += 10;
    if (timeout_ms > 0 && waited >= timeout_ms && !cancelled) {
      fprintf(stderr, "embed: %d ms passed, cancelling\n", timeout_ms);
      dk_cancel(h);
      cancelled = 1;
    }
  }
#ifdef _WIN32
  WaitForSingleObject(t, INFINITE);
  CloseHandle(t);
#else
  pthread_join(t, NULL);
#endif

  printf("status %d, %d finding(s)\n", j.status, findings_seen);
  if (j.report != NULL) printf("%s\n", j.report);
  dk_free(j.report);
  dk_close(h);
  return j.status;
}
