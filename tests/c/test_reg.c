/*
** regf reader on hives built in memory: sound ones, and ones that lie
** (cycles, out-of-range offsets, counts larger than their cells, truncation),
** plus big data (db) which hivex never writes.
*/
#include "test_util.h"

#include "regf.h"

typedef struct hb {
  uint8_t *b;
  size_t len;
  uint32_t next; /* next free relative offset */
} hb;

static void hb_init(hb *h, uint32_t binsize, uint32_t minor) {
  h->len = 4096 + binsize;
  h->b = calloc(1, h->len);
  memcpy(h->b, "regf", 4);
  tu_put32(h->b + 4, 7);
  tu_put32(h->b + 8, 7);
  tu_put32(h->b + 20, 1);
  tu_put32(h->b + 24, minor);
  tu_put32(h->b + 32, 1);
  tu_put32(h->b + 40, binsize);
  uint8_t *bin = h->b + 4096;
  memcpy(bin, "hbin", 4);
  tu_put32(bin + 8, binsize);
  h->next = 32;
}

static void hb_finish(hb *h, uint32_t root) {
  tu_put32(h->b + 36, root);
  uint32_t x = 0;
  for (int i = 0; i < 127; i++)
    x ^= (uint32_t)h->b[4 * i] | (uint32_t)h->b[4 * i + 1] << 8 | (uint32_t)h->b[4 * i + 2] << 16 |
         (uint32_t)h->b[4 * i + 3] << 24;
  tu_put32(h->b + 508, x);
  /* the rest: one free cell */
  uint32_t end = (uint32_t)(h->len - 4096);
  if (h->next + 8 <= end) tu_put32(h->b + 4096 + h->next, end - h->next);
}

static uint32_t hb_cell(hb *h, const void *payload, uint32_t n) {
  uint32_t size = (n + 4 + 7) & ~7u;
  uint32_t off = h->next;
  assert_true(4096 + off + size <= h->len);
  tu_put32(h->b + 4096 + off, (uint32_t)-(int32_t)size);
  memcpy(h->b + 4096 + off + 4, payload, n);
  h->next += size;
  return off;
}

static uint8_t *payload(hb *h, uint32_t off) { return h->b + 4096 + off + 4; }

static uint32_t hb_nk(hb *h, const char *name) {
  uint8_t nk[76 + 64] = {0};
  size_t nl = strlen(name);
  nk[0] = 'n';
  nk[1] = 'k';
  tu_put16(nk + 2, 0x20);
  tu_put32(nk + 28, 0xFFFFFFFF);
  tu_put32(nk + 32, 0xFFFFFFFF);
  tu_put32(nk + 40, 0xFFFFFFFF);
  tu_put32(nk + 44, 0xFFFFFFFF);
  tu_put32(nk + 48, 0xFFFFFFFF);
  tu_put16(nk + 72, (uint32_t)nl);
  memcpy(nk + 76, name, nl);
  return hb_cell(h, nk, (uint32_t)(76 + nl));
}

static void nk_subkeys(hb *h, uint32_t nk, uint32_t n, uint32_t list) {
  tu_put32(payload(h, nk) + 20, n);
  tu_put32(payload(h, nk) + 28, list);
}
static void nk_values(hb *h, uint32_t nk, uint32_t n, uint32_t list) {
  tu_put32(payload(h, nk) + 36, n);
  tu_put32(payload(h, nk) + 40, list);
}

static uint32_t hb_list(hb *h, const char *sig, const uint32_t *offs, uint32_t n, uint32_t declared) {
  uint8_t buf[4 + 8 * 64] = {0};
  int wide = sig[1] == 'f' || sig[1] == 'h';
  buf[0] = (uint8_t)sig[0];
  buf[1] = (uint8_t)sig[1];
  tu_put16(buf + 2, declared);
  for (uint32_t i = 0; i < n; i++) tu_put32(buf + 4 + (wide ? 8 : 4) * i, offs[i]);
  return hb_cell(h, buf, 4 + (wide ? 8 : 4) * n);
}

