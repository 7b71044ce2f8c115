/*
** diagkit.sys: facts about the machine the toolkit runs on.
**   sys.platform() -> {os=, arch=, os_version=, hostname=, wine=false|"8.0"}
**   sys.isatty(1|2) -> boolean
**   sys.clock_ms()  -> monotonic milliseconds (for durations)
**   sys.pid()       -> integer
**   sys.realpath(p) -> canonical absolute path | nil, message, "ENOENT"
*/
#include "sys.h"

#include "dk_lua.h"

int luaopen_diagkit_sys(lua_State *L);

static int l_platform(lua_State *L) {
  dk_sys_info info;
  dk_sys_get_info(&info);
  lua_createtable(L, 0, 5);
  dk_lua_setstr(L, "os", info.os);
  dk_lua_setstr(L, "arch", info.arch);
  dk_lua_setstr(L, "os_version", info.os_version);
  dk_lua_setstr(L, "hostname", info.hostname);
  if (info.wine_version[0] != '\0')
    lua_pushstring(L, info.wine_version);
  else
    lua_pushboolean(L, 0);
  lua_setfield(L, -2, "wine");
  return 1;
}

static int l_isatty(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd == 1 || fd == 2, 1, "1 (stdout) or 2 (stderr) expected");
  lua_pushboolean(L, dk_sys_isatty((int)fd));
  return 1;
}

static int l_clock_ms(lua_State *L) {
  lua_pushnumber(L, dk_sys_monotonic_ms());
  return 1;
}

static int l_pid(lua_State *L) {
  lua_pushinteger(L, dk_sys_pid());
  return 1;
}

static int l_realpath(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char out[4096];
  if (dk_sys_realpath(path, out, sizeof out) != 0) {
    return dk_lua_fail(L, lua_pushfstring(L, "%s: cannot resolve the path", path), "ENOENT");
  }
  lua_pushstring(L, out);
  return 1;
}

int luaopen_diagkit_sys(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"platform", l_platform}, {"isatty", l_isatty}, {"clock_ms", l_clock_ms}, {"pid", l_pid},
      {"realpath", l_realpath}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
