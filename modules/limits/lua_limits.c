/*
** diagkit.limits: run a function under an instruction budget and a memory cap.
**
**   limits.call(f, {instructions = N, memory = BYTES, milliseconds = MS}, ...)
**     -> true, results...            f returned
**     -> false, err, kind            f raised err; kind says why it stopped:
**        "instructions"  the budget ran out (an endless loop)
**        "memory"        the cap was reached (a memory bomb)
**        "time"          the wall-clock deadline passed (work the count misses)
**        "stack"         stack overflow (runaway recursion)
**        "cancelled"     another thread called dk_cancel on the host
**        "error"         any other error f raised
**   limits.usage() -> bytes the Lua state holds
**   limits.tripped() -> true once the call in progress tripped a limit or was
**     cancelled: the sandbox then calls no more of the check's code (message
**     handlers and __close run with hooks off after an error from a hook)
**   limits.open(path) -> file, real, alias | nil, message, code: path opened
**     read-only, with the canonical path of the file actually opened (what
**     the sandbox's policy judges) and a name that reopens that same file
**     for native functions ("/proc/self/fd/N"; nil where the OS has none)
**   limits.rep(s, n [, sep]): string.rep that charges its copying to the
**     budget and refuses results past the memory cap before building them
**   limits.find/match/gmatch/gsub: string.find/... whose matching steps count
**     against the budget of the limits.call in progress (pattern.c)
**
** Calls do not nest: a budget is for one untrusted function at a time.
** After a call that tripped a limit the garbage is collected, so the state
** is ready for the next call.
*/
#include "budget.h"
#include "open_checked.h"
#include "pattern.h"

#include "lauxlib.h"
#include "lua.h"

#include <string.h>

int luaopen_diagkit_limits(lua_State *L);

static lua_Integer opt_field(lua_State *L, int t, const char *name) {
  lua_getfield(L, t, name);
  lua_Integer v = 0;
  if (!lua_isnil(L, -1)) {
    int ok = 0;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok || v < 0) luaL_error(L, "limits.call: '%s' must be a non-negative integer", name);
  }
  lua_pop(L, 1);
  return v;
}

static const char *kind_of(lua_State *L, int status, int tripped) {
  if (tripped & DK_LIMIT_CANCELLED) return "cancelled";
  if (tripped & DK_LIMIT_INSTRUCTIONS) return "instructions";
  if (tripped & DK_LIMIT_TIME) return "time";
  if (tripped & DK_LIMIT_MEMORY) return "memory";
  if (status == LUA_ERRMEM) return "memory";
  const char *msg = lua_tostring(L, -1);
  if (msg != NULL && (strstr(msg, "stack overflow") != NULL)) return "stack";
  return "error";
}

static int l_call(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer memory = opt_field(L, 2, "memory");
  lua_Integer instructions = opt_field(L, 2, "instructions");
  lua_Integer ms = opt_field(L, 2, "milliseconds");
  dk_limits *lim = dk_limits_of(L);
  int own = 0;
  if (lim == NULL) {
    lim = dk_limits_attach(L);
    if (lim == NULL) return luaL_error(L, "limits.call: out of memory");
    dk_limits_set_temporary(lim);
    own = 1;
  } else if (dk_limits_armed(lim)) {
    return luaL_error(L, "limits.call: calls do not nest");
  }
  lua_remove(L, 2); /* f, args... */
  int nargs = lua_gettop(L) - 1;
  dk_limits_arm(L, lim, (size_t)memory, (long long)instructions);
  dk_limits_set_deadline(lim, (long long)ms);
  int status = lua_pcall(L, nargs, LUA_MULTRET, 0);
  if (status == LUA_OK && dk_limits_tripped(lim)) {
    /* A limit tripped where f could catch it (in a coroutine, a pcall) and f
       returned before its own hook tick: its results are not a result. */
    lua_settop(L, 0);
    lua_pushliteral(L, "stopped after a limit tripped");
    status = LUA_ERRRUN;
  }
  int tripped = dk_limits_disarm(L, lim);
  if (own) dk_limits_detach(L, lim);
  if (status == LUA_OK) {
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    return lua_gettop(L);
  }
  const char *kind = kind_of(L, status, tripped);
  if (tripped) lua_gc(L, LUA_GCCOLLECT, 0);
  lua_pushboolean(L, 0);
  lua_insert(L, -2);
  lua_pushstring(L, kind);
  return 3;
}

static int l_usage(lua_State *L) {
  dk_limits *lim = dk_limits_of(L);
  if (lim != NULL)
    lua_pushinteger(L, (lua_Integer)dk_limits_used(lim));
  else
    lua_pushinteger(L, (lua_Integer)lua_gc(L, LUA_GCCOUNT, 0) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0));
  return 1;
}

static int l_tripped(lua_State *L) {
  dk_limits *lim = dk_limits_of(L);
  lua_pushboolean(L, lim != NULL && dk_limits_armed(lim) && dk_limits_tripped(lim));
  return 1;
}

/* string.rep with its work charged: Lua 5.4's loops n times even when the
** result is empty, so rep("", math.maxinteger) never returns inside one C call. */
static int l_rep(lua_State *L) {
  size_t l, lsep;
  const char *s = luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  const char *sep = luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || l + lsep == 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  if (l + lsep < l || l + lsep > (size_t)LUA_MAXINTEGER / (lua_Unsigned)n)
    return luaL_error(L, "resulting string too large");
  size_t total = (size_t)n * l + (size_t)(n - 1) * lsep;
  dk_limits *lim = dk_limits_of(L);
  /* One instruction's worth per 64 bytes copied, charged up front. */
  if (lim != NULL && dk_limits_armed(lim) && dk_limits_charge(L, lim, (long long)(total / 64)))
    return luaL_error(L, "instruction budget exceeded (in string.rep)");
  luaL_Buffer b;
  char *p = luaL_buffinitsize(L, &b, total); /* through the capped allocator */
  for (lua_Integer i = 0; i < n; i++) {
    memcpy(p, s, l);
    p += l;
    if (lsep > 0 && i + 1 < n) {
      memcpy(p, sep, lsep);
      p += lsep;
    }
  }
  luaL_pushresultsize(&b, total);
  return 1;
}

/* As liolib.c closes the files io.open made (file:close, __gc, __close). */
static int io_fclose(lua_State *L) {
  luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  int res = fclose(p->f);
  return luaL_fileresult(L, res == 0, NULL);
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  dk_opened o;
  dk_err e;
  luaL_Stream *p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
  p->closef = NULL; /* a closed file until it holds one */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  if (dk_open_checked(path, &o, &e) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, e.msg);
    lua_pushstring(L, e.code);
    return 3;
  }
  p->f = o.f;
  p->closef = io_fclose;
  lua_pushstring(L, o.real);
  if (o.alias[0]) lua_pushstring(L, o.alias);
  else lua_pushnil(L);
  return 3;
}

int luaopen_diagkit_limits(lua_State *L) {
  static const luaL_Reg fns[] = {{"call", l_call},       {"usage", l_usage}, {"tripped", l_tripped},
                                 {"rep", l_rep},         {"open", l_open},   {NULL, NULL}};
  luaL_newlib(L, fns);
  dk_pattern_register(L); /* limits.find/match/gmatch/gsub */
  return 1;
}
