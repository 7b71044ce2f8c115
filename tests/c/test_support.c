/*
** modules/support: errors, UTF-16 <-> UTF-8, the growable string, the file layer (kinds of file,
** size caps, FIFOs that must not block) and the Lua helpers.
*/
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L /* truncate, mkfifo */
#endif
#include "test_util.h" /* first: printf on mingw-w64 */

#include "dk_buf.h"
#include "dk_err.h"
#include "dk_file.h"
#include "dk_lua.h"
#include "dk_text.h"
#include "lualib.h"

#ifndef _WIN32
#include <sys/stat.h>
#include <unistd.h>
#endif

static void errors(void **state) {
  (void)state;
  dk_err e;
  dk_err_clear(&e);
  assert_null(e.code);
  assert_int_equal(dk_err_at(&e, "DK_BAD_FORMAT", 4096, "chunk %d: bad magic", 3), -1);
  assert_string_equal(e.code, "DK_BAD_FORMAT");
  assert_string_equal(e.msg, "chunk 3: bad magic");
  assert_int_equal(e.offset, 4096);
  assert_int_equal(dk_err_set(&e, "ENOENT", "x"), -1);
  assert_int_equal(e.offset, -1); /* a new error forgets the old offset */
  assert_int_equal(dk_err_set(NULL, "ENOENT", "dropped"), -1);
  char buf[8];
  assert_int_equal(dk_fail(buf, sizeof buf, "%s", "truncated message"), -1);
  assert_string_equal(buf, "truncat");
#ifndef _WIN32
  assert_string_equal(dk_errno_code(2), "ENOENT");
  assert_string_equal(dk_errno_code(-12345), "EIO");
  dk_err_errno(&e, 21, "/tmp");
  assert_string_equal(e.code, "EISDIR");
  assert_string_equal(e.msg, "/tmp: is a directory");
#else
  assert_string_equal(dk_win32_code(2), "ENOENT");
  assert_string_equal(dk_win32_code(32), "EACCES");
  dk_err_win32(&e, 5, "C:\\x");
  assert_string_equal(e.code, "EACCES");
  assert_non_null(strstr(e.msg, "(error 5)"));
#endif
}

static void utf16(void **state) {
  (void)state;
  /* "Zoë", U+1F600 as a pair, a lone high surrogate, a lone low one, NUL, "x" */
  static const uint8_t in[] = {'Z', 0, 'o', 0, 0xEB, 0, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8,
                               'a', 0, 0x00, 0xDC, 0,   0, 'x',  0};
  char out[64];
  size_t n = dk_utf16le_to_utf8(in, sizeof in, DK_UTF16_STOP_NUL, out, sizeof out);
  assert_string_equal(out, "Zo\xC3\xAB\xF0\x9F\x98\x80\xEF\xBF\xBD"
                           "a\xEF\xBF\xBD");
  assert_int_equal(n, strlen(out));
  n = dk_utf16le_to_utf8(in, sizeof in, 0, out, sizeof out);
  assert_int_equal(n, strlen(out) + 1 + 1); /* the NUL unit and "x" kept */
  /* truncation never splits a character: 5 bytes hold "Zo" + NUL, not half of ë */
  n = dk_utf16le_to_utf8(in, sizeof in, 0, out, 4);
  assert_string_equal(out, "Zo");
  assert_int_equal(n, 2);
  n = dk_utf16le_to_utf8(in, 5, 0, out, sizeof out); /* odd length: the last byte ignored */
  assert_string_equal(out, "Zo");
  size_t len;
  char *s = dk_utf16le_to_utf8_alloc(in, 8, 0, &len);
  assert_non_null(s);
  assert_int_equal(len, 4 + 3); /* "Zoë" and U+FFFD for the pair cut in half */
  free(s);
  assert_true(dk_utf16le_valid(in, 10));
  assert_false(dk_utf16le_valid(in, sizeof in));
  assert_false(dk_utf16le_valid(in, 8)); /* ends inside a pair */

  uint8_t w[64];
  const char *u = "Zo\xC3\xAB\xF0\x9F\x98\x80";
  size_t wn = dk_utf8_to_utf16le(u, strlen(u), w, sizeof w);
  assert_int_equal(wn, 10);
  assert_memory_equal(w, in, 10);
  assert_int_equal(dk_utf8_to_utf16le("\xC0\x80", 2, w, sizeof w), (size_t)-1);     /* overlong */
  assert_int_equal(dk_utf8_to_utf16le("\xED\xA0\x80", 3, w, sizeof w), (size_t)-1); /* surrogate */
  assert_int_equal(dk_utf8_to_utf16le("\xE2\x82", 2, w, sizeof w), (size_t)-1);     /* cut short */
  assert_int_equal(dk_utf8_to_utf16le("abc", 3, w, 4), (size_t)-1);                 /* no room */
  static const uint8_t latin1[] = {'c', 0xE9};
  dk_latin1_to_utf8(latin1, 2, out, sizeof out);
  assert_string_equal(out, "c\xC3\xA9");
  dk_latin1_to_utf8(latin1, 2, out, 3);
  assert_string_equal(out, "c");
}

