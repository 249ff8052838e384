#include "fixgw/store.h"

#include <string.h>

void fixgw_store_destroy(fixgw_store_t *st) {
  if (!st) return;
  if (st->ops && st->ops->destroy && st->self) st->ops->destroy(st->self);
  /* Zeroed, a second destroy (or one on a store that never opened) is a
   * no-op, which keeps every caller's cleanup path unconditional. */
  memset(st, 0, sizeof *st);
}
