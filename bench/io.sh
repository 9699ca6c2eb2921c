#!/bin/sh
# io.sh - what checkpoints and resuming cost: a 1,000,000-point random scan of the built-in
# shell3d on 64 ranks with run.checkpoint_seconds at its default and at a short value, and the
# time to resume from the finished 1,000,000-point file.
#
# 1. Checkpoints: each setting in CKPTS runs REPS times; the figure is rank 0's share of wall
#    time in I/O (`I/O x%` of its `time: rank 0 ...` line), with the number of checkpoints and
#    the wall time against the default setting's.
# 2. Resume: a copy of the default-setting file of the last repetition (exactly N points, the
#    run ended by its budget) is resumed with stop.evaluations raised to N + RESUME_EXTRA, REPS
#    times; the figures: wall time from outside, the read time mlscan logs on its `resuming:`
#    line, and as baseline a fresh run of RESUME_EXTRA points (MPI start-up, file creation,
#    the same evaluations) timed the same way.
# Medians throughout. Targets from the issue: checkpoints <= 1% of wall time, resume <= 2 s.
# See bench/README.md.
#
# Environment (all optional):
#   MLSCAN        mlscan binary                      (default: <repo top>/mlscan)
#   MPIEXEC       MPI launcher, may hold args        (default: mpiexec)
#   RANKS         rank count (one)                   (default: 64)
#   N             points of the scan                 (default: 1000000)
#   SHARE         run.checkpoint_max_share (unset: the default 0.01; 0 takes every checkpoint,
#                 which measures a checkpoint's fixed cost)
#   CKPTS         run.checkpoint_seconds settings; `default` leaves the key out (the built-in
#                 default, 60 s); the first one is also the resume's   (default: "default 1")
#   RESUME_EXTRA  points the resumed run and the fresh baseline evaluate  (default: 1000)
#   REPS          runs per configuration             (default: 3)
#   H5DUMP        h5dump                             (default: h5dump; else /usr/bin/python3 with h5py)
#   TIMEOUT       seconds allowed per run            (default: 900)
#   QUICK=1       a smoke run of about a minute: N=200000 REPS=1 CKPTS="default 0.25" TIMEOUT=300
# Exit status: 0 when every run succeeded and wrote the expected rows, 1 otherwise, 2 bad usage.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
if [ "${QUICK:-0}" = 1 ]; then
        : "${N:=200000}" "${REPS:=1}" "${CKPTS:=default 0.25}" "${TIMEOUT:=300}"
fi
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$top/bench/common.sh"
RANKS=${RANKS:-64}
N=${N:-1000000}
CKPTS=${CKPTS:-default 1}
RESUME_EXTRA=${RESUME_EXTRA:-1000}
REPS=${REPS:-3}
card_in=$top/share/examples/shell3d.yaml

case "$N$REPS$TIMEOUT$RESUME_EXTRA$RANKS" in
*[!0-9]*) usage "N, REPS, TIMEOUT, RESUME_EXTRA and RANKS (one rank count) must be integers" ;;
esac
if [ "$N" -le 0 ] || [ "$REPS" -le 0 ] || [ "$RESUME_EXTRA" -le 0 ] || [ "$RANKS" -lt 2 ]; then
        usage "need N, REPS, RESUME_EXTRA > 0 and RANKS >= 2"
fi
[ -n "$CKPTS" ] || usage "CKPTS must not be empty"
for c in $CKPTS; do
        case $c in default) ;; *[!0-9.]* | *.*.* | .) usage "bad checkpoint setting '$c' in CKPTS" ;; esac
done
need_mlscan

make_tmp

