/* The encoder: appends fields into a caller buffer, then lays the header
 * right-aligned in front of the body (so no body byte moves) and writes
 * the trailer. Errors are sticky; nothing is written past buf[cap). */
#include <string.h>

#include "codec_internal.h"

static const char pairs2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

void fixgw__put_digits(char *out, uint64_t v, unsigned d) {
  char *p = out + d;
  while (v >= 100) {
    unsigned r = (unsigned)(v % 100);
    v /= 100;
    p -= 2;
    memcpy(p, pairs2 + 2 * r, 2);
  }
  if (v >= 10) {
    p -= 2;
    memcpy(p, pairs2 + 2 * v, 2);
  } else {
    *--p = (char)('0' + v);
  }
  /* Zero-fill what a wider fixed width asks for (timestamps). */
  while (p > out) *--p = '0';
}

/* Tags, sequence numbers, prices and quantities are mostly below 10^8:
 * these inline at every call site as a few compares; larger values take
 * the general loop. */
static inline unsigned ndigits(uint64_t v) {
  return v < 100000000 ? fixgw__enc_ndigits8(v) : fixgw__digits_u64(v);
}

/* Write v in d digits at out, like put_digits, for a place where 8 bytes
 * may be written and those past the d digits are written again later
 * (a value followed by its SOH and the trailer's reserve). */
static inline void put_digits_wide(char *out, uint64_t v, unsigned d) {
  if (FIXGW_LIKELY(v < 100000000 && d <= 8)) {
    fixgw__store_le64(out, fixgw__enc_text8(v) >> (8 * (8 - d)));
    return;
  }
  fixgw__put_digits(out, v, d);
}

static inline void put_digits(char *out, uint64_t v, unsigned d) {
  if (v < 10000 && d <= 4) {
    unsigned hi = (unsigned)v / 100, lo = (unsigned)v % 100;
    switch (d) {
      case 4:
        memcpy(out, pairs2 + 2 * hi, 2);
        memcpy(out + 2, pairs2 + 2 * lo, 2);
        return;
      case 3:
        out[0] = (char)('0' + hi);
        memcpy(out + 1, pairs2 + 2 * lo, 2);
        return;
      case 2:
        memcpy(out, pairs2 + 2 * lo, 2);
        return;
      default:
        out[0] = (char)('0' + lo);
        return;
    }
  }
  fixgw__put_digits(out, v, d);
}

static int fail(fixgw_encoder_t *e, int rc) {
  if (!e->err) e->err = rc;
  return e->err;
}

int fixgw_enc_begin(fixgw_encoder_t *e, char *buf, size_t cap,
                    const char *begin_string, const char *msgtype) {
  if (!e) return FIXGW_EINVAL;
  memset(e, 0, sizeof *e);
  if (!buf || !begin_string || !msgtype) return fail(e, FIXGW_EINVAL);
  /* Lengths and the SOH check in one pass over these few bytes (no
   * library calls): each scan stops at the first NUL or SOH, and a
   * BeginString's after 9 bytes, past which it is too long anyway. */
  size_t bl = 0, ml = 0;
  while (bl <= 8 && (unsigned char)begin_string[bl] > 1) bl++;
  if (bl == 0 || bl > 8 || begin_string[bl] != '\0') return fail(e, FIXGW_EINVAL);
  while ((unsigned char)msgtype[ml] > 1) ml++;
  if (ml == 0 || msgtype[ml] != '\0') return fail(e, FIXGW_EINVAL);
  e->buf = buf;
  e->cap = cap;
  e->bs_ = begin_string;
  e->bs_len_ = (uint8_t)bl;
  e->scan_ = (uint8_t)fixgw_scan_impl_best();
  e->pos = FIXGW_ENC_HEADROOM;
  if (cap < FIXGW_ENC_HEADROOM + 3 + ml + 1 + FIXGW_ENC_TRAILER)
    return fail(e, FIXGW_ENOSPC);
  char *p = buf + e->pos;
  memcpy(p, "35=", 3);
  if (ml <= 2) {
    /* "D", "8", "AE": no call for a copy this short. */
    p[3] = msgtype[0];
    p[3 + ml - 1] = msgtype[ml - 1];
  } else {
    memcpy(p + 3, msgtype, ml);
  }
  p[3 + ml] = FIXGW_SOH;
  e->pos += 3 + ml + 1;
  return 0;
}

/* Reserve room for "tag=" + vlen value bytes + SOH, keeping the trailer's
 * room free; write "tag=" and return where the value goes, or NULL. */
