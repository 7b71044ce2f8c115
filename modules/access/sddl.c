/*
** SDDL (MS-DTYP 2.5.1): parse with byte-offset errors, print canonically.
** Not supported (rejected with a clear error): conditional-ACE expressions
** and resource-attribute ACEs (they need the binary expression compiler),
** domain-relative SID aliases (DA, DU, ... need the domain SID).
*/
#include "dk_err.h"
#include "sd.h"

#include "dk_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *s;
  size_t len, pos;
  char *err;
  size_t errlen;
} P;

DK_PRINTF(2, 3) static int perr(P *p, const char *fmt, ...) {
  char msg[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (p->err && p->errlen) snprintf(p->err, p->errlen, "at offset %zu: %s", p->pos, msg);
  return -1;
}

static const struct {
  const char *code;
  uint8_t type;
} ace_types[] = {{"A", DK_ACE_ALLOWED},          {"D", DK_ACE_DENIED},          {"AU", DK_ACE_AUDIT},
                 {"AL", DK_ACE_ALARM},           {"OA", DK_ACE_ALLOWED_OBJECT}, {"OD", DK_ACE_DENIED_OBJECT},
                 {"OU", DK_ACE_AUDIT_OBJECT},    {"OL", DK_ACE_ALARM_OBJECT},   {"XA", DK_ACE_ALLOWED_CALLBACK},
                 {"XD", DK_ACE_DENIED_CALLBACK}, {"ZA", DK_ACE_ALLOWED_CALLBACK_OBJECT},
                 {"XU", DK_ACE_AUDIT_CALLBACK},  {"ML", DK_ACE_MANDATORY_LABEL}, {"RA", DK_ACE_RESOURCE_ATTRIBUTE},
                 {"SP", DK_ACE_SCOPED_POLICY_ID}, {"TL", DK_ACE_PROCESS_TRUST_LABEL}, {"FL", DK_ACE_ACCESS_FILTER}};

static const struct {
  const char *code;
  uint8_t flag;
} ace_flags[] = {{"OI", DK_OI}, {"CI", DK_CI}, {"NP", DK_NP}, {"IO", DK_IO},
                 {"ID", DK_ID}, {"SA", DK_SA}, {"FA", DK_FA}, {"CR", DK_CRITICAL}};

typedef struct {
  const char *code;
  uint32_t bits;
} right_code;

/* Combined codes first (the printer prefers them when the mask matches exactly). */
static const right_code combined_rights[] = {{"FA", 0x1F01FF}, {"FR", 0x120089}, {"FW", 0x120116}, {"FX", 0x1200A0},
                                             {"KA", 0xF003F},  {"KR", 0x20019},  {"KW", 0x20006}};
static const right_code single_rights[] = {
    {"GA", DK_GENERIC_ALL}, {"GR", DK_GENERIC_READ}, {"GW", DK_GENERIC_WRITE}, {"GX", DK_GENERIC_EXECUTE},
    {"CC", 0x1},            {"DC", 0x2},             {"LC", 0x4},              {"SW", 0x8},
    {"RP", 0x10},           {"WP", 0x20},            {"DT", 0x40},             {"LO", 0x80},
    {"CR", 0x100},          {"SD", DK_DELETE},       {"RC", DK_READ_CONTROL},  {"WD", DK_WRITE_DAC},
    {"WO", DK_WRITE_OWNER}};
static const right_code label_rights[] = {{"NW", 0x1}, {"NR", 0x2}, {"NX", 0x4}};

static int at(P *p, char c) { return p->pos < p->len && p->s[p->pos] == c; }

static int expect(P *p, char c) {
  if (!at(p, c)) {
    if (p->pos >= p->len) return perr(p, "'%c' expected, found the end of the text", c);
    return perr(p, "'%c' expected, found '%c'", c, p->s[p->pos]);
  }
  p->pos++;
  return 0;
}

static int parse_sid_at(P *p, dk_sid *sid) {
  char e[200];
  size_t used = 0;
  if (dk_sid_parse_text(p->s + p->pos, p->len - p->pos, sid, &used, e, sizeof e) != 0) {
    /* e is "offset N: msg" relative to the SID start. */
    size_t rel = 0;
    const char *msg = e;
    if (sscanf(e, "offset %zu:", &rel) == 1) {
      msg = strchr(e, ':');
      msg = msg ? msg + 2 : e;
    }
    p->pos += rel;
    return perr(p, "%s", msg);
  }
  p->pos += used;
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx into GUID byte order. */
static int parse_guid(P *p, uint8_t out[16]) {
  static const int groups[] = {8, 4, 4, 4, 12};
  uint8_t raw[16];
  int k = 0;
  for (int g = 0; g < 5; g++) {
    if (g && expect(p, '-') != 0) return -1;
    for (int i = 0; i < groups[g]; i += 2) {
      if (p->pos + 1 >= p->len || hexval(p->s[p->pos]) < 0 || hexval(p->s[p->pos + 1]) < 0)
        return perr(p, "bad GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx expected)");
      raw[k++] = (uint8_t)(hexval(p->s[p->pos]) * 16 + hexval(p->s[p->pos + 1]));
      p->pos += 2;
    }
  }
  /* Data1, Data2, Data3 are little-endian in the binary form. */
  out[0] = raw[3], out[1] = raw[2], out[2] = raw[1], out[3] = raw[0];
  out[4] = raw[5], out[5] = raw[4], out[6] = raw[7], out[7] = raw[6];
  memcpy(out + 8, raw + 8, 8);
  return 0;
}

static int parse_rights(P *p, uint32_t *mask) {
  uint32_t m = 0;
  if (p->pos + 1 < p->len && p->s[p->pos] == '0' && (p->s[p->pos + 1] == 'x' || p->s[p->pos + 1] == 'X')) {
    p->pos += 2;
    size_t start = p->pos;
    uint64_t v = 0;
    while (p->pos < p->len && hexval(p->s[p->pos]) >= 0) {
      v = v * 16 + (uint64_t)hexval(p->s[p->pos]);
      if (v > 0xFFFFFFFFull) return perr(p, "access mask larger than 32 bits");
      p->pos++;
    }
    if (p->pos == start) return perr(p, "hex digits expected after 0x");
    *mask = (uint32_t)v;
    return 0;
  }
  if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    uint64_t v = 0;
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
      v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
      if (v > 0xFFFFFFFFull) return perr(p, "access mask larger than 32 bits");
      p->pos++;
    }
    *mask = (uint32_t)v;
    return 0;
  }
  while (p->pos < p->len && p->s[p->pos] != ';') {
    if (p->pos + 1 >= p->len) return perr(p, "two-letter access right expected");
    char c[3] = {p->s[p->pos], p->s[p->pos + 1], 0};
    int found = 0;
    for (size_t i = 0; !found && i < sizeof combined_rights / sizeof combined_rights[0]; i++)
      if (strcmp(c, combined_rights[i].code) == 0) m |= combined_rights[i].bits, found = 1;
    for (size_t i = 0; !found && i < sizeof single_rights / sizeof single_rights[0]; i++)
      if (strcmp(c, single_rights[i].code) == 0) m |= single_rights[i].bits, found = 1;
    for (size_t i = 0; !found && i < sizeof label_rights / sizeof label_rights[0]; i++)
      if (strcmp(c, label_rights[i].code) == 0) m |= label_rights[i].bits, found = 1;
    if (!found) return perr(p, "unknown access right '%s'", c);
    p->pos += 2;
  }
  *mask = m;
  return 0;
}

