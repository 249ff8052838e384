/* fixgw-gen: write N generated FIX 4.4 messages to a file and summarise.
 *
 *   fixgw-gen -o corpus.fix --count 1000000 --seed 42 \
 *             --mix new=18,ack=18,fill=24,cancel_req=6,canceled=8,md=22,heartbeat=4 \
 *             --md-entries 4-10 --pad-to 0
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixgw/gen.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: fixgw-gen -o FILE [--count N] [--seed S] [--mix SPEC]\n"
          "                 [--md-entries N|MIN-MAX] [--pad-to BYTES] [--no-md-extras]\n"
          "                 [--client ID] [--broker ID] [--show N]\n"
          "  --count N       messages to write (default 100000)\n"
          "  --seed S        PRNG seed; same seed and options, same bytes (default 1)\n"
          "  --mix SPEC      weights, e.g. new=18,ack=18,fill=24,cancel_req=6,\n"
          "                  canceled=8,md=22,heartbeat=4 (names or D,F,W,0)\n"
          "  --md-entries    NoMDEntries per W, fixed or a range (default 4-10)\n"
          "  --pad-to BYTES  pad D/8/F with Text (58) to this size (default 0: off)\n"
          "  --show N        also print the first N messages to stdout, SOH as '|'\n"
          "  -o FILE         output file ('-' for stdout)\n");
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end || s[0] == '-') return -1;
  *out = v;
  return 0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  fixgw_gen_config_t cfg;
  fixgw_gen_config_default(&cfg);
  uint64_t count = 100000, show = 0;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    uint64_t n;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--no-md-extras")) {
      cfg.md_extras = false;
      continue;
    }
    if (!v) {
      fprintf(stderr, "fixgw-gen: %s needs a value\n", a);
      usage(stderr);
      return 2;
    }
    i++;
    if (!strcmp(a, "-o") || !strcmp(a, "--out")) {
      path = v;
    } else if (!strcmp(a, "--count") && parse_u64(v, &count) == 0) {
    } else if (!strcmp(a, "--seed") && parse_u64(v, &cfg.seed) == 0) {
    } else if (!strcmp(a, "--show") && parse_u64(v, &show) == 0) {
    } else if (!strcmp(a, "--pad-to") && parse_u64(v, &n) == 0 && n <= UINT32_MAX) {
      cfg.pad_to = (uint32_t)n;
    } else if (!strcmp(a, "--mix")) {
      if (fixgw_gen_mix_parse(v, cfg.mix) != 0) {
        fprintf(stderr, "fixgw-gen: bad --mix \"%s\"\n", v);
        return 2;
      }
    } else if (!strcmp(a, "--md-entries")) {
      unsigned lo, hi;
      char extra;
      if (sscanf(v, "%u-%u%c", &lo, &hi, &extra) == 2) {
      } else if (sscanf(v, "%u%c", &lo, &extra) == 1) {
        hi = lo;
      } else {
        fprintf(stderr, "fixgw-gen: bad --md-entries \"%s\"\n", v);
        return 2;
      }
      cfg.md_entries_min = lo;
      cfg.md_entries_max = hi;
    } else if (!strcmp(a, "--client")) {
      cfg.client_comp_id = v;
    } else if (!strcmp(a, "--broker")) {
      cfg.broker_comp_id = v;
    } else {
      fprintf(stderr, "fixgw-gen: bad option %s %s\n", a, v);
      usage(stderr);
      return 2;
    }
  }
  if (!path) {
    usage(stderr);
    return 2;
  }

  fixgw_gen_t g;
  int rc = fixgw_gen_init(&g, &cfg);
  if (rc) {
    fprintf(stderr, "fixgw-gen: %s (check the option ranges in fixgw/gen.h)\n",
            fixgw_strerror(rc));
    return 2;
  }
  int to_stdout = strcmp(path, "-") == 0;
  FILE *f = to_stdout ? stdout : fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "fixgw-gen: %s: %s\n", path, strerror(errno));
    fixgw_gen_destroy(&g);
    return 1;
  }
  FILE *info = to_stdout ? stderr : stdout;
  if (show) {
    /* Shown messages come from a twin generator, so the file is unchanged. */
    fixgw_gen_t twin;
    size_t cap = fixgw_gen_max_msg_size(&g);
    char *buf = malloc(cap);
    if (buf && fixgw_gen_init(&twin, &cfg) == 0) {
      for (uint64_t k = 0; k < show && k < count; k++) {
        const char *m;
        size_t len;
        if (fixgw_gen_next(&twin, buf, cap, &m, &len) != 0) break;
        for (size_t j = 0; j < len; j++) fputc(m[j] == '\x01' ? '|' : m[j], info);
        fputc('\n', info);
      }
      fixgw_gen_destroy(&twin);
    }
    free(buf);
  }
  double t0 = now_s();
  rc = fixgw_gen_write(&g, f, count);
  if (!to_stdout && fclose(f) != 0 && rc == 0) rc = FIXGW_EIO;
  if (to_stdout) fflush(stdout);
  double dt = now_s() - t0;
  if (rc) {
    fprintf(stderr, "fixgw-gen: writing %s: %s\n", path, fixgw_strerror(rc));
    fixgw_gen_destroy(&g);
    return 1;
  }

  const fixgw_gen_stats_t *s = &g.stats;
  fprintf(info, "fixgw-gen: %llu messages, %llu bytes (%.1f MB, %.0f B/msg avg) to %s "
          "in %.2f s, seed %llu\n",
          (unsigned long long)s->messages, (unsigned long long)s->bytes, s->bytes / 1e6,
          s->messages ? (double)s->bytes / s->messages : 0.0, path, dt,
          (unsigned long long)cfg.seed);
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++)
    fprintf(info, "  %-10s 35=%-2s %10llu  %5.1f%%\n", fixgw_gen_type_name((fixgw_gen_type)t),
            fixgw_gen_type_msgtype((fixgw_gen_type)t), (unsigned long long)s->by_type[t],
            s->messages ? 100.0 * s->by_type[t] / s->messages : 0.0);
  fprintf(info, "  full fills %llu, MD entries %llu, live orders at end %u, "
          "draws swapped for the lifecycle %llu\n",
          (unsigned long long)s->full_fills, (unsigned long long)s->md_entries,
          s->live_orders, (unsigned long long)s->substituted);
  fixgw_gen_destroy(&g);
  return 0;
}
