/* Acceptor routing: a bounded peek at the first message's header, and a
 * fixed-size table from session ids to the host's sessions.
 *
 * The peek cannot use fixgw_parse(): that needs an initialised parser (an
 * allocation) and the whole message, while routing wants an answer as
 * soon as the header is in, from a caller that owns nothing yet. So it is
 * a small scanner of its own that walks 8, 9, 35 and then the header
 * fields, deciding everything from the bytes seen so far: a prefix that
 * yields an answer yields the same answer when more bytes follow. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fixgw/router.h"
#include "fixgw/session.h"
#include "internal.h"

#define PEEK_DEFAULT_LIMIT 4096u

/* Internal result of a field read: the bytes ran out before a decision. */
#define RUN_OUT 1

static const char empty_value[1] = "";

static void key_clear(fixgw_route_key_t *k) {
  fixgw_str_t e = {empty_value, 0};
  k->version = FIXGW_V_UNKNOWN;
  k->sender_comp_id = e;
  k->sender_sub_id = e;
  k->sender_location_id = e;
  k->target_comp_id = e;
  k->target_sub_id = e;
  k->target_location_id = e;
  k->msgtype = e;
}

/* Tags that may stand in a standard header of any version from FIX.4.0
 * to FIXT.1.1 (8, 9 and 35 are placed, not scanned for), plus the
 * user-defined ranges, since venues put their own tags in the header. A
 * tag outside this set ends the header. */
static bool header_tag(uint32_t tag) {
  switch (tag) {
    case 34: case 43: case 49: case 50: case 52: case 56: case 57:
    case 90: case 91: case 97: case 115: case 116: case 122: case 128:
    case 129: case 142: case 143: case 144: case 145: case 212: case 213:
    case 347: case 369: case 370: case 627: case 628: case 629: case 630:
    case 1128: case 1129: case 1156:
      return true;
    default:
      return tag >= 5000 && tag <= 39999;
  }
}

/* One "tag=value" SOH at buf[pos], within buf[0..end). end_is_msg says end
 * is where BodyLength ends the body (the field cannot go on), rather than
 * where the bytes stop. With want_value false the value is not looked at
 * (a field that ends the header needs only its tag). Returns 0, RUN_OUT
 * or a parse error. */
static int read_field(const char *buf, size_t pos, size_t end, bool end_is_msg,
                      bool want_value, uint32_t *tag, size_t *val, size_t *vend) {
  size_t q = pos;
  uint32_t t = 0;
  while (q < end && q - pos < 10) {
    unsigned d = (unsigned)(unsigned char)buf[q] - '0';
    if (d > 9) break;
    t = t * 10 + d;
    q++;
  }
  if ((q > pos && buf[pos] == '0') || q - pos > 9) return FIXGW_ETAG;
  if (q == end) return end_is_msg ? FIXGW_ENOSOH : RUN_OUT;
  if (q == pos) return FIXGW_ETAG;
  if (buf[q] == FIXGW_SOH) return FIXGW_ENOEQUALS;
  if (buf[q] != '=') return FIXGW_ETAG;
  *tag = t;
  *val = q + 1;
  if (!want_value) return 0;
  const char *soh = memchr(buf + q + 1, FIXGW_SOH, end - (q + 1));
  if (!soh) return end_is_msg ? FIXGW_ENOSOH : RUN_OUT;
  *vend = (size_t)(soh - buf);
  if (*vend == *val) return FIXGW_EEMPTYVALUE;
  return 0;
}

/* 8=<known BeginString> SOH at the front. Returns 0 with the version and
 * the offset after the SOH, RUN_OUT, or FIXGW_EBEGINSTRING. */
