/*
** Binary self-relative security descriptors, SIDs, well-known SID aliases,
** generic mappings and rights names. See sd.h.
*/
#include "dk_err.h"
#include "sd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk_bytes.h"

void dk_sd_init(dk_sd *sd) { memset(sd, 0, sizeof *sd); }

static void acl_free(dk_acl *a) {
  if (a->aces) {
    for (size_t i = 0; i < a->count; i++) free(a->aces[i].data);
    free(a->aces);
  }
  a->aces = NULL;
  a->count = 0;
}

void dk_sd_free(dk_sd *sd) {
  acl_free(&sd->dacl);
  acl_free(&sd->sacl);
}

/* ---- SIDs --------------------------------------------------------------- */

static int parse_sid(const uint8_t *buf, size_t len, size_t off, dk_sid *sid, size_t *used, const char *what,
                     char *err, size_t errlen) {
  if (off > len || len - off < 8)
    return dk_fail(err, errlen, "%s SID at offset 0x%zx: needs 8 bytes, %zu left", what, off, off > len ? 0 : len - off);
  const uint8_t *p = buf + off;
  if (p[0] != 1) return dk_fail(err, errlen, "%s SID at offset 0x%zx: revision %u (must be 1)", what, off, p[0]);
  if (p[1] > DK_SID_MAX_SUB)
    return dk_fail(err, errlen, "%s SID at offset 0x%zx: %u sub-authorities (at most 15)", what, off, p[1]);
  size_t need = 8 + 4 * (size_t)p[1];
  if (len - off < need)
    return dk_fail(err, errlen, "%s SID at offset 0x%zx: %u sub-authorities need %zu bytes, %zu left", what, off, p[1],
                need, len - off);
  memset(sid, 0, sizeof *sid);
  sid->revision = 1;
  sid->count = p[1];
  for (int i = 0; i < 6; i++) sid->authority = (sid->authority << 8) | p[2 + i];
  for (int i = 0; i < p[1]; i++) sid->sub[i] = dk_rd32le(p + 8 + 4 * i);
  if (used) *used = need;
  return 0;
}

int dk_sid_equal(const dk_sid *a, const dk_sid *b) {
  if (a->count != b->count || a->authority != b->authority) return 0;
  for (int i = 0; i < a->count; i++)
    if (a->sub[i] != b->sub[i]) return 0;
  return 1;
}

void dk_sid_format(const dk_sid *sid, char *buf, size_t len) {
  size_t n = 0;
  int w;
  if (sid->authority < ((uint64_t)1 << 32)) w = snprintf(buf, len, "S-%u-%llu", sid->revision ? sid->revision : 1u,
                                                          (unsigned long long)sid->authority);
  else w = snprintf(buf, len, "S-%u-0x%012llX", sid->revision ? sid->revision : 1u, (unsigned long long)sid->authority);
  if (w < 0) return;
  n = (size_t)w;
  for (int i = 0; i < sid->count && n < len; i++) {
    w = snprintf(buf + n, len - n, "-%u", sid->sub[i]);
    if (w < 0) return;
    n += (size_t)w;
  }
}