# ------------------------------------------------------------------ set-up
# make_card FILE EVALUATIONS CKPT: shell3d.yaml with stop.evaluations and checkpoint_seconds set
make_card() {
        if [ "$3" = default ]; then
                sed -e "s/^\([[:space:]]*evaluations:\).*/\1 $2/" -e '/^[[:space:]]*checkpoint_seconds:/d' \
                    "$card_in" >"$1" || die "sed failed"
        else
                sed -e "s/^\([[:space:]]*evaluations:\).*/\1 $2/" \
                    -e "s/^\([[:space:]]*checkpoint_seconds:\).*/\1 $3/" "$card_in" >"$1" || die "sed failed"
                grep -q "^[[:space:]]*checkpoint_seconds: $3\$" "$1" || die "could not set run.checkpoint_seconds in $card_in"
        fi
        grep -q "^[[:space:]]*evaluations: $2\$" "$1" || die "could not set stop.evaluations in $card_in"
        if [ -n "${SHARE:-}" ]; then # run.checkpoint_max_share (unset: the default, 0.01)
                sed -i "s/^run:\$/run:\n  checkpoint_max_share: $SHARE/" "$1" || die "sed failed"
                grep -q "^  checkpoint_max_share: $SHARE\$" "$1" || die "could not set run.checkpoint_max_share"
        fi
}
for c in $CKPTS; do
        make_card "$tmp/card.$c.yaml" "$N" "$c"
done
# shellcheck disable=SC2086
set -- $CKPTS
ckpt0=$1
make_card "$tmp/card.resume.yaml" $((N + RESUME_EXTRA)) "$ckpt0"
make_card "$tmp/card.fresh.yaml" "$RESUME_EXTRA" "$ckpt0"

# parse_log LOG: mlscan's figures, n/a where a line is absent:
#   evaluated elapsed io% total_s checkpoints resumed_points read_s file_read_s state_rebuilt_s
# read_s: `state read in X s` if logged, else file read + state rebuilt (what is there).
parse_log() {
        awk "$awk_after"'
        BEGIN { for (i = 1; i <= 9; i++) v[i] = "n/a"; nck = 0 }
        index($0, "done: evaluated ") {
                s = substr($0, index($0, "done: evaluated "))
                v[1] = after(s, "done: evaluated "); v[2] = after(s, "elapsed ")
        }
        index($0, "time: rank 0 ") {
                s = substr($0, index($0, "time: rank 0 "))
                v[3] = after(s, "I/O ")
                if (match(s, /% of [0-9.]+ s/)) v[4] = after(substr(s, RSTART), "% of ")
        }
        index($0, "INFO checkpoint: evaluated ") { nck++ }
        index($0, "resuming: ") && index($0, " points in the file") {
                s = substr($0, index($0, "resuming: "))
                v[6] = after(s, "resuming: ")
                sr = after(s, "state read in "); v[8] = after(s, "file read in "); v[9] = after(s, "state rebuilt in ")
                if (sr != "n/a") v[7] = sr
                else if (v[8] != "n/a" || v[9] != "n/a") v[7] = (v[8] == "n/a" ? 0 : v[8]) + (v[9] == "n/a" ? 0 : v[9])
        }
        END {
                v[5] = nck + (v[1] != "n/a")      # the periodic ones and the final one
                for (i = 1; i <= 9; i++) printf "%s%s", v[i], i < 9 ? " " : "\n"
        }' "$1"
}

# run_mlscan WHAT CARD OUT ROWS MODE: one run (MODE: --force or --resume), checked for ROWS rows;
# appends `wall <parse_log fields>` to $tmp/r.WHAT
run_mlscan() {
        what=$1 card=$2 out=$3 want=$4 mode=$5
        log=$tmp/log.$what.$rep
        # $MPIEXEC is left unquoted so that it may carry options.
        # shellcheck disable=SC2086
        launch "$what, run $rep" "$log" $MPIEXEC -n "$RANKS" "$MLSCAN" run "$card" --output "$out" "$mode"
        got=$(rows_in "$out")
        [ "$got" = "$want" ] || die "$what, run $rep: expected $want rows, found '${got:-nothing}'"
        echo "$wall $(parse_log "$log")" >>"$tmp/r.$what"
}

