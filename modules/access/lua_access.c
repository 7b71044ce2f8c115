/*
** diagkit.access: access checks (see docs/lua-api/access.md).
**   access.check(path, want, opts)      POSIX path walk + acl(5) + capabilities + mount/inode flags
**   access.credentials(opts)            who: current process, user=, uid=, pid=
*/
#include "dk_err.h"
#include "access.h"
#include "sd.h"
#ifdef _WIN32
#include "access_win.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "dk_lua.h"

int luaopen_diagkit_access(lua_State *L);

#ifndef _WIN32
static void push_cred(lua_State *L, const dk_pcred *c) {
  lua_createtable(L, 0, 8);
  dk_lua_setint(L, "uid", c->uid);
  dk_lua_setint(L, "gid", c->gid);
  lua_createtable(L, (int)c->ngroups, 0);
  for (size_t i = 0; i < c->ngroups; i++) {
    lua_pushinteger(L, c->groups[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "groups");
  if (c->name[0]) dk_lua_setstr(L, "name", c->name);
  dk_lua_setstr(L, "source", c->source);
  lua_createtable(L, 0, 3);
  dk_lua_setbool(L, "dac_override", (c->caps & DK_CAP_BIT(DK_CAP_DAC_OVERRIDE)) != 0);
  dk_lua_setbool(L, "dac_read_search", (c->caps & DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH)) != 0);
  dk_lua_setbool(L, "fowner", (c->caps & DK_CAP_BIT(DK_CAP_FOWNER)) != 0);
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
  return dk_lua_fail(L, err, code);
}

static int l_credentials(lua_State *L) {
  lua_settop(L, 1);
  /* a userdata box: freed by the GC even when an argument error is raised */
  dk_pcred *cred = lua_newuserdatauv(L, sizeof *cred, 0);
  int n = get_cred(L, 1, cred);
  if (n) return n;
  push_cred(L, cred);
  return 1;
}

static int l_check(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *want = luaL_checkstring(L, 2);
  dk_op op;
  if (dk_op_parse(want, &op) != 0)
    return luaL_argerror(L, 2, "read, write, exec, list, search, create, delete or rename expected");
  dk_sysctls sc = {-1, -1, -1};
  if (lua_istable(L, 3)) {
    if (lua_getfield(L, 3, "protected_symlinks") != LUA_TNIL) sc.protected_symlinks = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "protected_regular") != LUA_TNIL) sc.protected_regular = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 3, "protected_fifos") != LUA_TNIL) sc.protected_fifos = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  lua_settop(L, 3);
  dk_pcred *cred = lua_newuserdatauv(L, sizeof *cred, 0);
  int n = get_cred(L, 3, cred);
  if (n) return n;
  dk_aresult r;
  char err[256];
  if (dk_access_check(path, op, cred, &sc, &r, err, sizeof err) != 0) {
    dk_aresult_free(&r);
    return dk_lua_fail(L, err, "EIO");
  }
  lua_createtable(L, 0, 12);
  dk_lua_setbool(L, "allowed", r.allowed);
  dk_lua_setstr(L, "want", dk_op_name(op));
  dk_lua_setstr(L, "path", path);
  if (r.resolved[0]) dk_lua_setstr(L, "resolved", r.resolved);
  push_cred(L, cred);
  lua_setfield(L, -2, "who");
  if (!r.allowed) {
    dk_lua_setstr(L, "errno", r.err ? r.err : "EACCES");
    const dk_astep *d = r.denied_index >= 0 ? &r.steps[r.denied_index] : NULL;
    lua_createtable(L, 0, 2);
    if (d) {
      dk_lua_setstr(L, "component", d->path);
      dk_lua_setint(L, "index", d->index);
      dk_lua_setint(L, "step", r.denied_index + 1);
    }
    lua_setfield(L, -2, "denied_at");
    lua_createtable(L, 0, 2);
    dk_lua_setstr(L, "kind", r.rule_kind);
    dk_lua_setstr(L, "text", r.rule_text);
    lua_setfield(L, -2, "rule");
    lua_createtable(L, 0, 2);
    if (d) dk_lua_setstr(L, "component", d->path);
    dk_lua_setstr(L, "rule", r.rule_text);
    lua_setfield(L, -2, "denied_by");
  }
  dk_lua_setbool(L, "lsm_active", r.lsm_note);
  lua_createtable(L, (int)r.nsteps, 0);
  for (size_t i = 0; i < r.nsteps; i++) {
    const dk_astep *s = &r.steps[i];
    char ms[11];
    lua_createtable(L, 0, 12);
    dk_lua_setstr(L, "path", s->path);
    dk_lua_setint(L, "index", s->index);
    dk_lua_setstr(L, "role", s->role);
    dk_lua_setstr(L, "need", s->need);
    if (s->mode) {
      dk_lua_setstr(L, "mode", dk_mode_str(s->mode, ms));
      dk_lua_setint(L, "uid", s->uid);
      dk_lua_setint(L, "gid", s->gid);
    }
    dk_lua_setbool(L, "acl", s->has_acl);
    dk_lua_setbool(L, "ok", s->ok);
    if (s->via[0]) dk_lua_setstr(L, "via", s->via);
    dk_lua_setstr(L, "rule", s->rule_kind);
    dk_lua_setstr(L, "text", s->text);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "steps");
  dk_aresult_free(&r);
  return 1;
}
#endif


