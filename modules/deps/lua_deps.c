/*
** diagkit.deps: dependency walking for PE and ELF (docs/lua-api/deps.md).
**   deps.pe(path)                -> facts of a PE file | nil, message, code
**   deps.elf(path [, {symbols=}])-> facts of an ELF file | nil, message, code
**   deps.ldcache([path])         -> {format=, entries={...}} | nil, message, code
**   deps.apiset(path [, name [, importer]]) -> schema dump, or one resolution
**   deps.gobuild(path)           -> Go build info | false (not Go) | nil, message, code
**   deps.walk(path [, opts])     -> {format=, root=, modules=, problems=, ok=} | nil, message, code
**   deps.walker([opts])          -> walker with :walk(path [, {tree=}]) sharing its caches
** Codes: "ENOENT", "EACCES", "EISDIR", "EINVAL" (not a regular file), "EIO", "ENOMEM", "DK_BAD_FORMAT".
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"
#include "dk_lua.h"

int luaopen_diagkit_deps(lua_State *L);

#define WALKER_MT "diagkit.deps.walker"

/* Maps path for the single-file functions; 0 with nil, message, code pushed. */
static int open_map(lua_State *L, const char *path, dk_filebuf *m) {
  dk_err e;
  if (dk_file_open(m, path, DK_FILE_RANDOM, 0, &e) != 0) {
    dk_lua_fail_err(L, &e);
    return 0;
  }
  return 1;
}

/* Closes m after a parse whose nret results are on the stack; when the file
** shrank while it was read (support's SIGBUS guard read zeros past its new
** end) the results are dropped for nil, message, "EIO". */
static int close_map(lua_State *L, dk_filebuf *m, const char *path, int nret) {
  int changed = dk_file_changed(m);
  dk_file_close(m);
  if (!changed) return nret;
  lua_pop(L, nret);
  lua_pushfstring(L, "%s: the file changed (it shrank) while it was read", path);
  return dk_lua_fail(L, lua_tostring(L, -1), "EIO");
}

/* {=========== Go build info */

static void push_mod(lua_State *L, const dkd_gomod *m) {
  lua_createtable(L, 0, 4);
  dk_lua_setstr(L, "path", m->path);
  dk_lua_setstr(L, "version", m->version);
  if (m->sum && m->sum[0]) dk_lua_setstr(L, "sum", m->sum);
  if (m->replace_path) {
    lua_createtable(L, 0, 2);
    dk_lua_setstr(L, "path", m->replace_path);
    dk_lua_setstr(L, "version", m->replace_version);
    lua_setfield(L, -2, "replace");
  }
}

