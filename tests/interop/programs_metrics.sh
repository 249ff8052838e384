#!/usr/bin/env bash
# fixgw-executor and fixgw-client with --metrics-port 0 over 127.0.0.1:
# each prints METRICS port=N; /metrics is scraped from each while they
# trade (the client paced by --rate so that it is still running) and from
# the executor after, and the figures must match what the programs report.
# The executor also keeps a file log (FileLogPath): every order in and
# report out must be in it.
#   programs_metrics.sh FIXGW_EXECUTOR FIXGW_CLIENT
set -u
FX=$1 FC=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/programs_metrics.XXXXXX") || exit 1
XP= CP=
cleanup() {
  [ -n "$XP" ] && kill -KILL "$XP" 2>/dev/null
  [ -n "$CP" ] && kill -KILL "$CP" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; tail -n 20 "$TMP"/*; exit 1; }
# GET /metrics from 127.0.0.1:$1 into $2 (body only), bounded by timeout.
scrape() {
  timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"'
    printf "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" >&3; cat <&3' >"$2.raw" || return 1
  head -n 1 "$2.raw" | grep -q '^HTTP/1.1 200 OK' || return 1
  sed '1,/^\r$/d' "$2.raw" >"$2"
}
value() { sed -n "s/^$1 //p" "$2"; }
wait_line() { # file pattern -> the rest of the line
  for _ in $(seq 100); do
    v=$(sed -n "s/^$2//p" "$1"); [ -n "$v" ] && { echo "$v"; return 0; }; sleep 0.1
  done
  return 1
}
cat >"$TMP/a.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SenderCompID=SERVER
TargetCompID=CLIENT
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
ResetOnLogon=Y
NonStopSession=Y
FileLogPath=$TMP/xlog
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
ResetOnLogon=Y
NonStopSession=Y
[SESSION]
BeginString=FIX.4.4
CFG
"$FX" -c "$TMP/a.cfg" --memory-store --metrics-port 0 >"$TMP/x.out" 2>"$TMP/x.err" &
XP=$!
PORT=$(wait_line "$TMP/x.out" 'READY port=') || fail "no READY"
XM=$(wait_line "$TMP/x.out" 'METRICS port=') || fail "executor printed no METRICS line"
# Before any logon: the configured session is listed, disconnected.
scrape "$XM" "$TMP/m0" || fail "executor scrape before logon"
S='{session="FIX.4.4:SERVER->CLIENT"}'
[ "$(value "fixgw_session_logged_on$S" "$TMP/m0")" = 0 ] || fail "logged_on before logon"
[ "$(value "fixgw_loop_attached" "$TMP/m0")" = 0 ] || fail "attached before logon"

timeout -k 5 60 "$FC" -c "$TMP/i.cfg" --port "$PORT" --orders 400 --rate 200 --memory-store \
  --metrics-port 0 --timeout 50 >"$TMP/c.out" 2>"$TMP/c.err" &
CP=$!
CM=$(wait_line "$TMP/c.out" 'METRICS port=') || fail "client printed no METRICS line"
sleep 1
scrape "$CM" "$TMP/mc" || fail "client scrape"
CS='{session="FIX.4.4:CLIENT->SERVER"}'
[ "$(value "fixgw_session_logged_on$CS" "$TMP/mc")" = 1 ] || fail "client not logged on"
SENT=$(value "fixgw_client_orders_sent_total$CS" "$TMP/mc")
ACKED=$(value "fixgw_client_orders_acked_total$CS" "$TMP/mc")
[ -n "$SENT" ] && [ "$SENT" -gt 0 ] && [ "$SENT" -lt 400 ] || fail "client mid-flight sent=$SENT"
[ "$ACKED" -le "$SENT" ] || fail "acked $ACKED > sent $SENT"
grep -q '^fixgw_client_round_trip_seconds{session="FIX.4.4:CLIENT->SERVER",quantile="0.99"} ' \
  "$TMP/mc" || fail "no round-trip summary"
scrape "$XM" "$TMP/m1" || fail "executor scrape mid-flight"
[ "$(value "fixgw_session_logged_on$S" "$TMP/m1")" = 1 ] || fail "executor not logged on"
wait "$CP"; rc=$?; CP=
[ $rc -eq 0 ] || fail "client exit $rc"
grep -q "^RESULT orders=400 acked=400 " "$TMP/c.out" || fail "not all acknowledged"

scrape "$XM" "$TMP/m2" || fail "executor scrape after"
[ "$(value "fixgw_executor_orders_total$S" "$TMP/m2")" = 400 ] || fail "orders_total"
[ "$(value "fixgw_session_app_messages_received_total$S" "$TMP/m2")" = 400 ] || fail "app in"
[ "$(value "fixgw_session_messages_sent_by_type_total{session=\"FIX.4.4:SERVER->CLIENT\",msgtype=\"8\"}" "$TMP/m2")" = 400 ] ||
  fail "ExecutionReports by type"
[ "$(value "fixgw_session_logged_on$S" "$TMP/m2")" = 0 ] || fail "still logged on after logout"
echo "executor after: $(grep -c '^fixgw_' "$TMP/m2") samples, orders=400, next_sender=$(value "fixgw_session_next_sender_seq$S" "$TMP/m2")"
kill -TERM "$XP"; wait "$XP"; rc=$?; XP=
[ $rc -eq 0 ] || fail "executor exit $rc"
L="$TMP/xlog/FIX.4.4-SERVER-CLIENT.messages.current.log"
[ -f "$L" ] || fail "no messages log: $(ls "$TMP/xlog" 2>&1)"
NIN=$(grep -c $'\x0135=D\x01' "$L") NOUT=$(grep -c $'\x0135=8\x01' "$L")
[ "$NIN" = 400 ] && [ "$NOUT" = 400 ] || fail "messages log: $NIN orders, $NOUT reports"
grep -q 'logon' "$TMP/xlog/FIX.4.4-SERVER-CLIENT.event.current.log" || fail "no logon in the event log"
echo "file log: 400 orders and 400 reports in $(basename "$L")"
echo PASS
