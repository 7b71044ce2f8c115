/*
** diagkit.evtx: Windows Event Log (.evtx) files (docs/lua-api/evtx.md).
**   evtx.open(path)            -> file | nil, message, code ("ENOENT", "EACCES", "DK_BAD_FORMAT", ...)
**   file:info()                -> {size=, chunks=, chunks_declared=, dirty=, full=, no_crc32=, ...}
**   file:records(filter)       -> iterator, state, nil, closer  (for rec in f:records{...} do ... end)
**   file:export(io_file, opts) -> records written (XML / JSON / JSON lines, straight from C)
**   file:warnings()            -> list of warnings so far (damaged chunks and records)
**   file:close()
**   evtx.parse_time(s)         -> FILETIME integer | nil, message
**   evtx.time(filetime)        -> ISO-8601 string
**   evtx.cpu_count()           -> integer
**   evtx.from_xml(xml, filter) -> record | false (filtered out) | nil, message, "DK_BAD_FORMAT"
**   evtx.query(channel, opts)  -> iterator, state, nil, closer | nil, message, code (live logs, Windows)
*/
#include <stdlib.h>
#include <string.h>

#include "dk_file.h"
#include "dk_lua.h"
#include "evtx.h"
#include "evtx_os.h"
#include "evtx_reader.h"
#include "lualib.h"

int luaopen_diagkit_evtx(lua_State *L);

#define FILE_MT "diagkit.evtx.file"
#define CURSOR_MT "diagkit.evtx.cursor"
#define MAX_WARNINGS 1000

typedef struct lfile {
  dk_filebuf map;
  dk_evtx_header header;
  int closed;
} lfile;

/* uservalue 1 of a file: its path; 2: the warnings table */

static lfile *check_file(lua_State *L, int idx) {
  lfile *f = luaL_checkudata(L, idx, FILE_MT);
  if (f->closed) luaL_error(L, "attempt to use a closed evtx file");
  return f;
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lfile *f = lua_newuserdatauv(L, sizeof *f, 2);
  memset(f, 0, sizeof *f);
  f->closed = 1;
  luaL_setmetatable(L, FILE_MT);
  dk_err e;
  if (dk_file_open(&f->map, path, DK_FILE_SEQUENTIAL, 0, &e) != 0) return dk_lua_fail_err(L, &e);
  f->closed = 0;
  char err[512];
  if (dk_evtx_parse_header(f->map.data, f->map.size, &f->header, err, sizeof err) != 0) {
    dk_file_close(&f->map);
    f->closed = 1;
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  lua_pushstring(L, path);
  lua_setiuservalue(L, -2, 1);
  lua_newtable(L);
  lua_setiuservalue(L, -2, 2);
  return 1;
}

static int l_close(lua_State *L) {
  lfile *f = luaL_checkudata(L, 1, FILE_MT);
  if (!f->closed) {
    dk_file_close(&f->map);
    f->closed = 1;
  }
  return 0;
}

static int l_tostring(lua_State *L) {
  lfile *f = luaL_checkudata(L, 1, FILE_MT);
  lua_getiuservalue(L, 1, 1);
  lua_pushfstring(L, "evtx file (%s)%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "?", f->closed ? " closed" : "");
  return 1;
}

static int l_info(lua_State *L) {
  lfile *f = check_file(L, 1);
  const dk_evtx_header *h = &f->header;
  lua_createtable(L, 0, 16);
  lua_getiuservalue(L, 1, 1);
  lua_setfield(L, -2, "path");
  dk_lua_setint(L, "size", (lua_Integer)f->map.size);
  lua_pushfstring(L, "%d.%d", (int)h->major, (int)h->minor);
  lua_setfield(L, -2, "version");
  dk_lua_setint(L, "chunks_declared", h->chunk_count);
  dk_lua_setint(L, "chunks", (lua_Integer)h->chunks_in_file);
  dk_lua_setint(L, "first_chunk", (lua_Integer)h->first_chunk);
  dk_lua_setint(L, "last_chunk", (lua_Integer)h->last_chunk);
  dk_lua_setint(L, "next_record_id", (lua_Integer)h->next_record_id);
  dk_lua_setint(L, "flags", h->flags);
  dk_lua_setbool(L, "dirty", (h->flags & DK_EVTX_FLAG_DIRTY) != 0);
  dk_lua_setbool(L, "full", (h->flags & DK_EVTX_FLAG_FULL) != 0);
  dk_lua_setbool(L, "no_crc32", (h->flags & DK_EVTX_FLAG_NO_CRC) != 0);
  dk_lua_setbool(L, "header_crc_ok", h->crc == h->crc_calc);
  return 1;
}

static int l_warnings(lua_State *L) {
  luaL_checkudata(L, 1, FILE_MT);
  lua_newtable(L);
  lua_getiuservalue(L, 1, 2);
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, -1, i);
    lua_seti(L, -3, i);
  }
  lua_pop(L, 1);
  return 1;
}

