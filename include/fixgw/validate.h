/*
 * libfixgw validate: checks a parsed message against data dictionaries the
 * way the FIX session layer expects, and walks repeating groups with a
 * dictionary.
 *
 * A failure is reported as the SessionRejectReason (373) a Reject (3)
 * would carry, with RefTagID (371) and RefMsgType (372), so the session
 * layer turns a verdict into a Reject without knowing why it was given.
 *
 * Cost: one pass over msg->fields; each field is one direct-indexed tag
 * lookup, one membership bitset test (header, body, trailer) or one probe
 * of the group's hash table, one stamp (duplicates, required fields) and,
 * for typed fields, one fixgw_to_* conversion or one bitset/binary-search
 * enum check; a one-byte MsgType is found by table. No allocation, no
 * string compare except for enum values longer than 8 bytes. The tables
 * that make this so (value classes, scope bitsets, one-byte enum bitsets,
 * MsgTypes, stamps) are built once by fixgw_validator_init().
 *
 * Group walking (fixgw_dict_group_*) yields the codec's own group views
 * (fixgw_group_t, fixgw_group_entry_t, layouts from fixgw_dict_t), so
 * fixgw_entry_find() and fixgw_group_next() work on them too; the
 * dictionary only makes "is this tag a member here?" O(1).
 */
#ifndef FIXGW_VALIDATE_H
#define FIXGW_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"
#include "fixgw/dict.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- SessionRejectReason */

/* X(name, value, text): the SessionRejectReason (373) values of FIX 4.4 /
 * 5.0SP2. The validator gives 0-6, 11, 13-16; the others are for the
 * session layer. */
#define FIXGW_REJECT_REASON_MAP(X)                                          \
  X(INVALID_TAG_NUMBER, 0, "Invalid tag number")                            \
  X(REQUIRED_TAG_MISSING, 1, "Required tag missing")                        \
  X(TAG_NOT_DEFINED_FOR_MSGTYPE, 2, "Tag not defined for this message type") \
  X(UNDEFINED_TAG, 3, "Undefined tag")                                      \
  X(TAG_WITHOUT_VALUE, 4, "Tag specified without a value")                  \
  X(VALUE_INCORRECT, 5, "Value is incorrect (out of range) for this tag")   \
  X(INCORRECT_DATA_FORMAT, 6, "Incorrect data format for value")            \
  X(DECRYPTION_PROBLEM, 7, "Decryption problem")                            \
  X(SIGNATURE_PROBLEM, 8, "Signature problem")                              \
  X(COMPID_PROBLEM, 9, "CompID problem")                                    \
  X(SENDING_TIME_ACCURACY, 10, "SendingTime accuracy problem")              \
  X(INVALID_MSGTYPE, 11, "Invalid MsgType")                                 \
  X(XML_VALIDATION, 12, "XML Validation error")                             \
  X(TAG_REPEATED, 13, "Tag appears more than once")                         \
  X(TAG_OUT_OF_ORDER, 14, "Tag specified out of required order")           \
  X(GROUP_FIELDS_OUT_OF_ORDER, 15, "Repeating group fields out of order")   \
  X(GROUP_COUNT, 16, "Incorrect NumInGroup count for repeating group")      \
  X(NON_DATA_HAS_SOH, 17, "Non-data value includes field delimiter")        \
  X(OTHER, 99, "Other")

typedef enum fixgw_reject_reason {
  FIXGW_SRR_NONE = -1, /* no rejection */
#define FIXGW__SRR_ENUM(name, value, text) FIXGW_SRR_##name = (value),
  FIXGW_REJECT_REASON_MAP(FIXGW__SRR_ENUM)
#undef FIXGW__SRR_ENUM
} fixgw_reject_reason;

/* FIX's English text for a reason ("Required tag missing"), "No rejection"
 * for FIXGW_SRR_NONE; "Unknown" for a value not in the map. Static;
 * thread-safe. */
const char *fixgw_reject_reason_text(int reason);
/* Symbolic name ("REQUIRED_TAG_MISSING"), "NONE" for FIXGW_SRR_NONE; "?"
 * for a value not in the map. */
const char *fixgw_reject_reason_name(int reason);

