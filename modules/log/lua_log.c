/*
** diagkit.log: PCRE2 regular expressions and big log files, for playbooks and
** user checks. Calling conventions follow lrexlib where that is natural.
**   log.compile(pattern [, flags]) -> rx        (cached by pattern and flags)
**   rx:match(s [, init]) / rx:find(s [, init]) / rx:exec(s [, init])
**   rx:gmatch(s [, init]) / rx:gsub(s, repl [, n])
**   log.match / log.find / log.gmatch / log.gsub (s, pattern, ... [, flags])
**   log.lines(path) -> iter, state, nil, closer     (for line, n, offset in ...)
**   log.scan(path, {name = pattern, ...} [, opts]) -> results, stats
**   log.scan_text(text, {name = pattern, ...} [, opts]) -> results, stats
**   log.tail(path, n) -> {line, ...}
**   log.limits([{match=, depth=, heap=}]) -> current limits
** Expected failures (a file that cannot be opened) return nil, message, code;
** misuse and bad patterns raise. Full reference: docs/lua-api/log.md.
** Uses only log.h.
*/
#include <string.h>
#include <stdint.h>

#include "dk_lua.h"
#include "log.h"

int luaopen_diagkit_log(lua_State *L);

#define RX_MT "diagkit.log.regex"
#define FILE_MT "diagkit.log.file"
#define HOST_MT "diagkit.log.host"

/* upvalues of every module function */
#define UV_HOST lua_upvalueindex(1)
#define UV_CACHE lua_upvalueindex(2)

typedef struct host {
  dkl_mctx mctx;
  dkl_limits lim;
} host;

typedef struct regex {
  dkl_rx rx;
  int closed;
} regex;

typedef struct lfile {
  dk_filebuf map;
  size_t pos, lineno;
  int open;
} lfile;

/* The file's bytes as the char buffer the line and scan functions take. */
#define FDATA(f) ((const char *)(f)->map.data)

static const dkl_mctx *mctx_of(lua_State *L, int idx) {
  host *h = lua_touserdata(L, idx);
  return h ? &h->mctx : NULL;
}

/* {=========== regex objects */

static regex *check_rx(lua_State *L, int idx) {
  regex *r = luaL_checkudata(L, idx, RX_MT);
  if (r->closed) luaL_error(L, "attempt to use a closed regex");
  return r;
}

static int rx_gc(lua_State *L) {
  regex *r = luaL_checkudata(L, 1, RX_MT);
  if (!r->closed) dkl_rx_free(&r->rx);
  r->closed = 1;
  return 0;
}

static int rx_tostring(lua_State *L) {
  regex *r = luaL_checkudata(L, 1, RX_MT);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "diagkit.log.regex(%s)%s", lua_tostring(L, -1), r->closed ? " (closed)" : "");
  return 1;
}

static unsigned opt_flags(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return 0;
  if (lua_type(L, idx) == LUA_TNUMBER) {
    lua_Integer v = luaL_checkinteger(L, idx);
    luaL_argcheck(L, v >= 0 && v <= 0xFF, idx, "flags out of range");
    return (unsigned)v;
  }
  size_t n;
  const char *s = luaL_checklstring(L, idx, &n);
  long f = dkl_parse_flags(s, n);
  if (f < 0) luaL_argerror(L, idx, lua_pushfstring(L, "unknown flag in '%s' (use i m s x u U a n)", s));
  return (unsigned)f;
}