/* Appends the batch's warnings to the file's list (file userdata at fidx). */
static void add_warnings(lua_State *L, int fidx, const dk_evtx_chunk_result *s) {
  if (s->nwarnings == 0) return;
  lua_getiuservalue(L, fidx, 2);
  lua_Integer n = luaL_len(L, -1);
  for (size_t i = 0; i < s->nwarnings && n < MAX_WARNINGS; i++) {
    lua_pushstring(L, s->warnings[i]);
    lua_seti(L, -2, ++n);
  }
  lua_pop(L, 1);
}

/* Filter options ---------------------------------------------------------------- */

typedef struct lfilter {
  dk_evtx_filter f;
  int64_t ids[64];
  int xml, recover, threads, has_where;
} lfilter;

static void read_filter_fields(lua_State *L, int idx, lfilter *o, char *provider, size_t provider_len);

/* The filter table at idx into o; o->f points into o and provider, which
** must live as long as o (both sit in the cursor or live-query userdata). */
static void read_filter(lua_State *L, int idx, lfilter *o, char *provider, size_t provider_len) {
  memset(o, 0, sizeof *o);
  o->xml = 1;
  o->threads = 1;
  if (!lua_isnoneornil(L, idx)) read_filter_fields(L, idx, o, provider, provider_len);
  o->f.provider = o->f.provider ? provider : NULL;
  o->f.event_ids = o->ids;
}

static void read_filter_fields(lua_State *L, int idx, lfilter *o, char *provider, size_t provider_len) {
  luaL_checktype(L, idx, LUA_TTABLE);
  if (lua_getfield(L, idx, "provider") != LUA_TNIL) {
    size_t n;
    const char *s = luaL_checklstring(L, -1, &n);
    if (n >= provider_len) luaL_error(L, "provider name too long");
    memcpy(provider, s, n + 1);
    o->f.provider = provider;
  }
  lua_pop(L, 1);
  int t = lua_getfield(L, idx, "event_id");
  if (t == LUA_TNUMBER) {
    o->ids[0] = (int64_t)luaL_checkinteger(L, -1);
    o->f.n_event_ids = 1;
  } else if (t == LUA_TTABLE) {
    lua_Integer n = luaL_len(L, -1);
    if (n > 64) luaL_error(L, "at most 64 event ids in a filter");
    for (lua_Integer i = 1; i <= n; i++) {
      lua_geti(L, -1, i);
      if (!lua_isinteger(L, -1)) luaL_error(L, "event_id[%d] must be an integer", (int)i);
      o->ids[i - 1] = (int64_t)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    o->f.n_event_ids = (size_t)n;
  } else if (t != LUA_TNIL) {
    luaL_error(L, "event_id must be an integer or a list of integers");
  }
  lua_pop(L, 1);
  o->f.event_ids = o->ids;
  static const char *const tk[] = {"since", "until"};
  for (int i = 0; i < 2; i++) {
    t = lua_getfield(L, idx, tk[i]);
    uint64_t ft = 0;
    if (t == LUA_TSTRING) {
      if (dk_evtx_parse_iso(lua_tostring(L, -1), &ft) != 0)
        luaL_error(L, "%s: '%s' is not an ISO-8601 time (2024-01-31T12:00:00Z)", tk[i], lua_tostring(L, -1));
    } else if (t == LUA_TNUMBER) {
      lua_Integer v = luaL_checkinteger(L, -1);
      if (v < 0) luaL_error(L, "%s must be a FILETIME >= 0", tk[i]);
      ft = (uint64_t)v;
    } else if (t != LUA_TNIL) {
      luaL_error(L, "%s must be an ISO-8601 string or a FILETIME integer", tk[i]);
    }
    if (i == 0)
      o->f.since = ft;
    else
      o->f.until = ft;
    lua_pop(L, 1);
  }
  if (lua_getfield(L, idx, "xml") != LUA_TNIL) o->xml = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "recover") != LUA_TNIL) o->recover = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (lua_getfield(L, idx, "threads") != LUA_TNIL) {
    lua_Integer n = luaL_checkinteger(L, -1);
    if (n < 0 || n > 64) luaL_error(L, "threads must be 0 (one per CPU) to 64");
    o->threads = n == 0 ? dk_evtx_cpu_count() : (int)n;
  }
  lua_pop(L, 1);
  t = lua_getfield(L, idx, "where");
  if (t != LUA_TNIL && t != LUA_TFUNCTION) luaL_error(L, "where must be a function(record) -> boolean");
  o->has_where = t == LUA_TFUNCTION;
  lua_pop(L, 1);
}

