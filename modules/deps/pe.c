/*
** PE/PE32+ parser: DOS and NT headers, sections, import, delay-import, bound
** import and export directories, the RT_MANIFEST resource, the CLR header,
** and the API-set schema of apisetschema.dll. Every RVA, size and count is
** checked against the file; errors name the field and its file offset.
*/
#include "deps.h"
#include "dk_bytes.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *dkd_pe_machine_name(uint16_t machine, char buf[8]) {
  switch (machine) {
    case DKD_MACHINE_I386: return "x86";
    case DKD_MACHINE_AMD64: return "x64";
    case DKD_MACHINE_ARMNT: return "arm";
    case DKD_MACHINE_ARM64: return "arm64";
    case 0x200: return "ia64";
    case 0xa641: return "arm64ec";
    default: snprintf(buf, 8, "0x%04x", machine); return buf;
  }
}

/* {=========== addresses */

/* Bytes of the file that section s covers when mapped at its RVA. */
static uint32_t sec_span(const dkd_pe_section *s) {
  uint32_t span = s->raw_size;
  if (s->vsize != 0 && s->vsize < span) span = s->vsize;
  return span;
}

int dkd_pe_rva_to_off(const dkd_pe *pe, uint32_t rva, uint32_t len, size_t *off) {
  uint64_t end = (uint64_t)rva + len;
  uint32_t hdr = pe->size_of_headers;
  if (rva < hdr) {
    if (end <= hdr && end <= pe->size) {
      *off = rva;
      return 0;
    }
    return -1;
  }
  /* Lookups cluster in one section: try the last one first. The object is
  ** never defined const, only passed as such. */
  uint16_t first = pe->last_sec < pe->nsections ? pe->last_sec : 0;
  for (uint16_t k = 0; k < pe->nsections; k++) {
    uint16_t i = (uint16_t)((first + k) % pe->nsections);
    const dkd_pe_section *s = &pe->sec[i];
    uint32_t span = sec_span(s);
    if (rva >= s->va && end <= (uint64_t)s->va + span) {
      uint64_t o = (uint64_t)s->raw_off + (rva - s->va);
      if (o + len > pe->size) return -1;
      *off = (size_t)o;
      ((dkd_pe *)pe)->last_sec = i;
      return 0;
    }
  }
  return -1;
}

/* A NUL-terminated string at rva of at most max bytes, or NULL. */
static const char *rva_str(const dkd_pe *pe, uint32_t rva, size_t max) {
  size_t off;
  if (dkd_pe_rva_to_off(pe, rva, 1, &off) != 0) return NULL;
  size_t avail = pe->size - off;
  if (avail > max) avail = max;
  const uint8_t *p = pe->data + off;
  if (!memchr(p, 0, avail)) return NULL;
  return (const char *)p;
}

/* }=========== */

/* {=========== headers */

