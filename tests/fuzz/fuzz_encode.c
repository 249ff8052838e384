/* libFuzzer target for the encoder's inline fast paths.
 *
 * Input: bytes 0-1 give the buffer's capacity (0..1023); the rest is a
 * list of appends, each a kind byte and its operands (tag, value, a
 * string's bytes, a precision). Every append goes to two encoders, one
 * through the fast path (fixgw__enc_*_fast, which with a runtime tag runs
 * the code a constant tag inlines) and one through the general
 * fixgw__enc_*, each writing into a heap block of exactly that capacity
 * so a sanitizer sees any byte written past it. Checked after every
 * append: the same code, position, sticky error and bytes so far; at the
 * end, the same finish verdict and message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"

#define CHECK(x)       \
  do {                 \
    if (!(x)) abort(); \
  } while (0)

typedef struct input {
  const uint8_t *p;
  size_t n;
} input_t;

/* The next k bytes (little-endian), zeros once the input runs out. */
static uint64_t take(input_t *in, unsigned k) {
  uint64_t v = 0;
  for (unsigned i = 0; i < k; i++) {
    uint64_t b = 0;
    if (in->n) {
      b = *in->p++;
      in->n--;
    }
    v |= b << (8 * i);
  }
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input_t in = {data, size};
  size_t cap = (size_t)(take(&in, 2) % 1024);
  char *ba = malloc(cap ? cap : 1), *bb = malloc(cap ? cap : 1);
  CHECK(ba && bb);
  fixgw_encoder_t ea, eb;
  int ra = fixgw_enc_begin(&ea, ba, cap, "FIX.4.4", "8");
  int rb = fixgw_enc_begin(&eb, bb, cap, "FIX.4.4", "8");
  CHECK(ra == rb);
  static const int precs[8] = {0, 3, 6, 9, 9, 6, 4, -1};
  char s[64];
  while (in.n) {
    unsigned kind = (unsigned)take(&in, 1);
    uint32_t tag = 1 + (uint32_t)(take(&in, 3) % 99999);
    switch (kind % 7) {
      case 0: {
        uint64_t v = take(&in, 1 + kind / 7 % 8);
        ra = fixgw__enc_uint_fast(&ea, tag, v);
        rb = fixgw__enc_uint(&eb, tag, v);
        break;
      }
      case 1: {
        int64_t v = (int64_t)take(&in, 8);
        if (kind & 0x80) v %= 1000000000;
        ra = fixgw__enc_int_fast(&ea, tag, v);
        rb = fixgw__enc_int(&eb, tag, v);
        break;
      }
      case 2: {
        fixgw_decimal_t d;
        d.mant = (int64_t)take(&in, 8);
        if (kind & 0x80) d.mant %= 1000000000;
        d.exp = (int32_t)(int8_t)take(&in, 1) % 21;
        ra = fixgw__enc_decimal_fast(&ea, tag, d);
        rb = fixgw__enc_decimal(&eb, tag, d);
        break;
      }
      case 3: {
        char c = (char)take(&in, 1);
        ra = fixgw__enc_char_fast(&ea, tag, c);
        rb = fixgw__enc_char(&eb, tag, c);
        break;
      }
      case 4: {
        size_t n = (size_t)(take(&in, 1) % 48);
        for (size_t i = 0; i < n; i++) s[i] = (char)take(&in, 1);
        /* At the end of a heap block of exactly n bytes: no read past it. */
        char *h = malloc(n ? n : 1);
        CHECK(h);
        memcpy(h, s, n);
        const char *q = (kind & 0x80) && n == 0 ? NULL : h;
        ra = fixgw__enc_str_fast(&ea, tag, q, n);
        rb = fixgw__enc_str(&eb, tag, q, n);
        free(h);
        break;
      }
      case 5: {
        int64_t ns = (int64_t)take(&in, 8);
        fixgw_ts_precision prec = (fixgw_ts_precision)precs[take(&in, 1) % 8];
        ra = fixgw__enc_timestamp_fast(&ea, tag, ns, prec);
        rb = fixgw__enc_timestamp(&eb, tag, ns, prec);
        break;
      }
      default: {
        /* The public appenders with constant tags, each fed the same. */
        uint64_t v = take(&in, 4);
        ra = fixgw_enc_uint(&ea, 34, v) | fixgw_enc_char(&ea, 54, (char)v) |
             fixgw_enc_cstr(&ea, 55, "AAPL");
        rb = fixgw__enc_uint(&eb, 34, v) | fixgw__enc_char(&eb, 54, (char)v) |
             fixgw__enc_cstr(&eb, 55, "AAPL");
        break;
      }
    }
    CHECK(ra == rb && ea.err == eb.err && ea.pos == eb.pos);
    CHECK(ea.pos <= cap || ea.err);
    /* The headroom stays unwritten until finish. */
    if (!ea.err)
      CHECK(memcmp(ba + FIXGW_ENC_HEADROOM, bb + FIXGW_ENC_HEADROOM,
                   ea.pos - FIXGW_ENC_HEADROOM) == 0);
  }
  const char *oa, *ob;
  size_t la, lb;
  ra = fixgw_enc_finish(&ea, &oa, &la);
  rb = fixgw_enc_finish(&eb, &ob, &lb);
  CHECK(ra == rb);
  if (ra == 0) CHECK(la == lb && oa - ba == ob - bb && memcmp(oa, ob, la) == 0);
  free(ba);
  free(bb);
  return 0;
}
