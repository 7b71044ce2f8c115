/*
** The POSIX half of diagkit.access: credentials (process, user database,
** /proc/PID/status) and the path walk of dk_access_check().
*/
#define _GNU_SOURCE
#include "dk_err.h"
#include "access.h"

#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/fs.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>


#define MAX_LINKS 40

#define seterr(err, len, code, c, ...)                                                                           \
  do {                                                                                                           \
    if (code) *(code) = (c);                                                                                     \
    dk_fail(err, len, __VA_ARGS__);                                                                                \
  } while (0)

static uint64_t read_capeff(const char *status_path) {
  FILE *f = fopen(status_path, "r");
  if (!f) return 0;
  char line[512];
  uint64_t caps = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "CapEff:", 7) == 0) caps = strtoull(line + 7, NULL, 16);
  fclose(f);
  return caps;
}

/* The _r lookups: hosts on other threads may look users up at the same time. */
static void fill_name(dk_pcred *cred) {
  struct passwd pwd, *pw = NULL;
  char buf[16384];
  if (getpwuid_r((uid_t)cred->uid, &pwd, buf, sizeof buf, &pw) == 0 && pw)
    dk_fail(cred->name, sizeof cred->name, "%s", pw->pw_name);
}

int dk_pcred_current(dk_pcred *cred, char *err, size_t errlen, const char **code) {
  memset(cred, 0, sizeof *cred);
  cred->uid = (uint32_t)geteuid();
  cred->gid = (uint32_t)getegid();
  gid_t gs[DK_MAX_GROUPS];
  int n = getgroups(DK_MAX_GROUPS, gs);
  if (n < 0) {
    seterr(err, errlen, code, "EINVAL", "getgroups failed: %s", strerror(errno));
    return -1;
  }
  for (int i = 0; i < n; i++) cred->groups[cred->ngroups++] = (uint32_t)gs[i];
  cred->caps = read_capeff("/proc/self/status");
  dk_fail(cred->source, sizeof cred->source, "process");
  fill_name(cred);
  return 0;
}

static uint64_t root_caps(uint32_t uid) {
  /* A process of uid 0 normally has the full set (the bounding set permitting). */
  return uid == 0 ? ~(uint64_t)0 >> 23 : 0; /* caps 0..40 */
}

int dk_pcred_user(const char *who, dk_pcred *cred, char *err, size_t errlen, const char **code) {
  memset(cred, 0, sizeof *cred);
  struct passwd pwd, *pw = NULL;
  char buf[16384];
  if (getpwnam_r(who, &pwd, buf, sizeof buf, &pw) != 0) pw = NULL;
  if (!pw) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(who, &end, 10);
    if (*who != '\0' && *end == '\0' && errno == 0 && v <= 0xFFFFFFFFul &&
        getpwuid_r((uid_t)v, &pwd, buf, sizeof buf, &pw) != 0)
      pw = NULL;
    if (!pw) {
      seterr(err, errlen, code, "ENOENT", "no user '%s' in the user database", who);
      return -1;
    }
  }
  cred->uid = (uint32_t)pw->pw_uid;
  cred->gid = (uint32_t)pw->pw_gid;
  dk_fail(cred->name, sizeof cred->name, "%s", pw->pw_name);
  gid_t gs[DK_MAX_GROUPS];
  int n = DK_MAX_GROUPS;
  if (getgrouplist(pw->pw_name, pw->pw_gid, gs, &n) < 0) n = DK_MAX_GROUPS;
  for (int i = 0; i < n && i < DK_MAX_GROUPS; i++) cred->groups[cred->ngroups++] = (uint32_t)gs[i];
  cred->caps = root_caps(cred->uid);
  dk_fail(cred->source, sizeof cred->source, "user database");
  return 0;
}

