/* Codec internals shared by parse.c, encode.c and the scan kernels. */
#ifndef FIXGW_CODEC_INTERNAL_H
#define FIXGW_CODEC_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "fixgw/codec.h"

/* fixgw__load_le64, fixgw__load_le32, fixgw__store_le64 (words in text
 * order): in fixgw/codec.h, beside the inline appenders that use them. */

/*
 * A scan kernel reads p[0..n) once and
 *   - sets bit (i % 64) of mask[i / 64] for every SOH at p[i] (bits past n
 *     are zero; mask holds (n + 63) / 64 words),
 *   - returns the byte sum of p[0..n) (only its low 8 bits matter).
 * avail >= n says how many bytes from p may be read: kernels load whole
 * vectors where avail allows and fall back to a copy at the very end of
 * the host's buffer, so they never read outside it.
 */
typedef uint64_t (*fixgw__scan_fn)(const char *p, size_t n, size_t avail,
                                   uint64_t *mask);

uint64_t fixgw__scan_scalar(const char *p, size_t n, size_t avail,
                            uint64_t *mask);
#if defined(__x86_64__) || defined(__i386__)
#define FIXGW__HAVE_X86 1
uint64_t fixgw__scan_sse2(const char *p, size_t n, size_t avail,
                          uint64_t *mask);
uint64_t fixgw__scan_avx2(const char *p, size_t n, size_t avail,
                          uint64_t *mask);
#endif

/* Byte sum of p[0..n) with the best kernel for impl (no mask). */
uint64_t fixgw__sum(fixgw_scan_impl impl, const char *p, size_t n);

/* Resolve AUTO and check availability: 0 and *out, or FIXGW_ENOTSUP. */
int fixgw__scan_resolve(fixgw_scan_impl want, fixgw_scan_impl *out);
fixgw__scan_fn fixgw__scan_get(fixgw_scan_impl impl);

/* Bytes 0..k-1 of a word (k in 0..8). */
static inline uint64_t fixgw__low_bytes(unsigned k) { return k >= 8 ? ~0ULL : (1ULL << (8 * k)) - 1; }

/* The first nd bytes of w (nd in 1..8) as decimal digits, most
 * significant first: 0 and *out, or -1 if any is not '0'..'9'. A byte
 * below '0' borrows and sets a high bit; one above '9' does after + 0x76. */
static inline int fixgw__digits_swar(uint64_t w, unsigned nd, uint64_t *out) {
  uint64_t keep = fixgw__low_bytes(nd);
  uint64_t d = (w & keep) - (0x3030303030303030ULL & keep);
  if ((d | (d + (0x7676767676767676ULL & keep))) & 0x8080808080808080ULL & keep) return -1;
  uint64_t x = d << (64 - 8 * nd); /* left-pad with zero digits */
  x = x * 10 + (x >> 8);
  x = (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
       (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >> 32;
  *out = x;
  return 0;
}

/* fixgw__int_padded, fixgw__uint_padded: in
 * fixgw/codec.h, beside the getters that call them. */

/* Group walks: f[i] is an entry's delimiter; the number of fields from i
 * on, up to to, whose tags equal those `back` fields before them (i
 * counts, as the delimiter both have). */
static inline uint32_t fixgw__entry_run(const fixgw_field_t *f, uint32_t i, uint32_t to,
                                        uint32_t back) {
  const fixgw_field_t *r = f + i + 1, *const rend = f + to;
  const ptrdiff_t off = -(ptrdiff_t)back;
  while (r < rend && r->tag == r[off].tag) r++;
  return (uint32_t)(r - f) - i;
}

/* After an entry of n > 1 fields that ends at f[*i], a delimiter below
 * to: take the whole entries that follow with its tags, adding them to
 * *entries and moving *i past them. Returns 1 when they end on an
 * entry's end (the last one taken, from *i - n, may have more members),
 * 0 when inside one (*i is that entry's delimiter, for the full walk). */
static inline int fixgw__entries_repeat(const fixgw_field_t *f, uint32_t *i, uint32_t to,
                                        uint32_t n, uint32_t *entries) {
  const uint32_t run = fixgw__entry_run(f, *i, to, n), whole = run / n;
  *entries += whole;
  *i += whole * n;
  return whole * n == run;
}

/* fixgw_to_decimal's reference (a byte at a time), which it falls back to
 * for empty values and above 18 bytes, and is tested against. */
int fixgw__to_decimal_ref(const char *s, size_t n, fixgw_decimal_t *out);

/* fixgw_to_timestamp's reference (scalar, field by field), which its fast
 * path falls back to and is tested against. */
int fixgw__to_timestamp_ref(const char *s, size_t n, int64_t *ns);

/* 0 if s[0..n) is a UTCTimestamp of any year 0000-9999 (a leap second
 * 60 included), as fixgw_to_date of its date and fixgw_to_timeonly of its
 * time would both say, else their first error: the validator's check,
 * without the epoch arithmetic or its int64 range. */
int fixgw__timestamp_check(const char *s, size_t n);

/* Decimal digits of v (1 for 0). */
static inline unsigned fixgw__digits_u64(uint64_t v) {
  unsigned d = 1;
  while (v >= 10000) {
    v /= 10000;
    d += 4;
  }
  if (v >= 1000) return d + 3;
  if (v >= 100) return d + 2;
  if (v >= 10) return d + 1;
  return d;
}

/* Write v in exactly d decimal digits ending at out[d-1]. */
void fixgw__put_digits(char *out, uint64_t v, unsigned d);

#endif