static int parse_ace(P *p, dk_ace *ace) {
  memset(ace, 0, sizeof *ace);
  if (expect(p, '(') != 0) return -1;
  size_t n = 0;
  while (p->pos + n < p->len && p->s[p->pos + n] != ';' && p->s[p->pos + n] != ')') n++;
  int found = 0;
  for (size_t i = 0; i < sizeof ace_types / sizeof ace_types[0]; i++)
    if (strlen(ace_types[i].code) == n && strncmp(ace_types[i].code, p->s + p->pos, n) == 0)
      ace->type = ace_types[i].type, found = 1;
  if (!found) return perr(p, "unknown ACE type '%.*s'", (int)(n > 8 ? 8 : n), p->s + p->pos);
  if (ace->type == DK_ACE_RESOURCE_ATTRIBUTE) return perr(p, "resource attribute ACEs (RA) are not supported");
  p->pos += n;
  if (expect(p, ';') != 0) return -1;
  while (p->pos < p->len && p->s[p->pos] != ';') {
    if (p->pos + 1 >= p->len) return perr(p, "two-letter ACE flag expected");
    int f = 0;
    for (size_t i = 0; i < sizeof ace_flags / sizeof ace_flags[0]; i++)
      if (strncmp(ace_flags[i].code, p->s + p->pos, 2) == 0) ace->flags |= ace_flags[i].flag, f = 1;
    if (!f) return perr(p, "unknown ACE flag '%.2s'", p->s + p->pos);
    p->pos += 2;
  }
  if (expect(p, ';') != 0) return -1;
  if (parse_rights(p, &ace->mask) != 0) return -1;
  if (expect(p, ';') != 0) return -1;
  int object = ace->type == DK_ACE_ALLOWED_OBJECT || ace->type == DK_ACE_DENIED_OBJECT ||
               ace->type == DK_ACE_AUDIT_OBJECT || ace->type == DK_ACE_ALARM_OBJECT ||
               ace->type == DK_ACE_ALLOWED_CALLBACK_OBJECT;
  if (!at(p, ';')) {
    if (!object) return perr(p, "an object GUID is only allowed in object ACEs (OA, OD, OU, OL)");
    if (parse_guid(p, ace->object_type) != 0) return -1;
    ace->object_flags |= 1u;
  }
  if (expect(p, ';') != 0) return -1;
  if (!at(p, ';')) {
    if (!object) return perr(p, "an inherited object GUID is only allowed in object ACEs");
    if (parse_guid(p, ace->inherited_object_type) != 0) return -1;
    ace->object_flags |= 2u;
  }
  if (expect(p, ';') != 0) return -1;
  if (parse_sid_at(p, &ace->sid) != 0) return -1;
  if (at(p, ';')) {
    if (ace->type == DK_ACE_ALLOWED_CALLBACK || ace->type == DK_ACE_DENIED_CALLBACK ||
        ace->type == DK_ACE_AUDIT_CALLBACK || ace->type == DK_ACE_ALLOWED_CALLBACK_OBJECT)
      return perr(p, "conditional ACE expressions are not supported");
    return perr(p, "')' expected after the SID");
  }
  if (ace->type == DK_ACE_ALLOWED_CALLBACK || ace->type == DK_ACE_DENIED_CALLBACK ||
      ace->type == DK_ACE_AUDIT_CALLBACK || ace->type == DK_ACE_ALLOWED_CALLBACK_OBJECT)
    return perr(p, "a callback ACE needs a condition, and conditional expressions are not supported");
  return expect(p, ')');
}