/* The ASCII fast path (cap >= DK_UTF16_UTF8_MAX) and the checked path agree,
** on runs longer than 4 units broken by non-ASCII, a pair and a NUL. */
static void utf16_runs(void **state) {
  (void)state;
  const char *u = "abcdefgh\xC3\xA9ijklmnopq\xF0\x9F\x98\x80rstuvwxyz0123456789";
  uint8_t w[256];
  size_t wn = dk_utf8_to_utf16le(u, strlen(u), w, sizeof w);
  assert_true(wn != (size_t)-1);
  char big[DK_UTF16_UTF8_MAX(256)], small[128];
  for (size_t n = 0; n <= wn; n++) {
    size_t a = dk_utf16le_to_utf8(w, n, 0, big, DK_UTF16_UTF8_MAX(n));
    size_t b = dk_utf16le_to_utf8(w, n, 0, small, DK_UTF16_UTF8_MAX(n) - 1);
    assert_true(b <= a);
    assert_memory_equal(big, small, b); /* the checked path only stops earlier */
    if (b == a) assert_int_equal(big[a], '\0');
  }
  assert_string_equal(big, u);
  /* a NUL unit inside the first 4: STOP_NUL ends there, else it is kept */
  static const uint8_t z[] = {'a', 0, 'b', 0, 0, 0, 'c', 0, 'd', 0, 'e', 0, 'f', 0, 'g', 0};
  assert_int_equal(dk_utf16le_to_utf8(z, sizeof z, DK_UTF16_STOP_NUL, big, sizeof big), 2);
  assert_string_equal(big, "ab");
  assert_int_equal(dk_utf16le_to_utf8(z, sizeof z, 0, big, sizeof big), 8);
  assert_memory_equal(big, "ab\0cdefg", 9);
}

