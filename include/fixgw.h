/* libfixgw umbrella header: includes every public module header. */
#ifndef FIXGW_H
#define FIXGW_H

#include "fixgw/common.h"
#include "fixgw/codec.h"
#include "fixgw/gen.h"
#include "fixgw/dict.h"
#include "fixgw/validate.h"
#include "fixgw/traits.h"
#include "fixgw/pool.h"
#include "fixgw/ring.h"
#include "fixgw/thread.h"
#include "fixgw/metrics.h"
#include "fixgw/rt.h"
#include "fixgw/store.h"
#include "fixgw/session.h"
#include "fixgw/router.h"
#include "fixgw/tz.h"
#include "fixgw/settings.h"
#include "fixgw/log.h"

#endif
