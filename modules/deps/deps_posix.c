/*
** diagkit.deps, POSIX half: directory listings, file identity (files are
** dk_file buffers). The Windows-only facts (system folders,
** KnownDLLs) are absent here.
*/
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <sys/stat.h>

#include "deps.h"

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
