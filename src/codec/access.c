/* Field access on a parsed message and dictionary-free group walking. */
#include "codec_internal.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

const fixgw_field_t *fixgw__msg_find_slow(const fixgw_msg_t *m, uint32_t tag) {
  for (uint32_t i = 0; i < m->nfields; i++)
    if (m->fields[i].tag == tag) return &m->fields[i];
  return NULL;
}

/* Sequence numbers and counts: up to 8 digits in one word. */
int fixgw__uint_padded(const char *s, size_t n, uint64_t *out) {
  uint64_t v;
  if (n - 1 < 8) {
    if (fixgw__digits_swar(fixgw__load_le64(s), (unsigned)n, &v)) return FIXGW_EFORMAT;
    *out = v;
    return 0;
  }
  return fixgw_to_uint(s, n, out);
}

/* The first k with tags[k] == t, or nt: eight tags a step where SSE2 is
 * (every x86-64), the loop below alone elsewhere and for the tail. */
static inline uint32_t tag_index(const uint32_t *tags, uint32_t nt, uint32_t t) {
  uint32_t k = 0;
#ifdef __SSE2__
  const __m128i want = _mm_set1_epi32((int)t);
  for (; k + 8 <= nt; k += 8) {
    __m128i a = _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(tags + k)), want);
    __m128i b =
        _mm_cmpeq_epi32(_mm_loadu_si128((const __m128i *)(const void *)(tags + k + 4)), want);
    int hit = _mm_movemask_epi8(_mm_packs_epi32(a, b)); /* two bits a tag */
    if (hit) return k + (uint32_t)__builtin_ctz((unsigned)hit) / 2;
  }
#endif
  while (k < nt && tags[k] != t) k++;
  return k;
}

static int is_member(const fixgw_group_layout_t *l, uint32_t tag) {
  return tag_index(l->tags, l->ntags, tag) < l->ntags;
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

/* Flat entries (the common case): one pass over fields [i, to), one loop
 * for the entries and their fields alike. An entry's fields mostly come
 * in the layout's order, so the member after the previous one (the
 * delimiter's successor at an entry's start) is the one expected: one
 * compare a field while the order holds, a search of the layout only
 * when it does not. Returns the group's end; *entries counts them. */
static uint32_t walk_flat(const fixgw_field_t *f, uint32_t i, uint32_t to,
                          const fixgw_group_layout_t *l, uint32_t *entries) {
  const uint32_t delim = l->delim_tag, *tags = l->tags, nt = l->ntags;
  const fixgw_field_t *p = f + i, *stop = f + to;
  uint32_t n = 0, next = 1; /* next: index in tags of the member expected */
  if (p < stop && p->tag == delim) {
    n = 1;
    for (p++; p < stop; p++) {
      uint32_t t = p->tag;
      if (t == delim) {
        n++;
        next = 1;
      } else if (next < nt && tags[next] == t) {
        next++;
      } else if (next + 1 < nt && tags[next + 1] == t) {
        next += 2; /* an optional member left out */
      } else {
        uint32_t k = tag_index(tags, nt, t);
        if (k == nt) break; /* not a member: the group ends */
        next = k + 1;
      }
    }
  }
  *entries = n;
  return (uint32_t)(p - f);
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
  int rc = fixgw_to_uint(m->fields[at].val, m->fields[at].len, &count);
  if (rc) return FIXGW_EFORMAT;

  uint32_t i = at + 1, entries = 0;
  const fixgw_field_t *f = m->fields;
  const uint32_t delim = l->delim_tag;
  if (l->nnested == 0) {
    i = walk_flat(f, i, to, l, &entries);
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
  return 0;
}

/* group_next for layouts with nested groups, out of the flat path's way
 * (it needs a frame the flat one does not). */
static __attribute__((noinline)) int next_nested(fixgw_group_t *g, fixgw_group_entry_t *e) {
  uint32_t end;
  /* The group was checked whole at open: this cannot fail now. */
  int rc = entry_end(g->msg, g->layout, g->next_, g->end, g->depth, &end);
  if (rc) return rc;
  e->msg = g->msg;
  e->first = g->next_;
  e->end = end;
  e->depth = g->depth;
  g->next_ = end;
  return 0;
}

int fixgw_group_next(fixgw_group_t *g, fixgw_group_entry_t *e) {
  if (!g || !e) return FIXGW_EINVAL;
  if (g->next_ >= g->end) return FIXGW_ENOTFOUND;
  const fixgw_group_layout_t *l = g->layout;
  if (l->nnested) return next_nested(g, e);
  /* Open checked the whole group, so without nested groups an entry runs
   * to the next delimiter (or the group's end): one compare a field
   * instead of the membership test. Pointers, not g's members, in the
   * loop: a tag and the cursor are both uint32_t, so the compiler would
   * reload the cursor after every field. */
  const fixgw_field_t *f = g->msg->fields;
  const fixgw_field_t *p = f + g->next_ + 1, *stop = f + g->end;
  const uint32_t delim = l->delim_tag;
  while (p < stop && p->tag != delim) p++;
  uint32_t end = (uint32_t)(p - f);
  e->msg = g->msg;
  e->first = g->next_;
  e->end = end;
  e->depth = g->depth;
  g->next_ = end;
  return 0;
}

const fixgw_field_t *fixgw_entry_find(const fixgw_group_entry_t *e, uint32_t tag) {
  for (uint32_t i = e->first; i < e->end; i++)
    if (e->msg->fields[i].tag == tag) return &e->msg->fields[i];
  return NULL;
}
