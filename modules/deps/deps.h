/*
** diagkit.deps core: PE/PE32+, ELF32/ELF64, ld.so.cache, API-set schema and
** Go build-info parsers, and the Windows / glibc dependency resolvers.
** Plain C (no Lua): cmocka tests it directly, libFuzzer fuzzes the parsers.
**
** Every parser reads untrusted bytes: it checks each offset, size and count
** against the buffer and fails with a message naming the field and its file
** offset. Strings returned by the parsers point into the parsed buffer (they
** are checked to be NUL-terminated inside it), so the buffer must outlive the
** parsed structure.
**
**   deps_posix.c / deps_win32.c   directory listings, file ids, live Windows
**                                 facts (files are dk_file buffers)
**   pe.c        PE headers, imports, delay imports, bound imports, exports,
**               resources (manifest), CLR header, API-set schema
**   elf.c       ELF headers, PT_INTERP, dynamic section, versions, symbols
**   ldcache.c   /etc/ld.so.cache (old "ld.so-1.7.0" and new "glibc-ld.so.cache1.1")
**   gobuild.c   Go build info (.go.buildinfo, Go <= 1.17 and >= 1.18 forms)
**   walk.c      the resolvers (breadth-first load-order simulation)
*/
#ifndef DK_DEPS_H
#define DK_DEPS_H

#if defined(_WIN32) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1 /* C99 printf (%zu, %llx) on mingw-w64 */
#endif
#include <stddef.h>
#include <stdint.h>

#include "dk_err.h"
#include "dk_file.h"

/* {=========== the OS (deps_posix.c / deps_win32.c) */

/* Files are dk_filebuf (modules/support/dk_file.h), opened with
** DK_FILE_RANDOM: only headers and tables are read. */

/* Calls cb(name, ud) for every entry of dir except . and ..; stops when cb
** returns non-zero. Returns 0, or -1 when dir cannot be read. */
int dkd_list_dir(const char *dir, int (*cb)(const char *name, void *ud), void *ud);

/* The identity of a file (device and inode, or volume and file index):
** 0 on success. */
int dkd_file_id(const char *path, uint64_t id[2]);

/* The canonical absolute path (symlinks resolved): 0 on success. */

/* The live Windows system and Windows folders (GetSystemDirectory,
** GetWindowsDirectory, GetSystemWow64Directory); 0 off Windows. */
int dkd_os_windows_dirs(char *sys, char *win, char *wow64, size_t size);

/* The KnownDLLs list of the live registry (Windows only): calls cb for each
** value. Returns the number of names, or 0 off Windows or when unreadable. */
int dkd_os_knowndlls(int (*cb)(const char *name, void *ud), void *ud);

/* Whether the file is set-user-ID or set-group-ID (secure-execution mode). */
int dkd_file_setid(const char *path);

/* Whether the CPU supports x86-64-v2, -v3, -v4 (bits 1 << 2, 1 << 3, 1 << 4). */
unsigned dkd_os_x86_levels(void);

/* }=========== */

/* {=========== PE */

#define DKD_PE_MAX_SECTIONS 96 /* the Windows loader's own limit */
#define DKD_PE_MAX_IMPORT_FNS (1u << 18)
#define DKD_PE_MAX_IMPORT_DLLS 4096

enum {
  DKD_MACHINE_I386 = 0x14c,
  DKD_MACHINE_AMD64 = 0x8664,
  DKD_MACHINE_ARMNT = 0x1c4,
  DKD_MACHINE_ARM64 = 0xaa64,
};

typedef struct dkd_pe_section {
  char name[9];
  uint32_t va, vsize, raw_off, raw_size, characteristics;
} dkd_pe_section;

typedef struct dkd_pe_import_fn {
  const char *name;  /* NULL when imported by ordinal */
  uint32_t ordinal;  /* when by_ordinal */
  uint16_t hint;
  uint8_t by_ordinal;
} dkd_pe_import_fn;

typedef struct dkd_pe_import {
  const char *dll;
  uint32_t first, count; /* functions fns[first .. first+count) */
  uint8_t delay;         /* from the delay-import directory */
  uint32_t desc_off;     /* file offset of the descriptor */
} dkd_pe_import;

typedef struct dkd_pe_bound {
  const char *dll;
  uint32_t timestamp;
  uint16_t forwarder_refs; /* for a descriptor; 0 for a forwarder ref */
  uint8_t is_forwarder_ref;
} dkd_pe_bound;

