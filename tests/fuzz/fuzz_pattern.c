/*
** The budgeted Lua-pattern matcher (modules/limits/pattern.c) on arbitrary
** patterns and subjects, as a sandboxed check could hand it: input is
** PATTERN \0 SUBJECT. Every call runs under limits.call with a small
** instruction budget, so exponential patterns end quickly; a "malformed
** pattern" error is a normal outcome, a crash or a hang is not.
*/
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int luaopen_diagkit_limits(lua_State *L);

static const char script[] =
    "local lim, p, s = ...\n"
    "local budget = { instructions = 200000, memory = 8 << 20 }\n"
    "lim.call(function()\n"
    "  lim.find(s, p); lim.find(s, p, 2, true); lim.match(s, p, -3)\n"
    "  for _ in lim.gmatch(s, p) do end\n"
    "  lim.gsub(s, p, '%0%1'); lim.gsub(s, p, function(...) return ... end, 3); lim.gsub(s, p, {})\n"
    "end, budget)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t lp = nul ? (size_t)(nul - data) : size;
  lua_State *L = luaL_newstate();
  if (L == NULL) return 0;
  luaL_openlibs(L);
  if (luaL_loadbuffer(L, script, sizeof script - 1, "fuzz_pattern") == LUA_OK) {
    luaL_requiref(L, "diagkit.limits", luaopen_diagkit_limits, 0);
    lua_pushlstring(L, (const char *)data, lp);
    if (nul)
      lua_pushlstring(L, (const char *)nul + 1, size - lp - 1);
    else
      lua_pushliteral(L, "");
    lua_pcall(L, 3, 0, 0);
  }
  lua_close(L);
  return 0;
}
