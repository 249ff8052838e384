/* Dictionary lookups, field type names and the standard-version map. */
#include <string.h>

#include "fixgw/dict.h"

static const char *const type_names[FIXGW_FT_COUNT_] = {
    "UNKNOWN",
#define FIXGW__FT_NAME(name) #name,
    FIXGW_FIELD_TYPE_MAP(FIXGW__FT_NAME)
#undef FIXGW__FT_NAME
};

const char *fixgw_field_type_name(fixgw_field_type t) {
  if ((unsigned)t >= FIXGW_FT_COUNT_) return "UNKNOWN";
  return type_names[t];
}

static int upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

fixgw_field_type fixgw_field_type_from_name(const char *s, size_t n) {
  if (!s) return FIXGW_FT_UNKNOWN;
  for (unsigned t = 1; t < FIXGW_FT_COUNT_; t++) {
    const char *name = type_names[t];
    size_t i = 0;
    while (i < n && name[i] && upper((unsigned char)s[i]) == name[i]) i++;
    if (i == n && name[i] == 0) return (fixgw_field_type)t;
  }
  return FIXGW_FT_UNKNOWN;
}

fixgw_value_class fixgw_field_type_class(fixgw_field_type t) {
  switch (t) {
    case FIXGW_FT_INT:
    case FIXGW_FT_LENGTH:
    case FIXGW_FT_NUMINGROUP:
    case FIXGW_FT_SEQNUM:
    case FIXGW_FT_TAGNUM:
    case FIXGW_FT_DAYOFMONTH:
      return FIXGW_VC_INT;
    case FIXGW_FT_FLOAT:
    case FIXGW_FT_QTY:
    case FIXGW_FT_PRICE:
    case FIXGW_FT_PRICEOFFSET:
    case FIXGW_FT_AMT:
    case FIXGW_FT_PERCENTAGE:
      return FIXGW_VC_DECIMAL;
    case FIXGW_FT_CHAR:
      return FIXGW_VC_CHAR;
    case FIXGW_FT_BOOLEAN:
      return FIXGW_VC_BOOL;
    case FIXGW_FT_UTCTIMESTAMP:
    case FIXGW_FT_TIME: /* FIX 4.0/4.1 "time" is a UTC timestamp */
      return FIXGW_VC_TIMESTAMP;
    case FIXGW_FT_UTCTIMEONLY:
      return FIXGW_VC_TIMEONLY;
    case FIXGW_FT_UTCDATEONLY:
    case FIXGW_FT_UTCDATE:
    case FIXGW_FT_LOCALMKTDATE:
    case FIXGW_FT_DATE:
      return FIXGW_VC_DATE;
    case FIXGW_FT_MONTHYEAR:
      return FIXGW_VC_MONTHYEAR;
    case FIXGW_FT_MULTIPLECHARVALUE:
    case FIXGW_FT_MULTIPLESTRINGVALUE:
    case FIXGW_FT_MULTIPLEVALUESTRING:
      return FIXGW_VC_MULTI;
    case FIXGW_FT_DATA:
    case FIXGW_FT_XMLDATA:
      return FIXGW_VC_DATA;
    default:
      /* STRING and its refinements (COUNTRY, CURRENCY, XID, TZ times whose
       * offsets fixgw_to_* does not parse, ...) */
      return FIXGW_VC_STRING;
  }
}

const fixgw_dict_member_t *fixgw_dict_scope_member(const fixgw_dict_t *d,
                                                   const fixgw_dict_scope_t *s,
                                                   uint32_t tag) {
  int32_t f = fixgw_dict_field_index(d, tag);
  if (f < 0) return NULL;
  int32_t m = fixgw_dict_scope_find(d, s, (uint32_t)f);
  return m < 0 ? NULL : &d->members[s->members + (uint32_t)m];
}

const fixgw_dict_msg_t *fixgw_dict_msg(const fixgw_dict_t *d, const char *s,
                                       size_t n) {
  if (!d || !s || n == 0 || n > FIXGW_DICT_MAX_MSGTYPE_LEN) return NULL;
  uint64_t key = fixgw_dict_key(s, n);
  uint32_t mask = (1u << d->msg_slot_bits) - 1u;
  uint32_t h = fixgw_dict_msg_hash(key, d->msg_slot_bits);
  for (;;) {
    uint32_t v = d->msg_slots[h];
    if (v == 0) return NULL;
    const fixgw_dict_msg_t *m = &d->msgs[v - 1];
    if (m->key == key && m->msgtype_len == n &&
        (n <= 8 || memcmp(d->strings + m->msgtype, s, n) == 0))
      return m;
    h = (h + 1) & mask;
  }
}

