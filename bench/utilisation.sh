#!/bin/sh
# utilisation.sh - how much of the workers' wall time goes into physics programs: a dnnr scan
# of the shell3d toy through an external program that sleeps 0.2-1.0 s per point
# (bench/sleepy_shell3d.c), on 32 and 64 ranks, with run.mode sync and async.
#
# For each rank count and mode the scan runs REPS times. The figures: mlscan's own account
# (its `time: workers in physics ...` and `time: rank 0 ...` lines) and, independently, the
# file's: sum of /points/seconds / (workers x wall time measured outside). The table shows
# medians; the ratios compare each mode with the first one in MODES (async / sync). See
# bench/README.md.
#
# Environment (all optional):
#   MLSCAN     mlscan binary                    (default: <repo top>/mlscan)
#   MPIEXEC    MPI launcher, may hold args      (default: mpiexec)
#   RANKS      rank counts                      (default: "32 64")
#   MODES      values of run.mode; `none` leaves the key out   (default: "sync async")
#   EVALS      stop.evaluations                 (default: 6000, about 70 s at 64 ranks)
#   REPS       runs per configuration           (default: 1)
#   SLEEP_MIN, SLEEP_MAX  seconds per point, uniform (default: 0.2 and 1.0)
#   HIDDEN EPOCHS PATIENCE BATCH  the network   (default: "100, 100, 100, 100", 100, 0, 128)
#   INITIAL PER_GEN CANDIDATES   search.initial_points, points_per_generation, candidates
#                                               (default: 500, 500, 100000)
#   SEED       run.seed                         (default: 7)
#   CC         compiler for sleepy_shell3d.c    (default: cc)
#   PYTHON     python with h5py and numpy       (default: /usr/bin/python3)
#   TIMEOUT    seconds allowed per run          (default: 900)
#   QUICK=1    a smoke run of about a minute: RANKS=16 EVALS=1000 SLEEP_MIN=0.1 SLEEP_MAX=0.5
#              TIMEOUT=300 (each still overridable)
# Exit status: 0 when every run succeeded and wrote EVALS rows, 1 otherwise, 2 bad usage.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
if [ "${QUICK:-0}" = 1 ]; then
        : "${RANKS:=16}" "${EVALS:=1000}" "${SLEEP_MIN:=0.1}" "${SLEEP_MAX:=0.5}" "${TIMEOUT:=300}"
fi
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$top/bench/common.sh"
RANKS=${RANKS:-32 64}
MODES=${MODES:-sync async}
EVALS=${EVALS:-6000}
REPS=${REPS:-1}
SLEEP_MIN=${SLEEP_MIN:-0.2}
SLEEP_MAX=${SLEEP_MAX:-1.0}
HIDDEN=${HIDDEN:-100, 100, 100, 100}
EPOCHS=${EPOCHS:-100}
PATIENCE=${PATIENCE:-0}
BATCH=${BATCH:-128}
INITIAL=${INITIAL:-500}
PER_GEN=${PER_GEN:-500}
CANDIDATES=${CANDIDATES:-100000}
SEED=${SEED:-7}
CC=${CC:-cc}
PYTHON=${PYTHON:-/usr/bin/python3}

case "$EVALS$REPS$TIMEOUT$EPOCHS$PATIENCE$BATCH$INITIAL$PER_GEN$CANDIDATES$SEED" in
*[!0-9]*) usage "EVALS, REPS, TIMEOUT, EPOCHS, PATIENCE, BATCH, INITIAL, PER_GEN, CANDIDATES and SEED must be integers" ;;
esac
for v in "$SLEEP_MIN" "$SLEEP_MAX"; do
        case $v in '' | *[!0-9.]* | *.*.*) usage "SLEEP_MIN and SLEEP_MAX must be plain decimals, not '$v'" ;; esac
done
awk -v a="$SLEEP_MIN" -v b="$SLEEP_MAX" 'BEGIN { exit !(b + 0 >= a + 0) }' || usage "need SLEEP_MIN <= SLEEP_MAX"
if [ "$EVALS" -le 0 ] || [ "$REPS" -le 0 ]; then usage "need EVALS > 0 and REPS > 0"; fi
for n in $RANKS; do
        case $n in '' | *[!0-9]* | 0 | 1) usage "bad rank count '$n' in RANKS (need >= 2: rank 0 only dispatches)" ;; esac
