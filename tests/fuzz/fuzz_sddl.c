/* libFuzzer: SDDL text. Parsed SDDL prints canonically, and the canonical form
   parses back to itself (a fixed point). Errors always carry a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  dk_sd sd;
  char err[256];
  err[0] = '\0';
  if (dk_sddl_parse((const char *)data, size, &sd, err, sizeof err) != 0) {
    if (err[0] == '\0') abort();
    return 0;
  }
  char *s = dk_sddl_format(&sd);
  if (s) {
    dk_sd again;
    if (dk_sddl_parse(s, strlen(s), &again, err, sizeof err) == 0) {
      char *s2 = dk_sddl_format(&again);
      if (s2 && strcmp(s, s2) != 0) abort();
      free(s2);
      dk_sd_free(&again);
    } else if (!strstr(s, "<condition")) {
      abort(); /* our own output must parse */
    }
  }
  free(s);
  uint8_t *bin;
  size_t len;
  if (dk_sd_to_binary(&sd, &bin, &len) == 0) {
    dk_sd back;
    if (dk_sd_parse(bin, len, &back, err, sizeof err) != 0) abort();
    dk_sd_free(&back);
    free(bin);
  }
  dk_sd_free(&sd);
  return 0;
}