static uint32_t hb_vk(hb *h, const char *name, uint32_t type, uint32_t size, uint32_t data) {
  uint8_t vk[20 + 64] = {0};
  size_t nl = strlen(name);
  vk[0] = 'v';
  vk[1] = 'k';
  tu_put16(vk + 2, (uint32_t)nl);
  tu_put32(vk + 4, size);
  tu_put32(vk + 8, data);
  tu_put32(vk + 12, type);
  tu_put16(vk + 16, 1);
  memcpy(vk + 20, name, nl);
  return hb_cell(h, vk, (uint32_t)(20 + nl));
}

static dk_hive *open_hb(hb *h) {
  char err[256];
  dk_hive *hv = dk_hive_open(h->b, h->len, err, sizeof err);
  if (!hv) fail_msg("open: %s", err);
  return hv;
}

static int has_error(dk_hive *hv, const char *needle) {
  for (size_t i = 0; i < dk_hive_nerrors(hv); i++)
    if (strstr(dk_hive_error(hv, i), needle)) return 1;
  return 0;
}

/* root with subkeys Alpha, beta (lf) and values. */
static void build_sound(hb *h) {
  hb_init(h, 4096, 3);
  uint32_t root = hb_nk(h, "ROOT");
  uint32_t a = hb_nk(h, "Alpha"), b = hb_nk(h, "beta");
  uint32_t kids[] = {a, b};
  nk_subkeys(h, root, 2, hb_list(h, "lf", kids, 2, 2));
  uint8_t sz[] = {'h', 0, 'i', 0, 0, 0};
  uint32_t data = hb_cell(h, sz, sizeof sz);
  uint32_t v1 = hb_vk(h, "Text", 1, sizeof sz, data);
  uint32_t v2 = hb_vk(h, "Num", 4, 0x80000004u, 42);
  uint32_t vl[] = {v1, v2};
  nk_values(h, a, 2, hb_cell(h, vl, sizeof vl));
  hb_finish(h, root);
}

static void test_sound_hive(void **state) {
  (void)state;
  hb h;
  build_sound(&h);
  dk_hive *hv = open_hb(&h);
  dk_hive_info in;
  dk_hive_get_info(hv, &in);
  assert_true(in.checksum_ok);
  assert_false(in.dirty);
  uint32_t off;
  char err[256];
  assert_int_equal(dk_hive_find(hv, in.root, "ALPHA", &off, err, sizeof err), 0);
  dk_nk nk;
  assert_int_equal(dk_hive_key(hv, off, &nk, err, sizeof err), 0);
  assert_string_equal(nk.name, "Alpha");
  uint32_t *vl;
  size_t n;
  assert_int_equal(dk_hive_values(hv, &nk, &vl, &n, err, sizeof err), 0);
  assert_int_equal(n, 2);
  dk_vk vk;
  uint8_t *d;
  size_t dl;
  assert_int_equal(dk_hive_value(hv, vl[1], &vk, err, sizeof err), 0);
  assert_string_equal(vk.name, "Num");
  assert_int_equal(dk_hive_value_data(hv, &vk, &d, &dl, err, sizeof err), 0);
  assert_int_equal(dl, 4);
  assert_int_equal(d[0], 42);
  free(d);
  free(vl);
  assert_int_equal(dk_hive_find(hv, in.root, "alpha\\missing", &off, err, sizeof err), -1);
  assert_non_null(strstr(err, "no key 'missing'"));
  dk_buf b = {0};
  size_t nk_count, nv_count;
  assert_int_equal(dk_hive_export(hv, in.root, "\\", &b, &nk_count, &nv_count), 0);
  assert_int_equal(nk_count, 3);
  assert_int_equal(nv_count, 2);
  assert_non_null(strstr(b.p, "[\\Alpha]\n\"Num\"=dword:0000002a\n\"Text\"=hex(1):68,00,69,00,00,00\n"));
  dk_buf_free(&b);
  dk_hive_close(hv);
  /* a changed byte breaks the checksum; differing sequence numbers mean dirty */
  h.b[8] = 9;
  hv = open_hb(&h);
  dk_hive_get_info(hv, &in);
  assert_false(in.checksum_ok);
  assert_true(in.dirty);
  assert_true(has_error(hv, "dirty"));
  dk_hive_close(hv);
  free(h.b);
}