static int parse_headers(const uint8_t *d, size_t size, unsigned flags, dkd_pe *pe, char *err, size_t es) {
  (void)flags;
  if (size < 64) return dk_fail(err, es, "DOS header (offset 0): file is %zu bytes, smaller than a DOS header", size);
  if (d[0] != 'M' || d[1] != 'Z') return dk_fail(err, es, "DOS header (offset 0): e_magic is not 'MZ'");
  uint32_t lfanew = dk_rd32le(d + 0x3c);
  if ((uint64_t)lfanew + 24 > size)
    return dk_fail(err, es, "DOS header (offset 0x3c): e_lfanew 0x%x points past the end of the file (%zu bytes)",
                lfanew, size);
  if (memcmp(d + lfanew, "PE\0\0", 4) != 0)
    return dk_fail(err, es, "NT headers (offset 0x%x): signature is not 'PE\\0\\0'", lfanew);
  pe->e_lfanew = lfanew;
  const uint8_t *coff = d + lfanew + 4;
  pe->machine = dk_rd16le(coff);
  uint16_t nsec = dk_rd16le(coff + 2);
  pe->timestamp = dk_rd32le(coff + 4);
  uint16_t opt_size = dk_rd16le(coff + 16);
  pe->characteristics = dk_rd16le(coff + 18);
  size_t opt = (size_t)lfanew + 24;
  if (opt + opt_size > size)
    return dk_fail(err, es, "optional header (offset 0x%zx): SizeOfOptionalHeader %u runs past the end of the file",
                opt, opt_size);
  if (opt_size < 2) return dk_fail(err, es, "COFF header (offset 0x%x): SizeOfOptionalHeader is %u", lfanew + 20, opt_size);
  pe->magic = dk_rd16le(d + opt);
  size_t dir_base, ndir_field;
  if (pe->magic == 0x10b) {
    if (opt_size < 96) return dk_fail(err, es, "optional header (offset 0x%zx): PE32 header of %u bytes is too short", opt, opt_size);
    pe->image_base = dk_rd32le(d + opt + 28);
    ndir_field = 92;
    dir_base = 96;
  } else if (pe->magic == 0x20b) {
    if (opt_size < 112)
      return dk_fail(err, es, "optional header (offset 0x%zx): PE32+ header of %u bytes is too short", opt, opt_size);
    pe->image_base = dk_rd64le(d + opt + 24);
    ndir_field = 108;
    dir_base = 112;
  } else {
    return dk_fail(err, es, "optional header (offset 0x%zx): Magic 0x%x is neither PE32 (0x10b) nor PE32+ (0x20b)", opt,
                pe->magic);
  }
  pe->entry_rva = dk_rd32le(d + opt + 16);
  pe->os_major = dk_rd16le(d + opt + 40);
  pe->os_minor = dk_rd16le(d + opt + 42);
  pe->subsys_major = dk_rd16le(d + opt + 48);
  pe->subsys_minor = dk_rd16le(d + opt + 50);
  pe->size_of_image = dk_rd32le(d + opt + 56);
  pe->size_of_headers = dk_rd32le(d + opt + 60);
  pe->subsystem = dk_rd16le(d + opt + 68);
  pe->dll_characteristics = dk_rd16le(d + opt + 70);
  uint32_t nrva = dk_rd32le(d + opt + ndir_field);
  uint32_t ndirs = nrva > 16 ? 16 : nrva;
  uint32_t fit = (uint32_t)((opt_size - dir_base) / 8);
  if (ndirs > fit) ndirs = fit;
  pe->ndirs = ndirs;
  for (uint32_t i = 0; i < ndirs; i++) {
    pe->dir[i].rva = dk_rd32le(d + opt + dir_base + 8 * i);
    pe->dir[i].size = dk_rd32le(d + opt + dir_base + 8 * i + 4);
  }
  if (nsec > DKD_PE_MAX_SECTIONS)
    return dk_fail(err, es, "COFF header (offset 0x%x): NumberOfSections %u is more than the loader accepts (%d)",
                lfanew + 6, nsec, DKD_PE_MAX_SECTIONS);
  size_t st = opt + opt_size;
  if (st + (size_t)nsec * 40 > size)
    return dk_fail(err, es, "section table (offset 0x%zx): %u sections run past the end of the file", st, nsec);
  pe->nsections = nsec;
  for (uint16_t i = 0; i < nsec; i++) {
    const uint8_t *s = d + st + 40u * i;
    memcpy(pe->sec[i].name, s, 8);
    pe->sec[i].name[8] = 0;
    pe->sec[i].vsize = dk_rd32le(s + 8);
    pe->sec[i].va = dk_rd32le(s + 12);
    pe->sec[i].raw_size = dk_rd32le(s + 16);
    pe->sec[i].raw_off = dk_rd32le(s + 20);
    pe->sec[i].characteristics = dk_rd32le(s + 36);
    /* Raw data beyond the end of the file is not there. */
    if (pe->sec[i].raw_off >= size) pe->sec[i].raw_size = 0;
    else if ((uint64_t)pe->sec[i].raw_off + pe->sec[i].raw_size > size)
      pe->sec[i].raw_size = (uint32_t)(size - pe->sec[i].raw_off);
  }
  if (pe->size_of_headers > size) pe->size_of_headers = (uint32_t)size;
  return 0;
}

/* }=========== */

/* {=========== imports */

static int add_fn(dkd_pe *pe, uint32_t *cap, char *err, size_t es) {
  if (pe->nfns >= DKD_PE_MAX_IMPORT_FNS)
    return dk_fail(err, es, "import directories: more than %u imported functions", DKD_PE_MAX_IMPORT_FNS);
  if (pe->nfns == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 64;
    dkd_pe_import_fn *n = realloc(pe->fns, nc * sizeof *n);
    if (!n) return dk_fail(err, es, "out of memory");
    pe->fns = n;
    *cap = nc;
  }
  return 0;
}

static int add_dll(dkd_pe *pe, uint32_t *cap, char *err, size_t es) {
  if (pe->nimports >= DKD_PE_MAX_IMPORT_DLLS)
    return dk_fail(err, es, "import directories: more than %u imported modules", DKD_PE_MAX_IMPORT_DLLS);
  if (pe->nimports == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 16;
    dkd_pe_import *n = realloc(pe->imports, nc * sizeof *n);
    if (!n) return dk_fail(err, es, "out of memory");
    pe->imports = n;
    *cap = nc;
  }
  return 0;
}

/* Reads the thunk array at rva (an INT or IAT) into fns. */
static int read_thunks(dkd_pe *pe, uint32_t rva, const char *what, uint32_t idx, uint32_t *fcap, char *err,
                       size_t es) {
  int wide = pe->magic == 0x20b;
  uint32_t tsz = wide ? 8 : 4;
  for (uint32_t k = 0;; k++) {
    uint64_t trva = (uint64_t)rva + (uint64_t)k * tsz;
    size_t off;
    if (trva > 0xffffffffu || dkd_pe_rva_to_off(pe, (uint32_t)trva, tsz, &off) != 0)
      return dk_fail(err, es, "%s %u: thunk %u at RVA 0x%llx is outside the file (no terminating null thunk)", what, idx,
                  k, (unsigned long long)trva);
    uint64_t t = wide ? dk_rd64le(pe->data + off) : dk_rd32le(pe->data + off);
    if (t == 0) break;
    if (add_fn(pe, fcap, err, es) != 0) return -1;
    dkd_pe_import_fn *f = &pe->fns[pe->nfns];
    memset(f, 0, sizeof *f);
    uint64_t ordflag = wide ? (1ull << 63) : (1ull << 31);
    if (t & ordflag) {
      f->by_ordinal = 1;
      f->ordinal = (uint32_t)(t & 0xffff);
    } else {
      if (t > 0x7fffffffu)
        return dk_fail(err, es, "%s %u: thunk %u (offset 0x%zx) has hint/name RVA 0x%llx with reserved bits set", what,
                    idx, k, off, (unsigned long long)t);
      size_t hoff;
      if (dkd_pe_rva_to_off(pe, (uint32_t)t, 2, &hoff) != 0)
        return dk_fail(err, es, "%s %u: thunk %u (offset 0x%zx): hint/name RVA 0x%x is outside the file", what, idx, k,
                    off, (uint32_t)t);
      f->hint = dk_rd16le(pe->data + hoff);
      f->name = rva_str(pe, (uint32_t)t + 2, 4096);
      if (!f->name)
        return dk_fail(err, es, "%s %u: thunk %u (offset 0x%zx): name at RVA 0x%x is not a terminated string in the file",
                    what, idx, k, off, (uint32_t)t + 2);
    }
    pe->nfns++;
  }
  return 0;
}

