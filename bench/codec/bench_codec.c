/* Codec benchmarks, fixgw side (C, through the shim).
 *
 *   parse/<Msg>/fixgw          frame + validate + index + the typed reads an
 *                              application does, per message type
 *   parse_kernel/<Msg>/<impl>  the same with each scan kernel forced
 *   encode/ExecutionReport/fixgw
 *   validate/NewOrderSingle/fixgw        full FIX 4.4 dictionary validation
 *                              of the parsed message
 *   parse_validate/NewOrderSingle/fixgw  parse + validation + typed reads
 *   latency/<Msg>/fixgw, latency/mixed/fixgw  per-parse latency (with the
 *                              reads) of one type or of all four in turn,
 *                              cache-hot, percentiles as counters (rdtsc)
 *   corpus/fixgw               (with --corpus=FILE) a whole file streamed
 *                              through the parser
 *
 * Running it (medians of cpu_time are the figures to quote; the ratio
 * summary at the end compares them):
 *   fixgw-gen -o /tmp/corpus.fix --count 1000000     (examples/gen)
 *   bench_codec --corpus=/tmp/corpus.fix \
 *       --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 * (bench_codec --write-corpus=FILE [--corpus-messages=N] writes a simpler
 * corpus with our encoder alone.) Add --benchmark_format=json for JSON on
 * stdout; the summary then goes to stderr.
 *
 * Each parse benchmark hands the parser a buffer holding its message twice
 * and parses the first: what a streaming receiver sees (bytes follow the
 * message), so the scan kernels may read whole vectors past its end. Every
 * benchmark also counts allocations over 1000 untimed repetitions after
 * the timed loop (allocs_per_msg, expected 0). */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, clockid_t */
#include "bench_codec.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#endif

#include "fixgw/codec.h"
#include "fixgw/dict.h"
#include "fixgw/validate.h"
#include "fixgw_bench.h"

#define BATCH 64
#define ALLOC_REPS 1000

static int failed;
int bench_codec_failed(void) { return failed; }

static void bench_fail(fixgw_bench_state *st, const char *what, int rc) {
  char m[160];
  snprintf(m, sizeof m, "%s: %s (%s)", what, fixgw_err_name(rc), fixgw_strerror(rc));
  fixgw_bench_error(st, m);
  failed = 1;
}

/* ------------------------------------------------------------- messages */

static const fixgw_decimal_t PX = {1872500, -4}; /* 187.2500 */

static char msg_store[BENCH_KIND_COUNT][1024];
static const char *msg_ptr[BENCH_KIND_COUNT];
static size_t msg_len[BENCH_KIND_COUNT];
/* Each message twice in a row: the parse benchmarks' input. */
static char msg_twice[BENCH_KIND_COUNT][2048];

static const char *const msg_names[BENCH_KIND_COUNT] = {
    "NewOrderSingle", "ExecutionReport", "MDSnapshot10", "Heartbeat"};

const char *bench_msg_name(int kind) { return msg_names[kind]; }
const char *bench_msg(int kind, size_t *len) {
  *len = msg_len[kind];
  return msg_ptr[kind];
}

static fixgw_decimal_t dec(int64_t m, int32_t e) {
  fixgw_decimal_t d = {m, e};
  return d;
}

static void header(fixgw_encoder_t *e, uint64_t seq, fixgw_ts_precision p) {
  fixgw_enc_uint(e, 34, seq);
  fixgw_enc_cstr(e, 49, BENCH_ER_SENDER);
  fixgw_enc_timestamp(e, 52, BENCH_T0_NS, p);
  fixgw_enc_cstr(e, 56, BENCH_ER_TARGET);
}

/* The ExecutionReport: 19 fields after MsgType, the encode benchmark's
 * work and the parse benchmark's input. */
