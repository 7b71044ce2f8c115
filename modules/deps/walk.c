/*
** The resolvers: a breadth-first simulation of the Windows loader (PE) and of
** glibc's ld.so (ELF), over files mapped once and cached by the walker.
**
** Windows (SafeDllSearchMode on): API sets -> loaded-module list (base name)
** -> KnownDLLs -> application folder -> System32 (SysWOW64 for 32-bit images
** when given) -> 16-bit System -> Windows -> current folder -> PATH. The first
** file found wins, even of the wrong machine (0xC000007B). Imports are checked
** against exports (hint, then binary search), forwarders followed.
**
** ld.so: DT_RPATH of the loader chain (only when the object has no RUNPATH)
** -> LD_LIBRARY_PATH (not when setuid) -> DT_RUNPATH of the object itself ->
** ld.so.cache -> default folders (both skipped under DF_1_NODEFLIB), with
** glibc-hwcaps subfolders; incompatible candidates are skipped; then the
** symbol-version check (VERNEED against VERDEF).
*/
#include "deps.h"
#include "sys.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* {=========== arena */

struct dkd_arena {
  struct dkd_arena *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

static void *aalloc(dkd_arena **a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!*a || (*a)->cap - (*a)->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    dkd_arena *b = malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = *a;
    b->used = 0;
    b->cap = cap;
    *a = b;
  }
  void *p = (*a)->data + (*a)->used;
  (*a)->used += n;
  return p;
}

static char *astrdup(dkd_arena **a, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *p = aalloc(a, n);
  if (p) memcpy(p, s, n);
  return p;
}

DK_PRINTF(2, 3)
static char *aprintf(dkd_arena **a, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return astrdup(a, buf);
}

static void arena_free(dkd_arena *a) {
  while (a) {
    dkd_arena *n = a->next;
    free(a);
    a = n;
  }
}

static char *xstrdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

/* }=========== */

/* {=========== string map (keys not owned) */

typedef struct smap {
  const char **keys;
  int *vals;
  uint32_t cap, n;
} smap;

