#!/bin/sh
# random_rate.sh - mlscan's own cost per point in a random scan of the built-in shell3d
# model, for 1, 2 and 4 ranks, against a bare loop doing the same arithmetic.
#
# Each configuration runs a small scan (N1 points) and a large scan (N2 points) REPS
# times; with medians t1 and t2, the per-point cost is (t2 - t1) / (N2 - N1), which
# removes start-up, and t1 is reported as the start-up time. See bench/README.md.
#
# Environment (all optional):
#   MLSCAN   mlscan binary               (default: <repo top>/mlscan)
#   MPIEXEC  MPI launcher, may hold args (default: mpiexec)
#   RANKS    rank counts                 (default: "1 2 4"; 1 runs as a singleton and via MPIEXEC)
#   N1 N2    small and large scan sizes  (default: 20000 and 1000000)
#   REPS     repetitions per scan        (default: 3)
#   CC       compiler for the baseline   (default: cc)
#   H5DUMP   h5dump                      (default: h5dump; else /usr/bin/python3 with h5py)
#   TIMEOUT  seconds allowed per run     (default: 900)
# Exit status: 0 when every run succeeded and wrote N rows, 1 otherwise, 2 bad usage.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
# shellcheck source=common.sh source-path=SCRIPTDIR
. "$top/bench/common.sh"
RANKS=${RANKS:-1 2 4}
N1=${N1:-20000}
N2=${N2:-1000000}
REPS=${REPS:-3}
CC=${CC:-cc}
card_in=$top/share/examples/shell3d.yaml

case "$N1$N2$REPS$TIMEOUT" in
*[!0-9]*) usage "N1, N2, REPS and TIMEOUT must be integers" ;;
esac
if [ "$N1" -le 0 ] || [ "$N2" -le "$N1" ] || [ "$REPS" -le 0 ]; then usage "need 0 < N1 < N2 and REPS > 0"; fi
for n in $RANKS; do
        case $n in '' | *[!0-9]* | 0) usage "bad rank count '$n' in RANKS" ;; esac
done
need_mlscan

make_tmp

# ------------------------------------------------------------------ set-up
for N in "$N1" "$N2"; do
        sed "s/^\([[:space:]]*evaluations:\).*/\1 $N/" "$card_in" >"$tmp/card.$N.yaml" || die "sed failed"
        grep -q "^[[:space:]]*evaluations: $N\$" "$tmp/card.$N.yaml" ||
                die "could not set stop.evaluations in $card_in"
done
"$CC" -O2 -o "$tmp/bare_shell3d" "$top/bench/bare_shell3d.c" -lm ||
        die "compiling bench/bare_shell3d.c failed"

# Configurations: name, ranks, launcher. 1 rank runs as a singleton and through MPIEXEC.
configs=""
for n in $RANKS; do
        if [ "$n" -eq 1 ]; then
                configs="$configs single mpi1"
        else
                configs="$configs mpi$n"
        fi
done
configs="bare$configs"

ranks_of() {
        case $1 in bare | single) echo 1 ;; mpi*) echo "${1#mpi}" ;; esac
}

label_of() {
        case $1 in
        bare) echo "bare loop (no MPI/HDF5)" ;;
        single) echo "mlscan singleton" ;;
        mpi*) echo "mlscan mpiexec -n ${1#mpi}" ;;
        esac
}

# run_one CONFIG N REP: time one run, append the wall time to $tmp/t.CONFIG.N, check the rows.
run_one() {
        cfg=$1 N=$2 rep=$3
        out=$tmp/out.$cfg.$N.$rep.h5
        log=$tmp/log.$cfg.$N.$rep
        run="$(label_of "$cfg"), N=$N, run $rep"
        case $cfg in
        bare) launch "$run" "$log" "$tmp/bare_shell3d" "$N" ;;
        single) launch "$run" "$log" "$MLSCAN" run "$tmp/card.$N.yaml" --output "$out" --force -q ;;
        # $MPIEXEC is left unquoted so that it may carry options.
        mpi*) # shellcheck disable=SC2086
              launch "$run" "$log" $MPIEXEC -n "$(ranks_of "$cfg")" "$MLSCAN" run "$tmp/card.$N.yaml" \
                      --output "$out" --force -q ;;
        esac
        if [ "$cfg" = bare ]; then
                got=$(awk '{ print $2 }' "$log")
        else
                got=$(rows_in "$out")
                rm -f "$out"
        fi
        [ "$got" = "$N" ] || die "$run: expected $N rows, found '${got:-nothing}'"
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }' >>"$tmp/t.$cfg.$N"
}

# ------------------------------------------------------------------ header
header_start "mlscan random-scan rate: built-in shell3d (share/examples/shell3d.yaml), method random"
echo "scans      N1 = $N1, N2 = $N2 points, $REPS runs each, wall time (date +%s.%N), medians"
header_end

