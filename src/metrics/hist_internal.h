/* Histogram internals shared by hist.c and export.c; not installed. */
#ifndef FIXGW_METRICS_HIST_INTERNAL_H
#define FIXGW_METRICS_HIST_INTERNAL_H

#include <stdint.h>

#include "fixgw/metrics.h"

uint32_t fixgw__hist_index(uint64_t u);
uint64_t fixgw__hist_low(uint32_t i);
uint64_t fixgw__hist_high(uint32_t i);
uint32_t fixgw__hist_group_first(unsigned g);
uint32_t fixgw__hist_group_end(unsigned g);
uint64_t fixgw__hist_rank(double pct, uint64_t total);
uint64_t fixgw__hist_report(const fixgw_hist_t *h, uint32_t i);

#endif
