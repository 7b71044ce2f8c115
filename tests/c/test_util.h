/*
** What the cmocka suites in tests/c share: the headers cmocka needs, reading
** a fixture into memory, writing a file, paths under the source and build
** trees, a scratch folder, and the main() that runs a list of tests.
** Include it first: it asks for POSIX (mkdtemp) when the file did not, and
** for mingw-w64's C99 printf before any system header.
*/
#ifndef DK_TEST_UTIL_H
#define DK_TEST_UTIL_H

#if !defined(_WIN32) && !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif
#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1 /* C99 printf (%zu) on mingw-w64, as modules/support/dk_err.h */
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dk_bytes.h"

/* A path under the source tree or the build tree, as a string literal. */
#define TU_SRC(rel) DK_SOURCE_DIR "/" rel
#define TU_BIN(rel) DK_BINARY_DIR "/" rel

/* Elements in an array. */
#define TU_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A whole file in memory; p holds n bytes and a '\0' after them. */
typedef struct tu_blob {
  uint8_t *p;
  size_t n;
} tu_blob;

/* Reads path into *b: 0, or -1 when it cannot be opened or read (b->p is then NULL). */
static inline int tu_load(const char *path, tu_blob *b) {
  b->p = NULL;
  b->n = 0;
  FILE *f = fopen(path, "rb");
  if (f == NULL) return -1;
  size_t cap = 1 << 16;
  b->p = malloc(cap);
  assert_non_null(b->p);
  for (;;) {
    if (cap - b->n < 2) {
      cap *= 2;
      b->p = realloc(b->p, cap);
      assert_non_null(b->p);
    }
    size_t k = fread(b->p + b->n, 1, cap - b->n - 1, f);
    if (k == 0) break;
    b->n += k;
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(b->p);
    b->p = NULL;
    b->n = 0;
    return -1;
  }
  b->p[b->n] = '\0';
  return 0;
}

/* Reads path, failing the test when it cannot. */
static inline tu_blob tu_must_load(const char *path) {
  tu_blob b;
  if (tu_load(path, &b) != 0) fail_msg("cannot read %s", path);
  return b;
}

