#define _POSIX_C_SOURCE 200809L /* nanosleep */
/*
** The embedding API (include/diagkit.h) as a C program uses it: open a host,
** run playbooks with JSON params, read the JSON report, close.
*/
#include "test_util.h"

#include "diagkit.h"

static int setup(void **state) {
  dk_options opts = {.scripts_dir = DK_SOURCE_DIR "/scripts"};
  char *err = NULL;
  dk_host *h = dk_open(&opts, &err);
  if (h == NULL) {
    fprintf(stderr, "dk_open: %s\n", err ? err : "?");
    dk_free(err);
    return -1;
  }
  *state = h;
  return 0;
}

static int teardown(void **state) {
  dk_close(*state);
  return 0;
}

static void test_version(void **state) {
  (void)state;
  assert_string_equal(dk_version(), DIAGKIT_VERSION);
}

static void test_open_bad_scripts_dir(void **state) {
  (void)state;
  dk_options opts = {.scripts_dir = "/nonexistent/scripts"};
  char *err = NULL;
  assert_null(dk_open(&opts, &err));
  assert_non_null(err);
  assert_non_null(strstr(err, "cannot find the diagkit scripts"));
  dk_free(err);
}

static void test_unknown_playbook_is_usage(void **state) {
  char *json = NULL;
  assert_int_equal(dk_run(*state, "no-such-playbook", NULL, &json), DK_USAGE);
  assert_non_null(json);
  assert_non_null(strstr(json, "unknown playbook 'no-such-playbook'"));
  dk_free(json);
}

static void test_bad_params_json_is_usage(void **state) {
  char *json = NULL;
  assert_int_equal(dk_run(*state, "exit-code", "{\"argv\": [", &json), DK_USAGE);
  assert_non_null(strstr(json, "params: json:"));
  dk_free(json);
  assert_int_equal(dk_run(*state, "exit-code", "{\"argv\": 5}", &json), DK_USAGE);
  assert_non_null(strstr(json, "parameter 'argv' must be"));
  dk_free(json);
}

static void test_start_failure_report(void **state) {
  char *json = NULL;
  int status = dk_run(*state, "exit-code", "{\"argv\": [\"/nonexistent/dir/program\"]}", &json);
  assert_int_equal(status, DK_ERROR);
  assert_non_null(json);
  assert_non_null(strstr(json, "\"schema\":\"diagkit.report/1\""));
  assert_non_null(strstr(json, "\"status\":\"error\""));
  assert_non_null(strstr(json, "exit.start-failed."));
  dk_free(json);
}

#ifndef _WIN32
static void test_success_report(void **state) {
  char *json = NULL;
  assert_int_equal(dk_run(*state, "exit-code", "{\"argv\": [\"/bin/true\"]}", &json), DK_OK);
  assert_non_null(strstr(json, "\"id\":\"exit.success\""));
  dk_free(json);
}
#endif

static void test_hosts_are_independent(void **state) {
  (void)state;
  dk_options opts = {.scripts_dir = DK_SOURCE_DIR "/scripts"};
  dk_host *a = dk_open(&opts, NULL), *b = dk_open(&opts, NULL);
  assert_non_null(a);
  assert_non_null(b);
  char *ja = NULL, *jb = NULL;
  assert_int_equal(dk_run(a, "nope", NULL, &ja), DK_USAGE);
  dk_close(a);
  assert_int_equal(dk_run(b, "nope", NULL, &jb), DK_USAGE);
  dk_close(b);
  dk_free(ja);
  dk_free(jb);
}

