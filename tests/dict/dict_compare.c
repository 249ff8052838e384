#include "dict_compare.h"

#include <stdio.h>
#include <string.h>

#define DIFF(...)                   \
  do {                              \
    snprintf(why, n, __VA_ARGS__);  \
    return 1;                       \
  } while (0)

static int str_eq(const fixgw_dict_t *a, uint32_t x, const fixgw_dict_t *b,
                  uint32_t y) {
  return x < a->strings_len && y < b->strings_len &&
         strcmp(a->strings + x, b->strings + y) == 0;
}

static int layout_eq(const fixgw_dict_t *a, const fixgw_group_layout_t *x,
                     const fixgw_dict_t *b, const fixgw_group_layout_t *y) {
  if (x->count_tag != y->count_tag || x->delim_tag != y->delim_tag ||
      x->ntags != y->ntags || x->nnested != y->nnested)
    return 0;
  if (x->ntags && memcmp(x->tags, y->tags, x->ntags * sizeof *x->tags) != 0)
    return 0;
  for (uint32_t i = 0; i < x->nnested; i++)
    if (x->nested[i] - a->layouts != y->nested[i] - b->layouts) return 0;
  return 1;
}

int fixgw_t_dict_compare(const fixgw_dict_t *a, const fixgw_dict_t *b,
                         char *why, size_t n) {
#define SAME(m)                                                   \
  do {                                                            \
    if (a->m != b->m)                                             \
      DIFF(#m ": %llu != %llu", (unsigned long long)a->m,         \
           (unsigned long long)b->m);                             \
  } while (0);
  SAME(major) SAME(minor) SAME(servicepack) SAME(transport) SAME(header)
  SAME(trailer) SAME(nfields) SAME(nvalues) SAME(nmsgs) SAME(nscopes)
  SAME(ngroups) SAME(nmembers) SAME(nslots) SAME(ntag_direct)
  SAME(msg_slot_bits) SAME(ndata_pairs)
#undef SAME
  for (uint32_t i = 0; i < a->nfields; i++) {
    const fixgw_dict_field_t *x = &a->fields[i], *y = &b->fields[i];
    if (x->tag != y->tag || x->values != y->values ||
        x->nvalues != y->nvalues || x->type != y->type ||
        !str_eq(a, x->name, b, y->name))
      DIFF("field %u (tag %u / %u) differs", i, x->tag, y->tag);
  }
  for (uint32_t i = 0; i < a->nvalues; i++) {
    const fixgw_dict_value_t *x = &a->values[i], *y = &b->values[i];
    if (x->key != y->key || !str_eq(a, x->value, b, y->value) ||
        !str_eq(a, x->desc, b, y->desc))
      DIFF("enum value %u ('%s' / '%s') differs", i, a->strings + x->value,
           b->strings + y->value);
  }
  for (uint32_t i = 0; i < a->nmsgs; i++) {
    const fixgw_dict_msg_t *x = &a->msgs[i], *y = &b->msgs[i];
    if (x->key != y->key || x->body != y->body ||
        x->msgtype_len != y->msgtype_len || x->category != y->category ||
        !str_eq(a, x->name, b, y->name) || !str_eq(a, x->msgtype, b, y->msgtype))
      DIFF("message %u (%s / %s) differs", i, a->strings + x->msgtype,
           b->strings + y->msgtype);
  }
  if (memcmp(a->scopes, b->scopes, a->nscopes * sizeof *a->scopes) != 0)
    DIFF("scopes differ");
  if (memcmp(a->members, b->members, a->nmembers * sizeof *a->members) != 0)
    DIFF("members differ");
  if (memcmp(a->slots, b->slots, a->nslots * sizeof *a->slots) != 0)
    DIFF("scope slots differ");
  if (memcmp(a->tag_direct, b->tag_direct,
             a->ntag_direct * sizeof *a->tag_direct) != 0)
    DIFF("tag index differs");
  if (memcmp(a->msg_slots, b->msg_slots,
             (1u << a->msg_slot_bits) * sizeof *a->msg_slots) != 0)
    DIFF("message slots differ");
  if (memcmp(a->data_pairs, b->data_pairs,
             a->ndata_pairs * sizeof *a->data_pairs) != 0)
    DIFF("data pairs differ");
  for (uint32_t i = 0; i < a->nscopes; i++)
    if (!layout_eq(a, &a->layouts[i], b, &b->layouts[i]))
      DIFF("layout of scope %u differs", i);
  return 0;
}