static int read_begin_string(const char *buf, size_t n, fixgw_version *v,
                             size_t *next) {
  static const char lead[] = "8=FIX";
  size_t k = n < 5 ? n : 5;
  if (memcmp(buf, lead, k) != 0) return FIXGW_EBEGINSTRING;
  if (n < 5) return RUN_OUT;
  /* No BeginString is longer than 8 bytes, so its SOH is within 9. */
  size_t have = n - 2 < 9 ? n - 2 : 9;
  const char *soh = memchr(buf + 2, FIXGW_SOH, have);
  if (!soh) {
    if (have == 9) return FIXGW_EBEGINSTRING;
    for (int i = FIXGW_V_FIX40; i < FIXGW_V_COUNT_; i++) {
      const char *s = fixgw_version_string((fixgw_version)i);
      if (s && have <= strlen(s) && memcmp(buf + 2, s, have) == 0) return RUN_OUT;
    }
    return FIXGW_EBEGINSTRING;
  }
  size_t bslen = (size_t)(soh - (buf + 2));
  *v = fixgw_version_from_string(buf + 2, bslen);
  if (*v == FIXGW_V_UNKNOWN) return FIXGW_EBEGINSTRING;
  *next = 2 + bslen + 1;
  return 0;
}

/* 9=<digits> SOH at buf[i], the parser's rules: leading zeros allowed
 * (FIX's Length type), at most 15 digits. Returns 0 with the length and
 * the offset after the SOH, RUN_OUT, or FIXGW_EBODYLENGTH. */
static int read_body_length(const char *buf, size_t i, size_t n, uint64_t *bl,
                            size_t *next) {
  if (i < n && buf[i] != '9') return FIXGW_EBODYLENGTH;
  if (i + 1 < n && buf[i + 1] != '=') return FIXGW_EBODYLENGTH;
  if (i + 2 > n) return RUN_OUT;
  size_t d0 = i + 2, q = d0;
  while (q < n && buf[q] != FIXGW_SOH) {
    unsigned d = (unsigned)(unsigned char)buf[q] - '0';
    if (d > 9 || q - d0 >= 15) return FIXGW_EBODYLENGTH;
    q++;
  }
  if (q == n) return RUN_OUT;
  /* 0 cannot be: MsgType is inside the body. */
  if (q == d0 || fixgw_to_uint(buf + d0, q - d0, bl) != 0 || *bl == 0) return FIXGW_EBODYLENGTH;
  *next = q + 1;
  return 0;
}

/* Which of the wanted header fields a tag fills, as its bit; 0 for none. */
enum {
  W_SENDER = 1, /* its 49 -> our target */
  W_TARGET = 2, /* its 56 -> our sender */
  W_SENDER_SUB = 4,
  W_TARGET_SUB = 8,
  W_SENDER_LOC = 16,
  W_TARGET_LOC = 32,
  W_ALL = 63
};

static fixgw_str_t *wanted_slot(fixgw_route_key_t *k, uint32_t tag, unsigned *bit) {
  switch (tag) {
    case 49: *bit = W_SENDER; return &k->target_comp_id;
    case 56: *bit = W_TARGET; return &k->sender_comp_id;
    case 50: *bit = W_SENDER_SUB; return &k->target_sub_id;
    case 57: *bit = W_TARGET_SUB; return &k->sender_sub_id;
    case 142: *bit = W_SENDER_LOC; return &k->target_location_id;
    case 143: *bit = W_TARGET_LOC; return &k->sender_location_id;
    default: *bit = 0; return NULL;
  }
}

