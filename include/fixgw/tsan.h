/*
 * libfixgw internal: ThreadSanitizer annotations for code built on
 * Concurrency Kit. TSan cannot see ck's inline-assembly atomics, so in TSan
 * builds the lock-free sections hide their own accesses
 * (FIXGW__TSAN_BEGIN/END) and state the happens-before edge they implement
 * (FIXGW__TSAN_RELEASE on the publishing side, FIXGW__TSAN_ACQUIRE on the
 * side that observes it); what flows through them is then checked normally.
 * Every macro is a no-op outside TSan builds. Not part of the API.
 */
#ifndef FIXGW_TSAN_H
#define FIXGW_TSAN_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__SANITIZE_THREAD__)
#define FIXGW__TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FIXGW__TSAN 1
#endif
#endif
#ifdef FIXGW__TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
void AnnotateIgnoreReadsBegin(const char *f, int l);
void AnnotateIgnoreReadsEnd(const char *f, int l);
void AnnotateIgnoreWritesBegin(const char *f, int l);
void AnnotateIgnoreWritesEnd(const char *f, int l);
#define FIXGW__TSAN_BEGIN()                        \
  (AnnotateIgnoreReadsBegin(__FILE__, __LINE__), \
   AnnotateIgnoreWritesBegin(__FILE__, __LINE__))
#define FIXGW__TSAN_END()                          \
  (AnnotateIgnoreWritesEnd(__FILE__, __LINE__), \
   AnnotateIgnoreReadsEnd(__FILE__, __LINE__))
#define FIXGW__TSAN_RELEASE(a) __tsan_release((void *)(a))
#define FIXGW__TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#else
#define FIXGW__TSAN_BEGIN() ((void)0)
#define FIXGW__TSAN_END() ((void)0)
#define FIXGW__TSAN_RELEASE(a) ((void)0)
#define FIXGW__TSAN_ACQUIRE(a) ((void)0)
#endif

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_TSAN_H */
