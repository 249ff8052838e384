/* Mutex + priority_queue baseline (see baseline_pq.h). */
#include "baseline_pq.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <new>
#include <queue>
#include <vector>

namespace {
struct entry {
  unsigned prio;
  uint64_t seq;
  void *msg;
};
/* std::priority_queue keeps the greatest on top: "less" means later. */
struct later {
  bool operator()(const entry &a, const entry &b) const {
    return a.prio != b.prio ? a.prio > b.prio : a.seq > b.seq;
  }
};
using heap = std::priority_queue<entry, std::vector<entry>, later>;
}  // namespace

struct bl_queue {
  std::mutex mu;
  std::condition_variable cv;
  bool sleeping = false; /* consumer waits on cv; guarded by mu */
  heap pq;
  uint64_t seq = 0;
  size_t cap = 0;
};

extern "C" bl_queue *bl_create(size_t capacity) {
  auto *q = new (std::nothrow) bl_queue;
  if (!q) return nullptr;
  std::vector<entry> storage;
  storage.reserve(capacity); /* no allocation after this */
  q->pq = heap(later(), std::move(storage));
  q->cap = capacity;
  return q;
}

extern "C" void bl_destroy(bl_queue *q) { delete q; }

extern "C" int bl_push(bl_queue *q, unsigned prio, void *msg) {
  std::lock_guard<std::mutex> g(q->mu);
  if (q->pq.size() >= q->cap) return -1;
  q->pq.push(entry{prio, q->seq++, msg});
  return 0;
}

extern "C" int bl_pop(bl_queue *q, void **msg, unsigned *prio) {
  std::lock_guard<std::mutex> g(q->mu);
  if (q->pq.empty()) return -1;
  const entry &e = q->pq.top();
  *msg = e.msg;
  *prio = e.prio;
  q->pq.pop();
  return 0;
}

extern "C" int bl_push_notify(bl_queue *q, unsigned prio, void *msg) {
  bool wake;
  {
    std::lock_guard<std::mutex> g(q->mu);
    if (q->pq.size() >= q->cap) return -1;
    q->pq.push(entry{prio, q->seq++, msg});
    wake = q->sleeping;
  }
  if (wake) q->cv.notify_one();
  return 0;
}

extern "C" int bl_pop_wait(bl_queue *q, void **msg, unsigned *prio, long long timeout_ns) {
  std::unique_lock<std::mutex> g(q->mu);
  if (q->pq.empty()) {
    q->sleeping = true;
    q->cv.wait_for(g, std::chrono::nanoseconds(timeout_ns), [q] { return !q->pq.empty(); });
    q->sleeping = false;
    if (q->pq.empty()) return -1;
  }
  const entry &e = q->pq.top();
  *msg = e.msg;
  *prio = e.prio;
  q->pq.pop();
  return 0;
}
