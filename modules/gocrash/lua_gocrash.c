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
#include "dk_lua.h"

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

/* [-0, +1, m] */
static void push_frame(pctx *c, const dkg_frame *f) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 7);
  set_span(c, "func", f->func, 1);
  set_span(c, "args", f->args, 1);
  set_span(c, "file", f->file, 1);
  dk_lua_setint(L, "line", f->line);
  if (f->pc_off >= 0) dk_lua_setint(L, "offset", f->pc_off);
  dk_lua_setstr(L, "class", dkg_class_name(f->cls));
  if (f->args.len == 3 && memcmp(c->t + f->args.off, "...", 3) == 0) dk_lua_setbool(L, "inlined", 1);
  dk_lua_setint(L, "source_line", (long long)f->src_line);
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

/* [-0, +0, m] t[key] = the frames of a range, t.first_user_frame = its first user frame */
static void set_frames(pctx *c, const char *key, size_t first, size_t n) {
  push_frames(c, first, n);
  lua_setfield(c->L, -2, key);
  push_user_frame(c, first, n);
  lua_setfield(c->L, -2, "first_user_frame");
}

/* [-0, +1, m] */
static void push_created(pctx *c, const dkg_goroutine *g) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 5);
  set_span(c, "func", g->created.func, 1);
  set_span(c, "file", g->created.file, 0);
  if (g->has_created) dk_lua_setint(L, "line", g->created.line);
  if (g->parent >= 0) dk_lua_setint(L, "goroutine", g->parent);
  dk_lua_setstr(L, "class", dkg_class_name(g->created.cls));
}

/* [-0, +0, m] t.frames, t.created_by (when known) and t.first_user_frame of goroutine g */
static void set_stack(pctx *c, const dkg_goroutine *g) {
  push_frames(c, g->first_frame, g->nframes);
  lua_setfield(c->L, -2, "frames");
  if (g->created.func.len) {
    push_created(c, g);
    lua_setfield(c->L, -2, "created_by");
  }
  push_user_frame(c, g->first_frame, g->nframes);
  lua_setfield(c->L, -2, "first_user_frame");
}

/* [-0, +1, m] */
static void push_goroutine(pctx *c, const dkg_goroutine *g) {
  lua_State *L = c->L;
  lua_createtable(L, 0, 12);
  dk_lua_setint(L, "id", g->id);
  set_span(c, "state", g->state, 1);
  if (g->minutes >= 0) dk_lua_setint(L, "minutes", g->minutes);
  if (g->locked) dk_lua_setbool(L, "locked", 1);
  if (g->unavailable) dk_lua_setbool(L, "unavailable", 1);
  if (g->elided) dk_lua_setint(L, "elided", g->elided);
  set_stack(c, g);
  if (g->bucket != DKG_NONE) dk_lua_setint(L, "bucket", (long long)g->bucket + 1);
  dk_lua_setint(L, "line", (long long)g->src_line);
}

/* [-0, +1, m] {item(c, 0), ..., item(c, n - 1)}: each item pushes one value */
static void push_list(pctx *c, size_t n, void (*item)(pctx *c, size_t i)) {
  lua_createtable(c->L, (int)(n < 1000000 ? n : 0), 0);
  for (size_t i = 0; i < n; i++) {
    item(c, i);
    lua_rawseti(c->L, -2, (lua_Integer)i + 1);
  }
}

static void buckets_item(pctx *c, size_t b) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  const dkg_bucket *bk = &r->buckets[b];
  const dkg_goroutine *g = &r->goroutines[bk->rep];
  lua_createtable(L, 0, 9);
  dk_lua_setint(L, "count", (long long)bk->count);
  set_span(c, "state", g->state, 1);
  if (g->locked) dk_lua_setbool(L, "locked", 1);
  if (bk->min_minutes >= 0) {
    dk_lua_setint(L, "minutes_min", bk->min_minutes);
    dk_lua_setint(L, "minutes_max", bk->max_minutes);
  }
  lua_createtable(L, (int)bk->count, 0);
  for (size_t i = 0; i < bk->count; i++) {
    lua_pushinteger(L, (lua_Integer)r->goroutines[r->members[bk->first_member + i]].id);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "ids");
  set_stack(c, g);
}

static void races_item(pctx *c, size_t i) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  const dkg_race *rc = &r->races[i];
  lua_createtable(L, 0, 4);
  dk_lua_setint(L, "line", (long long)rc->src_line);
  dk_lua_setbool(L, "complete", rc->complete);
  lua_createtable(L, (int)rc->naccess, 0);
  for (size_t a = 0; a < rc->naccess && rc->first_access + a < r->naccesses; a++) {
    const dkg_race_access *ac = &r->accesses[rc->first_access + a];
    lua_createtable(L, 0, 7);
    dk_lua_setstr(L, "op", ac->write ? "write" : "read");
    dk_lua_setbool(L, "previous", ac->previous);
    set_span(c, "addr", ac->addr, 1);
    if (ac->main_goroutine) lua_pushstring(L, "main");
    else if (ac->goroutine >= 0) lua_pushinteger(L, ac->goroutine);
    else lua_pushnil(L);
    lua_setfield(L, -2, "goroutine");
    set_frames(c, "frames", ac->first_frame, ac->nframes);
    dk_lua_setint(L, "line", (long long)ac->src_line);
    lua_rawseti(L, -2, (lua_Integer)a + 1);
  }
  lua_setfield(L, -2, "accesses");
  lua_createtable(L, (int)rc->ngoroutine, 0);
  for (size_t k = 0; k < rc->ngoroutine && rc->first_goroutine + k < r->nrace_goroutines; k++) {
    const dkg_race_goroutine *g = &r->race_goroutines[rc->first_goroutine + k];
    lua_createtable(L, 0, 5);
    dk_lua_setint(L, "id", g->id);
    set_span(c, "state", g->state, 1);
    set_frames(c, "created_at", g->first_frame, g->nframes);
    dk_lua_setint(L, "line", (long long)g->src_line);
    lua_rawseti(L, -2, (lua_Integer)k + 1);
  }
  lua_setfield(L, -2, "goroutines");
}