static const struct {
  const char *alias, *sid, *name;
} aliases[] = {
    {"AN", "S-1-5-7", "NT AUTHORITY\\ANONYMOUS LOGON"},
    {"AO", "S-1-5-32-548", "BUILTIN\\Account Operators"},
    {"AU", "S-1-5-11", "NT AUTHORITY\\Authenticated Users"},
    {"BA", "S-1-5-32-544", "BUILTIN\\Administrators"},
    {"BG", "S-1-5-32-546", "BUILTIN\\Guests"},
    {"BO", "S-1-5-32-551", "BUILTIN\\Backup Operators"},
    {"BU", "S-1-5-32-545", "BUILTIN\\Users"},
    {"CG", "S-1-3-1", "CREATOR GROUP"},
    {"CO", "S-1-3-0", "CREATOR OWNER"},
    {"CY", "S-1-5-32-569", "BUILTIN\\Cryptographic Operators"},
    {"ED", "S-1-5-9", "NT AUTHORITY\\ENTERPRISE DOMAIN CONTROLLERS"},
    {"ER", "S-1-5-32-573", "BUILTIN\\Event Log Readers"},
    {"HI", "S-1-16-12288", "Mandatory Label\\High Mandatory Level"},
    {"IS", "S-1-5-32-568", "BUILTIN\\IIS_IUSRS"},
    {"IU", "S-1-5-4", "NT AUTHORITY\\INTERACTIVE"},
    {"LS", "S-1-5-19", "NT AUTHORITY\\LOCAL SERVICE"},
    {"LU", "S-1-5-32-559", "BUILTIN\\Performance Log Users"},
    {"LW", "S-1-16-4096", "Mandatory Label\\Low Mandatory Level"},
    {"ME", "S-1-16-8192", "Mandatory Label\\Medium Mandatory Level"},
    {"MP", "S-1-16-8448", "Mandatory Label\\Medium Plus Mandatory Level"},
    {"MU", "S-1-5-32-558", "BUILTIN\\Performance Monitor Users"},
    {"NO", "S-1-5-32-556", "BUILTIN\\Network Configuration Operators"},
    {"NS", "S-1-5-20", "NT AUTHORITY\\NETWORK SERVICE"},
    {"NU", "S-1-5-2", "NT AUTHORITY\\NETWORK"},
    {"OW", "S-1-3-4", "OWNER RIGHTS"},
    {"PO", "S-1-5-32-550", "BUILTIN\\Print Operators"},
    {"PS", "S-1-5-10", "NT AUTHORITY\\SELF"},
    {"PU", "S-1-5-32-547", "BUILTIN\\Power Users"},
    {"RC", "S-1-5-12", "NT AUTHORITY\\RESTRICTED"},
    {"RD", "S-1-5-32-555", "BUILTIN\\Remote Desktop Users"},
    {"RE", "S-1-5-32-552", "BUILTIN\\Replicator"},
    {"RM", "S-1-5-32-580", "BUILTIN\\Remote Management Users"},
    {"RU", "S-1-5-32-554", "BUILTIN\\Pre-Windows 2000 Compatible Access"},
    {"SI", "S-1-16-16384", "Mandatory Label\\System Mandatory Level"},
    {"SO", "S-1-5-32-549", "BUILTIN\\Server Operators"},
    {"SU", "S-1-5-6", "NT AUTHORITY\\SERVICE"},
    {"SY", "S-1-5-18", "NT AUTHORITY\\SYSTEM"},
    {"WD", "S-1-1-0", "Everyone"},
    {"WR", "S-1-5-33", "NT AUTHORITY\\WRITE RESTRICTED"},
    {"AC", "S-1-15-2-1", "APPLICATION PACKAGE AUTHORITY\\ALL APPLICATION PACKAGES"},
    {"AA", "S-1-5-32-579", "BUILTIN\\Access Control Assistance Operators"},
    {"HA", "S-1-5-32-578", "BUILTIN\\Hyper-V Administrators"},
    {"ES", "S-1-5-32-576", "BUILTIN\\RDS Endpoint Servers"},
    {"MS", "S-1-5-32-577", "BUILTIN\\RDS Management Servers"},
    {"CD", "S-1-5-32-574", "BUILTIN\\Certificate Service DCOM Access"},
    {NULL, "S-1-15-2-2", "APPLICATION PACKAGE AUTHORITY\\ALL RESTRICTED APPLICATION PACKAGES"},
    {NULL, "S-1-5-113", "NT AUTHORITY\\Local account"},
    {NULL, "S-1-5-114", "NT AUTHORITY\\Local account and member of Administrators group"},
    {NULL, "S-1-16-0", "Mandatory Label\\Untrusted Mandatory Level"},
    {NULL, "S-1-5-32-573", "BUILTIN\\Event Log Readers"},
};

/* Domain-relative aliases: they need the domain SID, which offline data lacks. */
static const char *const domain_aliases[] = {"CA", "DA", "DC", "DD", "DG", "DU", "EA", "LA", "LG",
                                              "PA", "RO", "RS", "SA", "CN", "AP", "KA", "EK", NULL};

static int sid_text_parse_strict(const char *s, size_t len, dk_sid *sid, size_t *used, char *err, size_t errlen);

static int alias_sid(int i, dk_sid *sid) {
  size_t used;
  const char *t = aliases[i].sid;
  return sid_text_parse_strict(t, strlen(t), sid, &used, NULL, 0);
}

