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
** Uses trace.h and pml.h, and the support layer (dk_file.h, dk_lua.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_file.h"
#include "dk_lua.h"
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

static const char *const KIND[] = {"syscall", "signal", "exit", "killed"};

static int on_event(void *ud, const dkt_event *e) {
  bctx *c = ud;
  lua_State *L = c->L;
  if (c->paths_only && e->kind == DKT_SYSCALL && !e->path && !e->fd_path) return 0;
  lua_createtable(L, 0, 12);
  lua_pushstring(L, KIND[e->kind]);
  lua_setfield(L, -2, "kind");
  dk_lua_setint(L, "line", (lua_Integer)e->line);
  if (e->pid >= 0) dk_lua_setint(L, "pid", (lua_Integer)e->pid);
  set_span(c, "time", e->time);
  if (e->kind == DKT_SYSCALL) {
    set_span(c, "syscall", e->call);
  } else if (e->kind != DKT_EXIT) {
    set_span(c, "signal", e->call);
  }
  dk_lua_setstr(L, "path", e->path);
  dk_lua_setstr(L, "path2", e->path2);
  dk_lua_setstr(L, "dir", e->dir);
  dk_lua_setstr(L, "fd_path", e->fd_path);
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
      dk_lua_setint(L, "exit_status", (lua_Integer)e->exit_code);
      dk_lua_setint(L, "exit_code", (lua_Integer)((unsigned long long)e->exit_code & 0xffffffffULL));
    }
  } else {
    if (e->has_result) dk_lua_setint(L, "result", (lua_Integer)e->result);
    set_span(c, "errno", e->status);
    set_span(c, "errmsg", e->message);
    if (e->has_exit) dk_lua_setint(L, "exit_code", (lua_Integer)e->exit_code);
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
  if (fn(buf, len, on_event, &c, &st, err, sizeof err) == DKT_ERROR) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  lua_createtable(L, 0, 5);
  dk_lua_setint(L, "lines", (lua_Integer)st.lines);
  dk_lua_setint(L, "events", (lua_Integer)st.events);
  dk_lua_setint(L, "skipped", (lua_Integer)st.skipped);
  if (st.first_skipped) dk_lua_setint(L, "first_skipped", (lua_Integer)st.first_skipped);
  dk_lua_setint(L, "unmatched", (lua_Integer)st.unmatched);
  return 2;
}

/* The whole file in a userdata (closed by the GC even if parsing raises). */
#define BUFFER_MT "diagkit.trace.buffer"

static int buffer_gc(lua_State *L) {
  dk_file_close(luaL_checkudata(L, 1, BUFFER_MT));
  return 0;
}

