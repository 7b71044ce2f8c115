/*
** Windows security descriptors as portable C: the self-relative binary form
** (MS-DTYP 2.4.6), SDDL text (MS-DTYP 2.5.1) both ways, and the AccessCheck
** algorithm (MS-DTYP 2.5.3.2) over a token described as data. No Windows
** headers: it runs (and is tested and fuzzed) on Linux.
**
** Every parser checks every offset and count and reports what is wrong and
** where ("DACL: ACE #2 at offset 0x40: size 0 ..."); nothing reads out of
** bounds, nothing loops.
*/
#ifndef DK_SD_H
#define DK_SD_H

#include <stddef.h>
#include <stdint.h>

#define DK_SID_MAX_SUB 15

typedef struct dk_sid {
  uint8_t revision;
  uint8_t count;
  uint64_t authority; /* 48 bits */
  uint32_t sub[DK_SID_MAX_SUB];
} dk_sid;

/* ACE types (MS-DTYP 2.4.4.1). */
enum {
  DK_ACE_ALLOWED = 0x00,
  DK_ACE_DENIED = 0x01,
  DK_ACE_AUDIT = 0x02,
  DK_ACE_ALARM = 0x03,
  DK_ACE_ALLOWED_COMPOUND = 0x04,
  DK_ACE_ALLOWED_OBJECT = 0x05,
  DK_ACE_DENIED_OBJECT = 0x06,
  DK_ACE_AUDIT_OBJECT = 0x07,
  DK_ACE_ALARM_OBJECT = 0x08,
  DK_ACE_ALLOWED_CALLBACK = 0x09,
  DK_ACE_DENIED_CALLBACK = 0x0A,
  DK_ACE_ALLOWED_CALLBACK_OBJECT = 0x0B,
  DK_ACE_DENIED_CALLBACK_OBJECT = 0x0C,
  DK_ACE_AUDIT_CALLBACK = 0x0D,
  DK_ACE_ALARM_CALLBACK = 0x0E,
  DK_ACE_AUDIT_CALLBACK_OBJECT = 0x0F,
  DK_ACE_ALARM_CALLBACK_OBJECT = 0x10,
  DK_ACE_MANDATORY_LABEL = 0x11,
  DK_ACE_RESOURCE_ATTRIBUTE = 0x12,
  DK_ACE_SCOPED_POLICY_ID = 0x13,
  DK_ACE_PROCESS_TRUST_LABEL = 0x14,
  DK_ACE_ACCESS_FILTER = 0x15
};

/* ACE flags. */
#define DK_OI 0x01u
#define DK_CI 0x02u
#define DK_NP 0x04u
#define DK_IO 0x08u
#define DK_ID 0x10u
#define DK_CRITICAL 0x20u
#define DK_SA 0x40u
#define DK_FA 0x80u

/* SD control bits. */
#define DK_SE_OWNER_DEFAULTED 0x0001u
#define DK_SE_GROUP_DEFAULTED 0x0002u
#define DK_SE_DACL_PRESENT 0x0004u
#define DK_SE_DACL_DEFAULTED 0x0008u
#define DK_SE_SACL_PRESENT 0x0010u
#define DK_SE_SACL_DEFAULTED 0x0020u
#define DK_SE_DACL_AUTO_INHERIT_REQ 0x0100u
#define DK_SE_SACL_AUTO_INHERIT_REQ 0x0200u
#define DK_SE_DACL_AUTO_INHERITED 0x0400u
#define DK_SE_SACL_AUTO_INHERITED 0x0800u
#define DK_SE_DACL_PROTECTED 0x1000u
#define DK_SE_SACL_PROTECTED 0x2000u
#define DK_SE_SELF_RELATIVE 0x8000u

/* Standard and generic rights. */
#define DK_DELETE 0x00010000u
#define DK_READ_CONTROL 0x00020000u
#define DK_WRITE_DAC 0x00040000u
#define DK_WRITE_OWNER 0x00080000u
#define DK_SYNCHRONIZE 0x00100000u
#define DK_ACCESS_SYSTEM_SECURITY 0x01000000u
#define DK_MAXIMUM_ALLOWED 0x02000000u
#define DK_GENERIC_ALL 0x10000000u
#define DK_GENERIC_EXECUTE 0x20000000u
#define DK_GENERIC_WRITE 0x40000000u
#define DK_GENERIC_READ 0x80000000u