/* Compiles (or finds in the cache) and pushes the regex. [-0, +1, e] */
static regex *push_compiled(lua_State *L, int pat_idx, unsigned flags, int cache_idx) {
  size_t plen;
  const char *pat = luaL_checklstring(L, pat_idx, &plen);
  lua_pushfstring(L, "%d\n", (int)flags);
  lua_pushvalue(L, pat_idx);
  lua_concat(L, 2); /* key */
  if (lua_rawget(L, cache_idx) == LUA_TUSERDATA) {
    /* the cache holds regexes weakly; a closed one is replaced */
    regex *r = lua_touserdata(L, -1);
    if (!r->closed) return r;
  }
  lua_pop(L, 1);
  regex *r = lua_newuserdatauv(L, sizeof *r, 1);
  memset(r, 0, sizeof *r);
  r->closed = 1;
  luaL_setmetatable(L, RX_MT);
  char msg[256];
  size_t off = 0;
  if (dkl_rx_compile(&r->rx, pat, plen, flags, msg, sizeof msg, &off) != 0)
    luaL_error(L, "bad pattern '%s' at offset %d: %s", pat, (int)off, msg);
  r->closed = 0;
  lua_pushvalue(L, pat_idx);
  lua_setiuservalue(L, -2, 1);
  lua_pushfstring(L, "%d\n", (int)flags);
  lua_pushvalue(L, pat_idx);
  lua_concat(L, 2);
  lua_pushvalue(L, -2);
  lua_rawset(L, cache_idx);
  return r;
}

/* log.compile(pattern [, flags]) */
static int l_compile(lua_State *L) {
  unsigned flags = opt_flags(L, 2);
  push_compiled(L, 1, flags, UV_CACHE);
  return 1;
}

/* Lua init (1-based, negative from the end) -> 0-based start, or -1. */
static long long start_of(lua_State *L, int idx, size_t len) {
  lua_Integer init = luaL_optinteger(L, idx, 1);
  if (init < 0) {
    init = (lua_Integer)len + init + 1;
    if (init < 1) init = 1;
  } else if (init == 0) {
    init = 1;
  }
  if ((lua_Unsigned)init > (lua_Unsigned)len + 1) return -1;
  return init - 1;
}

static int exec_or_raise(lua_State *L, const regex *r, const char *s, size_t len, size_t start, int host_idx) {
  int rc = dkl_rx_exec(&r->rx, mctx_of(L, host_idx), s, len, start, 0);
  if (rc < 0) {
    char msg[256];
    dkl_rx_error(rc, msg, sizeof msg);
    return luaL_error(L, "regex match failed: %s", msg);
  }
  return rc;
}

