/* fixgw-executor: an acceptor that answers every NewOrderSingle with an
 * ExecutionReport (ExecType=New; with --fills a Fill follows), for every
 * acceptor session its QuickFIX-style settings file lists, on one port.
 * AcceptorTemplate sessions ("*" CompIDs) are made when a matching peer
 * first logs on, up to --max-sessions in all, and kept for its reconnects.
 *
 *   fixgw-executor -c FILE [--port N] [--fills] [--status] [--busy-poll]
 *                  [--sync every|group|os] [--memory-store] [--skip-seq K]
 *                  [--metrics-port N] [--order-log FILE] [--max-sessions N]
 *                  [--memory-store-bytes N] [-v]
 *
 * Prints `READY port=N` on stdout once it listens (SocketAcceptPort, or
 * --port; 0 binds an ephemeral port). SIGTERM or SIGINT: every session is
 * logged out, the Logout exchanges run (5 s at most), a STATUS line per
 * session is printed with --status, and it exits 0.
 *
 * Sessions are net/'s loop's (fixgw/net.h), one thread; the answer is sent
 * from the NewOrderSingle's callback, so a message is read, answered and
 * written in one pass of the loop. When the transmit buffer is full (a
 * slow reader) the order waits in a small per-session ring, input is
 * paused (FIXGW_CB_PAUSE) and the ring drains after the loop has written.
 * Nothing allocates per message. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
#include "alloc_count.h"
#endif

static const char *prog = "fixgw-executor";

/* ---------------------------------------------------------------- orders */

#define ID_MAX 64
#define RING 256u /* deferred answers per session (a power of two) */

typedef struct order {
  char clordid[ID_MAX + 1];
  char symbol[ID_MAX + 1];
  char qty[32];
  char price[32];
  char side;
  uint8_t stage; /* 0: the New is due; 1: the Fill is due */
  uint64_t n;    /* the executor's order number (OrderID, ExecID) */
} order_t;

typedef struct exec_sess {
  host_sess_t h; /* first: the session's user pointer is both */
  uint32_t head, tail; /* tail - head orders wait */
  bool waiting;        /* in g.waiting: drain() after the loop's turn */
  uint64_t orders_in, reports_sent, fills_sent, orders_invalid, orders_dropped;
  uint64_t deferred, deferred_max;
  uint64_t skip_after; /* --skip-seq: after this many reports, skip a number */
  bool skipped;
  /* Last, and neither cleared nor written unless an answer must wait:
   * its 52 KiB stay untouched (not resident) in a session that never
   * meets a full transmit buffer, which at 10 000 sessions is the
   * difference between 88 and 46 KiB of RSS each. */
  order_t ring[RING];
} exec_sess_t;

static struct {
  bool fills;
  uint64_t skip_after;
  /* Sessions with deferred answers, and those with a file store: the only
   * ones the main loop visits between turns, so a turn costs what is
   * active, not every session (at 10 000 sessions a scan of all of them
   * per turn was most of an idle acceptor's CPU and of a busy session's
   * round trip). */
  struct exec_sess **waiting;
  size_t nwaiting;
  struct exec_sess **filed;
  size_t nfiled;
  struct exec_sess **es; /* every session made, listed or from a template */
  size_t made, cap;
  host_store_opts_t so;
  int verbose;
  host_sess_t log_user; /* the loop's log lines */
  char prefix[24]; /* unique per run: OrderID O<prefix><n>, ExecID E.., F.. */
  uint64_t next_order;
  int order_log; /* --order-log: fd, or -1 */
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
  bool counting;
  uint64_t count_orders;
#endif
} g;

static size_t copy_field(const fixgw_msg_t *m, uint32_t tag, char *out, size_t cap) {
  fixgw_str_t v;
  if (fixgw_msg_get_str(m, tag, &v) != 0 || v.len == 0 || v.len >= cap) return 0;
  memcpy(out, v.ptr, v.len);
  out[v.len] = '\0';
  return v.len;
}