static inline __attribute__((always_inline)) char *field_open(fixgw_encoder_t *e, uint32_t tag,
                                                             size_t vlen) {
  if (FIXGW_UNLIKELY(e->err)) return NULL;
  if (FIXGW_UNLIKELY(tag == 0 || tag > FIXGW_TAG_MAX)) {
    fail(e, FIXGW_EINVAL);
    return NULL;
  }
  unsigned td = ndigits(tag);
  size_t need = td + 1 + vlen + 1;
  if (FIXGW_UNLIKELY(vlen > e->cap || e->cap - e->pos < need + FIXGW_ENC_TRAILER)) {
    fail(e, FIXGW_ENOSPC);
    return NULL;
  }
  char *p = e->buf + e->pos;
  put_digits(p, tag, td);
  p[td] = '=';
  e->pos += need;
  p[need - 1] = FIXGW_SOH;
  return p + td + 1;
}


int fixgw__enc_str(fixgw_encoder_t *e, uint32_t tag, const char *s, size_t n) {
  if (!e) return FIXGW_EINVAL;
  if (e->err) return e->err;
  if (!s || n == 0) return fail(e, FIXGW_EINVAL);
  if (n <= 16) {
    /* IDs, symbols, accounts: the bytes in two words read inside s (they
     * overlap below 16), checked for SOH and stored as words; below 8,
     * one word (zero past n) whose extra bytes the SOH and the trailer's
     * reserve cover. */
    uint64_t a, b = 0;
    if (n >= 8) {
      a = fixgw__load_le64(s);
      b = fixgw__load_le64(s + n - 8);
    } else if (n >= 4) {
      a = fixgw__load_le32(s) | (fixgw__load_le32(s + n - 4) << (8 * (n - 4)));
    } else {
      a = (uint64_t)(unsigned char)s[0] | ((uint64_t)(unsigned char)s[n >> 1] << (8 * (n >> 1))) |
          ((uint64_t)(unsigned char)s[n - 1] << (8 * (n - 1)));
    }
    if (fixgw__enc_has_soh(a) || fixgw__enc_has_soh(b)) return fail(e, FIXGW_EINVAL);
    char *v = field_open(e, tag, n);
    if (!v) return e->err;
    if (n >= 8) {
      fixgw__store_le64(v, a);
      fixgw__store_le64(v + n - 8, b);
    } else {
      fixgw__store_le64(v, a);
      v[n] = FIXGW_SOH;
    }
    return 0;
  }
  if (memchr(s, FIXGW_SOH, n)) return fail(e, FIXGW_EINVAL);
  char *v = field_open(e, tag, n);
  if (!v) return e->err;
  memcpy(v, s, n);
  return 0;
}

int fixgw__enc_cstr(fixgw_encoder_t *e, uint32_t tag, const char *s) {
  if (!e) return FIXGW_EINVAL;
  if (!s) return fail(e, FIXGW_EINVAL);
  return fixgw__enc_str(e, tag, s, strlen(s));
}

int fixgw__enc_uint(fixgw_encoder_t *e, uint32_t tag, uint64_t v) {
  if (!e) return FIXGW_EINVAL;
  unsigned d = ndigits(v);
  char *p = field_open(e, tag, d);
  if (!p) return e->err;
  put_digits_wide(p, v, d);
  p[d] = FIXGW_SOH;
  return 0;
}

int fixgw__enc_int(fixgw_encoder_t *e, uint32_t tag, int64_t v) {
  if (!e) return FIXGW_EINVAL;
  uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  unsigned d = ndigits(mag);
  unsigned neg = v < 0;
  char *p = field_open(e, tag, d + neg);
  if (!p) return e->err;
  if (neg) *p++ = '-';
  put_digits_wide(p, mag, d);
  p[d] = FIXGW_SOH;
  return 0;
}

/* Bytes the text of dec takes (exp in -18..18): mant then exp zeros, or
 * the digits zero-padded to at least one before the point. */
static inline size_t decimal_len(fixgw_decimal_t dec, uint64_t *mag_out, unsigned *d_out) {
  uint64_t mag = dec.mant < 0 ? (uint64_t)0 - (uint64_t)dec.mant : (uint64_t)dec.mant;
  unsigned neg = dec.mant < 0;
  unsigned d = ndigits(mag);
  *mag_out = mag;
  *d_out = d;
  if (dec.exp >= 0) return neg + d + (unsigned)dec.exp;
  unsigned frac = (unsigned)-dec.exp;
  return neg + (d > frac ? d : frac + 1) + 1;
}

