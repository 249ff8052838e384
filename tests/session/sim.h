/* The deterministic session simulator: from one seed, an initiator and an
 * acceptor, their applications and a simulated connection run under a fake
 * clock with faults (see sim.c for the list), and the invariants are checked
 * after every step and at the end. A failure is one seed to replay. */
#ifndef FIXGW_TEST_SIM_H
#define FIXGW_TEST_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sim_variant {
  SIM_NORMAL = 0,    /* skew well under MaxLatency: everything is delivered */
  SIM_SKEW_BEYOND,   /* the acceptor's UTC moves beyond MaxLatency: Reject 10 */
} sim_variant;

/* Which store each side runs on. */
typedef enum sim_store {
  SIM_STORE_MEMORY = 0, /* one memory store per side, kept across restarts */
  SIM_STORE_FILE,       /* a file store per side in a per-seed temporary
                           directory; a restart closes it and reopens the
                           files (FIXGW_SIM_STORE=file) */
} sim_store;

typedef struct sim_options {
  sim_store store;
  bool verbose;    /* print every event to out as it happens */
  const char *dir; /* file store: where the per-seed directory is made;
                      NULL: $TMPDIR, else /tmp */
} sim_options_t;

typedef struct sim_result {
  bool ok;
  char why[320];       /* the first violated invariant */
  sim_variant variant;
  uint64_t steps;
  uint64_t sim_ns;     /* simulated time the run took */
  uint64_t delivered;  /* application messages delivered (both ways) */
  uint64_t faults;     /* faults injected */
  uint64_t logons;     /* logons completed (both sides) */
  uint64_t resends;    /* messages retransmitted (both sides, all instances) */
  sim_store store;
  int file_sync;       /* file store: the fixgw_file_sync policy of the seed */
  uint64_t reopens;    /* file store: reopens of a store from its files */
  uint64_t syncs;      /* file store: fdatasync calls (both sides, all opens) */
} sim_result_t;

/* Run one seed. verbose: print every event to out as it happens. On a
 * violation the last events are printed to out. Returns res->ok. */
bool sim_run(uint64_t seed, bool verbose, FILE *out, sim_result_t *res);

/* The same with options (the store); sim_run is the memory store. */
bool sim_run_with(uint64_t seed, const sim_options_t *opt, FILE *out, sim_result_t *res);

#ifdef __cplusplus
}
#endif
#endif
