/*
** diagkit.codes: every reading of an exit code, status or error number.
**   codes.lookup(n_or_string [, {context = "go"|"shell"|"windows"|"linux"}])
**       -> {interp, ...} | nil, message, "DK_BAD_INPUT"
**   codes.name(kind, value)  -> name, message | nil
**   codes.value(name)        -> value, kind | nil
**   codes.search(text [, limit]) -> {interp, ...}, total
**   codes.counts()           -> {ntstatus=, win32=, hresult=, errno=, signal=, shell=, go=, wine=, ...}
** Fields of an interpretation: docs/lua-api/codes.md.
*/
#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "dk_lua.h"

int luaopen_diagkit_codes(lua_State *L);

#define MAX_READINGS 24      /* more than any input produces (see MAX_CANDIDATES in codes.c) */
#define SEARCH_DEFAULT 50
#define SEARCH_MAX 500

/* value, hex and signed: the three ways a 32-bit code gets written. */
static void push_numbers(lua_State *L, uint32_t v) {
  char hex[16];
  snprintf(hex, sizeof hex, "0x%08X", (unsigned)v);
  dk_lua_setint(L, "value", (lua_Integer)v);
  dk_lua_setstr(L, "hex", hex);
  /* As a signed 32-bit value (cmd and PowerShell print -1073741819), computed
  ** without an implementation-defined narrowing conversion. */
  dk_lua_setint(L, "signed", v >= 0x80000000u ? (lua_Integer)v - (lua_Integer)0x100000000 : (lua_Integer)v);
}

static void push_interp(lua_State *L, const dk_code_interp *it, int with_wraps);

/* The wrapped code, described fully (it has no wraps of its own). */
static void push_wraps(lua_State *L, const dk_code_ref *ref) {
  dk_code_interp w;
  dk_codes_describe(ref->kind, ref->value, &w);
  push_interp(L, &w, 0);
}

static void push_interp(lua_State *L, const dk_code_interp *it, int with_wraps) {
  lua_createtable(L, 0, 14);
  dk_lua_setstr(L, "kind", dk_codes_kind_name(it->kind));
  push_numbers(L, it->value);
  dk_lua_setstr(L, "name", it->name);
  dk_lua_setstr(L, "message", it->message);
  if (it->n_aliases > 0) {
    lua_createtable(L, it->n_aliases, 0);
    for (int i = 0; i < it->n_aliases; i++) {
      lua_pushstring(L, it->aliases[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "aliases");
  }
  dk_lua_setstr(L, "severity", dk_codes_severity_name(it->severity));
  if (it->kind == DK_CODE_NTSTATUS || it->kind == DK_CODE_HRESULT) {
    lua_pushboolean(L, it->customer);
    lua_setfield(L, -2, "customer");
  }
  if (it->has_facility) {
    lua_createtable(L, 0, 2);
    dk_lua_setint(L, "code", (lua_Integer)it->facility);
    dk_lua_setstr(L, "name", it->facility_name);
    lua_setfield(L, -2, "facility");
  }
  if (with_wraps && it->has_wraps) {
    push_wraps(L, &it->wraps);
    lua_setfield(L, -2, "wraps");
  }
  if (it->signal) dk_lua_setint(L, "signal", it->signal);
  if (it->why[0]) dk_lua_setstr(L, "why", it->why);
}

/* The input as the C core reads it: integers are formatted (so -11 keeps its sign). */
static const char *input_text(lua_State *L, char *buf, size_t size) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    int ok;
    lua_Integer i = lua_tointegerx(L, 1, &ok); /* fails for 2.5, nan, inf, 2^63 */
    if (!ok) return NULL;                        /* bad input, not a type error */
    snprintf(buf, size, "%lld", (long long)i);
    return buf;
  }
  if (lua_type(L, 1) == LUA_TSTRING) return lua_tostring(L, 1);
  luaL_typeerror(L, 1, "integer or string");
  return NULL;
}

static unsigned context_flags(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return 0;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_getfield(L, idx, "context");
  unsigned flags = 0;
  if (!lua_isnil(L, -1)) {
    const char *c = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_argerror(L, idx, "context must be a string");
    else if (strcmp(c, "go") == 0) flags = DK_CODES_CTX_GO;
    else if (strcmp(c, "shell") == 0) flags = DK_CODES_CTX_SHELL;
    else if (strcmp(c, "windows") == 0) flags = DK_CODES_CTX_WINDOWS;
    else if (strcmp(c, "linux") == 0) flags = DK_CODES_CTX_LINUX;
    else luaL_argerror(L, idx, lua_pushfstring(L, "unknown context '%s' (go, shell, windows, linux)", c));
  }
  lua_pop(L, 1);
  return flags;
}

