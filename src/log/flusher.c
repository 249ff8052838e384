/* The optional flusher thread: the thread layer's run loop with a
 * bounded sleep as the flush interval, so writers never wake it (a log
 * write stays free of fences and system calls). */
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include "fixgw/log.h"

static int64_t utc_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* > 0 when some log wrote bytes, so the run loop polls again before it
 * sleeps or stops; a failing log counts as idle (it retries later). */
static int poll_logs(void *user) {
  fixgw_log_flusher_t *f = user;
  int64_t now = utc_now();
  int did = 0;
  for (size_t i = 0; i < f->nlogs; i++) {
    int rc = fixgw_log_flush(&f->logs[i], now);
    if (rc > 0) did = 1;
    else if (rc < 0 && rc != FIXGW_EBUSY) f->last_rc = rc;
  }
  return did;
}

static void run(fixgw_thread_t *self, void *arg) {
  fixgw_thread_run(self, poll_logs, arg);
}

int fixgw_log_flusher_start(fixgw_log_flusher_t *f, const fixgw_log_t *logs, size_t nlogs,
                            const fixgw_log_flusher_config_t *cfg) {
  if (!f || !logs || !nlogs || f->thread.state == 1) return FIXGW_EINVAL;
  memset(f, 0, sizeof *f);
  f->logs = logs;
  f->nlogs = nlogs;
  fixgw_thread_config_t tc;
  memset(&tc, 0, sizeof tc);
  tc.name = cfg && cfg->name ? cfg->name : "fixgw-log";
  tc.cpus = cfg ? cfg->cpus : NULL;
  tc.wait.kind = FIXGW_WAIT_BLOCK;
  tc.wait.spin_iters = 1;
  tc.wait.max_sleep_ns = cfg && cfg->interval_ns ? cfg->interval_ns : 10000000u;
  return fixgw_thread_start(&f->thread, &tc, run, f, NULL);
}

int fixgw_log_flusher_stop(fixgw_log_flusher_t *f) {
  if (!f || f->thread.state != 1) return FIXGW_ESTATE;
  fixgw_thread_stop(&f->thread);
  return fixgw_thread_join(&f->thread);
}
