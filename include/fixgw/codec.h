/*
 * libfixgw codec: a zero-copy streaming FIX parser, typed field access,
 * repeating-group iteration without a dictionary, and an allocation-free
 * encoder.
 *
 * Ownership in one sentence: the host owns every byte buffer; the parser
 * owns only its index (allocated once at init), and a parsed message is a
 * view into the host's buffer plus that index, valid until the next
 * fixgw_parse() call on the same parser or until the host changes the bytes.
 *
 * Thread-safety: a parser or encoder belongs to one thread at a time. The
 * pure conversion functions (fixgw_to_*) are thread-safe.
 */
#ifndef FIXGW_CODEC_H
#define FIXGW_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fixgw/common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FIXGW_SOH '\x01'

/* The null pointer and casts in the inline code of our headers, so a C++
 * host building with -Wzero-as-null-pointer-constant or -Wold-style-cast
 * sees no warning from us. */
#ifdef __cplusplus
#define FIXGW__NULL nullptr
#define FIXGW__CAST(T, x) static_cast<T>(x)
#else
#define FIXGW__NULL NULL
#define FIXGW__CAST(T, x) ((T)(x))
#endif

/* Largest tag accepted on the wire (9 digits). */
#define FIXGW_TAG_MAX 999999999u
/* Tags below this are found in O(1) by fixgw_msg_find(); larger tags by a
 * scan of the index. Covers every FIX 4.x tag and most of 5.0SP2's. */
#define FIXGW_TAGTAB_SIZE 2048u

/* ---------------------------------------------------------------- versions */

typedef enum fixgw_version {
  FIXGW_V_UNKNOWN = 0,
  FIXGW_V_FIX40,
  FIXGW_V_FIX41,
  FIXGW_V_FIX42,
  FIXGW_V_FIX43,
  FIXGW_V_FIX44,
  FIXGW_V_FIXT11,
  FIXGW_V_COUNT_
} fixgw_version;

/* "FIX.4.4" etc., or NULL for FIXGW_V_UNKNOWN / out of range. */
const char *fixgw_version_string(fixgw_version v);
/* The version for a BeginString value, FIXGW_V_UNKNOWN if none matches. */
fixgw_version fixgw_version_from_string(const char *s, size_t n);

/* ------------------------------------------------------------ field views */

/* One field of a parsed message: its tag and a view of its value inside the
 * host's buffer (not NUL-terminated; never contains the trailing SOH).
 *
 * Why not fixgw_str_t {ptr, size_t len}: this is the parser's index entry,
 * one per field of every message, and {tag, 32-bit len, val} packs into
 * 16 bytes (four entries per cache line) where a fixgw_str_t plus the tag
 * takes 24. A field value never exceeds max_msg_size (at most 1 GiB), so
 * 32 bits lose nothing. Elsewhere (typed structs, settings, sessions)
 * views are fixgw_str_t; fixgw_field_str() converts. */
typedef struct fixgw_field {
  uint32_t tag;
  uint32_t len;
  const char *val;
} fixgw_field_t;

/* The value of a field as a fixgw_str_t (same bytes, no copy). */
static inline fixgw_str_t fixgw_field_str(const fixgw_field_t *f) {
  fixgw_str_t s;
  s.ptr = f->val;
  s.len = f->len;
  return s;
}

/* Do view s and the NUL-terminated string c hold the same bytes? */
static inline bool fixgw_str_eq_cstr(fixgw_str_t s, const char *c) {
  for (size_t i = 0;; i++) { /* reads c no further than its NUL */
    if (c[i] == '\0') return i == s.len;
    if (i == s.len || c[i] != s.ptr[i]) return false;
  }
}

/* A length-prefixed data field pair: the value of len_tag is the exact byte
 * count of the value of data_tag, which may contain SOH and '='. */
typedef struct fixgw_data_pair {
  uint32_t len_tag;
  uint32_t data_tag;
} fixgw_data_pair_t;

/* The pairs defined by the standard FIX 4.0-5.0SP2 dictionaries (RawData,
 * XmlData, SecureData, Signature, Encoded*), sorted by len_tag. */
const fixgw_data_pair_t *fixgw_data_pairs_standard(size_t *count);

/* ----------------------------------------------------------------- parser */

/* Which byte-scanning kernel the parser and encoder use. AUTO picks the
 * widest the CPU supports at run time; the others force one (tests run
 * every kernel; asking for one the CPU lacks gives FIXGW_ENOTSUP). */
typedef enum fixgw_scan_impl {
  FIXGW_SCAN_AUTO = 0,
  FIXGW_SCAN_SCALAR,
  FIXGW_SCAN_SSE2,
  FIXGW_SCAN_AVX2
} fixgw_scan_impl;

/* Name of a kernel ("scalar", "sse2", "avx2", "auto"). */
const char *fixgw_scan_impl_name(fixgw_scan_impl impl);
/* The kernel AUTO resolves to on this CPU. */
fixgw_scan_impl fixgw_scan_impl_best(void);

typedef struct fixgw_parser_config {
  /* Largest whole message (header to trailer) in bytes. A BodyLength that
   * implies more is rejected at once with FIXGW_ETOOBIG, before anyone
   * buffers it. Default 65536; at most 1 GiB. */
  uint32_t max_msg_size;
  /* Most fields in one message (FIXGW_ETOOMANYFIELDS beyond). Default 1024;
   * at most 32767. */
  uint32_t max_fields;
  /* Deepest repeating-group nesting fixgw_group_open() accepts. Default 8. */
  uint32_t max_group_depth;
  /* Bit (1u << fixgw_version) set for each accepted BeginString; 0 accepts
   * every version in fixgw_version. */
  uint32_t versions;
  /* Length-prefixed data pairs; NULL means fixgw_data_pairs_standard().
   * The array is copied at init. */
  const fixgw_data_pair_t *data_pairs;
  size_t n_data_pairs;
  fixgw_scan_impl scan;
  /* Allocator for the index (once, at init); NULL means malloc. */
  const fixgw_allocator_t *allocator;
} fixgw_parser_config_t;

/* Fill *cfg with the defaults above. */
void fixgw_parser_config_default(fixgw_parser_config_t *cfg);

/* Counters a parser keeps; plain fields the host may read at any time from
 * the owning thread. */
typedef struct fixgw_parser_stats {
  uint64_t messages;      /* complete, valid messages returned */
  uint64_t rejected;      /* messages or garbage runs rejected: a run that
                           * spans calls counts once (see `continued`) */
  uint64_t bytes_ok;      /* bytes of valid messages */
  uint64_t bytes_skipped; /* bytes discarded by rejections */
} fixgw_parser_stats_t;

