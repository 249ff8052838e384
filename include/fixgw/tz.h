/*
 * libfixgw time zones: loading the table of UTC offsets that a session
 * schedule (fixgw_schedule_t in fixgw/session.h) reads its local times in.
 *
 * A zone comes from the system's zoneinfo (TZif files, RFC 8536, versions
 * 1 to 4) or from a fixed offset. Loading reads a file once; evaluating
 * (fixgw_tz_offset in fixgw/session.h) is pure and never touches the file
 * system, so the session engine stays sans-IO.
 *
 * Threads: a loaded zone is immutable; any number of threads and schedules
 * may read one at once. fixgw_tz_load reads the environment (TZDIR), so it
 * must not race with setenv.
 */
#ifndef FIXGW_TZ_H
#define FIXGW_TZ_H

#include <stddef.h>

#include "fixgw/common.h"

/*
 * How a schedule (fixgw/session.h) reads its local times in a zone, so a
 * host can predict it:
 *  - whole seconds: an instant counts as the second it falls in, so the
 *    end_time second is inside the session (QuickFIX's inclusive end) and
 *    every change fixgw_schedule_next_change reports is a whole second;
 *  - a local time that a forward change skips (02:30 on the US spring-
 *    forward day) happens at the instant of the change (03:00 EDT): a
 *    session starts, or ends, then;
 *  - a local time that occurs twice (01:30 on the fall-back day) happens
 *    at its first occurrence, for starts and ends alike; a session that
 *    ended at the first 01:30 does not reopen at the second;
 *  - a period whose start and end both fall in the same skipped hour is
 *    empty that day.
 * The wall-clock-to-UTC map is monotonic, so periods stay in order and
 * never overlap whatever the zone does.
 */

#ifdef __cplusplus
extern "C" {
#endif

/* The same (compatible) typedef as in fixgw/session.h, so this header
 * stands alone. */
typedef struct fixgw_tz fixgw_tz_t;

/* Bytes a zone file or buffer may have at most; larger is FIXGW_ETZ. */
#define FIXGW_TZ_MAX_FILE (1u << 20)
/* Characters a zone name may have at most (without the NUL). */
#define FIXGW_TZ_MAX_NAME 255u

/*
 * Loads the zone called name into *out.
 *
 * name is one of:
 *  - "UTC", "GMT" or "Z": offset 0, no file read;
 *  - "UTC+HH", "UTC-H", "UTC+HH:MM" (hours 0..24, minutes 0..59): a fixed
 *    offset in the ISO 8601 sense, "UTC+05:30" being 5 h 30 ahead of UTC
 *    (the opposite sign of POSIX TZ strings); no file read;
 *  - an IANA name ("America/New_York", "Europe/London", "Etc/GMT+5"): the
 *    TZif file of that name under $TZDIR when set and not empty, else under
 *    /usr/share/zoneinfo. Only [A-Za-z0-9_+-/] is allowed, without a
 *    leading '/' and without "..", so a name never leaves that directory;
 *  - "localtime": the machine's zone, /etc/localtime (UTC when that file
 *    does not exist, as for the C library).
 *
 * Instants after the file's last transition follow its POSIX TZ footer
 * ("EST5EDT,M3.2.0,M11.1.0"), so slim files and years after 2037 work.
 * Files with leap-second records ("right/...") are refused: schedule
 * times are POSIX time, which has no leap seconds.
 *
 * Allocates through a (NULL: libc); the zone keeps a copy of *a for
 * fixgw_tz_free. On success *out owns the zone; on error *out is NULL.
 *
 * Returns 0; FIXGW_EINVAL (name or out NULL; name empty, longer than
 * FIXGW_TZ_MAX_NAME, or not of the syntax above); FIXGW_ETZ (no such zone,
 * not a regular readable file, larger than FIXGW_TZ_MAX_FILE, or not a
 * valid TZif file); FIXGW_ENOMEM.
 */
int fixgw_tz_load(const char *name, const fixgw_allocator_t *a, fixgw_tz_t **out);

/*
 * The same as fixgw_tz_load for a TZif image already in memory (len bytes
 * at data; read, never written, never kept). name (NULL: "") is copied and
 * returned by fixgw_tz_name. Reads no byte outside [data, data + len).
 *
 * Returns 0; FIXGW_EINVAL (out NULL, or data NULL with len > 0); FIXGW_ETZ
 * (truncated, bad magic or version, counts that overrun len or break
 * RFC 8536's rules, transitions out of order, offsets beyond +-26 h, leap
 * second records, a malformed footer, len > FIXGW_TZ_MAX_FILE);
 * FIXGW_ENOMEM. On error *out is NULL and nothing stays allocated.
 */
int fixgw_tz_parse_tzif(const void *data, size_t len, const char *name,
                        const fixgw_allocator_t *a, fixgw_tz_t **out);

/* Frees a zone from fixgw_tz_load or fixgw_tz_parse_tzif through the
 * allocator it was made with. NULL is fine. No schedule may still use it. */
void fixgw_tz_free(fixgw_tz_t *tz);

/* The name the zone was loaded under; "UTC" for NULL (a schedule's NULL
 * zone is UTC). Valid as long as the zone. Never NULL. */
const char *fixgw_tz_name(const fixgw_tz_t *tz);

#ifdef __cplusplus
}
#endif
#endif /* FIXGW_TZ_H */
