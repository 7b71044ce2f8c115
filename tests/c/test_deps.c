/*
** deps core: PE, ELF, ld.so.cache, API-set schema and Go build-info parsers
** on hand-made minimal images (valid and malformed), real system files when
** present, and the resolver on PE files written to a temporary folder.
*/
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L /* mkdir */
#endif
#include "test_util.h"

#include "deps.h"

#ifdef _WIN32
#include <direct.h>
#define MKDIR(p) _mkdir(p)
#else
#include <sys/stat.h>
#define MKDIR(p) mkdir((p), 0755)
#endif

/* {=========== a minimal PE32+ builder */

#define PE_SIZE 0x600
#define SEC_OFF 0x200 /* file offset of the one section (RVA 0x1000) */
#define R(rva) (SEC_OFF + (rva) - 0x1000)

typedef struct pe_spec {
  uint16_t machine;
  const char *import_dll; /* NULL: no imports */
  const char *import_fn;
  int import_ordinal;     /* also import this ordinal when > 0 */
  const char *exp[2];     /* export names (sorted), may be NULL */
  const char *fwd[2];     /* forwarder of export i, or NULL */
  const char *exp_name;
} pe_spec;

static size_t build_pe(uint8_t *b, const pe_spec *s) {
  memset(b, 0, PE_SIZE);
  b[0] = 'M';
  b[1] = 'Z';
  tu_put32(b + 0x3c, 0x80);
  memcpy(b + 0x80, "PE\0\0", 4);
  uint8_t *coff = b + 0x84;
  tu_put16(coff, s->machine ? s->machine : 0x8664);
  tu_put16(coff + 2, 1);
  tu_put16(coff + 16, 0xf0);
  tu_put16(coff + 18, 0x2022);
  uint8_t *opt = b + 0x98;
  tu_put16(opt, 0x20b);
  tu_put64(opt + 24, 0x180000000ull);
  tu_put32(opt + 56, 0x2000);
  tu_put32(opt + 60, 0x200);
  tu_put16(opt + 68, 3);
  tu_put32(opt + 108, 16);
  uint8_t *dirs = opt + 112;
  uint8_t *sec = b + 0x188;
  memcpy(sec, ".data", 5);
  tu_put32(sec + 8, 0x400);
  tu_put32(sec + 12, 0x1000);
  tu_put32(sec + 16, 0x400);
  tu_put32(sec + 20, SEC_OFF);
  if (s->import_dll) {
    tu_put32(dirs + 8, 0x1000);
    tu_put32(dirs + 12, 40);
    tu_put32(b + R(0x1000), 0x1100);
    tu_put32(b + R(0x100c), 0x1180);
    tu_put32(b + R(0x1010), 0x1100);
    tu_put64(b + R(0x1100), 0x1140);
    if (s->import_ordinal > 0) tu_put64(b + R(0x1108), (1ull << 63) | (uint64_t)s->import_ordinal);
    strcpy((char *)b + R(0x1142), s->import_fn);
    strcpy((char *)b + R(0x1180), s->import_dll);
  }
  if (s->exp[0]) {
    tu_put32(dirs, 0x1200);
    tu_put32(dirs + 4, 0xb0);
    uint8_t *e = b + R(0x1200);
    tu_put32(e + 12, 0x12a0);
    tu_put32(e + 16, 1);
    tu_put32(e + 20, 3);
    tu_put32(e + 24, s->exp[1] ? 2 : 1);
    tu_put32(e + 28, 0x1240);
    tu_put32(e + 32, 0x1250);
    tu_put32(e + 36, 0x1260);
    for (int i = 0; i < 2 && s->exp[i]; i++) {
      uint32_t fwd_rva = i == 0 ? 0x1270 : 0x12c0;
      tu_put32(b + R(0x1240) + 4 * i, s->fwd[i] ? fwd_rva : 0x1000);
      if (s->fwd[i]) strcpy((char *)b + R(fwd_rva), s->fwd[i]);
      tu_put32(b + R(0x1250) + 4 * i, i == 0 ? 0x1280 : 0x1290);
      tu_put16(b + R(0x1260) + 2 * i, (uint16_t)i);
      strcpy((char *)b + R(i == 0 ? 0x1280 : 0x1290), s->exp[i]);
    }
    strcpy((char *)b + R(0x12a0), s->exp_name ? s->exp_name : "test.dll");
    tu_put32(dirs + 4, 0x100); /* the forwarder strings lie inside the export directory */
  }
  return PE_SIZE;
}