const char *dk_sid_alias(const dk_sid *sid) {
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    if (!aliases[i].alias) continue;
    dk_sid a;
    if (alias_sid((int)i, &a) == 0 && dk_sid_equal(&a, sid)) return aliases[i].alias;
  }
  return NULL;
}

const char *dk_sid_name(const dk_sid *sid) {
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++) {
    dk_sid a;
    if (alias_sid((int)i, &a) == 0 && dk_sid_equal(&a, sid)) return aliases[i].name;
  }
  if (sid->authority == 5 && sid->count >= 1 && sid->sub[0] == 80) return "NT SERVICE\\(a service SID)";
  if (sid->authority == 16 && sid->count == 1) return "Mandatory Label";
  return NULL;
}

/* "S-1-5-32-544" at s (len bytes): digits and dashes only. */
static int sid_text_parse_strict(const char *s, size_t len, dk_sid *sid, size_t *used, char *err, size_t errlen) {
  size_t i = 0;
  memset(sid, 0, sizeof *sid);
  if (len < 2 || (s[0] != 'S' && s[0] != 's') || s[1] != '-') return dk_fail(err, errlen, "offset 0: SID must start with S-");
  i = 2;
  uint64_t parts[2 + DK_SID_MAX_SUB + 1];
  int np = 0;
  for (;;) {
    if (i >= len) return dk_fail(err, errlen, "offset %zu: number expected in SID", i);
    uint64_t v = 0;
    size_t start = i;
    if (np == 1 && i + 1 < len && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
      i += 2;
      size_t hs = i;
      while (i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F'))) {
        if (i - hs >= 12) return dk_fail(err, errlen, "offset %zu: SID authority longer than 48 bits", start);
        int d = s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10;
        v = v * 16 + (uint64_t)d;
        i++;
      }
      if (i == hs) return dk_fail(err, errlen, "offset %zu: hex digits expected", i);
    } else {
      while (i < len && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > 0xFFFFFFFFFFFFull) return dk_fail(err, errlen, "offset %zu: number too large in SID", start);
        i++;
      }
      if (i == start) return dk_fail(err, errlen, "offset %zu: number expected in SID", i);
    }
    if (np >= 2 + DK_SID_MAX_SUB)
      return dk_fail(err, errlen, "offset %zu: more than 15 sub-authorities in SID", start);
    if (np >= 2 && v > 0xFFFFFFFFu) return dk_fail(err, errlen, "offset %zu: sub-authority over 32 bits", start);
    parts[np++] = v;
    if (i < len && s[i] == '-' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9') {
      i++;
      continue;
    }
    break;
  }
  if (np < 2) return dk_fail(err, errlen, "offset %zu: SID needs a revision and an authority", i);
  if (parts[0] != 1) return dk_fail(err, errlen, "offset 2: SID revision %llu (must be 1)", (unsigned long long)parts[0]);
  sid->revision = 1;
  sid->authority = parts[1];
  sid->count = (uint8_t)(np - 2);
  for (int k = 2; k < np; k++) sid->sub[k - 2] = (uint32_t)parts[k];
  *used = i;
  return 0;
}

int dk_sid_parse_text(const char *s, size_t len, dk_sid *sid, size_t *used, char *err, size_t errlen) {
  if (len >= 2 && (s[0] == 'S' || s[0] == 's') && s[1] == '-') return sid_text_parse_strict(s, len, sid, used, err, errlen);
  if (len < 2) return dk_fail(err, errlen, "offset 0: SID expected (two-letter alias or S-1-...)");
  char a[3] = {s[0], s[1], 0};
  for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
    if (aliases[i].alias && strcmp(aliases[i].alias, a) == 0) {
      alias_sid((int)i, sid);
      *used = 2;
      return 0;
    }
  for (int i = 0; domain_aliases[i]; i++)
    if (strcmp(domain_aliases[i], a) == 0)
      return dk_fail(err, errlen,
                  "offset 0: SID alias '%s' is relative to a domain and cannot be resolved offline; "
                  "write the full SID (S-1-5-21-...)",
                  a);
  return dk_fail(err, errlen, "offset 0: unknown SID alias '%s'", a);
}

int dk_sid_from_string(const char *s, dk_sid *sid, char *err, size_t errlen) {
  size_t used = 0, len = strlen(s);
  if (dk_sid_parse_text(s, len, sid, &used, err, errlen) != 0) return -1;
  if (used != len) return dk_fail(err, errlen, "offset %zu: unexpected text after the SID", used);
  return 0;
}

