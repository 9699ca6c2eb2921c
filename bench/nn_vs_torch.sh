#!/bin/sh
# nn_vs_torch.sh - mlscan's learning engine (src/nn.c on oneDNN) against PyTorch, side by side:
# the same network (d -> 4 x 100 ReLU -> 1), the same standardised data and the same initial
# weights, Adam lr 1e-3, batch 500, EPOCHS epochs without validation or early stopping; then
# the 10^6-point inference and the test loss. Last, warm- against cold-start training
# (time to equal validation loss), from bench/nn_engine --warm-cold. See bench/README.md.
#
# Environment (all optional):
#   NN_ENGINE      the driver          (default: <repo top>/bench/nn_engine; built with make if missing)
#   PYTHON         python with torch   (default: /usr/bin/python3, Debian's; a pyenv python lacks it)
#   CASES          "reg7 reg20 cls7"   THREADS "1 2"   REPS 3   EPOCHS 250   INFER 1000000
#   EPOCHS_MT      epochs of the runs with more than one thread (default 25): on a shared 2-core
#                  machine 2 threads can be 5-50x slower, and 250 epochs would take hours
#   TORCH_BLAS     OpenBLAS set-ups torch runs with (default "auto tuned"): auto = OpenBLAS's own CPU
#                  detection; tuned = OPENBLAS_CORETYPE=SkylakeX on AVX-512 CPUs, else Haswell;
#                  any other word is used as OPENBLAS_CORETYPE. tuned is skipped when auto picks it.
#   WC_CASE reg7   WC_SIZES "1000 10000 100000" (empty: skip)   WC_REPS 3   WC_MAX_EPOCHS 250
#   TIMEOUT        seconds allowed per run (default 900)
# Exit status: 0 every run succeeded, 1 a run failed, 2 bad usage, 77 PyTorch is not installed.

top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
NN_ENGINE=${NN_ENGINE:-$top/bench/nn_engine}
PYTHON=${PYTHON:-/usr/bin/python3}
CASES=${CASES:-reg7 reg20 cls7}
THREADS=${THREADS:-1 2}
REPS=${REPS:-3}
EPOCHS=${EPOCHS:-250}
EPOCHS_MT=${EPOCHS_MT:-25}
INFER=${INFER:-1000000}
TORCH_BLAS=${TORCH_BLAS:-auto tuned}
WC_CASE=${WC_CASE:-reg7}
WC_SIZES=${WC_SIZES-1000 10000 100000}
WC_REPS=${WC_REPS:-3}
WC_MAX_EPOCHS=${WC_MAX_EPOCHS:-250}
TIMEOUT=${TIMEOUT:-900}
torch_py=$top/bench/nn_torch.py

die() {
        echo "nn_vs_torch.sh: $*" >&2
        exit 1
}

case "$REPS$EPOCHS$EPOCHS_MT$INFER$WC_REPS$WC_MAX_EPOCHS$TIMEOUT" in
*[!0-9]*) echo "nn_vs_torch.sh: REPS, EPOCHS, EPOCHS_MT, INFER, WC_REPS, WC_MAX_EPOCHS and TIMEOUT must be integers" >&2; exit 2 ;;
esac
if ! "$PYTHON" -c 'import torch' >/dev/null 2>&1; then
        echo "nn_vs_torch.sh: PyTorch is not importable by $PYTHON: skipping this optional benchmark." >&2
        echo "nn_vs_torch.sh: on Debian 12: apt-get install python3-torch libopenblas0-pthread" >&2
        exit 77
fi
if [ ! -x "$NN_ENGINE" ]; then
        make -C "$top" bench/nn_engine >&2 || die "no driver at $NN_ENGINE and 'make bench/nn_engine' failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlscan-nn.XXXXXX") || die "mktemp -d failed"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
failed=0

# run TAG CMD... - run under the timeout, append stdout lines (with TAG) to the results.
run() {
        tag=$1
        shift
        if timeout "$TIMEOUT" "$@" >"$tmp/out" 2>"$tmp/err"; then
                sed "s/\$/ $tag/" "$tmp/out" >>"$tmp/results"
        else
                echo "nn_vs_torch.sh: FAILED or timed out ($TIMEOUT s): $*" >&2
                tail -5 "$tmp/err" >&2
                echo "failed $tag cmd=$(echo "$*" | tr ' ' '_')" >>"$tmp/results"
                failed=1
        fi
}

