/*
** diagkit.deps, POSIX half: files as read-only buffers (mmap), directory
** listings, file identity. The Windows-only facts (system folders,
** KnownDLLs) are absent here.
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deps.h"

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

const char *dkd_map_open(const char *path, dkd_map *m, char *msg, size_t msg_size) {
  memset(m, 0, sizeof *m);
  m->data = (const uint8_t *)"";
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
    err = fail(path, EIO, msg, msg_size);
    snprintf(msg, msg_size, "%s: not a regular file", path);
  } else if (st.st_size > 0) {
    if ((unsigned long long)st.st_size > (size_t)-1 / 2) {
      err = fail(path, ENOMEM, msg, msg_size);
    } else {
      void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      if (p == MAP_FAILED) {
        err = fail(path, errno, msg, msg_size);
      } else {
        /* Only headers and tables are read: no read-ahead around them. */
        madvise(p, (size_t)st.st_size, MADV_RANDOM);
        m->data = p;
        m->size = (size_t)st.st_size;
      }
    }
  }
  close(fd);
  return err;
}

void dkd_map_close(dkd_map *m) {
  if (m->size > 0) munmap((void *)m->data, m->size);
  m->data = (const uint8_t *)"";
  m->size = 0;
}

void dkd_map_trim(dkd_map *m) {
  if (m->size > 0) madvise((void *)m->data, m->size, MADV_DONTNEED);
}

int dkd_list_dir(const char *dir, int (*cb)(const char *name, void *ud), void *ud) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    if (cb(e->d_name, ud)) break;
  }
  closedir(d);
  return 0;
}

int dkd_file_id(const char *path, uint64_t id[2]) {
  struct stat st;
  if (stat(path, &st) != 0) return -1;
  id[0] = (uint64_t)st.st_dev;
  id[1] = (uint64_t)st.st_ino;
  return 0;
}

int dkd_os_windows_dirs(char *sys, char *win, char *wow64, size_t size) {
  (void)sys, (void)win, (void)wow64, (void)size;
  return 0;
}

int dkd_os_knowndlls(int (*cb)(const char *name, void *ud), void *ud) {
  (void)cb, (void)ud;
  return 0;
}

unsigned dkd_os_x86_levels(void) {
  unsigned levels = 0;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("ssse3"))
    levels |= 1u << 2;
  if ((levels & (1u << 2)) && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
      __builtin_cpu_supports("fma"))
    levels |= 1u << 3;
  if ((levels & (1u << 3)) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512cd"))
    levels |= 1u << 4;
#endif
  return levels;
}

int dkd_file_setid(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  return (st.st_mode & (S_ISUID | S_ISGID)) != 0;
}
