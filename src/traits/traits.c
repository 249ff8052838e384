/* Typed read and encode of the hot FIX 4.4 messages, expanded from the
 * lists in traits.h. */
#include <string.h>

#include "fixgw/validate.h"
#include "fixgw/traits.h"

/* ---------------------------------------------------- per-kind helpers */

static inline int rd_STR(const fixgw_field_t *f, fixgw_str_t *out) {
  out->ptr = f->val;
  out->len = f->len;
  return 0;
}
static inline int rd_INT(const fixgw_field_t *f, int64_t *out) {
  return fixgw_to_int(f->val, f->len, out);
}
static inline int rd_DEC(const fixgw_field_t *f, fixgw_decimal_t *out) {
  return fixgw_to_decimal(f->val, f->len, out);
}
static inline int rd_CHAR(const fixgw_field_t *f, char *out) {
  return fixgw_to_char(f->val, f->len, out);
}
static inline int rd_BOOL(const fixgw_field_t *f, bool *out) {
  return fixgw_to_bool(f->val, f->len, out);
}
static inline int rd_TS(const fixgw_field_t *f, int64_t *out) {
  return fixgw_to_timestamp(f->val, f->len, out);
}
static inline int rd_TIME(const fixgw_field_t *f, int64_t *out) {
  return fixgw_to_timeonly(f->val, f->len, out);
}
static inline int rd_DATE(const fixgw_field_t *f, fixgw_date_t *out) {
  return fixgw_to_date(f->val, f->len, out);
}

static inline int wr_STR(fixgw_encoder_t *e, uint32_t tag, const fixgw_str_t *v,
                         fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_str(e, tag, v->ptr, v->len);
}
static inline int wr_INT(fixgw_encoder_t *e, uint32_t tag, const int64_t *v,
                         fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_int(e, tag, *v);
}
static inline int wr_DEC(fixgw_encoder_t *e, uint32_t tag, const fixgw_decimal_t *v,
                         fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_decimal(e, tag, *v);
}
static inline int wr_CHAR(fixgw_encoder_t *e, uint32_t tag, const char *v,
                          fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_char(e, tag, *v);
}
static inline int wr_BOOL(fixgw_encoder_t *e, uint32_t tag, const bool *v,
                          fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_bool(e, tag, *v);
}
static inline int wr_TS(fixgw_encoder_t *e, uint32_t tag, const int64_t *v,
                        fixgw_ts_precision p) {
  return fixgw_enc_timestamp(e, tag, *v, p);
}
static inline int wr_TIME(fixgw_encoder_t *e, uint32_t tag, const int64_t *v,
                          fixgw_ts_precision p) {
  return fixgw_enc_timeonly(e, tag, *v, p);
}
static inline int wr_DATE(fixgw_encoder_t *e, uint32_t tag, const fixgw_date_t *v,
                          fixgw_ts_precision p) {
  (void)p;
  return fixgw_enc_date(e, tag, *v);
}

/* Every error of an encode reaches the encoder's sticky error, so
 * fixgw_enc_finish() fails too (the first error stays). */
static int enc_fail(fixgw_encoder_t *e, int rc) {
  if (!e->err) e->err = rc;
  return e->err;
}

/* Keep the first error. */
#define KEEP(rc, expr)        \
  do {                        \
    int r_ = (expr);          \
    if (r_ && !(rc)) rc = r_; \
  } while (0)

/* ------------------------------------------------------- read: cases */

/* One case per listed field; a GRP opens the group with the FIX44
 * dictionary and jumps past it. `bits`, `out`, `rc`, `i`, `m` are the
 * reader's locals. */
#define RD_CASE_STR(p, tag, member) \
  case tag:                         \
    rd_STR(f, &out->member);        \
    bits |= FIXGW_TRAIT_BIT(p, member); \
    break;
#define RD_CASE_CONV(p, tag, member, K)              \
  case tag: {                                        \
    int r_ = rd_##K(f, &out->member);                \
    if (r_ == 0) bits |= FIXGW_TRAIT_BIT(p, member); \
    else if (!rc) rc = r_;                           \
    break;                                           \
  }