static void test_not_a_hive(void **state) {
  (void)state;
  char err[256];
  uint8_t small[100] = {0};
  assert_null(dk_hive_open(small, sizeof small, err, sizeof err));
  assert_non_null(strstr(err, "4096-byte base block"));
  uint8_t *big = calloc(1, 8192);
  assert_null(dk_hive_open(big, 8192, err, sizeof err));
  assert_non_null(strstr(err, "not 'regf'"));
  memcpy(big, "regf", 4);
  assert_null(dk_hive_open(big, 8192, err, sizeof err));
  assert_non_null(strstr(err, "no readable hive bin"));
  free(big);
  const char *code;
  assert_null(dk_hive_open_file("/nonexistent/dk6", err, sizeof err, &code));
  assert_string_equal(code, "ENOENT");
}

static int count_cb(void *ud, const char *path, const dk_nk *nk) {
  (void)path;
  (void)nk;
  (*(int *)ud)++;
  return 0;
}

/* Finishes the hive being built (root key at root) and opens it: the handle, its info in *in. */
static dk_hive *finish_open(hb *h, uint32_t root, dk_hive_info *in) {
  hb_finish(h, root);
  dk_hive *hv = open_hb(h);
  dk_hive_get_info(hv, in);
  return hv;
}

/* The keys a walk from the root visits. */
static int count_keys(dk_hive *hv, const dk_hive_info *in) {
  int n = 0;
  assert_int_equal(dk_hive_walk(hv, in->root, "\\", count_cb, &n), 0);
  return n;
}

static void test_cycles(void **state) {
  (void)state;
  hb h;
  hb_init(&h, 4096, 3);
  uint32_t root = hb_nk(&h, "ROOT");
  uint32_t a = hb_nk(&h, "A");
  uint32_t ka[] = {a};
  nk_subkeys(&h, root, 1, hb_list(&h, "lh", ka, 1, 1));
  uint32_t back[] = {root, a}; /* A lists its parent and itself */
  nk_subkeys(&h, a, 2, hb_list(&h, "li", back, 2, 2));
  dk_hive_info in;
  dk_hive *hv = finish_open(&h, root, &in);
  assert_int_equal(count_keys(hv, &in), 2);
  assert_true(has_error(hv, "reached twice"));
  dk_hive_close(hv);
  free(h.b);

  /* an ri list that contains itself, and one nested in another */
  hb_init(&h, 4096, 3);
  root = hb_nk(&h, "ROOT");
  a = hb_nk(&h, "A");
  uint32_t leaf = hb_list(&h, "lf", ka, 1, 1);
  tu_put32(payload(&h, leaf) + 4, a);
  uint32_t ri_off = h.next;
  uint32_t ri_items[] = {ri_off, leaf};
  uint32_t ri = hb_list(&h, "ri", ri_items, 2, 2);
  assert_int_equal(ri, ri_off);
  nk_subkeys(&h, root, 1, ri);
  hv = finish_open(&h, root, &in);
  dk_nk nk;
  char err[256];
  assert_int_equal(dk_hive_key(hv, in.root, &nk, err, sizeof err), 0);
  uint32_t *list;
  size_t cnt;
  assert_int_equal(dk_hive_subkeys(hv, &nk, &list, &cnt, err, sizeof err), 1);
  assert_int_equal(cnt, 1); /* A is still found */
  assert_int_equal(list[0], a);
  free(list);
  assert_true(has_error(hv, "points at itself"));
  dk_hive_close(hv);
  free(h.b);
}