/* Decimal digits of v after the prefix c: "O<prefix><v>". */
static size_t make_id(char *out, char c, uint64_t v) {
  size_t n = 0;
  out[n++] = c;
  for (const char *p = g.prefix; *p; p++) out[n++] = *p;
  char d[24];
  size_t k = 0;
  do {
    d[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k) out[n++] = d[--k];
  out[n] = '\0';
  return n;
}

/* One ExecutionReport for o (its New or its Fill), fields in ascending tag
 * order. 0, FIXGW_EAGAIN (transmit buffer full: nothing sent), or an error
 * (logged, the order counted as dropped). */
static int report(exec_sess_t *es, const order_t *o) {
  fixgw_encoder_t *e;
  fixgw_session_t *s = es->h.s;
  int rc = fixgw_session_send_begin(s, "8", NULL, host_now(), &e);
  if (rc != 0) return rc;
  const bool fill = o->stage == 1;
  const bool v42 = fixgw_session_id(s)->version <= FIXGW_V_FIX42;
  char oid[48], eid[48];
  make_id(oid, 'O', o->n);
  make_id(eid, fill ? 'F' : 'E', o->n);
  fixgw_enc_cstr(e, 6, fill ? o->price : "0");            /* AvgPx */
  fixgw_enc_cstr(e, 11, o->clordid);                      /* ClOrdID */
  fixgw_enc_cstr(e, 14, fill ? o->qty : "0");             /* CumQty */
  fixgw_enc_cstr(e, 17, eid);                             /* ExecID */
  if (v42) fixgw_enc_char(e, 20, '0');                    /* ExecTransType New */
  if (fill) fixgw_enc_cstr(e, 31, o->price);              /* LastPx */
  if (fill) fixgw_enc_cstr(e, 32, o->qty);                /* LastQty (LastShares) */
  fixgw_enc_cstr(e, 37, oid);                             /* OrderID */
  fixgw_enc_cstr(e, 38, o->qty);                          /* OrderQty */
  fixgw_enc_char(e, 39, fill ? '2' : '0');                /* OrdStatus */
  fixgw_enc_char(e, 54, o->side);                         /* Side */
  fixgw_enc_cstr(e, 55, o->symbol);                       /* Symbol */
  fixgw_enc_char(e, 150, fill ? (v42 ? '2' : 'F') : '0'); /* ExecType */
  fixgw_enc_cstr(e, 151, fill ? "0" : o->qty);            /* LeavesQty */
  rc = fixgw_session_send_commit(s, NULL);
  if (rc != 0) return rc;
  if (fill) {
    es->fills_sent++;
  } else {
    es->reports_sent++;
    if (es->skip_after && !es->skipped && es->reports_sent == es->skip_after) {
      /* A gap on purpose: one number used without a message, so the peer
       * must ask for it and gets a SequenceReset-GapFill. */
      es->skipped = true;
      uint64_t next = fixgw_session_next_sender_seq(s);
      fprintf(stderr, "%s: %s: skipping MsgSeqNum %llu (--skip-seq)\n", prog, es->h.name,
              (unsigned long long)next);
      fixgw_session_set_next_sender_seq(s, next + 1);
    }
  }
  return 0;
}

/* The reports o still owes; FIXGW_EAGAIN leaves o->stage where it stopped:
 * the transmit buffer is full, or the session cannot send now (logging
 * out, disconnected) and the order waits for the next logon, because its
 * MsgSeqNum is consumed and the peer will not send it again. */
static int answer(exec_sess_t *es, order_t *o) {
  for (;;) {
    int rc = report(es, o);
    if (rc == FIXGW_ESTATE) rc = FIXGW_EAGAIN;
    if (rc == FIXGW_EAGAIN) return rc;
    if (rc != 0) {
      es->orders_dropped++;
      fprintf(stderr, "%s: %s: ExecutionReport for %s not sent: %s\n", prog, es->h.name,
              o->clordid, fixgw_strerror(rc));
      return 0;
    }
    if (o->stage == 0 && g.fills) {
      o->stage = 1;
      continue;
    }
    return 0;
  }
}

/* Send what waits in the ring, oldest first, until the buffer is full. */
static void drain(exec_sess_t *es) {
  while (es->head != es->tail) {
    if (!fixgw_session_is_logged_on(es->h.s)) return; /* after the next logon */
    if (answer(es, &es->ring[es->head & (RING - 1)]) == FIXGW_EAGAIN) return;
    es->head++;
  }
}

/* --order-log: one line per delivery, "<session> <ClOrdID> <MsgSeqNum>
 * <PossDupFlag>", written with one write(2) each so that a SIGKILL loses
 * none of the lines of orders the application saw (the fault tests count
 * deliveries with it). */
static void order_logged(const exec_sess_t *es, const fixgw_msg_t *m, const char *clordid) {
  uint64_t seq = 0;
  char pd = 'N';
  fixgw_msg_get_uint(m, 34, &seq);
  fixgw_msg_get_char(m, 43, &pd);
  char line[ID_MAX + 200];
  int n = snprintf(line, sizeof line, "%s %s %llu %c\n", es->h.name, clordid,
                   (unsigned long long)seq, pd);
  if (n > 0 && write(g.order_log, line, (size_t)n) != n) {
    fprintf(stderr, "%s: --order-log: %s\n", prog, strerror(errno));
    close(g.order_log);
    g.order_log = -1;
  }
}

static int on_order(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)s;
  exec_sess_t *es = user;
  es->orders_in++;
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
  if (!g.counting) { /* steady state: from the first order on */
    g.counting = true;
    fixgw_alloc_count_reset();
  }
  g.count_orders++;
#endif
  order_t tmp, *o = &tmp;
  if (!copy_field(m, 11, o->clordid, sizeof o->clordid) ||
      !copy_field(m, 55, o->symbol, sizeof o->symbol) ||
      !copy_field(m, 38, o->qty, sizeof o->qty) || fixgw_msg_get_char(m, 54, &o->side) != 0) {
    es->orders_invalid++;
    if (es->orders_invalid <= 10)
      fprintf(stderr, "%s: %s: NewOrderSingle without ClOrdID, Symbol, Side or OrderQty\n",
              prog, es->h.name);
    return FIXGW_CB_OK;
  }
  if (!copy_field(m, 44, o->price, sizeof o->price)) memcpy(o->price, "0", 2);
  if (g.order_log >= 0) order_logged(es, m, o->clordid);
  o->stage = 0;
  o->n = ++g.next_order;
  drain(es);
  if (es->head == es->tail && answer(es, o) == 0) return FIXGW_CB_OK;
  if (es->tail - es->head == RING) { /* cannot happen while input pauses at the first */
    es->orders_dropped++;
    fprintf(stderr, "%s: %s: answer queue full: order %s dropped\n", prog, es->h.name,
            o->clordid);
    return FIXGW_CB_PAUSE;
  }
  /* The transmit buffer is full: keep the order (answer() may have sent
   * its New already: stage says), stop reading until the loop has written
   * and drain() has answered it. */
  es->ring[es->tail & (RING - 1)] = *o;
  es->tail++;
  if (!es->waiting) {
    es->waiting = true;
    g.waiting[g.nwaiting++] = es;
  }
  es->deferred++;
  if (es->tail - es->head > es->deferred_max) es->deferred_max = es->tail - es->head;
  return FIXGW_CB_PAUSE;
}

