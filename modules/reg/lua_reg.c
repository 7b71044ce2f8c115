/*
** diagkit.reg: offline registry hives (see docs/lua-api/reg.md).
**   reg.open(path) -> hive | nil, message, code
**   hive:info() hive:key(p) hive:subkeys(p) hive:values(p) hive:value(p, name)
**   hive:raw(p, name) hive:security(p) hive:walk(p) hive:export(p) hive:errors() hive:close()
** Paths are case-insensitive, '\' or '/' separated, relative to the root;
** "CurrentControlSet" is resolved through Select\Current.
*/
#include "dk_err.h"
#include "regf.h"
#include "regtext.h"
#ifdef _WIN32
#include "reg_live.h"
#endif
#include "sd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_file.h"
#include "dk_lua.h"
#include "dk_text.h"

int luaopen_diagkit_reg(lua_State *L);

#define HIVE_MT "diagkit.reg.hive"

typedef struct lhive {
  dk_hive *h;
  char *path;
  dk_replay replay;
  char logs[2][1024];
  int nlogs;
  int view; /* 0/64: as stored; 32: the WOW64 view (Wow6432Node) */
} lhive;

static lhive *check_hive(lua_State *L, int idx) {
  lhive *lh = luaL_checkudata(L, idx, HIVE_MT);
  if (!lh->h) luaL_error(L, "hive is closed");
  return lh;
}

static int strncasecmp_portable(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    int x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y || x == 0) return x - y;
  }
  return 0;
}

static void push_filetime(lua_State *L, uint64_t ft) {
  /* FILETIME: 100 ns since 1601-01-01 -> ISO 8601 UTC */
  if (ft < 116444736000000000ull) {
    lua_pushnil(L);
    return;
  }
  int64_t secs = (int64_t)((ft - 116444736000000000ull) / 10000000ull);
  int64_t days = secs / 86400, rem = secs % 86400;
  /* civil from days (H. Hinnant) */
  int64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y++;
  char b[40];
  snprintf(b, sizeof b, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y, (long long)m, (long long)d,
           (long long)(rem / 3600), (long long)(rem / 60 % 60), (long long)(rem % 60));
  lua_pushstring(L, b);
}

/* t[k] = the FILETIME ft as ISO 8601 UTC (nil before 1970) */
static void set_filetime(lua_State *L, const char *k, uint64_t ft) {
  push_filetime(L, ft);
  lua_setfield(L, -2, k);
}

/* Hives and .reg files: what dk_read_file used to allow. */
#define REG_FILE_MAX ((uint64_t)1 << 31)

/* Transaction logs next to a hive: NAME.LOG1/.LOG2 in either case, also with the
   base name lower-cased (Windows names are case-insensitive). The ones that open
   (plain files only) are named in out and their bytes left in bufs. */
