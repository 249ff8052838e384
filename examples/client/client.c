/* fixgw-client: an initiator that logs on, sends N NewOrderSingle, times
 * each until its ExecutionReport, logs out and prints one line
 *
 *   RESULT orders=N acked=M min_us=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. orders_per_s=..
 *
 *   fixgw-client -c FILE --orders N [--window W] [--rate R] [--port P]
 *                [--session S] [--hgrm FILE] [--timeout S] [--status]
 *                [--histogram] [--busy-poll] [--skip-seq K] [--drop-after K]
 *                [--await-logout] [--sync MODE] [--memory-store] [-v]
 *
 * The session is the first initiator of FILE (or --session's), driven by
 * net/'s loop, which connects and reconnects as the settings say
 * (SocketConnectHost/Port and the fail-overs, ReconnectInterval).
 *
 * Pacing. Without --rate, W orders (default 1) are in flight: the first W
 * go out at the Logon, and each ExecutionReport sends the next one from
 * its own callback, in the same pass of the loop. With --rate R, order i
 * is due at logon + i/R (open loop); --window, when given, still caps.
 *
 * Timing. CLOCK_MONOTONIC just before the order is encoded, and on entry
 * to the ExecutionReport's callback: our encode, both kernels' TCP paths,
 * the peer, and our parse on the way back. Latencies go into a fixgw_hist
 * (fixgw/metrics.h: 3 significant digits); percentiles are its nearest
 * ranks. orders_per_s is M over the time from the first send to the last
 * acknowledgement.
 *
 * An order is acknowledged by an ExecutionReport with its ClOrdID,
 * ExecType=New, OrdStatus=New, Symbol, Side and OrderQty echoed,
 * LeavesQty=OrderQty, CumQty=0; a duplicate (a PossDup resend) counts once,
 * Fills are counted apart.
 *
 * Exit 0 only when all N were acknowledged; 1 otherwise (after --timeout
 * seconds, default 60, it logs out and reports what it has); 2 for bad
 * usage or settings. Nothing allocates per message. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
#include "alloc_count.h"
#endif

static const char *prog = "fixgw-client";

#define LOG2_BUCKETS 24 /* [2^k, 2^(k+1)) microseconds, k = 0..23 */

typedef struct client {
  host_sess_t h; /* first: the session's user pointer is both */
  fixgw_loop_t *loop;
  struct fixgw_tls_ctx *tls; /* SocketUseSSL=Y, else NULL */
  uint64_t n, window, next, answered, acked, fills, unknown, bad, dups;
  double rate;
  uint64_t t_logon, first_send, last_ack;
  uint64_t *sent_ns;
  uint8_t *answered_flag;
  fixgw_hist_t *hist;
  uint64_t buckets[LOG2_BUCKETS + 1]; /* the last: below 1 us */
  char prefix[24];
  size_t prefix_len;
  const char *symbol, *qty, *price;
  size_t symbol_len, qty_len;
  uint64_t skip_after, drop_after;
  bool skipped, drop_pending, dropped, await_logout, finished, logout_wanted, started;
  uint64_t send_errors;
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
  uint64_t allocs_at_first, allocs_at_last;
#endif
} client_t;

/* ------------------------------------------------------------- sending */

static size_t put_u64(char *out, uint64_t v) {
  char d[24];
  size_t k = 0, n = 0;
  do {
    d[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k) out[n++] = d[--k];
  return n;
}

/* Order i: ClOrdID <prefix><i>, fields in ascending tag order. */
static int send_order(client_t *c, uint64_t i) {
  fixgw_now_t now = host_now();
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(c->h.s, "D", NULL, now, &e);
  if (rc != 0) return rc;
  char id[64];
  memcpy(id, c->prefix, c->prefix_len);
  size_t idn = c->prefix_len + put_u64(id + c->prefix_len, i);
  fixgw_enc_str(e, 11, id, idn);                 /* ClOrdID */
  fixgw_enc_char(e, 21, '1');                    /* HandlInst */
  fixgw_enc_str(e, 38, c->qty, c->qty_len);      /* OrderQty */
  fixgw_enc_char(e, 40, '2');                    /* OrdType Limit */
  fixgw_enc_cstr(e, 44, c->price);               /* Price */
  fixgw_enc_char(e, 54, '1');                    /* Side Buy */
  fixgw_enc_str(e, 55, c->symbol, c->symbol_len); /* Symbol */
  fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS); /* TransactTime */
  rc = fixgw_session_send_commit(c->h.s, NULL);
  if (rc != 0) return rc;
  c->sent_ns[i] = now.mono_ns;
  if (i == 0) c->first_send = now.mono_ns;
  if (c->skip_after && !c->skipped && i + 1 == c->skip_after) {
    /* A gap on purpose: one number used without a message, so the peer
     * must ask for it and gets a SequenceReset-GapFill. */
    c->skipped = true;
    uint64_t next = fixgw_session_next_sender_seq(c->h.s);
    fprintf(stderr, "%s: %s: skipping MsgSeqNum %llu (--skip-seq)\n", prog, c->h.name,
            (unsigned long long)next);
    fixgw_session_set_next_sender_seq(c->h.s, next + 1);
  }
  return 0;
}

