#!/usr/bin/env bash
# Whole imports of one export by several restday binaries, in turn, each on a fresh data folder,
# ROUNDS times: wall and CPU seconds, peak RSS, and the share of the machine's CPU time left
# idle during the run (from /proc/stat; 2 cores fully used is 0), and the share the hypervisor
# gave to others while this machine's cores had work (steal). Alternating puts every binary
# through the same neighbours, which move this machine's speed by a third within an hour.
#
#   benches/alternate.sh ROUNDS EXPORT.zip BINARY...
#   benches/alternate.sh 5 target/export-1200.zip /tmp/restday-old target/release/restday
set -euo pipefail
rounds=$1 export=$2
shift 2
data=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$data" "$out" "$out.t"' EXIT
ticks() { awk '/^cpu /{print $5 + $6, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
ratio() { awk -v n="$1" -v d="$2" 'BEGIN{printf "%.3f", n / d}'; }
for _ in $(seq "$rounds"); do
    for bin in "$@"; do
        rm -rf "$data/d"
        read -r idle0 steal0 all0 < <(ticks)
        /usr/bin/time -o "$out.t" -f "%e %U %S %M" "$bin" --quiet --data-dir "$data/d" import "$export" >/dev/null
        read -r idle1 steal1 all1 < <(ticks)
        read -r wall user sys rss < "$out.t"
        share=$(ratio $((idle1 - idle0)) $((all1 - all0)))
        steal=$(ratio $((steal1 - steal0)) $((all1 - all0)))
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u + s}')
        echo "$bin wall $wall s, cpu $cpu s, peak RSS $((rss / 1024)) MB, idle $share, steal $steal"
        echo "$bin $wall $cpu $rss $share $steal" >> "$out"
    done
done
echo
for bin in "$@"; do
    col() { awk -v b="$bin" -v c="$1" '$1 == b {print $c}' "$out" | sort -n | tr '\n' ' '; }
    echo "$bin"
    echo "  wall: $(col 2)"
    echo "  cpu:  $(col 3)"
    echo "  idle: $(col 5)"
    echo "  steal: $(col 6)"
done