static int parse_imports(dkd_pe *pe, uint32_t *dcap, uint32_t *fcap, char *err, size_t es) {
  if (pe->ndirs <= 1 || pe->dir[1].rva == 0) return 0;
  uint32_t rva = pe->dir[1].rva;
  for (uint32_t i = 0;; i++) {
    uint64_t drva = (uint64_t)rva + 20ull * i;
    size_t off;
    if (drva > 0xffffffffu || dkd_pe_rva_to_off(pe, (uint32_t)drva, 20, &off) != 0)
      return dk_fail(err, es,
                  "import directory (RVA 0x%x): descriptor %u at RVA 0x%llx is outside the file (no terminating null "
                  "descriptor)",
                  rva, i, (unsigned long long)drva);
    const uint8_t *p = pe->data + off;
    uint32_t oft = dk_rd32le(p), name = dk_rd32le(p + 12), ft = dk_rd32le(p + 16);
    if (name == 0 || ft == 0) break; /* the loader stops here */
    if (add_dll(pe, dcap, err, es) != 0) return -1;
    dkd_pe_import *im = &pe->imports[pe->nimports];
    memset(im, 0, sizeof *im);
    im->desc_off = (uint32_t)off;
    im->dll = rva_str(pe, name, 512);
    if (!im->dll)
      return dk_fail(err, es, "import descriptor %u (offset 0x%zx): Name RVA 0x%x is not a terminated string in the file", i,
                  off, name);
    im->first = pe->nfns;
    if (read_thunks(pe, oft ? oft : ft, "import descriptor", i, fcap, err, es) != 0) return -1;
    im->count = pe->nfns - im->first;
    pe->nimports++;
  }
  return 0;
}

static int parse_delay_imports(dkd_pe *pe, uint32_t *dcap, uint32_t *fcap, char *err, size_t es) {
  if (pe->ndirs <= 13 || pe->dir[13].rva == 0) return 0;
  uint32_t rva = pe->dir[13].rva;
  for (uint32_t i = 0;; i++) {
    uint64_t drva = (uint64_t)rva + 32ull * i;
    size_t off;
    if (drva > 0xffffffffu || dkd_pe_rva_to_off(pe, (uint32_t)drva, 32, &off) != 0)
      return dk_fail(err, es,
                  "delay-import directory (RVA 0x%x): descriptor %u at RVA 0x%llx is outside the file (no terminating "
                  "null descriptor)",
                  rva, i, (unsigned long long)drva);
    const uint8_t *p = pe->data + off;
    uint32_t attrs = dk_rd32le(p), name = dk_rd32le(p + 4), intab = dk_rd32le(p + 16);
    if (name == 0) break;
    /* Attributes bit 0 clear: the old form, with virtual addresses. */
    uint64_t base = (attrs & 1) ? 0 : pe->image_base;
    if (name < base || intab < base)
      return dk_fail(err, es, "delay-import descriptor %u (offset 0x%zx): VA-based address below the image base", i, off);
    name = (uint32_t)(name - base);
    intab = intab ? (uint32_t)(intab - base) : 0;
    if (add_dll(pe, dcap, err, es) != 0) return -1;
    dkd_pe_import *im = &pe->imports[pe->nimports];
    memset(im, 0, sizeof *im);
    im->delay = 1;
    im->desc_off = (uint32_t)off;
    im->dll = rva_str(pe, name, 512);
    if (!im->dll)
      return dk_fail(err, es,
                  "delay-import descriptor %u (offset 0x%zx): DllNameRVA 0x%x is not a terminated string in the file",
                  i, off, name);
    im->first = pe->nfns;
    if (intab == 0)
      return dk_fail(err, es, "delay-import descriptor %u (offset 0x%zx): ImportNameTableRVA is 0", i, off);
    if (read_thunks(pe, intab, "delay-import descriptor", i, fcap, err, es) != 0) return -1;
    im->count = pe->nfns - im->first;
    pe->nimports++;
  }
  return 0;
}