static const pe_spec BASIC = { 0, "foo.dll", "foo_fn", 5, { "alpha", "beta" }, { NULL, "NTDLL.Rtl" }, NULL };

static void test_pe_basic(void **state) {
  (void)state;
  uint8_t b[PE_SIZE];
  size_t n = build_pe(b, &BASIC);
  dkd_pe pe;
  char err[256];
  assert_int_equal(dkd_pe_parse(b, n, 0, &pe, err, sizeof err), 0);
  assert_int_equal(pe.machine, 0x8664);
  assert_int_equal(pe.magic, 0x20b);
  assert_int_equal(pe.subsystem, 3);
  assert_int_equal(pe.nimports, 1);
  assert_string_equal(pe.imports[0].dll, "foo.dll");
  assert_int_equal(pe.imports[0].count, 2);
  assert_string_equal(pe.fns[0].name, "foo_fn");
  assert_true(pe.fns[1].by_ordinal);
  assert_int_equal(pe.fns[1].ordinal, 5);
  assert_true(pe.has_exports);
  uint32_t rva;
  const char *fwd;
  assert_int_equal(dkd_pe_find_export(&pe, "alpha", 0, &rva, &fwd), 1);
  assert_int_equal(rva, 0x1000);
  assert_null(fwd);
  /* a wrong hint falls back to the binary search */
  assert_int_equal(dkd_pe_find_export(&pe, "beta", 0, &rva, &fwd), 1);
  assert_string_equal(fwd, "NTDLL.Rtl");
  assert_int_equal(dkd_pe_find_export(&pe, "gamma", 0, &rva, &fwd), 0);
  assert_int_equal(dkd_pe_find_export(&pe, "Alpha", 0, &rva, &fwd), 0); /* case matters */
  assert_int_equal(dkd_pe_find_ordinal(&pe, 1, &rva, &fwd), 1);
  assert_int_equal(dkd_pe_find_ordinal(&pe, 3, &rva, &fwd), 0); /* EAT slot 0 is empty */
  assert_int_equal(dkd_pe_find_ordinal(&pe, 9, &rva, &fwd), 0);
  assert_int_equal(dkd_pe_find_ordinal(&pe, 0, &rva, &fwd), 0);
  dkd_pe_free(&pe);
}

static void expect_pe_error(const uint8_t *b, size_t n, const char *needle) {
  dkd_pe pe;
  char err[256] = "";
  assert_int_equal(dkd_pe_parse(b, n, 0, &pe, err, sizeof err), -1);
  if (!strstr(err, needle)) fail_msg("error '%s' does not mention '%s'", err, needle);
}

