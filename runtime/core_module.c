/*
** diagkit/core.so: the native half of `require "diagkit"` in a stock lua5.4.
** It only registers the same preload entries the diagkit host registers, so
** a script sees identical modules whichever way it was started.
*/
#include "diagkit.h"
#include "modules.h"

#include "lauxlib.h"
#include "lua.h"

#if defined(_WIN32)
#define DK_EXPORT __declspec(dllexport)
#else
#define DK_EXPORT __attribute__((visibility("default")))
#endif

DK_EXPORT int luaopen_diagkit_core(lua_State *L);

int luaopen_diagkit_core(lua_State *L) {
  luaL_checkversion(L);
  dk_preload_modules(L);
  lua_createtable(L, 0, 4);
  lua_pushstring(L, dk_version());
  lua_setfield(L, -2, "version");
  lua_newtable(L);
  for (const dk_module_entry *m = dk_modules; m->name != NULL; m++) {
    lua_pushstring(L, m->name);
    lua_rawseti(L, -2, (lua_Integer)(m - dk_modules) + 1);
  }
  lua_setfield(L, -2, "modules");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "embedded");
  return 1;
}