static uint64_t due_ns(const client_t *c, uint64_t i) {
  return c->t_logon + (uint64_t)((double)i * 1e9 / c->rate);
}

/* Send what the window (and the rate) allow now. */
static void top_up(client_t *c) {
  if (!fixgw_session_is_logged_on(c->h.s) || c->logout_wanted) return;
  uint64_t now = c->rate > 0 ? host_mono_ns() : 0;
  while (c->next < c->n && c->next - c->answered < c->window) {
    if (c->rate > 0 && due_ns(c, c->next) > now) break;
    int rc = send_order(c, c->next);
    if (rc == FIXGW_EAGAIN) break; /* the buffer is full: after the next write */
    if (rc != 0) {
      if (c->send_errors++ < 10)
        fprintf(stderr, "%s: %s: order %llu not sent: %s\n", prog, c->h.name,
                (unsigned long long)c->next, fixgw_strerror(rc));
      break;
    }
    c->next++;
  }
}

/* ------------------------------------------------------------ receiving */

static bool field_is(const fixgw_msg_t *m, uint32_t tag, const char *want, size_t n) {
  const fixgw_field_t *f = fixgw_msg_find(m, tag);
  return f && f->len == n && memcmp(f->val, want, n) == 0;
}

static int64_t index_of(const client_t *c, const fixgw_field_t *f) {
  if (!f || f->len <= c->prefix_len || f->len > c->prefix_len + 19 ||
      memcmp(f->val, c->prefix, c->prefix_len) != 0)
    return -1;
  uint64_t v = 0;
  for (size_t k = c->prefix_len; k < f->len; k++) {
    unsigned d = (unsigned)(f->val[k] - '0');
    if (d > 9) return -1;
    v = v * 10 + d;
  }
  return v < c->n ? (int64_t)v : -1;
}

static int on_report(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  const uint64_t t = host_mono_ns();
  client_t *c = user;
  int64_t i = index_of(c, fixgw_msg_find(m, 11));
  if (i < 0 || c->sent_ns[i] == 0) {
    if (c->unknown++ < 10)
      fprintf(stderr, "%s: %s: ExecutionReport for an unknown ClOrdID\n", prog, c->h.name);
    return FIXGW_CB_OK;
  }
  const fixgw_field_t *et = fixgw_msg_find(m, 150);
  if (et && et->len == 1 && et->val[0] != '0') { /* Fill, Partial, ... */
    c->fills++;
    return FIXGW_CB_OK;
  }
  if (c->answered_flag[i]) { /* a PossDup resend: counted once */
    c->dups++;
    return FIXGW_CB_OK;
  }
  c->answered_flag[i] = 1;
  c->answered++;
  if (field_is(m, 150, "0", 1) && field_is(m, 39, "0", 1) &&
      field_is(m, 55, c->symbol, c->symbol_len) && field_is(m, 54, "1", 1) &&
      field_is(m, 38, c->qty, c->qty_len) && field_is(m, 151, c->qty, c->qty_len) &&
      field_is(m, 14, "0", 1)) {
    const int64_t lat = (int64_t)(t - c->sent_ns[i]);
    fixgw_hist_record(c->hist, lat);
    uint64_t us = (uint64_t)lat / 1000u;
    int b = us == 0 ? LOG2_BUCKETS : 63 - __builtin_clzll(us);
    if (b > LOG2_BUCKETS - 1 && us) b = LOG2_BUCKETS - 1;
    c->buckets[b]++;
    c->last_ack = t;
    c->acked++;
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
    if (c->acked == 1) c->allocs_at_first = fixgw_alloc_count_calls();
    if (c->acked == c->n) c->allocs_at_last = fixgw_alloc_count_calls();
#endif
  } else if (c->bad++ < 10) {
    fprintf(stderr, "%s: %s: ExecutionReport for order %lld not as expected\n", prog,
            c->h.name, (long long)i);
  }
  if (c->drop_after && !c->dropped && c->answered == c->drop_after) c->drop_pending = true;
  if (c->answered == c->n) {
    if (c->await_logout) {
      fprintf(stderr, "%s: %s: all %llu orders answered; waiting for the peer's Logout\n",
              prog, c->h.name, (unsigned long long)c->n);
    } else {
      c->logout_wanted = true;
      fixgw_session_logout(s, NULL, host_now());
    }
    return FIXGW_CB_OK;
  }
  top_up(c);
  return FIXGW_CB_OK;
}

