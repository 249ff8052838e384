/* Test helper: frame a readable body ("35=D|49=A|...") into a complete
 * message with BodyLength and CheckSum computed here, independently of
 * the library's encoder. */
#ifndef FIXGW_TEST_FIXMSG_H
#define FIXGW_TEST_FIXMSG_H

#include <stdio.h>
#include <string.h>

/* Writes "8=<bs>|9=<len>|<body>|10=<cs>|" (| meaning SOH) into out and
 * returns its length. body uses '|' for SOH and must end with '|'. */
static inline size_t fixmsg(char *out, size_t cap, const char *bs, const char *body) {
  char b[8192];
  size_t n = strlen(body);
  if (n >= sizeof b) return 0;
  for (size_t i = 0; i < n; i++) b[i] = body[i] == '|' ? '\x01' : body[i];
  int h = snprintf(out, cap, "8=%s\x01" "9=%zu\x01", bs, n);
  if (h < 0 || (size_t)h + n + 7 >= cap) return 0;
  memcpy(out + h, b, n);
  unsigned sum = 0;
  for (size_t i = 0; i < (size_t)h + n; i++) sum += (unsigned char)out[i];
  snprintf(out + h + n, cap - (size_t)h - n, "10=%03u\x01", sum % 256);
  return (size_t)h + n + 7;
}

#endif