static int peek(const char *buf, size_t n, fixgw_route_key_t *k) {
  size_t i;
  int rc = read_begin_string(buf, n, &k->version, &i);
  if (rc) return rc;
  uint64_t bl;
  rc = read_body_length(buf, i, n, &bl, &i);
  if (rc) return rc;

  /* Fields past the body BodyLength gives belong to the trailer or to the
   * next message; the header scan never looks there. */
  const uint64_t body_end = (uint64_t)i + bl;
  const bool msg_in = body_end <= n;
  const size_t end = msg_in ? (size_t)body_end : n;

  uint32_t tag;
  size_t v, vend;
  /* The tag alone decides EMSGTYPE, before its value is all there. */
  rc = read_field(buf, i, end, msg_in, false, &tag, &v, &vend);
  if (rc) return rc;
  if (tag != 35) return FIXGW_EMSGTYPE;
  rc = read_field(buf, i, end, msg_in, true, &tag, &v, &vend);
  if (rc) return rc;
  k->msgtype.ptr = buf + v;
  k->msgtype.len = vend - v;
  i = vend + 1;

  unsigned seen = 0;
  uint32_t data_tag = 0; /* announced by the length field just read */
  uint64_t data_len = 0;
  while (seen != W_ALL && i < end) {
    rc = read_field(buf, i, end, msg_in, false, &tag, &v, &vend);
    if (rc) return rc;
    if (!header_tag(tag)) break;
    if (data_tag != 0 && tag == data_tag) {
      /* SecureData and XmlData may hold SOH: their length says where they end. */
      if (data_len >= end - v) {
        if (msg_in || data_len >= body_end - v) return FIXGW_EDATALEN;
        return RUN_OUT;
      }
      vend = v + (size_t)data_len;
      if (buf[vend] != FIXGW_SOH) return FIXGW_EDATALEN;
      if (vend == v) return FIXGW_EEMPTYVALUE;
      data_tag = 0;
    } else {
      rc = read_field(buf, i, end, msg_in, true, &tag, &v, &vend);
      if (rc) return rc;
      data_tag = 0;
      if (tag == 90 || tag == 212) {
        if (fixgw_to_uint(buf + v, vend - v, &data_len) != 0) return FIXGW_EDATALEN;
        data_tag = tag + 1;
      }
      unsigned bit;
      fixgw_str_t *slot = wanted_slot(k, tag, &bit);
      /* A repeated field keeps its first value, as fixgw_msg_find() does. */
      if (slot && !(seen & bit)) {
        slot->ptr = buf + v;
        slot->len = vend - v;
        seen |= bit;
      }
    }
    i = vend + 1;
  }
  if (seen != W_ALL && i >= end && !msg_in) return RUN_OUT;
  if ((seen & (W_SENDER | W_TARGET)) != (W_SENDER | W_TARGET)) return FIXGW_ENOTFOUND;
  return 0;
}

int fixgw_route_peek(const char *buf, size_t len, size_t limit,
                     fixgw_route_key_t *key) {
  if (!key) return FIXGW_EINVAL;
  key_clear(key);
  if (!buf && len) return FIXGW_EINVAL;
  if (limit == 0) limit = PEEK_DEFAULT_LIMIT;
  size_t n = len < limit ? len : limit;
  fixgw_route_key_t k;
  key_clear(&k);
  int rc = n ? peek(buf, n, &k) : RUN_OUT;
  if (rc == RUN_OUT) return len < limit ? FIXGW_EAGAIN : FIXGW_ETOOBIG;
  if (rc == 0) *key = k;
  return rc;
}

/* ------------------------------------------------------------- router */

/* The six CompID/Sub/Location fields in one fixed order, for hashing and
 * comparing ids and keys alike. */
#define NFIELDS 6

typedef struct route_entry {
  fixgw_session_id_t id;
  void *target;
  uint64_t hash;
  uint8_t len[NFIELDS];
} route_entry_t;

/* An index slot: entry number + 1 (0: empty) and the hash's low bits, so
 * a probe rarely touches an entry that is not the one sought. */
typedef struct route_slot {
  uint32_t entry1;
  uint32_t hash;
} route_slot_t;

typedef struct route_tmpl {
  fixgw_session_id_t pat;
  void *target;
  uint8_t len[NFIELDS];
  uint8_t any; /* bit f: field f is "*" */
} route_tmpl_t;

