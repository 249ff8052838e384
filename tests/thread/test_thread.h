#ifndef FIXGW_TEST_THREAD_H
#define FIXGW_TEST_THREAD_H
#include <stddef.h>
extern const struct CMUnitTest fixgw_t_topology_tests[];
extern const size_t fixgw_t_topology_ntests;
#endif
