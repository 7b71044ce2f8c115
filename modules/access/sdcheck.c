/*
** The Windows AccessCheck algorithm over a token described as data
** (MS-DTYP 2.5.3.2 and 2.5.3.3), recording which ACE granted each bit and
** which denied. See sd.h and docs/lua-api/access.md for the semantics chosen
** where Windows and Samba differ.
*/
#include "dk_err.h"
#include "sd.h"

#include <stdlib.h>
#include <string.h>

enum { M_NONE = 0, M_ENABLED, M_DENY_ONLY, M_DISABLED };

static const dk_sid SID_OWNER_RIGHTS = {1, 1, 3, {4}};

/* How the token holds sid. */
static int token_match(const dk_token *t, const dk_sid *sid, int is_owner) {
  if (dk_sid_equal(sid, &SID_OWNER_RIGHTS)) return is_owner ? M_ENABLED : M_NONE;
  int best = M_NONE;
  if (dk_sid_equal(sid, &t->user)) best = t->user_deny_only ? M_DENY_ONLY : M_ENABLED;
  for (size_t i = 0; i < t->ngroups && best != M_ENABLED; i++) {
    if (!dk_sid_equal(sid, &t->groups[i].sid)) continue;
    uint32_t a = t->groups[i].attributes;
    int m = (a & DK_GROUP_USE_FOR_DENY_ONLY) ? M_DENY_ONLY : (a & DK_GROUP_ENABLED) ? M_ENABLED : M_DISABLED;
    if (best == M_NONE || m == M_ENABLED || (m == M_DENY_ONLY && best == M_DISABLED)) best = m;
  }
  return best;
}

static int restricted_match(const dk_token *t, const dk_sid *sid, int is_owner) {
  if (dk_sid_equal(sid, &SID_OWNER_RIGHTS)) return is_owner ? M_ENABLED : M_NONE;
  for (size_t i = 0; i < t->nrestricted; i++)
    if (dk_sid_equal(sid, &t->restricted[i])) return M_ENABLED;
  return M_NONE;
}

static int is_allow(uint8_t t) { return t == DK_ACE_ALLOWED; }
static int is_deny(uint8_t t) { return t == DK_ACE_DENIED; }
static int is_callback(uint8_t t) {
  return t == DK_ACE_ALLOWED_CALLBACK || t == DK_ACE_DENIED_CALLBACK || t == DK_ACE_ALLOWED_CALLBACK_OBJECT ||
         t == DK_ACE_DENIED_CALLBACK_OBJECT;
}
static int is_object(uint8_t t) { return t == DK_ACE_ALLOWED_OBJECT || t == DK_ACE_DENIED_OBJECT; }

static int add_step(dk_check_result *r, size_t *cap, int ace, int outcome, uint32_t bits, int pass) {
  if (r->nsteps == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    dk_check_step *s = realloc(r->steps, nc * sizeof *s);
    if (!s) return -1;
    r->steps = s;
    *cap = nc;
  }
  r->steps[r->nsteps++] = (dk_check_step){ace, outcome, bits, pass};
  return 0;
}

/* One walk of the DACL. Returns the bits granted by ACEs; sets denied_bits and denied_by for the first
   deciding deny. With max_allowed, walks everything (order-sensitive maximum). */
