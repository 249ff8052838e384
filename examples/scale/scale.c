/* fixgw-scale: one process logging on many initiator sessions to one
 * acceptor (fixgw-executor with an AcceptorTemplate) over 127.0.0.1, all
 * on one net/ loop, to see how the acceptor copes with sessions at once.
 *
 *   fixgw-scale --port P --sessions N [--acceptor-pid PID] [--hb S]
 *               [--idle S] [--rtt K] [--orders M] [--timeout S]
 *               [--sender PREFIX] [--target ID] [--json FILE]
 *
 * Phases, each bounded by what is left of --timeout (default 300 s):
 *   alone    session 0 logs on by itself and makes K round trips (one
 *            NewOrderSingle in flight, the next sent from the previous
 *            one's ExecutionReport callback);
 *   logon    the other N-1 are added at once; the time from the first add
 *            to the last Logon is the logon time;
 *   idle     S seconds (default 3 x HeartBtInt) of heartbeats only: the
 *            acceptor's CPU time over the window (utime + stime from
 *            /proc/PID/stat) and ours (getrusage); every session must see
 *            a Heartbeat from the acceptor in it, and none may time out;
 *   busy     session 0 makes K round trips again, the other N-1 idle;
 *   trade    every session sends M orders at once; all must be acked;
 *   logout   the other N-1 log out (all must end in a Logout exchange);
 *   alone    session 0 makes K round trips by itself again, then logs out.
 * The busy p99 is compared with the better of the two alone ones (the
 * machine's noise only ever adds), so busy_over_alone errs high.
 * The acceptor's VmRSS (/proc/PID/status) is read before the first Logon,
 * after the logon phase and after the trade phase.
 *
 * Prints one line and, with --json, the same figures as JSON:
 *   RESULT sessions=N logged_on=N logon_s=.. rss_before_kib=..
 *   rss_idle_kib=.. rss_per_session_b=.. idle_cpu_pct=.. alone_p99_us=..
 *   alone2_p99_us=.. busy_p99_us=.. busy_over_alone=.. acked=..
 *   logged_out=.. timeouts=0 ...
 * Exit 0 when every session logged on, saw heartbeats, none timed out,
 * every order was acked and every session logged out; 1 otherwise; 2 for
 * bad usage. Nothing here scans the sessions per turn of the loop: the
 * phases wait on counters the callbacks keep. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "fixgw.h"
#include "fixgw/net.h"

static const char *prog = "fixgw-scale";

typedef struct gen_sess {
  fixgw_session_t *s;
  fixgw_store_t store;
  uint32_t idx;
  bool logged_on, logged_out_clean, timed_out;
  uint64_t hb_in;      /* Heartbeats received */
  uint64_t hb_mark;    /* hb_in when the idle window began */
  uint64_t acked;      /* ExecutionReports for our orders */
  uint64_t sent;       /* orders sent */
} gen_sess_t;

static struct {
  gen_sess_t *ss;
  uint32_t n;
  fixgw_loop_t *loop;
  uint64_t logged_on, logouts, clean_logouts, timeouts, disconnects_active;
  uint64_t acked_total, bad_reports, test_requests_in, logon_retries;
  uint64_t first_add_ns, last_logon_ns;
  /* the round-trip probe on session 0 */
  bool probing;
  uint64_t probe_k, probe_done, probe_sent_ns;
  uint64_t *lat;
  int verbose;
} g;