# ------------------------------------------------------------------ the machine
mhz=$(awk -F: '/^cpu MHz/ { printf "%.0f", $2; exit }' /proc/cpuinfo)
maxmhz=$(lscpu 2>/dev/null | awk -F: '/CPU max MHz/ { printf "%.0f", $2 }')
avx512=no
grep -q '^flags.* avx512f' /proc/cpuinfo && avx512=yes
tuned=Haswell
[ "$avx512" = yes ] && tuned=SkylakeX
: >"$tmp/results"
echo "# mlscan engine vs PyTorch, $(date -u '+%Y-%m-%d %H:%M UTC') on $(uname -n), nproc $(nproc)"
echo "# git $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?'), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# CPU: $(awk -F: '/^model name/ { sub(/^ /, "", $2); print $2; exit }' /proc/cpuinfo)," \
        "cpu MHz $mhz (/proc/cpuinfo), lscpu max MHz ${maxmhz:-not reported}, AVX-512: $avx512"
isa=$(DNNL_VERBOSE=1 OMP_NUM_THREADS=1 "$NN_ENGINE" --case reg7 --n 1000 --epochs 1 --infer 1000 2>/dev/null |
        awk -F, '/_verbose,info,cpu,isa:/ { print $4; exit }')
echo "# oneDNN dispatches: ${isa:-?}"
blas_set=""
for b in $TORCH_BLAS; do
        case $b in
        auto) env -u OPENBLAS_CORETYPE "$PYTHON" "$torch_py" --info | sed 's/^/# torch[auto]: /'
              auto_core=$(env -u OPENBLAS_CORETYPE "$PYTHON" "$torch_py" --info | sed -n 's/.*openblas_core=\([^ ]*\).*/\1/p')
              blas_set="$blas_set auto" ;;
        *) [ "$b" = tuned ] && b=$tuned
           [ "$b" = "${auto_core:-}" ] && continue
           OPENBLAS_CORETYPE=$b "$PYTHON" "$torch_py" --info | sed "s/^/# torch[$b]: /"
           blas_set="$blas_set $b" ;;
        esac
done
for r in 1 2 3; do
        run "rep=$r" "$NN_ENGINE" --peak
done

# ------------------------------------------------------------------ speed: engine and torch
# Repetitions are the outer loop, so slow drift in the machine's load spreads over every case.
r=1
while [ "$r" -le "$REPS" ]; do
        for c in $CASES; do
                for t in $THREADS; do
                        ep=$EPOCHS
                        [ "$t" -gt 1 ] && ep=$EPOCHS_MT
                        echo "# rep $r/$REPS case $c threads $t epochs $ep ..." >&2
                        run "rep=$r" env OMP_NUM_THREADS="$t" "$NN_ENGINE" --case "$c" --threads "$t" \
                                --epochs "$ep" --infer "$INFER" --dump-init "$tmp/$c.init" --data "$tmp/$c.data"
                        for b in $blas_set; do
                                if [ "$b" = auto ]; then
                                        set -- env -u OPENBLAS_CORETYPE
                                else
                                        set -- env OPENBLAS_CORETYPE="$b"
                                fi
                                run "rep=$r blas=$b" "$@" OMP_NUM_THREADS="$t" OPENBLAS_NUM_THREADS="$t" \
                                        "$PYTHON" "$torch_py" --init "$tmp/$c.init" --data "$tmp/$c.data" \
                                        --case "$c" --threads "$t" --epochs "$ep" --infer "$INFER"
                        done
                done
        done
        r=$((r + 1))
done

# ------------------------------------------------------------------ warm vs cold
r=1
while [ -n "$WC_SIZES" ] && [ "$r" -le "$WC_REPS" ]; do
        for n in $WC_SIZES; do
                echo "# warm/cold rep $r/$WC_REPS n $n ..." >&2
                run "rep=$r" env OMP_NUM_THREADS=1 "$NN_ENGINE" --warm-cold --case "$WC_CASE" --n "$n" \
                        --threads 1 --max-epochs "$WC_MAX_EPOCHS"
        done
        r=$((r + 1))
done
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ tables
awk -v mhz="$mhz" -v blas_set="$blas_set" -v cases="$CASES" -v threads="$THREADS" -v wc_sizes="$WC_SIZES" \
    -f "$top/bench/nn_tables.awk" "$tmp/results"
echo
echo "# raw results"
cat "$tmp/results"
exit $failed
