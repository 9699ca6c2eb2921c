#!/bin/sh
# run.start_from: a dnnr scan seeded with the points of an earlier one, as a CSV and as the
# earlier mlscan file itself. The seed rows are in the new file (origin seed, worker -1,
# generation -1, the same x and obs), are not evaluated again nor counted in the budget, and
# the first learned generation trains on them; a bad seed file is one error line, exit 2,
# before any output file is written.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
check="$top_srcdir/tests/mpi/check_methods.py"
sed 's/evaluations: 5000/evaluations: 1500/' "$cases/methods/shell3d.yaml" > "$tmp/a.yaml"
launch 2 "$MLSCAN" "$tmp/a.yaml" -o "$tmp/a.h5" -q || fail "first scan exited $?"
"$PYTHON3" - "$tmp/a.h5" "$tmp/a.csv" <<'PY' || fail "writing the CSV"
import sys, h5py
p = h5py.File(sys.argv[1], "r")["points"]
n = p.attrs["rows"]
x, obs, st = p["x"][:n], p["obs"][:n], p["status"][:n]
with open(sys.argv[2], "w") as f:
    f.write("# points of an earlier scan\nF, x3, x2, x1, comment, status\n")  # any column order
    for i in range(n):
        f.write(f"{obs[i,0]!r}, {x[i,2]!r}, {x[i,1]!r}, {x[i,0]!r}, row{i}, {'ok' if st[i] == 0 else int(st[i])}\n")
PY
for src in a.csv a.h5; do
        sed "s|run: {|run: {start_from: $tmp/$src, |; s/evaluations: 5000/evaluations: 1000/" \
                "$cases/methods/shell3d.yaml" > "$tmp/b.yaml"
        launch 3 "$MLSCAN" "$tmp/b.yaml" -o "$tmp/b_$src.h5" > "$tmp/b.log" 2>&1 || { cat "$tmp/b.log"; fail "seeded scan ($src) exited $?"; }
        grep -q "start_from: 1500 points" "$tmp/b.log" || fail "no start_from line ($src)"
        "$PYTHON3" "$check" "$tmp/b_$src.h5" --rows 2500 --seeds 1500 || fail "seeded scan ($src): checks"
        "$PYTHON3" - "$tmp/a.h5" "$tmp/b_$src.h5" <<'PY' || fail "seed rows ($src)"
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1], "r")["points"]
f = h5py.File(sys.argv[2], "r")
b = f["points"]
n = b.attrs["rows"]
o = np.argsort(a["id"][: a.attrs["rows"]])
seed = b["origin"][:n] == 3
sid = np.argsort(b["id"][:n][seed])
assert (b["worker"][:n][seed] == -1).all() and (b["generation"][:n][seed] == -1).all()
for c in ("x", "obs", "nll", "good"):
    assert np.allclose(a[c][:][o], b[c][:n][seed][sid], rtol=1e-15, atol=0), c
g = f["generations"]
# 1500 seeds exceed initial_points (500): generation 0 is empty, generation 1 learns from the seeds
assert g["proposed"][0] == 0 and g["ntrain"][1] == 1500, (g["proposed"][:], g["ntrain"][:])
print("seed rows identical to the earlier scan's; generation 1 trained on them")
PY
done
# A bad seed file: one line naming file and line, exit 2, no output file.
printf 'x1,x2,x3,F\n1,2,oops,4\n' > "$tmp/bad.csv"
sed "s|run: {|run: {start_from: $tmp/bad.csv, |" "$cases/methods/shell3d.yaml" > "$tmp/c.yaml"
launch 2 "$MLSCAN" "$tmp/c.yaml" -o "$tmp/c.h5" > "$tmp/c.log" 2>&1
rc=$?
[ $rc = 2 ] || fail "bad seed file: exit $rc, expected 2"
grep -q "^mlscan: $tmp/bad.csv:2: " "$tmp/c.log" || { cat "$tmp/c.log"; fail "bad seed file: no file:line message"; }
[ ! -e "$tmp/c.h5" ] || fail "bad seed file: an output file was written"
echo "PASS"
