/*
** diagkit.proc: run programs and capture how they ended (docs/lua-api/proc.md).
**   proc.run(spec)          -> result table (also for a program that could not start)
**                           -> nil, message, code  (the toolkit itself failed)
**   proc.which(name [, path]) -> path | nil, {candidates tried}
*/
#include "proc.h"
#include "budget.h"
#include "proc_internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dk_lua.h"

int luaopen_diagkit_proc(lua_State *L);

#define RESULT_MT "diagkit.proc.result"

/* The C result lives in a userdata so its buffers are freed even if building
** the Lua table raises (out of memory). */
static int result_gc(lua_State *L) {
  dk_proc_result *r = luaL_checkudata(L, 1, RESULT_MT);
  dk_proc_result_free(r);
  return 0;
}

/* A list of strings at index idx (absolute) -> NULL-terminated array in a
** userdata pushed on the stack; the strings stay anchored by the table. */
static const char **check_argv(lua_State *L, int idx, int is_spec) {
  lua_Integer n = luaL_len(L, idx);
  if (n < 1) luaL_error(L, "proc.run: argv must be a non-empty list of strings");
  if (!is_spec) {
    lua_Integer keys = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
      lua_pop(L, 1);
      if (!lua_isinteger(L, -1)) luaL_error(L, "proc.run: argv must be a list (found a non-integer key)");
      keys++;
    }
    if (keys != n) luaL_error(L, "proc.run: argv must be a list without holes");
  }
  const char **v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, idx, i) != LUA_TSTRING)
      luaL_error(L, "proc.run: argv[%d] must be a string, got %s", (int)i, luaL_typename(L, -1));
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (strlen(s) != len) luaL_error(L, "proc.run: argv[%d] contains a NUL byte", (int)i);
    v[i - 1] = s; /* anchored by the argv table */
    lua_pop(L, 1);
  }
  v[n] = NULL;
  return v;
}

static int keys_equal(const char *a, size_t al, const char *b, size_t bl) {
  if (al != bl) return 0;
  if (!dk_proc_env_keys_fold_case()) return memcmp(a, b, al) == 0;
  for (size_t i = 0; i < al; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'a' && x <= 'z') x = (unsigned char)(x - 32);
    if (y >= 'a' && y <= 'z') y = (unsigned char)(y - 32);
    if (x != y) return 0;
  }
  return 1;
}

/* Key length of "KEY=VALUE" (a leading '=' belongs to the key: Windows' "=C:"). */
static size_t key_len(const char *e) {
  const char *eq = strchr(e + (e[0] == '=' ? 1 : 0), '=');
  return eq ? (size_t)(eq - e) : strlen(e);
}

/* spec.env (at env_idx) -> NULL-terminated "K=V" array in a userdata on the
** stack; the strings are anchored in a table pushed just below it. */
static const char **build_env(lua_State *L, int env_idx, int replace) {
  lua_newtable(L); /* list of "K=V" strings */
  int list = lua_gettop(L);
  lua_Integer n = 0;
  if (!replace) {
    char **cur = dk_proc_environ();
    if (cur == NULL) luaL_error(L, "proc.run: cannot read the environment");
    for (char **p = cur; *p; p++) {
      lua_pushstring(L, *p);
      lua_rawseti(L, list, ++n);
    }
    dk_proc_environ_free(cur);
  }
  lua_pushnil(L);
  while (lua_next(L, env_idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "proc.run: env keys must be strings");
    size_t kl;
    const char *k = lua_tolstring(L, -2, &kl);
    /* No '=' anywhere ("=", "=X" would be read back as other names), no
       control characters ("A\nB"), no NUL: names a program can be given. */
    int bad = kl == 0 || memchr(k, '=', kl) != NULL;
    for (size_t i = 0; i < kl && !bad; i++) bad = (unsigned char)k[i] < 0x20 || k[i] == 0x7f;
    if (bad) {
      luaL_Buffer b;
      luaL_buffinit(L, &b);
      for (size_t i = 0; i < kl; i++) {
        unsigned char ch = (unsigned char)k[i];
        if (ch < 0x20 || ch == 0x7f) {
          char esc[8];
          snprintf(esc, sizeof esc, "\\x%02x", ch);
          luaL_addstring(&b, esc);
        } else {
          luaL_addchar(&b, (char)ch);
        }
      }
      luaL_pushresult(&b);
      luaL_error(L, "proc.run: bad environment variable name '%s' (empty, or with '=' or a control character)",
                 lua_tostring(L, -1));
    }
    int t = lua_type(L, -1);
    if (t != LUA_TSTRING && t != LUA_TNUMBER && !(t == LUA_TBOOLEAN && !lua_toboolean(L, -1)))
      luaL_error(L, "proc.run: env.%s must be a string, a number or false (unset)", k);
    /* Remove every entry with that key (Windows: whatever its case). */
    lua_Integer w = 0;
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, list, i);
      const char *e = lua_tostring(L, -1);
      if (keys_equal(e, key_len(e), k, kl)) {
        lua_pop(L, 1);
      } else {
        lua_rawseti(L, list, ++w);
      }
    }
    for (lua_Integer i = w + 1; i <= n; i++) {
      lua_pushnil(L);
      lua_rawseti(L, list, i);
    }
    n = w;
    if (t != LUA_TBOOLEAN) {
      size_t vl;
      const char *v = luaL_tolstring(L, -1, &vl);
      if (strlen(v) != vl) luaL_error(L, "proc.run: env.%s contains a NUL byte", k);
      lua_pushfstring(L, "%s=%s", k, v);
      lua_rawseti(L, list, ++n);
      lua_pop(L, 1); /* tolstring */
    }
    lua_pop(L, 1);
  }
  const char **v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_rawgeti(L, list, i);
    v[i - 1] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  v[n] = NULL;
  return v;
}

