/* The design the priority send path replaces, kept as a benchmark
 * baseline: one std::mutex around one std::priority_queue ordered by
 * (priority, sequence), so FIFO holds within a level and the most urgent
 * level always goes first (no starvation prevention). Bounded like the
 * rings it is compared with, so a full queue refuses rather than grows.
 * Benchmark only; not part of libfixgw. */
#ifndef FIXGW_BENCH_BASELINE_PQ_H
#define FIXGW_BENCH_BASELINE_PQ_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bl_queue bl_queue;

/* NULL on allocation failure. The heap's storage is reserved here. */
bl_queue *bl_create(size_t capacity);
void bl_destroy(bl_queue *q);
/* 0, or -1 when capacity entries are queued. Any thread (takes the lock). */
int bl_push(bl_queue *q, unsigned prio, void *msg);
/* 0 with the most urgent (then oldest) entry, or -1 when empty. */
int bl_pop(bl_queue *q, void **msg, unsigned *prio);
/* The blocking variant of the old design: bl_push_notify also signals a
 * std::condition_variable when the consumer sleeps on it; bl_pop_wait
 * sleeps until an entry arrives or timeout_ns passes (then -1). */
int bl_push_notify(bl_queue *q, unsigned prio, void *msg);
int bl_pop_wait(bl_queue *q, void **msg, unsigned *prio, long long timeout_ns);

#ifdef __cplusplus
}
#endif
#endif