static void test_pe_malformed(void **state) {
  (void)state;
  uint8_t b[PE_SIZE];
  build_pe(b, &BASIC);
  expect_pe_error(b, 10, "DOS header");
  uint8_t c[PE_SIZE];
  memcpy(c, b, PE_SIZE);
  tu_put32(c + 0x3c, 0xffffff00u);
  expect_pe_error(c, PE_SIZE, "e_lfanew");
  memcpy(c, b, PE_SIZE);
  c[0x80] = 'X';
  expect_pe_error(c, PE_SIZE, "signature");
  /* import descriptors that never end */
  memcpy(c, b, PE_SIZE);
  for (uint32_t rva = 0x1000; rva + 20 <= 0x1400; rva += 20) {
    if (rva >= 0x1100 && rva < 0x11c0) continue; /* keep the thunks and names */
    tu_put32(c + R(rva), 0x1100);
    tu_put32(c + R(rva) + 12, 0x1180);
    tu_put32(c + R(rva) + 16, 0x1100);
  }
  /* ... overwriting what lies in between: rebuild the thunk area */
  memset(c + R(0x10f0), 0, 0x10);
  tu_put64(c + R(0x1100), 0x1140);
  tu_put64(c + R(0x1108), 0);
  strcpy((char *)c + R(0x1142), "foo_fn");
  strcpy((char *)c + R(0x1180), "foo.dll");
  memset(c + R(0x1200), 0, 0x200);
  tu_put32(c + 0x98 + 112, 0);
  for (uint32_t rva = 0x11c0; rva + 20 <= 0x1400; rva += 20) {
    tu_put32(c + R(rva), 0x1100);
    tu_put32(c + R(rva) + 12, 0x1180);
    tu_put32(c + R(rva) + 16, 0x1100);
  }
  tu_put32(c + 0x98 + 112 + 8, 0x11c0);
  expect_pe_error(c, PE_SIZE, "no terminating null descriptor");
  /* an export count larger than the file */
  memcpy(c, b, PE_SIZE);
  tu_put32(c + R(0x1200) + 20, 0x10000000u);
  expect_pe_error(c, PE_SIZE, "NumberOfFunctions");
  memcpy(c, b, PE_SIZE);
  tu_put32(c + R(0x1200) + 28, 0x7fff0000u);
  expect_pe_error(c, PE_SIZE, "AddressOfFunctions");
  /* an import name outside the file */
  memcpy(c, b, PE_SIZE);
  tu_put32(c + R(0x100c), 0x9000);
  expect_pe_error(c, PE_SIZE, "Name RVA");
  /* a thunk array that runs off the section */
  memcpy(c, b, PE_SIZE);
  for (uint32_t rva = 0x1100; rva < 0x1400; rva += 8) tu_put64(c + R(rva), 0x8000000000000001ull);
  expect_pe_error(c, PE_SIZE, "no terminating null thunk");
  /* too many sections */
  memcpy(c, b, PE_SIZE);
  tu_put16(c + 0x86, 200);
  expect_pe_error(c, PE_SIZE, "NumberOfSections");
  /* every truncation fails cleanly or parses */
  for (size_t n = 0; n < PE_SIZE; n++) {
    dkd_pe pe;
    char err[256] = "";
    if (dkd_pe_parse(b, n, 0, &pe, err, sizeof err) == 0) dkd_pe_free(&pe);
    else assert_true(err[0] != 0);
  }
}

/* }=========== */

/* {=========== API-set schema v6 */

typedef struct as_builder {
  uint8_t b[4096];
  uint32_t top;
} as_builder;

static uint32_t as_str(as_builder *a, const char *s, uint32_t *len) {
  uint32_t off = a->top;
  size_t n = strlen(s);
  for (size_t i = 0; i < n; i++) tu_put16(a->b + off + 2 * i, (uint8_t)s[i]);
  *len = (uint32_t)(2 * n);
  a->top += (uint32_t)(2 * n + 2 + 3) & ~3u;
  return off;
}

static uint32_t hash31(const char *s, size_t n) {
  uint32_t h = 0;
  for (size_t i = 0; i < n; i++) h = h * 31 + (uint8_t)s[i];
  return h;
}

/* Three contracts: api-ms-win-test-l1-1 (default a.dll; b.dll for importer
** a.dll), ext-ms-win-empty-l1-1 (no host), api-ms-win-core-x-l2-1 (c.dll). */
static void build_apiset(as_builder *a) {
  memset(a, 0, sizeof *a);
  struct {
    const char *name;
    int nvalues;
    const char *imp[2], *host[2];
  } c[3] = {
    { "api-ms-win-core-x-l2-1-0", 1, { "", NULL }, { "c.dll", NULL } },
    { "api-ms-win-test-l1-1-0", 2, { "", "a.dll" }, { "a.dll", "b.dll" } },
    { "ext-ms-win-empty-l1-1-0", 0, { NULL, NULL }, { NULL, NULL } },
  };
  tu_put32(a->b, 6);
  tu_put32(a->b + 12, 3);
  tu_put32(a->b + 16, 28);           /* entries */
  tu_put32(a->b + 20, 28 + 3 * 24);  /* hash table */
  tu_put32(a->b + 24, 31);
  a->top = 28 + 3 * 24 + 3 * 8;
  struct hent {
    uint32_t h, idx;
  } hashes[3];
  for (int i = 0; i < 3; i++) {
    uint8_t *e = a->b + 28 + 24 * i;
    uint32_t len;
    uint32_t off = as_str(a, c[i].name, &len);
    size_t hl = strrchr(c[i].name, '-') - c[i].name;
    tu_put32(e + 4, off);
    tu_put32(e + 8, len);
    tu_put32(e + 12, (uint32_t)(2 * hl));
    hashes[i].h = hash31(c[i].name, hl);
    hashes[i].idx = (uint32_t)i;
    uint32_t vals = a->top;
    a->top += 20u * (uint32_t)c[i].nvalues;
    tu_put32(e + 16, vals);
    tu_put32(e + 20, (uint32_t)c[i].nvalues);
    for (int k = 0; k < c[i].nvalues; k++) {
      uint8_t *v = a->b + vals + 20 * k;
      uint32_t o1 = as_str(a, c[i].imp[k], &len);
      tu_put32(v + 4, o1);
      tu_put32(v + 8, len);
      uint32_t o2 = as_str(a, c[i].host[k], &len);
      tu_put32(v + 12, o2);
      tu_put32(v + 16, len);
    }
  }
  /* sort the hash table */
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (hashes[j].h < hashes[i].h) {
        struct hent t = hashes[i];
        hashes[i] = hashes[j];
        hashes[j] = t;
      }
  for (int i = 0; i < 3; i++) {
    tu_put32(a->b + 28 + 72 + 8 * i, hashes[i].h);
    tu_put32(a->b + 28 + 72 + 8 * i + 4, hashes[i].idx);
  }
  tu_put32(a->b + 4, a->top);
}