/* Pushes capture i (1..ncap) or the whole match (0); false when unset. */
static void push_cap(lua_State *L, const regex *r, const char *s, int i) {
  const size_t *ov = dkl_rx_ovector(&r->rx);
  if (ov[2 * i] == PCRE2_UNSET) lua_pushboolean(L, 0);
  else lua_pushlstring(L, s + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

/* Pushes the captures (or the whole match when there are none). */
static int push_caps(lua_State *L, const regex *r, const char *s) {
  int n = (int)r->rx.ncap;
  if (n == 0) {
    push_cap(L, r, s, 0);
    return 1;
  }
  luaL_checkstack(L, n, "too many captures");
  for (int i = 1; i <= n; i++) push_cap(L, r, s, i);
  return n;
}

/* Adds name = capture for each named group to the table on top. */
static void set_names(lua_State *L, const regex *r, const char *s) {
  uint32_t count = 0, size = 0;
  PCRE2_SPTR table = NULL;
  pcre2_pattern_info(r->rx.code, PCRE2_INFO_NAMECOUNT, &count);
  if (count == 0) return;
  pcre2_pattern_info(r->rx.code, PCRE2_INFO_NAMEENTRYSIZE, &size);
  pcre2_pattern_info(r->rx.code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t k = 0; k < count; k++) {
    PCRE2_SPTR e = table + (size_t)k * size;
    int group = (e[0] << 8) | e[1];
    const size_t *ov = dkl_rx_ovector(&r->rx);
    lua_pushstring(L, (const char *)e + 2);
    /* with duplicate names, the first set group wins */
    if (ov[2 * group] == PCRE2_UNSET) {
      lua_rawget(L, -2);
      if (!lua_isnil(L, -1) && lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        continue;
      }
      lua_pop(L, 1);
      lua_pushstring(L, (const char *)e + 2);
    }
    push_cap(L, r, s, group);
    lua_rawset(L, -3);
  }
}

/* Pushes {captures..., name = capture} */
static void push_cap_table(lua_State *L, const regex *r, const char *s) {
  int n = (int)r->rx.ncap;
  lua_createtable(L, n, 0);
  for (int i = 1; i <= n; i++) {
    push_cap(L, r, s, i);
    lua_rawseti(L, -2, i);
  }
  set_names(L, r, s);
}

/* The shared body of match/find/exec: regex at rx_idx, subject at s_idx. */
static int do_match(lua_State *L, regex *r, int s_idx, int init_idx, int host_idx, int mode) {
  size_t len;
  const char *s = luaL_checklstring(L, s_idx, &len);
  long long st = start_of(L, init_idx, len);
  if (st < 0) {
    lua_pushnil(L);
    return 1;
  }
  if (exec_or_raise(L, r, s, len, (size_t)st, host_idx) == 0) {
    lua_pushnil(L);
    return 1;
  }
  const size_t *ov = dkl_rx_ovector(&r->rx);
  if (mode == 0) return push_caps(L, r, s);
  lua_pushinteger(L, (lua_Integer)ov[0] + 1);
  lua_pushinteger(L, (lua_Integer)ov[1]);
  if (mode == 1) return 2 + (r->rx.ncap ? push_caps(L, r, s) : 0);
  push_cap_table(L, r, s);
  return 3;
}

static int rx_match(lua_State *L) { return do_match(L, check_rx(L, 1), 2, 3, UV_HOST, 0); }
static int rx_find(lua_State *L) { return do_match(L, check_rx(L, 1), 2, 3, UV_HOST, 1); }
static int rx_exec(lua_State *L) { return do_match(L, check_rx(L, 1), 2, 3, UV_HOST, 2); }

/* upvalues: rx, subject, pos, lastmatch, host */
static int gmatch_iter(lua_State *L) {
  regex *r = lua_touserdata(L, lua_upvalueindex(1));
  if (r->closed) return luaL_error(L, "attempt to use a closed regex");
  size_t len;
  const char *s = lua_tolstring(L, lua_upvalueindex(2), &len);
  lua_Integer pos = lua_tointeger(L, lua_upvalueindex(3));
  lua_Integer last = lua_tointeger(L, lua_upvalueindex(4));
  while (pos <= (lua_Integer)len) {
    if (exec_or_raise(L, r, s, len, (size_t)pos, lua_upvalueindex(5)) == 0) break;
    const size_t *ov = dkl_rx_ovector(&r->rx);
    if (ov[0] == ov[1] && (lua_Integer)ov[0] == last) {
      pos = (lua_Integer)ov[0] + 1; /* no second empty match at the same place */
      continue;
    }
    lua_pushinteger(L, (lua_Integer)ov[1]);
    lua_copy(L, -1, lua_upvalueindex(3));
    lua_replace(L, lua_upvalueindex(4));
    return push_caps(L, r, s);
  }
  lua_pushinteger(L, (lua_Integer)len + 1);
  lua_replace(L, lua_upvalueindex(3));
  return 0;
}

static int push_gmatch(lua_State *L, int rx_idx, int s_idx, int init_idx, int host_idx) {
  size_t len;
  luaL_checklstring(L, s_idx, &len);
  long long st = start_of(L, init_idx, len);
  lua_pushvalue(L, rx_idx);
  lua_pushvalue(L, s_idx);
  lua_pushinteger(L, st < 0 ? (lua_Integer)len + 1 : st);
  lua_pushinteger(L, -1);
  lua_pushvalue(L, host_idx);
  lua_pushcclosure(L, gmatch_iter, 5);
  return 1;
}

static int rx_gmatch(lua_State *L) {
  check_rx(L, 1);
  return push_gmatch(L, 1, 2, 3, UV_HOST);
}

/* Adds the replacement string with %0..%9 and %% expanded. */
static void add_repl_string(lua_State *L, luaL_Buffer *b, const regex *r, const char *s, const char *rep, size_t rl) {
  const size_t *ov = dkl_rx_ovector(&r->rx);
  for (size_t i = 0; i < rl; i++) {
    if (rep[i] != '%' || i + 1 == rl) {
      luaL_addchar(b, rep[i]);
      continue;
    }
    char c = rep[++i];
    if (c == '%') {
      luaL_addchar(b, '%');
    } else if (c >= '0' && c <= '9') {
      int g = c - '0';
      if (g > (int)r->rx.ncap) {
        if (g == 1 && r->rx.ncap == 0) g = 0; /* like string.gsub: %1 is the whole match without captures */
        else luaL_error(L, "invalid capture index %%%d in replacement string", g);
      }
      if (ov[2 * g] != PCRE2_UNSET) luaL_addlstring(b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    } else {
      luaL_error(L, "invalid use of '%%' in replacement string");
    }
  }
}

static int do_gsub(lua_State *L, regex *r, int s_idx, int repl_idx, int n_idx, int host_idx) {
  size_t len;
  const char *s = luaL_checklstring(L, s_idx, &len);
  int rt = lua_type(L, repl_idx);
  luaL_argexpected(L, rt == LUA_TSTRING || rt == LUA_TNUMBER || rt == LUA_TTABLE || rt == LUA_TFUNCTION, repl_idx,
                   "string/function/table");
  lua_Integer max = luaL_optinteger(L, n_idx, LUA_MAXINTEGER);
  size_t rl = 0;
  const char *rep = (rt == LUA_TSTRING || rt == LUA_TNUMBER) ? lua_tolstring(L, repl_idx, &rl) : NULL;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  size_t pos = 0, copied = 0;
  long long last = -1;
  lua_Integer n = 0;
  while (n < max && pos <= len) {
    if (exec_or_raise(L, r, s, len, pos, host_idx) == 0) break;
    const size_t *ov = dkl_rx_ovector(&r->rx);
    size_t ms = ov[0], me = ov[1];
    if (ms == me && (long long)ms == last) {
      pos = ms + 1;
      continue;
    }
    n++;
    luaL_addlstring(&b, s + copied, ms - copied);
    if (rep) {
      add_repl_string(L, &b, r, s, rep, rl);
    } else {
      if (rt == LUA_TFUNCTION) {
        lua_pushvalue(L, repl_idx);
        int k = push_caps(L, r, s); /* copied out before the call may reuse the regex */
        lua_call(L, k, 1);
      } else {
        (r->rx.ncap ? push_cap(L, r, s, 1) : push_cap(L, r, s, 0));
        lua_gettable(L, repl_idx);
      }
      if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(&b, s + ms, me - ms);
      } else if (lua_isstring(L, -1)) {
        luaL_addvalue(&b);
      } else {
        return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
      }
    }
    copied = me;
    last = (long long)me;
    pos = me;
    if (ms == me) { /* an empty match: copy one char and move on */
      if (me < len) luaL_addchar(&b, s[me]);
      copied = me + 1;
      pos = me + 1;
    }
  }
  if (copied < len) luaL_addlstring(&b, s + copied, len - copied);
  luaL_pushresult(&b);
  lua_pushinteger(L, n);
  return 2;
}

static int rx_gsub(lua_State *L) { return do_gsub(L, check_rx(L, 1), 2, 3, 4, UV_HOST); }

static int rx_close(lua_State *L) { return rx_gc(L); }

/* Module-level lrexlib-style forms: (s, pattern, [init], [flags]) */
static int l_match(lua_State *L) {
  lua_settop(L, 4);
  regex *r = push_compiled(L, 2, opt_flags(L, 4), UV_CACHE);
  return do_match(L, r, 1, 3, UV_HOST, 0);
}
static int l_find(lua_State *L) {
  lua_settop(L, 4);
  regex *r = push_compiled(L, 2, opt_flags(L, 4), UV_CACHE);
  return do_match(L, r, 1, 3, UV_HOST, 1);
}
static int l_gmatch(lua_State *L) {
  lua_settop(L, 4);
  push_compiled(L, 2, opt_flags(L, 4), UV_CACHE);
  return push_gmatch(L, lua_gettop(L), 1, 3, UV_HOST);
}
/* log.gsub(s, pattern, repl, [n], [flags]) */
static int l_gsub(lua_State *L) {
  lua_settop(L, 5);
  regex *r = push_compiled(L, 2, opt_flags(L, 5), UV_CACHE);
  return do_gsub(L, r, 1, 3, 4, UV_HOST);
}

/* }=========== */

/* {=========== files */

static int file_gc(lua_State *L) {
  lfile *f = luaL_checkudata(L, 1, FILE_MT);
  if (f->open) dk_file_close(&f->map);
  f->open = 0;
  return 0;
}

static int file_tostring(lua_State *L) {
  lfile *f = luaL_checkudata(L, 1, FILE_MT);
  if (f->open) lua_pushfstring(L, "diagkit.log.file (%I bytes, line %I)", (lua_Integer)f->map.size, (lua_Integer)f->lineno);
  else lua_pushliteral(L, "diagkit.log.file (closed)");
  return 1;
}

/* A .gz log is inflated in memory: at most this much (a compressed log of
** a few hundred MB is already unusual; a zip bomb stops here). */
#if SIZE_MAX > 0xFFFFFFFFu
#define DKL_GZIP_MAX ((size_t)8 << 30)
#else
#define DKL_GZIP_MAX ((size_t)1 << 30)
#endif

/* Opens path into a new file userdata on the stack, or pushes nil, msg, code.
** gzip files (by their magic, whatever the name) are inflated first. */
static lfile *open_file(lua_State *L, const char *path) {
  lfile *f = lua_newuserdatauv(L, sizeof *f, 1);
  memset(f, 0, sizeof *f);
  luaL_setmetatable(L, FILE_MT);
  lua_pushstring(L, path); /* for file_changed's message */
  lua_setiuservalue(L, -2, 1);
  dk_err e;
  if (dk_file_open(&f->map, path, DK_FILE_SEQUENTIAL | DK_FILE_STREAMS, 0, &e) != 0) {
    lua_pop(L, 1);
    dk_lua_fail_err(L, &e);
    return NULL;
  }
  if (dkl_is_gzip(&f->map)) {
    char msg[512];
    const char *code = dkl_gunzip(&f->map, path, DKL_GZIP_MAX, msg, sizeof msg);
    if (code) {
      dk_file_close(&f->map);
      lua_pop(L, 1);
      dk_lua_fail(L, msg, code);
      return NULL;
    }
  }
  f->open = 1;
  return f;
}

/* 1, with the message pushed, when the file (the userdata at idx) shrank
** under its mapping while it was read: the pages past its new end read as
** zeros (support's SIGBUS guard), so nothing read from it is a result. */
static int file_changed(lua_State *L, int idx, lfile *f) {
  if (!f->open || !dk_file_changed(&f->map)) return 0;
  lua_getiuservalue(L, idx, 1);
  lua_pushfstring(L, "%s: the file changed (it shrank) while it was read; what was read from it is not a result",
                  lua_tostring(L, -1));
  lua_remove(L, -2);
  dk_file_close(&f->map);
  f->open = 0;
  return 1;
}

/* iter(state) -> line, lineno, offset */
static int lines_iter(lua_State *L) {
  lfile *f = luaL_checkudata(L, 1, FILE_MT);
  if (!f->open) return luaL_error(L, "attempt to read lines of a closed file");
  if (file_changed(L, 1, f)) return lua_error(L); /* as io.lines does on a read error */
  size_t start, len;
  if (!dkl_next_line(FDATA(f), f->map.size, &f->pos, &start, &len)) {
    dk_file_close(&f->map); /* done: let the mapping go at once */
    f->open = 0;
    return 0;
  }
  f->lineno++;
  lua_pushlstring(L, FDATA(f) + start, len);
  lua_pushinteger(L, (lua_Integer)f->lineno);
  lua_pushinteger(L, (lua_Integer)start);
  return 3;
}

/* log.lines(path) -> iter, file, nil, file | nil, msg, code */
static int l_lines(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  if (!open_file(L, path)) return 3;
  return dk_lua_push_iter(L, lines_iter);
}

/* log.tail(path, n) -> {lines} | nil, msg, code */
static int l_tail(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 10);
  luaL_argcheck(L, n >= 0, 2, "a count >= 0 expected");
  lfile *f = open_file(L, path);
  if (!f) return 3;
  size_t pos = dkl_tail_start(FDATA(f), f->map.size, (size_t)n), start, len;
  lua_createtable(L, (int)(n < 100000 ? n : 0), 0);
  lua_Integer k = 0;
  while (dkl_next_line(FDATA(f), f->map.size, &pos, &start, &len)) {
    lua_pushlstring(L, FDATA(f) + start, len);
    lua_rawseti(L, -2, ++k);
  }
  if (file_changed(L, -2, f)) return dk_lua_fail(L, lua_tostring(L, -1), "EIO");
  dk_file_close(&f->map);
  f->open = 0;
  return 1;
}

/* }=========== */

/* {=========== scan */

typedef struct scan_ud {
  lua_State *L;
  int res_idx;     /* results table */
  int names_idx;   /* list of pattern names, in pattern order */
  lua_Integer max; /* matches kept per pattern */
  int text;        /* keep the line text */
  regex **rx;
  size_t nrx;
  size_t *counts;
} scan_ud;

static int scan_cb(void *udp, size_t k, size_t lineno, size_t line_off, const char *line, size_t len, const dkl_rx *rx,
                   int rc) {
  scan_ud *u = udp;
  lua_State *L = u->L;
  (void)rc;
  (void)rx;
  u->counts[k]++;
  if ((lua_Integer)u->counts[k] > u->max) return 0;
  lua_rawgeti(L, u->names_idx, (lua_Integer)k + 1);
  lua_rawget(L, u->res_idx); /* results[name] */
  lua_getfield(L, -1, "matches");
  const regex *r = u->rx[k];
  const size_t *ov = dkl_rx_ovector(&r->rx);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, (lua_Integer)lineno);
  lua_setfield(L, -2, "line");
  lua_pushinteger(L, (lua_Integer)line_off);
  lua_setfield(L, -2, "offset");
  lua_pushinteger(L, (lua_Integer)ov[0] + 1);
  lua_setfield(L, -2, "col");
  if (u->text) {
    lua_pushlstring(L, line, len);
    lua_setfield(L, -2, "text");
  }
  lua_pushlstring(L, line + ov[0], ov[1] - ov[0]);
  lua_setfield(L, -2, "match");
  if (r->rx.ncap) {
    push_cap_table(L, r, line);
    lua_setfield(L, -2, "captures");
  }
  lua_rawseti(L, -2, (lua_Integer)u->counts[k]);
  lua_pop(L, 2);
  return 0;
}