# ------------------------------------------------------------------ header
header_start "mlscan checkpoint and resume cost: random scan of the built-in shell3d"
echo "runs       $RANKS ranks; $N points; run.checkpoint_seconds: $CKPTS; checkpoint_max_share: ${SHARE:-default (0.01)}; resume +$RESUME_EXTRA points; $REPS run(s) each; medians"
echo "tmp        $tmp ($(df -h "$tmp" 2>/dev/null | awk 'NR == 2 { print $1 ", " $4 " free" }'))"
header_end

# ------------------------------------------------------------------ runs
# 1. the scans, repetition outer; the default-setting file of the last repetition is kept
rep=1
while [ "$rep" -le "$REPS" ]; do
        for c in $CKPTS; do
                run_mlscan "scan.$c" "$tmp/card.$c.yaml" "$tmp/out.h5" "$N" --force
                if [ "$c" = "$ckpt0" ] && [ "$rep" -eq "$REPS" ]; then
                        mv "$tmp/out.h5" "$tmp/base.h5" || die "mv failed"
                else
                        rm -f "$tmp/out.h5"
                fi
        done
        rep=$((rep + 1))
done
base_mb=$(du -m "$tmp/base.h5" | cut -f1)
# 2. resume from a fresh copy of that file, against a fresh run of RESUME_EXTRA points
rep=1
while [ "$rep" -le "$REPS" ]; do
        rm -f "$tmp/fresh.h5"
        run_mlscan fresh "$tmp/card.fresh.yaml" "$tmp/fresh.h5" "$RESUME_EXTRA" --force
        cp "$tmp/base.h5" "$tmp/resume.h5" || die "cp failed"
        run_mlscan resume "$tmp/card.resume.yaml" "$tmp/resume.h5" $((N + RESUME_EXTRA)) --resume
        rm -f "$tmp/resume.h5" "$tmp/fresh.h5"
        rep=$((rep + 1))
done
load_end=$(load_avg)

# ------------------------------------------------------------------ tables
# r.* columns: 1 wall 2 evaluated 3 elapsed 4 io% 5 total_s 6 checkpoints 7 resumed 8 read_s 9 file_read 10 rebuilt
echo "checkpoints: $N points, $RANKS ranks"
printf "%-22s %8s %8s %6s %8s %10s %8s %10s\n" "checkpoint_seconds" "wall s" "run s" "ckpts" "I/O %" "I/O s" \
       "s/ckpt" "x default"
: >"$tmp/ck"
for c in $CKPTS; do
        echo "$c $(medians "$tmp/r.scan.$c")" >>"$tmp/ck"
done
awk -v ref="$ckpt0" '
{ c[NR] = $1; w[NR] = $2; e[NR] = $4; io[NR] = $5; tot[NR] = $6; n[NR] = $7; if ($1 == ref) rw = $2 }
END {
        for (i = 1; i <= NR; i++) {
                ios = (io[i] == "n/a" || tot[i] == "n/a") ? "n/a" : io[i] * tot[i] / 100
                printf "%-22s %8.2f %8s %6s %8s %10s %8s %10s\n", c[i] == "default" ? "default (60)" : c[i], w[i], e[i], n[i], \
                       io[i] == "n/a" ? "n/a" : sprintf("%.2f", io[i]), ios == "n/a" ? "n/a" : sprintf("%.3f", ios), \
                       (ios == "n/a" || n[i] + 0 == 0) ? "n/a" : sprintf("%.3f", ios / n[i]), sprintf("%.3f", w[i] / rw)
        }
}' "$tmp/ck"
echo "(wall s = outside; run s = mlscan's elapsed (done line); ckpts = periodic 'checkpoint:' lines + the final one;"
echo " I/O % = rank 0's 'time: rank 0 ... I/O x%' line, I/O s = that share of its 'of X s'; x default = wall s / the"
echo " first setting's ($ckpt0); medians of $REPS run(s))"
echo
echo "resume: a $N-point file ($base_mb MB), run extended by $RESUME_EXTRA points, $RANKS ranks"
printf "%-38s %8s %8s %8s %10s %10s\n" "run" "wall s" "loop s" "read s" "file read" "rebuilt"
fr=$(medians "$tmp/r.fresh")
rs=$(medians "$tmp/r.resume")
echo "$fr" | awk -v x="$RESUME_EXTRA" '{ printf "%-38s %8.2f %8s %8s %10s %10s\n", "fresh run of " x " points", $1, $5, "-", "-", "-" }'
echo "$rs" | awk -v x="$RESUME_EXTRA" '{ printf "%-38s %8.2f %8s %8s %10s %10s\n", "--resume, +" x " points (" $7 " read)", $1, $5, $8, $9, $10 }'
echo "(wall s = outside; loop s = rank 0's 'time: rank 0 ... of X s' (this job only); read s = the 'resuming:' line:"
echo " 'state read in X s', else file read + state rebuilt; medians of $REPS run(s))"
echo

