/*
** diagkit.log: gzip-compressed logs. Rotated logs are usually gzipped
** (syslog.2.gz, a journal export, a support bundle), and the line, scan and
** tail functions all work on one buffer, so a .gz file is inflated into
** memory once, behind the same dk_filebuf. Several gzip members one after the
** other (what `cat a.gz b.gz` and `gzip --rsyncable` tools make) are one
** file, as gzip -d reads them. The output size is capped so that a small
** hostile file cannot expand without bound.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#ifdef DK_HAVE_ZLIB
#include <zlib.h>
#endif

int dkl_is_gzip(const dk_filebuf *f) { return f->size >= 2 && f->data[0] == 0x1f && f->data[1] == 0x8b; }

#ifdef DK_HAVE_ZLIB

/* Grows *buf to at least need bytes (doubling), within max. 0 on success. */
static int grow(char **buf, size_t *cap, size_t need, size_t max) {
  if (need <= *cap) return 0;
  if (need > max) return -1;
  size_t n = *cap ? *cap : 1 << 16;
  while (n < need) n = n > max / 2 ? max : n * 2;
  if (n > max) n = max;
  char *nb = realloc(*buf, n);
  if (!nb) return -1;
  *buf = nb;
  *cap = n;
  return 0;
}

const char *dkl_gunzip(dk_filebuf *m, const char *path, size_t max_out, char *msg, size_t msg_size) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    snprintf(msg, msg_size, "%s: cannot start zlib", path);
    return "ENOMEM";
  }
  const unsigned char *in = (const unsigned char *)m->data;
  size_t in_size = m->size, in_pos = 0, cap = 0, n = 0;
  char *out = NULL;
  const char *code = NULL;
  /* Guess 4x the compressed size to start; grow() doubles from there. */
  size_t first = in_size > max_out / 4 ? max_out : in_size * 4 + 1;
  if (grow(&out, &cap, first < 1 ? 1 : first, max_out) != 0) {
    snprintf(msg, msg_size, "%s: out of memory inflating", path);
    inflateEnd(&z);
    return "ENOMEM";
  }
  for (;;) {
    /* zlib counts in uInt: feed at most 1 GiB at a time. */
    size_t chunk = in_size - in_pos;
    if (chunk > (1u << 30)) chunk = 1u << 30;
    z.next_in = (unsigned char *)(uintptr_t)(in + in_pos);
    z.avail_in = (uInt)chunk;
    if (n == cap && grow(&out, &cap, cap + 1, max_out) != 0) {
      if (cap >= max_out) {
        snprintf(msg, msg_size, "%s: inflates to more than %zu bytes (the limit)", path, max_out);
        code = "EFBIG";
      } else {
        snprintf(msg, msg_size, "%s: out of memory inflating", path);
        code = "ENOMEM";
      }
      break;
    }
    size_t room = cap - n;
    if (room > (1u << 30)) room = 1u << 30;
    z.next_out = (unsigned char *)out + n;
    z.avail_out = (uInt)room;
    int rc = inflate(&z, Z_NO_FLUSH);
    in_pos += chunk - z.avail_in;
    n += room - z.avail_out;
    if (rc == Z_STREAM_END) {
      /* Another member may follow; trailing zero padding (tape blocks) ends it. */
      size_t k = in_pos;
      while (k < in_size && in[k] == 0) k++;
      if (k == in_size) break;
      if (in_size - in_pos < 2 || in[in_pos] != 0x1f || in[in_pos + 1] != 0x8b) {
        snprintf(msg, msg_size, "%s: trailing garbage after the gzip data at byte %zu", path, in_pos);
        code = "EINVAL";
        break;
      }
      inflateReset(&z);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && z.avail_out == 0) continue; /* needs room: grow above */
    if (rc == Z_BUF_ERROR || (rc == Z_OK && in_pos == in_size)) {
      snprintf(msg, msg_size, "%s: gzip data truncated at byte %zu (%zu bytes inflated)", path, in_pos, n);
    } else {
      snprintf(msg, msg_size, "%s: corrupt gzip data near byte %zu: %s", path, in_pos,
               z.msg ? z.msg : "inflate failed");
    }
    code = "EINVAL";
    break;
  }
  inflateEnd(&z);
  if (code) {
    free(out);
    return code;
  }
  dk_file_replace(m, (uint8_t *)out, n);
  return NULL;
}

#else

const char *dkl_gunzip(dk_filebuf *m, const char *path, size_t max_out, char *msg, size_t msg_size) {
  (void)m;
  (void)max_out;
  snprintf(msg, msg_size, "%s: gzip-compressed, and this build has no zlib", path);
  return "ENOTSUP";
}

#endif