/* Shared by scan and scan_text: buffer, patterns table at 2, opts at 3. */
static int do_scan(lua_State *L, const char *buf, size_t size) {
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer max = 1000;
  int text = 1;
  unsigned flags = 0;
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_getfield(L, 3, "max");
    if (!lua_isnil(L, -1)) max = luaL_checkinteger(L, -1);
    lua_getfield(L, 3, "text");
    if (!lua_isnil(L, -1)) text = lua_toboolean(L, -1);
    lua_getfield(L, 3, "flags");
    if (!lua_isnil(L, -1)) flags = opt_flags(L, lua_gettop(L));
    lua_pop(L, 3);
  }
  /* pattern names, sorted so the order is stable */
  lua_newtable(L);
  int names = lua_gettop(L);
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, 2)) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "scan: pattern names must be strings");
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_rawseti(L, names, (lua_Integer)++n);
  }
  lua_getglobal(L, "table");
  if (lua_istable(L, -1) && lua_getfield(L, -1, "sort") == LUA_TFUNCTION) {
    lua_pushvalue(L, names);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
  } else {
    lua_pop(L, 2);
  }
  regex **rx = lua_newuserdatauv(L, (n ? n : 1) * (sizeof *rx + sizeof(size_t)), 0);
  size_t *counts = (size_t *)(void *)(rx + (n ? n : 1));
  memset(counts, 0, (n ? n : 1) * sizeof *counts);
  lua_newtable(L); /* keeps the compiled regexes alive */
  int keep = lua_gettop(L);
  lua_newtable(L);
  int res = lua_gettop(L);
  for (size_t k = 0; k < n; k++) {
    lua_rawgeti(L, names, (lua_Integer)k + 1);
    lua_pushvalue(L, -1);
    lua_rawget(L, 2);
    if (lua_type(L, -1) == LUA_TUSERDATA) {
      rx[k] = check_rx(L, -1);
    } else if (lua_type(L, -1) == LUA_TSTRING) {
      rx[k] = push_compiled(L, lua_gettop(L), flags, UV_CACHE);
      lua_replace(L, -2);
    } else {
      return luaL_error(L, "scan: pattern '%s' must be a string or a compiled regex", lua_tostring(L, -2));
    }
    lua_rawseti(L, keep, (lua_Integer)k + 1);
    lua_createtable(L, 0, 2);
    lua_newtable(L);
    lua_setfield(L, -2, "matches");
    lua_rawset(L, res); /* results[name] = {matches = {}} */
  }
  scan_ud u = {L, res, names, max, text, rx, n, counts};
  dkl_scan_stats st;
  int rc = dkl_scan(buf, size, (dkl_rx *const *)(void *)rx, n, mctx_of(L, UV_HOST), scan_cb, &u, &st);
  if (rc < 0) {
    char msg[256];
    dkl_rx_error(st.error, msg, sizeof msg);
    lua_rawgeti(L, names, (lua_Integer)st.error_pattern + 1);
    return luaL_error(L, "scan: pattern '%s' failed on line %d: %s", lua_tostring(L, -1), (int)st.error_line, msg);
  }
  for (size_t k = 0; k < n; k++) {
    lua_rawgeti(L, names, (lua_Integer)k + 1);
    lua_rawget(L, res);
    lua_pushinteger(L, (lua_Integer)counts[k]);
    lua_setfield(L, -2, "count");
    lua_pop(L, 1);
  }
  lua_pushvalue(L, res);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, (lua_Integer)st.lines);
  lua_setfield(L, -2, "lines");
  lua_pushinteger(L, (lua_Integer)st.bytes);
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, (lua_Integer)n);
  lua_setfield(L, -2, "patterns");
  return 2;
}