static void on_logon(fixgw_session_t *s, void *user) {
  client_t *c = user;
  fprintf(stderr, "%s: %s: logged on (next_sender=%llu next_target=%llu)\n", prog, c->h.name,
          (unsigned long long)fixgw_session_next_sender_seq(s),
          (unsigned long long)fixgw_session_next_target_seq(s));
  if (!c->started) {
    c->started = true;
    c->t_logon = host_mono_ns();
  }
  /* A reconnect does not prime again: the orders in flight are still in
   * flight (resent from the store, or answered late). */
  top_up(c);
}

static void (*host_on_logout)(fixgw_session_t *, fixgw_disconnect_reason, void *);

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *user) {
  client_t *c = user;
  host_on_logout(s, why, user);
  if (c->answered == c->n) c->finished = true;
}

/* --------------------------------------------------------------- output */

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void print_result(const client_t *c) {
  fixgw_hist_summary_t sm;
  fixgw_hist_summarize(c->hist, &sm);
  double per_s = 0;
  if (c->acked > 0 && c->last_ack > c->first_send)
    per_s = (double)c->acked * 1e9 / (double)(c->last_ack - c->first_send);
  printf("RESULT orders=%llu acked=%llu min_us=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f "
         "max_us=%.1f orders_per_s=%.0f\n",
         (unsigned long long)c->n, (unsigned long long)c->acked, us(sm.min), us(sm.p50),
         us(sm.p99), us(sm.p999), us(sm.max), per_s);
  fflush(stdout);
}

static void print_histogram(FILE *f, const client_t *c) {
  uint64_t most = 0, total = 0;
  int lo = -1, hi = -1;
  for (int b = 0; b <= LOG2_BUCKETS; b++) {
    if (!c->buckets[b]) continue;
    if (c->buckets[b] > most) most = c->buckets[b];
    total += c->buckets[b];
  }
  if (!total) return;
  for (int b = 0; b < LOG2_BUCKETS; b++)
    if (c->buckets[b]) {
      if (lo < 0) lo = b;
      hi = b;
    }
  fprintf(f, "round trip (us)      count  share\n");
  if (c->buckets[LOG2_BUCKETS]) {
    int w = (int)((c->buckets[LOG2_BUCKETS] * 40 + most - 1) / most);
    fprintf(f, "%8s-%-7s %9llu %5.1f%% %.*s\n", "0", "1", (unsigned long long)c->buckets[LOG2_BUCKETS],
            100.0 * (double)c->buckets[LOG2_BUCKETS] / (double)total, w,
            "########################################");
  }
  for (int b = lo; b >= 0 && b <= hi; b++) {
    char l[24], r[24];
    snprintf(l, sizeof l, "%llu", 1ull << b);
    snprintf(r, sizeof r, "%llu", 1ull << (b + 1));
    int w = (int)((c->buckets[b] * 40 + most - 1) / most);
    fprintf(f, "%8s-%-7s %9llu %5.1f%% %.*s\n", l, r, (unsigned long long)c->buckets[b],
            100.0 * (double)c->buckets[b] / (double)total, w,
            "########################################");
  }
}

