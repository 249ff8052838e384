/* Exporters: .hgrm and Prometheus text parsed back and checked against the
 * histogram and counters; buffer overflow behaviour. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/metrics.h"
#include "harness.h"
#include "test_metrics.h"

static char text[1 << 17], text2[1 << 17];

static void fill(fixgw_hist_t *h, size_t n, uint64_t seed) {
  fixgw_hist_reset(h);
  for (size_t i = 0; i < n; i++) {
    uint64_t r = fixgw_t_rand(&seed);
    int64_t v = (int64_t)(r % 50000u) + 500;
    if (r % 100 == 0) v *= 100; /* a tail */
    fixgw_hist_record(h, v);
  }
}

static void test_hgrm_parse_back(void **state) {
  (void)state;
  fixgw_hist_t *h = &fixgw_t_h[0];
  fill(h, 100000, 3);
  const double scale = 1000.0; /* microseconds */
  size_t len = 0;
  assert_int_equal(fixgw_hist_write_hgrm(h, scale, text, sizeof text, &len), 0);
  assert_int_equal(strlen(text), len);

  char *save = NULL;
  char *line = strtok_r(text, "\n", &save);
  assert_non_null(line);
  assert_string_equal(line, "       Value     Percentile TotalCount 1/(1-Percentile)");
  double prev_v = -1, prev_p = -1, mean = -1, sd = -1, mx = -1;
  long long prev_c = -1, total = -1, buckets = -1, subs = -1;
  int rows = 0, last_row = 0;
  uint64_t n = fixgw_hist_count(h);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    if (line[0] == '#') {
      if (sscanf(line, "#[Mean    = %lf, StdDeviation   = %lf]", &mean, &sd) == 2) continue;
      if (sscanf(line, "#[Max     = %lf, Total count    = %lld]", &mx, &total) == 2) continue;
      if (sscanf(line, "#[Buckets = %lld, SubBuckets     = %lld]", &buckets, &subs) == 2) continue;
      fail_msg("unexpected footer line '%s'", line);
    }
    assert_false(last_row); /* the 100%% row is the last data row */
    double v, p, inv = 0;
    long long c;
    int k = sscanf(line, "%lf %lf %lld %lf", &v, &p, &c, &inv);
    assert_true(k == 3 || k == 4);
    assert_true(v >= prev_v && p > prev_p && c >= prev_c);
    assert_true(p >= 0 && p <= 1);
    if (k == 4) {
      assert_true(fabs(inv - 1.0 / (1.0 - p)) <= 0.005 + 1e-9 * inv);
    } else {
      assert_true(p == 1.0);
      assert_int_equal(c, (long long)n);
      last_row = 1;
    }
    /* The value column is the histogram's own answer for that percentile
     * (3 decimals); p is printed with 12 decimals, so allow the neighbour
     * ranks. */
    double lo = (double)fixgw_hist_value_at(h, p * 100 - 1e-7) / scale;
    double hi = (double)fixgw_hist_value_at(h, p * 100 + 1e-7 > 100 ? 100 : p * 100 + 1e-7) / scale;
    if (!(v >= lo - 0.0005 && v <= hi + 0.0005))
      fail_msg("row %d: value %f at p %.12f outside [%f, %f]", rows, v, p, lo, hi);
    /* TotalCount: at least the rank of that percentile. */
    assert_true((double)c >= p * (double)n - 1e-6 * (double)n);
    prev_v = v;
    prev_p = p;
    prev_c = c;
    rows++;
  }
  assert_true(last_row);
  assert_true(rows > 50 && rows < 400);
  fixgw_hist_summary_t s;
  fixgw_hist_summarize(h, &s);
  assert_int_equal(total, (long long)n);
  assert_true(fabs(mx - (double)s.max / scale) < 0.0006);
  assert_true(fabs(mean - s.mean / scale) <= s.mean / scale / 1000 + 0.001); /* bucket mids */
  assert_true(sd > 0);
  assert_int_equal(buckets, FIXGW_HIST_GROUPS);
  assert_int_equal(subs, 2048);
}

