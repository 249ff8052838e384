#!/usr/bin/env bash
# fixgw-executor and fixgw-client, each built with the tests' counting
# malloc interposer, trade over 127.0.0.1 (memory stores): window 1, then
# window 100. Each prints "ALLOCS steady=N" for its steady state (client:
# from the first to the last acknowledgement; executor: from the first
# order to SIGTERM); both must be 0.
#   programs_alloc.sh FIXGW_EXECUTOR_ALLOC FIXGW_CLIENT_ALLOC
set -u
FX=$1 FC=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/programs_alloc.XXXXXX") || exit 1
XP=
cleanup() { [ -n "$XP" ] && kill -KILL "$XP" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; tail -n 20 "$TMP"/*; exit 1; }
cat >"$TMP/a.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SenderCompID=SERVER
TargetCompID=CLIENT
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
NonStopSession=Y
[SESSION]
BeginString=FIX.4.4
CFG
cat >"$TMP/i.cfg" <<CFG
[DEFAULT]
ConnectionType=initiator
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=5001
ReconnectInterval=1
NonStopSession=Y
ResetOnLogon=Y
[SESSION]
BeginString=FIX.4.4
CFG
sed -i 's/^NonStopSession=Y$/NonStopSession=Y\nResetOnLogon=Y/' "$TMP/a.cfg"
"$FX" -c "$TMP/a.cfg" >"$TMP/x.out" 2>"$TMP/x.err" &
XP=$!
PORT=
for _ in $(seq 100); do
  PORT=$(sed -n 's/^READY port=//p' "$TMP/x.out"); [ -n "$PORT" ] && break; sleep 0.1
done
[ -n "$PORT" ] || fail "no READY"
for w in 1 100; do
  timeout -k 5 60 "$FC" -c "$TMP/i.cfg" --port "$PORT" --orders 20000 --window $w \
    --timeout 50 >"$TMP/c$w.out" 2>"$TMP/c$w.err" || fail "client exit $?"
  grep -q "^RESULT orders=20000 acked=20000 " "$TMP/c$w.out" || fail "not all acknowledged"
  L=$(grep "ALLOCS" "$TMP/c$w.err")
  echo "window $w: $(cat "$TMP/c$w.out")"
  echo "  client: $L"
  case "$L" in *"ALLOCS steady=0 acked=20000 available=1"*) ;; *) fail "client allocated: $L" ;; esac
done
kill -TERM "$XP"; wait "$XP"; rc=$?; XP=
[ $rc -eq 0 ] || fail "executor exit $rc"
L=$(grep "ALLOCS" "$TMP/x.err")
echo "  executor: $L"
case "$L" in *"ALLOCS steady=0 orders=40000 available=1"*) ;; *) fail "executor allocated: $L" ;; esac
echo PASS
