/* Field access on a parsed message and dictionary-free group walking. */
#include "codec_internal.h"

const fixgw_field_t *fixgw__msg_find_slow(const fixgw_msg_t *m, uint32_t tag) {
  for (uint32_t i = 0; i < m->nfields; i++)
    if (m->fields[i].tag == tag) return &m->fields[i];
  return NULL;
}

static int is_member(const fixgw_group_layout_t *l, uint32_t tag) {
  for (uint32_t i = 0; i < l->ntags; i++)
    if (l->tags[i] == tag) return 1;
  return 0;
}

static const fixgw_group_layout_t *nested_for(const fixgw_group_layout_t *l,
                                              uint32_t tag) {
  for (uint32_t i = 0; i < l->nnested; i++)
    if (l->nested[i]->count_tag == tag) return l->nested[i];
  return NULL;
}

/* One past the last field of the entry starting at fields[i] (its
 * delimiter), stepping over nested groups; errors from those propagate. */
static int entry_end(const fixgw_msg_t *m, const fixgw_group_layout_t *l,
                     uint32_t i, uint32_t to, uint32_t depth, uint32_t *end) {
  uint32_t j = i + 1;
  while (j < to) {
    uint32_t t = m->fields[j].tag;
    if (t == l->delim_tag) break;
    const fixgw_group_layout_t *sub = nested_for(l, t);
    if (sub) {
      fixgw_group_t g;
      int rc = fixgw_group_open(m, sub, j, to, depth, &g);
      if (rc) return rc;
      j = g.end;
      continue;
    }
    if (!is_member(l, t)) break;
    j++;
  }
  *end = j;
  return 0;
}

int fixgw_group_open(const fixgw_msg_t *m, const fixgw_group_layout_t *l,
                     uint32_t from, uint32_t to, uint32_t depth,
                     fixgw_group_t *g) {
  if (!m || !l || !g || to > m->nfields || from > to || l->count_tag == 0)
    return FIXGW_EINVAL;
  if (depth + 1 > m->max_group_depth_) return FIXGW_EGROUPDEPTH;
  uint32_t at = to;
  if (from == 0 && to == m->nfields) {
    const fixgw_field_t *f = fixgw_msg_find(m, l->count_tag);
    if (f) at = (uint32_t)(f - m->fields);
  } else {
    for (uint32_t i = from; i < to; i++)
      if (m->fields[i].tag == l->count_tag) {
        at = i;
        break;
      }
  }
  if (at == to) return FIXGW_ENOTFOUND;
  uint64_t count;
  int rc = fixgw_msg_field_uint(m, &m->fields[at], &count);
  if (rc) return FIXGW_EFORMAT;
  /* The CheckSum ends the message, and so any group still open there:
   * without this, a group that closes the body would end only after a
   * scan of its whole layout for tag 10. */
  if (to == m->nfields && to - 1 > at && m->fields[to - 1].tag == 10) to--;

  uint32_t i = at + 1, entries = 0, stride = 0;
  const fixgw_field_t *f = m->fields;
  const uint32_t delim = l->delim_tag;
  if (l->nnested == 0) {
    /* Flat entries (the common case): one pass, no call per entry. An
     * entry's fields mostly come in the layout's order, so each member is
     * looked for from just after the previous one (the delimiter, index 0,
     * at an entry's start), then from the top: one or two compares a
     * field instead of a scan from the first tag. */
    const uint32_t *tags = l->tags, nt = l->ntags;
    /* Whether every entry has the first one's field count (stride), so
     * that fixgw_group_next need not look for delimiters: each entry the
     * probe ends is measured, and a run's entries are as long as the one
     * before them. */
    int alike = 1;
    while (i < to && f[i].tag == delim) {
      entries++;
      uint32_t start = i, prev = 0;
      i++;
    probe:
      for (; i < to; i++) {
        uint32_t t = f[i].tag, k = prev + 1;
        if (t == delim) break;
        while (k < nt && tags[k] != t) k++;
        if (k >= nt) {
          for (k = 0; k <= prev && tags[k] != t; k++) {}
          if (k > prev) break; /* not a member: the group ends */
        }
        prev = k;
      }
      /* Most entries carry the tags of the one before, in its order. The
       * fields from here that repeat those n fields back are such entries,
       * whole ones and perhaps the head of one more: one compare a field,
       * no probe. A run that ends on an entry's end leaves that entry open
       * (it may have more members; prev, which follows from the tags
       * alone, is the probe's own); one that ends inside an entry leaves
       * it to the probe from its delimiter. */
      const uint32_t n = i - start;
      if (stride == 0)
        stride = n;
      else if (n != stride)
        alike = 0;
      if (n > 1 && i < to && f[i].tag == delim && fixgw__entries_repeat(f, &i, to, n, &entries)) {
        start = i - n;
        goto probe;
      }
    }
    if (!alike) stride = 0;
  } else {
    while (i < to && f[i].tag == delim) {
      uint32_t e;
      rc = entry_end(m, l, i, to, depth + 1, &e);
      if (rc) return rc;
      entries++;
      i = e;
    }
  }
  if (entries == 0 && count > 0) return FIXGW_EGROUPDELIM;
  if (entries != count) return FIXGW_EGROUPCOUNT;
  g->msg = m;
  g->layout = l;
  g->count = (uint32_t)count;
  g->first = at + 1;
  g->end = i;
  g->depth = depth + 1;
  g->next_ = at + 1;
  g->stride_ = stride;
  return 0;
}

int fixgw__group_next_nested(fixgw_group_t *g, fixgw_group_entry_t *e) {
  /* The group was checked whole at open: this cannot fail now. */
  uint32_t end;
  int rc = entry_end(g->msg, g->layout, g->next_, g->end, g->depth, &end);
  if (rc) return rc;
  fixgw__entry_take(g, e, end);
  return 0;
}

const fixgw_field_t *fixgw_entry_find(const fixgw_group_entry_t *e, uint32_t tag) {
  for (uint32_t i = e->first; i < e->end; i++)
    if (e->msg->fields[i].tag == tag) return &e->msg->fields[i];
  return NULL;
}