struct fixgw_router {
  fixgw_allocator_t alloc;
  uint32_t capacity;
  uint32_t count;
  uint32_t mask; /* slots - 1 */
  uint32_t ntmpl;
  route_entry_t *entries; /* dense: [0, count) */
  route_slot_t *slots;
  route_tmpl_t tmpl[FIXGW_ROUTER_TEMPLATES_MAX];
};

static const char *id_field_c(const fixgw_session_id_t *id, int f) {
  switch (f) {
    case 0: return id->sender_comp_id;
    case 1: return id->sender_sub_id;
    case 2: return id->sender_location_id;
    case 3: return id->target_comp_id;
    case 4: return id->target_sub_id;
    default: return id->target_location_id;
  }
}

static char *id_field(fixgw_session_id_t *id, int f) {
  return (char *)(uintptr_t)id_field_c(id, f);
}

static void key_fields(const fixgw_route_key_t *k, fixgw_str_t v[NFIELDS]) {
  v[0] = k->sender_comp_id;
  v[1] = k->sender_sub_id;
  v[2] = k->sender_location_id;
  v[3] = k->target_comp_id;
  v[4] = k->target_sub_id;
  v[5] = k->target_location_id;
}

static bool version_ok(fixgw_version v) {
  return v >= FIXGW_V_FIX40 && v < FIXGW_V_COUNT_;
}

static bool is_any(const char *s, size_t n) { return n == 1 && s[0] == '*'; }

/* The id's fields as views; false unless each is NUL-terminated inside
 * its array. */
static bool id_fields(const fixgw_session_id_t *id, fixgw_str_t v[NFIELDS]) {
  for (int f = 0; f < NFIELDS; f++) {
    const char *s = id_field_c(id, f);
    const char *z = memchr(s, 0, FIXGW_COMPID_MAX + 1);
    if (!z) return false;
    v[f].ptr = s;
    v[f].len = (size_t)(z - s);
  }
  return true;
}

/* FNV-1a over the version and each field followed by its length (so field
 * boundaries count), then a 64-bit finaliser so the low bits used for the
 * slot depend on every byte. The table holds host-chosen ids only, so a
 * peer choosing keys can at worst probe the longest existing cluster. */
