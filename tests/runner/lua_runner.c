/*
** A bare Lua 5.4 interpreter for the sanitizer build: `lua_runner script args...`.
** The busted suites load diagkit/core.so into a Lua interpreter; built with
** ASan+UBSan, core.so needs the sanitizer runtime in the process from the
** start. Preloading it into the stock lua5.4 (LD_PRELOAD) would leak into
** every program the specs run — crashers then die of ASan's SIGSEGV handler
** instead of SIGSEGV — so the sanitizer build runs busted with this
** interpreter, which links the runtime itself and sets nothing for children.
*/
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s script [args...]\n", argv[0]);
    return 64;
  }
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create a Lua state\n", argv[0]);
    return 1;
  }
  luaL_openlibs(L);
  /* arg[0] is the script, arg[1..] its arguments, as lua.c sets them. */
  lua_createtable(L, argc - 2, 2);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - 1);
  }
  lua_setglobal(L, "arg");
  int status = luaL_loadfile(L, argv[1]);
  if (status == LUA_OK) {
    for (int i = 2; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - 2, 0, 0);
  }
  if (status != LUA_OK) {
    fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  lua_close(L);
  return 0;
}
