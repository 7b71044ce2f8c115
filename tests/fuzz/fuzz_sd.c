/* libFuzzer: binary self-relative security descriptors. Whatever parses must
   print, serialize, re-parse to the same SDDL, and evaluate without faults. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dk_sd sd;
  char err[256];
  if (dk_sd_parse(data, size, &sd, err, sizeof err) != 0) {
    if (err[0] == '\0') abort();
    return 0;
  }
  char *s = dk_sddl_format(&sd);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (dk_sd_to_binary(&sd, &bin, &len) == 0) {
    dk_sd back;
    if (dk_sd_parse(bin, len, &back, err, sizeof err) != 0) abort();
    char *s2 = dk_sddl_format(&back);
    if (s && s2 && strcmp(s, s2) != 0) abort();
    free(s2);
    dk_sd_free(&back);
    free(bin);
  }
  free(s);
  dk_token_group g[2];
  memset(g, 0, sizeof g);
  dk_sid_from_string("BA", &g[0].sid, err, sizeof err);
  g[0].attributes = DK_GROUP_USE_FOR_DENY_ONLY;
  dk_sid_from_string("WD", &g[1].sid, err, sizeof err);
  g[1].attributes = DK_GROUP_ENABLED;
  dk_token t = {.groups = g, .ngroups = 2, .integrity = 0x2000, .no_write_up = 1};
  dk_sid_from_string("S-1-5-21-1-2-3-1001", &t.user, err, sizeof err);
  dk_check_result r;
  const char *types[] = {"file", "key", "service", "none"};
  for (int i = 0; i < 4; i++) {
    if (dk_access_evaluate(&sd, &t, size ? (uint32_t)data[0] << 16 | 0x3 : 0x2, dk_mapping_find(types[i]), NULL, &r) ==
        0)
      dk_check_result_free(&r);
    if (dk_access_evaluate(&sd, &t, DK_MAXIMUM_ALLOWED, dk_mapping_find(types[i]), NULL, &r) == 0)
      dk_check_result_free(&r);
  }
  dk_sd_free(&sd);
  return 0;
}
