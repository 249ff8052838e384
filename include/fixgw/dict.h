/*
 * libfixgw dict: FIX data dictionaries as compact, read-only tables.
 *
 * A dictionary is a set of flat arrays joined by 16-bit indices, never by
 * pointers (except layouts, whose shape the codec fixes), so the same model
 * is emitted as `static const` C by scripts/fixgw-dictgen and built in memory
 * by fixgw_dict_load_*() from the same XML, and the two compare equal.
 *
 *   fields[]   every field, sorted by tag; a field's position is its dense
 *              "field index" (uint16_t), the key of everything below.
 *   values[]   enum values; field f owns values[f.values .. +f.nvalues),
 *              sorted by (key, bytes) so a validator can binary-search keys.
 *   scopes[]   a list of allowed fields: the header, the trailer, each
 *              message body and each distinct repeating group. Components
 *              are already expanded. Identical groups (a component's group
 *              used by many messages) are one scope.
 *   members[]  scope s owns members[s.members .. +s.nmembers) in
 *              definition order (order matters: a group's first member is
 *              its delimiter); a member that is a group's count tag names
 *              that group's scope.
 *   slots[]    per scope, an open-addressing table from field index to
 *              member (fixgw_dict_scope_find): "is tag T allowed here,
 *              required, or a nested group?" in O(1), no string compare.
 *   msgs[]     messages in definition order, found by MsgType through a
 *              hash over the MsgType bytes packed in a uint64_t.
 *
 * So a validator walks a parsed message once: tag -> field index
 * (fixgw_dict_field_index), field index -> member of the current scope,
 * entering a group scope on its count tag and leaving it on a tag the group
 * does not hold; required members are counted, enum values are matched by
 * key. Nothing allocates and nothing compares strings for standard FIX.
 *
 * Strings (names, MsgTypes, enum values, descriptions) are NUL-terminated
 * and live in one pool; structures hold uint32_t offsets into it
 * (fixgw_dict_str). Offsets keep the generated tables free of relocations.
 *
 * Required flags follow the FIX specification: a member is required iff it
 * is marked required='Y' and so is every component between it and its
 * scope. Inside a group, "required" means required in each entry; whether
 * the group must appear at all is the flag of its count-tag member.
 *
 * Thread-safety: a dictionary is immutable after creation; any number of
 * threads may read it. The standard dictionaries are static data that live
 * for the whole program.
 *
 * Derived from the QuickFIX dictionaries: "This product includes software
 * developed by quickfixengine.org (http://www.quickfixengine.org/)."
 */
#ifndef FIXGW_DICT_H
#define FIXGW_DICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/codec.h"
#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ field types */

/* X(name): every type the QuickFIX XML format knows. The XML spelling is the
 * name (matched case-insensitively); anything else is FIXGW_EDICT_TYPE. */
#define FIXGW_FIELD_TYPE_MAP(X)                                        \
  X(INT) X(LENGTH) X(NUMINGROUP) X(SEQNUM) X(TAGNUM) X(DAYOFMONTH)     \
  X(FLOAT) X(QTY) X(PRICE) X(PRICEOFFSET) X(AMT) X(PERCENTAGE)         \
  X(CHAR) X(BOOLEAN) X(STRING) X(MULTIPLECHARVALUE)                    \
  X(MULTIPLESTRINGVALUE) X(MULTIPLEVALUESTRING) X(COUNTRY) X(CURRENCY) \
  X(EXCHANGE) X(MONTHYEAR) X(UTCTIMESTAMP) X(UTCTIMEONLY)              \
  X(UTCDATEONLY) X(UTCDATE) X(LOCALMKTDATE) X(LOCALMKTTIME)            \
  X(TZTIMEONLY) X(TZTIMESTAMP) X(DATA) X(XMLDATA) X(LANGUAGE) X(TIME)  \
  X(DATE) X(XID) X(XIDREF) X(TENOR) X(PATTERN) X(RESERVED100PLUS)      \
  X(RESERVED1000PLUS) X(RESERVED4000PLUS)

/* Values are stable: append, never renumber (generated tables store them). */
typedef enum fixgw_field_type {
  FIXGW_FT_UNKNOWN = 0,
#define FIXGW__FT_ENUM(name) FIXGW_FT_##name,
  FIXGW_FIELD_TYPE_MAP(FIXGW__FT_ENUM)
#undef FIXGW__FT_ENUM
  FIXGW_FT_COUNT_
} fixgw_field_type;

