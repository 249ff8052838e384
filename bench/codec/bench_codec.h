/* bench_codec: what the C half (fixgw, through the shim) and the C++ half
 * (QuickFIX side by side, main, the ratio report) share. */
#ifndef FIXGW_BENCH_CODEC_H
#define FIXGW_BENCH_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "alloc_count.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fixed messages every parse benchmark reads, built once with our
 * encoder: realistic content, fixed sizes (printed as counters). */
enum bench_msg_kind {
  BENCH_NOS = 0, /* NewOrderSingle, ~200 B */
  BENCH_ER,      /* ExecutionReport, ~275 B */
  BENCH_MD,      /* MarketDataSnapshotFullRefresh, 10 entries, ~380 B */
  BENCH_HB,      /* Heartbeat, ~90 B */
  BENCH_KIND_COUNT
};

/* Name used in benchmark names ("NewOrderSingle", ...). */
const char *bench_msg_name(int kind);
/* The message bytes; valid for the life of the process. */
const char *bench_msg(int kind, size_t *len);

/* Build the messages and register the fixgw benchmarks. corpus_path, when
 * not NULL, adds the corpus benchmark over that file (loaded here, once).
 * Returns 0, or -1 after printing why (unreadable corpus). */
int bench_codec_setup(const char *corpus_path);

/* The corpus --corpus= loaded (NULL, 0 without one). */
const char *bench_corpus(size_t *len);

/* Run the work a benchmark row times (nos, er, md, hb, encode, validate,
 * parse_validate, corpus) n times in bench_profile_loop(), outside Google
 * Benchmark, for an instruction count per operation:
 *   valgrind --tool=callgrind --toggle-collect=bench_profile_loop \
 *       bench_codec --callgrind=nos:100000
 * then Ir / n. Returns 0, or -1 after printing why. */
int bench_codec_profile(const char *what, uint64_t n);

/* Write n generated messages (a mix of D, 8, W, 0 with varying values,
 * built with our encoder) to path. Returns 0 or -1 after printing why. */
int bench_codec_write_corpus(const char *path, uint64_t n, uint64_t seed);

/* Non-zero once any fixgw benchmark has reported an error (a rejected
 * message, a failed encode): main exits non-zero. */
int bench_codec_failed(void);

/* The ExecutionReport fields both encoders write, so the two encode
 * benchmarks produce the same message. */
#define BENCH_ER_SENDER "BROKER-GW02"
#define BENCH_ER_TARGET "BUYSIDE-OMS01"
#define BENCH_ER_SYMBOL "AAPL"
#define BENCH_T0_NS 1710513015123456000LL /* 2024-03-15 14:30:15.123456 */


#ifdef __cplusplus
}
#endif
#endif
