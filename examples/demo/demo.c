/* The libfixgw demo: generate realistic FIX 4.4 order flow in memory,
 * feed it to the streaming parser the way a socket reader would (4 KiB
 * reads into a buffer that is compacted after each read), validate every
 * message with typed reads, time it, then splice hostile bytes into the
 * stream and show that each bad run is reported and skipped with no good
 * message lost. Every figure printed is measured by this run. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "fixgw.h"

#define N_MESSAGES 200000u
#define SEED 42u
#define READ_SIZE 4096u
#define RX_CAP (64u * 1024u)

#ifndef FIXGW_DEMO_BUILD
#define FIXGW_DEMO_BUILD "unknown build type"
#endif

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* ------------------------------------------------------------ validation */

static const uint32_t md_tags[] = {269, 270, 271, 272, 273, 290};
static const fixgw_group_layout_t md_layout = {268, 269, md_tags, 6, NULL, 0};

enum { T_D, T_8, T_F, T_W, T_0, T_OTHER, T_N };
static const char *const t_names[T_N] = {"D", "8", "F", "W", "0", "?"};

typedef struct err_rec {
  int code;
  size_t at;   /* stream offset of the rejected bytes' first byte */
  size_t off;  /* err.offset: where in them the fault is */
  uint32_t tag;
  size_t skipped;
  int resumed;        /* a good message has been seen since */
  char resume_mt;
  int64_t resume_seq;
} err_rec_t;

typedef struct run {
  int validate;
  const fixgw_gen_config_t *cfg;
  uint64_t msgs, bytes, bad_checks;
  uint64_t by_type[T_N];
  uint64_t bytes_by_type[T_N];
  uint64_t exec_by[3]; /* 150=0, F, 4 */
  uint64_t md_entries;
  uint64_t reads_int, reads_str, reads_dec, groups;
  uint64_t next_seq[2];
  int64_t first_seq[2];
  double *samples;
  size_t nsamples;
  size_t reads;
  double seconds;
  err_rec_t errs[32];
  size_t nerrs;
  uint64_t skipped;
} run_t;

static int is_comp(fixgw_str_t s, const char *id) {
  return s.len == strlen(id) && memcmp(s.ptr, id, s.len) == 0;
}

/* Typed reads of the fields a trading host looks at; counts each, and
 * each failure as a bad check. */
static void validate(run_t *r, const fixgw_msg_t *m, int t) {
  fixgw_str_t s, from;
  int64_t seq;
  fixgw_decimal_t d;
  int bad = 0;
  bad |= fixgw_msg_get_int(m, 34, &seq) != 0;
  bad |= fixgw_msg_get_str(m, 35, &s) != 0;
  bad |= fixgw_msg_get_str(m, 49, &from) != 0;
  r->reads_int++;
  r->reads_str += 2;
  if (!bad) {
    int dir = is_comp(from, r->cfg->client_comp_id) ? 0 : is_comp(from, r->cfg->broker_comp_id) ? 1 : -1;
    if (dir < 0 || (uint64_t)seq != r->next_seq[dir])
      bad = 1;
    else
      r->next_seq[dir]++;
  }
  if (t == T_D || t == T_8 || t == T_F) {
    bad |= fixgw_msg_get_str(m, 11, &s) != 0 || s.len == 0;
    bad |= fixgw_msg_get_str(m, 55, &s) != 0 || s.len == 0;
    bad |= fixgw_msg_get_decimal(m, 38, &d) != 0 || d.mant <= 0;
    r->reads_str += 2;
    r->reads_dec++;
    char ord_type = 0;
    if (t != T_F) {
      bad |= fixgw_msg_get_char(m, 40, &ord_type) != 0;
      if (ord_type == '2') {
        bad |= fixgw_msg_get_decimal(m, 44, &d) != 0 || d.mant <= 0;
        r->reads_dec++;
      }
    }
    if (t == T_8) {
      char et = 0;
      bad |= fixgw_msg_get_char(m, 150, &et) != 0;
      r->exec_by[et == '0' ? 0 : et == 'F' ? 1 : 2]++;
      if (et == 'F') {
        bad |= fixgw_msg_get_decimal(m, 31, &d) != 0 || d.mant <= 0;
        bad |= fixgw_msg_get_decimal(m, 32, &d) != 0 || d.mant <= 0;
        r->reads_dec += 2;
      }
    }
  } else if (t == T_W) {
    fixgw_group_t g;
    fixgw_group_entry_t e;
    bad |= fixgw_msg_get_str(m, 55, &s) != 0;
    r->reads_str++;
    if (fixgw_group_open(m, &md_layout, 0, m->nfields, 0, &g) != 0) {
      bad = 1;
    } else {
      r->groups++;
      while (fixgw_group_next(&g, &e) == 0) {
        const fixgw_field_t *px = fixgw_entry_find(&e, 270), *sz = fixgw_entry_find(&e, 271);
        bad |= !px || !sz || fixgw_to_decimal(px->val, px->len, &d) != 0 ||
               fixgw_to_decimal(sz->val, sz->len, &d) != 0;
        r->reads_dec += 2;
        r->md_entries++;
      }
    }
  }
  r->bad_checks += (uint64_t)bad;
}

