/* Session-level validation of a parsed message against dictionaries. */
#include <string.h>

#include "../codec/codec_internal.h" /* fixgw__timestamp_check */
#include "validate_internal.h"
#include "internal.h"

/* ------------------------------------------------------------ reasons */

const char *fixgw_reject_reason_text(int reason) {
  switch (reason) {
#define FIXGW__SRR_TEXT(name, value, text) \
  case value:                              \
    return text;
    FIXGW_REJECT_REASON_MAP(FIXGW__SRR_TEXT)
#undef FIXGW__SRR_TEXT
    case FIXGW_SRR_NONE:
      return "No rejection";
    default:
      return "Unknown";
  }
}

const char *fixgw_reject_reason_name(int reason) {
  switch (reason) {
#define FIXGW__SRR_NAME(name, value, text) \
  case value:                              \
    return #name;
    FIXGW_REJECT_REASON_MAP(FIXGW__SRR_NAME)
#undef FIXGW__SRR_NAME
    case FIXGW_SRR_NONE:
      return "NONE";
    default:
      return "?";
  }
}

int fixgw_reject_from_parse_error(const fixgw_parse_error_t *pe,
                                  fixgw_reject_t *rej) {
  if (!pe || !rej) return FIXGW_EINVAL;
  int reason;
  switch (pe->code) {
    case FIXGW_ETAG: reason = FIXGW_SRR_INVALID_TAG_NUMBER; break;
    case FIXGW_EEMPTYVALUE: reason = FIXGW_SRR_TAG_WITHOUT_VALUE; break;
    default: return FIXGW_ENOTFOUND;
  }
  rej->reason = reason;
  rej->ref_tag = pe->tag;
  rej->ref_msgtype.ptr = NULL;
  rej->ref_msgtype.len = 0;
  rej->field_index = 0;
  return 0;
}

/* ------------------------------------------------------ per-dict tables */

/* cls[] byte: the value class in the low nibble, and */
#define CLS_MASK 0x0Fu
#define CLS_ENUM 0x80u /* the field is enumerated */
#define CLS_CSET 0x40u /* ... and every value is one byte: bitset cset[] */
#define CLS_COUNT 0x20u /* a NumInGroup field: may open a group */
#define CLS_FREE 0x10u  /* any non-empty value passes: a string, not enumerated */

/* What the fast path does with a field, by field index + 1 (fk1[]): the
 * passes check_value decides inline, picked by one switch. */
enum {
  FK_FULL = 0, /* check_value_full decides */
  FK_COUNT,    /* a NumInGroup field: the full walk's */
  FK_FREE,     /* CLS_FREE */
  FK_CSET1,    /* CLS_CSET of a char or string field */
  FK_INT,      /* not enumerated, by class */
  FK_DEC,
  FK_TS
};

/* The header, trailer and bodies are tested by bitsets over field
 * indices (a load and a shift, against the three dependent loads of a
 * scope hash probe): per 64 field indices, a word of members and a word
 * of required members, side by side. Groups, whose entries need member
 * positions (order, delimiter), use the dictionary's hash tables.
 *
 * Bit fi + 1 stands for field index fi, and cls[-1] and fstamps[-1]
 * exist, so the fast path indexes all three by tag_direct[tag] itself:
 * an undefined tag (0) lands on bit 0, which no scope has. */
struct fixgw__vdict {
  const fixgw_dict_t *d;
  uint32_t stamp_base; /* group stamps of member k of this dict: [base + k] */
  uint32_t swords;     /* words per scope bitset: 2 * ceil((nfields + 1) / 64) */
  const uint8_t *cls;  /* per field index; [-1] is 0 */
  const uint16_t *cset; /* per field index: bitset index (CLS_CSET only) */
  const uint64_t (*bits)[4];
  const uint32_t *soff; /* per scope: offset of its bitset in sbits */
  const uint64_t *sbits;
  uint32_t *fstamps;   /* per field index: header/body/trailer stamps; [-1] unused */
  /* One-byte MsgTypes (most of the traffic) -> msgs[] index + 1, 0 none:
   * fixgw_dict_msg's answer, read off without hashing. */
  const uint16_t *msg1;
  const uint8_t *fk1; /* FK_* by field index + 1 */
  /* Tags below it take the fast path: the dictionary's ntag_direct, or 0
   * if tag_direct[0] is not 0 (no loader makes such a table). */
  uint32_t fast_lim;
};

static inline int sb_member(const struct fixgw__vdict *vd, uint32_t soff, uint32_t fi) {
  const uint32_t b = fi + 1;
  return (int)((vd->sbits[soff + (b >> 6) * 2] >> (b & 63)) & 1u);
}
static inline uint32_t sb_required(const struct fixgw__vdict *vd, uint32_t soff, uint32_t fi) {
  const uint32_t b = fi + 1;
  return (uint32_t)((vd->sbits[soff + (b >> 6) * 2 + 1] >> (b & 63)) & 1u);
}

void fixgw_validator_config_default(fixgw_validator_config_t *cfg,
                                    const fixgw_dict_t *dict) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->dict = dict;
  cfg->default_appl_ver = FIXGW_DICT_UNKNOWN;
  cfg->checks = FIXGW_VAL_ALL;
  cfg->user_tag_min = 5000;
}