/* --------------------------------------------------------------- metrics */

/* Every configured session's families, then the executor's own counts. */
static void render_sessions(fixgw_loop_t *loop, fixgw_prom_t *w, void *user) {
  (void)loop;
  (void)user;
  /* Listed and template-made sessions, connected or not (the loop knows
   * only the connected acceptor sessions). Off the message path: the
   * list is made per scrape. */
  fixgw_session_t **list = malloc((g.made ? g.made : 1) * sizeof *list);
  if (!list) return;
  for (size_t i = 0; i < g.made; i++) list[i] = g.es[i]->h.s;
  fixgw_net_metrics_sessions(w, list, g.made);
  free(list);
  static const char *const label[1] = {"session"};
  static const struct {
    const char *name, *help;
    size_t off;
  } f[] = {
      {"fixgw_executor_orders_total", "NewOrderSingle received", offsetof(exec_sess_t, orders_in)},
      {"fixgw_executor_reports_total", "ExecutionReports sent", offsetof(exec_sess_t, reports_sent)},
      {"fixgw_executor_fills_total", "Fills sent", offsetof(exec_sess_t, fills_sent)},
      {"fixgw_executor_orders_invalid_total", "Orders answered with a reject",
       offsetof(exec_sess_t, orders_invalid)},
      {"fixgw_executor_deferred_max", "Most answers waiting for room at once",
       offsetof(exec_sess_t, deferred_max)},
  };
  for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
    fixgw_prom_family(w, f[k].name, k == 4 ? "gauge" : "counter", f[k].help);
    for (size_t i = 0; i < g.made; i++) {
      const char *v[1] = {g.es[i]->h.name};
      uint64_t val;
      memcpy(&val, (const char *)g.es[i] + f[k].off, sizeof val);
      fixgw_prom_sample(w, f[k].name, label, v, 1, val);
    }
  }
}

