/* Validation, dictionary-driven group walking and typed reads, with the
 * QuickFIX side by side (bench_validate_qf.cc) in the same binary:
 *   bench_validate --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
 * Messages come from fixgw_gen (seed 1): the first NewOrderSingle, the
 * first fill ExecutionReport, the first MarketDataSnapshot with 10
 * entries. allocs_per_op counts malloc/free calls inside the timed loop
 * (0 in sanitizer builds, where counting is off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_validate.h"
#include "fixgw/gen.h"
#include "fixgw/traits.h"
#include "fixgw/validate.h"
#include "fixgw_bench.h"

char bv_msgs[BV_KIND_COUNT][4096];
size_t bv_lens[BV_KIND_COUNT];

int bv_make_messages(void) {
  fixgw_gen_t g;
  fixgw_gen_config_t gc;
  fixgw_gen_config_default(&gc);
  gc.md_entries_min = gc.md_entries_max = 10;
  if (fixgw_gen_init(&g, &gc)) return -1;
  size_t cap = fixgw_gen_max_msg_size(&g);
  char *buf = malloc(cap);
  int found = 0;
  for (int k = 0; k < 10000 && found != 7; k++) {
    const char *out;
    size_t len;
    if (!buf || fixgw_gen_next(&g, buf, cap, &out, &len)) break;
    int kind = g.last_type == FIXGW_GEN_NEW_ORDER ? BV_NOS
               : g.last_type == FIXGW_GEN_FILL    ? BV_ER
               : g.last_type == FIXGW_GEN_MD_SNAPSHOT ? BV_MD
                                                  : -1;
    if (kind < 0 || (found & (1 << kind)) || len > sizeof bv_msgs[0]) continue;
    memcpy(bv_msgs[kind], out, len);
    bv_lens[kind] = len;
    found |= 1 << kind;
  }
  free(buf);
  fixgw_gen_destroy(&g);
  return found == 7 ? 0 : -1;
}

static void report_allocs(fixgw_bench_state *st, uint64_t calls, int64_t n) {
  if (fixgw_alloc_count_available())
    fixgw_bench_counter(st, "allocs_per_op", (double)calls / (double)n, false, false);
}

/* Full validation of an already parsed message. */
static void bm_validate(fixgw_bench_state *st, void *arg) {
  int kind = (int)(intptr_t)arg;
  fixgw_parser_t p;
  fixgw_validator_t v;
  fixgw_validator_config_t vc;
  fixgw_msg_t m;
  size_t used;
  fixgw_parser_init(&p, NULL);
  fixgw_validator_config_default(&vc, fixgw_dict_fix44());
  fixgw_validator_init(&v, &vc);
  if (fixgw_parse(&p, bv_msgs[kind], bv_lens[kind], &used, &m, NULL) ||
      fixgw_validate(&v, &m, NULL)) {
    fixgw_bench_error(st, "message does not parse or validate");
    return;
  }
  int64_t n = 0;
  int bad = 0;
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int r = 0; r < 256; r++) bad |= fixgw_validate(&v, &m, NULL);
    n += 256;
  }
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  if (bad) fixgw_bench_error(st, "validation failed in the loop");
  report_allocs(st, a1 - a0, n);
  fixgw_bench_set_items(st, n);
  fixgw_validator_destroy(&v);
  fixgw_parser_destroy(&p);
}

/* Parse alone (the baseline) or parse + validate. */
static void parse_loop(fixgw_bench_state *st, int kind, int validate) {
  fixgw_parser_t p;
  fixgw_validator_t v;
  fixgw_validator_config_t vc;
  fixgw_parser_init(&p, NULL);
  fixgw_validator_config_default(&vc, fixgw_dict_fix44());
  fixgw_validator_init(&v, &vc);
  const char *b = bv_msgs[kind];
  size_t len = bv_lens[kind];
  int64_t n = 0;
  int bad = 0;
  uint32_t acc = 0;
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int r = 0; r < 256; r++) {
      fixgw_msg_t m;
      size_t used;
      bad |= fixgw_parse(&p, b, len, &used, &m, NULL);
      if (validate) bad |= fixgw_validate(&v, &m, NULL);
      acc += m.nfields;
    }
    n += 256;
  }
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  fixgw_bench_sink(&acc);
  if (bad) fixgw_bench_error(st, "parse or validation failed in the loop");
  report_allocs(st, a1 - a0, n);
  fixgw_bench_set_items(st, n);
  fixgw_validator_destroy(&v);
  fixgw_parser_destroy(&p);
}
static void bm_parse(fixgw_bench_state *st, void *arg) { parse_loop(st, (int)(intptr_t)arg, 0); }
static void bm_parse_validate(fixgw_bench_state *st, void *arg) {
  parse_loop(st, (int)(intptr_t)arg, 1);
}