static void on_msg(run_t *r, const fixgw_msg_t *m) {
  int t = T_OTHER;
  if (m->msgtype.len == 1) {
    switch (m->msgtype.ptr[0]) {
      case 'D': t = T_D; break;
      case '8': t = T_8; break;
      case 'F': t = T_F; break;
      case 'W': t = T_W; break;
      case '0': t = T_0; break;
      default: break;
    }
  }
  r->msgs++;
  r->bytes += m->len;
  r->by_type[t]++;
  r->bytes_by_type[t] += m->len;
  if (r->validate) validate(r, m, t);
  if (r->nerrs && !r->errs[r->nerrs - 1].resumed) {
    err_rec_t *e = &r->errs[r->nerrs - 1];
    e->resumed = 1;
    e->resume_mt = m->msgtype.ptr[0];
    if (fixgw_msg_get_int(m, 34, &e->resume_seq) != 0) e->resume_seq = -1;
  }
}

/* Stream src through the parser: READ_SIZE-byte "reads" appended to a
 * receive buffer, parse everything complete, compact. The time of each
 * read's parse (and compaction) over the messages it completed is one
 * ns/msg sample; the memcpy standing in for read(2) is not timed. */
static int stream(run_t *r, fixgw_parser_t *p, const char *src, size_t n, char *rx) {
  size_t pos = 0, len = 0, base = 0;
  double total = 0;
  r->next_seq[0] = r->next_seq[1] = r->cfg->first_seq;
  fixgw_parser_reset(p);
  for (;;) {
    size_t k = n - pos;
    if (k > READ_SIZE) k = READ_SIZE;
    if (k > RX_CAP - len) k = RX_CAP - len;
    if (k == 0) break; /* end of input (or a message larger than rx) */
    memcpy(rx + len, src + pos, k);
    pos += k;
    len += k;
    r->reads++;

    double t0 = now_s();
    size_t off = 0, batch = 0;
    for (;;) {
      fixgw_msg_t m;
      fixgw_parse_error_t err;
      size_t used;
      int rc = fixgw_parse(p, rx + off, len - off, &used, &m, &err);
      if (rc == FIXGW_EAGAIN) break;
      if (rc == 0) {
        on_msg(r, &m);
        batch++;
      } else if (r->nerrs < sizeof r->errs / sizeof r->errs[0]) {
        err_rec_t *e = &r->errs[r->nerrs++];
        memset(e, 0, sizeof *e);
        e->code = rc;
        e->at = base + off;
        e->off = err.offset;
        e->tag = err.tag;
        e->skipped = used;
        r->skipped += used;
      } else {
        r->skipped += used;
      }
      off += used;
    }
    memmove(rx, rx + off, len - off);
    len -= off;
    base += off;
    double dt = now_s() - t0;
    total += dt;
    if (batch) r->samples[r->nsamples++] = dt * 1e9 / (double)batch;
  }
  r->seconds = total;
  return len == 0 ? 0 : -1; /* bytes left over: a message never completed */
}

static void pct(run_t *r, double *p50, double *p99) {
  qsort(r->samples, r->nsamples, sizeof(double), cmp_double);
  *p50 = r->nsamples ? r->samples[r->nsamples / 2] : 0;
  *p99 = r->nsamples ? r->samples[(size_t)((double)r->nsamples * 0.99)] : 0;
}