# ------------------------------------------------------------------ ratios and targets
echo "ratios and targets (medians)"
awk -v ref="$ckpt0" '
{ c[NR] = $1; w[NR] = $2; io[NR] = $5; n[NR] = $7
  ios[NR] = ($5 == "n/a" || $6 == "n/a") ? "n/a" : $5 * $6 / 100
  if ($1 == ref) { rw = $2; rio = $5; r = NR } }
END {
        for (i = 1; i <= NR; i++) {
                printf "  checkpoint_seconds %-8s I/O %s of wall time: target <= 1%%: %s", c[i], \
                       io[i] == "n/a" ? "n/a" : io[i] "%", io[i] == "n/a" ? "n/a" : (io[i] + 0 <= 1 ? "met" : "NOT met")
                if (c[i] != ref)
                        printf "; wall x %.3f of %s, I/O share x %s", w[i] / rw, ref, \
                               (io[i] == "n/a" || rio == "n/a" || rio + 0 == 0) ? "n/a" : sprintf("%.2f", io[i] / rio)
                printf "\n"
        }
        # every row is written once whatever the interval, so the difference of two settings is the
        # fixed cost of the extra checkpoints
        for (i = 1; i <= NR; i++) {
                if (i == r || ios[i] == "n/a" || ios[r] == "n/a" || n[i] == n[r]) continue
                a = (ios[i] - ios[r]) / (n[i] - n[r])
                printf "  fixed cost per checkpoint (I/O s of %s minus %s, over the %d extra checkpoint(s)): %.3f s;", \
                       c[i], c[r], n[i] - n[r], a
                if (a > 0) printf " one every 60 s is %.2f%% of wall time\n", 100 * a / 60
                else printf " n/a: noise exceeds the difference (raise N or REPS)\n"
        }
}' "$tmp/ck"
echo "$fr | $rs" | awk '{
        fw = $1; rw = $12; rd = $19
        printf "  resume: wall %.2f s, %+.2f s against the fresh run (x %.2f); read %s\n", rw, rw - fw, rw / fw, \
               rd == "n/a" ? "n/a" : rd " s"
        printf "  target resume <= 2 s: extra wall %+.2f s: %s; read time: %s\n", rw - fw, (rw - fw <= 2 ? "met" : "NOT met"), \
               rd == "n/a" ? "n/a" : (rd + 0 <= 2 ? "met" : "NOT met")
}'
echo "  (the extra wall time is the resumed run's minus the fresh run's: both start $RANKS ranks and evaluate $RESUME_EXTRA points)"
echo

# ------------------------------------------------------------------ raw figures
echo "raw figures per run: wall_s evaluated run_s io% of_s checkpoints resumed_points read_s file_read_s rebuilt_s"
for c in $CKPTS; do
        echo "  scan, checkpoint_seconds $c:"
        sed 's/^/    /' "$tmp/r.scan.$c"
done
echo "  fresh $RESUME_EXTRA points:"
sed 's/^/    /' "$tmp/r.fresh"
echo "  resume +$RESUME_EXTRA points:"
sed 's/^/    /' "$tmp/r.resume"
echo "load avg   $load_end (end)"
echo "all runs succeeded; every output file held the expected rows"