static uint64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static fixgw_now_t now_pair(void) {
  struct timespec m, r;
  clock_gettime(CLOCK_MONOTONIC, &m);
  clock_gettime(CLOCK_REALTIME, &r);
  fixgw_now_t n = {(uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec,
                   (int64_t)r.tv_sec * 1000000000 + r.tv_nsec};
  return n;
}

/* ------------------------------------------------------------ /proc */

/* VmRSS of pid in KiB, or 0. */
static uint64_t proc_rss_kib(long pid) {
  if (pid <= 0) return 0;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  uint64_t kib = 0;
  while (fgets(line, sizeof line, f))
    if (!strncmp(line, "VmRSS:", 6)) kib = strtoull(line + 6, NULL, 10);
  fclose(f);
  return kib;
}

/* utime + stime of pid in ns, or 0. */
static uint64_t proc_cpu_ns(long pid) {
  if (pid <= 0) return 0;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  /* comm may hold spaces: the fields start after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p++;
  unsigned long long ut = 0, st = 0;
  /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return 0;
  long hz = sysconf(_SC_CLK_TCK);
  return (ut + st) * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
}

static uint64_t self_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
         ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* ---------------------------------------------------------- sessions */

static int send_order(gen_sess_t *gs, fixgw_now_t now) {
  fixgw_encoder_t *e;
  int rc = fixgw_session_send_begin(gs->s, "D", NULL, now, &e);
  if (rc) return rc;
  char id[32];
  int idn = snprintf(id, sizeof id, "S%u-%" PRIu64, gs->idx, gs->sent + 1);
  fixgw_enc_str(e, 11, id, (size_t)idn);                  /* ClOrdID */
  fixgw_enc_char(e, 21, '1');                             /* HandlInst */
  fixgw_enc_cstr(e, 38, "100");                           /* OrderQty */
  fixgw_enc_char(e, 40, '2');                             /* OrdType Limit */
  fixgw_enc_cstr(e, 44, "10.5");                          /* Price */
  fixgw_enc_char(e, 54, '1');                             /* Side Buy */
  fixgw_enc_cstr(e, 55, "SCALE");                         /* Symbol */
  fixgw_enc_timestamp(e, 60, now.utc_ns, FIXGW_TS_MILLIS); /* TransactTime */
  rc = fixgw_session_send_commit(gs->s, NULL);
  if (rc == 0) gs->sent++;
  return rc;
}

static int on_report(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  uint64_t t = mono_ns();
  gen_sess_t *gs = user;
  fixgw_str_t v;
  char want[32];
  int wn = snprintf(want, sizeof want, "S%u-", gs->idx);
  if (fixgw_msg_get_str(m, 11, &v) || v.len <= (size_t)wn || memcmp(v.ptr, want, (size_t)wn)) {
    g.bad_reports++;
    return FIXGW_CB_OK;
  }
  gs->acked++;
  g.acked_total++;
  if (g.probing && gs->idx == 0) {
    g.lat[g.probe_done++] = t - g.probe_sent_ns;
    if (g.probe_done < g.probe_k) {
      g.probe_sent_ns = mono_ns();
      if (send_order(gs, now_pair())) g.probing = false;
    } else {
      g.probing = false;
    }
  }
  (void)s;
  return FIXGW_CB_OK;
}

static int on_admin(fixgw_session_t *s, const fixgw_msg_t *m, void *user) {
  (void)s;
  gen_sess_t *gs = user;
  if (m->msgtype.len == 1 && m->msgtype.ptr[0] == '0') gs->hb_in++;
  if (m->msgtype.len == 1 && m->msgtype.ptr[0] == '1') g.test_requests_in++;
  return FIXGW_CB_OK;
}

static void on_logon(fixgw_session_t *s, void *user) {
  (void)s;
  gen_sess_t *gs = user;
  if (!gs->logged_on) {
    gs->logged_on = true;
    g.logged_on++;
    g.last_logon_ns = mono_ns();
  }
}

static void on_logout(fixgw_session_t *s, fixgw_disconnect_reason why, void *user) {
  (void)s;
  gen_sess_t *gs = user;
  g.logouts++;
  if (!gs->logged_on) { /* a connect that did not reach a Logon: it retries */
    g.logon_retries++;
    return;
  }
  if (why == FIXGW_DR_LOGOUT) {
    gs->logged_out_clean = true;
    g.clean_logouts++;
  } else {
    g.disconnects_active++;
    if (why == FIXGW_DR_TIMEOUT) {
      gs->timed_out = true;
      g.timeouts++;
    }
    if (g.verbose || g.disconnects_active <= 5)
      fprintf(stderr, "%s: session %u ended: %s\n", prog, gs->idx,
              fixgw_disconnect_reason_name(why));
  }
}

static void on_log(fixgw_session_t *s, fixgw_log_level lv, const char *line, void *user) {
  (void)s;
  gen_sess_t *gs = user;
  if (lv >= FIXGW_LOG_WARN || g.verbose) fprintf(stderr, "%s: session %u: %s\n", prog, gs->idx, line);
}

static uint64_t loop_warns;
static void on_loop_log(fixgw_loop_t *loop, fixgw_log_level lv, const char *line, void *user) {
  (void)loop;
  (void)user;
  if (lv >= FIXGW_LOG_WARN) loop_warns++;
  if ((lv >= FIXGW_LOG_WARN && loop_warns <= 20) || g.verbose)
    fprintf(stderr, "%s: loop: %s\n", prog, line);
}

static int make_session(gen_sess_t *gs, uint32_t i, const char *sender, const char *target,
                        uint32_t hb) {
  memset(gs, 0, sizeof *gs);
  gs->idx = i;
  fixgw_mem_store_config_t mc;
  fixgw_mem_store_config_default(&mc);
  mc.max_messages = 256; /* a few orders per session: resends stay possible */
  mc.max_bytes = 64u << 10;
  mc.now_utc_ns = now_pair().utc_ns;
  int rc = fixgw_mem_store_create(&mc, &gs->store);
  if (rc) return rc;
  fixgw_session_config_t cfg;
  fixgw_session_config_default(&cfg);
  cfg.role = FIXGW_INITIATOR;
  cfg.id.version = FIXGW_V_FIX44;
  snprintf(cfg.id.sender_comp_id, sizeof cfg.id.sender_comp_id, "%s%05u", sender, i);
  snprintf(cfg.id.target_comp_id, sizeof cfg.id.target_comp_id, "%s", target);
  cfg.heartbeat_interval_s = hb;
  cfg.reset_on_logon = true;
  cfg.max_msg_size = 4096;
  cfg.rx_buffer_size = 4096;
  cfg.tx_buffer_size = 4096;
  cfg.gap_queue_bytes = 1024;
  cfg.gap_queue_messages = 8;
  cfg.logon_timeout_s = 30;
  cfg.logout_timeout_s = 10; /* 10 000 Logouts at once take a while on 2 cores */
  cfg.store = gs->store;
  fixgw_session_callbacks_t cb;
  memset(&cb, 0, sizeof cb);
  cb.size = sizeof cb;
  cb.on_admin = on_admin;
  cb.on_logon = on_logon;
  cb.on_logout = on_logout;
  cb.on_log = on_log;
  rc = fixgw_session_create(&cfg, &cb, gs, &gs->s);
  if (rc) return rc;
  return fixgw_session_on(gs->s, "8", on_report);
}

/* ------------------------------------------------------------ phases */

static uint64_t deadline_ns;

/* Turn the loop until *done() or the overall deadline; false on timeout. */
static bool turn_until(bool (*done)(void)) {
  while (!done()) {
    if (mono_ns() >= deadline_ns) return false;
    int rc = fixgw_loop_run_once(g.loop, 10);
    if (rc < 0) {
      fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(rc));
      return false;
    }
  }
  return true;
}

static uint64_t want_logged_on, want_acked;
static bool logged_on_enough(void) { return g.logged_on >= want_logged_on; }
static bool probe_over(void) { return !g.probing; }
static bool acked_enough(void) { return g.acked_total >= want_acked; }
static bool all_detached(void) { return fixgw_loop_stats(g.loop)->attached == 0; }
static uint64_t want_logouts;
static bool logged_out_enough(void) { return g.logouts >= want_logouts; }
static uint64_t idle_until;
static bool idle_over(void) { return mono_ns() >= idle_until; }

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

typedef struct lat_sum {
  uint64_t n, p50, p99, max;
} lat_sum_t;

/* K round trips on session 0; false when they did not complete. */
static bool probe(uint64_t k, lat_sum_t *out) {
  memset(out, 0, sizeof *out);
  g.probe_k = k;
  g.probe_done = 0;
  g.probing = true;
  g.probe_sent_ns = mono_ns();
  if (send_order(&g.ss[0], now_pair())) {
    g.probing = false;
    return false;
  }
  fixgw_loop_wake_session(g.loop, g.ss[0].s);
  bool ok = turn_until(probe_over) && g.probe_done == k;
  g.probing = false;
  uint64_t n = g.probe_done;
  if (n) {
    qsort(g.lat, n, sizeof *g.lat, cmp_u64);
    out->n = n;
    out->p50 = g.lat[(n - 1) / 2];
    /* Nearest rank: the smallest value with at least 99% at or below. */
    uint64_t r = (n * 99 + 99) / 100;
    out->p99 = g.lat[r - 1];
    out->max = g.lat[n - 1];
  }
  return ok;
}

static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (!s || !*s) return -1;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
    if (v > (UINT64_MAX - 9) / 10) return -1;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: %s --port P --sessions N [--acceptor-pid PID] [--hb S] [--idle S]\n"
          "                   [--rtt K] [--orders M] [--timeout S] [--sender PREFIX]\n"
          "                   [--target ID] [--json FILE] [-v]\n"
          "\n"
          "N initiators (SenderCompID PREFIX00000.., default C; TargetCompID ID,\n"
          "default EXEC, FIX.4.4) on one loop against an acceptor on 127.0.0.1:P.\n"
          "  --acceptor-pid PID  read its VmRSS and CPU time from /proc\n"
          "  --hb S              HeartBtInt (default 5)\n"
          "  --idle S            idle window (default 3 x HeartBtInt)\n"
          "  --rtt K             round trips per latency probe (default 2000)\n"
          "  --orders M          orders per session in the trade phase (default 2)\n"
          "  --timeout S         bound of the whole run (default 300)\n"
          "Prints a RESULT line; exit 0 when every check held.\n",
          prog);
}