/* Records as Lua tables ----------------------------------------------------------- */

static void set_opt_int(lua_State *L, const char *k, int64_t v) {
  if (v >= 0) dk_lua_setint(L, k, (lua_Integer)v);
}

static void push_record(lua_State *L, const dk_evtx_chunk_result *s, const dk_evtx_record *r) {
  lua_createtable(L, 0, 24);
  dk_lua_setint(L, "record_id", (lua_Integer)r->record_id);
  dk_lua_setstr(L, "time", r->time);
  dk_lua_setstr(L, "provider", r->provider);
  dk_lua_setstr(L, "provider_guid", r->provider_guid);
  dk_lua_setstr(L, "event_source", r->event_source);
  set_opt_int(L, "event_id", r->event_id);
  set_opt_int(L, "qualifiers", r->qualifiers);
  set_opt_int(L, "version", r->version);
  set_opt_int(L, "level", r->level);
  set_opt_int(L, "task", r->task);
  set_opt_int(L, "opcode", r->opcode);
  dk_lua_setstr(L, "keywords", r->keywords);
  dk_lua_setstr(L, "channel", r->channel);
  dk_lua_setstr(L, "computer", r->computer);
  set_opt_int(L, "pid", r->pid);
  set_opt_int(L, "tid", r->tid);
  dk_lua_setstr(L, "user_id", r->user_id);
  dk_lua_setstr(L, "activity_id", r->activity_id);
  dk_lua_setstr(L, "related_activity_id", r->related_activity_id);
  dk_lua_setstr(L, "data_kind", r->data_kind);
  dk_lua_setstr(L, "userdata_name", r->userdata_name);
  lua_createtable(L, 0, (int)r->ndata);     /* data */
  lua_createtable(L, (int)r->ndata, 0);     /* data_list */
  for (size_t i = 0; i < r->ndata; i++) {
    const dk_evtx_field *fd = &r->data[i];
    lua_createtable(L, 0, 2);
    if (fd->name) dk_lua_setstr(L, "name", fd->name);
    dk_lua_setstr(L, "value", fd->value);
    lua_seti(L, -2, (lua_Integer)i + 1);
    if (fd->name) {
      if (lua_getfield(L, -2, fd->name) == LUA_TNIL) { /* the first of duplicate names wins */
        lua_pop(L, 1);
        lua_pushstring(L, fd->value);
        lua_setfield(L, -3, fd->name);
      } else {
        lua_pop(L, 1);
      }
    }
  }
  lua_setfield(L, -3, "data_list");
  lua_setfield(L, -2, "data");
  if (r->nrendering) {
    lua_createtable(L, 0, (int)r->nrendering);
    for (size_t i = 0; i < r->nrendering; i++)
      if (r->rendering[i].name) dk_lua_setstr(L, r->rendering[i].name, r->rendering[i].value);
    lua_setfield(L, -2, "rendering");
  }
  dk_lua_setint(L, "chunk", r->chunk);
  dk_lua_setint(L, "offset", (lua_Integer)r->file_offset);
  if (r->recovered) dk_lua_setbool(L, "recovered", 1);
  if (r->xml_len) {
    lua_pushlstring(L, s->text.p + r->xml_off, r->xml_len);
    lua_setfield(L, -2, "xml");
  }
}

/* The records() iterator --------------------------------------------------------- */

