/*
** ELF32/ELF64 parser (both byte orders): header, program headers, PT_INTERP,
** the dynamic section (DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH, DT_FLAGS_1),
** symbol version needs and definitions, and the dynamic symbols. Addresses
** are mapped through PT_LOAD segments; every offset and count is checked.
*/
#include "deps.h"
#include "dk_bytes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads in the file's byte order (EI_DATA 2: big-endian). */
static uint16_t r16(const dkd_elf *e, size_t off) {
  return e->endian == 2 ? dk_rd16be(e->data + off) : dk_rd16le(e->data + off);
}
static uint32_t r32(const dkd_elf *e, size_t off) {
  return e->endian == 2 ? dk_rd32be(e->data + off) : dk_rd32le(e->data + off);
}
static uint64_t r64(const dkd_elf *e, size_t off) {
  return e->endian == 2 ? dk_rd64be(e->data + off) : dk_rd64le(e->data + off);
}
/* An address-sized word. */
static uint64_t rw(const dkd_elf *e, size_t off) { return e->cls == 2 ? r64(e, off) : r32(e, off); }

const char *dkd_elf_machine_name(uint16_t machine, char buf[12]) {
  switch (machine) {
    case 3: return "i386";
    case 62: return "x86-64";
    case 40: return "arm";
    case 183: return "aarch64";
    case 8: return "mips";
    case 20: return "ppc";
    case 21: return "ppc64";
    case 22: return "s390";
    case 243: return "riscv";
    case 2: return "sparc";
    case 43: return "sparcv9";
    case 258: return "loongarch";
    default: snprintf(buf, 12, "%u", machine); return buf;
  }
}

int dkd_elf_vaddr_to_off(const dkd_elf *e, uint64_t va, uint64_t len, size_t *off) {
  for (uint32_t i = 0; i < e->nloads; i++) {
    const dkd_elf_load *l = &e->loads[i];
    if (va >= l->vaddr && va - l->vaddr <= l->filesz && len <= l->filesz - (va - l->vaddr)) {
      uint64_t o = l->offset + (va - l->vaddr);
      if (o > e->size || len > e->size - o) return -1;
      *off = (size_t)o;
      return 0;
    }
  }
  return -1;
}

int dkd_elf_read_va(void *ud, uint64_t va, uint64_t len, const uint8_t **out) {
  const dkd_elf *e = ud;
  size_t off;
  if (dkd_elf_vaddr_to_off(e, va, len, &off) != 0) return -1;
  *out = e->data + off;
  return 0;
}

/* A string of the dynamic string table, or NULL. */
static const char *dstr(const dkd_elf *e, uint64_t idx) {
  if (idx >= e->strsz) return NULL;
  const uint8_t *p = e->data + e->strtab_off + idx;
  if (!memchr(p, 0, (size_t)(e->strsz - idx))) return NULL;
  return (const char *)p;
}

enum {
  DT_NULL = 0, DT_NEEDED = 1, DT_HASH = 4, DT_STRTAB = 5, DT_SYMTAB = 6, DT_STRSZ = 10, DT_SYMENT = 11,
  DT_SONAME = 14, DT_RPATH = 15, DT_RUNPATH = 29, DT_FLAGS = 30
};
#define DT_GNU_HASH 0x6ffffef5ull
#define DT_VERSYM 0x6ffffff0ull
#define DT_FLAGS_1 0x6ffffffbull
#define DT_VERDEF 0x6ffffffcull
#define DT_VERDEFNUM 0x6ffffffdull
#define DT_VERNEED 0x6ffffffeull
#define DT_VERNEEDNUM 0x6fffffffull