/* Upper-case XML name ("UTCTIMESTAMP"), or "UNKNOWN" out of range. */
const char *fixgw_field_type_name(fixgw_field_type t);
/* The type for an XML spelling (case-insensitive), FIXGW_FT_UNKNOWN if
 * none. */
fixgw_field_type fixgw_field_type_from_name(const char *s, size_t n);

/* The syntax a value of a type must have, i.e. which fixgw_to_* checks it. */
typedef enum fixgw_value_class {
  FIXGW_VC_STRING = 0, /* any bytes but SOH */
  FIXGW_VC_INT,        /* fixgw_to_int */
  FIXGW_VC_DECIMAL,    /* fixgw_to_decimal */
  FIXGW_VC_CHAR,       /* one byte */
  FIXGW_VC_BOOL,       /* Y or N */
  FIXGW_VC_TIMESTAMP,  /* fixgw_to_timestamp */
  FIXGW_VC_TIMEONLY,   /* fixgw_to_timeonly */
  FIXGW_VC_DATE,       /* fixgw_to_date */
  FIXGW_VC_MONTHYEAR,  /* fixgw_to_month_year */
  FIXGW_VC_MULTI,      /* space-separated enum tokens */
  FIXGW_VC_DATA        /* length-prefixed raw bytes */
} fixgw_value_class;

fixgw_value_class fixgw_field_type_class(fixgw_field_type t);

/* -------------------------------------------------------------- the model */

/* "No such index" in 16-bit index fields. */
#define FIXGW_DICT_NONE 0xFFFFu

/* Limits every dictionary obeys (the loader and the generator enforce them
 * with FIXGW_EDICT_LIMIT). */
#define FIXGW_DICT_MAX_FIELDS 65000u
#define FIXGW_DICT_MAX_SCOPES 65000u
#define FIXGW_DICT_MAX_SCOPE_MEMBERS 32000u
#define FIXGW_DICT_MAX_MSGS 32000u
#define FIXGW_DICT_MAX_VALUES_PER_FIELD 65000u
#define FIXGW_DICT_MAX_MSGTYPE_LEN 32u
/* XML element nesting, and component/group nesting after expansion. */
#define FIXGW_DICT_MAX_DEPTH 64u
/* Fields visited while expanding components, whole dictionary (FIX50SP2
 * needs ~47k): stops a component included twice by one included twice...
 * long before 2^n. */
#define FIXGW_DICT_MAX_EXPANSION (1u << 20)
/* Tags below this bound (and below max tag + 1) map to a field index by
 * one array load; larger tags by binary search over fields[]. */
#define FIXGW_DICT_DIRECT_TAGS 4096u

typedef struct fixgw_dict_field {
  uint32_t tag;
  uint32_t name;    /* string offset */
  uint32_t values;  /* first enum value in values[] */
  uint16_t nvalues; /* 0: not an enumerated field */
  uint8_t type;     /* fixgw_field_type */
  uint8_t reserved_;
} fixgw_dict_field_t;

typedef struct fixgw_dict_value {
  /* The value's first (up to) 8 bytes, byte i at bits 8i..8i+7, the rest
   * zero: for values of at most 8 bytes (all standard ones but a few) equal
   * keys mean equal values. Use fixgw_dict_key(). */
  uint64_t key;
  uint32_t value; /* string offset */
  uint32_t desc;  /* string offset ("" when the XML has none) */
} fixgw_dict_value_t;

/* Member flags. */
#define FIXGW_DICT_M_REQUIRED 0x01u
#define FIXGW_DICT_M_GROUP 0x02u /* count tag of the group scope `group` */

typedef struct fixgw_dict_member {
  uint16_t field; /* field index */
  uint16_t group; /* scope index if FIXGW_DICT_M_GROUP, else NONE */
  uint8_t flags;
  uint8_t reserved_;
} fixgw_dict_member_t;

typedef enum fixgw_dict_scope_kind {
  FIXGW_DICT_SCOPE_HEADER = 0,
  FIXGW_DICT_SCOPE_TRAILER,
  FIXGW_DICT_SCOPE_BODY,
  FIXGW_DICT_SCOPE_GROUP
} fixgw_dict_scope_kind;