/* A verdict. */
typedef struct fixgw_reject {
  int reason;              /* fixgw_reject_reason; FIXGW_SRR_NONE if valid */
  uint32_t ref_tag;        /* RefTagID (371); 0 when none applies (11) */
  fixgw_str_t ref_msgtype; /* RefMsgType (372): view of the message's 35 */
  /* Index in msg->fields of the offending field; msg->nfields when the
   * failure is an absence (a required tag missing, a group short of
   * entries at the end of the message). */
  uint32_t field_index;
} fixgw_reject_t;

/* -------------------------------------------------------------- checks */

/* Each check can be switched off for a lenient counterparty. */
#define FIXGW_VAL_TAG_NUMBER 0x0001u  /* 0: tag 0 */
#define FIXGW_VAL_REQUIRED 0x0002u    /* 1 (header, body, trailer, entries) */
#define FIXGW_VAL_TAG_IN_MSG 0x0004u  /* 2; off: defined tags that do not
                                       * belong here are skipped */
#define FIXGW_VAL_UNDEFINED 0x0008u   /* 3; off: undefined tags are skipped
                                       * (they do not end a group entry) */
#define FIXGW_VAL_EMPTY 0x0010u       /* 4 */
#define FIXGW_VAL_VALUES 0x0020u      /* 5: enumerated values */
#define FIXGW_VAL_FORMAT 0x0040u      /* 6: syntax of each FIX type */
#define FIXGW_VAL_MSGTYPE 0x0080u     /* 11; off: an unknown MsgType's body
                                       * is accepted as long as its tags
                                       * are defined */
#define FIXGW_VAL_REPEATED 0x0100u    /* 13 */
#define FIXGW_VAL_ORDER 0x0200u       /* 14: header, body, trailer */
#define FIXGW_VAL_GROUP_ORDER 0x0400u /* 15: within an entry, members in
                                       * dictionary order; off: any order
                                       * (the delimiter still comes first;
                                       * a repeated member still ends
                                       * nothing and is reported as 15) */
#define FIXGW_VAL_GROUP_COUNT 0x0800u /* 16 */
#define FIXGW_VAL_USER_FIELDS 0x1000u /* apply the checks to tags >=
                                       * user_tag_min; off: such tags are
                                       * skipped wherever they appear */
#define FIXGW_VAL_ALL 0x1FFFu

typedef struct fixgw_validator_config {
  /* FIX 4.0-4.4: the message's dictionary. FIXT.1.1: the transport
   * dictionary (header, trailer, admin messages). Required. */
  const fixgw_dict_t *dict;
  /* FIXT.1.1 only: application dictionaries by version (e.g.
   * app[FIXGW_DICT_FIX50SP2] = fixgw_dict_fix50sp2() or a venue's loaded
   * one). An application message uses app[ApplVerID (1128)] when the
   * header has 1128, else app[default_appl_ver]. */
  const fixgw_dict_t *app[FIXGW_DICT_COUNT_];
  /* The session's DefaultApplVerID (1137); FIXGW_DICT_UNKNOWN: none. */
  fixgw_dict_version default_appl_ver;
  uint32_t checks;      /* FIXGW_VAL_* bits; default FIXGW_VAL_ALL */
  uint32_t user_tag_min; /* first user-defined tag; default 5000 */
  /* Allocator for init (once); NULL means malloc. */
  const fixgw_allocator_t *allocator;
} fixgw_validator_config_t;

/* Defaults: all checks, user_tag_min 5000, dict as given (may be NULL and
 * set later), no application dictionaries. */
void fixgw_validator_config_default(fixgw_validator_config_t *cfg,
                                    const fixgw_dict_t *dict);

/* Embed anywhere; members are private. A validator keeps per-call scratch
 * (stamps), so it belongs to one thread at a time; the dictionaries it
 * reads may be shared by any number of validators. */
typedef struct fixgw_validator {
  fixgw_validator_config_t cfg_;
  void *mem_;
  struct fixgw__vdict *vd_; /* [0] cfg.dict, then each app dictionary */
  uint32_t nvd_;
  int8_t app_vd_[FIXGW_DICT_COUNT_]; /* version -> vd_ index, -1 none */
  uint32_t *stamps_;
  uint32_t nstamps_;
  uint32_t epoch_;
} fixgw_validator_t;