/* A check file written for the test (POSIX temp folder, or the build tree). */
static const char *write_check(const char *name, const char *run_body) {
  static char path[1024];
  snprintf(path, sizeof path, "%s/%s.lua", DK_BINARY_DIR, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fprintf(f,
          "return diagkit.playbook{ id = \"%s\", title = \"t\", summary = \"s\",\n"
          "  run = function(ctx, params)\n%s\n  end }\n",
          name, run_body);
  fclose(f);
  return path;
}

struct seen {
  int n;
  char ids[8][64];
  char severities[8][16];
  int json_ok;
};

static void collect(void *ud, const dk_finding *f) {
  struct seen *s = ud;
  if (s->n < 8) {
    snprintf(s->ids[s->n], sizeof s->ids[0], "%s", f->id);
    snprintf(s->severities[s->n], sizeof s->severities[0], "%s", f->severity);
  }
  s->json_ok += f->json != NULL && f->json[0] == '{' && strstr(f->json, f->id) != NULL;
  s->n++;
}

static void test_finding_callback_most_severe_first(void **state) {
  const char *check = write_check("two-findings",
                                  "ctx:finding{ id = \"t.info\", severity = \"info\", title = \"a note\" }\n"
                                  "ctx:finding{ id = \"t.err\", severity = \"error\", title = \"broken\", "
                                  "remedy = \"fix it\" }");
  struct seen s = {0};
  char *report = NULL;
  assert_int_equal(dk_run_ex(*state, check, NULL, collect, &s, &report), DK_ERROR);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.ids[0], "t.err");
  assert_string_equal(s.severities[0], "error");
  assert_string_equal(s.ids[1], "t.info");
  assert_int_equal(s.json_ok, 2);
  assert_non_null(strstr(report, "\"t.err\""));
  dk_free(report);
  /* Only the callback: report may be NULL. */
  s.n = 0;
  assert_int_equal(dk_run_ex(*state, check, NULL, collect, &s, NULL), DK_ERROR);
  assert_int_equal(s.n, 2);
}

struct logs {
  int n;
  char last[256];
};

static void log_to(void *ud, int level, const char *message) {
  struct logs *l = ud;
  (void)level;
  l->n++;
  snprintf(l->last, sizeof l->last, "%s", message);
}

static void test_options_format_log_and_sandbox(void **state) {
  (void)state;
  struct logs logs = {0};
  dk_options opts = {0};
  opts.scripts_dir = DK_SOURCE_DIR "/scripts";
  opts.format = "nagios";
  opts.log = log_to;
  opts.log_ud = &logs;
  opts.max_instructions = 2000000;
  dk_host *h = dk_open(&opts, NULL);
  assert_non_null(h);
  const char *talk = write_check("talker", "ctx:say(\"step %d\", 3)\n"
                                           "ctx:finding{ id = \"t.w\", severity = \"warning\", title = \"w\" }");
  char *report = NULL;
  assert_int_equal(dk_run(h, talk, NULL, &report), DK_WARNING);
  assert_non_null(report);
  assert_non_null(strstr(report, "TALKER WARNING - ")); /* the Nagios status line */
  dk_free(report);
  assert_int_equal(logs.n, 1);
  assert_string_equal(logs.last, "step 3");
  /* The host's budget stops a runaway check, and the host goes on. */
  const char *loop = write_check("looper", "while true do end");
  assert_int_equal(dk_run(h, loop, NULL, &report), DK_UNKNOWN);
  assert_non_null(strstr(report, "more than 2000000 instructions"));
  dk_free(report);
  /* Sandboxed by default: no processes without allow_exec. */
  const char *exec = write_check("execer", "ctx.proc.run{ argv = { \"true\" } }");
  assert_int_equal(dk_run(h, exec, NULL, &report), DK_UNKNOWN);
  assert_non_null(strstr(report, "starting a process is not allowed"));
  dk_free(report);
  dk_close(h);
  /* DK_SANDBOX_OFF trusts them. */
  opts.sandbox = DK_SANDBOX_OFF;
  opts.format = NULL;
  h = dk_open(&opts, NULL);
  assert_non_null(h);
  assert_int_equal(dk_run(h, exec, NULL, &report), DK_OK);
  dk_free(report);
  dk_close(h);
}

#ifndef _WIN32
#include <pthread.h>
#include <time.h>

struct cancel_job {
  dk_host *h;
  const char *check;
  int status;
  char *report;
  const char *params;
};

static void *run_job(void *arg) {
  struct cancel_job *j = arg;
  j->status = dk_run(j->h, j->check, j->params, &j->report);
  return NULL;
}