int fixgw_t_dict_check(const fixgw_dict_t *d, char *why, size_t n) {
  if (d->strings_len == 0 || d->strings[d->strings_len - 1] != 0)
    DIFF("string pool not NUL-terminated");
  for (uint32_t i = 0; i < d->nfields; i++) {
    const fixgw_dict_field_t *f = &d->fields[i];
    if (i && d->fields[i - 1].tag >= f->tag) DIFF("fields not sorted at %u", i);
    if (f->type == FIXGW_FT_UNKNOWN || f->type >= FIXGW_FT_COUNT_)
      DIFF("field %u has type %u", f->tag, f->type);
    if (fixgw_dict_field_index(d, f->tag) != (int32_t)i ||
        fixgw_dict_field(d, f->tag) != f)
      DIFF("tag %u not found at its index", f->tag);
    if (fixgw_dict_field_by_name(d, d->strings + f->name) != f)
      DIFF("field %s not found by name", d->strings + f->name);
    if (f->nvalues && (uint64_t)f->values + f->nvalues > d->nvalues)
      DIFF("field %u values out of range", f->tag);
    for (uint32_t j = 0; j < f->nvalues; j++) {
      const fixgw_dict_value_t *v = &d->values[f->values + j];
      const char *s = d->strings + v->value;
      if (j && v[-1].key > v->key) DIFF("values of %u not sorted", f->tag);
      if (v->key != fixgw_dict_key(s, strlen(s)))
        DIFF("value '%s' of %u has a wrong key", s, f->tag);
      if (fixgw_dict_value(d, f, s, strlen(s)) != v)
        DIFF("value '%s' of %u not found", s, f->tag);
    }
  }
  /* Tags that are not defined are not found. */
  for (uint32_t t = 0; t < d->ntag_direct + 64; t++) {
    int32_t i = fixgw_dict_field_index(d, t);
    if (i >= 0 && d->fields[i].tag != t) DIFF("tag %u maps to %u", t, d->fields[i].tag);
    if (i < 0) {
      for (uint32_t j = 0; j < d->nfields; j++)
        if (d->fields[j].tag == t) DIFF("defined tag %u not found", t);
    }
  }
  uint64_t slots = 0, members = 0, groups = 0;
  for (uint32_t s = 0; s < d->nscopes; s++) {
    const fixgw_dict_scope_t *sc = &d->scopes[s];
    uint32_t cap = 1u << sc->slot_bits, req = 0;
    if (sc->slots != slots || sc->members != members)
      DIFF("scope %u not laid out contiguously", s);
    if (sc->slot_bits < 1 || 3u * sc->nmembers > 2u * cap)
      DIFF("scope %u table too full", s);
    slots += cap;
    members += sc->nmembers;
    const fixgw_group_layout_t *ly = &d->layouts[s];
    uint32_t nested = 0;
    for (uint32_t j = 0; j < sc->nmembers; j++) {
      const fixgw_dict_member_t *m = &d->members[sc->members + j];
      if (m->field >= d->nfields) DIFF("scope %u member %u field range", s, j);
      if (fixgw_dict_scope_find(d, sc, m->field) != (int32_t)j)
        DIFF("scope %u member %u not found by hash", s, j);
      if (fixgw_dict_scope_member(d, sc, d->fields[m->field].tag) != m)
        DIFF("scope %u member %u not found by tag", s, j);
      req += (m->flags & FIXGW_DICT_M_REQUIRED) != 0;
      if (m->flags & FIXGW_DICT_M_GROUP) {
        if (m->group >= d->nscopes ||
            d->scopes[m->group].kind != FIXGW_DICT_SCOPE_GROUP ||
            d->scopes[m->group].count_field != m->field)
          DIFF("scope %u member %u names a wrong group", s, j);
        if (nested >= ly->nnested || ly->nested[nested] != &d->layouts[m->group])
          DIFF("layout %u nested %u wrong", s, nested);
        nested++;
      } else if (m->group != FIXGW_DICT_NONE) {
        DIFF("scope %u member %u has a group but no flag", s, j);
      }
    }
    if (nested != ly->nnested) DIFF("layout %u nests %u, not %u", s, ly->nnested, nested);
    if (req != sc->nrequired) DIFF("scope %u nrequired", s);
    if (sc->kind == FIXGW_DICT_SCOPE_GROUP) {
      groups++;
      if (sc->nmembers == 0) DIFF("group scope %u is empty", s);
      if (ly->count_tag != d->fields[sc->count_field].tag ||
          ly->delim_tag != d->fields[d->members[sc->members].field].tag ||
          ly->ntags != sc->nmembers || ly->tags[0] != ly->delim_tag)
        DIFF("group layout %u does not match its scope", s);
      for (uint32_t j = 0; j < sc->nmembers; j++)
        if (ly->tags[j] != d->fields[d->members[sc->members + j].field].tag)
          DIFF("group layout %u tag %u", s, j);
    } else if (ly->ntags != 0 || ly->count_tag != 0) {
      DIFF("non-group layout %u lists tags", s);
    }
    /* No field outside the scope is found in it. */
    for (uint32_t f = 0; f < d->nfields; f += 7) {
      int32_t j = fixgw_dict_scope_find(d, sc, f);
      if (j >= 0 && d->members[sc->members + (uint32_t)j].field != f)
        DIFF("scope %u finds a wrong member", s);
    }
  }
  if (slots != d->nslots || members != d->nmembers || groups != d->ngroups)
    DIFF("scope totals differ from the counts");
  if (d->scopes[d->header].kind != FIXGW_DICT_SCOPE_HEADER ||
      d->scopes[d->trailer].kind != FIXGW_DICT_SCOPE_TRAILER)
    DIFF("header/trailer scope kinds");
  for (uint32_t i = 0; i < d->nmsgs; i++) {
    const fixgw_dict_msg_t *m = &d->msgs[i];
    const char *mt = d->strings + m->msgtype;
    if (strlen(mt) != m->msgtype_len) DIFF("msgtype_len of %s", mt);
    if (fixgw_dict_msg(d, mt, m->msgtype_len) != m) DIFF("message %s not found", mt);
    if (m->body >= d->nscopes || d->scopes[m->body].kind != FIXGW_DICT_SCOPE_BODY)
      DIFF("message %s body scope", mt);
  }
  for (uint32_t i = 0; i < d->ndata_pairs; i++) {
    const fixgw_dict_field_t *l = fixgw_dict_field(d, d->data_pairs[i].len_tag);
    const fixgw_dict_field_t *v = fixgw_dict_field(d, d->data_pairs[i].data_tag);
    if (!l || !v || l->type != FIXGW_FT_LENGTH ||
        (v->type != FIXGW_FT_DATA && v->type != FIXGW_FT_XMLDATA))
      DIFF("data pair %u", i);
    if (i && d->data_pairs[i - 1].len_tag > d->data_pairs[i].len_tag)
      DIFF("data pairs not sorted");
  }
  return 0;
}