static void push_gobuild(lua_State *L, const dkd_gobuild *g) {
  lua_createtable(L, 0, 12);
  dk_lua_setstr(L, "go_version", g->go_version);
  dk_lua_setstr(L, "path", g->path);
  dk_lua_setbool(L, "inline_form", g->inline_form);
  if (g->main.path) {
    push_mod(L, &g->main);
    lua_setfield(L, -2, "main");
  }
  lua_createtable(L, (int)g->ndeps, 0);
  for (uint32_t i = 0; i < g->ndeps; i++) {
    push_mod(L, &g->deps[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "deps");
  lua_createtable(L, 0, (int)g->nsettings);
  const char *cgo = NULL, *goos = NULL, *goarch = NULL, *ldflags = NULL, *race = NULL;
  for (uint32_t i = 0; i < g->nsettings; i++) {
    dk_lua_setstr(L, g->settings[i].key, g->settings[i].value);
    const char *k = g->settings[i].key;
    if (strcmp(k, "CGO_ENABLED") == 0) cgo = g->settings[i].value;
    else if (strcmp(k, "GOOS") == 0) goos = g->settings[i].value;
    else if (strcmp(k, "GOARCH") == 0) goarch = g->settings[i].value;
    else if (strcmp(k, "-ldflags") == 0) ldflags = g->settings[i].value;
    else if (strcmp(k, "-race") == 0) race = g->settings[i].value;
  }
  lua_setfield(L, -2, "settings");
  if (cgo) dk_lua_setbool(L, "cgo", strcmp(cgo, "1") == 0);
  dk_lua_setstr(L, "goos", goos);
  dk_lua_setstr(L, "goarch", goarch);
  dk_lua_setstr(L, "ldflags", ldflags);
  dk_lua_setbool(L, "race", race && strcmp(race, "true") == 0);
  dk_lua_setbool(L, "windowsgui", ldflags && (strstr(ldflags, "-H windowsgui") || strstr(ldflags, "-H=windowsgui")));
}

/* Pushes the Go build info of a parsed file as field "go" of the table on top. */
static void add_go(lua_State *L, const uint8_t *data, size_t size, dkd_read_va rv, void *ud) {
  dkd_gobuild g;
  char err[256];
  int r = dkd_gobuild_parse(data, size, rv, ud, &g, err, sizeof err);
  if (r == 1) {
    push_gobuild(L, &g);
    lua_setfield(L, -2, "go");
    dkd_gobuild_free(&g);
  } else if (r < 0) {
    dk_lua_setstr(L, "go_error", err);
  }
}

/* }=========== */

/* {=========== PE facts */

static const char *subsystem_name(uint16_t s) {
  switch (s) {
    case 1: return "native";
    case 2: return "gui";
    case 3: return "console";
    case 5: return "os2-console";
    case 7: return "posix-console";
    case 9: return "wince-gui";
    case 10: return "efi-application";
    case 11: return "efi-boot-driver";
    case 12: return "efi-runtime-driver";
    case 14: return "xbox";
    case 16: return "boot-application";
    default: return "unknown";
  }
}

static void push_import_fn(lua_State *L, const dkd_pe_import_fn *f) {
  lua_createtable(L, 0, 2);
  if (f->by_ordinal) {
    dk_lua_setint(L, "ordinal", f->ordinal);
  } else {
    dk_lua_setstr(L, "name", f->name);
    dk_lua_setint(L, "hint", f->hint);
  }
}

static void push_pe(lua_State *L, dkd_pe *pe) {
  char b[8];
  lua_createtable(L, 0, 32);
  dk_lua_setstr(L, "format", "pe");
  dk_lua_setstr(L, "machine", dkd_pe_machine_name(pe->machine, b));
  dk_lua_setint(L, "machine_code", pe->machine);
  dk_lua_setint(L, "bits", pe->magic == 0x20b ? 64 : 32);
  dk_lua_setbool(L, "pe32plus", pe->magic == 0x20b);
  dk_lua_setint(L, "characteristics", pe->characteristics);
  dk_lua_setbool(L, "dll", (pe->characteristics & 0x2000) != 0);
  dk_lua_setbool(L, "large_address_aware", (pe->characteristics & 0x20) != 0);
  dk_lua_setstr(L, "subsystem", subsystem_name(pe->subsystem));
  dk_lua_setint(L, "subsystem_code", pe->subsystem);
  dk_lua_setint(L, "dll_characteristics", pe->dll_characteristics);
  dk_lua_setint(L, "timestamp", pe->timestamp);
  dk_lua_setint(L, "image_base", (lua_Integer)pe->image_base);
  dk_lua_setint(L, "entry_rva", pe->entry_rva);
  dk_lua_setint(L, "size_of_image", pe->size_of_image);
  char ver[32];
  snprintf(ver, sizeof ver, "%u.%u", pe->subsys_major, pe->subsys_minor);
  dk_lua_setstr(L, "subsystem_version", ver);
  lua_createtable(L, pe->nsections, 0);
  for (uint16_t i = 0; i < pe->nsections; i++) {
    const dkd_pe_section *s = &pe->sec[i];
    lua_createtable(L, 0, 6);
    dk_lua_setstr(L, "name", s->name);
    dk_lua_setint(L, "va", s->va);
    dk_lua_setint(L, "vsize", s->vsize);
    dk_lua_setint(L, "raw_offset", s->raw_off);
    dk_lua_setint(L, "raw_size", s->raw_size);
    dk_lua_setint(L, "characteristics", s->characteristics);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "sections");
  lua_newtable(L); /* imports */
  lua_newtable(L); /* delay_imports */
  int ni = 0, nd = 0;
  for (uint32_t i = 0; i < pe->nimports; i++) {
    const dkd_pe_import *im = &pe->imports[i];
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "dll", im->dll);
    dk_lua_setbool(L, "delay", im->delay);
    lua_createtable(L, (int)im->count, 0);
    for (uint32_t k = 0; k < im->count; k++) {
      push_import_fn(L, &pe->fns[im->first + k]);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "functions");
    if (im->delay) lua_rawseti(L, -2, ++nd);
    else lua_rawseti(L, -3, ++ni);
  }
  lua_setfield(L, -3, "delay_imports");
  lua_setfield(L, -2, "imports");
  lua_createtable(L, (int)pe->nbound, 0);
  for (uint32_t i = 0; i < pe->nbound; i++) {
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "dll", pe->bound[i].dll);
    dk_lua_setint(L, "timestamp", pe->bound[i].timestamp);
    dk_lua_setbool(L, "forwarder_ref", pe->bound[i].is_forwarder_ref);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "bound_imports");
  if (pe->has_exports) {
    lua_createtable(L, 0, 5);
    dk_lua_setstr(L, "name", pe->export_name);
    dk_lua_setint(L, "base", pe->exp_base);
    dk_lua_setint(L, "number_of_functions", pe->exp_nfuncs);
    dk_lua_setint(L, "number_of_names", pe->exp_nnames);
    /* Functions by ordinal, with their names (several names may share one). */
    const char **names = calloc(pe->exp_nfuncs ? pe->exp_nfuncs : 1, sizeof *names);
    if (names) {
      for (uint32_t i = 0; i < pe->exp_nnames; i++) {
        const char *nm;
        uint32_t ord;
        if (dkd_pe_export_name(pe, i, &nm, &ord) && ord - pe->exp_base < pe->exp_nfuncs && !names[ord - pe->exp_base])
          names[ord - pe->exp_base] = nm;
      }
    }
    lua_newtable(L);
    int n = 0;
    for (uint32_t i = 0; i < pe->exp_nfuncs; i++) {
      uint32_t rva;
      const char *fwd;
      if (!dkd_pe_export_ordinal(pe, pe->exp_base + i, &rva, &fwd)) continue;
      lua_createtable(L, 0, 4);
      dk_lua_setint(L, "ordinal", (lua_Integer)pe->exp_base + i);
      if (names && names[i]) dk_lua_setstr(L, "name", names[i]);
      if (fwd) dk_lua_setstr(L, "forwarder", fwd);
      else dk_lua_setint(L, "rva", rva);
      lua_rawseti(L, -2, ++n);
    }
    free(names);
    lua_setfield(L, -2, "functions");
    lua_setfield(L, -2, "exports");
  }
  if (pe->clr) {
    lua_createtable(L, 0, 5);
    char v[16];
    snprintf(v, sizeof v, "%u.%u", pe->clr_major, pe->clr_minor);
    dk_lua_setstr(L, "runtime_version", v);
    dk_lua_setint(L, "flags", pe->clr_flags);
    dk_lua_setbool(L, "il_only", (pe->clr_flags & 1) != 0);
    dk_lua_setbool(L, "requires_32bit", (pe->clr_flags & 2) != 0);
    dk_lua_setbool(L, "prefers_32bit", (pe->clr_flags & 0x20000) != 0);
    lua_setfield(L, -2, "clr");
  }
  if (pe->manifest) {
    dkd_manifest m;
    dkd_manifest_parse(pe->manifest, pe->manifest_len, &m);
    lua_createtable(L, 0, 4);
    lua_pushlstring(L, pe->manifest, pe->manifest_len);
    lua_setfield(L, -2, "xml");
    if (m.level[0]) dk_lua_setstr(L, "execution_level", m.level);
    if (m.ui_access[0]) dk_lua_setbool(L, "ui_access", strcmp(m.ui_access, "true") == 0);
    lua_createtable(L, (int)m.nassemblies, 0);
    for (uint32_t i = 0; i < m.nassemblies; i++) {
      lua_createtable(L, 0, 5);
      dk_lua_setstr(L, "name", m.assembly[i].name);
      if (m.assembly[i].version[0]) dk_lua_setstr(L, "version", m.assembly[i].version);
      if (m.assembly[i].arch[0]) dk_lua_setstr(L, "arch", m.assembly[i].arch);
      if (m.assembly[i].token[0]) dk_lua_setstr(L, "public_key_token", m.assembly[i].token);
      if (m.assembly[i].type[0]) dk_lua_setstr(L, "type", m.assembly[i].type);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "dependent_assemblies");
    lua_setfield(L, -2, "manifest");
  }
  if (pe->apiset_size) {
    dkd_apiset as;
    char err[256];
    lua_createtable(L, 0, 2);
    if (dkd_apiset_parse(pe->data + pe->apiset_off, pe->apiset_size, &as, err, sizeof err) == 0) {
      dk_lua_setint(L, "version", as.version);
      dk_lua_setint(L, "count", as.count);
    } else {
      dk_lua_setstr(L, "error", err);
    }
    lua_setfield(L, -2, "apiset");
  }
  add_go(L, pe->data, pe->size, dkd_pe_read_va, pe);
}