typedef struct fixgw_dict_scope {
  uint32_t members;     /* first member in members[] */
  uint32_t slots;       /* first slot in slots[] */
  uint16_t nmembers;
  uint16_t nrequired;   /* members with FIXGW_DICT_M_REQUIRED */
  uint16_t count_field; /* groups: field index of the NumInGroup tag */
  uint8_t slot_bits;    /* the slot table has 1 << slot_bits entries */
  uint8_t kind;         /* fixgw_dict_scope_kind */
} fixgw_dict_scope_t;

typedef enum fixgw_dict_msgcat {
  FIXGW_DICT_APP = 0,
  FIXGW_DICT_ADMIN = 1
} fixgw_dict_msgcat;

typedef struct fixgw_dict_msg {
  uint64_t key;        /* fixgw_dict_key() of the MsgType */
  uint32_t name;       /* string offset */
  uint32_t msgtype;    /* string offset */
  uint16_t body;       /* scope index */
  uint8_t msgtype_len; /* 1..FIXGW_DICT_MAX_MSGTYPE_LEN */
  uint8_t category;    /* fixgw_dict_msgcat */
} fixgw_dict_msg_t;

/*
 * One dictionary. All members are read-only; index with the counts given.
 * layouts[] runs parallel to scopes[]. For a group scope, layouts[s] is
 * ready for fixgw_group_open(): its member tags in order (the delimiter
 * first) and its nested groups' layouts. For header, trailer and bodies
 * only nested[] is filled (the scope's top-level groups, in order); their
 * tags are not repeated there (tags NULL, ntags, count_tag, delim_tag 0).
 */
typedef struct fixgw_dict {
  uint8_t major, minor, servicepack;
  uint8_t transport; /* 1 for <fix type='FIXT'> */
  uint16_t header;   /* scope index (an empty scope if the XML has none) */
  uint16_t trailer;  /* scope index */
  const char *strings;
  uint32_t strings_len; /* bytes, the last NUL included */
  uint32_t nfields;
  uint32_t nvalues;
  uint32_t nmsgs;
  uint32_t nscopes;
  uint32_t ngroups; /* scopes of kind FIXGW_DICT_SCOPE_GROUP */
  uint32_t nmembers;
  uint32_t nslots;
  uint32_t ntag_direct;
  uint32_t msg_slot_bits;
  uint32_t ndata_pairs;
  const fixgw_dict_field_t *fields;
  const fixgw_dict_value_t *values;
  const fixgw_dict_msg_t *msgs;
  const fixgw_dict_scope_t *scopes;
  const fixgw_dict_member_t *members;
  const uint16_t *slots;      /* member index + 1 within the scope; 0 empty */
  const uint16_t *tag_direct; /* [tag] = field index + 1; 0 undefined */
  const uint16_t *msg_slots;  /* 1 << msg_slot_bits; msg index + 1; 0 empty */
  const fixgw_group_layout_t *layouts;
  /* Length/data pairs (a DATA or XMLDATA field and the LENGTH field that
   * gives its size), sorted by len_tag: the parser config's data_pairs. */
  const fixgw_data_pair_t *data_pairs;
  void *owner_; /* private: loader memory, NULL for static tables */
} fixgw_dict_t;

/* --------------------------------------------------------- lookup helpers */

/* The string at pool offset off. */
static inline const char *fixgw_dict_str(const fixgw_dict_t *d, uint32_t off) {
  return d->strings + off;
}

/* Key of a MsgType or enum value: its first min(n, 8) bytes packed
 * little-endian. */
static inline uint64_t fixgw_dict_key(const char *s, size_t n) {
  uint64_t k = 0;
  size_t i, m = n < 8 ? n : 8;
  for (i = 0; i < m; i++) k |= (uint64_t)(unsigned char)s[i] << (8 * i);
  return k;
}

/* Field index of tag, or -1 if the dictionary does not define it. O(1) for
 * tags below ntag_direct, binary search above. */
static inline int32_t fixgw_dict_field_index(const fixgw_dict_t *d,
                                             uint32_t tag) {
  uint32_t lo, hi;
  if (tag < d->ntag_direct) return (int32_t)d->tag_direct[tag] - 1;
  lo = 0;
  hi = d->nfields;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->fields[mid].tag < tag) lo = mid + 1;
    else hi = mid;
  }
  return lo < d->nfields && d->fields[lo].tag == tag ? (int32_t)lo : -1;
}

