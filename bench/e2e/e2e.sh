#!/usr/bin/env bash
# End-to-end round trips, loopback, two processes: NewOrderSingle out,
# ExecutionReport back, timed by the client, for
#   fixgw   fixgw-client  <-> fixgw-executor  (memory store; and the file
#           store written to the OS, QuickFIX's durability, at window 1;
#           and over TLS 1.3 at window 1, when built with TLS)
#   qf      qf-client     <-> qf-executor     (QuickFIX 1.15, memory store)
#   tcp     tcp_pingpong client <-> server    (the same bytes, no engine)
# at window 1 (one order in flight) and window 100, all blocking (the
# kernel wakes each side) and all busy-polling (each side spins on its
# core). Server on CPU $E2E_SERVER_CPU, client on $E2E_CLIENT_CPU, the same
# for every row. Prints a table; writes JSON.
#
#   bench/e2e/e2e.sh BUILD_DIR [OUT_DIR]     (BUILD_DIR a Release build)
# Environment: E2E_ORDERS_W1 (default 50000), E2E_ORDERS_W100 (200000),
# E2E_MODES ("block busy"), E2E_SERVER_CPU (0), E2E_CLIENT_CPU (1).
set -euo pipefail

# QuickFIX 1.15 cannot bind its acceptor to one address (no
# SocketAcceptHost): it listens on every interface. Run in a network
# namespace of its own whose only interface is loopback, so nothing listens
# beyond 127.0.0.1. Without the rights for one, skip (exit 77).
if [ -z "${FIXGW_IN_NETNS:-}" ]; then
  if unshare --net true 2>/dev/null; then
    FIXGW_IN_NETNS=1 exec unshare --net bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
  fi
  echo "SKIP: no private network namespace (needs root or CAP_SYS_ADMIN)"
  exit 77
fi
cd "$(dirname "$0")/../.."
B=${1:?usage: e2e.sh BUILD_DIR [OUT_DIR]}
OUT=${2:-build/bench}
N1=${E2E_ORDERS_W1:-50000}
N100=${E2E_ORDERS_W100:-200000}
MODES=${E2E_MODES:-block busy}
SCPU=${E2E_SERVER_CPU:-0}
CCPU=${E2E_CLIENT_CPU:-1}
mkdir -p "$OUT"

cmake --build "$B" -j"$(nproc)" --target fixgw-executor fixgw-client qf-executor qf-client \
  tcp_pingpong >"$B.e2e-build.log" 2>&1 || {
  cat "$B.e2e-build.log"
  exit 1
}
# TLS rows when the build has TLS: certificates made by bench/tls/tls_certs.
TC=
if cmake --build "$B" --target tls_certs >>"$B.e2e-build.log" 2>&1; then
  TC=$(find "$B/bench/tls" -type f -name tls_certs -perm -u+x | head -n 1)