static int64_t opt_seconds_ms(lua_State *L, int spec, const char *field, int64_t dflt) {
  int t = lua_getfield(L, spec, field);
  int64_t ms = dflt;
  if (t != LUA_TNIL) {
    if (t != LUA_TNUMBER) luaL_error(L, "proc.run: %s must be a number of seconds", field);
    double s = lua_tonumber(L, -1);
    if (!(s >= 0) || s > 1e9) luaL_error(L, "proc.run: %s must be >= 0 seconds", field);
    ms = (int64_t)llround(s * 1000.0);
    if (ms == 0 && s > 0) ms = 1;
  }
  lua_pop(L, 1);
  return ms;
}

static dk_proc_output_mode check_output(lua_State *L, int spec, const char *field, int allow_merge) {
  dk_proc_output_mode m = DK_PROC_OUT_CAPTURE;
  if (lua_getfield(L, spec, field) != LUA_TNIL) {
    const char *s = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING) s = "";
    if (strcmp(s, "capture") == 0) m = DK_PROC_OUT_CAPTURE;
    else if (strcmp(s, "discard") == 0) m = DK_PROC_OUT_DISCARD;
    else if (strcmp(s, "inherit") == 0) m = DK_PROC_OUT_INHERIT;
    else if (allow_merge && strcmp(s, "stdout") == 0) m = DK_PROC_OUT_MERGE;
    else
      luaL_error(L, "proc.run: %s must be \"capture\", \"discard\", \"inherit\"%s", field,
                 allow_merge ? " or \"stdout\"" : "");
  }
  lua_pop(L, 1);
  return m;
}

/* A failure of the toolkit itself (not of the program): nil, message, code,
** with the documented codes and "EPROC" for any other errno. */
static int toolkit_fail(lua_State *L, const char *msg, int e) {
  switch (e) {
  case ENOMEM:
  case EMFILE:
  case ENFILE:
  case EAGAIN:
  case EINVAL: return dk_lua_fail(L, msg, dk_errno_code(e));
  default: return dk_lua_fail(L, msg, "EPROC");
  }
}

static void push_output(lua_State *L, const char *name, dk_proc_output_mode mode, const dk_proc_output *o) {
  char key[32];
  if (mode == DK_PROC_OUT_CAPTURE) {
    lua_pushlstring(L, o->data ? o->data : "", o->len);
    lua_setfield(L, -2, name);
  }
  snprintf(key, sizeof key, "%s_truncated", name);
  dk_lua_setbool(L, key, o->truncated);
  snprintf(key, sizeof key, "%s_bytes", name);
  dk_lua_setint(L, key, (lua_Integer)o->total);
}