/* ---- Windows security descriptors -------------------------------------- */

#define SD_BAD "DK_BAD_FORMAT"

static void push_sid_fields(lua_State *L, const dk_sid *sid) {
  char t[200];
  dk_sid_format(sid, t, sizeof t);
  dk_lua_setstr(L, "sid", t);
  const char *a = dk_sid_alias(sid);
  if (a) dk_lua_setstr(L, "alias", a);
  const char *n = dk_sid_name(sid);
  if (n) dk_lua_setstr(L, "name", n);
}

static const char *ace_code(uint8_t type) {
  static const struct {
    uint8_t t;
    const char *c;
  } codes[] = {{DK_ACE_ALLOWED, "A"},          {DK_ACE_DENIED, "D"},           {DK_ACE_AUDIT, "AU"},
               {DK_ACE_ALARM, "AL"},           {DK_ACE_ALLOWED_OBJECT, "OA"},  {DK_ACE_DENIED_OBJECT, "OD"},
               {DK_ACE_AUDIT_OBJECT, "OU"},    {DK_ACE_ALARM_OBJECT, "OL"},    {DK_ACE_ALLOWED_CALLBACK, "XA"},
               {DK_ACE_DENIED_CALLBACK, "XD"}, {DK_ACE_ALLOWED_CALLBACK_OBJECT, "ZA"},
               {DK_ACE_AUDIT_CALLBACK, "XU"},  {DK_ACE_MANDATORY_LABEL, "ML"}, {DK_ACE_RESOURCE_ATTRIBUTE, "RA"},
               {DK_ACE_SCOPED_POLICY_ID, "SP"}, {DK_ACE_PROCESS_TRUST_LABEL, "TL"}, {DK_ACE_ACCESS_FILTER, "FL"}};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    if (codes[i].t == type) return codes[i].c;
  return NULL;
}

static void push_names(lua_State *L, uint32_t mask, const char *otype) {
  char buf[1024];
  dk_rights_names(mask, otype, buf, sizeof buf);
  lua_newtable(L);
  int n = 0;
  char *p = buf;
  while (*p) {
    char *e = strstr(p, ", ");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    lua_pushlstring(L, p, len);
    lua_rawseti(L, -2, ++n);
    p += len;
    if (e) p += 2;
  }
}

static void push_guid(lua_State *L, const uint8_t *g) {
  char b[40];
  snprintf(b, sizeof b, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0],
           g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
  lua_pushstring(L, b);
}

