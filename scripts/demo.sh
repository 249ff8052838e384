#!/usr/bin/env bash
# The first thing to run: installs what is missing, builds the library and
# the programs in Release, and runs the demo.
#
# 1. Two firms trading over TCP on 127.0.0.1: fixgw-executor (an acceptor
#    on an ephemeral port, file store in a temporary directory) answers
#    every NewOrderSingle that fixgw-client (an initiator, file store too)
#    sends, one at a time; the client times each round trip. Then: each
#    session's state and sequence numbers, the round-trip percentiles, a
#    text histogram, and an .hgrm file of the distribution; the executor
#    is stopped by its pid (SIGTERM: Logout, exit 0).
# 2. The codec demo (fixgw-codec-demo): 200,000 generated FIX 4.4 messages
#    stream-parsed and validated, timed, and hostile bytes recovered from.
# Ends with one RESULT line; exits non-zero on any failure. Every figure it
# prints is measured by this run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

B=${FIXGW_DEMO_BUILD_DIR:-build/release}
ORDERS=${FIXGW_DEMO_ORDERS:-5000}
JOBS=$(nproc)
mkdir -p "$B"
echo "demo: configuring and building $B (Release) ..."
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release >"$B.configure.log" 2>&1 || {
  cat "$B.configure.log"
  exit 1
}
cmake --build "$B" -j"$JOBS" --target fixgw fixgw-executor fixgw-client fixgw-codec-demo \
  >"$B.build.log" 2>&1 || {
  cat "$B.build.log"
  exit 1
}
EXE=$B/examples/executor/fixgw-executor
CLI=$B/examples/client/fixgw-client
HGRM=$B/demo-roundtrip.hgrm

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fixgw-demo.XXXXXX")
XP=
cleanup() {
  if [ -n "$XP" ] && kill -0 "$XP" 2>/dev/null; then kill -KILL "$XP" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
verdict_fail() {
  echo
  echo "demo: $*"
  for f in "$TMP"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -n 20 "$f"; }; done
  echo "RESULT demo=FAIL ($*)"
  exit 1
}

cat >"$TMP/executor.cfg" <<EOF
# The executor firm: one acceptor session, any free port on 127.0.0.1.
[DEFAULT]
ConnectionType=acceptor
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
NonStopSession=Y
FileStorePath=$TMP/executor-store
[SESSION]
BeginString=FIX.4.4
SenderCompID=EXEC
TargetCompID=BANK
EOF
cat >"$TMP/client.cfg" <<EOF
# The client firm: one initiator session; the port is the executor's.
[DEFAULT]
ConnectionType=initiator
SocketConnectHost=127.0.0.1
SocketConnectPort=5001
ReconnectInterval=1
HeartBtInt=30
NonStopSession=Y
FileStorePath=$TMP/client-store
[SESSION]
BeginString=FIX.4.4
SenderCompID=BANK
TargetCompID=EXEC
EOF

echo
echo "== 1. two firms over TCP: fixgw-executor <-> fixgw-client on 127.0.0.1 =="
"$EXE" -c "$TMP/executor.cfg" --status >"$TMP/executor.out" 2>"$TMP/executor.err" &
XP=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^READY port=\([0-9]*\)$/\1/p' "$TMP/executor.out")
  [ -n "$PORT" ] && break
  kill -0 "$XP" 2>/dev/null || verdict_fail "fixgw-executor exited before READY"
  sleep 0.1
done
[ -n "$PORT" ] || verdict_fail "no READY line from fixgw-executor within 10 s"
echo "fixgw-executor (pid $XP): READY port=$PORT, file store in $TMP/executor-store"
echo "fixgw-client: $ORDERS NewOrderSingle, one in flight, each timed to its ExecutionReport ..."
rc=0
timeout -k 5 60 "$CLI" -c "$TMP/client.cfg" --port "$PORT" --orders "$ORDERS" --status \
  --histogram --hgrm "$HGRM" --timeout 45 >"$TMP/client.out" 2>"$TMP/client.err" || rc=$?
kill -TERM "$XP"
for _ in $(seq 100); do kill -0 "$XP" 2>/dev/null || break; sleep 0.1; done
kill -0 "$XP" 2>/dev/null && verdict_fail "fixgw-executor still running 10 s after SIGTERM"
xrc=0
wait "$XP" || xrc=$?
XP=
[ $rc -eq 0 ] || verdict_fail "fixgw-client exit $rc"
[ $xrc -eq 0 ] || verdict_fail "fixgw-executor exit $xrc after SIGTERM"

field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
echo
echo "sessions at exit:"
for line in "$(grep '^STATUS' "$TMP/client.out")" "$(grep '^STATUS' "$TMP/executor.out" | head -n 1)"; do
  printf '  %-15s %-24s state=%-12s next_sender=%-6s next_target=%-6s store=%s msgs_out=%s msgs_in=%s last_disconnect=%s\n' \
    "$(field "$line" prog)" "$(field "$line" session)" "$(field "$line" state)" \
    "$(field "$line" next_sender)" "$(field "$line" next_target)" "$(field "$line" store)" \
    "$(field "$line" msgs_out)" "$(field "$line" msgs_in)" "$(field "$line" last_disconnect)"
done
XL=$(grep '^STATUS' "$TMP/executor.out" | head -n 1)
echo "  the executor answered $(field "$XL" reports_sent) of $(field "$XL" orders_in) orders"
R=$(grep '^RESULT' "$TMP/client.out")
echo
echo "round trips (client send -> ExecutionReport parsed), microseconds:"
echo "  min $(field "$R" min_us)  p50 $(field "$R" p50_us)  p99 $(field "$R" p99_us)  p99.9 $(field "$R" p999_us)  max $(field "$R" max_us)  ($(field "$R" orders_per_s) orders/s, one in flight)"
echo
sed -n '/^round trip (us)/,/^STATUS/p' "$TMP/client.out" | grep -v '^STATUS' | sed 's/^/  /'
echo
echo "latency distribution written to $HGRM (HdrHistogram .hgrm, microseconds)"
echo "  $R"
case "$R" in
  "RESULT orders=$ORDERS acked=$ORDERS "*) ;;
  *) verdict_fail "not every order was acknowledged" ;;
esac
[ "$(field "$XL" reports_sent)" = "$ORDERS" ] || verdict_fail "executor answered $(field "$XL" reports_sent) orders"

echo
echo "== 2. the codec: fixgw-codec-demo =="
echo
crc=0
"$B/examples/demo/fixgw-codec-demo" || crc=$?
[ $crc -eq 0 ] || verdict_fail "fixgw-codec-demo exit $crc"
echo
echo "RESULT demo=PASS orders=$ORDERS acked=$ORDERS p50_us=$(field "$R" p50_us) p99_us=$(field "$R" p99_us) hgrm=$HGRM codec=ok"
