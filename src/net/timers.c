/* What a turn visits without scanning every connection: a binary min-heap
 * of the connections' deadlines (session timers, connect and routing
 * timeouts) and a list of connections woken for work that has no epoll
 * event (paused input, unfed routing bytes, output the host queued). */
#include "net_internal.h"

static void place(fixgw_loop_t *loop, uint32_t pos, uint32_t idx) {
  loop->heap[pos] = idx;
  loop->conns[idx].heap_pos = pos;
}

static void sift_up(fixgw_loop_t *loop, uint32_t pos) {
  uint32_t idx = loop->heap[pos];
  uint64_t due = loop->conns[idx].due;
  while (pos > 0) {
    uint32_t parent = (pos - 1) / 2;
    if (loop->conns[loop->heap[parent]].due <= due) break;
    place(loop, pos, loop->heap[parent]);
    pos = parent;
  }
  place(loop, pos, idx);
}

static void sift_down(fixgw_loop_t *loop, uint32_t pos) {
  uint32_t idx = loop->heap[pos], n = loop->nheap;
  uint64_t due = loop->conns[idx].due;
  for (;;) {
    uint32_t kid = 2 * pos + 1;
    if (kid >= n) break;
    if (kid + 1 < n && loop->conns[loop->heap[kid + 1]].due < loop->conns[loop->heap[kid]].due)
      kid++;
    if (due <= loop->conns[loop->heap[kid]].due) break;
    place(loop, pos, loop->heap[kid]);
    pos = kid;
  }
  place(loop, pos, idx);
}

void fixgw__net_timer_set(fixgw_loop_t *loop, net_conn_t *c, uint64_t due) {
  uint32_t idx = (uint32_t)(c - loop->conns);
  if (due == UINT64_MAX) {
    if (c->heap_pos == NET_HEAP_NONE) return;
    uint32_t pos = c->heap_pos, last = loop->heap[--loop->nheap];
    c->heap_pos = NET_HEAP_NONE;
    if (pos < loop->nheap) {
      place(loop, pos, last);
      sift_up(loop, pos);
      sift_down(loop, loop->conns[last].heap_pos);
    }
    return;
  }
  if (c->heap_pos == NET_HEAP_NONE) {
    c->due = due;
    place(loop, loop->nheap++, idx);
    sift_up(loop, c->heap_pos);
    return;
  }
  uint64_t old = c->due;
  c->due = due;
  if (due < old) sift_up(loop, c->heap_pos);
  else if (due > old) sift_down(loop, c->heap_pos);
}

net_conn_t *fixgw__net_timer_top(fixgw_loop_t *loop) {
  return loop->nheap ? &loop->conns[loop->heap[0]] : NULL;
}

void fixgw__net_conn_deadline(fixgw_loop_t *loop, net_conn_t *c, uint64_t t) {
  c->deadline = t;
  fixgw__net_deadline(loop, t);
  fixgw__net_timer_set(loop, c, t);
}

void fixgw__net_wake_conn(fixgw_loop_t *loop, net_conn_t *c) {
  loop->immediate = true;
  if (c->woken) return;
  if (loop->nwake == loop->wake_cap) {
    /* Stale entries of closed connections fill it: visit everyone once. */
    loop->wake_all = true;
    return;
  }
  c->woken = true;
  loop->wake[loop->nwake++] = NET_TAG(TAG_CONN, c->gen, c - loop->conns);
}