fi
FX=$B/examples/executor/fixgw-executor
FC=$B/examples/client/fixgw-client
QX=$B/tests/interop/qf-executor
QC=$B/tests/interop/qf-client
TP=$(find "$B/bench/e2e" -type f -name tcp_pingpong -perm -u+x | head -n 1)
[ -x "$FX" ] && [ -x "$FC" ] && [ -x "$QX" ] && [ -x "$QC" ] && [ -n "$TP" ] || {
  echo "e2e: a program is missing in $B"
  exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fixgw-e2e.XXXXXX")
SP=
cleanup() {
  if [ -n "$SP" ] && kill -0 "$SP" 2>/dev/null; then kill -KILL "$SP" 2>/dev/null || true; fi
  rm -rf "$TMP"
  if [ -n "${TLS_DIR:-}" ]; then rm -rf "$TLS_DIR"; fi
}
trap cleanup EXIT

# Like with like: FIX.4.4, no dictionary validation on either engine (the
# QuickFIX peers run with UseDataDictionary=N), a fresh session per run.
cat >"$TMP/fx.cfg" <<EOF
[DEFAULT]
ConnectionType=acceptor
SenderCompID=SERVER
TargetCompID=CLIENT
SocketAcceptHost=127.0.0.1
SocketAcceptPort=0
NonStopSession=Y
UseDataDictionary=N
ResetOnLogon=Y
[SESSION]
BeginString=FIX.4.4
EOF
sed "s|^ResetOnLogon=Y|ResetOnLogon=Y\nFileStorePath=$TMP/fx-store|" "$TMP/fx.cfg" >"$TMP/fx-file.cfg"
cat >"$TMP/fc.cfg" <<EOF
[DEFAULT]
ConnectionType=initiator
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=5001
ReconnectInterval=1
NonStopSession=Y
UseDataDictionary=N
ResetOnLogon=Y
[SESSION]
BeginString=FIX.4.4
EOF
sed "s|^ResetOnLogon=Y|ResetOnLogon=Y\nFileStorePath=$TMP/fc-store|" "$TMP/fc.cfg" >"$TMP/fc-file.cfg"
TLS_DIR=
if [ -n "$TC" ]; then
  CERTS=$("$TC")
  TLS_DIR=$(sed -n 's/.*dir=\([^ ]*\).*/\1/p' <<<"$CERTS")
  TLS_CA=$(sed -n 's/.*ca=\([^ ]*\).*/\1/p' <<<"$CERTS")
  TLS_CRT=$(sed -n 's/.*server=\([^ ]*\).*/\1/p' <<<"$CERTS")
  TLS_KEY=$(sed -n 's/.*server_key=\([^ ]*\).*/\1/p' <<<"$CERTS")
  sed "s|^ResetOnLogon=Y|ResetOnLogon=Y\nSocketUseSSL=Y\nSSLProtocol=TLSv1_3\nServerCertificateFile=$TLS_CRT\nServerCertificateKeyFile=$TLS_KEY|" \
    "$TMP/fx.cfg" >"$TMP/fx-tls.cfg"
  sed "s|^ResetOnLogon=Y|ResetOnLogon=Y\nSocketUseSSL=Y\nSSLProtocol=TLSv1_3\nCertificationAuthoritiesFile=$TLS_CA|" \
    "$TMP/fc.cfg" >"$TMP/fc-tls.cfg"
fi
QACFG=tests/interop/qf_acceptor.cfg
QICFG=tests/interop/qf_initiator.cfg

start_server() { # NAME CMD...: pinned, until READY
  local name=$1; shift
  taskset -c "$SCPU" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
  SP=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(sed -n 's/^READY port=\([0-9]*\)$/\1/p' "$TMP/$name.out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SP" 2>/dev/null || break
    sleep 0.1
  done
  echo "e2e: $name: no READY"; cat "$TMP/$name.err"; exit 1
}
stop_server() {
  kill -TERM "$SP" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SP" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SP" 2>/dev/null || true
  wait "$SP" 2>/dev/null || true
  SP=
}

ROWS=()
run() { # LABEL MODE WINDOW ORDERS SERVER-CMD... -- CLIENT-CMD...
  local label=$1 mode=$2 w=$3 n=$4; shift 4
  local srv=() cli=()
  while [ "$1" != -- ]; do srv+=("$1"); shift; done
  shift
  cli=("$@")
  start_server srv "${srv[@]}"
  local line
  line=$(timeout -k 5 120 taskset -c "$CCPU" "${cli[@]}" --port "$PORT" --orders "$n" \
    --window "$w" 2>"$TMP/client.err" | grep '^RESULT' || true)
  stop_server
  [ -n "$line" ] || { echo "e2e: $label: no RESULT"; cat "$TMP/client.err"; exit 1; }
  case "$line" in "RESULT orders=$n acked=$n "*) ;; *) echo "e2e: $label: $line"; exit 1 ;; esac
  ROWS+=("$label $mode $w $line")
  printf '  %-12s %-5s w=%-3s %s\n' "$label" "$mode" "$w" "$line"
}

