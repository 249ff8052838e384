#!/usr/bin/env bash
# 10 000 sessions at once against one acceptor, over 127.0.0.1:
# fixgw-executor (an AcceptorTemplate, memory stores) and fixgw-scale (one
# process, one loop, N initiators). Prints fixgw-scale's RESULT line, the
# machine's load, and writes the figures as JSON.
#
#   bench/scale/scale.sh BUILD_DIR [OUT_DIR]
# Environment: SCALE_SESSIONS (10000), SCALE_HB (HeartBtInt, 5),
# SCALE_IDLE (idle window in s, 15), SCALE_RTT (round trips per probe,
# 2000), SCALE_ORDERS (orders per session, 2), SCALE_TIMEOUT (s, 240),
# SCALE_ACCEPTOR_ARGS (more executor arguments, e.g. --busy-poll),
# SCALE_EXECUTOR / SCALE_GEN (the programs, instead of BUILD_DIR's).
# Exit 0 only when fixgw-scale's checks all held (every session logged
# on, heard heartbeats, none timed out, every order acked, all logged out)
# and the RESULT line says so; the ctest test_example_scale runs it small.
# Bounded: fixgw-scale stops by --timeout; the executor gets SIGTERM (then
# SIGKILL) from here. Only the pids started here are signalled.
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:?usage: scale.sh BUILD_DIR [OUT_DIR]}
OUT=${2:-build/bench}
N=${SCALE_SESSIONS:-10000}
HB=${SCALE_HB:-5}
IDLE=${SCALE_IDLE:-15}
RTT=${SCALE_RTT:-2000}
ORD=${SCALE_ORDERS:-2}
TMO=${SCALE_TIMEOUT:-240}
mkdir -p "$OUT"
FX=${SCALE_EXECUTOR:-$B/examples/executor/fixgw-executor}
FS=${SCALE_GEN:-$B/examples/scale/fixgw-scale}
[ -x "$FX" ] && [ -x "$FS" ] || { echo "scale: build fixgw-executor and fixgw-scale in $B"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fixgw-scale.XXXXXX")
XP=
cleanup() {
  if [ -n "$XP" ] && kill -0 "$XP" 2>/dev/null; then
    kill -TERM "$XP" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$XP" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$XP" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

cat >"$TMP/acceptor.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
UseDataDictionary=N
ResetOnLogon=Y
NonStopSession=Y
[SESSION]
AcceptorTemplate=Y
BeginString=FIX.4.4
SenderCompID=EXEC
TargetCompID=*
CFG

# One descriptor per session on each side (the hard limit allows it here).
ulimit -n "$(ulimit -Hn)"
"$FX" -c "$TMP/acceptor.cfg" --memory-store --memory-store-bytes 1048576 --max-sessions "$N" ${SCALE_ACCEPTOR_ARGS:-} \
  >"$TMP/acceptor.out" 2>"$TMP/acceptor.err" &
XP=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^READY port=\([0-9]*\)$/\1/p' "$TMP/acceptor.out")
  [ -n "$PORT" ] && break
  kill -0 "$XP" 2>/dev/null || break
  sleep 0.1
done
[ -n "$PORT" ] || { echo "scale: the acceptor did not start"; cat "$TMP/acceptor.err"; exit 1; }

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
rc=0
"$FS" --port "$PORT" --sessions "$N" --acceptor-pid "$XP" --hb "$HB" --idle "$IDLE" \
  --rtt "$RTT" --orders "$ORD" --timeout "$TMO" --json "$TMP/scale.json" \
  >"$TMP/scale.out" 2>"$TMP/scale.err" || rc=$?
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
kill -TERM "$XP" 2>/dev/null || true
for _ in $(seq 100); do kill -0 "$XP" 2>/dev/null || break; sleep 0.1; done
head -n 20 "$TMP/scale.err" >&2 || true
grep -v -e 'logged on' -e 'logged out' "$TMP/acceptor.err" | head -n 20 >&2 || true
RES=$(grep '^RESULT ' "$TMP/scale.out" || true)
[ -n "$RES" ] || { echo "scale: no RESULT (exit $rc)"; exit 1; }
echo "$RES load_before=\"$LOAD0\" load_after=\"$LOAD1\" cpus=$(nproc)"
if [ -s "$TMP/scale.json" ]; then
  sed "s/}\$/, \"load_before\": \"$LOAD0\", \"load_after\": \"$LOAD1\", \"cpus\": $(nproc)}/" \
    "$TMP/scale.json" >"$OUT/scale.json"
  cat "$OUT/scale.json"
fi
# The RESULT line agrees with the exit code on what was asked.
field() { echo "$RES" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
for k in logged_on sessions_acked logged_out; do
  [ "$(field $k)" = "$N" ] || { echo "scale: $k=$(field $k), want $N"; rc=1; }
done
[ "$(field acked)" = "$((N * ORD))" ] || { echo "scale: acked=$(field acked), want $((N * ORD))"; rc=1; }
[ "$(field timeouts)" = 0 ] && [ "$(field hb_missing)" = 0 ] && [ "$(field idle_drops)" = 0 ] ||
  { echo "scale: timeouts, missing heartbeats or drops"; rc=1; }
[ "$rc" = 0 ] && echo "scale: PASS ($N sessions)"
exit "$rc"