/* ---- binary SD ---------------------------------------------------------- */

static int is_object_ace(uint8_t t) {
  return t == DK_ACE_ALLOWED_OBJECT || t == DK_ACE_DENIED_OBJECT || t == DK_ACE_AUDIT_OBJECT ||
         t == DK_ACE_ALARM_OBJECT || t == DK_ACE_ALLOWED_CALLBACK_OBJECT || t == DK_ACE_DENIED_CALLBACK_OBJECT ||
         t == DK_ACE_AUDIT_CALLBACK_OBJECT || t == DK_ACE_ALARM_CALLBACK_OBJECT;
}

const char *dk_ace_type_name(uint8_t t) {
  static const char *const names[] = {"ACCESS_ALLOWED",
                                      "ACCESS_DENIED",
                                      "SYSTEM_AUDIT",
                                      "SYSTEM_ALARM",
                                      "ACCESS_ALLOWED_COMPOUND",
                                      "ACCESS_ALLOWED_OBJECT",
                                      "ACCESS_DENIED_OBJECT",
                                      "SYSTEM_AUDIT_OBJECT",
                                      "SYSTEM_ALARM_OBJECT",
                                      "ACCESS_ALLOWED_CALLBACK",
                                      "ACCESS_DENIED_CALLBACK",
                                      "ACCESS_ALLOWED_CALLBACK_OBJECT",
                                      "ACCESS_DENIED_CALLBACK_OBJECT",
                                      "SYSTEM_AUDIT_CALLBACK",
                                      "SYSTEM_ALARM_CALLBACK",
                                      "SYSTEM_AUDIT_CALLBACK_OBJECT",
                                      "SYSTEM_ALARM_CALLBACK_OBJECT",
                                      "SYSTEM_MANDATORY_LABEL",
                                      "SYSTEM_RESOURCE_ATTRIBUTE",
                                      "SYSTEM_SCOPED_POLICY_ID",
                                      "SYSTEM_PROCESS_TRUST_LABEL",
                                      "SYSTEM_ACCESS_FILTER"};
  return t < sizeof names / sizeof names[0] ? names[t] : "UNKNOWN";
}

static int parse_acl(const uint8_t *buf, size_t len, size_t off, dk_acl *acl, const char *what, char *err,
                     size_t errlen) {
  if (off > len || len - off < 8)
    return dk_fail(err, errlen, "%s at offset 0x%zx: the 8-byte ACL header does not fit in %zu bytes", what, off, len);
  const uint8_t *p = buf + off;
  uint8_t rev = p[0];
  uint16_t size = dk_rd16le(p + 2), count = dk_rd16le(p + 4);
  if (rev < 2 || rev > 4) return dk_fail(err, errlen, "%s at offset 0x%zx: ACL revision %u (2 or 4 expected)", what, off, rev);
  if (size < 8) return dk_fail(err, errlen, "%s at offset 0x%zx: ACL size %u is smaller than its header", what, off, size);
  if (size > len - off)
    return dk_fail(err, errlen, "%s at offset 0x%zx: ACL size %u runs past the end of the descriptor (%zu bytes)", what,
                off, size, len);
  /* Every ACE takes at least 8 bytes (header + mask): a count that cannot fit is a lie. */
  if ((size_t)count * 8 > (size_t)size - 8)
    return dk_fail(err, errlen, "%s at offset 0x%zx: ACL declares %u ACEs but its %u bytes hold at most %u", what, off,
                count, size, (unsigned)((size - 8) / 8));
  acl->revision = rev;
  acl->count = 0;
  acl->aces = count ? calloc(count, sizeof *acl->aces) : NULL;
  if (count && !acl->aces) return dk_fail(err, errlen, "out of memory");
  size_t pos = 8;
  for (uint16_t i = 0; i < count; i++) {
    size_t aoff = off + pos;
    if (size - pos < 4)
      return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: header past the end of the ACL (size %u)", what, i, aoff,
                  size);
    const uint8_t *a = buf + aoff;
    uint8_t type = a[0], flags = a[1];
    uint16_t asz = dk_rd16le(a + 2);
    if (asz < 8 || asz % 4 != 0)
      return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: size %u (must be at least 8 and a multiple of 4)", what,
                  i, aoff, asz);
    if (asz > size - pos)
      return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: size %u runs past the end of the ACL", what, i, aoff, asz);
    if (type > DK_ACE_ACCESS_FILTER || type == DK_ACE_ALLOWED_COMPOUND)
      return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: unsupported ACE type 0x%02x", what, i, aoff, type);
    dk_ace *ace = &acl->aces[i];
    acl->count = (uint16_t)(i + 1);
    ace->type = type;
    ace->flags = flags;
    ace->mask = dk_rd32le(a + 4);
    size_t body = 8;
    if (is_object_ace(type)) {
      if (asz < 12) return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: object ACE too small", what, i, aoff);
      ace->object_flags = dk_rd32le(a + 8);
      body = 12;
      if (ace->object_flags & 1u) {
        if (asz < body + 16)
          return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: object type GUID past the ACE end", what, i, aoff);
        memcpy(ace->object_type, a + body, 16);
        body += 16;
      }
      if (ace->object_flags & 2u) {
        if (asz < body + 16)
          return dk_fail(err, errlen, "%s: ACE #%u at offset 0x%zx: inherited object type GUID past the ACE end", what,
                      i, aoff);
        memcpy(ace->inherited_object_type, a + body, 16);
        body += 16;
      }
    }
    char sub[32];
    snprintf(sub, sizeof sub, "ACE #%u", i);
    size_t used;
    char serr[160];
    if (parse_sid(a, asz, body, &ace->sid, &used, sub, serr, sizeof serr) != 0)
      return dk_fail(err, errlen, "%s: %s (ACE at offset 0x%zx)", what, serr, aoff);
    body += used;
    if (asz > body) {
      ace->data_len = asz - body;
      ace->data = malloc(ace->data_len);
      if (!ace->data) return dk_fail(err, errlen, "out of memory");
      memcpy(ace->data, a + body, ace->data_len);
    }
    pos += asz;
  }
  return 0;
}