/* ---------------------------------------------------------------- machine */

static void cpu_model(char *out, size_t cap) {
  snprintf(out, cap, "unknown CPU");
  FILE *f = fopen("/proc/cpuinfo", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      const char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t') c++;
        snprintf(out, cap, "%s", c);
        out[strcspn(out, "\n")] = 0;
      }
      break;
    }
  }
  fclose(f);
}

static const char *compiler(void) {
#if defined(__clang__)
  return "clang " __clang_version__;
#elif defined(__GNUC__)
  return "gcc " __VERSION__;
#else
  return "unknown compiler";
#endif
}

static void group3(char *out, uint64_t v) { /* 1234567 -> "1,234,567" */
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v), o = 0;
  for (int i = 0; i < n; i++) {
    if (i && (n - i) % 3 == 0) out[o++] = ',';
    out[o++] = tmp[i];
  }
  out[o] = 0;
}

/* ------------------------------------------------------------------ main */

int main(void) {
  int failed = 0;
  char cpu[256], a[32], b[32], c[32];
  struct utsname un;
  cpu_model(cpu, sizeof cpu);
  if (uname(&un) != 0) snprintf(un.machine, sizeof un.machine, "?");
  printf("libfixgw %d.%d.%d demo: generate, stream-parse and validate FIX 4.4 order flow\n",
         FIXGW_VERSION_MAJOR, FIXGW_VERSION_MINOR, FIXGW_VERSION_PATCH);
  printf("machine   %s, %ld cores online, %s\n", cpu, sysconf(_SC_NPROCESSORS_ONLN), un.machine);
  printf("build     %s, %s; scan kernel %s\n", compiler(), FIXGW_DEMO_BUILD,
         fixgw_scan_impl_name(fixgw_scan_impl_best()));

  /* 1. Generate the corpus in memory. */
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  cfg.seed = SEED;
  fixgw_gen_t gen;
  if (fixgw_gen_init(&gen, &cfg) != 0) return 1;
  size_t max = fixgw_gen_max_msg_size(&gen), cap = (size_t)N_MESSAGES * 320, used = 0;
  char *corpus = malloc(cap);
  if (!corpus) return 1;
  double t0 = now_s();
  for (unsigned i = 0; i < N_MESSAGES; i++) {
    if (cap - used < max) {
      char *bigger = realloc(corpus, cap *= 2);
      if (!bigger) return 1;
      corpus = bigger;
    }
    const char *out;
    size_t len;
    if (fixgw_gen_next(&gen, corpus + used, cap - used, &out, &len) != 0) return 1;
    used += len;
  }
  double gen_s = now_s() - t0;
  group3(a, N_MESSAGES);
  printf("corpus    %s messages, %.1f MB, seed %u, generated in %.2f s (%.2f M msg/s)\n", a,
         (double)used / 1e6, SEED, gen_s, N_MESSAGES / gen_s / 1e6);

  /* 2. Stream it through the parser twice: parse only, then parse and
   * validate with typed reads. */
  fixgw_parser_t parser;
  if (fixgw_parser_init(&parser, NULL) != 0) return 1;
  char *rx = malloc(RX_CAP);
  size_t max_samples = used / READ_SIZE + 4096 + 2;
  run_t *runs = calloc(3, sizeof *runs);
  if (!rx || !runs) return 1;
  for (int i = 0; i < 3; i++) {
    runs[i].cfg = &cfg;
    runs[i].validate = i > 0;
    runs[i].samples = malloc(max_samples * sizeof(double));
    if (!runs[i].samples) return 1;
  }
  run_t *rp = &runs[0], *rv = &runs[1], *rh = &runs[2];
  if (stream(rp, &parser, corpus, used, rx) != 0) failed = 1;
  if (stream(rv, &parser, corpus, used, rx) != 0) failed = 1;

  /* What the parser saw, by MsgType; it must match what was generated. */
  static const char *const long_names[T_N] = {
      "NewOrderSingle", "ExecutionReport", "OrderCancelRequest",
      "MarketDataSnapshotFullRefresh", "Heartbeat", "other"};
  const fixgw_gen_stats_t *gs = &gen.stats;
  uint64_t want[T_N] = {gs->by_type[FIXGW_GEN_NEW_ORDER],
                        gs->by_type[FIXGW_GEN_ACK] + gs->by_type[FIXGW_GEN_FILL] +
                            gs->by_type[FIXGW_GEN_CANCELED],
                        gs->by_type[FIXGW_GEN_CANCEL_REQ], gs->by_type[FIXGW_GEN_MD_SNAPSHOT],
                        gs->by_type[FIXGW_GEN_HEARTBEAT], 0};
  printf("  %-36s %9s %9s\n", "MsgType, as seen by the parser", "messages", "MB");
  for (int t = 0; t < T_N; t++) {
    if (t == T_OTHER && rv->by_type[t] == 0) continue;
    group3(a, rv->by_type[t]);
    if (rv->by_type[t] != want[t] || rp->by_type[t] != want[t]) failed = 1;
    printf("  35=%-2s %-30s %9s %9.1f", t_names[t], long_names[t], a,
           (double)rv->bytes_by_type[t] / 1e6);
    if (t == T_8) {
      group3(a, rv->exec_by[0]);
      group3(b, rv->exec_by[1]);
      group3(c, rv->exec_by[2]);
      printf("   150=0 %s, 150=F %s, 150=4 %s", a, b, c);
    } else if (t == T_W) {
      group3(a, rv->md_entries);
      printf("   %s MD entries", a);
    }
    printf("\n");
  }
  if (rv->exec_by[0] != gs->by_type[FIXGW_GEN_ACK] ||
      rv->exec_by[1] != gs->by_type[FIXGW_GEN_FILL] ||
      rv->exec_by[2] != gs->by_type[FIXGW_GEN_CANCELED] || rv->md_entries != gs->md_entries)
    failed = 1;

  printf("stream    %u-byte reads into a %u KiB buffer, compacted after each read\n",
         READ_SIZE, RX_CAP / 1024);
  printf("  %-20s %8s %9s %7s %14s %6s %6s\n", "", "time", "msg/s", "MB/s", "ns/msg: mean", "p50",
         "p99");
  const char *labels[2] = {"parse", "parse + typed reads"};
  for (int i = 0; i < 2; i++) {
    run_t *r = &runs[i];
    double p50, p99;
    pct(r, &p50, &p99);
    printf("  %-20s %6.3f s %7.2f M %7.1f %14.0f %6.0f %6.0f\n", labels[i], r->seconds,
           (double)r->msgs / r->seconds / 1e6, (double)r->bytes / r->seconds / 1e6,
           r->seconds * 1e9 / (double)r->msgs, p50, p99);
  }
  group3(a, rv->nsamples);
  printf("  (p50/p99: each read's parse time over the messages it completed, %s reads;\n"
         "   a mean above p99 means a few reads were stalled, e.g. by another process)\n", a);

  int seq_ok = rv->next_seq[0] + rv->next_seq[1] - 2 * cfg.first_seq == N_MESSAGES;
  int all_ok = rv->msgs == N_MESSAGES && rv->nerrs == 0 && rv->bad_checks == 0 && seq_ok &&
               rp->msgs == N_MESSAGES && rp->nerrs == 0;
  if (!all_ok) failed = 1;
  group3(a, rv->msgs);
  group3(b, N_MESSAGES);
  printf("checks    %s of %s parsed, %zu errors, %llu failed checks; MsgSeqNum contiguous: "
         "%s 1..%llu, %s 1..%llu\n",
         a, b, rv->nerrs, (unsigned long long)rv->bad_checks, cfg.client_comp_id,
         (unsigned long long)rv->next_seq[0] - 1, cfg.broker_comp_id,
         (unsigned long long)rv->next_seq[1] - 1);
  group3(a, rv->reads_int);
  group3(b, rv->reads_str);
  group3(c, rv->reads_dec);
  printf("          typed reads: %s int (34), %s string (35 49 11 55), %s decimal\n", a, b, c);
  group3(a, rv->groups);
  printf("          (38 44 31 32, and 270 271 in %s NoMDEntries groups via fixgw_group_open)\n", a);

  /* 3. The same stream with hostile bytes spliced in at three message
   * boundaries. Each must be reported and skipped, with every good
   * message still delivered in order. */
  static const char garbage[] = "\x01\x01GARBAGE 9=12\x01\xff\xfe noise 8=FOO\x01 35=D\x01";
  size_t cuts[3] = {used / 4, used / 2, 3 * used / 4};
  size_t inj_at[3], inj_len[3];
  const char *inj_name[3] = {"garbage between messages", "copy with a bad CheckSum",
                             "copy truncated at 60%"};
  char *hostile = malloc(used + 3 * (max + sizeof garbage));
  if (!hostile) return 1;
  size_t hs = 0, from = 0;
  for (int k = 0; k < 3; k++) {
    /* Move the cut to the next message start. */
    const char *q = corpus + cuts[k];
    while ((size_t)(q - corpus) < used - 5 && memcmp(q, "\x01" "8=FIX", 6) != 0) q++;
    size_t cut = (size_t)(q - corpus) + 1;
    memcpy(hostile + hs, corpus + from, cut - from);
    hs += cut - from;
    from = cut;
    /* The message at the cut, to be copied and damaged. */
    const char *msg = corpus + cut;
    const char *end = memmem(msg, used - cut, "\x01" "10=", 4);
    size_t mlen = (size_t)(end - msg) + 8;
    inj_at[k] = hs;
    if (k == 0) {
      memcpy(hostile + hs, garbage, sizeof garbage - 1);
      hs += sizeof garbage - 1;
    } else if (k == 1) {
      memcpy(hostile + hs, msg, mlen);
      char *d = hostile + hs + mlen - 2; /* last CheckSum digit */
      *d = *d == '9' ? '0' : (char)(*d + 1);
      hs += mlen;
    } else {
      memcpy(hostile + hs, msg, mlen * 6 / 10);
      hs += mlen * 6 / 10;
    }
    inj_len[k] = hs - inj_at[k];
  }
  memcpy(hostile + hs, corpus + from, used - from);
  hs += used - from;

  if (stream(rh, &parser, hostile, hs, rx) != 0) failed = 1;
  printf("hostile   the stream again with 3 bad runs spliced in at message boundaries\n");
  size_t matched = 0;
  for (int k = 0; k < 3; k++) {
    int seen = 0;
    for (size_t i = 0; i < rh->nerrs; i++) {
      err_rec_t *e = &rh->errs[i];
      if (e->at < inj_at[k] || e->at >= inj_at[k] + inj_len[k]) continue;
      matched++;
      group3(a, inj_at[k]);
      if (!seen)
        printf("  %-25s (%zu B at byte %s)\n", inj_name[k], inj_len[k], a);
      seen = 1;
      group3(a, e->at + e->off);
      printf("    -> %s \"%s\"\n       at byte %s (+%zu), tag %u; skipped %zu B; "
             "resumed with 35=%c 34=%lld\n",
             fixgw_err_name(e->code), fixgw_strerror(e->code), a, e->off, e->tag, e->skipped,
             e->resume_mt, (long long)e->resume_seq);
    }
    if (!seen) {
      printf("  %-25s NOT REPORTED\n", inj_name[k]);
      failed = 1;
    }
  }
  int h_ok = rh->msgs == N_MESSAGES && rh->bad_checks == 0 && matched == rh->nerrs &&
             rh->next_seq[0] + rh->next_seq[1] - 2 * cfg.first_seq == N_MESSAGES;
  if (!h_ok) failed = 1;
  group3(a, rh->msgs);
  group3(b, N_MESSAGES);
  printf("  good messages delivered: %s of %s, in sequence, %u lost; %llu bad bytes skipped\n", a,
         b, N_MESSAGES - (unsigned)rh->msgs, (unsigned long long)rh->skipped);

  printf("%s\n", failed ? "RESULT    FAILED (see above)" : "RESULT    all checks passed");
  for (int i = 0; i < 3; i++) free(runs[i].samples);
  free(runs);
  free(hostile);
  free(rx);
  free(corpus);
  fixgw_parser_destroy(&parser);
  fixgw_gen_destroy(&gen);
  return failed;
}
