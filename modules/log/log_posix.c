/*
** diagkit.log, POSIX half: a file as one read-only buffer. Regular files are
** mapped (mmap, read-ahead hinted); pipes, FIFOs and character devices are
** read into memory.
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static const char *errno_code(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENOTDIR: return "ENOTDIR";
    case ENOMEM: return "ENOMEM";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "EIO";
  }
}

static const char *fail(const char *path, int e, char *msg, size_t msg_size) {
  snprintf(msg, msg_size, "%s: %s", path, strerror(e));
  return errno_code(e);
}

static const char *read_all(int fd, const char *path, dkl_map *m, char *msg, size_t msg_size) {
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  if (!buf) return fail(path, ENOMEM, msg, msg_size);
  for (;;) {
    if (n == cap) {
      if (cap > ((size_t)-1) / 2) {
        free(buf);
        return fail(path, ENOMEM, msg, msg_size);
      }
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return fail(path, ENOMEM, msg, msg_size);
      }
      buf = nb;
      cap *= 2;
    }
    ssize_t k = read(fd, buf + n, cap - n);
    if (k < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      free(buf);
      return fail(path, e, msg, msg_size);
    }
    if (k == 0) break;
    n += (size_t)k;
  }
  m->data = buf;
  m->size = n;
  m->owned = 1;
  return NULL;
}

const char *dkl_map_open(const char *path, dkl_map *m, char *msg, size_t msg_size) {
  memset(m, 0, sizeof *m);
  m->data = "";
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(path, errno, msg, msg_size);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return fail(path, e, msg, msg_size);
  }
  const char *err = NULL;
  if (S_ISDIR(st.st_mode)) {
    err = fail(path, EISDIR, msg, msg_size);
  } else if (!S_ISREG(st.st_mode)) {
    err = read_all(fd, path, m, msg, msg_size);
  } else if (st.st_size > 0) {
    if ((unsigned long long)st.st_size > (size_t)-1) {
      err = fail(path, ENOMEM, msg, msg_size);
    } else {
      void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        err = read_all(fd, path, m, msg, msg_size); /* e.g. a file system without mmap */
      } else {
        madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
        m->data = p;
        m->size = (size_t)st.st_size;
      }
    }
  }
  close(fd);
  return err;
}

void dkl_map_close(dkl_map *m) {
  if (m->owned) free((void *)m->data);
  else if (m->size > 0) munmap((void *)m->data, m->size);
  m->data = "";
  m->size = 0;
  m->owned = 0;
}