static int parse_bound(dkd_pe *pe, char *err, size_t es) {
  if (pe->ndirs <= 11 || pe->dir[11].rva == 0) return 0;
  uint32_t rva = pe->dir[11].rva;
  size_t base;
  if (dkd_pe_rva_to_off(pe, rva, 8, &base) != 0)
    return dk_fail(err, es, "bound-import directory: RVA 0x%x is outside the file", rva);
  uint32_t cap = 0;
  size_t pos = base;
  for (uint32_t i = 0; i < 65536; i++) {
    if (pos + 8 > pe->size)
      return dk_fail(err, es, "bound-import directory (offset 0x%zx): entry %u runs past the end of the file", base, i);
    const uint8_t *p = pe->data + pos;
    uint32_t ts = dk_rd32le(p);
    uint16_t name_off = dk_rd16le(p + 4), nref = dk_rd16le(p + 6);
    if (ts == 0 && name_off == 0) return 0;
    uint32_t total = 1u + nref;
    if (pe->nbound + total > cap) {
      uint32_t nc = cap ? cap * 2 : 16;
      while (nc < pe->nbound + total) nc *= 2;
      dkd_pe_bound *n = realloc(pe->bound, nc * sizeof *n);
      if (!n) return dk_fail(err, es, "out of memory");
      pe->bound = n;
      cap = nc;
    }
    for (uint32_t k = 0; k < total; k++) {
      size_t e = pos + 8u * k;
      if (e + 8 > pe->size)
        return dk_fail(err, es, "bound-import entry at offset 0x%zx runs past the end of the file", e);
      uint16_t no = dk_rd16le(pe->data + e + 4);
      size_t so = base + no;
      const char *s = NULL;
      if (so < pe->size && memchr(pe->data + so, 0, pe->size - so < 512 ? pe->size - so : 512))
        s = (const char *)pe->data + so;
      if (!s)
        return dk_fail(err, es, "bound-import entry (offset 0x%zx): OffsetModuleName 0x%x is not a string in the file", e,
                    no);
      dkd_pe_bound *b = &pe->bound[pe->nbound++];
      b->dll = s;
      b->timestamp = dk_rd32le(pe->data + e);
      b->is_forwarder_ref = k > 0;
      b->forwarder_refs = k == 0 ? nref : 0;
    }
    pos += 8u * total;
  }
  return dk_fail(err, es, "bound-import directory (offset 0x%zx): no terminating null entry", base);
}

/* }=========== */

/* {=========== exports */

static int parse_exports(dkd_pe *pe, char *err, size_t es) {
  if (pe->ndirs == 0 || pe->dir[0].rva == 0) return 0;
  uint32_t rva = pe->dir[0].rva;
  size_t off;
  if (dkd_pe_rva_to_off(pe, rva, 40, &off) != 0)
    return dk_fail(err, es, "export directory: RVA 0x%x (40 bytes) is outside the file", rva);
  const uint8_t *p = pe->data + off;
  uint32_t name = dk_rd32le(p + 12);
  pe->exp_base = dk_rd32le(p + 16);
  pe->exp_nfuncs = dk_rd32le(p + 20);
  pe->exp_nnames = dk_rd32le(p + 24);
  uint32_t eat = dk_rd32le(p + 28), names = dk_rd32le(p + 32), ords = dk_rd32le(p + 36);
  pe->exp_dir_rva = rva;
  pe->exp_dir_size = pe->dir[0].size;
  if (name) pe->export_name = rva_str(pe, name, 512);
  if ((uint64_t)pe->exp_nfuncs * 4 > pe->size)
    return dk_fail(err, es, "export directory (offset 0x%zx): NumberOfFunctions %u is larger than the file allows", off + 20,
                pe->exp_nfuncs);
  if ((uint64_t)pe->exp_nnames * 4 > pe->size)
    return dk_fail(err, es, "export directory (offset 0x%zx): NumberOfNames %u is larger than the file allows", off + 24,
                pe->exp_nnames);
  if (pe->exp_nfuncs && dkd_pe_rva_to_off(pe, eat, pe->exp_nfuncs * 4, &pe->exp_eat_off) != 0)
    return dk_fail(err, es,
                "export directory (offset 0x%zx): AddressOfFunctions 0x%x with %u entries is outside the file", off + 28,
                eat, pe->exp_nfuncs);
  if (pe->exp_nnames && dkd_pe_rva_to_off(pe, names, pe->exp_nnames * 4, &pe->exp_names_off) != 0)
    return dk_fail(err, es, "export directory (offset 0x%zx): AddressOfNames 0x%x with %u entries is outside the file",
                off + 32, names, pe->exp_nnames);
  if (pe->exp_nnames && dkd_pe_rva_to_off(pe, ords, pe->exp_nnames * 2, &pe->exp_ords_off) != 0)
    return dk_fail(err, es,
                "export directory (offset 0x%zx): AddressOfNameOrdinals 0x%x with %u entries is outside the file",
                off + 36, ords, pe->exp_nnames);
  pe->has_exports = 1;
  return 0;
}

static int eat_entry(const dkd_pe *pe, uint32_t index, uint32_t *rva, const char **fwd) {
  if (index >= pe->exp_nfuncs) return 0;
  uint32_t r = dk_rd32le(pe->data + pe->exp_eat_off + 4ull * index);
  if (r == 0) return 0;
  *rva = r;
  *fwd = NULL;
  if (r >= pe->exp_dir_rva && (uint64_t)r < (uint64_t)pe->exp_dir_rva + pe->exp_dir_size) {
    const char *s = rva_str(pe, r, 1024);
    if (!s) return 0;
    *fwd = s;
  }
  return 1;
}