/* spec.trace = true: run it under the file-access tracer instead
** (diagkit.trace's trace.run, which calls back into proc.run without it). */
static int run_traced(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "diagkit.trace");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
    return dk_lua_fail(L, "file-access tracing is not available in this build", "ENOTSUP");
  }
  if (lua_getfield(L, -1, "run") != LUA_TFUNCTION) {
    return dk_lua_fail(L, "file-access tracing is not available: diagkit.tracing is not on package.path", "ENOTSUP");
  }
  /* A copy of the spec without trace, so the recursion ends. */
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_settable(L, -4);
  }
  lua_pushnil(L);
  lua_setfield(L, -2, "trace");
  lua_call(L, 1, 3);
  return 3;
}

/* Reads the spec table at index 1 into *spec. The strings and arrays spec
** points to stay on the stack (slots 2..top), so the caller keeps them alive
** for as long as spec is used. Returns the stack index of the argv table. */
static int parse_spec(lua_State *L, dk_proc_spec *spec, const char *fn) {
  dk_proc_spec_init(spec);

  /* argv: spec.argv or spec[1..n] */
  int t = lua_getfield(L, 1, "argv"); /* 2 */
  if (t == LUA_TNIL) {
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
  } else if (t != LUA_TTABLE) {
    return luaL_error(L, "%s: argv must be a list of strings, got %s", fn, luaL_typename(L, -1));
  }
  int argv_idx = 2;
  spec->argv = check_argv(L, argv_idx, t == LUA_TNIL); /* 3 */

  if (lua_getfield(L, 1, "cwd") != LUA_TNIL) { /* 4 */
    if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "%s: cwd must be a string", fn);
    spec->cwd = lua_tostring(L, -1);
  }

  int replace = 0;
  if (lua_getfield(L, 1, "env_mode") != LUA_TNIL) { /* 5 */
    const char *m = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || (strcmp(m, "merge") != 0 && strcmp(m, "replace") != 0))
      return luaL_error(L, "%s: env_mode must be \"merge\" or \"replace\"", fn);
    replace = strcmp(m, "replace") == 0;
  }
  t = lua_getfield(L, 1, "env"); /* 6 */
  if (t == LUA_TTABLE) {
    spec->env = build_env(L, 6, replace); /* 7, 8 */
  } else if (t != LUA_TNIL) {
    return luaL_error(L, "%s: env must be a table", fn);
  } else if (replace) {
    lua_newtable(L);
    spec->env = build_env(L, lua_gettop(L), 1);
  }

  t = lua_getfield(L, 1, "stdin");
  if (t == LUA_TSTRING) {
    spec->stdin_mode = DK_PROC_STDIN_BYTES;
    spec->stdin_data = lua_tolstring(L, -1, &spec->stdin_len); /* stays on the stack */
  } else if (t == LUA_TBOOLEAN && lua_toboolean(L, -1)) {
    spec->stdin_mode = DK_PROC_STDIN_INHERIT;
  } else if (t != LUA_TNIL && t != LUA_TBOOLEAN) {
    return luaL_error(L, "%s: stdin must be a string, false (closed) or true (inherit)", fn);
  }

  spec->stdout_mode = check_output(L, 1, "stdout", 0);
  spec->stderr_mode = check_output(L, 1, "stderr", 1);
  if (lua_getfield(L, 1, "max_output") != LUA_TNIL) {
    int isnum;
    lua_Integer m = lua_tointegerx(L, -1, &isnum);
    if (!isnum || m < 0) return luaL_error(L, "%s: max_output must be a byte count >= 0", fn);
    spec->max_output = (size_t)m;
  }
  lua_pop(L, 1);
  spec->timeout_ms = opt_seconds_ms(L, 1, "timeout", 0);
  spec->kill_grace_ms = opt_seconds_ms(L, 1, "kill_grace", -1);
  spec->drain_ms = opt_seconds_ms(L, 1, "drain", -1);
  lua_getfield(L, 1, "allow_batch_args");
  spec->allow_batch_args = lua_toboolean(L, -1);
  lua_pop(L, 1);
  /* In a host, dk_cancel from another thread also stops the program. */
  dk_limits *lim = dk_limits_of(L);
  spec->cancel = lim != NULL ? dk_limits_cancel_flag(lim) : NULL;
  return argv_idx;
}

