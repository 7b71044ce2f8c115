/*
** libFuzzer target for diagkit.log's gzip reader: any bytes must inflate or
** fail with a message, never crash, hang or leak, and a success must hold
** no more than the cap.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A dk_filebuf the way dk_file makes one for a pipe: an owned copy. */
  dk_filebuf m;
  memset(&m, 0, sizeof m);
  char *copy = malloc(size ? size : 1);
  if (!copy) return 0;
  if (size) memcpy(copy, data, size);
  m.data = (const uint8_t *)copy;
  m.size = size;
  m.owned = 1;
  if (!dkl_is_gzip(&m)) {
    dk_file_close(&m);
    return 0;
  }
  char msg[256];
  const size_t cap = 1 << 20;
  const char *code = dkl_gunzip(&m, "fuzz.gz", cap, msg, sizeof msg);
  if (code == NULL && m.size > cap) abort();
  if (code != NULL && msg[0] == '\0') abort();
  dk_file_close(&m);
  return 0;
}
