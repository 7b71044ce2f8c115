/*
** The diagkit host: one Lua state with the native modules preloaded and the
** framework scripts on package.path. Everything the CLI does goes through the
** public dk_* API declared in include/diagkit.h; the CLI itself is Lua
** (scripts/diagkit/cli.lua).
*/
#include "diagkit.h"
#include "modules.h"
#include "platform.h"

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DK_PATH_MAX 4096

struct dk_host {
  lua_State *L;
  char scripts_dir[DK_PATH_MAX];
};

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d != NULL) memcpy(d, s, n);
  return d;
}

/* Sets *err (if wanted) to a heap copy of msg. */
static void set_error(char **err, const char *msg) {
  if (err != NULL) *err = dup_string(msg);
}

static int has_cli(const char *dir) {
  char probe[DK_PATH_MAX];
  int n = snprintf(probe, sizeof probe, "%s%cdiagkit%ccli.lua", dir, dk_path_sep, dk_path_sep);
  return n > 0 && (size_t)n < sizeof probe && dk_is_file(probe);
}

/*
** Finds the scripts folder: an explicit option, then $DIAGKIT_SCRIPTS, then
** <exe dir>/scripts (the build tree), then <exe dir>/../share/diagkit/scripts
** (an installed tree). The first that holds diagkit/cli.lua wins.
*/
static int find_scripts(const dk_options *opts, char *out, size_t size) {
  const char *given = opts != NULL ? opts->scripts_dir : NULL;
  if (given == NULL) given = getenv("DIAGKIT_SCRIPTS");
  if (given != NULL && given[0] != '\0') {
    if (!has_cli(given) || strlen(given) >= size) return -1;
    strcpy(out, given);
    return 0;
  }
  char exe[DK_PATH_MAX];
  if (dk_exe_dir(exe, sizeof exe) != 0) return -1;
  char sep = dk_path_sep;
  char installed[64];
  snprintf(installed, sizeof installed, "..%cshare%cdiagkit%cscripts", sep, sep, sep);
  const char *const rel[] = {"scripts", installed};
  for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
    int n = snprintf(out, size, "%s%c%s", exe, sep, rel[i]);
    if (n > 0 && (size_t)n < size && has_cli(out)) return 0;
  }
  return -1;
}

#ifdef DK_STATIC_LFS
/* The Windows build links LuaFileSystem in; elsewhere lfs.so is found on cpath. */
int luaopen_lfs(lua_State *L);
#endif

/* [-0, +0, e] Runs in protected mode: opens the libraries and sets the paths. */
static int host_init(lua_State *L) {
  const char *dir = lua_touserdata(L, 1);
  luaL_openlibs(L);
  dk_preload_modules(L);
#ifdef DK_STATIC_LFS
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_lfs);
  lua_setfield(L, -2, "lfs");
  lua_pop(L, 1);
#endif
  lua_getglobal(L, "package");
  lua_pushfstring(L, "%s%c?.lua;%s%c?%cinit.lua", dir, dk_path_sep, dir, dk_path_sep, dk_path_sep);
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  /* diagkit.host: facts only the host knows (a stock lua5.4 has no such module). */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_createtable(L, 0, 3);
  lua_pushstring(L, dir);
  lua_setfield(L, -2, "scripts_dir");
  lua_pushstring(L, dk_version());
  lua_setfield(L, -2, "version");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "embedded");
  lua_setfield(L, -2, "diagkit.host");
  lua_pop(L, 1);
  return 0;
}

/* Message handler: appends a traceback to errors raised by scripts. */
static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) msg = luaL_tolstring(L, 1, NULL);
  luaL_traceback(L, L, msg, 1);
  return 1;
}

dk_host *dk_open(const dk_options *opts, char **err) {
  if (err != NULL) *err = NULL;
  dk_host *h = calloc(1, sizeof *h);
  if (h == NULL) {
    set_error(err, "out of memory");
    return NULL;
  }
  if (find_scripts(opts, h->scripts_dir, sizeof h->scripts_dir) != 0) {
    set_error(err, "cannot find the diagkit scripts (diagkit/cli.lua); set DIAGKIT_SCRIPTS");
    free(h);
    return NULL;
  }
  h->L = luaL_newstate();
  if (h->L == NULL) {
    set_error(err, "cannot create a Lua state: out of memory");
    free(h);
    return NULL;
  }
  lua_pushcfunction(h->L, host_init);
  lua_pushlightuserdata(h->L, h->scripts_dir);
  if (lua_pcall(h->L, 1, 0, 0) != LUA_OK) {
    set_error(err, lua_tostring(h->L, -1));
    dk_close(h);
    return NULL;
  }
  return h;
}

/*
** [-0, +0, -] Calls require(module)[fn] with nargs arguments already on the
** stack and leaves nres results. On error prints it (with a traceback) and
** returns -1 with nothing left on the stack.
*/
static int call_script(lua_State *L, const char *module, const char *fn, int nargs, int nres) {
  int base = lua_gettop(L) - nargs;   /* arguments at base+1 .. base+nargs */
  lua_pushcfunction(L, traceback);
  lua_insert(L, base + 1);            /* handler below the arguments */
  lua_getglobal(L, "require");
  lua_pushstring(L, module);
  if (lua_pcall(L, 1, 1, base + 1) != LUA_OK) goto fail;
  lua_getfield(L, -1, fn);
  lua_remove(L, -2);                  /* the module table */
  lua_insert(L, base + 2);            /* function between handler and arguments */
  if (lua_pcall(L, nargs, nres, base + 1) != LUA_OK) goto fail;
  lua_remove(L, base + 1);
  return 0;
fail:
  fprintf(stderr, "diagkit: internal error: %s\n", lua_tostring(L, -1));
  lua_settop(L, base);
  return -1;
}

int dk_main(dk_host *h, int argc, char **argv) {
  lua_State *L = h->L;
  lua_createtable(L, argc > 0 ? argc - 1 : 0, 1);
  for (int i = 1; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_pushstring(L, argc > 0 ? argv[0] : "diagkit");
  lua_rawseti(L, -2, 0);
  if (call_script(L, "diagkit.cli", "main", 1, 1) != 0) return DK_UNKNOWN;
  int isnum = 0;
  lua_Integer status = lua_tointegerx(L, -1, &isnum);
  lua_pop(L, 1);
  return isnum && status >= 0 && status <= 255 ? (int)status : DK_UNKNOWN;
}

int dk_run(dk_host *h, const char *playbook, const char *params_json, char **report_json) {
  lua_State *L = h->L;
  *report_json = NULL;
  lua_pushstring(L, playbook);
  lua_pushstring(L, params_json != NULL ? params_json : "{}");
  if (call_script(L, "diagkit.api", "run", 2, 2) != 0) return DK_UNKNOWN;
  int status = (int)lua_tointeger(L, -2);
  const char *json = lua_tostring(L, -1);
  if (json != NULL) *report_json = dup_string(json);
  lua_pop(L, 2);
  return status;
}

void dk_free(void *p) { free(p); }

void dk_close(dk_host *h) {
  if (h == NULL) return;
  if (h->L != NULL) lua_close(h->L);
  free(h);
}
