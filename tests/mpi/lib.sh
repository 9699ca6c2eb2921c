# lib.sh - shared set-up for the MPI tests (sourced). Exit codes: 0 pass, 77 skip, 99 hard error.
set -u
: "${MLSCAN:?MLSCAN is set by make check}"
: "${top_srcdir:=.}"
: "${PYTHON3:=/usr/bin/python3}"
: "${MPIEXEC:=mpiexec}"
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