/* The parser. Embed it anywhere; members are private except `stats`. */
typedef struct fixgw_parser {
  fixgw_parser_stats_t stats;
  /* private */
  fixgw_parser_config_t cfg_;
  fixgw_field_t *fields_;
  uint32_t *tagtab_;
  uint64_t *mask_;
  fixgw_data_pair_t *pairs_;
  struct fixgw__tagcache *tcache_;
  /* the scan kernel cfg_.scan resolves to */
  uint64_t (*scan_fn_)(const char *p, size_t n, size_t avail, uint64_t *mask);
  uint64_t pair_bits_[FIXGW_TAGTAB_SIZE / 64];
  uint32_t gen_;
  uint32_t pend_len_;   /* frame length of the pending message, 0 if unknown */
  uint32_t pend_body_;  /* offset of the first byte after 9=...SOH */
  uint8_t pend_ver_;
  uint8_t run_; /* the last rejection ran to the end of its input */
} fixgw_parser_t;

/* Set up *p from *cfg (NULL: defaults), allocating the index once.
 * Returns 0, FIXGW_EINVAL (config out of range), FIXGW_ENOMEM, or
 * FIXGW_ENOTSUP (scan kernel not available on this CPU). */
int fixgw_parser_init(fixgw_parser_t *p, const fixgw_parser_config_t *cfg);
/* Free what init allocated. Safe on a zeroed or already-destroyed parser. */
void fixgw_parser_destroy(fixgw_parser_t *p);
/* Forget any pending partial message and garbage run (call when the
 * stream is replaced). */
void fixgw_parser_reset(fixgw_parser_t *p);

/* A parsed message: a view valid until the next fixgw_parse() on the parser
 * that produced it. fields[] are in wire order: fields[0] is BeginString (8),
 * fields[1] BodyLength (9), fields[2] MsgType (35), fields[nfields-1]
 * CheckSum (10). */
typedef struct fixgw_msg {
  const char *buf; /* the message's first byte, inside the host's buffer */
  uint32_t len;    /* whole message, header to the trailer's SOH */
  uint32_t nfields;
  const fixgw_field_t *fields;
  fixgw_str_t msgtype;
  fixgw_version version;
  uint32_t body_length;
  /* Fields whose tag (< FIXGW_TAGTAB_SIZE) already appeared earlier in the
   * message: 0 means no repeated tag below that bound. */
  uint32_t repeats;
  /* private */
  const uint32_t *tagtab_;
  uint32_t gen_;
  uint32_t max_group_depth_;
} fixgw_msg_t;

/* Where and why input was rejected. */
typedef struct fixgw_parse_error {
  int code;      /* FIXGW_E*, 0 if none */
  size_t offset; /* offset in the input passed to fixgw_parse() */
  uint32_t tag;  /* tag of the offending field, 0 if not known */
  /* 1 when these bytes continue the garbage run an earlier call reported
   * (code FIXGW_EBEGINSTRING at offset 0, the previous rejection having
   * run to the end of its input): the same error, already counted in
   * stats.rejected, so a host that logs each error can log a run once. */
  uint32_t continued;
} fixgw_parse_error_t;

/*
 * Parse the next message at the front of buf[0..len).
 *
 * Always sets *consumed: the number of bytes at the front of buf the host
 * must drop before the next call (it may move the rest, e.g. to compact).
 * Returns
 *   0              a complete, valid message is in *msg; *consumed is its
 *                  length.
 *   FIXGW_EAGAIN   the front holds the start of a message but not all of it
 *                  (*consumed == 0). Call again with the same bytes plus
 *                  more; the parser remembers the frame it already read, so
 *                  waiting costs no rescan.
 *   other < 0      the front held bad bytes: a malformed message, or garbage
 *                  before the next "8=FIX". *err (if not NULL) says what,
 *                  where and on which tag; *consumed >= 1 covers the bad
 *                  bytes up to the next possible message start, so the
 *                  stream always progresses and nothing valid is dropped
 *                  (after a CheckSum mismatch the next start is looked
 *                  for inside the rejected frame). A garbage run that
 *                  spans calls is reported by each (err->continued set
 *                  after the first) and counted once.
 *                  Codes: FIXGW_EBEGINSTRING, EBODYLENGTH, EMSGTYPE,
 *                  ECHECKSUM_FORMAT, ECHECKSUM, ETAG, ENOEQUALS,
 *                  EEMPTYVALUE, ETOOBIG, ETOOMANYFIELDS, EDATALEN, ENOSOH.
 *   FIXGW_EINVAL   p, consumed or msg is NULL (*consumed untouched).
 * Never allocates; reads no byte outside buf[0..len).
 */
int fixgw_parse(fixgw_parser_t *p, const char *buf, size_t len,
                size_t *consumed, fixgw_msg_t *msg, fixgw_parse_error_t *err);

/*
 * The stream ended (peer closed, file read to its end): classify what the
 * host still holds, buf[0..len), the bytes fixgw_parse() last answered
 * with FIXGW_EAGAIN (or none). The bytes count as rejected in the stats
 * (once, unless they continue a garbage run), and the parser is left
 * ready for a new stream, as after fixgw_parser_reset().
 * Returns
 *   0                  len == 0: the stream ended between messages.
 *   FIXGW_ETRUNCATED   a message cut off: the bytes start with "8=FIX"
 *                      and are valid as far as they go. err->offset is
 *                      len, err->tag the field being read when the stream
 *                      ended (8 or 9 in the header, 0 past it).
 *   FIXGW_EBEGINSTRING garbage: fewer than 5 bytes of "8=FIX" (too short
 *                      to tell a message from noise); err->continued as
 *                      for fixgw_parse().
 *   FIXGW_EINVAL       p NULL, or fixgw_parse() would still return a
 *                      message or an error for these bytes (call it until
 *                      FIXGW_EAGAIN first). Nothing is counted.
 * Never allocates; reads no byte outside buf[0..len).
 */
int fixgw_parse_end(fixgw_parser_t *p, const char *buf, size_t len,
                    fixgw_parse_error_t *err);

/* Is m's MsgType (35) exactly the NUL-terminated msgtype ("D", "AE")? */
static inline bool fixgw_msgtype_is(const fixgw_msg_t *m, const char *msgtype) {
  return fixgw_str_eq_cstr(m->msgtype, msgtype);
}

/* ------------------------------------------------------ typed conversions */