static void test_apiset(void **state) {
  (void)state;
  as_builder a;
  build_apiset(&a);
  dkd_apiset as;
  char err[256], host[64], contract[64];
  assert_int_equal(dkd_apiset_parse(a.b, a.top, &as, err, sizeof err), 0);
  assert_int_equal(as.count, 3);
  /* any minor version maps to the same entry; case does not matter */
  assert_int_equal(dkd_apiset_resolve(&as, "API-MS-Win-Test-L1-1-7.dll", "x.dll", host, sizeof host, contract,
                                      sizeof contract),
                   DKD_APISET_HOST);
  assert_string_equal(host, "a.dll");
  assert_string_equal(contract, "api-ms-win-test-l1-1-0");
  /* the importer-specific host */
  assert_int_equal(dkd_apiset_resolve(&as, "api-ms-win-test-l1-1-0", "A.DLL", host, sizeof host, NULL, 0),
                   DKD_APISET_HOST);
  assert_string_equal(host, "b.dll");
  assert_int_equal(dkd_apiset_resolve(&as, "ext-ms-win-empty-l1-1-0.dll", NULL, host, sizeof host, NULL, 0),
                   DKD_APISET_NOT_HOSTED);
  assert_int_equal(dkd_apiset_resolve(&as, "api-ms-win-core-x-l2-1-0.dll", NULL, host, sizeof host, NULL, 0),
                   DKD_APISET_HOST);
  assert_string_equal(host, "c.dll");
  assert_int_equal(dkd_apiset_resolve(&as, "api-ms-win-core-x-l3-1-0.dll", NULL, host, sizeof host, NULL, 0),
                   DKD_APISET_NOT_PRESENT);
  assert_int_equal(dkd_apiset_resolve(&as, "kernel32.dll", NULL, host, sizeof host, NULL, 0), DKD_APISET_NOT_PRESENT);
  /* counts larger than the data */
  tu_put32(a.b + 12, 100000);
  assert_int_equal(dkd_apiset_parse(a.b, a.top, &as, err, sizeof err), -1);
  assert_non_null(strstr(err, "Count"));
  tu_put32(a.b, 5);
  assert_int_equal(dkd_apiset_parse(a.b, a.top, &as, err, sizeof err), -1);
  assert_non_null(strstr(err, "version"));
}

/* }=========== */

/* {=========== ld.so.cache */