typedef struct lcursor {
  dk_evtx_reader rd;
  lfilter filter;
  char provider[256];
  size_t slot, rec; /* position in the current batch */
  size_t count;     /* records handed out */
  int open;
} lcursor;

/* cursor uservalues: 1 = the file, 2 = the where function */

/* Calls the where function (uservalue uv of the iterator's handle at 1) on the
** record on top of the stack; a record it rejects is popped. */
static int where_keeps(lua_State *L, int uv) {
  lua_getiuservalue(L, 1, uv);
  lua_pushvalue(L, -2);
  lua_call(L, 1, 1);
  int keep = lua_toboolean(L, -1);
  lua_pop(L, keep ? 1 : 2);
  return keep;
}

static int cursor_close(lua_State *L) {
  lcursor *c = luaL_checkudata(L, 1, CURSOR_MT);
  if (c->open) {
    dk_evtx_reader_free(&c->rd);
    c->open = 0;
  }
  return 0;
}

static int records_iter(lua_State *L) {
  lcursor *c = luaL_checkudata(L, 1, CURSOR_MT);
  if (!c->open) return 0;
  lua_getiuservalue(L, 1, 1);
  int fidx = lua_gettop(L);
  lfile *f = luaL_checkudata(L, fidx, FILE_MT);
  if (f->closed) return luaL_error(L, "evtx file closed during iteration");
  /* The file shrank under its mapping (support's SIGBUS guard read zeros past
     its new end): the records from here on would not be the file's. */
  if (dk_file_changed(&f->map)) {
    lua_getiuservalue(L, fidx, 1);
    return luaL_error(L, "%s: the file changed (it shrank) while it was read", lua_tostring(L, -1));
  }
  for (;;) {
    while (c->slot < c->rd.batch_n) {
      dk_evtx_chunk_result *s = &c->rd.slots[c->slot];
      if (c->rec == 0) add_warnings(L, fidx, s);
      if (c->rec < s->nrecords) {
        push_record(L, s, &s->records[c->rec++]);
        if (c->filter.has_where && !where_keeps(L, 2)) continue;
        c->count++;
        return 1;
      }
      c->slot++;
      c->rec = 0;
    }
    if (c->rd.failed) return luaL_error(L, "evtx: out of memory");
    c->slot = 0;
    c->rec = 0;
    if (dk_evtx_reader_batch(&c->rd) == 0) {
      dk_evtx_reader_free(&c->rd);
      c->open = 0;
      return 0;
    }
  }
}

static int l_records(lua_State *L) {
  lfile *f = check_file(L, 1);
  lua_settop(L, 2);
  lcursor *c = lua_newuserdatauv(L, sizeof *c, 2);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, CURSOR_MT);
  read_filter(L, 2, &c->filter, c->provider, sizeof c->provider);
  dk_evtx_opts o = {.want = DK_EVTX_WANT_FIELDS | (c->filter.xml ? DK_EVTX_WANT_XML : 0u),
                    .recover = c->filter.recover,
                    .filter = &c->filter.f};
  if (dk_evtx_reader_init(&c->rd, f->map.data, f->map.size, &f->header, &o, c->filter.threads) != 0)
    return luaL_error(L, "evtx: out of memory");
  c->rd.opts.filter = &c->filter.f; /* the copy inside the reader points into the cursor */
  c->open = 1;
  lua_pushvalue(L, 1);
  lua_setiuservalue(L, -2, 1);
  if (c->filter.has_where) {
    lua_getfield(L, 2, "where");
    lua_setiuservalue(L, -2, 2);
  }
  return dk_lua_push_iter(L, records_iter);
}

/* export(): records straight to a Lua file, no tables -------------------------- */