/* Exact fixed-point decimal: value = mant * 10^exp. "123.450" is
 * {123450, -3}; trailing zeros are kept. */
typedef struct fixgw_decimal {
  int64_t mant;
  int32_t exp;
} fixgw_decimal_t;

typedef struct fixgw_date {
  int32_t year;
  uint8_t month; /* 1..12 */
  uint8_t day;   /* 1..31, or 0 for a MonthYear without a day */
  uint8_t week;  /* 1..5 for MonthYear "YYYYMMwN", else 0 */
} fixgw_date_t;

/* Each fixgw_to_* converts one value view (no SOH) and returns 0,
 * FIXGW_EFORMAT (not of the type's syntax, or empty), or FIXGW_ERANGE
 * (syntax fine, value does not fit or is not a real date/time).
 * Locale-free, allocation-free, never reads past s[n-1]. */

/* Int, SeqNum, Length, NumInGroup: "-"?digits, leading zeros allowed. */
int fixgw_to_int(const char *s, size_t n, int64_t *out);
int fixgw_to_uint(const char *s, size_t n, uint64_t *out);
/* float, Qty, Price, PriceOffset, Amt, Percentage: "-"? then digits with
 * at most one '.' anywhere ("1.5", "1.", ".5"; at least one digit), up to
 * 18 significant digits. "-0.0" reads as {0, -1}: the sign of zero is
 * not kept. */
int fixgw_to_decimal(const char *s, size_t n, fixgw_decimal_t *out);
/* char: exactly one byte. */
int fixgw_to_char(const char *s, size_t n, char *out);
/* Boolean: "Y" or "N". */
int fixgw_to_bool(const char *s, size_t n, bool *out);
/* UTCTimestamp "YYYYMMDD-HH:MM:SS[.s{3}|.s{6}|.s{9}]" to nanoseconds since
 * the Unix epoch (a leap second 60 is accepted and counts as 59.999...). */
int fixgw_to_timestamp(const char *s, size_t n, int64_t *ns);
/* UTCTimeOnly "HH:MM:SS[.s{3}|.s{6}|.s{9}]" to nanoseconds since midnight. */
int fixgw_to_timeonly(const char *s, size_t n, int64_t *ns);
/* UTCDateOnly and LocalMktDate: "YYYYMMDD". */
int fixgw_to_date(const char *s, size_t n, fixgw_date_t *out);
/* MonthYear: "YYYYMM", "YYYYMMDD" or "YYYYMMwN". */
int fixgw_to_month_year(const char *s, size_t n, fixgw_date_t *out);
/* Days since 1970-01-01 for a valid calendar date (proleptic Gregorian). */
int64_t fixgw_days_from_civil(int32_t y, unsigned m, unsigned d);
/* The date (proleptic Gregorian) of a day count since 1970-01-01: the
 * inverse of fixgw_days_from_civil. */
void fixgw_civil_from_days(int64_t days, fixgw_date_t *out);

/* Decimal helpers. to_scaled: value * 10^scale as an integer; FIXGW_ERANGE
 * if it does not fit or would lose digits. cmp: <0, 0, >0 by value. */
int fixgw_decimal_to_scaled(fixgw_decimal_t d, int scale, int64_t *out);
int fixgw_decimal_cmp(fixgw_decimal_t a, fixgw_decimal_t b);
/* Correctly rounded when |mant| < 2^53 and |exp| <= 22 (one IEEE multiply
 * or divide of two exact doubles: a division, never a multiply by the
 * reciprocal); otherwise one rounding per factor of 10^22, within 2 ulp of
 * the correctly rounded value for |exp| <= 44. */
double fixgw_decimal_to_double(fixgw_decimal_t d);

/* ---------------------------------------------------- message field access */

/* First field with this tag in wire order, or NULL. O(1) for tags below
 * FIXGW_TAGTAB_SIZE (inline: one load and a compare), a scan of the index
 * above. */
const fixgw_field_t *fixgw__msg_find_slow(const fixgw_msg_t *m, uint32_t tag);
static inline const fixgw_field_t *fixgw_msg_find(const fixgw_msg_t *m, uint32_t tag) {
  if (tag < FIXGW_TAGTAB_SIZE) {
    uint32_t e = m->tagtab_[tag];
    return (e >> 16) == m->gen_ ? &m->fields[e & 0x7FFFu] : FIXGW__NULL;
  }
  return fixgw__msg_find_slow(m, tag);
}

/* Find + convert. Return 0, FIXGW_ENOTFOUND (tag absent), or the
 * conversion's FIXGW_EFORMAT / FIXGW_ERANGE; get_char and get_bool also
 * FIXGW_EINVAL for a NULL out. Inline: for a string or a char the call
 * would cost as much as the work. On failure get_str leaves an empty view
 * ({NULL, 0}) and get_char '\0' in *out, the others leave it as it was. */
static inline int fixgw_msg_get_str(const fixgw_msg_t *m, uint32_t tag, fixgw_str_t *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  out->ptr = f ? f->val : FIXGW__NULL;
  out->len = f ? f->len : 0;
  return f ? 0 : FIXGW_ENOTFOUND;
}
static inline int fixgw_msg_get_char(const fixgw_msg_t *m, uint32_t tag, char *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  if (!out) return f ? FIXGW_EINVAL : FIXGW_ENOTFOUND;
  *out = '\0';
  if (!f) return FIXGW_ENOTFOUND;
  if (!f->val) return FIXGW_EINVAL;
  if (f->len != 1 || f->val[0] == FIXGW_SOH) return FIXGW_EFORMAT;
  *out = f->val[0];
  return 0;
}

/* Internal to the getters below: the conversions for a value with 8
 * readable bytes from its start, true of every field of a parsed message
 * (its SOH and the trailer follow), which lets them load whole words. */
int fixgw__int_padded(const char *s, size_t n, int64_t *out);
int fixgw__uint_padded(const char *s, size_t n, uint64_t *out);
static inline bool fixgw__roomy(const fixgw_msg_t *m, const fixgw_field_t *f) {
  return f->val + 8 <= m->buf + m->len;
}

/* A field of m converted, for a field already in hand (one walked in a
 * group entry, say): f points into m->fields, out must not be NULL. The
 * getters below are these after the lookup: for the integers word loads
 * where m holds 8 bytes from the value's start, for a decimal of up to 18
 * bytes without a sign fixgw_to_decimal()'s own byte loop, inline; else
 * the fixgw_to_*() conversion. Same returns as the getters, less
 * FIXGW_ENOTFOUND. */