#define RD_CASE_INT(p, tag, member) RD_CASE_CONV(p, tag, member, INT)
#define RD_CASE_DEC(p, tag, member) RD_CASE_CONV(p, tag, member, DEC)
#define RD_CASE_CHAR(p, tag, member) RD_CASE_CONV(p, tag, member, CHAR)
#define RD_CASE_BOOL(p, tag, member) RD_CASE_CONV(p, tag, member, BOOL)
#define RD_CASE_TS(p, tag, member) RD_CASE_CONV(p, tag, member, TS)
#define RD_CASE_TIME(p, tag, member) RD_CASE_CONV(p, tag, member, TIME)
#define RD_CASE_DATE(p, tag, member) RD_CASE_CONV(p, tag, member, DATE)
#define RD_CASE_GRP(p, tag, member)                                              \
  case tag: {                                                                    \
    fixgw_trait_group_t *g_ = &out->member;                                      \
    g_->entries = NULL;                                                          \
    g_->nentries = 0;                                                            \
    int r_ = fixgw_dict_group_open(fixgw_dict_fix44(), m, tag, &g_->view);       \
    if (r_ == 0) {                                                               \
      bits |= FIXGW_TRAIT_BIT(p, member);                                        \
      i = g_->view.end;                                                          \
      continue;                                                                  \
    }                                                                            \
    if (!rc) rc = r_;                                                            \
    break;                                                                       \
  }
#define RD_CASE(p, tag, Name, member, K, req, sub) RD_CASE_##K(p, tag, member)

/* Header fields land in out->hdr. */
#define RD_HCASE_STR(p, tag, member) \
  case tag:                          \
    rd_STR(f, &out->hdr.member);     \
    hbits |= FIXGW_TRAIT_BIT(header, member); \
    break;
#define RD_HCASE_CONV(p, tag, member, K)                       \
  case tag: {                                                  \
    int r_ = rd_##K(f, &out->hdr.member);                      \
    if (r_ == 0) hbits |= FIXGW_TRAIT_BIT(header, member);     \
    else if (!rc) rc = r_;                                     \
    break;                                                     \
  }
#define RD_HCASE_INT(p, tag, member) RD_HCASE_CONV(p, tag, member, INT)
#define RD_HCASE_BOOL(p, tag, member) RD_HCASE_CONV(p, tag, member, BOOL)
#define RD_HCASE_TS(p, tag, member) RD_HCASE_CONV(p, tag, member, TS)
#define RD_HCASE(p, tag, Name, member, K, req, sub) RD_HCASE_##K(p, tag, member)

/* Skip a group the trait does not list, so its members are not taken for
 * top-level fields: only reached for unlisted tags. */
static uint32_t skip_unlisted(const fixgw_msg_t *m, uint32_t i) {
  const fixgw_dict_t *d = fixgw_dict_fix44();
  const fixgw_dict_field_t *fd = fixgw_dict_field(d, m->fields[i].tag);
  if (!fd || fd->type != FIXGW_FT_NUMINGROUP) return i + 1;
  fixgw_group_t g;
  if (fixgw_dict_group_open(d, m, m->fields[i].tag, &g) == 0 && g.first == i + 1)
    return g.end;
  return i + 1;
}

#define WR_FIELD_STR(p, tag, member) \
  if (in->present & FIXGW_TRAIT_BIT(p, member)) wr_STR(e, tag, &in->member, prec);
#define WR_FIELD_GEN(p, tag, member, K) \
  if (in->present & FIXGW_TRAIT_BIT(p, member)) wr_##K(e, tag, &in->member, prec);
