/* Message buffer pool: a fixgw_pool_t of 64-byte headers plus data. */
#include "fixgw/pool.h"

#include <string.h>

#define MSGBUF_MAX_CAP ((uint32_t)1 << 30)

int fixgw_msgpool_init(fixgw_msgpool_t *mp, uint32_t buf_cap, uint32_t count,
                       unsigned flags, const fixgw_allocator_t *a) {
  if (mp == NULL || buf_cap == 0 || buf_cap > MSGBUF_MAX_CAP || count == 0)
    return FIXGW_EINVAL;
  /* 64-byte alignment keeps each header on one cache line, the line the
   * producer writes at get and the consumer reads first. */
  int rc = fixgw_pool_init_alloc(&mp->pool, sizeof(fixgw_msgbuf_t) + buf_cap, 64,
                                 count, flags, a);
  if (rc) return rc;
  mp->buf_cap = buf_cap;
  return 0;
}

void fixgw_msgpool_destroy(fixgw_msgpool_t *mp) {
  if (mp == NULL) return;
  fixgw_pool_destroy(&mp->pool);
  memset(mp, 0, sizeof *mp);
}
