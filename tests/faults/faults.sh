#!/usr/bin/env bash
# Faults survived with nothing lost (issue 11), on 127.0.0.1 with the real
# programs and file stores:
#   cut       a proxy cuts the connection at random byte offsets, mostly
#             inside a message, several times;
#   garbage   a proxy writes a run of non-FIX bytes into the stream;
#   stall     a proxy stops reading the executor's answers for a while (a
#             slow consumer);
#   kill-exec the executor is killed with SIGKILL mid-flow, three times,
#             and restarted from its file store on the same port;
#   kill-cli  the client is killed with SIGKILL mid-flow and restarted from
#             its file store.
# In every phase every order is accounted for: the client ends with every
# order acknowledged, the executor's application saw each ClOrdID at most
# once without PossDupFlag=Y and always under the same MsgSeqNum, a killed
# client's orders reached the executor without a hole, and a second
# session (CLIENT2, connected straight to the executor) trades through the
# cut, garbage and stall phases without a disconnect. The executor's
# resident memory stays bounded. Seeded (FIXGW_TEST_SEED), the seed printed.
#   faults.sh FIXGW_EXECUTOR FIXGW_CLIENT FAULT_PROXY
set -u
FX=$1 FC=$2 FP=$3
SEED=${FIXGW_TEST_SEED:-$(( $(date +%s) % 100000 + $$ ))}
echo "faults: seed $SEED (FIXGW_TEST_SEED=$SEED replays it)"
RANDOM=$SEED
TMP=$(mktemp -d "${TMPDIR:-/tmp}/faults.XXXXXX") || exit 1
XP= PP= CP= C2=
stop_all() {
  for p in $CP $C2 $PP $XP; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
}
cleanup() { stop_all; [ -n "${FAULTS_KEEP:-}" ] && { echo "kept $TMP"; return; }; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() {
  echo "FAIL ($PHASE, seed $SEED): $*"
  for f in "$TMP"/*.out "$TMP"/*.err; do echo "--- $f"; tail -n 8 "$f"; done
  exit 1
}
wait_line() { # file prefix -> the rest of the line (10 s at most)
  for _ in $(seq 200); do
    v=$(sed -n "s/^$2//p" "$1" | tail -n 1); [ -n "$v" ] && { echo "$v"; return 0; }; sleep 0.05
  done
  return 1
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

mkdir -p "$TMP/xstore" "$TMP/c1store" "$TMP/c2store"
cat >"$TMP/x.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SenderCompID=SERVER
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
FileStorePath=$TMP/xstore
HeartBtInt=30
NonStopSession=Y
[SESSION]
BeginString=FIX.4.4
TargetCompID=CLIENT
[SESSION]
BeginString=FIX.4.4
TargetCompID=CLIENT2
CFG
client_cfg() { # name store -> a settings file for an initiator session
  cat <<CFG
[DEFAULT]
ConnectionType=initiator
SenderCompID=$1
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=1
FileStorePath=$2
ReconnectInterval=1
HeartBtInt=30
NonStopSession=Y
[SESSION]
BeginString=FIX.4.4
CFG
}
client_cfg CLIENT "$TMP/c1store" >"$TMP/c1.cfg"
client_cfg CLIENT2 "$TMP/c2store" >"$TMP/c2.cfg"

XPORT=0 XRUN=0
start_executor() {
  XRUN=$((XRUN + 1))
  "$FX" -c "$TMP/x.cfg" --port "$XPORT" --order-log "$TMP/orders.log" \
    >"$TMP/x$XRUN.out" 2>"$TMP/x$XRUN.err" &
  XP=$!
  local p
  p=$(wait_line "$TMP/x$XRUN.out" 'READY port=') || fail "executor run $XRUN: no READY"
  XPORT=$p
}
PRUN=0
start_proxy() { # proxy options...
  PRUN=$((PRUN + 1))
  "$FP" --target "$XPORT" --seed $((SEED + PRUN)) --timeout 100 "$@" \
    >"$TMP/p$PRUN.out" 2>"$TMP/p$PRUN.err" &
  PP=$!
  PPORT=$(wait_line "$TMP/p$PRUN.out" 'READY port=') || fail "proxy: no READY"
}
stop_proxy() {
  kill -TERM "$PP" 2>/dev/null; wait "$PP" 2>/dev/null; PP=
  PLINE=$(grep '^PROXY' "$TMP/p$PRUN.out")
}
CRUN=0
# run_client name port orders window extra...: run k$CRUN (the caller
# increments CRUN first, so that a run in the background keeps its number).
run_client() {
  local name=$1 port=$2 n=$3 w=$4
  shift 4
  timeout -k 5 80 "$FC" -c "$TMP/$name.cfg" --port "$port" --orders "$n" --window "$w" \
    --timeout 70 --status "$@" >"$TMP/k$CRUN.out" 2>"$TMP/k$CRUN.err"
}
# CLIENT2 trades at a steady rate straight to the executor meanwhile.
start_client2() { # orders rate
  "$FC" -c "$TMP/c2.cfg" --port "$XPORT" --orders "$1" --rate "$2" --timeout 70 --status \
    >"$TMP/c2-$PHASE.out" 2>"$TMP/c2-$PHASE.err" &
  C2=$!
}
check_client2() {
  wait "$C2"; local rc=$?; C2=
  [ $rc -eq 0 ] || fail "CLIENT2 exit $rc"
  grep -q "^RESULT orders=$1 acked=$1 " "$TMP/c2-$PHASE.out" || fail "CLIENT2 lost orders"
  grep -q "^STATUS .* logons=1 " "$TMP/c2-$PHASE.out" || fail "CLIENT2 was disturbed (reconnected)"
}
# Every delivery in the executor's log: ClOrdID seen at most once without
# PossDup, always with the same MsgSeqNum.
check_deliveries() {
  awk '
    { key = $1 " " $2; n[key]++; if ($4 != "Y") plain[key]++
      if (key in seq && seq[key] != $3) { print "ClOrdID " $2 " came as " seq[key] " and " $3; bad = 1 }
      seq[key] = $3 }
    END { for (k in plain) if (plain[k] > 1) { print k " delivered " plain[k] " times without PossDup"; bad = 1 }
          exit bad }' "$TMP/orders.log" >"$TMP/check.txt" || fail "deliveries: $(head -n 3 "$TMP/check.txt")"
}
acked() { grep -q "^RESULT orders=$2 acked=$2 " "$TMP/k$1.out"; }
dups() { sed -n 's/.* duplicates=\([0-9]*\).*/\1/p' "$TMP/k$1.out" | tail -n 1; }

start_executor
RSS0=$(rss_kb "$XP")

# ---- cut
PHASE=cut
start_client2 1600 400
start_proxy --cut 500:30000 --cuts 4
CRUN=$((CRUN + 1)); run_client c1 "$PPORT" 2000 5 || fail "client exit $?"
acked "$CRUN" 2000 || fail "not every order acknowledged"
stop_proxy
check_client2 1600
check_deliveries
echo "cut: 2000/2000 acked ($(dups $CRUN) duplicate reports), $PLINE; CLIENT2 1600/1600 undisturbed"

# ---- garbage
PHASE=garbage
start_client2 800 400
start_proxy --garbage-after $((2000 + RANDOM % 30000))
CRUN=$((CRUN + 1)); run_client c1 "$PPORT" 1000 5 || fail "client exit $?"
acked "$CRUN" 1000 || fail "not every order acknowledged"
stop_proxy
check_client2 800
check_deliveries
echo "garbage: 1000/1000 acked, $PLINE; CLIENT2 800/800 undisturbed"

# ---- stall
PHASE=stall
start_client2 1200 400
start_proxy --stall-after $((5000 + RANDOM % 20000)) --stall-ms 2000
CRUN=$((CRUN + 1)); run_client c1 "$PPORT" 3000 50 &
CP=$!
PEAK=0
for _ in $(seq 60); do # 3 s of samples while the consumer stalls
  r=$(rss_kb "$XP"); [ -n "$r" ] && [ "$r" -gt "$PEAK" ] && PEAK=$r; sleep 0.05
done
wait "$CP"; rc=$?; CP=
[ $rc -eq 0 ] || fail "client exit $rc"
acked "$CRUN" 3000 || fail "not every order acknowledged"
stop_proxy
check_client2 1200
check_deliveries
echo "stall: 3000/3000 acked, $PLINE; executor RSS ${RSS0} kB before, ${PEAK} kB at most while stalled; CLIENT2 1200/1200 undisturbed"

# ---- kill-exec
PHASE=kill-exec
logons() { grep -c 'SERVER->CLIENT: logged on' "$TMP/x$XRUN.err"; }
base=$(logons)
CRUN=$((CRUN + 1)); run_client c1 "$XPORT" 4000 5 --rate 800 &
CP=$!
for k in 1 2 3; do
  # Kill 0.2-0.7 s after the client's session is up again (its reconnect
  # interval is 1 s), so that every kill lands while it trades.
  for _ in $(seq 200); do
    [ "$(logons)" -gt "$base" ] && break; sleep 0.05
  done
  base=0 # the next executor's log is a new file
  sleep "0.$((2 + RANDOM % 6))"
  kill -KILL "$XP"; wait "$XP" 2>/dev/null
  start_executor # same port, same files
done
wait "$CP"; rc=$?; CP=
[ $rc -eq 0 ] || fail "client exit $rc"
acked "$CRUN" 4000 || fail "not every order acknowledged after 3 kills"
# Each kill landed while the client traded: it logged on again each time.
L=$(sed -n 's/^STATUS .* logons=\([0-9]*\) .*/\1/p' "$TMP/k$CRUN.out")
[ "${L:-0}" -ge 4 ] || fail "the client logged on $L times, not after each of 3 kills"
check_deliveries
echo "kill-exec: 3 SIGKILLs of the executor, 4000/4000 acked ($(dups $CRUN) duplicate reports)"

# ---- kill-cli
PHASE=kill-cli
before=$(wc -l <"$TMP/orders.log")
CRUN=$((CRUN + 1))
K=$CRUN
"$FC" -c "$TMP/c1.cfg" --port "$XPORT" --orders 1000000 --window 5 --timeout 70 \
  >"$TMP/k$K.out" 2>"$TMP/k$K.err" &
CP=$!
sleep "0.$((3 + RANDOM % 6))"
kill -KILL "$CP"; wait "$CP" 2>/dev/null; CP=
# The killed run's ClOrdIDs share one prefix: find it in the log.
PFX=$(tail -n +$((before + 1)) "$TMP/orders.log" | awk '$1 ~ /CLIENT$/ { sub(/-[0-9]+$/, "", $2); print $2; exit }')
[ -n "$PFX" ] || fail "the killed client sent nothing"
CRUN=$((CRUN + 1)); run_client c1 "$XPORT" 500 5 || fail "restarted client exit $?"
acked "$CRUN" 500 || fail "restarted client: not every order acknowledged"
check_deliveries
# No hole among the killed run's orders: 0..max all delivered.
awk -v p="$PFX-" 'index($2, p) == 1 { i = substr($2, length(p) + 1) + 0; seen[i] = 1; if (i > max) max = i }
  END { for (i = 0; i <= max; i++) if (!(i in seen)) { print "order " i " of the killed run missing"; exit 1 }
        print max + 1 }' "$TMP/orders.log" >"$TMP/holes.txt" || fail "$(cat "$TMP/holes.txt")"
echo "kill-cli: killed after $(cat "$TMP/holes.txt") orders reached the executor, none missing; restarted run 500/500 acked"

RSS1=$(rss_kb "$XP")
[ "$RSS1" -lt $((RSS0 + 65536)) ] || fail "executor RSS grew from $RSS0 to $RSS1 kB"
kill -TERM "$XP"; wait "$XP"; rc=$?; XP=
[ $rc -eq 0 ] || fail "executor exit $rc"
echo "faults: executor RSS ${RSS0} kB at start, ${RSS1} kB at the end; $(wc -l <"$TMP/orders.log") deliveries checked, $(awk '$4 == "Y"' "$TMP/orders.log" | wc -l) of them PossDup"
echo PASS