#define WR_FIELD_INT(p, tag, member) WR_FIELD_GEN(p, tag, member, INT)
#define WR_FIELD_DEC(p, tag, member) WR_FIELD_GEN(p, tag, member, DEC)
#define WR_FIELD_CHAR(p, tag, member) WR_FIELD_GEN(p, tag, member, CHAR)
#define WR_FIELD_BOOL(p, tag, member) WR_FIELD_GEN(p, tag, member, BOOL)
#define WR_FIELD_TS(p, tag, member) WR_FIELD_GEN(p, tag, member, TS)
#define WR_FIELD_TIME(p, tag, member) WR_FIELD_GEN(p, tag, member, TIME)
#define WR_FIELD_DATE(p, tag, member) WR_FIELD_GEN(p, tag, member, DATE)
#define WR_FIELD_GRP_SUB(p, tag, member, sub)                                          \
  if (in->present & FIXGW_TRAIT_BIT(p, member)) {                                      \
    const fixgw_fix44_##sub##_t *es_ = (const fixgw_fix44_##sub##_t *)in->member.entries; \
    if (in->member.nentries && !es_) return enc_fail(e, FIXGW_EINVAL);                 \
    fixgw_enc_uint(e, tag, in->member.nentries);                                       \
    for (uint32_t k_ = 0; k_ < in->member.nentries && !e->err; k_++)                   \
      fixgw_fix44_##sub##_encode(e, &es_[k_], prec);                                   \
  }
#define WR_FIELD(p, tag, Name, member, K, req, sub) WR_FIELD_##K(p, tag, member)
/* GRP needs the entry trait; expand it apart (WR_FIELD_GRP ignores it). */
#define WR_FIELD_GRP(p, tag, member)
#define WR_GRP(p, tag, Name, member, K, req, sub) WR_GRP_##K(p, tag, member, sub)
#define WR_GRP_GRP(p, tag, member, sub) WR_FIELD_GRP_SUB(p, tag, member, sub)
#define WR_GRP_STR(p, tag, member, sub)
#define WR_GRP_INT(p, tag, member, sub)
#define WR_GRP_DEC(p, tag, member, sub)
#define WR_GRP_CHAR(p, tag, member, sub)
#define WR_GRP_BOOL(p, tag, member, sub)
#define WR_GRP_TS(p, tag, member, sub)
#define WR_GRP_TIME(p, tag, member, sub)
#define WR_GRP_DATE(p, tag, member, sub)
/* One field, group or not, in list order. */
#define WR_ANY(p, tag, Name, member, K, req, sub) \
  WR_FIELD(p, tag, Name, member, K, req, sub) WR_GRP(p, tag, Name, member, K, req, sub)

/* ------------------------------------------------------- entry traits */

