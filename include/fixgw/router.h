/*
 * libfixgw router: which session a new acceptor connection belongs to.
 *
 * An acceptor learns who is calling only from the first message on the
 * wire. The host peeks at it (fixgw_route_peek() in fixgw/session.h, or
 * fixgw_router_route() here, which peeks and looks up in one call),
 * attaches the connection to the session found, and then feeds the very
 * same bytes into that session: nothing is consumed by routing.
 *
 *   n = read(fd, buf + have, cap - have); have += n;
 *   rc = fixgw_router_route(r, buf, have, 0, &m);
 *   FIXGW_EAGAIN    wait for more bytes (the limit bounds how long)
 *   0, exact        fixgw_session_connected(m.target), then feed buf
 *   0, template     create a session from m.id, fixgw_router_add() it,
 *                   connected, feed buf (QuickFIX's dynamic sessions)
 *   FIXGW_ENOTFOUND log fixgw_route_key_format(&m.key), close the socket
 *   other < 0       not FIX: close the socket
 *
 * Keys are seen from our side: the peer's SenderCompID (49) is our
 * TargetCompID, and so on (see fixgw_route_key_t).
 *
 * Matching: every field of the session id, BeginString included, must be
 * equal byte for byte; an unset optional id is the empty string and only
 * matches the empty string. Exact sessions are tried first, then
 * templates in the order they were added; the first match wins.
 *
 * Memory: fixgw_router_create() makes the only allocation, sized for a
 * fixed number of sessions; add, remove, lookup and route never allocate.
 *
 * Threads: a router belongs to one thread at a time for add, remove and
 * destroy. lookup and route only read it, so several threads may look up
 * at once as long as nothing modifies it meanwhile.
 */
#ifndef FIXGW_ROUTER_H
#define FIXGW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixgw/common.h"
#include "fixgw/session.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fixgw_router fixgw_router_t;

/* Most exact sessions a router can be created for. */
#define FIXGW_ROUTER_CAPACITY_MAX (1u << 24)
/* Most templates per router. */
#define FIXGW_ROUTER_TEMPLATES_MAX 64u
/* A field of a template pattern equal to this matches any value, the
 * empty one included. */
#define FIXGW_ROUTER_ANY "*"
/* A buffer this size always holds fixgw_route_key_format()'s output. */
#define FIXGW_ROUTE_KEY_FORMAT_MAX 1600u

/* The answer to a lookup. */
typedef struct fixgw_route_match {
  /* The pointer given to fixgw_router_add() or _add_template() (the
   * router never dereferences it); NULL when nothing matched. */
  void *target;
  /* The match came from a template: target is the template's pointer and
   * no session with this id exists yet. */
  bool is_template;
  /* The session's id: the one added for an exact match; for a template
   * match, the concrete id taken from the key (version and all six
   * CompID/Sub/Location values), ready for fixgw_session_create() and
   * fixgw_router_add(). Zeroed when nothing matched. */
  fixgw_session_id_t id;
  /* The key looked up (for fixgw_router_route(): the peeked key, with
   * views into the caller's buffer), also on FIXGW_ENOTFOUND so the
   * host can log who was refused. Cleared when the peek failed. */
  fixgw_route_key_t key;
} fixgw_route_match_t;

/*
 * Create a router for up to capacity exact sessions (0 is allowed: a
 * router of templates only) plus FIXGW_ROUTER_TEMPLATES_MAX templates, in
 * one allocation through a (NULL: malloc; the struct is copied, the
 * functions and user pointer must stay valid until destroy).
 * Returns 0 and *out, FIXGW_EINVAL (out NULL, capacity over
 * FIXGW_ROUTER_CAPACITY_MAX), FIXGW_ENOMEM (*out is then NULL).
 */
int fixgw_router_create(uint32_t capacity, const fixgw_allocator_t *a,
                        fixgw_router_t **out);
