/* The session engine through memory, no sockets:
 *   session/roundtrip   NewOrderSingle from the initiator's application,
 *                       ExecutionReport back from the acceptor's (sent from
 *                       inside its handler), memory stores; per round trip
 *   session/roundtrip_file_os, _file_group
 *                       the same with file stores (OS policy, group commit)
 *   session/codec_floor the same two messages encoded and parsed with the
 *                       codec alone: the part of a round trip that is not
 *                       the session's
 *   session/inbound_nos one acceptor: recv, frame, sequence check, dispatch
 *                       of a NewOrderSingle to its handler; per message
 *   session/idle_bytes  what one idle session with the default config holds
 * with allocations per message counted by the malloc interposer. Run:
 *   bench_session --benchmark_repetitions=5 --benchmark_report_aggregates_only=true */
#define _GNU_SOURCE /* mkdtemp */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_count.h"
#include "fixgw/session.h"
#include "fixgw/store.h"
#include "fixgw/store_file.h"
#include "fixgw_bench.h"
#include "pair.h"

static uint64_t acks;

static void encode_order(fixgw_encoder_t *e, uint64_t i, int64_t now) {
  char id[24];
  int n = snprintf(id, sizeof id, "ORD%llu", (unsigned long long)i);
  fixgw_enc_str(e, 11, id, (size_t)n);
  fixgw_enc_cstr(e, 1, "ACC-7");
  fixgw_enc_cstr(e, 55, "MSFT");
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_timestamp(e, 60, now, FIXGW_TS_MILLIS);
  fixgw_enc_decimal(e, 38, (fixgw_decimal_t){1500, 0});
  fixgw_enc_char(e, 40, '2');
  fixgw_enc_decimal(e, 44, (fixgw_decimal_t){41237, -2});
  fixgw_enc_char(e, 59, '0');
}

/* The acceptor's application: an ExecutionReport (New) for every order. */
static int executor(pair_side_t *side, const fixgw_msg_t *m) {
  pair_t *p = side->app_user;
  const fixgw_field_t *id = fixgw_msg_find(m, 11);
  fixgw_encoder_t *e;
  if (!id || fixgw_session_send_begin(side->s, "8", NULL, p->now, &e)) return FIXGW_CB_OK;
  fixgw_enc_cstr(e, 6, "0");
  fixgw_enc_str(e, 11, id->val, id->len);
  fixgw_enc_cstr(e, 14, "0");
  fixgw_enc_cstr(e, 17, "EXEC-1");
  fixgw_enc_char(e, 39, '0');
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_cstr(e, 55, "MSFT");
  fixgw_enc_char(e, 150, '0');
  fixgw_enc_cstr(e, 151, "1500");
  fixgw_enc_cstr(e, 37, "O-1");
  fixgw_session_send_commit(side->s, NULL);
  return FIXGW_CB_OK;
}

static int count_ack(pair_side_t *side, const fixgw_msg_t *m) {
  (void)side;
  (void)m;
  acks++;
  return FIXGW_CB_OK;
}

static void big_buffers(fixgw_session_config_t *c, bool ini) {
  (void)ini;
  c->check_latency = false; /* the fake clock stands still */
}

/* File stores for session/roundtrip's store variants: one directory per
 * run, removed when the run ends. */
static char store_dir[64];
static fixgw_file_sync store_policy;

static int open_file_store(bool initiator, fixgw_store_t *out) {
  fixgw_file_store_config_t c;
  fixgw_file_store_config_default(&c);
  c.directory = store_dir;
  c.key = initiator ? "ini" : "acc";
  c.sync = store_policy;
  c.now_utc_ns = 1796299200000000000ll;
  return fixgw_file_store_open(&c, out, NULL);
}

static void remove_store_dir(void) {
  const char *keys[] = {"ini", "acc"}, *ext[] = {".log", ".lock"};
  char path[128];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      snprintf(path, sizeof path, "%s/%s%s", store_dir, keys[i], ext[j]);
      unlink(path);
    }
  rmdir(store_dir);
}