/* "Uid:\t0\t0\t0\t0" -> the 4th field (the fs id the kernel checks with). */
static int fs_id(const char *rest, uint32_t *out) {
  unsigned long v[4];
  if (sscanf(rest, "%lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4) return -1;
  *out = (uint32_t)v[3];
  return 0;
}

int dk_pcred_pid(long pid, dk_pcred *cred, char *err, size_t errlen, const char **code) {
  memset(cred, 0, sizeof *cred);
  char path[64], pidtxt[32];
  dk_fail(path, sizeof path, "/proc/%ld/status", pid);
  dk_fail(pidtxt, sizeof pidtxt, "%ld", pid);
  FILE *f = fopen(path, "r");
  if (!f) {
    int e = errno;
    seterr(err, errlen, code, e == EACCES ? "EACCES" : "ESRCH", "no process %s (cannot read /proc/PID/status)",
           pidtxt);
    return -1;
  }
  char line[8192];
  int have_uid = 0, have_gid = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "Uid:", 4) == 0) have_uid = fs_id(line + 4, &cred->uid) == 0;
    else if (strncmp(line, "Gid:", 4) == 0) have_gid = fs_id(line + 4, &cred->gid) == 0;
    else if (strncmp(line, "CapEff:", 7) == 0) cred->caps = strtoull(line + 7, NULL, 16);
    else if (strncmp(line, "Groups:", 7) == 0) {
      char *p = line + 7, *end;
      for (;;) {
        errno = 0;
        unsigned long g = strtoul(p, &end, 10);
        if (end == p || errno) break;
        if (cred->ngroups < DK_MAX_GROUPS) cred->groups[cred->ngroups++] = (uint32_t)g;
        p = end;
      }
    }
  }
  fclose(f);
  if (!have_uid || !have_gid) {
    seterr(err, errlen, code, "DK_BAD_FORMAT", "%s has no Uid:/Gid: lines", path);
    return -1;
  }
  dk_fail(cred->source, sizeof cred->source, "/proc/%ld/status", pid);
  fill_name(cred);
  return 0;
}

/* ---- the walk ---------------------------------------------------------- */

void dk_aresult_free(dk_aresult *r) {
  for (size_t i = 0; i < r->nsteps; i++) free(r->steps[i].path);
  free(r->steps);
  r->steps = NULL;
  r->nsteps = r->cap = 0;
}

static dk_astep *add_step(dk_aresult *r, const char *path, int index, const char *role, const char *need) {
  if (r->nsteps == r->cap) {
    size_t nc = r->cap ? r->cap * 2 : 16;
    dk_astep *s = realloc(r->steps, nc * sizeof *s);
    if (!s) return NULL;
    r->steps = s;
    r->cap = nc;
  }
  dk_astep *s = &r->steps[r->nsteps];
  memset(s, 0, sizeof *s);
  s->path = strdup(path);
  if (!s->path) return NULL;
  r->nsteps++;
  s->index = index;
  dk_fail(s->role, sizeof s->role, "%s", role);
  dk_fail(s->need, sizeof s->need, "%s", need);
  return s;
}

static void deny(dk_aresult *r, const char *errname, const char *kind, const char *text) {
  r->allowed = 0;
  r->err = errname;
  r->denied_index = (int)r->nsteps - 1;
  dk_fail(r->rule_kind, sizeof r->rule_kind, "%s", kind);
  dk_fail(r->rule_text, sizeof r->rule_text, "%s", text);
  if (r->nsteps > 0) {
    dk_astep *s = &r->steps[r->nsteps - 1];
    s->ok = 0;
    if (kind != s->rule_kind) dk_fail(s->rule_kind, sizeof s->rule_kind, "%s", kind);
    if (text != s->text) dk_fail(s->text, sizeof s->text, "%s", text);
  }
}