static int bad_input(lua_State *L, const char *input, const char *why) {
  const char *msg = input ? lua_pushfstring(L, "cannot read '%s' as a code: %s", input, why)
                          : lua_pushfstring(L, "cannot read a non-integral number as a code: %s", why);
  return dk_lua_fail(L, msg, "DK_BAD_INPUT");
}

static int l_lookup(lua_State *L) {
  char num[32];
  const char *input = input_text(L, num, sizeof num);
  unsigned flags = context_flags(L, 2);
  if (!input) return bad_input(L, NULL, "codes are integers");
  dk_code_interp out[MAX_READINGS];
  int n = dk_codes_lookup(input, flags, out, MAX_READINGS);
  if (n < 0) return bad_input(L, input, dk_codes_strerror(n));
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    push_interp(L, &out[i], 1);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static dk_code_kind check_kind(lua_State *L, int idx) {
  const char *k = luaL_checkstring(L, idx);
  int kind = dk_codes_kind_from_name(k);
  if (kind < 0)
    luaL_argerror(L, idx,
                  lua_pushfstring(L, "unknown kind '%s' (ntstatus, win32, hresult, errno, signal, shell, go, wine)", k));
  return (dk_code_kind)kind;
}

static int l_name(lua_State *L) {
  dk_code_kind kind = check_kind(L, 1);
  lua_Integer v = luaL_checkinteger(L, 2);
  const char *message, *name;
  dk_code_interp it;
  /* Out of 32-bit range: simply not in any table. */
  if (v < 0 || v > (lua_Integer)0xFFFFFFFF || !dk_codes_describe(kind, (uint32_t)v, &it)) {
    lua_pushnil(L);
    return 1;
  }
  name = it.name;
  message = it.message;
  if (name) lua_pushstring(L, name);
  else lua_pushnil(L); /* shell and Go conventions have a meaning but no name */
  if (message) lua_pushstring(L, message);
  else lua_pushnil(L);
  return 2;
}

static int l_value(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  dk_code_kind kind;
  uint32_t v;
  if (!dk_codes_find_value(name, &kind, &v)) {
    lua_pushnil(L);
    return 1;
  }
  lua_pushinteger(L, (lua_Integer)v);
  lua_pushstring(L, dk_codes_kind_name(kind));
  return 2;
}

static int l_search(lua_State *L) {
  const char *text = luaL_checkstring(L, 1);
  lua_Integer limit = luaL_optinteger(L, 2, SEARCH_DEFAULT);
  luaL_argcheck(L, limit >= 1 && limit <= SEARCH_MAX, 2, "limit must be 1..500");
  luaL_argcheck(L, text[0] != '\0', 1, "empty search text");
  dk_code_ref refs[SEARCH_MAX];
  int total = dk_codes_search(text, refs, (int)limit);
  if (total < 0) return luaL_error(L, "search: %s", dk_codes_strerror(total));
  int n = total < (int)limit ? total : (int)limit;
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    dk_code_interp it;
    dk_codes_describe(refs[i].kind, refs[i].value, &it);
    /* Show the name that matched, even when it is an alias of the value. */
    if (refs[i].name) it.name = refs[i].name;
    push_interp(L, &it, 1);
    lua_rawseti(L, -2, i + 1);
  }
  lua_pushinteger(L, total);
  return 2;
}

static int l_counts(lua_State *L) {
  lua_createtable(L, 0, DK_CODE_KIND_COUNT + 2);
  for (int k = 0; k < DK_CODE_KIND_COUNT; k++)
    dk_lua_setint(L, dk_codes_kind_name((dk_code_kind)k), (lua_Integer)dk_codes_count((dk_code_kind)k));
  dk_lua_setint(L, "ntstatus_facilities", (lua_Integer)dk_codes_facility_count(0));
  dk_lua_setint(L, "hresult_facilities", (lua_Integer)dk_codes_facility_count(1));
  return 1;
}

int luaopen_diagkit_codes(lua_State *L) {
  static const luaL_Reg fns[] = {{"lookup", l_lookup}, {"name", l_name},     {"value", l_value},
                                 {"search", l_search}, {"counts", l_counts}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
