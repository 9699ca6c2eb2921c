#!/bin/sh
# capacity.sh - how many results per second rank 0 handles: a random scan of the built-in
# shell3d model (a fraction of a microsecond per point, so the workers are never the limit) on
# 64 ranks, against bench/msg_rate.c, a plain MPI program playing the same message protocol
# (2 points in flight per worker, MPI_Iprobe(ANY_SOURCE) + MPI_Recv of the 5 + m doubles of a
# result, MPI_Send of the 3 + d doubles of the next point) with no mlscan code.
#
# Each run repeats REPS times (repetition outer); the table shows medians. Figures: results/s
# from mlscan's `done:` line (points / its elapsed) and from outside timing (points / wall, with
# MPI start-up), rank 0's cost per result from its `time: rank 0 dispatch X% (Y us per result)`
# line, and the ratio mlscan / raw MPI. The issue's target: at least 20,000 results/s.
# See bench/README.md.
#
# Environment (all optional):
#   MLSCAN   mlscan binary                 (default: <repo top>/mlscan)
#   MPIEXEC  MPI launcher, may hold args   (default: mpiexec)
#   MPICC    MPI compiler for msg_rate.c   (default: mpicc)
#   RANKS    rank counts                   (default: 64)
#   N        results per run               (default: 2000000)
#   REPS     runs per configuration        (default: 3)
#   CKPT     run.checkpoint_seconds        (default: 3600: only the final checkpoint)
#   POLL     msg_rate's wait loop: nap (as src/farm.c) or spin   (default: nap)
#   H5DUMP   h5dump                        (default: h5dump; else /usr/bin/python3 with h5py)
#   TIMEOUT  seconds allowed per run       (default: 900)
#   QUICK=1  a smoke run of well under a minute: N=200000 REPS=1 TIMEOUT=300 (overridable)
# Exit status: 0 when every run succeeded (mlscan wrote N rows), 1 otherwise, 2 bad usage.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
if [ "${QUICK:-0}" = 1 ]; then
        : "${N:=200000}" "${REPS:=1}" "${TIMEOUT:=300}"
fi
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$top/bench/common.sh"
MPICC=${MPICC:-mpicc}
RANKS=${RANKS:-64}
N=${N:-2000000}
REPS=${REPS:-3}
CKPT=${CKPT:-3600}
POLL=${POLL:-nap}
TARGET=20000
card_in=$top/share/examples/shell3d.yaml

case "$N$REPS$TIMEOUT" in
*[!0-9]*) usage "N, REPS and TIMEOUT must be integers" ;;
esac
case $CKPT in '' | *[!0-9.]* | *.*.*) usage "CKPT must be a plain number of seconds" ;; esac
case $POLL in nap | spin) ;; *) usage "POLL must be nap or spin" ;; esac
if [ "$N" -le 0 ] || [ "$REPS" -le 0 ]; then usage "need N > 0 and REPS > 0"; fi
for n in $RANKS; do
        case $n in '' | *[!0-9]* | 0 | 1) usage "bad rank count '$n' in RANKS (need >= 2)" ;; esac
done
[ -n "$RANKS" ] || usage "RANKS must not be empty"
need_mlscan

make_tmp

# ------------------------------------------------------------------ set-up
sed -e "s/^\([[:space:]]*evaluations:\).*/\1 $N/" \
    -e "s/^\([[:space:]]*checkpoint_seconds:\).*/\1 $CKPT/" "$card_in" >"$tmp/card.yaml" || die "sed failed"
grep -q "^[[:space:]]*evaluations: $N\$" "$tmp/card.yaml" || die "could not set stop.evaluations in $card_in"
grep -q "^[[:space:]]*checkpoint_seconds: $CKPT\$" "$tmp/card.yaml" ||
        die "could not set run.checkpoint_seconds in $card_in"
"$MPICC" -O2 -o "$tmp/msg_rate" "$top/bench/msg_rate.c" -lm || die "compiling bench/msg_rate.c with $MPICC failed"