/* Pushes the result table of a finished (or failed-to-start) run. */
static void push_result(lua_State *L, const dk_proc_spec *spec, const dk_proc_result *r, int argv_idx) {
  lua_createtable(L, 0, 24);
  dk_lua_setstr(L, "status", dk_proc_status_name(r->status));
  if (r->exited) dk_lua_setint(L, "exit_code", (lua_Integer)r->exit_code);
  if (r->signal) {
    dk_lua_setint(L, "signal", r->signal);
    dk_lua_setstr(L, "signal_name", dk_proc_signal_name(r->signal));
  }
  dk_lua_setbool(L, "core_dumped", r->core_dumped);
  push_output(L, "stdout", spec->stdout_mode, &r->out);
  push_output(L, "stderr", spec->stderr_mode, &r->err);
  dk_lua_setbool(L, "truncated", r->out.truncated || r->err.truncated);
  dk_lua_setnum(L, "wall_ms", r->wall_ms);
  dk_lua_setnum(L, "user_ms", r->user_ms);
  dk_lua_setnum(L, "sys_ms", r->sys_ms);
  dk_lua_setint(L, "max_rss_kb", r->max_rss_kb);
  if (r->pid > 0) dk_lua_setint(L, "pid", r->pid);
  dk_lua_setstr(L, "path", r->path);
  dk_lua_setstr(L, "found_by", r->found_by);
  lua_Integer n = luaL_len(L, argv_idx);
  lua_createtable(L, (int)n, 0);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, argv_idx, i);
    lua_rawseti(L, -2, i);
  }
  lua_setfield(L, -2, "argv");
  if (r->status == DK_PROC_FAILED) {
    lua_createtable(L, 0, 4);
    dk_lua_setstr(L, "code", r->error_name);
    dk_lua_setint(L, "number", r->error_code);
    dk_lua_setstr(L, "message", r->error_message);
    dk_lua_setstr(L, "step", r->error_step);
    lua_setfield(L, -2, "error");
  }
}

static int l_run(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (lua_getfield(L, 1, "trace") != LUA_TNIL && lua_toboolean(L, -1)) return run_traced(L);
  lua_pop(L, 1);
  dk_proc_spec spec;
  int argv_idx = parse_spec(L, &spec, "proc.run");

  dk_proc_result *r = lua_newuserdatauv(L, sizeof *r, 0);
  memset(r, 0, sizeof *r);
  luaL_setmetatable(L, RESULT_MT);
  char err[512];
  errno = 0;
  if (dk_proc_run(&spec, r, err, sizeof err) != 0) {
    return toolkit_fail(L, err, errno);
  }
  push_result(L, &spec, r, argv_idx);
  dk_proc_result_free(r);
  return 1;
}

/* {=========== proc.spawn handles */

#define HANDLE_MT "diagkit.proc.handle"

typedef struct phandle {
  dk_proc_spec spec;    /* points into the values kept in the uservalue */
  dk_proc_result res;   /* filled by spawn (pid, path), completed by wait */
  dk_proc_child *child; /* NULL once waited and closed */
  double t_spawn;
  int argv_idx_slot;    /* index of argv in the uservalue list */
  int done;             /* the result has been collected */
} phandle;

static phandle *check_handle(lua_State *L) { return luaL_checkudata(L, 1, HANDLE_MT); }

/* Kills and reaps what still runs; frees the C side. Safe to call twice. */
static void handle_release(phandle *h) {
  if (h->child) {
    dk_proc_close(h->child);
    h->child = NULL;
  }
  dk_proc_result_free(&h->res);
}

static int h_close(lua_State *L) {
  handle_release(check_handle(L));
  return 0;
}

static int h_pid(lua_State *L) {
  phandle *h = check_handle(L);
  if (h->res.pid > 0) lua_pushinteger(L, (lua_Integer)h->res.pid);
  else lua_pushnil(L);
  return 1;
}

/* h:kill([signal]): a number or a name ("SIGTERM", default "SIGKILL"). */
static int h_kill(lua_State *L) {
  phandle *h = check_handle(L);
  int sig = 9;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    sig = (int)luaL_checkinteger(L, 2);
  } else if (!lua_isnoneornil(L, 2)) {
    const char *name = luaL_checkstring(L, 2);
    sig = 0;
    for (int s = 1; s < 65; s++) {
      const char *n = dk_proc_signal_name(s);
      if (n && strcmp(n, name) == 0) {
        sig = s;
        break;
      }
    }
    if (sig == 0) return luaL_argerror(L, 2, "unknown signal name");
  }
  if (!h->child || h->done) {
    lua_pushboolean(L, 0);
    return 1;
  }
  dk_proc_signal(h->child, sig);
  lua_pushboolean(L, 1);
  return 1;
}