/* Write dec's text (decimal_len bytes) at p, where 8 bytes more may be
 * written (they are written again after). */
static inline void decimal_put(char *p, fixgw_decimal_t dec, uint64_t mag, unsigned d) {
  if (dec.mant < 0) *p++ = '-';
  if (FIXGW_LIKELY(mag < 100000000)) {
    if (dec.exp == 0) {
      fixgw__store_le64(p, fixgw__enc_text8(mag) >> (8 * (8 - d)));
      return;
    }
    unsigned frac = (unsigned)-dec.exp, width = d > frac ? d : frac + 1;
    if (dec.exp < 0 && width <= 7) {
      /* The width digits, then those after the point move up a byte. */
      uint64_t x = fixgw__enc_text8(mag) >> (8 * (8 - width));
      unsigned k = width - frac;
      uint64_t lo = ((uint64_t)1 << (8 * k)) - 1; /* k <= 6 */
      fixgw__store_le64(p, (x & lo) | ((x & ~lo) << 8) | ((uint64_t)'.' << (8 * k)));
      return;
    }
  }
  if (dec.exp >= 0) {
    /* mant followed by exp zeros; integers need no point. */
    put_digits(p, mag, d);
    memset(p + d, '0', (size_t)dec.exp);
    return;
  }
  unsigned frac = (unsigned)-dec.exp;
  unsigned width = d > frac ? d : frac + 1; /* at least one digit before '.' */
  /* Digits zero-padded to width, then the fraction moves one to the
   * right to make room for the point (a few bytes: no library call). */
  put_digits(p, mag, width);
  for (unsigned k = width; k > width - frac; k--) p[k] = p[k - 1];
  p[width - frac] = '.';
}

int fixgw__enc_decimal(fixgw_encoder_t *e, uint32_t tag, fixgw_decimal_t dec) {
  if (!e) return FIXGW_EINVAL;
  if (dec.exp > 18 || dec.exp < -18) return fail(e, FIXGW_EINVAL);
  uint64_t mag;
  unsigned d;
  size_t n = decimal_len(dec, &mag, &d);
  char *p = field_open(e, tag, n);
  if (!p) return e->err;
  decimal_put(p, dec, mag, d);
  p[n] = FIXGW_SOH;
  return 0;
}

int fixgw__enc_char(fixgw_encoder_t *e, uint32_t tag, char c) {
  if (!e) return FIXGW_EINVAL;
  if (c == FIXGW_SOH || c == 0) return fail(e, FIXGW_EINVAL);
  char *p = field_open(e, tag, 1);
  if (!p) return e->err;
  *p = c;
  return 0;
}

void fixgw_civil_from_days(int64_t days, fixgw_date_t *out) {
  /* The inverse of fixgw_days_from_civil: whole 400-year eras, then the
   * year, day and month within the era counted from March. */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
  out->day = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
  out->month = (uint8_t)m;
  out->year = (int32_t)(yoe + era * 400 + (m <= 2));
  out->week = 0;
}

static int valid_prec(fixgw_ts_precision prec) {
  return prec == FIXGW_TS_SECONDS || prec == FIXGW_TS_MILLIS || prec == FIXGW_TS_MICROS ||
         prec == FIXGW_TS_NANOS;
}

/* "YYYYMMDD" at p (8 bytes). */
static inline void put_date(char *p, const fixgw_date_t *d) {
  put_digits(p, (uint64_t)d->year, 4);
  put_digits(p + 4, d->month, 2);
  put_digits(p + 6, d->day, 2);
}

/* Bytes "HH:MM:SS[.f...]" takes at precision prec. */
static inline unsigned time_len(fixgw_ts_precision prec) {
  return 8 + (prec ? 1 + (unsigned)prec : 0);
}

/* "HH:MM:SS[.f...]" at p for ns since midnight (see fixgw__enc_put_time:
 * up to 8 bytes past the text are written). */
static inline void put_time(char *p, int64_t ns, fixgw_ts_precision prec) {
  fixgw__enc_put_time(p, (uint64_t)ns, (unsigned)prec);
}

/* A thread's timestamps nearly all fall on one day (SendingTime,
 * TransactTime, the next message's): the day's "YYYYMMDD" is kept per
 * thread and converted again only when the day changes. Per thread, so
 * encoders on other threads never race on it; -1 is no day yet. */
static _Thread_local int64_t date_day = -1;
static _Thread_local char date_text[8];