static void buf_text(void **state) {
  (void)state;
  dk_buf b = {0};
  assert_null(b.p);
  dk_buf_adds(&b, "abc");
  dk_buf_addc(&b, '-');
  dk_buf_add(&b, "xyz", 2);
  assert_string_equal(b.p, "abc-xy");
  assert_int_equal(b.len, 6);
  /* growth well past the first block, always terminated */
  for (int i = 0; i < 1000; i++) dk_buf_adds(&b, "0123456789");
  assert_int_equal(b.len, 6 + 10000);
  assert_int_equal(strlen(b.p), b.len);
  assert_true(b.cap > b.len);
  assert_memory_equal(b.p + b.len - 10, "0123456789", 10);
  size_t cap = b.cap;
  dk_buf_clear(&b);
  assert_int_equal(b.len, 0);
  assert_string_equal(b.p, "");
  assert_int_equal(b.cap, cap); /* memory kept */
  /* printf longer than any first capacity, and right at the fast path's edge */
  char big[3000];
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  dk_buf_printf(&b, "<%s>%d", big, 42);
  assert_int_equal(b.len, 1 + 2999 + 1 + 2);
  assert_int_equal(b.p[0], '<');
  assert_string_equal(b.p + 3000, ">42");
  dk_buf_clear(&b);
  for (int i = 0; i < 300; i++) dk_buf_printf(&b, "%s%d", i ? "," : "", i);
  assert_int_equal(strlen(b.p), b.len);
  assert_string_equal(b.p + b.len - 8, ",298,299");
  char *s = dk_buf_take(&b);
  assert_non_null(s);
  assert_memory_equal(s, "0,1,2,3", 7);
  free(s);
  assert_null(b.p);
  assert_int_equal(b.len, 0);
  /* nothing added: an empty string, never NULL */
  s = dk_buf_take(&b);
  assert_non_null(s);
  assert_string_equal(s, "");
  free(s);
  dk_buf_free(&b);
}

static void buf_numbers(void **state) {
  (void)state;
  dk_buf b = {0};
  dk_buf_u64(&b, 0);
  dk_buf_addc(&b, ' ');
  dk_buf_u64(&b, UINT64_MAX);
  dk_buf_addc(&b, ' ');
  dk_buf_i64(&b, 0);
  dk_buf_addc(&b, ' ');
  dk_buf_i64(&b, -42);
  dk_buf_addc(&b, ' ');
  dk_buf_i64(&b, INT64_MIN);
  dk_buf_addc(&b, ' ');
  dk_buf_i64(&b, INT64_MAX);
  dk_buf_addc(&b, ' ');
  dk_buf_hex(&b, 0);
  dk_buf_addc(&b, ' ');
  dk_buf_hex(&b, 0x1F01FF);
  dk_buf_addc(&b, ' ');
  dk_buf_hex(&b, UINT64_MAX);
  assert_string_equal(b.p, "0 18446744073709551615 0 -42 -9223372036854775808 9223372036854775807 "
                           "0x0 0x1f01ff 0xffffffffffffffff");
  dk_buf_free(&b);
}

static void buf_utf16(void **state) {
  (void)state;
  static const uint8_t in[] = {'Z', 0, 'o', 0, 0xEB, 0, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8, 0, 0, 'x', 0};
  dk_buf b = {0};
  dk_buf_adds(&b, "name=");
  dk_buf_utf16le(&b, in, sizeof in, DK_UTF16_STOP_NUL);
  assert_string_equal(b.p, "name=Zo\xC3\xAB\xF0\x9F\x98\x80\xEF\xBF\xBD");
  assert_int_equal(b.len, strlen(b.p));
  dk_buf_clear(&b);
  dk_buf_utf16le(&b, in, sizeof in, 0); /* the NUL unit kept, then "x" */
  assert_int_equal(b.len, 2 + 2 + 4 + 3 + 1 + 1);
  assert_memory_equal(b.p + b.len - 2, "\0x", 3);
  dk_buf_clear(&b);
  dk_buf_utf16le(&b, in, 0, 0); /* nothing: still a terminated string */
  assert_int_equal(b.len, 0);
  assert_string_equal(b.p, "");
  dk_buf_free(&b);
}

static void buf_oom(void **state) {
  (void)state;
  dk_buf b = {0};
  dk_buf_adds(&b, "kept");
  assert_int_equal(dk_buf_reserve(&b, SIZE_MAX / 2), -1); /* too big: refused without trying */
  assert_true(b.oom);
  dk_buf_adds(&b, "dropped"); /* sticky: appends do nothing */
  dk_buf_addc(&b, 'x');
  dk_buf_printf(&b, "%d", 1);
  dk_buf_u64(&b, 7);
  assert_int_equal(b.len, 4);
  assert_memory_equal(b.p, "kept", 5);
  dk_buf_clear(&b);
  dk_buf_adds(&b, "still dropped");
  assert_int_equal(b.len, 0);
  assert_null(dk_buf_take(&b)); /* the text is freed */
  assert_false(b.oom);          /* and b is fresh */
  dk_buf_adds(&b, "again");
  assert_string_equal(b.p, "again");
  dk_buf_free(&b);
}