done
for m in $MODES; do
        case $m in *[!a-z0-9_]*) usage "bad mode '$m' in MODES" ;; esac
done
if [ -z "$RANKS" ] || [ -z "$MODES" ]; then usage "RANKS and MODES must not be empty"; fi
need_mlscan
"$PYTHON" -c 'import h5py, numpy' 2>/dev/null || die "$PYTHON cannot import h5py and numpy"

make_tmp

# ------------------------------------------------------------------ set-up
"$CC" -O2 -o "$tmp/sleepy_shell3d" "$top/bench/sleepy_shell3d.c" -lm || die "compiling bench/sleepy_shell3d.c failed"
cp "$top/share/examples/shell3d_params.tmpl" "$tmp/" || die "no share/examples/shell3d_params.tmpl"

# write_card MODE: the run card of one mode (run.mode left out for `none`)
write_card() {
        {
                echo "# bench/utilisation.sh: shell3d through bench/sleepy_shell3d.c, method dnnr"
                echo "run:"
                echo "  name: utilisation"
                echo "  output: utilisation.h5"
                echo "  seed: $SEED"
                echo "  method: dnnr"
                [ "$1" = none ] || echo "  mode: $1"
                echo "stop:"
                echo "  evaluations: $EVALS"
                echo "parameters:"
                echo "  x1: {range: [-31.41592653589793, 31.41592653589793]}"
                echo "  x2: {range: [-31.41592653589793, 31.41592653589793]}"
                echo "  x3: {range: [-31.41592653589793, 31.41592653589793]}"
                echo "physics:"
                echo "  templates:"
                echo "    - {from: shell3d_params.tmpl, to: params.dat}"
                echo "  programs:"
                echo "    - name: sleepy_shell3d"
                echo "      run: [$tmp/sleepy_shell3d, params.dat, shell.out, \"$SLEEP_MIN\", \"$SLEEP_MAX\"]"
                echo "      timeout: 60"
                echo "      output: shell.out"
                echo "  observables:"
                echo "    F: {text: [shell.out, F]}"
                echo "likelihood:"
                echo "  F: {gauss: {mean: 100, sigma: 20}}"
                echo "target:"
                echo "  nll_below: 0.1053605156578263"
                echo "model:"
                echo "  hidden: [$HIDDEN]"
                echo "  batch: $BATCH"
                echo "  epochs: $EPOCHS"
                echo "  patience: $PATIENCE"
                echo "search:"
                echo "  initial_points: $INITIAL"
                echo "  points_per_generation: $PER_GEN"
                echo "  candidates: $CANDIDATES"
        } >"$tmp/card.$1.yaml"
}
for mode in $MODES; do
        write_card "$mode"
        # a card error (e.g. a run.mode this mlscan does not know) shows here, in one line
        if ! "$MLSCAN" check "$tmp/card.$mode.yaml" >"$tmp/check.$mode" 2>&1; then
                sed 's/^/  | /' "$tmp/check.$mode" >&2
                die "mode '$mode': mlscan check failed on the card (if run.mode is unknown to this mlscan, run with MODES=none)"
        fi
done

# parse_log LOG: mlscan's figures, n/a where a line is absent:
#   phys med low nworkers dispatch us_per_result training proposing io idle total  evaluated good rate elapsed
parse_log() {
        awk "$awk_after"'
        BEGIN { for (i = 1; i <= 15; i++) v[i] = "n/a" }
        index($0, "time: workers in physics") {
                s = substr($0, index($0, "time: workers in physics"))
                v[1] = after(s, "workers in physics "); v[2] = after(s, "median worker "); v[3] = after(s, "lowest ")
                if (match(s, /[0-9]+ workers/)) v[4] = substr(s, RSTART, RLENGTH - 8)
        }
        index($0, "time: rank 0 ") {
                s = substr($0, index($0, "time: rank 0 "))
                v[5] = after(s, "dispatch ")
                t = substr(s, index(s, "dispatch "))
                if (index(t, "(")) v[6] = after(t, "(")
                v[7] = after(s, "training "); v[8] = after(s, "proposing "); v[9] = after(s, "I/O ")
                v[10] = after(s, "idle ")
                if (match(s, /% of [0-9.]+ s/)) v[11] = after(substr(s, RSTART), "% of ")
        }
        index($0, "done: evaluated ") {
                s = substr($0, index($0, "done: evaluated "))
                v[12] = after(s, "done: evaluated "); v[13] = after(s, ", good ")
                if (match(s, /[0-9.]+ points\/s/)) v[14] = substr(s, RSTART, RLENGTH - 9)
                v[15] = after(s, "elapsed ")
        }
        END { for (i = 1; i <= 15; i++) printf "%s%s", v[i], i < 15 ? " " : "\n" }' "$1"
}

