/*
** diagkit.trace: file-access traces as lists of plain event tables.
**   trace.parse_strace(text [, opts])       -> events, stats | nil, message, code
**   trace.strace_file(path [, opts])        -> events, stats | nil, message, code
**   trace.parse_procmon_csv(text [, opts])  -> events, stats | nil, message, code
**   trace.procmon_csv(path [, opts])        -> events, stats | nil, message, code
**   trace.parse_pml(bytes [, opts])         -> events, stats | nil, message, code
**   trace.pml(path [, opts])                -> events, stats | nil, message, code
** opts.paths_only: keep only events that name a path (plus exits and kills).
** trace.failures and trace.run are Lua (scripts/diagkit/tracing.lua); they are
** added to this table when the scripts are on package.path.
** Uses only trace.h and pml.h.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"
#include "pml.h"
#include "trace.h"

int luaopen_diagkit_trace(lua_State *L);

typedef struct bctx {
  lua_State *L;
  const char *b;
  int procmon;
  int paths_only;
  lua_Integer n;
} bctx;

static void set_str(lua_State *L, const char *k, const char *s) {
  if (!s) return;
  lua_pushstring(L, s);
  lua_setfield(L, -2, k);
}

/* A span; procmon fields may hold "" for a quote. */
static void set_span(bctx *c, const char *k, dkt_span s) {
  if (s.len == 0) return;
  const char *p = c->b + s.off;
  if (c->procmon && memchr(p, '"', s.len)) {
    luaL_Buffer B;
    luaL_buffinit(c->L, &B);
    for (size_t i = 0; i < s.len; i++) {
      luaL_addchar(&B, p[i]);
      if (p[i] == '"' && i + 1 < s.len && p[i + 1] == '"') i++;
    }
    luaL_pushresult(&B);
  } else {
    lua_pushlstring(c->L, p, s.len);
  }
  lua_setfield(c->L, -2, k);
}

static void set_int(lua_State *L, const char *k, long long v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static const char *const KIND[] = {"syscall", "signal", "exit", "killed"};

static int on_event(void *ud, const dkt_event *e) {
  bctx *c = ud;
  lua_State *L = c->L;
  if (c->paths_only && e->kind == DKT_SYSCALL && !e->path && !e->fd_path) return 0;
  lua_createtable(L, 0, 12);
  lua_pushstring(L, KIND[e->kind]);
  lua_setfield(L, -2, "kind");
  set_int(L, "line", (long long)e->line);
  if (e->pid >= 0) set_int(L, "pid", e->pid);
  set_span(c, "time", e->time);
  if (e->kind == DKT_SYSCALL) {
    set_span(c, "syscall", e->call);
  } else if (e->kind != DKT_EXIT) {
    set_span(c, "signal", e->call);
  }
  set_str(L, "path", e->path);
  set_str(L, "path2", e->path2);
  set_str(L, "dir", e->dir);
  set_str(L, "fd_path", e->fd_path);
  if (e->path && e->path[0] != '/' && e->dir) { /* strace -y: where a relative path points */
    lua_pushfstring(L, "%s/%s", e->dir, e->path);
    lua_setfield(L, -2, "abs_path");
  }
  if (c->procmon) {
    set_span(c, "process", e->process);
    set_span(c, "operation", e->call);
    set_span(c, "result", e->status);
    set_span(c, "detail", e->message);
    /* Anything but SUCCESS is the failure, in Procmon's words. */
    if (e->status.len && !(e->status.len == 7 && memcmp(c->b + e->status.off, "SUCCESS", 7) == 0))
      set_span(c, "errno", e->status);
    if (e->has_exit) {
      set_int(L, "exit_status", e->exit_code);
      set_int(L, "exit_code", (long long)((unsigned long long)e->exit_code & 0xffffffffULL));
    }
  } else {
    if (e->has_result) set_int(L, "result", e->result);
    set_span(c, "errno", e->status);
    set_span(c, "errmsg", e->message);
    if (e->has_exit) set_int(L, "exit_code", e->exit_code);
    if (e->core_dumped) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "core_dumped");
    }
    if (e->incomplete) {
      lua_pushboolean(L, 1);
      lua_setfield(L, -2, "incomplete");
    }
  }
  lua_rawseti(L, -2, ++c->n);
  return 0;
}

typedef int (*parse_fn)(const char *, size_t, dkt_event_fn, void *, dkt_stats *, char *, size_t);

/* Parses buf with fn into a new list on the stack; returns the Lua results. */
static int run_parser(lua_State *L, parse_fn fn, int procmon, const char *buf, size_t len, int opts) {
  bctx c = {L, buf, procmon, 0, 0};
  if (lua_istable(L, opts)) {
    lua_getfield(L, opts, "paths_only");
    c.paths_only = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  lua_newtable(L);
  dkt_stats st;
  char err[256];
  if (fn(buf, len, on_event, &c, &st, err, sizeof err) == DKT_ERROR) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushliteral(L, "DK_BAD_FORMAT");
    return 3;
  }
  lua_createtable(L, 0, 5);
  set_int(L, "lines", (long long)st.lines);
  set_int(L, "events", (long long)st.events);
  set_int(L, "skipped", (long long)st.skipped);
  if (st.first_skipped) set_int(L, "first_skipped", (long long)st.first_skipped);
  set_int(L, "unmatched", (long long)st.unmatched);
  return 2;
}

