/*
 * The memory store. One allocation at create holds the state, an index ring
 * of max_messages {seq, off, len} entries (oldest at `first`, ascending seq)
 * and a byte ring of max_bytes; nothing is allocated after that.
 *
 * The bytes form a true ring: each message starts where the previous one
 * ended and may run off the end of the buffer into its start. So no byte is
 * lost to fragmentation, and under EVICT_OLDEST the store keeps exactly the
 * newest messages that fit both bounds (the tests check that set exactly).
 * iter_next must lend one contiguous span, so when it reaches a message that
 * wraps, it first rotates the buffer in place so the oldest byte sits at
 * offset 0, after which nothing wraps until the ring laps again: O(max_bytes)
 * at most once per lap, and no second buffer to hold a copy.
 *
 * What the header leaves to each store, decided here:
 *  - A message longer than max_bytes: EVICT_OLDEST does not keep it (and
 *    drops nothing for it) but still makes seq + 1 the next number, so a
 *    resend of it becomes a gap fill. REFUSE returns FIXGW_EFULL.
 *  - set_next_sender below a stored number drops the stored messages from
 *    that number on: the numbers will be used again for other messages, and
 *    a resend must never replay the old ones.
 *  - The iterator is a cursor by sequence number, not by position: each
 *    iter_next returns the lowest stored number in [cursor, end] as the
 *    store is at that call. An append during iteration is therefore seen if
 *    its number is in range, a message evicted meanwhile is skipped, and a
 *    reset leaves the cursor where it was.
 *  - seq must leave seq + 1 representable (at most UINT64_MAX - 1).
 *    iter_open with begin 0 is FIXGW_EINVAL; begin > end is an empty range.
 */
#include <stdalign.h>
#include <string.h>

#include "fixgw/store.h"
#include "internal.h"

typedef struct mem_entry {
  uint64_t seq;
  size_t off; /* first byte in the ring */
  size_t len;
} mem_entry;

typedef struct mem_store {
  /* A copy: the config (and its allocator struct) need not outlive create,
   * but destroy frees through the same functions. */
  fixgw_allocator_t alloc;
  mem_entry *idx;
  char *ring;
  uint32_t cap;   /* max_messages; 0 keeps numbers only */
  uint32_t first; /* slot of the oldest entry */
  uint32_t count;
  fixgw_mem_store_policy policy;
  size_t size; /* max_bytes */
  size_t used; /* bytes of the kept messages: no gaps, so exact */
  size_t tail; /* where the next message's first byte goes; < size */
  uint64_t next_sender;
  uint64_t next_target;
  int64_t ctime;
  uint64_t it_next; /* cursor: lowest number the next iter_next may return */
  uint64_t it_end;
  int it_open;
} mem_store;

static mem_entry *entry_at(const mem_store *m, uint32_t i) {
  uint64_t k = (uint64_t)m->first + i;
  if (k >= m->cap) k -= m->cap;
  return &m->idx[k];
}

static void clear(mem_store *m) {
  m->first = 0;
  m->count = 0;
  m->used = 0;
  /* Empty, the next message starts at 0 and so cannot wrap: a store that is
   * drained now and then never pays for a rotation. */
  m->tail = 0;
}

static void evict_oldest(mem_store *m) {
  m->used -= m->idx[m->first].len;
  m->first = m->first + 1 == m->cap ? 0 : m->first + 1;
  if (--m->count == 0) clear(m);
}

static void drop_newest(mem_store *m) {
  const mem_entry *e = entry_at(m, m->count - 1);
  m->used -= e->len;
  m->tail = e->off; /* bytes are contiguous, so it ended at tail */
  if (--m->count == 0) clear(m);
}

static void keep(mem_store *m, uint64_t seq, const char *msg, size_t len) {
  mem_entry *e = entry_at(m, m->count);
  size_t room = m->size - m->tail; /* > 0: tail < size */
  size_t first_part = len < room ? len : room;
  e->seq = seq;
  e->off = m->tail;
  e->len = len;
  memcpy(m->ring + m->tail, msg, first_part);
  memcpy(m->ring, msg + first_part, len - first_part);
  m->tail = len < room ? m->tail + len : len - room;
  m->used += len;
  m->count++;
}