/* ------------------------------------------------------------- sessions */

/* A session for *ss with identity *id (a template's settings get the
 * concrete id of the peer that logged on): its store, its callbacks, in
 * g.es. NULL after printing why. */
static fixgw_session_t *make_session(const fixgw_session_settings_t *ss,
                                     const fixgw_session_id_t *id) {
  if (g.made >= g.cap) {
    fprintf(stderr, "%s: %s->%s: --max-sessions %zu reached\n", prog, id->sender_comp_id,
            id->target_comp_id, g.cap);
    return NULL;
  }
  exec_sess_t *e = malloc(sizeof *e);
  if (!e) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return NULL;
  }
  memset(e, 0, offsetof(exec_sess_t, ring)); /* the ring: see exec_sess_t */
  e->h.prog = prog;
  e->h.verbose = g.verbose;
  e->skip_after = g.skip_after;
  host_name(&e->h, id);
  /* The store's file name comes from the id: the concrete one. The copy
   * shares the settings' pointers, which live until exit. */
  fixgw_session_settings_t cs = *ss;
  cs.session.id = *id;
  if (host_store_open(&e->h, &cs, &g.so)) {
    free(e);
    return NULL;
  }
  fixgw_session_config_t cfg = cs.session;
  cfg.store = e->h.store;
  /* Room for a window of answers between two writes (a read brings up
   * to the receive buffer's worth of orders at once). */
  if (cfg.tx_buffer_size < (256u << 10)) cfg.tx_buffer_size = 256u << 10;
  fixgw_session_callbacks_t cb;
  host_callbacks(&cb);
  int r = fixgw_session_create(&cfg, &cb, e, &e->h.s);
  if (r != 0) {
    fprintf(stderr, "%s: %s: session: %s\n", prog, e->h.name, fixgw_strerror(r));
    host_store_close(&e->h);
    free(e);
    return NULL;
  }
  fixgw_session_on(e->h.s, "D", on_order);
  g.es[g.made++] = e;
  /* A file store to poll, or a file log to flush, between turns. */
  if (e->h.file_store || e->h.has_log) g.filed[g.nfiled++] = e;
  return e->h.s;
}

/* A peer matched an AcceptorTemplate: its session, made now (the loop
 * adds it to the router, so its reconnects find it). */
static fixgw_session_t *on_template(fixgw_loop_t *loop, void *tmpl, const fixgw_session_id_t *id,
                                    void *user) {
  (void)loop;
  (void)user;
  return make_session(tmpl, id);
}

/* ------------------------------------------------------------------ main */

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s -c FILE [--port N] [--fills] [--status] [--busy-poll]\n"
          "                      [--sync every|group|os] [--memory-store] [--skip-seq K]\n"
          "                      [--metrics-port N] [--order-log FILE] [--max-sessions N]\n"
          "                      [--memory-store-bytes N] [-v]\n"
          "\n"
          "An acceptor answering every NewOrderSingle with an ExecutionReport\n"
          "(New), for every acceptor session the QuickFIX-style settings FILE lists;\n"
          "AcceptorTemplate=Y sessions are made as matching peers log on.\n"
          "\n"
          "  -c, --config FILE  settings file (ConnectionType=acceptor sessions)\n"
          "  --port N           listen on N instead of SocketAcceptPort (0: ephemeral)\n"
          "  --fills            follow each New with a Fill (OrdStatus=Filled)\n"
          "  --status           print a STATUS line per session at exit (stdout)\n"
          "  --busy-poll        spin in epoll_wait(0) (lowest latency, one core busy)\n"
          "  --sync MODE        file store durability: every (fdatasync each message),\n"
          "                     group (batched), os (the kernel writes back; default)\n"
          "  --memory-store     ignore FileStorePath: keep messages in memory\n"
          "  --skip-seq K       after the K-th ExecutionReport, skip one MsgSeqNum\n"
          "                     (a gap the peer must heal by a ResendRequest)\n"
          "  --metrics-port N   serve Prometheus metrics on http://127.0.0.1:N/metrics\n"
          "                     (0: ephemeral; prints `METRICS port=N`)\n"
          "  --order-log FILE   append a line per order delivered: session, ClOrdID,\n"
          "                     MsgSeqNum, PossDupFlag (for fault tests)\n"
          "  --max-sessions N   sessions at once, listed and from templates (default\n"
          "                     1024, or as many as FILE lists)\n"
          "  --memory-store-bytes N  message bytes each memory store keeps for resends\n"
          "                     (default 16 MiB; with thousands of sessions, less)\n"
          "  -v, --verbose      session and connection events on stderr\n"
          "  -h, --help         this text\n"
          "\n"
          "Prints `READY port=N` once listening; SIGTERM/SIGINT logs out every session\n"
          "and exits 0. Exit 2: bad usage or settings; 1: cannot listen or run.\n",
          prog);
}

