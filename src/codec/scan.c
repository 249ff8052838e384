/* Byte-scanning kernels: SOH bitmask + byte sum in a single pass.
 *
 * The parser needs, for a framed message, where every SOH is (to find
 * value ends without a branch per byte) and the byte sum (the CheckSum).
 * One read of the bytes gives both. The x86 kernels use SSE2 (baseline on
 * x86-64) or AVX2 (chosen at run time); the scalar kernel works on 8-byte
 * words (SWAR) and is the reference the others are tested against. */
#include <string.h>

#include "codec_internal.h"

#if FIXGW__HAVE_X86
#include <immintrin.h>
/* Unaligned loads; the void* hop keeps -Wcast-align quiet, loadu needs no
 * alignment. */
#define LDU16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define LDU32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#endif

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOW7 0x7F7F7F7F7F7F7F7FULL

/* One bit per byte equal to SOH, gathered into the low 8 bits. The zero
 * test ((y & 0x7f) + 0x7f) | y has no false positives, unlike the cheaper
 * (y - 0x01) & ~y form, so it is exact for every byte. */
static inline unsigned soh_bits8(uint64_t x) {
  uint64_t y = x ^ ONES;
  uint64_t t = ~(((y & LOW7) + LOW7) | y) & HIGHS;
  return (unsigned)(((t >> 7) * 0x0102040810204080ULL) >> 56);
}

/* Sum of the 8 bytes of x. */
static inline uint64_t sum8(uint64_t x) {
  uint64_t pairs = (x & 0x00FF00FF00FF00FFULL) + ((x >> 8) & 0x00FF00FF00FF00FFULL);
  return (pairs * 0x0001000100010001ULL) >> 48;
}

uint64_t fixgw__scan_scalar(const char *p, size_t n, size_t avail,
                            uint64_t *mask) {
  (void)avail;
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    uint64_t m = 0;
    for (unsigned k = 0; k < 8; k++) {
      uint64_t x = fixgw__load_le64(p + i + 8 * k);
      m |= (uint64_t)soh_bits8(x) << (8 * k);
      sum += sum8(x);
    }
    mask[i / 64] = m;
  }
  if (i < n) {
    /* The tail, zero-padded: zero bytes add nothing and are not SOH. */
    char tmp[64] = {0};
    memcpy(tmp, p + i, n - i);
    uint64_t m = 0;
    for (unsigned k = 0; k < 8; k++) {
      uint64_t x = fixgw__load_le64(tmp + 8 * k);
      m |= (uint64_t)soh_bits8(x) << (8 * k);
      sum += sum8(x);
    }
    mask[i / 64] = m;
  }
  return sum;
}

#if FIXGW__HAVE_X86
/* 64 x 0xFF then 64 x 0x00: loading 16/32 bytes at (keep_ff + 64 - r)
 * yields a lane mask keeping the first r bytes. */
static const unsigned char keep_ff[128] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};

static inline uint64_t sse2_block(const char *p, uint64_t *mask_word,
                                  __m128i *acc) {
  const __m128i soh = _mm_set1_epi8(1), zero = _mm_setzero_si128();
  __m128i a = LDU16(p);
  __m128i b = LDU16(p + 16);
  __m128i c = LDU16(p + 32);
  __m128i d = LDU16(p + 48);
  uint64_t m = (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(a, soh)) |
               (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(b, soh)) << 16 |
               (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(c, soh)) << 32 |
               (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(d, soh)) << 48;
  __m128i s = _mm_add_epi64(_mm_add_epi64(_mm_sad_epu8(a, zero), _mm_sad_epu8(b, zero)),
                            _mm_add_epi64(_mm_sad_epu8(c, zero), _mm_sad_epu8(d, zero)));
  *acc = _mm_add_epi64(*acc, s);
  *mask_word = m;
  return m;
}

static inline uint64_t hsum128(__m128i v) {
  return (uint64_t)_mm_cvtsi128_si64(v) +
         (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(v, v));
}

uint64_t fixgw__scan_sse2(const char *p, size_t n, size_t avail,
                          uint64_t *mask) {
  __m128i acc = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) sse2_block(p + i, &mask[i / 64], &acc);
  if (i < n) {
    size_t r = n - i;
    uint64_t m;
    if (avail - i >= 64) {
      /* Readable past n: load whole vectors, then drop bytes >= n. */
      const __m128i soh = _mm_set1_epi8(1), zero = _mm_setzero_si128();
      uint64_t mm = 0;
      for (unsigned k = 0; k < 4; k++) {
        __m128i v = LDU16(p + i + 16 * k);
        size_t keep = r > 16 * k ? r - 16 * k : 0;
        if (keep > 16) keep = 16;
        __m128i lane = LDU16(keep_ff + 64 - keep);
        v = _mm_and_si128(v, lane);
        mm |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, soh)) << (16 * k);
        acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
      }
      m = mm;
      mask[i / 64] = m;
    } else {
      char tmp[64] = {0};
      memcpy(tmp, p + i, r);
      sse2_block(tmp, &mask[i / 64], &acc);
    }
  }
  return hsum128(acc);
}

