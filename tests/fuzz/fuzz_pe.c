/* libFuzzer: PE images. Parse, look every import up in the file's own
   exports (by name and ordinal), enumerate the exports, read the manifest,
   the API-set schema and the Go build info. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dkd_pe pe;
  char err[256];
  if (dkd_pe_parse(data, size, 0, &pe, err, sizeof err) != 0) return 0;
  for (uint32_t i = 0; i < pe.nfns; i++) {
    uint32_t rva;
    const char *fwd;
    if (pe.fns[i].by_ordinal) dkd_pe_find_ordinal(&pe, pe.fns[i].ordinal, &rva, &fwd);
    else dkd_pe_find_export(&pe, pe.fns[i].name, pe.fns[i].hint, &rva, &fwd);
  }
  for (uint32_t i = 0; i < pe.exp_nnames && i < 4096; i++) {
    const char *name, *fwd;
    uint32_t ord, rva;
    if (dkd_pe_export_name(&pe, i, &name, &ord)) {
      dkd_pe_find_export(&pe, name, (uint16_t)i, &rva, &fwd);
      dkd_pe_export_ordinal(&pe, ord, &rva, &fwd);
    }
  }
  if (pe.manifest) {
    dkd_manifest m;
    dkd_manifest_parse(pe.manifest, pe.manifest_len, &m);
  }
  if (pe.apiset_size) {
    dkd_apiset as;
    if (dkd_apiset_parse(data + pe.apiset_off, pe.apiset_size, &as, err, sizeof err) == 0) {
      char name[512], host[256];
      uint32_t nv;
      for (uint32_t i = 0; i < as.count && i < 1024; i++) dkd_apiset_entry(&as, i, name, sizeof name, host, sizeof host, &nv);
      dkd_apiset_resolve(&as, "api-ms-win-core-synch-l1-2-0.dll", "kernel32.dll", host, sizeof host, name, sizeof name);
    }
  }
  dkd_gobuild g;
  if (dkd_gobuild_parse(data, size, dkd_pe_read_va, &pe, &g, err, sizeof err) == 1) dkd_gobuild_free(&g);
  dkd_pe_free(&pe);
  /* the same bytes as a bare API-set schema */
  dkd_apiset as;
  if (dkd_apiset_parse(data, size, &as, err, sizeof err) == 0) {
    char host[256], contract[256];
    dkd_apiset_resolve(&as, "api-ms-win-crt-runtime-l1-1-0.dll", "a.dll", host, sizeof host, contract, sizeof contract);
    dkd_apiset_resolve(&as, "ext-ms-win-x-l1-1-0", NULL, host, sizeof host, contract, sizeof contract);
  }
  return 0;
}
