/*
** diagkit.codes core: the codes a troubleshooter meets (names AND messages),
** input forms, context ordering, HRESULT/NTSTATUS decoding, bad input, the
** consistency of the generated tables, and lookup speed.
*/
#include "test_util.h"

#include <errno.h>
#include <time.h>

#include "codes.h"
#include "codes_data.h"

#define MAX 24

static int contains(const char *hay, const char *needle) { return hay && strstr(hay, needle) != NULL; }

/* The first reading of input, which must exist. */
static dk_code_interp first(const char *input, unsigned ctx) {
  dk_code_interp out[MAX];
  int n = dk_codes_lookup(input, ctx, out, MAX);
  assert_true(n >= 1);
  return out[0];
}

/* The reading of the given kind (and name, if not NULL) among all readings. */
static int find(const char *input, unsigned ctx, dk_code_kind kind, const char *name, dk_code_interp *found) {
  dk_code_interp out[MAX];
  int n = dk_codes_lookup(input, ctx, out, MAX);
  for (int i = 0; i < n; i++) {
    if (out[i].kind == kind && (!name || (out[i].name && strcmp(out[i].name, name) == 0))) {
      if (found) *found = out[i];
      return i + 1; /* its rank, 1-based */
    }
  }
  return 0;
}

static void expect_first(const char *input, unsigned ctx, dk_code_kind kind, const char *name, const char *in_message) {
  dk_code_interp it = first(input, ctx);
  assert_int_equal(it.kind, kind);
  if (name) assert_string_equal(it.name, name);
  assert_non_null(it.message);
  if (!contains(it.message, in_message)) fail_msg("%s: message '%s' lacks '%s'", input, it.message, in_message);
  assert_true(it.why[0] != '\0');
}

/* Cases for expect_first. */
typedef struct first_case {
  const char *input;
  unsigned ctx;
  dk_code_kind kind;
  const char *name, *in_message;
} first_case;

static void expect_firsts(const first_case *c, size_t n) {
  for (size_t i = 0; i < n; i++) expect_first(c[i].input, c[i].ctx, c[i].kind, c[i].name, c[i].in_message);
}

