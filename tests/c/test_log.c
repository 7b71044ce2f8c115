/*
** diagkit.log core: lines (LF, CRLF, no final LF, empty, NUL bytes), tail,
** PCRE2 compile errors and limits, multi-pattern scan, file mapping.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static const dkl_limits default_limits = {10000000, 100000, 65536};

static void lines(void **state) {
  (void)state;
  static const char buf[] = "one\r\ntwo\n\nfo\0ur";
  size_t size = sizeof buf - 1, pos = 0, st, len;
  const char *want[] = {"one", "two", "", "fo\0ur"};
  size_t want_len[] = {3, 3, 0, 5};
  size_t want_off[] = {0, 5, 9, 10};
  for (int i = 0; i < 4; i++) {
    assert_true(dkl_next_line(buf, size, &pos, &st, &len));
    assert_int_equal(len, want_len[i]);
    assert_int_equal(st, want_off[i]);
    assert_memory_equal(buf + st, want[i], len);
  }
  assert_false(dkl_next_line(buf, size, &pos, &st, &len));
  pos = 0;
  assert_false(dkl_next_line("", 0, &pos, &st, &len));
  /* a lone CR not before LF stays in the line */
  pos = 0;
  assert_true(dkl_next_line("a\rb", 3, &pos, &st, &len));
  assert_int_equal(len, 3);
}

static void tail(void **state) {
  (void)state;
  const char *s = "a\nb\nc\n";
  assert_int_equal(dkl_tail_start(s, 6, 1), 4);
  assert_int_equal(dkl_tail_start(s, 6, 2), 2);
  assert_int_equal(dkl_tail_start(s, 6, 3), 0);
  assert_int_equal(dkl_tail_start(s, 6, 99), 0);
  assert_int_equal(dkl_tail_start(s, 6, 0), 6);
  assert_int_equal(dkl_tail_start("a\nb", 3, 1), 2);
  assert_int_equal(dkl_tail_start("", 0, 3), 0);
}

static void flags(void **state) {
  (void)state;
  assert_int_equal(dkl_parse_flags("imsx", 4), DKL_CASELESS | DKL_MULTILINE | DKL_DOTALL | DKL_EXTENDED);
  assert_int_equal(dkl_parse_flags("uU", 2), DKL_UTF | DKL_UNGREEDY);
  assert_int_equal(dkl_parse_flags("q", 1), -1);
}

static void compile_and_match(void **state) {
  (void)state;
  dkl_mctx c;
  assert_int_equal(dkl_mctx_init(&c, &default_limits), 0);
  dkl_rx rx;
  char msg[128];
  size_t off = 99;
  assert_int_equal(dkl_rx_compile(&rx, "ab(c", 4, 0, msg, sizeof msg, &off), -1);
  assert_int_equal(off, 4);
  assert_non_null(strstr(msg, "parenthesis"));
  assert_int_equal(dkl_rx_compile(&rx, "(\\w+)@(\\d+)", 11, 0, msg, sizeof msg, &off), 0);
  assert_int_equal(rx.ncap, 2);
  const char *s = "x user@42 y";
  assert_int_equal(dkl_rx_exec(&rx, &c, s, strlen(s), 0, 0), 3);
  const size_t *ov = dkl_rx_ovector(&rx);
  assert_int_equal(ov[0], 2);
  assert_int_equal(ov[1], 9);
  assert_int_equal(ov[4], 7);
  assert_int_equal(dkl_rx_exec(&rx, &c, s, strlen(s), 3, 0), 3); /* "ser@42" */
  assert_int_equal(dkl_rx_exec(&rx, &c, s, strlen(s), 10, 0), 0);
  assert_int_equal(dkl_rx_exec(&rx, &c, s, strlen(s), 99, 0), 0);
  dkl_rx_free(&rx);
  /* caseless, and binary subjects */
  assert_int_equal(dkl_rx_compile(&rx, "PANIC", 5, DKL_CASELESS, msg, sizeof msg, &off), 0);
  assert_int_equal(dkl_rx_exec(&rx, &c, "\0\xff panic", 8, 0, 0), 1);
  dkl_rx_free(&rx);
  /* UTF mode tolerates invalid UTF-8 in the subject */
  assert_int_equal(dkl_rx_compile(&rx, "\xc3\xa9t\xc3\xa9", 6, DKL_UTF, msg, sizeof msg, &off), 0);
  assert_int_equal(dkl_rx_exec(&rx, &c, "\xff\xfe \xc3\xa9t\xc3\xa9", 9, 0, 0), 1);
  dkl_rx_free(&rx);
  dkl_mctx_free(&c);
}

static void match_limit(void **state) {
  (void)state;
  dkl_limits lim = {1000, 1000, 1024};
  dkl_mctx c;
  assert_int_equal(dkl_mctx_init(&c, &lim), 0);
  dkl_rx rx;
  char msg[128];
  size_t off;
  /* catastrophic backtracking that auto-possessification cannot remove */
  const char *pat = "^(\\w+\\s?)*$";
  assert_int_equal(dkl_rx_compile(&rx, pat, strlen(pat), 0, msg, sizeof msg, &off), 0);
  const char *s = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
  int rc = dkl_rx_exec(&rx, &c, s, strlen(s), 0, 0);
  assert_true(rc < 0);
  dkl_rx_error(rc, msg, sizeof msg);
  assert_non_null(strstr(msg, "limit"));
  dkl_rx_free(&rx);
  dkl_mctx_free(&c);
}

