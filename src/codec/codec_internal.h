/* Codec internals shared by parse.c, encode.c and the scan kernels. */
#ifndef FIXGW_CODEC_INTERNAL_H
#define FIXGW_CODEC_INTERNAL_H

#include <stdint.h>

#include "fixgw/codec.h"

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

/* fixgw_to_decimal / fixgw_to_int for a value with at least 8 readable
 * bytes from s (true inside a parsed frame, see access.c). */
int fixgw__decimal_padded(const char *s, size_t n, fixgw_decimal_t *out);
int fixgw__int_padded(const char *s, size_t n, int64_t *out);

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
