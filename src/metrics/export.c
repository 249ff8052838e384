/* Text exporters: Prometheus exposition format and HdrHistogram's .hgrm
 * percentile distribution. All numbers are formatted here by hand, so the
 * host's LC_NUMERIC cannot turn "0.5" into "0,5". */
#include <string.h>

#include "fixgw/metrics.h"
#include "hist_internal.h"

/* ---- an appender that never writes past cap and keeps counting ---- */
typedef struct out {
  char *buf;
  size_t cap;
  size_t len; /* full length so far, even past cap */
} out;

static void put_n(out *o, const char *s, size_t n) {
  if (o->cap && o->len < o->cap - 1) {
    size_t room = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, s, n < room ? n : room);
  }
  o->len += n;
}
static void put(out *o, const char *s) { put_n(o, s, strlen(s)); }

/* Unsigned decimal into tmp (returns its length). */
static size_t u64_dec(uint64_t v, char tmp[24]) {
  char r[24];
  size_t n = 0;
  do {
    r[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (size_t i = 0; i < n; i++) tmp[i] = r[n - 1 - i];
  tmp[n] = 0;
  return n;
}

/* x >= 0 with `dec` decimals, right-aligned in `width` (0: no padding).
 * Values too large for 64-bit fixed point (never the case for histogram
 * data, whose range is 2^42) print as the integer part only. */
static void put_fixed(out *o, double x, int dec, int width) {
  char s[64];
  size_t n = 0;
  int neg = x < 0;
  if (neg) x = -x;
  if (!(x == x)) x = 0; /* NaN */
  uint64_t scale = 1;
  for (int i = 0; i < dec; i++) scale *= 10;
  if (x * (double)scale >= 1.8e19) dec = 0, scale = 1;
  if (x >= 1.8e19) x = 1.8e19;
  uint64_t v = (uint64_t)(x * (double)scale + 0.5);
  char ip[24], fp[24];
  u64_dec(v / scale, ip);
  if (neg) s[n++] = '-';
  memcpy(s + n, ip, strlen(ip));
  n += strlen(ip);
  if (dec) {
    s[n++] = '.';
    uint64_t f = v % scale;
    for (int i = dec - 1; i >= 0; i--) {
      fp[i] = (char)('0' + f % 10);
      f /= 10;
    }
    memcpy(s + n, fp, (size_t)dec);
    n += (size_t)dec;
  }
  for (int pad = width - (int)n; pad > 0; pad--) put_n(o, " ", 1);
  put_n(o, s, n);
}

static void put_u64(out *o, uint64_t v, int width) {
  char t[24];
  size_t n = u64_dec(v, t);
  for (int pad = width - (int)n; pad > 0; pad--) put_n(o, " ", 1);
  put_n(o, t, n);
}

/* A decimal for Prometheus: up to 9 decimals, trailing zeros trimmed. */
static void put_prom_double(out *o, double x) {
  out tmp;
  char b[64];
  tmp.buf = b;
  tmp.cap = sizeof b;
  tmp.len = 0;
  put_fixed(&tmp, x, 9, 0);
  size_t n = tmp.len < sizeof b ? tmp.len : sizeof b - 1;
  if (memchr(b, '.', n)) {
    while (n && b[n - 1] == '0') n--;
    if (n && b[n - 1] == '.') n--;
  }
  put_n(o, b, n);
}

/* sqrt by Newton's method: keeps the library free of libm. */
static double nsqrt(double x) {
  if (!(x > 0)) return 0;
  double r = x > 1 ? x : 1;
  for (int i = 0; i < 200; i++) {
    double n = 0.5 * (r + x / r);
    if (n >= r) break;
    r = n;
  }
  return r;
}

/* ---------------------------------------------------------------- .hgrm */

static void hgrm_line(out *o, double value, double pct, uint64_t cum, int last) {
  put_fixed(o, value, 3, 12);
  put(o, " ");
  put_fixed(o, pct / 100.0, 12, 14);
  put(o, " ");
  put_u64(o, cum, 10);
  if (!last) {
    put(o, " ");
    put_fixed(o, 1.0 / (1.0 - pct / 100.0), 2, 14);
  }
  put(o, "\n");
}

int fixgw_hist_write_hgrm(const fixgw_hist_t *h, double scale, char *buf, size_t cap,
                          size_t *len) {
  if (!h || (!buf && cap) || !(scale > 0)) return FIXGW_EINVAL;
  out o = {buf, cap, 0};
  put(&o, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n");

  /* One snapshot of the counts drives the lines and the footer. Relaxed
   * loads throughout: each count is whole; the writer may move on while we
   * read (see fixgw_hist_t), which the clamps below absorb. */
  uint64_t total = 0;
  for (uint32_t i = 0; i < FIXGW_HIST_COUNTS; i++)
    total += fixgw_metric_read(&h->counts[i]);
  double mean = 0, sd = 0;
  uint64_t top = 0;
  if (total) {
    double level = 0; /* the next percentile to report, in percent */
    uint64_t cum = 0, seen = 0;
    double acc = 0, acc2 = 0;
    for (uint32_t i = 0; i < FIXGW_HIST_COUNTS && seen < total; i++) {
      uint64_t c = fixgw_metric_read(&h->counts[i]);
      if (!c) continue;
      if (seen + c > total) c = total - seen; /* counts moved since the sum */
      seen += c;
      cum += c;
      uint64_t v = fixgw__hist_report(h, i);
      top = v;
      double mid = (double)fixgw__hist_low(i) + (double)(fixgw__hist_high(i) - fixgw__hist_low(i)) / 2;
      acc += mid * (double)c;
      acc2 += mid * mid * (double)c;
      /* Report every level this bucket reaches; once the last bucket is
       * reached report it once and let the 100% line close the table. */
      while ((double)cum * 100.0 >= level * (double)total) {
        hgrm_line(&o, (double)v / scale, level, cum, 0);
        if (cum == total) break;
        /* Five steps per halving of the distance to 100%. */
        double rem = 100.0 - level, halvings = 1;
        while (100.0 / (halvings * 2) >= rem && halvings < 1e18) halvings *= 2;
        double next = level + 100.0 / (5.0 * 2 * halvings);
        /* Past double resolution the level stops moving: end the steps
         * here (cum < total, so the while condition then fails). */
        level = next > level ? next : 100.0;
      }
    }
    hgrm_line(&o, (double)top / scale, 100.0, total, 1);
    mean = acc / (double)total;
    double var = acc2 / (double)total - mean * mean;
    sd = nsqrt(var > 0 ? var : 0);
  }
  uint64_t mx = total ? fixgw_metric_read(&h->max) : 0;
  if (total && mx < top) mx = top;
  put(&o, "#[Mean    = ");
  put_fixed(&o, mean / scale, 3, 12);
  put(&o, ", StdDeviation   = ");
  put_fixed(&o, sd / scale, 3, 12);
  put(&o, "]\n#[Max     = ");
  put_fixed(&o, (double)mx / scale, 3, 12);
  put(&o, ", Total count    = ");
  put_u64(&o, total, 12);
  put(&o, "]\n#[Buckets = ");
  put_u64(&o, FIXGW_HIST_GROUPS, 12);
  put(&o, ", SubBuckets     = ");
  put_u64(&o, 2u << FIXGW_HIST_SUB_BITS, 12);
  put(&o, "]\n");

  if (len) *len = o.len;
  if (cap) buf[o.len < cap ? o.len : cap - 1] = 0;
  return o.len < cap ? 0 : FIXGW_ENOSPC;
}

/* ----------------------------------------------------------- Prometheus */

static int valid_name(const char *s, int colon_ok) {
  if (!s || !*s) return 0;
  for (const char *p = s; *p; p++) {
    char c = *p;
    int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                (colon_ok && c == ':');
    if (!alpha && !(p > s && c >= '0' && c <= '9')) return 0;
  }
  return 1;
}

static int check_sets(const char *label, const char *const *values, const void *const *sets,
                      size_t n) {
  if (!sets || n == 0) return FIXGW_EINVAL;
  if (label) {
    if (!valid_name(label, 0) || !values) return FIXGW_EINVAL;
    if (label[0] == '_' && label[1] == '_') return FIXGW_EINVAL; /* reserved */
    for (size_t i = 0; i < n; i++)
      if (!values[i]) return FIXGW_EINVAL;
  } else if (n != 1) {
    return FIXGW_EINVAL;
  }
  for (size_t i = 0; i < n; i++)
    if (!sets[i]) return FIXGW_EINVAL;
  return 0;
}

static void put_escaped(out *o, const char *s, int is_label) {
  for (; *s; s++) {
    if (*s == '\\') put(o, "\\\\");
    else if (*s == '\n') put(o, "\\n");
    else if (*s == '"' && is_label) put(o, "\\\"");
    else put_n(o, s, 1);
  }
}

/* name{label="value",extra} — extra is an already formatted label pair. */
static void put_sample_name(out *o, const char *name, const char *suffix, const char *label,
                            const char *value, const char *extra) {
  put(o, name);
  if (suffix) put(o, suffix);
  if (label || extra) {
    put(o, "{");
    if (label) {
      put(o, label);
      put(o, "=\"");
      put_escaped(o, value, 1);
      put(o, "\"");
    }
    if (extra) {
      if (label) put(o, ",");
      put(o, extra);
    }
    put(o, "}");
  }
  put(o, " ");
}

static void put_family(out *o, const char *name, const char *help, const char *type) {
  put(o, "# HELP ");
  put(o, name);
  put(o, " ");
  put_escaped(o, help ? help : "", 0);
  put(o, "\n# TYPE ");
  put(o, name);
  put(o, " ");
  put(o, type);
  put(o, "\n");
}

void fixgw_prom_init(fixgw_prom_t *w, char *buf, size_t cap) {
  w->buf = buf;
  w->cap = buf ? cap : 0;
  w->len = 0;
  w->err = 0;
}

static int prom_done(fixgw_prom_t *w, out *o) {
  w->len = o->len;
  if (w->cap == 0 || w->len >= w->cap) w->err = FIXGW_ENOSPC;
  /* The empty-buffer measuring mode is not an error until finish. */
  return w->cap == 0 ? 0 : w->err;
}

int fixgw_prom_counters(fixgw_prom_t *w, const char *label, const char *const *values,
                        const fixgw_counters_t *const *sets, size_t n) {
  if (!w) return FIXGW_EINVAL;
  int rc = check_sets(label, values, (const void *const *)sets, n);
  if (rc) return rc;
  out o = {w->buf, w->cap, w->len};
#define FIXGW__PROM_FAMILY(field, type, name, help)                 \
  put_family(&o, name, help, #type);                                \
  for (size_t i = 0; i < n; i++) {                                  \
    put_sample_name(&o, name, NULL, label, label ? values[i] : NULL, NULL); \
    put_u64(&o, fixgw_metric_read(&sets[i]->field), 0);             \
    put(&o, "\n");                                                  \
  }
  FIXGW_COUNTERS_MAP(FIXGW__PROM_FAMILY)
#undef FIXGW__PROM_FAMILY
  return prom_done(w, &o);
}

int fixgw_prom_summary(fixgw_prom_t *w, const char *name, const char *help, const char *label,
                       const char *const *values, const fixgw_hist_t *const *hists, size_t n,
                       double scale) {
  if (!w || !valid_name(name, 1) || !(scale > 0)) return FIXGW_EINVAL;
  int rc = check_sets(label, values, (const void *const *)hists, n);
  if (rc) return rc;
  if (strlen(name) + 5 > 256) return FIXGW_EINVAL; /* name_max below */
  static const char *const q[5] = {"quantile=\"0.5\"", "quantile=\"0.9\"", "quantile=\"0.99\"",
                                   "quantile=\"0.999\"", "quantile=\"0.9999\""};
  out o = {w->buf, w->cap, w->len};
  put_family(&o, name, help, "summary");
  for (size_t i = 0; i < n; i++) {
    fixgw_hist_summary_t s;
    fixgw_hist_summarize(hists[i], &s);
    const uint64_t v[5] = {s.p50, s.p90, s.p99, s.p999, s.p9999};
    const char *lv = label ? values[i] : NULL;
    for (int j = 0; j < 5; j++) {
      put_sample_name(&o, name, NULL, label, lv, q[j]);
      put_prom_double(&o, (double)v[j] / scale);
      put(&o, "\n");
    }
    put_sample_name(&o, name, "_sum", label, lv, NULL);
    put_prom_double(&o, s.mean * (double)s.count / scale);
    put(&o, "\n");
    put_sample_name(&o, name, "_count", label, lv, NULL);
    put_u64(&o, s.count, 0);
    put(&o, "\n");
  }
  /* The exact max is not part of a summary: its own gauge family. */
  char maxname[256];
  size_t nl = strlen(name);
  if (nl + 5 > sizeof maxname) return FIXGW_EINVAL;
  memcpy(maxname, name, nl);
  memcpy(maxname + nl, "_max", 5);
  put_family(&o, maxname, "Largest value recorded", "gauge");
  for (size_t i = 0; i < n; i++) {
    put_sample_name(&o, maxname, NULL, label, label ? values[i] : NULL, NULL);
    put_prom_double(&o, (double)fixgw_metric_read(&hists[i]->max) / scale);
    put(&o, "\n");
  }
  return prom_done(w, &o);
}

int fixgw_prom_family(fixgw_prom_t *w, const char *name, const char *type, const char *help) {
  if (!w || !valid_name(name, 1) || !type) return FIXGW_EINVAL;
  if (strcmp(type, "counter") != 0 && strcmp(type, "gauge") != 0) return FIXGW_EINVAL;
  out o = {w->buf, w->cap, w->len};
  put_family(&o, name, help, type);
  return prom_done(w, &o);
}

int fixgw_prom_sample(fixgw_prom_t *w, const char *name, const char *const *labels,
                      const char *const *values, size_t nl, uint64_t value) {
  if (!w || !valid_name(name, 1) || nl > 8 || (nl && (!labels || !values))) return FIXGW_EINVAL;
  for (size_t i = 0; i < nl; i++)
    if (!valid_name(labels[i], 0) || (labels[i][0] == '_' && labels[i][1] == '_') || !values[i])
      return FIXGW_EINVAL;
  out o = {w->buf, w->cap, w->len};
  put(&o, name);
  for (size_t i = 0; i < nl; i++) {
    put(&o, i ? "," : "{");
    put(&o, labels[i]);
    put(&o, "=\"");
    put_escaped(&o, values[i], 1);
    put(&o, "\"");
  }
  if (nl) put(&o, "}");
  put(&o, " ");
  put_u64(&o, value, 0);
  put(&o, "\n");
  return prom_done(w, &o);
}

int fixgw_prom_finish(fixgw_prom_t *w, size_t *len) {
  if (!w) return FIXGW_EINVAL;
  if (len) *len = w->len;
  if (w->cap) w->buf[w->len < w->cap ? w->len : w->cap - 1] = 0;
  return w->len < w->cap ? 0 : FIXGW_ENOSPC;
}

void fixgw_counters_snapshot(fixgw_counters_t *dst, const fixgw_counters_t *src) {
#define FIXGW__SNAP(field, type, name, help) dst->field = fixgw_metric_read(&src->field);
  FIXGW_COUNTERS_MAP(FIXGW__SNAP)
#undef FIXGW__SNAP
}