static int encode_er(fixgw_encoder_t *e, char *buf, size_t cap, uint64_t seq,
                     const char **out, size_t *outlen) {
  fixgw_enc_begin(e, buf, cap, "FIX.4.4", "8");
  header(e, seq, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(e, 37, "OID-7781");
  fixgw_enc_cstr(e, 11, "ORD-20240315-000123456");
  fixgw_enc_cstr(e, 17, "EX-00000991");
  fixgw_enc_char(e, 150, 'F');
  fixgw_enc_char(e, 39, '1');
  fixgw_enc_cstr(e, 55, BENCH_ER_SYMBOL);
  fixgw_enc_char(e, 54, '1');
  fixgw_enc_decimal(e, 38, dec(1500, 0));
  fixgw_enc_decimal(e, 44, PX);
  fixgw_enc_decimal(e, 32, dec(500, 0));
  fixgw_enc_decimal(e, 31, PX);
  fixgw_enc_decimal(e, 151, dec(1000, 0));
  fixgw_enc_decimal(e, 14, dec(500, 0));
  fixgw_enc_decimal(e, 6, PX);
  fixgw_enc_timestamp(e, 60, BENCH_T0_NS, FIXGW_TS_MICROS);
  return fixgw_enc_finish(e, out, outlen);
}

static int build_messages(void) {
  fixgw_encoder_t e;
  int rc;
  char *b;

  b = msg_store[BENCH_NOS];
  fixgw_enc_begin(&e, b, sizeof msg_store[0], "FIX.4.4", "D");
  header(&e, 1234567, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(&e, 1, "ACCT-00012345");
  fixgw_enc_cstr(&e, 11, "ORD-20240315-000123456");
  fixgw_enc_char(&e, 21, '1');
  fixgw_enc_decimal(&e, 38, dec(1500, 0));
  fixgw_enc_char(&e, 40, '2');
  fixgw_enc_decimal(&e, 44, PX);
  fixgw_enc_char(&e, 54, '1');
  fixgw_enc_cstr(&e, 55, "AAPL");
  fixgw_enc_char(&e, 59, '0');
  fixgw_enc_timestamp(&e, 60, BENCH_T0_NS, FIXGW_TS_MICROS);
  rc = fixgw_enc_finish(&e, &msg_ptr[BENCH_NOS], &msg_len[BENCH_NOS]);
  if (rc) return rc;

  rc = encode_er(&e, msg_store[BENCH_ER], sizeof msg_store[0], 1234568,
                 &msg_ptr[BENCH_ER], &msg_len[BENCH_ER]);
  if (rc) return rc;

  b = msg_store[BENCH_MD];
  fixgw_enc_begin(&e, b, sizeof msg_store[0], "FIX.4.4", "W");
  header(&e, 1234569, FIXGW_TS_MILLIS);
  fixgw_enc_cstr(&e, 55, "AAPL");
  fixgw_enc_cstr(&e, 262, "MDREQ-1");
  fixgw_enc_uint(&e, 268, 10);
  for (int i = 0; i < 10; i++) {
    /* Bids below, offers above the mid, a cent apart. */
    fixgw_enc_char(&e, 269, i < 5 ? '0' : '1');
    fixgw_enc_decimal(&e, 270, dec(18725 + (i < 5 ? -1 - i : i - 4), -2));
    fixgw_enc_decimal(&e, 271, dec(100 * (i + 1), 0));
  }
  rc = fixgw_enc_finish(&e, &msg_ptr[BENCH_MD], &msg_len[BENCH_MD]);
  if (rc) return rc;

  b = msg_store[BENCH_HB];
  fixgw_enc_begin(&e, b, sizeof msg_store[0], "FIX.4.4", "0");
  header(&e, 1234570, FIXGW_TS_MILLIS);
  rc = fixgw_enc_finish(&e, &msg_ptr[BENCH_HB], &msg_len[BENCH_HB]);
  if (rc) return rc;

  for (int k = 0; k < BENCH_KIND_COUNT; k++) {
    memcpy(msg_twice[k], msg_ptr[k], msg_len[k]);
    memcpy(msg_twice[k] + msg_len[k], msg_ptr[k], msg_len[k]);
  }
  return 0;
}

/* ---------------------------------------------------------- typed reads */

/* What the reads produce, folded together so none can be optimised out. */
typedef struct acc {
  uint64_t x;
} acc_t;

static inline void fold(acc_t *a, uint64_t v) { a->x = a->x * 31 + v; }
static inline void fold_str(acc_t *a, const fixgw_msg_t *m, uint32_t tag) {
  fixgw_str_t s;
  if (fixgw_msg_get_str(m, tag, &s) == 0) fold(a, (uintptr_t)s.ptr + s.len);
}
static inline void fold_dec(acc_t *a, const fixgw_msg_t *m, uint32_t tag) {
  fixgw_decimal_t d;
  if (fixgw_msg_get_decimal(m, tag, &d) == 0) fold(a, (uint64_t)d.mant + (uint64_t)d.exp);
}
static inline void fold_char(acc_t *a, const fixgw_msg_t *m, uint32_t tag) {
  char c;
  if (fixgw_msg_get_char(m, tag, &c) == 0) fold(a, (unsigned char)c);
}
static inline void fold_ts(acc_t *a, const fixgw_msg_t *m, uint32_t tag) {
  int64_t ns;
  if (fixgw_msg_get_timestamp(m, tag, &ns) == 0) fold(a, (uint64_t)ns);
}
static inline void fold_header(acc_t *a, const fixgw_msg_t *m) {
  uint64_t seq;
  if (fixgw_msg_get_uint(m, 34, &seq) == 0) fold(a, seq);
  fold(a, (uintptr_t)m->msgtype.ptr + m->msgtype.len);
  fold_str(a, m, 49);
  fold_str(a, m, 56);
  fold_ts(a, m, 52);
}

static const uint32_t md_entry_tags[] = {
    269, 270, 15,  271, 272, 273, 274, 275, 336, 625, 276, 277, 282, 283, 284, 286, 59,
    432, 126, 110, 18,  287, 37,  299, 288, 289, 346, 290, 546, 811, 58,  354, 355};
static const fixgw_group_layout_t md_entries = {
    268, 269, md_entry_tags, sizeof md_entry_tags / sizeof md_entry_tags[0], NULL, 0};

/* Every MDEntryType, MDEntryPx and MDEntrySize of a W. Returns 0 or the
 * group error. */
static int read_md_entries(acc_t *a, const fixgw_msg_t *m) {
  fixgw_group_t g;
  fixgw_group_entry_t e;
  int rc = fixgw_group_open(m, &md_entries, 0, m->nfields, 0, &g);
  if (rc) return rc;
  while (fixgw_group_next(&g, &e) == 0) {
    fixgw_decimal_t d;
    for (uint32_t i = e.first; i < e.end; i++) {
      const fixgw_field_t *f = &m->fields[i];
      switch (f->tag) {
        case 269:
          fold(a, (unsigned char)f->val[0]);
          break;
        case 270:
        case 271:
          if (fixgw_msg_field_decimal(m, f, &d) == 0)
            fold(a, (uint64_t)d.mant + (uint64_t)d.exp);
          break;
        default:
          break;
      }
    }
  }
  return 0;
}

/* The reads an application does on each message type. */
static int read_typed(int kind, acc_t *a, const fixgw_msg_t *m) {
  fold_header(a, m);
  switch (kind) {
    case BENCH_NOS:
      fold_str(a, m, 1);
      fold_str(a, m, 11);
      fold_char(a, m, 21);
      fold_dec(a, m, 38);
      fold_char(a, m, 40);
      fold_dec(a, m, 44);
      fold_char(a, m, 54);
      fold_str(a, m, 55);
      fold_char(a, m, 59);
      fold_ts(a, m, 60);
      return 0;
    case BENCH_ER:
      fold_str(a, m, 37);
      fold_str(a, m, 11);
      fold_str(a, m, 17);
      fold_char(a, m, 150);
      fold_char(a, m, 39);
      fold_str(a, m, 55);
      fold_char(a, m, 54);
      fold_dec(a, m, 38);
      fold_dec(a, m, 44);
      fold_dec(a, m, 32);
      fold_dec(a, m, 31);
      fold_dec(a, m, 151);
      fold_dec(a, m, 14);
      fold_dec(a, m, 6);
      fold_ts(a, m, 60);
      return 0;
    case BENCH_MD:
      fold_str(a, m, 55);
      fold_str(a, m, 262);
      return read_md_entries(a, m);
    default:
      return 0;
  }
}

static inline int parse_and_read(fixgw_parser_t *p, int kind, acc_t *a) {
  size_t consumed;
  fixgw_msg_t m;
  int rc = fixgw_parse(p, msg_twice[kind], 2 * msg_len[kind], &consumed, &m, NULL);
  if (FIXGW_UNLIKELY(rc)) return rc;
  return read_typed(kind, a, &m);
}

static void report_allocs(fixgw_bench_state *st, uint64_t calls, uint64_t reps) {
  if (!fixgw_alloc_count_available()) return;
  fixgw_bench_counter(st, "allocs_per_msg", (double)calls / (double)reps, false, false);
}

/* ---------------------------------------------------------------- parse */

typedef struct parse_arg {
  int kind;
  fixgw_scan_impl scan;
} parse_arg_t;

static void bm_parse(fixgw_bench_state *st, void *argp) {
  const parse_arg_t *arg = argp;
  fixgw_parser_config_t cfg;
  fixgw_parser_config_default(&cfg);
  cfg.scan = arg->scan;
  fixgw_parser_t p;
  int rc = fixgw_parser_init(&p, &cfg);
  if (rc) {
    bench_fail(st, "fixgw_parser_init", rc);
    while (fixgw_bench_keep_running_batch(st, 1)) {}
    return;
  }
  acc_t a = {0};
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) rc |= parse_and_read(&p, arg->kind, &a);
    n += BATCH;
  }
  fixgw_bench_sink(&a);
  if (rc) {
    bench_fail(st, "parse", rc);
  } else {
    fixgw_alloc_count_enable(1);
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int i = 0; i < ALLOC_REPS; i++) parse_and_read(&p, arg->kind, &a);
    uint64_t c1 = fixgw_alloc_count_calls();
    fixgw_alloc_count_enable(0);
    fixgw_bench_sink(&a);
    report_allocs(st, c1 - c0, ALLOC_REPS);
  }
  fixgw_bench_set_items(st, n);
  fixgw_bench_set_bytes(st, n * (int64_t)msg_len[arg->kind]);
  fixgw_bench_counter(st, "msg_bytes", (double)msg_len[arg->kind], false, false);
  fixgw_parser_destroy(&p);
}

