/* dk_file on POSIX: open without blocking, fstat, then mmap or read (see dk_file.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dk_file.h"
#include "file_read.h"

/* {=========== SIGBUS guard
** A mapped file that shrinks while it is read (a log rotated, a dump being
** rewritten) makes the next read past its new end raise SIGBUS. The handler
** below maps zero pages over the lost part of a guarded mapping and marks it
** changed, so the parse finishes on zeros (every parser is fuzzed for
** garbage) and the caller, seeing dk_file_changed(), reports the change
** instead of a result. Faults elsewhere go to the previous handler. */

#define GUARD_SLOTS 64
static struct {
  atomic_uintptr_t lo, hi;
  atomic_int changed;
} guards[GUARD_SLOTS];
static struct sigaction old_bus;
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static long page_size;

static void on_sigbus(int sig, siginfo_t *si, void *uc) {
  uintptr_t a = (uintptr_t)si->si_addr;
  for (int i = 0; i < GUARD_SLOTS; i++) {
    uintptr_t lo = atomic_load(&guards[i].lo), hi = atomic_load(&guards[i].hi);
    if (lo && a >= lo && a < hi) {
      void *page = (void *)(a & ~(uintptr_t)(page_size - 1));
      if (mmap(page, (size_t)page_size, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
        atomic_store(&guards[i].changed, 1);
        return; /* the read is retried and sees zeros */
      }
    }
  }
  if ((old_bus.sa_flags & SA_SIGINFO) && old_bus.sa_sigaction) {
    old_bus.sa_sigaction(sig, si, uc);
  } else if (old_bus.sa_handler != SIG_DFL && old_bus.sa_handler != SIG_IGN) {
    old_bus.sa_handler(sig);
  } else {
    signal(SIGBUS, SIG_DFL); /* the fault repeats and ends the process as it would have */
  }
}

/* (Re)installs the handler when someone else's is in place: a test framework
   or an embedding program may have set one since; theirs gets the faults
   that are not ours. */
static void guard_install(void) {
  struct sigaction cur;
  pthread_mutex_lock(&guard_lock);
  if (sigaction(SIGBUS, NULL, &cur) != 0 || ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_sigbus)) {
    pthread_mutex_unlock(&guard_lock);
    return;
  }
  page_size = sysconf(_SC_PAGESIZE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &old_bus);
  pthread_mutex_unlock(&guard_lock);
}

static int guard_add(const void *p, size_t n) {
  guard_install();
  for (int i = 0; i < GUARD_SLOTS; i++) {
    uintptr_t zero = 0;
    if (atomic_load(&guards[i].hi) == 0 && atomic_compare_exchange_strong(&guards[i].hi, &zero, (uintptr_t)p + n)) {
      atomic_store(&guards[i].changed, 0);
      atomic_store(&guards[i].lo, (uintptr_t)p);
      return i + 1;
    }
  }
  return 0; /* all slots taken: this mapping is read unguarded, as before the guard existed */
}

static void guard_remove(int slot) {
  if (!slot) return;
  atomic_store(&guards[slot - 1].lo, 0);
  atomic_store(&guards[slot - 1].hi, 0);
}

int dk_file_changed(const dk_filebuf *f) { return f->guard ? atomic_load(&guards[f->guard - 1].changed) : 0; }

/* }=========== */

static void reset(dk_filebuf *f) {
  memset(f, 0, sizeof *f);
  f->data = (const uint8_t *)"";
}

/* dk_file_reader over a descriptor (file_read.h). */
static long fd_read(void *os, void *buf, size_t n, const char *path, dk_err *e) {
  for (;;) {
    ssize_t k = read(*(int *)os, buf, n);
    if (k >= 0) return (long)k;
    if (errno != EINTR) return dk_err_errno(e, errno, path);
  }
}

static int read_all(int fd, const char *path, dk_filebuf *f, uint64_t max, size_t size_hint, int stream, dk_err *e) {
  return dk_file_read_all(f, fd_read, &fd, path, max, size_hint, stream, e);
}

int dk_file_open_fd(const char *path, struct stat *st, dk_err *e) {
  /* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return dk_err_errno(e, errno, path);
  if (fstat(fd, st) != 0) {
    int er = errno;
    close(fd);
    return dk_err_errno(e, er, path);
  }
  return fd;
}

int dk_file_open(dk_filebuf *f, const char *path, unsigned flags, uint64_t max, dk_err *e) {
  reset(f);
  struct stat st;
  int fd = dk_file_open_fd(path, &st, e);
  if (fd < 0) return -1;
  int rc = 0;
  if (S_ISDIR(st.st_mode)) {
    rc = dk_err_errno(e, EISDIR, path);
  } else if (!S_ISREG(st.st_mode)) {
    if (!(flags & DK_FILE_STREAMS) || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode))) {
      rc = dk_err_set(e, "EINVAL", "%s: not a regular file", path);
    } else {
      /* A pipe with a writer blocks in read() as a stream should; one with no
         writer reads as empty. */
      int fl = fcntl(fd, F_GETFL);
      if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
      rc = read_all(fd, path, f, max ? max : DK_FILE_STREAM_MAX, 0, 1, e);
    }
  } else if (max && (uint64_t)st.st_size > max) {
    rc = dk_err_set(e, "EFBIG", "%s: %llu bytes, more than the %llu diagkit reads", path,
                    (unsigned long long)st.st_size, (unsigned long long)max);
  } else if ((unsigned long long)st.st_size > (size_t)-1 / 2) {
    rc = dk_err_errno(e, ENOMEM, path);
  } else if (st.st_size > 0 && (flags & DK_FILE_READ)) {
    rc = read_all(fd, path, f, max ? max : (uint64_t)-1 / 2, (size_t)st.st_size, 0, e);
  } else if (st.st_size > 0) {
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      /* e.g. a file system without mmap */
      rc = read_all(fd, path, f, max ? max : (uint64_t)-1 / 2, (size_t)st.st_size, 0, e);
    } else {
      if (flags & DK_FILE_RANDOM) madvise(p, (size_t)st.st_size, MADV_RANDOM);
      else if (flags & DK_FILE_SEQUENTIAL) madvise(p, (size_t)st.st_size, MADV_SEQUENTIAL);
      f->data = p;
      f->size = (size_t)st.st_size;
      f->guard = guard_add(p, f->size);
    }
  }
  close(fd);
  return rc;
}

void dk_file_close(dk_filebuf *f) {
  if (f->owned) free((void *)f->data);
  else if (f->size > 0) munmap((void *)f->data, f->size);
  guard_remove(f->guard);
  reset(f);
}

void dk_file_trim(dk_filebuf *f) {
  if (!f->owned && f->size > 0) madvise((void *)f->data, f->size, MADV_DONTNEED);
}

void dk_file_replace(dk_filebuf *f, uint8_t *data, size_t size) {
  dk_file_close(f);
  f->data = data;
  f->size = size;
  f->owned = 1;
}
