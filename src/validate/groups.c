/* Repeating groups walked with a dictionary: the codec's views, with O(1)
 * membership from the dictionary's scope tables instead of a scan of the
 * layout's tag list. */
#include <string.h>

#include "../codec/codec_internal.h" /* fixgw__entries_repeat */
#include "validate_internal.h"

/* Members seen in the current entry, by position: 16 words cover the
 * first 1024 members of a scope (every standard group has far fewer; a
 * member beyond that is not checked for repeats). `used` says which words
 * are dirty so a new entry clears only those. */
typedef struct seen {
  uint64_t w[16];
  uint32_t used;
} seen_t;

static inline void seen_clear(seen_t *s) {
  while (s->used) {
    unsigned i = (unsigned)__builtin_ctz(s->used);
    s->w[i] = 0;
    s->used &= s->used - 1;
  }
}

/* 1 if pos was already seen in this entry (and marks it). */
static inline int seen_test_set(seen_t *s, uint32_t pos) {
  if (pos >= 1024) return 0;
  uint64_t bit = 1ull << (pos & 63);
  uint32_t w = pos >> 6;
  if (s->w[w] & bit) return 1;
  s->w[w] |= bit;
  s->used |= 1u << w;
  return 0;
}

int fixgw__group_scan(const fixgw_dict_t *d, const fixgw_msg_t *m,
                      uint32_t gs, uint32_t at, uint32_t to, uint32_t depth,
                      uint32_t *end, uint32_t *count) {
  if (depth > m->max_group_depth_) return FIXGW_EGROUPDEPTH;
  uint64_t n;
  if (fixgw_to_uint(m->fields[at].val, m->fields[at].len, &n) != 0 ||
      n > UINT32_MAX)
    return FIXGW_EFORMAT;
  const fixgw_dict_scope_t *sc = &d->scopes[gs];
  const fixgw_dict_member_t *mb = d->members + sc->members;
  const uint32_t delim = d->layouts[gs].delim_tag;
  const fixgw_field_t *f = m->fields;
  seen_t seen;
  memset(&seen, 0, sizeof seen);
  uint32_t i = at + 1, entries = 0;
  while (i < to && f[i].tag == delim) {
    entries++;
    seen_clear(&seen);
    seen_test_set(&seen, 0);
    uint32_t start = i;
    int nested = 0;
    i++;
  more:
    while (i < to) {
      uint32_t t = f[i].tag;
      if (t == delim) break;
      int32_t pos = fixgw__scope_pos(d, sc, t);
      if (pos < 0) break;
      if (seen_test_set(&seen, (uint32_t)pos)) return FIXGW_EGROUPDELIM;
      if (mb[pos].flags & FIXGW_DICT_M_GROUP) {
        uint32_t e, c;
        int rc = fixgw__group_scan(d, m, mb[pos].group, i, to, depth + 1, &e, &c);
        if (rc) return rc;
        i = e;
        nested = 1;
        continue;
      }
      i++;
    }
    /* Entries that repeat the tags of this one, which held no nested
     * group, are as good: whole ones are taken a compare a field (as the
     * codec's fixgw_group_open does); the last may go on, and its members
     * seen are this one's, so the walk resumes in it. A nested group's
     * fields can repeat with other counts, so such entries are walked. */
    const uint32_t len = i - start;
    if (!nested && len > 1 && i < to && f[i].tag == delim &&
        fixgw__entries_repeat(f, &i, to, len, &entries)) {
      start = i - len;
      goto more;
    }
  }
  if (entries == 0 && n > 0) return FIXGW_EGROUPDELIM;
  if (entries != n) return FIXGW_EGROUPCOUNT;
  *end = i;
  *count = (uint32_t)n;
  return 0;
}

static int open_at(const fixgw_dict_t *d, const fixgw_msg_t *m, uint32_t gs,
                   uint32_t at, uint32_t to, uint32_t depth,
                   fixgw_group_t *g) {
  uint32_t end, count;
  int rc = fixgw__group_scan(d, m, gs, at, to, depth, &end, &count);
  if (rc) return rc;
  g->msg = m;
  g->layout = &d->layouts[gs];
  g->count = count;
  g->first = at + 1;
  g->end = end;
  g->depth = depth;
  g->next_ = at + 1;
  g->stride_ = 0;
  return 0;
}

