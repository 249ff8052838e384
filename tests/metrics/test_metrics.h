#ifndef FIXGW_TEST_METRICS_H
#define FIXGW_TEST_METRICS_H
#include <stddef.h>
#include <stdint.h>
#include "fixgw/metrics.h"
extern const struct CMUnitTest fixgw_t_export_tests[];
extern const size_t fixgw_t_export_ntests;
/* Shared scratch histograms (265 KiB each: not on the stack). */
extern fixgw_hist_t fixgw_t_h[4];
uint64_t fixgw_t_rand(uint64_t *s);
#endif