static void push_acl(lua_State *L, const dk_acl *acl, uint16_t control, int is_dacl, const char *otype) {
  lua_createtable(L, 0, 6);
  dk_lua_setbool(L, "present", acl->present);
  dk_lua_setbool(L, "null", acl->null);
  dk_lua_setbool(L, "protected", (control & (is_dacl ? DK_SE_DACL_PROTECTED : DK_SE_SACL_PROTECTED)) != 0);
  dk_lua_setbool(L, "auto_inherited", (control & (is_dacl ? DK_SE_DACL_AUTO_INHERITED : DK_SE_SACL_AUTO_INHERITED)) != 0);
  lua_createtable(L, acl->count, 0);
  for (size_t i = 0; i < acl->count; i++) {
    const dk_ace *a = &acl->aces[i];
    lua_createtable(L, 0, 14);
    dk_lua_setint(L, "index", (lua_Integer)i);
    dk_lua_setstr(L, "type", dk_ace_type_name(a->type));
    const char *c = ace_code(a->type);
    if (c) dk_lua_setstr(L, "code", c);
    dk_lua_setint(L, "flags", a->flags);
    dk_lua_setbool(L, "inherit_only", (a->flags & DK_IO) != 0);
    dk_lua_setbool(L, "inherited", (a->flags & DK_ID) != 0);
    dk_lua_setbool(L, "object_inherit", (a->flags & DK_OI) != 0);
    dk_lua_setbool(L, "container_inherit", (a->flags & DK_CI) != 0);
    dk_lua_setint(L, "mask", a->mask);
    push_names(L, a->mask, otype);
    lua_setfield(L, -2, "rights");
    push_sid_fields(L, &a->sid);
    if (a->object_flags & 1u) {
      push_guid(L, a->object_type);
      lua_setfield(L, -2, "object_type");
    }
    if (a->object_flags & 2u) {
      push_guid(L, a->inherited_object_type);
      lua_setfield(L, -2, "inherited_object_type");
    }
    if (a->data_len) dk_lua_setint(L, "data_bytes", (lua_Integer)a->data_len);
    char sd[512];
    dk_sddl_ace(a, sd, sizeof sd);
    dk_lua_setstr(L, "sddl", sd);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "aces");
}

static const char *level_name(uint32_t rid) {
  switch (rid) {
  case 0x0000: return "untrusted";
  case 0x1000: return "low";
  case 0x2000: return "medium";
  case 0x2100: return "medium-plus";
  case 0x3000: return "high";
  case 0x4000: return "system";
  case 0x5000: return "protected";
  default: return "other";
  }
}

static void push_sd(lua_State *L, const dk_sd *sd, const char *otype) {
  lua_createtable(L, 0, 8);
  dk_lua_setint(L, "control", sd->control);
  if (sd->has_owner) {
    lua_newtable(L);
    push_sid_fields(L, &sd->owner);
    lua_setfield(L, -2, "owner");
  }
  if (sd->has_group) {
    lua_newtable(L);
    push_sid_fields(L, &sd->group);
    lua_setfield(L, -2, "group");
  }
  push_acl(L, &sd->dacl, sd->control, 1, otype);
  lua_setfield(L, -2, "dacl");
  push_acl(L, &sd->sacl, sd->control, 0, otype);
  lua_setfield(L, -2, "sacl");
  for (size_t i = 0; sd->sacl.present && i < sd->sacl.count; i++) {
    const dk_ace *a = &sd->sacl.aces[i];
    if (a->type != DK_ACE_MANDATORY_LABEL) continue;
    lua_createtable(L, 0, 4);
    uint32_t rid = a->sid.count ? a->sid.sub[a->sid.count - 1] : 0;
    dk_lua_setint(L, "rid", rid);
    dk_lua_setstr(L, "level", level_name(rid));
    dk_lua_setbool(L, "no_write_up", (a->mask & 1u) != 0);
    dk_lua_setbool(L, "no_read_up", (a->mask & 2u) != 0);
    dk_lua_setbool(L, "no_execute_up", (a->mask & 4u) != 0);
    dk_lua_setbool(L, "inherit_only", (a->flags & DK_IO) != 0);
    lua_setfield(L, -2, "label");
    break;
  }
  char *s = dk_sddl_format(sd);
  if (s) {
    dk_lua_setstr(L, "sddl", s);
    free(s);
  }
}

/* An SD from argument idx: SDDL text, binary bytes, or a table with .sddl. Returns 0 or pushes a failure (3). */
static int get_sd(lua_State *L, int idx, dk_sd *sd) {
  char err[256];
  size_t len;
  const char *s;
  if (lua_istable(L, idx)) {
    lua_getfield(L, idx, "sddl");
    s = lua_tolstring(L, -1, &len);
    if (!s) luaL_argerror(L, idx, "security descriptor table without .sddl");
    lua_pop(L, 1); /* the table keeps the string alive */
    lua_getfield(L, idx, "sddl");
    s = lua_tolstring(L, -1, &len);
  } else {
    s = luaL_checklstring(L, idx, &len);
    lua_pushvalue(L, idx);
  }
  int rc = (len > 0 && (unsigned char)s[0] == 1) ? dk_sd_parse((const uint8_t *)s, len, sd, err, sizeof err)
                                                  : dk_sddl_parse(s, len, sd, err, sizeof err);
  lua_pop(L, 1);
  if (rc != 0) return dk_lua_fail(L, err, SD_BAD);
  return 0;
}