# ------------------------------------------------------------------ runs
# Repetition is the outer loop, so that drifting load on a shared machine spreads over
# every configuration instead of landing on one.
rep=1
while [ "$rep" -le "$REPS" ]; do
        for cfg in $configs; do
                run_one "$cfg" "$N1" "$rep"
                run_one "$cfg" "$N2" "$rep"
        done
        rep=$((rep + 1))
done
load_end=$(load_avg)

# ------------------------------------------------------------------ table
# One summary line per configuration: cfg ranks t1 t2 us_per_point points_per_s
for cfg in $configs; do
        echo "$cfg $(ranks_of "$cfg") $(medians "$tmp/t.$cfg.$N1") $(medians "$tmp/t.$cfg.$N2")"
done | awk -v n1="$N1" -v n2="$N2" '{
        d = $4 - $3
        if (d > 0) printf "%s %s %s %s %.6f %.1f\n", $1, $2, $3, $4, 1e6 * d / (n2 - n1), (n2 - n1) / d
        else printf "%s %s %s %s nan nan\n", $1, $2, $3, $4
}' >"$tmp/summary"

ref=single
grep -q '^single ' "$tmp/summary" || ref=$(awk '$1 != "bare" { print $1; exit }' "$tmp/summary")

awk -v ref="$ref" '
function label(c) {
        if (c == "bare") return "bare loop (no MPI/HDF5)"
        if (c == "single") return "mlscan singleton"
        return "mlscan mpiexec -n " substr(c, 4)
}
function evals(c, r) { return (c ~ /^mpi/ && r > 1) ? r - 1 : 1 }
function fmt(v, f) { return v == "nan" ? "n/a" : sprintf(f, v) }
{ c[NR] = $1; r[NR] = $2; t1[NR] = $3; t2[NR] = $4; us[NR] = $5; ps[NR] = $6
  if ($1 == "bare") bus = $5
  if ($1 == ref) rps = $6 }
END {
        printf "%-24s %5s %5s %10s %10s %10s %12s %8s %8s\n", "configuration", "ranks", "evals", \
               "start-up s", "t(N2) s", "us/point", "points/s", "x bare", "x 1-rank"
        for (i = 1; i <= NR; i++) {
                xb = (us[i] == "nan" || bus == "nan" || bus <= 0) ? "n/a" : sprintf("%.1f", us[i] / bus)
                x1 = (c[i] == "bare" || ps[i] == "nan" || rps == "" || rps == "nan") ? "-" : sprintf("%.2f", ps[i] / rps)
                if (c[i] == "bare") xb = "1.0"
                printf "%-24s %5s %5s %10.3f %10.3f %10s %12s %8s %8s\n", label(c[i]), r[i], evals(c[i], r[i]), \
                       t1[i], t2[i], fmt(us[i], "%.3f"), fmt(ps[i], "%.0f"), xb, x1
        }
}' "$tmp/summary"
echo "(start-up s = median t(N1); us/point = (t(N2) - t(N1)) / (N2 - N1); evals = ranks that evaluate;"
echo " x bare = mlscan us/point over the bare loop's; x 1-rank = points/s over the $(awk -v r="$ref" 'BEGIN {
        if (r == "single") print "singleton"; else print "first mlscan configuration" }')'s)"
echo

# ------------------------------------------------------------------ ratios
echo "ratios (medians)"
awk -v ref="$ref" '
function label(c) {
        if (c == "single") return "singleton"
        return "mpiexec -n " substr(c, 4)
}
{ c[NR] = $1; t1[NR] = $3; us[NR] = $5; ps[NR] = $6
  if ($1 == "bare") bus = $5
  if ($1 == ref) { rps = $6; rt1 = $3 } }
END {
        for (i = 1; i <= NR; i++) {
                if (c[i] == "bare")
                        continue
                line = sprintf("  %-16s cost %s x bare", label(c[i]), \
                               (us[i] == "nan" || bus == "nan") ? "n/a" : sprintf("%7.1f", us[i] / bus))
                line = line sprintf(", %s x the %s points/s", \
                                    (ps[i] == "nan" || rps == "nan") ? "n/a" : sprintf("%5.2f", ps[i] / rps), label(ref))
                line = line sprintf(", start-up %+.3f s vs %s", t1[i] - rt1, label(ref))
                print line
        }
}' "$tmp/summary"
echo "  (with n > 1 ranks rank 0 only dispatches and n - 1 ranks evaluate; this machine has $(nproc 2>/dev/null || echo '?') cores)"
echo

# ------------------------------------------------------------------ raw times
echo "raw wall times, s (run order: repetition outer, configuration inner)"
for cfg in $configs; do
        printf '  %-24s N1: %s | N2: %s\n' "$(label_of "$cfg")" \
               "$(tr '\n' ' ' <"$tmp/t.$cfg.$N1" | sed 's/ $//')" "$(tr '\n' ' ' <"$tmp/t.$cfg.$N2" | sed 's/ $//')"
done
echo "load avg   $load_end (end)"
echo "all runs succeeded; every mlscan output file held the expected number of rows"