int main(int argc, char **argv) {
  const char *config = NULL;
  long port = -1, metrics_port = -1;
  const char *order_log = NULL;
  int status = 0, busy = 0, verbose = 0;
  g.order_log = -1;
  size_t max_sessions = 1024; /* the loop's default */
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
    uint64_t u;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
      NEED_VALUE();
      config = v;
    } else if (!strcmp(a, "--port")) {
      NEED_VALUE();
      if (host_parse_u64(v, 0, 65535, &u)) {
        fprintf(stderr, "%s: --port %s: not a port (0-65535)\n", prog, v);
        return 2;
      }
      port = (long)u;
    } else if (!strcmp(a, "--metrics-port")) {
      NEED_VALUE();
      if (host_parse_u64(v, 0, 65535, &u)) {
        fprintf(stderr, "%s: --metrics-port %s: not a port (0-65535)\n", prog, v);
        return 2;
      }
      metrics_port = (long)u;
    } else if (!strcmp(a, "--order-log")) {
      NEED_VALUE();
      order_log = v;
    } else if (!strcmp(a, "--fills")) {
      g.fills = true;
    } else if (!strcmp(a, "--status")) {
      status = 1;
    } else if (!strcmp(a, "--busy-poll")) {
      busy = 1;
    } else if (!strcmp(a, "--memory-store")) {
      so.force_memory = true;
    } else if (!strcmp(a, "--sync")) {
      NEED_VALUE();
      if (!strcmp(v, "every")) so.sync = FIXGW_FILE_SYNC_EVERY;
      else if (!strcmp(v, "group")) so.sync = FIXGW_FILE_SYNC_GROUP;
      else if (!strcmp(v, "os")) so.sync = FIXGW_FILE_SYNC_OS;
      else {
        fprintf(stderr, "%s: --sync %s: every, group or os\n", prog, v);
        return 2;
      }
    } else if (!strcmp(a, "--skip-seq")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, UINT64_MAX / 2, &g.skip_after)) {
        fprintf(stderr, "%s: --skip-seq %s: not a count (>= 1)\n", prog, v);
        return 2;
      }
    } else if (!strcmp(a, "--memory-store-bytes")) {
      NEED_VALUE();
      if (host_parse_u64(v, 4096, (uint64_t)1 << 34, &u)) {
        fprintf(stderr, "%s: --memory-store-bytes %s: not a size (4096-2^34)\n", prog, v);
        return 2;
      }
      so.memory_bytes = (size_t)u;
    } else if (!strcmp(a, "--max-sessions")) {
      NEED_VALUE();
      if (host_parse_u64(v, 1, 1u << 20, &u)) {
        fprintf(stderr, "%s: --max-sessions %s: not a count (1-1048576)\n", prog, v);
        return 2;
      }
      max_sessions = (size_t)u;
    } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      verbose = 1;
    } else {
      fprintf(stderr, "%s: unknown argument %s (try --help)\n", prog, a);
      return 2;
    }