static const char *opt_type(lua_State *L, int idx) {
  const char *t = luaL_optstring(L, idx, "file");
  if (!dk_mapping_find(t)) luaL_argerror(L, idx, "file, directory, key, service or none expected");
  return t;
}

/* access.parse_sddl / access.parse_sd: text or binary in, the same table out. */
static int parse_sd_arg(lua_State *L, int binary) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  const char *t = opt_type(L, 2);
  dk_sd sd;
  char err[256];
  int rc = binary ? dk_sd_parse((const uint8_t *)s, len, &sd, err, sizeof err)
                  : dk_sddl_parse(s, len, &sd, err, sizeof err);
  if (rc != 0) return dk_lua_fail(L, err, SD_BAD);
  push_sd(L, &sd, t);
  dk_sd_free(&sd);
  return 1;
}

static int l_parse_sddl(lua_State *L) { return parse_sd_arg(L, 0); }
static int l_parse_sd(lua_State *L) { return parse_sd_arg(L, 1); }

static int l_to_binary(lua_State *L) {
  dk_sd sd;
  int n = get_sd(L, 1, &sd);
  if (n) return n;
  uint8_t *b;
  size_t len;
  int rc = dk_sd_to_binary(&sd, &b, &len);
  dk_sd_free(&sd);
  if (rc != 0) return dk_lua_fail(L, "security descriptor too large", SD_BAD);
  lua_pushlstring(L, (const char *)b, len);
  free(b);
  return 1;
}

static int l_sddl(lua_State *L) {
  dk_sd sd;
  int n = get_sd(L, 1, &sd);
  if (n) return n;
  char *s = dk_sddl_format(&sd);
  dk_sd_free(&sd);
  if (!s) return luaL_error(L, "out of memory");
  lua_pushstring(L, s);
  free(s);
  return 1;
}

static const struct {
  const char *name;
  uint32_t bit;
} priv_names[] = {{"SeSecurityPrivilege", DK_PRIV_SECURITY},
                  {"SeTakeOwnershipPrivilege", DK_PRIV_TAKE_OWNERSHIP},
                  {"SeBackupPrivilege", DK_PRIV_BACKUP},
                  {"SeRestorePrivilege", DK_PRIV_RESTORE},
                  {"SeChangeNotifyPrivilege", DK_PRIV_CHANGE_NOTIFY},
                  {"SeRelabelPrivilege", DK_PRIV_RELABEL}};

static uint32_t level_rid(lua_State *L, int idx) {
  if (lua_isinteger(L, idx)) return (uint32_t)lua_tointeger(L, idx);
  const char *s = luaL_checkstring(L, idx);
  static const struct {
    const char *n;
    uint32_t r;
  } lv[] = {{"untrusted", 0},     {"low", 0x1000},    {"medium", 0x2000},    {"medium-plus", 0x2100},
            {"high", 0x3000},     {"system", 0x4000}, {"protected", 0x5000}};
  for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++)
    if (strcmp(lv[i].n, s) == 0) return lv[i].r;
  return (uint32_t)luaL_error(L, "unknown integrity level '%s' (untrusted, low, medium, high, system)", s);
}

static void check_sid(lua_State *L, const char *s, dk_sid *sid) {
  char err[200];
  if (dk_sid_from_string(s, sid, err, sizeof err) != 0) luaL_error(L, "bad SID '%s': %s", s, err);
}