/* ----------------------------------------------------------- validation */

/* FIX 4.4, every check on: what a session validating inbound does. */
static fixgw_validator_t validator;
static int validator_rc = -1;

static void bm_validate(fixgw_bench_state *st, void *argp) {
  (void)argp;
  fixgw_parser_t p;
  fixgw_msg_t m;
  size_t used;
  int rc = validator_rc ? validator_rc : fixgw_parser_init(&p, NULL);
  if (rc) {
    bench_fail(st, "validator or parser init", rc);
    while (fixgw_bench_keep_running_batch(st, 1)) {}
    return;
  }
  rc = fixgw_parse(&p, msg_twice[BENCH_NOS], 2 * msg_len[BENCH_NOS], &used, &m, NULL);
  if (!rc) rc = fixgw_validate(&validator, &m, NULL);
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) rc |= fixgw_validate(&validator, &m, NULL);
    n += BATCH;
  }
  if (rc) {
    bench_fail(st, "validate", rc);
  } else {
    fixgw_alloc_count_enable(1);
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int i = 0; i < ALLOC_REPS; i++) rc |= fixgw_validate(&validator, &m, NULL);
    uint64_t c1 = fixgw_alloc_count_calls();
    fixgw_alloc_count_enable(0);
    report_allocs(st, c1 - c0, ALLOC_REPS);
  }
  fixgw_bench_set_items(st, n);
  fixgw_parser_destroy(&p);
}

