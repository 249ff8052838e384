/* Helpers shared by validate.c and groups.c. */
#ifndef FIXGW_VALIDATE_INTERNAL_H
#define FIXGW_VALIDATE_INTERNAL_H

#include "fixgw/dict.h"
#include "fixgw/validate.h"

/* Position of tag's member in scope sc, or -1 (tag undefined or not a
 * member). */
static inline int32_t fixgw__scope_pos(const fixgw_dict_t *d,
                                       const fixgw_dict_scope_t *sc,
                                       uint32_t tag) {
  int32_t f = fixgw_dict_field_index(d, tag);
  if (f < 0) return -1;
  return fixgw_dict_scope_find(d, sc, (uint32_t)f);
}

/* Tests only: 0 makes fixgw_validate judge every group entry the full
 * way, not by the record of the entry before (see level_t in
 * validate.c), so the two can be compared on one message. Default 1. */
extern int fixgw__validate_entry_copy;

/* Check the group whose count field is m->fields[at] (scope gs, within
 * [.., to)) and set *end one past its last field and *count to its count.
 * depth is the group's own depth (1 for a top-level group). Returns 0 or
 * FIXGW_EFORMAT / EGROUPDELIM / EGROUPCOUNT / EGROUPDEPTH. */
int fixgw__group_scan(const fixgw_dict_t *d, const fixgw_msg_t *m,
                      uint32_t gs, uint32_t at, uint32_t to, uint32_t depth,
                      uint32_t *end, uint32_t *count);

#endif