static int parse_acl_part(P *p, dk_acl *acl, uint16_t *control, int is_dacl) {
  acl->present = 1;
  /* Flags. */
  for (;;) {
    if (p->pos + 17 <= p->len && strncmp(p->s + p->pos, "NO_ACCESS_CONTROL", 17) == 0) {
      acl->null = 1;
      p->pos += 17;
    } else if (at(p, 'P')) {
      *control |= is_dacl ? DK_SE_DACL_PROTECTED : DK_SE_SACL_PROTECTED;
      p->pos++;
    } else if (p->pos + 2 <= p->len && strncmp(p->s + p->pos, "AI", 2) == 0) {
      *control |= is_dacl ? DK_SE_DACL_AUTO_INHERITED : DK_SE_SACL_AUTO_INHERITED;
      p->pos += 2;
    } else if (p->pos + 2 <= p->len && strncmp(p->s + p->pos, "AR", 2) == 0) {
      *control |= is_dacl ? DK_SE_DACL_AUTO_INHERIT_REQ : DK_SE_SACL_AUTO_INHERIT_REQ;
      p->pos += 2;
    } else {
      break;
    }
  }
  size_t cap = 0;
  while (at(p, '(')) {
    if (acl->null) return perr(p, "NO_ACCESS_CONTROL (a NULL ACL) cannot have ACEs");
    if (acl->count == 0xFFFF) return perr(p, "too many ACEs");
    if (acl->count == cap) {
      size_t nc = cap ? cap * 2 : 8;
      dk_ace *a = realloc(acl->aces, nc * sizeof *a);
      if (!a) return perr(p, "out of memory");
      acl->aces = a;
      cap = nc;
    }
    if (parse_ace(p, &acl->aces[acl->count]) != 0) return -1;
    acl->count++;
  }
  return 0;
}

