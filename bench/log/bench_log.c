/* The logs' costs:
 *   log/write_file       one 200-byte message line into the file log's
 *                        buffer (timestamp, copy), flush outside the timing
 *   log/write_callback   the same through a callback log with an empty cb
 *   log/inbound_nos      one acceptor: recv, frame, sequence check and
 *                        dispatch of a NewOrderSingle, no log (the pair's
 *                        session, as bench/session has it)
 *   log/inbound_nos_logged  the same session logging every message and
 *                        event to a file log through fixgw_log_attach;
 *                        the difference to inbound_nos is the log's cost
 *                        on the session's path (flush outside the timing)
 *   log/inbound_nos_logged_flush  the same with the host's flush every 64
 *                        messages inside the timing (the write(2) shared)
 *   log/flush            fixgw_log_flush of 8 MiB of buffered 200-byte
 *                        lines to a file: bytes_per_second is the rate
 * Run (rows compared for a ratio, interleaved):
 *   bench_log --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 *             --benchmark_enable_random_interleaving=true
 * FIXGW_BENCH_DIR picks the file system (default /tmp). */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc_count.h"
#include "fixgw/log.h"
#include "fixgw/session.h"
#include "fixgw_bench.h"
#include "pair.h"

#define T0 1796299200000000000ll
#define MSG_LEN 200

static char g_dir[256];
static char g_msg[MSG_LEN];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f) {
  (void)sb;
  (void)flag;
  (void)f;
  return remove(p);
}

static int open_log(const char *prefix, size_t buffer, fixgw_log_t *log) {
  fixgw_file_log_config_t c;
  fixgw_file_log_config_default(&c);
  c.path = g_dir;
  c.prefix = prefix;
  c.buffer_bytes = buffer;
  c.rotate_bytes = 256u << 20; /* bounds the disk the runs use */
  c.keep = 1;
  return fixgw_file_log_create(&c, T0, log);
}

/* ------------------------------------------------------------- writes */

static void run_writes(fixgw_bench_state *st, fixgw_log_t *log) {
  int64_t n = 0, t = T0;
  while (fixgw_bench_keep_running_batch(st, 1000)) {
    for (int i = 0; i < 1000; i++)
      if (fixgw_log_incoming(log, t++, g_msg, MSG_LEN)) fixgw_bench_error(st, "dropped");
    n += 1000;
    fixgw_bench_pause(st);
    fixgw_log_flush(log, t);
    fixgw_bench_resume(st);
  }
  fixgw_bench_set_items(st, n);
}

static void bm_write_file(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_log_t log;
  if (open_log("BENCH-WRITE", 1u << 20, &log)) {
    fixgw_bench_error(st, "create");
    return;
  }
  run_writes(st, &log);
  fixgw_log_destroy(&log);
}

static void noop_line(fixgw_log_kind k, fixgw_log_level lv, int64_t t, const char *text,
                      size_t len, void *user) {
  (void)k;
  (void)lv;
  (void)t;
  (void)len;
  (void)user;
  fixgw_bench_sink(text);
}

static void bm_write_callback(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_callback_log_t cl;
  fixgw_log_t log;
  fixgw_callback_log_init(&cl, noop_line, NULL, &log);
  run_writes(st, &log);
}

/* ------------------------------------------------- the session's path */

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

#define NOS_BATCH 4096
static char nos_buf[NOS_BATCH * 320];
static size_t nos_off[NOS_BATCH + 1];

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

static void big_buffers(fixgw_session_config_t *c, bool initiator) {
  (void)initiator;
  c->tx_buffer_size = NOS_BATCH * 320;
}

static uint64_t g_apps;
static int sink_app(fixgw_session_t *s, const fixgw_msg_t *m, void *u) {
  (void)s;
  (void)u;
  fixgw_bench_sink(m->fields);
  g_apps++;
  return FIXGW_CB_OK;
}
static int pair_sink(pair_side_t *side, const fixgw_msg_t *m) {
  return sink_app(side->s, m, NULL);
}

enum { NO_LOG = 0, LOGGED = 1, LOGGED_FLUSH = 2 };