#undef NEED_VALUE
  }
  if (!config) {
    fprintf(stderr, "%s: -c FILE is required (try --help)\n", prog);
    return 2;
  }

  if (order_log) {
    g.order_log = open(order_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g.order_log < 0) {
      fprintf(stderr, "%s: --order-log %s: %s\n", prog, order_log, strerror(errno));
      return 2;
    }
  }
  fixgw_settings_t *set;
  if (host_settings_load(prog, config, &set)) return 2;
  size_t nset = fixgw_settings_count(set), nacc = 0, ntmpl = 0;
  const fixgw_session_settings_t *first = NULL;
  for (size_t i = 0; i < nset; i++) {
    const fixgw_session_settings_t *ss = fixgw_settings_session(set, i);
    if (ss->connection_type != FIXGW_ACCEPTOR) continue;
    if (!first) first = ss;
    if (ss->acceptor_template) ntmpl++;
    else nacc++;
  }
  if (!nacc && !ntmpl) {
    fprintf(stderr, "%s: %s: no acceptor session (ConnectionType=acceptor)\n", prog, config);
    fixgw_settings_free(set);
    return 2;
  }
  if (port < 0) {
    if (!first->accept_port_set) {
      fprintf(stderr, "%s: %s:%u: SocketAcceptPort: required (or give --port)\n", prog, config,
              first->line);
      fixgw_settings_free(set);
      return 2;
    }
    port = first->accept_port;
  }
  const char *host = first->accept_host[0] ? first->accept_host : "0.0.0.0";

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  snprintf(g.prefix, sizeof g.prefix, "%lx%x-", (unsigned long)ts.tv_sec,
           (unsigned)getpid() & 0xffffu);

  int rc = 1;
  if (max_sessions < nacc) max_sessions = nacc;
  g.cap = max_sessions;
  g.es = calloc(max_sessions, sizeof *g.es);
  g.waiting = calloc(max_sessions, sizeof *g.waiting);
  g.filed = calloc(max_sessions, sizeof *g.filed);
  g.so = so;
  g.verbose = verbose;
  fixgw_router_t *router = NULL;
  fixgw_loop_t *loop = NULL;
  struct fixgw_tls_ctx *tls = NULL;
  if (!g.es || !g.waiting || !g.filed ||
      fixgw_router_create((uint32_t)max_sessions, NULL, &router) != 0) {
    fprintf(stderr, "%s: out of memory\n", prog);
    goto out;
  }
  for (size_t i = 0; i < nset; i++) {
    const fixgw_session_settings_t *ss = fixgw_settings_session(set, i);
    if (ss->connection_type != FIXGW_ACCEPTOR) continue;
    if (ss->accept_port_set && ss->accept_port != first->accept_port)
      fprintf(stderr, "%s: %s:%u: SocketAcceptPort %u: served on the one port\n", prog, config,
              ss->line, ss->accept_port);
    int r;
    if (ss->acceptor_template) {
      /* The settings stay loaded until exit: the template is their pointer. */
      r = fixgw_router_add_template(router, &ss->session.id, (void *)ss);
      if (r != 0) {
        fprintf(stderr, "%s: %s:%u: template: %s\n", prog, config, ss->line, fixgw_strerror(r));
        goto out;
      }
      continue;
    }
    fixgw_session_t *s = make_session(ss, &ss->session.id);
    if (!s) goto out;
    r = fixgw_router_add(router, &ss->session.id, s);
    if (r != 0) {
      fprintf(stderr, "%s: %s: router: %s\n", prog, g.es[g.made - 1]->h.name, fixgw_strerror(r));
      goto out;
    }
  }

  fixgw_loop_config_t lc;
  fixgw_loop_config_default(&lc);
  lc.busy_poll = busy;
  /* Answers are sent from the order's own callback, or by drain() below,
   * which wakes its session: a turn need not visit the idle ones. */
  lc.host_wakes = true;
  lc.on_log = host_loop_log;
  g.log_user.prog = prog;
  g.log_user.verbose = verbose;
  lc.user = &g.log_user;
  /* Every session may be attached at once, with a few connections more
   * waiting for their Logon. */
  if (max_sessions > lc.max_sessions) {
    lc.max_sessions = (uint32_t)max_sessions;
    lc.max_connections = (uint32_t)max_sessions + lc.max_pending;
  }
  int r = fixgw_loop_create(&lc, &loop);
  if (r != 0) {
    fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(r));
    goto out;
  }
  fixgw_net_acceptor_opts_t ao;
  fixgw_net_acceptor_opts_default(&ao);
  ao.router = router;
  /* One port, one TLS context: the first acceptor session's keys. */
  if (host_tls_ctx(prog, first, true, &tls)) {
    rc = 2;
    goto out;
  }
  ao.tls = tls;
  ao.on_template = on_template;
  ao.sock.no_delay = first->socket_nodelay;
  ao.sock.sndbuf = (int)first->socket_send_buffer_size;
  ao.sock.rcvbuf = (int)first->socket_receive_buffer_size;
  uint16_t bound = 0;
  r = fixgw_net_acceptor_listen(loop, host, (uint16_t)port, &bound, &ao);
  if (r != 0) {
    fprintf(stderr, "%s: cannot listen on %s port %ld: %s\n", prog, host, port,
            fixgw_strerror(r));
    goto out;
  }
  if (metrics_port >= 0 &&
      host_metrics_listen(prog, loop, (uint16_t)metrics_port, false, render_sessions, NULL))
    goto out;
  static volatile int stop;
  host_signals(&stop, loop);
  printf("READY port=%u\n", bound);
  fflush(stdout);

  while (!stop) {
    /* Answers waiting: for room (soon), or for a logon (less soon). */
    int timeout = -1;
    for (size_t i = 0; i < g.nwaiting && timeout != 1; i++)
      timeout = fixgw_session_is_logged_on(g.waiting[i]->h.s) ? 1 : 50;
    uint64_t now = host_mono_ns();
    for (size_t i = 0; i < g.nfiled; i++) {
      uint64_t d = host_store_deadline(&g.filed[i]->h);
      if (d != UINT64_MAX) {
        int ms = d <= now ? 0 : (int)((d - now) / 1000000u) + 1;
        if (timeout < 0 || ms < timeout) timeout = ms;
      }
    }
    r = fixgw_loop_run_once(loop, timeout);
    if (r < 0 && r != FIXGW_EBUSY) {
      fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(r));
      break;
    }
    now = host_mono_ns();
    for (size_t i = g.nwaiting; i-- > 0;) {
      exec_sess_t *e = g.waiting[i];
      drain(e);
      fixgw_loop_wake_session(loop, e->h.s);
      if (e->head == e->tail) {
        e->waiting = false;
        g.waiting[i] = g.waiting[--g.nwaiting];
      }
    }
    for (size_t i = 0; i < g.nfiled; i++) host_store_poll(&g.filed[i]->h, now);
  }