typedef struct dkd_pe {
  const uint8_t *data;
  size_t size;
  uint32_t e_lfanew;
  uint16_t machine, characteristics, magic, subsystem, dll_characteristics;
  uint32_t timestamp, entry_rva, size_of_image, size_of_headers;
  uint64_t image_base;
  uint16_t os_major, os_minor, subsys_major, subsys_minor;
  uint16_t nsections;
  dkd_pe_section sec[DKD_PE_MAX_SECTIONS];
  uint16_t last_sec; /* the section of the last RVA looked up (a cache) */
  uint32_t ndirs;
  struct { uint32_t rva, size; } dir[16];
  /* imports (normal first, then delay) */
  dkd_pe_import *imports;
  uint32_t nimports;
  dkd_pe_import_fn *fns;
  uint32_t nfns;
  dkd_pe_bound *bound;
  uint32_t nbound;
  /* export directory: the three tables are checked to lie in the file */
  int has_exports;
  const char *export_name; /* may be NULL */
  uint32_t exp_base, exp_nfuncs, exp_nnames;
  size_t exp_eat_off, exp_names_off, exp_ords_off;
  uint32_t exp_dir_rva, exp_dir_size;
  /* CLR (COM descriptor) */
  int clr;
  uint32_t clr_flags;
  uint16_t clr_major, clr_minor;
  /* RT_MANIFEST resource (first one) */
  const char *manifest;
  uint32_t manifest_len;
  uint32_t manifest_id;
  /* .apiset section (apisetschema.dll) */
  size_t apiset_off, apiset_size;
} dkd_pe;

#define DKD_PE_HEADERS 0x1u /* headers and sections only (machine checks) */

/* Parses a PE image. Returns 0, or -1 with a message naming the field and
** offset. The buffer must stay valid while pe is used. */
int dkd_pe_parse(const uint8_t *data, size_t size, unsigned flags, dkd_pe *pe, char *err, size_t err_size);
void dkd_pe_free(dkd_pe *pe);

/* File offset of [rva, rva+len) when it lies inside the file: 0, else -1. */
int dkd_pe_rva_to_off(const dkd_pe *pe, uint32_t rva, uint32_t len, size_t *off);

/* Export lookups: 1 found (rva set, or *forwarder set for a forwarded
** export), 0 not found. By name: the hint first, then a binary search of
** the sorted name table (as the loader does). */
int dkd_pe_find_export(const dkd_pe *pe, const char *name, uint16_t hint, uint32_t *rva, const char **forwarder);
int dkd_pe_find_ordinal(const dkd_pe *pe, uint32_t ordinal, uint32_t *rva, const char **forwarder);
/* The i-th entry of the name table: its name and ordinal; 0 when malformed. */
int dkd_pe_export_name(const dkd_pe *pe, uint32_t i, const char **name, uint32_t *ordinal);
/* EAT entry for an ordinal: 1 present (rva/forwarder), 0 empty or invalid. */
int dkd_pe_export_ordinal(const dkd_pe *pe, uint32_t ordinal, uint32_t *rva, const char **forwarder);

/* Machine names: "x86", "x64", "arm", "arm64", or "0x...". */
const char *dkd_pe_machine_name(uint16_t machine, char buf[8]);

/* Manifest facts (a small, forgiving XML scan). */
typedef struct dkd_manifest {
  char level[32]; /* requestedExecutionLevel, "" if none */
  char ui_access[8];
  uint32_t nassemblies;
  struct {
    char name[128], version[32], arch[16], token[24], type[16];
  } assembly[16];
} dkd_manifest;
void dkd_manifest_parse(const char *xml, size_t len, dkd_manifest *m);

/* }=========== */

/* {=========== API-set schema */

typedef struct dkd_apiset {
  const uint8_t *data; /* the .apiset section */
  size_t size;
  uint32_t version, count, flags;
  uint32_t entry_off, hash_off, hash_factor; /* v6 */
} dkd_apiset;

int dkd_apiset_parse(const uint8_t *data, size_t size, dkd_apiset *as, char *err, size_t err_size);

enum { DKD_APISET_NOT_PRESENT = 0, DKD_APISET_HOST = 1, DKD_APISET_NOT_HOSTED = 2 };

/* Resolves a module name (with or without ".dll") as ntdll does. importer is
** the base name of the importing module, or NULL. On DKD_APISET_HOST the
** host DLL's name is in host (lower case); contract gets the schema's name of
** the matched entry. Returns -1 on malformed schema data. */
int dkd_apiset_resolve(const dkd_apiset *as, const char *name, const char *importer, char *host, size_t host_size,
                       char *contract, size_t contract_size);

/* Entry i (0 <= i < count): its name, default host and number of hosts;
** 0 on success, -1 when malformed. */
int dkd_apiset_entry(const dkd_apiset *as, uint32_t i, char *name, size_t name_size, char *host, size_t host_size,
                     uint32_t *nvalues);

/* }=========== */

/* {=========== ELF */

#define DKD_ELF_MAX_PHDRS 4096
#define DKD_ELF_MAX_DYN (1u << 16)