int dk_sd_parse(const uint8_t *buf, size_t len, dk_sd *sd, char *err, size_t errlen) {
  dk_sd_init(sd);
  if (len < 20) return dk_fail(err, errlen, "security descriptor of %zu bytes (the header alone is 20)", len);
  if (buf[0] != 1) return dk_fail(err, errlen, "offset 0: revision %u (must be 1)", buf[0]);
  uint16_t control = dk_rd16le(buf + 2);
  if (!(control & DK_SE_SELF_RELATIVE))
    return dk_fail(err, errlen, "offset 2: control 0x%04x lacks SE_SELF_RELATIVE (0x8000): not a self-relative descriptor",
                control);
  sd->control = control;
  uint32_t oo = dk_rd32le(buf + 4), og = dk_rd32le(buf + 8), os = dk_rd32le(buf + 12), od = dk_rd32le(buf + 16);
  if (oo) {
    if (oo < 20) return dk_fail(err, errlen, "offset 4: owner offset 0x%x points into the header", oo);
    if (parse_sid(buf, len, oo, &sd->owner, NULL, "owner", err, errlen) != 0) return -1;
    sd->has_owner = 1;
  }
  if (og) {
    if (og < 20) return dk_fail(err, errlen, "offset 8: group offset 0x%x points into the header", og);
    if (parse_sid(buf, len, og, &sd->group, NULL, "group", err, errlen) != 0) return -1;
    sd->has_group = 1;
  }
  if (control & DK_SE_SACL_PRESENT) {
    sd->sacl.present = 1;
    if (os == 0) sd->sacl.null = 1;
    else if (os < 20) return dk_fail(err, errlen, "offset 12: SACL offset 0x%x points into the header", os);
    else if (parse_acl(buf, len, os, &sd->sacl, "SACL", err, errlen) != 0) {
      dk_sd_free(sd);
      return -1;
    }
  }
  if (control & DK_SE_DACL_PRESENT) {
    sd->dacl.present = 1;
    if (od == 0) sd->dacl.null = 1;
    else if (od < 20) {
      dk_sd_free(sd);
      return dk_fail(err, errlen, "offset 16: DACL offset 0x%x points into the header", od);
    } else if (parse_acl(buf, len, od, &sd->dacl, "DACL", err, errlen) != 0) {
      dk_sd_free(sd);
      return -1;
    }
  }
  return 0;
}

