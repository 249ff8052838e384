/* Writers to stdio streams and the textual mix of the command-line tools. */
#include <string.h>

#include "gen_internal.h"

int fixgw_gen_write(fixgw_gen_t *g, FILE *f, uint64_t count) {
  if (!g || !g->orders_ || !f) return FIXGW_EINVAL;
  for (uint64_t i = 0; i < count; i++) {
    const char *msg;
    size_t len;
    int rc = fixgw_gen_next(g, g->scratch_, g->max_msg_, &msg, &len);
    if (rc) return rc; /* cannot happen: scratch_ is max_msg_ bytes */
    if (fwrite(msg, 1, len, f) != len) return FIXGW_EIO;
  }
  return 0;
}

int fixgw_gen_write_path(fixgw_gen_t *g, const char *path, uint64_t count) {
  if (!g || !g->orders_ || !path) return FIXGW_EINVAL;
  FILE *f = fopen(path, "wb");
  if (!f) return FIXGW_ESYS;
  int rc = fixgw_gen_write(g, f, count);
  if (fclose(f) != 0 && rc == 0) rc = FIXGW_EIO;
  return rc;
}

/* Index of the type called name[0..n) (its short name or, where it is
 * unambiguous, its MsgType), or -1. */
static int type_by_name(const char *name, size_t n) {
  for (int t = 0; t < FIXGW_GEN_TYPE_COUNT; t++) {
    const char *s = fixgw_gen_type_name((fixgw_gen_type)t);
    if (strlen(s) == n && memcmp(s, name, n) == 0) return t;
  }
  static const struct {
    char mt;
    fixgw_gen_type t;
  } by_msgtype[] = {{'D', FIXGW_GEN_NEW_ORDER},
                    {'F', FIXGW_GEN_CANCEL_REQ},
                    {'W', FIXGW_GEN_MD_SNAPSHOT},
                    {'0', FIXGW_GEN_HEARTBEAT}};
  if (n == 1)
    for (size_t i = 0; i < sizeof by_msgtype / sizeof by_msgtype[0]; i++)
      if (name[0] == by_msgtype[i].mt) return (int)by_msgtype[i].t;
  return -1;
}

int fixgw_gen_mix_parse(const char *spec, uint32_t mix[FIXGW_GEN_TYPE_COUNT]) {
  if (!spec || !mix) return FIXGW_EINVAL;
  uint32_t m[FIXGW_GEN_TYPE_COUNT] = {0};
  int seen[FIXGW_GEN_TYPE_COUNT] = {0};
  uint64_t total = 0;
  const char *p = spec;
  while (*p) {
    const char *eq = strchr(p, '=');
    const char *comma = strchr(p, ',');
    if (!eq || (comma && comma < eq)) return FIXGW_EINVAL;
    int t = type_by_name(p, (size_t)(eq - p));
    if (t < 0 || seen[t]) return FIXGW_EINVAL;
    seen[t] = 1;
    const char *d = eq + 1;
    uint64_t w = 0;
    if (*d < '0' || *d > '9') return FIXGW_EINVAL;
    while (*d >= '0' && *d <= '9') {
      w = w * 10 + (uint64_t)(*d - '0');
      if (w > 1000000) return FIXGW_EINVAL;
      d++;
    }
    if (*d != ',' && *d != '\0') return FIXGW_EINVAL;
    m[t] = (uint32_t)w;
    total += w;
    p = *d == ',' ? d + 1 : d;
    if (*d == ',' && *p == '\0') return FIXGW_EINVAL; /* trailing comma */
  }
  if (total == 0) return FIXGW_EINVAL;
  memcpy(mix, m, sizeof m);
  return 0;
}