typedef struct dkd_elf_vernaux {
  const char *name;
  uint32_t hash;
  uint16_t flags, other;
} dkd_elf_vernaux;

typedef struct dkd_elf_verneed {
  const char *file;
  uint32_t first, count; /* vernaux[first .. first+count) */
} dkd_elf_verneed;

typedef struct dkd_elf_verdef {
  const char *name;
  uint32_t hash;
  uint16_t flags, ndx;
} dkd_elf_verdef;

typedef struct dkd_elf_sym {
  const char *name;
  uint16_t shndx, version; /* version: versym index without the hidden bit */
  uint8_t bind, type, hidden;
} dkd_elf_sym;

typedef struct dkd_elf_load {
  uint64_t vaddr, memsz, offset, filesz;
} dkd_elf_load;

typedef struct dkd_elf {
  const uint8_t *data;
  size_t size;
  uint8_t cls, endian, osabi, abiversion; /* cls 1/2, endian 1 LE / 2 BE */
  uint16_t type, machine;
  uint32_t eflags;
  uint64_t entry;
  const char *interp;
  int has_dynamic;
  const char **needed;
  uint32_t nneeded;
  const char *soname, *rpath, *runpath;
  uint64_t flags, flags_1;
  dkd_elf_verneed *verneed;
  uint32_t nverneed;
  dkd_elf_vernaux *vernaux;
  uint32_t nvernaux;
  dkd_elf_verdef *verdef;
  uint32_t nverdef;
  dkd_elf_load *loads;
  uint32_t nloads;
  /* dynamic symbol table (dkd_elf_symbols) */
  size_t strtab_off, strsz;
  size_t symtab_off, versym_off; /* 0 when absent */
  uint64_t nsyms;
  int has_versym;
} dkd_elf;

#define DKD_ELF_HEADERS 0x1u /* identification and header only */

int dkd_elf_parse(const uint8_t *data, size_t size, unsigned flags, dkd_elf *e, char *err, size_t err_size);
void dkd_elf_free(dkd_elf *e);
int dkd_elf_vaddr_to_off(const dkd_elf *e, uint64_t va, uint64_t len, size_t *off);
/* The dynamic symbols (index 0 included), malloc'd; 0 or -1 with err. */
int dkd_elf_symbols(const dkd_elf *e, dkd_elf_sym **out, uint32_t *n, char *err, size_t err_size);
const char *dkd_elf_machine_name(uint16_t machine, char buf[12]);

/* }=========== */

/* {=========== ld.so.cache */

typedef struct dkd_ldcache_entry {
  const char *key, *value;
  int32_t flags;
  uint32_t osversion;
  uint64_t hwcap;
  const char *hwcaps; /* glibc-hwcaps subfolder name, or NULL */
} dkd_ldcache_entry;

typedef struct dkd_ldcache {
  dkd_ldcache_entry *e;
  uint32_t n;
  int format; /* 0 old, 1 new, 2 old followed by new (the new entries are used) */
  const char *generator;
} dkd_ldcache;

int dkd_ldcache_parse(const uint8_t *data, size_t size, dkd_ldcache *c, char *err, size_t err_size);
void dkd_ldcache_free(dkd_ldcache *c);
/* The cache flag bits that mark libraries for an ELF machine and class;
** -1 when unknown. */
int32_t dkd_ldcache_flags_for(uint16_t machine, uint8_t cls);

/* }=========== */

/* {=========== Go build info */

typedef struct dkd_gomod {
  const char *path, *version, *sum;
  const char *replace_path, *replace_version; /* NULL when not replaced */
} dkd_gomod;

typedef struct dkd_gobuild {
  const char *go_version;
  const char *path;  /* main package path */
  dkd_gomod main;
  dkd_gomod *deps;
  uint32_t ndeps;
  struct { const char *key, *value; } *settings;
  uint32_t nsettings;
  int inline_form; /* 1: Go >= 1.18 */
  char *arena;
} dkd_gobuild;

/* Reads len bytes at a virtual address (for the Go <= 1.17 form). */
typedef int (*dkd_read_va)(void *ud, uint64_t va, uint64_t len, const uint8_t **out);

/* Looks for the build info in data (the whole file, or a section). Returns
** 1 found, 0 not a Go binary (no magic), -1 malformed with err. */
int dkd_gobuild_parse(const uint8_t *data, size_t size, dkd_read_va read_va, void *ud, dkd_gobuild *g, char *err,
                      size_t err_size);
void dkd_gobuild_free(dkd_gobuild *g);
/* Helpers that read virtual addresses of a parsed PE / ELF. */
int dkd_pe_read_va(void *pe, uint64_t va, uint64_t len, const uint8_t **out);
int dkd_elf_read_va(void *elf, uint64_t va, uint64_t len, const uint8_t **out);

/* }=========== */