static inline int fixgw_msg_field_int(const fixgw_msg_t *m, const fixgw_field_t *f,
                                      int64_t *out) {
  return fixgw__roomy(m, f) ? fixgw__int_padded(f->val, f->len, out)
                            : fixgw_to_int(f->val, f->len, out);
}
static inline int fixgw_msg_field_uint(const fixgw_msg_t *m, const fixgw_field_t *f,
                                       uint64_t *out) {
  return fixgw__roomy(m, f) ? fixgw__uint_padded(f->val, f->len, out)
                            : fixgw_to_uint(f->val, f->len, out);
}
/* Internal: fixgw_to_decimal() of an unsigned value of 1..18 bytes, a
 * byte at a time, the integer part and the fraction each in a loop of its
 * own. Inline, so the getters skip the call on the common short value;
 * the loop, not a word load, measured faster (see convert.c). */
static inline int fixgw__decimal_digits(const char *s, uint32_t n, fixgw_decimal_t *out) {
  uint64_t v = 0;
  uint32_t k = 0;
  unsigned d;
  while (k < n && (d = FIXGW__CAST(unsigned, FIXGW__CAST(unsigned char, s[k])) - '0') <= 9) {
    v = v * 10 + d;
    k++;
  }
  int32_t exp = 0;
  if (k < n) {
    if (s[k] != '.' || n == 1) return FIXGW_EFORMAT; /* "." alone */
    exp = -FIXGW__CAST(int32_t, n - k - 1);
    for (k++; k < n; k++) {
      d = FIXGW__CAST(unsigned, FIXGW__CAST(unsigned char, s[k])) - '0';
      if (d > 9) return FIXGW_EFORMAT;
      v = v * 10 + d;
    }
  }
  out->mant = FIXGW__CAST(int64_t, v);
  out->exp = exp;
  return 0;
}
static inline int fixgw_msg_field_decimal(const fixgw_msg_t *m, const fixgw_field_t *f,
                                          fixgw_decimal_t *out) {
  (void)m;
  if (f->len - 1u < 18u && f->val[0] != '-') return fixgw__decimal_digits(f->val, f->len, out);
  return fixgw_to_decimal(f->val, f->len, out);
}

static inline int fixgw_msg_get_int(const fixgw_msg_t *m, uint32_t tag, int64_t *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f ? fixgw_msg_field_int(m, f, out) : FIXGW_ENOTFOUND;
}
static inline int fixgw_msg_get_uint(const fixgw_msg_t *m, uint32_t tag, uint64_t *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f ? fixgw_msg_field_uint(m, f, out) : FIXGW_ENOTFOUND;
}
static inline int fixgw_msg_get_decimal(const fixgw_msg_t *m, uint32_t tag,
                                        fixgw_decimal_t *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f ? fixgw_msg_field_decimal(m, f, out) : FIXGW_ENOTFOUND;
}
static inline int fixgw_msg_get_bool(const fixgw_msg_t *m, uint32_t tag, bool *out) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f ? fixgw_to_bool(f->val, f->len, out) : FIXGW_ENOTFOUND;
}
static inline int fixgw_msg_get_timestamp(const fixgw_msg_t *m, uint32_t tag, int64_t *ns) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f ? fixgw_to_timestamp(f->val, f->len, ns) : FIXGW_ENOTFOUND;
}

/* ------------------------------------------------------- repeating groups */

/* The shape of a repeating group, enough to walk it without a dictionary.
 * tags lists every tag an entry may hold at its own level, the delimiter
 * (the entry's first field) first; nested groups are listed by their
 * layouts in nested[] (their count tags need not be in tags). Layouts are
 * static data the host (or the dictionary layer) owns. */
typedef struct fixgw_group_layout {
  uint32_t count_tag;
  uint32_t delim_tag;
  const uint32_t *tags;
  uint32_t ntags;
  const struct fixgw_group_layout *const *nested;
  uint32_t nnested;
} fixgw_group_layout_t;

/* A group instance inside a message: fields [first, end) of msg->fields,
 * count entries. */
typedef struct fixgw_group {
  const fixgw_msg_t *msg;
  const fixgw_group_layout_t *layout;
  uint32_t count; /* the NumInGroup value */
  uint32_t first; /* index of the first entry's delimiter */
  uint32_t end;   /* one past the last field of the last entry */
  uint32_t depth; /* 1 for a top-level group */
  uint32_t next_; /* private: iteration cursor */
  uint32_t stride_; /* private: every entry's field count when all are alike, else 0 */
} fixgw_group_t;

/* One entry: fields [first, end) of msg->fields. */
typedef struct fixgw_group_entry {
  const fixgw_msg_t *msg;
  uint32_t first;
  uint32_t end;
  uint32_t depth;
} fixgw_group_entry_t;

/*
 * Find the group's count tag within fields [from, to) of m (use 0 and
 * m->nfields for the whole message, or an entry's range for a nested
 * group), check the whole group and set *g ready to iterate. depth is the
 * nesting depth of the scope (0 for the message, entry.depth for an entry).
 * Returns 0, FIXGW_ENOTFOUND (count tag absent), FIXGW_EFORMAT (count not
 * an integer), FIXGW_EGROUPDELIM (an entry does not start with the
 * delimiter), FIXGW_EGROUPCOUNT (entries found differ from the count),
 * FIXGW_EGROUPDEPTH (nesting deeper than the parser's max_group_depth), or
 * FIXGW_EINVAL. A count of 0 is valid and yields no entries.
 */
int fixgw_group_open(const fixgw_msg_t *m, const fixgw_group_layout_t *layout,
                     uint32_t from, uint32_t to, uint32_t depth,
                     fixgw_group_t *g);
/* Next entry: 0 and *e set, or FIXGW_ENOTFOUND after the last; FIXGW_EINVAL
 * for a NULL argument. */
