/*
** The kernel's per-object permission rule, as pure data in, verdict out:
** fs/namei.c acl_permission_check() + fs/posix_acl.c posix_acl_permission()
** + the capability overrides of generic_permission(). See acl(5).
*/
#include "dk_err.h"
#include "access.h"

#include <stdio.h>
#include <string.h>


const char *dk_perm_str(unsigned perm, char buf[4]) {
  buf[0] = (perm & DK_R) ? 'r' : '-';
  buf[1] = (perm & DK_W) ? 'w' : '-';
  buf[2] = (perm & DK_X) ? 'x' : '-';
  buf[3] = '\0';
  return buf;
}

const char *dk_mode_str(uint32_t mode, char buf[11]) {
  char t = '?';
  switch (mode & 0170000u) {
  case 0040000u: t = 'd'; break;
  case 0100000u: t = '-'; break;
  case 0120000u: t = 'l'; break;
  case 0020000u: t = 'c'; break;
  case 0060000u: t = 'b'; break;
  case 0010000u: t = 'p'; break;
  case 0140000u: t = 's'; break;
  default: break;
  }
  char p[4];
  buf[0] = t;
  memcpy(buf + 1, dk_perm_str((mode >> 6) & 7u, p), 3);
  memcpy(buf + 4, dk_perm_str((mode >> 3) & 7u, p), 3);
  memcpy(buf + 7, dk_perm_str(mode & 7u, p), 3);
  if (mode & 04000u) buf[3] = (mode & 0100u) ? 's' : 'S';
  if (mode & 02000u) buf[6] = (mode & 010u) ? 's' : 'S';
  if (mode & 01000u) buf[9] = (mode & 01u) ? 't' : 'T';
  buf[10] = '\0';
  return buf;
}

/* "wx": only the letters wanted. */
static const char *need_str(unsigned want, char buf[4]) {
  size_t n = 0;
  if (want & DK_R) buf[n++] = 'r';
  if (want & DK_W) buf[n++] = 'w';
  if (want & DK_X) buf[n++] = 'x';
  buf[n] = '\0';
  return buf;
}

int dk_pcred_in_group(const dk_pcred *cred, uint32_t gid) {
  if (cred->gid == gid) return 1;
  for (size_t i = 0; i < cred->ngroups; i++)
    if (cred->groups[i] == gid) return 1;
  return 0;
}

static const char *tag_name(int tag) {
  switch (tag) {
  case DK_ACL_USER_OBJ: return "user::";
  case DK_ACL_USER: return "user:";
  case DK_ACL_GROUP_OBJ: return "group::";
  case DK_ACL_GROUP: return "group:";
  case DK_ACL_MASK: return "mask::";
  case DK_ACL_OTHER: return "other::";
  default: return "?";
  }
}

/* "group:1002:r-x" */
static void entry_text(const dk_acl_entry *e, char *buf, size_t len) {
  char p[4];
  if (e->tag == DK_ACL_USER || e->tag == DK_ACL_GROUP)
    dk_fail(buf, len, "%s%u:%s", tag_name(e->tag), (unsigned)e->id, dk_perm_str(e->perm, p));
  else
    dk_fail(buf, len, "%s%s", tag_name(e->tag), dk_perm_str(e->perm, p));
}