/* Reading the data of the value at cell offset vk_off fails with a message that says needle. */
static void expect_value_data_error(dk_hive *hv, uint32_t vk_off, const char *needle) {
  char err[256];
  dk_vk vk;
  uint8_t *d;
  size_t dl;
  assert_int_equal(dk_hive_value(hv, vk_off, &vk, err, sizeof err), 0);
  assert_int_equal(dk_hive_value_data(hv, &vk, &d, &dl, err, sizeof err), -1);
  if (!strstr(err, needle)) fail_msg("\"%s\" does not say \"%s\"", err, needle);
  free(d);
}

static void test_lying_offsets_and_counts(void **state) {
  (void)state;
  hb h;
  hb_init(&h, 4096, 3);
  uint32_t root = hb_nk(&h, "ROOT");
  uint32_t a = hb_nk(&h, "A"), b = hb_nk(&h, "B");
  uint32_t kids[] = {a, 0x7FFFFFF8u, b, 0x21}; /* out of range, misaligned */
  nk_subkeys(&h, root, 4, hb_list(&h, "lf", kids, 4, 200)); /* count 200 > cell */
  uint8_t small[4] = {1, 2, 3, 4};
  uint32_t cellv = hb_cell(&h, small, 4);
  uint32_t v1 = hb_vk(&h, "Liar", 3, 5000, cellv); /* 5000 bytes declared, cell holds 8 */
  uint32_t v2 = hb_vk(&h, "Nowhere", 3, 10, 0x00FFFFF0u);
  uint32_t vl[] = {v1, v2};
  nk_values(&h, a, 40, hb_cell(&h, vl, sizeof vl)); /* 40 values declared, list has 2 */
  dk_hive_info in;
  dk_hive *hv = finish_open(&h, root, &in);
  assert_int_equal(count_keys(hv, &in), 3); /* ROOT, A, B: the sound part */
  assert_true(has_error(hv, "200 entries do not fit"));
  assert_true(has_error(hv, "outside the readable hive bins"));
  assert_true(has_error(hv, "not 8-aligned"));
  dk_nk nk;
  char err[256];
  assert_int_equal(dk_hive_key(hv, a, &nk, err, sizeof err), 0);
  uint32_t *list;
  size_t cnt;
  assert_int_equal(dk_hive_values(hv, &nk, &list, &cnt, err, sizeof err), 1);
  assert_true(cnt >= 2); /* the list cell is padded to 8 bytes */
  expect_value_data_error(hv, list[0], "truncated");
  expect_value_data_error(hv, list[1], "outside the readable hive bins");
  free(list);
  /* a key offset that is not an nk cell */
  assert_int_equal(dk_hive_key(hv, cellv, &nk, err, sizeof err), -1);
  assert_non_null(strstr(err, "not an nk cell"));
  dk_hive_close(hv);
  free(h.b);
}

static void test_big_data(void **state) {
  (void)state;
  hb h;
  hb_init(&h, 4096 * 12, 5);
  uint32_t root = hb_nk(&h, "ROOT");
  uint8_t *blob = malloc(20000);
  for (int i = 0; i < 20000; i++) blob[i] = (uint8_t)(i % 251);
  uint32_t s1 = hb_cell(&h, blob, 16344), s2 = hb_cell(&h, blob + 16344, 20000 - 16344);
  uint32_t segs[] = {s1, s2};
  uint32_t sl = hb_cell(&h, segs, sizeof segs);
  uint8_t db[8] = {'d', 'b'};
  tu_put16(db + 2, 2);
  tu_put32(db + 4, sl);
  uint32_t dbc = hb_cell(&h, db, sizeof db);
  uint32_t v = hb_vk(&h, "Big", 3, 20000, dbc);
  uint32_t vl[] = {v};
  nk_values(&h, root, 1, hb_cell(&h, vl, sizeof vl));
  hb_finish(&h, root);
  dk_hive *hv = open_hb(&h);
  dk_vk vk;
  uint8_t *d;
  size_t dl;
  char err[256];
  assert_int_equal(dk_hive_value(hv, v, &vk, err, sizeof err), 0);
  assert_int_equal(dk_hive_value_data(hv, &vk, &d, &dl, err, sizeof err), 0);
  assert_int_equal(dl, 20000);
  assert_memory_equal(d, blob, 20000);
  free(d);
  dk_hive_close(hv);
  /* in a 1.3 hive "db" is literal data: the cell is too small for 20000 bytes */
  tu_put32(h.b + 24, 3);
  hv = open_hb(&h);
  assert_int_equal(dk_hive_value_data(hv, &vk, &d, &dl, err, sizeof err), -1);
  free(d);
  dk_hive_close(hv);
  free(blob);
  free(h.b);
}