typedef struct hits {
  size_t n[2];
  size_t last_line[2];
  size_t stop_after;
} hits;

static int on_match(void *ud, size_t k, size_t lineno, size_t off, const char *line, size_t len, const dkl_rx *rx,
                    int rc) {
  hits *h = ud;
  (void)off;
  (void)line;
  (void)len;
  (void)rx;
  (void)rc;
  h->n[k]++;
  h->last_line[k] = lineno;
  return h->stop_after && h->n[0] + h->n[1] >= h->stop_after;
}

static void scan(void **state) {
  (void)state;
  dkl_mctx c;
  assert_int_equal(dkl_mctx_init(&c, &default_limits), 0);
  dkl_rx a, b;
  char msg[128];
  size_t off;
  assert_int_equal(dkl_rx_compile(&a, "ERROR", 5, 0, msg, sizeof msg, &off), 0);
  assert_int_equal(dkl_rx_compile(&b, "^WARN", 5, 0, msg, sizeof msg, &off), 0);
  dkl_rx *set[2] = {&a, &b};
  const char *log = "INFO ok\r\nWARN disk\nERROR x\nINFO WARN not at start\nERROR y ERROR z\n";
  hits h = {{0, 0}, {0, 0}, 0};
  dkl_scan_stats st;
  assert_int_equal(dkl_scan(log, strlen(log), set, 2, &c, on_match, &h, &st), 0);
  assert_int_equal(h.n[0], 2); /* once per line */
  assert_int_equal(h.n[1], 1);
  assert_int_equal(h.last_line[0], 5);
  assert_int_equal(st.lines, 5);
  assert_int_equal(st.bytes, strlen(log));
  hits h2 = {{0, 0}, {0, 0}, 2};
  assert_int_equal(dkl_scan(log, strlen(log), set, 2, &c, on_match, &h2, &st), 1);
  assert_int_equal(st.lines, 3);
  dkl_rx_free(&a);
  dkl_rx_free(&b);
  dkl_mctx_free(&c);
}

static void map_file(void **state) {
  (void)state;
  dk_filebuf m;
  dk_err e;
  const unsigned fl = DK_FILE_SEQUENTIAL | DK_FILE_STREAMS;
  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests/fixtures/go/recorded/go1.19.8/linux/race.txt", fl, 0, &e), 0);
  assert_int_equal(m.size, 550);
  assert_memory_equal(m.data, "==================\n", 19);
  dk_file_close(&m);
  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/no/such/file", fl, 0, &e), -1);
  assert_string_equal(e.code, "ENOENT");
  assert_non_null(strstr(e.msg, "no/such/file"));
  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests", fl, 0, &e), -1);
  assert_non_null(e.code);
  /* an empty file maps to an empty buffer */
  char path[512];
  snprintf(path, sizeof path, "%s/test_log_empty.txt", DK_BINARY_DIR);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(dk_file_open(&m, path, fl, 0, &e), 0);
  assert_int_equal(m.size, 0);
  assert_non_null(m.data);
  dk_file_close(&m);
  remove(path);
}

/* The seeds of the gzip fuzz target were written by gzip(1): one member, two
** members, and the first 15 bytes of the first. */
static void gunzip_files(void **state) {
  (void)state;
  dk_filebuf m;
  char msg[256];
  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests/fuzz/corpus/gunzip/small.gz", 0, 0, NULL), 0);
  assert_true(dkl_is_gzip(&m));
  assert_null(dkl_gunzip(&m, "small.gz", 1 << 20, msg, sizeof msg));
  assert_int_equal(m.size, 12);
  assert_memory_equal(m.data, "hello\nworld\n", 12);
  dk_file_close(&m);

  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests/fuzz/corpus/gunzip/two-members.gz", 0, 0, NULL), 0);
  assert_null(dkl_gunzip(&m, "two-members.gz", 1 << 20, msg, sizeof msg));
  assert_int_equal(m.size, 4);
  assert_memory_equal(m.data, "a\nb\n", 4);
  dk_file_close(&m);

  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests/fuzz/corpus/gunzip/small.gz", 0, 0, NULL), 0);
  assert_string_equal(dkl_gunzip(&m, "small.gz", 5, msg, sizeof msg), "EFBIG");
  assert_non_null(strstr(msg, "more than 5 bytes"));
  assert_int_equal(m.size, 32); /* unchanged on failure */
  dk_file_close(&m);

  assert_int_equal(dk_file_open(&m, DK_SOURCE_DIR "/tests/fuzz/corpus/gunzip/truncated.gz", 0, 0, NULL), 0);
  assert_string_equal(dkl_gunzip(&m, "truncated.gz", 1 << 20, msg, sizeof msg), "EINVAL");
  assert_non_null(strstr(msg, "truncated at byte 15"));
  dk_file_close(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lines), cmocka_unit_test(tail),        cmocka_unit_test(flags), cmocka_unit_test(compile_and_match),
      cmocka_unit_test(match_limit), cmocka_unit_test(scan), cmocka_unit_test(map_file),
      cmocka_unit_test(gunzip_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