static void reverse(char *p, size_t n) {
  size_t i = 0, j = n;
  while (j - i > 1) {
    j--;
    char t = p[i];
    p[i] = p[j];
    p[j] = t;
    i++;
  }
}

/* Rotate the ring so the oldest byte is at offset 0; then every message,
 * the kept bytes being at most size, lies in [0, used) without wrapping. */
static void linearize(mem_store *m) {
  size_t h = m->idx[m->first].off;
  if (h == 0) return;
  reverse(m->ring, h);
  reverse(m->ring + h, m->size - h);
  reverse(m->ring, m->size);
  for (uint32_t i = 0; i < m->count; i++) {
    mem_entry *e = entry_at(m, i);
    e->off = e->off >= h ? e->off - h : e->off + (m->size - h);
  }
  m->tail = m->used == m->size ? 0 : m->used;
}

/* Index (0 = oldest) of the first kept message numbered seq or more. */
static uint32_t lower_bound(const mem_store *m, uint64_t seq) {
  uint32_t lo = 0, hi = m->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (entry_at(m, mid)->seq < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int mem_append(void *self, uint64_t seq, const char *msg, size_t len) {
  mem_store *m = self;
  if (!m || !msg || seq == 0 || seq == UINT64_MAX || seq < m->next_sender) return FIXGW_EINVAL;
  if (m->cap > 0) {
    if (len > m->size) {
      if (m->policy == FIXGW_MEM_STORE_REFUSE) return FIXGW_EFULL;
      /* EVICT_OLDEST: not kept, the number is still used (see the top). */
    } else if (m->policy == FIXGW_MEM_STORE_REFUSE) {
      if (m->count == m->cap || len > m->size - m->used) return FIXGW_EFULL;
      keep(m, seq, msg, len);
    } else {
      /* Ends at the latest when the store is empty: len <= size, cap > 0. */
      while (m->count == m->cap || len > m->size - m->used) evict_oldest(m);
      keep(m, seq, msg, len);
    }
  }
  m->next_sender = seq + 1;
  return 0;
}

static int mem_get_seqnums(void *self, uint64_t *next_sender, uint64_t *next_target) {
  const mem_store *m = self;
  if (!m || !next_sender || !next_target) return FIXGW_EINVAL;
  *next_sender = m->next_sender;
  *next_target = m->next_target;
  return 0;
}

static int mem_set_next_sender(void *self, uint64_t next) {
  mem_store *m = self;
  if (!m || next == 0) return FIXGW_EINVAL;
  while (m->count > 0 && entry_at(m, m->count - 1)->seq >= next) drop_newest(m);
  m->next_sender = next;
  return 0;
}

static int mem_set_next_target(void *self, uint64_t next) {
  mem_store *m = self;
  if (!m || next == 0) return FIXGW_EINVAL;
  m->next_target = next;
  return 0;
}

static int mem_reset(void *self, int64_t now_utc_ns) {
  mem_store *m = self;
  if (!m) return FIXGW_EINVAL;
  clear(m);
  m->next_sender = 1;
  m->next_target = 1;
  m->ctime = now_utc_ns;
  return 0;
}

static int mem_creation_time(void *self, int64_t *utc_ns) {
  const mem_store *m = self;
  if (!m || !utc_ns) return FIXGW_EINVAL;
  *utc_ns = m->ctime;
  return 0;
}

static int mem_iter_open(void *self, uint64_t begin, uint64_t end) {
  mem_store *m = self;
  if (!m || begin == 0) return FIXGW_EINVAL;
  m->it_next = begin;
  m->it_end = end;
  m->it_open = 1;
  return 0;
}

static int mem_iter_next(void *self, uint64_t *seq, const char **msg, size_t *len) {
  mem_store *m = self;
  if (!m || !seq || !msg || !len) return FIXGW_EINVAL;
  if (!m->it_open) return FIXGW_ESTATE;
  if (m->it_next > m->it_end) return FIXGW_ENOTFOUND;
  uint32_t i = lower_bound(m, m->it_next);
  if (i == m->count) return FIXGW_ENOTFOUND;
  const mem_entry *e = entry_at(m, i);
  if (e->seq > m->it_end) return FIXGW_ENOTFOUND;
  if (e->len > m->size - e->off) linearize(m); /* e's slot stays; its off is updated */
  *seq = e->seq;
  *msg = m->ring + e->off;
  *len = e->len;
  m->it_next = e->seq + 1; /* no overflow: seq < UINT64_MAX */
  return 0;
}

static void mem_iter_close(void *self) {
  mem_store *m = self;
  if (m) m->it_open = 0;
}

static void mem_destroy(void *self) {
  mem_store *m = self;
  if (!m) return;
  fixgw_allocator_t a = m->alloc;
  fixgw__free(&a, m);
}

static const fixgw_store_ops_t mem_ops = {
    .size = sizeof(fixgw_store_ops_t),
    .name = "memory",
    .append = mem_append,
    .get_seqnums = mem_get_seqnums,
    .set_next_sender = mem_set_next_sender,
    .set_next_target = mem_set_next_target,
    .reset = mem_reset,
    .creation_time = mem_creation_time,
    .refresh = NULL, /* nothing durable to reload */
    .iter_open = mem_iter_open,
    .iter_next = mem_iter_next,
    .iter_close = mem_iter_close,
    .flush = NULL,
    .destroy = mem_destroy,
};

void fixgw_mem_store_config_default(fixgw_mem_store_config_t *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_messages = 4096;
  cfg->max_bytes = (size_t)1 << 20;
  cfg->policy = FIXGW_MEM_STORE_EVICT_OLDEST;
  cfg->now_utc_ns = 0; /* the host's clock, not ours: it sets the time */
  cfg->allocator = NULL;
}

int fixgw_mem_store_create(const fixgw_mem_store_config_t *cfg, fixgw_store_t *out) {
  if (!out) return FIXGW_EINVAL;
  /* Zeroed on failure too, so fixgw_store_destroy(out) is always safe. */
  memset(out, 0, sizeof *out);
  if (!cfg) return FIXGW_EINVAL;
  if (cfg->max_messages > 0 && cfg->max_bytes == 0) return FIXGW_EINVAL;
  if (cfg->policy != FIXGW_MEM_STORE_EVICT_OLDEST && cfg->policy != FIXGW_MEM_STORE_REFUSE)
    return FIXGW_EINVAL;

  const size_t ea = alignof(mem_entry);
  size_t head = (sizeof(mem_store) + ea - 1) / ea * ea;
  size_t total = head;
  if (cfg->max_messages > 0) {
    /* Sizes no allocator could satisfy are ENOMEM, not a wrapped sum. */
    if (cfg->max_messages > (SIZE_MAX - head) / sizeof(mem_entry)) return FIXGW_ENOMEM;
    total += (size_t)cfg->max_messages * sizeof(mem_entry);
    if (cfg->max_bytes > SIZE_MAX - total) return FIXGW_ENOMEM;
    total += cfg->max_bytes;
  }
  mem_store *m = fixgw__alloc(cfg->allocator, total);
  if (!m) return FIXGW_ENOMEM;
  memset(m, 0, sizeof *m);
  if (cfg->allocator) m->alloc = *cfg->allocator;
  if (cfg->max_messages > 0) {
    m->idx = (mem_entry *)(void *)((char *)m + head);
    m->ring = (char *)m + head + (size_t)cfg->max_messages * sizeof(mem_entry);
    m->cap = cfg->max_messages;
    m->size = cfg->max_bytes;
  }
  m->policy = cfg->policy;
  m->next_sender = 1;
  m->next_target = 1;
  m->ctime = cfg->now_utc_ns;
  out->ops = &mem_ops;
  out->self = m;
  return 0;
}