static void test_ldcache_formats(void **state) {
  (void)state;
  uint8_t b[512];
  memset(b, 0, sizeof b);
  /* old format: 2 entries, strings after them */
  memcpy(b, "ld.so-1.7.0", 11);
  tu_put32(b + 12, 2);
  size_t strings = 16 + 24;
  const char *s = "libfoo.so.1\0/lib/libfoo.so.1\0libbar.so\0/usr/lib/libbar.so";
  memcpy(b + strings, s, 58);
  tu_put32(b + 16, 0x0303);
  tu_put32(b + 20, 0);
  tu_put32(b + 24, 12);
  tu_put32(b + 28, 0x0003);
  tu_put32(b + 32, 29);
  tu_put32(b + 36, 39);
  dkd_ldcache c;
  char err[256];
  assert_int_equal(dkd_ldcache_parse(b, strings + 58, &c, err, sizeof err), 0);
  assert_int_equal(c.format, 0);
  assert_int_equal(c.n, 2);
  assert_string_equal(c.e[0].key, "libfoo.so.1");
  assert_string_equal(c.e[1].value, "/usr/lib/libbar.so");
  dkd_ldcache_free(&c);
  /* a string offset past the end */
  tu_put32(b + 36, 400);
  assert_int_equal(dkd_ldcache_parse(b, strings + 58, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "entry 1"));
  /* nlibs larger than the file */
  tu_put32(b + 12, 1000000);
  assert_int_equal(dkd_ldcache_parse(b, strings + 58, &c, err, sizeof err), -1);
  assert_non_null(strstr(err, "nlibs"));

  /* new format with one entry */
  memset(b, 0, sizeof b);
  memcpy(b, "glibc-ld.so.cache1.1", 20);
  tu_put32(b + 20, 1);
  b[28] = 2;
  size_t st = 48 + 24;
  memcpy(b + st, "libz.so.1\0/lib/x/libz.so.1", 27);
  tu_put32(b + 48, 0x0303);
  tu_put32(b + 52, (uint32_t)st);
  tu_put32(b + 56, (uint32_t)st + 10);
  assert_int_equal(dkd_ldcache_parse(b, st + 27, &c, err, sizeof err), 0);
  assert_int_equal(c.format, 1);
  assert_string_equal(c.e[0].key, "libz.so.1");
  assert_string_equal(c.e[0].value, "/lib/x/libz.so.1");
  assert_int_equal(c.e[0].flags, 0x0303);
  dkd_ldcache_free(&c);
  assert_int_equal(dkd_ldcache_flags_for(62, 2), 0x0303);
  assert_int_equal(dkd_ldcache_flags_for(3, 1), 0x0003);
  /* not a cache */
  assert_int_equal(dkd_ldcache_parse((const uint8_t *)"hello world, not a cache", 24, &c, err, sizeof err), -1);
}

/* A system file, or NULL when it cannot be read. */
static uint8_t *slurp(const char *path, size_t *n) {
  tu_blob b;
  tu_load(path, &b); /* p NULL and n 0 when it fails */
  *n = b.n;
  return b.p;
}

static void test_ldcache_system(void **state) {
  (void)state;
  size_t n;
  uint8_t *b = slurp("/etc/ld.so.cache", &n);
  if (!b) skip();
  dkd_ldcache c;
  char err[256];
  assert_int_equal(dkd_ldcache_parse(b, n, &c, err, sizeof err), 0);
  assert_true(c.n > 0);
  int libc = 0;
  for (uint32_t i = 0; i < c.n; i++)
    if (strcmp(c.e[i].key, "libc.so.6") == 0) libc = 1;
  assert_true(libc);
  dkd_ldcache_free(&c);
  /* every truncation is handled */
  for (size_t k = 0; k < n; k += 97) {
    if (dkd_ldcache_parse(b, k, &c, err, sizeof err) == 0) dkd_ldcache_free(&c);
  }
  free(b);
}

/* }=========== */

/* {=========== ELF */

