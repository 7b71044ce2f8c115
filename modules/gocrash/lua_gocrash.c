/*
** diagkit.gocrash: Go runtime crash output as plain Lua tables.
**   gocrash.parse(text [, opts]) -> report table (docs/lua-api/gocrash.md)
**     opts.module      import path of the user's module (its frames count as user frames)
**     opts.goroutines  false: leave out the per-goroutine list (buckets stay)
**   gocrash.classify(func, file [, goroot]) -> "user" | "dependency" | "std" | "runtime"
** Uses only gocrash.h.
*/
#include <string.h>

#include "gocrash.h"
#include "lauxlib.h"
#include "lua.h"

int luaopen_diagkit_gocrash(lua_State *L);

typedef struct pctx {
  lua_State *L;
  const char *t;
  const dkg_result *r;
} pctx;

/* [-0, +0, e] t[k] = span (only when non-empty unless always) */
static void set_span(pctx *c, const char *k, dkg_span s, int always) {
  if (!always && s.len == 0) return;
  lua_pushlstring(c->L, c->t + s.off, s.len);
  lua_setfield(c->L, -2, k);
}

static void set_int(lua_State *L, const char *k, long long v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, int v) {
  lua_pushboolean(L, v);
  lua_setfield(L, -2, k);
}

/* [-0, +1, m] */
static void push_frame(pctx *c, const dkg_frame *f) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 7);
  set_span(c, "func", f->func, 1);
  set_span(c, "args", f->args, 1);
  set_span(c, "file", f->file, 1);
  set_int(L, "line", f->line);
  if (f->pc_off >= 0) set_int(L, "offset", f->pc_off);
  lua_pushstring(L, dkg_class_name(f->cls));
  lua_setfield(L, -2, "class");
  if (f->args.len == 3 && memcmp(c->t + f->args.off, "...", 3) == 0) set_bool(L, "inlined", 1);
  set_int(L, "source_line", (long long)f->src_line);
}

/* [-0, +1, m] the first user frame of a range as {func, file, line}, or nil */
static void push_user_frame(pctx *c, size_t first, size_t n) {
  size_t i = dkg_first_user_frame(c->r, first, n);
  if (i == DKG_NONE) {
    lua_pushnil(c->L);
    return;
  }
  push_frame(c, &c->r->frames[i]);
}

/* [-0, +1, m] */
static void push_frames(pctx *c, size_t first, size_t n) {
  lua_State *L = c->L;
  luaL_checkstack(L, 4, "frames");
  lua_createtable(L, (int)(n < 1000000 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    push_frame(c, &c->r->frames[first + i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* [-0, +1, m] */
static void push_created(pctx *c, const dkg_goroutine *g) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 5);
  set_span(c, "func", g->created.func, 1);
  set_span(c, "file", g->created.file, 0);
  if (g->has_created) set_int(L, "line", g->created.line);
  if (g->parent >= 0) set_int(L, "goroutine", g->parent);
  lua_pushstring(L, dkg_class_name(g->created.cls));
  lua_setfield(L, -2, "class");
}

/* [-0, +1, m] */
static void push_goroutine(pctx *c, const dkg_goroutine *g) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 12);
  set_int(L, "id", g->id);
  set_span(c, "state", g->state, 1);
  if (g->minutes >= 0) set_int(L, "minutes", g->minutes);
  if (g->locked) set_bool(L, "locked", 1);
  if (g->unavailable) set_bool(L, "unavailable", 1);
  if (g->elided) set_int(L, "elided", g->elided);
  push_frames(c, g->first_frame, g->nframes);
  lua_setfield(L, -2, "frames");
  if (g->created.func.len) {
    push_created(c, g);
    lua_setfield(L, -2, "created_by");
  }
  push_user_frame(c, g->first_frame, g->nframes);
  lua_setfield(L, -2, "first_user_frame");
  if (g->bucket != DKG_NONE) set_int(L, "bucket", (long long)g->bucket + 1);
  set_int(L, "line", (long long)g->src_line);
}

static void push_buckets(pctx *c) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  lua_createtable(L, (int)r->nbuckets, 0);
  for (size_t b = 0; b < r->nbuckets; b++) {
    const dkg_bucket *bk = &r->buckets[b];
    const dkg_goroutine *g = &r->goroutines[bk->rep];
    lua_createtable(L, 0, 9);
    set_int(L, "count", (long long)bk->count);
    set_span(c, "state", g->state, 1);
    if (g->locked) set_bool(L, "locked", 1);
    if (bk->min_minutes >= 0) {
      set_int(L, "minutes_min", bk->min_minutes);
      set_int(L, "minutes_max", bk->max_minutes);
    }
    lua_createtable(L, (int)bk->count, 0);
    for (size_t i = 0; i < bk->count; i++) {
      lua_pushinteger(L, (lua_Integer)r->goroutines[r->members[bk->first_member + i]].id);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "ids");
    push_frames(c, g->first_frame, g->nframes);
    lua_setfield(L, -2, "frames");
    if (g->created.func.len) {
      push_created(c, g);
      lua_setfield(L, -2, "created_by");
    }
    push_user_frame(c, g->first_frame, g->nframes);
    lua_setfield(L, -2, "first_user_frame");
    lua_rawseti(L, -2, (lua_Integer)b + 1);
  }
}

