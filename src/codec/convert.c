/* Typed conversions of field values: exact, locale-free, allocation-free.
 * Each reads s[0..n) only and classifies failures as FIXGW_EFORMAT
 * (syntax) or FIXGW_ERANGE (the value does not fit or is no real date). */
#include <string.h>

#include "codec_internal.h"

#define HIGHS 0x8080808080808080ULL
#define ZEROS 0x3030303030303030ULL


/* Accumulate up to 19 digits into *v; 0, EFORMAT (non-digit or none) or
 * ERANGE (beyond UINT64_MAX). */
static inline int digits_u64(const char *s, size_t n, uint64_t *out) {
  if (n == 0) return FIXGW_EFORMAT;
  uint64_t v = 0;
  size_t i = 0;
  /* 19 digits cannot overflow; past that, check each step. */
  size_t safe = n < 19 ? n : 19;
  for (; i < safe; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) return FIXGW_EFORMAT;
    v = v * 10 + d;
  }
  for (; i < n; i++) {
    unsigned d = (unsigned)(unsigned char)s[i] - '0';
    if (d > 9) return FIXGW_EFORMAT;
    if (v > (UINT64_MAX - d) / 10) {
      /* Still report EFORMAT if a later byte is not a digit. */
      for (i++; i < n; i++)
        if ((unsigned)(unsigned char)s[i] - '0' > 9) return FIXGW_EFORMAT;
      return FIXGW_ERANGE;
    }
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int fixgw_to_uint(const char *s, size_t n, uint64_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  return digits_u64(s, n, out);
}

int fixgw_to_int(const char *s, size_t n, int64_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  int neg = n > 0 && s[0] == '-';
  uint64_t v;
  int rc = digits_u64(s + neg, n - (size_t)neg, &v);
  if (rc) return rc;
  if (neg) {
    if (v > (uint64_t)INT64_MAX + 1) return FIXGW_ERANGE;
    *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
  } else {
    if (v > (uint64_t)INT64_MAX) return FIXGW_ERANGE;
    *out = (int64_t)v;
  }
  return 0;
}

static int decimal_parse_slow(const char *s, size_t n, fixgw_decimal_t *out, int trim) {
  size_t i = 0;
  int neg = 0;
  if (n && s[0] == '-') {
    neg = 1;
    i = 1;
  }
  if (trim) {
    /* Trailing zeros after a point carry no value; drop them to fit. */
    if (memchr(s + i, '.', n - i))
      while (n > i && s[n - 1] == '0') n--;
  }
  uint64_t v = 0;
  int32_t frac = 0;
  int seen_point = 0, ndig = 0, sig = 0;
  for (; i < n; i++) {
    unsigned c = (unsigned char)s[i];
    if (c == '.') {
      if (seen_point) return FIXGW_EFORMAT;
      seen_point = 1;
      continue;
    }
    unsigned d = c - '0';
    if (d > 9) return FIXGW_EFORMAT;
    ndig++;
    if (seen_point) frac++;
    if (v == 0 && d == 0) continue; /* leading zeros are not significant */
    if (++sig > 18) return FIXGW_ERANGE;
    v = v * 10 + d;
  }
  if (ndig == 0) return FIXGW_EFORMAT;
  out->mant = neg ? -(int64_t)v : (int64_t)v;
  out->exp = -frac;
  return 0;
}

/* The reference: a byte at a time. fixgw_to_decimal (below 19 bytes) is
 * tested against this. */
int fixgw__to_decimal_ref(const char *s, size_t n, fixgw_decimal_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  /* Fast path: at most 18 digits cannot overflow, so no significance
   * bookkeeping is needed; prices and quantities nearly always fit. */
  size_t i = n && s[0] == '-';
  if (FIXGW_LIKELY(n - i <= 18 && n > i)) {
    uint64_t v = 0;
    size_t point = 0;
    for (size_t k = i; k < n; k++) {
      unsigned d = (unsigned)(unsigned char)s[k] - '0';
      if (FIXGW_LIKELY(d <= 9)) {
        v = v * 10 + d;
      } else if (s[k] == '.' && !point) {
        point = k + 1;
      } else {
        return FIXGW_EFORMAT;
      }
    }
    if (point && n - i == 1) return FIXGW_EFORMAT; /* "." alone */
    out->mant = i ? -(int64_t)v : (int64_t)v;
    out->exp = point ? -(int32_t)(n - point) : 0;
    return 0;
  }
  int rc = decimal_parse_slow(s, n, out, 0);
  if (rc == FIXGW_ERANGE) rc = decimal_parse_slow(s, n, out, 1);
  return rc;
}

/* Short values a byte at a time (fixgw__decimal_digits, in the header
 * for the getters). Word paths were tried and measured slower, though
 * fewer instructions: a word gathered from two overlapping 4-byte loads
 * (the MD10 row), and, for values inside a parsed message, one load with
 * the point squeezed out by arithmetic (2.5 % slower on NewOrderSingle,
 * 5.8 % on ExecutionReport, 9 % in typed_read/ER, 2026-12-04): its chain
 * of three multiplies is longer than the loop's, and prices are short. */
int fixgw_to_decimal(const char *s, size_t n, fixgw_decimal_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  size_t i = n && s[0] == '-';
  if (FIXGW_UNLIKELY(n - i > 18 || n == i)) return fixgw__to_decimal_ref(s, n, out);
  int rc = fixgw__decimal_digits(s + i, (uint32_t)(n - i), out);
  if (rc == 0 && i) out->mant = -out->mant;
  return rc;
}

int fixgw_to_char(const char *s, size_t n, char *out) {
  if (!s || !out) return FIXGW_EINVAL;
  if (n != 1 || s[0] == FIXGW_SOH) return FIXGW_EFORMAT;
  *out = s[0];
  return 0;
}

int fixgw_to_bool(const char *s, size_t n, bool *out) {
  if (!s || !out) return FIXGW_EINVAL;
  if (n != 1 || (s[0] != 'Y' && s[0] != 'N')) return FIXGW_EFORMAT;
  *out = s[0] == 'Y';
  return 0;
}

/* Fixed-width digit groups; *bad collects non-digits. */
static inline unsigned dd(const char *s, unsigned *bad) {
  unsigned a = (unsigned)(unsigned char)s[0] - '0', b = (unsigned)(unsigned char)s[1] - '0';
  *bad |= (a > 9) | (b > 9);
  return a * 10 + b;
}

static int is_leap(int32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int32_t y, unsigned m) {
  static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

int64_t fixgw_days_from_civil(int32_t y, unsigned m, unsigned d) {
  /* Shift the year to start in March so the leap day is last; then count
   * whole 400-year eras (146097 days each) and days within the era. */
  int64_t yy = (int64_t)y - (m <= 2);
  int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
  int64_t yoe = yy - era * 400;                                 /* [0, 399] */
  int64_t mp = (m + 9) % 12;                                    /* March = 0 */
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;            /* [0, 365] */
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
  return era * 146097 + doe - 719468;                           /* 1970-03-01 shift */
}

/* "YYYYMMDD" (need_day: 8 bytes readable at s, one word) or "YYYYMM". */
static int ymd(const char *s, fixgw_date_t *out, int need_day) {
  int32_t y;
  unsigned m, d = 0;
  if (need_day) {
    uint64_t v;
    if (fixgw__digits_swar(fixgw__load_le64(s), 8, &v)) return FIXGW_EFORMAT;
    y = (int32_t)(v / 10000);
    m = (unsigned)(v / 100 % 100);
    d = (unsigned)(v % 100);
  } else {
    unsigned bad = 0;
    y = (int32_t)(dd(s, &bad) * 100 + dd(s + 2, &bad));
    m = dd(s + 4, &bad);
    if (bad) return FIXGW_EFORMAT;
  }
  if (m < 1 || m > 12) return FIXGW_ERANGE;
  if (need_day && (d < 1 || d > days_in_month(y, m))) return FIXGW_ERANGE;
  out->year = y;
  out->month = (uint8_t)m;
  out->day = (uint8_t)d;
  out->week = 0;
  return 0;
}

int fixgw_to_date(const char *s, size_t n, fixgw_date_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  if (n != 8) return FIXGW_EFORMAT;
  return ymd(s, out, 1);
}

int fixgw_to_month_year(const char *s, size_t n, fixgw_date_t *out) {
  if (!s || !out) return FIXGW_EINVAL;
  if (n == 6) return ymd(s, out, 0);
  if (n != 8) return FIXGW_EFORMAT;
  if (s[6] == 'w') {
    int rc = ymd(s, out, 0);
    if (rc) return rc;
    unsigned w = (unsigned)(unsigned char)s[7] - '0';
    if (w > 9) return FIXGW_EFORMAT;
    if (w < 1 || w > 5) return FIXGW_ERANGE;
    out->week = (uint8_t)w;
    return 0;
  }
  return ymd(s, out, 1);
}

/* "HH:MM:SS[.fff|.ffffff|.fffffffff]" -> ns since midnight. The time with
 * its colons made '0' reads as the number HH*10^6 + MM*10^3 + SS; the
 * fraction comes from the last 8 bytes with those before it made '0'. No
 * byte outside s[0..n) is read. */
static int hms(const char *s, size_t n, int64_t *ns) {
  if (n != 8 && n != 12 && n != 15 && n != 18) return FIXGW_EFORMAT;
  uint64_t t = fixgw__load_le64(s), v, frac = 0;
  if (((t >> 16) & 0xFF) != ':' || ((t >> 40) & 0xFF) != ':') return FIXGW_EFORMAT;
  t ^= ((uint64_t)(':' ^ '0') << 16) | ((uint64_t)(':' ^ '0') << 40);
  if (fixgw__digits_swar(t, 8, &v)) return FIXGW_EFORMAT;
  if (n > 8) {
    unsigned k = (unsigned)(n - 9); /* 3, 6 or 9 fraction digits */
    if (s[8] != '.') return FIXGW_EFORMAT;
    uint64_t f = fixgw__load_le64(s + n - 8);
    unsigned take = k < 8 ? k : 8;
    uint64_t pre = fixgw__low_bytes(8 - take);
    f = (f & ~pre) | (ZEROS & pre);
    if (fixgw__digits_swar(f, 8, &frac)) return FIXGW_EFORMAT;
    if (k == 9) {
      uint64_t hi = (uint64_t)(unsigned char)s[9] - '0';
      if (hi > 9) return FIXGW_EFORMAT;
      frac += hi * 100000000;
    } else {
      frac *= k == 6 ? 1000 : 1000000;
    }
  }
  unsigned h = (unsigned)(v / 1000000), mi = (unsigned)(v / 1000 % 1000), se = (unsigned)(v % 1000);
  if (h > 23 || mi > 59 || se > 60) return FIXGW_ERANGE;
  if (se == 60) { /* leap second: clamp to the last representable instant */
    se = 59;
    frac = 999999999;
  }
  *ns = ((int64_t)h * 3600 + mi * 60 + se) * 1000000000LL + (int64_t)frac;
  return 0;
}

int fixgw_to_timeonly(const char *s, size_t n, int64_t *ns) {
  if (!s || !ns) return FIXGW_EINVAL;
  return hms(s, n, ns);
}

/* The reference: date and time by their own conversions, each error
 * classified. fixgw_to_timestamp answers every well-formed, in-range value
 * itself and hands everything else (errors, leap seconds) to this. */
int fixgw__to_timestamp_ref(const char *s, size_t n, int64_t *ns) {
  if (!s || !ns) return FIXGW_EINVAL;
  if (n < 17 || s[8] != '-') return FIXGW_EFORMAT;
  fixgw_date_t d = {0, 0, 0, 0}; /* read only when ymd succeeded */
  int64_t t = 0;
  int rd = ymd(s, &d, 1), rt = hms(s + 9, n - 9, &t);
  if (rd == FIXGW_EFORMAT || rt == FIXGW_EFORMAT) return FIXGW_EFORMAT;
  if (rd) return rd;
  if (rt) return rt;
  int64_t days = fixgw_days_from_civil(d.year, d.month, d.day);
  /* Years 0000..9999 do not all fit in int64 ns (about +-292 years of the
   * epoch do): refuse what would overflow. */
  if (days > 106751 || days < -106751) return FIXGW_ERANGE;
  /* 2262-04-11 ends at INT64_MAX ns, 23:47:16.854775807. */
  if (days == 106751 && t > INT64_MAX - 106751 * 86400000000000LL) return FIXGW_ERANGE;
  *ns = days * 86400000000000LL + t;
  return 0;
}

/* Eight digits of w (byte 0 first) made into four two-digit values, one in
 * the low byte of each 16-bit lane: lane k holds digits 2k and 2k+1.
 * 0 and *pairs, or -1 if a byte is no digit. */
static inline int pairs8(uint64_t w, uint64_t *pairs) {
  uint64_t d = w - ZEROS;
  if ((d | (d + 0x7676767676767676ULL)) & HIGHS) return -1;
  *pairs = d * 10 + (d >> 8); /* byte k: digit k * 10 + digit k+1, at most 99 */
  return 0;
}

/* Days before the first of month m (1..12) counted from March 1, the year
 * shifted to start in March so the leap day comes last. */
static const uint16_t days_before_from_march[12] = {306, 337, 0,   31,  61,  92,
                                                    122, 153, 184, 214, 245, 275};

/* The fields of a timestamp (n >= 17, s[8] == '-') when its syntax is
 * plain: 0 and the date and time pairs (see pairs8) and, with want_frac,
 * the fraction in ns, or -1 for anything else (then the reference
 * decides). Without want_frac (a check: constant at each call) the
 * fraction's digits are only tested, not converted; o->frac is 0. */
typedef struct ts_parts {
  unsigned y, m, d, h, mi, se;
  uint64_t frac;
} ts_parts_t;

/* The time of day and fraction of a timestamp (n >= 17): o->h, mi, se and
 * frac as ts_split gives them, or -1. */
static inline __attribute__((always_inline)) int ts_time(const char *s, size_t n, ts_parts_t *o,
                                                        int want_frac) {
  uint64_t tp, t = fixgw__load_le64(s + 9), frac = 0;
  const uint64_t colons = ((uint64_t)':' << 16) | ((uint64_t)':' << 40);
  const uint64_t cmask = 0xFF0000FF0000ULL;
  if (FIXGW_UNLIKELY((t & cmask) != colons)) return -1;
  if (FIXGW_UNLIKELY(pairs8(t ^ (colons ^ (ZEROS & cmask)), &tp))) return -1;
  if (n > 17) {
    uint64_t f;
    /* The fraction's last 8 bytes, those before its first digit made '0'. */
    if (n == 21) {
      f = (fixgw__load_le64(s + 13) & ~0xFFFFFFFFFFULL) | (ZEROS & 0xFFFFFFFFFFULL);
    } else if (n == 24) {
      f = (fixgw__load_le64(s + 16) & ~0xFFFFULL) | (ZEROS & 0xFFFFULL);
    } else if (n == 27) {
      f = fixgw__load_le64(s + 19);
    } else {
      return -1;
    }
    if (FIXGW_UNLIKELY(s[17] != '.')) return -1;
    if (!want_frac) {
      uint64_t d = f - ZEROS;
      if (FIXGW_UNLIKELY(((d | (d + 0x7676767676767676ULL)) & HIGHS) ||
                         (n == 27 && (unsigned)(unsigned char)s[18] - '0' > 9)))
        return -1;
    } else if (FIXGW_UNLIKELY(fixgw__digits_swar(f, 8, &frac))) {
      return -1;
    } else if (n == 27) {
      unsigned hi = (unsigned)(unsigned char)s[18] - '0';
      if (FIXGW_UNLIKELY(hi > 9)) return -1;
      frac += (uint64_t)hi * 100000000u;
    } else {
      frac *= n == 24 ? 1000u : 1000000u;
    }
  }
  o->h = (unsigned)(tp & 0xFF);
  o->mi = (unsigned)((tp >> 24) & 0xFF);
  o->se = (unsigned)((tp >> 48) & 0xFF);
  o->frac = frac;
  return 0;
}

static inline __attribute__((always_inline)) int ts_split(const char *s, size_t n, ts_parts_t *o,
                                                         int want_frac) {
  uint64_t dp;
  if (FIXGW_UNLIKELY(ts_time(s, n, o, want_frac) || pairs8(fixgw__load_le64(s), &dp))) return -1;
  o->y = (unsigned)(dp & 0xFF) * 100 + (unsigned)((dp >> 16) & 0xFF);
  o->m = (unsigned)((dp >> 32) & 0xFF);
  o->d = (unsigned)((dp >> 48) & 0xFF);
  return 0;
}

/* A real calendar date and time of day, seconds up to max_se. */
static inline int ts_in_range(const ts_parts_t *t, unsigned max_se) {
  if (FIXGW_LIKELY(t->m - 1 <= 11 && t->d - 1 <= 27 && t->h <= 23 && t->mi <= 59 &&
                   t->se <= max_se))
    return 1;
  /* Days 29..31 need the month's length; the rest is an error. */
  return t->m - 1 <= 11 && t->d != 0 && t->d <= days_in_month((int32_t)t->y, t->m) &&
         t->h <= 23 && t->mi <= 59 && t->se <= max_se;
}

/* The date fixgw_to_timestamp last converted, per thread, as its eight
 * bytes and its midnight in ns: a session's SendingTime and TransactTime
 * share one date all day, so the date is one word compare instead of a
 * conversion. It starts as 19700101, day 0, a real date: no flag. */
static _Thread_local uint64_t ts_day_word = 0x3130313030373931ULL; /* "19700101" */
static _Thread_local int64_t ts_day_ns = 0;

/* ns since midnight of t's time of day. */
static inline int64_t ts_tod_ns(const ts_parts_t *t) {
  return (int64_t)((t->h * 3600u + t->mi * 60u + t->se) * 1000000000ULL + t->frac);
}

/* "YYYYMMDD-HH:MM:SS[.fff|.ffffff|.fffffffff]" in word-wide steps: two
 * loads give all eight date and six time digits, each validated and paired
 * in a few operations (the date only when it is not ts_day_word's); the
 * day count is straight-line unsigned arithmetic on years 0..9999 (no
 * eras). Any value it does not accept at once (malformed, out of range, a
 * leap second) takes the reference, which classifies it, so both answer
 * every input alike. */
int fixgw_to_timestamp(const char *s, size_t n, int64_t *ns) {
  if (!s || !ns) return FIXGW_EINVAL;
  if (FIXGW_UNLIKELY(n < 17 || s[8] != '-')) return FIXGW_EFORMAT;
  ts_parts_t t;
  const uint64_t dw = fixgw__load_le64(s);
  if (FIXGW_LIKELY(dw == ts_day_word)) {
    if (FIXGW_UNLIKELY(ts_time(s, n, &t, 1) || t.h > 23 || t.mi > 59 || t.se > 59))
      return fixgw__to_timestamp_ref(s, n, ns);
    *ns = ts_day_ns + ts_tod_ns(&t);
    return 0;
  }
  if (FIXGW_UNLIKELY(ts_split(s, n, &t, 1) || !ts_in_range(&t, 59)))
    return fixgw__to_timestamp_ref(s, n, ns);
  /* Days since 0000-03-01 of a year shifted to start in March, plus 400
   * years so it stays unsigned, minus the same at the end. */
  unsigned yy = t.y + 400 - (t.m <= 2);
  int64_t days = (int64_t)(yy * 365u + yy / 4 - yy / 100 + yy / 400 +
                           days_before_from_march[t.m - 1] + t.d - 1) -
                 (719468 + 146097);
  /* The last day in range is partly out of it: the reference decides. */
  if (FIXGW_UNLIKELY(days >= 106751 || days < -106751)) return fixgw__to_timestamp_ref(s, n, ns);
  ts_day_word = dw;
  ts_day_ns = days * 86400000000000LL;
  *ns = ts_day_ns + ts_tod_ns(&t);
  return 0;
}

/* The check's own last good date, per thread, like ts_day_word (years
 * 0000-9999 all pass here, so it cannot share that one). */
static _Thread_local uint64_t ts_check_day_word = 0x3130313030373931ULL; /* "19700101" */

int fixgw__timestamp_check(const char *s, size_t n) {
  if (n < 17 || s[8] != '-') return FIXGW_EFORMAT;
  ts_parts_t t;
  const uint64_t dw = fixgw__load_le64(s);
  if (FIXGW_LIKELY(dw == ts_check_day_word)) {
    if (FIXGW_LIKELY(ts_time(s, n, &t, 0) == 0 && t.h <= 23 && t.mi <= 59 && t.se <= 60))
      return 0;
  } else if (FIXGW_LIKELY(ts_split(s, n, &t, 0) == 0 && ts_in_range(&t, 60))) {
    ts_check_day_word = dw;
    return 0;
  }
  fixgw_date_t d;
  int64_t tod;
  int rc = fixgw_to_date(s, 8, &d);
  return rc ? rc : fixgw_to_timeonly(s + 9, n - 9, &tod);
}

/* Sequence numbers and counts: up to 8 digits in one word. */
int fixgw__uint_padded(const char *s, size_t n, uint64_t *out) {
  uint64_t v;
  if (n - 1 < 8) {
    if (fixgw__digits_swar(fixgw__load_le64(s), (unsigned)n, &v)) return FIXGW_EFORMAT;
    *out = v;
    return 0;
  }
  return fixgw_to_uint(s, n, out);
}

int fixgw__int_padded(const char *s, size_t n, int64_t *out) {
  int neg = n > 0 && s[0] == '-';
  if (n - (size_t)neg == 0 || n - (size_t)neg > 8) return fixgw_to_int(s, n, out);
  uint64_t v;
  if (fixgw__digits_swar(fixgw__load_le64(s + neg), (unsigned)(n - (size_t)neg), &v)) return FIXGW_EFORMAT;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return 0;
}

int fixgw_decimal_to_scaled(fixgw_decimal_t d, int scale, int64_t *out) {
  if (!out) return FIXGW_EINVAL;
  int64_t shift = (int64_t)d.exp + scale;
  int64_t v = d.mant;
  if (v == 0) {
    *out = 0;
    return 0;
  }
  if (shift >= 0) {
    for (int64_t i = 0; i < shift; i++) {
      if (v > INT64_MAX / 10 || v < INT64_MIN / 10) return FIXGW_ERANGE;
      v *= 10;
    }
  } else {
    for (int64_t i = 0; i < -shift; i++) {
      if (v % 10 != 0) return FIXGW_ERANGE;
      v /= 10;
      if (v == 0) break;
    }
  }
  *out = v;
  return 0;
}

int fixgw_decimal_cmp(fixgw_decimal_t a, fixgw_decimal_t b) {
  if ((a.mant < 0) != (b.mant < 0) || a.mant == 0 || b.mant == 0)
    return (a.mant > b.mant) - (a.mant < b.mant);
  /* Same sign, both non-zero: bring to the smaller exponent, carefully. */
  __int128 x = a.mant, y = b.mant;
  int32_t e = a.exp < b.exp ? a.exp : b.exp;
  for (int32_t i = e; i < a.exp; i++) {
    if (x > ((__int128)1 << 120) || x < -((__int128)1 << 120))
      return a.mant > 0 ? 1 : -1; /* a's magnitude is astronomically larger */
    x *= 10;
  }
  for (int32_t i = e; i < b.exp; i++) {
    if (y > ((__int128)1 << 120) || y < -((__int128)1 << 120)) return a.mant > 0 ? -1 : 1;
    y *= 10;
  }
  return (x > y) - (x < y);
}

double fixgw_decimal_to_double(fixgw_decimal_t d) {
  /* mant and 10^|exp| both exact in a double: one IEEE operation rounds
   * the true value correctly. */
  static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  const int64_t exact = (int64_t)1 << 53;
  if (d.mant > -exact && d.mant < exact && d.exp >= -22 && d.exp <= 22)
    return d.exp >= 0 ? (double)d.mant * p10[d.exp] : (double)d.mant / p10[-d.exp];
  /* Slow path: mant rounded once to a double, then scaled by 10^22 steps
   * (each exact as a double) and one last power: a rounding per step, so
   * within 2 ulp for |exp| <= 44 (tests/codec/test_convert.c checks it
   * against strtod). */
  double v = (double)d.mant;
  int32_t e = d.exp;
  while (e > 22) {
    v *= p10[22];
    e -= 22;
  }
  while (e < -22) {
    v /= p10[22];
    e += 22;
  }
  return e >= 0 ? v * p10[e] : v / p10[-e];
}