static int parse_versions(dkd_elf *e, uint64_t verneed, uint64_t nneed, int have_nneed, uint64_t verdef,
                          uint64_t ndef, int have_ndef, char *err, size_t es) {
  if (verneed) {
    size_t off;
    if (dkd_elf_vaddr_to_off(e, verneed, 16, &off) != 0)
      return dk_fail(err, es, "dynamic section: DT_VERNEED 0x%llx is not in the file", (unsigned long long)verneed);
    uint64_t limit = have_nneed ? nneed : 4096;
    if (limit > 4096) return dk_fail(err, es, "dynamic section: DT_VERNEEDNUM %llu is too large", (unsigned long long)nneed);
    uint32_t ncap = 0, acap = 0;
    size_t cur = off;
    for (uint64_t i = 0; i < limit; i++) {
      if (cur > e->size || e->size - cur < 16)
        return dk_fail(err, es, "version needs: entry %llu at offset 0x%zx runs past the end of the file",
                    (unsigned long long)i, cur);
      uint16_t cnt = r16(e, cur + 2);
      uint32_t file = r32(e, cur + 4), aux = r32(e, cur + 8), next = r32(e, cur + 12);
      if (e->nverneed == ncap) {
        ncap = ncap ? ncap * 2 : 8;
        dkd_elf_verneed *n = realloc(e->verneed, ncap * sizeof *n);
        if (!n) return dk_fail(err, es, "out of memory");
        e->verneed = n;
      }
      dkd_elf_verneed *vn = &e->verneed[e->nverneed];
      vn->file = dstr(e, file);
      if (!vn->file)
        return dk_fail(err, es, "version needs: entry %llu (offset 0x%zx): vn_file %u is outside the string table",
                    (unsigned long long)i, cur, file);
      vn->first = e->nvernaux;
      size_t a = cur + aux;
      for (uint32_t k = 0; k < cnt; k++) {
        if (a < cur || a > e->size || e->size - a < 16)
          return dk_fail(err, es, "version needs: aux %u of entry %llu (offset 0x%zx) is outside the file", k,
                      (unsigned long long)i, a);
        if (e->nvernaux >= 65536) return dk_fail(err, es, "version needs: more than 65536 entries");
        if (e->nvernaux == acap) {
          acap = acap ? acap * 2 : 16;
          dkd_elf_vernaux *n = realloc(e->vernaux, acap * sizeof *n);
          if (!n) return dk_fail(err, es, "out of memory");
          e->vernaux = n;
        }
        dkd_elf_vernaux *va = &e->vernaux[e->nvernaux++];
        va->hash = r32(e, a);
        va->flags = r16(e, a + 4);
        va->other = r16(e, a + 6);
        uint32_t nm = r32(e, a + 8), an = r32(e, a + 12);
        va->name = dstr(e, nm);
        if (!va->name)
          return dk_fail(err, es, "version needs: aux at offset 0x%zx: vna_name %u is outside the string table", a, nm);
        if (an == 0) break;
        a += an;
      }
      vn->count = e->nvernaux - vn->first;
      e->nverneed++;
      if (next == 0) break;
      cur += next;
    }
  }
  if (verdef) {
    size_t off;
    if (dkd_elf_vaddr_to_off(e, verdef, 20, &off) != 0)
      return dk_fail(err, es, "dynamic section: DT_VERDEF 0x%llx is not in the file", (unsigned long long)verdef);
    uint64_t limit = have_ndef ? ndef : 65536;
    if (limit > 65536) return dk_fail(err, es, "dynamic section: DT_VERDEFNUM %llu is too large", (unsigned long long)ndef);
    uint32_t cap = 0;
    size_t cur = off;
    for (uint64_t i = 0; i < limit; i++) {
      if (cur > e->size || e->size - cur < 20)
        return dk_fail(err, es, "version definitions: entry %llu at offset 0x%zx runs past the end of the file",
                    (unsigned long long)i, cur);
      if (e->nverdef == cap) {
        cap = cap ? cap * 2 : 16;
        dkd_elf_verdef *n = realloc(e->verdef, cap * sizeof *n);
        if (!n) return dk_fail(err, es, "out of memory");
        e->verdef = n;
      }
      dkd_elf_verdef *vd = &e->verdef[e->nverdef];
      vd->flags = r16(e, cur + 2);
      vd->ndx = r16(e, cur + 4);
      uint16_t cnt = r16(e, cur + 6);
      vd->hash = r32(e, cur + 8);
      uint32_t aux = r32(e, cur + 12), next = r32(e, cur + 16);
      vd->name = NULL;
      if (cnt > 0) {
        size_t a = cur + aux;
        if (a < cur || a > e->size || e->size - a < 8)
          return dk_fail(err, es, "version definitions: entry %llu (offset 0x%zx): vd_aux is outside the file",
                      (unsigned long long)i, cur);
        uint32_t nm = r32(e, a);
        vd->name = dstr(e, nm);
        if (!vd->name)
          return dk_fail(err, es, "version definitions: aux at offset 0x%zx: vda_name %u is outside the string table", a,
                      nm);
      }
      e->nverdef++;
      if (next == 0) break;
      cur += next;
    }
  }
  return 0;
}