/* Writes n bytes to path (replacing it), failing the test when it cannot. */
static inline void tu_write_file(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) fail_msg("cannot write %s", path);
  assert_int_equal(fwrite(data, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

/* Little-endian integers written into byte buffers (the on-disk formats the
   parsers read; reading them back: dk_rd32le and friends, dk_bytes.h). */
static inline void tu_put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void tu_put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tu_put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* dir/name into buf. */
static inline const char *tu_join(char *buf, size_t cap, const char *dir, const char *name) {
  if ((size_t)snprintf(buf, cap, "%s/%s", dir, name) >= cap) fail_msg("path too long: %s/%s", dir, name);
  return buf;
}

#ifndef _WIN32
/* A new empty folder /tmp/<prefix>.XXXXXX, its path in dir: 0 or -1. */
static inline int tu_temp_dir(char *dir, size_t cap, const char *prefix) {
  if ((size_t)snprintf(dir, cap, "/tmp/%s.XXXXXX", prefix) >= cap) return -1;
  return mkdtemp(dir) ? 0 : -1;
}

/* Removes a folder made by tu_temp_dir and all it holds: 0 or -1. */
static inline int tu_remove_tree(const char *dir) {
  char cmd[1024];
  if ((size_t)snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) >= sizeof cmd) return -1;
  return system(cmd) == 0 ? 0 : -1;
}
#endif

/* TU_MAP(m, a, b, c) is m(a), m(b), m(c); up to 32 arguments. */
#define TU_MAP_(m, x) m(x)
#define TU_MAP1(m, x) TU_MAP_(m, x)
#define TU_MAP2(m, x, ...) TU_MAP_(m, x), TU_MAP1(m, __VA_ARGS__)
#define TU_MAP3(m, x, ...) TU_MAP_(m, x), TU_MAP2(m, __VA_ARGS__)
#define TU_MAP4(m, x, ...) TU_MAP_(m, x), TU_MAP3(m, __VA_ARGS__)
#define TU_MAP5(m, x, ...) TU_MAP_(m, x), TU_MAP4(m, __VA_ARGS__)
#define TU_MAP6(m, x, ...) TU_MAP_(m, x), TU_MAP5(m, __VA_ARGS__)
#define TU_MAP7(m, x, ...) TU_MAP_(m, x), TU_MAP6(m, __VA_ARGS__)
#define TU_MAP8(m, x, ...) TU_MAP_(m, x), TU_MAP7(m, __VA_ARGS__)
#define TU_MAP9(m, x, ...) TU_MAP_(m, x), TU_MAP8(m, __VA_ARGS__)
#define TU_MAP10(m, x, ...) TU_MAP_(m, x), TU_MAP9(m, __VA_ARGS__)
#define TU_MAP11(m, x, ...) TU_MAP_(m, x), TU_MAP10(m, __VA_ARGS__)
#define TU_MAP12(m, x, ...) TU_MAP_(m, x), TU_MAP11(m, __VA_ARGS__)
#define TU_MAP13(m, x, ...) TU_MAP_(m, x), TU_MAP12(m, __VA_ARGS__)
#define TU_MAP14(m, x, ...) TU_MAP_(m, x), TU_MAP13(m, __VA_ARGS__)
#define TU_MAP15(m, x, ...) TU_MAP_(m, x), TU_MAP14(m, __VA_ARGS__)
#define TU_MAP16(m, x, ...) TU_MAP_(m, x), TU_MAP15(m, __VA_ARGS__)
#define TU_MAP17(m, x, ...) TU_MAP_(m, x), TU_MAP16(m, __VA_ARGS__)
#define TU_MAP18(m, x, ...) TU_MAP_(m, x), TU_MAP17(m, __VA_ARGS__)
#define TU_MAP19(m, x, ...) TU_MAP_(m, x), TU_MAP18(m, __VA_ARGS__)
#define TU_MAP20(m, x, ...) TU_MAP_(m, x), TU_MAP19(m, __VA_ARGS__)
#define TU_MAP21(m, x, ...) TU_MAP_(m, x), TU_MAP20(m, __VA_ARGS__)
#define TU_MAP22(m, x, ...) TU_MAP_(m, x), TU_MAP21(m, __VA_ARGS__)
#define TU_MAP23(m, x, ...) TU_MAP_(m, x), TU_MAP22(m, __VA_ARGS__)
#define TU_MAP24(m, x, ...) TU_MAP_(m, x), TU_MAP23(m, __VA_ARGS__)
#define TU_MAP25(m, x, ...) TU_MAP_(m, x), TU_MAP24(m, __VA_ARGS__)
#define TU_MAP26(m, x, ...) TU_MAP_(m, x), TU_MAP25(m, __VA_ARGS__)
#define TU_MAP27(m, x, ...) TU_MAP_(m, x), TU_MAP26(m, __VA_ARGS__)
#define TU_MAP28(m, x, ...) TU_MAP_(m, x), TU_MAP27(m, __VA_ARGS__)
#define TU_MAP29(m, x, ...) TU_MAP_(m, x), TU_MAP28(m, __VA_ARGS__)
#define TU_MAP30(m, x, ...) TU_MAP_(m, x), TU_MAP29(m, __VA_ARGS__)
#define TU_MAP31(m, x, ...) TU_MAP_(m, x), TU_MAP30(m, __VA_ARGS__)
#define TU_MAP32(m, x, ...) TU_MAP_(m, x), TU_MAP31(m, __VA_ARGS__)
#define TU_NARGS_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, _18, _19, _20, _21, \
                  _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, n, ...)                                 \
  n
#define TU_NARGS(...)                                                                                             \
  TU_NARGS_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, \
            10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define TU_CAT_(a, b) a##b
#define TU_CAT(a, b) TU_CAT_(a, b)
#define TU_MAP(m, ...) TU_CAT(TU_MAP, TU_NARGS(__VA_ARGS__))(m, __VA_ARGS__)

/* Runs the named test functions as one group (setup and teardown may be NULL);
   the statement returns from the enclosing function (main) with cmocka's result. */
#define TU_RUN_TESTS(setup, teardown, ...)                                 \
  do {                                                                     \
    const struct CMUnitTest tests[] = {TU_MAP(cmocka_unit_test, __VA_ARGS__)}; \
    return cmocka_run_group_tests(tests, setup, teardown);                 \
  } while (0)

/* In a TU_RUN_TESTS / TU_MAIN list, after a test name: ", names" on POSIX
   (TU_POSIX_ONLY) or on Windows (TU_WIN32_ONLY), nothing elsewhere. */
#ifdef _WIN32
#define TU_POSIX_ONLY(...)
#define TU_WIN32_ONLY(...) , __VA_ARGS__
#else
#define TU_POSIX_ONLY(...) , __VA_ARGS__
#define TU_WIN32_ONLY(...)
#endif

/* int main(void) that runs the named test functions (no group setup). */
#define TU_MAIN(...)                 \
  int main(void) {                   \
    TU_RUN_TESTS(NULL, NULL, __VA_ARGS__); \
  }

#endif