static inline int parse_validate_read(fixgw_parser_t *p, int kind, acc_t *a) {
  size_t consumed;
  fixgw_msg_t m;
  int rc = fixgw_parse(p, msg_twice[kind], 2 * msg_len[kind], &consumed, &m, NULL);
  if (FIXGW_UNLIKELY(rc)) return rc;
  rc = fixgw_validate(&validator, &m, NULL);
  if (FIXGW_UNLIKELY(rc)) return rc;
  return read_typed(kind, a, &m);
}

static void bm_parse_validate(fixgw_bench_state *st, void *argp) {
  (void)argp;
  fixgw_parser_t p;
  int rc = validator_rc ? validator_rc : fixgw_parser_init(&p, NULL);
  if (rc) {
    bench_fail(st, "validator or parser init", rc);
    while (fixgw_bench_keep_running_batch(st, 1)) {}
    return;
  }
  acc_t a = {0};
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) rc |= parse_validate_read(&p, BENCH_NOS, &a);
    n += BATCH;
  }
  fixgw_bench_sink(&a);
  if (rc) {
    bench_fail(st, "parse + validate", rc);
  } else {
    fixgw_alloc_count_enable(1);
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int i = 0; i < ALLOC_REPS; i++) parse_validate_read(&p, BENCH_NOS, &a);
    uint64_t c1 = fixgw_alloc_count_calls();
    fixgw_alloc_count_enable(0);
    fixgw_bench_sink(&a);
    report_allocs(st, c1 - c0, ALLOC_REPS);
  }
  fixgw_bench_set_items(st, n);
  fixgw_bench_set_bytes(st, n * (int64_t)msg_len[BENCH_NOS]);
  fixgw_parser_destroy(&p);
}

/* --------------------------------------------------------------- encode */

static void bm_encode(fixgw_bench_state *st, void *argp) {
  (void)argp;
  static char buf[1024];
  fixgw_encoder_t e;
  const char *out = NULL;
  size_t len = 0;
  int rc = 0;
  int64_t n = 0;
  uint64_t seq = 1;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      rc |= encode_er(&e, buf, sizeof buf, seq++, &out, &len);
      fixgw_bench_sink(out);
    }
    n += BATCH;
  }
  if (rc) {
    bench_fail(st, "encode", rc);
  } else {
    fixgw_alloc_count_enable(1);
    uint64_t c0 = fixgw_alloc_count_calls();
    for (int i = 0; i < ALLOC_REPS; i++) encode_er(&e, buf, sizeof buf, seq++, &out, &len);
    uint64_t c1 = fixgw_alloc_count_calls();
    fixgw_alloc_count_enable(0);
    report_allocs(st, c1 - c0, ALLOC_REPS);
  }
  fixgw_bench_set_items(st, n);
  fixgw_bench_set_bytes(st, n * (int64_t)len);
  fixgw_bench_counter(st, "msg_bytes", (double)len, false, false);
  fixgw_bench_counter(st, "fields", 20, false, false);
}

/* -------------------------------------------------------------- latency */

#define LAT_CAP (1u << 20)
static uint32_t lat_samples[LAT_CAP];

static uint64_t now_ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#ifdef BENCH_HAVE_TSC
/* lfence on both sides keeps the timed work between the two reads. */
static inline uint64_t tsc(void) {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}
#else
static inline uint64_t tsc(void) { return now_ns(CLOCK_MONOTONIC); }
#endif

static double tsc_per_ns;     /* ticks per nanosecond */
static uint64_t tsc_overhead; /* ticks of an empty timed region */