static int l_pe(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  dk_filebuf m;
  if (!open_map(L, path, &m)) return 3;
  dkd_pe pe;
  char err[512];
  if (dkd_pe_parse(m.data, m.size, 0, &pe, err, sizeof err) != 0) {
    dk_file_close(&m);
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  push_pe(L, &pe);
  dkd_pe_free(&pe);
  return close_map(L, &m, path, 1);
}

/* }=========== */

/* {=========== ELF facts */

static const char *elf_type(uint16_t t) {
  switch (t) {
    case 1: return "rel";
    case 2: return "exec";
    case 3: return "dyn";
    case 4: return "core";
    default: return "unknown";
  }
}

static const char *bind_name(uint8_t b) {
  switch (b) {
    case 0: return "local";
    case 1: return "global";
    case 2: return "weak";
    case 10: return "unique";
    default: return "other";
  }
}

static const char *stype_name(uint8_t t) {
  switch (t) {
    case 0: return "notype";
    case 1: return "object";
    case 2: return "func";
    case 3: return "section";
    case 4: return "file";
    case 6: return "tls";
    case 10: return "ifunc";
    default: return "other";
  }
}

static void push_elf(lua_State *L, dkd_elf *e, int symbols) {
  char b[12];
  lua_createtable(L, 0, 24);
  dk_lua_setstr(L, "format", "elf");
  dk_lua_setint(L, "class", e->cls == 2 ? 64 : 32);
  dk_lua_setint(L, "bits", e->cls == 2 ? 64 : 32);
  dk_lua_setstr(L, "endian", e->endian == 2 ? "big" : "little");
  dk_lua_setstr(L, "machine", dkd_elf_machine_name(e->machine, b));
  dk_lua_setint(L, "machine_code", e->machine);
  dk_lua_setstr(L, "type", elf_type(e->type));
  dk_lua_setint(L, "osabi", e->osabi);
  dk_lua_setint(L, "entry", (lua_Integer)e->entry);
  dk_lua_setstr(L, "interp", e->interp);
  dk_lua_setbool(L, "dynamic", e->has_dynamic);
  lua_createtable(L, (int)e->nneeded, 0);
  for (uint32_t i = 0; i < e->nneeded; i++) {
    lua_pushstring(L, e->needed[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "needed");
  dk_lua_setstr(L, "soname", e->soname);
  dk_lua_setstr(L, "rpath", e->rpath);
  dk_lua_setstr(L, "runpath", e->runpath);
  dk_lua_setint(L, "flags", (lua_Integer)e->flags);
  dk_lua_setint(L, "flags_1", (lua_Integer)e->flags_1);
  dk_lua_setbool(L, "nodeflib", (e->flags_1 & 0x800) != 0);
  dk_lua_setbool(L, "bind_now", (e->flags & 0x8) || (e->flags_1 & 0x1));
  lua_createtable(L, (int)e->nverneed, 0);
  for (uint32_t i = 0; i < e->nverneed; i++) {
    const dkd_elf_verneed *vn = &e->verneed[i];
    lua_createtable(L, 0, 2);
    dk_lua_setstr(L, "file", vn->file);
    lua_createtable(L, (int)vn->count, 0);
    for (uint32_t k = 0; k < vn->count; k++) {
      const dkd_elf_vernaux *a = &e->vernaux[vn->first + k];
      lua_createtable(L, 0, 3);
      dk_lua_setstr(L, "name", a->name);
      dk_lua_setbool(L, "weak", (a->flags & 2) != 0);
      dk_lua_setint(L, "index", a->other);
      lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
    lua_setfield(L, -2, "versions");
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "verneed");
  lua_createtable(L, (int)e->nverdef, 0);
  for (uint32_t i = 0; i < e->nverdef; i++) {
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "name", e->verdef[i].name);
    dk_lua_setint(L, "index", e->verdef[i].ndx);
    dk_lua_setbool(L, "base", (e->verdef[i].flags & 1) != 0);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "verdef");
  dk_lua_setint(L, "dynamic_symbols", (lua_Integer)e->nsyms);
  if (symbols) {
    dkd_elf_sym *s;
    uint32_t n;
    char err[256];
    if (dkd_elf_symbols(e, &s, &n, err, sizeof err) == 0) {
      lua_createtable(L, n > 0 ? (int)n - 1 : 0, 0);
      for (uint32_t i = 1; i < n; i++) {
        lua_createtable(L, 0, 5);
        dk_lua_setstr(L, "name", s[i].name);
        dk_lua_setbool(L, "defined", s[i].shndx != 0);
        dk_lua_setstr(L, "bind", bind_name(s[i].bind));
        dk_lua_setstr(L, "type", stype_name(s[i].type));
        if (s[i].version > 1) {
          const char *vname = NULL;
          for (uint32_t k = 0; k < e->nverdef && !vname; k++)
            if (e->verdef[k].ndx == s[i].version) vname = e->verdef[k].name;
          for (uint32_t k = 0; k < e->nvernaux && !vname; k++)
            if (e->vernaux[k].other == s[i].version) vname = e->vernaux[k].name;
          dk_lua_setstr(L, "version", vname);
        }
        lua_rawseti(L, -2, (lua_Integer)i);
      }
      free(s);
      lua_setfield(L, -2, "symbols");
    } else {
      dk_lua_setstr(L, "symbols_error", err);
    }
  }
  add_go(L, e->data, e->size, dkd_elf_read_va, e);
}

static int l_elf(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int symbols = 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "symbols");
    symbols = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  dk_filebuf m;
  if (!open_map(L, path, &m)) return 3;
  dkd_elf e;
  char err[512];
  if (dkd_elf_parse(m.data, m.size, 0, &e, err, sizeof err) != 0) {
    dk_file_close(&m);
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  push_elf(L, &e, symbols);
  dkd_elf_free(&e);
  return close_map(L, &m, path, 1);
}

/* }=========== */

static int l_ldcache(lua_State *L) {
  const char *path = luaL_optstring(L, 1, "/etc/ld.so.cache");
  dk_filebuf m;
  if (!open_map(L, path, &m)) return 3;
  dkd_ldcache c;
  char err[512];
  if (dkd_ldcache_parse(m.data, m.size, &c, err, sizeof err) != 0) {
    dk_file_close(&m);
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  lua_createtable(L, 0, 2);
  dk_lua_setstr(L, "format", c.format == 0 ? "old" : c.format == 1 ? "new" : "old+new");
  lua_createtable(L, (int)c.n, 0);
  for (uint32_t i = 0; i < c.n; i++) {
    lua_createtable(L, 0, 4);
    dk_lua_setstr(L, "name", c.e[i].key);
    dk_lua_setstr(L, "path", c.e[i].value);
    dk_lua_setint(L, "flags", c.e[i].flags);
    if (c.e[i].hwcaps) dk_lua_setstr(L, "hwcaps", c.e[i].hwcaps);
    else if (c.e[i].hwcap) dk_lua_setint(L, "hwcap", (lua_Integer)c.e[i].hwcap);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "entries");
  dkd_ldcache_free(&c);
  return close_map(L, &m, path, 1);
}

static int l_apiset(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  const char *name = luaL_optstring(L, 2, NULL);
  const char *importer = luaL_optstring(L, 3, NULL);
  dk_filebuf m;
  if (!open_map(L, path, &m)) return 3;
  dkd_pe pe;
  dkd_apiset as;
  char err[512];
  if (dkd_pe_parse(m.data, m.size, DKD_PE_HEADERS, &pe, err, sizeof err) != 0) {
    dk_file_close(&m);
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  const dkd_pe_section *sec = NULL;
  for (uint16_t i = 0; i < pe.nsections; i++)
    if (strcmp(pe.sec[i].name, ".apiset") == 0) sec = &pe.sec[i];
  if (!sec || dkd_apiset_parse(m.data + sec->raw_off, sec->raw_size, &as, err, sizeof err) != 0) {
    dk_file_close(&m);
    lua_pushfstring(L, "%s: %s", path, sec ? err : "no .apiset section");
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  char host[256], contract[256], ename[512];
  if (name) {
    int r = dkd_apiset_resolve(&as, name, importer, host, sizeof host, contract, sizeof contract);
    dk_file_close(&m);
    if (r < 0) return dk_lua_fail(L, "malformed API-set schema entry", "DK_BAD_FORMAT");
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "status", r == DKD_APISET_HOST ? "host" : r == DKD_APISET_NOT_HOSTED ? "not-hosted" : "not-present");
    if (r == DKD_APISET_HOST) dk_lua_setstr(L, "host", host);
    if (r != DKD_APISET_NOT_PRESENT) dk_lua_setstr(L, "contract", contract);
    return 1;
  }
  lua_createtable(L, 0, 3);
  dk_lua_setint(L, "version", as.version);
  dk_lua_setint(L, "count", as.count);
  lua_createtable(L, (int)as.count, 0);
  for (uint32_t i = 0; i < as.count; i++) {
    uint32_t nv;
    if (dkd_apiset_entry(&as, i, ename, sizeof ename, host, sizeof host, &nv) != 0) {
      dk_file_close(&m);
      lua_pushfstring(L, "%s: API-set entry %d is malformed", path, (int)i);
      return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
    }
    lua_createtable(L, 0, 3);
    dk_lua_setstr(L, "name", ename);
    dk_lua_setstr(L, "host", host);
    dk_lua_setint(L, "hosts", nv);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setfield(L, -2, "contracts");
  return close_map(L, &m, path, 1);
}

static int l_gobuild(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  dk_filebuf m;
  if (!open_map(L, path, &m)) return 3;
  dkd_gobuild g;
  char err[512];
  int r;
  dkd_pe pe;
  dkd_elf e;
  if (m.size >= 2 && m.data[0] == 'M' && m.data[1] == 'Z' &&
      dkd_pe_parse(m.data, m.size, DKD_PE_HEADERS, &pe, err, sizeof err) == 0) {
    r = dkd_gobuild_parse(m.data, m.size, dkd_pe_read_va, &pe, &g, err, sizeof err);
  } else if (m.size >= 4 && memcmp(m.data, "\177ELF", 4) == 0 &&
             dkd_elf_parse(m.data, m.size, 0, &e, err, sizeof err) == 0) {
    r = dkd_gobuild_parse(m.data, m.size, dkd_elf_read_va, &e, &g, err, sizeof err);
    dkd_elf_free(&e);
  } else {
    r = dkd_gobuild_parse(m.data, m.size, NULL, NULL, &g, err, sizeof err);
  }
  dk_file_close(&m);
  if (r < 0) {
    lua_pushfstring(L, "%s: %s", path, err);
    return dk_lua_fail(L, lua_tostring(L, -1), "DK_BAD_FORMAT");
  }
  if (r == 0) {
    lua_pushboolean(L, 0);
    return 1;
  }
  push_gobuild(L, &g);
  dkd_gobuild_free(&g);
  return 1;
}

/* {=========== walk */

typedef struct lwalker {
  dkd_walker *w;
} lwalker;

/* A list option: a table of strings, or (when sep) one string of items
** separated by sep. The array lives in a userdata stored in the anchor table
** at index anchor; the strings stay owned by Lua (the walker copies them). */
static const char **str_list(lua_State *L, int t, int anchor, const char *field, uint32_t *n, char sep) {
  *n = 0;
  lua_getfield(L, t, field);
  if (lua_isstring(L, -1) && sep) {
    const char *s = lua_tostring(L, -1);
    lua_newtable(L);
    int k = 0;
    for (const char *p = s;;) {
      const char *e = strchr(p, sep);
      size_t l = e ? (size_t)(e - p) : strlen(p);
      if (l > 0) {
        lua_pushlstring(L, p, l);
        lua_rawseti(L, -2, ++k);
      }
      if (!e) break;
      p = e + 1;
    }
    lua_replace(L, -2);
  }
  const char **out = NULL;
  if (lua_istable(L, -1)) {
    lua_Integer len = luaL_len(L, -1);
    if (len > 4096) luaL_error(L, "option '%s': too many entries", field);
    out = lua_newuserdatauv(L, (size_t)(len > 0 ? len : 1) * sizeof *out, 1);
    lua_pushvalue(L, -2);
    lua_setiuservalue(L, -2, 1); /* the userdata keeps the table (and its strings) alive */
    lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
    for (lua_Integer i = 1; i <= len; i++) {
      lua_rawgeti(L, -1, i);
      const char *str = lua_tostring(L, -1);
      if (!str) luaL_error(L, "option '%s': entry %d is not a string", field, (int)i);
      out[(*n)++] = str;
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "option '%s' must be a list of strings", field);
  }
  lua_pop(L, 1);
  return out;
}

static const char *opt_str(lua_State *L, int t, const char *field) {
  lua_getfield(L, t, field);
  const char *s = NULL;
  if (lua_isstring(L, -1)) s = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1)) luaL_error(L, "option '%s' must be a string", field);
  lua_pop(L, 1); /* the options table keeps it alive */
  return s;
}

static int opt_bool(lua_State *L, int t, const char *field, int dflt) {
  lua_getfield(L, t, field);
  int v = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

static dkd_walker *make_walker(lua_State *L, int t) {
  dkd_walk_opts o;
  memset(&o, 0, sizeof o);
  o.hwcaps = ~0u;
  if (!lua_isnoneornil(L, t)) {
    luaL_checktype(L, t, LUA_TTABLE);
    o.sysroot = opt_str(L, t, "sysroot");
    o.syswow64 = opt_str(L, t, "syswow64");
    o.windir = opt_str(L, t, "windir");
    o.system16 = opt_str(L, t, "system16");
    o.cwd = opt_str(L, t, "cwd");
    o.apiset = opt_str(L, t, "apiset");
    o.ld_library_path = opt_str(L, t, "ld_library_path");
    o.ldcache = opt_str(L, t, "ldcache");
    o.lib = opt_str(L, t, "lib");
    o.platform = opt_str(L, t, "platform");
    o.secure = opt_bool(L, t, "secure", 0);
    o.no_exports = !opt_bool(L, t, "exports", 1);
    o.no_versions = !opt_bool(L, t, "versions", 1);
    o.symbols = opt_bool(L, t, "symbols", 0);
    lua_getfield(L, t, "hwcaps");
    if (lua_istable(L, -1)) {
      o.hwcaps = 0;
      lua_Integer n = luaL_len(L, -1);
      for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        const char *s = lua_tostring(L, -1);
        if (s && strcmp(s, "x86-64-v2") == 0) o.hwcaps |= 1u << 2;
        else if (s && strcmp(s, "x86-64-v3") == 0) o.hwcaps |= 1u << 3;
        else if (s && strcmp(s, "x86-64-v4") == 0) o.hwcaps |= 1u << 4;
        else luaL_error(L, "option 'hwcaps': unknown level '%s' (x86-64-v2, -v3, -v4)", s ? s : "?");
        lua_pop(L, 1);
      }
    } else if (!lua_isnil(L, -1)) {
      luaL_error(L, "option 'hwcaps' must be a list");
    }
    lua_pop(L, 1);
    lua_newtable(L);
    int anchor = lua_gettop(L);
    o.path = str_list(L, t, anchor, "path", &o.npath, ';');
    o.knowndlls = str_list(L, t, anchor, "knowndlls", &o.nknowndlls, 0);
    o.default_dirs = str_list(L, t, anchor, "default_dirs", &o.ndefault_dirs, ':');
    char err[256];
    dkd_walker *w = dkd_walker_new(&o, err, sizeof err);
    lua_pop(L, 1);
    if (!w) luaL_error(L, "%s", err);
    return w;
  }
  char err[256];
  dkd_walker *w = dkd_walker_new(&o, err, sizeof err);
  if (!w) luaL_error(L, "%s", err);
  return w;
}

static void push_node_fields(lua_State *L, const dkd_walk *r, int i) {
  const dkd_node *n = &r->nodes[i];
  char b[12];
  dk_lua_setstr(L, "name", n->name);
  dk_lua_setstr(L, "path", n->path);
  dk_lua_setstr(L, "how", n->how);
  dk_lua_setstr(L, "dir", n->how_dir);
  dk_lua_setstr(L, "apiset", n->apiset);
  dk_lua_setbool(L, "found", n->found);
  if (n->found && n->machine) {
    dk_lua_setstr(L, "machine", n->format == DKD_FMT_PE ? dkd_pe_machine_name(n->machine, b) : dkd_elf_machine_name(n->machine, b));
  }
  if (n->delay) dk_lua_setbool(L, "delay", 1);
  if (n->sxs) dk_lua_setbool(L, "sxs", 1);
  dk_lua_setint(L, "depth", n->depth);
  dk_lua_setint(L, "index", i + 1);
  int np = 0;
  for (int k = 0; k < r->nproblems; k++)
    if (r->problems[k].node == i) np++;
  if (np) {
    lua_createtable(L, np, 0);
    int j = 0;
    for (int k = 0; k < r->nproblems; k++)
      if (r->problems[k].node == i) {
        lua_pushstring(L, r->problems[k].kind);
        lua_rawseti(L, -2, ++j);
      }
    lua_setfield(L, -2, "problems");
  }
}

static void push_tree(lua_State *L, const dkd_walk *r, int i, char *expanded, int from) {
  luaL_checkstack(L, 8, "dependency tree too deep");
  lua_createtable(L, 0, 10);
  push_node_fields(L, r, i);
  const dkd_node *n = &r->nodes[i];
  if (expanded[i] || (from >= 0 && n->parent != from && n->parent >= 0)) {
    if (n->nchildren) dk_lua_setbool(L, "seen", 1);
    return;
  }
  expanded[i] = 1;
  lua_createtable(L, n->nchildren, 0);
  for (int k = 0; k < n->nchildren; k++) {
    push_tree(L, r, n->children[k], expanded, i);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "children");
}

static char *hexcode(uint32_t c, char buf[16]) {
  snprintf(buf, 16, "0x%08X", c);
  return buf;
}

static int push_walk(lua_State *L, dkd_walker *w, const char *path, int tree, int modules) {
  dkd_walk r;
  if (dkd_walker_walk(w, path, &r) != 0) {
    dkd_walk_free(&r);
    return dk_lua_fail(L, "out of memory", "ENOMEM");
  }
  if (r.error) {
    lua_pushstring(L, r.error);
    const char *code = r.error_code;
    dkd_walk_free(&r);
    lua_pushnil(L);
    lua_insert(L, -2);
    lua_pushstring(L, code);
    return 3;
  }
  lua_createtable(L, 0, 6);
  dk_lua_setstr(L, "format", r.format == DKD_FMT_PE ? "pe" : "elf");
  const char *aproblem;
  const char *ap = dkd_walker_apiset(w, &aproblem);
  if (r.format == DKD_FMT_PE) {
    dk_lua_setstr(L, "apiset_schema", ap);
    dk_lua_setstr(L, "apiset_problem", aproblem);
  }
  dk_lua_setint(L, "nmodules", r.nnodes);
  if (modules) {
  lua_createtable(L, r.nnodes, 0);
  for (int i = 0; i < r.nnodes; i++) {
    lua_createtable(L, 0, 12);
    push_node_fields(L, &r, i);
    if (r.nodes[i].parent >= 0) dk_lua_setstr(L, "parent", r.nodes[r.nodes[i].parent].name);
    lua_createtable(L, r.nodes[i].nchildren, 0);
    for (int k = 0; k < r.nodes[i].nchildren; k++) {
      lua_pushstring(L, r.nodes[r.nodes[i].children[k]].name);
      lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "needs");
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "modules");
  }
  int errors = 0;
  lua_createtable(L, r.nproblems, 0);
  for (int i = 0; i < r.nproblems; i++) {
    const dkd_problem *p = &r.problems[i];
    char hb[16];
    lua_createtable(L, 0, 12);
    dk_lua_setstr(L, "kind", p->kind);
    dk_lua_setstr(L, "severity", p->severity);
    if (strcmp(p->severity, "error") == 0) errors++;
    if (p->code) {
      dk_lua_setint(L, "code", p->code);
      dk_lua_setstr(L, "code_hex", hexcode(p->code, hb));
    }
    dk_lua_setstr(L, "name", p->name);
    if (p->node >= 0) dk_lua_setstr(L, "module", r.nodes[p->node].name);
    if (p->importer >= 0) {
      dk_lua_setstr(L, "importer", r.nodes[p->importer].name);
      dk_lua_setstr(L, "importer_path", r.nodes[p->importer].path);
    }
    dk_lua_setstr(L, "symbol", p->symbol);
    dk_lua_setstr(L, "path", p->path);
    dk_lua_setstr(L, "detail", p->detail);
    dk_lua_setstr(L, "chain", p->chain);
    if (p->ntried) {
      lua_createtable(L, (int)p->ntried, 0);
      for (uint32_t k = 0; k < p->ntried; k++) {
        lua_pushstring(L, p->tried[k]);
        lua_rawseti(L, -2, (lua_Integer)k + 1);
      }
      lua_setfield(L, -2, "tried");
    }
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "problems");
  dk_lua_setbool(L, "ok", errors == 0);
  if (tree) {
    char *expanded = calloc((size_t)r.nnodes, 1);
    if (!expanded) {
      dkd_walk_free(&r);
      return luaL_error(L, "out of memory");
    }
    push_tree(L, &r, 0, expanded, -1);
    free(expanded);
    lua_setfield(L, -2, "root");
  }
  dkd_walk_free(&r);
  return 1;
}

static int l_walk(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int tree = 1, modules = 1;
  if (lua_istable(L, 2)) {
    tree = opt_bool(L, 2, "tree", 1);
    modules = opt_bool(L, 2, "modules", 1);
  }
  dkd_walker *w = make_walker(L, 2);
  /* A userdata owns the walker so that an error frees it. */
  lwalker *lw = lua_newuserdatauv(L, sizeof *lw, 0);
  lw->w = w;
  luaL_setmetatable(L, WALKER_MT);
  int n = push_walk(L, w, path, tree, modules);
  dkd_walker_free(w);
  lw->w = NULL;
  return n;
}

static int l_walker(lua_State *L) {
  lua_settop(L, 1); /* opts (or nil) at 1 even when absent: the userdata goes to 2 */
  lwalker *lw = lua_newuserdatauv(L, sizeof *lw, 0);
  lw->w = NULL;
  luaL_setmetatable(L, WALKER_MT);
  lw->w = make_walker(L, 1);
  return 1;
}

static int w_walk(lua_State *L) {
  lwalker *lw = luaL_checkudata(L, 1, WALKER_MT);
  if (!lw->w) return luaL_error(L, "attempt to use a closed walker");
  const char *path = luaL_checkstring(L, 2);
  int tree = 1, modules = 1;
  if (lua_istable(L, 3)) {
    tree = opt_bool(L, 3, "tree", 1);
    modules = opt_bool(L, 3, "modules", 1);
  }
  return push_walk(L, lw->w, path, tree, modules);
}

static int w_close(lua_State *L) {
  lwalker *lw = luaL_checkudata(L, 1, WALKER_MT);
  dkd_walker_free(lw->w);
  lw->w = NULL;
  return 0;
}

/* }=========== */

int luaopen_diagkit_deps(lua_State *L) {
  static const luaL_Reg wm[] = { { "walk", w_walk }, { "close", w_close }, { NULL, NULL } };
  dk_lua_class(L, WALKER_MT, wm, w_close, NULL, NULL);
  static const luaL_Reg fns[] = {
    { "pe", l_pe },         { "elf", l_elf },   { "ldcache", l_ldcache }, { "apiset", l_apiset },
    { "gobuild", l_gobuild }, { "walk", l_walk }, { "walker", l_walker },   { NULL, NULL },
  };
  luaL_newlib(L, fns);
  return 1;
}
