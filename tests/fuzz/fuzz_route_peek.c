/* libFuzzer target for the acceptor's routing peek.
 *
 * Input: byte 0 picks the limit (0: the default), byte 1 a prefix length;
 * the rest is what a new connection sent. Every buffer handed to the peek
 * is an exact-size heap copy, so ASan faults on any read past it.
 * Checked on every call:
 *   - the result is 0, EAGAIN or one of the documented error codes;
 *   - with len > limit and only limit bytes behind buf, nothing past them
 *     is read, and the answer is the one for the first limit bytes;
 *   - a 0 result's views lie inside buf[0..min(len, limit)), are followed
 *     there by SOH, and 49, 56 and 35 are non-empty;
 *   - a prefix that gets an answer other than EAGAIN gets the same answer
 *     (and key) as the whole input: more bytes never change a decision;
 *   - lookup, route and key formatting on the key do not misbehave.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixgw/router.h"

#define CHECK(x)       \
  do {                 \
    if (!(x)) abort(); \
  } while (0)

static int known_rc(int rc) {
  switch (rc) {
    case 0: case FIXGW_EAGAIN: case FIXGW_ENOTFOUND: case FIXGW_EBEGINSTRING:
    case FIXGW_EBODYLENGTH: case FIXGW_EMSGTYPE: case FIXGW_ETAG:
    case FIXGW_ENOEQUALS: case FIXGW_EEMPTYVALUE: case FIXGW_ETOOBIG:
    case FIXGW_EDATALEN: case FIXGW_ENOSOH:
      return 1;
    default:
      return 0;
  }
}

static void check_view(fixgw_str_t v, const char *buf, size_t n, int nonempty) {
  if (nonempty) CHECK(v.len > 0);
  CHECK(v.ptr != NULL);
  if (v.len == 0) return;
  CHECK(v.ptr >= buf && v.ptr + v.len < buf + n);
  CHECK(v.ptr[v.len] == '\x01');
}

static void check_key(const fixgw_route_key_t *k, const char *buf, size_t n) {
  CHECK(k->version >= FIXGW_V_FIX40 && k->version < FIXGW_V_COUNT_);
  check_view(k->sender_comp_id, buf, n, 1);
  check_view(k->target_comp_id, buf, n, 1);
  check_view(k->msgtype, buf, n, 1);
  check_view(k->sender_sub_id, buf, n, 0);
  check_view(k->target_sub_id, buf, n, 0);
  check_view(k->sender_location_id, buf, n, 0);
  check_view(k->target_location_id, buf, n, 0);
}

/* Same bytes at the same offsets (views into different copies). */
static int view_same(fixgw_str_t a, const char *abuf, fixgw_str_t b, const char *bbuf) {
  if (a.len != b.len) return 0;
  if (a.len == 0) return 1;
  return a.ptr - abuf == b.ptr - bbuf && memcmp(a.ptr, b.ptr, a.len) == 0;
}

static int key_same(const fixgw_route_key_t *a, const char *abuf,
                    const fixgw_route_key_t *b, const char *bbuf) {
  return a->version == b->version &&
         view_same(a->sender_comp_id, abuf, b->sender_comp_id, bbuf) &&
         view_same(a->sender_sub_id, abuf, b->sender_sub_id, bbuf) &&
         view_same(a->sender_location_id, abuf, b->sender_location_id, bbuf) &&
         view_same(a->target_comp_id, abuf, b->target_comp_id, bbuf) &&
         view_same(a->target_sub_id, abuf, b->target_sub_id, bbuf) &&
         view_same(a->target_location_id, abuf, b->target_location_id, bbuf) &&
         view_same(a->msgtype, abuf, b->msgtype, bbuf);
}

static fixgw_router_t *router(void) {
  static fixgw_router_t *r;
  if (r) return r;
  CHECK(fixgw_router_create(8, NULL, &r) == 0);
  fixgw_session_id_t id;
  memset(&id, 0, sizeof id);
  id.version = FIXGW_V_FIX44;
  strcpy(id.sender_comp_id, "BANK");
  strcpy(id.target_comp_id, "CLIENT1");
  CHECK(fixgw_router_add(r, &id, (void *)1) == 0);
  strcpy(id.target_comp_id, "*");
  strcpy(id.target_sub_id, "*");
  CHECK(fixgw_router_add_template(r, &id, (void *)2) == 0);
  return r;
}

static char *dup_bytes(const char *p, size_t n) {
  char *b = malloc(n ? n : 1);
  CHECK(b != NULL);
  if (n) memcpy(b, p, n);
  return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2) return 0;
  size_t limit = (size_t)data[0] * 4; /* 0: the default */
  const char *in = (const char *)data + 2;
  size_t n = size - 2;
  size_t eff_limit = limit ? limit : 4096;
  size_t eff = n < eff_limit ? n : eff_limit;

  char *whole = dup_bytes(in, n);
  fixgw_route_key_t k;
  int rc = fixgw_route_peek(whole, n, limit, &k);
  CHECK(known_rc(rc));
  if (rc == FIXGW_EAGAIN) CHECK(n < eff_limit);
  if (rc == FIXGW_ETOOBIG) CHECK(n >= eff_limit);
  if (rc == 0) check_key(&k, whole, eff);

  /* Claim more bytes than exist behind the pointer: only limit may be read. */
  if (n > eff_limit) {
    char *head = dup_bytes(in, eff_limit);
    fixgw_route_key_t kh;
    int rh = fixgw_route_peek(head, n, limit, &kh);
    CHECK(rh == rc);
    if (rc == 0) CHECK(key_same(&kh, head, &k, whole));
    free(head);
  }

  /* Two prefixes: whatever they decide, the whole input decides the same. */
  size_t cuts[2] = {(size_t)data[1] * n / 255, n ? n - 1 : 0};
  for (int c = 0; c < 2; c++) {
    size_t p = cuts[c];
    if (p >= n) continue;
    char *pre = dup_bytes(in, p);
    fixgw_route_key_t kp;
    int rp = fixgw_route_peek(pre, p, limit, &kp);
    CHECK(known_rc(rp));
    if (rp != FIXGW_EAGAIN) {
      CHECK(rp == rc);
      if (rp == 0) CHECK(key_same(&kp, pre, &k, whole));
    }
    free(pre);
  }

  fixgw_router_t *r = router();
  fixgw_route_match_t m;
  int rr = fixgw_router_route(r, whole, n, limit, &m);
  CHECK(rc == 0 ? (rr == 0 || rr == FIXGW_ENOTFOUND) : rr == rc);
  if (rr == 0) {
    CHECK(m.target == (void *)1 || m.target == (void *)2);
    CHECK(m.is_template == (m.target == (void *)2));
    CHECK(m.id.sender_comp_id[FIXGW_COMPID_MAX] == 0);
    CHECK(m.id.target_comp_id[FIXGW_COMPID_MAX] == 0);
    CHECK(strlen(m.id.target_comp_id) == m.key.target_comp_id.len);
  }
  char line[FIXGW_ROUTE_KEY_FORMAT_MAX], small[24];
  CHECK(fixgw_route_key_format(&m.key, line, sizeof line) == 0);
  CHECK(strlen(line) < sizeof line);
  int fs = fixgw_route_key_format(&m.key, small, sizeof small);
  CHECK(fs == 0 || fs == FIXGW_ENOSPC);
  CHECK(strlen(small) < sizeof small);
  free(whole);
  return 0;
}
