/* The log interface's entry points, QuickFIX's file prefix, and the
 * callback log. */
#include <stdio.h>
#include <string.h>

#include "fixgw/codec.h"
#include "fixgw/log.h"

int fixgw_log_write(const fixgw_log_t *log, fixgw_log_kind kind, fixgw_log_level level,
                    int64_t utc_ns, const char *text, size_t len) {
  if (!log || !log->ops || (!text && len) || (unsigned)kind > FIXGW_LOG_EVENT)
    return FIXGW_EINVAL;
  if (!text) text = "";
  return log->ops->write(log->self, kind, level, utc_ns, text, len);
}

int fixgw_log_incoming(const fixgw_log_t *log, int64_t utc_ns, const char *msg, size_t len) {
  return fixgw_log_write(log, FIXGW_LOG_IN, FIXGW_LOG_INFO, utc_ns, msg, len);
}

int fixgw_log_outgoing(const fixgw_log_t *log, int64_t utc_ns, const char *msg, size_t len) {
  return fixgw_log_write(log, FIXGW_LOG_OUT, FIXGW_LOG_INFO, utc_ns, msg, len);
}

int fixgw_log_event(const fixgw_log_t *log, fixgw_log_level level, int64_t utc_ns,
                    const char *text) {
  return fixgw_log_write(log, FIXGW_LOG_EVENT, level, utc_ns, text, text ? strlen(text) : 0);
}

int fixgw_log_flush(const fixgw_log_t *log, int64_t utc_ns) {
  if (!log || !log->ops) return FIXGW_EINVAL;
  return log->ops->flush ? log->ops->flush(log->self, utc_ns) : 0;
}

int fixgw_log_rotate(const fixgw_log_t *log) {
  if (!log || !log->ops) return FIXGW_EINVAL;
  return log->ops->rotate ? log->ops->rotate(log->self) : FIXGW_ENOTSUP;
}

void fixgw_log_stats(const fixgw_log_t *log, fixgw_log_stats_t *out) {
  if (!out) return;
  memset(out, 0, sizeof *out);
  if (log && log->ops && log->ops->stats) log->ops->stats(log->self, out);
}

void fixgw_log_destroy(fixgw_log_t *log) {
  if (!log || !log->ops) return;
  if (log->ops->destroy) log->ops->destroy(log->self);
  log->ops = NULL;
  log->self = NULL;
}

/* ------------------------------------------------------------- prefix */

static size_t put_id(char *out, const char *id) {
  size_t n = 0;
  for (; id[n]; n++) {
    unsigned char c = (unsigned char)id[n];
    out[n] = (c == '/' || c < 0x20 || c == 0x7f) ? '_' : (char)c;
  }
  return n;
}

int fixgw_log_prefix(const fixgw_session_id_t *id, const char *qualifier, char *out,
                     size_t cap) {
  if (!id || !out || !id->sender_comp_id[0] || !id->target_comp_id[0]) return FIXGW_EINVAL;
  const char *begin = fixgw_version_string(id->version);
  if (!begin || !*begin) return FIXGW_EINVAL;
  size_t q = qualifier ? strlen(qualifier) : 0;
  size_t need = strlen(begin) + 1 + strlen(id->sender_comp_id) + 1 +
                strlen(id->target_comp_id) + (q ? q + 1 : 0) + 1;
  if (need > cap) return FIXGW_ENOSPC;
  size_t n = put_id(out, begin);
  out[n++] = '-';
  n += put_id(out + n, id->sender_comp_id);
  out[n++] = '-';
  n += put_id(out + n, id->target_comp_id);
  if (q) {
    out[n++] = '-';
    n += put_id(out + n, qualifier);
  }
  out[n] = '\0';
  return (int)n;
}

/* ------------------------------------------------------- callback log */

static int cb_write(void *self, fixgw_log_kind kind, fixgw_log_level level, int64_t utc_ns,
                    const char *text, size_t len) {
  fixgw_callback_log_t *cl = self;
  cl->cb(kind, level, utc_ns, text, len, cl->user);
  /* Relaxed: a statistic; the writer is the only one to store it. */
  __atomic_store_n(&cl->lines, cl->lines + 1, __ATOMIC_RELAXED);
  return 0;
}

static void cb_stats(void *self, fixgw_log_stats_t *out) {
  fixgw_callback_log_t *cl = self;
  out->lines = __atomic_load_n(&cl->lines, __ATOMIC_RELAXED);
}

static const fixgw_log_ops_t callback_ops = {
    sizeof(fixgw_log_ops_t), "callback", cb_write, NULL, NULL, cb_stats, NULL,
};

int fixgw_callback_log_init(fixgw_callback_log_t *cl, fixgw_log_cb cb, void *user,
                            fixgw_log_t *out) {
  if (!cl || !cb || !out) return FIXGW_EINVAL;
  cl->cb = cb;
  cl->user = user;
  cl->lines = 0;
  out->ops = &callback_ops;
  out->self = cl;
  return 0;
}