/* h:wait([timeout]) -> result | nil, message, code. With a timeout (seconds),
** the tree is stopped that long after this call, as proc.run's timeout does. */
static int h_wait(lua_State *L) {
  phandle *h = check_handle(L);
  if (h->done) return luaL_error(L, "proc handle: wait() was already called");
  if (!h->child) return luaL_error(L, "proc handle is closed");
  if (!lua_isnoneornil(L, 2)) {
    lua_Number t = luaL_checknumber(L, 2);
    if (!(t >= 0)) return luaL_argerror(L, 2, "a timeout in seconds >= 0 expected");
    double elapsed = dk_proc_now_ms() - h->t_spawn;
    h->spec.timeout_ms = (long long)(elapsed + t * 1000.0) + 1;
  }
  char err[512];
  errno = 0;
  int rc = dk_proc_wait(h->child, &h->spec, &h->res, err, sizeof err);
  dk_proc_close(h->child);
  h->child = NULL;
  h->done = 1;
  if (rc != 0) {
    return toolkit_fail(L, err, errno);
  }
  lua_getiuservalue(L, 1, 1); /* the values the spec points into */
  lua_rawgeti(L, -1, h->argv_idx_slot);
  int argv_idx = lua_gettop(L);
  push_result(L, &h->spec, &h->res, argv_idx);
  dk_proc_result_free(&h->res);
  return 1;
}

static int h_tostring(lua_State *L) {
  phandle *h = check_handle(L);
  lua_pushfstring(L, "diagkit.proc handle (pid %d, %s)", (int)h->res.pid, h->done ? "done" : h->child ? "running" : "closed");
  return 1;
}

/* proc.spawn(spec) -> handle | result (status "failed": could not start) | nil, message, code */
static int l_spawn(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "trace");
  if (lua_toboolean(L, -1)) return luaL_error(L, "proc.spawn: trace is only supported by proc.run");
  lua_pop(L, 1);
  dk_proc_spec spec;
  int argv_idx = parse_spec(L, &spec, "proc.spawn");
  int top = lua_gettop(L);
  phandle *h = lua_newuserdatauv(L, sizeof *h, 1);
  memset(h, 0, sizeof *h);
  luaL_setmetatable(L, HANDLE_MT);
  int hidx = lua_gettop(L);
  /* Everything spec points into stays alive with the handle. */
  lua_createtable(L, top, 0);
  for (int i = 1; i <= top; i++) {
    lua_pushvalue(L, i);
    lua_rawseti(L, -2, i);
  }
  lua_setiuservalue(L, hidx, 1);
  h->spec = spec;
  h->argv_idx_slot = argv_idx;
  char err[512];
  errno = 0;
  h->t_spawn = dk_proc_now_ms();
  int rc = dk_proc_spawn(&h->spec, &h->child, &h->res, err, sizeof err);
  if (rc < 0) {
    int e = errno;
    h->done = 1;
    return toolkit_fail(L, err, e);
  }
  if (rc > 0) { /* could not start: the same result proc.run gives */
    h->done = 1;
    push_result(L, &h->spec, &h->res, argv_idx);
    dk_proc_result_free(&h->res);
    return 1;
  }
  lua_pushvalue(L, hidx);
  return 1;
}

/* }=========== */

static void which_cb(const char *cand, void *ud) {
  lua_State *L = ud;
  lua_pushstring(L, cand);
  lua_rawseti(L, -2, (lua_Integer)luaL_len(L, -2) + 1);
}

static int l_which(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *path = luaL_optstring(L, 2, NULL);
  lua_newtable(L);
  char *found = dk_proc_which(name, path, which_cb, L);
  if (found == NULL) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushstring(L, found);
  free(found);
  lua_insert(L, -2);
  return 2;
}

int luaopen_diagkit_proc(lua_State *L) {
  static const luaL_Reg fns[] = {{"run", l_run}, {"spawn", l_spawn}, {"which", l_which}, {NULL, NULL}};
  static const luaL_Reg methods[] = {{"wait", h_wait}, {"kill", h_kill}, {"pid", h_pid}, {"close", h_close},
                                     {NULL, NULL}};
  dk_lua_class(L, HANDLE_MT, methods, h_close, h_close, h_tostring);
  dk_lua_class(L, RESULT_MT, NULL, result_gc, NULL, NULL);
  luaL_newlib(L, fns);
  return 1;
}
