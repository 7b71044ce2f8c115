/* libFuzzer: regf hives. Open, export the whole tree, walk, look up paths,
   read every value's data and every key's security descriptor. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "regf.h"
#include "regtext.h"
#include "sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *ud, const char *path, const dk_nk *nk) {
  dk_hive *h = ud;
  (void)path;
  char err[256];
  uint32_t *vl;
  size_t n;
  if (dk_hive_values(h, nk, &vl, &n, err, sizeof err) >= 0) {
    for (size_t i = 0; i < n; i++) {
      dk_vk vk;
      if (dk_hive_value(h, vl[i], &vk, err, sizeof err) != 0) continue;
      uint8_t *d;
      size_t dl;
      dk_hive_value_data(h, &vk, &d, &dl, err, sizeof err);
      free(d);
    }
    free(vl);
  }
  const uint8_t *sdb;
  size_t sl;
  if (dk_hive_security(h, nk, &sdb, &sl, err, sizeof err) == 0) {
    dk_sd sd;
    if (dk_sd_parse(sdb, sl, &sd, err, sizeof err) == 0) dk_sd_free(&sd);
  }
  free(dk_hive_class(h, nk));
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[256];
  /* Registry text (.reg, regedit 4/5, Wine) shares this target. */
  dk_regtext rt;
  if (dk_regtext_parse(data, size, &rt, err, sizeof err) == 0) dk_regtext_free(&rt);
  dk_hive *h = dk_hive_open(data, size, err, sizeof err);
  if (!h) return 0;
  dk_hive_info in;
  dk_hive_get_info(h, &in);
  dk_buf b = {0};
  size_t k, v;
  dk_hive_export(h, in.root, "\\", &b, &k, &v);
  dk_buf_free(&b);
  dk_hive_walk(h, in.root, "\\", visit, h);
  uint32_t off;
  dk_hive_find(h, in.root, "a\\B/c", &off, err, sizeof err);
  dk_hive_close(h);
  /* the same bytes as a dirty primary and as its transaction log */
  if (size >= 4096) {
    uint8_t *dirty = malloc(size);
    if (!dirty) return 0;
    memcpy(dirty, data, size);
    dirty[8] ^= 1;
    const uint8_t *logs[1] = {data};
    size_t lens[1] = {size};
    dk_replay rep;
    h = dk_hive_open_logs(dirty, size, logs, lens, 1, &rep, err, sizeof err);
    if (h) {
      dk_hive_get_info(h, &in);
      dk_hive_walk(h, in.root, "\\", visit, h);
      dk_hive_close(h);
    }
    free(dirty);
  }
  return 0;
}
