/*
** modules/support: errors, UTF-16 <-> UTF-8, the file layer (kinds of file,
** size caps, FIFOs that must not block) and the Lua helpers.
*/
#if !defined(_WIN32)
#define _POSIX_C_SOURCE 200809L /* truncate, mkfifo */
#endif
#include "test_util.h" /* first: printf on mingw-w64 */

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
  return dk_lua_push_iter(L, h_iter, 1);
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

TU_MAIN(errors, utf16, files TU_POSIX_ONLY(streams, shrinking), lua_helpers)
