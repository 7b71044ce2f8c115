/*
** A bare Lua 5.4 interpreter for the sanitizer build:
**   lua_runner [-e chunk]... script args...
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
#include <string.h>

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "%s: cannot create a Lua state\n", argv[0]);
    return 1;
  }
  luaL_openlibs(L);
  /* -e chunks run first, in order, as lua.c runs them. */
  int first = 1;
  while (first + 1 < argc && strcmp(argv[first], "-e") == 0) {
    if (luaL_dostring(L, argv[first + 1]) != LUA_OK) {
      fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
      lua_close(L);
      return 1;
    }
    first += 2;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-e chunk]... script [args...]\n", argv[0]);
    lua_close(L);
    return 64;
  }
  /* arg[0] is the script, arg[1..] its arguments, as lua.c sets them. */
  lua_createtable(L, argc - first - 1, first + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - first);
  }
  lua_setglobal(L, "arg");
  int status = luaL_loadfile(L, argv[first]);
  if (status == LUA_OK) {
    for (int i = first + 1; i < argc; i++) lua_pushstring(L, argv[i]);
    status = lua_pcall(L, argc - first - 1, 0, 0);
  }
  if (status != LUA_OK) {
    fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  lua_close(L);
  return 0;
}