static int write_hgrm(const client_t *c, const char *path) {
  size_t len = 0;
  fixgw_hist_write_hgrm(c->hist, 1e3, NULL, 0, &len);
  char *buf = malloc(len + 1);
  if (!buf) return -1;
  int rc = fixgw_hist_write_hgrm(c->hist, 1e3, buf, len + 1, &len);
  FILE *f = rc == 0 ? fopen(path, "w") : NULL;
  if (!f) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, rc ? fixgw_strerror(rc) : strerror(errno));
    free(buf);
    return -1;
  }
  fwrite(buf, 1, len, f);
  free(buf);
  return fclose(f) == 0 ? 0 : -1;
}

/* --------------------------------------------------------------- metrics */

/* The round trips so far and the order counts, beside the session's own. */
static void render_client(fixgw_loop_t *loop, fixgw_prom_t *w, void *user) {
  (void)loop;
  const client_t *c = user;
  const char *label = "session", *v[1] = {c->h.name};
  const fixgw_hist_t *h[1] = {c->hist};
  fixgw_prom_summary(w, "fixgw_client_round_trip_seconds",
                     "NewOrderSingle to its ExecutionReport", label, v, h, 1, 1e9);
  const char *const ln[1] = {label};
  fixgw_prom_family(w, "fixgw_client_orders_sent_total", "counter", "Orders sent");
  fixgw_prom_sample(w, "fixgw_client_orders_sent_total", ln, v, 1, c->next);
  fixgw_prom_family(w, "fixgw_client_orders_acked_total", "counter", "Orders acknowledged");
  fixgw_prom_sample(w, "fixgw_client_orders_acked_total", ln, v, 1, c->acked);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s -c FILE --orders N [--window W] [--rate R] [--port P]\n"
          "                    [--session S] [--hgrm FILE] [--timeout S] [--status]\n"
          "                    [--histogram] [--busy-poll] [--skip-seq K] [--drop-after K]\n"
          "                    [--await-logout] [--sync MODE] [--memory-store]\n"
          "                    [--metrics-port N] [-v]\n"
          "\n"
          "An initiator: logs on, sends N NewOrderSingle, times each until its\n"
          "ExecutionReport, logs out and prints one line\n"
          "RESULT orders=N acked=M min_us=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. "
          "orders_per_s=..\n"
          "\n"
          "  -c, --config FILE  settings file; the first initiator session is used\n"
          "  --orders N         orders to send (N >= 1)\n"
          "  --window W         at most W in flight (default 1; with --rate: no cap)\n"
          "  --rate R           send R orders per second (open loop)\n"
          "  --port P           connect to P instead of SocketConnectPort\n"
          "  --session S        the session by BeginString (FIX.4.4) or id\n"
          "                     (FIX.4.4:CLIENT->SERVER) instead of the first\n"
          "  --hgrm FILE        write the latency distribution (us) as an .hgrm file\n"
          "  --timeout S        give up after S seconds (default 60): exit 1\n"
          "  --status           print a STATUS line (state, numbers) at exit (stdout)\n"
          "  --histogram        print a text histogram of the round trips (stdout)\n"
          "  --busy-poll        spin in epoll_wait(0) (lowest latency, one core busy)\n"
          "  --skip-seq K       after the K-th order, skip one MsgSeqNum (a gap the\n"
          "                     peer must heal by a ResendRequest)\n"
          "  --drop-after K     close the connection after K answers; it reconnects\n"
          "                     after ReconnectInterval and resumes the numbers\n"
          "  --await-logout     when all are answered, wait for the peer's Logout\n"
          "  --sync MODE        file store durability: every, group, os (default)\n"
          "  --memory-store     ignore FileStorePath: keep messages in memory\n"
          "  --symbol SYM       Symbol(55) of the orders (default FIXGW)\n"
          "  --metrics-port N   serve Prometheus metrics on http://127.0.0.1:N/metrics\n"
          "                     (0: ephemeral; prints `METRICS port=N`)\n"
          "  -v, --verbose      session and connection events on stderr\n"
          "  -h, --help         this text\n"
          "\n"
          "Exit 0 when every order was acknowledged, 1 otherwise, 2 for bad usage or\n"
          "settings.\n",
          prog);
}

static bool session_matches(const fixgw_session_settings_t *ss, const char *want) {
  char name[160];
  const fixgw_session_id_t *id = &ss->session.id;
  snprintf(name, sizeof name, "%s:%s->%s", fixgw_version_string(id->version),
           id->sender_comp_id, id->target_comp_id);
  return !strcmp(want, fixgw_version_string(id->version)) || !strcmp(want, name);
}

