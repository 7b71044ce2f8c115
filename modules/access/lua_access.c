/*
** diagkit.access: access checks (see docs/lua-api/access.md).
**   access.check(path, want, opts)      POSIX path walk + acl(5) + capabilities + mount/inode flags
**   access.credentials(opts)            who: current process, user=, uid=, pid=
*/
#include "access.h"

#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"

int luaopen_diagkit_access(lua_State *L);

static void set_str(lua_State *L, const char *k, const char *v) {
  lua_pushstring(L, v);
  lua_setfield(L, -2, k);
}
static void set_int(lua_State *L, const char *k, lua_Integer v) {
  lua_pushinteger(L, v);
  lua_setfield(L, -2, k);
}
static void set_bool(lua_State *L, const char *k, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

#ifndef _WIN32
static void push_cred(lua_State *L, const dk_pcred *c) {
  lua_createtable(L, 0, 8);
  set_int(L, "uid", c->uid);
  set_int(L, "gid", c->gid);
  lua_createtable(L, (int)c->ngroups, 0);
  for (size_t i = 0; i < c->ngroups; i++) {
    lua_pushinteger(L, c->groups[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "groups");
  if (c->name[0]) set_str(L, "name", c->name);
  set_str(L, "source", c->source);
  lua_createtable(L, 0, 3);
  set_bool(L, "dac_override", (c->caps & DK_CAP_BIT(DK_CAP_DAC_OVERRIDE)) != 0);
  set_bool(L, "dac_read_search", (c->caps & DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH)) != 0);
  set_bool(L, "fowner", (c->caps & DK_CAP_BIT(DK_CAP_FOWNER)) != 0);
  lua_setfield(L, -2, "caps");
}

/* Reads {user=, uid=, gid=, groups=, pid=, caps=} at index idx into cred.
   Returns 0, or pushes nil, message, code and returns 3. */
static int get_cred(lua_State *L, int idx, dk_pcred *cred) {
  char err[256];
  const char *code = "EINVAL";
  if (lua_isnoneornil(L, idx)) {
    if (dk_pcred_current(cred, err, sizeof err, &code) != 0) goto fail;
    return 0;
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  int t;
  if ((t = lua_getfield(L, idx, "pid")) != LUA_TNIL) {
    lua_Integer pid = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (dk_pcred_pid((long)pid, cred, err, sizeof err, &code) != 0) goto fail;
    return 0;
  }
  lua_pop(L, 1);
  if ((t = lua_getfield(L, idx, "user")) != LUA_TNIL) {
    const char *u = lua_tostring(L, -1);
    if (!u) luaL_error(L, "opts.user must be a name or a uid");
    if (dk_pcred_user(u, cred, err, sizeof err, &code) != 0) {
      lua_pop(L, 1);
      goto fail;
    }
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "uid") != LUA_TNIL) {
      lua_Integer uid = luaL_checkinteger(L, -1);
      luaL_argcheck(L, uid >= 0 && uid <= 0xFFFFFFFF, idx, "uid out of range");
      memset(cred, 0, sizeof *cred);
      cred->uid = (uint32_t)uid;
      cred->gid = (uint32_t)uid;
      cred->caps = uid == 0 ? (~(uint64_t)0 >> 23) : 0;
      strcpy(cred->source, "options");
    } else if (dk_pcred_current(cred, err, sizeof err, &code) != 0) {
      lua_pop(L, 1);
      goto fail;
    }
    lua_pop(L, 1);
  }
  if (lua_getfield(L, idx, "gid") != LUA_TNIL) {
    lua_Integer gid = luaL_checkinteger(L, -1);
    luaL_argcheck(L, gid >= 0 && gid <= 0xFFFFFFFF, idx, "gid out of range");
    cred->gid = (uint32_t)gid;
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "groups") != LUA_TNIL) {
    luaL_checktype(L, -1, LUA_TTABLE);
    cred->ngroups = 0;
    lua_Integer n = luaL_len(L, -1);
    for (lua_Integer i = 1; i <= n && cred->ngroups < DK_MAX_GROUPS; i++) {
      lua_rawgeti(L, -1, i);
      lua_Integer g = luaL_checkinteger(L, -1);
      cred->groups[cred->ngroups++] = (uint32_t)g;
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "caps") != LUA_TNIL) {
    /* caps = false (none), or a list of names */
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) {
      cred->caps = 0;
    } else {
      luaL_checktype(L, -1, LUA_TTABLE);
      cred->caps = 0;
      lua_Integer n = luaL_len(L, -1);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        const char *c = luaL_checkstring(L, -1);
        if (strcmp(c, "dac_override") == 0) cred->caps |= DK_CAP_BIT(DK_CAP_DAC_OVERRIDE);
        else if (strcmp(c, "dac_read_search") == 0) cred->caps |= DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH);
        else if (strcmp(c, "fowner") == 0) cred->caps |= DK_CAP_BIT(DK_CAP_FOWNER);
        else luaL_error(L, "unknown capability '%s' (dac_override, dac_read_search, fowner)", c);
        lua_pop(L, 1);
      }
    }
  }
  lua_pop(L, 1);
  return 0;