int dkd_pe_export_name(const dkd_pe *pe, uint32_t i, const char **name, uint32_t *ordinal) {
  if (!pe->has_exports || i >= pe->exp_nnames) return 0;
  uint32_t nrva = dk_rd32le(pe->data + pe->exp_names_off + 4ull * i);
  const char *s = rva_str(pe, nrva, 4096);
  if (!s) return 0;
  *name = s;
  *ordinal = pe->exp_base + dk_rd16le(pe->data + pe->exp_ords_off + 2ull * i);
  return 1;
}

int dkd_pe_export_ordinal(const dkd_pe *pe, uint32_t ordinal, uint32_t *rva, const char **forwarder) {
  if (!pe->has_exports || ordinal < pe->exp_base) return 0;
  return eat_entry(pe, ordinal - pe->exp_base, rva, forwarder);
}

static int name_hit(const dkd_pe *pe, uint32_t i, const char *name, uint32_t *rva, const char **fwd) {
  uint16_t idx = dk_rd16le(pe->data + pe->exp_ords_off + 2ull * i);
  return eat_entry(pe, idx, rva, fwd);
}

int dkd_pe_find_export(const dkd_pe *pe, const char *name, uint16_t hint, uint32_t *rva, const char **forwarder) {
  if (!pe->has_exports || pe->exp_nnames == 0) return 0;
  const char *s;
  uint32_t ord;
  if (hint < pe->exp_nnames && dkd_pe_export_name(pe, hint, &s, &ord) && strcmp(s, name) == 0)
    return name_hit(pe, hint, name, rva, forwarder);
  uint32_t lo = 0, hi = pe->exp_nnames;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (!dkd_pe_export_name(pe, mid, &s, &ord)) return 0;
    int c = strcmp(name, s);
    if (c == 0) return name_hit(pe, mid, name, rva, forwarder);
    if (c < 0) hi = mid;
    else lo = mid + 1;
  }
  return 0;
}

int dkd_pe_find_ordinal(const dkd_pe *pe, uint32_t ordinal, uint32_t *rva, const char **forwarder) {
  return dkd_pe_export_ordinal(pe, ordinal, rva, forwarder);
}

/* }=========== */

/* {=========== CLR, resources, .apiset */

static void parse_clr(dkd_pe *pe) {
  if (pe->ndirs <= 14 || pe->dir[14].rva == 0) return;
  size_t off;
  pe->clr = 1;
  if (dkd_pe_rva_to_off(pe, pe->dir[14].rva, 20, &off) != 0) return;
  pe->clr_major = dk_rd16le(pe->data + off + 4);
  pe->clr_minor = dk_rd16le(pe->data + off + 6);
  pe->clr_flags = dk_rd32le(pe->data + off + 16);
}

/* The first entry of a resource directory at dir_off (relative to the
** resource root) whose id equals want (or any entry when want < 0). */
static int res_entry(const dkd_pe *pe, size_t root, uint32_t root_rva, uint32_t dir_off, long want, uint32_t *id,
                     uint32_t *target, char *err, size_t es) {
  size_t off;
  if (dkd_pe_rva_to_off(pe, root_rva + dir_off, 16, &off) != 0)
    return dk_fail(err, es, "resource directory at RVA 0x%x is outside the file", root_rva + dir_off);
  (void)root;
  uint32_t n = (uint32_t)dk_rd16le(pe->data + off + 12) + dk_rd16le(pe->data + off + 14);
  size_t eoff;
  if (dkd_pe_rva_to_off(pe, root_rva + dir_off + 16, n * 8, &eoff) != 0)
    return dk_fail(err, es, "resource directory (offset 0x%zx): %u entries run past the end of the file", off, n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t nm = dk_rd32le(pe->data + eoff + 8u * i), data = dk_rd32le(pe->data + eoff + 8u * i + 4);
    if (want >= 0 && ((nm & 0x80000000u) || nm != (uint32_t)want)) continue;
    *id = nm;
    *target = data;
    return 1;
  }
  return 0;
}

static int parse_manifest(dkd_pe *pe, char *err, size_t es) {
  if (pe->ndirs <= 2 || pe->dir[2].rva == 0) return 0;
  uint32_t root = pe->dir[2].rva, id, t, t2, t3, lang;
  int r = res_entry(pe, 0, root, 0, 24, &id, &t, err, es);
  if (r <= 0) return r;
  if (!(t & 0x80000000u)) return dk_fail(err, es, "resource RT_MANIFEST entry is not a directory");
  r = res_entry(pe, 0, root, t & 0x7fffffffu, -1, &id, &t2, err, es);
  if (r <= 0) return r;
  pe->manifest_id = id;
  if (!(t2 & 0x80000000u)) return dk_fail(err, es, "resource RT_MANIFEST name entry is not a directory");
  r = res_entry(pe, 0, root, t2 & 0x7fffffffu, -1, &lang, &t3, err, es);
  if (r <= 0) return r;
  if (t3 & 0x80000000u) return dk_fail(err, es, "resource RT_MANIFEST language entry is a directory, not data");
  size_t doff;
  if (dkd_pe_rva_to_off(pe, root + t3, 16, &doff) != 0)
    return dk_fail(err, es, "resource data entry at RVA 0x%x is outside the file", root + t3);
  uint32_t drva = dk_rd32le(pe->data + doff), dsize = dk_rd32le(pe->data + doff + 4);
  size_t moff;
  if (dsize > (1u << 20) || dkd_pe_rva_to_off(pe, drva, dsize, &moff) != 0)
    return dk_fail(err, es, "manifest resource (data entry at offset 0x%zx): RVA 0x%x size %u is outside the file", doff,
                drva, dsize);
  pe->manifest = (const char *)pe->data + moff;
  pe->manifest_len = dsize;
  return 0;
}