/* The DAC rule without capabilities. Fills via/rule_kind/text. */
static int dac_decide(const dk_pobj *obj, const dk_pcred *cred, unsigned want, dk_pdecision *out) {
  char p[4], w[4], et[48];
  need_str(want, w);
  if (cred->uid == obj->uid) {
    unsigned bits = (obj->mode >> 6) & 7u;
    out->via = "owner";
    out->rule_kind = "mode";
    dk_fail(out->text, sizeof out->text, "uid %u is the owner; owner has %s, needs %s", (unsigned)cred->uid,
             dk_perm_str(bits, p), w);
    return (want & ~bits) == 0;
  }
  if (obj->acl != NULL && obj->nacl > 0 && (obj->mode & 070u)) {
    /* Entries in canonical order: USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER. */
    const dk_acl_entry *mask = NULL;
    for (size_t i = 0; i < obj->nacl; i++)
      if (obj->acl[i].tag == DK_ACL_MASK) mask = &obj->acl[i];
    int found = 0;
    const dk_acl_entry *first_group = NULL;
    for (int pass_tag = DK_ACL_USER; pass_tag <= DK_ACL_OTHER; pass_tag++) {
      for (size_t i = 0; i < obj->nacl; i++) {
        const dk_acl_entry *e = &obj->acl[i];
        if (e->tag != pass_tag) continue;
        const dk_acl_entry *hit = NULL;
        if (e->tag == DK_ACL_USER && e->id == cred->uid) {
          hit = e;
        } else if ((e->tag == DK_ACL_GROUP_OBJ && dk_pcred_in_group(cred, obj->gid)) ||
                   (e->tag == DK_ACL_GROUP && dk_pcred_in_group(cred, e->id))) {
          found = 1;
          if (!first_group) first_group = e;
          if ((e->perm & want) == want) hit = e;
        } else if (e->tag == DK_ACL_OTHER) {
          if (found) {
            entry_text(first_group, et, sizeof et);
            out->via = first_group->tag == DK_ACL_GROUP_OBJ ? "group" : "acl-group";
            out->rule_kind = "acl-entry";
            dk_fail(out->text, sizeof out->text,
                     "a group entry matches (%s) but no single matching group entry has %s; "
                     "other is not consulted",
                     et, w);
            return 0;
          }
          entry_text(e, et, sizeof et);
          out->via = "other";
          out->rule_kind = "acl-entry";
          dk_fail(out->text, sizeof out->text, "not owner, no user or group entry matches: %s, needs %s", et, w);
          return (e->perm & want) == want;
        }
        if (hit) {
          entry_text(hit, et, sizeof et);
          out->via = hit->tag == DK_ACL_USER ? "acl-user" : hit->tag == DK_ACL_GROUP_OBJ ? "group" : "acl-group";
          if (hit->tag == DK_ACL_USER && (hit->perm & want) != want) {
            out->rule_kind = "acl-entry";
            dk_fail(out->text, sizeof out->text, "ACL entry %s matches, needs %s", et, w);
            return 0;
          }
          if (mask && (mask->perm & want) != want) {
            out->via = "mask";
            out->rule_kind = "mask";
            dk_fail(out->text, sizeof out->text, "ACL entry %s matches but the mask (mask::%s) removes %s",
                     et, dk_perm_str(mask->perm, p), need_str(want & ~mask->perm, w));
            return 0;
          }
          out->rule_kind = "acl-entry";
          dk_fail(out->text, sizeof out->text, "ACL entry %s%s grants %s", et,
                   mask ? " (within the mask)" : "", w);
          return 1;
        }
      }
    }
    /* No OTHER entry: a malformed ACL, the kernel says EIO; treat as denied. */
    out->via = "other";
    out->rule_kind = "acl-entry";
    dk_fail(out->text, sizeof out->text, "the ACL has no other:: entry");
    return 0;
  }
  if (dk_pcred_in_group(cred, obj->gid)) {
    unsigned bits = (obj->mode >> 3) & 7u;
    out->via = "group";
    out->rule_kind = "mode";
    dk_fail(out->text, sizeof out->text, "not the owner (uid %u); in group %u, group has %s, needs %s",
             (unsigned)obj->uid, (unsigned)obj->gid, dk_perm_str(bits, p), w);
    return (want & ~bits) == 0;
  }
  unsigned bits = obj->mode & 7u;
  out->via = "other";
  out->rule_kind = "mode";
  dk_fail(out->text, sizeof out->text, "not the owner (uid %u), not in group %u; other has %s, needs %s",
           (unsigned)obj->uid, (unsigned)obj->gid, dk_perm_str(bits, p), w);
  return (want & ~bits) == 0;
}

/* A capability grants what the DAC rule (text dac) refused. */
static void cap_override(dk_pdecision *out, const char *cap, const char *dac) {
  out->allowed = 1;
  out->via = "capability";
  out->rule_kind = "capability";
  dk_fail(out->text, sizeof out->text, "%s overrides (%s)", cap, dac);
}

void dk_pacl_decide(const dk_pobj *obj, const dk_pcred *cred, unsigned want, dk_pdecision *out) {
  memset(out, 0, sizeof *out);
  want &= 7u;
  if (dac_decide(obj, cred, want, out)) {
    out->allowed = 1;
    return;
  }
  /* Capabilities: generic_permission() after the DAC check failed. */
  int ovr = (cred->caps & DK_CAP_BIT(DK_CAP_DAC_OVERRIDE)) != 0;
  int rs = (cred->caps & DK_CAP_BIT(DK_CAP_DAC_READ_SEARCH)) != 0;
  char dac[256];
  memcpy(dac, out->text, sizeof dac);
  if (obj->is_dir) {
    if (!(want & DK_W) && rs) cap_override(out, "CAP_DAC_READ_SEARCH", dac);
    else if (ovr) cap_override(out, "CAP_DAC_OVERRIDE", dac);
    return;
  }
  if (want == DK_R && rs) {
    cap_override(out, "CAP_DAC_READ_SEARCH", dac);
  } else if (!(want & DK_X) || (obj->mode & 0111u)) {
    if (ovr) cap_override(out, "CAP_DAC_OVERRIDE", dac);
  } else if (ovr) {
    out->rule_kind = "mode";
    dk_fail(out->text, sizeof out->text,
             "no execute bit is set for anyone (mode %04o): even CAP_DAC_OVERRIDE (root) cannot execute it",
             (unsigned)(obj->mode & 07777u));
  }
}

static const struct {
  const char *name;
  dk_op op;
} op_names[] = {{"read", DK_OP_READ},     {"write", DK_OP_WRITE},   {"exec", DK_OP_EXEC},
                {"execute", DK_OP_EXEC},  {"list", DK_OP_LIST},     {"search", DK_OP_SEARCH},
                {"create", DK_OP_CREATE}, {"delete", DK_OP_DELETE}, {"rename", DK_OP_RENAME}};

int dk_op_parse(const char *name, dk_op *op) {
  for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
    if (strcmp(name, op_names[i].name) == 0) {
      *op = op_names[i].op;
      return 0;
    }
  return -1;
}

const char *dk_op_name(dk_op op) {
  for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
    if (op_names[i].op == op) return op_names[i].name;
  return "?";
}