fail:
  lua_pushnil(L);
  lua_pushstring(L, err);
  lua_pushstring(L, code);
  return 3;
}

static int l_credentials(lua_State *L) {
  dk_pcred *cred = malloc(sizeof *cred);
  if (!cred) return luaL_error(L, "out of memory");
  int n = get_cred(L, 1, cred);
  if (n) {
    free(cred);
    return n;
  }
  push_cred(L, cred);
  free(cred);
  return 1;
}

static int l_check(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *want = luaL_checkstring(L, 2);
  dk_op op;
  if (dk_op_parse(want, &op) != 0)
    return luaL_argerror(L, 2, "read, write, exec, list, search, create, delete or rename expected");
  dk_pcred *cred = malloc(sizeof *cred);
  if (!cred) return luaL_error(L, "out of memory");
  int n = get_cred(L, 3, cred);
  if (n) {
    free(cred);
    return n;
  }
  dk_aresult r;
  char err[256];
  if (dk_access_check(path, op, cred, &r, err, sizeof err) != 0) {
    free(cred);
    dk_aresult_free(&r);
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushstring(L, "EIO");
    return 3;
  }
  lua_createtable(L, 0, 12);
  set_bool(L, "allowed", r.allowed);
  set_str(L, "want", dk_op_name(op));
  set_str(L, "path", path);
  if (r.resolved[0]) set_str(L, "resolved", r.resolved);
  push_cred(L, cred);
  lua_setfield(L, -2, "who");
  if (!r.allowed) {
    set_str(L, "errno", r.err ? r.err : "EACCES");
    const dk_astep *d = r.denied_index >= 0 ? &r.steps[r.denied_index] : NULL;
    lua_createtable(L, 0, 2);
    if (d) {
      set_str(L, "component", d->path);
      set_int(L, "index", d->index);
      set_int(L, "step", r.denied_index + 1);
    }
    lua_setfield(L, -2, "denied_at");
    lua_createtable(L, 0, 2);
    set_str(L, "kind", r.rule_kind);
    set_str(L, "text", r.rule_text);
    lua_setfield(L, -2, "rule");
    lua_createtable(L, 0, 2);
    if (d) set_str(L, "component", d->path);
    set_str(L, "rule", r.rule_text);
    lua_setfield(L, -2, "denied_by");
  }
  set_bool(L, "lsm_active", r.lsm_note);
  lua_createtable(L, (int)r.nsteps, 0);
  for (size_t i = 0; i < r.nsteps; i++) {
    const dk_astep *s = &r.steps[i];
    char ms[11];
    lua_createtable(L, 0, 12);
    set_str(L, "path", s->path);
    set_int(L, "index", s->index);
    set_str(L, "role", s->role);
    set_str(L, "need", s->need);
    if (s->mode) {
      set_str(L, "mode", dk_mode_str(s->mode, ms));
      set_int(L, "uid", s->uid);
      set_int(L, "gid", s->gid);
    }
    set_bool(L, "acl", s->has_acl);
    set_bool(L, "ok", s->ok);
    if (s->via[0]) set_str(L, "via", s->via);
    set_str(L, "rule", s->rule_kind);
    set_str(L, "text", s->text);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "steps");
  free(cred);
  dk_aresult_free(&r);
  return 1;
}
#endif

int luaopen_diagkit_access(lua_State *L) {
  static const luaL_Reg fns[] = {
#ifndef _WIN32
      {"check", l_check},
      {"credentials", l_credentials},
#endif
      {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
