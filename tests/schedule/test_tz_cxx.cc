// fixgw/tz.h and fixgw/session.h's schedule part from C++: the header has
// to stand alone, and its typedef has to agree with session.h's.
#include <fixgw/tz.h>
#include <fixgw/session.h>

extern "C" int fixgw_t_tz_from_cxx(void);

extern "C" int fixgw_t_tz_from_cxx(void) {
  fixgw_tz_t *tz = nullptr;
  if (fixgw_tz_load("UTC+05:30", nullptr, &tz) != 0) return 1;
  int bad = fixgw_tz_offset(tz, 0) != 19800;
  fixgw_schedule_t sc{};
  sc.enabled = true;
  sc.start_day = -1;
  sc.end_day = -1;
  sc.tz = tz;
  bad |= fixgw_schedule_check(&sc) != 0;
  bad |= !fixgw_schedule_in_session(&sc, 0);
  fixgw_tz_free(tz);
  return bad;
}