/* arg: NULL for memory stores, else a fixgw_file_sync policy (+1). */
static void bm_roundtrip(fixgw_bench_state *st, void *arg) {
  pair_t p;
  int (*opener)(bool, fixgw_store_t *) = NULL;
  if (arg) {
    strcpy(store_dir, "/tmp/fixgw-bench-session-XXXXXX");
    if (!mkdtemp(store_dir)) {
      fixgw_bench_error(st, "mkdtemp");
      return;
    }
    store_policy = (fixgw_file_sync)((intptr_t)arg - 1);
    opener = open_file_store;
  }
  pair_init_stores(&p, FIXGW_V_FIX44, big_buffers, opener);
  p.acc.on_app = executor;
  p.acc.app_user = &p;
  p.ini.on_app = count_ack;
  pair_connect(&p);
  if (!fixgw_session_is_logged_on(p.ini.s)) {
    fixgw_bench_error(st, "no logon");
    pair_destroy(&p);
    if (arg) remove_store_dir();
    return;
  }
  uint64_t i = 0, calls = 0, done = 0;
  acks = 0;
  while (fixgw_bench_keep_running_batch(st, 100)) {
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int k = 0; k < 100; k++) {
      fixgw_encoder_t *e;
      if (fixgw_session_send_begin(p.ini.s, "D", NULL, p.now, &e)) break;
      encode_order(e, i++, p.now.utc_ns);
      fixgw_session_send_commit(p.ini.s, NULL);
      pair_pump(&p);
    }
    calls += fixgw_alloc_count_calls() - c0;
    done += 100;
  }
  if (acks != i) fixgw_bench_error(st, "an order was not acknowledged");
  fixgw_bench_set_items(st, (int64_t)done);
  if (fixgw_alloc_count_available())
    fixgw_bench_counter(st, "allocs_per_rt", (double)calls / (double)done, false, false);
  pair_destroy(&p);
  if (arg) remove_store_dir();
}

/* Orders captured from the initiator's output, then fed to the acceptor
 * one message per iteration (the batch is refilled with timing paused). */
#define NOS_BATCH 4096
static char nos_buf[NOS_BATCH * 320];
static size_t nos_off[NOS_BATCH + 1];

static int sink_app(pair_side_t *side, const fixgw_msg_t *m) {
  (void)side;
  fixgw_bench_sink(m->fields);
  return FIXGW_CB_OK;
}

static void refill(pair_t *p, uint64_t *seqno) {
  size_t off = 0;
  for (int k = 0; k < NOS_BATCH; k++) {
    fixgw_encoder_t *e;
    fixgw_session_send_begin(p->ini.s, "D", NULL, p->now, &e);
    encode_order(e, (*seqno)++, p->now.utc_ns);
    fixgw_session_send_commit(p->ini.s, NULL);
    const char *ptr;
    size_t len;
    fixgw_session_pending(p->ini.s, &ptr, &len);
    memcpy(nos_buf + off, ptr, len);
    nos_off[k] = off;
    off += len;
    fixgw_session_written(p->ini.s, len, p->now);
  }
  nos_off[NOS_BATCH] = off;
}

static void bm_inbound(fixgw_bench_state *st, void *arg) {
  (void)arg;
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, big_buffers);
  p.acc.on_app = sink_app;
  pair_connect(&p);
  uint64_t seqno = 0, done = 0, calls = 0;
  size_t bytes = 0;
  int k = NOS_BATCH;
  while (fixgw_bench_keep_running_batch(st, 64)) {
    if (k + 64 > NOS_BATCH) {
      fixgw_bench_pause(st);
      refill(&p, &seqno);
      k = 0;
      fixgw_bench_resume(st);
    }
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int j = 0; j < 64; j++, k++) {
      char *dst;
      size_t cap, len = nos_off[k + 1] - nos_off[k];
      fixgw_session_recv_buf(p.acc.s, &dst, &cap);
      memcpy(dst, nos_buf + nos_off[k], len); /* the socket's copy */
      fixgw_session_recv_commit(p.acc.s, len, p.now);
      bytes += len;
    }
    calls += fixgw_alloc_count_calls() - c0;
    done += 64;
  }
  if (p.acc.app_msgs != done) fixgw_bench_error(st, "an order was not delivered");
  fixgw_bench_set_items(st, (int64_t)done);
  fixgw_bench_set_bytes(st, (int64_t)bytes);
  if (fixgw_alloc_count_available())
    fixgw_bench_counter(st, "allocs_per_msg", (double)calls / (double)done, false, false);
  pair_destroy(&p);
}

/* The same four steps with the codec alone: encode the order with the
 * header fields the session writes, parse it, encode the report, parse it.
 * What the session adds is the difference to session/roundtrip. */