static void find_apiset(dkd_pe *pe) {
  for (uint16_t i = 0; i < pe->nsections; i++) {
    if (strcmp(pe->sec[i].name, ".apiset") == 0 && pe->sec[i].raw_size > 0) {
      pe->apiset_off = pe->sec[i].raw_off;
      pe->apiset_size = pe->sec[i].raw_size;
    }
  }
}

/* }=========== */

int dkd_pe_parse(const uint8_t *data, size_t size, unsigned flags, dkd_pe *pe, char *err, size_t err_size) {
  memset(pe, 0, sizeof *pe);
  pe->data = data;
  pe->size = size;
  if (err_size) err[0] = 0;
  if (parse_headers(data, size, flags, pe, err, err_size) != 0) return -1;
  if (flags & DKD_PE_HEADERS) return 0;
  uint32_t dcap = 0, fcap = 0;
  if (parse_imports(pe, &dcap, &fcap, err, err_size) != 0 || parse_delay_imports(pe, &dcap, &fcap, err, err_size) != 0 ||
      parse_bound(pe, err, err_size) != 0 || parse_exports(pe, err, err_size) != 0) {
    dkd_pe_free(pe);
    return -1;
  }
  parse_clr(pe);
  char merr[160];
  if (parse_manifest(pe, merr, sizeof merr) != 0) {
    pe->manifest = NULL; /* a broken manifest resource is reported by the loader, not fatal to parsing */
    pe->manifest_len = 0;
  }
  find_apiset(pe);
  return 0;
}

void dkd_pe_free(dkd_pe *pe) {
  free(pe->imports);
  free(pe->fns);
  free(pe->bound);
  pe->imports = NULL;
  pe->fns = NULL;
  pe->bound = NULL;
  pe->nimports = pe->nfns = pe->nbound = 0;
}

int dkd_pe_read_va(void *ud, uint64_t va, uint64_t len, const uint8_t **out) {
  const dkd_pe *pe = ud;
  if (va < pe->image_base || va - pe->image_base > 0xffffffffu || len > 0xffffffffu) return -1;
  size_t off;
  if (dkd_pe_rva_to_off(pe, (uint32_t)(va - pe->image_base), (uint32_t)len, &off) != 0) return -1;
  *out = pe->data + off;
  return 0;
}

/* {=========== manifest */

/* Copies the value of attribute attr inside [tag, end) into out. */
static void attr(const char *tag, const char *end, const char *name, char *out, size_t size) {
  size_t nl = strlen(name);
  out[0] = 0;
  for (const char *p = tag; p + nl + 2 < end; p++) {
    if ((p == tag || isspace((unsigned char)p[-1])) && memcmp(p, name, nl) == 0) {
      const char *q = p + nl;
      while (q < end && isspace((unsigned char)*q)) q++;
      if (q >= end || *q != '=') continue;
      q++;
      while (q < end && isspace((unsigned char)*q)) q++;
      if (q >= end || (*q != '"' && *q != '\'')) continue;
      char quote = *q++;
      size_t n = 0;
      while (q < end && *q != quote && n + 1 < size) out[n++] = *q++;
      out[n] = 0;
      return;
    }
  }
}

static const char *find_in(const char *p, const char *end, const char *needle) {
  size_t n = strlen(needle);
  for (; p + n <= end; p++)
    if (*p == *needle && memcmp(p, needle, n) == 0) return p;
  return NULL;
}

void dkd_manifest_parse(const char *xml, size_t len, dkd_manifest *m) {
  memset(m, 0, sizeof *m);
  const char *end = xml + len, *p = xml;
  while ((p = find_in(p, end, "<dependentAssembly")) != NULL && m->nassemblies < 16) {
    const char *close = find_in(p, end, "</dependentAssembly");
    const char *id = find_in(p, close ? close : end, "assemblyIdentity");
    if (!id) break;
    const char *tend = memchr(id, '>', (size_t)(end - id));
    if (!tend) break;
    attr(id, tend, "name", m->assembly[m->nassemblies].name, sizeof m->assembly[0].name);
    attr(id, tend, "version", m->assembly[m->nassemblies].version, sizeof m->assembly[0].version);
    attr(id, tend, "processorArchitecture", m->assembly[m->nassemblies].arch, sizeof m->assembly[0].arch);
    attr(id, tend, "publicKeyToken", m->assembly[m->nassemblies].token, sizeof m->assembly[0].token);
    attr(id, tend, "type", m->assembly[m->nassemblies].type, sizeof m->assembly[0].type);
    m->nassemblies++;
    p = tend;
  }
  const char *lvl = find_in(xml, end, "requestedExecutionLevel");
  if (lvl) {
    const char *tend = memchr(lvl, '>', (size_t)(end - lvl));
    if (tend) {
      attr(lvl, tend, "level", m->level, sizeof m->level);
      attr(lvl, tend, "uiAccess", m->ui_access, sizeof m->ui_access);
    }
  }
}