static uint32_t hash_str(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

static int smap_get(const smap *m, const char *k) {
  if (!m->cap) return -1;
  for (uint32_t i = hash_str(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
    if (!m->keys[i]) return -1;
    if (strcmp(m->keys[i], k) == 0) return m->vals[i];
  }
}

static int smap_put(smap *m, const char *k, int v) {
  if ((m->n + 1) * 2 > m->cap) {
    uint32_t nc = m->cap ? m->cap * 2 : 64;
    const char **nk = calloc(nc, sizeof *nk);
    int *nv = calloc(nc, sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return -1;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      uint32_t j = hash_str(m->keys[i]) & (nc - 1);
      while (nk[j]) j = (j + 1) & (nc - 1);
      nk[j] = m->keys[i];
      nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = nc;
  }
  uint32_t i = hash_str(k) & (m->cap - 1);
  while (m->keys[i]) {
    if (strcmp(m->keys[i], k) == 0) {
      m->vals[i] = v;
      return 0;
    }
    i = (i + 1) & (m->cap - 1);
  }
  m->keys[i] = k;
  m->vals[i] = v;
  m->n++;
  return 0;
}

static void smap_free(smap *m) {
  free(m->keys);
  free(m->vals);
  memset(m, 0, sizeof *m);
}

/* }=========== */

/* {=========== walker: directory and file caches */

typedef struct dset {
  char *dir;
  char **names;
  uint32_t n, cap;
  uint32_t *tab; /* name index + 1, keyed by the lower-case hash */
  uint32_t tcap;
  int ok;
} dset;

/* What the last walk learned about one import descriptor of a file: the
** target file it was checked against, and which imports are forwarded
** (those depend on the search and are checked again every walk). clean: no
** import was missing, so the direct ones need no new check. */
typedef struct imemo {
  const void *target;
  uint32_t *fwd;
  uint32_t nfwd;
  int clean;
} imemo;

typedef struct fentry {
  imemo *memo; /* PE: one per import descriptor */
  uint32_t *exp_tab; /* PE: export-name hash (name index + 1), when the table is sorted */
  uint32_t exp_cap;
  int exp_state;     /* 0 not built, 1 built, -1 unsorted or malformed: binary search */
  char *path;
  dk_filebuf map;
  int fmt;
  int status; /* 1 parsed, -1 not usable (error set) */
  char *error;
  const char *code;
  union {
    dkd_pe pe;
    dkd_elf elf;
  } u;
} fentry;

struct dkd_walker {
  dkd_walk_opts o;
  dkd_arena *arena;
  smap known;
  int known_builtin;
  char *apiset_path;
  dk_filebuf apiset_map;
  dkd_pe apiset_pe;
  dkd_apiset apiset;
  int have_apiset;
  char apiset_problem[2048];
  int ldc_loaded;
  dk_filebuf ldc_map;
  dkd_ldcache ldc;
  int have_ldc;
  smap ldc_keys; /* key -> first entry; ldc_next chains entries of the same key */
  int *ldc_next;
  smap dirs;
  dset **dsets;
  int ndsets, capdsets;
  smap files;
  fentry **fents;
  int nfents, capfents;
  int since_trim; /* files mapped since the resident pages were last dropped */
  unsigned levels;
};

static uint32_t hash_lower(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 16777619u;
  return h;
}

static int list_cb(const char *name, void *ud) {
  dset *d = ud;
  if (d->n == d->cap) {
    uint32_t nc = d->cap ? d->cap * 2 : 64;
    char **nn = realloc(d->names, nc * sizeof *nn);
    if (!nn) return 1;
    d->names = nn;
    d->cap = nc;
  }
  char *c = xstrdup(name);
  if (!c) return 1;
  d->names[d->n++] = c;
  return 0;
}

static dset *get_dir(dkd_walker *w, const char *dir) {
  int i = smap_get(&w->dirs, dir);
  if (i >= 0) return w->dsets[i];
  dset *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->dir = xstrdup(dir);
  if (!d->dir) {
    free(d);
    return NULL;
  }
  d->ok = dkd_list_dir(dir, list_cb, d) == 0;
  d->tcap = 16;
  while (d->tcap < d->n * 2 + 2) d->tcap *= 2;
  d->tab = calloc(d->tcap, sizeof *d->tab);
  if (!d->tab) {
    free(d->dir);
    free(d);
    return NULL;
  }
  for (uint32_t k = 0; k < d->n; k++) {
    uint32_t j = hash_lower(d->names[k]) & (d->tcap - 1);
    while (d->tab[j]) j = (j + 1) & (d->tcap - 1);
    d->tab[j] = k + 1;
  }
  if (w->ndsets == w->capdsets) {
    int nc = w->capdsets ? w->capdsets * 2 : 32;
    dset **n = realloc(w->dsets, (size_t)nc * sizeof *n);
    if (!n) return d; /* leaks nothing important: d is not cached */
    w->dsets = n;
    w->capdsets = nc;
  }
  w->dsets[w->ndsets] = d;
  smap_put(&w->dirs, d->dir, w->ndsets);
  w->ndsets++;
  return d;
}

static int ci_equal(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
  return *a == *b;
}

/* The entry of dir named name (case-insensitively when ci), or NULL. */
static const char *dir_find(dkd_walker *w, const char *dir, const char *name, int ci) {
  dset *d = get_dir(w, dir);
  if (!d || !d->ok) return NULL;
  for (uint32_t j = hash_lower(name) & (d->tcap - 1); d->tab[j]; j = (j + 1) & (d->tcap - 1)) {
    const char *n = d->names[d->tab[j] - 1];
    if (ci ? ci_equal(n, name) : strcmp(n, name) == 0) return n;
  }
  return NULL;
}

/* dir/name, with the separator dir already uses: a Windows folder
** (C:\\windows\\System32) gets a backslash, so reports never show
** C:\\windows\\System32/kernel32.dll. */
static void join(char *out, size_t size, const char *dir, const char *name) {
  size_t n = strlen(dir);
  char sep = strchr(dir, '\\') != NULL && strchr(dir, '/') == NULL ? '\\' : '/';
  if (n > 0 && (dir[n - 1] == '/' || dir[n - 1] == '\\')) snprintf(out, size, "%s%s", dir, name);
  else snprintf(out, size, "%s%c%s", dir, sep, name);
}

static void fentry_load(fentry *f) {
  char msg[512];
  dk_err e;
  if (dk_file_open(&f->map, f->path, DK_FILE_RANDOM, 0, &e) != 0) {
    f->status = -1;
    f->code = e.code;
    f->error = xstrdup(e.msg);
    return;
  }
  const uint8_t *d = f->map.data;
  if (f->map.size >= 2 && d[0] == 'M' && d[1] == 'Z') {
    f->fmt = DKD_FMT_PE;
    if (dkd_pe_parse(d, f->map.size, 0, &f->u.pe, msg, sizeof msg) != 0) goto bad;
  } else if (f->map.size >= 4 && memcmp(d, "\177ELF", 4) == 0) {
    f->fmt = DKD_FMT_ELF;
    if (dkd_elf_parse(d, f->map.size, 0, &f->u.elf, msg, sizeof msg) != 0) goto bad;
  } else {
    f->fmt = DKD_FMT_UNKNOWN;
    snprintf(msg, sizeof msg, "not a PE or ELF file (starts with 0x%02x 0x%02x)", f->map.size > 0 ? d[0] : 0,
             f->map.size > 1 ? d[1] : 0);
    goto bad;
  }
  f->status = 1;
  return;
bad:
  f->status = -1;
  f->code = "DK_BAD_FORMAT";
  f->error = xstrdup(msg);
}

static fentry *get_file(dkd_walker *w, const char *path) {
  int i = smap_get(&w->files, path);
  if (i >= 0) return w->fents[i];
  fentry *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->path = xstrdup(path);
  if (!f->path) {
    free(f);
    return NULL;
  }
  fentry_load(f);
  w->since_trim++;
  if (w->nfents == w->capfents) {
    int nc = w->capfents ? w->capfents * 2 : 64;
    fentry **n = realloc(w->fents, (size_t)nc * sizeof *n);
    if (!n) {
      free(f->path);
      free(f->error);
      free(f);
      return NULL;
    }
    w->fents = n;
    w->capfents = nc;
  }
  w->fents[w->nfents] = f;
  smap_put(&w->files, f->path, w->nfents);
  w->nfents++;
  return f;
}

static void fentry_free(fentry *f) {
  free(f->exp_tab);
  if (f->memo) {
    for (uint32_t i = 0; i < f->u.pe.nimports; i++) free(f->memo[i].fwd);
    free(f->memo);
  }
  if (f->status == 1) {
    if (f->fmt == DKD_FMT_PE) dkd_pe_free(&f->u.pe);
    else if (f->fmt == DKD_FMT_ELF) dkd_elf_free(&f->u.elf);
  }
  dk_file_close(&f->map);
  free(f->path);
  free(f->error);
  free(f);
}

/* }=========== */

/* {=========== walker setup */

/* Windows 10/11 x64 KnownDLLs (HKLM\...\Session Manager\KnownDLLs), plus
** ntdll, which the kernel maps into every process. */
static const char *const BUILTIN_KNOWN[] = {
  "advapi32.dll", "clbcatq.dll", "combase.dll", "comdlg32.dll", "coml2.dll", "difxapi.dll", "gdi32.dll",
  "gdiplus.dll", "imagehlp.dll", "imm32.dll", "kernel32.dll", "msctf.dll", "msvcrt.dll", "normaliz.dll",
  "nsi.dll", "ole32.dll", "oleaut32.dll", "psapi.dll", "rpcrt4.dll", "sechost.dll", "setupapi.dll",
  "shcore.dll", "shell32.dll", "shlwapi.dll", "user32.dll", "wldap32.dll", "wow64.dll", "wow64cpu.dll",
  "wow64win.dll", "ws2_32.dll", "ntdll.dll",
};

static char *lower_dup(dkd_arena **a, const char *s) {
  char *c = astrdup(a, s);
  if (c)
    for (char *p = c; *p; p++) *p = (char)tolower((unsigned char)*p);
  return c;
}

static int known_add(dkd_walker *w, const char *name) {
  char *l = lower_dup(&w->arena, name);
  if (!l) return -1;
  if (!strchr(l, '.')) {
    char *d = aprintf(&w->arena, "%s.dll", l);
    if (!d) return -1;
    l = d;
  }
  return smap_put(&w->known, l, 1);
}

static int known_cb(const char *name, void *ud) {
  known_add(ud, name);
  return 0;
}

static const char *const *dup_list(dkd_arena **a, const char *const *l, uint32_t n) {
  if (!l || !n) return NULL;
  const char **c = aalloc(a, n * sizeof *c);
  if (!c) return NULL;
  for (uint32_t i = 0; i < n; i++) c[i] = astrdup(a, l[i]);
  return c;
}

static void load_apiset(dkd_walker *w) {
  char path[1024];
  if (w->o.apiset && w->o.apiset[0]) {
    snprintf(path, sizeof path, "%s", w->o.apiset);
  } else if (w->o.sysroot) {
    const char *n = dir_find(w, w->o.sysroot, "apisetschema.dll", 1);
    if (!n) return;
    join(path, sizeof path, w->o.sysroot, n);
  } else {
    return;
  }
  char msg[512];
  dk_err e;
  if (dk_file_open(&w->apiset_map, path, DK_FILE_RANDOM, 0, &e) != 0) {
    snprintf(w->apiset_problem, sizeof w->apiset_problem, "%s", e.msg);
    return;
  }
  if (dkd_pe_parse(w->apiset_map.data, w->apiset_map.size, DKD_PE_HEADERS, &w->apiset_pe, msg, sizeof msg) != 0) {
    snprintf(w->apiset_problem, sizeof w->apiset_problem, "%s: %s", path, msg);
    return;
  }
  const dkd_pe *pe = &w->apiset_pe;
  for (uint16_t i = 0; i < pe->nsections; i++) {
    if (strcmp(pe->sec[i].name, ".apiset") == 0 && pe->sec[i].raw_size > 0) {
      if (dkd_apiset_parse(pe->data + pe->sec[i].raw_off, pe->sec[i].raw_size, &w->apiset, msg, sizeof msg) != 0) {
        snprintf(w->apiset_problem, sizeof w->apiset_problem, "%s: %s", path, msg);
        return;
      }
      w->have_apiset = 1;
      w->apiset_path = astrdup(&w->arena, path);
      return;
    }
  }
  snprintf(w->apiset_problem, sizeof w->apiset_problem, "%s: no .apiset section", path);
}

dkd_walker *dkd_walker_new(const dkd_walk_opts *opts, char *err, size_t err_size) {
  dkd_walker *w = calloc(1, sizeof *w);
  if (!w) {
    snprintf(err, err_size, "out of memory");
    return NULL;
  }
  dkd_walk_opts o = opts ? *opts : (dkd_walk_opts){ 0 };
  dkd_arena **a = &w->arena;
  o.sysroot = astrdup(a, o.sysroot);
  o.syswow64 = astrdup(a, o.syswow64);
  o.windir = astrdup(a, o.windir);
  o.system16 = astrdup(a, o.system16);
  o.cwd = astrdup(a, o.cwd);
  o.path = dup_list(a, o.path, o.npath);
  o.knowndlls = dup_list(a, o.knowndlls, o.nknowndlls);
  o.apiset = astrdup(a, o.apiset);
  o.ld_library_path = astrdup(a, o.ld_library_path);
  o.ldcache = astrdup(a, o.ldcache);
  o.default_dirs = dup_list(a, o.default_dirs, o.ndefault_dirs);
  o.lib = astrdup(a, o.lib);
  o.platform = astrdup(a, o.platform);
  if (!o.system16 && o.windir) o.system16 = aprintf(a, "%s/System", o.windir);
  w->o = o;
  w->levels = o.hwcaps == ~0u ? dkd_os_x86_levels() : o.hwcaps;
  if (o.knowndlls) {
    for (uint32_t i = 0; i < o.nknowndlls; i++) known_add(w, o.knowndlls[i]);
  } else if (dkd_os_knowndlls(known_cb, w) > 0 && !o.sysroot) {
    known_add(w, "ntdll.dll");
  } else {
    for (size_t i = 0; i < sizeof BUILTIN_KNOWN / sizeof *BUILTIN_KNOWN; i++) known_add(w, BUILTIN_KNOWN[i]);
    w->known_builtin = 1;
  }
  known_add(w, "ntdll.dll"); /* mapped into every process by the kernel */
  load_apiset(w);
  return w;
}

const char *dkd_walker_apiset(const dkd_walker *w, const char **problem) {
  if (problem) *problem = w->apiset_problem[0] ? w->apiset_problem : NULL;
  return w->have_apiset ? w->apiset_path : NULL;
}

void dkd_walker_free(dkd_walker *w) {
  if (!w) return;
  for (int i = 0; i < w->nfents; i++) fentry_free(w->fents[i]);
  free(w->fents);
  for (int i = 0; i < w->ndsets; i++) {
    dset *d = w->dsets[i];
    for (uint32_t k = 0; k < d->n; k++) free(d->names[k]);
    free(d->names);
    free(d->tab);
    free(d->dir);
    free(d);
  }
  free(w->dsets);
  smap_free(&w->dirs);
  smap_free(&w->files);
  smap_free(&w->known);
  smap_free(&w->ldc_keys);
  free(w->ldc_next);
  if (w->have_ldc) dkd_ldcache_free(&w->ldc);
  dk_file_close(&w->ldc_map);
  dk_file_close(&w->apiset_map);
  arena_free(w->arena);
  free(w);
}

/* }=========== */

/* {=========== walk state */

typedef struct W {
  dkd_walker *w;
  dkd_walk *out;
  smap loaded;   /* PE: lower-case base name -> node; ELF: name or soname -> node */
  smap pdedup;   /* problem keys */
  int *queue;
  int qhead, qtail, qcap;
  int *delayed;  /* PE: (node, import index) pairs deferred to the second phase */
  int ndelayed, capdelayed;
  /* PE */
  const char *appdir, *sysdir, *sysdir_how;
  uint16_t machine;
  /* ELF */
  uint8_t cls, endian;
  int secure;
  int32_t cache_flags;
  const char *root_origin;
  const char *const *defdirs;
  uint32_t ndefdirs;
  const char *lib, *platform;
} W;

static dkd_arena **AR(W *s) { return &s->out->arena; }

static int push(W *s, int node) {
  if (s->qtail == s->qcap) {
    int nc = s->qcap ? s->qcap * 2 : 64;
    int *n = realloc(s->queue, (size_t)nc * sizeof *n);
    if (!n) return -1;
    s->queue = n;
    s->qcap = nc;
  }
  s->queue[s->qtail++] = node;
  return 0;
}

static int new_node(W *s, const char *name, const char *path, int parent) {
  dkd_walk *o = s->out;
  if (o->nnodes == o->cap_nodes) {
    int nc = o->cap_nodes ? o->cap_nodes * 2 : 32;
    dkd_node *n = realloc(o->nodes, (size_t)nc * sizeof *n);
    if (!n) return -1;
    o->nodes = n;
    o->cap_nodes = nc;
  }
  dkd_node *n = &o->nodes[o->nnodes];
  memset(n, 0, sizeof *n);
  n->name = astrdup(AR(s), name);
  n->path = astrdup(AR(s), path);
  n->parent = parent;
  n->depth = parent >= 0 ? o->nodes[parent].depth + 1 : 0;
  n->loader = parent;
  n->how = "not found";
  return o->nnodes++;
}

static int add_child(W *s, int parent, int child) {
  dkd_node *p = &s->out->nodes[parent];
  for (int i = 0; i < p->nchildren; i++)
    if (p->children[i] == child) return 0;
  /* children arrays grow in powers of two inside the arena */
  if ((p->nchildren & (p->nchildren - 1)) == 0) {
    int nc = p->nchildren ? p->nchildren * 2 : 4;
    int *n = aalloc(AR(s), (size_t)nc * sizeof *n);
    if (!n) return -1;
    if (p->nchildren) memcpy(n, p->children, (size_t)p->nchildren * sizeof *n);
    p->children = n;
  }
  p->children[p->nchildren++] = child;
  return 0;
}

/* "root > a.dll > b.dll" for node i. */
static char *chain_of(W *s, int i, const char *last) {
  char buf[2048];
  int ids[64], n = 0;
  for (int k = i; k >= 0 && n < 64; k = s->out->nodes[k].parent) ids[n++] = k;
  size_t len = 0;
  buf[0] = 0;
  for (int k = n - 1; k >= 0; k--) {
    int w = snprintf(buf + len, sizeof buf - len, "%s%s", len ? " > " : "", s->out->nodes[ids[k]].name);
    if (w < 0 || (size_t)w >= sizeof buf - len) break;
    len += (size_t)w;
  }
  if (last && len < sizeof buf) snprintf(buf + len, sizeof buf - len, " > %s", last);
  return astrdup(AR(s), buf);
}

static dkd_problem *problem(W *s, const char *kind, const char *severity, uint32_t code, int node, int importer,
                            const char *name, const char *symbol) {
  char key[1024];
  snprintf(key, sizeof key, "%s|%d|%d|%s|%s", kind, importer, node, name ? name : "", symbol ? symbol : "");
  if (smap_get(&s->pdedup, key) >= 0) return NULL;
  char *k = astrdup(AR(s), key);
  if (!k || smap_put(&s->pdedup, k, 1) != 0) return NULL;
  dkd_walk *o = s->out;
  if (o->nproblems == o->cap_problems) {
    int nc = o->cap_problems ? o->cap_problems * 2 : 16;
    dkd_problem *n = realloc(o->problems, (size_t)nc * sizeof *n);
    if (!n) return NULL;
    o->problems = n;
    o->cap_problems = nc;
  }
  dkd_problem *p = &o->problems[o->nproblems++];
  memset(p, 0, sizeof *p);
  p->kind = kind;
  p->severity = severity;
  p->code = code;
  p->node = node;
  p->importer = importer;
  p->name = astrdup(AR(s), name);
  p->symbol = astrdup(AR(s), symbol);
  return p;
}

typedef struct tried {
  char *items[64];
  uint32_t n;
  int misses; /* also record the folders that did not have it (for a report) */
} tried;

DK_PRINTF(3, 4)
static void tried_add(W *s, tried *t, const char *fmt, ...) {
  if (t->n >= 64) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  t->items[t->n++] = astrdup(AR(s), buf);
}

static void tried_copy(W *s, dkd_problem *p, const tried *t) {
  if (!p || !t->n) return;
  p->tried = aalloc(AR(s), t->n * sizeof *p->tried);
  if (!p->tried) return;
  memcpy(p->tried, t->items, t->n * sizeof *p->tried);
  p->ntried = t->n;
}

static const char *base_name(const char *p) {
  const char *b = p;
  for (const char *q = p; *q; q++)
    if (*q == '/' || *q == '\\') b = q + 1;
  return b;
}

static char *dir_name(dkd_arena **a, const char *p) {
  const char *b = base_name(p);
  if (b == p) return astrdup(a, ".");
  size_t n = (size_t)(b - p - 1);
  if (n == 0) return astrdup(a, "/");
  char *d = aalloc(a, n + 1);
  if (!d) return NULL;
  memcpy(d, p, n);
  d[n] = 0;
  return d;
}

/* }=========== */

/* {=========== PE */

static const char *mname(uint16_t m, char buf[8]) { return dkd_pe_machine_name(m, buf); }

typedef struct pe_found {
  char path[4096];
  const char *how;
  const char *dir;
} pe_found;

/* One step of the Windows search: is name in dir? */
static int pe_try(W *s, const char *dir, const char *how, const char *name, pe_found *f, tried *t) {
  if (!dir) return 0;
  const char *n = dir_find(s->w, dir, name, 1);
  if (!n) {
    if (t->misses) tried_add(s, t, "%s (%s)", dir, how);
    return 0;
  }
  join(f->path, sizeof f->path, dir, n);
  f->how = how;
  f->dir = dir;
  return 1;
}

/* The Windows search for name (lower-case, with extension). system_only:
** the importer is a KnownDLL (its dependencies come from System32).
** skip: number of hits to skip (to find what lies behind a bad one). */
static int pe_search(W *s, const char *name, int system_only, int skip, pe_found *f, tried *t) {
  const dkd_walk_opts *o = &s->w->o;
  int k = 0;
#define TRY(dir, how)                                                                                              \
  do {                                                                                                             \
    if (pe_try(s, (dir), (how), name, f, t) && k++ >= skip) return 1;                                              \
  } while (0)
  if (smap_get(&s->w->known, name) >= 0) TRY(s->sysdir, "KnownDLLs");
  if (system_only) {
    TRY(s->sysdir, s->sysdir_how);
    return 0;
  }
  TRY(s->appdir, "application folder");
  TRY(s->sysdir, s->sysdir_how);
  TRY(o->system16, "System");
  TRY(o->windir, "Windows folder");
  TRY(o->cwd, "current folder");
  for (uint32_t i = 0; i < o->npath; i++) TRY(o->path[i], "PATH");
#undef TRY
  return 0;
}

/* Resolves module name imported by node imp. Returns the node index or -1.
** via_apiset: set to the contract used. */
static int pe_module(W *s, int imp, const char *requested, int delay) {
  char name[520], host[256], contract[256];
  const char *bn = base_name(requested);
  size_t bl = strlen(bn);
  if (bl > sizeof name - 5) bl = sizeof name - 5;
  memcpy(name, bn, bl);
  name[bl] = 0;
  if (!strchr(name, '.') && strlen(name) + 4 < sizeof name) strcat(name, ".dll");
  for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
  const char *apiset = NULL;
  if (s->w->have_apiset) {
    dkd_node *in = &s->out->nodes[imp];
    int r = dkd_apiset_resolve(&s->w->apiset, name, in->lname, host, sizeof host, contract, sizeof contract);
    if (r == DKD_APISET_HOST) {
      apiset = astrdup(AR(s), requested);
      snprintf(name, sizeof name, "%s", host);
      if (!strchr(name, '.') && strlen(name) + 4 < sizeof name) strcat(name, ".dll");
    } else if (r == DKD_APISET_NOT_HOSTED) {
      dkd_problem *p = problem(s, delay ? "delay-apiset-not-hosted" : "apiset-not-hosted", delay ? "warning" : "error",
                               delay ? 0xC06D007Eu : 0xC0000135u, -1, imp, requested, NULL);
      if (p) {
        p->chain = chain_of(s, imp, requested);
        p->detail = aprintf(AR(s), "%s is an API-set contract in the schema, but no DLL implements it on this system%s",
                            requested, delay ? " (delay-loaded: fails when first used)" : "");
      }
      return -1;
    }
  }
  int have = smap_get(&s->loaded, name);
  dkd_node *in = &s->out->nodes[imp];
  int system_only = in->context == 1;
  if (have >= 0) {
    dkd_node *h = &s->out->nodes[have];
    if (!delay && h->delay) h->delay = 0; /* now needed at start */
    if (h->found && h->context != system_only) {
      /* Another importer's search could have found a different file. */
      pe_found f;
      tried t = { .n = 0 };
      if (pe_search(s, name, system_only, 0, &f, &t) && strcmp(f.path, h->path) != 0) {
        dkd_problem *p = problem(s, "shadowed", "info", 0, have, imp, h->name, NULL);
        if (p) {
          p->path = astrdup(AR(s), f.path);
          p->chain = chain_of(s, imp, h->name);
          p->detail = aprintf(AR(s), "%s imports %s and would find %s, but the module already loaded from %s is used "
                              "(the loaded-module list is keyed by base name)",
                              in->name, h->name, f.path, h->path);
        }
      }
    }
    if (apiset && !h->apiset) h->apiset = (char *)apiset;
    return have;
  }
  pe_found f;
  tried t = { .n = 0 };
  int found = pe_search(s, name, system_only, 0, &f, &t);
  if (!found) {
    t.misses = 1; /* again, noting every folder searched */
    pe_search(s, name, system_only, 0, &f, &t);
  }
  char shown[540];
  snprintf(shown, sizeof shown, "%s%s", requested, strchr(base_name(requested), '.') ? "" : ".dll");
  int idx = new_node(s, apiset ? name : shown, found ? f.path : NULL, imp);
  if (idx < 0) return -1;
  dkd_node *n = &s->out->nodes[idx];
  n->lname = astrdup(AR(s), name);
  n->apiset = (char *)apiset;
  n->delay = delay;
  n->format = DKD_FMT_PE;
  smap_put(&s->loaded, n->lname, idx);
  add_child(s, imp, idx);
  if (!found) {
    n->how = "not found";
    dkd_problem *p = problem(s, delay ? "delay-dll-not-found" : "dll-not-found", delay ? "warning" : "error",
                             delay ? 0xC06D007Eu : 0xC0000135u, idx, imp, n->name, NULL);
    if (p) {
      tried_copy(s, p, &t);
      p->chain = chain_of(s, idx, NULL);
      p->detail = delay ? aprintf(AR(s), "%s delay-loads %s, which is not found: the program starts, but fails with "
                                  "0xC06D007E (delay-load module not found) when it first calls into it",
                                  s->out->nodes[imp].name, n->name)
                        : aprintf(AR(s), "%s imports %s, which is in none of the folders Windows searches",
                                  s->out->nodes[imp].name, n->name);
    }
    return idx;
  }
  n->found = 1;
  n->how = f.how;
  n->how_dir = astrdup(AR(s), f.dir);
  n->context = (system_only || strcmp(f.how, "KnownDLLs") == 0) ? 1 : 0;
  fentry *fe = get_file(s->w, f.path);
  n->file = fe;
  char b1[8], b2[8];
  if (!fe || fe->status != 1 || fe->fmt != DKD_FMT_PE) {
    int notpe = fe && fe->fmt != DKD_FMT_PE;
    dkd_problem *p = problem(s, notpe ? "not-pe" : "bad-image", delay ? "warning" : "error",
                             notpe ? 0xC000012Fu : 0xC000007Bu, idx, imp, n->name, NULL);
    if (p) {
      p->path = astrdup(AR(s), f.path);
      p->chain = chain_of(s, idx, NULL);
      p->detail = aprintf(AR(s), "%s: %s", f.path, fe && fe->error ? fe->error : "cannot be read");
    }
    return idx;
  }
  n->machine = fe->u.pe.machine;
  if (n->machine != s->machine) {
    dkd_problem *p = problem(s, "wrong-machine", delay ? "warning" : "error", 0xC000007Bu, idx, imp, n->name, NULL);
    if (p) {
      p->path = astrdup(AR(s), f.path);
      p->chain = chain_of(s, idx, NULL);
      /* Windows stops at this file; say where a matching one would be. */
      pe_found g;
      tried t2 = { .n = 0 };
      const char *better = NULL;
      for (int k = 1; k < 32 && pe_search(s, name, system_only, k, &g, &t2); k++) {
        fentry *ge = get_file(s->w, g.path);
        if (ge && ge->status == 1 && ge->fmt == DKD_FMT_PE && ge->u.pe.machine == s->machine) {
          better = astrdup(AR(s), g.path);
          break;
        }
      }
      p->detail = aprintf(AR(s), "%s (found in the %s) is a %s DLL but the program is %s: Windows stops at the first "
                          "file it finds and fails with 0xC000007B%s%s%s",
                          f.path, f.how, mname(n->machine, b1), mname(s->machine, b2), better ? "; a matching " : "",
                          better ? mname(s->machine, b2) : "", better ? aprintf(AR(s), " copy is at %s, later in the search order", better) : "");
    }
    return idx;
  }
  n->usable = 1;
  push(s, idx);
  return idx;
}

/* An export by name, as the loader finds it (hint, then binary search of the
** sorted name table), through a hash built once per file when the table is
** sorted (the same answer, faster); an unsorted table is binary-searched. */
static int find_export(fentry *fe, const char *name, uint16_t hint, uint32_t *rva, const char **fwd) {
  const dkd_pe *pe = &fe->u.pe;
  if (fe->exp_state == 0) {
    fe->exp_state = -1;
    uint32_t n = pe->exp_nnames;
    uint32_t cap = 16;
    while (cap < n * 2 + 2) cap *= 2;
    uint32_t *tab = n ? calloc(cap, sizeof *tab) : NULL;
    int sorted = tab != NULL;
    const char *prev = NULL;
    for (uint32_t i = 0; i < n && sorted; i++) {
      const char *nm;
      uint32_t ord;
      if (!dkd_pe_export_name(pe, i, &nm, &ord) || (prev && strcmp(prev, nm) >= 0)) {
        sorted = 0;
        break;
      }
      prev = nm;
      uint32_t j = hash_str(nm) & (cap - 1);
      while (tab[j]) j = (j + 1) & (cap - 1);
      tab[j] = i + 1;
    }
    if (sorted) {
      fe->exp_tab = tab;
      fe->exp_cap = cap;
      fe->exp_state = 1;
    } else {
      free(tab);
    }
  }
  if (fe->exp_state != 1) return dkd_pe_find_export(pe, name, hint, rva, fwd);
  const char *nm;
  uint32_t ord;
  for (uint32_t j = hash_str(name) & (fe->exp_cap - 1); fe->exp_tab[j]; j = (j + 1) & (fe->exp_cap - 1)) {
    uint32_t i = fe->exp_tab[j] - 1;
    if (dkd_pe_export_name(pe, i, &nm, &ord) && strcmp(nm, name) == 0) return dkd_pe_export_ordinal(pe, ord, rva, fwd);
  }
  return 0;
}

/* Checks one import of node imp against the exports of node dll (usable),
** following forwarders. Returns 1 when it resolves. */
static int pe_symbol(W *s, int imp, int dll, const dkd_pe_import_fn *fn, int delay, int orig_imp, int depth) {
  dkd_node *d = &s->out->nodes[dll];
  fentry *fe = d->file;
  const dkd_pe *pe = &fe->u.pe;
  uint32_t rva;
  const char *fwd = NULL;
  int ok = fn->by_ordinal ? dkd_pe_find_ordinal(pe, fn->ordinal, &rva, &fwd)
                          : find_export(fe, fn->name, fn->hint, &rva, &fwd);
  char sym[300];
  if (ok && !fwd) return 1;
  if (fn->by_ordinal) snprintf(sym, sizeof sym, "#%u", fn->ordinal);
  else snprintf(sym, sizeof sym, "%s", fn->name);
  if (!ok) {
    const char *kind = depth > 0 ? "forwarder-broken"
                                 : delay ? "delay-entry-point-not-found"
                                         : fn->by_ordinal ? "ordinal-not-found" : "entry-point-not-found";
    uint32_t code = delay ? 0xC06D007Fu : fn->by_ordinal ? 0xC0000138u : 0xC0000139u;
    dkd_problem *p = problem(s, kind, delay ? "warning" : "error", code, dll, depth > 0 ? imp : orig_imp,
                             s->out->nodes[dll].name, sym);
    if (p) {
      p->path = astrdup(AR(s), s->out->nodes[dll].path);
      p->chain = chain_of(s, dll, NULL);
      if (depth > 0)
        p->detail = aprintf(AR(s), "%s forwards an export to %s!%s, which %s does not export: the import fails in the "
                            "intermediate DLL %s",
                            s->out->nodes[imp].name, s->out->nodes[dll].name, sym, s->out->nodes[dll].path,
                            s->out->nodes[imp].name);
      else
        p->detail = aprintf(AR(s), "%s imports %s %s from %s, which it does not export (%s)",
                            s->out->nodes[orig_imp].name, fn->by_ordinal ? "ordinal" : "entry point", sym,
                            s->out->nodes[dll].path, fn->by_ordinal ? "0xC0000138 STATUS_ORDINAL_NOT_FOUND"
                                                                    : "0xC0000139 STATUS_ENTRYPOINT_NOT_FOUND");
    }
    return 0;
  }
  if (depth >= 16) {
    dkd_problem *p = problem(s, "forwarder-loop", delay ? "warning" : "error", 0xC0000139u, dll, orig_imp, d->name, sym);
    if (p) {
      p->chain = chain_of(s, dll, NULL);
      p->detail = aprintf(AR(s), "the export %s is forwarded more than 16 times (a forwarder loop ending at %s)", sym,
                          d->name);
    }
    return 0;
  }
  /* "MODULE.Function" or "MODULE.#ordinal" */
  const char *dot = strchr(fwd, '.');
  if (!dot || dot == fwd || !dot[1]) {
    dkd_problem *p = problem(s, "forwarder-broken", delay ? "warning" : "error", 0xC0000139u, dll, orig_imp, d->name, sym);
    if (p) p->detail = aprintf(AR(s), "%s exports %s as a forwarder \"%s\" that names no module and function", d->name,
                               sym, fwd);
    return 0;
  }
  char mod[300];
  size_t ml = (size_t)(dot - fwd);
  if (ml >= sizeof mod - 5) ml = sizeof mod - 5;
  memcpy(mod, fwd, ml);
  mod[ml] = 0;
  int t = pe_module(s, dll, mod, delay);
  d = &s->out->nodes[dll]; /* pe_module may have grown the node array */
  if (t < 0 || !s->out->nodes[t].usable) {
    dkd_problem *p = problem(s, "forwarder-broken", delay ? "warning" : "error", 0xC0000139u, dll, orig_imp, d->name, sym);
    if (p) {
      p->path = astrdup(AR(s), d->path);
      p->chain = chain_of(s, dll, NULL);
      p->detail = aprintf(AR(s), "%s forwards %s to %s, but the module %s cannot be loaded: the failure is in the "
                          "intermediate DLL %s",
                          d->name, sym, fwd, mod, d->name);
    }
    return 0;
  }
  dkd_pe_import_fn f2 = { 0 };
  char fname[300];
  if (dot[1] == '#') {
    f2.by_ordinal = 1;
    f2.ordinal = (uint32_t)strtoul(dot + 2, NULL, 10);
  } else {
    snprintf(fname, sizeof fname, "%s", dot + 1);
    f2.name = fname;
    f2.hint = 0xffff;
  }
  int r = pe_symbol(s, dll, t, &f2, delay, orig_imp, depth + 1);
  if (!r && depth == 0) {
    /* The first hop: tell what the importer asked for. */
    dkd_problem *p = problem(s, "forwarder-broken", delay ? "warning" : "error", 0xC0000139u, dll, orig_imp, d->name, sym);
    if (p) {
      p->path = astrdup(AR(s), d->path);
      p->chain = chain_of(s, dll, NULL);
      p->detail = aprintf(AR(s), "%s imports %s from %s, which forwards it to %s; that target is missing, so the "
                          "import fails in %s",
                          s->out->nodes[orig_imp].name, sym, d->name, fwd, d->name);
    }
  }
  return r;
}

/* Checks the functions of import descriptor i of node against node d. */
static void pe_check_imports(W *s, int node, uint32_t i, int d, int delay) {
  fentry *fe = s->out->nodes[node].file;
  const fentry *te = s->out->nodes[d].file;
  const dkd_pe *pe = &fe->u.pe;
  const dkd_pe_import *im = &pe->imports[i];
  if (!fe->memo) fe->memo = calloc(pe->nimports, sizeof *fe->memo);
  imemo *m = fe->memo ? &fe->memo[i] : NULL;
  if (m && m->clean && m->target == te) {
    for (uint32_t k = 0; k < m->nfwd; k++) pe_symbol(s, node, d, &pe->fns[im->first + m->fwd[k]], delay, node, 0);
    return;
  }
  uint32_t *fwd = NULL, nfwd = 0, cap = 0;
  int clean = 1;
  for (uint32_t k = 0; k < im->count; k++) {
    const dkd_pe_import_fn *fn = &pe->fns[im->first + k];
    uint32_t rva;
    const char *f = NULL;
    int ok = fn->by_ordinal ? dkd_pe_find_ordinal(&te->u.pe, fn->ordinal, &rva, &f)
                            : find_export((fentry *)te, fn->name, fn->hint, &rva, &f);
    if (ok && !f) continue; /* a direct export: nothing more to learn */
    if (!ok) {
      clean = 0;
    } else if (clean) {
      if (nfwd == cap) {
        cap = cap ? cap * 2 : 8;
        uint32_t *n = realloc(fwd, cap * sizeof *n);
        if (!n) clean = 0;
        else fwd = n;
      }
      if (clean) fwd[nfwd++] = k;
    }
    pe_symbol(s, node, d, fn, delay, node, 0);
  }
  if (m) {
    free(m->fwd);
    m->target = te;
    m->fwd = fwd;
    m->nfwd = nfwd;
    m->clean = clean;
  } else {
    free(fwd);
  }
}

static void pe_imports_of(W *s, int node, int delay_phase) {
  fentry *fe = s->out->nodes[node].file;
  const dkd_pe *pe = &fe->u.pe;
  for (uint32_t i = 0; i < pe->nimports; i++) {
    const dkd_pe_import *im = &pe->imports[i];
    if (im->delay && !delay_phase) {
      if (s->ndelayed + 2 > s->capdelayed) {
        int nc = s->capdelayed ? s->capdelayed * 2 : 32;
        int *n = realloc(s->delayed, (size_t)nc * sizeof *n);
        if (!n) continue;
        s->delayed = n;
        s->capdelayed = nc;
      }
      s->delayed[s->ndelayed++] = node;
      s->delayed[s->ndelayed++] = (int)i;
      continue;
    }
    if (!im->delay && delay_phase) continue;
    int delay = im->delay || s->out->nodes[node].delay;
    int d = pe_module(s, node, im->dll, delay);
    if (d < 0) continue;
    add_child(s, node, d);
    if (!s->out->nodes[d].usable || s->w->o.no_exports) continue;
    pe_check_imports(s, node, i, d, delay);
  }
}

static void pe_drain(W *s) {
  while (s->qhead < s->qtail) {
    int n = s->queue[s->qhead++];
    pe_imports_of(s, n, 0);
  }
}

/* DLLs that side-by-side assemblies named in the program's manifest supply
** (from WinSxS, not from the search order). */
static const struct {
  const char *assembly, *dll;
} SXS[] = {
  { "microsoft.vc80.crt", "msvcr80.dll" },  { "microsoft.vc80.crt", "msvcp80.dll" },
  { "microsoft.vc80.crt", "msvcm80.dll" },  { "microsoft.vc90.crt", "msvcr90.dll" },
  { "microsoft.vc90.crt", "msvcp90.dll" },  { "microsoft.vc90.crt", "msvcm90.dll" },
  { "microsoft.vc80.mfc", "mfc80.dll" },    { "microsoft.vc90.mfc", "mfc90.dll" },
  { "microsoft.vc80.atl", "atl80.dll" },    { "microsoft.vc90.atl", "atl90.dll" },
  { "microsoft.windows.common-controls", "comctl32.dll" },
  { "microsoft.windows.gdiplus", "gdiplus.dll" },
};

/* Marks the modules an SxS assembly of the root's manifest provides, and
** says so in their problems. */
static void pe_sxs(W *s, int root) {
  const fentry *fe = s->out->nodes[root].file;
  if (!fe->u.pe.manifest) return;
  dkd_manifest m;
  dkd_manifest_parse(fe->u.pe.manifest, fe->u.pe.manifest_len, &m);
  for (uint32_t a = 0; a < m.nassemblies; a++) {
    char an[128];
    size_t k = 0;
    for (; m.assembly[a].name[k] && k + 1 < sizeof an; k++) an[k] = (char)tolower((unsigned char)m.assembly[a].name[k]);
    an[k] = 0;
    for (size_t j = 0; j < sizeof SXS / sizeof *SXS; j++) {
      if (strcmp(SXS[j].assembly, an) != 0) continue;
      int idx = smap_get(&s->loaded, SXS[j].dll);
      if (idx < 0) continue;
      dkd_node *n = &s->out->nodes[idx];
      n->sxs = 1;
      for (int p = 0; p < s->out->nproblems; p++) {
        dkd_problem *pr = &s->out->problems[p];
        if (pr->node != idx || !pr->detail) continue;
        pr->detail = aprintf(AR(s), "%s; %s comes from the side-by-side assembly %s %s named in the program's "
                             "manifest (WinSxS), which this offline walk does not resolve",
                             pr->detail, n->name, m.assembly[a].name, m.assembly[a].version);
      }
    }
  }
}

static int walk_pe(W *s, int root) {
  dkd_node *r = &s->out->nodes[root];
  fentry *fe = r->file;
  const dkd_pe *pe = &fe->u.pe;
  const dkd_walk_opts *o = &s->w->o;
  s->machine = pe->machine;
  r->machine = pe->machine;
  r->lname = lower_dup(AR(s), r->name);
  s->appdir = dir_name(AR(s), r->path);
  int is32 = pe->machine == DKD_MACHINE_I386 || pe->machine == DKD_MACHINE_ARMNT;
  if (is32 && o->syswow64) {
    s->sysdir = o->syswow64;
    s->sysdir_how = "SysWOW64";
  } else {
    s->sysdir = o->sysroot;
    s->sysdir_how = "System32";
  }
  smap_put(&s->loaded, r->lname, root);
  s->out->nodes[root].usable = 1;
  push(s, root);
  pe_drain(s);
  /* Delay-loaded modules come later, at their first use. */
  for (int i = 0; i < s->ndelayed; i += 2) {
    int node = s->delayed[i], imp = s->delayed[i + 1];
    fentry *nf = s->out->nodes[node].file;
    const dkd_pe_import *im = &nf->u.pe.imports[imp];
    int d = pe_module(s, node, im->dll, 1);
    if (d < 0) continue;
    add_child(s, node, d);
    if (s->out->nodes[d].usable && !o->no_exports) pe_check_imports(s, node, (uint32_t)imp, d, 1);
    pe_drain(s);
  }
  pe_sxs(s, root);
  return 0;
}

/* }=========== */

/* {=========== ELF */

static int elf_compatible(W *s, fentry *fe) {
  if (!fe || fe->status != 1 || fe->fmt != DKD_FMT_ELF) return 0;
  const dkd_elf *e = &fe->u.elf;
  return e->cls == s->cls && e->endian == s->endian && e->machine == s->machine;
}

/* Expands $ORIGIN, $LIB, $PLATFORM in a path list element. */
static void expand(W *s, const char *in, size_t len, const char *origin, char *out, size_t size) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 1 < size;) {
    if (in[i] == '$') {
      const char *tok[3] = { "ORIGIN", "LIB", "PLATFORM" };
      const char *val[3] = { origin, s->lib, s->platform };
      int done = 0;
      for (int k = 0; k < 3 && !done; k++) {
        size_t tl = strlen(tok[k]);
        size_t skip = 0;
        if (i + 1 + tl <= len && memcmp(in + i + 1, tok[k], tl) == 0 &&
            (i + 1 + tl == len || !(isalnum((unsigned char)in[i + 1 + tl]) || in[i + 1 + tl] == '_')))
          skip = 1 + tl;
        else if (i + 3 + tl <= len && in[i + 1] == '{' && memcmp(in + i + 2, tok[k], tl) == 0 && in[i + 2 + tl] == '}')
          skip = 3 + tl;
        if (skip) {
          const char *v = val[k] ? val[k] : "";
          size_t vl = strlen(v);
          if (o + vl >= size) vl = size - o - 1;
          memcpy(out + o, v, vl);
          o += vl;
          i += skip;
          done = 1;
        }
      }
      if (done) continue;
    }
    out[o++] = in[i++];
  }
  /* trailing slashes go, as in ld.so */
  while (o > 1 && out[o - 1] == '/') o--;
  out[o] = 0;
}

typedef struct elf_hit {
  char path[4096];
  const char *how;
  const char *dir;
  fentry *fe;
} elf_hit;

/* Looks for name in dir (and its glibc-hwcaps subfolders). */
static int elf_dir(W *s, int node, const char *dir, const char *how, const char *name, elf_hit *h, tried *t) {
  char sub[4096];
  const char *dirs[4];
  int nd = 0;
  char subs[3][4096];
  if (dir_find(s->w, dir, "glibc-hwcaps", 0)) {
    static const char *const lv[3] = { "x86-64-v4", "x86-64-v3", "x86-64-v2" };
    for (int k = 0; k < 3; k++) {
      if (s->machine != 62 || !(s->w->levels & (1u << (4 - k)))) continue;
      snprintf(subs[k], sizeof subs[k], "%s/glibc-hwcaps/%s", dir, lv[k]);
      dirs[nd++] = subs[k];
    }
  }
  dirs[nd++] = dir;
  for (int k = 0; k < nd; k++) {
    const char *n = dir_find(s->w, dirs[k], name, 0);
    if (!n) continue;
    join(sub, sizeof sub, dirs[k], n);
    fentry *fe = get_file(s->w, sub);
    if (!fe || fe->status != 1) { /* ld.so skips what it cannot use and goes on */
      tried_add(s, t, "%s (%s: unusable, skipped)", sub, how);
      continue;
    }
    if (!elf_compatible(s, fe)) {
      tried_add(s, t, "%s (%s: wrong class or machine, skipped)", sub, how);
      continue;
    }
    snprintf(h->path, sizeof h->path, "%s", sub);
    h->how = how;
    h->dir = astrdup(AR(s), dirs[k]);
    h->fe = fe;
    return 1;
  }
  if (t->misses) tried_add(s, t, "%s (%s)", dir, how);
  return 0;
}

/* Searches a ':'-separated list (DSTs expanded with origin). */
static int elf_list(W *s, int node, const char *list, const char *origin, const char *how, const char *name, elf_hit *h,
                    tried *t) {
  if (!list) return 0;
  const char *p = list;
  while (1) {
    const char *e = strchr(p, ':');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    char dir[4096];
    expand(s, p, len, origin, dir, sizeof dir);
    if (dir[0] == 0) snprintf(dir, sizeof dir, "."); /* an empty element is the current folder */
    if (elf_dir(s, node, dir, how, name, h, t)) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

static void load_ldcache(W *s) {
  dkd_walker *w = s->w;
  if (w->ldc_loaded) return;
  w->ldc_loaded = 1;
  const char *path = w->o.ldcache ? w->o.ldcache : "/etc/ld.so.cache";
  if (!path[0]) return;
  char msg[512];
  if (dk_file_open(&w->ldc_map, path, DK_FILE_RANDOM, 0, NULL) != 0) return;
  if (dkd_ldcache_parse(w->ldc_map.data, w->ldc_map.size, &w->ldc, msg, sizeof msg) != 0) return;
  w->have_ldc = 1;
  w->ldc_next = malloc((w->ldc.n ? w->ldc.n : 1) * sizeof *w->ldc_next);
  if (!w->ldc_next) return;
  /* Chain entries of the same key in cache order. */
  for (uint32_t i = w->ldc.n; i-- > 0;) {
    int first = smap_get(&w->ldc_keys, w->ldc.e[i].key);
    w->ldc_next[i] = first;
    smap_put(&w->ldc_keys, w->ldc.e[i].key, (int)i);
  }
}

static int hwcaps_ok(W *s, const char *sub) {
  if (!sub) return 1;
  if (strcmp(sub, "x86-64-v2") == 0) return (s->w->levels >> 2) & 1;
  if (strcmp(sub, "x86-64-v3") == 0) return (s->w->levels >> 3) & 1;
  if (strcmp(sub, "x86-64-v4") == 0) return (s->w->levels >> 4) & 1;
  return 0;
}

static int elf_cache(W *s, const char *name, elf_hit *h, tried *t) {
  load_ldcache(s);
  dkd_walker *w = s->w;
  if (!w->have_ldc || !w->ldc_next) return 0;
  int best = -1;
  for (int i = smap_get(&w->ldc_keys, name); i >= 0; i = w->ldc_next[i]) {
    const dkd_ldcache_entry *e = &w->ldc.e[i];
    if (s->cache_flags >= 0 && e->flags != s->cache_flags) continue;
    if (!hwcaps_ok(s, e->hwcaps)) continue;
    if (best < 0 || (e->hwcaps && !w->ldc.e[best].hwcaps)) best = i;
  }
  if (best < 0) {
    if (t->misses) tried_add(s, t, "%s%s", "/etc/ld.so.cache", " (ld.so.cache)");
    return 0;
  }
  const char *v = w->ldc.e[best].value;
  fentry *fe = get_file(w, v);
  if (!elf_compatible(s, fe)) {
    tried_add(s, t, "%s (ld.so.cache: %s)", v, "unusable, skipped");
    return 0;
  }
  snprintf(h->path, sizeof h->path, "%s", v);
  h->how = "ld.so.cache";
  h->dir = dir_name(AR(s), v);
  h->fe = fe;
  return 1;
}

static const char *origin_of(W *s, int node) {
  dkd_node *n = &s->out->nodes[node];
  if (node == 0) return s->root_origin;
  return dir_name(AR(s), n->path);
}

static int elf_search(W *s, int node, const char *name, elf_hit *h, tried *t) {
  const dkd_walk_opts *o = &s->w->o;
  dkd_node *n = &s->out->nodes[node];
  const dkd_elf *e = &((fentry *)n->file)->u.elf;
  if (strchr(name, '/')) {
    char path[4096];
    expand(s, name, strlen(name), origin_of(s, node), path, sizeof path);
    fentry *fe = get_file(s->w, path);
    tried_add(s, t, "%s%s", path, " (direct)");
    if (!elf_compatible(s, fe)) return 0;
    snprintf(h->path, sizeof h->path, "%s", path);
    h->how = "direct";
    h->dir = dir_name(AR(s), path);
    h->fe = fe;
    return 1;
  }
  if (!e->runpath) {
    int did_root = 0;
    for (int l = node; l >= 0; l = s->out->nodes[l].loader) {
      dkd_node *ln = &s->out->nodes[l];
      const dkd_elf *le = &((fentry *)ln->file)->u.elf;
      if (l == 0) did_root = 1;
      if (!le->rpath || le->runpath) continue;
      const char *how = l == node ? "rpath" : aprintf(AR(s), "rpath of %s", ln->name);
      if (elf_list(s, l, le->rpath, origin_of(s, l), how, name, h, t)) return 1;
    }
    if (!did_root) {
      const dkd_elf *re = &((fentry *)s->out->nodes[0].file)->u.elf;
      if (re->rpath && !re->runpath &&
          elf_list(s, 0, re->rpath, s->root_origin, aprintf(AR(s), "rpath of %s", s->out->nodes[0].name), name, h, t))
        return 1;
    }
  } else if (e->rpath) {
    tried_add(s, t, "%s%s", "DT_RPATH", " (ignored: the object has DT_RUNPATH)");
  }
  if (o->ld_library_path && o->ld_library_path[0]) {
    if (s->secure) tried_add(s, t, "%s%s", "LD_LIBRARY_PATH", " (ignored: set-user-ID program)");
    else if (elf_list(s, 0, o->ld_library_path, s->root_origin, "LD_LIBRARY_PATH", name, h, t)) return 1;
  }
  if (e->runpath && elf_list(s, node, e->runpath, origin_of(s, node), "runpath", name, h, t)) return 1;
  if (e->flags_1 & 0x800 /* DF_1_NODEFLIB */) {
    tried_add(s, t, "%s%s", "ld.so.cache and default folders", " (skipped: DF_1_NODEFLIB)");
    return 0;
  }
  if (elf_cache(s, name, h, t)) return 1;
  for (uint32_t i = 0; i < s->ndefdirs; i++)
    if (elf_dir(s, node, s->defdirs[i], "default path", name, h, t)) return 1;
  return 0;
}

static int elf_find_loaded(W *s, const char *name) { return smap_get(&s->loaded, name); }

static void elf_alias(W *s, int idx, const char *name) {
  if (!name || smap_get(&s->loaded, name) >= 0) return;
  char *c = astrdup(AR(s), name);
  if (c) smap_put(&s->loaded, c, idx);
}

static void elf_needed(W *s, int node, const char *name) {
  int have = elf_find_loaded(s, name);
  if (have >= 0) {
    add_child(s, node, have);
    return;
  }
  elf_hit h;
  tried t = { .n = 0 };
  int found = elf_search(s, node, name, &h, &t);
  if (!found) {
    t.n = 0;
    t.misses = 1; /* again, noting every folder searched */
    found = elf_search(s, node, name, &h, &t);
  }
  if (found) {
    /* The same file under another name (a symlink, another folder): reuse. */
    uint64_t id[2];
    if (dkd_file_id(h.path, id) == 0) {
      char key[64];
      snprintf(key, sizeof key, "\x01%llx:%llx", (unsigned long long)id[0], (unsigned long long)id[1]);
      int same = smap_get(&s->loaded, key);
      if (same >= 0) {
        elf_alias(s, same, name);
        add_child(s, node, same);
        return;
      }
    }
  }
  int idx = new_node(s, name, found ? h.path : NULL, node);
  if (idx < 0) return;
  dkd_node *n = &s->out->nodes[idx];
  n->format = DKD_FMT_ELF;
  elf_alias(s, idx, name);
  add_child(s, node, idx);
  /* Incompatible candidates passed over on the way. */
  for (uint32_t i = 0; i < t.n; i++)
    if (strstr(t.items[i], "skipped)")) {
      if (!n->skipped) n->skipped = aalloc(AR(s), 64 * sizeof *n->skipped);
      if (n->skipped) n->skipped[n->nskipped++] = t.items[i];
    }
  if (!found) {
    dkd_problem *p = problem(s, "lib-not-found", "error", 0, idx, node, name, NULL);
    if (p) {
      tried_copy(s, p, &t);
      p->chain = chain_of(s, idx, NULL);
      p->detail = aprintf(AR(s), "%s: error while loading shared libraries: %s: cannot open shared object file: No "
                          "such file or directory (needed by %s)",
                          s->out->nodes[0].name, name, s->out->nodes[node].name);
    }
    return;
  }
  n->found = 1;
  n->usable = 1;
  n->how = h.how;
  n->how_dir = (char *)h.dir;
  n->file = h.fe;
  n->machine = h.fe->u.elf.machine;
  n->elf_class = h.fe->u.elf.cls;
  if (h.fe->u.elf.soname) elf_alias(s, idx, h.fe->u.elf.soname);
  uint64_t id[2];
  if (dkd_file_id(h.path, id) == 0) {
    char *key = aprintf(AR(s), "\x01%llx:%llx", (unsigned long long)id[0], (unsigned long long)id[1]);
    if (key) smap_put(&s->loaded, key, idx);
  }
  if (n->nskipped) {
    dkd_problem *p = problem(s, "incompatible-skipped", "info", 0, idx, node, name, NULL);
    if (p) {
      p->tried = n->skipped;
      p->ntried = (uint32_t)n->nskipped;
      p->path = astrdup(AR(s), h.path);
      p->detail = aprintf(AR(s), "ld.so skipped %d file(s) named %s of the wrong class or machine before finding %s",
                          n->nskipped, name, h.path);
    }
  }
  push(s, idx);
}

/* Which loaded object satisfies DT_NEEDED name for version checks. */
static void elf_versions(W *s) {
  dkd_walk *o = s->out;
  for (int i = 0; i < o->nnodes; i++) {
    dkd_node *n = &o->nodes[i];
    if (!n->usable || !n->file) continue;
    const dkd_elf *e = &((fentry *)n->file)->u.elf;
    for (uint32_t v = 0; v < e->nverneed; v++) {
      const dkd_elf_verneed *vn = &e->verneed[v];
      int t = smap_get(&s->loaded, vn->file);
      if (t < 0 || !o->nodes[t].usable) continue;
      const dkd_elf *te = &((fentry *)o->nodes[t].file)->u.elf;
      if (te->nverdef == 0) {
        dkd_problem *p = problem(s, "no-version-info", "warning", 0, t, i, o->nodes[t].name, NULL);
        if (p) {
          p->path = astrdup(AR(s), o->nodes[t].path);
          p->detail = aprintf(AR(s), "%s: no version information available (required by %s)", o->nodes[t].path,
                              n->path ? n->path : n->name);
        }
        continue;
      }
      for (uint32_t k = 0; k < vn->count; k++) {
        const dkd_elf_vernaux *a = &e->vernaux[vn->first + k];
        int ok = 0;
        for (uint32_t d = 0; d < te->nverdef && !ok; d++)
          if (te->verdef[d].name && strcmp(te->verdef[d].name, a->name) == 0) ok = 1;
        if (ok) continue;
        int weak = (a->flags & 0x2) != 0;
        dkd_problem *p = problem(s, weak ? "version-weak-missing" : "version-not-found", weak ? "warning" : "error", 0,
                                 t, i, o->nodes[t].name, a->name);
        if (p) {
          p->path = astrdup(AR(s), o->nodes[t].path);
          p->chain = chain_of(s, i, o->nodes[t].name);
          p->detail = aprintf(AR(s), "%s: version `%s' not found (required by %s)%s", o->nodes[t].path, a->name,
                              n->path ? n->path : n->name, weak ? " (a weak reference: only a warning)" : "");
        }
      }
    }
  }
}

/* Undefined symbols: every non-weak undefined dynamic symbol must be defined
** by some loaded object (names only; versions are checked above). */
static void elf_symbols(W *s) {
  dkd_walk *o = s->out;
  smap defined = { 0 };
  dkd_elf_sym **syms = calloc((size_t)o->nnodes, sizeof *syms);
  uint32_t *nsyms = calloc((size_t)o->nnodes, sizeof *nsyms);
  if (!syms || !nsyms) goto done;
  for (int i = 0; i < o->nnodes; i++) {
    dkd_node *n = &o->nodes[i];
    if (!n->usable || !n->file) continue;
    char err[256];
    if (dkd_elf_symbols(&((fentry *)n->file)->u.elf, &syms[i], &nsyms[i], err, sizeof err) != 0) continue;
    for (uint32_t k = 1; k < nsyms[i]; k++)
      if (syms[i][k].shndx != 0 && syms[i][k].name[0] && syms[i][k].bind != 0 /* LOCAL */)
        smap_put(&defined, syms[i][k].name, i);
  }
  for (int i = 0; i < o->nnodes; i++) {
    for (uint32_t k = 1; k < nsyms[i]; k++) {
      const dkd_elf_sym *y = &syms[i][k];
      if (y->shndx != 0 || y->bind != 1 /* GLOBAL */ || !y->name[0]) continue;
      if (smap_get(&defined, y->name) >= 0) continue;
      const dkd_elf *e = &((fentry *)o->nodes[i].file)->u.elf;
      int now = (e->flags & 0x8) || (e->flags_1 & 0x1);
      int func = y->type == 2;
      dkd_problem *p = problem(s, "undefined-symbol", (func && !now) ? "warning" : "error", 0, i, i,
                               o->nodes[i].name, y->name);
      if (p) {
        p->path = astrdup(AR(s), o->nodes[i].path);
        p->detail = aprintf(AR(s), "%s: undefined symbol: %s%s", o->nodes[i].path ? o->nodes[i].path : o->nodes[i].name,
                            y->name, (func && !now) ? " (a function bound lazily: fails when first called)" : "");
      }
    }
  }
done:
  if (syms)
    for (int i = 0; i < o->nnodes; i++) free(syms[i]);
  free(syms);
  free(nsyms);
  smap_free(&defined);
}

/* The multiarch triplet, $LIB and $PLATFORM of a Debian-style glibc for an
** ELF machine and class. */
static void elf_defaults(W *s, const dkd_elf *e) {
  static const struct {
    uint16_t machine;
    uint8_t cls;
    const char *triplet, *platform;
  } T[] = {
    { 62, 2, "x86_64-linux-gnu", "x86_64" }, { 62, 1, "x86_64-linux-gnux32", "x86_64" },
    { 3, 1, "i386-linux-gnu", "i686" },       { 183, 2, "aarch64-linux-gnu", "aarch64" },
    { 40, 1, "arm-linux-gnueabihf", "v7l" }, { 243, 2, "riscv64-linux-gnu", "riscv64" },
    { 21, 2, "powerpc64le-linux-gnu", "power8" }, { 22, 2, "s390x-linux-gnu", "z13" },
  };
  const dkd_walk_opts *o = &s->w->o;
  const char *triplet = NULL, *platform = NULL;
  for (size_t i = 0; i < sizeof T / sizeof *T; i++)
    if (T[i].machine == e->machine && T[i].cls == e->cls) {
      triplet = T[i].triplet;
      platform = T[i].platform;
    }
  s->platform = o->platform ? o->platform : platform ? platform : "";
  int multiarch = triplet && dir_find(s->w, "/usr/lib", triplet, 0) != NULL;
  if (o->lib) s->lib = o->lib;
  else if (multiarch) s->lib = aprintf(AR(s), "lib/%s", triplet);
  else s->lib = e->cls == 2 ? "lib64" : "lib";
  if (o->ndefault_dirs) {
    s->defdirs = o->default_dirs;
    s->ndefdirs = o->ndefault_dirs;
    return;
  }
  const char **d = aalloc(AR(s), 4 * sizeof *d);
  if (!d) return;
  uint32_t n = 0;
  if (multiarch) {
    d[n++] = aprintf(AR(s), "/lib/%s", triplet);
    d[n++] = aprintf(AR(s), "/usr/lib/%s", triplet);
  } else if (e->cls == 2) {
    d[n++] = "/lib64";
    d[n++] = "/usr/lib64";
  }
  d[n++] = "/lib";
  d[n++] = "/usr/lib";
  s->defdirs = d;
  s->ndefdirs = n;
}

static int walk_elf(W *s, int root) {
  dkd_node *r = &s->out->nodes[root];
  fentry *fe = r->file;
  const dkd_elf *e = &fe->u.elf;
  s->cls = e->cls;
  s->endian = e->endian;
  s->machine = e->machine;
  r->machine = e->machine;
  r->elf_class = e->cls;
  s->cache_flags = dkd_ldcache_flags_for(e->machine, e->cls);
  elf_defaults(s, e);
  s->secure = s->w->o.secure || dkd_file_setid(r->path);
  char real[4096];
  s->root_origin = dk_sys_realpath(r->path, real, sizeof real) == 0 ? dir_name(AR(s), real) : dir_name(AR(s), r->path);
  if (e->soname) elf_alias(s, root, e->soname);
  if (e->interp) {
    fentry *ie = get_file(s->w, e->interp);
    if (!ie || (ie->status != 1 && ie->code && strcmp(ie->code, "ENOENT") == 0)) {
      dkd_problem *p = problem(s, "interp-missing", "error", 0, root, root, e->interp, NULL);
      if (p) {
        p->path = astrdup(AR(s), e->interp);
        p->detail = aprintf(AR(s), "the program interpreter %s (PT_INTERP) does not exist here: the kernel then "
                            "reports ENOENT (\"No such file or directory\") for %s itself, although it exists",
                            e->interp, r->path);
      }
    } else if (elf_compatible(s, ie)) {
      /* ld.so itself is loaded: DT_NEEDED on its soname finds it. */
      int idx = new_node(s, ie->u.elf.soname ? ie->u.elf.soname : base_name(e->interp), e->interp, root);
      if (idx >= 0) {
        dkd_node *n = &s->out->nodes[idx];
        n->format = DKD_FMT_ELF;
        n->found = n->usable = 1;
        n->how = "interpreter";
        n->how_dir = dir_name(AR(s), e->interp);
        n->file = ie;
        n->machine = ie->u.elf.machine;
        n->elf_class = ie->u.elf.cls;
        elf_alias(s, idx, n->name);
        elf_alias(s, idx, e->interp);
        uint64_t id[2];
        if (dkd_file_id(e->interp, id) == 0) {
          char *key = aprintf(AR(s), "\x01%llx:%llx", (unsigned long long)id[0], (unsigned long long)id[1]);
          if (key) smap_put(&s->loaded, key, idx);
        }
      }
    } else {
      char b1[12], b2[12];
      dkd_problem *p = problem(s, "interp-foreign", "error", 0, root, root, e->interp, NULL);
      if (p) {
        p->path = astrdup(AR(s), e->interp);
        p->detail = aprintf(AR(s), "the program interpreter %s is not a %s ELF%d loader (it is %s): the program "
                            "cannot be executed here",
                            e->interp, dkd_elf_machine_name(e->machine, b1), e->cls == 2 ? 64 : 32,
                            ie->status == 1 && ie->fmt == DKD_FMT_ELF
                                ? dkd_elf_machine_name(ie->u.elf.machine, b2)
                                : "not an ELF file");
      }
    }
  }
  r->usable = 1;
  push(s, root);
  while (s->qhead < s->qtail) {
    int n = s->queue[s->qhead++];
    const dkd_elf *ne = &((fentry *)s->out->nodes[n].file)->u.elf;
    for (uint32_t i = 0; i < ne->nneeded; i++) elf_needed(s, n, ne->needed[i]);
  }
  if (!s->w->o.no_versions) elf_versions(s);
  if (s->w->o.symbols) elf_symbols(s);
  return 0;
}

/* }=========== */

/* Files stay mapped (and parsed) for the next walks; their pages are handed
** back to the page cache every so many new files, so that walking a whole
** System32 stays within a small resident set. */
#define TRIM_EVERY 256

int dkd_walker_walk(dkd_walker *w, const char *path, dkd_walk *out) {
  memset(out, 0, sizeof *out);
  if (w->since_trim >= TRIM_EVERY) {
    for (int i = 0; i < w->nfents; i++) dk_file_trim(&w->fents[i]->map);
    w->since_trim = 0;
  }
  W s;
  memset(&s, 0, sizeof s);
  s.w = w;
  s.out = out;
  int root = new_node(&s, base_name(path), path, -1);
  if (root < 0) return -1;
  dkd_node *r = &out->nodes[root];
  r->how = "root";
  fentry *fe = get_file(w, path);
  if (!fe) return -1;
  r->file = fe;
  if (fe->status != 1) {
    out->error = astrdup(&out->arena, fe->error ? fe->error : "cannot read");
    out->error_code = fe->code ? fe->code : "EIO";
    goto done;
  }
  r->found = 1;
  r->format = fe->fmt;
  out->format = fe->fmt;
  if (fe->fmt == DKD_FMT_PE) walk_pe(&s, root);
  else walk_elf(&s, root);
done:
  free(s.queue);
  free(s.delayed);
  smap_free(&s.loaded);
  smap_free(&s.pdedup);
  return 0;
}

void dkd_walk_free(dkd_walk *out) {
  free(out->nodes);
  free(out->problems);
  arena_free(out->arena);
  memset(out, 0, sizeof *out);
}
