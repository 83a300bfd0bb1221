#!/bin/bash
# md5 of every `tcpstate pcap` output mode on each capture given, for a built command line (dist/bin/main.js of
# this tree or of another checkout): run it before and after a change to the capture code and diff the two lists.
#
#   bash bench/capture-md5.sh [DIST_MAIN_JS] CAPTURE... > md5s.txt
#
# The #open/#close lines of --zeek carry the wall-clock time and are left out. --at uses +0.5 s (every fixture
# spans less) and +30 s, and end.
set -u
main=dist/bin/main.js
if [[ "${1:-}" == *.js ]]; then main=$1; shift; fi
svg=$(mktemp --suffix=.svg /tmp/capture-md5-XXXXXX)
trap 'rm -f "$svg"' EXIT
unset NODE_EXTRA_CA_CERTS
modes=("" "--zeek" "--ndjson" "--json" "--split zeek --ndjson" "--all" "--story --limit 3"
  "--at end" "--at +0.5" "--at +30" "--at end --json" "--at +0.5 --ndjson" "--at end -l" "--at end --csv"
  "--timeline" "--checksums --ndjson" "--time-wait 30s --json")
for f in "$@"; do
  for m in "${modes[@]}"; do
    # shellcheck disable=SC2086
    sum=$(node "$main" pcap "$f" $m --no-progress 2>&1 | grep -av '^#open\|^#close' | md5sum | cut -c1-32)
    echo "$sum  $(basename "$f") [$m]"
  done
  node "$main" pcap "$f" --timeline --svg "$svg" --no-progress >/dev/null 2>&1
  echo "$(md5sum <"$svg" | cut -c1-32)  $(basename "$f") [--svg]"
done