int main(int argc, char **argv) {
  const char *config = NULL, *hgrm = NULL, *want = NULL;
  uint64_t orders = 0, window = 0, timeout_s = 60, skip = 0, drop = 0;
  long port = -1, metrics_port = -1;
  double rate = 0;
  int status = 0, histogram = 0, busy = 0, verbose = 0, await = 0;
  const char *symbol = "FIXGW";
  host_store_opts_t so = {FIXGW_FILE_SYNC_OS, false, 0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                  \
  do {                                                                \
    if (!v) {                                                         \
      fprintf(stderr, "%s: %s needs a value (try --help)\n", prog, a); \
      return 2;                                                       \
    }                                                                 \
    i++;                                                              \
  } while (0)
#define BAD(what)                                        \
  do {                                                   \
    fprintf(stderr, "%s: %s %s: %s\n", prog, a, v, what); \
    return 2;                                            \
  } while (0)
    uint64_t u;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
      NEED_VALUE();
      config = v;
    } else if (!strcmp(a, "--orders")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 100000000, &orders)) BAD("not a count (1-100000000)");
    } else if (!strcmp(a, "--window")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 1000000, &window)) BAD("not a window (1-1000000)");
    } else if (!strcmp(a, "--rate")) {
      NEED_VALUE();
      char *end;
      errno = 0;
      rate = strtod(v, &end);
      if (errno || end == v || *end || !(rate >= 1e-3 && rate <= 1e8))
        BAD("not a rate (orders per second, > 0)");
    } else if (!strcmp(a, "--port")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 65535, &u)) BAD("not a port (1-65535)");
      port = (long)u;
    } else if (!strcmp(a, "--metrics-port")) {
      NEED_VALUE();
      if (host_parse_u64(v, 0, 65535, &u)) BAD("not a port (0-65535)");
      metrics_port = (long)u;
    } else if (!strcmp(a, "--session")) {
      NEED_VALUE();
      want = v;
    } else if (!strcmp(a, "--hgrm")) {
      NEED_VALUE();
      hgrm = v;
    } else if (!strcmp(a, "--timeout")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 86400, &timeout_s)) BAD("not a number of seconds (1-86400)");
    } else if (!strcmp(a, "--skip-seq")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 100000000, &skip)) BAD("not a count (>= 1)");
    } else if (!strcmp(a, "--drop-after")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 100000000, &drop)) BAD("not a count (>= 1)");
    } else if (!strcmp(a, "--symbol")) {
      NEED_VALUE();
      if (!v[0] || strlen(v) > 32 || strchr(v, '\x01')) BAD("not a symbol");
      symbol = v;
    } else if (!strcmp(a, "--sync")) {
      NEED_VALUE();
      if (!strcmp(v, "every")) so.sync = FIXGW_FILE_SYNC_EVERY;
      else if (!strcmp(v, "group")) so.sync = FIXGW_FILE_SYNC_GROUP;
      else if (!strcmp(v, "os")) so.sync = FIXGW_FILE_SYNC_OS;
      else BAD("every, group or os");
    } else if (!strcmp(a, "--memory-store")) {
      so.force_memory = true;
    } else if (!strcmp(a, "--status")) {
      status = 1;
    } else if (!strcmp(a, "--histogram")) {
      histogram = 1;
    } else if (!strcmp(a, "--busy-poll")) {
      busy = 1;
    } else if (!strcmp(a, "--await-logout")) {
      await = 1;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      verbose = 1;
    } else {
      fprintf(stderr, "%s: unknown argument %s (try --help)\n", prog, a);
      return 2;
    }