static void test_elf_system(void **state) {
  (void)state;
  size_t n;
  const char *path = "/lib/x86_64-linux-gnu/libc.so.6";
  uint8_t *b = slurp(path, &n);
  if (!b) skip();
  dkd_elf e;
  char err[256];
  assert_int_equal(dkd_elf_parse(b, n, 0, &e, err, sizeof err), 0);
  assert_int_equal(e.cls, 2);
  assert_int_equal(e.machine, 62);
  assert_string_equal(e.soname, "libc.so.6");
  int has_234 = 0;
  for (uint32_t i = 0; i < e.nverdef; i++)
    if (e.verdef[i].name && strcmp(e.verdef[i].name, "GLIBC_2.34") == 0) has_234 = 1;
  assert_true(has_234);
  dkd_elf_sym *syms;
  uint32_t ns;
  assert_int_equal(dkd_elf_symbols(&e, &syms, &ns, err, sizeof err), 0);
  int printf_found = 0;
  for (uint32_t i = 0; i < ns; i++)
    if (strcmp(syms[i].name, "printf") == 0 && syms[i].shndx != 0) printf_found = 1;
  assert_true(printf_found);
  free(syms);
  dkd_elf_free(&e);
  /* deterministic corruption of the headers and dynamic data: never a crash */
  uint32_t x = 12345;
  uint8_t *c = malloc(n);
  assert_non_null(c);
  for (int round = 0; round < 300; round++) {
    memcpy(c, b, n);
    for (int k = 0; k < 8; k++) {
      x = x * 1103515245u + 12345u;
      size_t pos = (x >> 8) % (n < 65536 ? n : 65536);
      x = x * 1103515245u + 12345u;
      c[pos] = (uint8_t)(x >> 16);
    }
    if (dkd_elf_parse(c, n, 0, &e, err, sizeof err) == 0) {
      if (dkd_elf_symbols(&e, &syms, &ns, err, sizeof err) == 0) free(syms);
      dkd_elf_free(&e);
    } else {
      assert_true(err[0] != 0);
    }
  }
  for (size_t k = 0; k < 8192 && k < n; k += 61) {
    if (dkd_elf_parse(b, k, 0, &e, err, sizeof err) == 0) dkd_elf_free(&e);
  }
  free(c);
  free(b);
}

static void test_elf_malformed(void **state) {
  (void)state;
  uint8_t b[128];
  memset(b, 0, sizeof b);
  memcpy(b, "\177ELF", 4);
  b[4] = 2;
  b[5] = 1;
  dkd_elf e;
  char err[256];
  tu_put16(b + 18, 62);
  tu_put64(b + 32, 64);   /* e_phoff */
  tu_put16(b + 54, 56);   /* e_phentsize */
  tu_put16(b + 56, 1000); /* e_phnum larger than the file */
  assert_int_equal(dkd_elf_parse(b, sizeof b, 0, &e, err, sizeof err), -1);
  assert_non_null(strstr(err, "program headers"));
  b[4] = 7;
  assert_int_equal(dkd_elf_parse(b, sizeof b, 0, &e, err, sizeof err), -1);
  assert_non_null(strstr(err, "EI_CLASS"));
  b[4] = 2;
  tu_put16(b + 56, 1);
  /* PT_INTERP without a terminating NUL */
  tu_put32(b + 64, 3);
  tu_put64(b + 64 + 8, 120);
  tu_put64(b + 64 + 32, 8);
  memset(b + 120, 'x', 8);
  assert_int_equal(dkd_elf_parse(b, sizeof b, 0, &e, err, sizeof err), -1);
  assert_non_null(strstr(err, "PT_INTERP"));
}

/* }=========== */

/* {=========== Go build info */

static int read_va_buf(void *ud, uint64_t va, uint64_t len, const uint8_t **out) {
  const uint8_t *base = ud; /* va 0x1000 is base[0], 256 bytes */
  if (va < 0x1000 || va - 0x1000 > 256 || len > 256 - (va - 0x1000)) return -1;
  *out = base + (va - 0x1000);
  return 0;
}

static const char MODINFO[] = "0w\xaf\f\x92t\b\x02" "A\xe1\xc1\a\xe6\xd6\x18\xe6"
                              "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
                              "dep\tgolang.org/x/sys\tv0.1.0\th1:abc=\n=>\t../sys\t\t\n"
                              "build\tCGO_ENABLED=1\nbuild\t-ldflags=\"-H windowsgui\"\nbuild\tGOOS=windows\n"
                              "\xf9\x32\x43\x31\x86\x18\x20\x72\x00\x82\x42\x10\x41\x16\xd8\xf2";

static void check_modinfo(const dkd_gobuild *g) {
  assert_string_equal(g->go_version, "go1.21.0");
  assert_string_equal(g->path, "example.com/app");
  assert_string_equal(g->main.version, "(devel)");
  assert_int_equal(g->ndeps, 1);
  assert_string_equal(g->deps[0].path, "golang.org/x/sys");
  assert_string_equal(g->deps[0].version, "v0.1.0");
  assert_string_equal(g->deps[0].replace_path, "../sys");
  assert_int_equal(g->nsettings, 3);
  assert_string_equal(g->settings[1].key, "-ldflags");
  assert_string_equal(g->settings[1].value, "-H windowsgui");
}