static void test_truncations(void **state) {
  (void)state;
  hb h;
  build_sound(&h);
  for (size_t n = 4096; n <= h.len; n += 4) {
    char err[256];
    dk_hive *hv = dk_hive_open(h.b, n, err, sizeof err);
    if (!hv) continue;
    dk_hive_info in;
    dk_hive_get_info(hv, &in);
    dk_buf b = {0};
    size_t k, v;
    dk_hive_export(hv, in.root, "\\", &b, &k, &v);
    dk_buf_free(&b);
    dk_hive_close(hv);
  }
  free(h.b);
}

static void test_marvin32(void **state) {
  (void)state;
  assert_true(dk_marvin32((const uint8_t *)"", 0) == 0xb39efca403966e08ull);
  assert_true(dk_marvin32((const uint8_t *)"abc", 3) == 0xb9cf3dfca41914f7ull);
  assert_true(dk_marvin32((const uint8_t *)"diagkit issue 6 regf", 20) == 0x5467854e4dfc3619ull);
}

/* A dirty sound hive (build_sound, then marked dirty): the cell offset of
** Alpha's value Num, whose first data byte is at payload + 8. */
static uint32_t dirty_num_vk(hb *h) {
  build_sound(h);
  tu_put32(h->b + 8, 6); /* secondary 6, primary 7: dirty */
  char err[256];
  dk_hive *hv = open_hb(h);
  dk_hive_info in;
  dk_hive_get_info(hv, &in);
  assert_true(in.dirty);
  uint32_t off;
  assert_int_equal(dk_hive_find(hv, in.root, "Alpha", &off, err, sizeof err), 0);
  dk_nk nk;
  dk_hive_key(hv, off, &nk, err, sizeof err);
  uint32_t *vl;
  size_t n;
  dk_hive_values(hv, &nk, &vl, &n, err, sizeof err);
  uint32_t num_vk = vl[1];
  free(vl);
  dk_hive_close(hv);
  return num_vk;
}

/* The hive replayed with one log: its handle (not NULL) and the replay's account. */
static dk_hive *open_with_log(const hb *h, const uint8_t *log, size_t loglen, dk_replay *rep) {
  const uint8_t *logs[1] = {log};
  size_t lens[1] = {loglen};
  char err[256];
  dk_hive *hv = dk_hive_open_logs(h->b, h->len, logs, lens, 1, rep, err, sizeof err);
  if (hv == NULL) fail_msg("dk_hive_open_logs: %s", err);
  return hv;
}

/* The first data byte of the value at cell offset vk_off. */
static uint8_t value_byte(dk_hive *hv, uint32_t vk_off) {
  char err[256];
  dk_vk vk;
  uint8_t *d;
  size_t dl;
  assert_int_equal(dk_hive_value(hv, vk_off, &vk, err, sizeof err), 0);
  assert_int_equal(dk_hive_value_data(hv, &vk, &d, &dl, err, sizeof err), 0);
  uint8_t first = d[0];
  free(d);
  return first;
}