/* The field for tag, or NULL. */
static inline const fixgw_dict_field_t *fixgw_dict_field(const fixgw_dict_t *d,
                                                         uint32_t tag) {
  int32_t i = fixgw_dict_field_index(d, tag);
  return i < 0 ? NULL : &d->fields[i];
}

/* Slot of field index f in a table of 2^bits entries (Fibonacci hashing;
 * the generator computes the same). */
static inline uint32_t fixgw_dict_slot_hash(uint32_t f, uint32_t bits) {
  return (uint32_t)(f * 0x9E3779B1u) >> (32 - bits);
}

/* Position (0-based, within the scope) of the member whose field index is
 * field, or -1 if the scope does not hold that field. O(1): a table has
 * 2^slot_bits >= 1.5 * nmembers entries (slot_bits >= 1), filled by linear
 * probing in member order. */
static inline int32_t fixgw_dict_scope_find(const fixgw_dict_t *d,
                                            const fixgw_dict_scope_t *s,
                                            uint32_t field) {
  const uint16_t *t = d->slots + s->slots;
  uint32_t mask = (1u << s->slot_bits) - 1u;
  uint32_t h = fixgw_dict_slot_hash(field, s->slot_bits);
  for (;;) {
    uint32_t v = t[h];
    if (v == 0) return -1;
    if (d->members[s->members + v - 1].field == field) return (int32_t)v - 1;
    h = (h + 1) & mask;
  }
}

/* The member of scope s for tag, or NULL if tag is not allowed there. */
const fixgw_dict_member_t *fixgw_dict_scope_member(const fixgw_dict_t *d,
                                                   const fixgw_dict_scope_t *s,
                                                   uint32_t tag);

/* Slot of a MsgType key in the message table. */
static inline uint32_t fixgw_dict_msg_hash(uint64_t key, uint32_t bits) {
  return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> (64 - bits));
}

/* The message with this MsgType (bytes s[0..n), no SOH), or NULL. O(1);
 * compares strings only for MsgTypes longer than 8 bytes. */
const fixgw_dict_msg_t *fixgw_dict_msg(const fixgw_dict_t *d, const char *s,
                                       size_t n);

/* The field named name (NUL-terminated), or NULL. O(nfields): for tools
 * and start-up, not for the hot path. */
const fixgw_dict_field_t *fixgw_dict_field_by_name(const fixgw_dict_t *d,
                                                   const char *name);

/* The enum value of field f equal to s[0..n), or NULL (also when f is not
 * enumerated). Binary search on keys, no allocation. */
const fixgw_dict_value_t *fixgw_dict_value(const fixgw_dict_t *d,
                                           const fixgw_dict_field_t *f,
                                           const char *s, size_t n);

/* ------------------------------------------------- standard dictionaries */

typedef enum fixgw_dict_version {
  FIXGW_DICT_UNKNOWN = 0,
  FIXGW_DICT_FIX40,
  FIXGW_DICT_FIX41,
  FIXGW_DICT_FIX42,
  FIXGW_DICT_FIX43,
  FIXGW_DICT_FIX44,
  FIXGW_DICT_FIX50,
  FIXGW_DICT_FIX50SP1,
  FIXGW_DICT_FIX50SP2,
  FIXGW_DICT_FIXT11,
  FIXGW_DICT_COUNT_
} fixgw_dict_version;

/* The built-in tables, generated from the QuickFIX XML. Static; never NULL. */
const fixgw_dict_t *fixgw_dict_fix40(void);
const fixgw_dict_t *fixgw_dict_fix41(void);
const fixgw_dict_t *fixgw_dict_fix42(void);
const fixgw_dict_t *fixgw_dict_fix43(void);
const fixgw_dict_t *fixgw_dict_fix44(void);
const fixgw_dict_t *fixgw_dict_fix50(void);
const fixgw_dict_t *fixgw_dict_fix50sp1(void);
const fixgw_dict_t *fixgw_dict_fix50sp2(void);
/* The FIXT.1.1 transport (session) dictionary; FIX 5.0+ application
 * messages use one of the fix50* dictionaries beside it. */
