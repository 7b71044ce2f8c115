/*
** diagkit.access core: the acl(5) rule (pure), binary SDs (valid, truncated,
** lying), SDDL (parse, print, errors with offsets) and AccessCheck.
*/
#include "test_util.h"

#include "access.h"
#include "sd.h"

#ifdef _WIN32
#include <windows.h>

#include "access_win.h"

/* Live descriptors under Windows (and Wine): a temp file, HKCU\Software, the
   32/64-bit views, the missing-object and bad-root errors, the process token. */
static void test_win_live(void **state) {
  (void)state;
  char tmp[MAX_PATH], path[MAX_PATH], err[512];
  const char *code = "";
  GetTempPathA(sizeof tmp, tmp);
  snprintf(path, sizeof path, "%sdk6-access-test.txt", tmp);
  tu_write_file(path, "x", 1);
  uint8_t *b = NULL;
  size_t len = 0;
  int rc = dk_win_file_sd(path, &b, &len, err, sizeof err, &code);
  if (rc != 0) fail_msg("file: %s", err);
  dk_sd sd;
  assert_int_equal(dk_sd_parse(b, len, &sd, err, sizeof err), 0);
  assert_true(sd.has_owner);
  assert_true(sd.dacl.present);
  dk_wtoken wt;
  assert_int_equal(dk_win_current_token(&wt, err, sizeof err, &code), 0);
  assert_true(wt.ngroups > 0);
  dk_token t = {.integrity = wt.integrity, .no_write_up = 1};
  assert_int_equal(dk_sid_from_string(wt.user, &t.user, err, sizeof err), 0);
  dk_check_result r;
  assert_int_equal(dk_access_evaluate(&sd, &t, 0x1, dk_mapping_find("file"), NULL, &r), 0);
  assert_true(r.allowed); /* we created it: we may read it */
  dk_check_result_free(&r);
  dk_wtoken_free(&wt);
  dk_sd_free(&sd);
  free(b);
  DeleteFileA(path);
  for (int view = 0; view <= 64; view += 32) {
    rc = dk_win_key_sd("HKCU\\Software", view, &b, &len, err, sizeof err, &code);
    if (rc != 0) fail_msg("key: %s", err);
    assert_int_equal(dk_sd_parse(b, len, &sd, err, sizeof err), 0);
    dk_sd_free(&sd);
    free(b);
  }
  assert_int_equal(dk_win_file_sd("C:\\no\\such\\dk6.txt", &b, &len, err, sizeof err, &code), -1);
  assert_string_equal(code, "ENOENT");
  assert_int_equal(dk_win_key_sd("HKLM\\Software\\NoSuchKeyDk6", 0, &b, &len, err, sizeof err, &code), -1);
  assert_string_equal(code, "ENOENT");
  assert_int_equal(dk_win_key_sd("HKXX\\Software", 0, &b, &len, err, sizeof err, &code), -1);
  assert_string_equal(code, "EINVAL");
}
#endif

/* ---- acl(5) ------------------------------------------------------------- */

/* dk_pacl_decide(o, c, want): allowed (1) or denied (0), through the class or
** rule via unless via is NULL. */
static void expect_pacl(const dk_pobj *o, const dk_pcred *c, unsigned want, int allowed, const char *via) {
  dk_pdecision d;
  dk_pacl_decide(o, c, want, &d);
  if (allowed)
    assert_true(d.allowed);
  else
    assert_false(d.allowed);
  if (via) assert_string_equal(d.via, via);
}

static void test_pacl_mode_classes(void **state) {
  (void)state;
  dk_pcred c = {.uid = 1000, .gid = 100};
  dk_pobj o = {.uid = 1000, .gid = 100, .mode = 0100074};
  expect_pacl(&o, &c, DK_R, 0, "owner"); /* owner class: ---, even though group has r */
  c.uid = 1001;
  expect_pacl(&o, &c, DK_R, 1, "group");
  c.gid = 5;
  expect_pacl(&o, &c, DK_R, 1, "other");
}