static int find_logs(const char *path, char out[2][1024], dk_filebuf bufs[2]) {
  int n = 0;
  const char *suffixes[][2] = {{".LOG1", ".LOG2"}, {".log1", ".log2"}};
  char lower[1024];
  snprintf(lower, sizeof lower, "%s", path);
  char *base = strrchr(lower, '/');
  base = base ? base + 1 : lower;
  for (char *c = base; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
  const char *bases[2] = {path, lower};
  for (int k = 0; k < 2 && n == 0; k++)
    for (int b = 0; b < 2 && n == 0; b++)
      for (int i = 0; i < 2; i++) {
        char cand[1024];
        snprintf(cand, sizeof cand, "%s%s", bases[b], suffixes[k][i]);
        if (dk_file_open(&bufs[n], cand, DK_FILE_SEQUENTIAL, REG_FILE_MAX, NULL) != 0) continue;
        snprintf(out[n++], 1024, "%s", cand);
      }
  return n;
}

static int l_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int replay = 1;
  lhive *lh = lua_newuserdatauv(L, sizeof *lh, 0);
  memset(lh, 0, sizeof *lh);
  luaL_setmetatable(L, HIVE_MT);
  if (lua_istable(L, 2)) {
    if (lua_getfield(L, 2, "replay") != LUA_TNIL) replay = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "view") != LUA_TNIL) {
      lua_Integer v = luaL_checkinteger(L, -1);
      luaL_argcheck(L, v == 32 || v == 64, 2, "view must be 32 or 64");
      lh->view = (int)v;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "logs") == LUA_TTABLE) {
      lua_Integer n = luaL_len(L, -1);
      for (lua_Integer i = 1; i <= n && lh->nlogs < 2; i++) {
        lua_rawgeti(L, -1, i);
        snprintf(lh->logs[lh->nlogs++], 1024, "%s", luaL_checkstring(L, -1));
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  dk_err e;
  dk_filebuf hive;
  if (dk_file_open(&hive, path, DK_FILE_SEQUENTIAL, REG_FILE_MAX, &e) != 0) return dk_lua_fail_err(L, &e);
  const uint8_t *buf = hive.data;
  size_t len = hive.size;
  int dirty = len >= 4096 && memcmp(buf, "regf", 4) == 0 && memcmp(buf + 4, buf + 8, 4) != 0;
  dk_filebuf logs[2];
  const uint8_t *logdata[2] = {NULL, NULL};
  size_t loglens[2] = {0, 0};
  int nl = 0;
  if (dirty && replay) {
    if (lh->nlogs == 0) {
      nl = lh->nlogs = find_logs(path, lh->logs, logs);
    } else {
      for (int i = 0; i < lh->nlogs; i++)
        if (dk_file_open(&logs[nl], lh->logs[i], DK_FILE_SEQUENTIAL, REG_FILE_MAX, NULL) == 0) nl++;
    }
    for (int i = 0; i < nl; i++) {
      logdata[i] = logs[i].data;
      loglens[i] = logs[i].size;
    }
  } else {
    lh->nlogs = 0;
  }
  char e3[256];
  lh->h = dk_hive_open_logs(buf, len, logdata, loglens, (size_t)nl, &lh->replay, e3, sizeof e3);
  dk_file_close(&hive);
  for (int i = 0; i < nl; i++) dk_file_close(&logs[i]);
  if (!lh->h) {
    lua_pushfstring(L, "%s: %s", path, e3);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  lh->path = malloc(strlen(path) + 1);
  if (lh->path) strcpy(lh->path, path);
  return 1;
}

static int l_close(lua_State *L) {
  lhive *lh = luaL_checkudata(L, 1, HIVE_MT);
  dk_hive_close(lh->h);
  lh->h = NULL;
  free(lh->path);
  lh->path = NULL;
  return 0;
}

static int l_tostring(lua_State *L) {
  lhive *lh = luaL_checkudata(L, 1, HIVE_MT);
  if (!lh->h) {
    lua_pushstring(L, "diagkit.reg hive (closed)");
    return 1;
  }
  dk_hive_info in;
  dk_hive_get_info(lh->h, &in);
  lua_pushfstring(L, "diagkit.reg hive %s (regf %d.%d%s)", lh->path ? lh->path : "?", (int)in.major, (int)in.minor,
                  in.dirty ? ", dirty" : "");
  return 1;
}

static void push_errors(lua_State *L, dk_hive *h) {
  size_t n = dk_hive_nerrors(h);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, dk_hive_error(h, i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

static int l_info(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  dk_hive_info in;
  dk_hive_get_info(lh->h, &in);
  lua_createtable(L, 0, 16);
  dk_lua_setint(L, "primary_seq", in.primary_seq);
  dk_lua_setint(L, "secondary_seq", in.secondary_seq);
  dk_lua_setbool(L, "dirty", in.dirty);
  lua_pushfstring(L, "%d.%d", (int)in.major, (int)in.minor);
  lua_setfield(L, -2, "version");
  dk_lua_setint(L, "file_type", in.file_type);
  dk_lua_setint(L, "root", in.root);
  dk_lua_setint(L, "bins_size", in.bins_size);
  dk_lua_setint(L, "bins_found", in.bins_found);
  dk_lua_setint(L, "bins", in.nbins);
  dk_lua_setbool(L, "checksum_ok", in.checksum_ok);
  dk_lua_setint(L, "checksum", in.checksum);
  dk_lua_setstr(L, "file_name", in.file_name);
  set_filetime(L, "last_written", in.last_written);
  push_errors(L, lh->h);
  lua_setfield(L, -2, "errors");
  if (lh->replay.attempted) {
    lua_createtable(L, 0, 6);
    dk_lua_setint(L, "entries", lh->replay.entries);
    dk_lua_setint(L, "pages", lh->replay.pages);
    dk_lua_setint(L, "first_seq", lh->replay.first_seq);
    if (lh->replay.entries) dk_lua_setint(L, "last_seq", lh->replay.last_seq);
    dk_lua_setstr(L, "stopped", lh->replay.stopped);
    lua_createtable(L, lh->nlogs, 0);
    for (int i = 0; i < lh->nlogs; i++) {
      lua_pushstring(L, lh->logs[i]);
      lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "logs");
    lua_setfield(L, -2, "replay");
  }
  return 1;
}

static int l_view(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lua_Integer v = luaL_checkinteger(L, 2);
    luaL_argcheck(L, v == 32 || v == 64, 2, "32 or 64 expected");
    lh->view = (int)v;
  }
  lua_pushinteger(L, lh->view == 32 ? 32 : 64);
  return 1;
}

static int l_errors(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  push_errors(L, lh->h);
  return 1;
}

/* Resolves a path (CurrentControlSet too). 0 or pushes nil, msg, code (3). */
static int resolve(lua_State *L, lhive *lh, const char *path, uint32_t *off) {
  dk_hive_info in;
  dk_hive_get_info(lh->h, &in);
  char err[512];
  const char *p = path;
  while (*p == '\\' || *p == '/') p++;
  size_t n = strcspn(p, "\\/");
  char buf[4096];
  if (n == 17 && strncasecmp_portable(p, "CurrentControlSet", 17) == 0) {
    uint32_t sel;
    dk_nk nk;
    uint32_t *vl = NULL;
    size_t nv = 0;
    unsigned current = 0;
    if (dk_hive_find(lh->h, in.root, "Select", &sel, err, sizeof err) == 0 &&
        dk_hive_key(lh->h, sel, &nk, err, sizeof err) == 0 && dk_hive_values(lh->h, &nk, &vl, &nv, err, sizeof err) >= 0) {
      for (size_t i = 0; i < nv; i++) {
        dk_vk vk;
        uint8_t *d;
        size_t dl;
        if (dk_hive_value(lh->h, vl[i], &vk, err, sizeof err) != 0 || dk_regname_cmp(vk.name, "Current") != 0) continue;
        if (dk_hive_value_data(lh->h, &vk, &d, &dl, err, sizeof err) == 0 && dl >= 4)
          current = (unsigned)d[0] | (unsigned)d[1] << 8 | (unsigned)d[2] << 16 | (unsigned)d[3] << 24;
        free(d);
      }
    }
    free(vl);
    if (current == 0 || current > 999)
      return dk_lua_fail(L, "CurrentControlSet: this hive has no Select\\Current value (not a SYSTEM hive?)", "ENOENT");
    snprintf(buf, sizeof buf, "ControlSet%03u%s", current, p + n);
    p = buf;
  }
  if (lh->view == 32) {
    /* The 32-bit view: Software\X -> Software\Wow6432Node\X (NTUSER-style paths), or
       X -> Wow6432Node\X in a SOFTWARE hive (its root has a Wow6432Node key). */
    char v32[4096];
    const char *q = p;
    while (*q == '\\' || *q == '/') q++;
    size_t fl = strcspn(q, "\\/");
    uint32_t w;
    if (fl == 8 && strncasecmp_portable(q, "Software", 8) == 0) {
      const char *rest = q + fl;
      while (*rest == '\\' || *rest == '/') rest++;
      if (strncasecmp_portable(rest, "Wow6432Node", 11) != 0 && *rest) {
        snprintf(v32, sizeof v32, "Software\\Wow6432Node\\%.4000s", rest);
        p = v32;
      }
    } else if (*q && !(fl == 11 && strncasecmp_portable(q, "Wow6432Node", 11) == 0) &&
               dk_hive_find(lh->h, in.root, "Wow6432Node", &w, err, sizeof err) == 0) {
      snprintf(v32, sizeof v32, "Wow6432Node\\%.4000s", q);
      p = v32;
    }
    if (p == v32) {
      snprintf(buf, sizeof buf, "%s", v32);
      p = buf;
    }
  }
  if (dk_hive_find(lh->h, in.root, p, off, err, sizeof err) != 0) return dk_lua_fail(L, err, "ENOENT");
  return 0;
}

static const char *type_name(uint32_t t) {
  static const char *const names[] = {"REG_NONE",
                                      "REG_SZ",
                                      "REG_EXPAND_SZ",
                                      "REG_BINARY",
                                      "REG_DWORD",
                                      "REG_DWORD_BIG_ENDIAN",
                                      "REG_LINK",
                                      "REG_MULTI_SZ",
                                      "REG_RESOURCE_LIST",
                                      "REG_FULL_RESOURCE_DESCRIPTOR",
                                      "REG_RESOURCE_REQUIREMENTS_LIST",
                                      "REG_QWORD"};
  return t < sizeof names / sizeof names[0] ? names[t] : "REG_UNKNOWN";
}

static void push_hex(lua_State *L, const uint8_t *d, size_t n) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    luaL_addchar(&b, digits[d[i] >> 4]);
    luaL_addchar(&b, digits[d[i] & 15]);
  }
  luaL_pushresult(&b);
}

/* Sets data (decoded) or hex on the table at the top. */
static void push_data(lua_State *L, uint32_t type, const uint8_t *d, size_t n) {
  switch (type) {
  case 1:
  case 2:
  case 6: {
    size_t ol;
    char *s = dk_utf16le_to_utf8_alloc(d, n, DK_UTF16_STOP_NUL, &ol);
    if (s) {
      lua_pushlstring(L, s, ol);
      lua_setfield(L, -2, "data");
      free(s);
    }
    return;
  }
  case 7: {
    lua_newtable(L);
    int k = 0;
    size_t i = 0;
    while (i + 1 < n) {
      size_t j = i;
      while (j + 1 < n && (d[j] | d[j + 1])) j += 2;
      if (j == i) break; /* an empty string ends the list */
      size_t ol;
      char *s = dk_utf16le_to_utf8_alloc(d + i, j - i, 0, &ol);
      if (s) {
        lua_pushlstring(L, s, ol);
        lua_rawseti(L, -2, ++k);
        free(s);
      }
      i = j + 2;
    }
    lua_setfield(L, -2, "data");
    return;
  }
  case 4:
    if (n >= 4) {
      dk_lua_setint(L, "data", (lua_Integer)((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24));
      return;
    }
    break;
  case 5:
    if (n >= 4) {
      dk_lua_setint(L, "data", (lua_Integer)((uint32_t)d[3] | (uint32_t)d[2] << 8 | (uint32_t)d[1] << 16 | (uint32_t)d[0] << 24));
      return;
    }
    break;
  case 11:
    if (n >= 8) {
      uint64_t v = 0;
      for (int i = 7; i >= 0; i--) v = (v << 8) | d[i];
      dk_lua_setint(L, "data", (lua_Integer)v);
      return;
    }
    break;
  default: break;
  }
  push_hex(L, d, n);
  lua_setfield(L, -2, "hex");
}

/* type, type_id, size and the data (when there is any) of a value. */
static void set_value_data(lua_State *L, uint32_t type, const uint8_t *d, size_t n) {
  dk_lua_setstr(L, "type", type_name(type));
  dk_lua_setint(L, "type_id", type);
  dk_lua_setint(L, "size", (lua_Integer)n);
  if (d) push_data(L, type, d, n);
}

/* Decoded value table. */
static void push_value(lua_State *L, lhive *lh, const dk_vk *vk) {
  char err[512];
  lua_createtable(L, 0, 7);
  dk_lua_setstr(L, "name", vk->name);
  uint8_t *d = NULL;
  size_t n = 0;
  int rc = dk_hive_value_data(lh->h, vk, &d, &n, err, sizeof err);
  set_value_data(L, vk->type, d, n);
  if (rc != 0) dk_lua_setstr(L, "error", err);
  free(d);
}

/* ---- .reg text -------------------------------------------------------- */

static int push_regtext(lua_State *L, const uint8_t *buf, size_t len) {
  dk_regtext rt;
  char err[512];
  if (dk_regtext_parse(buf, len, &rt, err, sizeof err) != 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  lua_createtable(L, 0, 4);
  dk_lua_setstr(L, "format", rt.format == DK_REGTEXT_5 ? "regedit5" : rt.format == DK_REGTEXT_4 ? "regedit4" : "wine");
  if (rt.relative_to[0]) dk_lua_setstr(L, "relative_to", rt.relative_to);
  lua_createtable(L, (int)rt.nkeys, 0);
  for (size_t i = 0; i < rt.nkeys; i++) {
    const dk_regtext_key *k = &rt.keys[i];
    lua_createtable(L, 0, 4);
    dk_lua_setstr(L, "path", k->path);
    dk_lua_setint(L, "line", k->line);
    if (k->deleted) dk_lua_setbool(L, "deleted", 1);
    lua_createtable(L, (int)k->nvalues, 0);
    for (size_t j = 0; j < k->nvalues; j++) {
      const dk_regtext_value *v = &k->values[j];
      lua_createtable(L, 0, 7);
      dk_lua_setstr(L, "name", v->name);
      dk_lua_setint(L, "line", v->line);
      if (v->deleted) {
        dk_lua_setbool(L, "deleted", 1);
      } else {
        set_value_data(L, v->type, v->data, v->len);
      }
      lua_rawseti(L, -2, (lua_Integer)j + 1);
    }
    lua_setfield(L, -2, "values");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "keys");
  lua_createtable(L, (int)rt.nerrors, 0);
  for (size_t i = 0; i < rt.nerrors; i++) {
    lua_pushstring(L, rt.errors[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "errors");
  dk_regtext_free(&rt);
  return 1;
}

/* SERVICE_FAILURE_ACTIONS as a service's FailureActions value stores it:
   reset period, two 32-bit pointer slots, action count, a pointer slot, then
   {type, delay ms} pairs. */
static int l_failure_actions(lua_State *L) {
  size_t n;
  const uint8_t *d = (const uint8_t *)luaL_checklstring(L, 1, &n);
  if (n < 20) {
    lua_pushfstring(L, "FailureActions of %d bytes: the header alone is 20", (int)n);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
#define RD(o) ((uint32_t)d[(o)] | (uint32_t)d[(o) + 1] << 8 | (uint32_t)d[(o) + 2] << 16 | (uint32_t)d[(o) + 3] << 24)
  uint32_t reset = RD(0), count = RD(12);
  if (count > (n - 20) / 8) {
    lua_pushfstring(L, "FailureActions declares %d actions, its %d bytes hold %d", (int)count, (int)n,
                    (int)((n - 20) / 8));
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  static const char *const kinds[] = {"none", "restart", "reboot", "run-command"};
  lua_createtable(L, 0, 3);
  dk_lua_setint(L, "reset_period_s", reset);
  dk_lua_setbool(L, "has_reboot_message", RD(4) != 0);
  dk_lua_setbool(L, "has_command", RD(8) != 0);
  lua_createtable(L, (int)count, 0);
  for (uint32_t i = 0; i < count; i++) {
    uint32_t type = RD(20 + 8 * i), delay = RD(24 + 8 * i);
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "action", type < 4 ? kinds[type] : "unknown");
    dk_lua_setint(L, "type", type);
    dk_lua_setint(L, "delay_ms", delay);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
#undef RD
  lua_setfield(L, -2, "actions");
  return 1;
}

#ifdef _WIN32
/* reg.live(path [, view]) -> {path, view, subkeys={...}, values={...}} | nil, message, code */
static int l_live(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer view = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, view == 0 || view == 32 || view == 64, 2, "0, 32 or 64 expected");
  dk_live_key k;
  char err[512];
  const char *code = "EIO";
  if (dk_reg_live_read(path, (int)view, &k, err, sizeof err, &code) != 0) return dk_lua_fail(L, err, code);
  lua_createtable(L, 0, 4);
  dk_lua_setstr(L, "path", path);
  dk_lua_setint(L, "view", view);
  lua_createtable(L, (int)k.nsubkeys, 0);
  for (size_t i = 0; i < k.nsubkeys; i++) {
    lua_pushstring(L, k.subkeys[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "subkeys");
  lua_createtable(L, (int)k.nvalues, 0);
  for (size_t i = 0; i < k.nvalues; i++) {
    const dk_live_value *v = &k.values[i];
    lua_createtable(L, 0, 5);
    dk_lua_setstr(L, "name", v->name);
    set_value_data(L, v->type, v->data, v->len);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "values");
  dk_reg_live_free(&k);
  return 1;
}
#endif

static int l_parse_reg(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  return push_regtext(L, (const uint8_t *)s, len);
}

static int l_load_reg(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  dk_err e;
  dk_filebuf f;
  if (dk_file_open(&f, path, DK_FILE_SEQUENTIAL, REG_FILE_MAX, &e) != 0) return dk_lua_fail_err(L, &e);
  /* push_regtext does not raise except on memory errors */
  int n = push_regtext(L, f.data, f.size);
  dk_file_close(&f);
  return n;
}

/* The key at path: 0, or pushes nil, msg, code and returns 3. */
static int key_at(lua_State *L, lhive *lh, const char *path, dk_nk *nk) {
  uint32_t off;
  int r = resolve(L, lh, path, &off);
  if (r) return r;
  char err[512];
  if (dk_hive_key(lh->h, off, nk, err, sizeof err) != 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  return 0;
}

static int l_key(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  dk_nk nk;
  int r = key_at(L, lh, luaL_optstring(L, 2, ""), &nk);
  if (r) return r;
  lua_createtable(L, 0, 8);
  dk_lua_setstr(L, "name", nk.name);
  dk_lua_setint(L, "offset", nk.off);
  dk_lua_setint(L, "flags", nk.flags);
  dk_lua_setint(L, "subkeys", nk.nsubkeys);
  dk_lua_setint(L, "values", nk.nvalues);
  set_filetime(L, "last_written", nk.mtime);
  char *cls = dk_hive_class(lh->h, &nk);
  if (cls) {
    dk_lua_setstr(L, "class", cls);
    free(cls);
  }
  dk_lua_setbool(L, "symlink", (nk.flags & 0x10) != 0);
  return 1;
}

static int l_subkeys(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  dk_nk nk;
  char err[512];
  int r = key_at(L, lh, luaL_optstring(L, 2, ""), &nk);
  if (r) return r;
  uint32_t *list;
  size_t n;
  if (dk_hive_subkeys(lh->h, &nk, &list, &n, err, sizeof err) < 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  lua_createtable(L, (int)n, 0);
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    dk_nk c;
    if (dk_hive_key(lh->h, list[i], &c, err, sizeof err) != 0) continue;
    lua_pushstring(L, c.name);
    lua_rawseti(L, -2, ++k);
  }
  free(list);
  return 1;
}

/* hive:values(p), hive:value(p, name) (only: the name) and hive:raw(p, name) (raw: bytes, type). */
static int values_of(lua_State *L, int one, int raw) {
  lhive *lh = check_hive(L, 1);
  const char *only = one ? luaL_optstring(L, 3, "") : NULL;
  dk_nk nk;
  char err[512];
  int r = key_at(L, lh, one ? luaL_checkstring(L, 2) : luaL_optstring(L, 2, ""), &nk);
  if (r) return r;
  uint32_t *list;
  size_t n;
  if (dk_hive_values(lh->h, &nk, &list, &n, err, sizeof err) < 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  if (!only) lua_createtable(L, (int)n, 0);
  int k = 0;
  for (size_t i = 0; i < n; i++) {
    dk_vk vk;
    if (dk_hive_value(lh->h, list[i], &vk, err, sizeof err) != 0) continue;
    if (only) {
      if (dk_regname_cmp(vk.name, only) != 0) continue;
      free(list);
      if (raw) {
        uint8_t *d;
        size_t dl;
        int rc = dk_hive_value_data(lh->h, &vk, &d, &dl, err, sizeof err);
        if (rc != 0 && !d) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
        lua_pushlstring(L, (const char *)d, dl);
        lua_pushinteger(L, vk.type);
        free(d);
        return 2;
      }
      push_value(L, lh, &vk);
      return 1;
    }
    push_value(L, lh, &vk);
    lua_rawseti(L, -2, ++k);
  }
  free(list);
  if (only) {
    lua_pushfstring(L, "no value '%s' in key '%s'", only, nk.name);
    return dk_lua_fail(L, lua_tostring(L, -1), "ENOENT");
  }
  return 1;
}

static int l_values(lua_State *L) { return values_of(L, 0, 0); }
static int l_value(lua_State *L) { return values_of(L, 1, 0); }
static int l_raw(lua_State *L) { return values_of(L, 1, 1); }

static int l_security(lua_State *L) {
  lhive *lh = check_hive(L, 1);
  dk_nk nk;
  char err[512];
  int r = key_at(L, lh, luaL_optstring(L, 2, ""), &nk);
  if (r) return r;
  const uint8_t *sdb;
  size_t len;
  if (dk_hive_security(lh->h, &nk, &sdb, &len, err, sizeof err) != 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  dk_sd sd;
  if (dk_sd_parse(sdb, len, &sd, err, sizeof err) != 0) return dk_lua_fail(L, err, "DK_BAD_FORMAT");
  char *s = dk_sddl_format(&sd);
  dk_sd_free(&sd);
  if (!s) return luaL_error(L, "out of memory");
  lua_createtable(L, 0, 3);
  dk_lua_setstr(L, "sddl", s);
  free(s);
  dk_lua_setint(L, "size", (lua_Integer)len);
  dk_lua_setint(L, "offset", nk.sk);
  lua_pushlstring(L, (const char *)sdb, len);
  lua_setfield(L, -2, "bytes");
  return 1;
}

/* walk: collects {path, offset} then iterates. */
typedef struct wctx {
  lua_State *L;
  int n;
} wctx;

static int walk_cb(void *ud, const char *path, const dk_nk *nk) {
  wctx *w = ud;
  lua_pushstring(w->L, path);
  lua_rawseti(w->L, -3, ++w->n);
  lua_pushinteger(w->L, nk->off);
  lua_rawseti(w->L, -2, w->n);
  return 0;
}

static int walk_iter(lua_State *L) {
  /* upvalues: paths, offsets, hive, position */
  lua_Integer i = lua_tointeger(L, lua_upvalueindex(4)) + 1;
  if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 1;
  lua_pushinteger(L, i);
  lua_replace(L, lua_upvalueindex(4));
  lhive *lh = check_hive(L, lua_upvalueindex(3));
  lua_rawgeti(L, lua_upvalueindex(2), i);
  uint32_t off = (uint32_t)lua_tointeger(L, -1);
  lua_pop(L, 1);
  dk_nk nk;
  char err[512];
  lua_createtable(L, 0, 5);
  if (dk_hive_key(lh->h, off, &nk, err, sizeof err) == 0) {
    dk_lua_setstr(L, "name", nk.name);
    dk_lua_setint(L, "offset", off);
    dk_lua_setint(L, "subkeys", nk.nsubkeys);
    dk_lua_setint(L, "values", nk.nvalues);
    set_filetime(L, "last_written", nk.mtime);
  }
  return 2;
}

/* hive, path (argument 2, default the root) and the key it names: 0, or the
   nil, msg, code of resolve. */
static int hive_path_arg(lua_State *L, lhive **lh, const char **path, uint32_t *off) {
  *lh = check_hive(L, 1);
  *path = luaL_optstring(L, 2, "");
  return resolve(L, *lh, *path, off);
}

static int l_walk(lua_State *L) {
  lhive *lh;
  const char *path;
  uint32_t off;
  int r = hive_path_arg(L, &lh, &path, &off);
  if (r) return luaL_error(L, "%s", lua_tostring(L, -2));
  lua_newtable(L); /* paths */
  lua_newtable(L); /* offsets */
  wctx w = {L, 0};
  char base[4096];
  snprintf(base, sizeof base, "%s", (path[0] == '\0' || strcmp(path, "\\") == 0) ? "\\" : path);
  if (dk_hive_walk(lh->h, off, base, walk_cb, &w) < 0) return luaL_error(L, "out of memory");
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, walk_iter, 4);
  lua_pushnil(L);
  lua_pushnil(L);
  lua_pushnil(L);
  return 4;
}

static int l_export(lua_State *L) {
  lhive *lh;
  const char *path;
  uint32_t off;
  int r = hive_path_arg(L, &lh, &path, &off);
  if (r) return r;
  dk_buf b = {0};
  size_t nk, nv;
  char base[4096];
  const char *p = path;
  while (*p == '\\' || *p == '/') p++;
  snprintf(base, sizeof base, "\\%s", p);
  for (char *c = base; *c; c++)
    if (*c == '/') *c = '\\';
  size_t bl = strlen(base);
  while (bl > 1 && base[bl - 1] == '\\') base[--bl] = '\0';
  if (dk_hive_export(lh->h, off, base, &b, &nk, &nv) != 0) {
    dk_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, b.p ? b.p : "", b.len);
  dk_buf_free(&b);
  lua_pushinteger(L, (lua_Integer)nk);
  lua_pushinteger(L, (lua_Integer)nv);
  return 3;
}

int luaopen_diagkit_reg(lua_State *L) {
  static const luaL_Reg methods[] = {{"info", l_info},         {"key", l_key},       {"subkeys", l_subkeys},
                                     {"values", l_values},     {"value", l_value},   {"raw", l_raw},
                                     {"security", l_security}, {"walk", l_walk},     {"export", l_export},
                                     {"errors", l_errors},     {"close", l_close},   {"view", l_view},   {NULL, NULL}};
  dk_lua_class(L, HIVE_MT, methods, l_close, l_close, l_tostring);
  static const luaL_Reg fns[] = {{"open", l_open}, {"parse_reg", l_parse_reg}, {"load_reg", l_load_reg},
                                 {"failure_actions", l_failure_actions},
#ifdef _WIN32
                                 {"live", l_live},
#endif
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  return 1;
}