const fixgw_dict_t *fixgw_dict_fixt11(void);

/* The built-in dictionary for v, or NULL for UNKNOWN / out of range. */
const fixgw_dict_t *fixgw_dict_by_version(fixgw_dict_version v);
/* For a BeginString (8) value: FIX.4.0..FIX.4.4 give those dictionaries,
 * FIXT.1.1 the transport dictionary; FIXGW_DICT_UNKNOWN otherwise. */
fixgw_dict_version fixgw_dict_version_from_begin_string(const char *s,
                                                        size_t n);
/* For an ApplVerID (1128) / DefaultApplVerID (1137) value: "2".."9" are
 * FIX40..FIX50SP2 (FIX50SP2's ApplVerID enum); FIXGW_DICT_UNKNOWN for
 * FIX27, FIX30, FIX_LATEST ("10") and anything else. */
fixgw_dict_version fixgw_dict_version_from_appl_ver_id(const char *s,
                                                       size_t n);
/* "FIX44", "FIX50SP2", "FIXT11"...; NULL for UNKNOWN / out of range. */
const char *fixgw_dict_version_name(fixgw_dict_version v);

/* ------------------------------------------------------- runtime loading */

/* Where and why a dictionary was rejected. */
typedef struct fixgw_dict_error {
  int code;          /* FIXGW_E*, 0 if none */
  const char *file;  /* the path / name given to the loader (borrowed) */
  uint32_t line;     /* 1-based; 0 if not tied to a place */
  uint32_t column;   /* 0-based, as expat counts; 0 if unknown */
  char element[48];  /* the XML element at fault, e.g. "field" */
  char message[200]; /* English detail, NUL-terminated */
} fixgw_dict_error_t;

/* "file:line: <element>: message (FIXGW_E...)" into buf (always
 * NUL-terminated when n > 0). Returns the length it wanted, like snprintf. */
int fixgw_dict_error_format(const fixgw_dict_error_t *e, char *buf, size_t n);

/*
 * Read a QuickFIX-format XML dictionary (<fix> with <header>, <trailer>,
 * <messages>, <components>, <fields>) into a new dictionary with the same
 * model, order and indices as scripts/fixgw-dictgen would generate from it.
 *
 * The XML reader is expat: the files come from venues and users, so
 * well-formedness, entities, encodings and entity-expansion attacks are
 * handled by a parser hardened for exactly that, not by ours, and the
 * generator (Python's pyexpat) reads the same document the same way, with
 * the same line numbers. Everything (expat included) allocates through
 * `allocator` (NULL: malloc); expat's memory hooks take no user pointer,
 * so the allocator is reached through a thread-local set for the call.
 * Start-up only: it allocates freely and is not meant for a hot path.
 *
 * Returns 0 and sets *out, or a negative code with *err filled (err may be
 * NULL) and *out untouched:
 *   FIXGW_EDICT_XML     not well-formed XML (expat's reason)
 *   FIXGW_EDICT_SCHEMA  missing/invalid element or attribute
 *   FIXGW_EDICT_TYPE    unknown field type
 *   FIXGW_EDICT_DUP     tag, field name, component, MsgType or enum value
 *                       defined twice, or a field twice in one scope
 *   FIXGW_EDICT_UNDEF   reference to an undefined field or component
 *   FIXGW_EDICT_CYCLE   a component includes itself
 *   FIXGW_EDICT_LIMIT   over a FIXGW_DICT_MAX_* limit
 *   FIXGW_ENOMEM, FIXGW_EIO (file: cannot open/read), FIXGW_EINVAL.
 * Thread-safe (no shared state). The result is freed by fixgw_dict_free().
 */
int fixgw_dict_load_file(const char *path, const fixgw_allocator_t *allocator,
                         fixgw_dict_t **out, fixgw_dict_error_t *err);
/* As above from xml[0..len); name is used in *err (may be NULL). The bytes
 * are not referenced after return. */
int fixgw_dict_load_mem(const char *xml, size_t len, const char *name,
                        const fixgw_allocator_t *allocator, fixgw_dict_t **out,
                        fixgw_dict_error_t *err);
/* Free a loaded dictionary with the allocator it was loaded with. NULL and
 * the static built-in dictionaries are ignored. */
void fixgw_dict_free(fixgw_dict_t *d);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_DICT_H */
