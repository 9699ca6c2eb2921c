#!/bin/sh
# Random scans of shell3d on 1, 2 and 4 ranks, read back with h5py: row count, unique
# contiguous ids, ranges, statuses, the good fraction against the volume fraction, and the
# same points whatever the number of ranks.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
"$PYTHON3" -c 'import yaml' 2>/dev/null || { echo "SKIP: no python3-yaml"; exit 77; }
card="$cases/scan/shell3d.yaml"
for n in 1 2 4; do
        launch "$n" "$MLSCAN" "$card" --output "$tmp/r$n.h5" || fail "mlscan on $n ranks exited $?"
        "$PYTHON3" "$top_srcdir/tests/mpi/check_points.py" "$tmp/r$n.h5" "$card" --rows 20000 \
                --ranks "$n" --fraction 0.0332 --sigmas 4 || fail "$n ranks: output checks"
done
# The points depend on the seed only, not on the number of ranks.
"$PYTHON3" - "$tmp/r1.h5" "$tmp/r2.h5" "$tmp/r4.h5" <<'PY' || fail "points differ between rank counts"
import sys, h5py, numpy as np
ref = None
for fn in sys.argv[1:]:
    p = h5py.File(fn, "r")["points"]
    o = np.argsort(p["id"][:])
    cols = [p[c][:][o] for c in ("u", "x", "obs", "nll", "good")]
    if ref is not None:
        for a, b in zip(ref, cols):
            assert np.array_equal(a, b), fn
    ref = cols
print("same points on 1, 2 and 4 ranks")
PY
# Stop on good points; a log prior.
card="$cases/scan/gshells_log.yaml"
launch 4 "$MLSCAN" "$card" -o "$tmp/g.h5" || fail "good_points scan exited $?"
"$PYTHON3" "$top_srcdir/tests/mpi/check_points.py" "$tmp/g.h5" "$card" --ranks 4 --good-at-least 50 ||
        fail "good_points scan: output checks"
"$PYTHON3" - "$tmp/g.h5" <<'PY' || fail "good_points scan did not stop near its target"
import sys, h5py
p = h5py.File(sys.argv[1], "r")["points"]
good, n = int(p["good"][:].sum()), int(p.attrs["rows"])
# At most the points in flight (2 per worker) can land after the target is reached.
assert 50 <= good <= 56 and n < 100000, (good, n)
print(f"stopped with {good} good points after {n} evaluations")
PY
# h5dump (no mlscan code) reads the file too.
if [ -n "${H5DUMP:-}" ] && [ -x "$H5DUMP" ]; then
        "$H5DUMP" -a /points/rows "$tmp/r4.h5" | grep -q '(0): 20000' || fail "h5dump does not show 20000 rows"
fi
echo "PASS"