/* log.scan(path, patterns [, opts]) -> results, stats | nil, msg, code */
static int l_scan(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lfile *f = open_file(L, path);
  if (!f) return 3;
  lua_replace(L, 1); /* the file userdata anchors the mapping (freed by __gc on error) */
  int nret = do_scan(L, FDATA(f), f->map.size);
  if (file_changed(L, 1, f)) return dk_lua_fail(L, lua_tostring(L, -1), "EIO");
  dk_file_close(&f->map);
  f->open = 0;
  return nret;
}

/* log.scan_text(text, patterns [, opts]) -> results, stats */
static int l_scan_text(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return do_scan(L, s, len);
}

/* }=========== */

/* log.limits([{match=, depth=, heap=}]) -> {match=, depth=, heap=} */
static int l_limits(lua_State *L) {
  host *h = lua_touserdata(L, UV_HOST);
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const keys[3] = {"match", "depth", "heap"};
    uint32_t *dst[3] = {&h->lim.match, &h->lim.depth, &h->lim.heap};
    for (int i = 0; i < 3; i++) {
      if (lua_getfield(L, 1, keys[i]) != LUA_TNIL) {
        lua_Integer v = luaL_checkinteger(L, -1);
        luaL_argcheck(L, v > 0 && v <= 0xFFFFFFFF, 1, "limits are positive 32-bit integers");
        *dst[i] = (uint32_t)v;
      }
      lua_pop(L, 1);
    }
    dkl_mctx_set_limits(&h->mctx, &h->lim);
  }
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, h->lim.match);
  lua_setfield(L, -2, "match");
  lua_pushinteger(L, h->lim.depth);
  lua_setfield(L, -2, "depth");
  lua_pushinteger(L, h->lim.heap);
  lua_setfield(L, -2, "heap");
  return 1;
}