/* Reads the access ACL of path into ents (NULL when it has none beyond the mode). */
static size_t read_acl(const char *path, dk_acl_entry *ents, size_t max) {
  if (acl_extended_file_nofollow(path) <= 0) return 0;
  acl_t acl = acl_get_file(path, ACL_TYPE_ACCESS);
  if (!acl) return 0;
  size_t n = 0;
  acl_entry_t e;
  for (int id = ACL_FIRST_ENTRY; acl_get_entry(acl, id, &e) == 1 && n < max; id = ACL_NEXT_ENTRY) {
    acl_tag_t tag;
    acl_permset_t ps;
    if (acl_get_tag_type(e, &tag) != 0 || acl_get_permset(e, &ps) != 0) continue;
    dk_acl_entry *d = &ents[n];
    memset(d, 0, sizeof *d);
    switch (tag) {
    case ACL_USER_OBJ: d->tag = DK_ACL_USER_OBJ; break;
    case ACL_USER: d->tag = DK_ACL_USER; break;
    case ACL_GROUP_OBJ: d->tag = DK_ACL_GROUP_OBJ; break;
    case ACL_GROUP: d->tag = DK_ACL_GROUP; break;
    case ACL_MASK: d->tag = DK_ACL_MASK; break;
    case ACL_OTHER: d->tag = DK_ACL_OTHER; break;
    default: continue;
    }
    if (tag == ACL_USER || tag == ACL_GROUP) {
      void *q = acl_get_qualifier(e);
      if (q) {
        d->id = tag == ACL_USER ? (uint32_t)*(uid_t *)q : (uint32_t)*(gid_t *)q;
        acl_free(q);
      }
    }
    d->perm = (acl_get_perm(ps, ACL_READ) == 1 ? DK_R : 0) | (acl_get_perm(ps, ACL_WRITE) == 1 ? DK_W : 0) |
              (acl_get_perm(ps, ACL_EXECUTE) == 1 ? DK_X : 0);
    n++;
  }
  acl_free(acl);
  return n;
}

/* Applies the per-object rule to path (already lstat'ed into st) and records it in step. */
static int decide_step(dk_astep *s, const char *path, const struct stat *st, const dk_pcred *cred, unsigned want) {
  dk_acl_entry ents[64];
  size_t n = S_ISLNK(st->st_mode) ? 0 : read_acl(path, ents, 64);
  dk_pobj obj = {.uid = (uint32_t)st->st_uid,
                 .gid = (uint32_t)st->st_gid,
                 .mode = (uint32_t)st->st_mode,
                 .is_dir = S_ISDIR(st->st_mode),
                 .acl = n ? ents : NULL,
                 .nacl = n};
  dk_pdecision d;
  dk_pacl_decide(&obj, cred, want, &d);
  s->mode = obj.mode;
  s->uid = obj.uid;
  s->gid = obj.gid;
  s->has_acl = n > 0;
  s->ok = d.allowed;
  dk_fail(s->via, sizeof s->via, "%s", d.via ? d.via : "");
  dk_fail(s->rule_kind, sizeof s->rule_kind, "%s", d.rule_kind ? d.rule_kind : "mode");
  dk_fail(s->text, sizeof s->text, "%s", d.text);
  return d.allowed;
}

static unsigned inode_flags(const char *path) {
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return 0;
  int flags = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) flags = 0;
  close(fd);
  return (unsigned)flags;
}

static unsigned long mount_flags(const char *path) {
  struct statvfs sv;
  if (statvfs(path, &sv) != 0) return 0;
  return sv.f_flag;
}

static int lsm_active(void) {
  return access("/sys/fs/selinux/enforce", F_OK) == 0 || access("/sys/kernel/security/apparmor", F_OK) == 0;
}

static void join(char *out, size_t len, const char *dir, const char *name) {
  if (strcmp(dir, "/") == 0) dk_fail(out, len, "/%s", name);
  else dk_fail(out, len, "%s/%s", dir, name);
}

static void parent_of(char *p) {
  char *slash = strrchr(p, '/');
  if (!slash || slash == p) strcpy(p, "/");
  else *slash = '\0';
}

#define OOM(x)                                                                                                   \
  do {                                                                                                           \
    if (!(x)) {                                                                                                  \
      dk_fail(err, errlen, "out of memory");                                                                    \
      free(rest);                                                                                                \
      return -1;                                                                                                 \
    }                                                                                                            \
  } while (0)

/* The walk's way out with a verdict: the last step is denied for the formatted reason. */
#define DENY(errname, kind, ...)                                                                                 \
  do {                                                                                                           \
    dk_fail(text, sizeof text, __VA_ARGS__);                                                                     \
    deny(r, errname, kind, text);                                                                                \
    free(rest);                                                                                                  \
    return 0;                                                                                                    \
  } while (0)

static void set_owner(dk_astep *s, const struct stat *st) {
  s->mode = (uint32_t)st->st_mode;
  s->uid = (uint32_t)st->st_uid;
  s->gid = (uint32_t)st->st_gid;
}

static int check_depth(const char *path, dk_op op, const dk_pcred *cred, const dk_sysctls *sc, dk_aresult *r,
                       int depth, char *err, size_t errlen);