# parse_log LOG: mlscan's figures, n/a where a line is absent:
#   evaluated rate elapsed dispatch% us_per_result idle% io% total_s
parse_log() {
        awk "$awk_after"'
        BEGIN { for (i = 1; i <= 8; i++) v[i] = "n/a" }
        index($0, "done: evaluated ") {
                s = substr($0, index($0, "done: evaluated "))
                v[1] = after(s, "done: evaluated ")
                if (match(s, /[0-9.]+ points\/s/)) v[2] = substr(s, RSTART, RLENGTH - 9)
                v[3] = after(s, "elapsed ")
        }
        index($0, "time: rank 0 ") {
                s = substr($0, index($0, "time: rank 0 "))
                v[4] = after(s, "dispatch ")
                t = substr(s, index(s, "dispatch "))
                if (index(t, "(")) v[5] = after(t, "(")
                v[6] = after(s, "idle "); v[7] = after(s, "I/O ")
                if (match(s, /% of [0-9.]+ s/)) v[8] = after(substr(s, RSTART), "% of ")
        }
        END { for (i = 1; i <= 8; i++) printf "%s%s", v[i], i < 8 ? " " : "\n" }' "$1"
}

# run_raw RANKS REP: msg_rate; appends `wall rate us outside_rate` to $tmp/r.raw.RANKS
run_raw() {
        log=$tmp/log.raw.$1.$2
        # $MPIEXEC is left unquoted so that it may carry options.
        # shellcheck disable=SC2086
        launch "msg_rate, $1 ranks, run $2" "$log" $MPIEXEC -n "$1" "$tmp/msg_rate" "$N" 3 1 2 "$POLL"
        line=$(grep '^msg_rate: ' "$log") || fail_run "msg_rate, $1 ranks, run $2: no result line" "$log"
        echo "$line" | awk -v w="$wall" -v n="$N" '{
                for (i = 1; i <= NF; i++) { if ($i == "results/s") r = $(i + 1); if ($i == "result") u = $(i + 1) }
                sub(/,$/, "", r)
                printf "%s %s %s %.1f\n", w, r, u, n / w }' >>"$tmp/r.raw.$1"
}

# run_mlscan RANKS REP: appends `wall rate elapsed dispatch% us idle% io% total outside_rate`
run_mlscan() {
        nr=$1 rp=$2
        log=$tmp/log.mls.$nr.$rp
        out=$tmp/out.$nr.$rp.h5
        # shellcheck disable=SC2086
        launch "mlscan, $nr ranks, run $rp" "$log" $MPIEXEC -n "$nr" "$MLSCAN" run "$tmp/card.yaml" --output "$out" --force
        got=$(rows_in "$out")
        rm -f "$out"
        [ "$got" = "$N" ] || die "mlscan, $nr ranks, run $rp: expected $N rows, found '${got:-nothing}'"
        # shellcheck disable=SC2046
        set -- $(parse_log "$log")
        [ "$1" = "$N" ] || echo "capacity.sh: warning: the done line says evaluated '$1', not $N" >&2
        awk -v w="$wall" -v n="$N" -v r="$2" -v e="$3" -v d="$4" -v u="$5" -v i="$6" -v o="$7" -v t="$8" \
                'BEGIN { printf "%s %s %s %s %s %s %s %s %.1f\n", w, r, e, d, u, i, o, t, n / w }' >>"$tmp/r.mls.$nr"
}

# ------------------------------------------------------------------ header
header_start "mlscan dispatch capacity: random scan of the built-in shell3d against a bare MPI loop of the same protocol"
echo "runs       ranks: $RANKS; $N results per run; $REPS run(s) each; checkpoint_seconds $CKPT; msg_rate poll: $POLL"
header_end

# ------------------------------------------------------------------ runs
rep=1
while [ "$rep" -le "$REPS" ]; do
        for n in $RANKS; do
                run_raw "$n" "$rep"
                run_mlscan "$n" "$rep"
        done
        rep=$((rep + 1))
done
load_end=$(load_avg)