int dk_sddl_parse(const char *text, size_t len, dk_sd *sd, char *err, size_t errlen) {
  P p = {text, len, 0, err, errlen};
  dk_sd_init(sd);
  sd->control = DK_SE_SELF_RELATIVE;
  int seen_o = 0, seen_g = 0, seen_d = 0, seen_s = 0;
  if (len == 0) return perr(&p, "empty SDDL");
  while (p.pos < p.len) {
    char c = p.s[p.pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      perr(&p, "unexpected whitespace");
      dk_sd_free(sd);
      return -1;
    }
    if (p.pos + 1 >= p.len || p.s[p.pos + 1] != ':') {
      perr(&p, "a component O:, G:, D: or S: expected");
      dk_sd_free(sd);
      return -1;
    }
    int *seen = c == 'O' ? &seen_o : c == 'G' ? &seen_g : c == 'D' ? &seen_d : c == 'S' ? &seen_s : NULL;
    if (!seen) {
      perr(&p, "unknown component '%c:' (O:, G:, D: or S: expected)", c);
      dk_sd_free(sd);
      return -1;
    }
    if (*seen) {
      perr(&p, "duplicate component '%c:'", c);
      dk_sd_free(sd);
      return -1;
    }
    *seen = 1;
    p.pos += 2;
    int rc;
    if (c == 'O') {
      rc = parse_sid_at(&p, &sd->owner);
      sd->has_owner = rc == 0;
    } else if (c == 'G') {
      rc = parse_sid_at(&p, &sd->group);
      sd->has_group = rc == 0;
    } else if (c == 'D') {
      rc = parse_acl_part(&p, &sd->dacl, &sd->control, 1);
      sd->control |= DK_SE_DACL_PRESENT;
    } else {
      rc = parse_acl_part(&p, &sd->sacl, &sd->control, 0);
      sd->control |= DK_SE_SACL_PRESENT;
    }
    if (rc != 0) {
      dk_sd_free(sd);
      return -1;
    }
  }
  return 0;
}

/* ---- printing ----------------------------------------------------------- */

static void put_sid(dk_buf *s, const dk_sid *sid) {
  const char *a = dk_sid_alias(sid);
  if (a) {
    dk_buf_adds(s, a);
    return;
  }
  char t[200];
  dk_sid_format(sid, t, sizeof t);
  dk_buf_adds(s, t);
}

static void put_rights(dk_buf *s, uint32_t m, uint8_t type) {
  if (type == DK_ACE_MANDATORY_LABEL && (m & ~7u) == 0 && m) {
    for (size_t i = 0; i < 3; i++)
      if (m & label_rights[i].bits) dk_buf_adds(s, label_rights[i].code);
    return;
  }
  for (size_t i = 0; i < sizeof combined_rights / sizeof combined_rights[0]; i++)
    if (m == combined_rights[i].bits) {
      dk_buf_adds(s, combined_rights[i].code);
      return;
    }
  uint32_t named = 0;
  for (size_t i = 0; i < sizeof single_rights / sizeof single_rights[0]; i++) named |= single_rights[i].bits;
  if (m == 0) return;
  if ((m & ~named) != 0) {
    dk_buf_hex(s, m);
    return;
  }
  for (size_t i = 0; i < sizeof single_rights / sizeof single_rights[0]; i++)
    if (m & single_rights[i].bits) dk_buf_adds(s, single_rights[i].code);
}