# from_file H5 WALL WORKERS: rows good sum_seconds share% median_worker% lowest_worker% (of WALL)
from_file() {
        "$PYTHON" - "$1" "$2" "$3" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    p = f["points"]
    rows = int(p.attrs["rows"])
    sec = np.asarray(p["seconds"][:rows], dtype=float)
    good = int(np.asarray(p["good"][:rows]).sum())
    w = np.asarray(p["worker"][:rows])
wall, nw = float(sys.argv[2]), int(sys.argv[3])
ranks = range(1, nw + 1) if nw > 0 else [0]
per = np.array([sec[w == k].sum() for k in ranks]) / wall
print(rows, good, "%.3f" % sec.sum(), "%.3f" % (100 * sec.sum() / (max(nw, 1) * wall)),
      "%.3f" % (100 * np.median(per)), "%.3f" % (100 * per.min()))
EOF
}

# run_one RANKS MODE REP: one scan; appends a result line to $tmp/r.RANKS.MODE
#   wall rows good phys med low workers dispatch training proposing io idle total elapsed rate
#   fsum fshare fmed flow
run_one() {
        n=$1 mode=$2 rep=$3
        out=$tmp/out.$n.$mode.$rep.h5
        log=$tmp/log.$n.$mode.$rep
        # $MPIEXEC is left unquoted so that it may carry options.
        # shellcheck disable=SC2086
        launch "$n ranks, mode $mode, run $rep" "$log" \
               $MPIEXEC -n "$n" "$MLSCAN" run "$tmp/card.$mode.yaml" --output "$out" --force
        # shellcheck disable=SC2046
        set -- $(parse_log "$log")
        p_phys=$1 p_med=$2 p_low=$3 p_nw=$4 p_disp=$5 p_train=$7 p_prop=$8 p_io=$9
        shift 9
        p_idle=$1 p_total=$2 p_rate=$5 p_elapsed=$6
        f=$(from_file "$out" "$wall" $((n - 1))) || die "$n ranks, mode $mode, run $rep: cannot read $out"
        # shellcheck disable=SC2086
        set -- $f
        [ "$1" = "$EVALS" ] || die "$n ranks, mode $mode, run $rep: expected $EVALS rows, found '$1'"
        echo "$wall $1 $2 $p_phys $p_med $p_low $p_nw $p_disp $p_train $p_prop $p_io $p_idle $p_total $p_elapsed" \
             "$p_rate $3 $4 $5 $6" >>"$tmp/r.$n.$mode"
        rm -f "$out"
}

# ------------------------------------------------------------------ header
header_start "mlscan worker utilisation: dnnr scan of shell3d through an external program sleeping U[$SLEEP_MIN, $SLEEP_MAX] s per point"
echo "scan       $EVALS evaluations, seed $SEED; model hidden [$HIDDEN], epochs $EPOCHS, patience $PATIENCE, batch $BATCH;"
echo "           search initial $INITIAL, per generation $PER_GEN, candidates $CANDIDATES"
echo "runs       ranks: $RANKS; run.mode: $MODES; $REPS run(s) each; wall time from outside (date +%s.%N), medians"
header_end

# ------------------------------------------------------------------ runs
rep=1
while [ "$rep" -le "$REPS" ]; do
        for n in $RANKS; do
                for mode in $MODES; do
                        run_one "$n" "$mode" "$rep"
                done
        done
        rep=$((rep + 1))
done
load_end=$(load_avg)

# ------------------------------------------------------------------ table
: >"$tmp/summary"
for n in $RANKS; do
        for mode in $MODES; do
                echo "$n $mode $(medians "$tmp/r.$n.$mode")" >>"$tmp/summary"
        done