# ------------------------------------------------------------------ table
printf "%-20s %5s %8s %7s %13s %13s %13s %9s %8s %6s %6s\n" "configuration" "ranks" "results" "wall s" "results/s in" \
       "results/s out" "excl. I/O" "us/result" "rank0 us" "disp%" "I/O%"
for n in $RANKS; do
        # raw: wall rate us outside_rate
        # shellcheck disable=SC2046
        set -- $(medians "$tmp/r.raw.$n")
        printf "%-20s %5s %8s %7.2f %13.0f %13.0f %13.0f %9.3f %8s %6s %6s\n" "raw MPI (msg_rate)" "$n" "$N" "$1" "$2" "$4" "$2" \
               "$3" "-" "-" "-"
        # mlscan: wall rate elapsed dispatch% us idle% io% total outside_rate
        # shellcheck disable=SC2046
        set -- $(medians "$tmp/r.mls.$n")
        awk -v n="$n" -v N="$N" -v w="$1" -v r="$2" -v d="$4" -v u="$5" -v io="$7" -v t="$8" -v o="$9" 'BEGIN {
                x = (io == "n/a" || t == "n/a" || io + 0 >= 100) ? "n/a" : sprintf("%.0f", N / (t * (1 - io / 100)))
                printf "%-20s %5s %8s %7.2f %13s %13.0f %13s %9s %8s %6s %6s\n", "mlscan", n, N, w, \
                       r == "n/a" ? "n/a" : sprintf("%.0f", r), o, x, r == "n/a" ? "n/a" : sprintf("%.3f", 1e6 / r), \
                       u == "n/a" ? "n/a" : sprintf("%.3f", u), d == "n/a" ? "n/a" : sprintf("%.1f", d), \
                       io == "n/a" ? "n/a" : sprintf("%.1f", io) }'
done
echo "(results/s in = msg_rate's own timer (first send to last result) / mlscan's done line (points / its elapsed);"
echo " results/s out = results / wall s, with MPI start-up; excl. I/O = results / (rank 0's 'of X s' minus its I/O"
echo " share: the checkpoint that writes every row at the end); us/result = 1e6 / results/s in;"
echo " rank0 us, disp%, I/O% = mlscan's 'time: rank 0 dispatch X% (Y us per result) ... I/O Z%' line; medians of $REPS run(s))"
echo

# ------------------------------------------------------------------ ratios
echo "ratios (medians)"
for n in $RANKS; do
        raw=$(medians "$tmp/r.raw.$n")
        mls=$(medians "$tmp/r.mls.$n")
        echo "$raw | $mls" | awk -v n="$n" -v N="$N" -v target="$TARGET" '{
                rr = $2; ro = $4; mr = $7; mo = $14; io = $12; t = $13
                mx = (io == "n/a" || t == "n/a" || io + 0 >= 100) ? "n/a" : N / (t * (1 - io / 100))
                printf "  %3s ranks  mlscan / raw MPI: results/s in %s, out %s, excl. I/O %s", n, \
                       mr == "n/a" ? "n/a" : sprintf("%.3f", mr / rr), sprintf("%.3f", mo / ro), \
                       mx == "n/a" ? "n/a" : sprintf("%.3f", mx / rr)
                printf "; mlscan %s results/s against the target >= %d: %s\n", mr == "n/a" ? "n/a" : sprintf("%.0f", mr), \
                       target, mr == "n/a" ? "n/a" : (mr + 0 >= target ? "met" : "NOT met")
        }'
done
echo

# ------------------------------------------------------------------ raw figures
echo "raw figures per run (run order: repetition outer; per rank count msg_rate, then mlscan)"
for n in $RANKS; do
        echo "  msg_rate $n ranks: wall_s results/s_in us/result results/s_out"
        sed 's/^/    /' "$tmp/r.raw.$n"
        echo "  mlscan $n ranks: wall_s results/s_in elapsed_s dispatch% us/result idle% io% of_s results/s_out"
        sed 's/^/    /' "$tmp/r.mls.$n"
done
echo "load avg   $load_end (end)"
echo "all runs succeeded; every mlscan output file held $N rows"
