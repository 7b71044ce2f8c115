/*
** What every lua_<module>.c needs from Lua and should not write again:
** setting fields of the table on top of the stack, the nil, message, code
** return of an expected failure, and handle classes whose __gc and __close
** release what the handle holds.
*/
#ifndef DK_LUA_H
#define DK_LUA_H

#include <stddef.h>

#include "dk_err.h"
#include "lauxlib.h"
#include "lua.h"

/* t[k] = v for the table on top of the stack. dk_lua_setstr skips NULL. */
void dk_lua_setstr(lua_State *L, const char *k, const char *v);
void dk_lua_setlstr(lua_State *L, const char *k, const char *v, size_t len);
void dk_lua_setint(lua_State *L, const char *k, lua_Integer v);
void dk_lua_setnum(lua_State *L, const char *k, lua_Number v);
void dk_lua_setbool(lua_State *L, const char *k, int v);

/* Pushes nil, msg, code and returns 3: `return dk_lua_fail(L, msg, "ENOENT");`. */
int dk_lua_fail(lua_State *L, const char *msg, const char *code);
/* The same from a dk_err; a set offset becomes a fourth result. */
int dk_lua_fail_err(lua_State *L, const dk_err *e);

/* Registers the metatable `name` (once): methods as __index (may be NULL),
** gc as __gc, close as __close (either may be NULL), tostring as __tostring
** (may be NULL). Leaves the stack as it was. */
void dk_lua_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc, lua_CFunction close,
                  lua_CFunction tostring);

/* With a handle on top of the stack, leaves the four values of a generic
** `for` that closes it: iter, handle (the state iter gets), nil, handle (the
** closing value). Returns 4. */
int dk_lua_push_iter(lua_State *L, lua_CFunction iter);

#endif