static int host_gc(lua_State *L) {
  host *h = luaL_checkudata(L, 1, HOST_MT);
  dkl_mctx_free(&h->mctx);
  return 0;
}

int luaopen_diagkit_log(lua_State *L) {
  static const luaL_Reg rx_methods[] = {{"match", rx_match}, {"find", rx_find},   {"exec", rx_exec},
                                        {"gmatch", rx_gmatch}, {"gsub", rx_gsub}, {"close", rx_close},
                                        {NULL, NULL}};
  static const luaL_Reg fns[] = {{"compile", l_compile}, {"match", l_match},   {"find", l_find},
                                 {"gmatch", l_gmatch},   {"gsub", l_gsub},     {"lines", l_lines},
                                 {"tail", l_tail},       {"scan", l_scan},     {"scan_text", l_scan_text},
                                 {"limits", l_limits},   {NULL, NULL}};
  luaL_newlibtable(L, fns);
  /* upvalue 1: the host (match context with limits and JIT stack) */
  host *h = lua_newuserdatauv(L, sizeof *h, 0);
  memset(h, 0, sizeof *h);
  h->lim.match = 10000000;
  h->lim.depth = 100000;
  h->lim.heap = 64 * 1024; /* KiB */
  dk_lua_class(L, HOST_MT, NULL, host_gc, NULL, NULL);
  luaL_setmetatable(L, HOST_MT);
  if (dkl_mctx_init(&h->mctx, &h->lim) != 0) return luaL_error(L, "diagkit.log: cannot create a PCRE2 match context");
  /* upvalue 2: the cache of compiled patterns, weak values */
  lua_newtable(L);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  /* regex methods see the same upvalues */
  if (luaL_newmetatable(L, RX_MT)) {
    lua_newtable(L);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    luaL_setfuncs(L, rx_methods, 2);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, rx_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, rx_gc);
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, rx_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_pop(L, 1);
  static const luaL_Reg file_methods[] = {{"close", file_gc}, {NULL, NULL}};
  dk_lua_class(L, FILE_MT, file_methods, file_gc, file_gc, file_tostring);
  luaL_setfuncs(L, fns, 2);
  uint32_t jit = 0;
  pcre2_config(PCRE2_CONFIG_JIT, &jit);
  lua_pushboolean(L, (int)jit);
  lua_setfield(L, -2, "jit");
  char ver[64];
  pcre2_config(PCRE2_CONFIG_VERSION, ver);
  lua_pushstring(L, ver);
  lua_setfield(L, -2, "pcre2_version");
  return 1;
}
