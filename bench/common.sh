# shellcheck shell=sh
# bench/common.sh - what the benchmark scripts share; sourced, not run. A script does
#
#   top=$(cd "$(dirname "$0")/.." && pwd) || exit 2
#   (its QUICK=1 defaults, which then win over the ones below)
#   . "$top/bench/common.sh"
#
# This sets MLSCAN, MPIEXEC, H5DUMP and TIMEOUT to their defaults (where unset or empty),
# exports the machine-wide Open MPI settings and defines:
#   die MSG, usage MSG    "<script>: MSG" on stderr, exit 1 and 2
#   need_mlscan           die unless MLSCAN is executable (and $card_in, if set, readable)
#   now, load_avg         wall clock (date +%s.%N), load average (the three figures)
#   rows_in H5            the row count of an mlscan output file (h5dump, else python3 + h5py)
#   make_tmp              the scratch directory $tmp, removed on exit, interrupt or termination
#   launch WHAT LOG CMD.. a run under TIMEOUT, timed (t0, t1, wall, rc); dies (fail_run) if it failed
#   fail_run WHAT LOG     the LOG, then "WHAT: timed out ..." or "WHAT: exit status $rc"; exit 1
#   medians FILE          column-wise medians, n/a where a column has no number
#   header_start TITLE    the header's first lines: title, date, host, nproc, load, git, mlscan, mpiexec
#   header_end            its last line (the Open MPI settings) and a blank line
#   $awk_after            awk source of after(s, pre): the number that follows pre in s, or "n/a"
# Check the scripts with shellcheck -x (so that it follows this file). See bench/README.md.

me=${0##*/}
MLSCAN=${MLSCAN:-$top/mlscan}
MPIEXEC=${MPIEXEC:-mpiexec}
H5DUMP=${H5DUMP:-h5dump}
TIMEOUT=${TIMEOUT:-900}

# The machine-wide MPI settings from doc hpc-stack.md sections 2-3 (overridable).
: "${OMPI_ALLOW_RUN_AS_ROOT:=1}" "${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:=1}"
: "${OMPI_MCA_mpi_yield_when_idle:=1}" "${OMPI_MCA_rmaps_base_oversubscribe:=1}"
: "${OMPI_MCA_hwloc_base_binding_policy:=none}"
export OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_mpi_yield_when_idle \
       OMPI_MCA_rmaps_base_oversubscribe OMPI_MCA_hwloc_base_binding_policy

die() {
        echo "$me: $*" >&2
        exit 1
}
usage() {
        echo "$me: $*" >&2
        exit 2
}

need_mlscan() {
        [ -x "$MLSCAN" ] || die "no mlscan binary at $MLSCAN (build it with make, or set MLSCAN)"
        [ -z "${card_in:-}" ] || [ -r "$card_in" ] || die "no example card at $card_in"
}

now() {
        date +%s.%N
}

load_avg() {
        cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime
}

rows_in() {
        if command -v "$H5DUMP" >/dev/null 2>&1; then
                "$H5DUMP" -a /points/rows "$1" 2>/dev/null | awk '/\(0\):/ { print $2; exit }'
        else
                /usr/bin/python3 -c 'import sys, h5py; print(int(h5py.File(sys.argv[1], "r")["points"].attrs["rows"]))' "$1" 2>/dev/null
        fi
}

child=
# a stopped benchmark stops its run too (timeout forwards SIGTERM to mpiexec, mpiexec to the ranks)
cleanup() {
        if [ -n "$child" ]; then
                kill -TERM "$child" 2>/dev/null
                wait "$child" 2>/dev/null
        fi
        [ -z "${tmp:-}" ] || rm -rf "$tmp"
}
make_tmp() {
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/mlscan-bench.XXXXXX") || die "mktemp -d failed"
        trap cleanup EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
}

# launch WHAT LOG CMD...: run CMD under timeout in the background (so that a stop of this script
# reaches it), output to LOG, and wait; sets rc, t0 and t1 (now) and the outside wall time
# `wall` (s, 3 decimals). A failed run ends the script (fail_run WHAT LOG).
launch() {
        launch_what=$1 launch_log=$2
        shift 2
        t0=$(now)
        timeout -k 10 "$TIMEOUT" "$@" >"$launch_log" 2>&1 &
        child=$!
        wait "$child"
        rc=$?
        child=
        t1=$(now)
        # shellcheck disable=SC2034  # for the caller
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }')
        [ "$rc" -eq 0 ] || fail_run "$launch_what" "$launch_log"
}

fail_run() {
        sed 's/^/  | /' "$2" >&2
        [ "$rc" -eq 124 ] && die "$1: timed out after $TIMEOUT s"
        die "$1: exit status $rc"
}

medians() {
        awk '{ for (i = 1; i <= NF; i++) if ($i != "n/a") { c[i]++; v[i, c[i]] = $i }
               if (NF > nf) nf = NF }
        END {
                for (i = 1; i <= nf; i++) {
                        k = c[i]
                        if (!k) { m = "n/a" } else {
                                for (a = 1; a <= k; a++) for (b = a + 1; b <= k; b++)
                                        if (v[i, b] + 0 < v[i, a] + 0) { t = v[i, a]; v[i, a] = v[i, b]; v[i, b] = t }
                                m = (k % 2) ? v[i, (k + 1) / 2] : (v[i, k / 2] + v[i, k / 2 + 1]) / 2
                        }
                        printf "%s%s", m, i < nf ? " " : "\n"
                }
        }' "$1"
}

header_start() {
        git_rev=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
        mpi_ver=$($MPIEXEC --version 2>/dev/null | head -n 1)
        echo "# $1"
        echo "date       $(date '+%Y-%m-%d %H:%M:%S %z')"
        echo "host       $(uname -n) ($(uname -sm))"
        echo "nproc      $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)"
        echo "load avg   $(load_avg) (start)"
        echo "git        $git_rev"
        echo "mlscan     $MLSCAN ($("$MLSCAN" --version 2>/dev/null | head -n 1), binary of $(date -r "$MLSCAN" '+%Y-%m-%d %H:%M:%S' 2>/dev/null || echo '?'))"
        # $MPIEXEC is left unquoted so that it may carry options.
        # shellcheck disable=SC2086
        set -- $MPIEXEC
        echo "mpiexec    $MPIEXEC -> $(command -v "$1" || echo "$1: not found") (${mpi_ver:-version unknown})"
}

header_end() {
        echo "mpi env    yield_when_idle=$OMPI_MCA_mpi_yield_when_idle oversubscribe=$OMPI_MCA_rmaps_base_oversubscribe binding=$OMPI_MCA_hwloc_base_binding_policy"
        echo
}

# shellcheck disable=SC2016,SC2034  # awk source, for the callers
awk_after='
function after(s, pre,   i, t) {
        i = index(s, pre)
        if (!i) return "n/a"
        t = substr(s, i + length(pre))
        if (match(t, /^[-+]?[0-9]+([.][0-9]*)?([eE][-+]?[0-9]+)?/)) return substr(t, 1, RLENGTH)
        return "n/a"
}'