static inline int fixgw_group_next(fixgw_group_t *g, fixgw_group_entry_t *e);
/* Internal: fixgw_group_next() of a layout with nested groups. */
int fixgw__group_next_nested(fixgw_group_t *g, fixgw_group_entry_t *e);
/* Internal: hand out fields [g->next_, end) as *e and move past them. */
static inline void fixgw__entry_take(fixgw_group_t *g, fixgw_group_entry_t *e, uint32_t end) {
  e->msg = g->msg;
  e->first = g->next_;
  e->end = end;
  e->depth = g->depth;
  g->next_ = end;
}
static inline int fixgw_group_next(fixgw_group_t *g, fixgw_group_entry_t *e) {
  if (!g || !e) return FIXGW_EINVAL;
  if (g->next_ >= g->end) return FIXGW_ENOTFOUND;
  /* Entries all alike (open saw it): no scan at all. */
  if (g->stride_ != 0) {
    fixgw__entry_take(g, e, g->next_ + g->stride_);
    return 0;
  }
  if (g->layout->nnested != 0) return fixgw__group_next_nested(g, e);
  /* Open checked the whole group, so without nested groups an entry runs
   * to the next delimiter (or the group's end): one compare a field. Inline
   * because a walk calls this once an entry and the scan is short. */
  const fixgw_field_t *f = g->msg->fields;
  const uint32_t delim = g->layout->delim_tag, lim = g->end;
  uint32_t end = g->next_ + 1;
  while (end < lim && f[end].tag != delim) end++;
  fixgw__entry_take(g, e, end);
  return 0;
}
/* First field with this tag in the entry's range [first, end), nested
 * entries included, or NULL. */
const fixgw_field_t *fixgw_entry_find(const fixgw_group_entry_t *e,
                                      uint32_t tag);

/* ---------------------------------------------------------------- encoder */

typedef enum fixgw_ts_precision {
  FIXGW_TS_SECONDS = 0,
  FIXGW_TS_MILLIS = 3,
  FIXGW_TS_MICROS = 6,
  FIXGW_TS_NANOS = 9
} fixgw_ts_precision;

/* Bytes the encoder keeps in front of the body for "8=...SOH9=...SOH". */
#define FIXGW_ENC_HEADROOM 21u
/* Bytes of the trailer "10=nnnSOH". */
#define FIXGW_ENC_TRAILER 7u

/* An encoder writes one message into a caller buffer. Errors are sticky:
 * after the first failure every appender returns it and does nothing, and
 * fixgw_enc_finish() reports it, so a builder may check once at the end. */
typedef struct fixgw_encoder {
  char *buf;
  size_t cap;
  size_t pos; /* end of what is written so far */
  int err;
  /* private */
  const char *bs_;
  uint8_t bs_len_;
  uint8_t scan_;
} fixgw_encoder_t;

/*
 * Start a message in buf[0..cap) (the encoder never writes outside it):
 * BeginString begin_string (e.g. "FIX.4.4"), and MsgType msgtype as the
 * first body field. begin_string must stay valid until finish.
 * Returns 0, FIXGW_EINVAL (NULL or empty arguments, BeginString over 8
 * bytes, msgtype with SOH), FIXGW_ENOSPC.
 */
int fixgw_enc_begin(fixgw_encoder_t *e, char *buf, size_t cap,
                    const char *begin_string, const char *msgtype);

/* Appenders: tag must be 1..FIXGW_TAG_MAX (else FIXGW_EINVAL).
 * Return 0, FIXGW_ENOSPC (buffer full), FIXGW_EINVAL (empty value, SOH in
 * a non-data value, bad tag or argument), or the sticky earlier error.
 *
 * str, cstr, int, uint, decimal, char, bool and timestamp are inline
 * (defined below): with a compile-time constant tag below 100000 (gcc and
 * clang), no earlier error, at least FIXGW__ENC_SLACK bytes left and a
 * short value they write the field in place, "tag=" folded to a constant;
 * in every other case they call the general fixgw__enc_* of the same
 * name, which decides every error and every near-full buffer. Both write
 * the same bytes and return the same codes. */
static inline int fixgw_enc_str(fixgw_encoder_t *e, uint32_t tag, const char *s, size_t n);
static inline int fixgw_enc_cstr(fixgw_encoder_t *e, uint32_t tag, const char *s);
static inline int fixgw_enc_int(fixgw_encoder_t *e, uint32_t tag, int64_t v);
static inline int fixgw_enc_uint(fixgw_encoder_t *e, uint32_t tag, uint64_t v);
static inline int fixgw_enc_decimal(fixgw_encoder_t *e, uint32_t tag, fixgw_decimal_t d);
static inline int fixgw_enc_char(fixgw_encoder_t *e, uint32_t tag, char c);
static inline int fixgw_enc_bool(fixgw_encoder_t *e, uint32_t tag, bool b);
/* ns since the epoch, years 1970..9999, written at precision prec (fraction
 * truncated). Inline like the above. */
static inline int fixgw_enc_timestamp(fixgw_encoder_t *e, uint32_t tag, int64_t ns,
                                      fixgw_ts_precision prec);
/* UTCDateOnly / LocalMktDate "YYYYMMDD" (years 0..9999, month 1..12,
 * day 1..31; week ignored). */
int fixgw_enc_date(fixgw_encoder_t *e, uint32_t tag, fixgw_date_t d);
/* UTCTimeOnly "HH:MM:SS[.f...]" of ns since midnight (0 <= ns < 24 h), at
 * precision prec, fraction truncated. */
int fixgw_enc_timeonly(fixgw_encoder_t *e, uint32_t tag, int64_t ns,
                       fixgw_ts_precision prec);
/* A data field with its length field first: len_tag=n SOH data_tag=bytes.
 * The bytes may contain SOH and '='. */
int fixgw_enc_data(fixgw_encoder_t *e, uint32_t len_tag, uint32_t data_tag,
                   const void *data, size_t n);

/* ------------------------------------------------ inline appenders */

/* The general appenders behind the inline ones (same contract). */
int fixgw__enc_str(fixgw_encoder_t *e, uint32_t tag, const char *s, size_t n);
int fixgw__enc_cstr(fixgw_encoder_t *e, uint32_t tag, const char *s);
int fixgw__enc_int(fixgw_encoder_t *e, uint32_t tag, int64_t v);
int fixgw__enc_uint(fixgw_encoder_t *e, uint32_t tag, uint64_t v);
int fixgw__enc_decimal(fixgw_encoder_t *e, uint32_t tag, fixgw_decimal_t d);
int fixgw__enc_char(fixgw_encoder_t *e, uint32_t tag, char c);
int fixgw__enc_timestamp(fixgw_encoder_t *e, uint32_t tag, int64_t ns, fixgw_ts_precision prec);

/* "YYYYMMDD" of day days (>= 0) since the epoch, from a per-thread cache
 * of the last day asked for (valid until this thread asks for another),
 * or NULL if its year is past 9999. */
const char *fixgw__enc_day_text(int64_t days);

