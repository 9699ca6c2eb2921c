#!/bin/sh
# candidates_mem.sh - rank 0's peak memory against search.candidates: a learning scan of the
# shellnd toy in 10 dimensions (share/examples/shell10d.yaml, run.mode sync, one rank) with
# SMALL and with LARGE candidates per generation, peak RSS measured by GNU time. The candidates
# are drawn and scored in fixed-size chunks (src/method/learn.c), so both runs should need
# about the same memory: the ratio LARGE / SMALL should be close to 1. With BASE set to another
# mlscan binary (e.g. one built before the chunking), that binary runs the LARGE card too, and
# its peak is compared with MLSCAN's. Each run's efficiency (good / evaluated, from the `done:`
# line) is printed alongside: the chunking must not cost quality.
#
# Environment (all optional):
#   MLSCAN    mlscan binary under test         (default: <repo top>/mlscan)
#   BASE      a second binary to compare with  (default: none)
#   METHOD    dnnr, dnnc or mls                (default: dnnr)
#   SMALL     search.candidates, small run     (default: 100000)
#   LARGE     search.candidates, large run     (default: 2000000)
#   EVALS     stop.evaluations                 (default: 3000)
#   SEED      run.seed                         (default: 1)
#   TIME      GNU time                         (default: /usr/bin/time)
#   TIMEOUT   seconds allowed per run          (default: 900)
# Exit status: 0 when every run succeeded, 1 otherwise, 2 bad usage.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$top/bench/common.sh"
BASE=${BASE:-}
METHOD=${METHOD:-dnnr}
SMALL=${SMALL:-100000}
LARGE=${LARGE:-2000000}
EVALS=${EVALS:-3000}
SEED=${SEED:-1}
TIME=${TIME:-/usr/bin/time}
card_in=$top/share/examples/shell10d.yaml

case "$SMALL$LARGE$EVALS$SEED$TIMEOUT" in
*[!0-9]*) usage "SMALL, LARGE, EVALS, SEED and TIMEOUT must be integers" ;;
esac
case "$METHOD" in
dnnr | dnnc | mls) ;;
*) usage "METHOD must be dnnr, dnnc or mls" ;;
esac
[ -x "$MLSCAN" ] || usage "no mlscan binary at $MLSCAN (run make)"
[ -z "$BASE" ] || [ -x "$BASE" ] || usage "BASE=$BASE is not executable"
"$TIME" -f %M true > /dev/null 2>&1 || usage "$TIME is not GNU time"

make_tmp

# card N - the run card with N candidates per generation
card() {
        sed -e "s/^run: .*/run: {name: candidates_mem, seed: $SEED, method: $METHOD, mode: sync}/" \
            -e "s/^stop: .*/stop: {evaluations: $EVALS}/" "$card_in"
        printf 'search: {candidates: %s}\n' "$1"
}

# measure BIN N LABEL - one run; sets rss (kB) and eff, prints a table row
measure() {
        card "$2" > "$tmp/card.yaml"
        rm -f "$tmp/out.h5"
        t0=$(now)
        timeout "$TIMEOUT" "$TIME" -f %M -o "$tmp/rss" "$1" "$tmp/card.yaml" -o "$tmp/out.h5" -f \
                > "$tmp/log" 2>&1
        rc=$?
        t1=$(now)
        rss=$(tail -n 1 "$tmp/rss" 2>/dev/null)
        eff=$(sed -n 's/.*done:.*efficiency \([0-9.]*\).*/\1/p' "$tmp/log" | tail -n 1)
        case "$rss" in
        '' | *[!0-9]*) rc=1 ;;
        esac
        if [ "$rc" -ne 0 ] || [ -z "$eff" ]; then
                echo "candidates_mem.sh: $3 ($1, $2 candidates) failed (exit $rc):" >&2
                tail -n 20 "$tmp/log" >&2
                exit 1
        fi
        awk -v l="$3" -v n="$2" -v r="$rss" -v e="$eff" -v t0="$t0" -v t1="$t1" \
                'BEGIN { printf "%-10s %12s %14.1f %10s %9.1f\n", l, n, r / 1024, e, t1 - t0 }'
}

echo "# candidates_mem.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname), nproc $(nproc)," \
     "$(git -C "$top" describe --always --dirty 2>/dev/null || echo 'no git')"
echo "# shell10d, method $METHOD, seed $SEED, $EVALS evaluations, 1 rank; MLSCAN=$MLSCAN${BASE:+, BASE=$BASE}"
printf '%-10s %12s %14s %10s %9s\n' run candidates "peak RSS (MB)" efficiency "wall (s)"
measure "$MLSCAN" "$SMALL" small
rss_small=$rss
measure "$MLSCAN" "$LARGE" large
rss_large=$rss
if [ -n "$BASE" ]; then
        measure "$BASE" "$LARGE" base
        rss_base=$rss
fi
# ratio LABEL A B - "LABEL: A MB / B MB = A / B"
ratio() {
        awk -v l="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%s: %.1f MB / %.1f MB = %.3f\n", l, a / 1024, b / 1024, a / b }'
}
ratio "peak RSS, $LARGE / $SMALL candidates" "$rss_large" "$rss_small"
if [ -n "$BASE" ]; then
        ratio "peak RSS at $LARGE candidates, BASE / MLSCAN" "$rss_base" "$rss_large"
fi
exit 0