/* }=========== */

/* {=========== API-set schema (v2, v4, v6) */

int dkd_apiset_parse(const uint8_t *data, size_t size, dkd_apiset *as, char *err, size_t es) {
  memset(as, 0, sizeof *as);
  as->data = data;
  as->size = size;
  if (size < 8) return dk_fail(err, es, "API-set schema (offset 0): %zu bytes is too short for a header", size);
  as->version = dk_rd32le(data);
  if (as->version == 2) {
    as->count = dk_rd32le(data + 4);
    as->entry_off = 8;
    if ((uint64_t)as->count * 12 + 8 > size)
      return dk_fail(err, es, "API-set schema v2 (offset 4): Count %u runs past the end (%zu bytes)", as->count, size);
  } else if (as->version == 4) {
    if (size < 16) return dk_fail(err, es, "API-set schema v4: header truncated");
    as->flags = dk_rd32le(data + 8);
    as->count = dk_rd32le(data + 12);
    as->entry_off = 16;
    if ((uint64_t)as->count * 24 + 16 > size)
      return dk_fail(err, es, "API-set schema v4 (offset 12): Count %u runs past the end (%zu bytes)", as->count, size);
  } else if (as->version == 6) {
    if (size < 28) return dk_fail(err, es, "API-set schema v6: header truncated");
    as->flags = dk_rd32le(data + 8);
    as->count = dk_rd32le(data + 12);
    as->entry_off = dk_rd32le(data + 16);
    as->hash_off = dk_rd32le(data + 20);
    as->hash_factor = dk_rd32le(data + 24);
    if ((uint64_t)as->entry_off + (uint64_t)as->count * 24 > size)
      return dk_fail(err, es, "API-set schema v6 (offset 16): EntryOffset 0x%x with Count %u runs past the end (%zu bytes)",
                  as->entry_off, as->count, size);
    if ((uint64_t)as->hash_off + (uint64_t)as->count * 8 > size)
      return dk_fail(err, es, "API-set schema v6 (offset 20): HashOffset 0x%x with Count %u runs past the end (%zu bytes)",
                  as->hash_off, as->count, size);
  } else {
    return dk_fail(err, es, "API-set schema (offset 0): version %u is not 2, 4 or 6", as->version);
  }
  return 0;
}

/* A UTF-16LE string of len bytes at off, as ASCII (lower-cased when lower). */
static int u16str(const dkd_apiset *as, uint32_t off, uint32_t len, char *out, size_t size, int lower) {
  if (len % 2 || (uint64_t)off + len > as->size || len / 2 + 1 > size) return -1;
  for (uint32_t i = 0; i < len / 2; i++) {
    uint16_t c = dk_rd16le(as->data + off + 2 * i);
    char ch = c < 128 ? (char)c : '?';
    out[i] = lower ? (char)tolower((unsigned char)ch) : ch;
  }
  out[len / 2] = 0;
  return 0;
}

static int ci_prefix(const char *s, const char *p) {
  for (; *p; s++, p++)
    if (tolower((unsigned char)*s) != *p) return 0;
  return 1;
}

/* Value table of entry e: offset of the first value, count, value size, and
** the offsets inside a value of {name off, name len, value off, value len}. */
typedef struct vtab {
  uint32_t off, count, size, o_name, o_value;
} vtab;

static int entry_values(const dkd_apiset *as, uint32_t i, vtab *v) {
  if (as->version == 6) {
    size_t e = as->entry_off + 24ull * i;
    v->off = dk_rd32le(as->data + e + 16);
    v->count = dk_rd32le(as->data + e + 20);
    v->size = 20;
    v->o_name = 4;
    v->o_value = 12;
  } else if (as->version == 4) {
    size_t e = as->entry_off + 24ull * i;
    uint32_t d = dk_rd32le(as->data + e + 20);
    if ((uint64_t)d + 8 > as->size) return -1;
    v->count = dk_rd32le(as->data + d + 4);
    v->off = d + 8;
    v->size = 20;
    v->o_name = 4;
    v->o_value = 12;
  } else {
    size_t e = as->entry_off + 12ull * i;
    uint32_t d = dk_rd32le(as->data + e + 8);
    if ((uint64_t)d + 4 > as->size) return -1;
    v->count = dk_rd32le(as->data + d);
    v->off = d + 4;
    v->size = 16;
    v->o_name = 0;
    v->o_value = 8;
  }
  if ((uint64_t)v->off + (uint64_t)v->count * v->size > as->size) return -1;
  return 0;
}