int dk_access_check(const char *path, dk_op op, const dk_pcred *cred, const dk_sysctls *sc, dk_aresult *r, char *err,
                    size_t errlen) {
  return check_depth(path, op, cred, sc, r, 0, err, errlen);
}

/* A "#!" script: the interpreter opens it (read needed too), and the
   interpreter itself must be executable (noexec mounts included). The
   interpreter's own walk is appended with role "interpreter". */
static int check_script(const char *path, const struct stat *st, const dk_pcred *cred, const dk_sysctls *sc,
                        dk_aresult *r, int index, int depth, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return 0; /* the checker cannot read it: nothing more to say */
  char head[256];
  ssize_t n = read(fd, head, sizeof head - 1);
  close(fd);
  if (n < 3 || head[0] != '#' || head[1] != '!') return 0;
  head[n] = '\0';
  char *p = head + 2;
  while (*p == ' ' || *p == '\t') p++;
  size_t il = strcspn(p, " \t\r\n");
  if (il == 0) return 0;
  p[il] = '\0';
  char text[PATH_MAX + 128];
  /* read permission on the script itself */
  dk_astep *s = add_step(r, path, index, "object", "r");
  if (!s) {
    dk_fail(err, errlen, "out of memory");
    return -1;
  }
  if (!decide_step(s, path, st, cred, DK_R)) {
    dk_fail(text, sizeof text, "a script must be readable as well: its interpreter %s opens it (%s)", p, s->text);
    deny(r, "EACCES", s->rule_kind, text);
    return 0;
  }
  dk_fail(s->text, sizeof s->text, "readable by the interpreter %s", p);
  if (depth >= 4) return 0; /* the kernel allows a few levels of interpreters */
  dk_aresult sub;
  if (check_depth(p, DK_OP_EXEC, cred, sc, &sub, depth + 1, err, errlen) != 0) {
    dk_aresult_free(&sub);
    return -1;
  }
  for (size_t i = 0; i < sub.nsteps; i++) {
    dk_astep *t = add_step(r, sub.steps[i].path, sub.steps[i].index, "interpreter", sub.steps[i].need);
    if (!t) {
      dk_aresult_free(&sub);
      dk_fail(err, errlen, "out of memory");
      return -1;
    }
    char *keep_path = t->path;
    *t = sub.steps[i];
    t->path = keep_path;
    dk_fail(t->role, sizeof t->role, "interpreter");
  }
  if (!sub.allowed) {
    dk_fail(text, sizeof text, "the interpreter %s of this script cannot be executed: %s", p, sub.rule_text);
    deny(r, sub.err ? sub.err : "EACCES", sub.rule_kind, text);
  }
  dk_aresult_free(&sub);
  return 0;
}

static int read_sysctl(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int v = 0;
  if (fscanf(f, "%d", &v) != 1) v = 0;
  fclose(f);
  return v;
}

static int check_script(const char *path, const struct stat *st, const dk_pcred *cred, const dk_sysctls *sc,
                        dk_aresult *r, int index, int depth, char *err, size_t errlen);