static void tsc_calibrate(void) {
  uint64_t t0 = now_ns(CLOCK_MONOTONIC), c0 = tsc();
  while (now_ns(CLOCK_MONOTONIC) - t0 < 20000000u) {}
  uint64_t t1 = now_ns(CLOCK_MONOTONIC), c1 = tsc();
  tsc_per_ns = (double)(c1 - c0) / (double)(t1 - t0);
  uint64_t best = UINT64_MAX;
  for (int i = 0; i < 10000; i++) {
    uint64_t a = tsc(), b = tsc();
    if (b - a < best) best = b - a;
  }
  tsc_overhead = best;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static double pct_ns(const uint32_t *s, size_t n, double q) {
  size_t i = (size_t)(q * (double)(n - 1) + 0.5);
  return (double)s[i] / tsc_per_ns;
}

/* One message type (arg: its kind) or, for the mixed set (arg NULL), each
 * iteration one of NOS, ER, MD, HB in turn. */
static int latency_kinds[BENCH_KIND_COUNT];
static void bm_latency(fixgw_bench_state *st, void *argp) {
  const int *only = argp;
  fixgw_parser_t p;
  int rc = fixgw_parser_init(&p, NULL);
  if (rc) {
    bench_fail(st, "fixgw_parser_init", rc);
    while (fixgw_bench_keep_running_batch(st, 1)) {}
    return;
  }
  acc_t a = {0};
  size_t ns = 0;
  int64_t n = 0, bytes = 0;
  while (fixgw_bench_keep_running_batch(st, BATCH)) {
    for (int i = 0; i < BATCH; i++) {
      int kind = only ? *only : i & 3;
      uint64_t t0 = tsc();
      rc |= parse_and_read(&p, kind, &a);
      uint64_t t1 = tsc();
      uint64_t d = t1 - t0;
      d = d > tsc_overhead ? d - tsc_overhead : 0;
      if (ns < LAT_CAP) lat_samples[ns++] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
      bytes += (int64_t)msg_len[kind];
    }
    n += BATCH;
  }
  fixgw_bench_sink(&a);
  fixgw_parser_destroy(&p);
  if (rc) {
    bench_fail(st, "parse", rc);
    return;
  }
  qsort(lat_samples, ns, sizeof lat_samples[0], cmp_u32);
  fixgw_bench_set_items(st, n);
  fixgw_bench_set_bytes(st, bytes);
  fixgw_bench_counter(st, "samples", (double)ns, false, false);
  if (ns == 0) return;
  fixgw_bench_counter(st, "min_ns", pct_ns(lat_samples, ns, 0), false, false);
  fixgw_bench_counter(st, "p50_ns", pct_ns(lat_samples, ns, 0.50), false, false);
  fixgw_bench_counter(st, "p90_ns", pct_ns(lat_samples, ns, 0.90), false, false);
  fixgw_bench_counter(st, "p99_ns", pct_ns(lat_samples, ns, 0.99), false, false);
  fixgw_bench_counter(st, "p999_ns", pct_ns(lat_samples, ns, 0.999), false, false);
  fixgw_bench_counter(st, "max_ns", pct_ns(lat_samples, ns, 1.0), false, false);
}

/* --------------------------------------------------------------- corpus */

static char *corpus;
static size_t corpus_len;

const char *bench_corpus(size_t *len) {
  *len = corpus_len;
  return corpus;
}

/* MsgSeqNum as an integer, MsgType, ClOrdID and Symbol as strings,
 * OrderQty and Price as decimals, and in W every MDEntryPx/MDEntrySize
 * (through the group; by the fields when the group is not the one
 * md_entries describes). Returns 0 or the first error. */
static int corpus_reads(acc_t *a, const fixgw_msg_t *m, uint64_t *fallbacks) {
  int64_t seq;
  int rc = fixgw_msg_get_int(m, 34, &seq);
  if (rc) return rc;
  fold(a, (uint64_t)seq);
  fold(a, (uintptr_t)m->msgtype.ptr + m->msgtype.len);
  fold_str(a, m, 11);
  fold_str(a, m, 55);
  fold_dec(a, m, 38);
  fold_dec(a, m, 44);
  if (m->msgtype.len == 1 && m->msgtype.ptr[0] == 'W') {
    if (read_md_entries(a, m) != 0) {
      (*fallbacks)++;
      for (uint32_t i = 0; i < m->nfields; i++) {
        const fixgw_field_t *f = &m->fields[i];
        fixgw_decimal_t d;
        if ((f->tag == 270 || f->tag == 271) && fixgw_to_decimal(f->val, f->len, &d) == 0)
          fold(a, (uint64_t)d.mant + (uint64_t)d.exp);
      }
    }
  }
  return 0;
}

typedef struct corpus_result {
  uint64_t messages, fallbacks;
  int rc;
  size_t err_offset;
  uint32_t err_tag;
} corpus_result_t;

static void corpus_pass(fixgw_parser_t *p, acc_t *a, corpus_result_t *r) {
  size_t pos = 0;
  fixgw_parse_error_t err;
  r->messages = 0;
  r->rc = 0;
  while (pos < corpus_len) {
    /* Line breaks between messages (a log written one per line) are
     * separators, not rejected input. */
    char c = corpus[pos];
    if (FIXGW_UNLIKELY(c == '\n' || c == '\r')) {
      pos++;
      continue;
    }
    size_t consumed;
    fixgw_msg_t m;
    int rc = fixgw_parse(p, corpus + pos, corpus_len - pos, &consumed, &m, &err);
    if (FIXGW_UNLIKELY(rc != 0)) {
      if (!r->rc) {
        r->rc = rc;
        r->err_offset = pos + (rc == FIXGW_EAGAIN ? 0 : err.offset);
        r->err_tag = rc == FIXGW_EAGAIN ? 0 : err.tag;
      }
      if (rc == FIXGW_EAGAIN) break; /* a truncated last message */
      pos += consumed;
      continue;
    }
    rc = corpus_reads(a, &m, &r->fallbacks);
    if (FIXGW_UNLIKELY(rc) && !r->rc) {
      r->rc = rc;
      r->err_offset = pos;
      r->err_tag = 34;
    }
    r->messages++;
    pos += consumed;
  }
}

static void bm_corpus(fixgw_bench_state *st, void *argp) {
  (void)argp;
  fixgw_parser_t p;
  int rc = fixgw_parser_init(&p, NULL);
  if (rc) {
    bench_fail(st, "fixgw_parser_init", rc);
    while (fixgw_bench_keep_running_batch(st, 1)) {}
    return;
  }
  acc_t a = {0};
  corpus_result_t r = {0};
  int64_t iters = 0;
  uint64_t msgs = 0;
  uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
  while (fixgw_bench_keep_running_batch(st, 1)) {
    corpus_pass(&p, &a, &r);
    msgs += r.messages;
    iters++;
    if (r.rc) break;
  }
  uint64_t c1 = now_ns(CLOCK_THREAD_CPUTIME_ID);
  fixgw_bench_sink(&a);
  if (r.rc) {
    char m[200];
    snprintf(m, sizeof m,
             "corpus: message rejected at byte %zu (tag %u): %s; %llu rejections",
             r.err_offset, r.err_tag, fixgw_err_name(r.rc),
             (unsigned long long)p.stats.rejected);
    fprintf(stderr, "bench_codec: %s\n", m);
    fixgw_bench_error(st, m);
    failed = 1;
    fixgw_parser_destroy(&p);
    return;
  }
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  corpus_pass(&p, &a, &r);
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  report_allocs(st, a1 - a0, r.messages ? r.messages : 1);
  fixgw_bench_set_items(st, (int64_t)msgs);
  fixgw_bench_set_bytes(st, iters * (int64_t)corpus_len);
  fixgw_bench_counter(st, "messages", (double)r.messages, false, false);
  fixgw_bench_counter(st, "file_bytes", (double)corpus_len, false, false);
  fixgw_bench_counter(st, "cpu_ns_per_msg", msgs ? (double)(c1 - c0) / (double)msgs : 0,
                      false, false);
  if (r.fallbacks)
    fixgw_bench_counter(st, "md_group_fallbacks", (double)r.fallbacks, false, false);
  fixgw_parser_destroy(&p);
}

static int load_corpus(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0) {
    perror(path);
    fclose(f);
    return -1;
  }
  long sz = ftell(f);
  rewind(f);
  if (sz <= 0) {
    fprintf(stderr, "bench_codec: %s is empty or unreadable\n", path);
    fclose(f);
    return -1;
  }
  /* 64 spare bytes: nothing reads them (the parser stays inside what it
   * is given), they only keep the allocation a cache-line multiple. */
  corpus = malloc((size_t)sz + 64);
  if (!corpus || fread(corpus, 1, (size_t)sz, f) != (size_t)sz) {
    fprintf(stderr, "bench_codec: cannot read %s\n", path);
    fclose(f);
    return -1;
  }
  fclose(f);
  corpus_len = (size_t)sz;
  return 0;
}

