/*
** The diagkit host: one Lua state with the native modules preloaded and the
** framework scripts on package.path. Everything the CLI does goes through the
** public dk_* API declared in include/diagkit.h; the CLI itself is Lua
** (scripts/diagkit/cli.lua).
*/
#include "diagkit.h"
#include "budget.h"
#include "embedded.h"
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
  dk_limits *limits;    /* budgets of sandboxed checks, and dk_cancel's flag */
  dk_options opts;      /* as given; the strings are read in dk_open only */
  char scripts_dir[DK_PATH_MAX]; /* "" when the scripts built into the binary are used */
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
** <exe dir>/scripts (the build tree), <exe dir>/../share/diagkit/scripts
** (an installed tree), and the same two beside the shared library. The
** first that holds diagkit/cli.lua wins.
*/
static int find_scripts(const dk_options *opts, char *out, size_t size) {
  const char *given = opts != NULL ? opts->scripts_dir : NULL;
  if (given == NULL) given = getenv("DIAGKIT_SCRIPTS");
  if (given != NULL && given[0] != '\0') {
    if (!has_cli(given) || strlen(given) >= size) return -1;
    strcpy(out, given);
    return 0;
  }
  char sep = dk_path_sep;
  char installed[64];
  snprintf(installed, sizeof installed, "..%cshare%cdiagkit%cscripts", sep, sep, sep);
  const char *const rel[] = {"scripts", installed};
  /* The executable's folder, then the library's (an embedder's program
  ** lives anywhere; libdiagkit.so knows where it was installed). */
  for (int which = 0; which < 2; which++) {
    char base[DK_PATH_MAX];
    if ((which == 0 ? dk_exe_dir(base, sizeof base) : dk_lib_dir(base, sizeof base)) != 0) continue;
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
      int n = snprintf(out, size, "%s%c%s", base, sep, rel[i]);
      if (n > 0 && (size_t)n < size && has_cli(out)) return 0;
    }
  }
  return -1;
}

/* {=========== scripts built into the binary */

static const dk_embedded_file *bundled_find(const char *path) {
  for (const dk_embedded_file *f = dk_embedded_files; f->path != NULL; f++)
    if (strcmp(f->path, path) == 0) return f;
  return NULL;
}

/* [-0, +1, m] Loads a bundled file as a chunk named like a path, so that
** errors and tracebacks read "diagkit.exe!/playbooks/x.lua:12:". */
static int bundled_load(lua_State *L, const dk_embedded_file *f) {
  lua_pushfstring(L, "@bundled/%s", f->path);
  int st = luaL_loadbufferx(L, (const char *)f->data, f->size, lua_tostring(L, -1), "t");
  lua_remove(L, -2);
  return st;
}

/* package.searchers entry: require "diagkit.cli" finds bundled diagkit/cli.lua
** (or diagkit/init.lua for "diagkit"). */
static int bundled_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (const char *p = name; *p; p++) luaL_addchar(&b, *p == '.' ? '/' : *p);
  luaL_pushresult(&b);
  const char *base = lua_tostring(L, -1);
  const char *tries[2] = {lua_pushfstring(L, "%s.lua", base), lua_pushfstring(L, "%s/init.lua", base)};
  for (int i = 0; i < 2; i++) {
    const dk_embedded_file *f = bundled_find(tries[i]);
    if (f == NULL) continue;
    if (bundled_load(L, f) != LUA_OK) return lua_error(L);
    lua_pushfstring(L, "bundled/%s", f->path);
    return 2;
  }
  lua_pushfstring(L, "no bundled file '%s'", tries[0]);
  return 1;
}