/* ---- serialization ------------------------------------------------------ */

static size_t sid_size(const dk_sid *s) { return 8 + 4 * (size_t)s->count; }

static size_t ace_size(const dk_ace *a) {
  size_t n = 8 + sid_size(&a->sid) + a->data_len;
  if (is_object_ace(a->type)) {
    n += 4;
    if (a->object_flags & 1u) n += 16;
    if (a->object_flags & 2u) n += 16;
  }
  return (n + 3) & ~(size_t)3;
}

static size_t acl_size(const dk_acl *acl) {
  size_t n = 8;
  for (size_t i = 0; i < acl->count; i++) n += ace_size(&acl->aces[i]);
  return n;
}

static void wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static size_t put_sid(uint8_t *p, const dk_sid *s) {
  p[0] = 1;
  p[1] = s->count;
  for (int i = 0; i < 6; i++) p[2 + i] = (uint8_t)(s->authority >> (8 * (5 - i)));
  for (int i = 0; i < s->count; i++) wr32(p + 8 + 4 * i, s->sub[i]);
  return sid_size(s);
}

static size_t put_acl(uint8_t *p, const dk_acl *acl) {
  size_t total = acl_size(acl);
  int has_obj = 0;
  for (size_t i = 0; i < acl->count; i++) has_obj |= is_object_ace(acl->aces[i].type);
  p[0] = acl->revision ? acl->revision : (uint8_t)(has_obj ? 4 : 2);
  p[1] = 0;
  wr16(p + 2, (uint32_t)total);
  wr16(p + 4, acl->count);
  wr16(p + 6, 0);
  size_t pos = 8;
  for (size_t i = 0; i < acl->count; i++) {
    const dk_ace *a = &acl->aces[i];
    size_t sz = ace_size(a);
    uint8_t *q = p + pos;
    memset(q, 0, sz);
    q[0] = a->type;
    q[1] = a->flags;
    wr16(q + 2, (uint32_t)sz);
    wr32(q + 4, a->mask);
    size_t b = 8;
    if (is_object_ace(a->type)) {
      wr32(q + 8, a->object_flags);
      b = 12;
      if (a->object_flags & 1u) memcpy(q + b, a->object_type, 16), b += 16;
      if (a->object_flags & 2u) memcpy(q + b, a->inherited_object_type, 16), b += 16;
    }
    b += put_sid(q + b, &a->sid);
    if (a->data_len) memcpy(q + b, a->data, a->data_len);
    pos += sz;
  }
  return total;
}

int dk_sd_to_binary(const dk_sd *sd, uint8_t **out, size_t *len) {
  size_t n = 20;
  if (sd->has_owner) n += sid_size(&sd->owner);
  if (sd->has_group) n += sid_size(&sd->group);
  int sacl = sd->sacl.present && !sd->sacl.null, dacl = sd->dacl.present && !sd->dacl.null;
  if (sacl) n += acl_size(&sd->sacl);
  if (dacl) n += acl_size(&sd->dacl);
  if ((sacl && acl_size(&sd->sacl) > 0xFFFF) || (dacl && acl_size(&sd->dacl) > 0xFFFF)) return -1;
  uint8_t *b = calloc(1, n);
  if (!b) return -1;
  uint16_t control = (uint16_t)(sd->control | DK_SE_SELF_RELATIVE);
  control = (uint16_t)(control & ~(DK_SE_DACL_PRESENT | DK_SE_SACL_PRESENT));
  if (sd->dacl.present) control |= DK_SE_DACL_PRESENT;
  if (sd->sacl.present) control |= DK_SE_SACL_PRESENT;
  b[0] = 1;
  wr16(b + 2, control);
  size_t pos = 20;
  if (sacl) {
    wr32(b + 12, (uint32_t)pos);
    pos += put_acl(b + pos, &sd->sacl);
  }
  if (dacl) {
    wr32(b + 16, (uint32_t)pos);
    pos += put_acl(b + pos, &sd->dacl);
  }
  if (sd->has_owner) {
    wr32(b + 4, (uint32_t)pos);
    pos += put_sid(b + pos, &sd->owner);
  }
  if (sd->has_group) {
    wr32(b + 8, (uint32_t)pos);
    pos += put_sid(b + pos, &sd->group);
  }
  *out = b;
  *len = pos;
  return 0;
}