#undef NEED_VALUE
#undef BAD
  }
  if (!config || !orders) {
    fprintf(stderr, "%s: -c FILE and --orders N are required (try --help)\n", prog);
    return 2;
  }
  const uint64_t t_start = host_mono_ns();
  const uint64_t deadline = t_start + timeout_s * 1000000000u;

  fixgw_settings_t *set;
  if (host_settings_load(prog, config, &set)) return 2;
  const fixgw_session_settings_t *ss = NULL;
  for (size_t i = 0; i < fixgw_settings_count(set) && !ss; i++) {
    const fixgw_session_settings_t *x = fixgw_settings_session(set, i);
    if (x->connection_type == FIXGW_INITIATOR && (!want || session_matches(x, want))) ss = x;
  }
  if (!ss) {
    fprintf(stderr, "%s: %s: no initiator session%s%s\n", prog, config,
            want ? " matches --session " : "", want ? want : "");
    fixgw_settings_free(set);
    return 2;
  }
  if (ss->nconnect == 0) {
    fprintf(stderr, "%s: %s:%u: SocketConnectHost, SocketConnectPort: required\n", prog,
            config, ss->line);
    fixgw_settings_free(set);
    return 2;
  }

  static client_t cl;
  client_t *c = &cl;
  c->h.prog = prog;
  c->h.verbose = verbose;
  c->n = orders;
  c->rate = rate;
  c->window = window ? window : (rate > 0 ? orders : 1);
  c->skip_after = skip;
  c->drop_after = drop;
  c->await_logout = await;
  c->symbol = symbol;
  c->symbol_len = strlen(symbol);
  c->qty = "100";
  c->qty_len = 3;
  c->price = "10.25";
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(c->prefix, sizeof c->prefix, "%lx%x-", (unsigned long)ts.tv_sec,
           (unsigned)getpid() & 0xffffu);
  c->prefix_len = strlen(c->prefix);
  host_name(&c->h, &ss->session.id);

  int rc = 1;
  c->sent_ns = calloc(orders, sizeof *c->sent_ns);
  c->answered_flag = calloc(orders, 1);
  c->hist = malloc(sizeof *c->hist);
  if (!c->sent_ns || !c->answered_flag || !c->hist) {
    fprintf(stderr, "%s: out of memory for %llu orders\n", prog, (unsigned long long)orders);
    goto out_mem;
  }
  fixgw_hist_reset(c->hist);
  if (host_store_open(&c->h, ss, &so)) goto out_mem;

  fixgw_session_config_t cfg = ss->session;
  cfg.store = c->h.store;
  if (cfg.tx_buffer_size < (256u << 10)) cfg.tx_buffer_size = 256u << 10;
  fixgw_session_callbacks_t cb;
  host_callbacks(&cb);
  host_on_logout = cb.on_logout;
  cb.on_logon = on_logon;
  cb.on_logout = on_logout;
  int r = fixgw_session_create(&cfg, &cb, c, &c->h.s);
  if (r != 0) {
    fprintf(stderr, "%s: %s: session: %s\n", prog, c->h.name, fixgw_strerror(r));
    goto out_store;
  }
  fixgw_session_on(c->h.s, "8", on_report);

  fixgw_loop_config_t lc;
  fixgw_loop_config_default(&lc);
  lc.busy_poll = busy;
  lc.on_log = host_loop_log;
  lc.user = &c->h;
  lc.max_connections = 4;
  lc.max_sessions = 1;
  lc.max_listeners = 1;
  lc.max_pending = 1;
  r = fixgw_loop_create(&lc, &c->loop);
  if (r != 0) {
    fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(r));
    goto out_sess;
  }
  fixgw_net_hosts_t hosts;
  memset(&hosts, 0, sizeof hosts);
  for (uint32_t i = 0; i < ss->nconnect && i < FIXGW_NET_HOSTS_MAX; i++) {
    snprintf(hosts.host[i].host, sizeof hosts.host[i].host, "%s", ss->connect[i].host);
    hosts.host[i].port = port > 0 ? (uint16_t)port : ss->connect[i].port;
    hosts.count++;
  }
  fixgw_net_initiator_opts_t io;
  fixgw_net_initiator_opts_default(&io);
  io.sock.no_delay = ss->socket_nodelay;
  io.sock.sndbuf = (int)ss->socket_send_buffer_size;
  io.sock.rcvbuf = (int)ss->socket_receive_buffer_size;
  if (host_tls_ctx(prog, ss, false, &c->tls)) {
    rc = 2;
    goto out_loop;
  }
  io.tls = c->tls;
  r = fixgw_net_initiator_add(c->loop, c->h.s, &hosts, ss->reconnect_interval_s, &io);
  if (r != 0) {
    fprintf(stderr, "%s: %s: cannot initiate to %s:%u: %s\n", prog, c->h.name,
            hosts.host[0].host, hosts.host[0].port, fixgw_strerror(r));
    goto out_loop;
  }
  if (metrics_port >= 0 &&
      host_metrics_listen(prog, c->loop, (uint16_t)metrics_port, true, render_client, c))
    goto out_loop;
  static volatile int stop;
  host_signals(&stop, c->loop);

  bool timed_out = false;
  while (!stop && !c->finished) {
    uint64_t now = host_mono_ns();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    int timeout = (int)((deadline - now) / 1000000u) + 1;
    if (timeout > 100) timeout = 100;
    if (c->rate > 0 && c->next < c->n && c->started) {
      uint64_t d = due_ns(c, c->next);
      int ms = d <= now ? 0 : (int)((d - now) / 1000000u);
      if (ms < timeout) timeout = ms;
    }
    uint64_t sd = host_store_deadline(&c->h);
    if (sd != UINT64_MAX) {
      int ms = sd <= now ? 0 : (int)((sd - now) / 1000000u) + 1;
      if (ms < timeout) timeout = ms;
    }
    r = fixgw_loop_run_once(c->loop, timeout);
    if (r < 0) {
      fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(r));
      break;
    }
    if (c->drop_pending) {
      c->drop_pending = false;
      c->dropped = true;
      fprintf(stderr, "%s: %s: dropping the connection after %llu answers (--drop-after)\n",
              prog, c->h.name, (unsigned long long)c->answered);
      fixgw_loop_drop(c->loop, c->h.s, FIXGW_DR_HOST);
    }
    top_up(c);
    host_store_poll(&c->h, host_mono_ns());
    /* Logged out after the last answer (ours or the peer's Logout). */
    if (c->answered == c->n && fixgw_session_state_get(c->h.s) == FIXGW_SS_DISCONNECTED &&
        (c->logout_wanted || c->h.c.logouts_in))
      c->finished = true;
  }
  if (timed_out || stop) {
    if (!c->started)
      fprintf(stderr, "%s: no Logon for %s with %s:%u within %llu s (refused, no answer, or "
              "rejected; -v shows the events)\n", prog, c->h.name, hosts.host[0].host,
              hosts.host[0].port, (unsigned long long)timeout_s);
    else
      fprintf(stderr, "%s: %s after %.1f s: %llu of %llu orders answered\n", prog,
              stop ? "stopped" : "timed out", (double)(host_mono_ns() - t_start) / 1e9,
              (unsigned long long)c->answered, (unsigned long long)c->n);
  }
  /* Logout (already under way when every order came back) and no more
   * reconnects; turn until the connection is closed, 3 s at most. */
  fixgw_loop_logout_all(c->loop, NULL);
  uint64_t until = host_mono_ns() + 3000000000u;
  while (fixgw_loop_stats(c->loop)->attached > 0 && host_mono_ns() < until)
    fixgw_loop_run_once(c->loop, 20);

  print_result(c);
  if (histogram) print_histogram(stdout, c);
  if (status) {
    char extra[256];
    snprintf(extra, sizeof extra,
             "orders=%llu sent=%llu answered=%llu acked=%llu fills=%llu duplicates=%llu "
             "unknown=%llu not_as_expected=%llu",
             (unsigned long long)c->n, (unsigned long long)c->next,
             (unsigned long long)c->answered, (unsigned long long)c->acked,
             (unsigned long long)c->fills, (unsigned long long)c->dups,
             (unsigned long long)c->unknown, (unsigned long long)c->bad);
    host_status(stdout, &c->h, extra);
  }
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
  fprintf(stderr, "%s: ALLOCS steady=%llu acked=%llu available=%d\n", prog,
          c->acked == c->n ? (unsigned long long)(c->allocs_at_last - c->allocs_at_first)
                           : 0ull,
          (unsigned long long)c->acked, fixgw_alloc_count_available());
#endif
  fflush(stdout);
  rc = (!timed_out && !stop && c->acked == c->n) ? 0 : 1;
  if (hgrm && write_hgrm(c, hgrm) != 0) rc = 1;

out_loop:
  fixgw_loop_destroy(c->loop);
  host_tls_free(c->tls);
out_sess:
  fixgw_session_destroy(c->h.s);
out_store:
  host_store_close(&c->h);
out_mem:
  free(c->sent_ns);
  free(c->answered_flag);
  free(c->hist);
  fixgw_settings_free(set);
  return rc;
}