static void test_hgrm_overflow_and_empty(void **state) {
  (void)state;
  fixgw_hist_t *h = &fixgw_t_h[0];
  fill(h, 5000, 11);
  size_t need = 0, len = 0;
  assert_int_equal(fixgw_hist_write_hgrm(h, 1.0, text, sizeof text, &need), 0);
  for (size_t cap = 1; cap < need + 2; cap += (cap < 200 ? 1 : 97)) {
    memset(text2, 'Z', cap + 64);
    int rc = fixgw_hist_write_hgrm(h, 1.0, text2, cap, &len);
    assert_int_equal(len, need);
    assert_int_equal(rc, cap > need ? 0 : FIXGW_ENOSPC);
    for (size_t i = cap; i < cap + 64; i++) assert_int_equal(text2[i], 'Z'); /* never past */
    size_t got = strlen(text2);
    assert_int_equal(got, cap > need ? need : cap - 1);
    assert_memory_equal(text2, text, got); /* a prefix of the full text */
  }
  assert_int_equal(fixgw_hist_write_hgrm(h, 1.0, NULL, 0, &len), FIXGW_ENOSPC);
  assert_int_equal(len, need);
  assert_int_equal(fixgw_hist_write_hgrm(h, 0.0, text, sizeof text, &len), FIXGW_EINVAL);
  assert_int_equal(fixgw_hist_write_hgrm(NULL, 1.0, text, sizeof text, &len), FIXGW_EINVAL);
  /* Empty histogram: header and footer, total 0. */
  fixgw_hist_reset(h);
  assert_int_equal(fixgw_hist_write_hgrm(h, 1.0, text, sizeof text, &len), 0);
  assert_non_null(strstr(text, "Total count    =            0]"));
  /* One value: a 0% row and the 100% row, both that value. */
  fixgw_hist_record(h, 1500);
  assert_int_equal(fixgw_hist_write_hgrm(h, 1.0, text, sizeof text, &len), 0);
  assert_non_null(strstr(text, "    1500.000 0.000000000000          1           1.00\n"));
  assert_non_null(strstr(text, "    1500.000 1.000000000000          1\n"));
}

/* ---- a small Prometheus text parser ---- */
typedef struct sample {
  char name[96];
  char labels[160];
  double value;
} sample;

static size_t parse_prom(char *t, sample *out, size_t cap, char types[][96], size_t *ntypes) {
  size_t n = 0;
  *ntypes = 0;
  char *save = NULL;
  char current[96] = "";
  for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, "# HELP ", 7) == 0) continue;
    if (strncmp(line, "# TYPE ", 7) == 0) {
      char fam[96], type[32];
      assert_int_equal(sscanf(line, "# TYPE %95s %31s", fam, type), 2);
      assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge") || !strcmp(type, "summary"));
      for (size_t i = 0; i < *ntypes; i++) assert_string_not_equal(types[i], fam); /* once */
      strcpy(types[(*ntypes)++], fam);
      strcpy(current, fam);
      continue;
    }
    assert_true(line[0] != '#');
    assert_true(n < cap);
    sample *s = &out[n++];
    size_t i = strcspn(line, "{ ");
    assert_true(i < sizeof s->name);
    memcpy(s->name, line, i);
    s->name[i] = 0;
    s->labels[0] = 0;
    char *p = line + i;
    if (*p == '{') {
      /* Up to the closing brace outside quotes. */
      int inq = 0;
      char *q = p + 1;
      for (; *q && (inq || *q != '}'); q++) {
        if (*q == '\\' && inq) q++;
        else if (*q == '"') inq = !inq;
      }
      assert_int_equal(*q, '}');
      memcpy(s->labels, p + 1, (size_t)(q - p - 1));
      s->labels[q - p - 1] = 0;
      p = q + 1;
    }
    assert_int_equal(*p, ' ');
    char *end;
    s->value = strtod(p + 1, &end);
    assert_int_equal(*end, 0);
    /* Samples follow their family's TYPE line (summary suffixes allowed). */
    assert_int_equal(strncmp(s->name, current, strlen(current)), 0);
  }
  return n;
}