/* A dirty hive and a new-format log whose one entry rewrites the bins page. */
static void test_log_replay(void **state) {
  (void)state;
  hb h;
  uint32_t num_vk = dirty_num_vk(&h);
  /* the page as it should be after the transaction: Num = 99 */
  uint8_t page[4096];
  memcpy(page, h.b + 4096, 4096);
  page[num_vk + 4 + 8] = 99; /* the inline data of Num */
  size_t loglen = 512 + 512 + 4096;
  uint8_t *log = calloc(1, loglen);
  memcpy(log, "regf", 4);
  tu_put32(log + 28, 6);
  uint8_t *e = log + 512;
  memcpy(e, "HvLE", 4);
  tu_put32(e + 4, 512 + 4096);
  tu_put32(e + 12, 6);
  tu_put32(e + 16, 4096);
  tu_put32(e + 20, 1);
  tu_put32(e + 40, 0);
  tu_put32(e + 44, 4096);
  memcpy(e + 48, page, 4096);
  /* entry size must be a multiple of 512: 48 + 4096 bytes used of 4608 */
  uint64_t h1 = dk_marvin32(e + 40, 512 + 4096 - 40);
  for (int i = 0; i < 8; i++) e[24 + i] = (uint8_t)(h1 >> (8 * i));
  uint64_t h2 = dk_marvin32(e, 32);
  for (int i = 0; i < 8; i++) e[32 + i] = (uint8_t)(h2 >> (8 * i));
  dk_replay rep;
  dk_hive *hv = open_with_log(&h, log, loglen, &rep);
  assert_int_equal(rep.entries, 1);
  assert_int_equal(rep.pages, 1);
  assert_int_equal(rep.first_seq, 6);
  assert_non_null(strstr(rep.stopped, "no log entry with sequence number 7"));
  dk_hive_info in;
  dk_hive_get_info(hv, &in);
  assert_false(in.dirty);
  assert_int_equal(value_byte(hv, num_vk), 99);
  dk_hive_close(hv);
  /* the input is untouched; a torn entry (bad hash) is not applied */
  assert_int_equal(h.b[4096 + num_vk + 4 + 8], 42);
  e[100] ^= 1;
  hv = open_with_log(&h, log, loglen, &rep);
  assert_int_equal(rep.entries, 0);
  assert_non_null(strstr(rep.stopped, "hash mismatch"));
  dk_hive_get_info(hv, &in);
  assert_true(in.dirty);
  dk_hive_close(hv);
  free(log);
  free(h.b);
}

/* The old (pre-8.1) log format: DIRT + a bitmap of dirty 512-byte pages. */
static void test_old_log_replay(void **state) {
  (void)state;
  hb h;
  uint32_t num_vk = dirty_num_vk(&h);
  uint32_t at = num_vk + 4 + 8, page = at / 512;
  uint8_t *log = calloc(1, 2048);
  memcpy(log, h.b, 512);
  tu_put32(log + 8, 7); /* the log's base block is consistent */
  tu_put32(log + 28, 1);
  uint32_t x = 0;
  for (int i = 0; i < 127; i++)
    x ^= (uint32_t)log[4 * i] | (uint32_t)log[4 * i + 1] << 8 | (uint32_t)log[4 * i + 2] << 16 |
         (uint32_t)log[4 * i + 3] << 24;
  tu_put32(log + 508, x);
  memcpy(log + 512, "DIRT", 4);
  log[516] = (uint8_t)(1u << page);
  memcpy(log + 1024, h.b + 4096 + page * 512, 512);
  log[1024 + at % 512] = 77;
  dk_replay rep;
  dk_hive *hv = open_with_log(&h, log, 1536, &rep);
  assert_int_equal(rep.entries, 1);
  assert_int_equal(rep.pages, 1);
  assert_non_null(strstr(rep.stopped, "old-format log applied"));
  assert_int_equal(value_byte(hv, num_vk), 77);
  dk_hive_info in;
  dk_hive_get_info(hv, &in);
  assert_false(in.dirty);
  assert_true(in.checksum_ok);
  dk_hive_close(hv);
  /* a lying bitmap (more pages than the file holds) is refused */
  log[516] = 0xFF;
  hv = open_with_log(&h, log, 1536, &rep);
  assert_int_equal(rep.entries, 0);
  assert_non_null(strstr(rep.stopped, "8 dirty pages"));
  dk_hive_close(hv);
  free(log);
  free(h.b);
}

TU_MAIN(test_sound_hive, test_not_a_hive, test_cycles, test_lying_offsets_and_counts, test_big_data,
    test_truncations, test_marvin32, test_log_replay, test_old_log_replay)