/* The group scope of count_tag in scope s, or -1. */
static int32_t group_of(const fixgw_dict_t *d, uint32_t s, uint32_t count_tag) {
  const fixgw_dict_member_t *mb =
      fixgw_dict_scope_member(d, &d->scopes[s], count_tag);
  if (!mb || !(mb->flags & FIXGW_DICT_M_GROUP)) return -1;
  return mb->group;
}

int fixgw_dict_group_open(const fixgw_dict_t *d, const fixgw_msg_t *m,
                          uint32_t count_tag, fixgw_group_t *g) {
  if (!d || !m || !g || !m->fields) return FIXGW_EINVAL;
  const fixgw_dict_msg_t *dm = fixgw_dict_msg(d, m->msgtype.ptr, m->msgtype.len);
  if (!dm) return FIXGW_EINVAL;
  int32_t gs = group_of(d, dm->body, count_tag);
  if (gs < 0) gs = group_of(d, d->header, count_tag);
  if (gs < 0) gs = group_of(d, d->trailer, count_tag);
  if (gs < 0) return FIXGW_EINVAL;
  const fixgw_field_t *f = fixgw_msg_find(m, count_tag);
  if (!f) return FIXGW_ENOTFOUND;
  return open_at(d, m, (uint32_t)gs, (uint32_t)(f - m->fields), m->nfields, 1, g);
}

int fixgw_dict_group_open_nested(const fixgw_dict_t *d,
                                 const fixgw_group_t *parent,
                                 const fixgw_group_entry_t *e,
                                 uint32_t count_tag, fixgw_group_t *g) {
  if (!d || !parent || !e || !g || !parent->layout || !e->msg)
    return FIXGW_EINVAL;
  if (parent->layout < d->layouts || parent->layout >= d->layouts + d->nscopes)
    return FIXGW_EINVAL;
  int32_t gs = group_of(d, fixgw_dict_group_scope(d, parent), count_tag);
  if (gs < 0) return FIXGW_EINVAL;
  const fixgw_field_t *f = e->msg->fields;
  for (uint32_t i = e->first; i < e->end; i++)
    if (f[i].tag == count_tag)
      return open_at(d, e->msg, (uint32_t)gs, i, e->end, e->depth + 1, g);
  return FIXGW_ENOTFOUND;
}

int fixgw_dict_group_next(const fixgw_dict_t *d, fixgw_group_t *g,
                          fixgw_group_entry_t *e) {
  if (!d || !g || !e) return FIXGW_EINVAL;
  if (g->next_ >= g->end) return FIXGW_ENOTFOUND;
  const fixgw_group_layout_t *l = g->layout;
  const fixgw_field_t *f = g->msg->fields;
  const uint32_t delim = l->delim_tag;
  uint32_t i = g->next_ + 1;
  /* The group was checked whole at open: between two delimiters there are
   * only members, so only nested groups (whose entries may hold any tag,
   * the delimiter included) need the dictionary. */
  if (l->nnested == 0) {
    while (i < g->end && f[i].tag != delim) i++;
  } else {
    uint32_t gs = fixgw_dict_group_scope(d, g);
    while (i < g->end) {
      uint32_t t = f[i].tag;
      if (t == delim) break;
      const fixgw_group_layout_t *sub = NULL;
      for (uint32_t k = 0; k < l->nnested; k++)
        if (l->nested[k]->count_tag == t) sub = l->nested[k];
      if (!sub) {
        i++;
        continue;
      }
      int32_t ns = group_of(d, gs, t);
      uint32_t end, count;
      int rc = ns < 0 ? FIXGW_EINVAL
                      : fixgw__group_scan(d, g->msg, (uint32_t)ns, i, g->end,
                                          g->depth + 1, &end, &count);
      if (rc) return rc;
      i = end;
    }
  }
  fixgw__entry_take(g, e, i);
  return 0;
}
