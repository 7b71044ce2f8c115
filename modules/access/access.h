/*
** POSIX access checks: "can this user do this operation on this path, and if
** not, which path component and which mode bit / ACL entry / capability /
** mount or inode flag decides?".
**
** Two layers:
**   - dk_pacl_decide(): the kernel's per-object rule (acl(5) algorithm on the
**     mode bits or the ACL entries, then capabilities). Pure, portable C.
**   - dk_access_check(): the path walk (access_posix.c) that stats every
**     component, reads its ACL (libacl), mount flags and inode flags, and
**     applies dk_pacl_decide() with the right bits at each step.
*/
#ifndef DK_ACCESS_H
#define DK_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#define DK_R 4u
#define DK_W 2u
#define DK_X 1u

/* Linux capability numbers (capabilities(7)). */
#define DK_CAP_CHOWN 0
#define DK_CAP_DAC_OVERRIDE 1
#define DK_CAP_DAC_READ_SEARCH 2
#define DK_CAP_FOWNER 3
#define DK_CAP_BIT(c) ((uint64_t)1 << (c))

#define DK_MAX_GROUPS 1024

/* Who asks: effective ids, supplementary groups and effective capabilities. */
typedef struct dk_pcred {
  uint32_t uid, gid;
  size_t ngroups;
  uint32_t groups[DK_MAX_GROUPS];
  uint64_t caps;       /* CapEff bits */
  char source[64];     /* "process", "user database", "/proc/123/status", "options" */
  char name[64];       /* user name when known */
} dk_pcred;

/* One ACL entry (acl(5)). */
enum { DK_ACL_USER_OBJ = 1, DK_ACL_USER, DK_ACL_GROUP_OBJ, DK_ACL_GROUP, DK_ACL_MASK, DK_ACL_OTHER };
typedef struct dk_acl_entry {
  int tag;
  uint32_t id; /* for DK_ACL_USER / DK_ACL_GROUP */
  unsigned perm; /* DK_R|DK_W|DK_X */
} dk_acl_entry;

/* What is known about one object. */
typedef struct dk_pobj {
  uint32_t uid, gid;
  uint32_t mode;      /* st_mode, incl. type bits */
  int is_dir;
  const dk_acl_entry *acl; /* NULL: no extended ACL, the mode bits decide */
  size_t nacl;
} dk_pobj;

/* The verdict of the per-object rule. */
typedef struct dk_pdecision {
  int allowed;
  /* "owner", "acl-user", "group", "acl-group", "other", "mask" (an entry had
     the bits but the mask cut them), "capability". */
  const char *via;
  const char *rule_kind; /* "mode", "acl-entry", "mask", "capability" */
  char text[256];        /* e.g. "group app (1002) has r-x, needs w" */
} dk_pdecision;

/* Decides access to one object for `want` (DK_R|DK_W|DK_X) as the kernel
   does (generic_permission: acl_permission_check, then capabilities). */
void dk_pacl_decide(const dk_pobj *obj, const dk_pcred *cred, unsigned want, dk_pdecision *out);

/* "rwx" text of 3 bits into buf (4 bytes). */
const char *dk_perm_str(unsigned perm, char buf[4]);
/* "drwxr-x---" into buf (11 bytes). */
const char *dk_mode_str(uint32_t mode, char buf[11]);
int dk_pcred_in_group(const dk_pcred *cred, uint32_t gid);

/* Operations. */
typedef enum {
  DK_OP_READ, DK_OP_WRITE, DK_OP_EXEC, DK_OP_LIST, DK_OP_SEARCH, DK_OP_CREATE, DK_OP_DELETE, DK_OP_RENAME
} dk_op;
int dk_op_parse(const char *name, dk_op *op);
const char *dk_op_name(dk_op op);

/* One step of the walk: a path component and what was needed there. */
typedef struct dk_astep {
  char *path;
  int index;          /* 1-based component number */
  char need[8];       /* "x", "r", "w", "wx", "sticky", ... */
  char role[16];      /* "search", "object", "parent", "symlink" */
  uint32_t mode, uid, gid;
  int has_acl;
  int ok;
  char via[16];
  char rule_kind[16];
  char text[320];
} dk_astep;

typedef struct dk_aresult {
  int allowed;
  const char *err;    /* NULL, "EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG" */
  int denied_index;   /* index of the deciding step (0-based in steps), -1 if allowed */
  char rule_kind[16]; /* "mode", "acl-entry", "mask", "capability", "mount", "flag", "sticky", "path" */
  char rule_text[320];
  char resolved[4096]; /* the physical path of the object */
  size_t nsteps, cap;
  dk_astep *steps;
  int lsm_note;        /* 1 when SELinux/AppArmor is active (opaque denials possible) */
} dk_aresult;

void dk_aresult_free(dk_aresult *r);

/* Credentials. Return 0, or -1 with a message in err (and *code set to
   "ENOENT" / "EACCES" / ...). */
int dk_pcred_current(dk_pcred *cred, char *err, size_t errlen, const char **code);
int dk_pcred_user(const char *name_or_uid, dk_pcred *cred, char *err, size_t errlen, const char **code);
int dk_pcred_pid(long pid, dk_pcred *cred, char *err, size_t errlen, const char **code);

/* The fs.protected_* sysctls (proc(5)); -1 = read from /proc/sys/fs. */
typedef struct dk_sysctls {
  int protected_symlinks, protected_regular, protected_fifos;
} dk_sysctls;

/* The check. sc may be NULL (the running kernel's values). Returns 0 with *r
   filled (allowed or not), or -1 on an internal failure (out of memory). */
int dk_access_check(const char *path, dk_op op, const dk_pcred *cred, const dk_sysctls *sc, dk_aresult *r, char *err,
                    size_t errlen);

#endif