/* Room the fast paths ask for: their longest field ("99999=" and a
 * 32-byte string and SOH, 39 bytes), the trailer's 7 and the 8-byte
 * stores that reach past a value's end, with margin. Closer to cap the general path
 * decides, so a fast path never needs an exact capacity check. */
#define FIXGW__ENC_SLACK 64u

/* Take the fast path for this tag? Only for constants (they fold to one
 * store), so a table-driven caller keeps the out-of-line call. */
#if defined(__GNUC__)
#define FIXGW__ENC_INLINE __attribute__((always_inline)) inline
#define FIXGW__ENC_FAST_TAG(tag) (__builtin_constant_p(tag) && (tag) >= 1u && (tag) < 100000u)
#else
#define FIXGW__ENC_INLINE inline
#define FIXGW__ENC_FAST_TAG(tag) 0
#endif

/* Words in text order (byte 0 lowest) on any host: the inline appenders'
 * and the codec's word-at-a-time code. */
static inline void fixgw__store_le64(char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  memcpy(p, &v, 8);
}

static inline uint64_t fixgw__load_le64(const char *p) {
  uint64_t v;
  memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

static inline uint64_t fixgw__load_le32(const char *p) {
  uint32_t v;
  memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

/* Digits of v < 10^8. */
static inline unsigned fixgw__enc_ndigits8(uint64_t v) {
  if (v < 10000) return v < 100 ? (v < 10 ? 1u : 2u) : (v < 1000 ? 3u : 4u);
  return v < 1000000 ? (v < 100000 ? 5u : 6u) : (v < 10000000 ? 7u : 8u);
}

/* v < 10^8 as eight ASCII digits (leading zeros), byte 0 the most
 * significant: split into two 4-digit halves in 32-bit lanes, each into
 * two pairs in 16-bit lanes (x * 10486 >> 20 is x / 100 below 10^4), each
 * pair into two digits in bytes (x * 103 >> 10 is x / 10 below 179). No
 * lane overflows into the next, so one multiply serves all lanes. */
static inline uint64_t fixgw__enc_text8(uint64_t v) {
  uint64_t y = (v / 10000) | ((v % 10000) << 32);
  uint64_t hi = ((y * 10486) >> 20) & 0x0000007F0000007FULL;
  uint64_t z = hi | ((y - hi * 100) << 16);
  uint64_t t = ((z * 103) >> 10) & 0x000F000F000F000FULL;
  return (t | ((z - t * 10) << 8)) + 0x3030303030303030ULL;
}

/* Any SOH byte in x? Exact for every byte (no borrow artefacts). */
static inline bool fixgw__enc_has_soh(uint64_t x) {
  uint64_t y = x ^ 0x0101010101010101ULL;
  return (~(((y & 0x7F7F7F7F7F7F7F7FULL) + 0x7F7F7F7F7F7F7F7FULL) | y) &
          0x8080808080808080ULL) != 0;
}

/* "tag=" for 1 <= tag < 100000 as a word (byte 0 first) and its length:
 * a constant when tag is. */
static inline uint64_t fixgw__enc_tagword(uint32_t tag) {
  uint64_t w = '=';
  for (uint32_t t = tag; t; t /= 10) w = (w << 8) | FIXGW__CAST(uint64_t, '0' + t % 10);
  return w;
}
static inline unsigned fixgw__enc_taglen(uint32_t tag) {
  return 1u + (tag < 10 ? 1u : tag < 100 ? 2u : tag < 1000 ? 3u : tag < 10000 ? 4u : 5u);
}

/* Where the next field goes if a fast path may write it, else NULL. */
static inline char *fixgw__enc_room(fixgw_encoder_t *e) {
  return e && !e->err && e->cap - e->pos >= FIXGW__ENC_SLACK ? e->buf + e->pos : FIXGW__NULL;
}

/* The fast paths, for 1 <= tag < 100000 (constant or not: the tests run
 * them with any tag against the general path). */
static FIXGW__ENC_INLINE int fixgw__enc_uint_fast(fixgw_encoder_t *e, uint32_t tag, uint64_t v) {
  char *p = fixgw__enc_room(e);
  if (FIXGW_LIKELY(p && v < 100000000)) {
    unsigned tl = fixgw__enc_taglen(tag), d = fixgw__enc_ndigits8(v);
    fixgw__store_le64(p, fixgw__enc_tagword(tag));
    fixgw__store_le64(p + tl, fixgw__enc_text8(v) >> (8 * (8 - d)));
    p[tl + d] = FIXGW_SOH;
    e->pos += tl + d + 1;
    return 0;
  }
  return fixgw__enc_uint(e, tag, v);
}

static FIXGW__ENC_INLINE int fixgw__enc_int_fast(fixgw_encoder_t *e, uint32_t tag, int64_t v) {
  char *p = fixgw__enc_room(e);
  uint64_t mag = v < 0 ? 0 - FIXGW__CAST(uint64_t, v) : FIXGW__CAST(uint64_t, v);
  if (FIXGW_LIKELY(p && mag < 100000000)) {
    unsigned tl = fixgw__enc_taglen(tag), d = fixgw__enc_ndigits8(mag), neg = v < 0;
    fixgw__store_le64(p, fixgw__enc_tagword(tag));
    p[tl] = '-'; /* overwritten by the digits when not negative */
    fixgw__store_le64(p + tl + neg, fixgw__enc_text8(mag) >> (8 * (8 - d)));
    p[tl + neg + d] = FIXGW_SOH;
    e->pos += tl + neg + d + 1;
    return 0;
  }
  return fixgw__enc_int(e, tag, v);
}

/* Mantissas below 10^8 with exponent 0, or negative with at most 7
 * digits and point-padding zeros: the text is one word. */
static FIXGW__ENC_INLINE int fixgw__enc_decimal_fast(fixgw_encoder_t *e, uint32_t tag,
                                                     fixgw_decimal_t d) {
  char *p = fixgw__enc_room(e);
  uint64_t mag = d.mant < 0 ? 0 - FIXGW__CAST(uint64_t, d.mant) : FIXGW__CAST(uint64_t, d.mant);
  if (FIXGW_LIKELY(p && mag < 100000000 && d.exp <= 0 && d.exp >= -7)) {
    unsigned nd = fixgw__enc_ndigits8(mag), frac = FIXGW__CAST(unsigned, -d.exp);
    unsigned width = nd > frac ? nd : frac + 1; /* a digit before the point */
    if (FIXGW_LIKELY(frac == 0 || width <= 7)) {
      unsigned tl = fixgw__enc_taglen(tag), neg = d.mant < 0, n = width;
      uint64_t x = fixgw__enc_text8(mag) >> (8 * (8 - width));
      if (frac) {
        /* The digits after the point move up a byte for it. */
        unsigned k = width - frac;
        uint64_t lo = (FIXGW__CAST(uint64_t, 1) << (8 * k)) - 1;
        x = (x & lo) | ((x & ~lo) << 8) | (FIXGW__CAST(uint64_t, '.') << (8 * k));
        n++;
      }
      fixgw__store_le64(p, fixgw__enc_tagword(tag));
      p[tl] = '-'; /* overwritten by the digits when not negative */
      fixgw__store_le64(p + tl + neg, x);
      p[tl + neg + n] = FIXGW_SOH;
      e->pos += tl + neg + n + 1;
      return 0;
    }
  }
  return fixgw__enc_decimal(e, tag, d);
}

static FIXGW__ENC_INLINE int fixgw__enc_char_fast(fixgw_encoder_t *e, uint32_t tag, char c) {
  char *p = fixgw__enc_room(e);
  if (FIXGW_LIKELY(p && c != FIXGW_SOH && c != 0)) {
    unsigned tl = fixgw__enc_taglen(tag); /* <= 6: the field fits one word */
    fixgw__store_le64(p, fixgw__enc_tagword(tag) |
                             (FIXGW__CAST(uint64_t, FIXGW__CAST(unsigned char, c)) << (8 * tl)) |
                             (FIXGW__CAST(uint64_t, FIXGW_SOH) << (8 * (tl + 1))));
    e->pos += tl + 2;
    return 0;
  }
  return fixgw__enc_char(e, tag, c);
}

/* Strings of 1..32 bytes (IDs, symbols, accounts): read as words inside
 * s, two up to 16 bytes and four up to 32, overlapping where n is not a
 * multiple of 8 (below 8, pieces that stay inside s), checked for SOH and
 * stored. */
static FIXGW__ENC_INLINE int fixgw__enc_str_fast(fixgw_encoder_t *e, uint32_t tag, const char *s,
                                                 size_t n) {
  char *p = fixgw__enc_room(e);
  if (FIXGW_LIKELY(p && s && n - 1 < 32)) {
    uint64_t a, b = 0, c = 0, d = 0;
    if (n >= 8) {
      a = fixgw__load_le64(s);
      b = fixgw__load_le64(s + n - 8);
      if (n > 16) {
        c = fixgw__load_le64(s + 8);
        d = fixgw__load_le64(s + n - 16);
      }
    } else if (n >= 4) {
      a = fixgw__load_le32(s) | (fixgw__load_le32(s + n - 4) << (8 * (n - 4)));
    } else {
      a = FIXGW__CAST(uint64_t, FIXGW__CAST(unsigned char, s[0])) |
          (FIXGW__CAST(uint64_t, FIXGW__CAST(unsigned char, s[n >> 1])) << (8 * (n >> 1))) |
          (FIXGW__CAST(uint64_t, FIXGW__CAST(unsigned char, s[n - 1])) << (8 * (n - 1)));
    }
    if (FIXGW_LIKELY(!fixgw__enc_has_soh(a) && !fixgw__enc_has_soh(b) &&
                     !fixgw__enc_has_soh(c) && !fixgw__enc_has_soh(d))) {
      unsigned tl = fixgw__enc_taglen(tag);
      char *v = p + tl;
      fixgw__store_le64(p, fixgw__enc_tagword(tag));
      fixgw__store_le64(v, a);
      if (n > 16) {
        fixgw__store_le64(v + 8, c);
        fixgw__store_le64(v + n - 16, d);
      }
      if (n >= 8) fixgw__store_le64(v + n - 8, b);
      v[n] = FIXGW_SOH;
      e->pos += tl + n + 1;
      return 0;
    }
  }
  return fixgw__enc_str(e, tag, s, n);
}

/* "HH:MM:SS[.f...]" at p for tod ns since midnight (< 24 h), fraction
 * truncated to prec digits (0, 3, 6 or 9). Up to 8 bytes past the text
 * may be written: callers write what follows afterwards. */
static inline void fixgw__enc_put_time(char *p, uint64_t tod, unsigned prec) {
  uint64_t sod = tod / 1000000000u, sub = tod - sod * 1000000000u;
  uint64_t h = sod / 3600, r = sod - h * 3600, m = r / 60, sec = r - m * 60;
  /* Hours, minutes, seconds (each < 100) in 24-bit lanes at bytes 0, 3
   * and 6; x * 103 >> 10 is x / 10 below 179 and stays in its lane. */
  uint64_t y = h | (m << 24) | (sec << 48);
  uint64_t tens = ((y * 103) >> 10) & 0x000F00000F00000FULL;
  fixgw__store_le64(p, (tens | ((y - tens * 10) << 8)) + 0x30303A30303A3030ULL);
  if (prec == 0) return;
  p[8] = '.';
  if (prec == 3) {
    fixgw__store_le64(p + 9, fixgw__enc_text8(sub / 1000000) >> 40);
  } else if (prec == 6) {
    fixgw__store_le64(p + 9, fixgw__enc_text8(sub / 1000) >> 16);
  } else {
    p[9] = FIXGW__CAST(char, '0' + sub / 100000000);
    fixgw__store_le64(p + 10, fixgw__enc_text8(sub % 100000000));
  }
}

static FIXGW__ENC_INLINE int fixgw__enc_timestamp_fast(fixgw_encoder_t *e, uint32_t tag,
                                                       int64_t ns, fixgw_ts_precision prec) {
  char *p = fixgw__enc_room(e);
  unsigned pr = FIXGW__CAST(unsigned, prec);
  if (FIXGW_LIKELY(p && ns >= 0 && (pr == 0 || pr == 3 || pr == 6 || pr == 9))) {
    const int64_t day_ns = 86400LL * 1000000000LL;
    int64_t days = ns / day_ns;
    const char *date = fixgw__enc_day_text(days);
    if (FIXGW_LIKELY(date != FIXGW__NULL)) {
      unsigned tl = fixgw__enc_taglen(tag), n = 17 + (pr ? 1 + pr : 0);
      fixgw__store_le64(p, fixgw__enc_tagword(tag));
      memcpy(p + tl, date, 8);
      p[tl + 8] = '-';
      fixgw__enc_put_time(p + tl + 9, FIXGW__CAST(uint64_t, ns - days * day_ns), pr);
      p[tl + n] = FIXGW_SOH;
      e->pos += tl + n + 1;
      return 0;
    }
  }
  return fixgw__enc_timestamp(e, tag, ns, prec);
}

/* The public appenders: constant tags take the fast path, the rest call
 * the general one. */
static FIXGW__ENC_INLINE int fixgw_enc_str(fixgw_encoder_t *e, uint32_t tag, const char *s,
                                           size_t n) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_str_fast(e, tag, s, n);
  return fixgw__enc_str(e, tag, s, n);
}

static FIXGW__ENC_INLINE int fixgw_enc_cstr(fixgw_encoder_t *e, uint32_t tag, const char *s) {
  if (FIXGW__ENC_FAST_TAG(tag) && s) return fixgw__enc_str_fast(e, tag, s, strlen(s));
  return fixgw__enc_cstr(e, tag, s);
}

static FIXGW__ENC_INLINE int fixgw_enc_int(fixgw_encoder_t *e, uint32_t tag, int64_t v) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_int_fast(e, tag, v);
  return fixgw__enc_int(e, tag, v);
}