typedef struct dk_ace {
  uint8_t type, flags;
  uint32_t mask;
  uint32_t object_flags; /* object ACEs: 1 = object type present, 2 = inherited object type present */
  uint8_t object_type[16], inherited_object_type[16];
  dk_sid sid;
  uint8_t *data; /* application data after the SID (conditions, attributes); owned */
  size_t data_len;
} dk_ace;

typedef struct dk_acl {
  int present; /* the SD has this ACL (SE_DACL_PRESENT / SE_SACL_PRESENT) */
  int null;    /* present but NULL (no ACL at all: everyone allowed for a DACL) */
  uint8_t revision;
  uint16_t count;
  dk_ace *aces;
} dk_acl;

typedef struct dk_sd {
  uint16_t control;
  int has_owner, has_group;
  dk_sid owner, group;
  dk_acl dacl, sacl;
} dk_sd;

void dk_sd_init(dk_sd *sd);
void dk_sd_free(dk_sd *sd);

/* Binary self-relative SD. 0, or -1 with err set. */
int dk_sd_parse(const uint8_t *buf, size_t len, dk_sd *sd, char *err, size_t errlen);
/* Serializes to the self-relative form; *out is malloc'ed. 0 or -1 (out of memory / too big). */
int dk_sd_to_binary(const dk_sd *sd, uint8_t **out, size_t *len);

/* SDDL. Errors name the byte offset: "at offset 12: unknown SID alias 'XX'". */
int dk_sddl_parse(const char *text, size_t len, dk_sd *sd, char *err, size_t errlen);
/* Canonical SDDL; malloc'ed string, NULL on out of memory. */
char *dk_sddl_format(const dk_sd *sd);
/* One ACE as SDDL "(A;;FA;;;BA)" into buf. */
void dk_sddl_ace(const dk_ace *ace, char *buf, size_t len);

/* SIDs. */
int dk_sid_parse_text(const char *s, size_t len, dk_sid *sid, size_t *used, char *err, size_t errlen);
void dk_sid_format(const dk_sid *sid, char *buf, size_t len);  /* "S-1-5-32-544" */
const char *dk_sid_alias(const dk_sid *sid);                    /* "BA" or NULL */
const char *dk_sid_name(const dk_sid *sid);                     /* "BUILTIN\\Administrators" or NULL */
int dk_sid_equal(const dk_sid *a, const dk_sid *b);
/* A SID from "BA" or "S-1-...". 0 or -1. */
int dk_sid_from_string(const char *s, dk_sid *sid, char *err, size_t errlen);

const char *dk_ace_type_name(uint8_t type); /* "ACCESS_ALLOWED", ... */

/* Generic mappings. */
typedef struct dk_generic_mapping {
  const char *name;
  uint32_t read, write, execute, all;
} dk_generic_mapping;
const dk_generic_mapping *dk_mapping_find(const char *object_type); /* "file", "directory", "key", "service", "none" */
uint32_t dk_map_generic(uint32_t mask, const dk_generic_mapping *m);
/* Rights names for a mask and object type, comma separated ("FILE_READ_DATA, SYNCHRONIZE"). */
void dk_rights_names(uint32_t mask, const char *object_type, char *buf, size_t len);
/* Parses "FILE_WRITE_DATA", "KEY_READ", "GENERIC_WRITE", "FA", "0x1200a9", joined with '|' or ','. */
int dk_rights_parse(const char *s, uint32_t *mask, char *err, size_t errlen);

/* ---- AccessCheck ------------------------------------------------------ */

#define DK_GROUP_MANDATORY 0x00000001u
#define DK_GROUP_ENABLED_BY_DEFAULT 0x00000002u
#define DK_GROUP_ENABLED 0x00000004u
#define DK_GROUP_OWNER 0x00000008u
#define DK_GROUP_USE_FOR_DENY_ONLY 0x00000010u
#define DK_GROUP_INTEGRITY 0x00000020u
#define DK_GROUP_LOGON_ID 0xC0000000u

