/* libFuzzer: ELF files. Parse, read the dynamic symbols, the Go build info,
   and map a few virtual addresses. */
#include <stdint.h>
#include <stdlib.h>

#include "deps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dkd_elf e;
  char err[256];
  if (dkd_elf_parse(data, size, 0, &e, err, sizeof err) != 0) return 0;
  dkd_elf_sym *syms;
  uint32_t n;
  if (dkd_elf_symbols(&e, &syms, &n, err, sizeof err) == 0) free(syms);
  size_t off;
  dkd_elf_vaddr_to_off(&e, e.entry, 16, &off);
  dkd_gobuild g;
  if (dkd_gobuild_parse(data, size, dkd_elf_read_va, &e, &g, err, sizeof err) == 1) dkd_gobuild_free(&g);
  dkd_elf_free(&e);
  return 0;
}