/* MarketDataSnapshot, 10 entries: parse, open NoMDEntries with the
 * dictionary, visit every entry and every field in it, converting
 * MDEntryType, MDEntryPx and MDEntrySize. */
static void bm_md_parse_walk(fixgw_bench_state *st, void *arg) {
  (void)arg;
  const fixgw_dict_t *d = fixgw_dict_fix44();
  fixgw_parser_t p;
  fixgw_parser_init(&p, NULL);
  const char *b = bv_msgs[BV_MD];
  size_t len = bv_lens[BV_MD];
  int64_t n = 0, acc = 0;
  int bad = 0;
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  while (fixgw_bench_keep_running_batch(st, 64)) {
    for (int r = 0; r < 64; r++) {
      fixgw_msg_t m;
      size_t used;
      fixgw_group_t g;
      fixgw_group_entry_t e;
      bad |= fixgw_parse(&p, b, len, &used, &m, NULL);
      bad |= fixgw_dict_group_open(d, &m, 268, &g);
      while (fixgw_dict_group_next(d, &g, &e) == 0) {
        for (uint32_t i = e.first; i < e.end; i++) {
          const fixgw_field_t *f = &m.fields[i];
          switch (f->tag) {
            case 269: acc += f->val[0]; break;
            case 270: {
              fixgw_decimal_t px;
              bad |= fixgw_to_decimal(f->val, f->len, &px);
              acc += px.mant;
              break;
            }
            case 271: {
              fixgw_decimal_t sz;
              bad |= fixgw_to_decimal(f->val, f->len, &sz);
              acc += sz.mant;
              break;
            }
            default: acc += f->len;
          }
        }
      }
    }
    n += 64;
  }
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  fixgw_bench_sink(&acc);
  if (bad) fixgw_bench_error(st, "walk failed");
  report_allocs(st, a1 - a0, n);
  fixgw_bench_set_items(st, n);
  fixgw_parser_destroy(&p);
}

/* Typed read of a parsed ExecutionReport into its struct. */
static void bm_er_read(fixgw_bench_state *st, void *arg) {
  (void)arg;
  fixgw_parser_t p;
  fixgw_msg_t m;
  size_t used;
  fixgw_parser_init(&p, NULL);
  if (fixgw_parse(&p, bv_msgs[BV_ER], bv_lens[BV_ER], &used, &m, NULL)) {
    fixgw_bench_error(st, "ER does not parse");
    return;
  }
  fixgw_fix44_execution_report_t er;
  int64_t n = 0;
  int bad = 0;
  int64_t acc = 0;
  fixgw_alloc_count_enable(1);
  uint64_t a0 = fixgw_alloc_count_calls();
  while (fixgw_bench_keep_running_batch(st, 256)) {
    for (int r = 0; r < 256; r++) {
      bad |= fixgw_fix44_execution_report_read(&m, &er);
      acc += er.cum_qty.mant + er.transact_time;
    }
    n += 256;
  }
  uint64_t a1 = fixgw_alloc_count_calls();
  fixgw_alloc_count_enable(0);
  fixgw_bench_sink(&acc);
  if (bad) fixgw_bench_error(st, "typed read failed");
  report_allocs(st, a1 - a0, n);
  fixgw_bench_set_items(st, n);
  fixgw_parser_destroy(&p);
}

void bv_register_c(void) {
  fixgw_bench_register("fixgw/validate/NOS", bm_validate, (void *)(intptr_t)BV_NOS, NULL, 0, 0);
  fixgw_bench_register("fixgw/validate/ER", bm_validate, (void *)(intptr_t)BV_ER, NULL, 0, 0);
  fixgw_bench_register("fixgw/validate/MD10", bm_validate, (void *)(intptr_t)BV_MD, NULL, 0, 0);
  fixgw_bench_register("fixgw/parse/NOS", bm_parse, (void *)(intptr_t)BV_NOS, NULL, 0, 0);
  fixgw_bench_register("fixgw/parse_validate/NOS", bm_parse_validate, (void *)(intptr_t)BV_NOS,
                       NULL, 0, 0);
  fixgw_bench_register("fixgw/parse/MD10", bm_parse, (void *)(intptr_t)BV_MD, NULL, 0, 0);
  fixgw_bench_register("fixgw/parse_groupwalk/MD10", bm_md_parse_walk, NULL, NULL, 0, 0);
  fixgw_bench_register("fixgw/typed_read/ER", bm_er_read, NULL, NULL, 0, 0);
}
