/*
** diagkit.svc: the SCM's view of a service. Under Wine (the win64 build's
** tests) the SCM is real: RpcSs exists, a made-up name gives 1060. On POSIX
** the query says it is Windows-only.
*/
#include "test_util.h"

#include "svc.h"

static void query_existing(void **state) {
  (void)state;
  dk_svc_info info;
  unsigned code = 0;
  char msg[300];
#ifdef _WIN32
  assert_int_equal(dk_svc_query("RpcSs", &info, &code, msg, sizeof msg), 0);
  assert_non_null(info.image);
  assert_true(info.start <= 4);
  assert_true(info.type != 0);
  print_message("      RpcSs: %s start=%u state=%u\n", info.image, info.start, info.state);
  dk_svc_info_free(&info);
#else
  assert_int_equal(dk_svc_query("cron", &info, &code, msg, sizeof msg), -1);
  assert_int_equal(code, DK_SVC_NOT_WINDOWS);
  assert_non_null(strstr(msg, "Windows-only"));
#endif
}

static void query_missing(void **state) {
  (void)state;
  dk_svc_info info;
  unsigned code = 0;
  char msg[300];
  assert_int_equal(dk_svc_query("DiagkitNoSuchService", &info, &code, msg, sizeof msg), -1);
#ifdef _WIN32
  assert_int_equal(code, 1060); /* ERROR_SERVICE_DOES_NOT_EXIST */
  assert_non_null(strstr(msg, "DiagkitNoSuchService"));
#else
  assert_int_equal(code, DK_SVC_NOT_WINDOWS);
#endif
}

TU_MAIN(query_existing, query_missing)