/* The number of dynamic symbols: from the DT_HASH chain count or the
** DT_GNU_HASH buckets and chains. */
static int count_symbols(dkd_elf *e, uint64_t hash, uint64_t gnu_hash) {
  size_t off;
  if (hash && dkd_elf_vaddr_to_off(e, hash, 8, &off) == 0) {
    e->nsyms = r32(e, off + 4);
    return 0;
  }
  if (!gnu_hash || dkd_elf_vaddr_to_off(e, gnu_hash, 16, &off) != 0) return -1;
  uint32_t nb = r32(e, off), symoff = r32(e, off + 4), bloom = r32(e, off + 8);
  uint64_t wsz = e->cls == 2 ? 8 : 4;
  uint64_t boff = off + 16 + (uint64_t)bloom * wsz;
  if (boff > e->size || (uint64_t)nb * 4 > e->size - boff) return -1;
  uint32_t maxsym = 0;
  for (uint32_t i = 0; i < nb; i++) {
    uint32_t b = r32(e, (size_t)(boff + 4ull * i));
    if (b > maxsym) maxsym = b;
  }
  if (maxsym < symoff) {
    e->nsyms = symoff;
    return 0;
  }
  uint64_t coff = boff + 4ull * nb;
  for (uint64_t i = maxsym;; i++) {
    uint64_t p = coff + 4ull * (i - symoff);
    if (p + 4 > e->size) return -1;
    if (r32(e, (size_t)p) & 1) {
      e->nsyms = i + 1;
      return 0;
    }
  }
}