/* Token table at idx -> tok (arrays allocated in userdata boxes kept on the stack). */
static void get_token(lua_State *L, int idx, dk_token *tok) {
  luaL_checktype(L, idx, LUA_TTABLE);
  memset(tok, 0, sizeof *tok);
  tok->integrity = 0x2000;
  tok->no_write_up = 1;
  lua_getfield(L, idx, "user");
  check_sid(L, luaL_checkstring(L, -1), &tok->user);
  lua_pop(L, 1);
  lua_getfield(L, idx, "user_deny_only");
  tok->user_deny_only = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "integrity") != LUA_TNIL) tok->integrity = level_rid(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "no_write_up") != LUA_TNIL) tok->no_write_up = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "groups") == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    tok->groups = lua_newuserdatauv(L, sizeof(dk_token_group) * (size_t)(n > 0 ? n : 1), 0);
    lua_insert(L, -2); /* keep the box below the groups table */
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      dk_token_group *g = &tok->groups[tok->ngroups];
      g->attributes = DK_GROUP_ENABLED | DK_GROUP_ENABLED_BY_DEFAULT | DK_GROUP_MANDATORY;
      if (lua_isstring(L, -1)) {
        check_sid(L, lua_tostring(L, -1), &g->sid);
      } else {
        luaL_checktype(L, -1, LUA_TTABLE);
        lua_getfield(L, -1, "sid");
        check_sid(L, luaL_checkstring(L, -1), &g->sid);
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "attributes") != LUA_TNIL) g->attributes = (uint32_t)luaL_checkinteger(L, -1);
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "enabled") != LUA_TNIL && !lua_toboolean(L, -1)) g->attributes &= ~DK_GROUP_ENABLED;
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "deny_only") != LUA_TNIL && lua_toboolean(L, -1))
          g->attributes = (g->attributes & ~DK_GROUP_ENABLED) | DK_GROUP_USE_FOR_DENY_ONLY;
        lua_pop(L, 1);
      }
      tok->ngroups++;
      lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the groups table; the box stays */
  } else {
    lua_pop(L, 1);
  }
  if (lua_getfield(L, idx, "restricted") == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    tok->restricted = lua_newuserdatauv(L, sizeof(dk_sid) * (size_t)(n > 0 ? n : 1), 0);
    lua_insert(L, -2);
    for (lua_Integer i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      check_sid(L, luaL_checkstring(L, -1), &tok->restricted[tok->nrestricted++]);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  } else {
    lua_pop(L, 1);
  }
  if (lua_getfield(L, idx, "privileges") == LUA_TTABLE) {
    /* {"SeBackupPrivilege", ...} (enabled) or {SeBackupPrivilege = true|false} */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
      const char *name;
      int enabled;
      if (lua_type(L, -2) == LUA_TNUMBER) {
        name = luaL_checkstring(L, -1);
        enabled = 1;
      } else {
        name = luaL_checkstring(L, -2);
        enabled = lua_toboolean(L, -1);
      }
      for (size_t i = 0; i < sizeof priv_names / sizeof priv_names[0]; i++)
        if (strcmp(priv_names[i].name, name) == 0) {
          tok->privileges_held |= priv_names[i].bit;
          if (enabled) tok->privileges |= priv_names[i].bit;
        }
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

static const char *outcome_name(int o) {
  switch (o) {
  case DK_STEP_GRANTED: return "granted";
  case DK_STEP_DENIED: return "denied";
  case DK_STEP_NO_NEW_BITS: return "nothing-new";
  case DK_STEP_DENY_NOT_NEEDED: return "deny-not-applicable";
  case DK_STEP_NOT_IN_TOKEN: return "not-in-token";
  case DK_STEP_DENY_ONLY: return "deny-only";
  case DK_STEP_DISABLED: return "disabled";
  case DK_STEP_INHERIT_ONLY: return "inherit-only";
  case DK_STEP_OBJECT_IGNORED: return "object-ace-ignored";
  case DK_STEP_CALLBACK: return "condition-not-evaluated";
  case DK_STEP_NOT_REACHED: return "not-reached";
  default: return "ignored";
  }
}

static void sid_label(const dk_sid *sid, char *buf, size_t len) {
  const char *a = dk_sid_alias(sid);
  if (a) snprintf(buf, len, "%s", a);
  else dk_sid_format(sid, buf, len);
}

static int l_evaluate(lua_State *L) {
  dk_sd sd;
  dk_token tok;
  uint32_t desired = 0;
  dk_check_opts opts = {0};
  /* Everything that may raise comes first; the SD (which needs freeing) last. */
  if (lua_isinteger(L, 3)) {
    desired = (uint32_t)lua_tointeger(L, 3);
  } else if (lua_type(L, 3) == LUA_TSTRING) {
    char err[200];
    if (dk_rights_parse(lua_tostring(L, 3), &desired, err, sizeof err) != 0) return luaL_argerror(L, 3, err);
  } else {
    return luaL_argerror(L, 3, "access mask (integer) or rights names expected");
  }
  const char *otype = luaL_optstring(L, 4, "file");
  const dk_generic_mapping *map = dk_mapping_find(otype);
  if (!map) return luaL_argerror(L, 4, "file, directory, key, service or none expected");
  if (lua_istable(L, 5)) {
    lua_getfield(L, 5, "backup_intent");
    opts.backup_intent = lua_toboolean(L, -1);
    lua_getfield(L, 5, "object_aces_as_plain");
    opts.use_object_aces_as_plain = lua_toboolean(L, -1);
    lua_pop(L, 2);
  }
  lua_settop(L, 5);
  get_token(L, 2, &tok); /* its arrays live in userdata on the stack */
  int n = get_sd(L, 1, &sd);
  if (n) return n;
  dk_check_result r;
  if (dk_access_evaluate(&sd, &tok, desired, map, &opts, &r) != 0) {
    dk_sd_free(&sd);
    dk_check_result_free(&r);
    return luaL_error(L, "out of memory");
  }
  lua_createtable(L, 0, 16);
  dk_lua_setbool(L, "allowed", r.allowed);
  dk_lua_setbool(L, "indeterminate", r.indeterminate);
  dk_lua_setstr(L, "object_type", otype);
  dk_lua_setint(L, "desired", r.desired);
  push_names(L, r.desired, otype);
  lua_setfield(L, -2, "desired_names");
  dk_lua_setint(L, "granted", r.granted);
  push_names(L, r.granted, otype);
  lua_setfield(L, -2, "granted_names");
  dk_lua_setint(L, "missing", r.missing);
  push_names(L, r.missing, otype);
  lua_setfield(L, -2, "missing_names");
  dk_lua_setstr(L, "dacl", r.no_dacl ? "absent" : r.null_dacl ? "null" : r.empty_dacl ? "empty" : "present");
  char ace_txt[512], lbl[200];
  if (r.denied_by >= 0) {
    const dk_ace *a = &sd.dacl.aces[r.denied_by];
    lua_createtable(L, 0, 4);
    dk_lua_setint(L, "ace", r.denied_by);
    dk_sddl_ace(a, ace_txt, sizeof ace_txt);
    dk_lua_setstr(L, "sddl", ace_txt);
    dk_lua_setint(L, "bits", r.denied_bits);
    push_names(L, r.denied_bits, otype);
    lua_setfield(L, -2, "names");
    lua_setfield(L, -2, "denied_by");
  }
  /* grants: one entry per source (ACE index, owner, privilege, NULL DACL) */
  lua_newtable(L);
  int ng = 0;
  for (int src = -4; src < (int)sd.dacl.count; src++) {
    uint32_t bits = 0;
    for (int b = 0; b < 32; b++)
      if (r.bit_ace[b] == src && ((r.granted >> b) & 1u)) bits |= 1u << b;
    if (!bits) continue;
    lua_createtable(L, 0, 4);
    if (src >= 0) {
      dk_lua_setint(L, "ace", src);
      dk_sddl_ace(&sd.dacl.aces[src], ace_txt, sizeof ace_txt);
      dk_lua_setstr(L, "sddl", ace_txt);
      dk_lua_setstr(L, "by", "ace");
    } else {
      dk_lua_setstr(L, "by", src == -2 ? "owner" : src == -3 ? "privilege" : "no-dacl");
    }
    dk_lua_setint(L, "bits", bits);
    push_names(L, bits, otype);
    lua_setfield(L, -2, "names");
    lua_rawseti(L, -2, ++ng);
  }
  lua_setfield(L, -2, "grants");
  lua_createtable(L, 0, 3);
  dk_lua_setbool(L, "is_owner", r.is_owner);
  dk_lua_setint(L, "implicit", r.owner_granted);
  dk_lua_setbool(L, "owner_rights_ace", r.owner_rights_ace);
  lua_setfield(L, -2, "owner");
  lua_createtable(L, 0, 6);
  dk_lua_setint(L, "object_rid", r.label_rid);
  dk_lua_setstr(L, "object", level_name(r.label_rid));
  dk_lua_setbool(L, "explicit_label", r.label_explicit);
  dk_lua_setint(L, "token_rid", tok.integrity);
  dk_lua_setstr(L, "token", level_name(tok.integrity));
  dk_lua_setint(L, "blocked", r.mic_blocked);
  push_names(L, r.mic_blocked, otype);
  lua_setfield(L, -2, "blocked_names");
  lua_setfield(L, -2, "integrity");
  dk_lua_setint(L, "privilege_granted", r.privilege_granted);
  dk_lua_setbool(L, "system_security_denied", r.system_security_denied);
  lua_createtable(L, (int)r.nsteps, 0);
  for (size_t i = 0; i < r.nsteps; i++) {
    const dk_check_step *st = &r.steps[i];
    const dk_ace *a = &sd.dacl.aces[st->ace];
    lua_createtable(L, 0, 6);
    dk_lua_setint(L, "ace", st->ace);
    dk_sddl_ace(a, ace_txt, sizeof ace_txt);
    dk_lua_setstr(L, "sddl", ace_txt);
    sid_label(&a->sid, lbl, sizeof lbl);
    dk_lua_setstr(L, "sid", lbl);
    dk_lua_setstr(L, "outcome", outcome_name(st->outcome));
    dk_lua_setint(L, "bits", st->bits);
    dk_lua_setstr(L, "pass", st->pass ? "restricted" : "token");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "steps");
  dk_check_result_free(&r);
  dk_sd_free(&sd);
  return 1;
}

/* Standard tokens. */
static void push_group(lua_State *L, int *n, const char *sid, int enabled, int deny_only) {
  lua_createtable(L, 0, 3);
  dk_lua_setstr(L, "sid", sid);
  dk_lua_setbool(L, "enabled", enabled);
  if (deny_only) dk_lua_setbool(L, "deny_only", 1);
  dk_sid s;
  char err[64];
  if (dk_sid_from_string(sid, &s, err, sizeof err) == 0 && dk_sid_name(&s)) dk_lua_setstr(L, "name", dk_sid_name(&s));
  lua_rawseti(L, -2, ++*n);
}

static int l_token(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *user = "S-1-5-21-1004336348-1177238915-682003330-1001"; /* a local account */
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "user");
    if (lua_isstring(L, -1)) user = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  int admin = strcmp(name, "filtered-admin") == 0, elevated = strcmp(name, "elevated-admin") == 0;
  int plain = strcmp(name, "user") == 0, low = strcmp(name, "low") == 0;
  int system = strcmp(name, "system") == 0, ls = strcmp(name, "local-service") == 0,
      ns = strcmp(name, "network-service") == 0;
  if (!(admin || elevated || plain || low || system || ls || ns))
    return luaL_argerror(L, 1,
                         "filtered-admin, elevated-admin, user, low, system, local-service or network-service expected");
  lua_createtable(L, 0, 6);
  dk_lua_setstr(L, "kind", name);
  dk_lua_setstr(L, "user", system ? "S-1-5-18" : ls ? "S-1-5-19" : ns ? "S-1-5-20" : user);
  dk_lua_setstr(L, "integrity", (system || ls || ns) ? "system" : elevated ? "high" : low ? "low" : "medium");
  int n = 0;
  lua_newtable(L);
  if (system || ls || ns) {
    if (system) push_group(L, &n, "S-1-5-32-544", 1, 0);
    push_group(L, &n, "S-1-1-0", 1, 0);
    push_group(L, &n, "S-1-5-11", 1, 0);
    if (!system) push_group(L, &n, "S-1-5-6", 1, 0);
    push_group(L, &n, "S-1-2-0", 1, 0);
  } else {
    push_group(L, &n, "S-1-1-0", 1, 0);
    if (admin || elevated) {
      push_group(L, &n, "S-1-5-114", elevated, admin);
      push_group(L, &n, "S-1-5-32-544", elevated, admin);
    }
    push_group(L, &n, "S-1-5-32-545", 1, 0);
    push_group(L, &n, "S-1-5-4", 1, 0);
    push_group(L, &n, "S-1-2-1", 1, 0);
    push_group(L, &n, "S-1-5-11", 1, 0);
    push_group(L, &n, "S-1-5-15", 1, 0);
    push_group(L, &n, "S-1-5-113", 1, 0);
    push_group(L, &n, "S-1-2-0", 1, 0);
  }
  lua_setfield(L, -2, "groups");
  lua_newtable(L);
  dk_lua_setbool(L, "SeChangeNotifyPrivilege", 1);
  if (elevated || system) {
    dk_lua_setbool(L, "SeBackupPrivilege", 0);
    dk_lua_setbool(L, "SeRestorePrivilege", 0);
    dk_lua_setbool(L, "SeTakeOwnershipPrivilege", 0);
    dk_lua_setbool(L, "SeSecurityPrivilege", 0);
  }
  lua_setfield(L, -2, "privileges");
  return 1;
}

static int l_rights(lua_State *L) {
  lua_Integer m = luaL_checkinteger(L, 1);
  const char *t = opt_type(L, 2);
  push_names(L, (uint32_t)m, t);
  return 1;
}

static int l_mask(lua_State *L) {
  uint32_t m;
  char err[200];
  if (dk_rights_parse(luaL_checkstring(L, 1), &m, err, sizeof err) != 0) return dk_lua_fail(L, err, "EINVAL");
  lua_pushinteger(L, m);
  return 1;
}

#ifdef _WIN32
/* Live Windows objects. */
static int push_live_sd(lua_State *L, int rc, uint8_t *b, size_t len, const char *err, const char *code) {
  if (rc != 0) return dk_lua_fail(L, err, code);
  dk_sd sd;
  char perr[256];
  int prc = dk_sd_parse(b, len, &sd, perr, sizeof perr);
  free(b);
  if (prc != 0) return dk_lua_fail(L, perr, SD_BAD);
  push_sd(L, &sd, "file");
  dk_sd_free(&sd);
  return 1;
}

static int l_file_security(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  uint8_t *b;
  size_t len;
  char err[512];
  const char *code = "EIO";
  int rc = dk_win_file_sd(path, &b, &len, err, sizeof err, &code);
  return push_live_sd(L, rc, b, len, err, code);
}

static int l_key_security(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer view = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, view == 0 || view == 32 || view == 64, 2, "0, 32 or 64 expected");
  uint8_t *b;
  size_t len;
  char err[512];
  const char *code = "EIO";
  int rc = dk_win_key_sd(path, (int)view, &b, &len, err, sizeof err, &code);
  return push_live_sd(L, rc, b, len, err, code);
}

