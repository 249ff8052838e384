/* libFuzzer target for the streaming parser.
 *
 * Input: byte 0 picks the scan kernel, byte 1 seeds the read sizes; the
 * rest is the stream, fed in those read sizes into a compacting host
 * buffer of max_msg_size bytes, the way a socket reader would. Checked on
 * every call:
 *   - consumed never exceeds what was offered; errors always progress;
 *   - EAGAIN only while the buffer is below max_msg_size (bounded memory);
 *   - every field of a valid message lies inside it; 8, 9, 35 lead and 10
 *     ends; BodyLength and CheckSum hold;
 *   - a message re-encoded from its fields parses to identical fields;
 *   - a garbage run is counted once however many calls report it;
 *   - at the end, fixgw_parse_end() classifies the tail consistently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/codec.h"

#define MAX_MSG 4096

#define CHECK(x)     \
  do {               \
    if (!(x)) abort(); \
  } while (0)

static void check_msg(const fixgw_msg_t *m, const char *buf, size_t len) {
  CHECK(m->buf >= buf && m->buf + m->len <= buf + len);
  CHECK(m->nfields >= 4);
  CHECK(m->fields[0].tag == 8 && m->fields[1].tag == 9 && m->fields[2].tag == 35);
  CHECK(m->fields[m->nfields - 1].tag == 10);
  for (uint32_t i = 0; i < m->nfields; i++) {
    const fixgw_field_t *f = &m->fields[i];
    CHECK(f->len > 0);
    CHECK(f->val >= m->buf && f->val + f->len < m->buf + m->len);
    CHECK(f->val[f->len] == FIXGW_SOH);
  }
  unsigned cs = fixgw_checksum(m->buf, m->len - 7);
  uint64_t want;
  CHECK(fixgw_to_uint(m->fields[m->nfields - 1].val, 3, &want) == 0 && want == cs);

  /* Re-encode (messages with SOH inside a data value are skipped: the
   * encoder writes those through fixgw_enc_data, not field by field). */
  for (uint32_t i = 0; i < m->nfields; i++)
    if (memchr(m->fields[i].val, FIXGW_SOH, m->fields[i].len)) return;
  static char out[MAX_MSG + 64];
  char bs[16], mt[64];
  if (m->fields[0].len >= sizeof bs || m->fields[2].len >= sizeof mt) return;
  memcpy(bs, m->fields[0].val, m->fields[0].len);
  bs[m->fields[0].len] = 0;
  memcpy(mt, m->fields[2].val, m->fields[2].len);
  mt[m->fields[2].len] = 0;
  if (strlen(mt) != m->fields[2].len) return; /* NUL inside MsgType */
  fixgw_encoder_t e;
  CHECK(fixgw_enc_begin(&e, out, sizeof out, bs, mt) == 0);
  for (uint32_t i = 3; i + 1 < m->nfields; i++)
    fixgw_enc_str(&e, m->fields[i].tag, m->fields[i].val, m->fields[i].len);
  const char *o;
  size_t ol;
  CHECK(fixgw_enc_finish(&e, &o, &ol) == 0);
  /* Same fields; BodyLength the same but for leading zeros, which the
   * parser accepts and the encoder never writes. */
  uint32_t zeros = 0;
  while (zeros + 1 < m->fields[1].len && m->fields[1].val[zeros] == '0') zeros++;
  CHECK(ol == m->len - zeros);
  fixgw_parser_t p2;
  CHECK(fixgw_parser_init(&p2, NULL) == 0);
  fixgw_msg_t m2;
  size_t used;
  /* The data-pair table may re-split a length field the original parse
   * took as a plain value only if the original did too: same table. */
  CHECK(fixgw_parse(&p2, o, ol, &used, &m2, NULL) == 0);
  CHECK(m2.nfields == m->nfields);
  CHECK(m2.body_length == m->body_length);
  for (uint32_t i = 0; i < m->nfields; i++) {
    /* BodyLength: compared by value above; with zeros dropped, the
     * CheckSum differs too (both were verified by the parse). */
    if (i == 1 || (zeros && i + 1 == m->nfields)) continue;
    CHECK(m2.fields[i].tag == m->fields[i].tag);
    CHECK(m2.fields[i].len == m->fields[i].len);
    CHECK(memcmp(m2.fields[i].val, m->fields[i].val, m->fields[i].len) == 0);
  }
  fixgw_parser_destroy(&p2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  static const fixgw_scan_impl kernels[] = {FIXGW_SCAN_SCALAR, FIXGW_SCAN_SSE2,
                                            FIXGW_SCAN_AVX2};
  fixgw_parser_config_t cfg;
  fixgw_parser_config_default(&cfg);
  cfg.max_msg_size = MAX_MSG;
  cfg.max_fields = 256;
  cfg.scan = kernels[data[0] % 3];
  fixgw_parser_t p;
  if (fixgw_parser_init(&p, &cfg) != 0) {
    cfg.scan = FIXGW_SCAN_SCALAR;
    CHECK(fixgw_parser_init(&p, &cfg) == 0);
  }
  uint32_t rng = data[1] * 2654435761u + 1;
  const char *in = (const char *)data + 2;
  size_t n = size - 2, fed = 0;
  /* Exactly the bytes offered, so ASan catches any read past them. */
  char *host = malloc(MAX_MSG);
  size_t have = 0;
  uint64_t ok = 0, bad = 0;
  while (fed < n || have) {
    rng = rng * 1103515245u + 12345u;
    size_t room = MAX_MSG - have;
    size_t chunk = 1 + (rng >> 16) % 700;
    if (chunk > n - fed) chunk = n - fed;
    if (chunk > room) chunk = room;
    memcpy(host + have, in + fed, chunk);
    have += chunk;
    fed += chunk;
    char *view = malloc(have ? have : 1);
    memcpy(view, host, have);
    size_t at = 0;
    for (;;) {
      fixgw_msg_t m;
      size_t used = 0;
      fixgw_parse_error_t err;
      int rc = fixgw_parse(&p, view + at, have - at, &used, &m, &err);
      CHECK(used <= have - at);
      if (rc == FIXGW_EAGAIN) {
        CHECK(used == 0);
        CHECK(have - at < MAX_MSG);
        break;
      }
      if (rc == 0) {
        CHECK(used == m.len);
        check_msg(&m, view + at, have - at);
        ok++;
      } else {
        CHECK(used >= 1);
        CHECK(err.code == rc && err.offset < have - at);
        CHECK(err.continued <= 1);
        if (err.continued) CHECK(rc == FIXGW_EBEGINSTRING && err.offset == 0);
        bad += !err.continued;
      }
      at += used;
    }
    memmove(host, host + at, have - at);
    have -= at;
    free(view);
    if (fed == n) {
      /* End of stream: what is left is an incomplete message. */
      break;
    }
  }
  CHECK(p.stats.messages == ok && p.stats.rejected == bad);
  /* End of stream: the tail the host still holds. */
  fixgw_parse_error_t err;
  char *tail = malloc(have ? have : 1);
  memcpy(tail, host, have);
  int rc = fixgw_parse_end(&p, tail, have, &err);
  if (have == 0) {
    CHECK(rc == 0);
  } else {
    CHECK(rc == FIXGW_ETRUNCATED || rc == FIXGW_EBEGINSTRING);
    CHECK(err.code == rc);
    CHECK(rc != FIXGW_ETRUNCATED || (have >= 5 && memcmp(tail, "8=FIX", 5) == 0));
    CHECK(p.stats.rejected == bad + !err.continued);
  }
  free(tail);
  free(host);
  fixgw_parser_destroy(&p);
  return 0;
}