static FIXGW__ENC_INLINE int fixgw_enc_uint(fixgw_encoder_t *e, uint32_t tag, uint64_t v) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_uint_fast(e, tag, v);
  return fixgw__enc_uint(e, tag, v);
}

static FIXGW__ENC_INLINE int fixgw_enc_decimal(fixgw_encoder_t *e, uint32_t tag,
                                               fixgw_decimal_t d) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_decimal_fast(e, tag, d);
  return fixgw__enc_decimal(e, tag, d);
}

static FIXGW__ENC_INLINE int fixgw_enc_char(fixgw_encoder_t *e, uint32_t tag, char c) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_char_fast(e, tag, c);
  return fixgw__enc_char(e, tag, c);
}

static FIXGW__ENC_INLINE int fixgw_enc_timestamp(fixgw_encoder_t *e, uint32_t tag, int64_t ns,
                                                 fixgw_ts_precision prec) {
  if (FIXGW__ENC_FAST_TAG(tag)) return fixgw__enc_timestamp_fast(e, tag, ns, prec);
  return fixgw__enc_timestamp(e, tag, ns, prec);
}

static FIXGW__ENC_INLINE int fixgw_enc_bool(fixgw_encoder_t *e, uint32_t tag, bool b) {
  return fixgw_enc_char(e, tag, b ? 'Y' : 'N');
}