static void test_pacl_acl_mask_and_groups(void **state) {
  (void)state;
  dk_acl_entry acl[] = {{DK_ACL_USER_OBJ, 0, 7}, {DK_ACL_USER, 1000, 7}, {DK_ACL_GROUP_OBJ, 0, 5},
                        {DK_ACL_GROUP, 10, DK_W},  {DK_ACL_GROUP, 11, DK_X}, {DK_ACL_MASK, 0, DK_R | DK_X},
                        {DK_ACL_OTHER, 0, 7}};
  dk_pobj o = {.uid = 0, .gid = 0, .mode = 0040757, .is_dir = 1, .acl = acl, .nacl = 7};
  dk_pcred u = {.uid = 1000, .gid = 1000};
  dk_pdecision d;
  dk_pacl_decide(&o, &u, DK_W, &d);
  assert_false(d.allowed);
  assert_string_equal(d.rule_kind, "mask");
  expect_pacl(&o, &u, DK_R, 1, "acl-user");
  /* in groups 10 and 11: x from 11 (within the mask), w|x from no single entry -> denied, other ignored */
  dk_pcred g = {.uid = 2000, .gid = 2000, .ngroups = 2, .groups = {10, 11}};
  expect_pacl(&o, &g, DK_X, 1, NULL);
  dk_pacl_decide(&o, &g, DK_W | DK_X, &d);
  assert_false(d.allowed);
  assert_non_null(strstr(d.text, "no single matching group entry"));
  /* nobody matches: other (rwx) applies */
  dk_pcred x = {.uid = 3000, .gid = 3000};
  expect_pacl(&o, &x, DK_W | DK_X, 1, "other");
}

static void test_pacl_capabilities(void **state) {
  (void)state;
  dk_pcred root = {.uid = 0, .gid = 0, .caps = DK_CAP_BIT(DK_CAP_DAC_OVERRIDE) | DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH)};
  dk_pobj f = {.uid = 5, .gid = 5, .mode = 0100644};
  expect_pacl(&f, &root, DK_X, 0, NULL); /* no x bit anywhere */
  f.mode = 0100600;
  expect_pacl(&f, &root, DK_W, 1, "capability");
  f.mode = 0100100;
  expect_pacl(&f, &root, DK_X, 1, NULL);
  dk_pcred rs = {.uid = 7, .gid = 7, .caps = DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH)};
  dk_pobj dir = {.uid = 0, .gid = 0, .mode = 0040700, .is_dir = 1};
  expect_pacl(&dir, &rs, DK_X, 1, NULL);
  expect_pacl(&dir, &rs, DK_W | DK_X, 0, NULL);
}

/* ---- SDDL and binary SDs ----------------------------------------------- */

static const char *HOSTS = "O:SYG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;ID;0x1200a9;;;AC)"
                           "(A;ID;0x1200a9;;;S-1-15-2-2)";

static void parse(const char *s, dk_sd *sd) {
  char err[256] = "";
  int rc = dk_sddl_parse(s, strlen(s), sd, err, sizeof err);
  if (rc != 0) fail_msg("%s: %s", s, err);
}

static void expect_sddl_error(const char *s, const char *needle) {
  dk_sd sd;
  char err[256] = "";
  assert_int_equal(dk_sddl_parse(s, strlen(s), &sd, err, sizeof err), -1);
  if (!strstr(err, needle)) fail_msg("'%s': error '%s' lacks '%s'", s, err, needle);
}

static void test_sddl_roundtrip(void **state) {
  (void)state;
  const char *cases[] = {HOSTS,
                         "O:BAG:BAD:PAI(A;OICI;FA;;;SY)(D;;WDWO;;;WD)(A;CIIO;GA;;;CO)S:(ML;;NW;;;HI)",
                         "D:NO_ACCESS_CONTROL",
                         "D:",
                         "O:S-1-5-21-1-2-3-500D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)",
                         "D:(OA;;RP;bf967aba-0de6-11d0-a285-00aa003049e2;;AU)",
                         "D:(A;;0x12019f;;;S-1-5-80-1-2-3-4-5)"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    dk_sd sd;
    parse(cases[i], &sd);
    char *out = dk_sddl_format(&sd);
    assert_non_null(out);
    assert_string_equal(out, cases[i]);
    uint8_t *bin;
    size_t len;
    assert_int_equal(dk_sd_to_binary(&sd, &bin, &len), 0);
    dk_sd back;
    char err[256];
    assert_int_equal(dk_sd_parse(bin, len, &back, err, sizeof err), 0);
    char *out2 = dk_sddl_format(&back);
    assert_string_equal(out2, cases[i]);
    free(out2);
    free(out);
    free(bin);
    dk_sd_free(&back);
    dk_sd_free(&sd);
  }
}

