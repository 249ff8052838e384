/* Dictionary lookups a validator makes per field, and the runtime loader.
 *   bench_dict --benchmark_min_time=0.5 --benchmark_repetitions=5
 *              --benchmark_report_aggregates_only=true
 * items/s counts lookups (tag -> field, field -> member, MsgType ->
 * message) or, for the loader, dictionaries loaded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/dict.h"
#include "fixgw_bench.h"

/* The tags of a FIX 4.4 NewOrderSingle body, in wire order. */
static const uint32_t nos_tags[] = {11, 1, 21, 55, 48, 22, 54, 60, 38, 40,
                                    44, 59, 453, 448, 447, 452, 58, 18};
#define NTAGS (sizeof nos_tags / sizeof nos_tags[0])

static void bm_field_member(fixgw_bench_state *st, void *arg) {
  const fixgw_dict_t *d = arg;
  const fixgw_dict_msg_t *m = fixgw_dict_msg(d, "D", 1);
  const fixgw_dict_scope_t *body = &d->scopes[m->body];
  int64_t n = 0;
  uint32_t hits = 0;
  while (fixgw_bench_keep_running_batch(st, 1000)) {
    for (int r = 0; r < 1000; r++) {
      uint32_t tag = nos_tags[(uint32_t)r % NTAGS];
      int32_t f = fixgw_dict_field_index(d, tag);
      if (f >= 0) hits += fixgw_dict_scope_find(d, body, (uint32_t)f) >= 0;
    }
    n += 1000;
  }
  fixgw_bench_sink(&hits);
  fixgw_bench_set_items(st, n);
}

/* FIX 5.0SP2 tags above FIXGW_DICT_DIRECT_TAGS: the binary-search path. */
static void bm_field_high(fixgw_bench_state *st, void *arg) {
  (void)arg;
  const fixgw_dict_t *d = fixgw_dict_fix50sp2();
  uint32_t tags[64];
  for (int i = 0; i < 64; i++) tags[i] = d->fields[d->nfields - 1 - (uint32_t)i * 37].tag;
  int64_t n = 0;
  int64_t sum = 0;
  while (fixgw_bench_keep_running_batch(st, 1024)) {
    for (int r = 0; r < 1024; r++) sum += fixgw_dict_field_index(d, tags[r & 63]);
    n += 1024;
  }
  fixgw_bench_sink(&sum);
  fixgw_bench_set_items(st, n);
}

static void bm_msgtype(fixgw_bench_state *st, void *arg) {
  const fixgw_dict_t *d = arg;
  static const char *const mts[8] = {"D", "8", "0", "W", "X", "AE", "F", "G"};
  size_t lens[8];
  for (int i = 0; i < 8; i++) lens[i] = strlen(mts[i]);
  int64_t n = 0;
  uintptr_t acc = 0;
  while (fixgw_bench_keep_running_batch(st, 1024)) {
    for (int r = 0; r < 1024; r++) acc += (uintptr_t)fixgw_dict_msg(d, mts[r & 7], lens[r & 7]);
    n += 1024;
  }
  fixgw_bench_sink(&acc);
  fixgw_bench_set_items(st, n);
}

static char *xml44;
static size_t xml44_len;

static void bm_load_fix44(fixgw_bench_state *st, void *arg) {
  (void)arg;
  if (!xml44) {
    fixgw_bench_error(st, "FIX44.xml not found under " FIXGW_SPEC_DIR);
    return;
  }
  int64_t n = 0;
  while (fixgw_bench_keep_running_batch(st, 1)) {
    fixgw_dict_t *d = NULL;
    if (fixgw_dict_load_mem(xml44, xml44_len, "FIX44.xml", NULL, &d, NULL) != 0) {
      fixgw_bench_error(st, "load failed");
      return;
    }
    fixgw_dict_free(d);
    n++;
  }
  fixgw_bench_set_items(st, n);
  fixgw_bench_set_bytes(st, n * (int64_t)xml44_len);
}

int main(int argc, char **argv) {
  FILE *f = fopen(FIXGW_SPEC_DIR "/FIX44.xml", "rb");
  if (f) {
    fseek(f, 0, SEEK_END);
    xml44_len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    xml44 = malloc(xml44_len);
    if (!xml44 || fread(xml44, 1, xml44_len, f) != xml44_len) {
      free(xml44);
      xml44 = NULL;
    }
    fclose(f);
  }
  fixgw_bench_register("dict/fix44_tag_to_member", bm_field_member,
                       (void *)fixgw_dict_fix44(), NULL, 0, 0);
  fixgw_bench_register("dict/fix50sp2_tag_to_member", bm_field_member,
                       (void *)fixgw_dict_fix50sp2(), NULL, 0, 0);
  fixgw_bench_register("dict/fix50sp2_high_tag", bm_field_high, NULL, NULL, 0, 0);
  fixgw_bench_register("dict/fix44_msgtype", bm_msgtype,
                       (void *)fixgw_dict_fix44(), NULL, 0, 0);
  fixgw_bench_register("dict/load_fix44_xml", bm_load_fix44, NULL, NULL, 0, 0);
  int rc = fixgw_bench_main(&argc, argv);
  free(xml44);
  return rc;
}