/*
 * Write BodyLength and CheckSum. On success *out points at the message's
 * first byte inside buf (at most FIXGW_ENC_HEADROOM bytes in: the header is
 * laid right-aligned so no body byte moves) and *outlen is its length.
 * Returns 0, FIXGW_ENOSPC, or the sticky earlier error. After success the
 * encoder is spent: further calls return FIXGW_ESTATE until the next
 * fixgw_enc_begin().
 */
int fixgw_enc_finish(fixgw_encoder_t *e, const char **out, size_t *outlen);

/*
 * Repeating groups whose NumInGroup the encoder counts:
 *
 *   fixgw_enc_group_t g;
 *   fixgw_enc_group_begin(&e, &g, 453, 448);  // NoPartyIDs, delimiter PartyID
 *   for (...) {
 *     fixgw_enc_group_entry(&e, &g);          // before each entry
 *     fixgw_enc_cstr(&e, 448, id); ...        // the delimiter first
 *   }
 *   fixgw_enc_group_end(&e, &g);              // writes 453=<entries>
 *
 * begin reserves the count field; end writes the number of entries begun
 * and closes the gap (the entries move left by the unused digits). Groups
 * nest: a nested group's begin/end lie inside an entry of the outer one.
 * Each entry must start with delim_tag and an entry must not be empty
 * (else FIXGW_EINVAL, sticky). The struct lives on the caller's stack
 * until end; its members are private except `count`.
 */
typedef struct fixgw_enc_group {
  uint32_t count; /* entries begun so far */
  /* private */
  uint32_t delim_;
  size_t val_;   /* offset of the reserved count digits in buf */
  size_t entry_; /* offset of the current entry, 0 before the first */
} fixgw_enc_group_t;

/* Start the group: count_tag and delim_tag 1..FIXGW_TAG_MAX. Returns 0,
 * FIXGW_EINVAL, FIXGW_ENOSPC, or the sticky earlier error. */
int fixgw_enc_group_begin(fixgw_encoder_t *e, fixgw_enc_group_t *g, uint32_t count_tag,
                          uint32_t delim_tag);
/* Begin the next entry (its fields follow, delimiter first). Returns 0,
 * FIXGW_EINVAL (the previous entry was empty or did not start with the
 * delimiter), or the sticky earlier error. */
int fixgw_enc_group_entry(fixgw_encoder_t *e, fixgw_enc_group_t *g);
/* End the group: write the count of entries begun. Same returns. */
int fixgw_enc_group_end(fixgw_encoder_t *e, fixgw_enc_group_t *g);

/* ---------------------------------------------------- formatting helpers */

/* Longest text of each helper below, NUL included. */
#define FIXGW_DECIMAL_STRLEN 42u   /* "-" 19 digits, exp zeros or point */
#define FIXGW_TIMESTAMP_STRLEN 31u /* "YYYY-MM-DDTHH:MM:SS.fffffffffZ" */

/*
 * Text for logs, files and user interfaces, NUL-terminated in out[0..cap).
 * Each returns the length written (NUL not counted), FIXGW_ENOSPC (cap
 * too small: nothing usable written) or FIXGW_EINVAL (NULL out, exponent
 * outside -18..18, unknown precision). Thread-safe; no allocation.
 *
 * decimal: the text fixgw_enc_decimal() writes ({123450, -3} "123.450",
 * {5, 2} "500", {-5, -3} "-0.005").
 * timestamp: FIX UTCTimestamp "YYYYMMDD-HH:MM:SS[.f...]" as the encoder
 * writes it, at precision prec, fraction truncated; any int64 ns (years
 * 1677..2262, before 1970 too).
 * ISO 8601: "YYYY-MM-DDTHH:MM:SS[.f...]Z", same instant and precision.
 */
int fixgw_decimal_format(fixgw_decimal_t d, char *out, size_t cap);
int fixgw_timestamp_format(int64_t ns, fixgw_ts_precision prec, char *out, size_t cap);
int fixgw_timestamp_format_iso8601(int64_t ns, fixgw_ts_precision prec, char *out,
                                   size_t cap);

/* Byte sum mod 256 of buf[0..n), the FIX CheckSum of those bytes. */
unsigned fixgw_checksum(const char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_CODEC_H */