static void test_sddl_errors(void **state) {
  (void)state;
  expect_sddl_error("O:BAO:SY", "at offset 4: duplicate component 'O:'");
  expect_sddl_error("O:XX", "at offset 2: unknown SID alias 'XX'");
  expect_sddl_error("O:DA", "relative to a domain");
  expect_sddl_error("D:(A;;FA;;;BA", "at offset 13: ')' expected");
  expect_sddl_error("D:(Q;;FA;;;BA)", "unknown ACE type 'Q'");
  expect_sddl_error("D:(A;ZZ;FA;;;BA)", "at offset 5: unknown ACE flag 'ZZ'");
  expect_sddl_error("D:(A;;0x1FFFFFFFF;;;BA)", "larger than 32 bits");
  expect_sddl_error("D:(A;;FA;;;BA) ", "at offset 14: unexpected whitespace");
  expect_sddl_error("D:(A;;FA;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)", "more than 15 sub-authorities");
  expect_sddl_error("D:(XA;;FA;;;WD;(Member_of {SID(BA)}))", "conditional ACE expressions are not supported");
  expect_sddl_error("D:NO_ACCESS_CONTROL(A;;FA;;;WD)", "cannot have ACEs");
  expect_sddl_error("X:BA", "unknown component 'X:'");
  expect_sddl_error("", "empty SDDL");
  expect_sddl_error("D:(A;;FA;not-a-guid;;BA)", "only allowed in object ACEs");
}

static void sd_bytes(const char *sddl, uint8_t **bin, size_t *len) {
  dk_sd sd;
  parse(sddl, &sd);
  assert_int_equal(dk_sd_to_binary(&sd, bin, len), 0);
  dk_sd_free(&sd);
}

static void expect_bin_error(const uint8_t *b, size_t len, const char *needle) {
  dk_sd sd;
  char err[256] = "";
  assert_int_equal(dk_sd_parse(b, len, &sd, err, sizeof err), -1);
  if (!strstr(err, needle)) fail_msg("error '%s' lacks '%s'", err, needle);
}

static void test_binary_lies(void **state) {
  (void)state;
  uint8_t *b;
  size_t len;
  sd_bytes("D:(A;;FA;;;BA)(A;;FR;;;BU)", &b, &len);
  /* layout: header 20, DACL at 20: ACL header 8, ACE0 at 28 */
  size_t dacl = 20;
  assert_int_equal(b[16], dacl);
  /* ACE count larger than the ACL */
  b[dacl + 4] = 9;
  expect_bin_error(b, len, "declares 9 ACEs");
  b[dacl + 4] = 3;
  expect_bin_error(b, len, "ACE #2");
  b[dacl + 4] = 2;
  /* ACE size 0 */
  b[dacl + 8 + 2] = 0;
  b[dacl + 8 + 3] = 0;
  expect_bin_error(b, len, "ACE #0 at offset 0x1c: size 0");
  free(b);

  sd_bytes("O:BA", &b, &len);
  /* SID with 16 sub-authorities */
  size_t own = b[4];
  b[own + 1] = 16;
  expect_bin_error(b, len, "16 sub-authorities");
  b[own + 1] = 2;
  /* offsets out of range */
  b[4] = 0xF0;
  expect_bin_error(b, len, "owner SID at offset 0xf0");
  b[4] = (uint8_t)own;
  expect_bin_error(b, 19, "the header alone is 20");
  b[2] = 0;
  b[3] = 0;
  expect_bin_error(b, len, "SE_SELF_RELATIVE");
  b[0] = 2;
  expect_bin_error(b, len, "revision 2");
  free(b);

  sd_bytes("D:(A;;FA;;;BA)", &b, &len);
  b[dacl + 2] = 0xFF; /* AclSize past the end */
  expect_bin_error(b, len, "runs past the end");
  b[dacl + 2] = 4;
  b[dacl + 3] = 0;
  expect_bin_error(b, len, "smaller than its header");
  free(b);
  /* truncated everywhere: never a crash, always an error or success */
  sd_bytes(HOSTS, &b, &len);
  for (size_t n = 0; n < len; n++) {
    dk_sd sd;
    char err[256];
    if (dk_sd_parse(b, n, &sd, err, sizeof err) == 0) dk_sd_free(&sd);
    else assert_true(strlen(err) > 0);
  }
  free(b);
}

/* ---- AccessCheck --------------------------------------------------------- */

static dk_token_group groups_filtered[8], groups_elevated[8];