static void bm_codec_floor(fixgw_bench_state *st, void *arg) {
  (void)arg;
  static char ob[1024], rb[1024];
  fixgw_parser_t pa, pb;
  fixgw_parser_init(&pa, NULL);
  fixgw_parser_init(&pb, NULL);
  int64_t now = 1796299200000000000ll;
  uint64_t i = 0, seq = 2;
  while (fixgw_bench_keep_running_batch(st, 100)) {
    for (int k = 0; k < 100; k++, seq++) {
      fixgw_encoder_t e;
      const char *out;
      size_t len, used;
      fixgw_msg_t m;
      fixgw_enc_begin(&e, ob, sizeof ob, "FIX.4.4", "D");
      fixgw_enc_uint(&e, 34, seq);
      fixgw_enc_cstr(&e, 49, "CLIENT");
      fixgw_enc_timestamp(&e, 52, now, FIXGW_TS_MILLIS);
      fixgw_enc_cstr(&e, 56, "SERVER");
      encode_order(&e, i++, now);
      fixgw_enc_finish(&e, &out, &len);
      if (fixgw_parse(&pa, out, len, &used, &m, NULL)) fixgw_bench_error(st, "parse");
      const fixgw_field_t *id = fixgw_msg_find(&m, 11);
      fixgw_enc_begin(&e, rb, sizeof rb, "FIX.4.4", "8");
      fixgw_enc_uint(&e, 34, seq);
      fixgw_enc_cstr(&e, 49, "SERVER");
      fixgw_enc_timestamp(&e, 52, now, FIXGW_TS_MILLIS);
      fixgw_enc_cstr(&e, 56, "CLIENT");
      fixgw_enc_cstr(&e, 6, "0");
      fixgw_enc_str(&e, 11, id->val, id->len);
      fixgw_enc_cstr(&e, 14, "0");
      fixgw_enc_cstr(&e, 17, "EXEC-1");
      fixgw_enc_char(&e, 39, '0');
      fixgw_enc_char(&e, 54, '1');
      fixgw_enc_cstr(&e, 55, "MSFT");
      fixgw_enc_char(&e, 150, '0');
      fixgw_enc_cstr(&e, 151, "1500");
      fixgw_enc_cstr(&e, 37, "O-1");
      fixgw_enc_finish(&e, &out, &len);
      if (fixgw_parse(&pb, out, len, &used, &m, NULL)) fixgw_bench_error(st, "parse");
      fixgw_bench_sink(m.fields);
    }
  }
  fixgw_bench_set_items(st, (int64_t)i);
  fixgw_parser_destroy(&pa);
  fixgw_parser_destroy(&pb);
}

static void bm_idle_bytes(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_store_t store;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  fixgw_mem_store_create(&mc, &store);
  fixgw_session_config_t c;
  fixgw_session_config_default(&c);
  strcpy(c.id.sender_comp_id, "SERVER");
  strcpy(c.id.target_comp_id, "CLIENT");
  c.role = FIXGW_ACCEPTOR;
  c.store = store;
  size_t bytes = 0;
  while (fixgw_bench_keep_running_batch(st, 1)) {
    fixgw_session_t *s;
    if (fixgw_session_create(&c, NULL, NULL, &s)) {
      fixgw_bench_error(st, "create");
      break;
    }
    bytes = fixgw_session_memory(s);
    fixgw_session_destroy(s);
  }
  fixgw_bench_counter(st, "session_bytes", (double)bytes, false, false);
  fixgw_bench_counter(st, "mem_store_max_bytes", (double)mc.max_bytes, false, false);
  fixgw_store_destroy(&store);
}

int main(int argc, char **argv) {
  fixgw_bench_register("session/roundtrip", bm_roundtrip, NULL, NULL, 0, 0);
  fixgw_bench_register("session/roundtrip_file_os", bm_roundtrip,
                       (void *)(intptr_t)(FIXGW_FILE_SYNC_OS + 1), NULL, 0, 0);
  fixgw_bench_register("session/roundtrip_file_group", bm_roundtrip,
                       (void *)(intptr_t)(FIXGW_FILE_SYNC_GROUP + 1), NULL, 0, 0);
  fixgw_bench_register("session/codec_floor", bm_codec_floor, NULL, NULL, 0, 0);
  fixgw_bench_register("session/inbound_nos", bm_inbound, NULL, NULL, 0, 0);
  fixgw_bench_register("session/idle_bytes", bm_idle_bytes, NULL, NULL, 0, 0);
  return fixgw_bench_main(&argc, argv);
}