#define ENTRY_TRAIT_DEF(trait, LIST, count_tag)                                      \
  int fixgw_fix44_##trait##_read(const fixgw_group_entry_t *en,                      \
                                 fixgw_fix44_##trait##_t *out) {                     \
    if (!en || !out || !en->msg) return FIXGW_EINVAL;                                \
    const fixgw_msg_t *m = en->msg;                                                  \
    uint64_t bits = 0;                                                               \
    int rc = 0;                                                                      \
    for (uint32_t i = en->first; i < en->end;) {                                     \
      const fixgw_field_t *f = &m->fields[i];                                        \
      switch (f->tag) {                                                              \
        LIST(RD_CASE, trait)                                                         \
        default:                                                                     \
          i = skip_unlisted(m, i);                                                   \
          continue;                                                                  \
      }                                                                              \
      i++;                                                                           \
    }                                                                                \
    out->present = bits;                                                             \
    if (rc) return rc;                                                               \
    if ((bits & FIXGW_FIX44_##trait##_REQ_) != FIXGW_FIX44_##trait##_REQ_)           \
      return FIXGW_EREQUIRED;                                                        \
    return 0;                                                                        \
  }                                                                                  \
  int fixgw_fix44_##trait##_encode(fixgw_encoder_t *e, const fixgw_fix44_##trait##_t *in, \
                                   fixgw_ts_precision prec) {                        \
    if (!e) return FIXGW_EINVAL;                                                     \
    if (e->err) return e->err;                                                       \
    if (!in) return enc_fail(e, FIXGW_EINVAL);                                       \
    if ((in->present & FIXGW_FIX44_##trait##_REQ_) != FIXGW_FIX44_##trait##_REQ_)    \
      return enc_fail(e, FIXGW_EREQUIRED);                                           \
    LIST(WR_ANY, trait)                                                              \
    return e->err;                                                                   \
  }

#define MSG_TRAIT_DEF(trait, LIST, mt_)                                          \
  int fixgw_fix44_##trait##_read(const fixgw_msg_t *m, fixgw_fix44_##trait##_t *out) { \
    if (!m || !out || !m->fields || m->msgtype.len != sizeof(mt_) - 1 ||         \
        memcmp(m->msgtype.ptr, mt_, sizeof(mt_) - 1) != 0)                   \
      return FIXGW_EINVAL;                                                           \
    uint64_t bits = 0, hbits = 0;                                                    \
    int rc = 0;                                                                      \
    const uint32_t n = m->nfields - 1; /* CheckSum last */                           \
    for (uint32_t i = 3; i < n;) {                                                   \
      const fixgw_field_t *f = &m->fields[i];                                        \
      switch (f->tag) {                                                              \
        LIST(RD_CASE, trait)                                                         \
        FIXGW_FIX44_HEADER_FIELDS(RD_HCASE, header)                                  \
        default:                                                                     \
          i = skip_unlisted(m, i);                                                   \
          continue;                                                                  \
      }                                                                              \
      i++;                                                                           \
    }                                                                                \
    out->present = bits;                                                             \
    out->hdr.present = hbits;                                                        \
    if (rc) return rc;                                                               \
    if ((bits & FIXGW_FIX44_##trait##_REQ_) != FIXGW_FIX44_##trait##_REQ_ ||         \
        (hbits & FIXGW_FIX44_HEADER_REQUIRED) != FIXGW_FIX44_HEADER_REQUIRED)        \
      return FIXGW_EREQUIRED;                                                        \
    return 0;                                                                        \
  }                                                                                  \
  int fixgw_fix44_##trait##_encode(fixgw_encoder_t *e, const fixgw_fix44_##trait##_t *in, \
                                   fixgw_ts_precision prec) {                        \
    if (!e) return FIXGW_EINVAL;                                                     \
    if (e->err) return e->err;                                                       \
    if (!in) return enc_fail(e, FIXGW_EINVAL);                                       \
    if ((in->present & FIXGW_FIX44_##trait##_REQ_) != FIXGW_FIX44_##trait##_REQ_)    \
      return enc_fail(e, FIXGW_EREQUIRED);                                           \
    LIST(WR_ANY, trait)                                                              \
    return e->err;                                                                   \
  }

/* The REQUIRED masks by lower-case trait name, for the macros above. */
#define FIXGW_FIX44_party_REQ_ FIXGW_FIX44_PARTY_REQUIRED
#define FIXGW_FIX44_md_entry_REQ_ FIXGW_FIX44_MD_ENTRY_REQUIRED
#define FIXGW_FIX44_md_inc_entry_REQ_ FIXGW_FIX44_MD_INC_ENTRY_REQUIRED
#define FIXGW_FIX44_new_order_single_REQ_ FIXGW_FIX44_NEW_ORDER_SINGLE_REQUIRED
#define FIXGW_FIX44_execution_report_REQ_ FIXGW_FIX44_EXECUTION_REPORT_REQUIRED
#define FIXGW_FIX44_order_cancel_request_REQ_ FIXGW_FIX44_ORDER_CANCEL_REQUEST_REQUIRED
#define FIXGW_FIX44_order_cancel_replace_request_REQ_ \
  FIXGW_FIX44_ORDER_CANCEL_REPLACE_REQUEST_REQUIRED
#define FIXGW_FIX44_market_data_snapshot_REQ_ FIXGW_FIX44_MARKET_DATA_SNAPSHOT_REQUIRED
#define FIXGW_FIX44_market_data_incremental_REQ_ FIXGW_FIX44_MARKET_DATA_INCREMENTAL_REQUIRED
#define FIXGW_FIX44_heartbeat_REQ_ FIXGW_FIX44_HEARTBEAT_REQUIRED

FIXGW_FIX44_ENTRY_TRAITS(ENTRY_TRAIT_DEF)
FIXGW_FIX44_MSG_TRAITS(MSG_TRAIT_DEF)