static void test_cancel_from_another_thread(void **state) {
  (void)state;
  dk_options opts = {0};
  opts.scripts_dir = DK_SOURCE_DIR "/scripts";
  opts.sandbox = DK_SANDBOX_OFF; /* no budget: only the cancel can stop it */
  dk_host *h = dk_open(&opts, NULL);
  assert_non_null(h);
  struct cancel_job j = {h, write_check("forever", "local n = 0 while true do n = n + 1 end"), -1, NULL, NULL};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, run_job, &j), 0);
  struct timespec ts = {0, 200 * 1000000L};
  nanosleep(&ts, NULL);
  dk_cancel(h);
  pthread_join(t, NULL);
  assert_int_equal(j.status, DK_UNKNOWN);
  assert_non_null(strstr(j.report, "cancelled"));
  dk_free(j.report);
  /* A program the playbook is running is stopped too, with its tree. */
  j.check = "exit-code";
  j.report = NULL;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  j.params = "{\"argv\": [\"sh\", \"-c\", \"sleep 30 & sleep 30\"]}";
  assert_int_equal(pthread_create(&t, NULL, run_job, &j), 0);
  nanosleep(&ts, NULL);
  dk_cancel(h);
  pthread_join(t, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_int_equal(j.status, DK_UNKNOWN);
  assert_non_null(strstr(j.report, "cancelled"));
  assert_true(secs < 5.0); /* not the 30 s of sleep */
  dk_free(j.report);
  /* A program that ignores SIGTERM: a cancel kills it at once, without the
     2 s grace a timed-out program gets (dk_cancel promises 100 ms). */
  j.report = NULL;
  j.params = "{\"argv\": [\"sh\", \"-c\", \"trap '' TERM; sleep 30\"]}";
  assert_int_equal(pthread_create(&t, NULL, run_job, &j), 0);
  nanosleep(&ts, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  dk_cancel(h);
  pthread_join(t, NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  assert_int_equal(j.status, DK_UNKNOWN);
  assert_true(secs < 1.0); /* was 2 s and more */
  dk_free(j.report);
  /* The host is usable afterwards: the flag is cleared by the next run. */
  char *report = NULL;
  assert_int_equal(dk_run(h, "exit-code", "{\"argv\": [\"/bin/true\"]}", &report), DK_OK);
  dk_free(report);
  dk_close(h);
}

struct par_job {
  int status_ok;
};

static void *par_run(void *arg) {
  struct par_job *j = arg;
  dk_options opts = {0};
  opts.scripts_dir = DK_SOURCE_DIR "/scripts";
  dk_host *h = dk_open(&opts, NULL);
  if (h == NULL) return NULL;
  for (int i = 0; i < 5; i++) {
    char *report = NULL;
    int st = dk_run(h, "exit-code", "{\"argv\": [\"/bin/false\"]}", &report);
    j->status_ok += st == DK_ERROR && report != NULL && strstr(report, "\"exit.nonzero") != NULL;
    dk_free(report);
  }
  dk_close(h);
  return NULL;
}

/* Separate hosts on separate threads at the same time (run under TSan to see
** races; under ASan this at least catches use-after-free between hosts). */
static void test_hosts_on_threads(void **state) {
  (void)state;
  pthread_t t[4];
  struct par_job jobs[4] = {{0}};
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, par_run, &jobs[i]), 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < 4; i++) assert_int_equal(jobs[i].status_ok, 5);
}
#endif

static void test_version_number(void **state) {
  (void)state;
  assert_int_equal(dk_version_number(), DIAGKIT_VERSION_NUMBER);
  char buf[32];
  snprintf(buf, sizeof buf, "%d.%d.%d", DIAGKIT_VERSION_MAJOR, DIAGKIT_VERSION_MINOR, DIAGKIT_VERSION_PATCH);
  assert_string_equal(buf, dk_version());
}

int main(void) {
  TU_RUN_TESTS(setup, teardown, test_version, test_open_bad_scripts_dir, test_unknown_playbook_is_usage,
      test_bad_params_json_is_usage, test_start_failure_report TU_POSIX_ONLY(test_success_report),
      test_hosts_are_independent, test_version_number, test_finding_callback_most_severe_first,
      test_options_format_log_and_sandbox TU_POSIX_ONLY(test_cancel_from_another_thread, test_hosts_on_threads));
}