/* The whole file in a userdata buffer (freed by the GC even if parsing raises). */
typedef struct fbuf {
  char *data;
  size_t len;
} fbuf;

static int fbuf_gc(lua_State *L) {
  fbuf *f = lua_touserdata(L, 1);
  free(f->data);
  f->data = NULL;
  return 0;
}

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EISDIR: return "EISDIR";
    case ENOMEM: return "ENOMEM";
    default: return "EIO";
  }
}

/* Pushes the fbuf userdata, or returns the (nil, message, code) count. */
static int read_file(lua_State *L, const char *path, fbuf **out) {
  fbuf *f = lua_newuserdatauv(L, sizeof *f, 0);
  f->data = NULL;
  f->len = 0;
  if (luaL_newmetatable(L, "diagkit.trace.buffer")) {
    lua_pushcfunction(L, fbuf_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    int e = errno;
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    lua_pushstring(L, errno_code(e));
    return 3;
  }
  size_t cap = 0;
  for (;;) {
    if (f->len == cap) {
      size_t ncap = cap ? cap * 2 : (size_t)1 << 16;
      char *nb = ncap > cap ? realloc(f->data, ncap) : NULL;
      if (!nb) {
        fclose(fp);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: out of memory", path);
        lua_pushliteral(L, "ENOMEM");
        return 3;
      }
      f->data = nb;
      cap = ncap;
    }
    size_t k = fread(f->data + f->len, 1, cap - f->len, fp);
    f->len += k;
    if (k == 0) break;
  }
  int bad = ferror(fp);
  fclose(fp);
  if (bad) {
    lua_pushnil(L);
    lua_pushfstring(L, "%s: read error", path);
    lua_pushliteral(L, "EIO");
    return 3;
  }
  *out = f;
  return 0;
}

static int l_parse_strace(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return run_parser(L, dkt_parse_strace, 0, s, len, 2);
}

static int l_parse_procmon_csv(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return run_parser(L, dkt_parse_procmon_csv, 1, s, len, 2);
}

static int file_parser(lua_State *L, parse_fn fn, int procmon) {
  const char *path = luaL_checkstring(L, 1);
  fbuf *f = NULL;
  int n = read_file(L, path, &f);
  if (n) return n;
  return run_parser(L, fn, procmon, f->data ? f->data : "", f->len, 2);
}

/* ---- Process Monitor PML ---- */

typedef struct pml_ud {
  dkt_pml *p;
} pml_ud;

static int pml_gc(lua_State *L) {
  pml_ud *u = lua_touserdata(L, 1);
  dkt_pml_close(u->p);
  u->p = NULL;
  return 0;
}

typedef struct pctx {
  lua_State *L;
  const dkt_pml_process *base; /* process table, for the index of e->process */
  int procs;                   /* stack index of the list of process tables */
  int list;                    /* stack index of the event list */
  int paths_only;
  lua_Integer n;
} pctx;

static void set_u(lua_State *L, const char *k, uint64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static void push_process(lua_State *L, const dkt_pml_process *q) {
  lua_createtable(L, 0, 18);
  set_u(L, "index", q->index);
  set_u(L, "pid", q->pid);
  set_u(L, "parent_pid", q->parent_pid);
  set_u(L, "session", q->session);
  char auth[24];
  snprintf(auth, sizeof auth, "%08lx:%08lx", (unsigned long)(q->auth_id >> 32), (unsigned long)(q->auth_id & 0xffffffffu));
  set_str(L, "auth_id", auth);
  set_u(L, "start_time", q->start_time);
  if (q->end_time) set_u(L, "end_time", q->end_time);
  lua_pushboolean(L, q->virtualized);
  lua_setfield(L, -2, "virtualized");
  set_str(L, "architecture", q->is_64bit ? "64-bit" : "32-bit");
  set_u(L, "modules", q->modules);
  set_str(L, "name", q->name);
  set_str(L, "image_path", q->image_path);
  set_str(L, "command_line", q->command_line);
  set_str(L, "user", q->user);
  set_str(L, "integrity", q->integrity);
  set_str(L, "company", q->company);
  set_str(L, "version", q->version);
  set_str(L, "description", q->description);
}

static int on_pml_event(void *ud, const dkt_pml_event *e) {
  pctx *c = ud;
  lua_State *L = c->L;
  if (c->paths_only && !e->path && !e->has_exit) return 0;
  lua_createtable(L, 0, 20);
  lua_pushliteral(L, "syscall");
  lua_setfield(L, -2, "kind");
  set_u(L, "line", (uint64_t)e->index + 1);
  set_u(L, "pid", e->process->pid);
  set_u(L, "tid", e->tid);
  char t[40];
  dkt_pml_time_of_day(e->time, t, sizeof t);
  set_str(L, "time", t);
  set_u(L, "filetime", e->time);
  lua_pushnumber(L, (lua_Number)e->duration / 1e7);
  lua_setfield(L, -2, "duration");
  set_str(L, "syscall", e->operation);
  set_str(L, "operation", e->operation);
  set_str(L, "event_class", e->class_name);
  set_str(L, "path", e->path);
  if (e->result[0]) set_str(L, "result", e->result);
  if (e->result[0] && strcmp(e->result, "SUCCESS") != 0) set_str(L, "errno", e->result);
  set_u(L, "status", e->status);
  set_str(L, "detail", e->detail);
  set_str(L, "process", e->process->name);
  if (e->has_exit) {
    set_int(L, "exit_status", e->exit_status);
    set_int(L, "exit_code", (long long)(uint32_t)e->exit_status);
  }
  lua_rawgeti(L, c->procs, (lua_Integer)(e->process - c->base) + 1);
  lua_setfield(L, -2, "process_info");
  lua_rawseti(L, c->list, ++c->n);
  return 0;
}

static int run_pml(lua_State *L, const char *buf, size_t len, int opts) {
  pctx c = {L, NULL, 0, 0, 0, 0};
  if (lua_istable(L, opts)) {
    lua_getfield(L, opts, "paths_only");
    c.paths_only = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  pml_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->p = NULL;
  if (luaL_newmetatable(L, "diagkit.trace.pml")) {
    lua_pushcfunction(L, pml_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  char err[256];
  if (dkt_pml_open((const uint8_t *)buf, len, &u->p, err, sizeof err) != DKT_PML_OK) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushliteral(L, "DK_BAD_FORMAT");
    return 3;
  }
  const dkt_pml_info *in = dkt_pml_get_info(u->p);
  c.base = dkt_pml_process_at(u->p, 0);
  lua_createtable(L, (int)(in->processes < 1u << 20 ? in->processes : 0), 0);
  c.procs = lua_gettop(L);
  for (uint32_t i = 0; i < in->processes; i++) {
    push_process(L, dkt_pml_process_at(u->p, i));
    lua_rawseti(L, c.procs, (lua_Integer)i + 1);
  }
  lua_createtable(L, c.paths_only ? 0 : (int)(in->events < 1u << 24 ? in->events : 0), 0);
  c.list = lua_gettop(L);
  if (dkt_pml_events(u->p, on_pml_event, &c, err, sizeof err) == DKT_PML_ERROR) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushliteral(L, "DK_BAD_FORMAT");
    return 3;
  }
  lua_createtable(L, 0, 14);
  set_u(L, "events", in->events);
  set_int(L, "skipped", 0);
  set_u(L, "version", in->version);
  set_u(L, "bits", in->is_64bit ? 64 : 32);
  set_str(L, "computer", in->computer);
  set_str(L, "system_root", in->system_root);
  char os[48];
  snprintf(os, sizeof os, "%lu.%lu.%lu", (unsigned long)in->os_major, (unsigned long)in->os_minor,
           (unsigned long)in->os_build);
  set_str(L, "os_version", os);
  set_u(L, "processors", in->processors);
  set_u(L, "memory", in->memory);
  set_u(L, "strings", in->strings);
  set_u(L, "hosts", in->hosts);
  set_u(L, "ports", in->ports);
  lua_pushvalue(L, c.procs);
  lua_setfield(L, -2, "processes");
  dkt_pml_close(u->p);
  u->p = NULL;
  return 2;
}

static int l_parse_pml(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return run_pml(L, s, len, 2);
}

static int l_pml(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  fbuf *f = NULL;
  int n = read_file(L, path, &f);
  if (n) return n;
  return run_pml(L, f->data ? f->data : "", f->len, 2);
}

static int l_strace_file(lua_State *L) { return file_parser(L, dkt_parse_strace, 0); }
static int l_procmon_csv(lua_State *L) { return file_parser(L, dkt_parse_procmon_csv, 1); }

int luaopen_diagkit_trace(lua_State *L) {
  static const luaL_Reg fns[] = {{"parse_strace", l_parse_strace},
                                 {"strace_file", l_strace_file},
                                 {"parse_procmon_csv", l_parse_procmon_csv},
                                 {"procmon_csv", l_procmon_csv},
                                 {"parse_pml", l_parse_pml},
                                 {"pml", l_pml},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  /* failures() and run() are Lua: scripts/diagkit/tracing.lua returns an
  ** installer that adds them. Without the scripts the parsers still work. */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "diagkit.tracing");
  if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_isfunction(L, -1)) {
    lua_pushvalue(L, -2);
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
  return 1;
}