static void make_tokens(dk_token *filtered, dk_token *elevated) {
  const char *sids[] = {"WD", "BA", "BU", "IU", "AU"};
  char err[100];
  memset(filtered, 0, sizeof *filtered);
  dk_sid_from_string("S-1-5-21-1-2-3-1001", &filtered->user, err, sizeof err);
  for (int i = 0; i < 5; i++) {
    dk_sid_from_string(sids[i], &groups_filtered[i].sid, err, sizeof err);
    groups_filtered[i].attributes = i == 1 ? DK_GROUP_USE_FOR_DENY_ONLY : DK_GROUP_ENABLED;
    groups_elevated[i] = groups_filtered[i];
    groups_elevated[i].attributes = DK_GROUP_ENABLED;
  }
  filtered->groups = groups_filtered;
  filtered->ngroups = 5;
  filtered->integrity = 0x2000;
  filtered->no_write_up = 1;
  filtered->privileges = DK_PRIV_CHANGE_NOTIFY;
  *elevated = *filtered;
  elevated->groups = groups_elevated;
  elevated->integrity = 0x3000;
}

static dk_check_result eval(const char *sddl, const dk_token *t, uint32_t desired, const char *type) {
  dk_sd sd;
  parse(sddl, &sd);
  dk_check_result r;
  assert_int_equal(dk_access_evaluate(&sd, t, desired, dk_mapping_find(type), NULL, &r), 0);
  dk_sd_free(&sd);
  return r;
}

/* Evaluates sddl for t: the verdict must be allowed (1) or denied (0). */
static void expect_verdict(const char *sddl, const dk_token *t, uint32_t desired, const char *type, int allowed) {
  dk_check_result r = eval(sddl, t, desired, type);
  if (allowed)
    assert_true(r.allowed);
  else
    assert_false(r.allowed);
  dk_check_result_free(&r);
}

static void test_hosts_filtered_vs_elevated(void **state) {
  (void)state;
  dk_token f, e;
  make_tokens(&f, &e);
  dk_check_result r = eval(HOSTS, &f, 0x2 /* FILE_WRITE_DATA */, "file");
  assert_false(r.allowed);
  assert_int_equal(r.missing, 0x2);
  assert_int_equal(r.denied_by, -1);
  assert_int_equal(r.steps[1].outcome, DK_STEP_DENY_ONLY);
  dk_check_result_free(&r);
  r = eval(HOSTS, &f, DK_GENERIC_READ, "file");
  assert_true(r.allowed);
  assert_int_equal(r.bit_ace[0], 2); /* FILE_READ_DATA from BU */
  dk_check_result_free(&r);
  r = eval(HOSTS, &e, 0x2, "file");
  assert_true(r.allowed);
  assert_int_equal(r.bit_ace[1], 1); /* ACE #1 (BA) */
  dk_check_result_free(&r);
}

static void test_order_and_deny_only(void **state) {
  (void)state;
  dk_token f, e;
  make_tokens(&f, &e);
  expect_verdict("D:(A;;FA;;;WD)(D;;FA;;;BU)", &f, 0x2, "file", 1); /* the allow came first */
  dk_check_result r = eval("D:(D;;FA;;;BU)(A;;FA;;;WD)", &f, 0x2, "file");
  assert_false(r.allowed);
  assert_int_equal(r.denied_by, 0);
  assert_int_equal(r.denied_bits, 0x2);
  dk_check_result_free(&r);
  r = eval("D:(D;;FA;;;BA)(A;;FA;;;WD)", &f, 0x1, "file"); /* deny-only SIDs match deny ACEs */
  assert_false(r.allowed);
  assert_int_equal(r.denied_by, 0);
  dk_check_result_free(&r);
  r = eval("D:(A;OICIIO;FA;;;WD)", &f, 0x1, "file"); /* inherit-only does not apply */
  assert_false(r.allowed);
  assert_int_equal(r.steps[0].outcome, DK_STEP_INHERIT_ONLY);
  dk_check_result_free(&r);
  expect_verdict("D:(A;;GA;;;WD)", &f, 0x2, "file", 1); /* generic bits in an ACE are mapped */
}

static void test_null_empty_owner(void **state) {
  (void)state;
  dk_token f, e;
  make_tokens(&f, &e);
  dk_check_result r = eval("D:NO_ACCESS_CONTROL", &f, 0x1F01FF, "file");
  assert_true(r.allowed);
  assert_true(r.null_dacl);
  dk_check_result_free(&r);
  r = eval("D:", &f, 0x1, "file");
  assert_false(r.allowed);
  assert_true(r.empty_dacl);
  dk_check_result_free(&r);
  r = eval("O:S-1-5-21-1-2-3-1001D:", &f, DK_READ_CONTROL | DK_WRITE_DAC, "file");
  assert_true(r.allowed); /* owner implicit rights */
  assert_int_equal(r.owner_granted, DK_READ_CONTROL | DK_WRITE_DAC);
  dk_check_result_free(&r);
  /* OWNER RIGHTS replaces the implicit rights */
  expect_verdict("O:S-1-5-21-1-2-3-1001D:(A;;FR;;;OW)", &f, DK_WRITE_DAC, "file", 0);
  expect_verdict("O:BAD:", &f, DK_WRITE_DAC, "file", 0); /* BA deny-only: not the owner */
  expect_verdict("O:BAD:", &e, DK_WRITE_DAC, "file", 1);
}