const fixgw_dict_field_t *fixgw_dict_field_by_name(const fixgw_dict_t *d,
                                                   const char *name) {
  if (!d || !name) return NULL;
  for (uint32_t i = 0; i < d->nfields; i++)
    if (strcmp(d->strings + d->fields[i].name, name) == 0) return &d->fields[i];
  return NULL;
}

const fixgw_dict_value_t *fixgw_dict_value(const fixgw_dict_t *d,
                                           const fixgw_dict_field_t *f,
                                           const char *s, size_t n) {
  if (!d || !f || !s || f->nvalues == 0) return NULL;
  uint64_t key = fixgw_dict_key(s, n);
  const fixgw_dict_value_t *v = d->values + f->values;
  uint32_t lo = 0, hi = f->nvalues;
  while (lo < hi) { /* first value with key >= key */
    uint32_t mid = lo + (hi - lo) / 2;
    if (v[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  /* Values longer than 8 bytes share keys with their 8-byte prefix. */
  for (; lo < f->nvalues && v[lo].key == key; lo++) {
    const char *vs = d->strings + v[lo].value;
    if (strncmp(vs, s, n) == 0 && vs[n] == 0) return &v[lo];
  }
  return NULL;
}

/* ----------------------------------------------------- standard versions */

const fixgw_dict_t *fixgw_dict_by_version(fixgw_dict_version v) {
  switch (v) {
    case FIXGW_DICT_FIX40: return fixgw_dict_fix40();
    case FIXGW_DICT_FIX41: return fixgw_dict_fix41();
    case FIXGW_DICT_FIX42: return fixgw_dict_fix42();
    case FIXGW_DICT_FIX43: return fixgw_dict_fix43();
    case FIXGW_DICT_FIX44: return fixgw_dict_fix44();
    case FIXGW_DICT_FIX50: return fixgw_dict_fix50();
    case FIXGW_DICT_FIX50SP1: return fixgw_dict_fix50sp1();
    case FIXGW_DICT_FIX50SP2: return fixgw_dict_fix50sp2();
    case FIXGW_DICT_FIXT11: return fixgw_dict_fixt11();
    default: return NULL;
  }
}

static const char *const version_names[FIXGW_DICT_COUNT_] = {
    NULL,    "FIX40",    "FIX41",    "FIX42",    "FIX43",
    "FIX44", "FIX50", "FIX50SP1", "FIX50SP2", "FIXT11"};

const char *fixgw_dict_version_name(fixgw_dict_version v) {
  if ((unsigned)v >= FIXGW_DICT_COUNT_) return NULL;
  return version_names[v];
}

static int eq(const char *s, size_t n, const char *lit) {
  size_t m = strlen(lit);
  return n == m && memcmp(s, lit, m) == 0;
}

fixgw_dict_version fixgw_dict_version_from_begin_string(const char *s,
                                                        size_t n) {
  if (!s) return FIXGW_DICT_UNKNOWN;
  if (eq(s, n, "FIXT.1.1")) return FIXGW_DICT_FIXT11;
  if (n == 7 && memcmp(s, "FIX.4.", 6) == 0 && s[6] >= '0' && s[6] <= '4')
    return (fixgw_dict_version)(FIXGW_DICT_FIX40 + (s[6] - '0'));
  return FIXGW_DICT_UNKNOWN;
}

fixgw_dict_version fixgw_dict_version_from_appl_ver_id(const char *s,
                                                       size_t n) {
  /* FIX50SP2 ApplVerID (1128): 2=FIX40 3=FIX41 4=FIX42 5=FIX43 6=FIX44
   * 7=FIX50 8=FIX50_SP1 9=FIX50_SP2; 0, 1 (FIX27, FIX30) and 10
   * (FIX_LATEST) name nothing we ship. */
  if (!s || n != 1 || s[0] < '2' || s[0] > '9') return FIXGW_DICT_UNKNOWN;
  return (fixgw_dict_version)(FIXGW_DICT_FIX40 + (s[0] - '2'));
}