static int check_depth(const char *path, dk_op op, const dk_pcred *cred, const dk_sysctls *sc, dk_aresult *r,
                       int depth, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  int prot_symlinks = sc && sc->protected_symlinks >= 0 ? sc->protected_symlinks
                                                         : read_sysctl("/proc/sys/fs/protected_symlinks");
  int prot_regular = sc && sc->protected_regular >= 0 ? sc->protected_regular
                                                       : read_sysctl("/proc/sys/fs/protected_regular");
  int prot_fifos = sc && sc->protected_fifos >= 0 ? sc->protected_fifos : read_sysctl("/proc/sys/fs/protected_fifos");
  r->denied_index = -1;
  r->allowed = 1;
  r->lsm_note = lsm_active();
  char cur[PATH_MAX], next[PATH_MAX], text[PATH_MAX + 64];
  size_t restcap = strlen(path) + 2;
  char *rest = malloc(restcap);
  if (!rest) {
    dk_fail(err, errlen, "out of memory");
    return -1;
  }
  dk_fail(rest, restcap, "%s", path);
  if (path[0] == '/') {
    strcpy(cur, "/");
  } else if (!getcwd(cur, sizeof cur)) {
    dk_fail(err, errlen, "getcwd failed: %s", strerror(errno));
    free(rest);
    return -1;
  }
  if (path[0] == '\0') {
    dk_astep *s = add_step(r, "", 1, "object", "");
    OOM(s);
    deny(r, "ENOENT", "path", "empty path");
    free(rest);
    return 0;
  }
  int links = 0, index = 1;
  int parent_op = op == DK_OP_CREATE || op == DK_OP_DELETE || op == DK_OP_RENAME;
  struct stat cst;
  /* A path that is "/" (or only slashes/dots) names the root itself. */
  char *p = rest;
  for (;;) {
    while (*p == '/') p++;
    /* Next component. */
    char name[NAME_MAX + 2];
    size_t nl = strcspn(p, "/");
    if (nl == 0) {
      /* No component left: the object is cur itself (e.g. "/" or "dir/"). */
      if (lstat(cur, &cst) != 0) {
        dk_astep *s = add_step(r, cur, index, "object", "");
        OOM(s);
        deny(r, errno == ENOENT ? "ENOENT" : "EACCES", "path", "cannot stat");
        free(rest);
        return 0;
      }
      dk_fail(next, sizeof next, "%s", cur);
      if (parent_op) {
        dk_astep *s = add_step(r, cur, index, "object", "");
        OOM(s);
        deny(r, "EBUSY", "path", "cannot create, delete or rename a directory named by a trailing '/' or '/'");
        free(rest);
        return 0;
      }
      break;
    }
    if (nl > NAME_MAX) {
      dk_astep *s = add_step(r, cur, index, "search", "x");
      OOM(s);
      deny(r, "ENAMETOOLONG", "path", "a path component is longer than NAME_MAX");
      free(rest);
      return 0;
    }
    memcpy(name, p, nl);
    name[nl] = '\0';
    p += nl;
    while (*p == '/') p++;
    int last = *p == '\0';
    /* Search permission on the directory we look the name up in. */
    if (lstat(cur, &cst) != 0) {
      dk_fail(err, errlen, "cannot stat %s: %s", cur, strerror(errno));
      free(rest);
      return -1;
    }
    dk_astep *s = add_step(r, cur, index, "search", "x");
    OOM(s);
    if (!decide_step(s, cur, &cst, cred, DK_X)) {
      deny(r, "EACCES", s->rule_kind, s->text);
      free(rest);
      return 0;
    }
    index++;
    if (strcmp(name, ".") == 0) {
      if (last) {
        dk_fail(next, sizeof next, "%s", cur);
        break;
      }
      continue;
    }
    if (strcmp(name, "..") == 0) {
      parent_of(cur);
      if (last) {
        dk_fail(next, sizeof next, "%s", cur);
        break;
      }
      continue;
    }
    join(next, sizeof next, cur, name);
    struct stat st;
    if (lstat(next, &st) != 0) {
      int e = errno;
      if (last && e == ENOENT && op == DK_OP_CREATE) {
        /* The parent decides; handled below. */
        break;
      }
      dk_astep *m = add_step(r, next, index, last ? "object" : "search", "");
      OOM(m);
      dk_fail(text, sizeof text, "%s does not exist", next);
      deny(r, e == ENOENT ? "ENOENT" : e == ENOTDIR ? "ENOTDIR" : "EACCES", "path", text);
      free(rest);
      return 0;
    }
    if (S_ISLNK(st.st_mode) && (!last || !parent_op)) {
      if (++links > MAX_LINKS) {
        dk_astep *m = add_step(r, next, index, "symlink", "");
        OOM(m);
        deny(r, "ELOOP", "path", "more than 40 symbolic links followed (a loop?)");
        free(rest);
        return 0;
      }
      char target[PATH_MAX];
      ssize_t tl = readlink(next, target, sizeof target - 1);
      if (tl < 0) tl = 0;
      target[tl] = '\0';
      dk_astep *m = add_step(r, next, index, "symlink", "");
      OOM(m);
      set_owner(m, &st);
      m->ok = 1;
      /* fs.protected_symlinks (may_follow_link): in a sticky world-writable folder, only links owned
         by the follower or by the folder's owner are followed, whatever the capabilities. */
      if (prot_symlinks && (uint32_t)st.st_uid != cred->uid &&
          (cst.st_mode & (S_ISVTX | S_IWOTH)) == (S_ISVTX | S_IWOTH) && cst.st_uid != st.st_uid) {
        DENY("EACCES", "sysctl",
              "fs.protected_symlinks=%d: %s is owned by uid %u in the sticky world-writable folder %s (owner uid "
              "%u); only its owner or the folder's owner may follow it",
              prot_symlinks, next, (unsigned)st.st_uid, cur, (unsigned)cst.st_uid);
      }
      dk_fail(m->via, sizeof m->via, "symlink");
      dk_fail(m->rule_kind, sizeof m->rule_kind, "path");
      dk_fail(m->text, sizeof m->text, "symbolic link to %s (its own mode bits are ignored)", target);
      /* rest := target + "/" + remaining */
      size_t need = (size_t)tl + strlen(p) + 3;
      char *nr = malloc(need);
      OOM(nr);
      dk_fail(nr, need, "%s%s%s", target, *p ? "/" : "", p);
      free(rest);
      rest = nr;
      p = rest;
      if (target[0] == '/') strcpy(cur, "/");
      index++;
      continue;
    }
    if (!last) {
      if (!S_ISDIR(st.st_mode)) {
        dk_astep *m = add_step(r, next, index, "search", "x");
        OOM(m);
        set_owner(m, &st);
        DENY("ENOTDIR", "path", "%s is not a directory", next);
      }
      dk_fail(cur, sizeof cur, "%s", next);
      continue;
    }
    break;
  }

  /* cur: the directory holding the object; next: the object (may not exist for create). */
  dk_fail(r->resolved, sizeof r->resolved, "%s", next);
  struct stat ost;
  int exists = lstat(next, &ost) == 0;
  unsigned long mf;
  if (parent_op) {
    struct stat pst;
    if (lstat(cur, &pst) != 0) {
      dk_fail(err, errlen, "cannot stat %s: %s", cur, strerror(errno));
      free(rest);
      return -1;
    }
    dk_astep *s = add_step(r, cur, index - 1, "parent", "wx");
    OOM(s);
    mf = mount_flags(cur);
    if (mf & ST_RDONLY) {
      set_owner(s, &pst);
      DENY("EROFS", "mount", "%s is on a read-only mount", cur);
    }
    unsigned pf = inode_flags(cur);
    if (pf & (FS_IMMUTABLE_FL | ((op != DK_OP_CREATE) ? FS_APPEND_FL : 0))) {
      s->mode = (uint32_t)pst.st_mode;
      DENY("EPERM", "flag", "the directory %s has the %s inode flag (lsattr)", cur,
               (pf & FS_IMMUTABLE_FL) ? "immutable (+i)" : "append-only (+a)");
    }
    if (!decide_step(s, cur, &pst, cred, DK_W | DK_X)) {
      deny(r, "EACCES", s->rule_kind, s->text);
      free(rest);
      return 0;
    }
    if (op == DK_OP_CREATE) {
      if (!exists) {
        free(rest);
        return 0;
      }
      /* fs.protected_regular / fs.protected_fifos (may_create_in_sticky): O_CREAT on someone
         else's existing file or FIFO in a sticky folder. */
      int prot = S_ISREG(ost.st_mode) ? prot_regular : S_ISFIFO(ost.st_mode) ? prot_fifos : 0;
      if (prot && (pst.st_mode & S_ISVTX) && ost.st_uid != pst.st_uid && (uint32_t)ost.st_uid != cred->uid &&
          ((pst.st_mode & S_IWOTH) || (prot >= 2 && (pst.st_mode & S_IWGRP)))) {
        dk_astep *m = add_step(r, next, index, "object", "w");
        OOM(m);
        set_owner(m, &ost);
        DENY("EACCES", "sysctl",
              "fs.protected_%s=%d: %s exists, belongs to uid %u, and its sticky folder %s to uid %u: "
              "opening it with O_CREAT is refused, even for root",
              S_ISREG(ost.st_mode) ? "regular" : "fifos", prot, next, (unsigned)ost.st_uid, cur,
              (unsigned)pst.st_uid);
      }
      /* open(O_CREAT) of an existing file opens it for writing. */
      op = DK_OP_WRITE;
    } else {
      if (!exists) {
        dk_astep *m = add_step(r, next, index, "object", "");
        OOM(m);
        DENY("ENOENT", "path", "%s does not exist", next);
      }
      dk_astep *m = add_step(r, next, index, "object", "");
      OOM(m);
      set_owner(m, &ost);
      m->ok = 1;
      dk_fail(m->rule_kind, sizeof m->rule_kind, "mode");
      dk_fail(m->text, sizeof m->text, "the entry itself needs no permission bits");
      unsigned of = S_ISLNK(ost.st_mode) ? 0 : inode_flags(next);
      if (of & (FS_IMMUTABLE_FL | FS_APPEND_FL)) {
        DENY("EPERM", "flag", "%s has the %s inode flag (lsattr): even root cannot delete or rename it", next,
                 (of & FS_IMMUTABLE_FL) ? "immutable (+i)" : "append-only (+a)");
      }
      if ((pst.st_mode & S_ISVTX) && cred->uid != (uint32_t)ost.st_uid && cred->uid != (uint32_t)pst.st_uid) {
        if (cred->caps & DK_CAP_BIT(DK_CAP_FOWNER)) {
          dk_fail(m->text, sizeof m->text, "sticky directory: not the owner of the file or the directory, but "
                                            "CAP_FOWNER overrides");
          dk_fail(m->rule_kind, sizeof m->rule_kind, "capability");
        } else {
          dk_fail(text, sizeof text,
                   "%s is sticky (+t): only the file's owner (uid %u), the directory's owner (uid %u) or "
                   "CAP_FOWNER may delete or rename entries",
                   cur, (unsigned)ost.st_uid, (unsigned)pst.st_uid);
          dk_fail(m->need, sizeof m->need, "sticky");
          deny(r, "EPERM", "sticky", text);
          free(rest);
          return 0;
        }
      }
      free(rest);
      return 0;
    }
  }

  /* Operations on the object itself. */
  unsigned want = 0;
  const char *need = "";
  switch (op) {
  case DK_OP_READ: want = DK_R, need = "r"; break;
  case DK_OP_WRITE: want = DK_W, need = "w"; break;
  case DK_OP_EXEC: want = DK_X, need = "x"; break;
  case DK_OP_LIST: want = DK_R, need = "r"; break;
  case DK_OP_SEARCH: want = DK_X, need = "x"; break;
  default: break;
  }
  dk_astep *s = add_step(r, next, index, "object", need);
  OOM(s);
  if (!exists) {
    DENY("ENOENT", "path", "%s does not exist", next);
  }
  set_owner(s, &ost);
  if ((op == DK_OP_LIST || op == DK_OP_SEARCH) && !S_ISDIR(ost.st_mode)) {
    DENY("ENOTDIR", "path", "%s is not a directory", next);
  }
  if (op == DK_OP_EXEC && S_ISDIR(ost.st_mode)) {
    DENY("EACCES", "path", "%s is a directory, not a program", next);
  }
  mf = mount_flags(next);
  if (op == DK_OP_WRITE && (mf & ST_RDONLY)) {
    DENY("EROFS", "mount", "%s is on a read-only mount", next);
  }
  if (op == DK_OP_EXEC && (mf & ST_NOEXEC)) {
    DENY("EACCES", "mount", "%s is on a noexec mount: nobody, not even root, may execute it", next);
  }
  if (op == DK_OP_WRITE) {
    unsigned of = inode_flags(next);
    if (of & FS_IMMUTABLE_FL) {
      DENY("EPERM", "flag", "%s has the immutable inode flag (+i, lsattr): even root cannot write it", next);
    }
    if (of & FS_APPEND_FL) {
      dk_fail(s->text, sizeof s->text, "append-only (+a): only writes with O_APPEND are allowed");
    }
  }
  char keep[320];
  dk_fail(keep, sizeof keep, "%s", s->text);
  if (!decide_step(s, next, &ost, cred, want)) {
    deny(r, "EACCES", s->rule_kind, s->text);
    free(rest);
    return 0;
  }
  if (keep[0]) {
    char both[320];
    dk_fail(both, sizeof both, "%.150s; %.150s", s->text, keep);
    dk_fail(s->text, sizeof s->text, "%s", both);
  }
  free(rest);
  if (op == DK_OP_EXEC && S_ISREG(ost.st_mode)) return check_script(next, &ost, cred, sc, r, index, depth, err, errlen);
  return 0;
}
