/*
** diagkit.svc: a Windows service as the SCM sees it.
**   svc.query(name) -> {image, start, type, error_control, account, display, group,
**                       depends = {...}, status = {state, win32_exit, service_exit, pid},
**                       failure_actions = {reset_period_s, command, actions = {{action, delay_ms}}}}
**                    | nil, message, code (the Win32 error: 1060 no such service;
**                      "ENOTSUP" on systems without an SCM)
** start and state are numbers as the SCM gives them (2 = automatic; 1 = stopped, 4 = running).
*/
#include <string.h>

#include "dk_lua.h"
#include "svc.h"

int luaopen_diagkit_svc(lua_State *L);

static const char *action_name(unsigned t) {
  switch (t) {
    case 0: return "none";
    case 1: return "restart";
    case 2: return "reboot";
    case 3: return "run-command";
    default: return "unknown";
  }
}

static int l_query(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  dk_svc_info info;
  unsigned code = 0;
  char msg[300];
  if (dk_svc_query(name, &info, &code, msg, sizeof msg) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, msg);
    if (code == DK_SVC_NOT_WINDOWS) lua_pushliteral(L, "ENOTSUP");
    else lua_pushinteger(L, (lua_Integer)code);
    return 3;
  }
  /* (Out of memory while building the table would leak the few strings of info.) */
  lua_createtable(L, 0, 12);
  dk_lua_setstr(L, "image", info.image);
  dk_lua_setstr(L, "account", info.account);
  dk_lua_setstr(L, "display", info.display);
  dk_lua_setstr(L, "group", info.group);
  dk_lua_setint(L, "type", info.type);
  dk_lua_setint(L, "start", info.start);
  dk_lua_setint(L, "error_control", info.error_control);
  lua_newtable(L);
  int n = 0;
  for (const char *p = info.depends; p && *p; p += strlen(p) + 1) {
    lua_pushstring(L, p);
    lua_rawseti(L, -2, ++n);
  }
  lua_setfield(L, -2, "depends");
  if (info.has_status) {
    lua_createtable(L, 0, 6);
    dk_lua_setint(L, "state", info.state);
    dk_lua_setint(L, "win32_exit", info.win32_exit);
    dk_lua_setint(L, "service_exit", info.service_exit);
    dk_lua_setint(L, "pid", info.pid);
    dk_lua_setint(L, "checkpoint", info.checkpoint);
    dk_lua_setint(L, "wait_hint", info.wait_hint);
    lua_setfield(L, -2, "status");
  }
  if (info.has_failure) {
    lua_createtable(L, 0, 3);
    dk_lua_setint(L, "reset_period_s", info.reset_period_s);
    dk_lua_setstr(L, "command", info.command);
    lua_createtable(L, (int)info.nactions, 0);
    for (unsigned i = 0; i < info.nactions; i++) {
      lua_createtable(L, 0, 2);
      dk_lua_setstr(L, "action", action_name(info.actions[i].type));
      dk_lua_setint(L, "delay_ms", info.actions[i].delay_ms);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "actions");
    lua_setfield(L, -2, "failure_actions");
  }
  dk_svc_info_free(&info);
  return 1;
}

int luaopen_diagkit_svc(lua_State *L) {
  static const luaL_Reg fns[] = {{"query", l_query}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