static void put_guid(dk_buf *s, const uint8_t g[16]) {
  dk_buf_printf(s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", g[3], g[2], g[1], g[0],
                g[5], g[4], g[7], g[6], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

static void put_ace(dk_buf *s, const dk_ace *a) {
  const char *code = NULL;
  for (size_t i = 0; i < sizeof ace_types / sizeof ace_types[0]; i++)
    if (ace_types[i].type == a->type) code = ace_types[i].code;
  dk_buf_addc(s, '(');
  if (code) dk_buf_adds(s, code);
  else dk_buf_printf(s, "0x%02x", a->type);
  dk_buf_addc(s, ';');
  for (size_t i = 0; i < sizeof ace_flags / sizeof ace_flags[0]; i++)
    if (a->flags & ace_flags[i].flag) dk_buf_adds(s, ace_flags[i].code);
  dk_buf_addc(s, ';');
  put_rights(s, a->mask, a->type);
  dk_buf_addc(s, ';');
  if (a->object_flags & 1u) put_guid(s, a->object_type);
  dk_buf_addc(s, ';');
  if (a->object_flags & 2u) put_guid(s, a->inherited_object_type);
  dk_buf_addc(s, ';');
  put_sid(s, &a->sid);
  if (a->data_len && (a->type == DK_ACE_ALLOWED_CALLBACK || a->type == DK_ACE_DENIED_CALLBACK ||
                      a->type == DK_ACE_AUDIT_CALLBACK || a->type == DK_ACE_ALLOWED_CALLBACK_OBJECT ||
                      a->type == DK_ACE_DENIED_CALLBACK_OBJECT)) {
    /* The binary condition is not decompiled; show its size (not valid SDDL input). */
    dk_buf_printf(s, ";(<condition: %zu bytes>)", a->data_len);
  }
  dk_buf_addc(s, ')');
}

static void put_acl(dk_buf *s, const dk_acl *acl, uint16_t control, int is_dacl) {
  if (control & (is_dacl ? DK_SE_DACL_PROTECTED : DK_SE_SACL_PROTECTED)) dk_buf_addc(s, 'P');
  if (control & (is_dacl ? DK_SE_DACL_AUTO_INHERIT_REQ : DK_SE_SACL_AUTO_INHERIT_REQ)) dk_buf_adds(s, "AR");
  if (control & (is_dacl ? DK_SE_DACL_AUTO_INHERITED : DK_SE_SACL_AUTO_INHERITED)) dk_buf_adds(s, "AI");
  if (acl->null) {
    dk_buf_adds(s, "NO_ACCESS_CONTROL");
    return;
  }
  for (size_t i = 0; i < acl->count; i++) put_ace(s, &acl->aces[i]);
}

void dk_sddl_ace(const dk_ace *ace, char *buf, size_t len) {
  dk_buf s = {0};
  put_ace(&s, ace);
  if (s.oom || !s.p) {
    if (len) buf[0] = '\0';
  } else {
    snprintf(buf, len, "%s", s.p);
  }
  dk_buf_free(&s);
}

char *dk_sddl_format(const dk_sd *sd) {
  dk_buf s = {0};
  if (sd->has_owner) {
    dk_buf_adds(&s, "O:");
    put_sid(&s, &sd->owner);
  }
  if (sd->has_group) {
    dk_buf_adds(&s, "G:");
    put_sid(&s, &sd->group);
  }
  if (sd->dacl.present) {
    dk_buf_adds(&s, "D:");
    put_acl(&s, &sd->dacl, sd->control, 1);
  }
  if (sd->sacl.present) {
    dk_buf_adds(&s, "S:");
    put_acl(&s, &sd->sacl, sd->control, 0);
  }
  return dk_buf_take(&s); /* NULL when out of memory */
}
