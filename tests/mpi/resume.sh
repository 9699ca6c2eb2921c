#!/bin/sh
# Stop and resume. A dnnr scan of shell3d through an external program (tests/mpi/slow_shell.sh)
# on 4 ranks is the reference. The same scan (1) stopped by SIGTERM to mpirun mid-run (exit
# status 3 within seconds, no program left running) and resumed on 2 ranks, and (2) run with a
# smaller budget and resumed with the full one, both end with exactly the reference's points:
# same ids, same coordinates, same NLL. A card that changes more than the stop limits is
# refused with a message naming the key. Then predict: a grid and the same points from a CSV
# give the same predictions.
. "${top_srcdir:-.}/tests/mpi/lib.sh"
need_h5py
export TOY="$top_srcdir/share/examples/toy_shell.sh" SLOW=0.02 EVAL_LOG="$tmp/evals.log"
slow_card resume 11 700 > "$tmp/full.yaml"
slow_card resume 11 350 > "$tmp/half.yaml"

launch 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/ref.h5" -q || fail "reference run exited $?"

# (1) SIGTERM to mpirun in the middle, resume on 2 ranks
rm -f "$EVAL_LOG"
echo "+ $MPIEXEC -n 4 $MLSCAN full.yaml -o stop.h5 &  (SIGTERM after 2 s)"
"$MPIEXEC" -n 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/stop.h5" > "$tmp/stop.log" 2>&1 &
mp=$!
sleep 2
t0=$(date +%s.%N)
kill -TERM "$mp"
wait "$mp"
status=$?
t1=$(date +%s.%N)
cat "$tmp/stop.log" | grep -v "generation [0-9]*:" | tail -5
# mpirun itself exits 1 when it was signalled; mlscan alone exits 3 (checked below)
[ "$status" -ne 0 ] || fail "a stopped run exits non-zero"
grep -q "stopped by signal 15" "$tmp/stop.log" || fail "no 'stopped by signal' line"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "stopped %.2f s after SIGTERM\n", b - a; exit !(b - a < 10) }' || fail "the stop took too long"
grep -q "continue with: mlscan .* --resume" "$tmp/stop.log" || fail "no resume hint"
pgrep -f "$tmp/slow_shell.sh" > /dev/null && fail "physics programs survived the stop"
"$PYTHON3" -c "
import h5py, sys
f = h5py.File('$tmp/stop.h5', 'r'); c = f['checkpoint/commit'][:]
print('stopped file: commit', list(c), 'rows', f['points'].attrs['rows'])
assert c[6] == 0, 'a stopped run is not complete'
assert 0 < c[3] < 700, 'the stop came too late or too early to test anything'
" || fail "stopped file"
launch 2 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/stop.h5" --resume > "$tmp/resume.log" 2>&1 || { cat "$tmp/resume.log"; fail "resume exited $?"; }
grep "resuming" "$tmp/resume.log"
same_points "$tmp/ref.h5" "$tmp/stop.h5" || fail "stopped and resumed on 2 ranks != uninterrupted"

# mlscan alone (no mpirun): SIGINT, exit status 3, then resumed on 3 ranks
"$MLSCAN" "$tmp/full.yaml" -o "$tmp/single.h5" > "$tmp/single.log" 2>&1 &
pid=$!
sleep 3
kill -INT "$pid"
wait "$pid"
status=$?
[ "$status" -eq 3 ] || { cat "$tmp/single.log"; fail "mlscan alone stopped by SIGINT exits 3, got $status"; }
launch 3 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/single.h5" --resume -q || fail "resume of the single run exited $?"
same_points "$tmp/ref.h5" "$tmp/single.h5" || fail "stopped alone and resumed on 3 ranks != uninterrupted"

# (2) a smaller budget, then resumed with the full one (an extension is accepted)
launch 4 "$MLSCAN" "$tmp/half.yaml" -o "$tmp/ext.h5" -q || fail "half run exited $?"
launch 4 "$MLSCAN" "$tmp/full.yaml" -o "$tmp/ext.h5" --resume -q || fail "extended resume exited $?"
same_points "$tmp/ref.h5" "$tmp/ext.h5" || fail "extended != uninterrupted"

# (3) other changes are refused, naming the key; nothing is written
sed 's/candidates: 5000/candidates: 6000/' "$tmp/full.yaml" > "$tmp/changed.yaml"
cp "$tmp/ext.h5" "$tmp/ext_before.h5"
launch 2 "$MLSCAN" "$tmp/changed.yaml" -o "$tmp/ext.h5" --resume > "$tmp/changed.log" 2>&1
status=$?
cat "$tmp/changed.log"
[ "$status" -eq 2 ] || fail "a changed card must be refused with exit 2, got $status"
grep -q "search.candidates: '5000' in the file, '6000' now" "$tmp/changed.log" || fail "the refusal does not name the key"
cmp -s "$tmp/ext.h5" "$tmp/ext_before.h5" || fail "a refused resume changed the file"
# --resume on a missing file starts a new run
launch 2 "$MLSCAN" "$tmp/half.yaml" -o "$tmp/new.h5" --resume -q || fail "--resume without a file exited $?"
[ -f "$tmp/new.h5" ] || fail "--resume without a file made no file"

# (4) predict: a 7 x 5 grid, and the same points from a CSV, give the same numbers
"$MLSCAN" predict "$tmp/ref.h5" --grid x1=7 --grid x2=5:-10:10 --fix x3=1.5 -o "$tmp/grid.csv" || fail "predict --grid exited $?"
"$PYTHON3" - "$tmp/grid.csv" "$tmp/pts.csv" <<'PY' || fail "predict grid"
import sys, csv, math
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if not l.startswith("#"))]
head, rows = rows[0], rows[1:]
assert head == ["x1", "x2", "x3", "pred_nll"], head
assert len(rows) == 35, len(rows)
x1 = sorted({float(r[0]) for r in rows}); x2 = sorted({float(r[1]) for r in rows})
assert len(x1) == 7 and abs(x1[0] + math.pi * 10) < 1e-12 and abs(x1[-1] - math.pi * 10) < 1e-12, x1
assert len(x2) == 5 and x2[0] == -10 and x2[-1] == 10, x2
assert all(float(r[2]) == 1.5 for r in rows)
assert all(math.isfinite(float(r[3])) for r in rows)
with open(sys.argv[2], "w") as f:
    f.write("x3,x1,x2\n")
    for r in reversed(rows):
        f.write(f"{r[2]},{r[0]},{r[1]}\n")
print("grid: 35 rows, first", rows[0])
PY
"$MLSCAN" predict "$tmp/ref.h5" --points "$tmp/pts.csv" -o "$tmp/pts_pred.csv" || fail "predict --points exited $?"
"$PYTHON3" - "$tmp/grid.csv" "$tmp/pts_pred.csv" <<'PY' || fail "predict points != grid"
import sys
def load(fn):
    return {tuple(l.split(",")[:3]): l.split(",")[3] for l in open(fn) if not l.startswith(("#", "x1"))}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a == b, "the same points predicted differently"
print("the same 35 points from a CSV give the same predictions")
PY
"$MLSCAN" predict "$tmp/ref.h5" > /dev/null 2>&1 && fail "predict without --grid or --points must fail"
"$MLSCAN" predict "$tmp/ref.h5" --grid nosuch=3 > /dev/null 2> "$tmp/err" && fail "an unknown grid parameter must fail"
grep -q "nosuch" "$tmp/err" || fail "the error does not name the parameter"
echo "PASS"
