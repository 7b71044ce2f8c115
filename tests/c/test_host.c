/*
** The embedding API (include/diagkit.h) as a C program uses it: open a host,
** run playbooks with JSON params, read the JSON report, close.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_open_bad_scripts_dir),
      cmocka_unit_test(test_unknown_playbook_is_usage),
      cmocka_unit_test(test_bad_params_json_is_usage),
      cmocka_unit_test(test_start_failure_report),
#ifndef _WIN32
      cmocka_unit_test(test_success_report),
#endif
      cmocka_unit_test(test_hosts_are_independent),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