/* {=========== resolvers (walk.c) */

typedef struct dkd_walk_opts {
  /* Windows */
  const char *sysroot;  /* System32 stand-in */
  const char *syswow64; /* SysWOW64 stand-in (32-bit images on a 64-bit system) */
  const char *windir;   /* the Windows folder */
  const char *system16; /* the 16-bit system folder (default windir/System) */
  const char *cwd;      /* the current folder */
  const char *const *path; /* PATH folders */
  uint32_t npath;
  const char *const *knowndlls; /* NULL: live registry on Windows, else built in */
  uint32_t nknowndlls;
  const char *apiset;   /* apisetschema.dll to use (default sysroot's) */
  int no_exports;       /* skip import/export checks */
  /* ELF */
  const char *ld_library_path;
  int secure;            /* setuid: LD_LIBRARY_PATH ignored */
  const char *ldcache;   /* default /etc/ld.so.cache; "" none */
  const char *const *default_dirs; /* default: the multiarch and plain lib dirs */
  uint32_t ndefault_dirs;
  const char *lib;       /* $LIB */
  const char *platform;  /* $PLATFORM */
  unsigned hwcaps;       /* x86-64 levels (dkd_os_x86_levels()); ~0u: detect */
  int no_versions;       /* skip the symbol-version check */
  int symbols;           /* also check undefined symbols */
} dkd_walk_opts;

enum { DKD_FMT_UNKNOWN = 0, DKD_FMT_PE = 1, DKD_FMT_ELF = 2 };

typedef struct dkd_node {
  char *name;     /* as first requested (or the root's file name) */
  char *path;     /* the file found; NULL when not found */
  const char *how; /* "root", "KnownDLLs", "application folder", "System32", "SysWOW64", "System",
                      "Windows folder", "current folder", "PATH", "path", "rpath", "LD_LIBRARY_PATH",
                      "runpath", "ld.so.cache", "default path", "direct", "not found" */
  char *how_dir;  /* the folder it was found in, or the rpath owner for "rpath" */
  char *apiset;   /* the API-set contract this host was reached through, or NULL */
  int format;     /* DKD_FMT_* */
  uint16_t machine;
  uint8_t elf_class;
  int parent;     /* index of the first importer, -1 for the root */
  int depth;
  int delay;      /* only reached through delay-load imports */
  int sxs;        /* named in the manifest of an SxS assembly */
  int found, usable; /* found: a file; usable: parsed and right machine */
  int nchildren;
  int *children;  /* node indexes, in import order */
  /* private */
  void *file;        /* the walker's cached file entry */
  int loader;        /* ELF: index of the object that loaded it */
  char *lname;       /* lower-case base name (PE) */
  int context;       /* PE: 1 when found as a KnownDLL or one of its dependencies */
  char **aliases;    /* ELF: other names it satisfied */
  int naliases;
  char **skipped;    /* ELF: incompatible candidates skipped on the way */
  int nskipped;
} dkd_node;

typedef struct dkd_problem {
  const char *kind;     /* see docs/lua-api/deps.md */
  const char *severity; /* "error", "warning", "info" */
  uint32_t code;        /* NTSTATUS when it applies, else 0 */
  int node;             /* the module the problem is about, -1 none */
  int importer;         /* the module whose import fails, -1 none */
  char *name;           /* the module or library name */
  char *symbol;         /* entry point, ordinal ("#12") or version */
  char *path;           /* the file involved */
  char *detail;         /* one sentence */
  char **tried;         /* folders or files searched */
  uint32_t ntried;
  char *chain;          /* root > a.dll > b.dll */
} dkd_problem;

typedef struct dkd_arena dkd_arena;

typedef struct dkd_walk {
  int format;
  dkd_node *nodes;
  int nnodes, cap_nodes;
  dkd_problem *problems;
  int nproblems, cap_problems;
  char *error;      /* the root could not be read or parsed: the message */
  const char *error_code;
  /* private */
  dkd_arena *arena;
  void *cache;      /* dkd_walker's directory cache (shared) */
} dkd_walk;

/* A walker holds the options and caches shared between walks (directory
** listings, the ld.so.cache, the API-set schema). */
typedef struct dkd_walker dkd_walker;
dkd_walker *dkd_walker_new(const dkd_walk_opts *opts, char *err, size_t err_size);
void dkd_walker_free(dkd_walker *w);
/* Walks path's dependencies. Returns 0 (w filled, check w->error), -1 out of memory. */
int dkd_walker_walk(dkd_walker *w, const char *path, dkd_walk *out);
void dkd_walk_free(dkd_walk *out);
/* Information about the walker's setup: the API-set schema file used (or
** NULL) and any problem loading it. */
const char *dkd_walker_apiset(const dkd_walker *w, const char **problem);

/* }=========== */

#endif