static const char *tmp_path(const char *name) {
  static char path[512];
#ifdef _WIN32
  const char *dir = getenv("TEMP") ? getenv("TEMP") : ".";
  snprintf(path, sizeof path, "%s\\dk_support_%s", dir, name);
#else
  snprintf(path, sizeof path, "/tmp/dk_support_%d_%s", (int)getpid(), name);
#endif
  return path;
}

static void files(void **state) {
  (void)state;
  dk_filebuf f;
  dk_err e;
  const char *p = tmp_path("a.txt");
  tu_write_file(p, "hello\n", 6);
  unsigned modes[] = {0, DK_FILE_RANDOM, DK_FILE_SEQUENTIAL, DK_FILE_READ};
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    assert_int_equal(dk_file_open(&f, p, modes[i], 0, &e), 0);
    assert_int_equal(f.size, 6);
    assert_memory_equal(f.data, "hello\n", 6);
    dk_file_trim(&f);
    dk_file_close(&f);
    assert_int_equal(f.size, 0);
  }
  /* over the cap: refused before anything is read */
  assert_int_equal(dk_file_open(&f, p, 0, 5, &e), -1);
  assert_string_equal(e.code, "EFBIG");
  assert_non_null(strstr(e.msg, "6 bytes"));
  assert_int_equal(f.size, 0);
  dk_file_close(&f);
  /* a buffer handed over replaces the mapping */
  assert_int_equal(dk_file_open(&f, p, 0, 0, &e), 0);
  char *copy = malloc(3);
  memcpy(copy, "abc", 3);
  dk_file_replace(&f, (uint8_t *)copy, 3);
  assert_memory_equal(f.data, "abc", 3);
  dk_file_close(&f);
  remove(p);

  p = tmp_path("empty");
  tu_write_file(p, "", 0);
  assert_int_equal(dk_file_open(&f, p, 0, 0, &e), 0);
  assert_int_equal(f.size, 0);
  assert_non_null(f.data);
  dk_file_close(&f);
  remove(p);

  assert_int_equal(dk_file_open(&f, tmp_path("missing"), 0, 0, &e), -1);
  assert_string_equal(e.code, "ENOENT");
#ifdef _WIN32
  const char *dir = getenv("TEMP") ? getenv("TEMP") : "C:\\windows";
#else
  const char *dir = "/tmp";
#endif
  assert_int_equal(dk_file_open(&f, dir, 0, 0, &e), -1);
  assert_string_equal(e.code, "EISDIR");
  assert_non_null(strstr(e.msg, "is a directory"));
}

#ifndef _WIN32
static void streams(void **state) {
  (void)state;
  dk_filebuf f;
  dk_err e;
  /* a device is not a file unless the caller reads streams by design ... */
  assert_int_equal(dk_file_open(&f, "/dev/zero", 0, 0, &e), -1);
  assert_string_equal(e.code, "EINVAL");
  assert_non_null(strstr(e.msg, "not a regular file"));
  /* ... and then it is capped instead of read until memory runs out */
  assert_int_equal(dk_file_open(&f, "/dev/zero", DK_FILE_STREAMS, 1 << 20, &e), -1);
  assert_string_equal(e.code, "EFBIG");
  assert_non_null(strstr(e.msg, "1048576"));
  assert_int_equal(dk_file_open(&f, "/dev/null", DK_FILE_STREAMS, 0, &e), 0);
  assert_int_equal(f.size, 0);
  dk_file_close(&f);
  /* a FIFO with no writer neither blocks the open nor the read */
  const char *p = tmp_path("fifo");
  remove(p);
  assert_int_equal(mkfifo(p, 0600), 0);
  assert_int_equal(dk_file_open(&f, p, 0, 0, &e), -1);
  assert_string_equal(e.code, "EINVAL");
  assert_int_equal(dk_file_open(&f, p, DK_FILE_STREAMS, 0, &e), 0);
  assert_int_equal(f.size, 0);
  dk_file_close(&f);
  remove(p);
}