/* Build the lookup tables for cfg's dictionaries (one allocation; size
 * O(fields + members) of each). The dictionaries must outlive *v.
 * Returns 0, FIXGW_EINVAL (v or cfg or cfg->dict NULL, checks has unknown
 * bits, app dictionaries given for a FIX 4.x dict, or a transport
 * dictionary used as an application one), FIXGW_ENOMEM. */
int fixgw_validator_init(fixgw_validator_t *v,
                         const fixgw_validator_config_t *cfg);
/* Free what init allocated. Safe on a zeroed or destroyed validator. */
void fixgw_validator_destroy(fixgw_validator_t *v);
/* Change the checks of an initialised validator (no rebuild). Returns 0 or
 * FIXGW_EINVAL. */
int fixgw_validator_set_checks(fixgw_validator_t *v, uint32_t checks);

/*
 * Validate m. The first failure in wire order wins (a required field is
 * missed when its scope ends: the header at the first body field, a group
 * entry at the next delimiter or the group's end). *rej (may be NULL) is
 * always written.
 * Returns 0 (valid: rej->reason FIXGW_SRR_NONE), FIXGW_EREJECT (rej says
 * why), FIXGW_ENODICT (no dictionary for the message: BeginString other
 * than the dictionary's, or a FIXT application message whose ApplVerID /
 * default has no app dictionary; rej->reason FIXGW_SRR_NONE, or 5 on 1128
 * for an ApplVerID value that is not a version), FIXGW_EINVAL.
 * Never allocates; reads only m->fields, m->nfields, m->msgtype and
 * m->version, so it also accepts a message assembled by hand.
 */
int fixgw_validate(fixgw_validator_t *v, const fixgw_msg_t *m,
                   fixgw_reject_t *rej);

/*
 * The reject a parse error calls for, when the message is well enough
 * framed to be answered: FIXGW_ETAG gives 0 (Invalid tag number) and
 * FIXGW_EEMPTYVALUE 4 (Tag specified without a value), with the tag the
 * parser saw. Returns 0 and fills *rej (ref_msgtype empty: the message was
 * not indexed) or FIXGW_ENOTFOUND for errors FIX says to drop silently
 * (garbled: BeginString, BodyLength, CheckSum, framing) and FIXGW_EINVAL.
 */
int fixgw_reject_from_parse_error(const fixgw_parse_error_t *pe,
                                  fixgw_reject_t *rej);

/* ------------------------------------------- groups with a dictionary */

/*
 * Open the repeating group whose NumInGroup tag is count_tag at the top
 * level of m (its body, else its header or trailer), in dictionary d (for
 * FIXT application messages, the application dictionary; header groups
 * such as NoHops are found in d's header). The whole group is checked, as
 * fixgw_group_open() does, with O(1) membership: an entry must start with
 * the delimiter and hold each member at most once; a tag the entry cannot
 * hold ends it. *g is the codec's view, layout = &d->layouts[scope].
 * Returns 0, FIXGW_ENOTFOUND (count tag absent from m), FIXGW_EINVAL (m's
 * MsgType unknown to d, or count_tag is not a group of it), FIXGW_EFORMAT
 * (count not a non-negative integer), FIXGW_EGROUPDELIM (an entry without
 * its delimiter, a member twice in an entry), FIXGW_EGROUPCOUNT (entries
 * differ from the count), FIXGW_EGROUPDEPTH. Never allocates.
 */
int fixgw_dict_group_open(const fixgw_dict_t *d, const fixgw_msg_t *m,
                          uint32_t count_tag, fixgw_group_t *g);
/* The group count_tag nested in entry e of parent (opened by one of these
 * functions with the same d). Same returns. */
int fixgw_dict_group_open_nested(const fixgw_dict_t *d,
                                 const fixgw_group_t *parent,
                                 const fixgw_group_entry_t *e,
                                 uint32_t count_tag, fixgw_group_t *g);
/* Next entry: 0 and *e set, FIXGW_ENOTFOUND after the last. Same result as
 * fixgw_group_next() on g, without its linear membership tests. */
int fixgw_dict_group_next(const fixgw_dict_t *d, fixgw_group_t *g,
                          fixgw_group_entry_t *e);
/* The dictionary scope of an opened group (index into d->scopes). */
static inline uint32_t fixgw_dict_group_scope(const fixgw_dict_t *d,
                                              const fixgw_group_t *g) {
  return FIXGW__CAST(uint32_t, g->layout - d->layouts);
}

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_VALIDATE_H */