static const sample *find(const sample *s, size_t n, const char *name, const char *labels) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(s[i].name, name) && !strcmp(s[i].labels, labels)) return &s[i];
  fail_msg("no sample %s{%s}", name, labels);
  return NULL;
}

static void test_prometheus_parse_back(void **state) {
  (void)state;
  fixgw_counters_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  fixgw_counter_add(&a.msgs_in, 1234);
  fixgw_counter_add(&a.bytes_in, 987654321);
  fixgw_counter_add(&a.parse_errors, 3);
  fixgw_gauge_set(&a.queue_depth, 17);
  fixgw_counter_add(&b.msgs_out, UINT64_C(18446744073709551615));
  fixgw_counter_add(&b.drops, 5);
  fixgw_counter_add(&b.pool_exhausted, 2);
  fixgw_gauge_set(&b.queue_depth_max, 4096);
  fixgw_counters_t snap;
  fixgw_counters_snapshot(&snap, &a);
  assert_memory_equal(&snap, &a, sizeof a);

  fixgw_hist_t *h1 = &fixgw_t_h[0], *h2 = &fixgw_t_h[1];
  fill(h1, 20000, 5);
  fill(h2, 30000, 6);
  const fixgw_counters_t *sets[2] = {&a, &b};
  const fixgw_hist_t *hs[2] = {h1, h2};
  const char *names[2] = {"FIRM-A", "we\"ird\\name\nx"};

  fixgw_prom_t w;
  fixgw_prom_init(&w, text, sizeof text);
  assert_int_equal(fixgw_prom_counters(&w, "session", names, sets, 2), 0);
  assert_int_equal(fixgw_prom_summary(&w, "fixgw_rtt_seconds", "Round trip", "session", names, hs, 2, 1e9), 0);
  size_t len;
  assert_int_equal(fixgw_prom_finish(&w, &len), 0);
  assert_int_equal(strlen(text), len);
  assert_non_null(strstr(text, "session=\"we\\\"ird\\\\name\\nx\""));
  memcpy(text2, text, len + 1);

  static sample s[256];
  char types[32][96];
  size_t nt;
  size_t n = parse_prom(text, s, 256, types, &nt);
  assert_int_equal(nt, 9 + 2);
  const char *la = "session=\"FIRM-A\"", *lb = "session=\"we\\\"ird\\\\name\\nx\"";
  assert_true(find(s, n, "fixgw_messages_received_total", la)->value == 1234);
  assert_true(find(s, n, "fixgw_bytes_received_total", la)->value == 987654321);
  assert_true(find(s, n, "fixgw_parse_errors_total", la)->value == 3);
  assert_true(find(s, n, "fixgw_queue_depth", la)->value == 17);
  assert_true(find(s, n, "fixgw_messages_sent_total", lb)->value == 18446744073709551615.0);
  assert_true(find(s, n, "fixgw_drops_total", lb)->value == 5);
  assert_true(find(s, n, "fixgw_pool_exhausted_total", lb)->value == 2);
  assert_true(find(s, n, "fixgw_queue_depth_max", lb)->value == 4096);
  assert_true(find(s, n, "fixgw_drops_total", la)->value == 0);

  const fixgw_hist_t *hh[2] = {h1, h2};
  const char *ls[2] = {la, lb};
  for (int i = 0; i < 2; i++) {
    fixgw_hist_summary_t sm;
    fixgw_hist_summarize(hh[i], &sm);
    char lab[200];
    const double qs[5] = {0.5, 0.9, 0.99, 0.999, 0.9999};
    const uint64_t vs[5] = {sm.p50, sm.p90, sm.p99, sm.p999, sm.p9999};
    for (int j = 0; j < 5; j++) {
      snprintf(lab, sizeof lab, "%s,quantile=\"%g\"", ls[i], qs[j]);
      double got = find(s, n, "fixgw_rtt_seconds", lab)->value;
      assert_true(fabs(got - (double)vs[j] / 1e9) < 1e-12);
    }
    assert_true(find(s, n, "fixgw_rtt_seconds_count", ls[i])->value == (double)sm.count);
    double sum = find(s, n, "fixgw_rtt_seconds_sum", ls[i])->value;
    assert_true(fabs(sum - sm.mean * (double)sm.count / 1e9) < 1e-9 + 1e-12 * sum);
    assert_true(fabs(find(s, n, "fixgw_rtt_seconds_max", ls[i])->value - (double)sm.max / 1e9) < 1e-12);
  }

  /* Measure mode, then every too-small buffer: ENOSPC, exact length, no
   * byte past cap, a prefix of the full text. */
  fixgw_prom_init(&w, NULL, 0);
  assert_int_equal(fixgw_prom_counters(&w, "session", names, sets, 2), 0);
  assert_int_equal(fixgw_prom_summary(&w, "fixgw_rtt_seconds", "Round trip", "session", names, hs, 2, 1e9), 0);
  assert_int_equal(fixgw_prom_finish(&w, &len), FIXGW_ENOSPC);
  size_t need = strlen(text2);
  assert_int_equal(len, need);
  static char small[1 << 17];
  for (size_t cap = 1; cap <= need + 1; cap += (cap < 64 ? 1 : 131)) {
    memset(small, 'Z', cap + 32);
    fixgw_prom_init(&w, small, cap);
    int r1 = fixgw_prom_counters(&w, "session", names, sets, 2);
    int r2 = fixgw_prom_summary(&w, "fixgw_rtt_seconds", "Round trip", "session", names, hs, 2, 1e9);
    int r3 = fixgw_prom_finish(&w, &len);
    assert_int_equal(len, need);
    assert_int_equal(r3, cap > need ? 0 : FIXGW_ENOSPC);
    assert_true(r1 == 0 || r1 == FIXGW_ENOSPC);
    assert_true(r2 == 0 || r2 == FIXGW_ENOSPC);
    for (size_t i = cap; i < cap + 32; i++) assert_int_equal(small[i], 'Z');
    assert_memory_equal(small, text2, strlen(small));
  }
}

