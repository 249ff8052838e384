/*
 * libfixgw — common definitions: error codes, string views, version.
 *
 * Every fallible function returns 0 on success or a negative FIXGW_E* code.
 * The codes come from one X-macro list (FIXGW_ERRNO_MAP) that also yields
 * fixgw_strerror() and fixgw_err_name(), so a code and its text cannot drift.
 */
#ifndef FIXGW_COMMON_H
#define FIXGW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FIXGW_VERSION_MAJOR 0
#define FIXGW_VERSION_MINOR 1
#define FIXGW_VERSION_PATCH 0

/*
 * X(name, value, text). Values are stable ABI: append, never renumber.
 * -1..-29   general; -30..-69 codec (wire format); -70..-99 conversions and
 * groups; -100.. runtime building blocks; -200.. dictionaries; -300..
 * sessions, stores and settings (fixgw_err_is_fatal() says which end a
 * session); -320.. TLS (fixgw/tls.h).
 */
#define FIXGW_ERRNO_MAP(X)                                                   \
  X(OK, 0, "success")                                                        \
  X(EINVAL, -1, "invalid argument")                                          \
  X(ENOMEM, -2, "out of memory")                                             \
  X(ENOSPC, -3, "buffer too small")                                          \
  X(EAGAIN, -4, "incomplete input: more bytes needed")                       \
  X(ENOTFOUND, -5, "not found")                                              \
  X(ENOTSUP, -6, "not supported")                                            \
  X(ESYS, -7, "system call failed (see errno)")                              \
  X(EPERM, -8, "operation not permitted")                                    \
  X(EFULL, -9, "full")                                                       \
  X(EEMPTY, -10, "empty")                                                    \
  X(ESTATE, -11, "invalid state for this operation")                         \
  X(EIO, -12, "I/O error")                                                   \
  X(EBEGINSTRING, -30, "BeginString (8) missing, malformed or unsupported")  \
  X(EBODYLENGTH, -31, "BodyLength (9) missing or malformed")                 \
  X(EMSGTYPE, -32, "MsgType (35) missing or not the third field")            \
  X(ECHECKSUM_FORMAT, -33, "CheckSum (10) missing, malformed or misplaced")  \
  X(ECHECKSUM, -34, "CheckSum (10) does not match the message bytes")        \
  X(ETAG, -35, "tag is not a positive decimal integer")                      \
  X(ENOEQUALS, -36, "field has no '=' after its tag")                        \
  X(EEMPTYVALUE, -37, "field has an empty value")                            \
  X(ETOOBIG, -38, "message exceeds the configured maximum size")             \
  X(ETOOMANYFIELDS, -39, "message exceeds the configured maximum fields")    \
  X(EDATALEN, -40, "length of a data field is malformed or overruns")        \
  X(ENOSOH, -41, "field is not terminated by SOH")                           \
  X(EFORMAT, -70, "value has an incorrect data format")                      \
  X(ERANGE, -71, "value out of range")                                       \
  X(EGROUPCOUNT, -72, "repeating group count does not match its entries")    \
  X(EGROUPDELIM, -73, "repeating group entry does not start with delimiter") \
  X(EGROUPDEPTH, -74, "repeating group nesting exceeds the limit")           \
  X(EDICT_XML, -200, "dictionary XML is not well-formed")                  \
  X(EDICT_SCHEMA, -201, "dictionary element or attribute missing or invalid")\
  X(EDICT_TYPE, -202, "dictionary field has an unknown type")               \
  X(EDICT_DUP, -203, "dictionary defines a name, tag or value twice")       \
  X(EDICT_UNDEF, -204, "dictionary refers to an undefined field or component") \
  X(EDICT_CYCLE, -205, "dictionary component includes itself")              \
  X(EDICT_LIMIT, -206, "dictionary exceeds a size or nesting limit")        \
  X(EREJECT, -250, "message fails validation (see the reject reason)")    \
  X(ENODICT, -251, "no dictionary for this message's version")             \
  X(EREQUIRED, -252, "a required field is missing")                        \
  X(EDOUBLEFREE, -100, "object returned to its pool twice")                 \
  X(EFOREIGN, -101, "pointer does not belong to this pool")                 \
  X(ENOCPU, -130, "no usable CPU: absent, offline or not allowed")          \
  X(ESTOPPED, -160, "send path stopped: message not accepted or not sent")  \
  X(EBUSY, -300, "not allowed from inside a session callback")            \
  X(ESTORE, -301, "the message store failed")                              \
  X(EFLOOD, -302, "the peer provoked more output than was drained")        \
  X(EPAUSED, -303, "a callback paused input: call again to resume")        \
  X(EFATAL, -304, "the session stopped after a fatal error")               \
  X(ESETTINGS, -305, "settings file or value is invalid")                  \
  X(ETZ, -306, "time zone unknown or its file is invalid")                  \
  X(ETLS, -320, "TLS failed: handshake or record error (see the connection's text)") \
  X(ETLSCERT, -321, "TLS certificate rejected (see the connection's text)")  \
  X(ETLSPLAIN, -322, "the peer does not speak TLS (plain TCP on a TLS port?)") \
  X(ETLSCLOSED, -323, "the TLS peer closed the connection (close_notify)")   \
  X(ETRUNCATED, -42, "stream ended inside a message")

typedef enum fixgw_err {
#define FIXGW__ERR_ENUM(name, value, text) FIXGW_##name = (value),
  FIXGW_ERRNO_MAP(FIXGW__ERR_ENUM)
#undef FIXGW__ERR_ENUM
} fixgw_err;

/* Static English text for an error code; never NULL ("unknown error"). */
const char *fixgw_strerror(int err);
/* Symbolic name ("FIXGW_ECHECKSUM"); never NULL ("FIXGW_E?" for unknown). */
const char *fixgw_err_name(int err);
/* Nonzero when err leaves a session unusable (only destroy is allowed
 * after it): FIXGW_ENOMEM, FIXGW_ESTORE, FIXGW_EFATAL. Every other code
 * from a session call leaves the session as it was. */
int fixgw_err_is_fatal(int err);

/* A read-only view of bytes owned by someone else. Not NUL-terminated. */
typedef struct fixgw_str {
  const char *ptr;
  size_t len;
} fixgw_str_t;

/* Pluggable allocator (nghttp2 style). NULL members mean libc. Used only at
 * init and teardown of objects that allocate; never on a hot path. */
typedef struct fixgw_allocator {
  void *(*alloc)(size_t size, void *user);
  void (*free)(void *ptr, void *user);
  void *user;
} fixgw_allocator_t;

#if defined(__GNUC__) || defined(__clang__)
#define FIXGW_LIKELY(x) __builtin_expect(!!(x), 1)
#define FIXGW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define FIXGW_LIKELY(x) (x)
#define FIXGW_UNLIKELY(x) (x)
#endif

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_COMMON_H */