static void test_gobuild(void **state) {
  (void)state;
  size_t ml = sizeof MODINFO - 1;
  /* inline form (Go >= 1.18) */
  uint8_t b[600];
  memset(b, 0xaa, sizeof b);
  memcpy(b + 16, "\xff Go buildinf:", 14);
  b[16 + 14] = 8;
  b[16 + 15] = 2;
  uint8_t *p = b + 16 + 32;
  *p++ = 8;
  memcpy(p, "go1.21.0", 8);
  p += 8;
  *p++ = (uint8_t)(ml | 0x80);
  *p++ = (uint8_t)(ml >> 7);
  memcpy(p, MODINFO, ml);
  dkd_gobuild g;
  char err[256];
  assert_int_equal(dkd_gobuild_parse(b, (size_t)(p - b) + ml, NULL, NULL, &g, err, sizeof err), 1);
  assert_true(g.inline_form);
  check_modinfo(&g);
  dkd_gobuild_free(&g);
  /* a length past the end */
  assert_int_equal(dkd_gobuild_parse(b, (size_t)(p - b) + 10, NULL, NULL, &g, err, sizeof err), -1);
  assert_non_null(strstr(err, "module info"));
  /* not Go */
  assert_int_equal(dkd_gobuild_parse((const uint8_t *)"just bytes, nothing here at all....", 35, NULL, NULL, &g, err,
                                     sizeof err),
                   0);

  /* pointer form (Go <= 1.17), little-endian 8-byte pointers */
  uint8_t mem[256];
  memset(mem, 0, sizeof mem);
  /* string headers at va 0x1000 (version) and 0x1010 (modinfo) */
  tu_put64(mem + 0, 0x1020);
  tu_put64(mem + 8, 8);
  tu_put64(mem + 16, 0x1028);
  tu_put64(mem + 24, ml);
  memcpy(mem + 0x20, "go1.21.0", 8);
  memcpy(mem + 0x28, MODINFO, ml);
  uint8_t h[64];
  memset(h, 0, sizeof h);
  memcpy(h, "\xff Go buildinf:", 14);
  h[14] = 8;
  h[15] = 0;
  tu_put64(h + 16, 0x1000);
  tu_put64(h + 24, 0x1010);
  assert_int_equal(dkd_gobuild_parse(h, sizeof h, read_va_buf, mem, &g, err, sizeof err), 1);
  assert_false(g.inline_form);
  check_modinfo(&g);
  dkd_gobuild_free(&g);
  /* a pointer outside the image */
  tu_put64(h + 24, 0x9000);
  assert_int_equal(dkd_gobuild_parse(h, sizeof h, read_va_buf, mem, &g, err, sizeof err), -1);
  assert_non_null(strstr(err, "module info pointer"));
}

/* }=========== */

/* {=========== the Windows resolver on files in a temporary folder */

static void write_file(const char *dir, const char *name, const uint8_t *b, size_t n) {
  char path[1024];
  tu_write_file(tu_join(path, sizeof path, dir, name), b, n);
}

/* Replaces w with a new walker (its folder listings are snapshots: it sees new
** files) and walks dir/name with it into *r. */
static dkd_walker *walk_fresh(dkd_walker *w, const dkd_walk_opts *o, const char *dir, const char *name, dkd_walk *r) {
  dkd_walker_free(w);
  char err[256], path[1024];
  w = dkd_walker_new(o, err, sizeof err);
  assert_non_null(w);
  assert_int_equal(dkd_walker_walk(w, tu_join(path, sizeof path, dir, name), r), 0);
  return w;
}

static const dkd_problem *find_problem(const dkd_walk *r, const char *kind) {
  for (int i = 0; i < r->nproblems; i++)
    if (strcmp(r->problems[i].kind, kind) == 0) return &r->problems[i];
  return NULL;
}