static int l_export(lua_State *L) {
  lfile *f = check_file(L, 1);
  luaL_Stream *out = luaL_checkudata(L, 2, LUA_FILEHANDLE);
  lua_settop(L, 3);
  if (out->closef == NULL) return luaL_error(L, "attempt to use a closed file");
  lfilter flt;
  char provider[256];
  read_filter(L, 3, &flt, provider, sizeof provider);
  if (flt.has_where) return luaL_error(L, "export does not take a where function (use records)");
  flt.f.event_ids = flt.ids;
  const char *fmt = "xml";
  int embed_xml = 0, bare = 0;
  lua_Integer count = 0;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "format");
    fmt = luaL_optstring(L, -1, "xml");
    embed_xml = lua_getfield(L, 3, "xml") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    bare = lua_getfield(L, 3, "bare") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    if (lua_getfield(L, 3, "written") != LUA_TNIL) count = luaL_checkinteger(L, -1);
    lua_pop(L, 4);
  }
  int as_xml = strcmp(fmt, "xml") == 0, json_array = strcmp(fmt, "json") == 0;
  if (!as_xml && !json_array && strcmp(fmt, "jsonl") != 0)
    return luaL_error(L, "format must be xml, json or jsonl (got '%s')", fmt);
  unsigned want = DK_EVTX_WANT_FIELDS | (as_xml || embed_xml ? DK_EVTX_WANT_XML : 0u) | (as_xml ? 0u : DK_EVTX_WANT_JSON);
  dk_evtx_opts o = {.want = want, .recover = flt.recover, .filter = &flt.f};
  dk_evtx_reader rd;
  if (dk_evtx_reader_init(&rd, f->map.data, f->map.size, &f->header, &o, flt.threads) != 0)
    return luaL_error(L, "evtx: out of memory");
  lua_Integer before = count;
  FILE *fp = out->f;
  if (json_array && !bare) fputs("[", fp);
  while (dk_evtx_reader_batch(&rd) > 0) {
    for (size_t k = 0; k < rd.batch_n; k++) {
      dk_evtx_chunk_result *s = &rd.slots[k];
      add_warnings(L, 1, s);
      for (size_t i = 0; i < s->nrecords; i++) {
        const dk_evtx_record *r = &s->records[i];
        if (json_array) fputs(count ? ",\n" : "\n", fp);
        if (as_xml)
          fwrite(s->text.p + r->xml_off, 1, r->xml_len, fp);
        else
          fwrite(s->text.p + r->json_off, 1, r->json_len, fp);
        if (!json_array) fputc('\n', fp);
        count++;
      }
    }
    if (rd.failed) {
      dk_evtx_reader_free(&rd);
      return luaL_error(L, "evtx: out of memory");
    }
  }
  if (json_array && !bare) fputs(count ? "\n]\n" : "]\n", fp);
  dk_evtx_reader_free(&rd);
  lua_pushinteger(L, count - before);
  return 1;
}

/* XML text and live logs --------------------------------------------------------- */

#define LIVE_MT "diagkit.evtx.live"

static int l_from_xml(lua_State *L) {
  size_t n;
  const char *xml = luaL_checklstring(L, 1, &n);
  lua_settop(L, 2);
  lfilter flt;
  char provider[256];
  read_filter(L, 2, &flt, provider, sizeof provider);
  flt.f.event_ids = flt.ids;
  dk_evtx_opts o = {.want = DK_EVTX_WANT_FIELDS | (flt.xml ? DK_EVTX_WANT_XML : 0u), .recover = 0, .filter = &flt.f};
  dk_evtx_chunk_result r;
  memset(&r, 0, sizeof r);
  int rc = dk_evtx_parse_xml_record(xml, n, &o, &r);
  if (rc == 1) {
    push_record(L, &r, &r.records[0]);
    lua_pushnil(L);
    lua_setfield(L, -2, "chunk");
    lua_pushnil(L);
    lua_setfield(L, -2, "offset");
    dk_evtx_chunk_result_free(&r);
    return 1;
  }
  if (rc == 0) {
    dk_evtx_chunk_result_free(&r);
    lua_pushboolean(L, 0);
    return 1;
  }
  dk_lua_fail(L, r.nwarnings ? r.warnings[0] : "not an event in XML", "DK_BAD_FORMAT");
  dk_evtx_chunk_result_free(&r);
  return 3;
}

typedef struct llive {
  dk_evtx_live *q;
  dk_evtx_chunk_result res;
  lfilter filter;
  char provider[256];
} llive;

static int live_close(lua_State *L) {
  llive *c = luaL_checkudata(L, 1, LIVE_MT);
  if (c->q) {
    dk_evtx_live_close(c->q);
    c->q = NULL;
  }
  dk_evtx_chunk_result_free(&c->res);
  return 0;
}