/* ---- generic mappings and rights names ---------------------------------- */

static const dk_generic_mapping mappings[] = {
    {"file", 0x120089u, 0x120116u, 0x1200A0u, 0x1F01FFu},
    {"directory", 0x120089u, 0x120116u, 0x1200A0u, 0x1F01FFu},
    {"key", 0x20019u, 0x20006u, 0x20019u, 0xF003Fu},
    {"service", 0x2008Du, 0x20002u, 0x20170u, 0xF01FFu},
    {"none", 0, 0, 0, 0},
};

const dk_generic_mapping *dk_mapping_find(const char *t) {
  for (size_t i = 0; i < sizeof mappings / sizeof mappings[0]; i++)
    if (strcmp(mappings[i].name, t) == 0) return &mappings[i];
  return NULL;
}

uint32_t dk_map_generic(uint32_t mask, const dk_generic_mapping *m) {
  if (!m || (m->read | m->write | m->execute | m->all) == 0) return mask;
  uint32_t out = mask & ~(DK_GENERIC_READ | DK_GENERIC_WRITE | DK_GENERIC_EXECUTE | DK_GENERIC_ALL);
  if (mask & DK_GENERIC_READ) out |= m->read;
  if (mask & DK_GENERIC_WRITE) out |= m->write;
  if (mask & DK_GENERIC_EXECUTE) out |= m->execute;
  if (mask & DK_GENERIC_ALL) out |= m->all;
  return out;
}

typedef struct {
  const char *name;
  uint32_t bits;
} named_bits;

static const named_bits file_bits[] = {
    {"FILE_READ_DATA", 0x1}, {"FILE_WRITE_DATA", 0x2}, {"FILE_APPEND_DATA", 0x4}, {"FILE_READ_EA", 0x8},
    {"FILE_WRITE_EA", 0x10}, {"FILE_EXECUTE", 0x20},   {"FILE_DELETE_CHILD", 0x40}, {"FILE_READ_ATTRIBUTES", 0x80},
    {"FILE_WRITE_ATTRIBUTES", 0x100}, {NULL, 0}};
static const named_bits dir_bits[] = {
    {"FILE_LIST_DIRECTORY", 0x1}, {"FILE_ADD_FILE", 0x2}, {"FILE_ADD_SUBDIRECTORY", 0x4}, {"FILE_READ_EA", 0x8},
    {"FILE_WRITE_EA", 0x10}, {"FILE_TRAVERSE", 0x20},  {"FILE_DELETE_CHILD", 0x40}, {"FILE_READ_ATTRIBUTES", 0x80},
    {"FILE_WRITE_ATTRIBUTES", 0x100}, {NULL, 0}};
static const named_bits key_bits[] = {{"KEY_QUERY_VALUE", 0x1},        {"KEY_SET_VALUE", 0x2},
                                      {"KEY_CREATE_SUB_KEY", 0x4},     {"KEY_ENUMERATE_SUB_KEYS", 0x8},
                                      {"KEY_NOTIFY", 0x10},            {"KEY_CREATE_LINK", 0x20},
                                      {NULL, 0}};
static const named_bits service_bits[] = {
    {"SERVICE_QUERY_CONFIG", 0x1}, {"SERVICE_CHANGE_CONFIG", 0x2}, {"SERVICE_QUERY_STATUS", 0x4},
    {"SERVICE_ENUMERATE_DEPENDENTS", 0x8}, {"SERVICE_START", 0x10}, {"SERVICE_STOP", 0x20},
    {"SERVICE_PAUSE_CONTINUE", 0x40}, {"SERVICE_INTERROGATE", 0x80}, {"SERVICE_USER_DEFINED_CONTROL", 0x100},
    {NULL, 0}};
static const named_bits std_bits[] = {{"DELETE", DK_DELETE},
                                      {"READ_CONTROL", DK_READ_CONTROL},
                                      {"WRITE_DAC", DK_WRITE_DAC},
                                      {"WRITE_OWNER", DK_WRITE_OWNER},
                                      {"SYNCHRONIZE", DK_SYNCHRONIZE},
                                      {"ACCESS_SYSTEM_SECURITY", DK_ACCESS_SYSTEM_SECURITY},
                                      {"MAXIMUM_ALLOWED", DK_MAXIMUM_ALLOWED},
                                      {"GENERIC_ALL", DK_GENERIC_ALL},
                                      {"GENERIC_EXECUTE", DK_GENERIC_EXECUTE},
                                      {"GENERIC_WRITE", DK_GENERIC_WRITE},
                                      {"GENERIC_READ", DK_GENERIC_READ},
                                      {NULL, 0}};