const char *fixgw__enc_day_text(int64_t days) {
  if (FIXGW_UNLIKELY(days != date_day)) {
    fixgw_date_t d;
    fixgw_civil_from_days(days, &d);
    if (d.year > 9999) return NULL;
    put_date(date_text, &d);
    date_day = days;
  }
  return date_text;
}

int fixgw__enc_timestamp(fixgw_encoder_t *e, uint32_t tag, int64_t ns,
                         fixgw_ts_precision prec) {
  if (!e) return FIXGW_EINVAL;
  if (ns < 0 || !valid_prec(prec)) return fail(e, FIXGW_EINVAL);
  const int64_t day_ns = 86400LL * 1000000000LL;
  int64_t days = ns / day_ns;
  const char *date = fixgw__enc_day_text(days);
  if (!date) return fail(e, FIXGW_EINVAL);
  unsigned n = 9 + time_len(prec);
  char *p = field_open(e, tag, n);
  if (!p) return e->err;
  memcpy(p, date, 8);
  p[8] = '-';
  put_time(p + 9, ns - days * day_ns, prec);
  p[n] = FIXGW_SOH;
  return 0;
}

int fixgw_enc_date(fixgw_encoder_t *e, uint32_t tag, fixgw_date_t d) {
  if (!e) return FIXGW_EINVAL;
  if (d.year < 0 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
    return fail(e, FIXGW_EINVAL);
  char *p = field_open(e, tag, 8);
  if (!p) return e->err;
  put_date(p, &d);
  return 0;
}

int fixgw_enc_timeonly(fixgw_encoder_t *e, uint32_t tag, int64_t ns,
                       fixgw_ts_precision prec) {
  if (!e) return FIXGW_EINVAL;
  if (ns < 0 || ns >= 86400LL * 1000000000LL || !valid_prec(prec))
    return fail(e, FIXGW_EINVAL);
  unsigned n = time_len(prec);
  char *p = field_open(e, tag, n);
  if (!p) return e->err;
  put_time(p, ns, prec);
  p[n] = FIXGW_SOH;
  return 0;
}

int fixgw_enc_data(fixgw_encoder_t *e, uint32_t len_tag, uint32_t data_tag,
                   const void *data, size_t n) {
  if (!e) return FIXGW_EINVAL;
  if (e->err) return e->err;
  if (!data || n == 0) return fail(e, FIXGW_EINVAL);
  int rc = fixgw__enc_uint(e, len_tag, n);
  if (rc) return rc;
  char *v = field_open(e, data_tag, n);
  if (!v) return e->err;
  memcpy(v, data, n);
  return 0;
}

int fixgw_enc_finish(fixgw_encoder_t *e, const char **out, size_t *outlen) {
  if (!e || !out || !outlen) return FIXGW_EINVAL;
  if (e->err) return e->err;
  size_t body = e->pos - FIXGW_ENC_HEADROOM;
  unsigned bd = ndigits(body);
  if (bd > 7) return fail(e, FIXGW_ENOSPC);
  size_t hdr = 2 + e->bs_len_ + 1 + 2 + bd + 1;
  char *start = e->buf + FIXGW_ENC_HEADROOM - hdr;
  char *p = start;
  memcpy(p, "8=", 2);
  memcpy(p + 2, e->bs_, e->bs_len_);
  p += 2 + e->bs_len_;
  *p++ = FIXGW_SOH;
  memcpy(p, "9=", 2);
  put_digits(p + 2, body, bd);
  p[2 + bd] = FIXGW_SOH;
  size_t len = hdr + body;
  unsigned cs = (unsigned)(fixgw__sum((fixgw_scan_impl)e->scan_, start, len) & 0xFF);
  char *t = e->buf + e->pos; /* field_open kept these 7 bytes free */
  memcpy(t, "10=", 3);
  put_digits(t + 3, cs, 3);
  t[6] = FIXGW_SOH;
  e->pos += FIXGW_ENC_TRAILER;
  e->err = FIXGW_ESTATE; /* spent: a second finish or append would corrupt it */
  *out = start;
  *outlen = len + FIXGW_ENC_TRAILER;
  return 0;
}

/* ------------------------------------------------------------- groups */

/* Digits reserved for a count: any uint32_t. */
#define GROUP_DIGITS 10u

int fixgw_enc_group_begin(fixgw_encoder_t *e, fixgw_enc_group_t *g, uint32_t count_tag,
                          uint32_t delim_tag) {
  if (!e) return FIXGW_EINVAL;
  if (e->err) return e->err;
  if (!g || delim_tag == 0 || delim_tag > FIXGW_TAG_MAX) return fail(e, FIXGW_EINVAL);
  char *v = field_open(e, count_tag, GROUP_DIGITS);
  if (!v) return e->err;
  g->count = 0;
  g->delim_ = delim_tag;
  g->val_ = (size_t)(v - e->buf);
  g->entry_ = 0;
  return 0;
}

/* Does the entry begun at g->entry_ hold a field, the delimiter first? */
static int entry_ok(const fixgw_encoder_t *e, const fixgw_enc_group_t *g) {
  if (g->entry_ == 0) return 1; /* none begun yet */
  char t[12];
  unsigned td = ndigits(g->delim_);
  put_digits(t, g->delim_, td);
  t[td] = '=';
  return e->pos - g->entry_ > td + 1 && memcmp(e->buf + g->entry_, t, td + 1) == 0;
}

int fixgw_enc_group_entry(fixgw_encoder_t *e, fixgw_enc_group_t *g) {
  if (!e) return FIXGW_EINVAL;
  if (e->err) return e->err;
  if (!g || g->val_ == 0 || g->count == UINT32_MAX || !entry_ok(e, g))
    return fail(e, FIXGW_EINVAL);
  g->entry_ = e->pos;
  g->count++;
  return 0;
}

int fixgw_enc_group_end(fixgw_encoder_t *e, fixgw_enc_group_t *g) {
  if (!e) return FIXGW_EINVAL;
  if (e->err) return e->err;
  if (!g || g->val_ == 0 || !entry_ok(e, g)) return fail(e, FIXGW_EINVAL);
  char *v = e->buf + g->val_;
  unsigned d = ndigits(g->count);
  put_digits(v, g->count, d);
  /* The SOH after the reserved digits and every entry move left. */
  size_t from = g->val_ + GROUP_DIGITS;
  memmove(v + d, e->buf + from, e->pos - from);
  e->pos -= GROUP_DIGITS - d;
  g->val_ = 0; /* ended: a second end is an error */
  return 0;
}

/* --------------------------------------------------------- formatting */

static int put_text(char *out, size_t cap, const char *text, size_t n) {
  if (n + 1 > cap) {
    if (cap) out[0] = '\0';
    return FIXGW_ENOSPC;
  }
  memcpy(out, text, n);
  out[n] = '\0';
  return (int)n;
}

int fixgw_decimal_format(fixgw_decimal_t d, char *out, size_t cap) {
  if (!out || d.exp > 18 || d.exp < -18) return FIXGW_EINVAL;
  char tmp[FIXGW_DECIMAL_STRLEN];
  uint64_t mag;
  unsigned nd;
  size_t n = decimal_len(d, &mag, &nd);
  decimal_put(tmp, d, mag, nd);
  return put_text(out, cap, tmp, n);
}

/* Date and time of day of ns since the epoch, floor-divided so instants
 * before 1970 keep a time of day in [0, 24 h). */
static void split_ns(int64_t ns, fixgw_date_t *d, int64_t *tod) {
  const int64_t day_ns = 86400LL * 1000000000LL;
  int64_t days = ns / day_ns, rem = ns % day_ns;
  if (rem < 0) {
    rem += day_ns;
    days--;
  }
  fixgw_civil_from_days(days, d);
  *tod = rem;
}

int fixgw_timestamp_format(int64_t ns, fixgw_ts_precision prec, char *out, size_t cap) {
  if (!out || !valid_prec(prec)) return FIXGW_EINVAL;
  char tmp[FIXGW_TIMESTAMP_STRLEN];
  fixgw_date_t d;
  int64_t tod;
  split_ns(ns, &d, &tod);
  put_date(tmp, &d);
  tmp[8] = '-';
  put_time(tmp + 9, tod, prec);
  return put_text(out, cap, tmp, 9 + time_len(prec));
}

int fixgw_timestamp_format_iso8601(int64_t ns, fixgw_ts_precision prec, char *out,
                                   size_t cap) {
  if (!out || !valid_prec(prec)) return FIXGW_EINVAL;
  char tmp[FIXGW_TIMESTAMP_STRLEN];
  fixgw_date_t d;
  int64_t tod;
  split_ns(ns, &d, &tod);
  put_digits(tmp, (uint64_t)d.year, 4);
  tmp[4] = '-';
  put_digits(tmp + 5, d.month, 2);
  tmp[7] = '-';
  put_digits(tmp + 8, d.day, 2);
  tmp[10] = 'T';
  put_time(tmp + 11, tod, prec);
  size_t n = 11 + time_len(prec);
  tmp[n++] = 'Z';
  return put_text(out, cap, tmp, n);
}