static void test_integrity_and_privileges(void **state) {
  (void)state;
  dk_token f, e;
  make_tokens(&f, &e);
  const char *labelled = "D:(A;;FA;;;WD)S:(ML;;NW;;;HI)";
  dk_check_result r = eval(labelled, &f, 0x2, "file");
  assert_false(r.allowed);
  assert_int_equal(r.mic_blocked, 0x2);
  dk_check_result_free(&r);
  expect_verdict(labelled, &f, 0x1, "file", 1);
  expect_verdict(labelled, &e, 0x2, "file", 1);
  f.integrity = 0x1000; /* low: unlabelled objects are medium, no-write-up */
  expect_verdict("D:(A;;FA;;;WD)", &f, DK_DELETE, "file", 0);
  f.integrity = 0x2000;
  expect_verdict("D:(D;;FA;;;WD)", &f, DK_WRITE_OWNER, "file", 0);
  f.privileges |= DK_PRIV_TAKE_OWNERSHIP;
  r = eval("D:(D;;FA;;;WD)", &f, DK_WRITE_OWNER, "file");
  assert_true(r.allowed); /* privileges come before the DACL */
  assert_int_equal(r.privilege_granted, DK_WRITE_OWNER);
  dk_check_result_free(&r);
  r = eval("D:(A;;FA;;;WD)", &f, DK_ACCESS_SYSTEM_SECURITY, "file");
  assert_false(r.allowed);
  assert_true(r.system_security_denied);
  dk_check_result_free(&r);
  /* registry: KEY_WOW64_64KEY is stripped */
  expect_verdict("D:(A;;KR;;;WD)", &f, 0x20019 | 0x100, "key", 1);
}

static void test_restricted_and_max(void **state) {
  (void)state;
  dk_token f, e;
  make_tokens(&f, &e);
  dk_sid restricted[1];
  char err[64];
  dk_sid_from_string("WD", &restricted[0], err, sizeof err);
  f.restricted = restricted;
  f.nrestricted = 1;
  /* BU grants write, but the restricted pass (WD) grants only read */
  expect_verdict("D:(A;;FA;;;BU)(A;;FR;;;WD)", &f, 0x2, "file", 0);
  expect_verdict("D:(A;;FA;;;BU)(A;;FR;;;WD)", &f, 0x1, "file", 1);
  f.nrestricted = 0;
  dk_check_result r = eval("D:(D;;0x2;;;WD)(A;;FA;;;WD)", &f, DK_MAXIMUM_ALLOWED, "file");
  assert_true(r.allowed);
  assert_int_equal(r.granted & 0x2, 0);
  assert_int_equal(r.granted & 0x1, 0x1);
  dk_check_result_free(&r);
}

static void test_rights_names(void **state) {
  (void)state;
  char buf[512];
  dk_rights_names(0x1200a9, "file", buf, sizeof buf);
  assert_string_equal(buf, "FILE_READ_DATA, FILE_READ_EA, FILE_EXECUTE, FILE_READ_ATTRIBUTES, READ_CONTROL, "
                           "SYNCHRONIZE");
  uint32_t m;
  assert_int_equal(dk_rights_parse("FILE_WRITE_DATA|READ_CONTROL", &m, buf, sizeof buf), 0);
  assert_int_equal(m, 0x20002);
  assert_int_equal(dk_rights_parse("KEY_READ", &m, buf, sizeof buf), 0);
  assert_int_equal(m, 0x20019);
  assert_int_equal(dk_rights_parse("NOPE", &m, buf, sizeof buf), -1);
}

TU_MAIN(test_pacl_mode_classes, test_pacl_acl_mask_and_groups, test_pacl_capabilities, test_sddl_roundtrip,
    test_sddl_errors, test_binary_lies, test_hosts_filtered_vs_elevated, test_order_and_deny_only,
    test_null_empty_owner, test_integrity_and_privileges, test_restricted_and_max,
    test_rights_names TU_WIN32_ONLY(test_win_live))
