# lib.sh - shared set-up for the MPI tests (sourced). Exit codes: 0 pass, 77 skip, 99 hard error.
set -u
: "${MLSCAN:?MLSCAN is set by make check}"
: "${top_srcdir:=.}"
: "${PYTHON3:=/usr/bin/python3}"
: "${MPIEXEC:=mpiexec}"
# Under make check-asan: AddressSanitizer and UBSan stay on for the MPI runs, leak checking is
# off there: Open MPI dlcloses its components at MPI_Finalize, so LeakSanitizer reports their
# one-time allocations as "<unknown module>", which no suppression can name. The unit tests
# (no MPI_Init) keep leak checking on.
case "${ASAN_OPTIONS:-}" in *detect_leaks=1*) export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" ;; esac
cases="$top_srcdir/tests/cases"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlscan-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# launch N CMD... - run CMD on N ranks (N = 1 runs the singleton, as a user without mpirun would),
# killed after 120 s so a hang fails the test instead of stalling the suite.
launch() {
        n=$1
        shift
        if [ "$n" = 1 ]; then
                echo "+ $*"
                timeout 120 "$@"
        else
                echo "+ $MPIEXEC -n $n $*"
                timeout 120 "$MPIEXEC" -n "$n" "$@"
        fi
}

need_h5py() {
        "$PYTHON3" -c 'import h5py, numpy' 2>/dev/null || { echo "SKIP: $PYTHON3 has no h5py/numpy (apt-get install python3-h5py)"; exit 77; }
}

fail() {
        echo "FAIL: $*"
        exit 1
}

# slow_card NAME SEED EVALUATIONS - a dnnr scan of shell3d through a copy of
# tests/mpi/slow_shell.sh in $tmp (export TOY and SLOW; EVAL_LOG to count evaluations),
# checkpointing every $CKPT (default 0.5) s, in run.mode $MODE (default sync: the tests compare
# with uninterrupted runs) and run.checkpoint_max_share $SHARE (default 0: every checkpoint is
# taken). The copy is this test's own: pgrep/pkill -f "$tmp/slow_shell.sh"
# never touch another test's programs when make check runs tests in parallel.
slow_card() {
        [ -x "$tmp/slow_shell.sh" ] || cp "$top_srcdir/tests/mpi/slow_shell.sh" "$tmp/slow_shell.sh"
        cat <<EOC
run: {name: $1, seed: $2, method: dnnr, mode: ${MODE:-sync}, checkpoint_seconds: ${CKPT:-0.5}, checkpoint_max_share: ${SHARE:-0}}
stop: {evaluations: $3}
parameters:
  x1: {range: [-31.41592653589793, 31.41592653589793]}
  x2: {range: [-31.41592653589793, 31.41592653589793]}
  x3: {range: [-31.41592653589793, 31.41592653589793]}
physics:
  scratch: $tmp
  templates: [{from: $top_srcdir/share/examples/shell3d_params.tmpl, to: params.dat}]
  programs: [{name: toy_shell, run: [$tmp/slow_shell.sh, params.dat, shell.out], output: shell.out, timeout: 20}]
  observables: {F: {text: [shell.out, L]}}
likelihood: {F: {gauss: {mean: 100, sigma: 20}}}
target: {nll_below: 0.1053605156578263}
model: {epochs: 30, hidden: [32, 32]}
search: {initial_points: 200, points_per_generation: 100, candidates: 5000}
EOC
}

# same_points A.h5 B.h5 - both hold ids 0..N-1 once each, with the same coordinates and NLL
same_points() {
        "$PYTHON3" - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
def load(fn):
    p = h5py.File(fn, "r")["points"]
    n = p.attrs["rows"]
    o = np.argsort(p["id"][:n])
    return p["id"][:n][o], p["u"][:n][o], p["nll"][:n][o]
a, b = load(sys.argv[1]), load(sys.argv[2])
assert len(a[0]) == len(b[0]), (len(a[0]), len(b[0]))
assert (a[0] == np.arange(len(a[0]))).all() and (b[0] == a[0]).all(), "ids differ or are not 0..N-1 once each"
assert (a[1] == b[1]).all(), "coordinates differ"
assert (a[2] == b[2]).all(), "NLL differ"
print(f"{len(a[0])} points identical (ids, coordinates, NLL)")
PY
}