static int live_iter(lua_State *L) {
  llive *c = luaL_checkudata(L, 1, LIVE_MT);
  dk_evtx_opts o = {.want = DK_EVTX_WANT_FIELDS | (c->filter.xml ? DK_EVTX_WANT_XML : 0u), .recover = 0,
                    .filter = &c->filter.f};
  while (c->q) {
    char *xml = NULL;
    size_t n = 0;
    char err[512];
    int rc = dk_evtx_live_next(c->q, &xml, &n, err, sizeof err);
    if (rc == 0) {
      dk_evtx_live_close(c->q);
      c->q = NULL;
      return 0;
    }
    if (rc < 0) return luaL_error(L, "%s", err);
    dk_evtx_result_reset(&c->res);
    int k = dk_evtx_parse_xml_record(xml, n, &o, &c->res);
    free(xml);
    if (k < 0) return luaL_error(L, "evtx: %s", c->res.nwarnings ? c->res.warnings[0] : "unreadable event XML");
    if (k == 0) continue;
    push_record(L, &c->res, &c->res.records[0]);
    if (c->filter.has_where && !where_keeps(L, 1)) continue;
    lua_pushnil(L);
    lua_setfield(L, -2, "chunk");
    lua_pushnil(L);
    lua_setfield(L, -2, "offset");
    return 1;
  }
  return 0;
}

static int l_query(lua_State *L) {
  const char *channel = luaL_checkstring(L, 1);
  lua_settop(L, 2);
  const char *xpath = "*";
  int reverse = 0;
  if (lua_istable(L, 2)) {
    if (lua_getfield(L, 2, "xpath") != LUA_TNIL) xpath = luaL_checkstring(L, -1);
    lua_pop(L, 1);
    reverse = lua_getfield(L, 2, "reverse") == LUA_TBOOLEAN && lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  llive *c = lua_newuserdatauv(L, sizeof *c, 1);
  memset(c, 0, sizeof *c);
  luaL_setmetatable(L, LIVE_MT);
  read_filter(L, 2, &c->filter, c->provider, sizeof c->provider);
  if (c->filter.has_where) {
    lua_getfield(L, 2, "where");
    lua_setiuservalue(L, -2, 1);
  }
  char err[512];
  const char *code = "EIO";
  if (dk_evtx_live_open(channel, xpath, reverse, &c->q, err, sizeof err, &code) != 0)
    return dk_lua_fail(L, err, code);
  return dk_lua_push_iter(L, live_iter);
}

/* Module functions ----------------------------------------------------------------- */

static int l_parse_time(lua_State *L) {
  const char *s = luaL_checkstring(L, 1);
  uint64_t ft;
  if (dk_evtx_parse_iso(s, &ft) != 0) {
    lua_pushnil(L);
    lua_pushfstring(L, "'%s' is not an ISO-8601 time (e.g. 2024-01-31 or 2024-01-31T12:00:00Z)", s);
    return 2;
  }
  lua_pushinteger(L, (lua_Integer)ft);
  return 1;
}

static int l_time(lua_State *L) {
  lua_Integer v = luaL_checkinteger(L, 1);
  luaL_argcheck(L, v >= 0, 1, "FILETIME >= 0 expected");
  char buf[40];
  dk_evtx_filetime_iso((uint64_t)v, buf, sizeof buf);
  lua_pushstring(L, buf);
  return 1;
}

static int l_cpu_count(lua_State *L) {
  lua_pushinteger(L, dk_evtx_cpu_count());
  return 1;
}

int luaopen_diagkit_evtx(lua_State *L) {
  static const luaL_Reg file_methods[] = {{"info", l_info},         {"records", l_records}, {"export", l_export},
                                          {"warnings", l_warnings}, {"close", l_close},     {NULL, NULL}};
  static const luaL_Reg fns[] = {{"open", l_open},         {"parse_time", l_parse_time}, {"time", l_time},
                                 {"cpu_count", l_cpu_count}, {"from_xml", l_from_xml},     {"query", l_query},
                                 {NULL, NULL}};
  dk_lua_class(L, LIVE_MT, NULL, live_close, live_close, NULL);
  dk_lua_class(L, FILE_MT, file_methods, l_close, l_close, l_tostring);
  dk_lua_class(L, CURSOR_MT, NULL, cursor_close, cursor_close, NULL);
  luaL_newlib(L, fns);
  return 1;
}