/* Names accepted as input (combinations too). */
static const named_bits input_names[] = {
    {"FILE_ALL_ACCESS", 0x1F01FF},    {"FILE_GENERIC_READ", 0x120089}, {"FILE_GENERIC_WRITE", 0x120116},
    {"FILE_GENERIC_EXECUTE", 0x1200A0}, {"KEY_ALL_ACCESS", 0xF003F},  {"KEY_READ", 0x20019},
    {"KEY_WRITE", 0x20006},           {"KEY_EXECUTE", 0x20019},       {"SERVICE_ALL_ACCESS", 0xF01FF},
    {"FA", 0x1F01FF},                 {"FR", 0x120089},               {"FW", 0x120116},
    {"FX", 0x1200A0},                 {"KA", 0xF003F},                {"KR", 0x20019},
    {"KW", 0x20006},                  {"KX", 0x20019},                {"GA", DK_GENERIC_ALL},
    {"GR", DK_GENERIC_READ},          {"GW", DK_GENERIC_WRITE},       {"GX", DK_GENERIC_EXECUTE},
    {"READ", 0x120089},               {"WRITE", 0x120116},            {"EXECUTE", 0x1200A0},
    {"FULL", 0x1F01FF},               {NULL, 0}};

static const named_bits *specific_for(const char *t) {
  if (!t) return file_bits;
  if (strcmp(t, "directory") == 0) return dir_bits;
  if (strcmp(t, "key") == 0) return key_bits;
  if (strcmp(t, "service") == 0) return service_bits;
  if (strcmp(t, "none") == 0) return NULL;
  return file_bits;
}

void dk_rights_names(uint32_t mask, const char *t, char *buf, size_t len) {
  size_t n = 0;
  buf[0] = '\0';
  const named_bits *tables[2] = {specific_for(t), std_bits};
  uint32_t rest = mask;
  for (int k = 0; k < 2; k++) {
    if (!tables[k]) continue;
    for (const named_bits *nb = tables[k]; nb->name; nb++) {
      if ((mask & nb->bits) != nb->bits) continue;
      int w = snprintf(buf + n, len - n, "%s%s", n ? ", " : "", nb->name);
      if (w < 0 || (size_t)w >= len - n) return;
      n += (size_t)w;
      rest &= ~nb->bits;
    }
  }
  if (rest) {
    int w = snprintf(buf + n, len - n, "%s0x%x", n ? ", " : "", rest);
    (void)w;
  }
}

int dk_rights_parse(const char *s, uint32_t *mask, char *err, size_t errlen) {
  uint32_t m = 0;
  const char *p = s;
  if (!*p) return dk_fail(err, errlen, "empty access mask");
  while (*p) {
    size_t n = strcspn(p, "|, +");
    if (n == 0) {
      p++;
      continue;
    }
    char word[64];
    if (n >= sizeof word) return dk_fail(err, errlen, "offset %zu: right name too long", (size_t)(p - s));
    memcpy(word, p, n);
    word[n] = '\0';
    int found = 0;
    if (n > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
      char *end;
      unsigned long long v = strtoull(word + 2, &end, 16);
      if (*end || v > 0xFFFFFFFFull || n > 10) return dk_fail(err, errlen, "offset %zu: bad hex mask '%s'", (size_t)(p - s), word);
      m |= (uint32_t)v;
      found = 1;
    }
    for (const named_bits *nb = input_names; !found && nb->name; nb++)
      if (strcmp(nb->name, word) == 0) m |= nb->bits, found = 1;
    const named_bits *all[] = {file_bits, dir_bits, key_bits, service_bits, std_bits};
    for (size_t k = 0; !found && k < 5; k++)
      for (const named_bits *nb = all[k]; !found && nb->name; nb++)
        if (strcmp(nb->name, word) == 0) m |= nb->bits, found = 1;
    if (!found) return dk_fail(err, errlen, "offset %zu: unknown access right '%s'", (size_t)(p - s), word);
    p += n;
  }
  *mask = m;
  return 0;
}