static int walk(const dk_acl *dacl, const dk_token *t, int pass, int is_owner, uint32_t want, int max_allowed,
                const dk_generic_mapping *map, const dk_check_opts *opts, dk_check_result *r, size_t *cap,
                uint32_t *granted_out, uint32_t *denied_bits, int *denied_by, int record_bits) {
  uint32_t granted = 0, denied = 0, remaining = want;
  int stopped = 0;
  for (size_t i = 0; i < dacl->count; i++) {
    const dk_ace *a = &dacl->aces[i];
    if (stopped) {
      if (add_step(r, cap, (int)i, DK_STEP_NOT_REACHED, 0, pass)) return -1;
      continue;
    }
    if (a->flags & DK_IO) {
      if (add_step(r, cap, (int)i, DK_STEP_INHERIT_ONLY, 0, pass)) return -1;
      continue;
    }
    uint8_t type = a->type;
    if (is_object(type)) {
      if (!opts || !opts->use_object_aces_as_plain || (a->object_flags & 1u)) {
        if (add_step(r, cap, (int)i, DK_STEP_OBJECT_IGNORED, 0, pass)) return -1;
        continue;
      }
      type = type == DK_ACE_ALLOWED_OBJECT ? DK_ACE_ALLOWED : DK_ACE_DENIED;
    }
    if (!is_allow(type) && !is_deny(type) && !is_callback(type)) {
      if (add_step(r, cap, (int)i, DK_STEP_OTHER_TYPE, 0, pass)) return -1;
      continue;
    }
    int m = pass == 0 ? token_match(t, &a->sid, is_owner) : restricted_match(t, &a->sid, is_owner);
    uint32_t mask = dk_map_generic(a->mask, map);
    int allow_kind = is_allow(type) || type == DK_ACE_ALLOWED_CALLBACK || type == DK_ACE_ALLOWED_CALLBACK_OBJECT;
    if (m == M_NONE) {
      if (add_step(r, cap, (int)i, DK_STEP_NOT_IN_TOKEN, 0, pass)) return -1;
      continue;
    }
    if (m == M_DISABLED) {
      if (add_step(r, cap, (int)i, DK_STEP_DISABLED, 0, pass)) return -1;
      continue;
    }
    if (is_callback(type)) {
      /* The condition is not evaluated: an allow is ignored, a deny applies (conservative). */
      r->indeterminate = 1;
      if (allow_kind || m == M_DENY_ONLY) {
        if (add_step(r, cap, (int)i, DK_STEP_CALLBACK, 0, pass)) return -1;
        continue;
      }
    }
    if (allow_kind) {
      if (m == M_DENY_ONLY) {
        if (add_step(r, cap, (int)i, DK_STEP_DENY_ONLY, mask & remaining, pass)) return -1;
        continue;
      }
      uint32_t fresh = max_allowed ? (mask & ~denied & ~granted) : (mask & remaining);
      if (fresh) {
        granted |= fresh;
        remaining &= ~fresh;
        if (record_bits)
          for (int b = 0; b < 32; b++)
            if ((fresh >> b) & 1u) r->bit_ace[b] = (int)i;
        if (add_step(r, cap, (int)i, DK_STEP_GRANTED, fresh, pass)) return -1;
      } else if (add_step(r, cap, (int)i, DK_STEP_NO_NEW_BITS, 0, pass)) {
        return -1;
      }
    } else {
      uint32_t hit = max_allowed ? (mask & ~granted & ~denied) : (mask & remaining);
      if (hit) {
        denied |= hit;
        if (add_step(r, cap, (int)i, DK_STEP_DENIED, hit, pass)) return -1;
        if (*denied_by < 0 && (hit & want)) {
          *denied_by = (int)i;
          *denied_bits = hit & want;
        }
        if (!max_allowed && (hit & want)) stopped = 1;
      } else if (add_step(r, cap, (int)i, DK_STEP_DENY_NOT_NEEDED, 0, pass)) {
        return -1;
      }
    }
    if (!max_allowed && remaining == 0 && !stopped) stopped = 1;
  }
  *granted_out = granted;
  return 0;
}

void dk_check_result_free(dk_check_result *res) {
  free(res->steps);
  res->steps = NULL;
  res->nsteps = 0;
}