static void test_windows_crash_codes(void **state) {
  (void)state;
  const first_case crash[] = {
      {"0xC0000005", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "Access Violation: The instruction at"},
      {"0xC0000135", 0, DK_CODE_NTSTATUS, "STATUS_DLL_NOT_FOUND", "was not found"},
      {"0xC0000139", 0, DK_CODE_NTSTATUS, "STATUS_ENTRYPOINT_NOT_FOUND",
       "could not be located in the dynamic link library"},
      {"0xC000007B", 0, DK_CODE_NTSTATUS, "STATUS_INVALID_IMAGE_FORMAT", "is either not designed to run on Windows"},
      {"0xC00000FD", 0, DK_CODE_NTSTATUS, "STATUS_STACK_OVERFLOW", "A new guard page for the stack cannot be created."},
      {"0xC0000409", 0, DK_CODE_NTSTATUS, "STATUS_STACK_BUFFER_OVERRUN", "overrun of a stack-based buffer"},
      {"0xC000013A", 0, DK_CODE_NTSTATUS, "STATUS_CONTROL_C_EXIT", "terminated as a result of a CTRL+C"},
      {"0xc0000005", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory"}, /* any case */
      {"c0000005", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory"},   /* event log form */
      {"3221225477", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory"},
      {"-1073741819", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory"},
      {"-1073741515", 0, DK_CODE_NTSTATUS, "STATUS_DLL_NOT_FOUND", "was not found"},
  };
  expect_firsts(crash, TU_COUNT(crash));

  dk_code_interp it = first("0xC0000005", 0);
  assert_int_equal(it.value, 0xC0000005u);
  assert_int_equal(it.severity, DK_CODE_SEV_ERROR);
  assert_int_equal(it.customer, 0);
  assert_true(it.has_facility);
  assert_int_equal(it.facility, 0);
  assert_false(it.has_wraps);
  /* Inserts are replaced, never left as printf directives. */
  assert_null(strchr(it.message, '%'));
}

static void test_hresult_wrapping(void **state) {
  (void)state;
  expect_first("0x80070005", 0, DK_CODE_HRESULT, "E_ACCESSDENIED", "General access denied error.");
  dk_code_interp it = first("0x80070005", 0);
  assert_int_equal(it.severity, DK_CODE_SEV_ERROR);
  assert_int_equal(it.facility, 7);
  assert_string_equal(it.facility_name, "FACILITY_WIN32");
  assert_true(it.has_wraps);
  assert_int_equal(it.wraps.kind, DK_CODE_WIN32);
  assert_int_equal(it.wraps.value, 5);
  assert_string_equal(it.wraps.name, "ERROR_ACCESS_DENIED");
  assert_string_equal(it.wraps.message, "Access is denied.");

  /* HRESULT_FROM_WIN32 of a code no table names is still recognised. */
  it = first("0x8007FFFF", 0);
  assert_int_equal(it.kind, DK_CODE_HRESULT);
  assert_null(it.name);
  assert_true(it.has_wraps);
  assert_int_equal(it.wraps.value, 0xFFFF);

  /* HRESULT_FROM_NT: bit 28 set over an NTSTATUS. */
  it = first("0xD0000005", 0);
  assert_int_equal(it.kind, DK_CODE_HRESULT);
  assert_true(it.has_wraps);
  assert_int_equal(it.wraps.kind, DK_CODE_NTSTATUS);
  assert_int_equal(it.wraps.value, 0xC0000005u);
  assert_string_equal(it.wraps.name, "STATUS_ACCESS_VIOLATION");

  /* By name, with the same decoding. */
  it = first("E_ACCESSDENIED", 0);
  assert_int_equal(it.value, 0x80070005u);
  assert_string_equal(it.wraps.name, "ERROR_ACCESS_DENIED");
  /* S_OK is canonical at 0 even though winerror.h defines SEC_E_OK first. */
  assert_string_equal(dk_codes_find_name(DK_CODE_HRESULT, 0, NULL), "S_OK");
}

static void test_wine_and_runtime_codes(void **state) {
  (void)state;
  expect_first("0x80000100", 0, DK_CODE_WINE, "EXCEPTION_WINE_STUB", "Wine: call to an unimplemented function stub");
  expect_first("EXCEPTION_WINE_STUB", 0, DK_CODE_WINE, "EXCEPTION_WINE_STUB", "unimplemented function stub");
  dk_code_interp it = first("0xE06D7363", DK_CODES_CTX_WINDOWS);
  assert_int_equal(it.kind, DK_CODE_NTSTATUS);
  assert_string_equal(it.name, "EH_EXCEPTION_NUMBER");
  assert_true(contains(it.message, "C++"));
  assert_int_equal(it.customer, 1);
  assert_null(it.facility_name); /* a customer code's facility is not the system's */
  /* Unnamed codes are decoded by layout. */
  it = first("0xC0001234", 0);
  assert_int_equal(it.kind, DK_CODE_NTSTATUS);
  assert_null(it.name);
  assert_int_equal(it.severity, DK_CODE_SEV_ERROR);
  assert_true(contains(it.why, "layout"));
}

static void test_go_context(void **state) {
  (void)state;
  const first_case go[] = {
      {"2", DK_CODES_CTX_GO, DK_CODE_GO, NULL, "Unrecovered panic"},
      {"exit status 2", DK_CODES_CTX_GO, DK_CODE_GO, NULL, "panic"},
      {"66", DK_CODES_CTX_GO, DK_CODE_GO, NULL, "race detector"},
      {"1", DK_CODES_CTX_GO, DK_CODE_GO, NULL, "log.Fatal"},
  };
  expect_firsts(go, TU_COUNT(go));
  /* Without context 2 still lists the Go, errno and Win32 readings. */
  assert_true(find("exit status 2", 0, DK_CODE_GO, NULL, NULL) > 0);
  assert_true(find("exit status 2", 0, DK_CODE_ERRNO, "ENOENT", NULL) > 0);
  assert_true(find("exit status 2", 0, DK_CODE_WIN32, "ERROR_FILE_NOT_FOUND", NULL) > 0);
}

static void test_shell_statuses(void **state) {
  (void)state;
  expect_first("127", 0, DK_CODE_SHELL, NULL, "Command not found");
  expect_first("126", 0, DK_CODE_SHELL, NULL, "could not be executed");
  static const struct {
    const char *input;
    int sig;
    const char *name;
  } killed[] = {{"134", 6, "SIGABRT"}, {"137", 9, "SIGKILL"}, {"139", 11, "SIGSEGV"}};
  for (size_t i = 0; i < TU_COUNT(killed); i++) {
    dk_code_interp it = first(killed[i].input, 0);
    assert_int_equal(it.kind, DK_CODE_SHELL);
    assert_int_equal(it.signal, killed[i].sig);
    assert_true(it.has_wraps);
    assert_int_equal(it.wraps.kind, DK_CODE_SIGNAL);
    assert_string_equal(it.wraps.name, killed[i].name);
    assert_true(contains(it.message, "128 + the signal number"));
  }
  assert_string_equal(first("139", DK_CODES_CTX_SHELL).why, "as a shell exit status: 128 + 11 (SIGSEGV)");
  /* 127 from a Windows program is ERROR_PROC_NOT_FOUND, listed in any case. */
  dk_code_interp w;
  assert_true(find("127", 0, DK_CODE_WIN32, "ERROR_PROC_NOT_FOUND", &w) > 1);
  assert_string_equal(w.message, "The specified procedure could not be found.");
  expect_first("127", DK_CODES_CTX_WINDOWS, DK_CODE_WIN32, "ERROR_PROC_NOT_FOUND", "procedure could not be found");
  expect_first("255", DK_CODES_CTX_SHELL, DK_CODE_SHELL, NULL, "exit(-1)");
}

static void test_signals_and_errno(void **state) {
  (void)state;
  const first_case signals[] = {
      {"SIGKILL", 0, DK_CODE_SIGNAL, "SIGKILL", "Killed"},
      {"sigsegv", 0, DK_CODE_SIGNAL, "SIGSEGV", "Segmentation fault"},
      {"SEGV", 0, DK_CODE_SIGNAL, "SIGSEGV", "Segmentation fault"},
      {"SIGIOT", 0, DK_CODE_SIGNAL, "SIGABRT", "abort()"},
      {"signal 9", 0, DK_CODE_SIGNAL, "SIGKILL", "Killed"},
      {"killed by signal 9", 0, DK_CODE_SIGNAL, "SIGKILL", "Killed"},
      {"signal: killed", 0, DK_CODE_SIGNAL, "SIGKILL", "Killed"},
      {"Segmentation fault (core dumped)", 0, DK_CODE_SIGNAL, "SIGSEGV", "invalid memory reference"},
      {"-11", 0, DK_CODE_SIGNAL, "SIGSEGV", "Segmentation fault"}, /* Python returncode */
      {"-1", 0, DK_CODE_SHELL, NULL, "exit(-1)"},
      /* Go on Windows: "[signal 0xc0000005 ...]" */
      {"signal 0xc0000005", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory"},
  };
  expect_firsts(signals, TU_COUNT(signals));
  assert_int_equal(first("SIGKILL", 0).value, 9);

  dk_code_interp it = first("ENOENT", 0);
  assert_int_equal(it.kind, DK_CODE_ERRNO);
  assert_string_equal(it.name, "ENOENT");
  assert_int_equal(it.value, (uint32_t)ENOENT);
  assert_string_equal(it.message, strerror(ENOENT));
  assert_true(contains(it.message, "No such file"));
  expect_first("EACCES", 0, DK_CODE_ERRNO, "EACCES", strerror(EACCES));

  /* 5: both the Win32 and the errno reading, and the truncated crash code. */
  assert_true(find("5", 0, DK_CODE_WIN32, "ERROR_ACCESS_DENIED", NULL) > 0);
  assert_true(find("5", 0, DK_CODE_ERRNO, "EIO", NULL) > 0);
  assert_true(find("5", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", NULL) > 0);
  expect_first("5", DK_CODES_CTX_LINUX, DK_CODE_ERRNO, "EIO", strerror(EIO));
  expect_first("5", DK_CODES_CTX_WINDOWS, DK_CODE_WIN32, "ERROR_ACCESS_DENIED", "Access is denied.");
}

static void test_win32_names(void **state) {
  (void)state;
  expect_first("ERROR_MOD_NOT_FOUND", 0, DK_CODE_WIN32, "ERROR_MOD_NOT_FOUND", "The specified module could not be found.");
  assert_int_equal(first("ERROR_MOD_NOT_FOUND", 0).value, 126);
  expect_first("ERROR_ACCESS_DENIED", 0, DK_CODE_WIN32, "ERROR_ACCESS_DENIED", "Access is denied.");
  expect_first("STATUS_ACCESS_VIOLATION", 0, DK_CODE_NTSTATUS, "STATUS_ACCESS_VIOLATION", "referenced memory");
  /* Mixed-case names in winerror.h are found case-insensitively. */
  dk_code_kind kind;
  uint32_t v;
  assert_true(dk_codes_find_value("ERROR_ITERATED_DATA_EXCEEDS_64k", &kind, &v));
  assert_int_equal(kind, DK_CODE_WIN32);
  assert_true(dk_codes_find_value("error_iterated_data_exceeds_64K", NULL, &v));
  /* Aliases: every name of 0 is kept, the canonical one first. */
  dk_code_interp it;
  assert_int_equal(dk_codes_describe(DK_CODE_WIN32, 0, &it), 1);
  assert_string_equal(it.name, "ERROR_SUCCESS");
  assert_true(it.n_aliases >= 2);
  assert_string_equal(it.aliases[0], "NO_ERROR");
  /* WSA codes resolved from (WSABASEERR + n). */
  assert_true(dk_codes_find_value("WSAECONNREFUSED", &kind, &v));
  assert_int_equal(v, 10061);
  const char *msg = NULL;
  assert_string_equal(dk_codes_find_name(DK_CODE_WIN32, 10061, &msg), "WSAECONNREFUSED");
  assert_non_null(msg);
  assert_null(dk_codes_find_name(DK_CODE_WIN32, 0xFFFF, &msg));
  assert_null(msg);
}

static void test_bad_input(void **state) {
  (void)state;
  dk_code_interp out[MAX];
  static const struct {
    const char *input;
    int rc;
  } bad[] = {
      {"", DK_CODES_EEMPTY},
      {"  \t ", DK_CODES_EEMPTY},
      {"0x", DK_CODES_ESYNTAX},
      {"0xZZ", DK_CODES_ESYNTAX},
      {"12abc", DK_CODES_ESYNTAX},
      {"-0x5", DK_CODES_ESYNTAX},
      {"exit status", DK_CODES_ESYNTAX},
      {"exit status two", DK_CODES_ESYNTAX},
      {"signal banana", DK_CODES_ESYNTAX},
      {"not a code at all", DK_CODES_ESYNTAX},
      {"NOT_A_CODE", DK_CODES_ENAME},
      {"4294967296", DK_CODES_ERANGE},
      {"0x100000000", DK_CODES_ERANGE},
      {"-2147483649", DK_CODES_ERANGE},
      {"99999999999999999999999999", DK_CODES_ERANGE},
      {NULL, DK_CODES_EINVAL},
  };
  for (size_t i = 0; i < TU_COUNT(bad); i++) {
    int rc = dk_codes_lookup(bad[i].input, 0, out, MAX);
    if (rc != bad[i].rc) fail_msg("'%s': %d, want %d", bad[i].input ? bad[i].input : "(null)", rc, bad[i].rc);
  }
  assert_int_equal(dk_codes_lookup("5", 0, NULL, 3), DK_CODES_EINVAL);
  assert_int_equal(dk_codes_lookup("5", 0, out, -1), DK_CODES_EINVAL);
  char longer[400];
  memset(longer, '1', sizeof longer - 1);
  longer[sizeof longer - 1] = '\0';
  assert_int_equal(dk_codes_lookup(longer, 0, out, MAX), DK_CODES_ESYNTAX);
  /* Edges that are valid. */
  assert_true(dk_codes_lookup("4294967295", 0, out, MAX) >= 0);
  assert_true(dk_codes_lookup("-2147483648", 0, out, MAX) >= 1);
  assert_int_equal(out[0].value, 0x80000000u);
  assert_int_equal(dk_codes_lookup("signal 40", 0, out, MAX), 0); /* real-time: unexplained, not an error */
  assert_int_equal(dk_codes_lookup("0x00012345", 0, out, MAX), 0);
  assert_int_equal(dk_codes_lookup("5", 0, out, 0), 0);
  assert_int_equal(dk_codes_lookup("5", 0, out, 1), 1);
  for (int rc = DK_CODES_ENAME; rc <= DK_CODES_EEMPTY; rc++) assert_true(strlen(dk_codes_strerror(rc)) > 10);
}

static void test_phrases(void **state) {
  (void)state;
  static const char *const same[] = {"exit code 0xc0000005", "code=3221225477", "exit status 3221225477",
                                     "returncode=-1073741819", "  0XC0000005  ", "rc: 3221225477"};
  for (size_t i = 0; i < TU_COUNT(same); i++) {
    dk_code_interp it = first(same[i], 0);
    assert_int_equal(it.value, 0xC0000005u);
    assert_string_equal(it.name, "STATUS_ACCESS_VIOLATION");
  }
}

static void test_search_counts_names(void **state) {
  (void)state;
  dk_code_ref refs[8];
  int total = dk_codes_search("access violation", refs, 8);
  assert_true(total >= 1);
  int seen = 0;
  for (int i = 0; i < total && i < 8; i++) seen |= refs[i].name && strcmp(refs[i].name, "STATUS_ACCESS_VIOLATION") == 0;
  assert_true(seen);
  assert_true(dk_codes_search("not found", refs, 2) > 2); /* total beyond the cap */
  assert_int_equal(dk_codes_search("", refs, 2), DK_CODES_EEMPTY);
  assert_int_equal(dk_codes_search("zzzzqqq-nothing", refs, 2), 0);

  assert_true(dk_codes_count(DK_CODE_NTSTATUS) >= 1797);
  assert_true(dk_codes_count(DK_CODE_WIN32) >= 2000);
  assert_true(dk_codes_count(DK_CODE_HRESULT) >= 1378);
  assert_int_equal(dk_codes_count(DK_CODE_SIGNAL), 35);
  assert_int_equal(dk_codes_count(DK_CODE_GO), 3);
  assert_true(dk_codes_count(DK_CODE_ERRNO) > 30);
  assert_int_equal(dk_codes_facility_count(1), 33);

  for (int k = 0; k < DK_CODE_KIND_COUNT; k++)
    assert_int_equal(dk_codes_kind_from_name(dk_codes_kind_name((dk_code_kind)k)), k);
  assert_int_equal(dk_codes_kind_from_name("bogus"), -1);
  assert_null(dk_codes_severity_name(DK_CODE_SEV_NONE));
  assert_string_equal(dk_codes_severity_name(DK_CODE_SEV_WARNING), "warning");
}

/* Every generated entry: sorted by value, reachable by value and by name, and the
** name index sorted case-insensitively (what the binary search relies on). */
static void check_table(const dk_code_table *t, dk_code_kind kind) {
  for (size_t i = 0; i < t->count; i++) {
    const dk_code_entry *e = &t->entries[i];
    if (i > 0) assert_true(t->entries[i - 1].value <= e->value);
    dk_code_kind k;
    uint32_t v;
    assert_true(dk_codes_find_value(e->name, &k, &v));
    /* A name is unique across the tables, except the few in both headers. */
    if (k == kind) assert_int_equal(v, e->value);
    assert_non_null(dk_codes_find_name(kind, e->value, NULL));
    assert_true(t->by_name[i] < t->count);
  }
}

static void test_generated_tables(void **state) {
  (void)state;
  check_table(&dk_codes_ntstatus, DK_CODE_NTSTATUS);
  check_table(&dk_codes_win32, DK_CODE_WIN32);
  check_table(&dk_codes_hresult, DK_CODE_HRESULT);
  for (size_t i = 1; i < dk_codes_hresult_facilities.count; i++)
    assert_true(dk_codes_hresult_facilities.entries[i - 1].value <= dk_codes_hresult_facilities.entries[i].value);
}

/* A lookup must take well under 1 ms; 2,000 mixed lookups get one second. */
static void test_speed(void **state) {
  (void)state;
  static const char *const inputs[] = {"0xC0000005", "139", "ERROR_MOD_NOT_FOUND", "exit status 2", "E_ACCESSDENIED",
                                       "SIGKILL",    "5",   "0x8007FFFF",          "ENOENT",        "NOT_A_NAME"};
  dk_code_interp out[MAX];
  clock_t start = clock();
  for (int i = 0; i < 2000; i++) dk_codes_lookup(inputs[i % 10], DK_CODES_CTX_LINUX, out, MAX);
  double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
  if (secs >= 1.0) fail_msg("2000 lookups took %.3f s", secs);
}

TU_MAIN(test_windows_crash_codes, test_hresult_wrapping, test_wine_and_runtime_codes, test_go_context,
    test_shell_statuses, test_signals_and_errno, test_win32_names, test_bad_input, test_phrases,
    test_search_counts_names, test_generated_tables, test_speed)
