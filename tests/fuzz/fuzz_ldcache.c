/* libFuzzer: /etc/ld.so.cache in the old, new and combined formats. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dkd_ldcache c;
  char err[256];
  if (dkd_ldcache_parse(data, size, &c, err, sizeof err) != 0) return 0;
  size_t total = 0;
  for (uint32_t i = 0; i < c.n; i++) total += strlen(c.e[i].key) + strlen(c.e[i].value) + (c.e[i].hwcaps ? 1 : 0);
  (void)total;
  dkd_ldcache_free(&c);
  return 0;
}