int dk_access_evaluate(const dk_sd *sd, const dk_token *t, uint32_t desired, const dk_generic_mapping *map,
                       const dk_check_opts *opts, dk_check_result *r) {
  memset(r, 0, sizeof *r);
  for (int b = 0; b < 32; b++) r->bit_ace[b] = -1;
  r->denied_by = -1;
  size_t cap = 0;
  int max_allowed = (desired & DK_MAXIMUM_ALLOWED) != 0;
  uint32_t want = dk_map_generic(desired & ~DK_MAXIMUM_ALLOWED, map);
  if (map && strcmp(map->name, "key") == 0) want &= ~0x300u; /* KEY_WOW64_* select a view, not a right */
  r->desired = want;
  uint32_t all = map ? map->all : 0;
  if (all == 0) all = 0x1F01FFu;

  /* Mandatory integrity. */
  r->label_rid = 0x2000;
  r->label_policy = 1; /* NO_WRITE_UP */
  if (sd->sacl.present && !sd->sacl.null)
    for (size_t i = 0; i < sd->sacl.count; i++) {
      const dk_ace *a = &sd->sacl.aces[i];
      if (a->type != DK_ACE_MANDATORY_LABEL || (a->flags & DK_IO)) continue;
      r->label_rid = a->sid.count ? a->sid.sub[a->sid.count - 1] : 0;
      r->label_policy = a->mask & 7u;
      r->label_explicit = 1;
      break;
    }
  uint32_t mic_allowed = all | DK_ACCESS_SYSTEM_SECURITY;
  if (t->integrity < r->label_rid) {
    uint32_t gr = map ? map->read : 0, gw = map ? map->write : 0, gx = map ? map->execute : 0;
    /* Allowed = the union of the generic mappings the label's policy does not block; DELETE,
       WRITE_DAC and WRITE_OWNER count as writes. */
    mic_allowed = DK_ACCESS_SYSTEM_SECURITY;
    if (!(r->label_policy & 2u)) mic_allowed |= gr;
    if (!(r->label_policy & 1u) || !t->no_write_up) mic_allowed |= gw | (all & ~(gr | gw | gx));
    if (!(r->label_policy & 4u)) mic_allowed |= gx;
    r->mic_blocked = want & ~mic_allowed;
  }

  uint32_t granted = 0;
  /* Privileges. */
  if (want & DK_ACCESS_SYSTEM_SECURITY) {
    if (t->privileges & DK_PRIV_SECURITY) granted |= DK_ACCESS_SYSTEM_SECURITY;
    else r->system_security_denied = 1;
  }
  if ((want & DK_WRITE_OWNER) && (t->privileges & DK_PRIV_TAKE_OWNERSHIP)) granted |= DK_WRITE_OWNER;
  if (opts && opts->backup_intent) {
    if (t->privileges & DK_PRIV_BACKUP) granted |= want & ((map ? map->read : 0) | DK_READ_CONTROL | 0x20u);
    if (t->privileges & DK_PRIV_RESTORE)
      granted |= want & ((map ? map->write : 0) | DK_DELETE | DK_WRITE_DAC | DK_WRITE_OWNER | 0x2u | 0x4u);
  }
  r->privilege_granted = granted;
  for (int b = 0; b < 32; b++)
    if ((granted >> b) & 1u) r->bit_ace[b] = -3;

  const dk_acl *dacl = &sd->dacl;
  uint32_t total;
  if (!dacl->present || dacl->null) {
    r->no_dacl = !dacl->present;
    r->null_dacl = dacl->present && dacl->null;
    uint32_t g = max_allowed ? (all | want) : want;
    for (int b = 0; b < 32; b++)
      if (((g & ~granted) >> b) & 1u) r->bit_ace[b] = -4;
    total = granted | (g & ~DK_ACCESS_SYSTEM_SECURITY);
  } else {
    r->empty_dacl = dacl->count == 0;
    /* Owner implicit rights. */
    if (sd->has_owner) {
      int m = token_match(t, &sd->owner, 0);
      r->is_owner = m == M_ENABLED;
    }
    for (size_t i = 0; i < dacl->count; i++)
      if (!(dacl->aces[i].flags & DK_IO) && dk_sid_equal(&dacl->aces[i].sid, &SID_OWNER_RIGHTS))
        r->owner_rights_ace = 1;
    if (r->is_owner && !r->owner_rights_ace) {
      uint32_t o = (max_allowed ? (DK_READ_CONTROL | DK_WRITE_DAC) : want & (DK_READ_CONTROL | DK_WRITE_DAC)) & ~granted;
      r->owner_granted = o;
      granted |= o;
      for (int b = 0; b < 32; b++)
        if ((o >> b) & 1u) r->bit_ace[b] = -2;
    }
    uint32_t g1 = 0, dbits = 0;
    int dby = -1;
    if (walk(dacl, t, 0, r->is_owner, want & ~granted, max_allowed, map, opts, r, &cap, &g1, &dbits, &dby, 1) != 0)
      return -1;
    total = granted | g1;
    if (t->nrestricted > 0) {
      uint32_t g2 = 0;
      int own2 = 0;
      for (size_t i = 0; sd->has_owner && i < t->nrestricted; i++)
        if (dk_sid_equal(&t->restricted[i], &sd->owner)) own2 = 1;
      uint32_t pre2 = r->privilege_granted | ((own2 && !r->owner_rights_ace) ? r->owner_granted : 0);
      if (walk(dacl, t, 1, own2, want & ~pre2, max_allowed, map, opts, r, &cap, &g2, &dbits, &dby, 0) != 0) return -1;
      uint32_t both = (g1 | r->owner_granted) & (g2 | pre2);
      total = r->privilege_granted | both;
    }
    r->denied_bits = dbits;
    r->denied_by = dby;
  }
  total &= ~r->mic_blocked;
  r->granted = max_allowed ? total : (total & want);
  r->missing = want & ~r->granted & ~r->denied_bits & ~r->mic_blocked;
  if (r->system_security_denied) r->missing &= ~DK_ACCESS_SYSTEM_SECURITY;
  if (max_allowed)
    r->allowed = r->granted != 0 && (want & ~r->granted) == 0 && !r->system_security_denied;
  else
    r->allowed = (want & ~r->granted) == 0 && !r->system_security_denied && want != 0;
  if (want == 0 && !max_allowed) r->allowed = 1;
  return 0;
}