/* Privileges the algorithm looks at (enabled ones). */
#define DK_PRIV_SECURITY 0x01u        /* SeSecurityPrivilege */
#define DK_PRIV_TAKE_OWNERSHIP 0x02u  /* SeTakeOwnershipPrivilege */
#define DK_PRIV_BACKUP 0x04u          /* SeBackupPrivilege */
#define DK_PRIV_RESTORE 0x08u         /* SeRestorePrivilege */
#define DK_PRIV_CHANGE_NOTIFY 0x10u   /* SeChangeNotifyPrivilege (traverse) */
#define DK_PRIV_RELABEL 0x20u         /* SeRelabelPrivilege */

typedef struct dk_token_group {
  dk_sid sid;
  uint32_t attributes;
} dk_token_group;

typedef struct dk_token {
  dk_sid user;
  int user_deny_only;
  size_t ngroups;
  dk_token_group *groups;
  size_t nrestricted;
  dk_sid *restricted;
  uint32_t privileges;       /* enabled DK_PRIV_* */
  uint32_t privileges_held;  /* present (enabled or not) */
  uint32_t integrity;        /* RID of S-1-16-x; 0x2000 Medium */
  int no_write_up;           /* TOKEN_MANDATORY_POLICY_NO_WRITE_UP (default on) */
} dk_token;

/* Why an ACE did (not) apply. */
enum {
  DK_STEP_GRANTED = 1,     /* granted some remaining bits */
  DK_STEP_DENIED,          /* denied remaining bits: the verdict */
  DK_STEP_NO_NEW_BITS,     /* matched, but granted nothing still missing */
  DK_STEP_DENY_NOT_NEEDED, /* deny ACE matched but its bits were already granted or not asked */
  DK_STEP_NOT_IN_TOKEN,
  DK_STEP_DENY_ONLY,       /* allow ACE for a SID the token holds only for deny */
  DK_STEP_DISABLED,        /* allow/deny ACE for a SID present but disabled */
  DK_STEP_INHERIT_ONLY,
  DK_STEP_OBJECT_IGNORED,  /* object ACE with no object type list */
  DK_STEP_CALLBACK,        /* conditional ACE: not evaluated (indeterminate) */
  DK_STEP_NOT_REACHED,     /* the walk stopped before */
  DK_STEP_OTHER_TYPE       /* audit / label ... in a DACL: ignored */
};

typedef struct dk_check_step {
  int ace;       /* index in the DACL */
  int outcome;   /* DK_STEP_* */
  uint32_t bits; /* bits granted / denied by this ACE in this walk */
  int pass;      /* 0 normal SIDs, 1 restricted SIDs */
} dk_check_step;

typedef struct dk_check_result {
  int allowed;
  int indeterminate;           /* a conditional ACE could have changed the verdict */
  uint32_t desired;            /* after generic mapping (MAXIMUM_ALLOWED cleared) */
  uint32_t granted;            /* bits granted */
  uint32_t missing;            /* desired bits nothing granted */
  uint32_t denied_bits;        /* bits a deny ACE refused */
  int denied_by;               /* ACE index of the deciding deny, or -1 */
  uint32_t mic_blocked;        /* bits integrity removed */
  uint32_t label_rid;          /* object's integrity level (0x2000 when unlabelled) */
  uint32_t label_policy;       /* NW/NR/NX bits */
  int label_explicit;
  uint32_t privilege_granted;  /* bits granted by privileges */
  uint32_t owner_granted;      /* bits granted implicitly to the owner */
  int owner_rights_ace;        /* DACL has OWNER RIGHTS ACEs */
  int is_owner;
  int null_dacl, no_dacl, empty_dacl;
  int system_security_denied;  /* ACCESS_SYSTEM_SECURITY without SeSecurityPrivilege */
  int bit_ace[32];             /* per bit: ACE index that granted it; -1 none, -2 owner, -3 privilege, -4 NULL DACL */
  size_t nsteps;
  dk_check_step *steps;        /* malloc'ed */
} dk_check_result;

typedef struct dk_check_opts {
  int backup_intent; /* FILE_FLAG_BACKUP_SEMANTICS / REG_OPTION_BACKUP_RESTORE */
  int use_object_aces_as_plain; /* Samba semantics: object ACEs without type list apply (off: Windows) */
} dk_check_opts;

/* 0 or -1 (out of memory). */
int dk_access_evaluate(const dk_sd *sd, const dk_token *tok, uint32_t desired, const dk_generic_mapping *map,
                       const dk_check_opts *opts, dk_check_result *res);
void dk_check_result_free(dk_check_result *res);

#endif