/* [-0, +0, m] t[k] = {v[1], ..., v[n]} */
static void set_numbers(lua_State *L, const char *k, const double *v, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, k);
}

static void gc_item(pctx *c, size_t i) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  const dkg_gc *g = &r->gc[i];
  lua_createtable(L, 0, 14);
  dk_lua_setint(L, "n", g->n);
  dk_lua_setnum(L, "at", g->at_s);
  dk_lua_setint(L, "cpu_percent", g->cpu_pct);
  set_numbers(L, "clock_ms", g->clock, 3);
  set_numbers(L, "cpu_ms", g->cpu, g->ncpu);
  dk_lua_setint(L, "heap_start_mb", g->heap_start);
  dk_lua_setint(L, "heap_end_mb", g->heap_end);
  dk_lua_setint(L, "heap_live_mb", g->heap_live);
  if (g->goal >= 0) dk_lua_setint(L, "goal_mb", g->goal);
  if (g->stacks >= 0) dk_lua_setint(L, "stacks_mb", g->stacks);
  if (g->globals >= 0) dk_lua_setint(L, "globals_mb", g->globals);
  if (g->procs >= 0) dk_lua_setint(L, "procs", g->procs);
  dk_lua_setbool(L, "forced", g->forced);
  dk_lua_setint(L, "line", (long long)g->src_line);
}

static void sched_item(pctx *c, size_t i) {
  lua_State *L = c->L;
  const dkg_result *r = c->r;
  const dkg_sched *s = &r->sched[i];
  lua_createtable(L, 0, 4);
  dk_lua_setint(L, "ms", s->ms);
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
  dk_lua_setint(L, "line", (long long)s->src_line);
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
  dk_lua_setstr(L, "kind", dkg_kind_name(r->kind));
  if (r->cause) {
    dk_lua_setstr(L, "cause", r->cause);
  }
  if (r->header_line) {
    set_span(&c, "message", r->message, 1);
    dk_lua_setint(L, "header_line", (long long)r->header_line);
  }
  if (r->npanics) {
    lua_createtable(L, (int)r->npanics, 0);
    for (size_t i = 0; i < r->npanics; i++) {
      lua_createtable(L, 0, 4);
      set_span(&c, "message", r->panics[i].message, 1);
      dk_lua_setbool(L, "recovered", r->panics[i].recovered);
      if (r->panics[i].repanicked) dk_lua_setbool(L, "repanicked", 1);
      dk_lua_setint(L, "line", (long long)r->panics[i].src_line);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "panics");
  }
  if (r->index >= 0 || r->length >= 0) {
    lua_createtable(L, 0, 2);
    if (r->index >= 0) dk_lua_setint(L, "index", r->index);
    if (r->length >= 0) dk_lua_setint(L, "length", r->length);
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
    dk_lua_setint(L, "request", r->oom_request);
    if (r->oom_in_use >= 0) dk_lua_setint(L, "in_use", r->oom_in_use);
    lua_setfield(L, -2, "oom");
  }
  if (r->stack_limit >= 0) dk_lua_setint(L, "stack_limit", r->stack_limit);
  if (r->exit_code >= 0) {
    dk_lua_setint(L, "exit_code", r->exit_code);
    dk_lua_setstr(L, "exit_code_source", r->exit_code_text ? "text" : "inferred");
  }
  if (r->goroot_known) set_span(&c, "goroot", r->goroot, 1);

  /* goroutines; the runtime stack sections apart */
  size_t ngor = 0;
  for (size_t i = 0; i < r->ngoroutines; i++)
    if (r->goroutines[i].id >= 0) ngor++;
  dk_lua_setint(L, "goroutine_count", (long long)ngor);
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
  push_list(&c, r->nbuckets, buckets_item);
  lua_setfield(L, -2, "buckets");

  /* the first user frame of the crash: the triggering goroutine's, else the
  ** first race access's */
  if (r->crashed != DKG_NONE) {
    const dkg_goroutine *g = &r->goroutines[r->crashed];
    size_t fi = dkg_first_user_frame(r, g->first_frame, g->nframes);
    if (fi != DKG_NONE) {
      push_frame(&c, &r->frames[fi]);
      dk_lua_setint(L, "goroutine", g->id);
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
  push_list(&c, r->nraces, races_item);
  lua_setfield(L, -2, "races");
  if (r->races_found >= 0) dk_lua_setint(L, "races_found", r->races_found);
  push_list(&c, r->ngc, gc_item);
  lua_setfield(L, -2, "gc");
  push_list(&c, r->nsched, sched_item);
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
  dk_lua_setbool(L, "truncated", r->truncated);
  if (r->stop_reason) {
    lua_createtable(L, 0, 3);
    dk_lua_setint(L, "line", (long long)r->stop_line);
    dk_lua_setint(L, "offset", (long long)r->stop_off);
    dk_lua_setstr(L, "reason", r->stop_reason);
    lua_setfield(L, -2, "stopped");
  }
  dk_lua_setint(L, "lines", (long long)r->lines);
  dk_lua_setint(L, "other_lines", (long long)r->other_lines);
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