static int l_current_token(lua_State *L) {
  dk_wtoken t;
  char err[512];
  const char *code = "EIO";
  if (dk_win_current_token(&t, err, sizeof err, &code) != 0) return dk_lua_fail(L, err, code);
  lua_createtable(L, 0, 6);
  dk_lua_setstr(L, "kind", "process");
  dk_lua_setstr(L, "user", t.user);
  lua_pushinteger(L, t.integrity);
  lua_setfield(L, -2, "integrity");
  dk_lua_setbool(L, "elevated", t.elevated);
  dk_lua_setstr(L, "elevation_type", t.elevation_type == 2 ? "full" : t.elevation_type == 3 ? "limited" : "default");
  lua_createtable(L, (int)t.ngroups, 0);
  for (size_t i = 0; i < t.ngroups; i++) {
    lua_createtable(L, 0, 4);
    dk_lua_setstr(L, "sid", t.groups[i].sid);
    dk_lua_setint(L, "attributes", t.groups[i].attributes);
    dk_lua_setbool(L, "enabled", (t.groups[i].attributes & DK_GROUP_ENABLED) != 0);
    dk_lua_setbool(L, "deny_only", (t.groups[i].attributes & DK_GROUP_USE_FOR_DENY_ONLY) != 0);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "groups");
  lua_createtable(L, 0, (int)t.nprivs);
  for (size_t i = 0; i < t.nprivs; i++) dk_lua_setbool(L, t.privs[i].name, t.privs[i].enabled);
  lua_setfield(L, -2, "privileges");
  dk_wtoken_free(&t);
  return 1;
}
#endif

int luaopen_diagkit_access(lua_State *L) {
  static const luaL_Reg fns[] = {
#ifndef _WIN32
      {"check", l_check},
      {"credentials", l_credentials},
#endif
      {"parse_sddl", l_parse_sddl},
      {"parse_sd", l_parse_sd},
      {"to_binary", l_to_binary},
      {"sddl", l_sddl},
      {"evaluate", l_evaluate},
      {"token", l_token},
      {"rights", l_rights},
      {"mask", l_mask},
#ifdef _WIN32
      {"file_security", l_file_security},
      {"key_security", l_key_security},
      {"current_token", l_current_token},
#endif
      {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
