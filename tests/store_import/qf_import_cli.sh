#!/bin/sh
# fixgw-qf-import on stores QuickFIX wrote (test_store_import_quickfix
# --write): what it prints matches what QuickFIX reads back, the store it
# makes is there, a second run and a bad store fail with exit 1 and leave
# nothing behind, --check writes nothing, usage errors exit 2.
# usage: qf_import_cli.sh FIXGW_QF_IMPORT QF_WRITER   (QF_WRITER "" -> skip)
set -u
tool=$1 writer=$2
[ -n "$writer" ] && [ -x "$writer" ] || { echo "QuickFIX not installed: skipped"; exit 77; }
d=$(mktemp -d /tmp/fixgw-qfcli-XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
fails=0
no() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { grep -qF -- "$2" "$1" || no "$1 lacks \"$2\": $(cat "$1")"; }

mkdir "$d/qf" "$d/out" "$d/bad"
"$writer" --write "$d/qf" > "$d/want" || { echo "writer failed"; exit 1; }
"$tool" --help > "$d/help" || no "--help exit $?"
has "$d/help" "usage: fixgw-qf-import"
"$tool" > /dev/null 2>&1; [ $? -eq 2 ] || no "no arguments: exit not 2"
"$tool" --prefix P --begin B "$d/qf" "$d/out" > /dev/null 2>&1; [ $? -eq 2 ] || no "both forms: exit not 2"

# Each session QuickFIX wrote: the numbers it reads back are printed.
while read -r prefix msgs bytes sender target creation; do
  msgs=${msgs#messages=} bytes=${bytes#bytes=} sender=${sender#next_sender=}
  target=${target#next_target=} creation=${creation#creation=}
  "$tool" --check --prefix "$prefix" "$d/qf" > "$d/check" 2>&1 || no "$prefix --check: exit $?"
  [ -z "$(ls "$d/out")" ] || no "--check wrote into the destination"
  "$tool" --prefix "$prefix" "$d/qf" "$d/out" > "$d/got" 2>&1 || no "$prefix: exit $?"
  for f in "$d/check" "$d/got"; do
    has "$f" "messages      $msgs ("
    has "$f" ", $bytes bytes,"
    has "$f" "next sender   $sender"
    has "$f" "next target   $target"
    has "$f" "creation time $creation UTC"
  done
  has "$d/got" "into          $d/out/$prefix.log"
  [ -s "$d/out/$prefix.log" ] || no "no $d/out/$prefix.log"
  # Never over an existing store.
  "$tool" --prefix "$prefix" "$d/qf" "$d/out" > "$d/again" 2>&1
  [ $? -eq 1 ] || no "second import into the same store: exit not 1"
  has "$d/again" "already there"
  rm -f "$d/out/"*
done < "$d/want"
[ "$(wc -l < "$d/want")" -eq 2 ] || no "the writer wrote $(wc -l < "$d/want") sessions, not 2"

# The parts form, with the qualifier.
"$tool" --begin FIX.4.4 --sender QFSND --target QFTGT --qualifier Q1 "$d/qf" "$d/out" \
  > "$d/got" 2>&1 || no "parts form: exit $?"
has "$d/got" "into          $d/out/FIX.4.4-QFSND-QFTGT-Q1.log"
rm -f "$d/out/"*

# A cut .body and a missing .seqnums: exit 1, the reason, nothing left.
cp "$d/qf/"* "$d/bad/"
truncate -s -1 "$d/bad/FIX.4.4-QFSND-QFTGT.body"
"$tool" --prefix FIX.4.4-QFSND-QFTGT "$d/bad" "$d/out" > "$d/err" 2>&1
[ $? -eq 1 ] || no "cut .body: exit not 1"
has "$d/err" "FIX.4.4-QFSND-QFTGT.header: entry"
has "$d/err" "points past the end of $d/bad/FIX.4.4-QFSND-QFTGT.body"
rm "$d/bad/FIX.4.4-QFSND-QFTGT-Q1.seqnums"
"$tool" --prefix FIX.4.4-QFSND-QFTGT-Q1 "$d/bad" "$d/out" > "$d/err" 2>&1
[ $? -eq 1 ] || no "missing .seqnums: exit not 1"
has "$d/err" "FIX.4.4-QFSND-QFTGT-Q1.seqnums: missing"
[ -z "$(ls "$d/out")" ] || no "a failed import left $(ls "$d/out")"

if [ $fails -eq 0 ]; then echo "qf_import_cli: all checks passed"; exit 0; fi
echo "qf_import_cli: $fails check(s) failed"; exit 1