done
# summary columns: 1 ranks 2 mode 3 wall 4 rows 5 good 6 phys 7 med 8 low 9 nw 10 disp 11 train 12 prop
#                  13 io 14 idle 15 total 16 elapsed 17 rate 18 fsum 19 fshare 20 fmed 21 flow
awk '
function f(v, fmt) { return v == "n/a" ? "n/a" : sprintf(fmt, v) }
BEGIN {
        printf "%5s %-6s %7s %7s %7s %8s | %6s %6s %6s | %6s %6s %6s %6s | %6s %6s %6s\n", "ranks", "mode", "points", \
               "wall s", "run s", "points/s", "phys%", "median", "lowest", "phys%", "median", "lowest", "of run", \
               "good", "train%", "idle%"
        printf "%5s %-6s %7s %7s %7s %8s | %-20s | %-27s | %6s %13s\n", "", "", "", "", "", "", \
               " mlscan account", " file, of wall s (of run s)", "", "rank 0"
}
{
        nw = $1 - 1
        printf "%5s %-6s %7s %7.1f %7s %8s | %6s %6s %6s | %6s %6s %6s %6s | %6s %6s %6s\n", $1, $2, $4, $3, \
               f($16, "%.1f"), ($16 == "n/a" || $16 <= 0) ? "n/a" : sprintf("%.1f", $4 / $16), \
               f($6, "%.1f"), f($7, "%.1f"), f($8, "%.1f"), f($19, "%.1f"), f($20, "%.1f"), f($21, "%.1f"), \
               ($16 == "n/a" || $16 <= 0) ? "n/a" : sprintf("%.1f", 100 * $18 / (nw * $16)), \
               $5, f($11, "%.1f"), f($14, "%.1f")
}' "$tmp/summary"
echo "(wall s = outside, mpiexec start to exit; run s = mlscan's elapsed (done line); points/s = points / run s;"
echo " mlscan account = its 'time: workers in physics' line: all workers, the median and the lowest worker;"
echo " file = sum of /points/seconds / (workers x wall s), per worker for median and lowest; of run = the same"
echo " sum / (workers x run s), without MPI start-up; good = good points in the file; train% and idle% = rank 0's"
echo " 'time: rank 0' line; medians of $REPS run(s))"
echo

# ------------------------------------------------------------------ ratios
# shellcheck disable=SC2086
set -- $MODES
ref=$1
echo "ratios against run.mode $ref (medians)"
if [ $# -lt 2 ]; then
        echo "  (one mode only: no ratio; MODES=\"sync async\" gives async / sync)"
else
        awk -v ref="$ref" '
        function r(a, b, fmt) { return (a == "n/a" || b == "n/a" || b + 0 == 0) ? "n/a" : sprintf(fmt, a / b) }
        { key = $1 SUBSEP $2; for (i = 1; i <= NF; i++) v[key, i] = $i; line[NR] = $1 " " $2 }
        END {
                for (k = 1; k <= NR; k++) {
                        split(line[k], a, " ")
                        if (a[2] == ref) continue
                        x = a[1] SUBSEP a[2]; y = a[1] SUBSEP ref
                        printf "  %3s ranks  %s / %s: wall %s, points/s %s, physics share %s (mlscan) %s (file), good points %s\n", \
                               a[1], a[2], ref, r(v[x, 3], v[y, 3], "%.3f"), \
                               r((v[x, 16] == "n/a") ? "n/a" : v[x, 4] / v[x, 16], (v[y, 16] == "n/a") ? "n/a" : v[y, 4] / v[y, 16], "%.3f"), \
                               r(v[x, 6], v[y, 6], "%.3f"), r(v[x, 19], v[y, 19], "%.3f"), r(v[x, 5], v[y, 5], "%.3f")
                }
        }' "$tmp/summary"
fi
echo "  (the ideal physics share is 100%; the sleep alone is $(awk -v a="$SLEEP_MIN" -v b="$SLEEP_MAX" 'BEGIN { printf "%.2f", (a + b) / 2 }') s per point on average)"
echo

# ------------------------------------------------------------------ raw figures
echo "raw figures per run (run order: repetition outer, ranks, mode inner)"
echo "  ranks mode   rep  wall_s  rows  good  phys% med% low% workers | dispatch% train% propose% io% idle% of_s | run_s points/s | file: sum_s phys% med% low%"
for n in $RANKS; do
        for mode in $MODES; do
                awk -v n="$n" -v m="$mode" '{ printf "  %5s %-6s %3d  %s %s %s  %s %s %s %s | %s %s %s %s %s %s | %s %s | %s %s %s %s\n", \
                        n, m, NR, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19 }' \
                        "$tmp/r.$n.$mode"
        done
done
echo "load avg   $load_end (end)"
echo "all runs succeeded; every output file held $EVALS rows"