static void push_races(pctx *c) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  lua_createtable(L, (int)r->nraces, 0);
  for (size_t i = 0; i < r->nraces; i++) {
    const dkg_race *rc = &r->races[i];
    lua_createtable(L, 0, 4);
    set_int(L, "line", (long long)rc->src_line);
    set_bool(L, "complete", rc->complete);
    lua_createtable(L, (int)rc->naccess, 0);
    for (size_t a = 0; a < rc->naccess && rc->first_access + a < r->naccesses; a++) {
      const dkg_race_access *ac = &r->accesses[rc->first_access + a];
      lua_createtable(L, 0, 7);
      lua_pushstring(L, ac->write ? "write" : "read");
      lua_setfield(L, -2, "op");
      set_bool(L, "previous", ac->previous);
      set_span(c, "addr", ac->addr, 1);
      if (ac->main_goroutine) lua_pushstring(L, "main");
      else if (ac->goroutine >= 0) lua_pushinteger(L, ac->goroutine);
      else lua_pushnil(L);
      lua_setfield(L, -2, "goroutine");
      push_frames(c, ac->first_frame, ac->nframes);
      lua_setfield(L, -2, "frames");
      push_user_frame(c, ac->first_frame, ac->nframes);
      lua_setfield(L, -2, "first_user_frame");
      set_int(L, "line", (long long)ac->src_line);
      lua_rawseti(L, -2, (lua_Integer)a + 1);
    }
    lua_setfield(L, -2, "accesses");
    lua_createtable(L, (int)rc->ngoroutine, 0);
    for (size_t k = 0; k < rc->ngoroutine && rc->first_goroutine + k < r->nrace_goroutines; k++) {
      const dkg_race_goroutine *g = &r->race_goroutines[rc->first_goroutine + k];
      lua_createtable(L, 0, 5);
      set_int(L, "id", g->id);
      set_span(c, "state", g->state, 1);
      push_frames(c, g->first_frame, g->nframes);
      lua_setfield(L, -2, "created_at");
      push_user_frame(c, g->first_frame, g->nframes);
      lua_setfield(L, -2, "first_user_frame");
      set_int(L, "line", (long long)g->src_line);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "goroutines");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void set_num(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}

static void push_gc(pctx *c) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  lua_createtable(L, (int)r->ngc, 0);
  for (size_t i = 0; i < r->ngc; i++) {
    const dkg_gc *g = &r->gc[i];
    lua_createtable(L, 0, 14);
    set_int(L, "n", g->n);
    set_num(L, "at", g->at_s);
    set_int(L, "cpu_percent", g->cpu_pct);
    lua_createtable(L, 3, 0);
    for (int k = 0; k < 3; k++) {
      lua_pushnumber(L, g->clock[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "clock_ms");
    lua_createtable(L, g->ncpu, 0);
    for (int k = 0; k < g->ncpu; k++) {
      lua_pushnumber(L, g->cpu[k]);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "cpu_ms");
    set_int(L, "heap_start_mb", g->heap_start);
    set_int(L, "heap_end_mb", g->heap_end);
    set_int(L, "heap_live_mb", g->heap_live);
    if (g->goal >= 0) set_int(L, "goal_mb", g->goal);
    if (g->stacks >= 0) set_int(L, "stacks_mb", g->stacks);
    if (g->globals >= 0) set_int(L, "globals_mb", g->globals);
    if (g->procs >= 0) set_int(L, "procs", g->procs);
    set_bool(L, "forced", g->forced);
    set_int(L, "line", (long long)g->src_line);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static void push_sched(pctx *c) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  lua_createtable(L, (int)r->nsched, 0);
  for (size_t i = 0; i < r->nsched; i++) {
    const dkg_sched *s = &r->sched[i];
    lua_createtable(L, 0, 4);
    set_int(L, "ms", s->ms);
    lua_newtable(L);
    const char *p = c->t + s->fields.off, *end = p + s->fields.len;
    while (p < end) {
      while (p < end && *p == ' ') p++;
      const char *w = p;
      while (p < end && *p != ' ') p++;
      const char *eqs = memchr(w, '=', (size_t)(p - w));
      if (eqs && eqs > w) {
        lua_pushlstring(L, w, (size_t)(eqs - w));
        const char *v = eqs + 1;
        lua_Integer n = 0;
        int digits = 1;
        if (v == p || p - v > 18) digits = 0;
        for (const char *d = v; d < p && digits; d++) {
          if (*d < '0' || *d > '9') digits = 0;
          else n = n * 10 + (*d - '0');
        }
        if (digits) lua_pushinteger(L, n);
        else lua_pushlstring(L, v, (size_t)(p - v));
        lua_rawset(L, -3);
      }
    }
    lua_setfield(L, -2, "fields");
    lua_newtable(L);
    p = c->t + s->queues.off;
    end = p + s->queues.len;
    lua_Integer qi = 0;
    while (p < end) {
      while (p < end && *p == ' ') p++;
      lua_Integer n = 0;
      int any = 0;
      while (p < end && *p >= '0' && *p <= '9' && any < 18) {
        n = n * 10 + (*p++ - '0');
        any++;
      }
      if (!any) {
        while (p < end && *p != ' ') p++;
        continue;
      }
      lua_pushinteger(L, n);
      lua_rawseti(L, -2, ++qi);
    }
    lua_setfield(L, -2, "run_queues");
    set_int(L, "line", (long long)s->src_line);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

typedef struct parse_args {
  const char *text;
  size_t len;
  dkg_result r;
  int with_goroutines;
} parse_args;

/* Builds the report table from a parsed result. Runs under lua_pcall (an
** allocation error must not leak the C result). [-0, +1, m] */
static int build(lua_State *L) {
  parse_args *a = lua_touserdata(L, 1);
  const dkg_result *r = &a->r;
  pctx c = {L, a->text, r};
  lua_createtable(L, 0, 32);
  lua_pushstring(L, dkg_kind_name(r->kind));
  lua_setfield(L, -2, "kind");
  if (r->cause) {
    lua_pushstring(L, r->cause);
    lua_setfield(L, -2, "cause");
  }
  if (r->header_line) {
    set_span(&c, "message", r->message, 1);
    set_int(L, "header_line", (long long)r->header_line);
  }
  if (r->npanics) {
    lua_createtable(L, (int)r->npanics, 0);
    for (size_t i = 0; i < r->npanics; i++) {
      lua_createtable(L, 0, 4);
      set_span(&c, "message", r->panics[i].message, 1);
      set_bool(L, "recovered", r->panics[i].recovered);
      if (r->panics[i].repanicked) set_bool(L, "repanicked", 1);
      set_int(L, "line", (long long)r->panics[i].src_line);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "panics");
  }
  if (r->index >= 0 || r->length >= 0) {
    lua_createtable(L, 0, 2);
    if (r->index >= 0) set_int(L, "index", r->index);
    if (r->length >= 0) set_int(L, "length", r->length);
    lua_setfield(L, -2, "bounds");
  }
  if (r->has_signal) {
    lua_createtable(L, 0, 6);
    set_span(&c, "name", r->sig_name, 1);
    set_span(&c, "description", r->sig_desc, 0);
    set_span(&c, "code", r->sig_code, 0);
    set_span(&c, "addr", r->sig_addr, 0);
    set_span(&c, "pc", r->sig_pc.len ? r->sig_pc : r->dump_pc, 0);
    set_span(&c, "m", r->dump_m, 0);
    set_span(&c, "sigcode", r->dump_sigcode, 0);
    lua_setfield(L, -2, "signal");
  }
  if (r->has_exception) {
    lua_createtable(L, 0, 4);
    set_span(&c, "code", r->exc_code, 1);
    set_span(&c, "info0", r->exc_info0, 0);
    set_span(&c, "info1", r->exc_info1, 0);
    set_span(&c, "pc", r->exc_pc, 0);
    lua_setfield(L, -2, "exception");
  }
  if (r->nruntime_msgs) {
    lua_createtable(L, (int)r->nruntime_msgs, 0);
    for (size_t i = 0; i < r->nruntime_msgs; i++) {
      lua_pushlstring(L, c.t + r->runtime_msgs[i].off, r->runtime_msgs[i].len);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "runtime_messages");
  }
  if (r->oom_request >= 0) {
    lua_createtable(L, 0, 2);
    set_int(L, "request", r->oom_request);
    if (r->oom_in_use >= 0) set_int(L, "in_use", r->oom_in_use);
    lua_setfield(L, -2, "oom");
  }
  if (r->stack_limit >= 0) set_int(L, "stack_limit", r->stack_limit);
  if (r->exit_code >= 0) {
    set_int(L, "exit_code", r->exit_code);
    lua_pushstring(L, r->exit_code_text ? "text" : "inferred");
    lua_setfield(L, -2, "exit_code_source");
  }
  if (r->goroot_known) set_span(&c, "goroot", r->goroot, 1);

  /* goroutines; the runtime stack sections apart */
  size_t ngor = 0;
  for (size_t i = 0; i < r->ngoroutines; i++)
    if (r->goroutines[i].id >= 0) ngor++;
  set_int(L, "goroutine_count", (long long)ngor);
  int gidx = 0;
  if (a->with_goroutines) {
    lua_createtable(L, (int)ngor, 0);
    gidx = lua_gettop(L);
  }
  lua_Integer k = 0;
  for (size_t i = 0; i < r->ngoroutines; i++) {
    const dkg_goroutine *g = &r->goroutines[i];
    if (g->id < 0) {
      push_frames(&c, g->first_frame, g->nframes);
      lua_setfield(L, -2 - (gidx ? 1 : 0), "runtime_stack");
      continue;
    }
    if (gidx) {
      push_goroutine(&c, g);
      if (i == r->crashed) {
        lua_pushvalue(L, -1);
        lua_setfield(L, gidx - 1, "crashed");
      }
      lua_rawseti(L, gidx, ++k);
    } else if (i == r->crashed) {
      push_goroutine(&c, g);
      lua_setfield(L, -2, "crashed");
    }
  }
  if (gidx) lua_setfield(L, -2, "goroutines");
  push_buckets(&c);
  lua_setfield(L, -2, "buckets");

  /* the first user frame of the crash: the triggering goroutine's, else the
  ** first race access's */
  if (r->crashed != DKG_NONE) {
    const dkg_goroutine *g = &r->goroutines[r->crashed];
    size_t fi = dkg_first_user_frame(r, g->first_frame, g->nframes);
    if (fi != DKG_NONE) {
      push_frame(&c, &r->frames[fi]);
      set_int(L, "goroutine", g->id);
      lua_setfield(L, -2, "first_user_frame");
    }
  } else if (r->nraces && r->races[0].naccess) {
    const dkg_race_access *ac = &r->accesses[r->races[0].first_access];
    size_t fi = dkg_first_user_frame(r, ac->first_frame, ac->nframes);
    if (fi != DKG_NONE) {
      push_frame(&c, &r->frames[fi]);
      lua_setfield(L, -2, "first_user_frame");
    }
  }
  push_races(&c);
  lua_setfield(L, -2, "races");
  if (r->races_found >= 0) set_int(L, "races_found", r->races_found);
  push_gc(&c);
  lua_setfield(L, -2, "gc");
  push_sched(&c);
  lua_setfield(L, -2, "sched");
  if (r->nregisters) {
    lua_createtable(L, 0, (int)r->nregisters);
    for (size_t i = 0; i < r->nregisters; i++) {
      lua_pushlstring(L, c.t + r->registers[i].name.off, r->registers[i].name.len);
      lua_pushlstring(L, c.t + r->registers[i].value.off, r->registers[i].value.len);
      lua_rawset(L, -3);
    }
    lua_setfield(L, -2, "registers");
  }
  set_bool(L, "truncated", r->truncated);
  if (r->stop_reason) {
    lua_createtable(L, 0, 3);
    set_int(L, "line", (long long)r->stop_line);
    set_int(L, "offset", (long long)r->stop_off);
    lua_pushstring(L, r->stop_reason);
    lua_setfield(L, -2, "reason");
    lua_setfield(L, -2, "stopped");
  }
  set_int(L, "lines", (long long)r->lines);
  set_int(L, "other_lines", (long long)r->other_lines);
  return 1;
}

/* gocrash.parse(text [, opts]) [-0, +1, e] */
static int l_parse(lua_State *L) {
  parse_args a;
  memset(&a, 0, sizeof a);
  a.text = luaL_checklstring(L, 1, &a.len);
  a.with_goroutines = 1;
  dkg_options opt = {NULL};
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    if (lua_getfield(L, 2, "module") != LUA_TNIL) opt.module = luaL_checkstring(L, -1);
    lua_getfield(L, 2, "goroutines");
    if (lua_type(L, -1) == LUA_TBOOLEAN) a.with_goroutines = lua_toboolean(L, -1);
    else if (!lua_isnil(L, -1)) luaL_argerror(L, 2, "'goroutines' must be a boolean");
    lua_pop(L, 1); /* module string stays anchored at its slot */
  }
  if (dkg_parse(a.text, a.len, &opt, &a.r) != 0) return luaL_error(L, "gocrash.parse: not enough memory");
  lua_pushcfunction(L, build);
  lua_pushlightuserdata(L, &a);
  int st = lua_pcall(L, 1, 1, 0);
  dkg_free(&a.r);
  if (st != LUA_OK) return lua_error(L);
  return 1;
}

/* gocrash.classify(func, file [, goroot]) [-0, +1, e] */
static int l_classify(lua_State *L) {
  size_t fn_len, fl_len, gr_len = 0;
  const char *fn = luaL_checklstring(L, 1, &fn_len);
  const char *fl = luaL_optlstring(L, 2, "", &fl_len);
  const char *gr = luaL_optlstring(L, 3, NULL, &gr_len);
  const char *module = NULL;
  if (lua_type(L, 4) == LUA_TSTRING) module = lua_tostring(L, 4);
  int cls = dkg_classify(fn, fn_len, fl, fl_len, gr ? gr : "", gr ? gr_len : 0, gr != NULL, module);
  lua_pushstring(L, dkg_class_name(cls));
  return 1;
}

int luaopen_diagkit_gocrash(lua_State *L) {
  static const luaL_Reg fns[] = {{"parse", l_parse}, {"classify", l_classify}, {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