/* Pushes the file's buffer userdata, or returns the (nil, message, code)
** count. Traces are read front to back and may come from pipes. */
static int read_file(lua_State *L, const char *path, dk_filebuf **out) {
  dk_filebuf *f = lua_newuserdatauv(L, sizeof *f, 0);
  memset(f, 0, sizeof *f);
  f->data = (const uint8_t *)"";
  dk_lua_class(L, BUFFER_MT, NULL, buffer_gc, NULL, NULL);
  luaL_setmetatable(L, BUFFER_MT);
  dk_err e;
  if (dk_file_open(f, path, DK_FILE_SEQUENTIAL | DK_FILE_STREAMS, 0, &e) != 0) return dk_lua_fail_err(L, &e);
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
  dk_filebuf *f = NULL;
  int n = read_file(L, path, &f);
  if (n) return n;
  return run_parser(L, fn, procmon, (const char *)f->data, f->size, 2);
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

static void push_process(lua_State *L, const dkt_pml_process *q) {
  lua_createtable(L, 0, 18);
  dk_lua_setint(L, "index", (lua_Integer)q->index);
  dk_lua_setint(L, "pid", (lua_Integer)q->pid);
  dk_lua_setint(L, "parent_pid", (lua_Integer)q->parent_pid);
  dk_lua_setint(L, "session", (lua_Integer)q->session);
  char auth[24];
  snprintf(auth, sizeof auth, "%08lx:%08lx", (unsigned long)(q->auth_id >> 32), (unsigned long)(q->auth_id & 0xffffffffu));
  dk_lua_setstr(L, "auth_id", auth);
  dk_lua_setint(L, "start_time", (lua_Integer)q->start_time);
  if (q->end_time) dk_lua_setint(L, "end_time", (lua_Integer)q->end_time);
  lua_pushboolean(L, q->virtualized);
  lua_setfield(L, -2, "virtualized");
  dk_lua_setstr(L, "architecture", q->is_64bit ? "64-bit" : "32-bit");
  dk_lua_setint(L, "modules", (lua_Integer)q->modules);
  dk_lua_setstr(L, "name", q->name);
  dk_lua_setstr(L, "image_path", q->image_path);
  dk_lua_setstr(L, "command_line", q->command_line);
  dk_lua_setstr(L, "user", q->user);
  dk_lua_setstr(L, "integrity", q->integrity);
  dk_lua_setstr(L, "company", q->company);
  dk_lua_setstr(L, "version", q->version);
  dk_lua_setstr(L, "description", q->description);
}

static int on_pml_event(void *ud, const dkt_pml_event *e) {
  pctx *c = ud;
  lua_State *L = c->L;
  if (c->paths_only && !e->path && !e->has_exit) return 0;
  lua_createtable(L, 0, 20);
  lua_pushliteral(L, "syscall");
  lua_setfield(L, -2, "kind");
  dk_lua_setint(L, "line", (lua_Integer)e->index + 1);
  dk_lua_setint(L, "pid", (lua_Integer)e->process->pid);
  dk_lua_setint(L, "tid", (lua_Integer)e->tid);
  char t[40];
  dkt_pml_time_of_day(e->time, t, sizeof t);
  dk_lua_setstr(L, "time", t);
  dk_lua_setint(L, "filetime", (lua_Integer)e->time);
  lua_pushnumber(L, (lua_Number)e->duration / 1e7);
  lua_setfield(L, -2, "duration");
  dk_lua_setstr(L, "syscall", e->operation);
  dk_lua_setstr(L, "operation", e->operation);
  dk_lua_setstr(L, "event_class", e->class_name);
  dk_lua_setstr(L, "path", e->path);
  if (e->result[0]) dk_lua_setstr(L, "result", e->result);
  if (e->result[0] && strcmp(e->result, "SUCCESS") != 0) dk_lua_setstr(L, "errno", e->result);
  dk_lua_setint(L, "status", (lua_Integer)e->status);
  dk_lua_setstr(L, "detail", e->detail);
  dk_lua_setstr(L, "process", e->process->name);
  if (e->has_exit) {
    dk_lua_setint(L, "exit_status", (lua_Integer)e->exit_status);
    dk_lua_setint(L, "exit_code", (lua_Integer)(uint32_t)e->exit_status);
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
  dk_lua_class(L, "diagkit.trace.pml", NULL, pml_gc, NULL, NULL);
  luaL_setmetatable(L, "diagkit.trace.pml");
  char err[256];
  if (dkt_pml_open((const uint8_t *)buf, len, &u->p, err, sizeof err) != DKT_PML_OK)
    return dk_lua_fail(L, err, "DK_BAD_FORMAT");
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
  if (dkt_pml_events(u->p, on_pml_event, &c, err, sizeof err) == DKT_PML_ERROR)
    return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  lua_createtable(L, 0, 14);
  dk_lua_setint(L, "events", (lua_Integer)in->events);
  dk_lua_setint(L, "skipped", 0);
  dk_lua_setint(L, "version", (lua_Integer)in->version);
  dk_lua_setint(L, "bits", in->is_64bit ? 64 : 32);
  dk_lua_setstr(L, "computer", in->computer);
  dk_lua_setstr(L, "system_root", in->system_root);
  char os[48];
  snprintf(os, sizeof os, "%lu.%lu.%lu", (unsigned long)in->os_major, (unsigned long)in->os_minor,
           (unsigned long)in->os_build);
  dk_lua_setstr(L, "os_version", os);
  dk_lua_setint(L, "processors", (lua_Integer)in->processors);
  dk_lua_setint(L, "memory", (lua_Integer)in->memory);
  dk_lua_setint(L, "strings", (lua_Integer)in->strings);
  dk_lua_setint(L, "hosts", (lua_Integer)in->hosts);
  dk_lua_setint(L, "ports", (lua_Integer)in->ports);
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
  dk_filebuf *f = NULL;
  int n = read_file(L, path, &f);
  if (n) return n;
  return run_pml(L, (const char *)f->data, f->size, 2);
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