int dkd_elf_parse(const uint8_t *data, size_t size, unsigned flags, dkd_elf *e, char *err, size_t es) {
  memset(e, 0, sizeof *e);
  e->data = data;
  e->size = size;
  if (es) err[0] = 0;
  if (size < 16 || memcmp(data, "\177ELF", 4) != 0) return dk_fail(err, es, "ELF header (offset 0): no \\177ELF magic");
  e->cls = data[4];
  e->endian = data[5];
  e->osabi = data[7];
  e->abiversion = data[8];
  if (e->cls != 1 && e->cls != 2) return dk_fail(err, es, "ELF header (offset 4): EI_CLASS %u is not 1 or 2", e->cls);
  if (e->endian != 1 && e->endian != 2)
    return dk_fail(err, es, "ELF header (offset 5): EI_DATA %u is not 1 (LSB) or 2 (MSB)", e->endian);
  size_t ehsize = e->cls == 2 ? 64 : 52;
  if (size < ehsize) return dk_fail(err, es, "ELF header (offset 0): file of %zu bytes is shorter than the header", size);
  e->type = r16(e, 16);
  e->machine = r16(e, 18);
  e->entry = rw(e, 24);
  uint64_t phoff, shoff;
  uint16_t phentsize, phnum, shentsize, shnum;
  if (e->cls == 2) {
    phoff = r64(e, 32);
    shoff = r64(e, 40);
    e->eflags = r32(e, 48);
    phentsize = r16(e, 54);
    phnum = r16(e, 56);
    shentsize = r16(e, 58);
    shnum = r16(e, 60);
  } else {
    phoff = r32(e, 28);
    shoff = r32(e, 32);
    e->eflags = r32(e, 36);
    phentsize = r16(e, 42);
    phnum = r16(e, 44);
    shentsize = r16(e, 46);
    shnum = r16(e, 48);
  }
  (void)shnum;
  if (flags & DKD_ELF_HEADERS) return 0;
  uint32_t nph = phnum;
  if (phnum == 0xffff) { /* PN_XNUM: the count is in section 0's sh_info */
    size_t need = e->cls == 2 ? 64 : 40;
    if (shoff == 0 || shoff > size || size - shoff < need || shentsize < need)
      return dk_fail(err, es, "ELF header: e_phnum is PN_XNUM but section 0 (offset 0x%llx) is not in the file",
                  (unsigned long long)shoff);
    nph = r32(e, (size_t)shoff + (e->cls == 2 ? 44 : 28));
  }
  size_t phmin = e->cls == 2 ? 56 : 32;
  if (nph > DKD_ELF_MAX_PHDRS)
    return dk_fail(err, es, "ELF header (offset 0x%x): e_phnum %u is too large", e->cls == 2 ? 56 : 44, nph);
  if (nph && phentsize < phmin)
    return dk_fail(err, es, "ELF header (offset 0x%x): e_phentsize %u is smaller than a program header", e->cls == 2 ? 54 : 42,
                phentsize);
  if (nph && (phoff > size || (uint64_t)nph * phentsize > size - phoff))
    return dk_fail(err, es, "program headers (offset 0x%llx): %u entries run past the end of the file",
                (unsigned long long)phoff, nph);
  uint64_t dyn_off = 0, dyn_size = 0;
  int have_dyn = 0;
  uint32_t lcap = 0;
  for (uint32_t i = 0; i < nph; i++) {
    size_t p = (size_t)(phoff + (uint64_t)i * phentsize);
    uint32_t type = r32(e, p);
    uint64_t off, va, filesz, memsz;
    if (e->cls == 2) {
      off = r64(e, p + 8);
      va = r64(e, p + 16);
      filesz = r64(e, p + 32);
      memsz = r64(e, p + 40);
    } else {
      off = r32(e, p + 4);
      va = r32(e, p + 8);
      filesz = r32(e, p + 16);
      memsz = r32(e, p + 20);
    }
    if (type == 1) { /* PT_LOAD */
      if (e->nloads == lcap) {
        lcap = lcap ? lcap * 2 : 8;
        dkd_elf_load *n = realloc(e->loads, lcap * sizeof *n);
        if (!n) {
          dkd_elf_free(e);
          return dk_fail(err, es, "out of memory");
        }
        e->loads = n;
      }
      dkd_elf_load *l = &e->loads[e->nloads++];
      l->vaddr = va;
      l->memsz = memsz;
      l->offset = off;
      l->filesz = filesz;
      /* Bytes past the end of the file are not there. */
      if (off > size) l->filesz = 0;
      else if (filesz > size - off) l->filesz = size - off;
    } else if (type == 2) { /* PT_DYNAMIC */
      if (off > size || filesz > size - off) {
        dkd_elf_free(e);
        return dk_fail(err, es, "program header %u (offset 0x%zx): PT_DYNAMIC at 0x%llx size %llu is outside the file", i,
                    p, (unsigned long long)off, (unsigned long long)filesz);
      }
      dyn_off = off;
      dyn_size = filesz;
      have_dyn = 1;
    } else if (type == 3) { /* PT_INTERP */
      if (off > size || filesz > size - off || filesz == 0 || !memchr(data + off, 0, (size_t)filesz)) {
        dkd_elf_free(e);
        return dk_fail(err, es, "program header %u (offset 0x%zx): PT_INTERP at 0x%llx is not a terminated string in the file",
                    i, p, (unsigned long long)off);
      }
      e->interp = (const char *)data + off;
    }
  }
  if (!have_dyn) return 0;
  e->has_dynamic = 1;
  size_t dsz = e->cls == 2 ? 16 : 8;
  uint64_t n = dyn_size / dsz;
  if (n > DKD_ELF_MAX_DYN) n = DKD_ELF_MAX_DYN;
  uint64_t strtab = 0, strsz = 0, symtab = 0, hash = 0, gnu_hash = 0, versym = 0;
  uint64_t verneed = 0, nneed = 0, verdef = 0, ndef = 0;
  int have_nneed = 0, have_ndef = 0, have_strtab = 0;
  uint32_t nneeded = 0;
  uint64_t ndyn = 0;
  for (uint64_t i = 0; i < n; i++) {
    size_t p = (size_t)(dyn_off + i * dsz);
    uint64_t tag = rw(e, p), val = rw(e, p + dsz / 2);
    if (tag == DT_NULL) break;
    ndyn++;
    switch (tag) {
      case DT_NEEDED: nneeded++; break;
      case DT_STRTAB: strtab = val; have_strtab = 1; break;
      case DT_STRSZ: strsz = val; break;
      case DT_SYMTAB: symtab = val; break;
      case DT_HASH: hash = val; break;
      case DT_GNU_HASH: gnu_hash = val; break;
      case DT_VERSYM: versym = val; break;
      case DT_VERNEED: verneed = val; break;
      case DT_VERNEEDNUM: nneed = val; have_nneed = 1; break;
      case DT_VERDEF: verdef = val; break;
      case DT_VERDEFNUM: ndef = val; have_ndef = 1; break;
      case DT_FLAGS: e->flags = val; break;
      case DT_FLAGS_1: e->flags_1 = val; break;
      default: break;
    }
  }
  if (have_strtab) {
    size_t off;
    /* Clamp the table to what the file holds. */
    if (dkd_elf_vaddr_to_off(e, strtab, 1, &off) != 0) {
      dkd_elf_free(e);
      return dk_fail(err, es, "dynamic section (offset 0x%llx): DT_STRTAB 0x%llx is not in the file",
                  (unsigned long long)dyn_off, (unsigned long long)strtab);
    }
    e->strtab_off = off;
    e->strsz = strsz;
    if (e->strsz > size - off) e->strsz = size - off;
  } else if (nneeded) {
    dkd_elf_free(e);
    return dk_fail(err, es, "dynamic section (offset 0x%llx): DT_NEEDED entries but no DT_STRTAB",
                (unsigned long long)dyn_off);
  }
  if (nneeded) {
    e->needed = malloc(nneeded * sizeof *e->needed);
    if (!e->needed) {
      dkd_elf_free(e);
      return dk_fail(err, es, "out of memory");
    }
  }
  for (uint64_t i = 0; i < ndyn; i++) {
    size_t p = (size_t)(dyn_off + i * dsz);
    uint64_t tag = rw(e, p), val = rw(e, p + dsz / 2);
    const char **slot = NULL;
    const char *what = NULL;
    switch (tag) {
      case DT_NEEDED: slot = &e->needed[e->nneeded]; what = "DT_NEEDED"; break;
      case DT_SONAME: slot = &e->soname; what = "DT_SONAME"; break;
      case DT_RPATH: slot = &e->rpath; what = "DT_RPATH"; break;
      case DT_RUNPATH: slot = &e->runpath; what = "DT_RUNPATH"; break;
      default: break;
    }
    if (!slot) continue;
    const char *s = have_strtab ? dstr(e, val) : NULL;
    if (!s) {
      dkd_elf_free(e);
      return dk_fail(err, es, "dynamic entry %llu (offset 0x%zx): %s string %llu is outside the string table",
                  (unsigned long long)i, p, what, (unsigned long long)val);
    }
    *slot = s;
    if (tag == DT_NEEDED) e->nneeded++;
  }
  if (parse_versions(e, verneed, nneed, have_nneed, verdef, ndef, have_ndef, err, es) != 0) {
    dkd_elf_free(e);
    return -1;
  }
  if (symtab) {
    size_t off;
    if (dkd_elf_vaddr_to_off(e, symtab, 1, &off) == 0 && count_symbols(e, hash, gnu_hash) == 0) {
      e->symtab_off = off;
      size_t vo;
      if (versym && dkd_elf_vaddr_to_off(e, versym, 2, &vo) == 0) {
        e->versym_off = vo;
        e->has_versym = 1;
      }
    } else {
      e->nsyms = 0;
    }
  }
  return 0;
}