static int entry_name(const dkd_apiset *as, uint32_t i, char *out, size_t size) {
  if (as->version == 6) {
    size_t e = as->entry_off + 24ull * i;
    return u16str(as, dk_rd32le(as->data + e + 4), dk_rd32le(as->data + e + 8), out, size, 1);
  } else if (as->version == 4) {
    size_t e = as->entry_off + 24ull * i;
    return u16str(as, dk_rd32le(as->data + e + 4), dk_rd32le(as->data + e + 8), out, size, 1);
  }
  size_t e = as->entry_off + 12ull * i;
  return u16str(as, dk_rd32le(as->data + e), dk_rd32le(as->data + e + 4), out, size, 1);
}

static int value_at(const dkd_apiset *as, const vtab *v, uint32_t k, char *name, size_t nsize, char *host,
                    size_t hsize) {
  size_t p = v->off + (size_t)k * v->size;
  if (name && u16str(as, dk_rd32le(as->data + p + v->o_name), dk_rd32le(as->data + p + v->o_name + 4), name, nsize, 1) != 0)
    return -1;
  if (host && u16str(as, dk_rd32le(as->data + p + v->o_value), dk_rd32le(as->data + p + v->o_value + 4), host, hsize, 1) != 0)
    return -1;
  return 0;
}

int dkd_apiset_entry(const dkd_apiset *as, uint32_t i, char *name, size_t name_size, char *host, size_t host_size,
                     uint32_t *nvalues) {
  if (i >= as->count) return -1;
  if (entry_name(as, i, name, name_size) != 0) return -1;
  vtab v;
  if (entry_values(as, i, &v) != 0) return -1;
  *nvalues = v.count;
  host[0] = 0;
  if (v.count > 0 && value_at(as, &v, 0, NULL, 0, host, host_size) != 0) return -1;
  return 0;
}

int dkd_apiset_resolve(const dkd_apiset *as, const char *name, const char *importer, char *host, size_t host_size,
                       char *contract, size_t contract_size) {
  size_t n = strlen(name);
  if (n < 4 || !(ci_prefix(name, "api-") || ci_prefix(name, "ext-"))) return DKD_APISET_NOT_PRESENT;
  char low[256];
  if (n >= sizeof low) return DKD_APISET_NOT_PRESENT;
  for (size_t i = 0; i <= n; i++) low[i] = (char)tolower((unsigned char)name[i]);
  if (n > 4 && strcmp(low + n - 4, ".dll") == 0) low[n -= 4] = 0;
  int32_t found = -1;
  char ename[512];
  if (as->version == 6) {
    /* Cut at the last hyphen; the hash covers that prefix. */
    char *dash = strrchr(low, '-');
    size_t hl = dash ? (size_t)(dash - low) : n;
    uint32_t h = 0;
    for (size_t i = 0; i < hl; i++) h = h * as->hash_factor + (uint8_t)low[i];
    uint32_t lo = 0, hi = as->count;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      size_t ho = as->hash_off + 8ull * mid;
      uint32_t mh = dk_rd32le(as->data + ho);
      if (h == mh) {
        uint32_t idx = dk_rd32le(as->data + ho + 4);
        if (idx >= as->count) return -1;
        size_t e = as->entry_off + 24ull * idx;
        uint32_t hashed = dk_rd32le(as->data + e + 12);
        if (u16str(as, dk_rd32le(as->data + e + 4), hashed, ename, sizeof ename, 1) != 0) return -1;
        if (strlen(ename) == hl && memcmp(ename, low, hl) == 0) found = (int32_t)idx;
        break;
      }
      if (h < mh) hi = mid;
      else lo = mid + 1;
    }
  } else {
    /* v2 / v4: the names are stored without the "api-" prefix (sorted);
    ** compare the whole name. */
    const char *key = low + 4;
    uint32_t lo = 0, hi = as->count;
    while (lo < hi) {
      uint32_t mid = lo + (hi - lo) / 2;
      if (entry_name(as, mid, ename, sizeof ename) != 0) return -1;
      const char *en = ename;
      if (ci_prefix(en, "api-") || ci_prefix(en, "ext-")) en += 4;
      int c = strcmp(key, en);
      if (c == 0) {
        found = (int32_t)mid;
        break;
      }
      if (c < 0) hi = mid;
      else lo = mid + 1;
    }
  }
  if (found < 0) return DKD_APISET_NOT_PRESENT;
  if (contract && contract_size) {
    if (entry_name(as, (uint32_t)found, contract, contract_size) != 0) return -1;
  }
  vtab v;
  if (entry_values(as, (uint32_t)found, &v) != 0) return -1;
  if (v.count == 0) return DKD_APISET_NOT_HOSTED;
  uint32_t pick = 0;
  if (v.count > 1 && importer) {
    char imp[256], vn[256];
    size_t il = strlen(importer);
    if (il < sizeof imp) {
      for (size_t i = 0; i <= il; i++) imp[i] = (char)tolower((unsigned char)importer[i]);
      for (uint32_t k = 1; k < v.count; k++) {
        if (value_at(as, &v, k, vn, sizeof vn, NULL, 0) != 0) return -1;
        if (strcmp(vn, imp) == 0) {
          pick = k;
          break;
        }
      }
    }
  }
  if (value_at(as, &v, pick, NULL, 0, host, host_size) != 0) return -1;
  if (host[0] == 0) return DKD_APISET_NOT_HOSTED;
  return DKD_APISET_HOST;
}

/* }=========== */
