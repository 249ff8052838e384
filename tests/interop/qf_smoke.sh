#!/bin/sh
# Smoke test of the QuickFIX peer programs: qf-executor on a free port,
# qf-client against it once per FIX version, then SIGTERM to the executor.
#
#   qf_smoke.sh QF_EXECUTOR QF_CLIENT ACCEPTOR_CFG INITIATOR_CFG [ORDERS]
#
# Every step is bounded (`timeout`, a READY wait, a wait for the exit), and
# the only process this script signals is the executor it started, by pid.
set -u

# QuickFIX 1.15 cannot bind its acceptor to one address (no
# SocketAcceptHost): it listens on every interface. Run the whole test in
# a network namespace of its own, whose only interface is loopback, so
# nothing listens beyond 127.0.0.1. Without the rights for one, skip.
if [ -z "${FIXGW_IN_NETNS:-}" ]; then
  if unshare --net true 2>/dev/null; then
    FIXGW_IN_NETNS=1 exec unshare --net sh -c 'ip link set lo up && exec sh "$0" "$@"' "$0" "$@"
  fi
  echo "SKIP: no private network namespace (needs root or CAP_SYS_ADMIN)"
  exit 77
fi

EXECUTOR=$1 CLIENT=$2 ACFG=$3 ICFG=$4 ORDERS=${5:-1000}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/qf_smoke.XXXXXX") || exit 1
PID=
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -KILL "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fail() { echo "FAIL: $*"; for f in "$TMP"/*; do [ -s "$f" ] && { echo "--- $f"; cat "$f"; }; done; exit 1; }

# 1. the executor, on a port it picks, until it says READY (10 s at most)
: >"$TMP/executor.out"
"$EXECUTOR" -c "$ACFG" --port 0 >>"$TMP/executor.out" 2>"$TMP/executor.err" &
PID=$!
PORT=
i=0
while [ $i -lt 100 ]; do
  PORT=$(sed -n 's/^READY port=\([0-9][0-9]*\)$/\1/p' "$TMP/executor.out")
  [ -n "$PORT" ] && break
  kill -0 "$PID" 2>/dev/null || fail "qf-executor exited before READY"
  sleep 0.1
  i=$((i + 1))
done
[ -n "$PORT" ] || fail "no READY line from qf-executor within 10 s"
[ "$(wc -l <"$TMP/executor.out")" -eq 1 ] || fail "qf-executor printed more than one line"
echo "qf-executor pid $PID: READY port=$PORT"

# 2. one client per version, each pacing differently
run() { # name, then qf-client arguments
  name=$1; shift
  timeout -k 5 90 "$CLIENT" -c "$ICFG" --port "$PORT" --orders "$ORDERS" \
    --timeout 60 "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
  rc=$?
  line=$(grep '^RESULT ' "$TMP/$name.out")
  echo "$name ($*): exit $rc: $line"
  [ $rc -eq 0 ] || fail "$name: qf-client exit $rc"
  [ "$(wc -l <"$TMP/$name.out")" -eq 1 ] || fail "$name: expected one output line"
  case "$line" in
    "RESULT orders=$ORDERS acked=$ORDERS "*) ;;
    *) fail "$name: not every order acknowledged" ;;
  esac
}
run fix42 --session FIX.4.2
run fix44 --session FIX.4.4 --window 100
run fixt11 --session FIXT.1.1 --rate 20000 --window 50

# 3. SIGTERM: every session logged out, exit 0 (15 s at most)
kill -TERM "$PID"
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$PID" 2>/dev/null && fail "qf-executor still running 15 s after SIGTERM"
wait "$PID"
rc=$?
PID=
[ $rc -eq 0 ] || fail "qf-executor exit $rc after SIGTERM"
echo "qf-executor: exit 0 after SIGTERM"
echo PASS
