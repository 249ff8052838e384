/* libFuzzer target for the decimal conversions and the flat group walk.
 *
 * Input: byte 0 splits the rest. The first part is a value: fixgw_to_decimal
 * reads it from a heap block of exactly its size (ASan faults on a read
 * past it) and must agree with the byte-wise reference. The second part,
 * a byte a field, picks tags (the layout's members, its delimiter, or
 * strangers) for a body after a count (byte 0's top bits: the entries the
 * rule finds, one more or one fewer); the parsed
 * message's group must open with the verdict and end the rule gives, and
 * fixgw_group_next must hand out the entries the rule finds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../codec/fixmsg.h"
#include "codec_internal.h"
#include "fixgw/codec.h"

#define CHECK(x)       \
  do {                 \
    if (!(x)) abort(); \
  } while (0)

static const uint32_t members[] = {269, 270, 15,  271, 272, 273, 274, 275, 336, 625,
                                   276, 277, 282, 283, 284, 286, 59,  432, 126};
enum { NMEMBERS = sizeof members / sizeof members[0] };
static const fixgw_group_layout_t layout = {268, 269, members, NMEMBERS, NULL, 0};
static const uint32_t strangers[] = {1, 58, 285, 627};

static void check_decimal(const uint8_t *v, size_t n) {
  char *exact = malloc(n ? n : 1);
  CHECK(exact);
  memcpy(exact, v, n);
  fixgw_decimal_t a = {0, 0}, b = {0, 0};
  int ra = fixgw_to_decimal(exact, n, &a), rb = fixgw__to_decimal_ref(exact, n, &b);
  free(exact);
  CHECK(ra == rb);
  if (rb == 0) CHECK(a.mant == b.mant && a.exp == b.exp);
}

/* mode: 0 or 1 the count the rule finds, 2 one more, 3 one fewer. */
static void check_group(const uint8_t *t, size_t nt, unsigned mode) {
  uint32_t tags[200];
  if (nt > sizeof tags / sizeof tags[0]) nt = sizeof tags / sizeof tags[0];
  for (size_t k = 0; k < nt; k++) {
    unsigned c = t[k] % 32;
    tags[k] = c < 8 ? 269 : c < 8 + NMEMBERS ? members[c - 8] : strangers[c % 4];
  }
  /* The rule: an entry is its delimiter and the members after it up to
   * the next delimiter or a non-member. */
  size_t i = 0, starts[200];
  unsigned found = 0;
  while (i < nt && tags[i] == 269) {
    starts[found++] = i;
    for (i++; i < nt && tags[i] != 269; i++) {
      int member = 0;
      for (unsigned k = 0; k < NMEMBERS; k++) member |= members[k] == tags[i];
      if (!member) break;
    }
  }
  unsigned count = mode == 2 ? found + 1 : mode == 3 && found ? found - 1 : found;
  char body[4096];
  int len = snprintf(body, sizeof body, "35=W|268=%u|", count);
  for (size_t k = 0; k < nt; k++)
    len += snprintf(body + len, sizeof body - (size_t)len, "%u=v|", tags[k]);
  snprintf(body + len, sizeof body - (size_t)len, "58=end|");
  int want = found == 0 && count > 0 ? FIXGW_EGROUPDELIM : found != count ? FIXGW_EGROUPCOUNT : 0;

  static char msg[8192];
  size_t n = fixmsg(msg, sizeof msg, "FIX.4.4", body);
  CHECK(n > 0);
  fixgw_parser_t p;
  CHECK(fixgw_parser_init(&p, NULL) == 0);
  fixgw_msg_t m;
  size_t used;
  CHECK(fixgw_parse(&p, msg, n, &used, &m, NULL) == 0);
  fixgw_group_t g;
  int rc = fixgw_group_open(&m, &layout, 0, m.nfields, 0, &g);
  CHECK(rc == want);
  if (rc == 0) {
    CHECK(g.end == 4 + i); /* fields 8 9 35 268, then the group's */
    fixgw_group_entry_t e;
    for (unsigned k = 0; k < found; k++) {
      CHECK(fixgw_group_next(&g, &e) == 0);
      CHECK(e.first == 4 + starts[k] && e.end == 4 + (k + 1 < found ? starts[k + 1] : i));
    }
    CHECK(fixgw_group_next(&g, &e) == FIXGW_ENOTFOUND);
  }
  fixgw_parser_destroy(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t split = 1 + data[0] % 41; /* the value: 0..40 bytes */
  if (split > size) split = size;
  check_decimal(data + 1, split - 1);
  check_group(data + split, size - split, data[0] >> 6);
  return 0;
}