int main(int argc, char **argv) {
  uint64_t port = 0, n = 0, pid = 0, hb = 5, idle = 0, rtt = 2000, orders = 2, timeout = 300;
  const char *sender = "C", *target = "EXEC", *json = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t *num = NULL, lo = 0, hi = 0;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-v")) {
      g.verbose = 1;
      continue;
    } else if (!strcmp(a, "--port")) num = &port, lo = 1, hi = 65535;
    else if (!strcmp(a, "--sessions")) num = &n, lo = 1, hi = 99999;
    else if (!strcmp(a, "--acceptor-pid")) num = &pid, lo = 1, hi = 1u << 30;
    else if (!strcmp(a, "--hb")) num = &hb, lo = 1, hi = 3600;
    else if (!strcmp(a, "--idle")) num = &idle, lo = 1, hi = 3600;
    else if (!strcmp(a, "--rtt")) num = &rtt, lo = 1, hi = 10000000;
    else if (!strcmp(a, "--orders")) num = &orders, lo = 0, hi = 1000;
    else if (!strcmp(a, "--timeout")) num = &timeout, lo = 1, hi = 86400;
    else if (!strcmp(a, "--sender") && v) {
      sender = v;
      i++;
      continue;
    } else if (!strcmp(a, "--target") && v) {
      target = v;
      i++;
      continue;
    } else if (!strcmp(a, "--json") && v) {
      json = v;
      i++;
      continue;
    } else {
      fprintf(stderr, "%s: unknown or incomplete argument %s (try --help)\n", prog, a);
      return 2;
    }
    if (parse_u64(v, lo, hi, num)) {
      fprintf(stderr, "%s: %s %s: not a number in %" PRIu64 "..%" PRIu64 "\n", prog, a,
              v ? v : "(missing)", lo, hi);
      return 2;
    }
    i++;
  }
  if (!port || !n) {
    fprintf(stderr, "%s: --port and --sessions are required (try --help)\n", prog);
    return 2;
  }
  if (strlen(sender) > 20) {
    fprintf(stderr, "%s: --sender: at most 20 characters\n", prog);
    return 2;
  }
  if (!idle) idle = 3 * hb;
  deadline_ns = mono_ns() + timeout * 1000000000u;

  /* One descriptor per session, and a few for the loop and stdio. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
    rlim_t want = n + 64;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) want = rl.rlim_max;
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl))
      fprintf(stderr, "%s: setrlimit(NOFILE, %llu): %s\n", prog, (unsigned long long)want,
              strerror(errno));
  }

  g.n = (uint32_t)n;
  g.ss = calloc(n, sizeof *g.ss);
  g.lat = calloc(rtt, sizeof *g.lat);
  if (!g.ss || !g.lat) {
    fprintf(stderr, "%s: out of memory\n", prog);
    return 1;
  }
  for (uint32_t i = 0; i < n; i++) {
    int rc = make_session(&g.ss[i], i, sender, target, (uint32_t)hb);
    if (rc) {
      fprintf(stderr, "%s: session %u: %s\n", prog, i, fixgw_strerror(rc));
      return 1;
    }
  }
  fixgw_loop_config_t lc;
  fixgw_loop_config_default(&lc);
  lc.max_connections = (uint32_t)n + 16;
  lc.max_sessions = (uint32_t)n;
  lc.on_log = on_loop_log;
  lc.host_wakes = true; /* sends from outside a callback wake their session */
  int rc = fixgw_loop_create(&lc, &g.loop);
  if (rc) {
    fprintf(stderr, "%s: loop: %s\n", prog, fixgw_strerror(rc));
    return 1;
  }
  fixgw_net_hosts_t hosts;
  memset(&hosts, 0, sizeof hosts);
  hosts.count = 1;
  snprintf(hosts.host[0].host, sizeof hosts.host[0].host, "127.0.0.1");
  hosts.host[0].port = (uint16_t)port;
  fixgw_net_initiator_opts_t io;
  fixgw_net_initiator_opts_default(&io);
  io.connect_timeout_ms = 10000;

  bool ok = true;
  const char *failed = "";
  uint64_t rss_before = proc_rss_kib((long)pid);

  /* alone */
  lat_sum_t alone = {0}, busy = {0}, alone2 = {0};
  rc = fixgw_net_initiator_add(g.loop, g.ss[0].s, &hosts, 1, &io);
  if (rc) {
    fprintf(stderr, "%s: initiator_add: %s\n", prog, fixgw_strerror(rc));
    return 1;
  }
  want_logged_on = 1;
  if (!turn_until(logged_on_enough)) ok = false, failed = "alone logon";
  if (ok && !probe(rtt, &alone)) ok = false, failed = "alone round trips";

  /* logon */
  uint64_t logon_ns = 0;
  g.first_add_ns = mono_ns();
  for (uint32_t i = 1; ok && i < n; i++) {
    /* Reconnects are not wanted after the logout below (they are removed
     * then); a connect that fails during the burst retries soon enough. */
    rc = fixgw_net_initiator_add(g.loop, g.ss[i].s, &hosts, 2, &io);
    if (rc) {
      fprintf(stderr, "%s: initiator_add %u: %s\n", prog, i, fixgw_strerror(rc));
      ok = false, failed = "add";
    }
  }
  want_logged_on = n;
  if (ok && !turn_until(logged_on_enough)) ok = false, failed = "logon";
  if (g.logged_on > 1) logon_ns = g.last_logon_ns - g.first_add_ns;
  const fixgw_loop_stats_t *st = fixgw_loop_stats(g.loop);
  uint64_t connect_failures = st->connect_failures, reconnects = st->reconnects;
  uint64_t rss_idle = proc_rss_kib((long)pid);

  /* idle */
  for (uint32_t i = 0; i < n; i++) g.ss[i].hb_mark = g.ss[i].hb_in;
  uint64_t timeouts_before = g.timeouts, disc_before = g.disconnects_active;
  uint64_t acc0 = proc_cpu_ns((long)pid), self0 = self_cpu_ns(), t0 = mono_ns();
  idle_until = t0 + idle * 1000000000u;
  if (ok && !turn_until(idle_over)) ok = false, failed = "idle";
  uint64_t acc1 = proc_cpu_ns((long)pid), self1 = self_cpu_ns(), t1 = mono_ns();
  uint64_t hb_missing = 0;
  for (uint32_t i = 0; i < n; i++)
    if (g.ss[i].hb_in == g.ss[i].hb_mark) hb_missing++;
  if (ok && hb_missing) ok = false, failed = "heartbeats";
  double idle_cpu = t1 > t0 && pid ? 100.0 * (double)(acc1 - acc0) / (double)(t1 - t0) : 0;
  double self_cpu = t1 > t0 ? 100.0 * (double)(self1 - self0) / (double)(t1 - t0) : 0;
  uint64_t idle_drops = (g.timeouts - timeouts_before) + (g.disconnects_active - disc_before);

  /* busy */
  if (ok && !probe(rtt, &busy)) ok = false, failed = "busy round trips";

  /* trade */
  uint64_t trade_ns = 0;
  uint64_t acked_before_trade = g.acked_total;
  want_acked = g.acked_total + n * orders;
  uint64_t tt0 = mono_ns();
  fixgw_now_t now = now_pair();
  for (uint32_t i = 0; ok && i < n; i++)
    for (uint64_t k = 0; k < orders; k++)
      if ((rc = send_order(&g.ss[i], now))) {
        fprintf(stderr, "%s: session %u: order: %s\n", prog, i, fixgw_strerror(rc));
        ok = false, failed = "send";
        break;
      } else if (k + 1 == orders) {
        fixgw_loop_wake_session(g.loop, g.ss[i].s);
      }
  if (ok && !turn_until(acked_enough)) ok = false, failed = "trade";
  trade_ns = mono_ns() - tt0;
  uint64_t trade_acked = g.acked_total - acked_before_trade;
  uint64_t rss_traded = proc_rss_kib((long)pid);
  uint64_t acked_all = 0;
  for (uint32_t i = 0; i < n; i++)
    if (g.ss[i].acked >= g.ss[i].sent && (g.ss[i].sent > 0 || !orders)) acked_all++;

  /* logout of the other N-1, then session 0 alone again */
  uint64_t lo0 = mono_ns(), logout_ns = 0;
  if (ok) {
    fixgw_now_t ln = now_pair();
    for (uint32_t i = 1; i < n; i++) {
      fixgw_session_logout(g.ss[i].s, NULL, ln);
      fixgw_loop_wake_session(g.loop, g.ss[i].s);
    }
    want_logouts = g.logouts + (n - 1);
    if (!turn_until(logged_out_enough)) ok = false, failed = "logout";
    logout_ns = mono_ns() - lo0;
    for (uint32_t i = 1; i < n; i++) fixgw_loop_remove(g.loop, g.ss[i].s);
    if (ok && !probe(rtt, &alone2)) ok = false, failed = "alone round trips after";
  }
  /* Whatever is left logs out (always, so the acceptor sees clean ends). */
  fixgw_loop_logout_all(g.loop, NULL);
  if (deadline_ns < mono_ns() + 10000000000ull) deadline_ns = mono_ns() + 10000000000ull;
  if (!turn_until(all_detached) && ok) ok = false, failed = "logout";
  if (!logout_ns) logout_ns = mono_ns() - lo0;
  if (ok && g.clean_logouts < n) ok = false, failed = "logout not clean";
  if (ok && (g.timeouts || g.disconnects_active)) ok = false, failed = "timeouts";
  if (ok && g.bad_reports) ok = false, failed = "bad reports";

  double per_sess = rss_idle > rss_before ? (double)(rss_idle - rss_before) * 1024.0 / (double)n : 0;
  uint64_t alone_best = alone.p99;
  if (alone2.p99 && alone2.p99 < alone_best) alone_best = alone2.p99;
  double ratio = alone_best ? (double)busy.p99 / (double)alone_best : 0;
  char res[2048];
  snprintf(res, sizeof res,
           "sessions=%" PRIu64 " logged_on=%" PRIu64 " logon_s=%.3f connect_failures=%" PRIu64
           " reconnects=%" PRIu64 " logon_retries=%" PRIu64 " rss_before_kib=%" PRIu64 " rss_idle_kib=%" PRIu64
           " rss_traded_kib=%" PRIu64 " rss_per_session_b=%.0f idle_s=%.1f idle_cpu_pct=%.2f"
           " gen_idle_cpu_pct=%.2f hb_missing=%" PRIu64 " idle_drops=%" PRIu64
           " alone_p50_us=%.1f alone_p99_us=%.1f alone_max_us=%.1f alone2_p50_us=%.1f"
           " alone2_p99_us=%.1f alone2_max_us=%.1f busy_p50_us=%.1f"
           " busy_p99_us=%.1f busy_max_us=%.1f busy_over_alone=%.2f rtt_n=%" PRIu64
           " orders=%" PRIu64 " acked=%" PRIu64 " sessions_acked=%" PRIu64 " trade_s=%.3f"
           " logged_out=%" PRIu64 " logout_s=%.3f timeouts=%" PRIu64 " test_requests_in=%" PRIu64
           " ok=%d",
           n, g.logged_on, (double)logon_ns / 1e9, connect_failures, reconnects, g.logon_retries, rss_before,
           rss_idle, rss_traded, per_sess, (double)(t1 - t0) / 1e9, idle_cpu, self_cpu,
           hb_missing, idle_drops, (double)alone.p50 / 1e3, (double)alone.p99 / 1e3,
           (double)alone.max / 1e3, (double)alone2.p50 / 1e3, (double)alone2.p99 / 1e3,
           (double)alone2.max / 1e3, (double)busy.p50 / 1e3, (double)busy.p99 / 1e3,
           (double)busy.max / 1e3, ratio, rtt, n * orders, trade_acked, acked_all, (double)trade_ns / 1e9, g.clean_logouts,
           (double)logout_ns / 1e9, g.timeouts, g.test_requests_in, ok ? 1 : 0);
  printf("RESULT %s\n", res);
  if (!ok) fprintf(stderr, "%s: FAILED at %s\n", prog, failed);
  if (json) {
    FILE *f = fopen(json, "w");
    if (!f) {
      fprintf(stderr, "%s: %s: %s\n", prog, json, strerror(errno));
    } else {
      /* The RESULT line's key=value pairs as one JSON object. */
      fputc('{', f);
      bool first = true;
      for (char *p = strtok(res, " "); p; p = strtok(NULL, " ")) {
        char *eq = strchr(p, '=');
        if (!eq) continue;
        *eq = '\0';
        fprintf(f, "%s\"%s\": %s", first ? "" : ", ", p, eq + 1);
        first = false;
      }
      fprintf(f, ", \"failed\": \"%s\"}\n", failed);
      fclose(f);
    }
  }
  fflush(stdout);
  fixgw_loop_destroy(g.loop);
  for (uint32_t i = 0; i < n; i++) {
    fixgw_session_destroy(g.ss[i].s);
    fixgw_store_destroy(&g.ss[i].store);
  }
  free(g.ss);
  free(g.lat);
  return ok ? 0 : 1;
}