static void bm_inbound(fixgw_bench_state *st, void *arg) {
  int mode = (int)(intptr_t)arg;
  pair_t p;
  pair_init(&p, FIXGW_V_FIX44, big_buffers);
  p.acc.on_app = pair_sink;
  fixgw_log_t log = {NULL, NULL};
  static fixgw_log_session_t ad;
  if (mode != NO_LOG) {
    /* The acceptor again, logging through the adapter. */
    if (open_log("BENCH-SESSION", 4u << 20, &log)) {
      fixgw_bench_error(st, "create");
      pair_destroy(&p);
      return;
    }
    fixgw_session_destroy(p.acc.s);
    fixgw_session_callbacks_t cb;
    memset(&cb, 0, sizeof cb);
    cb.size = sizeof cb;
    cb.on_app = sink_app;
    void *user = NULL;
    fixgw_log_attach_config_t ac = {&p.now, NULL, NULL, FIXGW_LOG_DEBUG};
    fixgw_log_attach(&ad, &log, &ac, &cb, &user);
    if (fixgw_session_create(&p.acc.cfg, &cb, user, &p.acc.s)) {
      fixgw_bench_error(st, "session");
      return;
    }
  }
  pair_connect(&p);
  g_apps = 0;
  uint64_t seqno = 0, done = 0, calls = 0;
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
    }
    if (mode == LOGGED_FLUSH) {
      fixgw_log_flush(&log, p.now.utc_ns);
    } else if (mode == LOGGED) {
      fixgw_bench_pause(st);
      fixgw_log_flush(&log, p.now.utc_ns);
      fixgw_bench_resume(st);
    }
    calls += fixgw_alloc_count_calls() - c0;
    done += 64;
  }
  if (g_apps != done) fixgw_bench_error(st, "an order was not delivered");
  fixgw_bench_set_items(st, (int64_t)done);
  if (fixgw_alloc_count_available())
    fixgw_bench_counter(st, "allocs_per_msg", (double)calls / (double)done, false, false);
  if (mode != NO_LOG) {
    fixgw_log_stats_t ls;
    fixgw_log_stats(&log, &ls);
    if (ls.dropped) fixgw_bench_error(st, "log lines dropped");
    if (ls.failing) fixgw_bench_error(st, ls.last_error_text);
  }
  pair_destroy(&p);
  fixgw_log_destroy(&log);
}

/* -------------------------------------------------------------- flush */

#define FLUSH_BYTES (8u << 20)

static void bm_flush(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_log_t log;
  if (open_log("BENCH-FLUSH", 2 * FLUSH_BYTES, &log)) {
    fixgw_bench_error(st, "create");
    return;
  }
  int64_t t = T0, bytes = 0;
  while (fixgw_bench_keep_running_batch(st, 1)) {
    fixgw_bench_pause(st);
    for (unsigned i = 0; i < FLUSH_BYTES / (MSG_LEN + 31); i++)
      fixgw_log_incoming(&log, t++, g_msg, MSG_LEN);
    fixgw_bench_resume(st);
    int rc = fixgw_log_flush(&log, t);
    if (rc < 0) {
      fixgw_bench_error(st, "flush");
      break;
    }
    bytes += rc;
  }
  fixgw_bench_set_bytes(st, bytes);
  fixgw_log_destroy(&log);
}

int main(int argc, char **argv) {
  const char *base = getenv("FIXGW_BENCH_DIR");
  snprintf(g_dir, sizeof g_dir, "%s/fixgw-bench-log-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    return 1;
  }
  for (int i = 0; i < MSG_LEN; i++) g_msg[i] = (char)('A' + i % 26);
  fixgw_bench_context("log_dir", g_dir);
  fixgw_bench_register("log/write_file", bm_write_file, NULL, NULL, 0, 0);
  fixgw_bench_register("log/write_callback", bm_write_callback, NULL, NULL, 0, 0);
  fixgw_bench_register("log/inbound_nos", bm_inbound, (void *)(intptr_t)NO_LOG, NULL, 0, 0);
  fixgw_bench_register("log/inbound_nos_logged", bm_inbound, (void *)(intptr_t)LOGGED, NULL, 0,
                       0);
  fixgw_bench_register("log/inbound_nos_logged_flush", bm_inbound,
                       (void *)(intptr_t)LOGGED_FLUSH, NULL, 0, 0);
  fixgw_bench_register("log/flush", bm_flush, NULL, NULL, 0, 0);
  int rc = fixgw_bench_main(&argc, argv);
  nftw(g_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  return rc;
}