static uint32_t n_csets(const fixgw_dict_t *d) {
  uint32_t n = 0;
  for (uint32_t f = 0; f < d->nfields; f++) {
    const fixgw_dict_field_t *fd = &d->fields[f];
    if (!fd->nvalues) continue;
    uint32_t k = 0;
    while (k < fd->nvalues && d->strings[d->values[fd->values + k].value + 1] == 0) k++;
    n += k == fd->nvalues;
  }
  return n;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int fixgw_validator_init(fixgw_validator_t *v,
                         const fixgw_validator_config_t *cfg) {
  if (!v || !cfg || !cfg->dict || (cfg->checks & ~FIXGW_VAL_ALL))
    return FIXGW_EINVAL;
  const fixgw_dict_t *dicts[1 + FIXGW_DICT_COUNT_];
  int8_t slot[FIXGW_DICT_COUNT_];
  uint32_t nd = 0;
  dicts[nd++] = cfg->dict;
  if (!cfg->dict->transport && cfg->dict->major != 4) return FIXGW_EINVAL;
  for (int k = 0; k < FIXGW_DICT_COUNT_; k++) {
    slot[k] = -1;
    const fixgw_dict_t *a = cfg->app[k];
    if (!a) continue;
    if (!cfg->dict->transport || a->transport || k == FIXGW_DICT_UNKNOWN ||
        k == FIXGW_DICT_FIXT11)
      return FIXGW_EINVAL;
    uint32_t j = 1;
    while (j < nd && dicts[j] != a) j++;
    if (j == nd) dicts[nd++] = a;
    slot[k] = (int8_t)j;
  }
  /* One block: vdicts, stamps, then per dict cls, cset, bitsets. */
  size_t size = align8(nd * sizeof(struct fixgw__vdict));
  uint32_t nstamps = 0;
  for (uint32_t j = 0; j < nd; j++) nstamps += dicts[j]->nmembers;
  size += align8((size_t)nstamps * sizeof(uint32_t));
  for (uint32_t j = 0; j < nd; j++) {
    const fixgw_dict_t *d = dicts[j];
    uint32_t nflat = d->nscopes - d->ngroups;
    size += align8((size_t)d->nfields + 1);
    size += align8((size_t)d->nfields * sizeof(uint16_t));
    size += (size_t)n_csets(d) * 32;
    size += align8((size_t)d->nscopes * sizeof(uint32_t));
    size += (size_t)nflat * 2 * ((d->nfields + 64) / 64) * sizeof(uint64_t);
    size += align8(((size_t)d->nfields + 1) * sizeof(uint32_t));
    size += 256 * sizeof(uint16_t);
    size += align8((size_t)d->nfields + 1);
  }
  char *mem = fixgw__alloc(cfg->allocator, size);
  if (!mem) return FIXGW_ENOMEM;
  memset(mem, 0, size);
  memset(v, 0, sizeof *v);
  v->cfg_ = *cfg;
  v->mem_ = mem;
  v->vd_ = (struct fixgw__vdict *)(void *)mem;
  v->nvd_ = nd;
  memcpy(v->app_vd_, slot, sizeof slot);
  char *p = mem + align8(nd * sizeof(struct fixgw__vdict));
  v->stamps_ = (uint32_t *)(void *)p;
  v->nstamps_ = nstamps;
  p += align8((size_t)nstamps * sizeof(uint32_t));
  uint32_t base = 0;
  for (uint32_t j = 0; j < nd; j++) {
    const fixgw_dict_t *d = dicts[j];
    struct fixgw__vdict *vd = &v->vd_[j];
    uint8_t *cls = (uint8_t *)p + 1;
    p += align8((size_t)d->nfields + 1);
    uint16_t *cset = (uint16_t *)(void *)p;
    p += align8((size_t)d->nfields * sizeof(uint16_t));
    uint64_t(*bits)[4] = (uint64_t(*)[4])(void *)p;
    uint16_t nb = 0;
    for (uint32_t f = 0; f < d->nfields; f++) {
      const fixgw_dict_field_t *fd = &d->fields[f];
      cls[f] = (uint8_t)fixgw_field_type_class((fixgw_field_type)fd->type);
      if (fd->type == FIXGW_FT_NUMINGROUP) cls[f] |= CLS_COUNT;
      cset[f] = 0;
      if (!fd->nvalues) {
        unsigned vc = cls[f] & CLS_MASK;
        if (vc == FIXGW_VC_STRING || vc == FIXGW_VC_DATA) cls[f] |= CLS_FREE;
        continue;
      }
      cls[f] |= CLS_ENUM;
      uint32_t k = 0;
      while (k < fd->nvalues && d->strings[d->values[fd->values + k].value + 1] == 0) k++;
      if (k != fd->nvalues || (cls[f] & CLS_MASK) == FIXGW_VC_MULTI) continue;
      for (k = 0; k < fd->nvalues; k++) {
        unsigned char c = (unsigned char)d->strings[d->values[fd->values + k].value];
        bits[nb][c >> 6] |= 1ull << (c & 63);
      }
      cls[f] |= CLS_CSET;
      cset[f] = nb++;
    }
    p += (size_t)nb * 32;
    uint32_t *soff = (uint32_t *)(void *)p;
    p += align8((size_t)d->nscopes * sizeof(uint32_t));
    uint64_t *sbits = (uint64_t *)(void *)p;
    uint32_t swords = 2 * ((d->nfields + 64) / 64), at = 0;
    for (uint32_t sc = 0; sc < d->nscopes; sc++) {
      const fixgw_dict_scope_t *s = &d->scopes[sc];
      if (s->kind == FIXGW_DICT_SCOPE_GROUP) {
        soff[sc] = UINT32_MAX;
        continue;
      }
      soff[sc] = at;
      for (uint32_t k = 0; k < s->nmembers; k++) {
        const fixgw_dict_member_t *mb = &d->members[s->members + k];
        const uint32_t b = mb->field + 1u;
        sbits[at + (b >> 6) * 2] |= 1ull << (b & 63);
        if (mb->flags & FIXGW_DICT_M_REQUIRED) sbits[at + (b >> 6) * 2 + 1] |= 1ull << (b & 63);
      }
      at += swords;
    }
    p += (size_t)at * sizeof(uint64_t);
    vd->fstamps = (uint32_t *)(void *)p + 1;
    p += align8(((size_t)d->nfields + 1) * sizeof(uint32_t));
    uint16_t *msg1 = (uint16_t *)(void *)p;
    p += 256 * sizeof(uint16_t);
    for (unsigned ch = 0; ch < 256; ch++) {
      const char s1 = (char)ch;
      const fixgw_dict_msg_t *dm = fixgw_dict_msg(d, &s1, 1);
      msg1[ch] = dm ? (uint16_t)(dm - d->msgs + 1) : 0;
    }
    vd->msg1 = msg1;
    uint8_t *fk1 = (uint8_t *)p;
    p += align8((size_t)d->nfields + 1);
    for (uint32_t f = 0; f < d->nfields; f++) {
      const unsigned c = cls[f], vc = c & CLS_MASK;
      uint8_t k = FK_FULL;
      if (c & CLS_COUNT) k = FK_COUNT;
      else if (c & CLS_FREE) k = FK_FREE;
      else if (c & CLS_ENUM)
        k = (c & CLS_CSET) && (vc == FIXGW_VC_CHAR || vc == FIXGW_VC_STRING) ? FK_CSET1 : FK_FULL;
      else if (vc == FIXGW_VC_INT) k = FK_INT;
      else if (vc == FIXGW_VC_DECIMAL) k = FK_DEC;
      else if (vc == FIXGW_VC_TIMESTAMP) k = FK_TS;
      fk1[f + 1] = k;
    }
    vd->fk1 = fk1;
    vd->fast_lim = d->ntag_direct && d->tag_direct[0] ? 0 : d->ntag_direct;
    vd->soff = soff;
    vd->sbits = sbits;
    vd->swords = swords;
    vd->d = d;
    vd->stamp_base = base;
    vd->cls = cls;
    vd->cset = cset;
    vd->bits = (const uint64_t(*)[4])bits;
    base += d->nmembers;
  }
  return 0;
}

void fixgw_validator_destroy(fixgw_validator_t *v) {
  if (!v || !v->mem_) return;
  fixgw__free(v->cfg_.allocator, v->mem_);
  memset(v, 0, sizeof *v);
}

int fixgw_validator_set_checks(fixgw_validator_t *v, uint32_t checks) {
  if (!v || !v->mem_ || (checks & ~FIXGW_VAL_ALL)) return FIXGW_EINVAL;
  v->cfg_.checks = checks;
  return 0;
}

/* ------------------------------------------------------------ the walk */

int fixgw__validate_entry_copy = 1;

/* Fields of an entry a group level records, and the nesting depth to
 * which levels record (the stack holds FIXGW_DICT_MAX_DEPTH levels; the
 * records live beside it, for the first few only). */
#define LEVEL_REC 24
#define LEVEL_REC_DEPTH 6

/* A member as the full walk found it: its position in the scope and its
 * field index in the dictionary. */
typedef struct level_rec {
  uint32_t pos, fi;
} level_rec_t;

/* A scope instance being filled: the header, body or trailer, or the
 * current entry of an open group. */
typedef struct level {
  const struct fixgw__vdict *vd;
  const fixgw_dict_scope_t *sc;
  uint32_t sbase; /* stamps of this scope's members (groups) */
  uint32_t soff;  /* bitset of the scope (header, body, trailer) */
  uint32_t id;    /* stamp of the current instance */
  uint32_t nreq;  /* required members seen in it */
  int32_t last;   /* position of the last member seen (entries) */
  /* groups */
  uint32_t count_i; /* index of the count field */
  uint32_t count;
  uint32_t entries;
  uint32_t delim;
  int count_ok;
  /* The current entry's members as the full walk took them, in field
   * order from rec_at (its delimiter): an entry with the same tags that
   * follows is judged by these, its values checked, without the scope's
   * lookups. rec_ok: every field from rec_at on is in rec, and none is a
   * nested group's count (whose entries may differ). rec: LEVEL_REC
   * slots, or NULL (a level too deep to record). */
  uint32_t rec_at, rec_n;
  int rec_ok;
  level_rec_t *rec;
} level_t;

typedef struct ctx {
  fixgw_validator_t *v;
  const fixgw_msg_t *m;
  fixgw_reject_t *rej;
  uint32_t checks;
} ctx_t;

/* The first of k (1..3) fresh stamp ids. When the ids would wrap, every
 * stamp is cleared and the count starts again, so no stale stamp can
 * equal a new id. */
static inline uint32_t next_ids(fixgw_validator_t *v, uint32_t k) {
  if (FIXGW_UNLIKELY(v->epoch_ > UINT32_MAX - k)) {
    memset(v->stamps_, 0, (size_t)v->nstamps_ * sizeof(uint32_t));
    for (uint32_t j = 0; j < v->nvd_; j++)
      memset(v->vd_[j].fstamps - 1, 0, ((size_t)v->vd_[j].d->nfields + 1) * sizeof(uint32_t));
    v->epoch_ = 0;
  }
  const uint32_t first = v->epoch_ + 1;
  v->epoch_ += k;
  return first;
}

static int fail(ctx_t *c, int reason, uint32_t tag, uint32_t index) {
  c->rej->reason = reason;
  c->rej->ref_tag = tag;
  c->rej->field_index = index;
  return FIXGW_EREJECT;
}

/* Inline, like level_close's test: three of each per message, where a
 * call costs about what they do. */
static inline __attribute__((always_inline)) void level_open(level_t *l,
                                                             const struct fixgw__vdict *vd,
                                                             uint32_t scope, uint32_t id) {
  l->vd = vd;
  l->sc = &vd->d->scopes[scope];
  l->sbase = vd->stamp_base + l->sc->members;
  l->soff = vd->soff[scope];
  l->id = id;
  l->nreq = 0;
  l->last = -1;
}

/* The first required member missing from the instance l (fewer seen than
 * the scope requires). */
static int level_missing(ctx_t *c, const level_t *l, uint32_t index) {
  const fixgw_dict_t *d = l->vd->d;
  const fixgw_dict_member_t *mb = d->members + l->sc->members;
  const uint32_t *st = l->soff == UINT32_MAX ? c->v->stamps_ + l->sbase : NULL;
  for (uint32_t k = 0; k < l->sc->nmembers; k++)
    if ((mb[k].flags & FIXGW_DICT_M_REQUIRED) &&
        (st ? st[k] : l->vd->fstamps[mb[k].field]) != l->id)
      return fail(c, FIXGW_SRR_REQUIRED_TAG_MISSING, d->fields[mb[k].field].tag, index);
  return 0;
}

/* Required members missing from the instance l just closed. */
static inline __attribute__((always_inline)) int level_close(ctx_t *c, const level_t *l,
                                                             uint32_t index) {
  if (!(c->checks & FIXGW_VAL_REQUIRED) || l->nreq >= l->sc->nrequired) return 0;
  return level_missing(c, l, index);
}

/* Is byte ch in the one-byte enum set bits? */
static inline int cset_has(const uint64_t bits[4], unsigned ch) {
  return (int)((bits[ch >> 6] >> (ch & 63)) & 1);
}

/* Exact enum match without strcmp for values of up to 8 bytes. */
static int enum_has(const fixgw_dict_t *d, const fixgw_dict_field_t *fd,
                    const char *s, size_t n) {
  uint64_t key = fixgw_dict_key(s, n);
  const fixgw_dict_value_t *vals = d->values + fd->values;
  uint32_t lo = 0, hi = fd->nvalues;
  while (lo < hi) {
    uint32_t mid = (lo + hi) >> 1;
    if (vals[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  if (lo == fd->nvalues || vals[lo].key != key) return 0;
  if (n < 8) return 1; /* n bytes + zero padding: the key is the value */
  return fixgw_dict_value(d, fd, s, n) != NULL;
}

/* Format and value of one field (defined in vd, field index fi). Returns
 * a reason or -1. */
static int check_value_full(uint32_t checks, const struct fixgw__vdict *vd,
                            uint32_t fi, const fixgw_field_t *f) {
  if (FIXGW_UNLIKELY(f->len == 0))
    return (checks & FIXGW_VAL_EMPTY) ? FIXGW_SRR_TAG_WITHOUT_VALUE : -1;
  const uint32_t cls = vd->cls[fi];
  const char *s = f->val;
  const size_t n = f->len;
  if (checks & FIXGW_VAL_FORMAT) {
    int rc = 0;
    union {
      int64_t i;
      fixgw_decimal_t dec;
      fixgw_date_t date;
      bool b;
    } u;
    switch (cls & CLS_MASK) {
      case FIXGW_VC_INT: rc = fixgw_to_int(s, n, &u.i); break;
      case FIXGW_VC_DECIMAL: rc = fixgw_to_decimal(s, n, &u.dec); break;
      case FIXGW_VC_CHAR: rc = n != 1; break;
      case FIXGW_VC_BOOL: rc = fixgw_to_bool(s, n, &u.b); break;
      case FIXGW_VC_TIMESTAMP:
        /* The date and time-of-day rules of fixgw_to_date and
         * fixgw_to_timeonly, checked by the codec in two word loads,
         * without the epoch arithmetic: years past 2262 stay valid. */
        rc = fixgw__timestamp_check(s, n);
        break;
      case FIXGW_VC_TIMEONLY: rc = fixgw_to_timeonly(s, n, &u.i); break;
      case FIXGW_VC_DATE: rc = fixgw_to_date(s, n, &u.date); break;
      case FIXGW_VC_MONTHYEAR: rc = fixgw_to_month_year(s, n, &u.date); break;
      default: break; /* STRING, DATA, MULTI (checked as values) */
    }
    if (rc) return FIXGW_SRR_INCORRECT_DATA_FORMAT;
  }
  if ((checks & FIXGW_VAL_VALUES) && (cls & CLS_ENUM)) {
    if (cls & CLS_CSET) {
      unsigned char ch = (unsigned char)s[0];
      if (n != 1 || !((vd->bits[vd->cset[fi]][ch >> 6] >> (ch & 63)) & 1))
        return FIXGW_SRR_VALUE_INCORRECT;
      return -1;
    }
    const fixgw_dict_t *d = vd->d;
    const fixgw_dict_field_t *fd = &d->fields[fi];
    if ((cls & CLS_MASK) == FIXGW_VC_MULTI) {
      size_t i = 0;
      for (;;) { /* space-separated members, none empty */
        size_t j = i;
        while (j < n && s[j] != ' ') j++;
        if (j == i || !enum_has(d, fd, s + i, j - i)) return FIXGW_SRR_VALUE_INCORRECT;
        if (j == n) break;
        i = j + 1;
      }
    } else if (!enum_has(d, fd, s, n)) {
      return FIXGW_SRR_VALUE_INCORRECT;
    }
  }
  return -1;
}

/* p[0..k) (1 <= k <= 8) in the low k bytes of a word, the rest zero,
 * reading no byte outside p[0..k): two loads that overlap, OR-ed (an
 * overlapping byte is the same byte twice). */
static inline uint64_t load_upto8(const char *p, size_t k) {
  if (k >= 4) {
    uint64_t lo = fixgw__load_le32(p), hi = fixgw__load_le32(p + k - 4);
    return lo | hi << (8 * (k - 4));
  }
  return (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[k / 2] << (8 * (k / 2)) |
         (uint64_t)(unsigned char)p[k - 1] << (8 * (k - 1));
}

#define ONES8 0x0101010101010101ull
/* Per byte of w among the k low ones (1..8): the high bit of each byte
 * that is not a digit (*nd) and of each that is a '.' (*dot). Exact:
 * the sums stay within their byte. */
static inline void classify8(uint64_t w, size_t k, uint64_t *nd, uint64_t *dot) {
  static const uint64_t high_of[9] = {0,
                                      0x80ull,
                                      0x8080ull,
                                      0x808080ull,
                                      0x80808080ull,
                                      0x8080808080ull,
                                      0x808080808080ull,
                                      0x80808080808080ull,
                                      0x8080808080808080ull};
  const uint64_t hv = high_of[k];
  const uint64_t y = w ^ (0x30 * ONES8); /* digits: 0..9 */
  *nd = (y | ((y & (0x7F * ONES8)) + 0x76 * ONES8)) & hv;
  const uint64_t q = w ^ (0x2E * ONES8); /* '.': 0 */
  *dot = ~(((q & (0x7F * ONES8)) + 0x7F * ONES8) | q) & hv;
}

/* 1 if s[0..n) (n >= 1) is one fixgw_to_int (dots 0) or fixgw_to_decimal
 * (dots 1) surely accepts: an optional '-', then 1..18 digits, for a
 * decimal with at most one '.' among them and not alone. 0 leaves the
 * verdict to them. Up to 16 bytes after the sign are judged a word at a
 * time, the rest byte by byte, with the same answer. */
static inline int plain_number(const char *s, size_t n, int dots) {
  const size_t i = s[0] == '-';
  const size_t m = n - i;
  if (m - 1 > 17) return 0;
  const char *p = s + i;
  if (FIXGW_LIKELY(m <= 16)) {
    const size_t k0 = m < 8 ? m : 8;
    uint64_t nd0, dot0, nd1 = 0, dot1 = 0;
    classify8(load_upto8(p, k0), k0, &nd0, &dot0);
    if (m > 8) classify8(load_upto8(p + 8, m - 8), m - 8, &nd1, &dot1);
    if ((nd0 | nd1) == 0) return 1;
    if (!dots || nd0 != dot0 || nd1 != dot1 || (dot0 && dot1)) return 0;
    const uint64_t d = dot0 | dot1;
    return (d & (d - 1)) == 0 && m >= 2;
  }
  unsigned odd = 0;
  for (size_t k = 0; k < m; k++) {
    unsigned c = (unsigned char)p[k];
    odd += c - '0' > 9 ? (c == '.' ? 1u : 2u) : 0u;
  }
  return odd == 0 || (dots && odd == 1);
}

/* check_value_full's answer, with the two commonest passes decided inline
 * (a call costs more than they do): a free string; a one-byte value in a
 * one-byte enum of a char or string field, which passes both the format
 * and the value check; a plain number or a well-formed timestamp in a
 * field that is not enumerated. Anything else, failures included, goes
 * the full way, so the answer is the same. */
static inline __attribute__((always_inline)) int check_value(
    uint32_t checks, const struct fixgw__vdict *vd, uint32_t fi, uint32_t cls,
    const fixgw_field_t *f) {
  const char *s = f->val;
  const size_t n = f->len;
  if (FIXGW_LIKELY(n != 0)) {
    if (cls & CLS_FREE) return -1;
    if (cls & CLS_ENUM) {
      if ((cls & CLS_CSET) && n == 1 &&
          ((cls & CLS_MASK) == FIXGW_VC_CHAR || (cls & CLS_MASK) == FIXGW_VC_STRING)) {
        unsigned char ch = (unsigned char)s[0];
        if ((vd->bits[vd->cset[fi]][ch >> 6] >> (ch & 63)) & 1) return -1;
      }
    } else if ((cls & CLS_MASK) == FIXGW_VC_INT) {
      if (plain_number(s, n, 0)) return -1;
    } else if ((cls & CLS_MASK) == FIXGW_VC_DECIMAL) {
      if (plain_number(s, n, 1)) return -1;
    } else if ((cls & CLS_MASK) == FIXGW_VC_TIMESTAMP) {
      if (fixgw__timestamp_check(s, n) == 0) return -1;
    }
  }
  return check_value_full(checks, vd, fi, f);
}

/* Does field index fi belong to a group (at any depth) under scope s? For
 * the error path only. */
static int in_group_under(const fixgw_dict_t *d, uint32_t s, uint32_t fi,
                          unsigned depth) {
  const fixgw_dict_scope_t *sc = &d->scopes[s];
  if (depth > FIXGW_DICT_MAX_DEPTH) return 0;
  for (uint32_t k = 0; k < sc->nmembers; k++) {
    const fixgw_dict_member_t *mb = &d->members[sc->members + k];
    if (!(mb->flags & FIXGW_DICT_M_GROUP)) continue;
    if (fixgw_dict_scope_find(d, &d->scopes[mb->group], fi) >= 0) return 1;
    if (in_group_under(d, mb->group, fi, depth + 1)) return 1;
  }
  return 0;
}

enum { PH_HEADER = 0, PH_BODY = 1, PH_TRAILER = 2 };

/* fixgw_dict_msg(vd->d, s, n), a one-byte MsgType by table. */
static inline const fixgw_dict_msg_t *msg_find(const struct fixgw__vdict *vd, const char *s,
                                               size_t n) {
  if (n == 1 && s) {
    const uint32_t k = vd->msg1[(unsigned char)s[0]];
    return k ? &vd->d->msgs[k - 1] : NULL;
  }
  return fixgw_dict_msg(vd->d, s, n);
}

/* Resolve the body's dictionary and scope. Returns 0, a reject, or
 * FIXGW_ENODICT. *vd_out NULL with 0 means "unknown MsgType, lenient". */
static int resolve_body(ctx_t *c, const struct fixgw__vdict **vd_out,
                        int32_t *scope_out) {
  fixgw_validator_t *v = c->v;
  const fixgw_msg_t *m = c->m;
  const struct fixgw__vdict *vd = &v->vd_[0];
  const fixgw_dict_msg_t *dm = msg_find(vd, m->msgtype.ptr, m->msgtype.len);
  if (!dm && vd->d->transport) {
    /* An application message: ApplVerID (1128) in the header, else the
     * session default. */
    fixgw_dict_version ver = v->cfg_.default_appl_ver;
    const fixgw_dict_scope_t *hdr = &vd->d->scopes[vd->d->header];
    for (uint32_t i = 3; i < m->nfields; i++) {
      const fixgw_field_t *f = &m->fields[i];
      if (f->tag == 1128) {
        ver = fixgw_dict_version_from_appl_ver_id(f->val, f->len);
        if (ver == FIXGW_DICT_UNKNOWN) {
          fail(c, FIXGW_SRR_VALUE_INCORRECT, 1128, i);
          return FIXGW_ENODICT;
        }
        break;
      }
      if (fixgw__scope_pos(vd->d, hdr, f->tag) < 0) break;
    }
    if ((unsigned)ver >= FIXGW_DICT_COUNT_ || v->app_vd_[ver] < 0) return FIXGW_ENODICT;
    vd = &v->vd_[v->app_vd_[ver]];
    dm = msg_find(vd, m->msgtype.ptr, m->msgtype.len);
  }
  *vd_out = vd;
  *scope_out = dm ? (int32_t)dm->body : -1;
  if (!dm && (c->checks & FIXGW_VAL_MSGTYPE))
    return fail(c, FIXGW_SRR_INVALID_MSGTYPE, 35, 2);
  return 0;
}

/* Enter the group whose count field f (at index i) was just accepted. */
static int push_group(ctx_t *c, level_t *stk, level_rec_t (*recs)[LEVEL_REC],
                      uint32_t *depth, const struct fixgw__vdict *vd, uint32_t gs,
                      const fixgw_field_t *f, uint32_t i) {
  /* Nesting is bounded by the dictionary's, which its loader and
   * generator bound by FIXGW_DICT_MAX_DEPTH. */
  if (FIXGW_UNLIKELY(*depth == FIXGW_DICT_MAX_DEPTH))
    return fail(c, FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER, f->tag, i);
  level_t *g = &stk[(*depth)++];
  level_open(g, vd, gs, next_ids(c->v, 1));
  g->count_i = i;
  g->entries = 0;
  g->rec_n = 0;
  g->rec_ok = 0;
  g->rec = *depth <= LEVEL_REC_DEPTH ? recs[*depth - 1] : NULL;
  g->delim = vd->d->layouts[gs].delim_tag;
  uint64_t cnt;
  g->count_ok = fixgw_to_uint(f->val, f->len, &cnt) == 0 && cnt <= UINT32_MAX;
  g->count = g->count_ok ? (uint32_t)cnt : 0;
  return 0;
}

/* The fast path's copy of the message-level instance being filled (the
 * header, body or trailer) while no group is open, in locals: the stamp
 * stores could otherwise alias the level's members and force reloads.
 * nreq counts the required members it saw since the last sync into l.
 * next is the instance that follows l (header -> body -> trailer) when
 * both are judged by the same dictionary, so the same field index
 * serves both. */
typedef struct fast {
  level_t *l; /* NULL: every field goes the full way */
  level_t *next;
  const uint64_t *next_bits;
  uint32_t nrequired; /* l's scope's */
  const uint16_t *tag_direct;
  const uint64_t *bits; /* l's scope bitset */
  const uint8_t *fk1;   /* fk1 and fstamps by field index + 1 */
  uint32_t *fstamps1;
  const uint16_t *cset;
  const uint64_t (*csets)[4];
  uint32_t lim; /* tags below it may take the fast path */
  uint32_t id;
  uint32_t nreq;
} fast_t;

/* Point f at l (NULL: none), followed by next (NULL: none, or another
 * dictionary's). skip_lim: the first tag the walk skips as a user field
 * (UINT32_MAX when those are checked). */
static inline void fast_enter(fast_t *f, level_t *l, level_t *next, uint32_t skip_lim) {
  f->l = l;
  f->nreq = 0;
  f->lim = 0;
  if (!l) return;
  const struct fixgw__vdict *vd = l->vd;
  f->next = next && next->vd == vd ? next : NULL;
  f->next_bits = f->next ? vd->sbits + next->soff : NULL;
  f->nrequired = l->sc->nrequired;
  f->lim = vd->fast_lim < skip_lim ? vd->fast_lim : skip_lim;
  f->tag_direct = vd->d->tag_direct;
  f->bits = vd->sbits + l->soff;
  f->fk1 = vd->fk1;
  f->cset = vd->cset;
  f->csets = vd->bits;
  f->fstamps1 = vd->fstamps - 1;
  f->id = l->id;
}

/* Move f on to its next instance, then followed by next (NULL: none):
 * fast_enter for an instance of the same dictionary, so only what
 * belongs to the instance changes. */
static inline void fast_next(fast_t *f, level_t *next) {
  level_t *l = f->next;
  f->l = l;
  f->nreq = 0;
  f->bits = f->next_bits;
  f->nrequired = l->sc->nrequired;
  f->id = l->id;
  f->next = next && next->vd == l->vd ? next : NULL;
  f->next_bits = f->next ? l->vd->sbits + next->soff : NULL;
}

/* Walk fields[i..n) while each is a member of the current instance (or
 * of the next one, which then becomes current) that the full walk would
 * take by its first branch for the phase, and not a count field (a group
 * needs the full walk), with the full walk's answer. Returns the index of
 * the first field it leaves to the full walk (n: none), or of a failing
 * field with *reason set (else left alone). Out of line, with the hot
 * state in locals, so its loop has the registers to itself. */
static __attribute__((noinline)) uint32_t fast_walk(fast_t *fs, int *phase,
                                                    level_t *const of_phase[3], uint32_t checks,
                                                    const fixgw_field_t *fields, uint32_t i,
                                                    uint32_t n, int *reason) {
enter:;
  const uint16_t *const tag_direct = fs->tag_direct;
  const uint64_t *const bits = fs->bits;
  const uint8_t *const fk1 = fs->fk1;
  uint32_t *const fstamps1 = fs->fstamps1;
  const uint32_t lim = fs->lim, id = fs->id;
  uint32_t nreq = fs->nreq;
  for (; i < n; i++) {
    const fixgw_field_t *f = &fields[i];
    const uint32_t tag = f->tag;
    if (tag >= lim) break; /* a skipped user tag, past the table */
    const uint32_t b = tag_direct[tag]; /* field index + 1, 0: undefined */
    const uint64_t *w = bits + (b >> 6) * 2;
    const uint32_t k = fk1[b];
    if (FIXGW_UNLIKELY(!((w[0] >> (b & 63)) & 1))) {
      /* A member of the next scope ends this one with nothing required
       * missing: the full walk's phase change, with its answer (a count
       * field there then leaves the walk as one here would). */
      if (fs->next && ((fs->next_bits[(b >> 6) * 2] >> (b & 63)) & 1) &&
          (!(checks & FIXGW_VAL_REQUIRED) || fs->l->nreq + nreq >= fs->nrequired)) {
        fs->l->nreq += nreq;
        ++*phase;
        fast_next(fs, *phase < PH_TRAILER ? of_phase[*phase + 1] : NULL);
        goto enter;
      }
      break;
    }
    if (FIXGW_UNLIKELY(k == FK_COUNT)) break;
    uint32_t *st = &fstamps1[b];
    if (FIXGW_UNLIKELY(*st == id)) {
      if (checks & FIXGW_VAL_REPEATED) {
        *reason = FIXGW_SRR_TAG_REPEATED;
        break;
      }
      continue;
    }
    *st = id;
    nreq += (uint32_t)(w[1] >> (b & 63)) & 1u;
    /* MsgType's value was judged by resolve_body (11, not 5). */
    if (i == 2) continue;
    /* check_value's inline passes, picked by kind. */
    const char *s = f->val;
    const size_t len = f->len;
    int ok;
    switch (k) {
      case FK_FREE: ok = len != 0; break;
      case FK_CSET1:
        ok = len == 1 && cset_has(fs->csets[fs->cset[b - 1]], (unsigned char)s[0]);
        break;
      case FK_INT: ok = len != 0 && plain_number(s, len, 0); break;
      case FK_DEC: ok = len != 0 && plain_number(s, len, 1); break;
      case FK_TS: ok = len != 0 && fixgw__timestamp_check(s, len) == 0; break;
      default: ok = 0; break;
    }
    if (FIXGW_LIKELY(ok)) continue;
    int r = check_value_full(checks, fs->l->vd, b - 1, f);
    if (FIXGW_UNLIKELY(r >= 0)) {
      *reason = r;
      break;
    }
  }
  fs->nreq = nreq;
  return i;
}

int fixgw_validate(fixgw_validator_t *v, const fixgw_msg_t *m,
                   fixgw_reject_t *rej) {
  fixgw_reject_t dummy;
  if (!rej) rej = &dummy;
  rej->reason = FIXGW_SRR_NONE;
  rej->ref_tag = 0;
  rej->ref_msgtype = m ? m->msgtype : (fixgw_str_t){NULL, 0};
  rej->field_index = m ? m->nfields : 0;
  if (!v || !v->mem_ || !m || !m->fields) return FIXGW_EINVAL;

  ctx_t c = {v, m, rej, v->cfg_.checks};
  const uint32_t checks = c.checks;
  const uint32_t user_min = v->cfg_.user_tag_min;
  const uint32_t skip_lim = (checks & FIXGW_VAL_USER_FIELDS) ? UINT32_MAX : user_min;
  const struct fixgw__vdict *tv = &v->vd_[0]; /* header, trailer */
  const fixgw_dict_t *td = tv->d;
  fixgw_version want = td->transport ? FIXGW_V_FIXT11
                                     : (fixgw_version)(FIXGW_V_FIX40 + td->minor);
  if (m->version != want) return FIXGW_ENODICT;

  const struct fixgw__vdict *bv;
  int32_t body_scope;
  int rc = resolve_body(&c, &bv, &body_scope);
  if (rc) return rc;
  const fixgw_dict_t *bd = bv->d;

  level_t msgl[3];
  const uint32_t id0 = next_ids(v, 3);
  level_open(&msgl[PH_HEADER], tv, td->header, id0);
  level_open(&msgl[PH_TRAILER], tv, td->trailer, id0 + 1);
  if (body_scope >= 0) level_open(&msgl[PH_BODY], bv, (uint32_t)body_scope, id0 + 2);
  level_t stk[FIXGW_DICT_MAX_DEPTH];
  level_rec_t recs[LEVEL_REC_DEPTH][LEVEL_REC];
  uint32_t depth = 0;
  int phase = PH_HEADER;
  const uint32_t hoff = msgl[PH_HEADER].soff, toff = msgl[PH_TRAILER].soff;
  const uint32_t boff = body_scope >= 0 ? msgl[PH_BODY].soff : 0;
  uint32_t *const stamps = v->stamps_;
  fast_t fs;
  /* The instance of each phase (NULL: an unknown MsgType's body). */
  level_t *const of_phase[3] = {&msgl[PH_HEADER], body_scope >= 0 ? &msgl[PH_BODY] : NULL,
                                &msgl[PH_TRAILER]};
  fast_enter(&fs, of_phase[PH_HEADER], of_phase[PH_BODY], skip_lim);

  const fixgw_field_t *const fields = m->fields;
  const uint32_t n = m->nfields;
  for (uint32_t i = 0; i < n; i++) {
    /* ---- fast: see fast_walk */
    if (fs.lim) {
      int reason = -1;
      i = fast_walk(&fs, &phase, of_phase, checks, fields, i, n, &reason);
      if (FIXGW_UNLIKELY(reason >= 0)) return fail(&c, reason, fields[i].tag, i);
      if (i == n) break;
    }
    const fixgw_field_t *f = &fields[i];
    const uint32_t tag = f->tag;
    if (fs.l) fs.l->nreq += fs.nreq;

    /* ---- the full way */
    if (FIXGW_UNLIKELY(tag == 0)) {
      if (checks & FIXGW_VAL_TAG_NUMBER) return fail(&c, FIXGW_SRR_INVALID_TAG_NUMBER, 0, i);
      goto next_field;
    }
    if (tag >= user_min && !(checks & FIXGW_VAL_USER_FIELDS)) goto next_field;

    level_t *l;
    int32_t pos, fi;
    /* ---- inside a group entry (or just after its count) */
    while (depth > 0) {
      level_t *g = &stk[depth - 1];
      const fixgw_dict_t *gd = g->vd->d;
      if (tag == g->delim) {
        if (g->entries > 0 && (rc = level_close(&c, g, i))) return rc;
        g->entries++;
        if ((checks & FIXGW_VAL_GROUP_COUNT) && g->count_ok && g->entries > g->count)
          return fail(&c, FIXGW_SRR_GROUP_COUNT, m->fields[g->count_i].tag, g->count_i);
        /* An entry with the tags of the one before is judged by that
         * one's record (see level_t): each value checked, the members
         * stamped for any field after them, the order and the required
         * count taken over; it then stays the record. */
        const uint32_t tn = g->rec_ok && fixgw__validate_entry_copy ? g->rec_n : 0;
        const uint32_t tat = g->rec_at, tnreq = g->nreq;
        int copy = tn > 1 && n - i >= tn;
        for (uint32_t k = 1; copy && k < tn; k++) copy = fields[i + k].tag == fields[tat + k].tag;
        g->id = next_ids(v, 1);
        g->nreq = 0;
        g->last = -1;
        g->rec_at = i;
        g->rec_n = 0;
        g->rec_ok = g->rec != NULL;
        if (copy) {
          const struct fixgw__vdict *gv = g->vd;
          for (uint32_t k = 0; k < tn; k++) {
            const uint32_t gfi = g->rec[k].fi;
            int r = check_value(checks, gv, gfi, gv->cls[gfi], &fields[i + k]);
            if (FIXGW_UNLIKELY(r >= 0)) return fail(&c, r, fields[i + k].tag, i + k);
            stamps[g->sbase + g->rec[k].pos] = g->id;
          }
          g->last = (int32_t)g->rec[tn - 1].pos;
          g->nreq = tnreq;
          g->rec_n = tn;
          i += tn - 1;
          goto next_field;
        }
        l = g;
        pos = 0;
        goto member;
      }
      fi = fixgw_dict_field_index(gd, tag);
      pos = fi >= 0 ? fixgw_dict_scope_find(gd, g->sc, (uint32_t)fi) : -1;
      if (pos >= 0) {
        if (g->entries == 0) {
          int r = g->count_ok && g->count == 0 ? FIXGW_SRR_GROUP_COUNT
                                               : FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER;
          if (r == FIXGW_SRR_GROUP_COUNT && !(checks & FIXGW_VAL_GROUP_COUNT)) {
            depth--; /* lenient: the group is empty; the parent decides */
            continue;
          }
          return fail(&c, r, r == FIXGW_SRR_GROUP_COUNT ? m->fields[g->count_i].tag : tag,
                      r == FIXGW_SRR_GROUP_COUNT ? g->count_i : i);
        }
        if (stamps[g->sbase + (uint32_t)pos] == g->id ||
            ((checks & FIXGW_VAL_GROUP_ORDER) && pos < g->last))
          return fail(&c, FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER, tag, i);
        l = g;
        goto member;
      }
      if (fi < 0 && !(checks & FIXGW_VAL_UNDEFINED)) goto next_field;
      /* The tag ends the group. */
      if (g->entries > 0 && (rc = level_close(&c, g, i))) return rc;
      if ((checks & FIXGW_VAL_GROUP_COUNT) && g->count_ok && g->entries < g->count)
        return fail(&c, FIXGW_SRR_GROUP_COUNT, m->fields[g->count_i].tag, g->count_i);
      depth--;
    }

    /* ---- message level: membership by bitset, fi in l->vd's indices */
    if (phase == PH_HEADER) {
      fi = fixgw_dict_field_index(td, tag);
      if (fi >= 0 && sb_member(tv, hoff, (uint32_t)fi)) {
        l = &msgl[PH_HEADER];
        goto top_member;
      }
      if ((rc = level_close(&c, &msgl[PH_HEADER], i))) return rc;
      phase = PH_BODY;
    }
    if (phase == PH_BODY) {
      int32_t bfi = fixgw_dict_field_index(bd, tag);
      if (body_scope >= 0 && bfi >= 0 && sb_member(bv, boff, (uint32_t)bfi)) {
        fi = bfi;
        l = &msgl[PH_BODY];
        goto top_member;
      }
      int32_t tfi = bd == td ? bfi : fixgw_dict_field_index(td, tag);
      if (tfi >= 0 && sb_member(tv, toff, (uint32_t)tfi)) {
        if (body_scope >= 0 && (rc = level_close(&c, &msgl[PH_BODY], i))) return rc;
        phase = PH_TRAILER;
      } else if (body_scope < 0 && bfi >= 0 &&
                 (tfi < 0 || !sb_member(tv, hoff, (uint32_t)tfi))) {
        /* Unknown MsgType, lenient: any defined tag, values checked. */
        int r = check_value(checks, bv, (uint32_t)bfi, bv->cls[bfi], f);
        if (r >= 0) return fail(&c, r, tag, i);
        goto next_field;
      } else {
        fi = tfi;
        goto misplaced;
      }
    }
    /* PH_TRAILER */
    fi = fixgw_dict_field_index(td, tag);
    if (fi >= 0 && sb_member(tv, toff, (uint32_t)fi)) {
      l = &msgl[PH_TRAILER];
      goto top_member;
    }

  misplaced: {
      /* fi: index in td (-1 if td does not define the tag). */
      int hp = fi >= 0 && sb_member(tv, hoff, (uint32_t)fi);
      int32_t bfi = bd == td ? fi : fixgw_dict_field_index(bd, tag);
      int bp = phase == PH_TRAILER && body_scope >= 0 && bfi >= 0 &&
               sb_member(bv, boff, (uint32_t)bfi);
      if (hp || bp) {
        if (checks & FIXGW_VAL_ORDER) return fail(&c, FIXGW_SRR_TAG_OUT_OF_ORDER, tag, i);
        /* Lenient: count it where it belongs. */
        l = hp ? &msgl[PH_HEADER] : &msgl[PH_BODY];
        if (!hp) fi = bfi;
        goto top_member;
      }
      if (fi < 0 && bfi < 0) {
        if (checks & FIXGW_VAL_UNDEFINED) return fail(&c, FIXGW_SRR_UNDEFINED_TAG, tag, i);
        goto next_field;
      }
      if (body_scope >= 0 && bfi >= 0 &&
          in_group_under(bd, (uint32_t)body_scope, (uint32_t)bfi, 0))
        return fail(&c, FIXGW_SRR_GROUP_FIELDS_OUT_OF_ORDER, tag, i);
      if (checks & FIXGW_VAL_TAG_IN_MSG)
        return fail(&c, FIXGW_SRR_TAG_NOT_DEFINED_FOR_MSGTYPE, tag, i);
      goto next_field;
    }

  top_member: {
      const struct fixgw__vdict *vd = l->vd;
      uint32_t *st = &vd->fstamps[fi];
      if (FIXGW_UNLIKELY(*st == l->id)) {
        if (checks & FIXGW_VAL_REPEATED) return fail(&c, FIXGW_SRR_TAG_REPEATED, tag, i);
        goto next_field;
      }
      *st = l->id;
      l->nreq += sb_required(vd, l->soff, (uint32_t)fi);
      int r = i == 2 ? -1 : check_value(checks, vd, (uint32_t)fi, vd->cls[fi], f);
      if (FIXGW_UNLIKELY(r >= 0)) return fail(&c, r, tag, i);
      if (FIXGW_UNLIKELY(vd->cls[fi] & CLS_COUNT)) {
        pos = fixgw_dict_scope_find(vd->d, l->sc, (uint32_t)fi);
        const fixgw_dict_member_t *mb = &vd->d->members[l->sc->members + (uint32_t)pos];
        if ((mb->flags & FIXGW_DICT_M_GROUP) &&
            (rc = push_group(&c, stk, recs, &depth, vd, mb->group, f, i)))
          return rc;
      }
      goto next_field;
    }

  member: {
      const fixgw_dict_member_t *mb = &l->vd->d->members[l->sc->members + (uint32_t)pos];
      if (l->rec_ok) {
        if (i == l->rec_at + l->rec_n && l->rec_n < LEVEL_REC && !(mb->flags & FIXGW_DICT_M_GROUP)) {
          l->rec[l->rec_n].pos = (uint32_t)pos;
          l->rec[l->rec_n].fi = mb->field;
          l->rec_n++;
        } else {
          l->rec_ok = 0;
        }
      }
      stamps[l->sbase + (uint32_t)pos] = l->id;
      l->last = pos;
      l->nreq += mb->flags & FIXGW_DICT_M_REQUIRED;
      int r = check_value(checks, l->vd, mb->field, l->vd->cls[mb->field], f);
      if (FIXGW_UNLIKELY(r >= 0)) return fail(&c, r, tag, i);
      if ((mb->flags & FIXGW_DICT_M_GROUP) &&
          (rc = push_group(&c, stk, recs, &depth, l->vd, mb->group, f, i)))
        return rc;
    }
  next_field:
    fast_enter(&fs, depth > 0 ? NULL : of_phase[phase], phase < PH_TRAILER ? of_phase[phase + 1] : NULL,
               skip_lim);
  }
  if (fs.l) fs.l->nreq += fs.nreq;

  /* End of the message: close what is open, innermost first. */
  while (depth > 0) {
    level_t *g = &stk[--depth];
    if (g->entries > 0 && (rc = level_close(&c, g, n))) return rc;
    if ((checks & FIXGW_VAL_GROUP_COUNT) && g->count_ok && g->entries != g->count)
      return fail(&c, FIXGW_SRR_GROUP_COUNT, m->fields[g->count_i].tag, g->count_i);
  }
  if (phase == PH_HEADER && (rc = level_close(&c, &msgl[PH_HEADER], n))) return rc;
  if (phase <= PH_BODY && body_scope >= 0 && (rc = level_close(&c, &msgl[PH_BODY], n)))
    return rc;
  if ((rc = level_close(&c, &msgl[PH_TRAILER], n))) return rc;
  return 0;
}
