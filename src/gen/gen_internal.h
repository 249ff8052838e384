/* Generator internals shared by gen.c, symbols.c and write.c. */
#ifndef FIXGW_GEN_INTERNAL_H
#define FIXGW_GEN_INTERNAL_H

#include <stdint.h>

#include "fixgw/gen.h"

/* xoshiro256** (Blackman & Vigna): small state, fast, and good enough that
 * the corpus has no visible patterns; seeded through splitmix64 so any
 * seed, 0 included, gives a well-mixed state. */
static inline uint64_t fixgw__splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static inline uint64_t fixgw__rotl64(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

static inline uint64_t fixgw__rng_next(uint64_t s[4]) {
  uint64_t r = fixgw__rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = fixgw__rotl64(s[3], 45);
  return r;
}

/* Uniform in [0, n) for n >= 1 by multiply-shift: the bias is below
 * n / 2^32, invisible here, and it needs no rejection loop (so the number
 * of draws per message never depends on luck). */
static inline uint32_t fixgw__rng_below(uint64_t s[4], uint32_t n) {
  return (uint32_t)(((fixgw__rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

/* The built-in instrument table; tick and ref_price share an exponent. */
extern const fixgw_gen_symbol_t fixgw__gen_symbols[];
extern const uint32_t fixgw__gen_nsymbols;

#endif