static uint64_t hash_fields(fixgw_version ver, const fixgw_str_t v[NFIELDS]) {
  uint64_t h = 0xcbf29ce484222325ULL;
  h = (h ^ (uint64_t)ver) * 0x100000001b3ULL;
  for (int f = 0; f < NFIELDS; f++) {
    const unsigned char *p = (const unsigned char *)v[f].ptr;
    for (size_t i = 0; i < v[f].len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    h = (h ^ (0x100u | v[f].len)) * 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

static bool view_eq(const char *s, size_t n, fixgw_str_t v) {
  return n == v.len && (n == 0 || memcmp(s, v.ptr, n) == 0);
}

static bool entry_eq(const route_entry_t *e, fixgw_version ver,
                     const fixgw_str_t v[NFIELDS]) {
  if (e->id.version != ver) return false;
  for (int f = 0; f < NFIELDS; f++)
    if (!view_eq(id_field_c(&e->id, f), e->len[f], v[f])) return false;
  return true;
}

/* The slot holding an entry equal to (ver, v), or the empty slot where
 * the probe ended (entry1 == 0 there). */
static uint32_t probe(const fixgw_router_t *r, uint64_t h, fixgw_version ver,
                      const fixgw_str_t v[NFIELDS]) {
  uint32_t i = (uint32_t)h & r->mask;
  for (;;) {
    const route_slot_t *s = &r->slots[i];
    if (s->entry1 == 0) return i;
    if (s->hash == (uint32_t)h && entry_eq(&r->entries[s->entry1 - 1], ver, v)) return i;
    i = (i + 1) & r->mask;
  }
}

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

int fixgw_router_create(uint32_t capacity, const fixgw_allocator_t *a,
                        fixgw_router_t **out) {
  if (!out) return FIXGW_EINVAL;
  *out = NULL;
  if (capacity > FIXGW_ROUTER_CAPACITY_MAX) return FIXGW_EINVAL;
  /* Where size_t is 32 bits, a large capacity cannot be sized at all. */
  if ((uint64_t)capacity * (sizeof(route_entry_t) + 2 * sizeof(route_slot_t)) >
      SIZE_MAX / 2)
    return FIXGW_ENOMEM;
  /* At most half full, so an unsuccessful probe stays short. */
  uint32_t slots = 4;
  while (slots < 2 * (uint64_t)capacity) slots *= 2;
  const size_t al = _Alignof(route_entry_t);
  size_t off_entries = align_up(sizeof(fixgw_router_t), al);
  size_t off_slots = align_up(off_entries + (size_t)capacity * sizeof(route_entry_t),
                              _Alignof(route_slot_t));
  size_t total = off_slots + (size_t)slots * sizeof(route_slot_t);
  char *mem = fixgw__alloc(a, total);
  if (!mem) return FIXGW_ENOMEM;
  fixgw_router_t *r = (fixgw_router_t *)(void *)mem;
  memset(r, 0, sizeof *r);
  if (a) r->alloc = *a;
  r->capacity = capacity;
  r->mask = slots - 1;
  r->entries = (route_entry_t *)(void *)(mem + off_entries);
  r->slots = (route_slot_t *)(void *)(mem + off_slots);
  memset(r->slots, 0, (size_t)slots * sizeof(route_slot_t));
  *out = r;
  return 0;
}

void fixgw_router_destroy(fixgw_router_t *r) {
  if (!r) return;
  fixgw_allocator_t a = r->alloc;
  fixgw__free(&a, r);
}

uint32_t fixgw_router_count(const fixgw_router_t *r) { return r ? r->count : 0; }

/* A valid exact id: see fixgw_router_add(). */
static bool exact_id(const fixgw_session_id_t *id, fixgw_str_t v[NFIELDS]) {
  if (!version_ok(id->version) || !id_fields(id, v)) return false;
  if (v[0].len == 0 || v[3].len == 0) return false;
  for (int f = 0; f < NFIELDS; f++)
    if (is_any(v[f].ptr, v[f].len)) return false;
  return true;
}

int fixgw_router_add(fixgw_router_t *r, const fixgw_session_id_t *id,
                     void *target) {
  fixgw_str_t v[NFIELDS];
  if (!r || !id || !exact_id(id, v)) return FIXGW_EINVAL;
  uint64_t h = hash_fields(id->version, v);
  uint32_t s = probe(r, h, id->version, v);
  if (r->slots[s].entry1 != 0) return FIXGW_EINVAL;
  if (r->count == r->capacity) return FIXGW_EFULL;
  route_entry_t *e = &r->entries[r->count];
  /* Copy field by field, zero-filled, so no byte past a NUL carries the
   * caller's leftovers into the table. */
  memset(&e->id, 0, sizeof e->id);
  e->id.version = id->version;
  for (int f = 0; f < NFIELDS; f++) {
    memcpy(id_field(&e->id, f), v[f].ptr, v[f].len);
    e->len[f] = (uint8_t)v[f].len;
  }
  e->target = target;
  e->hash = h;
  r->count++;
  r->slots[s].entry1 = r->count;
  r->slots[s].hash = (uint32_t)h;
  return 0;
}

/* Empty slot i by backward shift: later members of its cluster move up
 * unless that would put them before their home slot. No tombstones, so a
 * long-lived router with churn never slows down. */
static void slot_delete(fixgw_router_t *r, uint32_t i) {
  uint32_t j = i;
  for (;;) {
    j = (j + 1) & r->mask;
    route_slot_t *sj = &r->slots[j];
    if (sj->entry1 == 0) break;
    uint32_t home = (uint32_t)r->entries[sj->entry1 - 1].hash & r->mask;
    /* Movable when home is not cyclically inside (i, j]. */
    bool inside = i <= j ? (home > i && home <= j) : (home > i || home <= j);
    if (inside) continue;
    r->slots[i] = *sj;
    i = j;
  }
  r->slots[i].entry1 = 0;
  r->slots[i].hash = 0;
}

int fixgw_router_remove(fixgw_router_t *r, const fixgw_session_id_t *id) {
  fixgw_str_t v[NFIELDS];
  if (!r || !id || !exact_id(id, v)) return FIXGW_EINVAL;
  uint32_t s = probe(r, hash_fields(id->version, v), id->version, v);
  if (r->slots[s].entry1 == 0) return FIXGW_ENOTFOUND;
  uint32_t gone = r->slots[s].entry1 - 1;
  slot_delete(r, s);
  /* Keep entries dense: the last one fills the hole, and its slot is
   * repointed (found by its stored hash, so no field is re-read). */
  uint32_t last = r->count - 1;
  if (gone != last) {
    route_entry_t *le = &r->entries[last];
    uint32_t i = (uint32_t)le->hash & r->mask;
    while (r->slots[i].entry1 != last + 1) i = (i + 1) & r->mask;
    r->slots[i].entry1 = gone + 1;
    r->entries[gone] = *le;
  }
  r->count = last;
  return 0;
}

int fixgw_router_add_template(fixgw_router_t *r,
                              const fixgw_session_id_t *pattern, void *tmpl) {
  fixgw_str_t v[NFIELDS];
  if (!r || !pattern || !version_ok(pattern->version) || !id_fields(pattern, v))
    return FIXGW_EINVAL;
  if (v[0].len == 0 || v[3].len == 0) return FIXGW_EINVAL;
  for (uint32_t t = 0; t < r->ntmpl; t++) {
    const route_tmpl_t *o = &r->tmpl[t];
    bool same = o->pat.version == pattern->version;
    for (int f = 0; same && f < NFIELDS; f++)
      same = view_eq(id_field_c(&o->pat, f), o->len[f], v[f]);
    if (same) return FIXGW_EINVAL;
  }
  if (r->ntmpl == FIXGW_ROUTER_TEMPLATES_MAX) return FIXGW_EFULL;
  route_tmpl_t *t = &r->tmpl[r->ntmpl];
  memset(t, 0, sizeof *t);
  t->pat.version = pattern->version;
  for (int f = 0; f < NFIELDS; f++) {
    memcpy(id_field(&t->pat, f), v[f].ptr, v[f].len);
    t->len[f] = (uint8_t)v[f].len;
    if (is_any(v[f].ptr, v[f].len)) t->any |= (uint8_t)(1u << f);
  }
  t->target = tmpl;
  r->ntmpl++;
  return 0;
}

static bool tmpl_match(const route_tmpl_t *t, fixgw_version ver,
                       const fixgw_str_t v[NFIELDS]) {
  if (t->pat.version != ver) return false;
  for (int f = 0; f < NFIELDS; f++) {
    if (t->any & (1u << f)) continue;
    if (!view_eq(id_field_c(&t->pat, f), t->len[f], v[f])) return false;
  }
  return true;
}

int fixgw_router_lookup(const fixgw_router_t *r, const fixgw_route_key_t *key,
                        fixgw_route_match_t *m) {
  if (!r || !key || !m) return FIXGW_EINVAL;
  fixgw_str_t v[NFIELDS];
  key_fields(key, v);
  for (int f = 0; f < NFIELDS; f++)
    if (v[f].len && !v[f].ptr) return FIXGW_EINVAL;
  fixgw_route_key_t kcopy = *key; /* key may alias m->key */
  m->target = NULL;
  m->is_template = false;
  memset(&m->id, 0, sizeof m->id);
  m->key = kcopy;
  if (!version_ok(key->version)) return FIXGW_ENOTFOUND;
  /* Anything that could not live in a session id, or would be cut short
   * when copied into one, matches nothing. */
  for (int f = 0; f < NFIELDS; f++) {
    if (v[f].len > FIXGW_COMPID_MAX || is_any(v[f].ptr, v[f].len)) return FIXGW_ENOTFOUND;
    if (v[f].len && memchr(v[f].ptr, 0, v[f].len)) return FIXGW_ENOTFOUND;
  }
  if (r->count) {
    uint32_t s = probe(r, hash_fields(key->version, v), key->version, v);
    if (r->slots[s].entry1 != 0) {
      const route_entry_t *e = &r->entries[r->slots[s].entry1 - 1];
      m->target = e->target;
      m->id = e->id;
      return 0;
    }
  }
  for (uint32_t t = 0; t < r->ntmpl; t++) {
    if (!tmpl_match(&r->tmpl[t], key->version, v)) continue;
    m->target = r->tmpl[t].target;
    m->is_template = true;
    m->id.version = key->version;
    for (int f = 0; f < NFIELDS; f++)
      if (v[f].len) memcpy(id_field(&m->id, f), v[f].ptr, v[f].len);
    return 0;
  }
  return FIXGW_ENOTFOUND;
}

int fixgw_router_route(const fixgw_router_t *r, const char *buf, size_t len,
                       size_t limit, fixgw_route_match_t *m) {
  if (!r || !m) return FIXGW_EINVAL;
  m->target = NULL;
  m->is_template = false;
  memset(&m->id, 0, sizeof m->id);
  int rc = fixgw_route_peek(buf, len, limit, &m->key);
  if (rc) return rc;
  return fixgw_router_lookup(r, &m->key, m);
}

/* ------------------------------------------------------------- format */

typedef struct out {
  char *p;
  size_t n, at;
  bool cut;
} out_t;

static void put(out_t *o, const char *s, size_t k) {
  for (size_t i = 0; i < k; i++) {
    if (o->at + 1 >= o->n) {
      o->cut = true;
      return;
    }
    o->p[o->at++] = s[i];
  }
}

/* A peer's value, made safe for a log line: no control bytes, no
 * terminal escapes, bounded length. */
static void put_value(out_t *o, fixgw_str_t v) {
  static const char hex[] = "0123456789abcdef";
  size_t k = v.len > FIXGW_COMPID_MAX ? FIXGW_COMPID_MAX : v.len;
  for (size_t i = 0; i < k; i++) {
    unsigned char c = (unsigned char)v.ptr[i];
    if (c >= 0x20 && c <= 0x7e && c != '\\') {
      put(o, (const char *)&v.ptr[i], 1);
    } else {
      char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      put(o, e, 4);
    }
  }
  if (v.len > k) put(o, "...", 3);
}

static void put_side(out_t *o, fixgw_str_t comp, fixgw_str_t sub, fixgw_str_t loc) {
  put_value(o, comp);
  if (sub.len || loc.len) {
    put(o, "/", 1);
    put_value(o, sub);
  }
  if (loc.len) {
    put(o, "/", 1);
    put_value(o, loc);
  }
}

int fixgw_route_key_format(const fixgw_route_key_t *key, char *buf, size_t n) {
  if (!key || (!buf && n)) return FIXGW_EINVAL;
  fixgw_str_t v[NFIELDS];
  key_fields(key, v);
  for (int f = 0; f < NFIELDS; f++)
    if (v[f].len && !v[f].ptr) return FIXGW_EINVAL;
  if (n == 0) return FIXGW_ENOSPC;
  out_t o = {buf, n, 0, false};
  const char *vs = fixgw_version_string(key->version);
  if (!vs) vs = "?";
  put(&o, vs, strlen(vs));
  put(&o, ":", 1);
  put_side(&o, v[0], v[1], v[2]);
  put(&o, "->", 2);
  put_side(&o, v[3], v[4], v[5]);
  buf[o.at] = 0;
  return o.cut ? FIXGW_ENOSPC : 0;
}