/* Free the router. The targets are the host's and are not touched. Safe
 * on NULL. */
void fixgw_router_destroy(fixgw_router_t *r);

/*
 * Add an exact session: connections whose key equals *id route to target.
 * *id is copied. A valid id has a version FIXGW_V_FIX40..FIXGW_V_FIXT11,
 * non-empty sender and target CompIDs, every field NUL-terminated inside
 * its array, and no field equal to "*" (that is a template's wildcard).
 * Returns 0, FIXGW_EINVAL (r or id NULL, id not valid, or an equal id is
 * already added), FIXGW_EFULL (capacity sessions are added).
 */
int fixgw_router_add(fixgw_router_t *r, const fixgw_session_id_t *id,
                     void *target);
/* Remove the exact session equal to *id. 0, FIXGW_EINVAL (NULL, id not
 * valid), FIXGW_ENOTFOUND. */
int fixgw_router_remove(fixgw_router_t *r, const fixgw_session_id_t *id);
/* Exact sessions currently added. */
uint32_t fixgw_router_count(const fixgw_router_t *r);

/*
 * Add a template (QuickFIX's AcceptorTemplate): any of the six
 * CompID/Sub/Location fields of *pattern may be "*", which matches any
 * value, the empty one included; the other fields and the version must
 * be equal. *pattern is copied. Templates are tried after the exact
 * sessions, in the order added.
 * Returns 0, FIXGW_EINVAL (NULL, version out of range, an empty sender or
 * target CompID (write "*" to accept any), a field not NUL-terminated, or
 * an equal pattern is already added), FIXGW_EFULL (64 templates).
 */
int fixgw_router_add_template(fixgw_router_t *r,
                              const fixgw_session_id_t *pattern, void *tmpl);

/*
 * Find the session for *key (views, e.g. from fixgw_route_peek()):
 * first an exact session, then the first template that matches.
 * A key never matches when its version is unknown, a value is longer than
 * FIXGW_COMPID_MAX, holds a NUL byte, or is exactly "*"; such values are
 * never copied.
 * Returns 0 with *m filled, FIXGW_ENOTFOUND (m->target NULL, m->key set),
 * FIXGW_EINVAL (a NULL argument, or a view with len > 0 and ptr NULL).
 * Never allocates; reads *r only.
 */
int fixgw_router_lookup(const fixgw_router_t *r, const fixgw_route_key_t *key,
                        fixgw_route_match_t *m);

/*
 * fixgw_route_peek(buf, len, limit, &m->key) then fixgw_router_lookup().
 * Returns 0, FIXGW_ENOTFOUND (m->key holds the peeked key), FIXGW_EAGAIN
 * or the peek's error (m->key cleared), FIXGW_EINVAL. m->key views point
 * into buf. Never allocates; reads buf[0..min(len, limit)) only.
 */
int fixgw_router_route(const fixgw_router_t *r, const char *buf, size_t len,
                       size_t limit, fixgw_route_match_t *m);

/*
 * Write *key as one log-safe line into buf[0..n), NUL-terminated:
 *   FIX.4.4:BANK->CLIENT1
 *   FIX.4.4:BANK/DESK/NY->CLIENT1/TRADER/LDN   (sender/sub/location)
 *   FIX.4.4:BANK//NY->CLIENT1                  (location without sub)
 * Bytes outside 0x20..0x7E and '\' are written as \xNN; a value longer
 * than FIXGW_COMPID_MAX shows its first FIXGW_COMPID_MAX bytes and "...";
 * an unknown version shows "?". FIXGW_ROUTE_KEY_FORMAT_MAX bytes always
 * suffice.
 * Returns 0, FIXGW_ENOSPC (truncated; still NUL-terminated when n > 0),
 * FIXGW_EINVAL (key NULL, or buf NULL with n > 0).
 */
int fixgw_route_key_format(const fixgw_route_key_t *key, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_ROUTER_H */