static void test_walk_pe(void **state) {
  (void)state;
  const char *dir = TU_BIN("test_deps_tmp");
  char sys[600], sys_d[700];
  tu_join(sys, sizeof sys, dir, "sys");
  MKDIR(dir); /* may exist from an earlier run: every file is rewritten */
  MKDIR(sys);
  remove(tu_join(sys_d, sizeof sys_d, sys, "d.dll"));
  uint8_t b[PE_SIZE];
  /* app.exe imports a.dll!f; a.dll forwards f to b.f, b forwards f to a.f: a loop */
  pe_spec app = { 0, "a.dll", "f", 0, { NULL, NULL }, { NULL, NULL }, NULL };
  write_file(dir, "app.exe", b, build_pe(b, &app));
  pe_spec a = { 0, NULL, NULL, 0, { "f", NULL }, { "b.f", NULL }, "a.dll" };
  write_file(dir, "A.DLL", b, build_pe(b, &a)); /* case differs: Windows names are case-insensitive */
  pe_spec bb = { 0, NULL, NULL, 0, { "f", NULL }, { "a.f", NULL }, "b.dll" };
  write_file(dir, "b.dll", b, build_pe(b, &bb));
  dkd_walk_opts o;
  memset(&o, 0, sizeof o);
  o.sysroot = sys;
  dkd_walk r;
  dkd_walker *w = walk_fresh(NULL, &o, dir, "app.exe", &r);
  assert_null(r.error);
  assert_int_equal(r.format, DKD_FMT_PE);
  assert_non_null(find_problem(&r, "forwarder-loop"));
  assert_null(find_problem(&r, "dll-not-found"));
  dkd_walk_free(&r);

  /* a missing export and an ordinal beyond the table */
  pe_spec app2 = { 0, "c.dll", "missing_fn", 7, { NULL, NULL }, { NULL, NULL }, NULL };
  write_file(dir, "app2.exe", b, build_pe(b, &app2));
  pe_spec cdll = { 0, NULL, NULL, 0, { "present", NULL }, { NULL, NULL }, "c.dll" };
  write_file(dir, "c.dll", b, build_pe(b, &cdll));
  w = walk_fresh(w, &o, dir, "app2.exe", &r);
  const dkd_problem *p = find_problem(&r, "entry-point-not-found");
  assert_non_null(p);
  assert_int_equal(p->code, 0xC0000139u);
  assert_string_equal(p->symbol, "missing_fn");
  p = find_problem(&r, "ordinal-not-found");
  assert_non_null(p);
  assert_int_equal(p->code, 0xC0000138u);
  assert_string_equal(p->symbol, "#7");
  dkd_walk_free(&r);

  /* a wrong-machine DLL found first: 0xC000007B, the search stops there */
  pe_spec app3 = { 0, "d.dll", "g", 0, { NULL, NULL }, { NULL, NULL }, NULL };
  write_file(dir, "app3.exe", b, build_pe(b, &app3));
  pe_spec d32 = { 0x14c, NULL, NULL, 0, { "g", NULL }, { NULL, NULL }, "d.dll" };
  write_file(dir, "d.dll", b, build_pe(b, &d32));
  pe_spec d64 = { 0, NULL, NULL, 0, { "g", NULL }, { NULL, NULL }, "d.dll" };
  write_file(sys, "d.dll", b, build_pe(b, &d64));
  w = walk_fresh(w, &o, dir, "app3.exe", &r);
  p = find_problem(&r, "wrong-machine");
  assert_non_null(p);
  assert_int_equal(p->code, 0xC000007Bu);
  assert_non_null(strstr(p->detail, "sys/d.dll")); /* the matching copy later in the order */
  dkd_walk_free(&r);

  /* a root that is not an image */
  write_file(dir, "junk.exe", (const uint8_t *)"hello", 5);
  w = walk_fresh(w, &o, dir, "junk.exe", &r);
  assert_non_null(r.error);
  assert_string_equal(r.error_code, "DK_BAD_FORMAT");
  dkd_walk_free(&r);
  char app_path[700];
  assert_int_equal(dkd_walker_walk(w, tu_join(app_path, sizeof app_path, dir, "nothing.exe"), &r), 0);
  assert_string_equal(r.error_code, "ENOENT");
  dkd_walk_free(&r);
  dkd_walker_free(w);
}

/* }=========== */

TU_MAIN(test_pe_basic, test_pe_malformed, test_apiset, test_ldcache_formats, test_ldcache_system,
    test_elf_system, test_elf_malformed, test_gobuild, test_walk_pe)