/* -------------------------------------------------------- corpus writer */

static uint64_t xs(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 2685821657736338717ULL;
}

int bench_codec_write_corpus(const char *path, uint64_t n, uint64_t seed) {
  static const char *const syms[] = {"AAPL", "MSFT", "ESM4", "EUR/USD", "VOD.L", "7203.T"};
  FILE *f = fopen(path, "wb");
  if (!f) {
    perror(path);
    return -1;
  }
  uint64_t s = seed ? seed : 1;
  char buf[4096], id[32];
  fixgw_encoder_t e;
  int64_t t = BENCH_T0_NS;
  for (uint64_t i = 0; i < n; i++) {
    uint64_t r = xs(&s);
    unsigned pick = (unsigned)(r % 100);
    const char *sym = syms[(r >> 8) % 6];
    int64_t px = 10000 + (int64_t)((r >> 16) % 9000000);
    int64_t qty = 100 * (int64_t)(1 + (r >> 40) % 50);
    t += (int64_t)((r >> 24) % 100000);
    const char *type = pick < 40 ? "D" : pick < 75 ? "8" : pick < 90 ? "W" : "0";
    fixgw_enc_begin(&e, buf, sizeof buf, "FIX.4.4", type);
    fixgw_enc_uint(&e, 34, i + 1);
    fixgw_enc_cstr(&e, 49, BENCH_ER_TARGET);
    fixgw_enc_timestamp(&e, 52, t, FIXGW_TS_MILLIS);
    fixgw_enc_cstr(&e, 56, BENCH_ER_SENDER);
    snprintf(id, sizeof id, "ORD-%llu", (unsigned long long)(i / 2 + 1));
    if (type[0] == 'D') {
      fixgw_enc_cstr(&e, 1, "ACCT-00012345");
      fixgw_enc_cstr(&e, 11, id);
      fixgw_enc_char(&e, 21, '1');
      fixgw_enc_decimal(&e, 38, dec(qty, 0));
      fixgw_enc_char(&e, 40, '2');
      fixgw_enc_decimal(&e, 44, dec(px, -4));
      fixgw_enc_char(&e, 54, (char)('1' + (r >> 50) % 2));
      fixgw_enc_cstr(&e, 55, sym);
      fixgw_enc_char(&e, 59, '0');
      fixgw_enc_timestamp(&e, 60, t, FIXGW_TS_MICROS);
    } else if (type[0] == '8') {
      int64_t cum = qty / 2;
      fixgw_enc_cstr(&e, 37, "OID-7781");
      fixgw_enc_cstr(&e, 11, id);
      fixgw_enc_cstr(&e, 17, "EX-00000991");
      fixgw_enc_char(&e, 150, 'F');
      fixgw_enc_char(&e, 39, '1');
      fixgw_enc_cstr(&e, 55, sym);
      fixgw_enc_char(&e, 54, '1');
      fixgw_enc_decimal(&e, 38, dec(qty, 0));
      fixgw_enc_decimal(&e, 44, dec(px, -4));
      fixgw_enc_decimal(&e, 32, dec(cum, 0));
      fixgw_enc_decimal(&e, 31, dec(px, -4));
      fixgw_enc_decimal(&e, 151, dec(qty - cum, 0));
      fixgw_enc_decimal(&e, 14, dec(cum, 0));
      fixgw_enc_decimal(&e, 6, dec(px, -4));
      fixgw_enc_timestamp(&e, 60, t, FIXGW_TS_MICROS);
    } else if (type[0] == 'W') {
      unsigned entries = 2 + (unsigned)((r >> 44) % 19);
      fixgw_enc_cstr(&e, 55, sym);
      fixgw_enc_cstr(&e, 262, "MDREQ-1");
      fixgw_enc_uint(&e, 268, entries);
      for (unsigned k = 0; k < entries; k++) {
        fixgw_enc_char(&e, 269, k & 1 ? '1' : '0');
        fixgw_enc_decimal(&e, 270, dec(px + (k & 1 ? 1 : -1) * (int64_t)(k / 2 + 1), -4));
        fixgw_enc_decimal(&e, 271, dec(qty * (k + 1), 0));
      }
    }
    const char *out;
    size_t len;
    int rc = fixgw_enc_finish(&e, &out, &len);
    if (rc || fwrite(out, 1, len, f) != len) {
      fprintf(stderr, "bench_codec: writing %s failed (%s)\n", path,
                      rc ? fixgw_err_name(rc) : "I/O");
      fclose(f);
      return -1;
    }
  }
  return fclose(f) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------- profile */

/* The timed work of one row, n times. noinline and external: callgrind's
 * --toggle-collect names it. */
enum { PROF_PARSE = 0, PROF_ENCODE = BENCH_KIND_COUNT, PROF_VALIDATE, PROF_PARSE_VALIDATE,
       PROF_CORPUS, PROF_VALIDATE_MD };
__attribute__((noinline)) int bench_profile_loop(int what, uint64_t n, fixgw_parser_t *p,
                                                 const fixgw_msg_t *m, acc_t *a);
__attribute__((noinline)) int bench_profile_loop(int what, uint64_t n, fixgw_parser_t *p,
                                                 const fixgw_msg_t *m, acc_t *a) {
  static char buf[1024];
  fixgw_encoder_t e;
  const char *out;
  size_t len;
  corpus_result_t r = {0};
  int rc = 0;
  for (uint64_t i = 0; i < n; i++) {
    if (what < BENCH_KIND_COUNT) {
      rc |= parse_and_read(p, what, a);
    } else if (what == PROF_ENCODE) {
      rc |= encode_er(&e, buf, sizeof buf, i + 1, &out, &len);
      fold(a, (uintptr_t)out + len);
    } else if (what == PROF_VALIDATE || what == PROF_VALIDATE_MD) {
      rc |= fixgw_validate(&validator, m, NULL);
    } else if (what == PROF_PARSE_VALIDATE) {
      rc |= parse_validate_read(p, BENCH_NOS, a);
    } else {
      corpus_pass(p, a, &r);
      rc |= r.rc;
    }
  }
  return rc;
}

int bench_codec_profile(const char *what, uint64_t n) {
  static const char *const names[] = {"nos",    "er",       "md",             "hb",
                                      "encode", "validate", "parse_validate", "corpus",
                                      "validate_md"};
  int w = -1;
  for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
    if (strcmp(what, names[i]) == 0) w = i;
  if (w < 0 || n == 0) {
    fprintf(stderr, "bench_codec: --callgrind=WHAT:N, WHAT one of nos er md hb encode "
                    "validate parse_validate corpus validate_md\n");
    return -1;
  }
  if (w == PROF_CORPUS && !corpus) {
    fprintf(stderr, "bench_codec: --callgrind=corpus needs --corpus=FILE\n");
    return -1;
  }
  fixgw_parser_t p;
  fixgw_msg_t m;
  size_t used;
  acc_t a = {0};
  /* The message the validate rows judge: the NewOrderSingle, or the W. */
  const int vk = w == PROF_VALIDATE_MD ? BENCH_MD : BENCH_NOS;
  if (fixgw_parser_init(&p, NULL) != 0 || validator_rc != 0 ||
      fixgw_parse(&p, msg_twice[vk], 2 * msg_len[vk], &used, &m, NULL) != 0) {
    fprintf(stderr, "bench_codec: profile setup failed\n");
    return -1;
  }
  int rc = bench_profile_loop(w, n, &p, &m, &a);
  fixgw_bench_sink(&a);
  fixgw_parser_destroy(&p);
  if (rc) fprintf(stderr, "bench_codec: profile work failed: %s\n", fixgw_err_name(rc));
  return rc ? -1 : 0;
}

/* ---------------------------------------------------------- registration */

static parse_arg_t parse_args[BENCH_KIND_COUNT];
static parse_arg_t kernel_args[2][3];

int bench_codec_setup(const char *corpus_path) {
  int rc = build_messages();
  if (rc) {
    fprintf(stderr, "bench_codec: building messages: %s\n", fixgw_err_name(rc));
    return -1;
  }
  tsc_calibrate();
  char name[96];
  for (int k = 0; k < BENCH_KIND_COUNT; k++) {
    parse_args[k].kind = k;
    parse_args[k].scan = FIXGW_SCAN_AUTO;
    snprintf(name, sizeof name, "parse/%s/fixgw", msg_names[k]);
    fixgw_bench_register(name, bm_parse, &parse_args[k], NULL, 0, 0);
  }
  fixgw_bench_register("encode/ExecutionReport/fixgw", bm_encode, NULL, NULL, 0, 0);
  static const fixgw_scan_impl impls[3] = {FIXGW_SCAN_SCALAR, FIXGW_SCAN_SSE2,
                                           FIXGW_SCAN_AVX2};
  static const int kinds[2] = {BENCH_NOS, BENCH_MD};
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < 3; i++) {
      fixgw_scan_impl got;
      fixgw_parser_config_t cfg;
      fixgw_parser_t probe;
      fixgw_parser_config_default(&cfg);
      cfg.scan = impls[i];
      if (fixgw_parser_init(&probe, &cfg) != 0) continue; /* CPU lacks it */
      fixgw_parser_destroy(&probe);
      got = impls[i];
      kernel_args[k][i].kind = kinds[k];
      kernel_args[k][i].scan = got;
      snprintf(name, sizeof name, "parse_kernel/%s/%s", msg_names[kinds[k]],
               fixgw_scan_impl_name(got));
      fixgw_bench_register(name, bm_parse, &kernel_args[k][i], NULL, 0, 0);
    }
  }
  fixgw_bench_register("latency/mixed/fixgw", bm_latency, NULL, NULL, 0, 0);
  for (int k = 0; k < BENCH_KIND_COUNT; k++) {
    latency_kinds[k] = k;
    snprintf(name, sizeof name, "latency/%s/fixgw", msg_names[k]);
    fixgw_bench_register(name, bm_latency, &latency_kinds[k], NULL, 0, 0);
  }
  fixgw_validator_config_t vc;
  fixgw_validator_config_default(&vc, fixgw_dict_fix44());
  validator_rc = fixgw_validator_init(&validator, &vc);
  fixgw_bench_register("validate/NewOrderSingle/fixgw", bm_validate, NULL, NULL, 0, 0);
  fixgw_bench_register("parse_validate/NewOrderSingle/fixgw", bm_parse_validate, NULL, NULL,
                       0, 0);
  char ctx[64];
  snprintf(ctx, sizeof ctx, "%.3f", tsc_per_ns);
  fixgw_bench_context("tsc_ticks_per_ns", ctx);
  fixgw_bench_context("scan_kernel_auto", fixgw_scan_impl_name(fixgw_scan_impl_best()));
  for (int k = 0; k < BENCH_KIND_COUNT; k++) {
    snprintf(ctx, sizeof ctx, "%zu", msg_len[k]);
    snprintf(name, sizeof name, "msg_bytes_%s", msg_names[k]);
    fixgw_bench_context(name, ctx);
  }
  if (corpus_path) {
    if (load_corpus(corpus_path) != 0) return -1;
    fixgw_bench_context("corpus", corpus_path);
    fixgw_bench_register("corpus/fixgw", bm_corpus, NULL, NULL, 0, 0);
  }
  return 0;
}