#ifdef FIXGW_EXAMPLES_ALLOC_COUNT
  uint64_t allocs = fixgw_alloc_count_calls();
  fprintf(stderr, "%s: ALLOCS steady=%llu orders=%llu available=%d\n", prog,
          g.counting ? (unsigned long long)allocs : 0ull, (unsigned long long)g.count_orders,
          fixgw_alloc_count_available());
#endif

  /* Shut down: a Logout on every session, then turn until each is
   * answered or its LogoutTimeout closed it (5 s at most). */
  fixgw_loop_logout_all(loop, "executor shutting down");
  uint64_t until = host_mono_ns() + 5000000000u;
  while (fixgw_loop_stats(loop)->attached > 0 && host_mono_ns() < until)
    fixgw_loop_run_once(loop, 20);
  rc = 0;

out:
  if (loop) fixgw_loop_destroy(loop);
  host_tls_free(tls);
  if (g.order_log >= 0) close(g.order_log);
  for (size_t i = 0; i < g.made; i++) {
    exec_sess_t *e = g.es[i];
    /* Answers still waiting (for room, or for a logon that did not come)
     * are orders received and never answered: say so and count them. */
    if (e->tail != e->head) {
      fprintf(stderr, "%s: %s: %u orders unanswered at exit\n", prog, e->h.name,
              e->tail - e->head);
      e->orders_dropped += e->tail - e->head;
      e->head = e->tail;
    }
    if (status && e->h.s) {
      char extra[256];
      snprintf(extra, sizeof extra,
               "orders_in=%llu reports_sent=%llu fills_sent=%llu orders_invalid=%llu "
               "orders_dropped=%llu deferred=%llu deferred_max=%llu",
               (unsigned long long)e->orders_in, (unsigned long long)e->reports_sent,
               (unsigned long long)e->fills_sent, (unsigned long long)e->orders_invalid,
               (unsigned long long)e->orders_dropped, (unsigned long long)e->deferred,
               (unsigned long long)e->deferred_max);
      host_status(stdout, &e->h, extra);
    }
    fixgw_session_destroy(e->h.s);
    host_store_close(&e->h);
    free(e);
  }
  fflush(stdout);
  fixgw_router_destroy(router);
  free(g.es);
  free(g.waiting);
  free(g.filed);
  fixgw_settings_free(set);
  return rc;
}