__attribute__((target("avx2"))) static inline void avx2_block(
    const char *p, uint64_t *mask_word, __m256i *acc) {
  const __m256i soh = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
  __m256i a = LDU32(p);
  __m256i b = LDU32(p + 32);
  *mask_word = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, soh)) |
               (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, soh)) << 32;
  *acc = _mm256_add_epi64(*acc, _mm256_add_epi64(_mm256_sad_epu8(a, zero),
                                                 _mm256_sad_epu8(b, zero)));
}

__attribute__((target("avx2"))) uint64_t fixgw__scan_avx2(
    const char *p, size_t n, size_t avail, uint64_t *mask) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) avx2_block(p + i, &mask[i / 64], &acc);
  if (i < n) {
    size_t r = n - i;
    if (avail - i >= 64) {
      const __m256i soh = _mm256_set1_epi8(1), zero = _mm256_setzero_si256();
      __m256i a = LDU32(p + i);
      __m256i b = LDU32(p + i + 32);
      size_t ka = r > 32 ? 32 : r, kb = r > 32 ? r - 32 : 0;
      a = _mm256_and_si256(a, LDU32(keep_ff + 64 - ka));
      b = _mm256_and_si256(b, LDU32(keep_ff + 64 - kb));
      mask[i / 64] =
          (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(a, soh)) |
          (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(b, soh)) << 32;
      acc = _mm256_add_epi64(acc, _mm256_add_epi64(_mm256_sad_epu8(a, zero),
                                                   _mm256_sad_epu8(b, zero)));
    } else {
      char tmp[64] = {0};
      memcpy(tmp, p + i, r);
      avx2_block(tmp, &mask[i / 64], &acc);
    }
  }
  __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  return (uint64_t)_mm_cvtsi128_si64(s) + (uint64_t)_mm_extract_epi64(s, 1);
}
#endif

int fixgw__scan_resolve(fixgw_scan_impl want, fixgw_scan_impl *out) {
  switch (want) {
    case FIXGW_SCAN_AUTO:
      *out = fixgw_scan_impl_best();
      return 0;
    case FIXGW_SCAN_SCALAR:
      *out = want;
      return 0;
#if FIXGW__HAVE_X86
    case FIXGW_SCAN_SSE2:
      *out = want;
      return 0;
    case FIXGW_SCAN_AVX2:
      if (!__builtin_cpu_supports("avx2")) return FIXGW_ENOTSUP;
      *out = want;
      return 0;
#endif
    default:
      return FIXGW_ENOTSUP;
  }
}

fixgw_scan_impl fixgw_scan_impl_best(void) {
#if FIXGW__HAVE_X86
  if (__builtin_cpu_supports("avx2")) return FIXGW_SCAN_AVX2;
  return FIXGW_SCAN_SSE2;
#else
  return FIXGW_SCAN_SCALAR;
#endif
}

const char *fixgw_scan_impl_name(fixgw_scan_impl impl) {
  switch (impl) {
    case FIXGW_SCAN_AUTO: return "auto";
    case FIXGW_SCAN_SCALAR: return "scalar";
    case FIXGW_SCAN_SSE2: return "sse2";
    case FIXGW_SCAN_AVX2: return "avx2";
  }
  return "?";
}

fixgw__scan_fn fixgw__scan_get(fixgw_scan_impl impl) {
  switch (impl) {
#if FIXGW__HAVE_X86
    case FIXGW_SCAN_SSE2: return fixgw__scan_sse2;
    case FIXGW_SCAN_AVX2: return fixgw__scan_avx2;
#endif
    default: return fixgw__scan_scalar;
  }
}

/* The encoder's checksum: plain sums, no mask wanted. */
uint64_t fixgw__sum(fixgw_scan_impl impl, const char *p, size_t n) {
  uint64_t sum = 0;
  size_t i = 0;
#if FIXGW__HAVE_X86
  if (impl != FIXGW_SCAN_SCALAR) {
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = zero;
    for (; i + 16 <= n; i += 16)
      acc = _mm_add_epi64(acc, _mm_sad_epu8(LDU16(p + i), zero));
    sum = hsum128(acc);
  }
#else
  (void)impl;
#endif
  for (; i + 8 <= n; i += 8) sum += sum8(fixgw__load_le64(p + i));
  for (; i < n; i++) sum += (unsigned char)p[i];
  return sum;
}

unsigned fixgw_checksum(const char *buf, size_t n) {
  return (unsigned)(fixgw__sum(fixgw_scan_impl_best(), buf, n) & 0xFF);
}
