/* Helpers for the validation tests: frame a '|' body into a real message
 * (BeginString, BodyLength, CheckSum) and parse it. */
#ifndef FIXGW_TEST_VTEST_H
#define FIXGW_TEST_VTEST_H

#include <stdio.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixgw/validate.h"

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

/* Our verdict on framed bytes: the parser's (0 and 4 are found there) or
 * the validator's. Returns the reason (-1 valid, -100 - code for other
 * failures) and sets *tag. */
static inline int vt_verdict(fixgw_parser_t *p, fixgw_validator_t *v,
                             const char *buf, size_t n, uint32_t *tag) {
  size_t used;
  fixgw_msg_t m;
  fixgw_parse_error_t pe;
  fixgw_reject_t rej;
  *tag = 0;
  int rc = fixgw_parse(p, buf, n, &used, &m, &pe);
  if (rc != 0) {
    if (fixgw_reject_from_parse_error(&pe, &rej) != 0) return -100 + rc;
    *tag = rej.ref_tag;
    return rej.reason;
  }
  rc = fixgw_validate(v, &m, &rej);
  if (rc == 0) return -1;
  if (rc != FIXGW_EREJECT) return -100 + rc;
  *tag = rej.ref_tag;
  return rej.reason;
}

/* A validator for a case's BeginString: the FIX 4.x dictionary, or FIXT11
 * with FIX50SP2 as application dictionary and default. */
static inline int vt_validator(fixgw_validator_t *v, const char *begin) {
  fixgw_validator_config_t cfg;
  fixgw_dict_version ver = fixgw_dict_version_from_begin_string(begin, strlen(begin));
  fixgw_validator_config_default(&cfg, fixgw_dict_by_version(ver));
  if (ver == FIXGW_DICT_FIXT11) {
    cfg.app[FIXGW_DICT_FIX50SP2] = fixgw_dict_fix50sp2();
    cfg.default_appl_ver = FIXGW_DICT_FIX50SP2;
  }
  return fixgw_validator_init(v, &cfg);
}

#endif
