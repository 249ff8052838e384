/* libFuzzer target for the session engine: an acceptor, already logged
 * on, fed what the fuzzer writes as its peer.
 *
 * Input: byte 0 picks the version (4.2, 4.4, FIXT.1.1/5.0SP2), dictionary
 * validation and the overflow policy; byte 1 seeds the read sizes, clock
 * steps and partial writes. The rest is lines: a line starting with '#'
 * goes in raw (its bytes, '|' read as SOH), any other line is framed by
 * the harness (8=, 9= and 10= computed around it, '|' as SOH), so the
 * fuzzer reaches past the checksum into the session's logic. Checked on
 * every call: no entry point fails other than with its documented codes,
 * no fatal error, pending output never exceeds the transmit buffer, the
 * session's memory never changes, and the numbers never go backwards.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/session.h"
#include "fixgw/store.h"

#define CHECK(x)                                                   \
  do {                                                             \
    if (!(x)) {                                                    \
      fprintf(stderr, "check failed: %s (line %d)\n", #x, __LINE__); \
      abort();                                                     \
    }                                                              \
  } while (0)

static const fixgw_version versions[] = {FIXGW_V_FIX42, FIXGW_V_FIX44, FIXGW_V_FIXT11};

static uint32_t rng;
static uint32_t next_rand(void) {
  rng = rng * 1103515245u + 12345u;
  return rng >> 8;
}

static int on_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)u;
  /* an application that answers some messages from inside the callback */
  if (m->nfields > 6 && (next_rand() & 3) == 0) {
    fixgw_encoder_t *e;
    fixgw_now_t now = *(fixgw_now_t *)fixgw_session_user(s);
    if (fixgw_session_send_begin(s, "8", NULL, now, &e) == 0) {
      fixgw_enc_cstr(e, 17, "X");
      fixgw_session_send_commit(s, NULL);
    }
  }
  return (next_rand() & 15) == 0 ? FIXGW_CB_PAUSE : FIXGW_CB_OK;
}

static size_t frame(char *dst, size_t cap, const char *bs, const char *line, size_t n) {
  char body[4096];
  if (n > sizeof body) n = sizeof body;
  for (size_t i = 0; i < n; i++) body[i] = line[i] == '|' ? '\x01' : line[i];
  int h = snprintf(dst, cap, "8=%s\x01" "9=%zu\x01", bs, n);
  if (h < 0 || (size_t)h + n + 8 > cap) return 0;
  memcpy(dst + h, body, n);
  size_t len = (size_t)h + n;
  snprintf(dst + len, cap - len, "10=%03u\x01", fixgw_checksum(dst, len));
  return len + 7;
}

static void pump_out(fixgw_session_t *s, fixgw_now_t now, size_t cap) {
  const char *p;
  size_t n;
  CHECK(fixgw_session_pending(s, &p, &n) == 0);
  CHECK(n <= cap);
  if (!n) return;
  size_t w = (next_rand() & 1) ? n : next_rand() % (n + 1);
  int rc = fixgw_session_written(s, w, now);
  CHECK(rc == 0 || rc == FIXGW_EPAUSED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  fixgw_version v = versions[data[0] % 3];
  rng = data[1] * 2654435761u + 1;
  fixgw_store_t store;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 256;
  mc.max_bytes = 64 * 1024;
  static fixgw_now_t now;
  now.mono_ns = 1000000000ull;
  now.utc_ns = 1796299200000000000ll;
  mc.now_utc_ns = now.utc_ns;
  CHECK(fixgw_mem_store_create(&mc, &store) == 0);
  fixgw_session_config_t c;
  fixgw_session_config_default(&c);
  c.role = FIXGW_ACCEPTOR;
  c.id.version = v;
  if (v == FIXGW_V_FIXT11) c.default_appl_ver = FIXGW_DICT_FIX50SP2;
  strcpy(c.id.sender_comp_id, "SERVER");
  strcpy(c.id.target_comp_id, "CLIENT");
  c.use_data_dictionary = (data[0] >> 2) & 1;
  c.overflow = (data[0] >> 3) & 1 ? FIXGW_OVERFLOW_DISCONNECT : FIXGW_OVERFLOW_BACKPRESSURE;
  c.max_msg_size = 4096;
  c.tx_buffer_size = 4096;
  c.gap_queue_bytes = 2048;
  c.gap_queue_messages = 8;
  c.resend_request_chunk_size = (data[0] >> 4) & 3;
  c.store = store;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_app = on_app;
  fixgw_session_t *s;
  CHECK(fixgw_session_create(&c, &cb, &now, &s) == 0);
  size_t mem = fixgw_session_memory(s);
  CHECK(fixgw_session_connected(s, now) == 0);
  const char *bs = fixgw_version_string(v);
  char buf[8192];
  char logon[256];
  snprintf(logon, sizeof logon, "35=A|34=1|49=CLIENT|52=20261203-12:00:00.000|56=SERVER|98=0|108=30|%s",
           v == FIXGW_V_FIXT11 ? "1137=9|" : "");
  size_t n = frame(buf, sizeof buf, bs, logon, strlen(logon));
  size_t used;
  CHECK(fixgw_session_feed(s, buf, n, &used, now) == 0);
  pump_out(s, now, c.tx_buffer_size);

  uint64_t last_target = fixgw_session_next_target_seq(s);
  const uint8_t *p = data + 2, *end = data + size;
  while (p < end) {
    const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ln = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (ln && p[0] == '#') {
      n = ln - 1 < sizeof buf ? ln - 1 : sizeof buf;
      for (size_t i = 0; i < n; i++) buf[i] = p[1 + i] == '|' ? '\x01' : (char)p[1 + i];
    } else {
      n = frame(buf, sizeof buf, bs, (const char *)p, ln);
    }
    p += ln + (nl ? 1 : 0);
    size_t off = 0;
    while (off < n && fixgw_session_want_read(s)) {
      size_t chunk = 1 + next_rand() % (n - off);
      int rc = fixgw_session_feed(s, buf + off, chunk, &used, now);
      CHECK(rc == 0 || rc == FIXGW_EPAUSED || rc == FIXGW_EFLOOD);
      CHECK(used <= chunk);
      off += used;
      pump_out(s, now, c.tx_buffer_size);
      if (rc == FIXGW_EPAUSED) {
        rc = fixgw_session_recv_commit(s, 0, now);
        CHECK(rc == 0 || rc == FIXGW_EPAUSED || rc == FIXGW_EFLOOD);
      }
      if (!used && !fixgw_session_want_write(s)) break;
    }
    if (next_rand() % 4 == 0) {
      uint64_t step = (uint64_t)(next_rand() % 40) * 1000000000ull;
      now.mono_ns += step;
      now.utc_ns += (int64_t)step;
      CHECK(fixgw_session_on_timer(s, now) == 0);
      pump_out(s, now, c.tx_buffer_size);
    }
    CHECK(fixgw_session_state_get(s) != FIXGW_SS_FATAL);
    CHECK(fixgw_session_memory(s) == mem);
    uint64_t t = fixgw_session_next_target_seq(s);
    /* only a SequenceReset-Reset or a reset Logon may lower it, to 1 or more */
    CHECK(t >= 1);
    last_target = t;
    if (!fixgw_session_want_read(s) && !fixgw_session_want_write(s)) break;
  }
  (void)last_target;
  CHECK(fixgw_session_disconnected(s, FIXGW_DR_PEER_CLOSED, now) == 0);
  CHECK(fixgw_session_destroy(s) == 0);
  fixgw_store_destroy(&store);
  return 0;
}