echo "e2e: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs;" \
  "server on CPU $SCPU, client on CPU $CCPU; $(cc --version | head -n1);" \
  "$(grep -m1 CMAKE_BUILD_TYPE: "$B/CMakeCache.txt" | cut -d= -f2) build; load $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in $MODES; do
  bp=()
  [ "$mode" = busy ] && bp=(--busy-poll)
  for w in 1 100; do
    n=$N1
    [ "$w" = 100 ] && n=$N100
    run tcp "$mode" "$w" "$n" "$TP" server "${bp[@]}" -- "$TP" client "${bp[@]}"
    run fixgw "$mode" "$w" "$n" "$FX" -c "$TMP/fx.cfg" --memory-store "${bp[@]}" -- \
      "$FC" -c "$TMP/fc.cfg" --memory-store --timeout 100 "${bp[@]}"
    run qf "$mode" "$w" "$n" "$QX" -c "$QACFG" --port 0 "${bp[@]}" -- \
      "$QC" -c "$QICFG" --session FIX.4.4 --timeout 100 "${bp[@]}"
    if [ -n "$TLS_DIR" ] && [ "$w" = 1 ]; then
      run fixgw-tls "$mode" 1 "$n" "$FX" -c "$TMP/fx-tls.cfg" --memory-store "${bp[@]}" -- \
        "$FC" -c "$TMP/fc-tls.cfg" --memory-store --timeout 100 "${bp[@]}"
    fi
  done
  rm -rf "$TMP/fx-store" "$TMP/fc-store"
  run fixgw-file "$mode" 1 "$N1" "$FX" -c "$TMP/fx-file.cfg" --sync os "${bp[@]}" -- \
    "$FC" -c "$TMP/fc-file.cfg" --sync os --timeout 100 "${bp[@]}"
done

# ------------------------------------------------------------ table, JSON
val() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }
echo
printf '%-11s %-5s %4s %9s %9s %9s %9s %10s %12s\n' system mode win min_us p50_us p99_us p999_us max_us orders_per_s
JSON="$OUT/e2e.json"
{
  echo "{"
  echo "  \"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\","
  echo "  \"server_cpu\": $SCPU, \"client_cpu\": $CCPU,"
  echo "  \"compiler\": \"$(cc --version | head -n1)\","
  echo "  \"runs\": ["
} >"$JSON"
i=0
for r in "${ROWS[@]}"; do
  read -r label mode w rest <<<"$r"
  printf '%-11s %-5s %4s %9s %9s %9s %9s %10s %12s\n' "$label" "$mode" "$w" "$(val "$rest" min_us)" \
    "$(val "$rest" p50_us)" "$(val "$rest" p99_us)" "$(val "$rest" p999_us)" "$(val "$rest" max_us)" \
    "$(val "$rest" orders_per_s)"
  sep=,
  i=$((i + 1))
  [ $i -eq ${#ROWS[@]} ] && sep=
  printf '    {"system": "%s", "mode": "%s", "window": %s, "orders": %s, "acked": %s, "min_us": %s, "p50_us": %s, "p99_us": %s, "p999_us": %s, "max_us": %s, "orders_per_s": %s}%s\n' \
    "$label" "$mode" "$w" "$(val "$rest" orders)" "$(val "$rest" acked)" "$(val "$rest" min_us)" \
    "$(val "$rest" p50_us)" "$(val "$rest" p99_us)" "$(val "$rest" p999_us)" "$(val "$rest" max_us)" \
    "$(val "$rest" orders_per_s)" "$sep" >>"$JSON"
done
echo "  ]" >>"$JSON"
echo "}" >>"$JSON"

# Ratios the issue's targets are stated in, per mode.
echo
for mode in $MODES; do
  pick() { for r in "${ROWS[@]}"; do read -r l m w rest <<<"$r"; [ "$l $m $w" = "$1 $mode $2" ] && val "$rest" "$3"; done; }
  awk -v m="$mode" -v fp50="$(pick fixgw 1 p50_us)" -v tp50="$(pick tcp 1 p50_us)" \
    -v fp99="$(pick fixgw 1 p99_us)" -v qp99="$(pick qf 1 p99_us)" \
    -v ffp50="$(pick fixgw-file 1 p50_us)" -v fo="$(pick fixgw 100 orders_per_s)" \
    -v qo="$(pick qf 100 orders_per_s)" 'BEGIN {
      printf "%s: fixgw p50 / tcp p50 = %.2f (target <= 1.2); qf p99 / fixgw p99 = %.1f (>= 3);", m, fp50 / tp50, qp99 / fp99
      printf " file / memory p50 = %.2f (<= 1.2); w100 fixgw / qf orders/s = %.1f (>= 10), fixgw %d orders/s (>= 500000)\n", ffp50 / fp50, fo / qo, fo }'
  if [ -n "$TLS_DIR" ]; then
    awk -v m="$mode" -v sp50="$(pick fixgw-tls 1 p50_us)" -v fp50="$(pick fixgw 1 p50_us)" 'BEGIN {
      printf "%s: fixgw-tls (TLS 1.3) p50 / fixgw p50 = %.2f (target <= 1.3)\n", m, sp50 / fp50 }'
  fi
done
echo "e2e: JSON in $JSON"