/* A mapped file that shrinks while it is read: zeros and a flag, not SIGBUS. */
static void shrinking(void **state) {
  (void)state;
  const char *p = tmp_path("shrinks");
  size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 3 * page;
  char *data = malloc(n);
  memset(data, 'x', n);
  tu_write_file(p, data, n);
  free(data);
  dk_filebuf f;
  dk_err e;
  assert_int_equal(dk_file_open(&f, p, DK_FILE_SEQUENTIAL, 0, &e), 0);
  assert_int_equal(f.data[2 * page], 'x');
  assert_false(dk_file_changed(&f));
  assert_int_equal(truncate(p, (off_t)page), 0);
  volatile const uint8_t *d = f.data;
  assert_int_equal(d[0], 'x');
  assert_int_equal(d[2 * page + 7], 0); /* past the new end: SIGBUS without the guard */
  assert_true(dk_file_changed(&f));
  dk_file_close(&f);
  remove(p);
}
#endif

static int closed;
static int h_close(lua_State *L) {
  (void)L;
  closed++;
  return 0;
}
static int h_iter(lua_State *L) {
  lua_Integer *n = luaL_checkudata(L, 1, "dk.test.handle");
  if (++*n > 3) return 0;
  lua_pushinteger(L, *n);
  return 1;
}
static int l_items(lua_State *L) {
  lua_Integer *n = lua_newuserdatauv(L, sizeof *n, 0);
  *n = 0;
  luaL_setmetatable(L, "dk.test.handle");
  return dk_lua_push_iter(L, h_iter);
}
static int l_fail(lua_State *L) {
  dk_err e;
  dk_err_at(&e, "DK_BAD_FORMAT", 12, "bad at %d", 12);
  return dk_lua_fail_err(L, &e);
}
static int l_record(lua_State *L) {
  lua_newtable(L);
  dk_lua_setstr(L, "s", "x");
  dk_lua_setstr(L, "none", NULL);
  dk_lua_setlstr(L, "l", "a\0b", 3);
  dk_lua_setint(L, "i", 7);
  dk_lua_setnum(L, "n", 0.5);
  dk_lua_setbool(L, "b", 1);
  return 1;
}

static void lua_helpers(void **state) {
  (void)state;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  static const luaL_Reg methods[] = {{"close", h_close}, {NULL, NULL}};
  dk_lua_class(L, "dk.test.handle", methods, NULL, h_close, NULL);
  dk_lua_class(L, "dk.test.handle", NULL, NULL, NULL, NULL); /* registered once: the second call changes nothing */
  assert_int_equal(lua_gettop(L), 0);
  lua_register(L, "items", l_items);
  lua_register(L, "fail", l_fail);
  lua_register(L, "record", l_record);
  const char *chunk =
      "local t = {} for i in items() do t[#t+1] = i end assert(#t == 3)\n"
      "for i in items() do break end\n"
      "local a, b, c, d = fail() assert(a == nil and b == 'bad at 12' and c == 'DK_BAD_FORMAT' and d == 12)\n"
      "local r = record() assert(r.s == 'x' and r.none == nil and r.l == 'a\\0b' and r.i == 7 and r.n == 0.5 and r.b == true)\n";
  if (luaL_dostring(L, chunk) != LUA_OK) fail_msg("%s", lua_tostring(L, -1));
  assert_int_equal(closed, 2); /* both loops closed their handle, the early break too */
  lua_close(L);
}

TU_MAIN(errors, utf16, utf16_runs, buf_text, buf_numbers, buf_utf16, buf_oom, files TU_POSIX_ONLY(streams, shrinking), lua_helpers)