/* diagkit.host.bundled_load(path) -> chunk | nil, message */
static int host_bundled_load(lua_State *L) {
  const dk_embedded_file *f = bundled_find(luaL_checkstring(L, 1));
  if (f == NULL) {
    luaL_pushfail(L);
    lua_pushfstring(L, "no bundled file '%s'", lua_tostring(L, 1));
    return 2;
  }
  if (bundled_load(L, f) != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

/* [-0, +0, e] With no scripts folder: require looks in the binary, and
** diagkit.host.bundled lists what is there for the playbook catalogue. */
static void use_bundled(lua_State *L) {
  lua_getglobal(L, "package");
  lua_pushliteral(L, "");
  lua_setfield(L, -2, "path");
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, bundled_searcher);
  lua_rawseti(L, -2, 2); /* after preload, before the (now empty) path */
  lua_pop(L, 2);
}

static void push_bundled_list(lua_State *L) {
  lua_newtable(L);
  int i = 0;
  for (const dk_embedded_file *f = dk_embedded_files; f->path != NULL; f++) {
    lua_pushstring(L, f->path);
    lua_rawseti(L, -2, ++i);
  }
}

/* }=========== */

/* {=========== the Windows console
** Lua writes with fwrite, which a Windows console shows in its code page:
** UTF-8 turns into mojibake (ZoÃ«). When stdout or stderr is a console, the
** file method write, io.write and print go through WriteConsoleW instead;
** files and pipes still get the UTF-8 bytes. */

/* Writes arguments first..top of L to fd's console; returns 0 or -1. */
static int console_put(lua_State *L, FILE *f, int fd, int first) {
  fflush(f); /* what stdio still holds comes first */
  for (int i = first; i <= lua_gettop(L); i++) {
    size_t n;
    const char *s = luaL_checklstring(L, i, &n);
    if (dk_console_write(fd, s, n) != 0) return -1;
  }
  return 0;
}

static int console_fd(FILE *f) { return f == stdout && dk_console_is(1) ? 1 : f == stderr && dk_console_is(2) ? 2 : 0; }

/* file:write(...) */
static int console_file_write(lua_State *L) {
  luaL_Stream *p = luaL_checkudata(L, 1, LUA_FILEHANDLE);
  int fd = p->closef != NULL ? console_fd(p->f) : 0;
  if (fd == 0) {
    lua_pushvalue(L, lua_upvalueindex(1)); /* the io library's own write */
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
  }
  if (console_put(L, p->f, fd, 2) != 0) return luaL_fileresult(L, 0, NULL);
  lua_settop(L, 1);
  return 1;
}

/* io.write(...): the default output's write. */
static int console_io_write(lua_State *L) {
  lua_getglobal(L, "io");
  lua_getfield(L, -1, "output");
  lua_call(L, 0, 1);
  lua_remove(L, -2);
  lua_insert(L, 1);
  lua_getfield(L, 1, "write");
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

/* print(...) with tostring, tabs and a newline, as the base library's. */
static int console_print(lua_State *L) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_addchar(&b, '\n');
  luaL_pushresult(&b);
  size_t len;
  const char *s = lua_tolstring(L, -1, &len);
  if (console_fd(stdout)) {
    fflush(stdout);
    dk_console_write(1, s, len);
  } else {
    fwrite(s, 1, len, stdout);
    fflush(stdout);
  }
  return 0;
}

static void console_install(lua_State *L) {
  if (!dk_console_is(1) && !dk_console_is(2)) return; /* pipes and files: UTF-8 bytes as they are */
  luaL_getmetatable(L, LUA_FILEHANDLE);
  lua_getfield(L, -1, "__index");
  lua_getfield(L, -1, "write");
  lua_pushcclosure(L, console_file_write, 1);
  lua_setfield(L, -2, "write");
  lua_pop(L, 2);
  lua_getglobal(L, "io");
  lua_pushcfunction(L, console_io_write);
  lua_setfield(L, -2, "write");
  lua_pop(L, 1);
  lua_pushcfunction(L, console_print);
  lua_setglobal(L, "print");
}

/* }=========== */

#ifdef DK_STATIC_LFS
/* The Windows build links LuaFileSystem in; elsewhere lfs.so is found on cpath. */
int luaopen_lfs(lua_State *L);
#endif

/* diagkit.host.log(level, message): forwards to the embedder's callback. */
static int host_log(lua_State *L) {
  const dk_host *h = lua_touserdata(L, lua_upvalueindex(1));
  static const char *const levels[] = {"debug", "info", "warning", "error", NULL};
  int level = luaL_checkoption(L, 1, "info", levels);
  const char *message = luaL_checkstring(L, 2);
  if (h->opts.log != NULL) h->opts.log(h->opts.log_ud, level, message);
  return 0;
}

/* [-0, +1, e] The sandbox settings of dk_options as diagkit/api.lua reads them. */
static void push_sandbox(lua_State *L, const dk_options *o) {
  lua_createtable(L, 0, 5);
  lua_pushboolean(L, o->sandbox == DK_SANDBOX_OFF);
  lua_setfield(L, -2, "trust");
  lua_pushboolean(L, o->allow_exec != 0);
  lua_setfield(L, -2, "allow_exec");
  if (o->max_instructions > 0) {
    lua_pushinteger(L, (lua_Integer)o->max_instructions);
    lua_setfield(L, -2, "instructions");
  }
  if (o->max_memory > 0) {
    lua_pushinteger(L, (lua_Integer)o->max_memory);
    lua_setfield(L, -2, "memory");
  }
  lua_newtable(L);
  for (int i = 0; o->allow_read != NULL && o->allow_read[i] != NULL; i++) {
    lua_pushstring(L, o->allow_read[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "allow_read");
}

/* [-0, +0, e] Runs in protected mode: opens the libraries and sets the paths. */
static int host_init(lua_State *L) {
  dk_host *h = lua_touserdata(L, 1);
  const char *dir = h->scripts_dir;
  luaL_openlibs(L);
  console_install(L);
  dk_preload_modules(L);
#ifdef DK_STATIC_LFS
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_lfs);
  lua_setfield(L, -2, "lfs");
  lua_pop(L, 1);
#endif
  if (dir[0] != '\0') {
    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s%c?.lua;%s%c?%cinit.lua", dir, dk_path_sep, dir, dk_path_sep, dk_path_sep);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);
  } else {
    use_bundled(L);
  }
  /* diagkit.host: facts only the host knows (a stock lua5.4 has no such module). */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_createtable(L, 0, 8);
  if (dir[0] != '\0') {
    lua_pushstring(L, dir);
    lua_setfield(L, -2, "scripts_dir");
  } else {
    push_bundled_list(L);
    lua_setfield(L, -2, "bundled");
  }
  lua_pushcfunction(L, host_bundled_load);
  lua_setfield(L, -2, "bundled_load");
  lua_pushstring(L, dk_version());
  lua_setfield(L, -2, "version");
  lua_pushboolean(L, 1);
  lua_setfield(L, -2, "embedded");
  if (h->opts.format != NULL) {
    lua_pushstring(L, h->opts.format);
    lua_setfield(L, -2, "format");
  }
  if (h->opts.log != NULL) {
    lua_pushlightuserdata(L, h);
    lua_pushcclosure(L, host_log, 1);
    lua_setfield(L, -2, "log");
  }
  push_sandbox(L, &h->opts);
  lua_setfield(L, -2, "sandbox");
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
  if (opts != NULL) h->opts = *opts;
  if (find_scripts(opts, h->scripts_dir, sizeof h->scripts_dir) != 0) {
    const char *given = opts != NULL && opts->scripts_dir != NULL ? opts->scripts_dir : getenv("DIAGKIT_SCRIPTS");
    if (given != NULL && given[0] != '\0') {
      /* A folder asked for by name and not there is a mistake to report,
         not a reason to quietly run other scripts. */
      set_error(err, "cannot find the diagkit scripts in the folder given (DIAGKIT_SCRIPTS or dk_options.scripts_dir): it has no diagkit/cli.lua");
      free(h);
      return NULL;
    }
    h->scripts_dir[0] = '\0'; /* the scripts built into the binary */
  }
  h->L = luaL_newstate();
  if (h->L == NULL) {
    set_error(err, "cannot create a Lua state: out of memory");
    free(h);
    return NULL;
  }
  h->limits = dk_limits_attach(h->L);
  if (h->limits == NULL) {
    set_error(err, "cannot create a Lua state: out of memory");
    dk_close(h);
    return NULL;
  }
  lua_pushcfunction(h->L, host_init);
  lua_pushlightuserdata(h->L, h);
  int status = lua_pcall(h->L, 1, 0, 0);
  /* The option strings were copied into Lua; do not keep the caller's. */
  h->opts.scripts_dir = h->opts.format = NULL;
  h->opts.allow_read = NULL;
  if (status != LUA_OK) {
    set_error(err, lua_tostring(h->L, -1));
    dk_close(h);
    return NULL;
  }
  return h;
}

/*
** [-0, +0, -] Calls require(module)[fn] with nargs arguments already on the
** stack and leaves nres results. On error leaves the message (with a
** traceback) alone on the stack in place of the arguments and returns -1.
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
  lua_replace(L, base + 1);
  lua_settop(L, base + 1);
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
  dk_limits_clear_cancel(h->limits);
  if (call_script(L, "diagkit.cli", "main", 1, 1) != 0) {
    int cancelled = dk_limits_cancelled(h->limits);
    fprintf(stderr, "diagkit: %s\n", cancelled ? "cancelled" : lua_tostring(L, -1));
    lua_pop(L, 1);
    return DK_UNKNOWN;
  }
  int isnum = 0;
  lua_Integer status = lua_tointegerx(L, -1, &isnum);
  lua_pop(L, 1);
  return isnum && status >= 0 && status <= 255 ? (int)status : DK_UNKNOWN;
}

int dk_run(dk_host *h, const char *playbook, const char *params_json, char **report) {
  return dk_run_ex(h, playbook, params_json, NULL, NULL, report);
}

/* [-0, +0, -] Calls on_finding for each entry of the list on top of the stack. */
static void each_finding(lua_State *L, dk_finding_fn on_finding, void *ud) {
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    dk_finding f;
    const char **fields[] = {&f.playbook, &f.id, &f.severity, &f.title, &f.detail, &f.remedy, &f.next, &f.json};
    static const char *const names[] = {"playbook", "id", "severity", "title", "detail", "remedy", "next", "json"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
      lua_getfield(L, -1 - (int)k, names[k]);
      *fields[k] = lua_tostring(L, -1); /* anchored on the stack until the pop below */
    }
    on_finding(ud, &f);
    lua_pop(L, 1 + (int)(sizeof names / sizeof names[0]));
  }
}

/* A {"error": message} report for a run that never produced one. */
static char *error_report(const char *message) {
  size_t n = strlen(message), k = 0;
  char *out = malloc(n * 6 + 16);
  if (out == NULL) return NULL;
  k += (size_t)sprintf(out, "{\"error\":\"");
  for (const unsigned char *c = (const unsigned char *)message; *c != '\0'; c++) {
    if (*c == '"' || *c == '\\') {
      out[k++] = '\\';
      out[k++] = (char)*c;
    } else if (*c < 0x20) {
      k += (size_t)sprintf(out + k, "\\u%04x", *c);
    } else {
      out[k++] = (char)*c;
    }
  }
  strcpy(out + k, "\"}");
  return out;
}

int dk_run_ex(dk_host *h, const char *playbook, const char *params_json, dk_finding_fn on_finding, void *ud,
              char **report) {
  lua_State *L = h->L;
  if (report != NULL) *report = NULL;
  if (playbook == NULL) {
    if (report != NULL) *report = error_report("no playbook given");
    return DK_USAGE;
  }
  dk_limits_clear_cancel(h->limits);
  lua_pushstring(L, playbook);
  lua_pushstring(L, params_json != NULL ? params_json : "{}");
  if (call_script(L, "diagkit.api", "run", 2, 3) != 0) {
    /* A cancel unwinds everything, the report writer included. */
    const char *msg = dk_limits_cancelled(h->limits) ? "cancelled" : lua_tostring(L, -1);
    if (report != NULL) *report = error_report(msg != NULL ? msg : "internal error");
    lua_pop(L, 1);
    return DK_UNKNOWN;
  }
  int status = (int)lua_tointeger(L, -3);
  const char *text = lua_tostring(L, -2);
  if (report != NULL && text != NULL) *report = dup_string(text);
  if (on_finding != NULL && lua_istable(L, -1)) each_finding(L, on_finding, ud);
  lua_pop(L, 3);
  return status;
}

void dk_cancel(dk_host *h) {
  if (h != NULL && h->limits != NULL) dk_limits_cancel(h->limits);
}

void dk_free(void *p) { free(p); }

void dk_close(dk_host *h) {
  if (h == NULL) return;
  if (h->L != NULL) lua_close(h->L); /* through the limits' allocator, which stays valid */
  dk_limits_free(h->limits);
  free(h);
}
