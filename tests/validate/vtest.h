/* Helpers for the validation tests: frame a '|' body into a real message
 * (BeginString, BodyLength, CheckSum) and parse it. */
#ifndef FIXGW_TEST_VTEST_H
#define FIXGW_TEST_VTEST_H

#include <stdio.h>
#include <string.h>

#include "fixgw/codec.h"

/* Frame "35=...|...|" as begin's message, SOH-delimited, into out (cap
 * bytes). Returns the length, 0 if it does not fit. */
static inline size_t vt_frame(const char *begin, const char *pipe_body,
                              char *out, size_t cap) {
  size_t blen = strlen(pipe_body);
  char head[64];
  int hl = snprintf(head, sizeof head, "8=%s\0019=%zu\001", begin, blen);
  if (hl <= 0 || (size_t)hl + blen + 8 > cap) return 0;
  memcpy(out, head, (size_t)hl);
  for (size_t i = 0; i < blen; i++)
    out[(size_t)hl + i] = pipe_body[i] == '|' ? '\001' : pipe_body[i];
  size_t n = (size_t)hl + blen;
  unsigned ck = fixgw_checksum(out, n);
  n += (size_t)snprintf(out + n, cap - n, "10=%03u\001", ck);
  return n;
}

#endif