static void test_prometheus_invalid(void **state) {
  (void)state;
  fixgw_counters_t a;
  memset(&a, 0, sizeof a);
  const fixgw_counters_t *sets[2] = {&a, &a};
  const fixgw_hist_t *hs[1] = {&fixgw_t_h[0]};
  const char *v[2] = {"x", "y"};
  fixgw_prom_t w;
  fixgw_prom_init(&w, text, sizeof text);
  assert_int_equal(fixgw_prom_counters(&w, "1bad", v, sets, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_counters(&w, "a-b", v, sets, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_counters(&w, "__reserved", v, sets, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_counters(&w, NULL, NULL, sets, 2), FIXGW_EINVAL); /* no label */
  assert_int_equal(fixgw_prom_counters(&w, "s", NULL, sets, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_counters(&w, "s", v, sets, 0), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_summary(&w, "bad name", "h", NULL, NULL, hs, 1, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_summary(&w, "ok:name", "h", NULL, NULL, hs, 1, 0), FIXGW_EINVAL);
  assert_int_equal(w.len, 0); /* nothing written by refused calls */
  assert_int_equal(fixgw_prom_counters(&w, NULL, NULL, sets, 1), 0);
  assert_int_equal(fixgw_prom_summary(&w, "ok:name", NULL, NULL, NULL, hs, 1, 1), 0);
  size_t len;
  assert_int_equal(fixgw_prom_finish(&w, &len), 0);
  assert_non_null(strstr(text, "\nfixgw_drops_total 0\n"));
  assert_non_null(strstr(text, "\nok:name{quantile=\"0.5\"} "));
}

/* Families with several labels per sample, parsed back; refused calls
 * write nothing; a full buffer is ENOSPC with the exact length. */
static void test_prometheus_samples(void **state) {
  (void)state;
  fixgw_prom_t w;
  fixgw_prom_init(&w, text, sizeof text);
  const char *ln[2] = {"session", "msgtype"};
  const char *v1[2] = {"FIX.4.4:A->B", "D"}, *v2[2] = {"q\"uo\\te", "other"};
  assert_int_equal(fixgw_prom_family(&w, "fixgw_x_total", "counter", "X by type"), 0);
  assert_int_equal(fixgw_prom_sample(&w, "fixgw_x_total", ln, v1, 2, 42), 0);
  assert_int_equal(fixgw_prom_sample(&w, "fixgw_x_total", ln, v2, 2, UINT64_MAX), 0);
  assert_int_equal(fixgw_prom_family(&w, "fixgw_up", "gauge", NULL), 0);
  assert_int_equal(fixgw_prom_sample(&w, "fixgw_up", NULL, NULL, 0, 1), 0);
  size_t before = w.len;
  assert_int_equal(fixgw_prom_family(&w, "bad name", "counter", "h"), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_family(&w, "ok", "histogram", "h"), FIXGW_EINVAL);
  const char *badl[1] = {"__reserved"}, *badl2[1] = {"a-b"}, *nullv[1] = {NULL};
  assert_int_equal(fixgw_prom_sample(&w, "ok", badl, v1, 1, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_sample(&w, "ok", badl2, v1, 1, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_sample(&w, "ok", ln, nullv, 1, 1), FIXGW_EINVAL);
  assert_int_equal(fixgw_prom_sample(&w, "ok", ln, v1, 9, 1), FIXGW_EINVAL);
  assert_int_equal(w.len, before);
  size_t len;
  assert_int_equal(fixgw_prom_finish(&w, &len), 0);
  memcpy(text2, text, len + 1);
  static sample s[16];
  char types[8][96];
  size_t nt, n = parse_prom(text2, s, 16, types, &nt);
  assert_int_equal(nt, 2);
  assert_int_equal(n, 3);
  assert_true(find(s, n, "fixgw_x_total", "session=\"FIX.4.4:A->B\",msgtype=\"D\"")->value == 42);
  assert_true(find(s, n, "fixgw_x_total", "session=\"q\\\"uo\\\\te\",msgtype=\"other\"")->value ==
              18446744073709551615.0);
  assert_true(find(s, n, "fixgw_up", "")->value == 1);
  char small[64];
  fixgw_prom_init(&w, small, sizeof small);
  assert_int_equal(fixgw_prom_family(&w, "fixgw_x_total", "counter", "X by type"), 0);
  assert_int_equal(fixgw_prom_sample(&w, "fixgw_x_total", ln, v1, 2, 42), FIXGW_ENOSPC);
  assert_int_equal(fixgw_prom_finish(&w, &len), FIXGW_ENOSPC);
  assert_int_equal(len, strstr(text, "fixgw_x_total{session=\"q") - text);
}

const struct CMUnitTest fixgw_t_export_tests[] = {
    cmocka_unit_test(test_prometheus_samples),
    cmocka_unit_test(test_hgrm_parse_back),
    cmocka_unit_test(test_hgrm_overflow_and_empty),
    cmocka_unit_test(test_prometheus_parse_back),
    cmocka_unit_test(test_prometheus_invalid),
};
const size_t fixgw_t_export_ntests = sizeof fixgw_t_export_tests / sizeof fixgw_t_export_tests[0];