int dkd_elf_symbols(const dkd_elf *e, dkd_elf_sym **out, uint32_t *n, char *err, size_t es) {
  *out = NULL;
  *n = 0;
  if (e->nsyms == 0) return 0;
  size_t ent = e->cls == 2 ? 24 : 16;
  if (e->symtab_off > e->size || e->nsyms > (e->size - e->symtab_off) / ent)
    return dk_fail(err, es, "dynamic symbols (offset 0x%zx): %llu symbols run past the end of the file", e->symtab_off,
                (unsigned long long)e->nsyms);
  uint64_t count = e->nsyms;
  if (e->has_versym && (e->versym_off > e->size || count > (e->size - e->versym_off) / 2))
    return dk_fail(err, es, "symbol versions (offset 0x%zx): %llu entries run past the end of the file", e->versym_off,
                (unsigned long long)count);
  dkd_elf_sym *s = malloc((size_t)count * sizeof *s);
  if (!s) return dk_fail(err, es, "out of memory");
  for (uint64_t i = 0; i < count; i++) {
    size_t p = e->symtab_off + (size_t)i * ent;
    uint32_t name = r32(e, p);
    uint8_t info = e->cls == 2 ? e->data[p + 4] : e->data[p + 12];
    s[i].shndx = e->cls == 2 ? r16(e, p + 6) : r16(e, p + 14);
    s[i].bind = info >> 4;
    s[i].type = info & 0xf;
    s[i].name = dstr(e, name);
    if (!s[i].name) s[i].name = "";
    s[i].version = 0;
    s[i].hidden = 0;
    if (e->has_versym) {
      uint16_t v = r16(e, e->versym_off + 2 * (size_t)i);
      s[i].version = v & 0x7fff;
      s[i].hidden = (v & 0x8000) != 0;
    }
  }
  *out = s;
  *n = (uint32_t)count;
  return 0;
}

void dkd_elf_free(dkd_elf *e) {
  free(e->needed);
  free(e->verneed);
  free(e->vernaux);
  free(e->verdef);
  free(e->loads);
  e->needed = NULL;
  e->verneed = NULL;
  e->vernaux = NULL;
  e->verdef = NULL;
  e->loads = NULL;
  e->nneeded = e->nverneed = e->nvernaux = e->nverdef = e->nloads = 0;
}
